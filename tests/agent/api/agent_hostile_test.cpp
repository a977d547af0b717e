// Hostile task definitions against a real skiff-agent process (issue 12 item 8): deep
// nesting is refused and the agent keeps serving; what it keeps of unknown members is
// bounded, and task.json grows linearly with the request, never with its square.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "agent_harness.h"

namespace skiff::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path test_root(const std::string& name) {
  return fs::path("/run") / ("skiff-hostile-" + name + "-" + std::to_string(::getpid()));
}

// A task definition whose unknown member "extra" is nested `depth` levels below the top
// level object and carries `pad` bytes of string at the bottom.
std::string definition(const std::string& family, std::size_t depth, std::size_t pad = 0) {
  std::string s =
      R"({"family":")" + family +
      R"(","containerDefinitions":[{"name":"a","image":"localhost/skiff-hostile-none:latest"}],"extra":)";
  for (std::size_t i = 0; i < depth; ++i) s += R"({"k":)";
  s += '"';
  s.append(pad, 'p');
  s += '"';
  s.append(depth, '}');
  return s + "}";
}

std::uintmax_t largest_file_under(const fs::path& dir) {
  std::uintmax_t largest = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) largest = std::max(largest, e.file_size(ec));
  }
  return largest;
}

TEST(AgentHostile, DeepTaskDefinitionsAreRefusedAndStateStaysLinear) {
  Agent agent(test_root("deep"));
  agent.start();
  const fs::path tasks = agent.state() / "agent" / "tasks";

  // 100,000 deep: crashed the agent before.
  auto r = agent.request("POST", "/v1/tasks", definition("deep", 100'000));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["error"], "body: nested deeper than 64 levels");

  // 4,000 deep in 20 KB: wrote a 100 MB task.json before.
  const std::string twenty_kb = definition("square", 4'000);
  ASSERT_GT(twenty_kb.size(), 19'000U);
  r = agent.request("POST", "/v1/tasks", twenty_kb);
  EXPECT_EQ(r.status, 400) << r.body;

  // Deeper than a task definition may be, though a fine body.
  r = agent.request("POST", "/v1/tasks", definition("forty", 40));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("nested deeper than 32 levels"), std::string::npos) << r.body;
  EXPECT_EQ(agent.request("GET", "/v1/tasks").json().size(), 0U);

  // The deepest accepted, with 200 KB at the bottom: task.json stays about that size.
  const std::string deepest = definition("deepest", 31, 200'000);
  const std::string id = agent.run_task(json::parse(deepest));
  const auto largest = largest_file_under(tasks);
  std::printf("request %zu bytes, largest file under tasks/ %ju bytes\n", deepest.size(),
              static_cast<std::uintmax_t>(largest));
  EXPECT_GT(largest, deepest.size()) << "the definition is kept with the task";
  EXPECT_LT(largest, 2 * deepest.size());
  // The unsupported-fields warning names the member, bounded.
  const auto view = agent.task(id);
  ASSERT_TRUE(view.contains("warnings")) << view.dump().substr(0, 400);
  EXPECT_LT(view["warnings"].dump().size(), 2'000U);

  // A restart recovers it quickly, and the agent still serves.
  agent.kill(SIGKILL);
  const auto t0 = std::chrono::steady_clock::now();
  agent.start();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(agent.task(id)["family"], "deepest");
}

}  // namespace
}  // namespace skiff::test
