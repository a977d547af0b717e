// The HTTP layer against a fake AgentService: routes, status codes, limits, streams, and
// the socket's ownership rules.
#include "agent/api/api_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fstream>
#include <thread>

#include "common/error.h"
#include "tests/agent/api/fake_service.h"
#include "tests/agent/api/temp_dir.h"
#include "tests/agent/api/test_client.h"

namespace skiff::agent::test {
namespace {

using nlohmann::json;
using V = http::verb;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.log_dir = dir.path();
    fake.add_task("t0", "demo");
    options.socket_path = dir.path() / "agent.sock";
    options.follow_poll = std::chrono::milliseconds(20);
    options.status_poll = std::chrono::milliseconds(50);
    server = std::make_unique<ApiServer>(fake, options);
    server->start();
  }
  void TearDown() override { server->stop(); }

  Reply get(const std::string& target) { return send_request(options.socket_path, V::get, target); }
  void write_log(const std::string& name, const std::string& text) {
    std::ofstream(dir.path() / name, std::ios::app) << text;
  }

  TempDir dir;
  FakeService fake;
  ApiServerOptions options;
  std::unique_ptr<ApiServer> server;
};

TEST_F(ApiServerTest, Metadata) {
  Reply r = get("/v1/metadata");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(json::parse(r.body)["mode"], "standalone");
}

TEST_F(ApiServerTest, ListAndDescribeTasks) {
  Reply list = get("/v1/tasks");
  ASSERT_EQ(list.status, 200u);
  ASSERT_EQ(json::parse(list.body).size(), 1u);
  Reply one = get("/v1/tasks/t0");
  ASSERT_EQ(one.status, 200u);
  EXPECT_EQ(json::parse(one.body)["family"], "demo");
}

TEST_F(ApiServerTest, UnknownTaskIs404WithMessage) {
  Reply r = get("/v1/tasks/nope");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(json::parse(r.body)["error"], "no task nope");
  EXPECT_EQ(get("/v1/tasks/nope/stats").status, 404u);
  EXPECT_EQ(get("/v1/tasks/t0/containers/db/logs").status, 404u);
  EXPECT_EQ(get("/v1/nothing/here").status, 404u);
}

TEST_F(ApiServerTest, RunTaskReturns201) {
  Reply r = send_request(options.socket_path, V::post, "/v1/tasks",
                         R"({"family":"web","containerDefinitions":[{"name":"a","image":"x"}]})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(json::parse(r.body)["family"], "web");
  EXPECT_EQ(fake.last_run_source(), "api");
  EXPECT_EQ(json::parse(get("/v1/tasks").body).size(), 2u);
}

TEST_F(ApiServerTest, BadTaskDefinitionIs400NamingThePath) {
  Reply r = send_request(options.socket_path, V::post, "/v1/tasks",
                         R"({"containerDefinitions":[{"name":"a","image":"x"},{"name":"b"}]})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json::parse(r.body)["error"], "containerDefinitions[1].image: missing");
}

TEST_F(ApiServerTest, NonJsonBodyIs400) {
  Reply r = send_request(options.socket_path, V::post, "/v1/tasks", "{not json");
  EXPECT_EQ(r.status, 400u);
  // Where it went wrong: line and column, as for a file.
  EXPECT_EQ(json::parse(r.body)["error"].get<std::string>().rfind("body:1:3: malformed JSON: ", 0),
            0u)
      << r.body;
  r = send_request(options.socket_path, V::post, "/v1/tasks", "[1]");
  EXPECT_EQ(r.status, 400u);
}

TEST_F(ApiServerTest, EngineExceptionIs500AndServerLives) {
  Reply r = send_request(options.socket_path, V::post, "/v1/tasks", R"({"family":"crash"})");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(json::parse(r.body)["error"], "engine bug");
  EXPECT_EQ(get("/v1/metadata").status, 200u);
}

TEST_F(ApiServerTest, WrongMethodIs405WithAllow) {
  Reply r = send_request(options.socket_path, V::put, "/v1/tasks");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "GET, POST");
  EXPECT_EQ(send_request(options.socket_path, V::post, "/v1/metadata").status, 405u);
}

TEST_F(ApiServerTest, StopByDeleteAndByPost) {
  Reply r = send_request(options.socket_path, V::delete_, "/v1/tasks/t0?reason=maintenance%20now");
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(json::parse(r.body)["desiredStatus"], "STOPPED");
  EXPECT_EQ(fake.last_stop_reason(), "maintenance now");
  r = send_request(options.socket_path, V::post, "/v1/tasks/t0/stop", R"({"reason":"bye"})");
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(fake.last_stop_reason(), "bye");
  r = send_request(options.socket_path, V::post, "/v1/tasks/t0/stop", R"({"reason":5})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json::parse(r.body)["error"], "body.reason: must be a string");
  EXPECT_EQ(send_request(options.socket_path, V::delete_, "/v1/tasks/zz").status, 404u);
}

TEST_F(ApiServerTest, Stats) {
  Reply r = get("/v1/tasks/t0/stats");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body)["containers"]["web"]["pids"]["current"], 3);
}

