// A config.json generated from an image config (image/bundle) really runs under
// skiff-runtime, with the default seccomp profile loaded and biting.
#include <gtest/gtest.h>
#include <unistd.h>

#include "image/bundle/bundle.h"
#include "runtime_harness.h"

namespace skiff::testing {
namespace {

using nlohmann::json;

TEST(GeneratedBundle, RunsWithTheDefaultSeccompProfileEnforced) {
  Runtime rt;
  Bundle b({});
  json image = {{"Cmd",
                 {"/bin/sh", "-c",
                  "grep -E '^(Seccomp|NoNewPrivs|CapEff)' /proc/self/status; "
                  "unshare -U true 2>/dev/null && echo unshare-allowed || echo unshare-denied; "
                  "echo user=$(id -u)"}},
                {"Env", {"PATH=/usr/bin:/bin"}},
                {"User", "skiff"}};
  image::BundleOverrides overrides;
  json config = image::make_runtime_config(image, overrides, b.rootfs());
  config["root"]["path"] = b.rootfs().string();  // the harness shares one rootfs
  b.config() = config;
  b.save();
  const std::string id = "genbundle-" + std::to_string(::getpid());
  auto r = rt({"run", "--bundle", b.dir().string(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
  // An unprivileged user namespace needs no capability: only the profile can refuse it.
  EXPECT_NE(r.out.find("unshare-denied"), std::string::npos)
      << "profile let unshare through: " << r.out;
  EXPECT_NE(r.out.find("user=1000"), std::string::npos) << r.out;
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());

  // Control: the same container without the profile may create one.
  b.config()["linux"].erase("seccomp");
  b.save();
  auto control = rt({"run", "--bundle", b.dir().string(), id + "-control"});
  ASSERT_EQ(control.exit_code, 0) << control.err;
  EXPECT_NE(control.out.find("unshare-allowed"), std::string::npos) << control.out;
}

}  // namespace
}  // namespace skiff::testing
