#include <gtest/gtest.h>

#include "runtime/spec/spec.h"
#include "spec_test_util.h"

namespace skiff::oci {
namespace {

using nlohmann::json;

json with_seccomp(const json& seccomp) {
  json config = default_spec();
  config["linux"]["seccomp"] = seccomp;
  return config;
}

TEST(Seccomp, KeepsNamesArgsAndErrnos) {
  json seccomp = {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", 1},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_RISCV64"}},
      {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}},
      {"syscalls",
       {{{"names", {"read", "write", "not_a_syscall_yet"}}, {"action", "SCMP_ACT_ALLOW"}},
        {{"names", {"personality"}},
         {"action", "SCMP_ACT_ALLOW"},
         {"args",
          {{{"index", 0}, {"value", 0xffffffffULL}, {"op", "SCMP_CMP_EQ"}},
           {{"index", 5}, {"value", 7}, {"valueTwo", 3}, {"op", "SCMP_CMP_MASKED_EQ"}}}}},
        {{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}},
        {{"names", {"ptrace"}}, {"action", "SCMP_ACT_KILL"}},
        {{"names", {"kexec_load"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}}},
  };
  Spec spec = parse_spec(with_seccomp(seccomp));
  ASSERT_TRUE(spec.linux_config.seccomp.has_value());
  const Seccomp& s = *spec.linux_config.seccomp;
  EXPECT_EQ(s.default_action, SeccompAction::Errno);
  EXPECT_EQ(s.default_errno_ret, 1u);
  EXPECT_EQ(s.architectures.size(), 3u);
  EXPECT_EQ(s.flags[1], "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
  ASSERT_EQ(s.syscalls.size(), 5u);
  // Unknown syscall names are the loader's business (skipped, as runc does).
  EXPECT_EQ(s.syscalls[0].names, (std::vector<std::string>{"read", "write", "not_a_syscall_yet"}));
  EXPECT_FALSE(s.syscalls[0].errno_ret.has_value());
  ASSERT_EQ(s.syscalls[1].args.size(), 2u);
  EXPECT_EQ(s.syscalls[1].args[0].index, 0u);
  EXPECT_EQ(s.syscalls[1].args[0].value, 0xffffffffULL);
  EXPECT_EQ(s.syscalls[1].args[0].op, SeccompOp::Equal);
  EXPECT_EQ(s.syscalls[1].args[1].index, 5u);
  EXPECT_EQ(s.syscalls[1].args[1].value_two, 3u);
  EXPECT_EQ(s.syscalls[1].args[1].op, SeccompOp::MaskedEqual);
  EXPECT_EQ(s.syscalls[2].errno_ret, 38u);
  EXPECT_EQ(s.syscalls[3].action, SeccompAction::KillThread);  // SCMP_ACT_KILL
  EXPECT_EQ(s.syscalls[4].action, SeccompAction::KillProcess);
}

TEST(Seccomp, EveryActionAndOperator) {
  const std::pair<const char*, SeccompAction> actions[] = {
      {"SCMP_ACT_KILL", SeccompAction::KillThread},
      {"SCMP_ACT_KILL_THREAD", SeccompAction::KillThread},
      {"SCMP_ACT_KILL_PROCESS", SeccompAction::KillProcess},
      {"SCMP_ACT_TRAP", SeccompAction::Trap},
      {"SCMP_ACT_ERRNO", SeccompAction::Errno},
      {"SCMP_ACT_TRACE", SeccompAction::Trace},
      {"SCMP_ACT_ALLOW", SeccompAction::Allow},
      {"SCMP_ACT_LOG", SeccompAction::Log},
  };
  for (const auto& [name, action] : actions) {
    SCOPED_TRACE(name);
    Spec spec = parse_spec(with_seccomp({{"defaultAction", name}}));
    EXPECT_EQ(spec.linux_config.seccomp->default_action, action);
  }
  const std::pair<const char*, SeccompOp> ops[] = {
      {"SCMP_CMP_NE", SeccompOp::NotEqual},           {"SCMP_CMP_LT", SeccompOp::LessThan},
      {"SCMP_CMP_LE", SeccompOp::LessEqual},          {"SCMP_CMP_EQ", SeccompOp::Equal},
      {"SCMP_CMP_GE", SeccompOp::GreaterEqual},       {"SCMP_CMP_GT", SeccompOp::GreaterThan},
      {"SCMP_CMP_MASKED_EQ", SeccompOp::MaskedEqual},
  };
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    json rule = {{"names", {"read"}},
                 {"action", "SCMP_ACT_ALLOW"},
                 {"args", {{{"index", 1}, {"value", 2}, {"op", name}}}}};
    Spec spec =
        parse_spec(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {rule}}}));
    EXPECT_EQ(spec.linux_config.seccomp->syscalls[0].args[0].op, op);
  }
}

TEST(Seccomp, Notify) {
  json rule = {{"names", {"mknod"}}, {"action", "SCMP_ACT_NOTIFY"}};
  json seccomp = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {rule}}};
  EXPECT_EQ(test::spec_error(with_seccomp(seccomp)),
            "linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used");
  seccomp["listenerPath"] = "/run/seccomp-agent.sock";
  seccomp["listenerMetadata"] = "MKNOD=/dev/null";
  Spec spec = parse_spec(with_seccomp(seccomp));
  EXPECT_EQ(spec.linux_config.seccomp->syscalls[0].action, SeccompAction::Notify);
  EXPECT_EQ(spec.linux_config.seccomp->listener_path, "/run/seccomp-agent.sock");
  EXPECT_EQ(spec.linux_config.seccomp->listener_metadata, "MKNOD=/dev/null");
}

TEST(Seccomp, Errors) {
  using test::spec_error;
  EXPECT_EQ(spec_error(with_seccomp({{"syscalls", json::array()}})),
            "linux.seccomp.defaultAction: is required");
  EXPECT_EQ(spec_error(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"},
                                     {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"}}})),
            "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_VAX\"");
  EXPECT_EQ(spec_error(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"},
                                     {"flags", {"SECCOMP_FILTER_FLAG_NEW_LISTENER"}}})),
            "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
  EXPECT_EQ(spec_error(with_seccomp(
                {{"defaultAction", "SCMP_ACT_ALLOW"},
                 {"syscalls", {{{"names", json::array()}, {"action", "SCMP_ACT_ERRNO"}}}}})),
            "linux.seccomp.syscalls[0].names: must be a non-empty array of strings");
  EXPECT_EQ(
      spec_error(with_seccomp(
          {{"defaultAction", "SCMP_ACT_ALLOW"},
           {"syscalls", {{{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"errnoRet", 1}}}}})),
      "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an "
      "errno return");
  json bad_arg = {{"names", {"read"}},
                  {"action", "SCMP_ACT_ALLOW"},
                  {"args", {{{"index", 6}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}};
  EXPECT_EQ(
      spec_error(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {bad_arg}}})),
      "linux.seccomp.syscalls[0].args[0].index: must be at most 5, got 6");
  bad_arg["args"][0] = {{"index", 0}, {"value", 0}, {"op", "SCMP_CMP_APPROX"}};
  EXPECT_EQ(
      spec_error(with_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {bad_arg}}})),
      "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_APPROX\"");
}

}  // namespace
}  // namespace skiff::oci
