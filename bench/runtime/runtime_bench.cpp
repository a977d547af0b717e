// runtime-bench: times `RUNTIME run` of one bundle for several runtimes, interleaved so
// they share the machine's state, and writes a markdown table of medians and ratios.
// Each command is given as a shell-free argv template in which {id} is replaced.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

struct Sample {
  double wall_ms, cpu_ms, rss_mib;
};

struct Peer {
  std::string name;
  std::vector<std::string> argv;  // {id} is replaced per run
  std::vector<Sample> samples;
  double sequential_s = 0;
};

Sample run_once(const std::vector<std::string>& tmpl, const std::string& id) {
  std::vector<std::string> args;
  for (auto a : tmpl) {
    for (size_t p; (p = a.find("{id}")) != std::string::npos;) a.replace(p, 4, id);
    args.push_back(a);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  double wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(fmt::format("{} exited {}", args[0], status));
  }
  double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
               (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  return {wall, cpu, ru.ru_maxrss / 1024.0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"runtime-bench"};
  int runs = 30, sequential = 100;
  std::string title, out;
  std::vector<std::string> specs;  // "name=cmd arg arg"
  app.add_option("--runs", runs);
  app.add_option("--sequential", sequential);
  app.add_option("--title", title);
  app.add_option("--out", out)->required();
  app.add_option("--peer", specs, "NAME=ARGV... (space separated; {id} per run)")->required();
  CLI11_PARSE(app, argc, argv);

  std::vector<Peer> peers;
  for (const auto& s : specs) {
    Peer p;
    p.name = s.substr(0, s.find('='));
    std::string rest = s.substr(s.find('=') + 1);
    for (size_t i = 0; i < rest.size();) {
      size_t j = rest.find(' ', i);
      if (j == std::string::npos) j = rest.size();
      if (j > i) p.argv.push_back(rest.substr(i, j - i));
      i = j + 1;
    }
    peers.push_back(std::move(p));
  }
  const std::string tag = std::to_string(::getpid());
  for (auto& p : peers) run_once(p.argv, "warm-" + p.name + "-" + tag);  // page cache, lazy init
  for (int i = 0; i < runs; ++i) {  // interleaved: drift hits every peer alike
    for (auto& p : peers)
      p.samples.push_back(run_once(p.argv, fmt::format("b{}-{}-{}", tag, p.name, i)));
  }
  for (auto& p : peers) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < sequential; ++i) run_once(p.argv, fmt::format("s{}-{}-{}", tag, p.name, i));
    p.sequential_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  std::ofstream md(out, std::ios::app);
  md << "\n### " << title << "\n\n"
     << "| runtime | median wall ms | median CPU ms | median peak RSS MiB | wall vs crun | CPU vs "
        "crun | RSS vs crun | "
     << sequential << " sequential, s |\n|---|---|---|---|---|---|---|---|\n";
  const Peer* crun = nullptr;
  for (const auto& p : peers) {
    if (p.name == "crun") crun = &p;
  }
  auto med = [](const Peer& p, auto f) {
    std::vector<double> v;
    for (const auto& s : p.samples) v.push_back(f(s));
    return median(v);
  };
  for (const auto& p : peers) {
    double w = med(p, [](const Sample& s) { return s.wall_ms; });
    double c = med(p, [](const Sample& s) { return s.cpu_ms; });
    double r = med(p, [](const Sample& s) { return s.rss_mib; });
    std::string rw = "-", rc = "-", rr = "-";
    if (crun) {
      rw = fmt::format("{:.2f}", w / med(*crun, [](const Sample& s) { return s.wall_ms; }));
      rc = fmt::format("{:.2f}", c / med(*crun, [](const Sample& s) { return s.cpu_ms; }));
      rr = fmt::format("{:.2f}", r / med(*crun, [](const Sample& s) { return s.rss_mib; }));
    }
    md << fmt::format("| {} | {:.2f} | {:.2f} | {:.2f} | {} | {} | {} | {:.2f} |\n", p.name, w, c,
                      r, rw, rc, rr, p.sequential_s);
    fmt::print(
        "{:<14} wall {:7.2f} ms  cpu {:7.2f} ms  rss {:5.2f} MiB  ({} sequential: {:.2f} s)\n",
        p.name, w, c, r, sequential, p.sequential_s);
  }
  return 0;
}
