// skiff-agent's configuration: /etc/skiff/agent.conf (KEY=VALUE lines, like the ECS agent's
// /etc/ecs/ecs.config), then the same keys from the environment, then command-line flags.
//
//   SKIFF_STATE_DIR               /var/lib/skiff
//   SKIFF_RUN_DIR                 /run/skiff
//   SKIFF_LOG_DIR                 /var/log/skiff
//   SKIFF_TASKS_DIR               /etc/skiff/tasks.d   (standalone mode)
//   SKIFF_API_SOCKET              $SKIFF_RUN_DIR/agent.sock
//   SKIFF_RUNTIME, SKIFF_SHIM     next to skiff-agent, else /usr/local/bin, else $PATH
//   SKIFF_SKIFFCTL                likewise; pulls and unpacks images in its own process
//   SKIFF_CONTAINER_STOP_TIMEOUT  30s  (like ECS_CONTAINER_STOP_TIMEOUT: "45s", "2m", "30")
//   SKIFF_TASK_CLEANUP_WAIT       3h   (like ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION)
//   SKIFF_CGROUP_PARENT           skiff (beneath the agent's own cgroup)
//   SKIFF_CGROUP_ROOT             "" = the agent's own cgroup; or an absolute delegated one
//   SKIFF_INSECURE_REGISTRIES     comma-separated host[:port] reached over plain HTTP
//   SKIFF_REGISTRY_AUTH_FILE      docker-style config.json with credentials
//   SKIFF_REGISTRY_CA_FILE        extra CA (PEM) for registries
//   SKIFF_LOG_LEVEL               info (trace, debug, info, warn, error)
//   SKIFF_INIT                    static init for initProcessEnabled (default: catatonit,
//                                 else tini-static, where installed)
//
// Connected mode (docs/protocol.md), like ECS Anywhere's registration:
//   SKIFF_ENDPOINT                https://HOST:PORT of the control plane ("" = standalone)
//   SKIFF_CA_FILE                 the control plane's CA (pinned; the system store is not used)
//   SKIFF_ACTIVATION_ID/_CODE     spent on the first start; then STATE/agent/registration.json
//   SKIFF_ATTRIBUTES              NAME=VALUE,... for placement constraints
//   SKIFF_HOSTNAME                reported host name (default: gethostname)
//   SKIFF_INSTANCE_ADDRESS        address published in service endpoints (default: as seen)
//   SKIFF_METRICS_INTERVAL        20s
//   SKIFF_CP_IDLE_TIMEOUT         30s without a frame = a dead connection
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace skiff::agent {

struct AgentConfig {
  std::filesystem::path state_dir = "/var/lib/skiff";
  std::filesystem::path run_dir = "/run/skiff";
  std::filesystem::path log_dir = "/var/log/skiff";
  std::filesystem::path tasks_dir = "/etc/skiff/tasks.d";
  std::filesystem::path api_socket;  // empty: run_dir/agent.sock
  std::filesystem::path runtime;
  std::filesystem::path shim;
  std::filesystem::path skiffctl;
  int stop_timeout_seconds = 30;
  int task_cleanup_wait_seconds = 3 * 3600;
  std::string cgroup_parent = "skiff";
  std::string cgroup_root;  // SKIFF_CGROUP_ROOT: an absolute, delegated cgroup (tests, VMs)
  std::vector<std::string> insecure_registries;
  std::filesystem::path registry_auth_file;
  std::filesystem::path registry_ca_file;
  std::string log_level = "info";
  std::filesystem::path init_binary;  // empty: look for catatonit / tini-static

  std::string endpoint;
  std::filesystem::path ca_file;
  std::string activation_id;
  std::string activation_code;  // a secret: never logged
  std::map<std::string, std::string> attributes;
  std::string hostname;
  std::string instance_address;
  int metrics_interval_seconds = 20;
  int cp_idle_timeout_seconds = 30;
};

// Applies KEY=VALUE settings; unknown SKIFF_* keys are errors naming the key and `source`.
void apply_settings(AgentConfig& config, const std::map<std::string, std::string>& settings,
                    const std::string& source);
// Reads `file` (a missing file is fine when `required` is false), then the environment.
AgentConfig load_config(const std::filesystem::path& file, bool required);
// "30", "30s", "2m", "1m30s" -> seconds; throws naming `key`.
int parse_duration_seconds(const std::string& text, const std::string& key);
// The init for initProcessEnabled: `configured`, else the first installed static one;
// empty if there is none.
std::filesystem::path find_init(const std::filesystem::path& configured);
// A helper binary: the configured path, else next to this executable, /usr/local/bin, $PATH.
std::filesystem::path find_helper(const std::filesystem::path& configured, const std::string& name);

}  // namespace skiff::agent
