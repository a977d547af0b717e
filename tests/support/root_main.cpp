// main() for tests that need root: a visible skip (exit 77) on a developer's machine,
// a failure in CI, where every root test must really run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool listing_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--gtest_list_tests") == 0) return true;
  }
  return false;
}

bool root_required() {
  const char* require = std::getenv("SKIFF_REQUIRE_ROOT");
  const char* ci = std::getenv("CI");
  return (require && std::strcmp(require, "1") == 0) || (ci && *ci && std::strcmp(ci, "0") != 0);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!listing_only(argc, argv) && ::geteuid() != 0) {
    if (root_required()) {
      std::fprintf(stderr, "FAIL: these tests need root, and CI requires every one to run\n");
      return 1;
    }
    std::fprintf(stderr, "SKIP: these tests need root (run as root, or set CI=1 to fail)\n");
    return 77;
  }
  return RUN_ALL_TESTS();
}
