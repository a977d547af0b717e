// skiff-cgroup: a thin CLI over the cgroups library, for people and for the demo.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>

#include "cgroups/layout.h"
#include "cgroups/manager.h"
#include "cgroups/tool/run_command.h"
#include "common/error.h"

namespace {

using namespace skiff::cgroups;

void print_info() {
  Layout layout = detect_layout();
  SelfCgroup self = read_self_cgroup();
  fmt::print("mode       {}\n", to_string(layout.mode()));
  fmt::print("backend    {}\n", to_string(layout.backend()));
  if (layout.unified) {
    std::string controllers;
    for (const auto& c : layout.unified_controllers) controllers += c + " ";
    fmt::print("cgroup2    {} (controllers: {})\n", layout.unified->mountpoint.string(),
               controllers.empty() ? "none" : controllers);
  }
  for (const auto& [controller, mount] : layout.v1) {
    std::string own = self.v1.contains(controller) ? self.v1.at(controller) : "?";
    fmt::print("v1 {:<12}{} (this process: {})\n", controller, mount.mountpoint.string(), own);
  }
  if (self.unified) fmt::print("own v2     {}\n", *self.unified);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"skiff-cgroup: show the host's cgroup layout, or run a command under limits"};
  app.require_subcommand(1);

  app.add_subcommand("info", "Show cgroup mode, backend and where this process sits");

  auto* run = app.add_subcommand("run", "Run a command in a new cgroup and report what happened");
  tool::RunRequest req;
  req.name = "skiff-run-" + std::to_string(::getpid());
  std::string memory, reservation, swap;
  double cpus = 0;
  std::int64_t pids = 0;
  std::uint64_t shares = 0;
  run->add_option("--name", req.name, "cgroup name below the parent");
  run->add_option("--parent", req.parent, "parent cgroup (default: this process's own)");
  run->add_option("--memory", memory, "hard memory limit, e.g. 64m");
  run->add_option("--memory-reservation", reservation, "soft memory floor (memory.low)");
  run->add_option("--memory-swap", swap, "memory+swap limit, e.g. 64m (no swap)");
  run->add_option("--cpus", cpus, "hard CPU cap in CPUs, e.g. 0.2")->check(CLI::PositiveNumber);
  run->add_option("--cpu-shares", shares, "relative CPU weight (ECS cpu units)");
  run->add_option("--pids", pids, "maximum number of processes")->check(CLI::PositiveNumber);
  run->add_option("--cpuset-cpus", req.resources.cpuset_cpus, "CPUs to run on, e.g. 0");
  run->add_flag("--json", req.json, "print the report as JSON");
  run->add_option("command", req.argv, "command and arguments")->required();

  CLI11_PARSE(app, argc, argv);
  try {
    if (app.got_subcommand("info")) {
      print_info();
      return 0;
    }
    Resources& r = req.resources;
    if (!memory.empty()) r.memory_limit = parse_size(memory);
    if (!reservation.empty()) r.memory_reservation = parse_size(reservation);
    if (!swap.empty()) r.memory_swap = parse_size(swap);
    if (cpus > 0) {
      r.cpu_period_us = kDefaultCpuPeriodUs;
      r.cpu_quota_us = std::llround(cpus * static_cast<double>(kDefaultCpuPeriodUs));
    }
    if (shares > 0) r.cpu_shares = shares;
    if (pids > 0) r.pids_limit = pids;
    return tool::run_command(req);
  } catch (const std::exception& e) {
    fmt::print(stderr, "skiff-cgroup: {}\n", e.what());
    return 125;
  }
}