TEST_F(ApiServerTest, ExecTarget) {
  Reply r = get("/v1/tasks/t0/containers/web/exec-target");
  ASSERT_EQ(r.status, 200u);
  json t = json::parse(r.body);
  EXPECT_EQ(t["containerId"], "t0-web");
  EXPECT_EQ(t["runtimeRoot"], "/run/skiff/runtime");
}

TEST_F(ApiServerTest, Drain) {
  Reply r = send_request(options.socket_path, V::post, "/v1/drain", "");
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(fake.last_drain_reason(), "drained through the local API");
}

TEST_F(ApiServerTest, BodyOverCapIs413) {
  std::string big(options.max_body + 1, ' ');
  Reply r = send_request(options.socket_path, V::post, "/v1/tasks", big);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(get("/v1/metadata").status, 200u);
}

TEST_F(ApiServerTest, HugeHeaderIs431) {
  UnixStream s(connect_unix(options.socket_path));
  std::string req =
      "GET /v1/metadata HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(options.max_header * 2, 'a') +
      "\r\n\r\n";
  std::string got = raw_exchange(s, req);
  EXPECT_NE(got.find("HTTP/1.1 431"), std::string::npos) << got.substr(0, 200);
  EXPECT_EQ(get("/v1/metadata").status, 200u);
}

TEST_F(ApiServerTest, GarbageIs400AndServerLives) {
  for (std::string junk : {std::string("\x16\x03\x01\x02\x00garbage\r\n\r\n", 16),
                           std::string("NOT HTTP AT ALL\r\n\r\n"),
                           std::string("GET /v1/tasks/%zz HTTP/1.1\r\nHost: x\r\n\r\n"),
                           std::string("GET relative HTTP/1.1\r\nHost: x\r\n\r\n")}) {
    UnixStream s(connect_unix(options.socket_path));
    std::string got = raw_exchange(s, junk, "\r\n\r\n");
    EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 400") << got;
  }
  // A client that connects and leaves, and one that sends half a request and leaves.
  { UnixStream s(connect_unix(options.socket_path)); }
  {
    UnixStream s(connect_unix(options.socket_path));
    boost::asio::write(s, boost::asio::buffer(std::string(
                              "POST /v1/tasks HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")));
  }
  EXPECT_EQ(get("/v1/metadata").status, 200u);
}

TEST_F(ApiServerTest, KeepAliveServesSeveralRequests) {
  UnixStream s(connect_unix(options.socket_path));
  s.expires_after(std::chrono::seconds(20));
  boost::beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    http::request<http::empty_body> req{V::get, "/v1/tasks/t0", 11};
    http::write(s, req);
    http::response<http::string_body> res;
    http::read(s, buffer, res);
    EXPECT_EQ(res.result_int(), 200u);
  }
}

