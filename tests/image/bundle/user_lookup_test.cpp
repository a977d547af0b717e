// resolve_user against a temp rootfs: every user form, missing names, refused symlinks.
#include "image/bundle/user_lookup.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/image/bundle/temp_rootfs.h"

namespace skiff::image {
namespace {

using test::TempRootfs;

std::string error_of(const TempRootfs& r, const std::string& user) {
  try {
    resolve_user(r.path(), user, "process.user");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class UserLookupTest : public ::testing::Test {
 protected:
  void SetUp() override { rootfs_.write_accounts(); }
  TempRootfs rootfs_;
};

TEST_F(UserLookupTest, ByName) {
  const ResolvedUser u = resolve_user(rootfs_.path(), "bob", "process.user");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_EQ(u.additional_gids, (std::vector<std::uint32_t>{10, 29}));
}

TEST_F(UserLookupTest, EmptyIsRoot) {
  const ResolvedUser u = resolve_user(rootfs_.path(), "", "process.user");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.additional_gids, std::vector<std::uint32_t>{10});
}

TEST_F(UserLookupTest, ByUidKnownAndUnknown) {
  ResolvedUser u = resolve_user(rootfs_.path(), "1000", "process.user");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);  // the passwd entry's group
  EXPECT_EQ(u.additional_gids.size(), 2u);
  // A uid the image does not list is fine (Docker allows it): group 0, no extras.
  u = resolve_user(rootfs_.path(), "4242", "process.user");
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_TRUE(u.additional_gids.empty());
}

TEST_F(UserLookupTest, NameAndGroup) {
  ResolvedUser u = resolve_user(rootfs_.path(), "bob:staff", "process.user");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 50u);
  EXPECT_EQ(u.additional_gids, (std::vector<std::uint32_t>{10, 29}));
  u = resolve_user(rootfs_.path(), "bob:wheel", "process.user");
  EXPECT_EQ(u.gid, 10u);
  EXPECT_EQ(u.additional_gids, std::vector<std::uint32_t>{29});  // not repeated
}

TEST_F(UserLookupTest, UidAndGid) {
  const ResolvedUser u = resolve_user(rootfs_.path(), "123:456", "process.user");
  EXPECT_EQ(u.uid, 123u);
  EXPECT_EQ(u.gid, 456u);
}

TEST_F(UserLookupTest, MissingUserOrGroupIsNamed) {
  std::string err = error_of(rootfs_, "alice");
  EXPECT_NE(err.find("process.user"), std::string::npos) << err;
  EXPECT_NE(err.find("\"alice\""), std::string::npos) << err;
  err = error_of(rootfs_, "bob:nogroup");
  EXPECT_NE(err.find("\"nogroup\""), std::string::npos) << err;
  EXPECT_NE(error_of(rootfs_, "bob:").find("empty group"), std::string::npos);
}

TEST(UserLookup, NoPasswdFileAllowsNumericOnly) {
  TempRootfs r;
  EXPECT_EQ(resolve_user(r.path(), "65534:65534", "process.user").uid, 65534u);
  EXPECT_NE(error_of(r, "nobody").find("nobody"), std::string::npos);
}

TEST(UserLookup, PasswdSymlinkIsRefused) {
  TempRootfs r;
  r.write("etc/real-passwd", "bob:x:1000:1000::/:/bin/sh\n");
  std::filesystem::create_symlink("real-passwd", r.path() / "etc/passwd");
  const std::string err = error_of(r, "bob");
  EXPECT_NE(err.find("/etc/passwd is a symlink"), std::string::npos) << err;
}

TEST(UserLookup, EtcSymlinkIsRefused) {
  TempRootfs r;
  std::filesystem::remove(r.path() / "etc");
  std::filesystem::create_directories(r.bundle() / "host-etc");
  std::ofstream(r.bundle() / "host-etc/passwd") << "bob:x:1000:1000::/:/bin/sh\n";
  std::filesystem::create_symlink(r.bundle() / "host-etc", r.path() / "etc");
  const std::string err = error_of(r, "bob");
  EXPECT_NE(err.find("/etc is a symlink"), std::string::npos) << err;
}

}  // namespace
}  // namespace skiff::image
