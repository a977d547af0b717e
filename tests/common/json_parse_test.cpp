// common/json_parse.h: the depth cap is exact, counts only real brackets, and refuses a
// 150,000-level document (which overflows the stack in nlohmann's recursive copy, compare
// and dump) before any of it is built.
#include "common/json_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace skiff {
namespace {

std::string nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

std::string message_of(std::string_view text, std::size_t max = kMaxJsonDepth) {
  try {
    parse_json(text, "doc", max);
  } catch (const JsonInputError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(JsonParse, DepthUpToTheCapIsAcceptedOneMoreIsRefused) {
  EXPECT_EQ(parse_json(nested(kMaxJsonDepth), "doc").dump(), nested(kMaxJsonDepth));
  EXPECT_EQ(message_of(nested(kMaxJsonDepth + 1)), "doc:1:65: nested deeper than 64 levels");
  EXPECT_EQ(message_of(R"({"a":{"b":[{}]}})", 4), "accepted");
  EXPECT_EQ(message_of(R"({"a":{"b":[{}]}})", 3), "doc:1:12: nested deeper than 3 levels");
}

TEST(JsonParse, SiblingsDoNotAddUp) {
  std::string wide = "[";
  for (int i = 0; i < 1000; ++i) {
    if (i > 0) wide += ',';
    wide += nested(10);
  }
  wide += "]";
  EXPECT_EQ(parse_json(wide, "doc", 11).size(), 1000U);
}

TEST(JsonParse, BracketsInsideStringsDoNotCount) {
  const std::string text = R"(["[[[[{{{{", "\"[[[[", "\\", {"k[[[": "]]]]"}])";
  const auto j = parse_json(text, "doc", 2);
  ASSERT_EQ(j.size(), 4U);
  EXPECT_EQ(j[1], "\"[[[[");
  EXPECT_EQ(j[2], "\\");
}

TEST(JsonParse, HugeNestingIsRefusedWithoutBuildingIt) {
  // 150,000 levels in 750 KB, the frame from issue 12: parsing it whole and dumping or
  // copying the result crashes (SIGSEGV); here it is refused at the 65th bracket.
  std::string deep = R"({"type":"Metrics","seq":2,"body":{"instance":)";
  for (int i = 0; i < 150'000; ++i) deep += R"({"a":)";
  deep += '1';
  deep.append(150'000, '}');
  deep += "}}";
  EXPECT_EQ(message_of(deep), "doc:1:356: nested deeper than 64 levels");
  EXPECT_TRUE(parse_json_or_discarded(deep).is_discarded());
  EXPECT_TRUE(parse_json_or_discarded(nested(100'000)).is_discarded());
}

TEST(JsonParse, MalformedJsonNamesWhereItStopped) {
  EXPECT_EQ(message_of("{\n  \"a\": tru\n}"),
            "doc:2:11: malformed JSON: syntax error while parsing value - invalid literal; "
            "last read: '\"a\": tru<U+000A>'");
  EXPECT_TRUE(parse_json_or_discarded("{\"a\":").is_discarded());
  EXPECT_EQ(parse_json_or_discarded(R"({"a":[1,2]})")["a"][1], 2);
}

}  // namespace
}  // namespace skiff
