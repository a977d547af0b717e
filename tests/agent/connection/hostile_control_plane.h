// A tiny, scripted, hostile "control plane": TLS (its own CA, made like the real one's),
// POST /v1/register answered with a made-up instance, and /v1/connect upgraded to a
// skiff-protocol/1 WebSocket. Each connection (session): wait for Hello, send a
// TaskManifest with one task, ack StateChanges.
//   session 0, once attack() is called: garbage (see hostile_control_plane.cpp), then the
//             header of a single frame over 1 MiB (the agent must close with 1009);
//   session 1: a 1.1 MiB message in 4 KiB fragments (the agent must drop the connection);
//   later sessions: nothing hostile (the agent must ack their TaskManifest as usual).
//
// It runs on one thread with blocking I/O; the destructor shuts the sockets down to end it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace skiff::test {

class HostileControlPlane {
 public:
  // Seqs of the hostile frames, so the test can match the agent's Error.refSeq.
  struct Seqs {
    std::uint64_t unknown_type = 0, missing_task_id = 0, hostile_task_id = 0, dot_dot_stop = 0,
                  stale = 0, marker = 0;
  };

  // Listens on host:0; `task` is the TaskManifest entry (protocol TaskSpec JSON).
  HostileControlPlane(const std::string& host, const std::filesystem::path& dir,
                      nlohmann::json task);
  ~HostileControlPlane();

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& ca() const { return ca_; }
  static constexpr const char* kInstanceId = "i-0000hostile0000";
  static std::string token() { return std::string(kInstanceId) + ".secret"; }

  void attack();  // go ahead with the garbage (after the task runs)

  struct View {
    // Every text frame from the agent, parsed, plus "_session": its session's index.
    std::vector<nlohmann::json> received;
    int registrations = 0;
    int connections = 0;  // WebSocket sessions
    std::vector<std::string> authorizations;
    std::set<int> manifest_acked;  // sessions whose TaskManifest the agent acked
    bool task_running = false;     // a StateChange said RUNNING for our task
    bool attack_done = false;      // the marker's HeartbeatAck came back
    int close_code = -1;           // the agent's close code after the big header (-1: none)
    std::string close_error;       // how session 0 ended, if not by a close frame
    std::string fragmented_end;    // how session 1 ended
    std::string failure;           // the script's own failure, if any
    Seqs seqs;
  };
  View view() const;

 private:
  void serve();
  void session(int index, void* stream);
  void record(const std::function<void(View&)>& fn);

  nlohmann::json task_;
  std::filesystem::path ca_, cert_, key_;
  std::uint16_t port_ = 0;
  std::string host_;
  struct Io;
  std::unique_ptr<Io> io_;
  std::atomic<int> active_fd_{-1};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool attack_ = false;
  View view_;
  std::thread thread_;
};

}  // namespace skiff::test
