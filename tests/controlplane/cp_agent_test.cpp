// Registration, authentication and the stream's handling of hostile frames, against a
// real skiff-controlplane over real TLS.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "protocol/frames.h"
#include "tests/controlplane/cp_fixture.h"
#include "tests/controlplane/doc_frames.h"

namespace skiff::test {
namespace {

using nlohmann::json;

class CpAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    cp.start();
    cp.admin().call("POST", "/v1/clusters", {{"name", "edge"}});
  }
  json activation(json body = {{"registrationLimit", 1}}) {
    return cp.admin().call("POST", "/v1/clusters/edge/activations", body);
  }
  tls::HttpsResult do_register(const json& act) {
    json req = {{"activationId", act["activationId"]},
                {"activationCode", act["activationCode"]},
                {"hostname", "h1"},
                {"arch", "amd64"},
                {"os", "linux"},
                {"cpu", 2048},
                {"memoryMiB", 2048}};
    return tls::HttpsClient("127.0.0.1", cp.port(), cp.ca()).request("POST", "/v1/register", req);
  }
  ControlPlane cp;
};

TEST_F(CpAgent, AdminApiNeedsTheAdminToken) {
  auto r =
      tls::HttpsClient("127.0.0.1", cp.port(), cp.ca(), "wrong").request("GET", "/v1/clusters");
  EXPECT_EQ(r.status, 401U);
  r = tls::HttpsClient("127.0.0.1", cp.port(), cp.ca()).request("GET", "/v1/clusters");
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(cp.admin().request("GET", "/v1/clusters").status, 200U);
}

