// mounts[].options -> MS_* flags, propagation and filesystem data, the way mount(8) reads
// them: later options override earlier ones, and whatever is not a flag goes to the
// filesystem as data in the order written.
#include <sys/mount.h>

#include <array>

#include "runtime/spec/json_fields.h"
#include "runtime/spec/parse_parts.h"

namespace skiff::oci {

bool Mount::is_bind() const {
  return (flags & MS_BIND) != 0;
}

namespace detail {

namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  // "rw", "suid", ...: switch the flag off
  unsigned long flag;
};

constexpr std::array<FlagOption, 33> kFlagOptions{{
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"iversion", false, MS_I_VERSION},
    {"noiversion", true, MS_I_VERSION},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
}};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr std::array<PropagationOption, 8> kPropagation{{
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// The 1.1 recursive attributes need mount_setattr(2), which skiff does not use; passing
// them on as data would only fail later with a less helpful EINVAL.
constexpr std::array<std::string_view, 18> kRecursiveAttributes{
    "rro",      "rrw",    "rnosuid",      "rsuid",          "rnodev",       "rdev",
    "rnoexec",  "rexec",  "rnodiratime",  "rdiratime",      "rrelatime",    "rnorelatime",
    "rnoatime", "ratime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow"};

template <typename Table>
auto find_option(const Table& table, std::string_view name) -> decltype(&table[0]) {
  for (const auto& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

void apply_option(Mount& m, const std::string& option, const std::string& where) {
  if (const FlagOption* f = find_option(kFlagOptions, option)) {
    if (f->clear) {
      m.flags &= ~f->flag;
      m.clear_flags |= f->flag;
    } else {
      m.flags |= f->flag;
      m.clear_flags &= ~f->flag;
    }
    return;
  }
  if (const PropagationOption* p = find_option(kPropagation, option)) {
    m.propagation = p->flags;  // the last one written wins
    return;
  }
  if (option == "tmpcopyup") return;  // a crun extension; accepted, has no effect here
  if (option == "idmap" || option == "ridmap") {
    fail(where, in_quotes(option) + ": idmapped mounts are not supported by skiff");
  }
  for (std::string_view attr : kRecursiveAttributes) {
    if (option == attr) {
      fail(where, in_quotes(option) + ": recursive mount attributes are not supported by skiff");
    }
  }
  if (option.empty()) fail(where, "must not be empty");
  if (!m.data.empty()) m.data += ',';
  m.data += option;
}

}  // namespace

std::optional<unsigned long> propagation_from_name(std::string_view name) {
  if (const PropagationOption* p = find_option(kPropagation, name)) return p->flags;
  return std::nullopt;
}

Mount parse_mount(const json& mount, const std::string& where) {
  expect_object(mount, where);
  Mount m;
  m.destination = absolute_path_at(required(mount, where, "destination"), where + ".destination");
  if (const json* v = member(mount, "type")) m.type = string_at(*v, where + ".type");
  if (const json* v = member(mount, "source")) m.source = string_at(*v, where + ".source");
  for (const char* key : {"uidMappings", "gidMappings"}) {
    if (const json* v = member(mount, key); v && !(v->is_array() && v->empty())) {
      fail(key_path(where, key), "idmapped mounts are not supported by skiff");
    }
  }
  if (const json* v = member(mount, "options")) {
    m.options = strings_at(*v, where + ".options");
    for (std::size_t i = 0; i < m.options.size(); ++i) {
      apply_option(m, m.options[i], index_path(where + ".options", i));
    }
  }
  if (m.type == "bind") m.flags |= MS_BIND;
  if (m.is_bind() && m.source.empty()) fail(where + ".source", "is required for a bind mount");
  return m;
}

}  // namespace detail
}  // namespace skiff::oci
