// skiff_protocol: hostile frames are refused with errors naming the field; backoff figures.
#include <gtest/gtest.h>

#include "common/json_parse.h"
#include "protocol/frames.h"
#include "protocol/limits.h"

namespace {

using skiff::protocol::parse_frame;
using skiff::protocol::ProtocolError;

std::pair<std::string, std::string> refusal(std::string_view text) {
  try {
    parse_frame(text);
  } catch (const ProtocolError& e) {
    return {e.code(), e.what()};
  }
  return {"accepted", ""};
}

TEST(ProtocolFrames, BadJsonIsRefused) {
  EXPECT_EQ(refusal("{not json").first, "bad_json");
  EXPECT_EQ(refusal("").first, "bad_json");
  EXPECT_EQ(refusal("[1,2]").first, "bad_json");
  EXPECT_EQ(refusal("\xff\xfe").first, "bad_json");
}

TEST(ProtocolFrames, UnknownTypeIsRefused) {
  auto [code, msg] = refusal(R"({"type":"Bogus","seq":1,"body":{}})");
  EXPECT_EQ(code, "unknown_type");
  EXPECT_NE(msg.find("Bogus"), std::string::npos);
}

TEST(ProtocolFrames, ErrorsNameTheField) {
  auto [code, msg] = refusal(R"({"type":"Ack","seq":1,"body":{}})");
  EXPECT_EQ(code, "bad_frame");
  EXPECT_EQ(msg, "body.seq: missing");
  std::tie(code, msg) = refusal(R"({"type":"Ack","seq":-3,"body":{"seq":1}})");
  EXPECT_EQ(msg, "seq: must not be negative, got -3");
  std::tie(code, msg) = refusal(R"({"type":"Ack","seq":0,"body":{"seq":1}})");
  EXPECT_EQ(msg, "seq: must be at least 1");
  std::tie(code, msg) = refusal(
      R"({"type":"Payload","seq":1,"body":{"tasks":[{"taskId":"a","family":"f","revision":1,"desiredStatus":"RUNNING","desiredSeq":1,"taskDefinition":{}},{"family":"f"}]}})");
  EXPECT_EQ(msg, "body.tasks[1].taskId: missing");
  std::tie(code, msg) = refusal(
      R"({"type":"StateChange","seq":2,"body":{"taskId":"t","seq":1,"knownStatus":"DANCING","at":"x","containers":[]}})");
  EXPECT_EQ(msg, "body.knownStatus: 'DANCING' is not one of PENDING|RUNNING|STOPPED");
  std::tie(code, msg) = refusal(
      R"({"type":"StateChange","seq":2,"body":{"taskId":"t","seq":1,"knownStatus":"STOPPED","at":"x","containers":[{"name":"a","status":"STOPPED","exitCode":"x"}]}})");
  EXPECT_EQ(msg, "body.containers[0].exitCode: expected an integer, got string");
  std::tie(code, msg) = refusal(
      R"({"type":"StateChange","seq":2,"body":{"taskId":"t","seq":1,"knownStatus":"STOPPED","at":"x","containers":[]}})");
  EXPECT_EQ(msg, "body.stoppedReason: required when knownStatus is STOPPED");
  std::tie(code, msg) = refusal(R"({"type":"Hello","seq":1,"body":[]})");
  EXPECT_EQ(msg, "body: expected an object, got array");
}

TEST(ProtocolFrames, DeepNestingDoesNotCrash) {
  std::string deep(100000, '[');
  EXPECT_EQ(refusal(deep).first, "bad_json");
}

// Issue 12: a balanced Metrics frame 150,000 levels deep (750 KB, under the frame limit)
// crashed the control plane in nlohmann's recursive copy and dump.
TEST(ProtocolFrames, DeepBalancedFrameIsRefusedBeforeItIsBuilt) {
  std::string deep = R"({"type":"Metrics","seq":2,"body":{"at":"x","instance":)";
  for (int i = 0; i < 150'000; ++i) deep += R"({"a":)";
  deep += '1';
  deep.append(150'000, '}');
  deep += R"(,"tasks":[]}})";
  ASSERT_LT(deep.size(), skiff::protocol::kMaxFrameBytes);
  EXPECT_EQ(refusal(deep), std::make_pair(std::string("bad_json"),
                                          std::string("frame is nested deeper than 64 levels")));
}

// The deepest task definition the agent and the control plane accept (32 levels) still
// fits in a Payload frame, so nothing registered is ever refused on the way to an agent.
TEST(ProtocolFrames, DeepestTaskDefinitionFitsInAPayload) {
  std::string def = R"({"family":"f","containerDefinitions":[],"x":)";
  for (int i = 0; i < 31; ++i) def += R"({"a":)";
  def += '1';
  def.append(31, '}');
  def += '}';
  EXPECT_EQ(skiff::json_depth_violation(def, skiff::kMaxTaskDefinitionDepth), std::string::npos);
  EXPECT_NE(skiff::json_depth_violation(def, skiff::kMaxTaskDefinitionDepth - 1),
            std::string::npos);
  const std::string frame =
      R"({"type":"Payload","seq":1,"body":{"tasks":[{"taskId":"a","family":"f","revision":1,)"
      R"("desiredStatus":"RUNNING","desiredSeq":1,"taskDefinition":)" +
      def + "}]}}";
  EXPECT_EQ(refusal(frame).first, "accepted");
}

TEST(ProtocolFrames, RoundTripKeepsEveryField) {
  skiff::protocol::StateChange sc{"t-1",
                                  9,
                                  "STOPPED",
                                  "Essential container in task exited",
                                  "2026-01-01T00:00:00.000Z",
                                  {{"app", "STOPPED", 137, "OOMKilled", "UNHEALTHY"}}};
  skiff::protocol::Frame f{5, sc};
  auto back = parse_frame(skiff::protocol::serialize(f));
  const auto& got = std::get<skiff::protocol::StateChange>(back.body);
  EXPECT_EQ(back.seq, 5U);
  EXPECT_EQ(got.seq, 9U);
  EXPECT_EQ(got.containers.at(0).exitCode, 137);
  EXPECT_EQ(got.containers.at(0).health, "UNHEALTHY");
  EXPECT_EQ(got.stoppedReason, sc.stoppedReason);
}

TEST(ProtocolBackoff, StartsAt250msGrowsAndCaps) {
  using skiff::protocol::backoff_delay;
  using std::chrono::milliseconds;
  EXPECT_EQ(backoff_delay(0, 0.5), milliseconds(250));
  EXPECT_EQ(backoff_delay(1, 0.5), milliseconds(375));
  EXPECT_EQ(backoff_delay(0, 0.0), milliseconds(200));  // -20 %
  EXPECT_EQ(backoff_delay(0, 1.0), milliseconds(300));  // +20 %
  EXPECT_EQ(backoff_delay(40, 0.5), milliseconds(120000));
  EXPECT_LE(backoff_delay(40, 1.0), milliseconds(120000));
  EXPECT_EQ(backoff_delay(1000, 0.5), milliseconds(120000));
}

}  // namespace
