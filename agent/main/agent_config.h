// skiff-agent's configuration: /etc/skiff/agent.conf (KEY=VALUE lines, like the ECS agent's
// /etc/ecs/ecs.config), then the same keys from the environment, then command-line flags.
//
//   SKIFF_STATE_DIR               /var/lib/skiff
//   SKIFF_RUN_DIR                 /run/skiff
//   SKIFF_LOG_DIR                 /var/log/skiff
//   SKIFF_TASKS_DIR               /etc/skiff/tasks.d   (standalone mode)
//   SKIFF_API_SOCKET              $SKIFF_RUN_DIR/agent.sock
//   SKIFF_RUNTIME, SKIFF_SHIM     next to skiff-agent, else /usr/local/bin, else $PATH
//   SKIFF_CONTAINER_STOP_TIMEOUT  30s  (like ECS_CONTAINER_STOP_TIMEOUT: "45s", "2m", "30")
//   SKIFF_TASK_CLEANUP_WAIT       3h   (like ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION)
//   SKIFF_CGROUP_PARENT           skiff (beneath the agent's own cgroup)
//   SKIFF_CGROUP_ROOT             "" = the agent's own cgroup; or an absolute delegated one
//   SKIFF_INSECURE_REGISTRIES     comma-separated host[:port] reached over plain HTTP
//   SKIFF_REGISTRY_AUTH_FILE      docker-style config.json with credentials
//   SKIFF_REGISTRY_CA_FILE        extra CA (PEM) for registries
//   SKIFF_LOG_LEVEL               info (trace, debug, info, warn, error)
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
  int stop_timeout_seconds = 30;
  int task_cleanup_wait_seconds = 3 * 3600;
  std::string cgroup_parent = "skiff";
  std::string cgroup_root;  // SKIFF_CGROUP_ROOT: an absolute, delegated cgroup (tests, VMs)
  std::vector<std::string> insecure_registries;
  std::filesystem::path registry_auth_file;
  std::filesystem::path registry_ca_file;
  std::string log_level = "info";
};

// Applies KEY=VALUE settings; unknown SKIFF_* keys are errors naming the key and `source`.
void apply_settings(AgentConfig& config, const std::map<std::string, std::string>& settings,
                    const std::string& source);
// Reads `file` (a missing file is fine when `required` is false), then the environment.
AgentConfig load_config(const std::filesystem::path& file, bool required);
// "30", "30s", "2m", "1m30s" -> seconds; throws naming `key`.
int parse_duration_seconds(const std::string& text, const std::string& key);
// A helper binary: the configured path, else next to this executable, /usr/local/bin, $PATH.
std::filesystem::path find_helper(const std::filesystem::path& configured, const std::string& name);

}  // namespace skiff::agent
