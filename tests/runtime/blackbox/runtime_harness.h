// Drives the skiff-runtime binary like podman would: builds a busybox bundle with
// skiff-probe inside (tests/fixtures/make-bundle.sh), edits its config.json, runs CLI verbs
// and captures their output and exit codes.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv with a timeout; stdin is /dev/null.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_seconds = 60);

class Bundle {
 public:
  // A fresh bundle in a temp dir whose process runs `args` (empty: the template's /bin/sh).
  explicit Bundle(const std::vector<std::string>& args);
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;
  ~Bundle();

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path rootfs() const;  // shared by every bundle of this test process
  nlohmann::json& config() { return config_; }
  void save() const;  // writes config() to config.json

 private:
  std::filesystem::path dir_;
  nlohmann::json config_;
};

class Runtime {
 public:
  Runtime();  // a private --root per test
  ~Runtime();
  CommandResult operator()(const std::vector<std::string>& args, int timeout_seconds = 60) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// The whole of a text file ("" if it cannot be read).
std::string read_text(const std::filesystem::path& p);
// This process's namespace `name` ("net", "pid", ...) as readlink shows it: "net:[4026...]".
std::string self_ns(const char* name);

// Anything of container `id` left on the host: its state dir, cgroup dirs, mounts of `rootfs`.
// Like podman's --cgroup-parent: with SKIFF_TEST_CGROUP_PARENT set (the VM's delegated /ci),
// sets config's linux.cgroupsPath beneath it for container `id`. Runtime's create and run
// do this themselves; a test that runs skiff-runtime another way calls it.
void place_in_test_cgroup(nlohmann::json& config, const std::string& id);

std::vector<std::string> leftovers(const Runtime& rt, const std::string& id,
                                   const std::filesystem::path& rootfs);

}  // namespace skiff::testing