TEST_F(ApiServerTest, LogsAcrossRotationWithTailAndStreamFilter) {
  write_log("t0-web.log.2", "2026-11-24T22:00:00Z stdout F one\n");
  write_log("t0-web.log.1",
            "2026-11-24T22:00:01Z stdout P tw\n2026-11-24T22:00:01Z stderr F err1\n"
            "2026-11-24T22:00:01Z stdout F o\n");
  write_log("t0-web.log", "2026-11-24T22:00:02Z stdout F three\n");
  Reply all = get("/v1/tasks/t0/containers/web/logs");
  ASSERT_EQ(all.status, 200u);
  EXPECT_EQ(all.body, "one\nerr1\ntwo\nthree\n");
  EXPECT_EQ(get("/v1/tasks/t0/containers/web/logs?tail=2").body, "two\nthree\n");
  EXPECT_EQ(get("/v1/tasks/t0/containers/web/logs?stream=stderr").body, "err1\n");
  EXPECT_EQ(get("/v1/tasks/t0/containers/web/logs?tail=1&timestamps=1").body,
            "2026-11-24T22:00:02Z three\n");
  EXPECT_EQ(get("/v1/tasks/t0/containers/web/logs?tail=x").status, 400u);
  EXPECT_EQ(get("/v1/tasks/t0/containers/web/logs?stream=both").status, 400u);
}

TEST_F(ApiServerTest, LogsBeforeTheFileExistsIs404) {
  Reply r = get("/v1/tasks/t0/containers/web/logs");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("has no log yet"),
            std::string::npos);
}

TEST_F(ApiServerTest, JournaldLogsAre501) {
  fake.log_driver = "journald";
  Reply r = get("/v1/tasks/t0/containers/web/logs");
  EXPECT_EQ(r.status, 501u);
  EXPECT_NE(r.body.find("journalctl CONTAINER_ID=t0-web"), std::string::npos);
}

TEST_F(ApiServerTest, FollowDeliversNewLinesAcrossRotationAndEndsWhenTaskStops) {
  write_log("t0-web.log", "2026-11-24T22:00:00Z stdout F first\n");
  UnixStream s(connect_unix(options.socket_path));
  std::string got = raw_exchange(
      s, "GET /v1/tasks/t0/containers/web/logs?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n", "first\n");
  ASSERT_NE(got.find("first\n"), std::string::npos);
  EXPECT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos);

  write_log("t0-web.log", "2026-11-24T22:00:01Z stdout F second\n");
  got = raw_exchange(s, "", "second\n");
  ASSERT_NE(got.find("second\n"), std::string::npos);

  // Rotation: the shim renames the file and starts a new one.
  std::filesystem::rename(dir.path() / "t0-web.log", dir.path() / "t0-web.log.1");
  write_log("t0-web.log", "2026-11-24T22:00:02Z stdout F third\n");
  got = raw_exchange(s, "", "third\n");
  ASSERT_NE(got.find("third\n"), std::string::npos);

  fake.mark_stopped("t0");
  got = raw_exchange(s, "");  // until the server ends the response
  EXPECT_NE(got.find("0\r\n\r\n"), std::string::npos) << got;
}

