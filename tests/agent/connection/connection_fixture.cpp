#include "connection_fixture.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>

namespace skiff::test {

namespace fs = std::filesystem;

void ConnectionTest::TearDown() {
  if (HasFailure()) std::cerr << diagnostics();
  // The control plane goes first, so draining agents do not make it place replacements.
  if (cp) cp->stop();
  agents_.clear();  // each drains its tasks, stops, unmounts and removes its tree
  cp.reset();
  net.reset();
}

void ConnectionTest::start(int namespaces, std::vector<std::string> cp_args) {
  net = std::make_unique<TestNetwork>(namespaces);
  cp = std::make_unique<ControlPlane>(std::move(cp_args), TestNetwork::kHostAddress);
  cp->start();
  if (HasFatalFailure()) return;
  admin("POST", "/v1/clusters", {{"name", "edge"}});
  agents_.resize(namespaces);
  env_.resize(namespaces);
  instance_ids_.resize(namespaces);
}

json ConnectionTest::activation(std::int64_t expires_in_seconds) {
  return admin("POST", "/v1/clusters/edge/activations",
               {{"registrationLimit", 1}, {"expiresInSeconds", expires_in_seconds}});
}

std::vector<std::string> ConnectionTest::agent_env(int i, const json& act) const {
  return {"SKIFF_ENDPOINT=https://" + cp->host() + ":" + std::to_string(cp->port()),
          "SKIFF_CA_FILE=" + cp->ca(),
          "SKIFF_ACTIVATION_ID=" + act["activationId"].get<std::string>(),
          "SKIFF_ACTIVATION_CODE=" + act["activationCode"].get<std::string>(),
          "SKIFF_HOSTNAME=agent-" + std::to_string(i),
          "SKIFF_INSTANCE_ADDRESS=" + net->address(i),
          "SKIFF_CP_IDLE_TIMEOUT=3",
          "SKIFF_METRICS_INTERVAL=5"};
}

Agent& ConnectionTest::add_agent(int i, const std::vector<std::string>& extra_env) {
  agents_.at(i) = std::make_unique<Agent>(
      fs::path("/run") / ("skiff-conn-" + std::to_string(::getpid()) + "-" + std::to_string(i)));
  auto& a = *agents_[i];
  a.set_netns(net->netns(i));
  env_[i] = agent_env(i, activation());
  env_[i].insert(env_[i].end(), extra_env.begin(), extra_env.end());
  a.start(env_[i]);
  if (HasFatalFailure()) return a;
  json md;
  const bool ok = eventually(
      [&] {
        md = metadata(i);
        return md.value("instanceId", "") != "" && md["controlPlane"]["connected"] == true;
      },
      30s);
  EXPECT_TRUE(ok) << "agent " << i << " never connected: " << md.dump() << "\n"
                  << tail(a.log_text());
  instance_ids_[i] = md.value("instanceId", "");
  return a;
}

void ConnectionTest::restart_agent(int i) {
  agent(i).start(env_.at(i));
}

void ConnectionTest::wait_connected(int i, bool connected, std::chrono::seconds timeout) {
  json md;
  EXPECT_TRUE(eventually(
      [&] {
        md = metadata(i);
        return md["controlPlane"]["connected"] == connected;
      },
      timeout))
      << "agent " << i << " connected != " << connected << ": " << md.dump() << "\n"
      << tail(agent(i).log_text());
}

int ConnectionTest::agent_index(const std::string& id) const {
  for (std::size_t i = 0; i < instance_ids_.size(); ++i) {
    if (!id.empty() && instance_ids_[i] == id) return static_cast<int>(i);
  }
  return -1;
}

std::string ConnectionTest::register_taskdef(const json& definition) {
  auto r = admin("POST", "/v1/taskdefs", definition);
  return r["family"].get<std::string>() + ":" + std::to_string(r["revision"].get<int>());
}

json ConnectionTest::cp_tasks(const std::string& service) {
  return admin("GET",
               "/v1/clusters/edge/tasks" + (service.empty() ? "" : "?service=" + service))["tasks"];
}

bool ConnectionTest::steady(const std::string& taskdef, std::size_t count,
                            const std::string& name) {
  auto s = svc(name);
  return s["deployments"].size() == 1 && s["deployments"][0]["taskDefinition"] == taskdef &&
         s["deployments"][0]["rolloutState"] == "COMPLETED" &&
         s["deployments"][0]["healthyCount"] == count;
}

json ConnectionTest::create_service(const std::string& taskdef, int desired, int min_pct,
                                    int max_pct, const json& breaker) {
  json dc = {{"minimumHealthyPercent", min_pct}, {"maximumPercent", max_pct}};
  if (!breaker.is_null()) dc["deploymentCircuitBreaker"] = breaker;
  return admin("POST", "/v1/clusters/edge/services",
               {{"serviceName", "web"},
                {"taskDefinition", taskdef},
                {"desiredCount", desired},
                {"deregistrationDelaySeconds", 1},
                {"deploymentConfiguration", dc}});
}

json ConnectionTest::wait_agent_status(int i, const std::string& id, const std::string& status,
                                       std::chrono::seconds timeout) {
  json last;
  const bool ok = eventually(
      [&] {
        const auto r = agent(i).request("GET", "/v1/tasks/" + id);
        if (r.status != 200) return false;
        last = r.json();
        return last["knownStatus"] == status;
      },
      timeout);
  EXPECT_TRUE(ok) << "task " << id << " on agent " << i << " never " << status
                  << "; last view: " << last.dump(1) << "\n"
                  << tail(agent(i).log_text());
  return last;
}

json ConnectionTest::agent_view(const json& t) {
  const int i = agent_index(t["instanceId"].get<std::string>());
  if (i < 0) {
    ADD_FAILURE() << "task " << t["id"] << " is on an unknown instance " << t["instanceId"];
    return json::object();
  }
  auto reply = agent(i).request("GET", "/v1/tasks/" + t["id"].get<std::string>());
  if (reply.status != 200) return json::object();
  return reply.json();
}

std::string ConnectionTest::diagnostics() {
  std::string out;
  if (cp) out += "---- control plane log (tail)\n" + cp->log() + "\n";
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (agents_[i]) {
      out +=
          "---- agent " + std::to_string(i) + " log (tail)\n" + tail(agents_[i]->log_text()) + "\n";
    }
  }
  return out;
}

json probe_app(const std::vector<std::string>& args, bool health_check) {
  auto c = probe_container("app", args);
  c["stopTimeout"] = 2;
  if (health_check) {
    c["healthCheck"] = {
        {"command", {"CMD-SHELL", "test -d /bin"}}, {"interval", 5}, {"retries", 1}};
  }
  return c;
}

json cp_taskdef(const std::string& family, const json& containers) {
  auto td = task_definition(family, containers);
  td["memory"] = "256";
  return td;
}

std::vector<std::string> status_sequence(const json& task) {
  std::vector<std::string> seq;
  for (const auto& tr : task["transitions"]) {
    if (seq.empty() || seq.back() != tr["lastStatus"]) seq.push_back(tr["lastStatus"]);
  }
  return seq;
}

bool process_alive(int pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

std::string tail(const std::string& text, std::size_t n) {
  return text.size() > n ? text.substr(text.size() - n) : text;
}

}  // namespace skiff::test
