#include "runtime/security/capabilities.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <set>
#include <vector>

#include "common/error.h"
#include "common/file_io.h"

namespace skiff::runtime::security {

namespace {

struct CapFree {
  void operator()(void* p) const noexcept { cap_free(p); }
};

using CapSet = std::set<int>;

// Capabilities the running kernel supports: 0 .. cap_max_bits()-1.
int kernel_cap_count() {
  return static_cast<int>(cap_max_bits());
}

CapSet known_to_kernel(const std::vector<int>& caps) {
  CapSet out;
  for (int cap : caps) {
    if (cap < 0) throw Error(fmt::format("invalid capability number {}", cap));
    if (cap < kernel_cap_count()) out.insert(cap);
  }
  return out;
}

std::string join_names(const CapSet& caps) {
  std::string out;
  for (int cap : caps) {
    if (!out.empty()) out += ',';
    out += capability_name(cap);
  }
  return out.empty() ? "none" : out;
}

struct Sets {
  CapSet bounding, effective, inheritable, permitted, ambient;
};

Sets validated(const oci::Capabilities& caps) {
  Sets s{known_to_kernel(caps.bounding), known_to_kernel(caps.effective),
         known_to_kernel(caps.inheritable), known_to_kernel(caps.permitted),
         known_to_kernel(caps.ambient)};
  for (int cap : s.effective) {
    if (!s.permitted.contains(cap)) {
      throw Error(
          fmt::format("process.capabilities.effective: {} is not in permitted (the kernel requires "
                      "effective to be a subset of permitted)",
                      capability_name(cap)));
    }
  }
  for (int cap : s.ambient) {
    if (!s.permitted.contains(cap) || !s.inheritable.contains(cap)) {
      throw Error(
          fmt::format("process.capabilities.ambient: {} must also be in permitted and inheritable",
                      capability_name(cap)));
    }
  }
  return s;
}

void drop_bounding(const CapSet& keep) {
  for (int cap = 0; cap < kernel_cap_count(); ++cap) {
    if (keep.contains(cap)) continue;
    int present = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (present < 0) throw_errno("prctl(PR_CAPBSET_READ)", capability_name(cap));
    // Dropping only what is there keeps CAP_SETPCAP unnecessary when nothing changes.
    if (present == 1 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      throw_errno("prctl(PR_CAPBSET_DROP)", capability_name(cap));
    }
  }
}

// In a user namespace whose setgroups file says "deny", setgroups() always fails; with no
// groups requested there is nothing to do about that.
bool setgroups_denied() {
  try {
    return trim(read_file("/proc/self/setgroups")) == "deny";
  } catch (const Error&) {
    return false;
  }
}

void switch_user(const oci::User& user) {
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  if (::setgroups(groups.size(), groups.data()) != 0) {
    int err = errno;
    if (!(groups.empty() && err == EPERM && setgroups_denied())) {
      throw SysError("setgroups", fmt::format("[{}]", fmt::join(groups, ",")), err);
    }
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0) {
    throw_errno("setresgid", fmt::format("gid {}", user.gid));
  }
  if (::setresuid(user.uid, user.uid, user.uid) != 0) {
    throw_errno("setresuid", fmt::format("uid {}", user.uid));
  }
}

void set_keepcaps(bool on) {
  if (::prctl(PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0) != 0) {
    throw_errno("prctl(PR_SET_KEEPCAPS)", on ? "1" : "0");
  }
}

void set_flag(cap_t state, cap_flag_t flag, const CapSet& caps) {
  std::vector<cap_value_t> values(caps.begin(), caps.end());
  if (values.empty()) return;
  if (cap_set_flag(state, flag, static_cast<int>(values.size()), values.data(), CAP_SET) != 0) {
    throw_errno("cap_set_flag", join_names(caps));
  }
}

void set_process_caps(const Sets& s) {
  std::unique_ptr<_cap_struct, CapFree> state(cap_init());
  if (!state) throw_errno("cap_init", "");
  set_flag(state.get(), CAP_EFFECTIVE, s.effective);
  set_flag(state.get(), CAP_PERMITTED, s.permitted);
  set_flag(state.get(), CAP_INHERITABLE, s.inheritable);
  if (cap_set_proc(state.get()) != 0) {
    throw_errno("cap_set_proc",
                fmt::format("(effective {}; permitted {}; inheritable {})", join_names(s.effective),
                            join_names(s.permitted), join_names(s.inheritable)));
  }
}

void set_ambient(const CapSet& ambient) {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    throw_errno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", "");
  }
  for (int cap : ambient) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      throw_errno("prctl(PR_CAP_AMBIENT_RAISE)", capability_name(cap));
    }
  }
}

}  // namespace

void apply_user_and_capabilities(const oci::User& user,
                                 const std::optional<oci::Capabilities>& caps) {
  if (user.umask) ::umask(*user.umask);
  if (!caps) {
    switch_user(user);
    return;
  }
  Sets s = validated(*caps);
  drop_bounding(s.bounding);
  // setresuid away from uid 0 clears the permitted set unless KEEPCAPS is on; effective is
  // cleared regardless and rebuilt by cap_set_proc below.
  set_keepcaps(true);
  switch_user(user);
  set_process_caps(s);
  // Back to the kernel's default so a later setuid in the container behaves normally.
  set_keepcaps(false);
  set_ambient(s.ambient);
}

std::string capability_name(int cap) {
  if (cap < 0) return fmt::format("capability {}", cap);
  std::unique_ptr<char, CapFree> name(cap_to_name(static_cast<cap_value_t>(cap)));
  // libcap spells capabilities it has no name for as the bare number.
  if (!name || !std::isalpha(static_cast<unsigned char>(name.get()[0]))) {
    return fmt::format("capability {}", cap);
  }
  std::string out(name.get());
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace skiff::runtime::security
