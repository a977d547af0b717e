// docs/protocol.md's examples parse with the protocol library and say what the doc says.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "controlplane/protocol/frames.h"
#include "controlplane/protocol/register.h"
#include "tests/controlplane/doc_frames.h"

namespace skiff::test {

std::multimap<std::string, std::string> doc_json_blocks(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::multimap<std::string, std::string> out;
  std::string line, tag, body;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.rfind("```json ", 0) == 0) {
      tag = line.substr(8);
      if (tag.rfind("frame=", 0) == 0) tag = tag.substr(6);
      inside = true;
      body.clear();
    } else if (inside && line.rfind("```", 0) == 0) {
      out.emplace(tag, body);
      inside = false;
    } else if (inside) {
      body += line + "\n";
    }
  }
  return out;
}

}  // namespace skiff::test

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
