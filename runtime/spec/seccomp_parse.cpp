// `linux.seccomp`. Names stay strings (the loader resolves syscalls and architectures with
// libseccomp), but every name is checked against the spec's fixed lists here, so a typo
// fails at create time with the field named, not as a filter that silently differs.
#include <array>
#include <cstddef>

#include "runtime/spec/json_fields.h"
#include "runtime/spec/parse_parts.h"

namespace skiff::oci::detail {

namespace {

struct ActionName {
  std::string_view name;
  SeccompAction action;
};

constexpr std::array<ActionName, 9> kActions{{
    {"SCMP_ACT_KILL", SeccompAction::KillThread},  // libseccomp's old name for KILL_THREAD
    {"SCMP_ACT_KILL_THREAD", SeccompAction::KillThread},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::KillProcess},
    {"SCMP_ACT_TRAP", SeccompAction::Trap},
    {"SCMP_ACT_ERRNO", SeccompAction::Errno},
    {"SCMP_ACT_TRACE", SeccompAction::Trace},
    {"SCMP_ACT_ALLOW", SeccompAction::Allow},
    {"SCMP_ACT_LOG", SeccompAction::Log},
    {"SCMP_ACT_NOTIFY", SeccompAction::Notify},
}};

struct OpName {
  std::string_view name;
  SeccompOp op;
};

constexpr std::array<OpName, 7> kOps{{
    {"SCMP_CMP_NE", SeccompOp::NotEqual},
    {"SCMP_CMP_LT", SeccompOp::LessThan},
    {"SCMP_CMP_LE", SeccompOp::LessEqual},
    {"SCMP_CMP_EQ", SeccompOp::Equal},
    {"SCMP_CMP_GE", SeccompOp::GreaterEqual},
    {"SCMP_CMP_GT", SeccompOp::GreaterThan},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::MaskedEqual},
}};

// The spec's list (libseccomp 2.5) plus the architectures libseccomp 2.5.4+ added.
constexpr std::array<std::string_view, 23> kArchitectures{
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB"};

constexpr std::array<std::string_view, 4> kFlags{
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};

SeccompAction parse_action(const json& j, const std::string& where) {
  std::string name = string_at(j, where);
  for (const auto& a : kActions) {
    if (a.name == name) return a.action;
  }
  fail(where, "unknown seccomp action " + in_quotes(name));
}

template <std::size_t N>
std::vector<std::string> parse_names_in(const json& j, const std::string& where,
                                        const std::array<std::string_view, N>& known,
                                        const char* what) {
  std::vector<std::string> names = strings_at(j, where);
  for (std::size_t i = 0; i < names.size(); ++i) {
    bool found = false;
    for (std::string_view k : known) found = found || k == names[i];
    if (!found)
      fail(index_path(where, i),
           std::string("unknown seccomp ") + what + " " + in_quotes(names[i]));
  }
  return names;
}

// errnoRet only means something for actions that return an errno; the spec says to fail.
std::optional<std::uint32_t> parse_errno_ret(const json* j, const std::string& where,
                                             SeccompAction action) {
  if (j == nullptr) return std::nullopt;
  std::uint32_t value = uint32_at(*j, where);
  if (action != SeccompAction::Errno && action != SeccompAction::Trace) {
    fail(where, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno return");
  }
  return value;
}

SeccompArg parse_arg(const json& j, const std::string& where) {
  expect_object(j, where);
  SeccompArg arg;
  arg.index = static_cast<unsigned>(uint_at(required(j, where, "index"), where + ".index", 5));
  arg.value = uint_at(required(j, where, "value"), where + ".value");
  if (const json* v = member(j, "valueTwo")) arg.value_two = uint_at(*v, where + ".valueTwo");
  std::string op = string_at(required(j, where, "op"), where + ".op");
  bool found = false;
  for (const auto& o : kOps) {
    if (o.name == op) {
      arg.op = o.op;
      found = true;
    }
  }
  if (!found) fail(where + ".op", "unknown seccomp operator " + in_quotes(op));
  return arg;
}

SeccompRule parse_rule(const json& j, const std::string& where) {
  expect_object(j, where);
  SeccompRule rule;
  const json* names = member(j, "names");
  if (names == nullptr || !names->is_array() || names->empty()) {
    fail(where + ".names", "must be a non-empty array of strings");
  }
  rule.names = strings_at(*names, where + ".names");
  for (std::size_t i = 0; i < rule.names.size(); ++i) {
    if (rule.names[i].empty()) fail(index_path(where + ".names", i), "must not be empty");
  }
  rule.action = parse_action(required(j, where, "action"), where + ".action");
  rule.errno_ret = parse_errno_ret(member(j, "errnoRet"), where + ".errnoRet", rule.action);
  if (const json* v = member(j, "args")) {
    expect_array(*v, where + ".args");
    for (std::size_t i = 0; i < v->size(); ++i) {
      rule.args.push_back(parse_arg((*v)[i], index_path(where + ".args", i)));
    }
  }
  return rule;
}

}  // namespace

Seccomp parse_seccomp(const json& j, const std::string& where) {
  expect_object(j, where);
  Seccomp s;
  s.default_action = parse_action(required(j, where, "defaultAction"), where + ".defaultAction");
  s.default_errno_ret =
      parse_errno_ret(member(j, "defaultErrnoRet"), where + ".defaultErrnoRet", s.default_action);
  if (const json* v = member(j, "architectures")) {
    s.architectures = parse_names_in(*v, where + ".architectures", kArchitectures, "architecture");
  }
  if (const json* v = member(j, "flags")) {
    s.flags = parse_names_in(*v, where + ".flags", kFlags, "flag");
  }
  if (const json* v = member(j, "listenerPath")) {
    s.listener_path = string_at(*v, where + ".listenerPath");
  }
  if (const json* v = member(j, "listenerMetadata")) {
    s.listener_metadata = string_at(*v, where + ".listenerMetadata");
    if (s.listener_path.empty()) fail(where + ".listenerMetadata", "requires listenerPath");
  }
  bool notify = s.default_action == SeccompAction::Notify;
  if (const json* v = member(j, "syscalls")) {
    expect_array(*v, where + ".syscalls");
    for (std::size_t i = 0; i < v->size(); ++i) {
      s.syscalls.push_back(parse_rule((*v)[i], index_path(where + ".syscalls", i)));
      notify = notify || s.syscalls.back().action == SeccompAction::Notify;
    }
  }
  // Without a listener nobody would ever answer: the notified syscalls would hang.
  if (notify && s.listener_path.empty()) {
    fail(where + ".listenerPath", "is required when SCMP_ACT_NOTIFY is used");
  }
  return s;
}

}  // namespace skiff::oci::detail
