// common/json_path.h: the one field reader the spec, task-definition and protocol parsers
// share. Each message here is what all three print.
#include "common/json_path.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace skiff::jsonpath {
namespace {

struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void refuse(const std::string& path, const std::string& why) {
  throw Refused(path + ": " + why);
}

template <typename F>
std::string refusal(F&& read) {
  try {
    read();
  } catch (const Refused& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(JsonPath, PathsJoinKeysAndIndexes) {
  EXPECT_EQ(key("", "root"), "root");
  EXPECT_EQ(key("linux", "seccomp"), "linux.seccomp");
  EXPECT_EQ(index(key("process", "args"), 2), "process.args[2]");
  EXPECT_EQ(quoted("a\"b"), "\"a\\\"b\"");
}

TEST(JsonPath, NullMembersCountAsAbsent) {
  const json j = {{"a", nullptr}, {"b", 1}};
  EXPECT_EQ(member(j, "a"), nullptr);
  EXPECT_EQ(member(j, "missing"), nullptr);
  ASSERT_NE(member(j, "b"), nullptr);
  EXPECT_EQ(refusal([&] { required(j, "x", "a", refuse); }), "x.a: is required");
  EXPECT_EQ(required(j, "x", "b", refuse), 1);
}

TEST(JsonPath, WrongTypesNameWhatWasFound) {
  EXPECT_EQ(refusal([] { string(json(5), "p", refuse); }), "p: expected a string, got number");
  EXPECT_EQ(refusal([] { integer(json(2.5), "p", refuse); }),
            "p: expected an integer, got a fractional number");
  EXPECT_EQ(refusal([] { boolean(json("yes"), "p", refuse); }),
            "p: expected a boolean, got string");
  EXPECT_EQ(refusal([] { object(json::array(), "p", refuse); }),
            "p: expected an object, got array");
  EXPECT_EQ(refusal([] { array(json::object(), "p", refuse); }),
            "p: expected an array, got object");
}

TEST(JsonPath, IntegersKeepToTheirRange) {
  EXPECT_EQ(integer(json(7), "p", refuse, 1, 10), 7);
  EXPECT_EQ(refusal([] { integer(json(0), "p", refuse, 1, 10); }), "p: must be 1..10, got 0");
  EXPECT_EQ(refusal([] { integer(json(18446744073709551615u), "p", refuse); }),
            "p: number too large");
  EXPECT_EQ(unsigned_integer(json(18446744073709551615u), "p", refuse), 18446744073709551615u);
  EXPECT_EQ(refusal([] { unsigned_integer(json(-1), "p", refuse); }),
            "p: must not be negative, got -1");
  EXPECT_EQ(refusal([] { unsigned_integer(json(6), "p", refuse, 5); }),
            "p: must be at most 5, got 6");
}

TEST(JsonPath, ListsAndMapsNameTheBadElement) {
  EXPECT_EQ(strings(json{"a", "b"}, "args", refuse), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(refusal([] {
              strings(json{"a", 1}, "args", refuse);
            }),
            "args[1]: expected a string, got number");
  EXPECT_EQ(refusal([] {
              string_map(json{{"k", true}}, "labels", refuse);
            }),
            "labels.k: expected a string, got boolean");
  EXPECT_EQ(string_map(json{{"k", "v"}}, "labels", refuse).at("k"), "v");
}

}  // namespace
}  // namespace skiff::jsonpath
