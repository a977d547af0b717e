// Controller: registration, authentication and the agent stream's frames.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "controlplane/server/controller.h"
#include "controlplane/server/secrets.h"

namespace skiff::cp {
namespace {

using nlohmann::json;

json containers_json(const std::vector<protocol::ContainerState>& cs) {
  json arr = json::array();
  for (const auto& c : cs) arr.push_back(protocol::to_json(c));
  return arr;
}

}  // namespace

protocol::RegisterResponse Controller::register_instance(const protocol::RegisterRequest& req,
                                                         const std::string& peer_address) {
  auto it = activations_.find(req.activationId);
  if (it == activations_.end() ||
      !verify_secret(it->second.salt, req.activationCode, it->second.codeHash)) {
    throw ApiError(401, "activation_invalid",
                   "activationId/activationCode: unknown activation or wrong code");
  }
  auto& a = it->second;
  if (now_ms() >= a.expiresAtMs) {
    throw ApiError(403, "activation_expired",
                   fmt::format("activation {} expired at {}", a.id, iso_time(a.expiresAtMs)));
  }
  if (a.used >= a.registrationLimit) {
    throw ApiError(403, "activation_exhausted",
                   fmt::format("activation {} was already used {} of {} times", a.id, a.used,
                               a.registrationLimit));
  }
  if (!clusters_.count(a.cluster)) {
    throw ApiError(403, "activation_invalid",
                   "the activation's cluster " + a.cluster + " was deleted");
  }
  ++a.used;
  save(a);
  Instance i;
  i.id = new_id("i-");
  i.cluster = a.cluster;
  i.hostname = req.hostname;
  i.arch = req.arch;
  i.os = req.os;
  i.kernel = req.kernel;
  i.cgroupMode = req.cgroupMode;
  i.address = req.address.empty() ? peer_address : req.address;
  i.cpu = req.cpu;
  i.memoryMiB = req.memoryMiB;
  i.attributes = req.attributes;
  i.registeredAt = iso_time(now_ms());
  i.disconnectedSinceMs = now_ms();
  const auto secret = random_hex(32);
  i.salt = random_hex(16);
  i.tokenHash = salted_hash(i.salt, secret);
  save(i);
  instances_[i.id] = i;
  spdlog::info("instance {} registered in cluster {} (activation {}, host {}, {})", i.id, i.cluster,
               a.id, i.hostname, i.arch);
  // The token names its instance so checking it is one lookup, not a scan of all hashes.
  return {i.id, i.cluster, i.id + "." + secret};
}

std::string Controller::authenticate(const std::string& token) const {
  const auto dot = token.find('.');
  if (dot == std::string::npos) throw ApiError(401, "token_invalid", "bearer token: malformed");
  auto it = instances_.find(token.substr(0, dot));
  if (it == instances_.end() ||
      !verify_secret(it->second.salt, token.substr(dot + 1), it->second.tokenHash)) {
    throw ApiError(401, "token_invalid", "bearer token: unknown instance or wrong token");
  }
  if (it->second.status == "REVOKED") {
    throw ApiError(403, "instance_revoked", "instance " + it->first + " is revoked");
  }
  return it->first;
}

void Controller::attach(const std::string& id, AgentLink* link) {
  auto& inst = instance(id);
  if (auto it = links_.find(id); it != links_.end() && it->second.link != link) {
    it->second.link->close(1008, "replaced");
  }
  links_[id] = Link{link, {}};
  inst.connected = true;
  inst.disconnectedSinceMs = 0;
  inst.lastSeenMs = now_ms();
  save(inst);
}

void Controller::detach(const std::string& id, AgentLink* link) {
  auto it = links_.find(id);
  if (it == links_.end() || it->second.link != link) return;  // already replaced
  links_.erase(it);
  auto inst = instances_.find(id);
  if (inst == instances_.end()) return;
  inst->second.connected = false;
  inst->second.disconnectedSinceMs = now_ms();
  save(inst->second);
}

void Controller::on_frame(const std::string& id, AgentLink& link, const protocol::Frame& f) {
  auto& inst = instance(id);
  auto lit = links_.find(id);
  if (lit == links_.end() || lit->second.link != &link) return;  // a replaced connection
  auto& l = lit->second;
  inst.lastSeenMs = now_ms();
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, protocol::Hello>) {
          if (body.instanceId != id) {
            link.send(protocol::ErrorFrame{
                "bad_frame",
                "body.instanceId: '" + body.instanceId + "' is not the token's instance " + id,
                f.seq});
            return;
          }
          on_hello(inst, l, body);
        } else if constexpr (std::is_same_v<T, protocol::StateChange>) {
          on_state_change(inst, l, f.seq, body);
        } else if constexpr (std::is_same_v<T, protocol::Ack>) {
          on_ack(l, body.seq);
        } else if constexpr (std::is_same_v<T, protocol::HeartbeatAck>) {
          // lastSeen is enough.
        } else if constexpr (std::is_same_v<T, protocol::Metrics>) {
          inst.metrics = {{"at", body.at}, {"instance", body.instance}, {"tasks", body.tasks}};
        } else if constexpr (std::is_same_v<T, protocol::ErrorFrame>) {
          spdlog::warn("instance {} reports error {} on frame {}: {}", id, body.code, body.refSeq,
                       body.message);
        } else {
          link.send(protocol::ErrorFrame{
              "bad_frame", fmt::format("type: {} is not sent by agents", f.type()), f.seq});
        }
      },
      f.body);
}

