#include "runtime/security/seccomp_filter.h"

#include <fmt/format.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/security/no_new_privs.h"

namespace skiff::runtime::security {

namespace {

using oci::SeccompAction;
using oci::SeccompOp;

constexpr std::string_view kField = "linux.seccomp";
// The kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO; larger values would not reach the
// caller as written.
constexpr std::uint32_t kMaxErrno = 4095;
// seccomp(2) passes at most six syscall arguments.
constexpr unsigned kMaxArgs = 6;

std::string_view action_name(SeccompAction action) {
  switch (action) {
    case SeccompAction::KillThread:
      return "SCMP_ACT_KILL_THREAD";
    case SeccompAction::KillProcess:
      return "SCMP_ACT_KILL_PROCESS";
    case SeccompAction::Trap:
      return "SCMP_ACT_TRAP";
    case SeccompAction::Errno:
      return "SCMP_ACT_ERRNO";
    case SeccompAction::Trace:
      return "SCMP_ACT_TRACE";
    case SeccompAction::Allow:
      return "SCMP_ACT_ALLOW";
    case SeccompAction::Log:
      return "SCMP_ACT_LOG";
    case SeccompAction::Notify:
      return "SCMP_ACT_NOTIFY";
  }
  return "unknown action";
}

// `action_field` and `errno_field` are the JSON paths used in error messages.
std::uint32_t to_scmp_action(SeccompAction action, std::optional<std::uint32_t> errno_ret,
                             const std::string& action_field, const std::string& errno_field) {
  bool takes_errno = action == SeccompAction::Errno || action == SeccompAction::Trace;
  if (errno_ret && !takes_errno) {
    throw Error(fmt::format("{}: {} takes no errno; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do",
                            errno_field, action_name(action)));
  }
  std::uint32_t err = errno_ret.value_or(EPERM);
  if (err > kMaxErrno) {
    throw Error(fmt::format("{}: {} is out of range (0..{})", errno_field, err, kMaxErrno));
  }
  switch (action) {
    case SeccompAction::KillThread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::KillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::Trap:
      return SCMP_ACT_TRAP;
    case SeccompAction::Errno:
      return SCMP_ACT_ERRNO(err);
    case SeccompAction::Trace:
      return SCMP_ACT_TRACE(err);
    case SeccompAction::Allow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::Log:
      return SCMP_ACT_LOG;
    case SeccompAction::Notify:
      break;
  }
  throw Error(fmt::format(
      "{}: SCMP_ACT_NOTIFY is not supported (Skiff has no seccomp notification listener yet)",
      action_field));
}

scmp_compare to_scmp_op(SeccompOp op) {
  switch (op) {
    case SeccompOp::NotEqual:
      return SCMP_CMP_NE;
    case SeccompOp::LessThan:
      return SCMP_CMP_LT;
    case SeccompOp::LessEqual:
      return SCMP_CMP_LE;
    case SeccompOp::Equal:
      return SCMP_CMP_EQ;
    case SeccompOp::GreaterEqual:
      return SCMP_CMP_GE;
    case SeccompOp::GreaterThan:
      return SCMP_CMP_GT;
    case SeccompOp::MaskedEqual:
      return SCMP_CMP_MASKED_EQ;
  }
  return _SCMP_CMP_MIN;
}

// OCI names ("SCMP_ARCH_X86_64") are libseccomp's own names ("x86_64") upper-cased behind a
// prefix, so libseccomp's resolver is the table.
std::uint32_t resolve_arch(const std::string& name) {
  constexpr std::string_view prefix = "SCMP_ARCH_";
  if (!name.starts_with(prefix)) return 0;
  std::string lower;
  for (char c : name.substr(prefix.size())) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return seccomp_arch_resolve_name(lower.c_str());
}

void add_architectures(scmp_filter_ctx ctx, const std::vector<std::string>& arches) {
  for (std::size_t i = 0; i < arches.size(); ++i) {
    std::string field = fmt::format("{}.architectures[{}]", kField, i);
    std::uint32_t token = resolve_arch(arches[i]);
    if (token == 0) {
      throw Error(fmt::format("{}: unknown architecture {} (libseccomp {}.{}.{} does not know it)",
                              field, arches[i], seccomp_version()->major, seccomp_version()->minor,
                              seccomp_version()->micro));
    }
    int rc = seccomp_arch_add(ctx, token);
    // The native architecture is in every new filter already.
    if (rc < 0 && rc != -EEXIST) {
      throw SysError("seccomp_arch_add", fmt::format("{} ({})", field, arches[i]), -rc);
    }
  }
}

void set_attr(scmp_filter_ctx ctx, scmp_filter_attr attr, std::uint32_t value,
              const std::string& what) {
  int rc = seccomp_attr_set(ctx, attr, value);
  if (rc < 0) throw SysError("seccomp_attr_set", what, -rc);
}

void apply_flags(scmp_filter_ctx ctx, const std::vector<std::string>& flags) {
  for (std::size_t i = 0; i < flags.size(); ++i) {
    std::string field = fmt::format("{}.flags[{}]", kField, i);
    const std::string& flag = flags[i];
    if (flag == "SECCOMP_FILTER_FLAG_LOG") {
      set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, fmt::format("{} ({})", field, flag));
    } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, fmt::format("{} ({})", field, flag));
    } else if (flag == "SECCOMP_FILTER_FLAG_TSYNC") {
      set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, fmt::format("{} ({})", field, flag));
    } else if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
      // Not settable through libseccomp 2.5.4; it only affects NOTIFY, refused elsewhere.
    } else {
      throw Error(fmt::format("{}: unknown seccomp flag {}", field, flag));
    }
  }
}

