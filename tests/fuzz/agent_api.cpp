// Fuzz target: the agent's local HTTP API, in process: the request router and handlers
// (handle_request) over the test FakeService, whose run_task uses the real task definition
// parser as the engine does. Input: "METHOD TARGET\n" then the body.
//
// A 500 means an exception other than skiff::Error / NotFound / bad JSON escaped a handler
// (the fake itself never fails that way), so it is a finding; so is a reply the server
// could not write.
#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/api/api_routes.h"
#include "taskdef/task_definition.h"
#include "tests/agent/api/fake_service.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

class FuzzService : public skiff::agent::test::FakeService {
 public:
  nlohmann::json run_task(const std::string& definition, const std::string& source) override {
    auto task = skiff::taskdef::parse_task_definition(definition, source);
    std::string id = "t" + std::to_string(++runs_);
    add_task(id, task.family);
    return describe_task(id);
  }

 private:
  unsigned runs_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  std::string_view text = skiff::fuzz::as_text(data, size);
  std::size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;

  skiff::agent::ApiRequest request;
  request.method = http::string_to_verb(std::string(line.substr(0, space)));
  if (request.method == http::verb::unknown) return 0;  // Beast's parser refuses those
  request.target = std::string(line.substr(space + 1));
  if (eol != std::string_view::npos) request.body = std::string(text.substr(eol + 1));

  FuzzService service;
  service.log_dir = "/nonexistent/skiff-fuzz";
  service.add_task("t-fuzz", "fuzz");
  service.push_event({{"type", "TaskStateChange"}, {"taskId", "t-fuzz"}});

  skiff::agent::ApiReply reply = skiff::agent::handle_request(service, request);
  if (reply.status == http::status::internal_server_error) {
    std::fprintf(stderr, "500: %s\n",
                 reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::abort();
  }
  // As api_streams.cpp writes it.
  (void)reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
