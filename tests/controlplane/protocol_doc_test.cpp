// docs/protocol.md's examples parse with the protocol library and say what the doc says.
#include <gtest/gtest.h>

#include <set>

#include "protocol/frames.h"
#include "protocol/register.h"
#include "tests/controlplane/doc_frames.h"

namespace {

using skiff::protocol::parse_frame;

TEST(ProtocolDoc, EveryFrameTypeHasAnExampleThatParses) {
  const auto blocks = skiff::test::doc_json_blocks(SKIFF_PROTOCOL_DOC);
  std::set<std::string> seen;
  for (const auto& [tag, text] : blocks) {
    if (!skiff::protocol::is_known_type(tag)) continue;
    SCOPED_TRACE(tag);
    auto frame = parse_frame(text);  // throws on a schema mismatch
    EXPECT_EQ(frame.type(), tag);
    // Round trip: what the library writes parses back to the same JSON.
    auto again = parse_frame(skiff::protocol::serialize(frame));
    EXPECT_EQ(skiff::protocol::to_json(again), skiff::protocol::to_json(frame));
    seen.insert(tag);
  }
  for (auto t : {"Payload", "TaskManifest", "Heartbeat", "HeartbeatAck", "Ack", "StopTask", "Error",
                 "Hello", "StateChange", "Metrics"}) {
    EXPECT_TRUE(seen.count(t)) << "docs/protocol.md has no `json frame=" << t << "` example";
  }
}

TEST(ProtocolDoc, RegisterExamplesParse) {
  const auto blocks = skiff::test::doc_json_blocks(SKIFF_PROTOCOL_DOC);
  ASSERT_EQ(blocks.count("register-request"), 1U);
  auto req = skiff::protocol::parse_register_request(
      nlohmann::json::parse(blocks.find("register-request")->second));
  EXPECT_EQ(req.arch, "arm64");
  EXPECT_EQ(req.attributes.at("site"), "plant-3");
  ASSERT_EQ(blocks.count("register-response"), 1U);
  auto resp = skiff::protocol::parse_register_response(
      nlohmann::json::parse(blocks.find("register-response")->second));
  EXPECT_FALSE(resp.instanceId.empty());
}

}  // namespace