// Each inner vector becomes one libseccomp rule; all its comparisons must match.
std::vector<std::vector<scmp_arg_cmp>> comparisons(const oci::SeccompRule& rule,
                                                   std::size_t rule_index) {
  std::vector<scmp_arg_cmp> all;
  std::set<unsigned> indexes;
  bool repeated = false;
  for (std::size_t j = 0; j < rule.args.size(); ++j) {
    const oci::SeccompArg& arg = rule.args[j];
    if (arg.index >= kMaxArgs) {
      throw Error(fmt::format("{}.syscalls[{}].args[{}].index: {} is out of range (0..{})", kField,
                              rule_index, j, arg.index, kMaxArgs - 1));
    }
    repeated |= !indexes.insert(arg.index).second;
    // For SCMP_CMP_MASKED_EQ datum_a is the mask and datum_b the value, matching OCI's
    // value/valueTwo; the other operators ignore datum_b.
    all.push_back(scmp_arg_cmp{arg.index, to_scmp_op(arg.op), arg.value, arg.value_two});
  }
  if (!repeated) return {all};
  std::vector<std::vector<scmp_arg_cmp>> split;
  for (const scmp_arg_cmp& cmp : all) split.push_back({cmp});
  return split;
}

void add_rule(scmp_filter_ctx ctx, const oci::SeccompRule& rule, std::size_t i,
              std::uint32_t default_action, std::vector<std::string>& skipped) {
  std::string field = fmt::format("{}.syscalls[{}]", kField, i);
  std::uint32_t action =
      to_scmp_action(rule.action, rule.errno_ret, field + ".action", field + ".errnoRet");
  // libseccomp rejects such a rule (EACCES), and it would change nothing anyway.
  if (action == default_action) return;
  auto rules = comparisons(rule, i);
  for (const std::string& name : rule.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      skipped.push_back(name);
      continue;
    }
    for (const auto& cmps : rules) {
      int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()),
                                      cmps.empty() ? nullptr : cmps.data());
      if (rc < 0) {
        throw SysError("seccomp_rule_add",
                       fmt::format("{} ({} -> {})", field, name, action_name(rule.action)), -rc);
      }
    }
  }
}

