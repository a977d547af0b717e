// skiff-agent: runs ECS task definitions on this host and keeps them in their desired
// state. Standalone mode takes them from --tasks-dir; the local API (skiffctl) adds more.
//
// Signals: SIGTERM/SIGINT stop the agent but not the tasks (systemd's KillMode=process
// leaves the shims alone too); SIGHUP re-reads the configuration and the tasks dir.
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "agent/api/api_server.h"
#include "agent/connection/control_plane_client.h"
#include "agent/engine/engine.h"
#include "agent/engine/image_helper.h"
#include "agent/main/agent_config.h"
#include "agent/main/tasks_dir.h"
#include "common/error.h"
#include "image/service/images.h"

namespace {

using namespace skiff::agent;

void notify(const std::string& state) {
  ::sd_notify(0, state.c_str());
}

std::string tasks_prefix(const AgentConfig& c) {
  return std::filesystem::absolute(c.tasks_dir).string() + "/";
}

// Connected mode: the saved registration, or a new one bought with the activation.
std::unique_ptr<ControlPlaneClient> connect_control_plane(const AgentConfig& config,
                                                          const Paths& paths, TaskEngine& engine) {
  if (config.endpoint.empty()) return nullptr;
  auto endpoint = parse_endpoint(config.endpoint, "SKIFF_ENDPOINT");
  if (config.ca_file.empty()) {
    throw skiff::Error(
        "SKIFF_ENDPOINT is set but SKIFF_CA_FILE is not: the control plane's CA "
        "must be pinned");
  }
  const auto file = paths.agent_dir() / "registration.json";
  auto registration = load_registration(file);
  if (!registration) {
    if (config.activation_id.empty() || config.activation_code.empty()) {
      throw skiff::Error("not registered yet (" + file.string() +
                         " does not exist): set SKIFF_ACTIVATION_ID and SKIFF_ACTIVATION_CODE");
    }
    auto request = host_facts(config.hostname);
    request.activationId = config.activation_id;
    request.activationCode = config.activation_code;
    request.attributes = config.attributes;
    request.address = config.instance_address;
    registration = register_instance(endpoint, config.ca_file, request);
    save_registration(file, *registration);
    spdlog::info("registered with {} as instance {} in cluster {}", endpoint.url(),
                 registration->instance_id, registration->cluster);
  }
  ControlPlaneOptions options;
  options.endpoint = endpoint;
  options.ca_file = config.ca_file;
  options.registration = *registration;
  options.state_dir = paths.agent_dir() / "controlplane";
  options.idle_timeout = std::chrono::seconds(config.cp_idle_timeout_seconds);
  options.metrics_interval = std::chrono::seconds(config.metrics_interval_seconds);
  auto client = std::make_unique<ControlPlaneClient>(options, engine);
  auto* raw = client.get();
  engine.set_metadata_extra([raw] { return raw->status(); });
  return client;
}

int run(AgentConfig config, const std::string& config_file, bool standalone) {
  // stderr, unbuffered line by line: systemd's journal and test harnesses both read it.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("skiff-agent"));
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  Paths paths{config.state_dir, config.run_dir, config.log_dir};
  std::filesystem::create_directories(paths.agent_dir());
  std::filesystem::create_directories(paths.run);
  ::chmod(paths.run.c_str(), 0700);

  EngineConfig ec;
  ec.runner.paths = paths;
  ec.runner.runtime_binary = find_helper(config.runtime, "skiff-runtime");
  ec.runner.shim_binary = find_helper(config.shim, "skiff-shim");
  ec.runner.cgroup_parent = config.cgroup_parent;
  ec.runner.cgroup_root = config.cgroup_root;
  ec.runner.init_binary = find_init(config.init_binary);
  ec.default_stop_timeout = config.stop_timeout_seconds;
  ec.task_cleanup_wait_seconds = config.task_cleanup_wait_seconds;
  ec.image_helper.skiffctl = find_helper(config.skiffctl, "skiffctl");
  ec.image_helper.store_root = paths.image_store();
  ec.image_helper.pull.insecure_registries = config.insecure_registries;
  ec.image_helper.pull.auth_file = config.registry_auth_file;
  ec.image_helper.pull.ca_file = config.registry_ca_file;
  ec.mode = config.endpoint.empty() ? "standalone" : "connected";

  skiff::image::Images images(paths.image_store(), {},
                              std::make_shared<HelperUnpacker>(ec.image_helper));
  TaskEngine engine(ec, images);
  notify("STATUS=recovering tasks");
  auto problems = engine.recover();
  // Registration comes before any task runs: a refused activation ends the agent here.
  auto control_plane = connect_control_plane(config, paths, engine);
  engine.start();
  if (control_plane) control_plane->start();

  ApiServerOptions api_options;
  api_options.socket_path = config.api_socket.empty() ? paths.api_socket() : config.api_socket;
  ApiServer api(engine, api_options);
  api.start();
  if (standalone) engine.sync_sources(tasks_prefix(config), read_tasks_dir(config.tasks_dir));

  spdlog::info("skiff-agent ready: state {}, socket {}, {} task(s) active, {} recovery problem(s)",
               paths.state.string(), api.socket_path().string(), engine.active_tasks(),
               problems.size());
  notify("READY=1\nSTATUS=running " + std::to_string(engine.active_tasks()) + " task(s)");

  std::uint64_t watchdog_usec = 0;
  bool watchdog = ::sd_watchdog_enabled(0, &watchdog_usec) > 0;
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  for (;;) {
    timespec tick{1, 0};
    if (watchdog && watchdog_usec / 2 < 1'000'000) {
      tick = {0, static_cast<long>(watchdog_usec / 2 * 1000)};
    }
    int sig = ::sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      notify("RELOADING=1");
      try {
        auto fresh = load_config(config_file, false);
        spdlog::set_level(spdlog::level::from_str(fresh.log_level));
        config.tasks_dir = fresh.tasks_dir;
        config.log_level = fresh.log_level;
        spdlog::info("configuration reloaded from {}", config_file);
      } catch (const std::exception& e) {
        spdlog::error("reload: {} (keeping the old configuration)", e.what());
      }
      if (standalone) engine.sync_sources(tasks_prefix(config), read_tasks_dir(config.tasks_dir));
      notify("READY=1");
    }
    // Ping only while the engine loop goes round (it does at least once a second), so a
    // stuck engine gets the agent restarted.
    std::int64_t age_ms = now_ms() - engine.last_loop_ms();
    if (watchdog && age_ms < static_cast<std::int64_t>(watchdog_usec / 1000)) notify("WATCHDOG=1");
    notify("STATUS=running " + std::to_string(engine.active_tasks()) + " task(s)");
  }
  notify("STOPPING=1\nSTATUS=stopping (tasks keep running)");
  spdlog::info("skiff-agent stopping; tasks keep running");
  api.stop();
  if (control_plane) control_plane->stop();
  engine.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"skiff-agent: runs ECS task definitions on this host"};
  app.set_version_flag("--version", "skiff-agent 0.1.0");
  std::string config_file = "/etc/skiff/agent.conf";
  std::string tasks_dir, state_dir, run_dir, log_dir, socket, runtime, shim, skiffctl, log_level;
  std::string endpoint, ca_file, activation_id, activation_code, hostname;
  std::vector<std::string> attributes;
  bool standalone = true;
  app.add_option("-c,--config", config_file, "configuration file (KEY=VALUE lines)");
  app.add_option("--tasks-dir", tasks_dir,
                 "standalone mode: run every *.json task definition here");
  app.add_option("--state-dir", state_dir, "state root (default /var/lib/skiff)");
  app.add_option("--run-dir", run_dir, "runtime state and socket (default /run/skiff)");
  app.add_option("--log-dir", log_dir, "container logs (default /var/log/skiff)");
  app.add_option("--socket", socket, "local API socket (default RUN_DIR/agent.sock)");
  app.add_option("--runtime", runtime, "skiff-runtime binary");
  app.add_option("--shim", shim, "skiff-shim binary");
  app.add_option("--skiffctl", skiffctl, "skiffctl binary (pulls and unpacks images)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_flag("!--no-standalone", standalone, "don't run the tasks dir");
  app.add_option("--endpoint", endpoint, "control plane URL, https://HOST:PORT (connected mode)");
  app.add_option("--ca", ca_file, "the control plane's CA certificate (pinned)");
  app.add_option("--activation-id", activation_id, "activation id (first start only)");
  app.add_option("--activation-code", activation_code,
                 "activation code (first start only; prefer SKIFF_ACTIVATION_CODE)");
  app.add_option("--attribute", attributes, "NAME=VALUE placement attribute (repeatable)");
  app.add_option("--hostname", hostname, "host name to report (default: this host's)");
  CLI11_PARSE(app, argc, argv);

  // Block the signals we wait for before any thread exists, so only sigtimedwait sees them.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  try {
    auto config = load_config(config_file, app.count("--config") > 0);
    std::map<std::string, std::string> flags;
    if (!tasks_dir.empty()) flags["SKIFF_TASKS_DIR"] = tasks_dir;
    if (!state_dir.empty()) flags["SKIFF_STATE_DIR"] = state_dir;
    if (!run_dir.empty()) flags["SKIFF_RUN_DIR"] = run_dir;
    if (!log_dir.empty()) flags["SKIFF_LOG_DIR"] = log_dir;
    if (!socket.empty()) flags["SKIFF_API_SOCKET"] = socket;
    if (!runtime.empty()) flags["SKIFF_RUNTIME"] = runtime;
    if (!shim.empty()) flags["SKIFF_SHIM"] = shim;
    if (!skiffctl.empty()) flags["SKIFF_SKIFFCTL"] = skiffctl;
    if (!log_level.empty()) flags["SKIFF_LOG_LEVEL"] = log_level;
    if (!endpoint.empty()) flags["SKIFF_ENDPOINT"] = endpoint;
    if (!ca_file.empty()) flags["SKIFF_CA_FILE"] = ca_file;
    if (!activation_id.empty()) flags["SKIFF_ACTIVATION_ID"] = activation_id;
    if (!activation_code.empty()) flags["SKIFF_ACTIVATION_CODE"] = activation_code;
    if (!hostname.empty()) flags["SKIFF_HOSTNAME"] = hostname;
    if (!attributes.empty()) {
      std::string joined;
      for (const auto& a : attributes) joined += (joined.empty() ? "" : ",") + a;
      flags["SKIFF_ATTRIBUTES"] = joined;
    }
    apply_settings(config, flags, "command line");
    return run(config, config_file, standalone);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiff-agent: %s\n", e.what());
    notify(std::string("STATUS=failed: ") + e.what());
    return 1;
  }
}
