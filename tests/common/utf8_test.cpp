// valid_utf8: what reaches a stored record from outside is valid UTF-8 and bounded.
#include "common/utf8.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace skiff {
namespace {

TEST(ValidUtf8, KeepsValidTextAsItIs) {
  for (std::string s : {std::string("plain"), std::string("caf\xC3\xA9"),
                        std::string("\xE2\x82\xAC 5"), std::string("\xF0\x9F\x9A\xA2 skiff")}) {
    EXPECT_EQ(valid_utf8(s), s);
  }
}

TEST(ValidUtf8, ReplacesEveryIllFormedByte) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a" + fffd + "b");                                           // never valid
  EXPECT_EQ(valid_utf8("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), fffd + fffd + fffd);             // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(valid_utf8("x\xE2\x82"), "x" + fffd + fffd);                 // cut short
  // Whatever came in, the result dumps as JSON (nlohmann throws on invalid UTF-8).
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  EXPECT_NO_THROW(nlohmann::json(valid_utf8(all)).dump());
  EXPECT_THROW(nlohmann::json(all).dump(), nlohmann::json::type_error);
}

TEST(ValidUtf8, CutsAtTheLimitWithoutSplittingACharacter) {
  const std::string euro = "\xE2\x82\xAC";
  std::string many;
  for (int i = 0; i < 10; ++i) many += euro;
  EXPECT_EQ(valid_utf8(many, 7), euro + euro);  // 6 bytes: a third would not fit
  EXPECT_EQ(valid_utf8(std::string(5000, 'a')).size(), 1024U);
}

}  // namespace
}  // namespace skiff