// The highest syscall number the profile names for each architecture of the filter, for
// the ENOSYS rule (see the header). x32 shares x86_64's audit arch and is left alone, as are
// architectures the profile names no syscall of.
std::vector<std::pair<std::uint32_t, std::uint32_t>> newest_listed(scmp_filter_ctx ctx,
                                                                   const oci::Seccomp& profile) {
  std::vector<std::uint32_t> arches = {seccomp_arch_native()};
  for (const std::string& name : profile.architectures) {
    std::uint32_t token = resolve_arch(name);
    if (token != 0 && std::find(arches.begin(), arches.end(), token) == arches.end()) {
      arches.push_back(token);
    }
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (std::uint32_t arch : arches) {
    if (arch == SCMP_ARCH_X32 || seccomp_arch_exist(ctx, arch) != 0) continue;
    int newest = -1;
    for (const oci::SeccompRule& rule : profile.syscalls) {
      for (const std::string& name : rule.names) {
        // Negative: unknown, or a pseudo-syscall (multiplexed socketcall/ipc on some arches).
        newest = std::max(newest, seccomp_syscall_resolve_name_arch(arch, name.c_str()));
      }
    }
    if (newest >= 0) out.emplace_back(arch, static_cast<std::uint32_t>(newest));
  }
  return out;
}

sock_filter insn(std::uint16_t code, std::uint32_t k, std::uint8_t jt = 0, std::uint8_t jf = 0) {
  return sock_filter{code, jt, jf, k};
}

// BPF that runs before libseccomp's program: on an architecture in `newest`, a syscall
// number above the newest one the profile names returns ENOSYS; everything else falls
// through to the program that follows.
std::vector<sock_filter> enosys_stub(
    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& newest) {
  constexpr std::uint32_t kX32Bit = 0x40000000;
  constexpr std::uint16_t kLoad = BPF_LD | BPF_W | BPF_ABS;
  std::vector<sock_filter> stub = {insn(kLoad, offsetof(seccomp_data, arch))};
  std::vector<std::size_t> jumps_to_end;
  for (const auto& [arch, max_nr] : newest) {
    const bool x86_64 = arch == SCMP_ARCH_X86_64;
    const std::uint8_t rest = x86_64 ? 5 : 4;  // instructions after the jeq
    stub.push_back(insn(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, rest));
    stub.push_back(insn(kLoad, offsetof(seccomp_data, nr)));
    // x32 syscalls on x86_64 carry bit 30: the program decides about those.
    if (x86_64) stub.push_back(insn(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 2, 0));
    stub.push_back(insn(BPF_JMP | BPF_JGT | BPF_K, max_nr, 0, 1));
    stub.push_back(insn(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
    jumps_to_end.push_back(stub.size());
    stub.push_back(insn(BPF_JMP | BPF_JA, 0));
  }
  for (std::size_t at : jumps_to_end) stub[at].k = static_cast<std::uint32_t>(stub.size() - at - 1);
  return stub;
}

bool default_needs_enosys_rule(const oci::Seccomp& profile) {
  switch (profile.default_action) {
    case SeccompAction::Allow:
    case SeccompAction::Log:
      return false;
    case SeccompAction::Errno:
      return profile.default_errno_ret.value_or(EPERM) != ENOSYS;
    default:
      return true;
  }
}

}  // namespace

SeccompFilter SeccompFilter::compile(const oci::Seccomp& profile) {
  std::uint32_t default_action = to_scmp_action(profile.default_action, profile.default_errno_ret,
                                                fmt::format("{}.defaultAction", kField),
                                                fmt::format("{}.defaultErrnoRet", kField));
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == nullptr) {
    throw Error(fmt::format("seccomp_init({}) failed", action_name(profile.default_action)));
  }
  SeccompFilter filter(ctx);
  // NNP only when the spec asks for it (set_no_new_privs); see the header.
  set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "SCMP_FLTATR_CTL_NNP");
  // Real errnos from seccomp_load instead of libseccomp's blanket ECANCELED.
  set_attr(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "SCMP_FLTATR_API_SYSRAWRC");
  add_architectures(ctx, profile.architectures);
  apply_flags(ctx, profile.flags);
  for (std::size_t i = 0; i < profile.syscalls.size(); ++i) {
    add_rule(ctx, profile.syscalls[i], i, default_action, filter.skipped_);
  }
  if (default_needs_enosys_rule(profile)) filter.newest_listed_ = newest_listed(ctx, profile);
  return filter;
}

