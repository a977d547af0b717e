// The agent's side of skiff-protocol/1 (docs/protocol.md): one WebSocket over TLS to the
// control plane, pinned to its CA, reconnecting with backoff for as long as the agent runs.
//
// The control plane only changes desired state: Payload and TaskManifest entries become
// engine tasks (with the control plane's task id), StopTask stops one. Everything the
// engine does is reported back as StateChanges that wait in the Outbox until acked, so
// the agent keeps running its tasks, and remembers what to tell, while offline.
//
// Threads: the WebSocket lives on its own io_context thread; a reporter thread watches the
// engine's events and sends Metrics. Neither holds the engine's lock while blocking.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/connection/registration.h"

namespace skiff::agent {

class TaskEngine;

struct ControlPlaneOptions {
  Endpoint endpoint;
  std::filesystem::path ca_file;
  Registration registration;
  std::filesystem::path state_dir;  // holds outbox/ and desired-seqs.json
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds metrics_interval{20};
};

class ControlPlaneClient {
 public:
  ControlPlaneClient(ControlPlaneOptions options, TaskEngine& engine);
  ~ControlPlaneClient();  // stop()
  ControlPlaneClient(const ControlPlaneClient&) = delete;
  ControlPlaneClient& operator=(const ControlPlaneClient&) = delete;

  void start();
  // Closes the connection; tasks are not touched.
  void stop();
  // {"instanceId", "cluster", "controlPlane": {"endpoint","connected","unackedStateChanges",
  // "connects","lastError"}} for the local API's metadata.
  nlohmann::json status() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace skiff::agent
