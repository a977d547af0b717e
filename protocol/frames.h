// skiff-protocol/1 frames: {"type", "seq", "body"} (docs/protocol.md, "Stream").
//
// parse_frame() validates everything an untrusted peer sends and throws ProtocolError
// naming the field; to_json() is its inverse. Unknown fields are ignored.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/json_reader.h"

namespace skiff::protocol {

struct ContainerState {
  std::string name;
  std::string status;  // PENDING | RUNNING | STOPPED
  std::optional<std::int64_t> exitCode;
  std::string reason;
  std::string health = "UNKNOWN";  // UNKNOWN | HEALTHY | UNHEALTHY
};

// One task as the control plane wants it (Payload and TaskManifest entries).
struct TaskSpec {
  std::string taskId;
  std::string cluster;
  std::string family;
  std::uint64_t revision = 0;
  std::string desiredStatus;  // RUNNING | STOPPED
  std::uint64_t desiredSeq = 0;
  std::string startedBy;
  nlohmann::json taskDefinition;  // ECS JSON as registered
};

// One task as the agent knows it (Hello entries).
struct KnownTask {
  std::string taskId;
  std::string knownStatus;  // PENDING | RUNNING | STOPPED
  std::uint64_t desiredSeq = 0;
  std::vector<ContainerState> containers;
  std::string stoppedReason;  // optional, for a task that stopped while disconnected
};

struct Payload {
  std::vector<TaskSpec> tasks;
};
struct TaskManifest {
  std::vector<TaskSpec> tasks;
};
struct Heartbeat {
  std::string at;
};
struct HeartbeatAck {
  std::uint64_t seq = 0;
};
struct Ack {
  std::uint64_t seq = 0;
};
struct StopTask {
  std::string taskId;
  std::string reason;
  std::uint64_t desiredSeq = 0;
};
struct ErrorFrame {
  std::string code;
  std::string message;
  std::uint64_t refSeq = 0;
};
struct Hello {
  std::string instanceId;
  std::string agentVersion;
  std::vector<KnownTask> tasks;
};
struct StateChange {
  std::string taskId;
  std::uint64_t seq = 0;  // the agent's persistent state-change counter
  std::string knownStatus;
  std::string stoppedReason;
  std::string at;
  std::vector<ContainerState> containers;
};
// Metrics bodies are kept as JSON after checking their shape: the control plane only
// stores and shows them.
struct Metrics {
  std::string at;
  nlohmann::json instance = nlohmann::json::object();
  nlohmann::json tasks = nlohmann::json::array();
};

using Body = std::variant<Payload, TaskManifest, Heartbeat, HeartbeatAck, Ack, StopTask, ErrorFrame,
                          Hello, StateChange, Metrics>;

struct Frame {
  std::uint64_t seq = 0;
  Body body;

  std::string_view type() const;
};

// The frame type names, in Body order.
std::string_view type_name(const Body& body);
bool is_known_type(std::string_view type);

// Parses and validates one text message. Throws ProtocolError with code bad_json,
// bad_frame or unknown_type.
Frame parse_frame(std::string_view text);
Frame parse_frame_json(const nlohmann::json& j);

nlohmann::json to_json(const Frame& frame);
std::string serialize(const Frame& frame);

// Pieces reused by other messages (and by tests).
TaskSpec parse_task_spec(const nlohmann::json& j, const std::string& path);
nlohmann::json to_json(const TaskSpec& t);
ContainerState parse_container_state(const nlohmann::json& j, const std::string& path);
nlohmann::json to_json(const ContainerState& c);

// RFC 3339 UTC with milliseconds, for `at` fields.
std::string now_rfc3339();

}  // namespace skiff::protocol
