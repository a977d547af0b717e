#include "agent/main/agent_config.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <sstream>

#include "agent/engine/task_model.h"
#include "common/error.h"
#include "common/file_io.h"

extern char** environ;

namespace skiff::agent {
namespace fs = std::filesystem;

int parse_duration_seconds(const std::string& text, const std::string& key) {
  if (text.empty()) throw Error(key + ": empty duration");
  long total = 0;
  long number = -1;
  bool unit_seen = false;
  for (char ch : text) {
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      number = (number < 0 ? 0 : number) * 10 + (ch - '0');
      if (number > 7 * 86400) throw Error(key + ": duration \"" + text + "\" is too long");
      continue;
    }
    if (number < 0 || (ch != 's' && ch != 'm' && ch != 'h')) {
      throw Error(key + ": \"" + text + "\" is not a duration (use 30, 30s, 2m, 1m30s)");
    }
    total += number * (ch == 'h' ? 3600 : ch == 'm' ? 60 : 1);
    number = -1;
    unit_seen = true;
  }
  if (number >= 0) total += number;  // a bare trailing number is seconds
  if (!unit_seen && number < 0) throw Error(key + ": \"" + text + "\" is not a duration");
  if (total > 7 * 86400) throw Error(key + ": duration \"" + text + "\" is too long");
  return static_cast<int>(total);
}

void apply_settings(AgentConfig& c, const std::map<std::string, std::string>& settings,
                    const std::string& source) {
  for (const auto& [key, value] : settings) {
    if (key == "SKIFF_STATE_DIR") {
      c.state_dir = value;
    } else if (key == "SKIFF_RUN_DIR") {
      c.run_dir = value;
    } else if (key == "SKIFF_LOG_DIR") {
      c.log_dir = value;
    } else if (key == "SKIFF_TASKS_DIR") {
      c.tasks_dir = value;
    } else if (key == "SKIFF_API_SOCKET") {
      c.api_socket = value;
    } else if (key == "SKIFF_RUNTIME") {
      c.runtime = value;
    } else if (key == "SKIFF_SHIM") {
      c.shim = value;
    } else if (key == "SKIFF_SKIFFCTL") {
      c.skiffctl = value;
    } else if (key == "SKIFF_CONTAINER_STOP_TIMEOUT") {
      c.stop_timeout_seconds = parse_duration_seconds(value, source + ": " + key);
    } else if (key == "SKIFF_CGROUP_PARENT") {
      c.cgroup_parent = value;
    } else if (key == "SKIFF_TASK_CLEANUP_WAIT") {
      c.task_cleanup_wait_seconds = parse_duration_seconds(value, source + ": " + key);
    } else if (key == "SKIFF_CGROUP_ROOT") {
      c.cgroup_root = value;
    } else if (key == "SKIFF_INSECURE_REGISTRIES") {
      c.insecure_registries.clear();
      std::stringstream ss(value);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (!item.empty()) c.insecure_registries.push_back(item);
      }
    } else if (key == "SKIFF_REGISTRY_AUTH_FILE") {
      c.registry_auth_file = value;
    } else if (key == "SKIFF_REGISTRY_CA_FILE") {
      c.registry_ca_file = value;
    } else if (key == "SKIFF_LOG_LEVEL") {
      c.log_level = value;
    } else if (key == "SKIFF_INIT") {
      c.init_binary = value;
    } else if (key == "SKIFF_ENDPOINT") {
      c.endpoint = value;
    } else if (key == "SKIFF_CA_FILE") {
      c.ca_file = value;
    } else if (key == "SKIFF_ACTIVATION_ID") {
      c.activation_id = value;
    } else if (key == "SKIFF_ACTIVATION_CODE") {
      c.activation_code = value;
    } else if (key == "SKIFF_ATTRIBUTES") {
      c.attributes.clear();
      std::stringstream ss(value);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
          throw Error(source + ": " + key + ": \"" + item + "\" is not NAME=VALUE");
        }
        c.attributes[item.substr(0, eq)] = item.substr(eq + 1);
      }
    } else if (key == "SKIFF_HOSTNAME") {
      c.hostname = value;
    } else if (key == "SKIFF_INSTANCE_ADDRESS") {
      c.instance_address = value;
    } else if (key == "SKIFF_METRICS_INTERVAL") {
      c.metrics_interval_seconds = parse_duration_seconds(value, source + ": " + key);
      if (c.metrics_interval_seconds < 1) throw Error(source + ": " + key + ": at least 1s");
    } else if (key == "SKIFF_CP_IDLE_TIMEOUT") {
      c.cp_idle_timeout_seconds = parse_duration_seconds(value, source + ": " + key);
      if (c.cp_idle_timeout_seconds < 1) throw Error(source + ": " + key + ": at least 1s");
    } else if (key.starts_with("SKIFF_")) {
      throw Error(source + ": unknown setting " + key);
    }
  }
  for (const auto& [name, path] :
       {std::pair{"SKIFF_STATE_DIR", c.state_dir}, std::pair{"SKIFF_RUN_DIR", c.run_dir},
        std::pair{"SKIFF_LOG_DIR", c.log_dir}}) {
    if (!path.is_absolute()) throw Error(source + ": " + name + " must be an absolute path");
  }
}

