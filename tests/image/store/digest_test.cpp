#include "image/store/digest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace skiff::image {
namespace {

// sha256("abc"), from FIPS 180-2.
const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string why(const std::string& text) {
  try {
    Digest::parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Digest, ParsesCanonicalSha256) {
  Digest d = Digest::parse("sha256:" + kAbc);
  EXPECT_EQ(d.hex(), kAbc);
  EXPECT_EQ(d.str(), "sha256:" + kAbc);
}

TEST(Digest, RefusesOtherAlgorithms) {
  EXPECT_NE(why("sha512:" + kAbc + kAbc).find("unsupported algorithm \"sha512\""),
            std::string::npos);
  EXPECT_NE(why(kAbc).find("missing"), std::string::npos);
}

TEST(Digest, RefusesUppercaseHex) {
  std::string upper = kAbc;
  upper[0] = 'B';
  EXPECT_NE(why("sha256:" + upper).find("lowercase"), std::string::npos);
}

TEST(Digest, RefusesWrongLength) {
  EXPECT_NE(why("sha256:" + kAbc.substr(1)).find("64 characters, got 63"), std::string::npos);
  EXPECT_NE(why("sha256:" + kAbc + "0").find("got 65"), std::string::npos);
  EXPECT_NE(why("sha256:").find("got 0"), std::string::npos);
}

TEST(Digest, RefusesPathTraversal) {
  for (const std::string& bad :
       std::vector<std::string>{"sha256:../../x", "sha256:" + std::string(61, 'a') + "/..",
                                "sha256:" + std::string(62, 'a') + "\n\n", "../sha256:" + kAbc}) {
    EXPECT_THROW(Digest::parse(bad), Error) << bad;
    EXPECT_FALSE(Digest::problem(bad).empty()) << bad;
  }
}

TEST(Sha256, HashesStreamedChunksLikeOneBuffer) {
  Sha256 h;
  h.update("a");
  h.update("");
  h.update("bc");
  EXPECT_EQ(h.finish().hex(), kAbc);
  EXPECT_EQ(sha256_of("").hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace skiff::image
