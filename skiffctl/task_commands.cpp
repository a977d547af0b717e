// The agent commands. Each is a thin call to the local API plus its human output; --json
// prints the agent's JSON as it came.
#include "skiffctl/task_commands.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/api/http_target.h"
#include "common/error.h"
#include "skiffctl/api_client.h"
#include "skiffctl/output.h"
#include "skiffctl/task_view.h"

namespace skiff::ctl {

namespace {

// exec's command, cut from the command line by cut_exec_command() before parsing.
std::vector<std::string> g_exec_command;

using agent::url_encode;
using boost::beast::http::verb;
using nlohmann::json;

struct AgentArgs {
  std::string socket = kDefaultAgentSocket;
  std::string file, task, container, reason;
  bool follow = false;
  bool wait = false;
  bool timestamps = false;
  std::string tail = "all";
  std::string stream = "all";
  std::uint64_t since = 0;
  ExecArgs exec;
};

void print_json(const json& j) {
  std::cout << j.dump(2) << '\n';
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string read_definition(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string task_path(const std::string& id) {
  return "/v1/tasks/" + url_encode(id);
}

// Follows /v1/events (after `since`) line by line until `on_line` returns false.
void follow_events(const std::string& socket, std::uint64_t since, bool follow,
                   const std::function<bool(const std::string&)>& on_line) {
  std::string target = "/v1/events?since=" + std::to_string(since);
  if (follow) target += "&follow=1";
  std::string pending;
  bool more = true;
  AgentClient(socket).stream(target, [&](std::string_view s) {
    pending.append(s);
    std::size_t nl;
    while (more && (nl = pending.find('\n')) != std::string::npos) {
      more = on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
    return more;
  });
  if (more && !pending.empty()) on_line(pending);
}

// `run --wait`: reads the task's events from `since` until it is RUNNING (or STOPPED, an
// error naming its reason), as `podman run -d` returns once the container runs.
void wait_until_running(const AgentArgs& a, std::uint64_t since, const std::string& id) {
  std::string status;
  follow_events(a.socket, since, true, [&](const std::string& line) {
    json e = json::parse(line, nullptr, false);
    if (!e.is_object() || str(e, "type") != "task" || str(e, "taskId") != id) return true;
    status = str(e, "taskKnownStatus");
    return status != "RUNNING" && status != "STOPPED";
  });
  if (status == "RUNNING") return;
  json task = AgentClient(a.socket).call(verb::get, task_path(id));
  std::string why = str(task, "stoppedReason");
  for (const auto& c : task.value("containers", json::array())) {
    if (!str(c, "reason").empty()) why += fmt::format("; {}: {}", str(c, "name"), str(c, "reason"));
  }
  throw Error("task " + id + " stopped before it ran: " + why);
}

void run(const GlobalOptions& g, const AgentArgs& a) {
  std::string body = read_definition(a.file);
  // The engine records the source and may start its messages with it.
  std::string source = std::filesystem::absolute(a.file).lexically_normal().native();
  std::uint64_t since = 0;
  if (a.wait)
    since = AgentClient(a.socket).call(verb::get, "/v1/metadata").value("lastEventSeq", 0);
  json task;
  try {
    task = AgentClient(a.socket).call(verb::post, "/v1/tasks?source=" + url_encode(source), body);
  } catch (const Error& e) {
    std::string msg = e.what();
    if (msg.rfind("cannot reach the agent", 0) == 0) throw;
    // The agent names the JSON path or line and column after the source; we name the file
    // as the user typed it.
    if (msg.rfind(source + ":", 0) == 0) throw Error(a.file + msg.substr(source.size()));
    throw Error(a.file + ": " + msg);
  }
  // Fields Skiff ignores or does differently: said where the user looks, not only logged.
  for (const auto& w : task.value("warnings", json::array())) {
    if (w.is_string()) std::cerr << "warning: " << a.file << ": " << w.get<std::string>() << '\n';
  }
  if (a.wait) {
    wait_until_running(a, since, str(task, "taskId"));
    if (g.json) task = AgentClient(a.socket).call(verb::get, task_path(str(task, "taskId")));
  }
  if (g.json) return print_json(task);
  std::cout << str(task, "taskId") << '\n';
}

void ps(const GlobalOptions& g, const AgentArgs& a) {
  json tasks = AgentClient(a.socket).call(verb::get, "/v1/tasks");
  if (g.json) return print_json(tasks);
  std::vector<std::vector<std::string>> rows;
  std::time_t now = std::time(nullptr);
  for (const auto& t : tasks) {
    rows.push_back({str(t, "taskId"), str(t, "family"), task_status(t), task_health(t),
                    container_count(t), age(str(t, "createdAt"), now)});
  }
  print_table(std::cout, {"TASK", "FAMILY", "STATUS", "HEALTH", "CONTAINERS", "AGE"}, rows);
}

void inspect(const AgentArgs& a) {
  print_json(AgentClient(a.socket).call(verb::get, task_path(a.task)));
}

void stop(const GlobalOptions& g, const AgentArgs& a) {
  json body = json::object();
  if (!a.reason.empty()) body["reason"] = a.reason;
  json task = AgentClient(a.socket).call(verb::post, task_path(a.task) + "/stop", body.dump());
  if (g.json) return print_json(task);
  std::cout << str(task, "taskId") << '\n';
}

void drain(const GlobalOptions& g, const AgentArgs& a) {
  json body = json::object();
  if (!a.reason.empty()) body["reason"] = a.reason;
  json r = AgentClient(a.socket).call(verb::post, "/v1/drain", body.dump());
  if (g.json) return print_json(r);
  std::cout << "drained\n";
}

// Reads numbers the engine may give as N or {"current": N}.
std::string number_at(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* key : path) {
    if (!p->is_object() || !p->contains(key)) return "-";
    p = &(*p)[key];
  }
  if (p->is_object() && p->contains("current")) p = &(*p)["current"];
  return p->is_number() ? p->dump() : "-";
}

std::string bytes_at(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* key : path) {
    if (p == nullptr || !p->is_object() || !p->contains(key)) return "-";
    p = &(*p)[key];
  }
  if (p->is_null()) return "max";  // the engine sends null for no limit
  std::string n = number_at(j, path);
  if (n == "-") return n;
  std::uint64_t v = std::stoull(n);
  return v >= (std::uint64_t{1} << 62) ? "max" : human_size(v);
}

std::string cpu_seconds(const json& c) {
  std::string usec = number_at(c, {"cpu", "usageUsec"});
  if (usec == "-") return usec;
  return fmt::format("{:.2f}s", static_cast<double>(std::stoull(usec)) / 1e6);
}

void stats(const GlobalOptions& g, const AgentArgs& a) {
  AgentClient client(a.socket);
  std::vector<std::string> ids;
  if (!a.task.empty()) {
    ids.push_back(a.task);
  } else {
    for (const auto& t : client.call(verb::get, "/v1/tasks")) {
      if (str(t, "knownStatus") != "STOPPED") ids.push_back(str(t, "taskId"));
    }
  }
  json all = json::object();
  for (const auto& id : ids) all[id] = client.call(verb::get, task_path(id) + "/stats");
  if (g.json) return print_json(a.task.empty() ? all : all[a.task]);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [id, s] : all.items()) {
    if (!s.contains("containers") || !s["containers"].is_object()) continue;
    for (const auto& [name, c] : s["containers"].items()) {
      rows.push_back({id, name, cpu_seconds(c), bytes_at(c, {"memory", "current"}),
                      bytes_at(c, {"memory", "limit"}), number_at(c, {"pids"})});
    }
  }
  print_table(std::cout, {"TASK", "CONTAINER", "CPU", "MEMORY", "LIMIT", "PIDS"}, rows);
}

void logs(const AgentArgs& a) {
  std::string target = task_path(a.task) + "/containers/" + url_encode(a.container) +
                       "/logs?tail=" + url_encode(a.tail) + "&stream=" + url_encode(a.stream);
  if (a.follow) target += "&follow=1";
  if (a.timestamps) target += "&timestamps=1";
  AgentClient(a.socket).stream(target, [](std::string_view s) {
    std::cout.write(s.data(), static_cast<std::streamsize>(s.size()));
    std::cout.flush();
    return true;
  });
}

// One event per line: "SEQ TIME TYPE TASK[/CONTAINER] STATUS REASON".
void print_event_line(const std::string& line, bool as_json) {
  if (line.empty()) return;
  if (as_json) {
    std::cout << line << '\n' << std::flush;
    return;
  }
  json e = json::parse(line, nullptr, false);
  if (!e.is_object()) {
    std::cout << line << '\n' << std::flush;
    return;
  }
  std::string where = str(e, "taskId");
  if (!str(e, "container").empty()) where += "/" + str(e, "container");
  std::string out = str(e, "seq") + " " + str(e, "time") + " " + str(e, "type") + " " + where;
  for (const char* key : {"status", "knownStatus", "health", "exitCode", "reason"}) {
    if (!str(e, key).empty()) out += fmt::format(" {}={}", key, str(e, key));
  }
  std::cout << out << '\n' << std::flush;
}

void events(const GlobalOptions& g, const AgentArgs& a) {
  follow_events(a.socket, a.since, a.follow, [&](const std::string& line) {
    print_event_line(line, g.json);
    return true;
  });
}

}  // namespace

std::vector<std::string> cut_exec_command(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::size_t i = 1;
  // The verb: the first word that is not one of app's options or an option's value.
  for (; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--" || word.size() < 2 || word[0] != '-') break;
    std::string name = word.substr(0, word.find('='));
    CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr) return args;
    if (opt->get_items_expected_min() > 0 && name.size() == word.size()) ++i;
  }
  if (i >= args.size() || args[i] != "exec") return args;
  // exec's own options are flags: the next operand is the first word not starting with
  // '-', or the word after a "--".
  auto next_operand = [&](std::size_t from) {
    for (std::size_t j = from; j < args.size(); ++j) {
      if (args[j] == "--") return j + 1;
      if (!args[j].starts_with("-")) return j;
    }
    return args.size();
  };
  std::size_t task = next_operand(i + 1);
  if (task >= args.size()) return args;
  i = next_operand(task + 1);  // the container
  if (i >= args.size()) return args;
  g_exec_command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  if (!g_exec_command.empty() && g_exec_command.front() == "--") {
    g_exec_command.erase(g_exec_command.begin());
  }
  args.resize(i + 1);
  return args;
}

