#include "tests/support/simagent/sim_agent.h"

#include <boost/asio/post.hpp>
#include <deque>
#include <set>

#include "protocol/limits.h"
#include "protocol/register.h"
#include "protocol/tls/https_client.h"
#include "protocol/tls/wss_link.h"

namespace skiff::sim {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

// Everything below runs on the io thread except where it takes `mu`.
struct SimAgent::Impl : std::enable_shared_from_this<SimAgent::Impl> {
  Impl(net::io_context& io, ssl::context& t, SimAgentConfig c)
      : ioc(io), tls(t), config(std::move(c)) {}

  net::io_context& ioc;
  ssl::context& tls;
  SimAgentConfig config;
  std::unique_ptr<skiff::tls::WssLink> link;  // the agent's own link code (protocol/tls)
  bool open = false;
  std::uint64_t outSeq = 0;
  std::map<std::uint64_t, std::uint64_t> scByFrame;  // frame seq -> StateChange.seq

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  SimSnapshot state;
  std::vector<std::string> raw;
  std::map<std::string, Mode> modes;
  std::uint64_t nextStateSeq = 0;
  std::deque<protocol::StateChange> unacked;

  template <typename F>
  void update(F&& f) {
    {
      std::lock_guard lock(mu);
      f(state);
    }
    cv.notify_all();
  }

  void make_link() {
    skiff::tls::WssLinkOptions o;
    o.host = config.host;
    o.port = config.port;
    o.token = config.token;
    o.idle_timeout = protocol::kIdleTimeout;
    o.reconnect = config.reconnect;
    std::weak_ptr<Impl> weak = weak_from_this();
    skiff::tls::WssHandlers h;
    h.opened = [weak] {
      if (auto self = weak.lock()) self->on_open();
    };
    h.message = [weak](std::string text, bool) {
      if (auto self = weak.lock()) self->on_frame(text);
    };
    h.closed = [weak](const skiff::tls::WssClosed& c) {
      if (auto self = weak.lock()) self->on_closed(c);
    };
    link =
        std::make_unique<skiff::tls::WssLink>(ioc.get_executor(), tls, std::move(o), std::move(h));
  }

  void on_open() {
    open = true;
    outSeq = 0;
    scByFrame.clear();
    protocol::Hello hello{config.instanceId, "sim-0.1", {}};
    {
      std::lock_guard lock(mu);
      for (const auto& [id, t] : state.tasks) {
        hello.tasks.push_back({id, t.knownStatus, t.desiredSeq, {}});
      }
    }
    update([](SimSnapshot& s) {
      s.connected = true;
      ++s.connects;
      s.handshakeStatus = 0;
    });
    send(std::move(hello));
    // Replay unacked state changes in order.
    std::vector<protocol::StateChange> replay;
    {
      std::lock_guard lock(mu);
      replay.assign(unacked.begin(), unacked.end());
    }
    for (auto& sc : replay) send_state(sc);
  }

  void on_closed(const skiff::tls::WssClosed& c) {
    open = false;
    update([&](SimSnapshot& s) {
      s.connected = false;
      if (c.http_status) s.handshakeStatus = c.http_status;
      if (c.close_code) {
        s.closeCode = c.close_code;
        s.closeReason = c.close_reason;
      }
    });
  }

  void send(protocol::Body body) {
    send_text(protocol::serialize(protocol::Frame{++outSeq, std::move(body)}), false);
  }

  void send_text(std::string text, bool binary) {
    if (!open) return;
    link->send(std::move(text), binary);
  }

  void send_state(const protocol::StateChange& sc) {
    if (!open) return;
    const auto seq = outSeq + 1;
    scByFrame[seq] = sc.seq;
    send(sc);
  }

