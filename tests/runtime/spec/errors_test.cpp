// Every rejected config names the field, with the exact message users will see.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>

#include "common/error.h"
#include "runtime/spec/spec.h"
#include "spec_test_util.h"

namespace skiff::oci {
namespace {

using nlohmann::json;
using test::spec_error;

json minimal() {
  return {{"ociVersion", "1.1.0"}, {"root", {{"path", "rootfs"}}}};
}

TEST(SpecErrors, MinimalConfigParses) {
  EXPECT_EQ(spec_error(minimal()), "parsed");
  Spec spec = parse_spec(minimal());
  EXPECT_FALSE(spec.process.has_value());
  EXPECT_TRUE(spec.linux_config.namespaces.empty());
}

TEST(SpecErrors, MalformedJsonNamesTheByte) {
  test::TempDir bundle;
  bundle.write("config.json", "{\"ociVersion\": \"1.1.0\",\n \"root\": }");
  try {
    load_spec(bundle.path());
    FAIL() << "malformed JSON was accepted";
  } catch (const SpecError& e) {
    EXPECT_STREQ(e.what(),
                 "config.json: malformed JSON at byte 34: parse error at line 2, column 10: "
                 "syntax error while parsing value - unexpected '}'; expected '[', '{', or a "
                 "literal");
  }
}

// Found by tests/fuzz (corpus/oci_config/regress-number-overflow): a number too large for
// a double is nlohmann's out_of_range, which must still come out as a SpecError.
TEST(SpecErrors, NumberOverflowIsMalformedJson) {
  test::TempDir bundle;
  bundle.write("config.json", R"({"ociVersion": "1.1.0", "x": -5E44444444})");
  try {
    load_spec(bundle.path());
    FAIL() << "an out-of-range number was accepted";
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("config.json: malformed JSON: ", 0), 0u) << e.what();
  }
}

TEST(SpecErrors, LoadSpecPrefixesFieldErrors) {
  test::TempDir bundle;
  json config = default_spec();
  config["process"]["args"] = json::array();
  bundle.write("config.json", config.dump());
  try {
    load_spec(bundle.path());
    FAIL() << "empty args were accepted";
  } catch (const SpecError& e) {
    EXPECT_STREQ(e.what(), "config.json: process.args: must be a non-empty array of strings");
  }
}

TEST(SpecErrors, MissingConfigIsASysErrorNamingThePath) {
  test::TempDir bundle;
  try {
    load_spec(bundle.path());
    FAIL() << "a missing config.json was accepted";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(e.path(), (bundle.path() / "config.json").string());
  }
}

TEST(SpecErrors, Version) {
  json c = minimal();
  c.erase("ociVersion");
  EXPECT_EQ(spec_error(c), "ociVersion: is required");
  c["ociVersion"] = 1.1;
  EXPECT_EQ(spec_error(c), "ociVersion: expected a string, got a fractional number");
  c["ociVersion"] = "2.0.0";
  EXPECT_EQ(spec_error(c), "ociVersion: unsupported version \"2.0.0\" (skiff implements 1.x)");
  EXPECT_EQ(spec_error(json::array()), "expected an object, got array");
}

TEST(SpecErrors, Root) {
  json c = minimal();
  c["root"].erase("path");
  EXPECT_EQ(spec_error(c), "root.path: is required");
  c.erase("root");
  EXPECT_EQ(spec_error(c), "root: is required");
  c = minimal();
  c["root"]["readonly"] = "yes";
  EXPECT_EQ(spec_error(c), "root.readonly: expected a boolean, got string");
}

TEST(SpecErrors, ProcessArgsAndCwd) {
  json c = default_spec();
  c["process"].erase("args");
  EXPECT_EQ(spec_error(c), "process.args: must be a non-empty array of strings");
  c["process"]["args"] = {"sh", 1};
  EXPECT_EQ(spec_error(c), "process.args[1]: expected a string, got number");
  c = default_spec();
  c["process"]["cwd"] = "work";
  EXPECT_EQ(spec_error(c), "process.cwd: must be an absolute path, got \"work\"");
  c["process"].erase("cwd");
  EXPECT_EQ(spec_error(c), "process.cwd: is required");
  c = default_spec();
  c["process"]["env"][1] = "TERM";
  EXPECT_EQ(spec_error(c), "process.env[1]: must be NAME=VALUE, got \"TERM\"");
}

TEST(SpecErrors, UnknownCapabilityNamesTheIndex) {
  json c = default_spec();
  c["process"]["capabilities"]["bounding"][2] = "CAP_FOO";
  EXPECT_EQ(spec_error(c), "process.capabilities.bounding[2]: unknown capability \"CAP_FOO\"");
  c = default_spec();
  c["process"]["capabilities"]["ambient"] = {"CAP_KILL", "12"};  // libcap would take "12"
  EXPECT_EQ(spec_error(c), "process.capabilities.ambient[1]: unknown capability \"12\"");
}

TEST(SpecErrors, Rlimits) {
  json c = default_spec();
  c["process"]["rlimits"][0]["type"] = "RLIMIT_FOO";
  EXPECT_EQ(spec_error(c), "process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"");
  c = default_spec();
  c["process"]["rlimits"].push_back(c["process"]["rlimits"][0]);
  EXPECT_EQ(spec_error(c), "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
  c = default_spec();
  c["process"]["rlimits"][0]["soft"] = 4096;
  EXPECT_EQ(spec_error(c), "process.rlimits[0]: soft limit 4096 is above hard limit 1024");
  c = default_spec();
  c["process"]["rlimits"][0].erase("hard");
  EXPECT_EQ(spec_error(c), "process.rlimits[0].hard: is required");
}

TEST(SpecErrors, OomScoreAdjRange) {
  json c = default_spec();
  c["process"]["oomScoreAdj"] = 1001;
  EXPECT_EQ(spec_error(c), "process.oomScoreAdj: must be -1000..1000, got 1001");
  c["process"]["oomScoreAdj"] = -1001;
  EXPECT_EQ(spec_error(c), "process.oomScoreAdj: must be -1000..1000, got -1001");
  c["process"]["oomScoreAdj"] = -1000;
  EXPECT_EQ(parse_spec(c).process->oom_score_adj, -1000);
}

TEST(SpecErrors, UnknownNamespaceType) {
  json c = default_spec();
  c["linux"]["namespaces"][1]["type"] = "foo";
  EXPECT_EQ(spec_error(c), "linux.namespaces[1].type: unknown namespace type \"foo\"");
}

TEST(SpecErrors, DuplicateNamespace) {
  json c = default_spec();
  c["linux"]["namespaces"].push_back({{"type", "pid"}, {"path", "/proc/1/ns/pid"}});
  EXPECT_EQ(spec_error(c), "linux.namespaces[6].type: duplicate namespace \"pid\"");
}

TEST(SpecErrors, RelativeNamespacePath) {
  json c = default_spec();
  c["linux"]["namespaces"][1]["path"] = "run/netns/a";
  EXPECT_EQ(spec_error(c),
            "linux.namespaces[1].path: must be an absolute path, got \"run/netns/a\"");
  // Existence is the runtime's check, not the parser's.
  c["linux"]["namespaces"][1]["path"] = "/run/netns/does-not-exist";
  EXPECT_EQ(spec_error(c), "parsed");
}

TEST(SpecErrors, RelativeMountDestination) {
  json c = default_spec();
  c["mounts"][3]["destination"] = "tmp";
  EXPECT_EQ(spec_error(c), "mounts[3].destination: must be an absolute path, got \"tmp\"");
  c["mounts"][3].erase("destination");
  EXPECT_EQ(spec_error(c), "mounts[3].destination: is required");
}

TEST(SpecErrors, RelativeHookPath) {
  json c = default_spec();
  c["hooks"]["prestart"] = {{{"path", "hook.sh"}}};
  EXPECT_EQ(spec_error(c), "hooks.prestart[0].path: must be an absolute path, got \"hook.sh\"");
  c["hooks"]["prestart"] = json::array();
  c["hooks"]["poststop"] = {{{"path", "/bin/true"}, {"timeout", 0}}};
  EXPECT_EQ(spec_error(c), "hooks.poststop[0].timeout: must be 1..2147483647, got 0");
}

TEST(SpecErrors, BadSeccompAction) {
  json c = default_spec();
  json syscalls = json::array();
  for (const char* name : {"read", "write", "open", "close"}) {
    syscalls.push_back({{"names", {name}}, {"action", "SCMP_ACT_ALLOW"}});
  }
  syscalls.push_back({{"names", {"ptrace"}}, {"action", "SCMP_ACT_BOGUS"}});
  c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", syscalls}};
  EXPECT_EQ(spec_error(c),
            "linux.seccomp.syscalls[4].action: unknown seccomp action \"SCMP_ACT_BOGUS\"");
  c["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_NOPE";
  EXPECT_EQ(spec_error(c), "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\"");
}

TEST(SpecErrors, LinuxFields) {
  json c = default_spec();
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  EXPECT_EQ(spec_error(c), "linux.uidMappings: requires a user namespace in linux.namespaces");
  c["linux"]["namespaces"].push_back({{"type", "user"}});
  EXPECT_EQ(spec_error(c), "parsed");
  c["linux"]["uidMappings"][0]["hostID"] = -1;
  EXPECT_EQ(spec_error(c), "linux.uidMappings[0].hostID: must not be negative, got -1");

  c = default_spec();
  c["linux"]["devices"] = {{{"type", "c"}, {"path", "/dev/fuse"}, {"minor", 229}}};
  EXPECT_EQ(spec_error(c), "linux.devices[0].major: is required");
  c["linux"]["devices"] = {{{"type", "x"}, {"path", "/dev/fuse"}}};
  EXPECT_EQ(spec_error(c), "linux.devices[0].type: must be one of c, b, u, p, got \"x\"");
  c["linux"]["devices"] = {{{"type", "p"}, {"path", "dev/fifo"}}};
  EXPECT_EQ(spec_error(c), "linux.devices[0].path: must be an absolute path, got \"dev/fifo\"");

  c = default_spec();
  c["linux"]["resources"]["devices"][0]["access"] = "rwx";
  EXPECT_EQ(spec_error(c),
            "linux.resources.devices[0].access: must be a combination of r, w and m, got \"rwx\"");
  c["linux"]["resources"]["devices"][0] = {{"type", "a"}};
  EXPECT_EQ(spec_error(c), "linux.resources.devices[0].allow: is required");

  c = default_spec();
  c["linux"]["rootfsPropagation"] = "sideways";
  EXPECT_EQ(spec_error(c), "linux.rootfsPropagation: unknown propagation \"sideways\"");
  c["linux"]["rootfsPropagation"] = "rslave";
  EXPECT_EQ(parse_spec(c).linux_config.rootfs_propagation,
            static_cast<unsigned long>(MS_SLAVE | MS_REC));

  c = default_spec();
  c["linux"]["maskedPaths"].push_back("proc/kcore");
  EXPECT_EQ(spec_error(c), "linux.maskedPaths[11]: must be an absolute path, got \"proc/kcore\"");
}

// cgroups::from_oci throws skiff::Error; callers of parse_spec catch SpecError.
TEST(SpecErrors, ResourceErrorsAreSpecErrors) {
  json c = default_spec();
  c["linux"]["resources"]["memory"] = {{"limit", "1g"}};
  EXPECT_EQ(spec_error(c), "linux.resources.memory.limit: expected an integer, got string");
}

// Kernels since 6.x have no kmem limit: a warning, and the rest of memory still applies.
TEST(SpecErrors, KernelMemoryIsAWarningNotAnError) {
  json c = default_spec();
  c["linux"]["resources"]["memory"] = {{"limit", 1 << 20}, {"kernel", 1 << 19}};
  Spec spec = parse_spec(c);
  EXPECT_EQ(spec.linux_config.resources.memory_limit, 1 << 20);
  EXPECT_EQ(spec.linux_config.warnings,
            std::vector<std::string>{
                "linux.resources.memory.kernel: kernel memory limits are not supported (ignored)"});
  c["linux"]["resources"]["memory"] = {{"kernelTCP", 1 << 19}};
  EXPECT_EQ(spec_error(c),
            "linux.resources.memory.kernelTCP: kernel memory limits are not supported");
}

TEST(SpecErrors, KnownButUnsupportedFields) {
  json c = default_spec();
  c["linux"]["intelRdt"] = {{"closID", "guaranteed_group"}};
  EXPECT_EQ(spec_error(c), "linux.intelRdt: not supported by skiff");
  c = default_spec();
  c["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 10}}}};
  EXPECT_EQ(spec_error(c), "linux.timeOffsets: not supported by skiff");
  c = default_spec();
  c["linux"]["personality"] = {{"domain", "LINUX32"}};
  EXPECT_EQ(spec_error(c), "linux.personality.domain: \"LINUX32\" is not supported by skiff");
  c["linux"]["personality"] = {{"domain", "LINUX"}};
  EXPECT_EQ(spec_error(c), "parsed");
  c = default_spec();
  c["process"]["scheduler"] = {{"policy", "SCHED_FIFO"}};
  EXPECT_EQ(spec_error(c), "process.scheduler: not supported by skiff");
  // Fields the spec does not know (yet) are left alone.
  c = default_spec();
  c["linux"]["somethingNew"] = {{"x", 1}};
  c["futureTopLevel"] = true;
  EXPECT_EQ(spec_error(c), "parsed");
}

TEST(SpecErrors, HostnameNeedsUtsNamespace) {
  json c = default_spec();
  c["linux"]["namespaces"].erase(3);  // uts
  EXPECT_EQ(spec_error(c), "hostname: requires a uts namespace in linux.namespaces");
  c.erase("hostname");
  EXPECT_EQ(spec_error(c), "parsed");
}

TEST(SpecErrors, Annotations) {
  json c = default_spec();
  c["annotations"] = {{"org.example.key", 3}};
  EXPECT_EQ(spec_error(c), "annotations.org.example.key: expected a string, got number");
}

}  // namespace
}  // namespace skiff::oci
