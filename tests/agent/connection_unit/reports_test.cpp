#include <gtest/gtest.h>

#include <fstream>

#include "agent/connection/registration.h"
#include "agent/connection/task_reports.h"

namespace skiff::agent {
namespace {

nlohmann::json view(const std::string& known, const std::string& container_known) {
  return {{"taskId", "t-1"},
          {"source", "controlplane:edge"},
          {"knownStatus", known},
          {"stoppedReason", known == "STOPPED" ? "Essential container in task exited" : ""},
          {"containers",
           {{{"name", "app"},
             {"knownStatus", container_known},
             {"exitCode", container_known == "STOPPED" ? nlohmann::json(137) : nlohmann::json()},
             {"reason", ""},
             {"health", "HEALTHY"}}}}};
}

TEST(TaskReports, EngineStatesFoldIntoTheProtocolsThree) {
  for (const char* s : {"NONE", "PULLED", "CREATING", "CREATED"}) {
    EXPECT_EQ(report_of(view("PENDING", s)).containers[0].status, "PENDING") << s;
  }
  auto running = report_of(view("RUNNING", "RUNNING"));
  EXPECT_EQ(running.knownStatus, "RUNNING");
  EXPECT_EQ(running.containers[0].status, "RUNNING");
  EXPECT_FALSE(running.containers[0].exitCode);
  EXPECT_TRUE(running.stoppedReason.empty());
  auto stopped = report_of(view("STOPPED", "STOPPED"));
  EXPECT_EQ(stopped.stoppedReason, "Essential container in task exited");
  EXPECT_EQ(stopped.containers[0].exitCode, 137);
  // The protocol library accepts what we build (stoppedReason is required when STOPPED).
  auto sc = state_change("t-1", stopped);
  sc.seq = 1;
  sc.at = protocol::now_rfc3339();
  EXPECT_NO_THROW(protocol::parse_frame(protocol::serialize({1, sc})));
}

TEST(TaskReports, EqualReportsNeedNoStateChangeAndHealthCounts) {
  auto a = report_of(view("RUNNING", "RUNNING"));
  auto b = report_of(view("RUNNING", "RUNNING"));
  EXPECT_TRUE(a == b);
  b.containers[0].health = "UNHEALTHY";
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(from_control_plane(view("RUNNING", "RUNNING")));
  EXPECT_FALSE(from_control_plane({{"source", "/etc/skiff/tasks.d/web.json"}}));
}

TEST(TaskReports, TaskIdsFromTheNetworkCannotNamePaths) {
  EXPECT_TRUE(valid_task_id("t-8a1f0e2c3b4d5e6f"));
  EXPECT_TRUE(valid_task_id("task_1.2"));
  for (const char* bad : {"", "../../etc", "a/b", ".hidden", "-rf", "a..b", "sp ace", "nl\n"}) {
    EXPECT_FALSE(valid_task_id(bad)) << bad;
  }
  EXPECT_FALSE(valid_task_id(std::string(129, 'a')));
}

TEST(Endpoint, OnlyHttpsWithAHostAndAPort) {
  auto e = parse_endpoint("https://10.0.0.1:8443/", "SKIFF_ENDPOINT");
  EXPECT_EQ(e.host, "10.0.0.1");
  EXPECT_EQ(e.port, 8443);
  EXPECT_EQ(e.url(), "https://10.0.0.1:8443");
  EXPECT_EQ(parse_endpoint("https://cp.example", "x").port, 443);
  for (const char* bad : {"http://10.0.0.1:80", "https://:80", "https://h:0", "https://h:70000",
                          "https://h:12x", "10.0.0.1:8443"}) {
    try {
      parse_endpoint(bad, "SKIFF_ENDPOINT");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& err) {
      EXPECT_NE(std::string(err.what()).find("SKIFF_ENDPOINT"), std::string::npos) << err.what();
    }
  }
}

TEST(Registration, FileIsPrivateAndRoundTrips) {
  char tmpl[] = "/tmp/skiff-reg-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  const auto file = dir / "agent" / "registration.json";
  EXPECT_FALSE(load_registration(file));
  save_registration(file, {"i-1", "edge", "i-1.secret", "https://127.0.0.1:1"});
  auto back = load_registration(file);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->token, "i-1.secret");
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ofstream(file) << "{\"instanceId\": 3}";
  try {
    load_registration(file);
    ADD_FAILURE() << "a bad file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("registration.json"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace skiff::agent