TEST_F(CpAgent, RegisterThenListed) {
  auto act = activation();
  auto r = do_register(act);
  ASSERT_EQ(r.status, 201U) << r.raw;
  const auto id = r.body["instanceId"].get<std::string>();
  EXPECT_EQ(r.body["cluster"], "edge");
  auto inst = cp.admin().call("GET", "/v1/instances/" + id);
  EXPECT_EQ(inst["hostname"], "h1");
  EXPECT_EQ(inst["cpu"], 2048);
  EXPECT_FALSE(inst.contains("tokenHash"));
  EXPECT_FALSE(inst.contains("salt"));
  // Secrets are stored hashed: the token and the code never appear in the database.
  std::ifstream db(cp.dir() / "data" / "controlplane.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), {});
  std::ifstream wal(cp.dir() / "data" / "controlplane.db-wal", std::ios::binary);
  bytes += std::string((std::istreambuf_iterator<char>(wal)), {});
  const auto token = r.body["token"].get<std::string>();
  EXPECT_EQ(bytes.find(token.substr(token.find('.') + 1)), std::string::npos);
  EXPECT_EQ(bytes.find(act["activationCode"].get<std::string>()), std::string::npos);
}

TEST_F(CpAgent, ReusedActivationRefused) {
  auto act = activation();
  ASSERT_EQ(do_register(act).status, 201U);
  auto again = do_register(act);
  EXPECT_EQ(again.status, 403U);
  EXPECT_EQ(again.body["error"], "activation_exhausted");
}

TEST_F(CpAgent, ActivationLimitedToN) {
  auto act = activation({{"registrationLimit", 2}});
  EXPECT_EQ(do_register(act).status, 201U);
  EXPECT_EQ(do_register(act).status, 201U);
  EXPECT_EQ(do_register(act).status, 403U);
}

TEST_F(CpAgent, ExpiredActivationRefused) {
  auto act = activation({{"expiresInSeconds", 0}});
  auto r = do_register(act);
  EXPECT_EQ(r.status, 403U);
  EXPECT_EQ(r.body["error"], "activation_expired");
}

TEST_F(CpAgent, WrongCodeAndBadBodiesRefused) {
  auto act = activation();
  act["activationCode"] = "0000";
  auto r = do_register(act);
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(r.body["error"], "activation_invalid");
  tls::HttpsClient anon("127.0.0.1", cp.port(), cp.ca());
  r = anon.request_raw("POST", "/v1/register", "{not json");
  EXPECT_EQ(r.status, 400U);
  r = anon.request("POST", "/v1/register", {{"activationId", "a"}, {"activationCode", "b"}});
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(r.body["message"], "hostname: missing");
  r = anon.request_raw("POST", "/v1/register", std::string(100 * 1024, 'x'));
  EXPECT_EQ(r.status, 413U);
}

TEST_F(CpAgent, WrongTokenRefusedRevokedRefused) {
  AgentPool pool(cp);
  auto act = activation();
  auto r = do_register(act);
  ASSERT_EQ(r.status, 201U);
  const auto id = r.body["instanceId"].get<std::string>();
  const auto token = r.body["token"].get<std::string>();

  auto bad = pool.connect(id, id + ".deadbeef");
  EXPECT_TRUE(bad->wait_for([](const sim::SimSnapshot& s) { return s.handshakeStatus == 401; }));
  EXPECT_EQ(bad->snapshot().connects, 0);
  bad->stop();

  auto good = pool.connect(id, token);
  ASSERT_TRUE(good->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  EXPECT_TRUE(eventually(
      [&] { return cp.admin().call("GET", "/v1/instances/" + id)["connected"] == true; }));
  cp.admin().call("POST", "/v1/instances/" + id + "/revoke");
  EXPECT_TRUE(good->wait_for([](const sim::SimSnapshot& s) { return s.handshakeStatus == 403; }));
  EXPECT_EQ(good->snapshot().closeCode, 1008);
}

TEST_F(CpAgent, GarbageFramesGetErrorsOversizedFramesClose) {
  AgentPool pool(cp);
  auto agent = pool.add("edge", "h1", "amd64");
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  agent->send_raw("{not json");
  agent->send_raw(R"({"type":"Bogus","seq":100,"body":{}})");
  agent->send_raw(R"({"type":"Ack","seq":101,"body":{}})");
  agent->send_raw(R"({"type":"HeartbeatAck","seq":1,"body":{"seq":1}})");  // stale
  agent->send_raw(R"({"type":"Payload","seq":102,"body":{"tasks":[]}})");  // not an agent frame
  agent->send_raw(std::string("\x00\x01\x02", 3), true);
  agent->send_raw(
      R"({"type":"StateChange","seq":103,"body":{"taskId":"t-nope","seq":999,"knownStatus":"RUNNING","at":"x","containers":[]}})");
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.errors.size() >= 7; }))
      << agent->snapshot().errors.size();
  const auto errs = agent->snapshot().errors;
  std::vector<std::string> codes;
  for (const auto& e : errs) codes.push_back(e.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"bad_json", "unknown_type", "bad_frame", "stale_seq",
                                             "bad_frame", "bad_frame", "unknown_task"}));
  EXPECT_EQ(errs[2].message, "body.seq: missing");
  EXPECT_EQ(errs[2].refSeq, 101U);
  EXPECT_TRUE(agent->snapshot().connected);

  // Over the 1 MiB limit: close 1009, and the server keeps serving (the agent reconnects).
  const int connects = agent->snapshot().connects;
  agent->send_raw(std::string(2 << 20, ' '));
  // The server closes (1009). The agent, still writing, sees the close frame or a reset, and
  // the server's TLS teardown may end with "application data after close notify" instead of
  // message_too_big: what both sides always show is that this connection ended.
  ASSERT_TRUE(agent->wait_for([&](const sim::SimSnapshot& s) {
    return s.connected && s.connects > connects;
  })) << cp.log();
  const auto log = cp.log();
  EXPECT_TRUE(log.find("closed with 1009") != std::string::npos ||
              log.find("connection ended") != std::string::npos)
      << log;
  EXPECT_TRUE(cp.alive());
  EXPECT_EQ(cp.admin().request("GET", "/v1/clusters").status, 200U);
}

