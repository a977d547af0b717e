// kill, delete, pause, resume, update.
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_io.h"
#include "common/json_parse.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/log.h"
#include "runtime/lifecycle.h"

namespace skiff::runtime::cli {

namespace {

nlohmann::json read_resources(const std::string& file) {
  // /proc/self/fd/0, not /dev/stdin: minimal /dev trees lack the symlink.
  std::string text = read_file(file == "-" ? "/proc/self/fd/0" : file);
  if (json_depth_violation(text, kMaxJsonDepth) != std::string::npos) {
    throw Error("--resources " + file + ": nested deeper than " + std::to_string(kMaxJsonDepth) +
                " levels");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("--resources " + file + ": malformed JSON at byte " + std::to_string(e.byte));
  }
}

}  // namespace

void add_control_commands(CLI::App& app, Action& action) {
  static std::string kill_id, kill_signal = "SIGTERM";
  static bool kill_all = false;
  auto* kill = app.add_subcommand("kill", "Send a signal to the container's init (or all)");
  kill->add_flag("-a,--all", kill_all, "signal every process in the container");
  kill->add_option("id", kill_id, "container id")->required();
  kill->add_option("signal", kill_signal, "signal name or number (default SIGTERM)");
  kill->callback([&action] {
    action = [](const StateDir& dir) {
      kill_container(dir, kill_id, parse_signal(kill_signal), kill_all);
      return 0;
    };
  });

  static std::string delete_id;
  static bool force = false;
  auto* del = app.add_subcommand("delete", "Delete a stopped (or, with --force, any) container");
  del->add_flag("-f,--force", force, "kill a running container first");
  del->add_option("id", delete_id, "container id")->required();
  del->callback([&action] {
    action = [](const StateDir& dir) {
      delete_container(dir, delete_id, force, log_warning);
      return 0;
    };
  });

  static std::string pause_id, resume_id;
  app.add_subcommand("pause", "Freeze every process in the container")
      ->callback([&action] {
        action = [](const StateDir& dir) {
          pause_container(dir, pause_id);
          return 0;
        };
      })
      ->add_option("id", pause_id, "container id")
      ->required();
  app.add_subcommand("resume", "Thaw a paused container")
      ->callback([&action] {
        action = [](const StateDir& dir) {
          resume_container(dir, resume_id);
          return 0;
        };
      })
      ->add_option("id", resume_id, "container id")
      ->required();

  static std::string update_id, resources_file;
  auto* update = app.add_subcommand("update", "Change the container's resource limits");
  update
      ->add_option("-r,--resources", resources_file, "OCI LinuxResources JSON file, or - for stdin")
      ->required();
  update->add_option("id", update_id, "container id")->required();
  update->callback([&action] {
    action = [](const StateDir& dir) {
      update_container(dir, update_id, read_resources(resources_file));
      return 0;
    };
  });
}

}  // namespace skiff::runtime::cli
