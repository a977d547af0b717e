#include "protocol/frames.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <ctime>

#include "common/json_parse.h"

namespace skiff::protocol {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 10> kTypes = {
    "Payload",  "TaskManifest", "Heartbeat", "HeartbeatAck", "Ack",
    "StopTask", "Error",        "Hello",     "StateChange",  "Metrics"};

constexpr const char* kTaskStatuses = "PENDING|RUNNING|STOPPED";
constexpr const char* kHealth = "UNKNOWN|HEALTHY|UNHEALTHY";

std::string at_index(const std::string& path, const char* key, std::size_t i) {
  return fmt::format("{}.{}[{}]", path, key, i);
}

std::vector<ContainerState> parse_containers(const JsonReader& r, bool required) {
  std::vector<ContainerState> out;
  if (!required && !r.has("containers")) return out;
  const auto& arr = r.array("containers");
  for (std::size_t i = 0; i < arr.size(); ++i) {
    out.push_back(parse_container_state(arr[i], at_index(r.path(), "containers", i)));
  }
  return out;
}

json containers_json(const std::vector<ContainerState>& cs) {
  json arr = json::array();
  for (const auto& c : cs) arr.push_back(to_json(c));
  return arr;
}

std::vector<TaskSpec> parse_specs(const JsonReader& r) {
  std::vector<TaskSpec> out;
  const auto& arr = r.array("tasks");
  for (std::size_t i = 0; i < arr.size(); ++i) {
    out.push_back(parse_task_spec(arr[i], at_index(r.path(), "tasks", i)));
  }
  return out;
}

json specs_json(const std::vector<TaskSpec>& specs) {
  json arr = json::array();
  for (const auto& t : specs) arr.push_back(to_json(t));
  return arr;
}

Body parse_body(std::string_view type, const json& body) {
  const auto r = object_reader(body, "body");
  if (type == "Payload") return Payload{parse_specs(r)};
  if (type == "TaskManifest") return TaskManifest{parse_specs(r)};
  if (type == "Heartbeat") return Heartbeat{r.opt_str("at").value_or("")};
  if (type == "HeartbeatAck") return HeartbeatAck{r.u64("seq")};
  if (type == "Ack") return Ack{r.u64("seq")};
  if (type == "StopTask") {
    return StopTask{r.str("taskId"), r.opt_str("reason").value_or(""),
                    r.has("desiredSeq") ? r.u64("desiredSeq") : 0};
  }
  if (type == "Error") {
    return ErrorFrame{r.str("code"), r.opt_str("message").value_or(""),
                      r.has("refSeq") ? r.u64("refSeq") : 0};
  }
  if (type == "Hello") {
    Hello h{r.str("instanceId"), r.opt_str("agentVersion").value_or(""), {}};
    const auto& arr = r.array("tasks");
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const auto t = object_reader(arr[i], at_index(r.path(), "tasks", i));
      h.tasks.push_back(KnownTask{t.str("taskId"), t.one_of("knownStatus", kTaskStatuses),
                                  t.has("desiredSeq") ? t.u64("desiredSeq") : 0,
                                  parse_containers(t, false),
                                  t.opt_str("stoppedReason").value_or("")});
    }
    return h;
  }
  if (type == "StateChange") {
    StateChange s{r.str("taskId"),
                  r.u64("seq"),
                  r.one_of("knownStatus", kTaskStatuses),
                  r.opt_str("stoppedReason").value_or(""),
                  r.str("at"),
                  parse_containers(r, true)};
    if (s.knownStatus == "STOPPED" && s.stoppedReason.empty()) {
      r.fail("stoppedReason", "required when knownStatus is STOPPED");
    }
    return s;
  }
  if (type == "Metrics") {
    Metrics m{r.str("at"), json::object(), json::array()};
    if (r.has("instance")) m.instance = r.object("instance");
    if (r.has("tasks")) {
      const auto& arr = r.array("tasks");
      for (std::size_t i = 0; i < arr.size(); ++i) {
        object_reader(arr[i], at_index(r.path(), "tasks", i)).str("taskId");
      }
      m.tasks = arr;
    }
    return m;
  }
  throw ProtocolError("unknown_type", fmt::format("type: unknown frame type '{}'", type));
}

