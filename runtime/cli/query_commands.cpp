// state, list, ps, features, spec.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/cli/commands.h"
#include "runtime/lifecycle.h"
#include "runtime/spec/spec.h"

namespace skiff::runtime::cli {

namespace {

nlohmann::json features() {
  const auto& caps = oci::all_capability_names();
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions",
       {"async",      "atime",         "bind",    "defaults", "dev",         "diratime", "dirsync",
        "exec",       "mand",          "noatime", "nodev",    "nodiratime",  "noexec",   "nomand",
        "norelatime", "nostrictatime", "nosuid",  "private",  "rbind",       "relatime", "remount",
        "ro",         "rprivate",      "rshared", "rslave",   "runbindable", "rw",       "shared",
        "slave",      "strictatime",   "suid",    "sync",     "unbindable"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
        {"capabilities", caps},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
          {"archs",
           {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
            "SCMP_ARCH_AARCH64"}}}},
        {"apparmor", {{"enabled", true}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"org.skiff.runtime.version", "0.1.0"}}}};
}

}  // namespace

void add_query_commands(CLI::App& app, Action& action) {
  static std::string state_id;
  app.add_subcommand("state", "Print the container's OCI state as JSON")
      ->callback([&action] {
        action = [](const StateDir& dir) {
          Container c = load_container(dir, state_id);
          std::printf("%s\n", oci_state(c.state, c.status).dump(2).c_str());
          return 0;
        };
      })
      ->add_option("id", state_id, "container id")
      ->required();

  static std::string list_format = "table";
  static bool quiet = false;
  auto* list = app.add_subcommand("list", "List containers");
  list->alias("ls");
  list->add_option("-f,--format", list_format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  list->add_flag("-q,--quiet", quiet, "print only ids");
  list->callback([&action] {
    action = [](const StateDir& dir) {
      auto all = list_containers(dir);
      if (list_format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& c : all) out.push_back(oci_state(c.state, c.status));
        std::printf("%s\n", out.dump().c_str());
        return 0;
      }
      if (!quiet)
        std::printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                    "OWNER");
      for (const auto& c : all) {
        if (quiet) {
          std::printf("%s\n", c.state.id.c_str());
          continue;
        }
        pid_t pid = c.status == Status::Stopped ? 0 : c.state.pid;
        std::printf("%-20s %-8d %-10s %-40s %-32s %s\n", c.state.id.c_str(), pid,
                    to_string(c.status), c.state.bundle.c_str(), c.state.created.c_str(),
                    c.state.owner == 0 ? "root" : std::to_string(c.state.owner).c_str());
      }
      return 0;
    };
  });

  static std::string ps_id, ps_format = "table";
  auto* ps = app.add_subcommand("ps", "List the processes in a container");
  ps->add_option("-f,--format", ps_format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  ps->add_option("id", ps_id, "container id")->required();
  ps->allow_extras();  // runc passes trailing ps(1) options through
  ps->callback([&action] {
    action = [](const StateDir& dir) {
      auto pids = container_pids(dir, ps_id);
      if (ps_format == "json") {
        std::printf("%s\n", nlohmann::json(pids).dump().c_str());
        return 0;
      }
      std::string csv;
      for (pid_t p : pids) csv += (csv.empty() ? "" : ",") + std::to_string(p);
      if (csv.empty()) {
        std::printf("UID          PID    PPID  C STIME TTY          TIME CMD\n");
        return 0;
      }
      std::fflush(stdout);
      std::string cmd = "ps -f -p " + csv;
      return std::system(cmd.c_str()) == 0 ? 0 : 1;
    };
  });

  app.add_subcommand("features", "Print what this runtime supports (OCI features JSON)")
      ->callback([&action] {
        action = [](const StateDir&) {
          std::printf("%s\n", features().dump(2).c_str());
          return 0;
        };
      });

  static std::string spec_bundle = ".";
  auto* spec = app.add_subcommand("spec", "Write a default config.json into the bundle directory");
  spec->add_option("-b,--bundle", spec_bundle, "bundle directory (default: current directory)");
  static bool rootless = false;
  spec->add_flag("--rootless", rootless, "accepted for runc compatibility (not implemented)");
  spec->callback([&action] {
    action = [](const StateDir&) {
      auto path = std::filesystem::path(spec_bundle) / "config.json";
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) {
        if (errno == EEXIST) throw Error("File " + path.string() + " exists. Remove it first");
        throw_errno("create", path);
      }
      std::string text = oci::default_spec().dump(2) + "\n";
      bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::close(fd);
      if (!ok) throw_errno("write", path);
      return 0;
    };
  });
}

}  // namespace skiff::runtime::cli
