// Control plane -> engine: Payload, TaskManifest and StopTask become desired state.
// Runs on the io thread; the engine calls only take its lock briefly.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <set>

#include "agent/connection/client_impl.h"
#include "agent/engine/engine.h"

namespace skiff::agent {

protocol::Hello ControlPlaneClient::Impl::hello() {
  protocol::Hello h;
  h.instanceId = options.registration.instance_id;
  h.agentVersion = "0.1.0";
  for (const auto& view : engine.list_tasks()) {
    if (!from_control_plane(view)) continue;
    const std::string id = view["taskId"];
    auto r = report_of(view);
    h.tasks.push_back({id, r.knownStatus, desired.get(id), r.containers, r.stoppedReason});
  }
  return h;
}

void ControlPlaneClient::Impl::handle_frame(const protocol::Frame& f) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, protocol::Payload>) {
          for (const auto& spec : b.tasks) apply_spec(spec, f.seq);
          send(protocol::Ack{f.seq});
        } else if constexpr (std::is_same_v<T, protocol::TaskManifest>) {
          apply_manifest(b, f.seq);
          send(protocol::Ack{f.seq});
        } else if constexpr (std::is_same_v<T, protocol::StopTask>) {
          apply_stop(b, f.seq);
          send(protocol::Ack{f.seq});
        } else if constexpr (std::is_same_v<T, protocol::Heartbeat>) {
          send(protocol::HeartbeatAck{f.seq});
        } else if constexpr (std::is_same_v<T, protocol::Ack>) {
          auto it = state_by_frame.find(b.seq);
          if (it == state_by_frame.end()) return;
          outbox.ack_through(it->second);
          state_by_frame.erase(state_by_frame.begin(), std::next(it));
        } else if constexpr (std::is_same_v<T, protocol::ErrorFrame>) {
          spdlog::warn("control plane refused our frame {}: {} ({})", b.refSeq, b.message, b.code);
        } else {
          send_error("bad_frame", fmt::format("type: {} is not sent by control planes", f.type()),
                     f.seq);
        }
      },
      f.body);
}

void ControlPlaneClient::Impl::apply_spec(const protocol::TaskSpec& spec, std::uint64_t frame_seq) {
  if (!valid_task_id(spec.taskId)) {
    return send_error("bad_frame",
                      "body.tasks[].taskId: '" + spec.taskId.substr(0, 140) +
                          "' is not a valid task id (letters, digits, '-', '_', '.')",
                      frame_seq);
  }
  if (!desired.accept(spec.taskId, spec.desiredSeq)) return;  // older than what we hold
  if (spec.desiredStatus == "STOPPED") {
    if (engine.has_task(spec.taskId)) {
      engine.stop_task(spec.taskId, "desired status STOPPED");
    } else {
      stopped_without_engine(spec.taskId, "never started: desired status STOPPED");
    }
    return;
  }
  if (engine.has_task(spec.taskId)) return;
  try {
    engine.submit(spec.taskDefinition.dump(), std::string(kControlPlaneSource) + spec.cluster,
                  false, spec.taskId);
    spdlog::info("task {} ({}:{}) accepted from the control plane", spec.taskId, spec.family,
                 spec.revision);
  } catch (const std::exception& e) {
    // The control plane learns why; nothing is left half-created here.
    spdlog::error("task {} refused: {}", spec.taskId, e.what());
    stopped_without_engine(spec.taskId, std::string("task definition refused: ") + e.what());
  }
}

void ControlPlaneClient::Impl::apply_manifest(const protocol::TaskManifest& m,
                                              std::uint64_t frame_seq) {
  std::set<std::string> listed;
  for (const auto& spec : m.tasks) {
    listed.insert(spec.taskId);
    apply_spec(spec, frame_seq);
  }
  for (const auto& view : engine.list_tasks()) {
    if (!from_control_plane(view) || view["desiredStatus"] == "STOPPED") continue;
    const std::string id = view["taskId"];
    if (listed.count(id)) continue;
    spdlog::info("task {} is not in the control plane's manifest; stopping it", id);
    engine.stop_task(id, "not in manifest");
  }
}

void ControlPlaneClient::Impl::apply_stop(const protocol::StopTask& s, std::uint64_t frame_seq) {
  if (!valid_task_id(s.taskId)) {
    return send_error("bad_frame", "body.taskId: not a valid task id", frame_seq);
  }
  if (s.desiredSeq != 0 && !desired.accept(s.taskId, s.desiredSeq)) return;
  const auto reason = s.reason.empty() ? std::string("stopped by the control plane") : s.reason;
  if (engine.has_task(s.taskId)) {
    engine.stop_task(s.taskId, reason);
  } else {
    stopped_without_engine(s.taskId, "never started: " + reason);
  }
}

void ControlPlaneClient::Impl::stopped_without_engine(const std::string& task_id,
                                                      const std::string& reason) {
  protocol::StateChange sc;
  sc.taskId = task_id;
  sc.knownStatus = "STOPPED";
  sc.stoppedReason = reason;
  report(std::move(sc));
}

void ControlPlaneClient::Impl::report(protocol::StateChange sc) {
  const auto task_id = sc.taskId;
  protocol::StateChange stored;
  try {
    stored = outbox.push(std::move(sc));
  } catch (const std::exception& e) {
    // A full disk: the change is lost for replay, but the next Hello carries the state.
    spdlog::error("state change for task {} not queued: {}", task_id, e.what());
    return;
  }
  net::post(ioc, [self = shared_from_this(), stored] { self->send_state(stored); });
}

void ControlPlaneClient::Impl::send_state(const protocol::StateChange& sc) {
  if (!open || sc.seq <= sent_through) return;  // replayed already, or offline
  sent_through = sc.seq;
  state_by_frame[out_seq + 1] = sc.seq;
  send(sc);
}

}  // namespace skiff::agent