void Controller::on_hello(Instance& inst, Link& l, const protocol::Hello& h) {
  inst.agentVersion = h.agentVersion;
  std::set<std::string> reported;
  for (const auto& kt : h.tasks) {
    reported.insert(kt.taskId);
    auto it = tasks_.find(kt.taskId);
    if (it == tasks_.end() || it->second.instanceId != inst.id) continue;  // manifest omits it
    const auto reason = !kt.stoppedReason.empty()     ? kt.stoppedReason
                        : kt.knownStatus == "STOPPED" ? std::string("stopped while disconnected")
                                                      : std::string();
    apply_known(it->second, kt.knownStatus, reason, containers_json(kt.containers));
  }
  protocol::TaskManifest manifest;
  std::vector<std::string> provisioning;
  if (auto it = tasksByInstance_.find(inst.id); it != tasksByInstance_.end()) {
    for (const auto& tid : it->second) {
      auto& t = tasks_.at(tid);
      if (t.stopped()) continue;
      if (t.desiredStatus == "STOPPED" && !reported.count(t.id)) {
        // The agent does not have it, so it is not running anywhere.
        t.stoppedReason = t.stopRequestReason;
        set_status(t, "STOPPED", t.healthStatus, t.stopRequestReason);
        continue;
      }
      manifest.tasks.push_back(spec(t));
      if (t.lastStatus == "PROVISIONING") provisioning.push_back(t.id);
    }
  }
  save(inst);
  const auto seq = l.link->send(std::move(manifest));
  l.awaitingAck[seq] = std::move(provisioning);
}

void Controller::on_state_change(Instance& inst, Link& l, std::uint64_t frame_seq,
                                 const protocol::StateChange& sc) {
  if (sc.seq > inst.lastStateSeq) {
    auto it = tasks_.find(sc.taskId);
    if (it == tasks_.end() || it->second.instanceId != inst.id) {
      l.link->send(protocol::ErrorFrame{
          "unknown_task", "body.taskId: '" + sc.taskId + "' is not a task of this instance",
          frame_seq});
    } else {
      apply_known(it->second, sc.knownStatus, sc.stoppedReason, containers_json(sc.containers));
    }
    inst.lastStateSeq = sc.seq;
    save(inst);
  }
  // Acked only once stored (or when it is a replay of something already stored).
  l.link->send(protocol::Ack{frame_seq});
}

void Controller::on_ack(Link& l, std::uint64_t seq) {
  auto it = l.awaitingAck.find(seq);
  if (it == l.awaitingAck.end()) return;
  for (const auto& tid : it->second) {
    auto t = tasks_.find(tid);
    if (t != tasks_.end() && t->second.lastStatus == "PROVISIONING") {
      set_status(t->second, "PENDING", t->second.healthStatus, "acknowledged by the agent");
    }
  }
  l.awaitingAck.erase(it);
}

}  // namespace skiff::cp
