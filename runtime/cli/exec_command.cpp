// exec: the runc flags podman and conmon use, over runtime::exec_in_container.
#include "common/error.h"
#include "common/file_io.h"
#include "common/json_parse.h"
#include "runtime/cli/commands.h"
#include "runtime/exec.h"

namespace skiff::runtime::cli {

namespace {

struct ExecFlags {
  ExecOptions options;
  std::string process_file;
  std::string pid_file;
  bool tty = false;
  bool no_new_privs = false;
  std::vector<std::string> env;
  std::string cwd;
  std::string user;
  std::vector<std::string> caps;
  std::vector<std::uint32_t> additional_gids;
  std::string apparmor;
  std::string ignored;
};

int capability(const std::string& name) {
  if (auto c = oci::capability_from_name(name)) return *c;
  throw Error("--cap: unknown capability \"" + name + "\"");
}

// Builds the process from --process, or from the container's own process plus flags.
oci::Process build_process(const StateDir& dir, ExecFlags& f, std::vector<std::string> args) {
  if (!f.process_file.empty()) {
    std::string text = read_file(f.process_file);
    nlohmann::json j;
    if (json_depth_violation(text, kMaxJsonDepth) != std::string::npos) {
      throw Error("--process " + f.process_file + ": nested deeper than " +
                  std::to_string(kMaxJsonDepth) + " levels");
    }
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error("--process " + f.process_file + ": malformed JSON at byte " +
                  std::to_string(e.byte));
    }
    return oci::parse_process(j, "process");
  }
  oci::Process p = container_process(dir, f.options.id);
  if (args.empty()) throw Error("exec: no command given (and no --process file)");
  p.args = std::move(args);
  p.terminal = f.tty;
  p.env.insert(p.env.end(), f.env.begin(), f.env.end());
  if (!f.cwd.empty()) p.cwd = f.cwd;
  if (!f.user.empty()) {
    auto colon = f.user.find(':');
    p.user.uid = static_cast<std::uint32_t>(std::stoul(f.user.substr(0, colon)));
    if (colon != std::string::npos)
      p.user.gid = static_cast<std::uint32_t>(std::stoul(f.user.substr(colon + 1)));
  }
  p.user.additional_gids.insert(p.user.additional_gids.end(), f.additional_gids.begin(),
                                f.additional_gids.end());
  if (!f.caps.empty()) {
    if (!p.capabilities) p.capabilities = oci::Capabilities{};
    for (const auto& name : f.caps) {
      int c = capability(name);
      for (auto* set :
           {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted}) {
        set->push_back(c);
      }
    }
  }
  if (f.no_new_privs) p.no_new_privileges = true;
  if (!f.apparmor.empty()) p.apparmor_profile = f.apparmor;
  return p;
}

}  // namespace

void add_exec_command(CLI::App& app, Action& action, const std::vector<std::string>& command) {
  static ExecFlags f;
  auto* exec = app.add_subcommand("exec", "Run a new process inside a running container");
  exec->add_option("-p,--process", f.process_file, "process.json (OCI process object)");
  exec->add_flag("-t,--tty", f.tty, "allocate a pty (needs --console-socket)");
  exec->add_flag("-d,--detach", f.options.detach, "return once the process runs");
  exec->add_option("--pid-file", f.pid_file, "write the process's pid here");
  exec->add_option("--console-socket", f.options.console_socket, "unix socket for the pty master");
  // Repeatable, one value each (runc's way): a vector option would swallow the id too.
  exec->add_option("-e,--env", f.env, "extra environment (NAME=VALUE)")->allow_extra_args(false);
  exec->add_option("--cwd", f.cwd, "working directory");
  exec->add_option("-u,--user", f.user, "uid[:gid]");
  exec->add_option("-g,--additional-gids", f.additional_gids, "additional gids")
      ->allow_extra_args(false);
  exec->add_option("-c,--cap", f.caps, "add a capability")->allow_extra_args(false);
  exec->add_flag("--no-new-privs", f.no_new_privs, "set no_new_privs");
  exec->add_option("--preserve-fds", f.options.preserve_fds, "pass N extra fds");
  exec->add_option("--process-label", f.ignored, "accepted for runc compatibility");
  exec->add_option("--apparmor", f.apparmor, "AppArmor profile for the process");
  exec->add_option("id", f.options.id, "container id")->required();
  exec->footer("Everything after the container id is the command, options included.");
  exec->callback([&action, &command] {
    action = [&command](const StateDir& dir) {
      const std::vector<std::string>& rest = command;
      f.options.process = build_process(dir, f, rest);
      if (f.options.process.terminal && f.options.console_socket.empty()) {
        throw Error("exec --tty needs --console-socket");
      }
      if (!f.pid_file.empty()) f.options.pid_file = f.pid_file;
      return exec_in_container(dir, f.options);
    };
  });
}

}  // namespace skiff::runtime::cli