AgentConfig load_config(const fs::path& file, bool required) {
  AgentConfig config;
  std::map<std::string, std::string> settings;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    for (const auto& var : parse_env_file(read_file(file), file.string())) {
      settings[var.name] = var.value;
    }
    apply_settings(config, settings, file.string());
  } else if (required) {
    throw Error(file.string() + ": no such configuration file");
  }
  // Only the keys we know: the environment has plenty of unrelated SKIFF_ users (tests).
  static const char* kKeys[] = {"SKIFF_STATE_DIR",
                                "SKIFF_RUN_DIR",
                                "SKIFF_LOG_DIR",
                                "SKIFF_TASKS_DIR",
                                "SKIFF_API_SOCKET",
                                "SKIFF_RUNTIME",
                                "SKIFF_SHIM",
                                "SKIFF_SKIFFCTL",
                                "SKIFF_CONTAINER_STOP_TIMEOUT",
                                "SKIFF_CGROUP_PARENT",
                                "SKIFF_CGROUP_ROOT",
                                "SKIFF_TASK_CLEANUP_WAIT",
                                "SKIFF_INSECURE_REGISTRIES",
                                "SKIFF_REGISTRY_AUTH_FILE",
                                "SKIFF_REGISTRY_CA_FILE",
                                "SKIFF_LOG_LEVEL",
                                "SKIFF_INIT",
                                "SKIFF_ENDPOINT",
                                "SKIFF_CA_FILE",
                                "SKIFF_ACTIVATION_ID",
                                "SKIFF_ACTIVATION_CODE",
                                "SKIFF_ATTRIBUTES",
                                "SKIFF_HOSTNAME",
                                "SKIFF_INSTANCE_ADDRESS",
                                "SKIFF_METRICS_INTERVAL",
                                "SKIFF_CP_IDLE_TIMEOUT"};
  std::map<std::string, std::string> env;
  for (const char* key : kKeys) {
    if (const char* v = std::getenv(key)) env[key] = v;
  }
  apply_settings(config, env, "environment");
  return config;
}

fs::path find_helper(const fs::path& configured, const std::string& name) {
  if (!configured.empty()) {
    if (::access(configured.c_str(), X_OK) != 0) throw_errno("find helper", configured.string());
    return configured;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) candidates.push_back(self.parent_path() / name);
  candidates.push_back(fs::path("/usr/local/bin") / name);
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      if (!dir.empty()) candidates.push_back(fs::path(dir) / name);
    }
  }
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  throw Error("cannot find " + name + " (next to skiff-agent, in /usr/local/bin or $PATH); set " +
              (name == "skiff-runtime" ? "SKIFF_RUNTIME"
               : name == "skiff-shim"  ? "SKIFF_SHIM"
                                       : "SKIFF_SKIFFCTL"));
}

std::filesystem::path find_init(const std::filesystem::path& configured) {
  if (!configured.empty()) {
    if (::access(configured.c_str(), X_OK) != 0) {
      throw Error("SKIFF_INIT: " + configured.string() + " is not an executable file");
    }
    return configured;
  }
  // Static builds only: the init runs inside the container's rootfs, without the host's libc.
  for (const char* candidate :
       {"/usr/bin/catatonit", "/usr/libexec/podman/catatonit", "/usr/bin/tini-static"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

}  // namespace skiff::agent