struct BodyToJson {
  json operator()(const Payload& p) const { return {{"tasks", specs_json(p.tasks)}}; }
  json operator()(const TaskManifest& p) const { return {{"tasks", specs_json(p.tasks)}}; }
  json operator()(const Heartbeat& h) const { return {{"at", h.at}}; }
  json operator()(const HeartbeatAck& a) const { return {{"seq", a.seq}}; }
  json operator()(const Ack& a) const { return {{"seq", a.seq}}; }
  json operator()(const StopTask& s) const {
    return {{"taskId", s.taskId}, {"reason", s.reason}, {"desiredSeq", s.desiredSeq}};
  }
  json operator()(const ErrorFrame& e) const {
    return {{"code", e.code}, {"message", e.message}, {"refSeq", e.refSeq}};
  }
  json operator()(const Hello& h) const {
    json tasks = json::array();
    for (const auto& t : h.tasks) {
      json task = {{"taskId", t.taskId},
                   {"knownStatus", t.knownStatus},
                   {"desiredSeq", t.desiredSeq},
                   {"containers", containers_json(t.containers)}};
      if (!t.stoppedReason.empty()) task["stoppedReason"] = t.stoppedReason;
      tasks.push_back(std::move(task));
    }
    return {{"instanceId", h.instanceId}, {"agentVersion", h.agentVersion}, {"tasks", tasks}};
  }
  json operator()(const StateChange& s) const {
    json j = {{"taskId", s.taskId},
              {"seq", s.seq},
              {"knownStatus", s.knownStatus},
              {"at", s.at},
              {"containers", containers_json(s.containers)}};
    if (!s.stoppedReason.empty()) j["stoppedReason"] = s.stoppedReason;
    return j;
  }
  json operator()(const Metrics& m) const {
    return {{"at", m.at}, {"instance", m.instance}, {"tasks", m.tasks}};
  }
};

}  // namespace

std::string_view type_name(const Body& body) {
  return kTypes.at(body.index());
}

std::string_view Frame::type() const {
  return type_name(body);
}

bool is_known_type(std::string_view type) {
  for (auto t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

TaskSpec parse_task_spec(const json& j, const std::string& path) {
  const auto r = object_reader(j, path);
  TaskSpec t;
  t.taskId = r.str("taskId");
  t.cluster = r.opt_str("cluster").value_or("");
  t.family = r.str("family");
  t.revision = r.u64("revision");
  t.desiredStatus = r.one_of("desiredStatus", "RUNNING|STOPPED");
  t.desiredSeq = r.u64("desiredSeq");
  t.startedBy = r.opt_str("startedBy").value_or("");
  t.taskDefinition = r.object("taskDefinition");
  return t;
}

json to_json(const TaskSpec& t) {
  json j = {{"taskId", t.taskId},
            {"cluster", t.cluster},
            {"family", t.family},
            {"revision", t.revision},
            {"desiredStatus", t.desiredStatus},
            {"desiredSeq", t.desiredSeq},
            {"taskDefinition", t.taskDefinition}};
  if (!t.startedBy.empty()) j["startedBy"] = t.startedBy;
  return j;
}

ContainerState parse_container_state(const json& j, const std::string& path) {
  const auto r = object_reader(j, path);
  ContainerState c;
  c.name = r.str("name");
  c.status = r.one_of("status", kTaskStatuses);
  c.exitCode = r.opt_i64("exitCode");
  c.reason = r.opt_str("reason").value_or("");
  if (r.has("health")) c.health = r.one_of("health", kHealth);
  return c;
}

json to_json(const ContainerState& c) {
  json j = {{"name", c.name}, {"status", c.status}, {"health", c.health}};
  if (c.exitCode) j["exitCode"] = *c.exitCode;
  if (!c.reason.empty()) j["reason"] = c.reason;
  return j;
}

Frame parse_frame(std::string_view text) {
  if (skiff::json_depth_violation(text, skiff::kMaxJsonDepth) != std::string_view::npos) {
    throw ProtocolError("bad_json",
                        fmt::format("frame is nested deeper than {} levels", skiff::kMaxJsonDepth));
  }
  json j = skiff::parse_json_or_discarded(text);
  if (j.is_discarded()) throw ProtocolError("bad_json", "frame is not valid JSON");
  if (!j.is_object()) throw ProtocolError("bad_json", "frame is not a JSON object");
  return parse_frame_json(j);
}

Frame parse_frame_json(const json& j) {
  const auto r = object_reader(j, "");
  const auto type = r.str("type");
  Frame f;
  f.seq = r.u64("seq");
  if (f.seq == 0) r.fail("seq", "must be at least 1");
  if (!is_known_type(type)) {
    throw ProtocolError("unknown_type", fmt::format("type: unknown frame type '{}'", type));
  }
  f.body = parse_body(type, r.object("body"));
  return f;
}

json to_json(const Frame& frame) {
  return {
      {"type", frame.type()}, {"seq", frame.seq}, {"body", std::visit(BodyToJson{}, frame.body)}};
}

std::string serialize(const Frame& frame) {
  return to_json(frame).dump();
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

}  // namespace skiff::protocol