  void queue_state(protocol::StateChange sc) {
    {
      std::lock_guard lock(mu);
      sc.seq = ++nextStateSeq;
      sc.at = protocol::now_rfc3339();
      unacked.push_back(sc);
      auto& t = state.tasks[sc.taskId];
      t.knownStatus = sc.knownStatus;
      if (!sc.containers.empty()) t.health = sc.containers[0].health;
      state.unackedStateChanges = unacked.size();
    }
    cv.notify_all();
    send_state(sc);
  }

  Mode mode_for(const SimTask& t) {
    std::lock_guard lock(mu);
    auto it = modes.find(t.family + ":" + std::to_string(t.revision));
    return it == modes.end() ? config.defaultMode : it->second;
  }

  protocol::StateChange change(const std::string& id, const std::string& known,
                               const std::string& health, const std::string& reason,
                               std::optional<int> exit_code) {
    protocol::StateChange sc;
    sc.taskId = id;
    sc.knownStatus = known;
    sc.stoppedReason = reason;
    sc.containers.push_back({"app", known, exit_code, "", health});
    return sc;
  }

  void stop_task(const std::string& id, const std::string& reason) {
    SimTask t;
    {
      std::lock_guard lock(mu);
      auto it = state.tasks.find(id);
      if (it == state.tasks.end() || it->second.knownStatus == "STOPPED") return;
      it->second.stopReason = reason;
      t = it->second;
    }
    if (mode_for(t) != Mode::kManual) {
      queue_state(change(id, "STOPPED", t.health, reason.empty() ? "stopped" : reason, 0));
    }
  }

  void handle_spec(const protocol::TaskSpec& spec) {
    if (config.onTask) config.onTask(spec);
    SimTask t;
    bool fresh = false;
    {
      std::lock_guard lock(mu);
      auto it = state.tasks.find(spec.taskId);
      if (it != state.tasks.end() && it->second.desiredSeq >= spec.desiredSeq) return;  // stale
      fresh = it == state.tasks.end();
      auto& st = state.tasks[spec.taskId];
      st.taskId = spec.taskId;
      st.family = spec.family;
      st.revision = spec.revision;
      st.desiredStatus = spec.desiredStatus;
      st.desiredSeq = spec.desiredSeq;
      t = st;
    }
    cv.notify_all();
    if (spec.desiredStatus == "STOPPED") {
      if (fresh) {
        queue_state(change(spec.taskId, "STOPPED", "UNKNOWN", "never started", std::nullopt));
      } else {
        stop_task(spec.taskId, "desired status STOPPED");
      }
      return;
    }
    if (!fresh) return;
    switch (mode_for(t)) {
      case Mode::kRun:
        queue_state(change(spec.taskId, "RUNNING", "HEALTHY", "", std::nullopt));
        break;
      case Mode::kFail:
        queue_state(
            change(spec.taskId, "STOPPED", "UNKNOWN", "Essential container in task exited", 1));
        break;
      case Mode::kManual:
        break;
    }
  }

  void on_frame(const std::string& text) {
    if (config.keepRawFrames) {
      std::lock_guard lock(mu);
      raw.push_back(text);
    }
    protocol::Frame f;
    try {
      f = protocol::parse_frame(text);
    } catch (const protocol::ProtocolError& e) {
      send(protocol::ErrorFrame{e.code(), e.what(), 0});
      return;
    }
    std::visit(
        [&](const auto& b) {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, protocol::Payload>) {
            send(protocol::Ack{f.seq});
            for (const auto& spec : b.tasks) handle_spec(spec);
          } else if constexpr (std::is_same_v<T, protocol::TaskManifest>) {
            send(protocol::Ack{f.seq});
            std::set<std::string> listed;
            for (const auto& spec : b.tasks) {
              listed.insert(spec.taskId);
              handle_spec(spec);
            }
            std::vector<std::string> extra;
            {
              std::lock_guard lock(mu);
              for (const auto& [id, t] : state.tasks) {
                if (!listed.count(id) && t.knownStatus != "STOPPED") extra.push_back(id);
              }
            }
            for (const auto& id : extra) stop_task(id, "not in manifest");
          } else if constexpr (std::is_same_v<T, protocol::StopTask>) {
            send(protocol::Ack{f.seq});
            stop_task(b.taskId, b.reason);
          } else if constexpr (std::is_same_v<T, protocol::Heartbeat>) {
            update([](SimSnapshot& s) { ++s.heartbeats; });
            if (config.answerHeartbeats) send(protocol::HeartbeatAck{f.seq});
          } else if constexpr (std::is_same_v<T, protocol::Ack>) {
            auto it = scByFrame.find(b.seq);
            if (it == scByFrame.end()) return;
            const auto sc_seq = it->second;
            scByFrame.erase(it);
            update([&](SimSnapshot& s) {
              while (!unacked.empty() && unacked.front().seq <= sc_seq) unacked.pop_front();
              s.unackedStateChanges = unacked.size();
            });
          } else if constexpr (std::is_same_v<T, protocol::ErrorFrame>) {
            update([&](SimSnapshot& s) { s.errors.push_back(b); });
          }
        },
        f.body);
  }

