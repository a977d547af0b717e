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
#include "agent/engine/engine.h"
#include "agent/main/agent_config.h"
#include "agent/main/tasks_dir.h"
#include "image/service/images.h"

namespace {

using namespace skiff::agent;

void notify(const std::string& state) {
  ::sd_notify(0, state.c_str());
}

std::string tasks_prefix(const AgentConfig& c) {
  return std::filesystem::absolute(c.tasks_dir).string() + "/";
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
  ec.default_stop_timeout = config.stop_timeout_seconds;
  ec.task_cleanup_wait_seconds = config.task_cleanup_wait_seconds;
  ec.pull.insecure_registries = config.insecure_registries;
  ec.pull.auth_file = config.registry_auth_file;
  ec.pull.ca_file = config.registry_ca_file;
  ec.mode = standalone ? "standalone" : "connected";

  skiff::image::Images images(paths.image_store());
  TaskEngine engine(ec, images);
  notify("STATUS=recovering tasks");
  auto problems = engine.recover();
  engine.start();

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
  engine.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"skiff-agent: runs ECS task definitions on this host"};
  app.set_version_flag("--version", "skiff-agent 0.1.0");
  std::string config_file = "/etc/skiff/agent.conf";
  std::string tasks_dir, state_dir, run_dir, log_dir, socket, runtime, shim, log_level;
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
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_flag("!--no-standalone", standalone, "don't run the tasks dir");
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
    if (!log_level.empty()) flags["SKIFF_LOG_LEVEL"] = log_level;
    apply_settings(config, flags, "command line");
    return run(config, config_file, standalone);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiff-agent: %s\n", e.what());
    notify(std::string("STATUS=failed: ") + e.what());
    return 1;
  }
}
