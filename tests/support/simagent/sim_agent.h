// A simulated agent speaking skiff-protocol/1 over WSS, pinned to the control plane's CA.
// Tests and the load generator use it; the real agent (agent/) replaces it end to end.
//
// It runs on the caller's io_context (one thread). Public methods may be called from any
// thread: they post to the io_context, and state is read through snapshot()/wait_for().
//
// Behaviour per task (by "family:revision", else the default):
//   kManual   only acks; the test reports states with report()
//   kRun      reports RUNNING and HEALTHY at once, STOPPED when told to stop
//   kFail     reports STOPPED (exit 1) at once: a failed start
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "protocol/frames.h"

namespace skiff::sim {

enum class Mode { kManual, kRun, kFail };

struct SimTask {
  std::string taskId;
  std::string family;
  std::uint64_t revision = 0;
  std::string desiredStatus;
  std::uint64_t desiredSeq = 0;
  std::string knownStatus = "PENDING";
  std::string health = "UNKNOWN";
  std::string stopReason;  // from StopTask / manifest
};

struct SimSnapshot {
  bool connected = false;
  int connects = 0;
  int handshakeStatus = 0;  // HTTP status of the last refused upgrade, 0 if none
  std::uint16_t closeCode = 0;
  std::string closeReason;
  std::map<std::string, SimTask> tasks;
  std::vector<protocol::ErrorFrame> errors;  // Error frames received
  std::size_t unackedStateChanges = 0;
  std::uint64_t heartbeats = 0;
};

struct SimAgentConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string instanceId;
  std::string token;
  Mode defaultMode = Mode::kRun;
  bool answerHeartbeats = true;
  bool reconnect = true;
  bool keepRawFrames = true;  // received frames' text, for schema checks
  // Called on the io thread when a task spec arrives (Payload or manifest).
  std::function<void(const protocol::TaskSpec&)> onTask;
};

class SimAgent {
 public:
  // `tls` must outlive the agent and trust the control plane's CA.
  SimAgent(boost::asio::io_context& ioc, boost::asio::ssl::context& tls, SimAgentConfig config);
  ~SimAgent();  // stops
  SimAgent(const SimAgent&) = delete;
  SimAgent& operator=(const SimAgent&) = delete;

  void start();
  void stop();  // no reconnect; closes the connection
  void set_mode(const std::string& taskdef, Mode mode);
  // Queues a StateChange (kept until acked, replayed after reconnects).
  void report(const std::string& task_id, const std::string& known_status,
              const std::string& health, const std::string& stopped_reason = "",
              std::optional<int> exit_code = std::nullopt);
  // Sends text as is (hostile-input tests). `binary` sends a binary frame.
  void send_raw(std::string text, bool binary = false);

  SimSnapshot snapshot() const;
  std::vector<std::string> raw_frames() const;
  // Waits until pred(snapshot) holds; false on timeout.
  bool wait_for(const std::function<bool(const SimSnapshot&)>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Registers with an activation; returns {instanceId, token}.
struct Registration {
  std::string instanceId;
  std::string token;
};
Registration register_agent(const std::string& host, std::uint16_t port, const std::string& ca_file,
                            const std::string& activation_id, const std::string& activation_code,
                            const std::string& hostname, const std::string& arch,
                            std::uint64_t cpu = 4096, std::uint64_t memory_mib = 4096,
                            const std::map<std::string, std::string>& attributes = {});

}  // namespace skiff::sim