SeccompFilter::SeccompFilter(SeccompFilter&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)),
      skipped_(std::move(other.skipped_)),
      newest_listed_(std::move(other.newest_listed_)),
      program_(std::move(other.program_)),
      load_flags_(other.load_flags_) {}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) seccomp_release(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    skipped_ = std::move(other.skipped_);
    newest_listed_ = std::move(other.newest_listed_);
    program_ = std::move(other.program_);
    load_flags_ = other.load_flags_;
  }
  return *this;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr) seccomp_release(ctx_);
}

SeccompFilter SeccompFilter::from_program(std::string program, unsigned load_flags) {
  check_program_size(program.size(), "a cached seccomp program");
  SeccompFilter filter(nullptr);
  filter.program_ = std::move(program);
  filter.load_flags_ = load_flags;
  return filter;
}

std::string SeccompFilter::generator_identity() {
  const scmp_version* v = seccomp_version();
  return fmt::format("libseccomp {}.{}.{} api {}", v->major, v->minor, v->micro, seccomp_api_get());
}

void* SeccompFilter::context() const {
  if (ctx_ == nullptr) {
    throw Error("seccomp filter has no libseccomp context (moved from, or made from a program)");
  }
  return ctx_;
}

void SeccompFilter::check_program_size(std::size_t bytes, const char* what) {
  if (bytes == 0 || bytes % sizeof(sock_filter) != 0 ||
      bytes / sizeof(sock_filter) > BPF_MAXINSNS) {
    throw Error(fmt::format("{}: a program of {} bytes cannot be loaded", what, bytes));
  }
}

namespace {

// libseccomp exports to a file descriptor: a memfd, read back whole.
std::string export_to_memory(int (*exporter)(const scmp_filter_ctx, int), void* ctx,
                             const char* what) {
  UniqueFd fd(::memfd_create(what, MFD_CLOEXEC));
  if (!fd) throw_errno("memfd_create", what);
  int rc = exporter(ctx, fd.get());
  if (rc < 0) throw SysError(what, "", -rc);
  if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw_errno("lseek", what);
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) throw_errno("read", what);
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

[[noreturn]] void throw_load_error(const char* call, int err) {
  if (err == EACCES && SeccompFilter::load_needs_cap_sys_admin()) {
    throw SysError(call,
                   "(no_new_privs is off, so loading needs CAP_SYS_ADMIN: load the filter "
                   "before dropping capabilities)",
                   err);
  }
  throw SysError(call, "", err);
}

}  // namespace

void SeccompFilter::prepare() {
  std::string program = export_to_memory(seccomp_export_bpf, context(), "seccomp_export_bpf");
  if (!newest_listed_.empty()) {
    std::vector<sock_filter> stub = enosys_stub(newest_listed_);
    program.insert(0, reinterpret_cast<const char*>(stub.data()), stub.size() * sizeof stub[0]);
  }
  check_program_size(program.size(), "seccomp_export_bpf");
  unsigned flags = 0;
  auto attr = [&](scmp_filter_attr a) {
    std::uint32_t v = 0;
    return seccomp_attr_get(context(), a, &v) == 0 && v != 0;
  };
  if (attr(SCMP_FLTATR_CTL_TSYNC)) flags |= SECCOMP_FILTER_FLAG_TSYNC;
  if (attr(SCMP_FLTATR_CTL_LOG)) flags |= SECCOMP_FILTER_FLAG_LOG;
  if (attr(SCMP_FLTATR_CTL_SSB)) flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  program_ = std::move(program);
  load_flags_ = flags;
}

void SeccompFilter::load() {
  // Always our own program: libseccomp's seccomp_load would lack the ENOSYS stub.
  if (program_.empty()) prepare();
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program_.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(program_.data());
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, load_flags_, &prog);
  if (rc == 0) return;
  // TSYNC reports a thread it could not sync as a positive thread id.
  throw_load_error("seccomp(SECCOMP_SET_MODE_FILTER)", rc > 0 ? ESRCH : errno);
}

bool SeccompFilter::load_needs_cap_sys_admin() {
  return !no_new_privs_set();
}

std::string SeccompFilter::pfc() const {
  return export_to_memory(seccomp_export_pfc, context(), "seccomp_export_pfc");
}

}  // namespace skiff::runtime::security