TEST_F(CpAgent, MetricsShowOnTheInstance) {
  AgentPool pool(cp);
  auto agent = pool.add("edge", "h1", "amd64");
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  const auto id = cp.admin()
                      .call("GET", "/v1/clusters/edge/instances")["instances"][0]["id"]
                      .get<std::string>();
  agent->send_raw(
      R"({"type":"Metrics","seq":500,"body":{"at":"2026-11-24T22:51:20.000Z","instance":{"memoryUsedMiB":812},"tasks":[{"taskId":"t-x","memoryBytes":5}]}})");
  ASSERT_TRUE(eventually([&] {
    return cp.admin().call("GET", "/v1/instances/" + id)["metrics"].value("at", "") ==
           "2026-11-24T22:51:20.000Z";
  }));
  auto m = cp.admin().call("GET", "/v1/instances/" + id)["metrics"];
  EXPECT_EQ(m["instance"]["memoryUsedMiB"], 812);
  EXPECT_EQ(m["tasks"][0]["memoryBytes"], 5);
  EXPECT_TRUE(agent->snapshot().errors.empty());
}

TEST_F(CpAgent, TooManyErrorsClose1008) {
  AgentPool pool(cp);
  auto agent = pool.add("edge", "h1", "amd64");
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  for (int i = 0; i < 40; ++i) agent->send_raw("garbage");
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.closeCode == 1008; }));
  EXPECT_EQ(agent->snapshot().closeReason, "too many errors");
  EXPECT_TRUE(cp.alive());
}

// Frames the control plane really sends match the documented schemas: every one parses
// with the protocol library, and every body field it carries appears in the doc's example.
TEST_F(CpAgent, SentFramesMatchTheDocumentedSchemas) {
  AgentPool pool(cp);
  auto agent = pool.add("edge", "h1", "amd64");
  ASSERT_TRUE(
      agent->wait_for([](const sim::SimSnapshot& s) { return s.connected && s.heartbeats > 0; }));
  cp.admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1", 18080));
  auto run = cp.admin().call("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", "web"}});
  const auto tid = run["tasks"][0]["id"].get<std::string>();
  ASSERT_TRUE(agent->wait_for(
      [&](const sim::SimSnapshot& s) { return s.tasks.count(tid) && s.unackedStateChanges == 0; }));
  cp.admin().call("POST", "/v1/tasks/" + tid + "/stop", {{"reason", "schema test"}});
  agent->send_raw("oops");
  ASSERT_TRUE(agent->wait_for([&](const sim::SimSnapshot& s) {
    return s.tasks.at(tid).knownStatus == "STOPPED" && s.unackedStateChanges == 0 &&
           !s.errors.empty();
  }));

  std::map<std::string, json> examples;
  for (const auto& [tag, text] : doc_json_blocks(SKIFF_PROTOCOL_DOC)) {
    if (protocol::is_known_type(tag)) examples[tag] = json::parse(text);
  }
  std::set<std::string> seen;
  for (const auto& text : agent->raw_frames()) {
    auto frame = protocol::parse_frame(text);  // throws if it breaks the schema
    const auto type = std::string(frame.type());
    seen.insert(type);
    ASSERT_TRUE(examples.count(type)) << "undocumented frame type " << type;
    const auto sent = json::parse(text);
    const auto& doc = examples[type];
    for (const auto& [key, value] : sent["body"].items()) {
      EXPECT_TRUE(doc["body"].contains(key))
          << type << ".body." << key << " is not in docs/protocol.md";
    }
    if (sent["body"].contains("tasks") && !sent["body"]["tasks"].empty()) {
      for (const auto& [key, value] : sent["body"]["tasks"][0].items()) {
        EXPECT_TRUE(doc["body"]["tasks"][0].contains(key))
            << type << ".body.tasks[]." << key << " is not in docs/protocol.md";
      }
    }
  }
  for (auto t : {"TaskManifest", "Heartbeat", "Payload", "StopTask", "Ack", "Error"}) {
    EXPECT_TRUE(seen.count(t)) << "no " << t << " frame was captured";
  }
}

}  // namespace
}  // namespace skiff::test
