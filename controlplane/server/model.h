// The control plane's records. Each is stored as one JSON document per row (store.h) and
// shown by the admin API through the same to_json, minus secrets (public_json).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::cp {

std::int64_t now_ms();
std::string iso_time(std::int64_t ms);

struct Cluster {
  std::string name;
  std::string createdAt;
};

struct Activation {
  std::string id;
  std::string cluster;
  std::string description;
  std::string salt;
  std::string codeHash;  // sha256(salt ‖ code), hex
  std::int64_t expiresAtMs = 0;
  std::uint64_t registrationLimit = 1;
  std::uint64_t used = 0;
  std::string createdAt;
};

struct Instance {
  std::string id;
  std::string cluster;
  std::string salt;
  std::string tokenHash;
  std::string hostname, arch, os, kernel, cgroupMode, address, agentVersion;
  std::uint64_t cpu = 0;
  std::uint64_t memoryMiB = 0;
  std::map<std::string, std::string> attributes;
  std::string status = "ACTIVE";  // ACTIVE | DRAINING | REVOKED
  std::string registeredAt;
  std::int64_t lastSeenMs = 0;
  std::uint64_t lastStateSeq = 0;  // last applied StateChange.seq
  bool connected = false;          // not meaningful after a restart: reset on load
  std::int64_t disconnectedSinceMs = 0;
  nlohmann::json metrics = nlohmann::json::object();

  // A fact or attribute by name, for placement constraints; empty if absent.
  std::string attribute(const std::string& name) const;
};

struct TaskDef {
  std::string family;
  std::uint64_t revision = 0;
  std::string status = "ACTIVE";  // ACTIVE | INACTIVE
  std::string registeredAt;
  nlohmann::json definition;
  // Derived from the definition at registration.
  std::uint64_t cpu = 0;
  std::uint64_t memoryMiB = 0;
  std::vector<std::uint64_t> hostPorts;     // TCP
  std::vector<std::uint64_t> hostUdpPorts;  // UDP: the same number may be used on both
  // The definition's placementConstraints, plus one for its runtimePlatform.
  nlohmann::json placementConstraints = nlohmann::json::array();
  // What the parser warned about (unsupported fields, privileged containers), shown on
  // registration and describe.
  std::vector<std::string> warnings;

  std::string key() const { return family + ":" + std::to_string(revision); }
};

struct Transition {
  std::string at;
  std::int64_t atMs = 0;
  std::string lastStatus;
  std::string healthStatus;
  std::string reason;
};

struct Task {
  std::string id;
  std::string cluster;
  std::string instanceId;
  std::string family;
  std::uint64_t revision = 0;
  std::string startedBy;
  std::string service;  // empty for standalone tasks
  std::string deploymentId;
  std::string desiredStatus = "RUNNING";
  std::uint64_t desiredSeq = 0;
  std::string lastStatus = "PROVISIONING";
  std::string healthStatus = "UNKNOWN";
  std::string stoppedReason;
  std::string stopRequestReason;  // why the control plane asked it to stop
  bool everHealthy = false;
  bool lost = false;         // on an instance disconnected past the timeout; replaced
  bool failedStart = false;  // counted once against the deployment's circuit breaker
  std::int64_t drainUntilMs = 0;
  std::int64_t createdMs = 0;
  std::uint64_t cpu = 0;
  std::uint64_t memoryMiB = 0;
  std::vector<std::uint64_t> hostPorts;
  std::vector<std::uint64_t> hostUdpPorts;
  nlohmann::json containers = nlohmann::json::array();
  std::vector<Transition> transitions;

  std::string taskDefinition() const { return family + ":" + std::to_string(revision); }
  bool stopped() const { return lastStatus == "STOPPED"; }
  bool healthy() const {
    return lastStatus == "RUNNING" && healthStatus == "HEALTHY" && drainUntilMs == 0;
  }
};

// The deployment a circuit-breaker rollback replaced; an empty id for any other deployment.
// Kept on the rollback because the failed deployment itself is erased once its tasks are gone.
struct DeploymentRef {
  std::string id;
  std::string taskDefinition;
  std::string createdAt;
};

struct Deployment {
  std::string id;
  std::string taskDefinition;
  std::string status = "PRIMARY";            // PRIMARY | ACTIVE | INACTIVE
  std::string rolloutState = "IN_PROGRESS";  // IN_PROGRESS | COMPLETED | FAILED
  std::string reason;
  std::uint64_t failedTasks = 0;
  std::string createdAt;
  std::string updatedAt;
  DeploymentRef rollbackOf;
};

struct ServiceEvent {
  std::string at;
  std::string message;
};

struct Service {
  std::string name;
  std::string cluster;
  std::string taskDefinition;
  std::uint64_t desiredCount = 0;
  std::uint64_t minimumHealthyPercent = 100;
  std::uint64_t maximumPercent = 200;
  bool circuitBreakerEnable = false;
  bool circuitBreakerRollback = false;
  std::uint64_t circuitBreakerThreshold = 0;  // 0: ECS's formula
  std::uint64_t deregistrationDelaySeconds = 30;
  nlohmann::json placementConstraints = nlohmann::json::array();
  nlohmann::json placementStrategy = nlohmann::json::array();
  std::string status = "ACTIVE";  // ACTIVE | DRAINING (being deleted)
  std::string lastCompletedTaskDefinition;
  std::vector<Deployment> deployments;
  std::vector<ServiceEvent> events;
  std::string createdAt;
  // Launch throttle (as ECS's service scheduler backs off): failed starts since a task of
  // the service was last healthy, and the earliest time the next task may be launched.
  std::uint64_t failedStartsInARow = 0;
  std::int64_t launchNotBeforeMs = 0;

  std::string key() const { return cluster + "/" + name; }
  Deployment* primary();
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Cluster, name, createdAt)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Activation, id, cluster, description, salt,
                                                codeHash, expiresAtMs, registrationLimit, used,
                                                createdAt)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Instance, id, cluster, salt, tokenHash, hostname,
                                                arch, os, kernel, cgroupMode, address, agentVersion,
                                                cpu, memoryMiB, attributes, status, registeredAt,
                                                lastSeenMs, lastStateSeq, connected,
                                                disconnectedSinceMs, metrics)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TaskDef, family, revision, status, registeredAt,
                                                definition, cpu, memoryMiB, hostPorts, hostUdpPorts,
                                                placementConstraints, warnings)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Transition, at, atMs, lastStatus, healthStatus,
                                                reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Task, id, cluster, instanceId, family, revision,
                                                startedBy, service, deploymentId, desiredStatus,
                                                desiredSeq, lastStatus, healthStatus, stoppedReason,
                                                stopRequestReason, everHealthy, failedStart, lost,
                                                drainUntilMs, createdMs, cpu, memoryMiB, hostPorts,
                                                hostUdpPorts, containers, transitions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeploymentRef, id, taskDefinition, createdAt)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Deployment, id, taskDefinition, status,
                                                rolloutState, reason, failedTasks, createdAt,
                                                updatedAt, rollbackOf)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ServiceEvent, at, message)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Service, name, cluster, taskDefinition,
                                                desiredCount, minimumHealthyPercent, maximumPercent,
                                                circuitBreakerEnable, circuitBreakerRollback,
                                                circuitBreakerThreshold, deregistrationDelaySeconds,
                                                placementConstraints, placementStrategy, status,
                                                lastCompletedTaskDefinition, deployments, events,
                                                createdAt, failedStartsInARow, launchNotBeforeMs)

}  // namespace skiff::cp
