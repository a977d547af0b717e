// Root-only access, as root: an unprivileged process can neither open the socket (mode
// 0600) nor, if the mode were ever widened, get an answer (SO_PEERCRED check).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "agent/api/api_server.h"
#include "common/error.h"
#include "tests/agent/api/fake_service.h"
#include "tests/agent/api/temp_dir.h"
#include "tests/agent/api/test_client.h"

namespace skiff::agent::test {
namespace {

constexpr uid_t kNobody = 65534;

// Runs `body` in a child that has dropped to uid/gid nobody; returns its exit code.
template <class F>
int as_nobody(F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(100);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class ApiAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // nobody must be able to reach the socket's directory for the test to mean anything.
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
    options.socket_path = dir.path() / "agent.sock";
    server = std::make_unique<ApiServer>(fake, options);
    server->start();
  }

  TempDir dir;
  FakeService fake;
  ApiServerOptions options;
  std::unique_ptr<ApiServer> server;
};

TEST_F(ApiAccessTest, UnprivilegedConnectIsDenied) {
  int code = as_nobody([&] {
    try {
      connect_unix(options.socket_path);
      return 1;
    } catch (const SysError& e) {
      return e.code() == EACCES ? 0 : 2;
    }
  });
  EXPECT_EQ(code, 0);
}

TEST_F(ApiAccessTest, PeerCredentialsAreCheckedEvenIfTheModeIsWidened) {
  ASSERT_EQ(::chmod(options.socket_path.c_str(), 0666), 0);
  int code = as_nobody([&] {
    try {
      Reply r = send_request(options.socket_path, http::verb::get, "/v1/tasks");
      return r.status == 403 ? 0 : 1;
    } catch (...) {
      return 2;
    }
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(send_request(options.socket_path, http::verb::get, "/v1/tasks").status, 200u);
}

}  // namespace
}  // namespace skiff::agent::test
