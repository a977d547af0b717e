#include "agent/api/http_target.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace skiff::agent::test {
namespace {

TEST(HttpTarget, SegmentsAndQuery) {
  HttpTarget t = parse_target("/v1/tasks/a%2Fb//logs?follow=1&tail=10&stream&x=a+b%21");
  ASSERT_EQ(t.segments, (std::vector<std::string>{"v1", "tasks", "a/b", "logs"}));
  EXPECT_TRUE(t.flag("follow"));
  EXPECT_TRUE(t.flag("stream"));
  EXPECT_FALSE(t.flag("absent"));
  EXPECT_EQ(t.param("tail"), "10");
  EXPECT_EQ(t.param("x"), "a b!");
}

TEST(HttpTarget, RejectsBadInput) {
  EXPECT_THROW(parse_target(""), Error);
  EXPECT_THROW(parse_target("v1/tasks"), Error);
  EXPECT_THROW(parse_target("/a%2"), Error);
  EXPECT_THROW(parse_target("/a%zz"), Error);
  EXPECT_THROW(parse_target("/a?x=%"), Error);
}

TEST(HttpTarget, EncodeRoundTrips) {
  std::string s = "task id/with ?&=% chars";
  std::string target = "/";
  target += url_encode(s);
  EXPECT_EQ(parse_target(target).segments.at(0), s);
}

}  // namespace
}  // namespace skiff::agent::test
