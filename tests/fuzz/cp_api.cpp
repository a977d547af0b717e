// Fuzz target: the control plane's HTTP API in process (handle_http: admin routes and
// /v1/register) and the agent stream's frames as the controller handles them (on_frame),
// over a fresh SQLite store per input.
//
// Input: items separated by "\n%%\n", at most 16. An item is "METHOD TARGET\n" + body (an
// authorised admin call, or /v1/register), or "FRAME\n" + a frame from the registered
// agent. Placeholders let inputs reach past the secrets: @ACT_ID@ and @ACT_CODE@ (an
// activation of cluster "fuzz"), @INSTANCE@ (the last instance registered).
//
// Findings: a 500 (an exception other than ApiError escaped), an exception out of
// on_frame (the session answers "internal"), a frame that cannot be serialized, and a
// store the controller cannot load back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/server/api.h"
#include "controlplane/server/controller.h"
#include "controlplane/server/store.h"
#include "protocol/frames.h"
#include "protocol/json_reader.h"
#include "protocol/limits.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using nlohmann::json;
namespace protocol = skiff::protocol;

constexpr const char* kAdminToken = "fuzz-admin-token";

// What AgentSession does with a frame it sends: serialize it.
class FuzzLink : public skiff::cp::AgentLink {
 public:
  std::uint64_t send(protocol::Body body) override {
    (void)protocol::serialize(protocol::Frame{++seq_, std::move(body)});
    return seq_;
  }
  void close(std::uint16_t, const std::string&) override {}

 private:
  std::uint64_t seq_ = 0;
};

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

std::vector<std::string> split_items(std::string_view text) {
  constexpr std::string_view kSep = "\n%%\n";
  std::vector<std::string> items;
  while (items.size() < 16) {
    std::size_t at = text.find(kSep);
    items.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + kSep.size());
  }
  return items;
}

[[noreturn]] void finding(const std::string& what, const json& detail) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(),
               detail.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::cp;
  Store store(":memory:");
  Controller controller(store, ControllerOptions{});
  controller.create_cluster({{"name", "fuzz"}});
  json activation = controller.create_activation("fuzz", json::object());
  std::string instance;
  FuzzLink link;
  std::uint64_t in_seq = 0;

  for (std::string item : split_items(skiff::fuzz::as_text(data, size))) {
    replace_all(item, "@ACT_ID@", activation["activationId"].get<std::string>());
    replace_all(item, "@ACT_CODE@", activation["activationCode"].get<std::string>());
    replace_all(item, "@INSTANCE@", instance);
    std::size_t eol = item.find('\n');
    std::string line = item.substr(0, eol);
    std::string body = eol == std::string::npos ? "" : item.substr(eol + 1);

    if (line == "FRAME") {
      // AgentSession::handle_text, minus the socket.
      if (instance.empty() || body.size() > protocol::kMaxFrameBytes) continue;
      protocol::Frame frame;
      try {
        frame = protocol::parse_frame(body);
      } catch (const protocol::ProtocolError& e) {
        link.send(protocol::ErrorFrame{e.code(), e.what(), 0});
        continue;
      }
      if (frame.seq <= in_seq) continue;
      in_seq = frame.seq;
      try {
        controller.on_frame(instance, link, frame);
      } catch (const std::exception& e) {
        finding("on_frame threw", json{{"error", e.what()}, {"frame", body}});
      }
      continue;
    }

    std::size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    HttpCall call;
    call.method = line.substr(0, space);
    call.target = line.substr(space + 1);
    call.authorization = std::string("Bearer ") + kAdminToken;
    call.body = body;
    call.peer_address = "192.0.2.10";
    if (call.body.size() > protocol::kMaxHttpBodyBytes) continue;  // the server's limit
    HttpReply reply = handle_http(controller, kAdminToken, call);
    if (reply.status >= 500) finding("HTTP " + std::to_string(reply.status), reply.body);
    (void)reply.body.dump(-1, ' ', false, json::error_handler_t::replace);
    if (call.target == "/v1/register" && reply.status == 201) {
      instance = reply.body.value("instanceId", "");
      controller.attach(instance, &link);
      in_seq = 0;
    }
  }
  controller.tick();

  // Everything written through must load back after a restart.
  try {
    Controller restarted(store, ControllerOptions{});
    restarted.load();
  } catch (const std::exception& e) {
    finding("load after restart", json{{"error", e.what()}});
  }
  return 0;
}
