// A private test network: one Linux bridge in the host namespace holding 10.199.0.1/24, and
// per agent a network namespace joined to it by a veth pair (10.199.0.2, .3, ...).
//
//   host netns                         netns NAME-i
//   ┌───────────────────────┐          ┌──────────────────────┐
//   │ bridge  10.199.0.1/24 │          │ lo (up)              │
//   │   └─ veth host end ◀──┼──────────┼─▶ veth 10.199.0.i+2  │
//   └───────────────────────┘          └──────────────────────┘
//
// Names carry the test process's pid, so parallel test processes never share one. The
// destructor deletes exactly what this object created. The constructor refuses to run if
// 10.199.0.0/24 is in use, after removing only a bridge of ours (skbrPID) whose test
// process PID no longer exists, with its namespaces. Everything goes through `ip`
// (iproute2); a failure throws an error naming the command and its output.
#pragma once

#include <string>
#include <vector>

namespace skiff::test {

class TestNetwork {
 public:
  static constexpr const char* kHostAddress = "10.199.0.1";

  explicit TestNetwork(int namespaces);
  ~TestNetwork();
  TestNetwork(const TestNetwork&) = delete;
  TestNetwork& operator=(const TestNetwork&) = delete;

  int size() const { return static_cast<int>(links_.size()); }
  const std::string& netns(int i) const { return links_.at(i).netns; }
  const std::string& address(int i) const { return links_.at(i).address; }
  const std::string& host_end(int i) const { return links_.at(i).host_end; }

  // `ip link set <host end> down` / `up`: namespace i loses / regains the bridge.
  void cut(int i);
  void restore(int i);

 private:
  struct Link {
    std::string netns, host_end, ns_end, address;
  };
  void add_link(int i);
  void remove_all() noexcept;

  std::string bridge_;
  bool bridge_created_ = false;
  std::vector<Link> links_;
};

// Runs argv[0] (looked up in PATH) with argv; returns the exit status (or -1) and puts
// stdout+stderr into `output`.
int run_command(const std::vector<std::string>& argv, std::string* output = nullptr);
// Same, but throws std::runtime_error naming the command unless it exits 0.
std::string must_run(const std::vector<std::string>& argv);

}  // namespace skiff::test
