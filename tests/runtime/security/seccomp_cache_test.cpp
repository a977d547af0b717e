// The runtime's cache of generated seccomp programs: what counts as a hit, that a cached
// program filters like a fresh one, and that damaged or foreign entries are only misses.
// Filters load in fork()ed children that set no_new_privs first, so no root is needed.
#include "runtime/seccomp_cache.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "child.h"
#include "common/file_io.h"
#include "runtime/spec/spec.h"

namespace skiff::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using security::testing::report;
using security::testing::run_in_child;

json config_denying(const std::string& syscall) {
  return {{"ociVersion", "1.0.2"},
          {"root", {{"path", "rootfs"}}},
          {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}}},
          {"linux",
           {{"namespaces", {{{"type", "mount"}}}},
            {"seccomp",
             {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"syscalls",
               {{{"names", {syscall}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EACCES}}}}}}}}};
}

class SeccompCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("skiff-seccomp-cache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    if (fs::exists(dir_)) {
      for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path());
    }
    return out;
  }

  fs::path dir_;
};

// mkdir under `filter`, in a child with no_new_privs: the errno it got.
std::string mkdir_errno_under(security::SeccompFilter& filter, const fs::path& where) {
  auto out = run_in_child([&](int fd) {
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    filter.load();
    report(fd, "errno", ::mkdir(where.c_str(), 0700) == 0 ? "0" : std::to_string(errno));
  });
  EXPECT_TRUE(out.exited_ok()) << out.describe();
  return out.value("errno");
}

TEST_F(SeccompCacheTest, SecondLookupIsAHitThatFiltersTheSame) {
  oci::Spec spec = oci::parse_spec(config_denying("mkdir"));
  SeccompCache cache(dir_);
  auto fresh = cache.filter_for(spec);
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(cache.last_was_hit());
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all, fs::perms::owner_all);

  auto cached = cache.filter_for(spec);
  ASSERT_TRUE(cached);
  EXPECT_TRUE(cache.last_was_hit());
  EXPECT_EQ(cached->program(), fresh->program());
  EXPECT_EQ(cached->load_flags(), fresh->load_flags());
  fs::path probe = dir_ / "made-under-filter";
  EXPECT_EQ(mkdir_errno_under(*cached, probe), std::to_string(EACCES));
  EXPECT_FALSE(fs::exists(probe));
}

TEST_F(SeccompCacheTest, AnotherProfileIsAMissWithItsOwnEntry) {
  SeccompCache cache(dir_);
  auto deny_mkdir = cache.filter_for(oci::parse_spec(config_denying("mkdir")));
  auto deny_rmdir = cache.filter_for(oci::parse_spec(config_denying("rmdir")));
  EXPECT_FALSE(cache.last_was_hit());
  EXPECT_NE(deny_mkdir->program(), deny_rmdir->program());
  EXPECT_EQ(entries().size(), 2u);
  fs::path probe = dir_ / "allowed";
  EXPECT_EQ(mkdir_errno_under(*deny_rmdir, probe), "0");
}

// A truncated entry, garbage, or an entry whose stored key is another profile's (what a
// hash collision would look like) must never be loaded: each is a miss and is replaced.
TEST_F(SeccompCacheTest, DamagedOrForeignEntriesAreMissesAndGetReplaced) {
  oci::Spec mkdir_spec = oci::parse_spec(config_denying("mkdir"));
  oci::Spec rmdir_spec = oci::parse_spec(config_denying("rmdir"));
  SeccompCache cache(dir_);
  auto good = cache.filter_for(mkdir_spec);
  ASSERT_EQ(entries().size(), 1u);
  fs::path entry = entries().front();
  std::string bytes = read_file(entry);

  for (const std::string& damaged : {bytes.substr(0, bytes.size() / 2), std::string("garbage")}) {
    std::ofstream(entry, std::ios::trunc) << damaged;
    auto again = cache.filter_for(mkdir_spec);
    EXPECT_FALSE(cache.last_was_hit());
    EXPECT_EQ(again->program(), good->program());
    EXPECT_EQ(read_file(entry), bytes) << "the damaged entry was not replaced";
  }

  // The rmdir profile's entry, planted under the mkdir profile's name.
  cache.filter_for(rmdir_spec);
  fs::path rmdir_entry;
  for (const auto& e : entries()) {
    if (e != entry) rmdir_entry = e;
  }
  ASSERT_FALSE(rmdir_entry.empty());
  fs::copy_file(rmdir_entry, entry, fs::copy_options::overwrite_existing);
  auto mkdir_again = cache.filter_for(mkdir_spec);
  EXPECT_FALSE(cache.last_was_hit());
  EXPECT_EQ(mkdir_again->program(), good->program());
}

TEST_F(SeccompCacheTest, KeepsAtMostMaxEntries) {
  SeccompCache cache(dir_);
  for (std::size_t i = 0; i < SeccompCache::kMaxEntries + 3; ++i) {
    json config = config_denying("mkdir");
    config["linux"]["seccomp"]["syscalls"][0]["errnoRet"] = 1 + static_cast<int>(i);
    cache.filter_for(oci::parse_spec(config));
  }
  EXPECT_EQ(entries().size(), SeccompCache::kMaxEntries);
}

TEST_F(SeccompCacheTest, NoProfileNoFilterAndNoEntry) {
  json config = config_denying("mkdir");
  config["linux"].erase("seccomp");
  EXPECT_FALSE(SeccompCache(dir_).filter_for(oci::parse_spec(config)));
  EXPECT_TRUE(entries().empty());
}

// A cache it cannot write is no reason to refuse a container.
TEST_F(SeccompCacheTest, AnUnwritableCacheStillGivesAFilter) {
  fs::create_directories(dir_.parent_path());
  std::ofstream(dir_) << "a file where the cache directory should be";
  SeccompCache cache(dir_);
  auto filter = cache.filter_for(oci::parse_spec(config_denying("mkdir")));
  EXPECT_FALSE(filter->program().empty());
  fs::path probe = fs::temp_directory_path() / ("skiff-unwritable-" + std::to_string(::getpid()));
  EXPECT_EQ(mkdir_errno_under(*filter, probe), std::to_string(EACCES));
}

}  // namespace
}  // namespace skiff::runtime