void add_task_commands(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<AgentArgs>();
  app.add_option("--socket", a->socket, "The agent's API socket")
      ->envname("SKIFF_AGENT_SOCKET")
      ->capture_default_str();

  auto* c = app.add_subcommand("run", "Run a task definition (ECS JSON) on this host");
  c->add_option("file", a->file, "Task definition JSON file")->required();
  c->add_flag("--wait", a->wait,
              "Return once the task is RUNNING, as `podman run -d` does (exit 1 if it stops)");
  c->callback([&g, a] { run(g, *a); });

  c = app.add_subcommand("ps", "List tasks");
  c->callback([&g, a] { ps(g, *a); });

  c = app.add_subcommand("inspect", "Show a task as JSON");
  c->add_option("task", a->task, "Task id")->required();
  c->callback([a] { inspect(*a); });

  c = app.add_subcommand("logs", "Print a container's log");
  c->add_flag("-f,--follow", a->follow, "Keep printing new lines until the task stops");
  c->add_option("--tail", a->tail, "Only the last N lines (or all)");
  c->add_option("--stream", a->stream, "stdout, stderr or all")
      ->check(CLI::IsMember({"stdout", "stderr", "all"}));
  c->add_flag("--timestamps", a->timestamps, "Prefix each line with its time");
  c->add_option("task", a->task, "Task id")->required();
  c->add_option("container", a->container, "Container name")->required();
  c->callback([a] { logs(*a); });

  c = app.add_subcommand("exec", "Run a command inside a task's container");
  c->add_flag("-t,--tty", a->exec.tty, "Allocate a terminal");
  c->add_flag("-i,--interactive", a->exec.interactive, "Keep stdin open");
  c->add_option("task", a->exec.task, "Task id")->required();
  c->add_option("container", a->exec.container, "Container name")->required();
  c->footer("Everything after the container is the command, options included.");
  c->fallthrough(false);  // put --socket before exec
  c->callback([a] {
    // cut_exec_command took the command off the command line before parsing.
    if (g_exec_command.empty()) throw Error("exec: no command given");
    a->exec.command = g_exec_command;
    std::exit(exec_in_task(a->socket, a->exec));
  });

  c = app.add_subcommand("stop", "Stop a task (its containers get their stop signal)");
  c->add_option("task", a->task, "Task id")->required();
  c->add_option("--reason", a->reason, "Recorded as the task's stoppedReason");
  c->callback([&g, a] { stop(g, *a); });

  c = app.add_subcommand("stats", "CPU, memory and pids per container");
  c->add_option("task", a->task, "Task id (default: every running task)");
  c->callback([&g, a] { stats(g, *a); });

  c = app.add_subcommand("events", "Print the agent's events");
  c->add_flag("-f,--follow", a->follow, "Keep printing new events");
  c->add_option("--since", a->since, "Only events after this sequence number");
  c->callback([&g, a] { events(g, *a); });

  c = app.add_subcommand("drain", "Stop every task on this host");
  c->add_option("--reason", a->reason, "Recorded as each task's stoppedReason");
  c->callback([&g, a] { drain(g, *a); });
}

}  // namespace skiff::ctl
