// Hostile task definitions against a real agent (issue 12, item 8): nesting that used to
// overflow the daemon's stack, and unknown members that used to multiply into task.json.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "agent_harness.h"

namespace skiff::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

fs::path test_root(const std::string& name) {
  return fs::path("/run") / ("skiff-agent-" + name + "-" + std::to_string(::getpid()));
}

// `depth` levels of {"x": ... } around a null: `depth` objects deep.
std::string nested_objects(std::size_t depth) {
  std::string s;
  s.reserve(depth * 6 + 4);
  for (std::size_t i = 0; i < depth; ++i) s += "{\"x\":";
  s += "null";
  s.append(depth, '}');
  return s;
}

// The agent answers and is the same process: a refusal, not a crash and restart.
void expect_alive(const Agent& agent, pid_t pid) {
  EXPECT_TRUE(agent.running());
  EXPECT_EQ(agent.pid(), pid);
  EXPECT_EQ(::kill(pid, 0), 0) << "the agent died";
  EXPECT_EQ(agent.request("GET", "/v1/tasks").status, 200);
}

TEST(AgentHostile, NestingPastTheCapIsRefusedNamingTheDepthAndTheAgentLives) {
  Agent agent(test_root("nesting"));
  agent.start();
  const pid_t pid = agent.pid();

  // The reported crash: 100,000 levels (600 KB, under the 1 MiB body limit) in an unknown
  // member of an otherwise valid definition.
  json def = task_definition("nesting", json::array({probe_container("app", {"exit", "0"})}));
  std::string body = def.dump();
  body.insert(body.size() - 1, ",\"deep\":" + nested_objects(100000));
  HttpReply r = agent.request("POST", "/v1/tasks", body);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 400);
  // Refused on the text, before any document is built: the API's cap for every body.
  EXPECT_NE(r.body.find("body: nested deeper than 64 levels"), std::string::npos)
      << r.body.substr(0, 400);
  expect_alive(agent, pid);

  // Past the task definition's own cap (32) but within the body's: the parser refuses it,
  // so nothing deeper than the control plane would register is ever stored.
  body = def.dump();
  body.insert(body.size() - 1, ",\"deep\":" + nested_objects(40));
  r = agent.request("POST", "/v1/tasks", body);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 400);
  EXPECT_NE(r.body.find("nested deeper than 32 levels"), std::string::npos)
      << r.body.substr(0, 400);
  expect_alive(agent, pid);

  // The same through bare arrays, which are not task definitions at all.
  r = agent.request("POST", "/v1/tasks", std::string(150000, '[') + std::string(150000, ']'));
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 400);
  EXPECT_NE(r.body.find("nested deeper than"), std::string::npos) << r.body.substr(0, 400);
  expect_alive(agent, pid);

  // The control: 31 levels is allowed and the task runs (in a member ECS defines and Skiff
  // ignores: an undefined one would be refused as a misspelling).
  def = task_definition("nesting-ok", json::array({probe_container("app", {"exit", "0"})}));
  body = def.dump();
  body.insert(body.size() - 1, ",\"proxyConfiguration\":" + nested_objects(30));
  r = agent.request("POST", "/v1/tasks", body);
  ASSERT_EQ(r.status, 201) << r.body;
  agent.wait_status(r.json()["taskId"].get<std::string>(), "STOPPED", 60s);
  expect_alive(agent, pid);
}

// A 20 KB request once wrote a 100 MB task.json (indented: the size grew with the square of
// the depth), and every restart re-read it. The record may not grow past a small multiple
// of the request, and recovery reads it back.
TEST(AgentHostile, IgnoredMembersDoNotMultiplyIntoTheTaskRecord) {
  Agent agent(test_root("record"));
  agent.start();
  json def = task_definition("record", json::array({probe_container("app", {"trap-term", "0"})}));
  std::string body = def.dump();
  // As deep as allowed, plus 200 long keys, inside a member ECS defines and Skiff ignores
  // (a member ECS does not define at all is refused as a misspelling).
  std::string extra = ",\"proxyConfiguration\":{\"deep\":" + nested_objects(29);
  for (int i = 0; i < 200; ++i) {
    extra += ",\"unknown" + std::to_string(i) + std::string(60, 'k') + "\":[1,2,3]";
  }
  extra += "}";
  body.insert(body.size() - 1, extra);
  ASSERT_GT(body.size(), 15000U);
  HttpReply r = agent.request("POST", "/v1/tasks", body);
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 400);
  const std::string id = r.json()["taskId"].get<std::string>();
  agent.wait_status(id, "RUNNING", 60s);

  std::uintmax_t record = 0;
  for (const auto& e : fs::recursive_directory_iterator(agent.root())) {
    if (e.path().filename() == "task.json" && e.path().parent_path().filename() == id) {
      record = e.file_size();
    }
  }
  ASSERT_GT(record, 0U) << "no task.json for " << id << " under " << agent.root();
  EXPECT_LT(record, 4 * body.size())
      << "task.json is " << record << " bytes for a " << body.size() << "-byte request";

  // The warning that lists the ignored members is bounded too.
  const json t = agent.task(id);
  EXPECT_LT(t.dump().size(), 4 * body.size());

  // Recovery reads the record back.
  agent.kill(SIGKILL);
  agent.start();
  const json again = agent.task(id);
  EXPECT_EQ(again["knownStatus"], "RUNNING") << again.dump(1);
  agent.stop_task(id);
  agent.wait_status(id, "STOPPED", 60s);
}

}  // namespace
}  // namespace skiff::test