  void shutdown() {
    open = false;
    if (link) link->stop();
    update([](SimSnapshot& s) { s.connected = false; });
  }
};

SimAgent::SimAgent(net::io_context& ioc, ssl::context& tls, SimAgentConfig config)
    : impl_(std::make_shared<Impl>(ioc, tls, std::move(config))) {}

SimAgent::~SimAgent() {
  stop();
}

void SimAgent::start() {
  net::post(impl_->ioc, [impl = impl_] {
    if (!impl->link) impl->make_link();
    impl->link->start();
  });
}

void SimAgent::stop() {
  net::post(impl_->ioc, [impl = impl_] { impl->shutdown(); });
}

void SimAgent::set_mode(const std::string& taskdef, Mode mode) {
  std::lock_guard lock(impl_->mu);
  impl_->modes[taskdef] = mode;
}

void SimAgent::report(const std::string& task_id, const std::string& known_status,
                      const std::string& health, const std::string& stopped_reason,
                      std::optional<int> exit_code) {
  net::post(impl_->ioc, [impl = impl_, task_id, known_status, health, stopped_reason, exit_code] {
    impl->queue_state(impl->change(task_id, known_status, health, stopped_reason, exit_code));
  });
}

void SimAgent::send_raw(std::string text, bool binary) {
  net::post(impl_->ioc, [impl = impl_, text = std::move(text), binary]() mutable {
    // Keep our own frames' seqs above any seq the raw text claims.
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) {
      impl->outSeq = std::max(impl->outSeq, j["seq"].get<std::uint64_t>());
    }
    impl->send_text(std::move(text), binary);
  });
}

SimSnapshot SimAgent::snapshot() const {
  std::lock_guard lock(impl_->mu);
  return impl_->state;
}

std::vector<std::string> SimAgent::raw_frames() const {
  std::lock_guard lock(impl_->mu);
  return impl_->raw;
}

bool SimAgent::wait_for(const std::function<bool(const SimSnapshot&)>& pred,
                        std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return pred(impl_->state); });
}

Registration register_agent(const std::string& host, std::uint16_t port, const std::string& ca_file,
                            const std::string& activation_id, const std::string& activation_code,
                            const std::string& hostname, const std::string& arch, std::uint64_t cpu,
                            std::uint64_t memory_mib,
                            const std::map<std::string, std::string>& attributes) {
  protocol::RegisterRequest req;
  req.activationId = activation_id;
  req.activationCode = activation_code;
  req.hostname = hostname;
  req.arch = arch;
  req.os = "linux";
  req.kernel = "6.1.0-sim";
  req.cgroupMode = "v2";
  req.cpu = cpu;
  req.memoryMiB = memory_mib;
  req.attributes = attributes;
  tls::HttpsClient client(host, port, ca_file);
  auto body = client.call("POST", "/v1/register", protocol::to_json(req));
  auto resp = protocol::parse_register_response(body);
  return {resp.instanceId, resp.token};
}

}  // namespace skiff::sim
