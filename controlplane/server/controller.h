// The control plane's state and every decision on it: admin operations, registration,
// the agent stream's frames, placement and the service controller.
//
// Single-threaded by design: the server runs one io_context thread and calls in from it,
// so nothing here locks. Every change is written through to the Store before the caller
// answers (an HTTP response, an Ack).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.h"
#include "controlplane/server/model.h"
#include "controlplane/server/scheduler.h"
#include "controlplane/server/store.h"
#include "protocol/frames.h"
#include "protocol/register.h"

namespace skiff::cp {

// An error the API reports as {"error": code, "message": what()} with an HTTP status.
class ApiError : public skiff::Error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : skiff::Error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// One connected agent, as the controller sees it (the WebSocket session implements it).
class AgentLink {
 public:
  virtual ~AgentLink() = default;
  // Queues a frame and returns its seq.
  virtual std::uint64_t send(protocol::Body body) = 0;
  virtual void close(std::uint16_t code, const std::string& reason) = 0;
};

struct ControllerOptions {
  std::int64_t disconnectTimeoutMs = 5 * 60 * 1000;
};

class Controller {
 public:
  Controller(Store& store, ControllerOptions options);

  // Reads every record back (after a restart). Instances start disconnected.
  void load();

  // Admin API (admin.cpp). Inputs are request bodies; outputs are response bodies.
  nlohmann::json create_cluster(const nlohmann::json& body);
  nlohmann::json list_clusters() const;
  nlohmann::json describe_cluster(const std::string& name) const;
  void delete_cluster(const std::string& name);
  nlohmann::json create_activation(const std::string& cluster, const nlohmann::json& body);
  nlohmann::json list_activations(const std::string& cluster) const;
  nlohmann::json list_instances(const std::string& cluster) const;
  nlohmann::json describe_instance(const std::string& id) const;
  nlohmann::json drain_instance(const std::string& id);
  nlohmann::json revoke_instance(const std::string& id);
  // `body` is the definition's JSON text: errors name its line and column.
  nlohmann::json register_taskdef(std::string_view body);
  nlohmann::json list_taskdefs() const;
  nlohmann::json describe_taskdef(const std::string& family, const std::string& revision) const;
  nlohmann::json deregister_taskdef(const std::string& family, const std::string& revision);

  // Tasks (tasks.cpp).
  nlohmann::json run_task(const std::string& cluster, const nlohmann::json& body);
  nlohmann::json list_tasks(const std::string& cluster, const std::string& service) const;
  nlohmann::json describe_task(const std::string& id) const;
  nlohmann::json stop_task(const std::string& id, const nlohmann::json& body);

  // Services (services.cpp).
  nlohmann::json create_service(const std::string& cluster, const nlohmann::json& body);
  nlohmann::json update_service(const std::string& cluster, const std::string& name,
                                const nlohmann::json& body);
  nlohmann::json delete_service(const std::string& cluster, const std::string& name);
  nlohmann::json describe_service(const std::string& cluster, const std::string& name) const;
  nlohmann::json list_services(const std::string& cluster) const;

  // Agents (agents.cpp).
  protocol::RegisterResponse register_instance(const protocol::RegisterRequest& req,
                                               const std::string& peer_address);
  // The instance id for a bearer token; throws ApiError 401 token_invalid / 403
  // instance_revoked.
  std::string authenticate(const std::string& token) const;
  void attach(const std::string& instance_id, AgentLink* link);
  void detach(const std::string& instance_id, AgentLink* link);
  // Handles one valid frame from an agent; replies through `link`.
  void on_frame(const std::string& instance_id, AgentLink& link, const protocol::Frame& frame);

  // Timers: drain deadlines, disconnected instances, the service controller (every 250 ms).
  void tick();

  std::size_t connected_agents() const { return links_.size(); }

 private:
  struct Link {
    AgentLink* link = nullptr;
    std::map<std::uint64_t, std::vector<std::string>> awaitingAck;  // frame seq -> task ids
  };

  // Persistence.
  void save(const Cluster& c);
  void save(const Activation& a);
  void save(const Instance& i);
  void save(const TaskDef& t);
  void save(const Task& t);
  void save(const Service& s);
  std::uint64_t next_desired_seq();
  std::string new_id(const char* prefix);

  // Lookups that throw ApiError 404.
  Cluster& cluster(const std::string& name);
  const Cluster& cluster(const std::string& name) const;
  Instance& instance(const std::string& id);
  const Instance& instance(const std::string& id) const;
  Task& task(const std::string& id);
  const TaskDef& taskdef(const std::string& ref) const;  // "family[:revision]"
  Service& service(const std::string& cluster, const std::string& name);
  const Service& service(const std::string& cluster, const std::string& name) const;

  nlohmann::json instance_json(const Instance& i) const;
  nlohmann::json task_json(const Task& t) const;
  nlohmann::json service_json(const Service& s) const;

  // Task lifecycle (tasks.cpp).
  std::vector<Candidate> candidates(const std::string& cluster, const std::string& group) const;
  Task& create_task(const std::string& cluster, const TaskDef& td, const std::string& instance_id,
                    const std::string& started_by, const std::string& service,
                    const std::string& deployment_id);
  protocol::TaskSpec spec(const Task& t) const;
  void dispatch(Task& t);
  void request_stop(Task& t, const std::string& reason);
  void set_status(Task& t, const std::string& last_status, const std::string& health,
                  const std::string& reason);
  void apply_known(Task& t, const std::string& known, const std::string& stopped_reason,
                   const nlohmann::json& containers);

  // Agent frames (agents.cpp).
  void on_hello(Instance& inst, Link& l, const protocol::Hello& h);
  void on_state_change(Instance& inst, Link& l, std::uint64_t frame_seq,
                       const protocol::StateChange& sc);
  void on_ack(Link& l, std::uint64_t seq);

  // Service controller (services.cpp).
  void reconcile(Service& s, std::int64_t now);
  void take_out_of_service(Service& s, Task& t, const std::string& reason, std::int64_t now);
  void on_service_task_changed(Task& t);
  void on_service_task_healthy(const Task& t);
  void add_event(Service& s, const std::string& message);
  Deployment& start_deployment(Service& s, const std::string& taskdef, const std::string& why);
  void expire_disconnected(std::int64_t now);

  Store& store_;
  ControllerOptions options_;
  std::uint64_t desiredSeq_ = 0;
  std::map<std::string, Cluster> clusters_;
  std::map<std::string, Activation> activations_;
  std::unordered_map<std::string, Instance> instances_;
  std::map<std::string, TaskDef> taskdefs_;  // key "family:revision"
  std::map<std::string, std::uint64_t> latestRevision_;
  std::unordered_map<std::string, Task> tasks_;
  std::unordered_map<std::string, std::set<std::string>> tasksByInstance_;
  std::map<std::string, Service> services_;  // key "cluster/name"
  std::unordered_map<std::string, Link> links_;
};

}  // namespace skiff::cp