TEST_F(ApiServerTest, EventsAndFollow) {
  fake.push_event({{"type", "TaskStateChange"}, {"taskId", "t0"}});
  fake.push_event({{"type", "ContainerStateChange"}, {"taskId", "t0"}});
  Reply r = get("/v1/events");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  EXPECT_EQ(r.body,
            "{\"seq\":1,\"taskId\":\"t0\",\"type\":\"TaskStateChange\"}\n"
            "{\"seq\":2,\"taskId\":\"t0\",\"type\":\"ContainerStateChange\"}\n");
  EXPECT_EQ(get("/v1/events?since=1").body,
            "{\"seq\":2,\"taskId\":\"t0\",\"type\":\"ContainerStateChange\"}\n");

  UnixStream s(connect_unix(options.socket_path));
  std::string got =
      raw_exchange(s, "GET /v1/events?since=2&follow=1 HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
  EXPECT_EQ(got.find("seq"), std::string::npos);
  fake.push_event({{"type", "Later"}});
  got = raw_exchange(s, "", "Later");
  EXPECT_NE(got.find("{\"seq\":3,\"type\":\"Later\"}\n"), std::string::npos) << got;
}

TEST_F(ApiServerTest, StopEndsOpenFollowStreams) {
  UnixStream s(connect_unix(options.socket_path));
  raw_exchange(s, "GET /v1/events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
  server->stop();  // must join the streaming connection's thread
  // The stream ends: EOF, not the read giving up at its deadline (a timeout would also
  // end raw_exchange, so it cannot tell the two apart).
  s.expires_after(std::chrono::seconds(20));
  boost::system::error_code ec;
  char buf[4096];
  while (!ec) s.read_some(boost::asio::buffer(buf), ec);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
      << ec.message();
  EXPECT_FALSE(std::filesystem::exists(options.socket_path));
}

TEST_F(ApiServerTest, OtherRequestsAreServedWhileStreamsFollow) {
  std::vector<std::unique_ptr<UnixStream>> followers;
  for (int i = 0; i < 4; ++i) {
    followers.push_back(std::make_unique<UnixStream>(connect_unix(options.socket_path)));
    raw_exchange(*followers.back(), "GET /v1/events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n",
                 "\r\n\r\n");
  }
  EXPECT_EQ(get("/v1/metadata").status, 200u);
}

TEST_F(ApiServerTest, ManyClientsAtOnce) {
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      for (int j = 0; j < 25; ++j) {
        if (send_request(options.socket_path, V::get, "/v1/tasks/t0").status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8 * 25);
}

TEST_F(ApiServerTest, SocketIsMode0600) {
  struct stat st {};
  ASSERT_EQ(::lstat(options.socket_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(ApiServerTest, SecondServerOnLiveSocketIsRefused) {
  FakeService other;
  ApiServer second(other, options);
  try {
    second.start();
    FAIL() << "second server started";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another skiff-agent holds"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(get("/v1/metadata").status, 200u);  // the first one is untouched
}

TEST(ApiServerSocket, LiveListenerWithoutLockIsRefused) {
  TempDir dir;
  auto path = dir.path() / "agent.sock";
  // Some other process listening on the path (no lock file).
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd.get(), 1), 0);
  FakeService fake;
  ApiServerOptions options;
  options.socket_path = path;
  ApiServer server(fake, options);
  EXPECT_THROW(server.start(), Error);
}

TEST(ApiServerSocket, StaleSocketIsReplaced) {
  TempDir dir;
  auto path = dir.path() / "agent.sock";
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }  // closed: the path stays behind, like after a crash
  ASSERT_TRUE(std::filesystem::exists(path));
  FakeService fake;
  ApiServerOptions options;
  options.socket_path = path;
  ApiServer server(fake, options);
  server.start();
  EXPECT_EQ(send_request(path, V::get, "/v1/metadata").status, 200u);
  server.stop();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ApiServerSocket, RegularFileAtThePathIsNotReplaced) {
  TempDir dir;
  auto path = dir.path() / "agent.sock";
  std::ofstream(path) << "precious";
  FakeService fake;
  ApiServerOptions options;
  options.socket_path = path;
  ApiServer server(fake, options);
  EXPECT_THROW(server.start(), Error);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST(ApiServerSocket, TooManyConnectionsGet503) {
  TempDir dir;
  FakeService fake;
  ApiServerOptions options;
  options.socket_path = dir.path() / "agent.sock";
  options.max_connections = 2;
  ApiServer server(fake, options);
  server.start();
  UnixStream a(connect_unix(options.socket_path));
  UnixStream b(connect_unix(options.socket_path));
  raw_exchange(a, "GET /v1/events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
  raw_exchange(b, "GET /v1/events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
  Reply r = send_request(options.socket_path, V::get, "/v1/metadata");
  EXPECT_EQ(r.status, 503u);
}

// Issue 12: a task definition nested 100,000 deep crashed the agent (stack overflow in
// nlohmann's recursive copy and dump). It is refused before it is built.
TEST_F(ApiServerTest, DeeplyNestedBodyIsRefused) {
  std::string deep = R"({"family":"deep","containerDefinitions":[{"name":"a","image":"x"}],"x":)";
  deep.append(100'000, '[');
  deep.append(100'000, ']');
  deep += '}';
  Reply r = send_request(options.socket_path, V::post, "/v1/tasks", deep);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json::parse(r.body)["error"], "body: nested deeper than 64 levels");
  std::string stop_body = R"({"reason":)";
  stop_body.append(100'000, '[');
  stop_body.append(100'000, ']');
  stop_body += '}';
  r = send_request(options.socket_path, V::post, "/v1/tasks/t0/stop", stop_body);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(get("/v1/tasks").status, 200u);
}

TEST(ApiServerDeadlines, SilentConnectionIsClosedAfterTheHeaderTimeout) {
  TempDir dir;
  FakeService fake;
  ApiServerOptions options;
  options.socket_path = dir.path() / "agent.sock";
  options.header_timeout = std::chrono::milliseconds(300);
  ApiServer server(fake, options);
  server.start();
  UnixStream silent(connect_unix(options.socket_path));
  UnixStream slow(connect_unix(options.socket_path));
  const auto t0 = std::chrono::steady_clock::now();
  std::string got = raw_exchange(slow, "GET /v1/tasks HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(got, "");
  got = raw_exchange(silent, "");
  EXPECT_EQ(got, "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  // A keep-alive connection gets the same deadline between requests: the reply, then EOF.
  UnixStream idle(connect_unix(options.socket_path));
  const auto t1 = std::chrono::steady_clock::now();
  got = raw_exchange(idle, "GET /v1/metadata HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0U) << got;
  EXPECT_EQ(got.find("Connection: close"), std::string::npos) << got;
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(3));
}

TEST(ApiServerDeadlines, StreamsCannotTakeTheSlotsKeptForRequests) {
  TempDir dir;
  FakeService fake;
  ApiServerOptions options;
  options.socket_path = dir.path() / "agent.sock";
  options.max_connections = 6;
  options.max_streams = 3;
  ApiServer server(fake, options);
  server.start();
  std::vector<std::unique_ptr<UnixStream>> followers;
  std::vector<std::string> heads;
  for (int i = 0; i < 5; ++i) {
    followers.push_back(std::make_unique<UnixStream>(connect_unix(options.socket_path)));
    heads.push_back(raw_exchange(
        *followers.back(), "GET /v1/events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n"));
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(heads[i].rfind("HTTP/1.1 200", 0), 0U) << heads[i];
  for (int i = 3; i < 5; ++i) EXPECT_EQ(heads[i].rfind("HTTP/1.1 503", 0), 0U) << heads[i];
  // Every slot full of connections that never send a request: the longest waiting goes.
  std::vector<std::unique_ptr<UnixStream>> waiting;
  for (int i = 0; i < 10; ++i) {
    waiting.push_back(std::make_unique<UnixStream>(connect_unix(options.socket_path)));
  }
  EXPECT_EQ(send_request(options.socket_path, V::get, "/v1/tasks").status, 200u);
  EXPECT_EQ(raw_exchange(*waiting.front(), ""), "");  // closed to make room
}

}  // namespace
}  // namespace skiff::agent::test
