#include "agent/connection/registration.h"

#include <fmt/format.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_io.h"
#include "protocol/json_reader.h"
#include "protocol/tls/https_client.h"

namespace skiff::agent {

std::string Endpoint::url() const {
  return fmt::format("https://{}:{}", host, port);
}

Endpoint parse_endpoint(const std::string& url, const std::string& what) {
  constexpr std::string_view scheme = "https://";
  if (!url.starts_with(scheme)) {
    throw Error(what + ": \"" + url + "\" is not an https:// URL (TLS is mandatory)");
  }
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  Endpoint e;
  const auto colon = rest.rfind(':');
  e.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (colon != std::string::npos) {
    const auto port = rest.substr(colon + 1);
    unsigned long p = 0;
    try {
      std::size_t used = 0;
      p = std::stoul(port, &used);
      if (used != port.size()) p = 0;
    } catch (const std::exception&) {
      p = 0;
    }
    if (p == 0 || p > 65535) throw Error(what + ": bad port in \"" + url + "\"");
    e.port = static_cast<std::uint16_t>(p);
  }
  if (e.host.empty() || e.host.find('/') != std::string::npos) {
    throw Error(what + ": bad host in \"" + url + "\"");
  }
  return e;
}

namespace {

std::string oci_arch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine.starts_with("armv")) return "arm";
  if (machine == "i686" || machine == "i386") return "386";
  return machine;
}

std::string cgroup_mode() {
  if (std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers")) return "v2";
  if (std::filesystem::exists("/sys/fs/cgroup/unified")) return "hybrid";
  return "v1";
}

}  // namespace

protocol::RegisterRequest host_facts(const std::string& hostname_override) {
  protocol::RegisterRequest r;
  utsname u{};
  ::uname(&u);
  r.hostname = hostname_override;
  if (r.hostname.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    r.hostname = host;
  }
  r.arch = oci_arch(u.machine);
  r.os = "linux";
  r.kernel = u.release;
  r.cgroupMode = cgroup_mode();
  r.cpu = static_cast<std::uint64_t>(std::max(1U, std::thread::hardware_concurrency())) * 1024;
  struct sysinfo si {};
  if (::sysinfo(&si) == 0) {
    r.memoryMiB = static_cast<std::uint64_t>(si.totalram) * si.mem_unit / (1024 * 1024);
  }
  return r;
}

std::optional<Registration> load_registration(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  auto j = nlohmann::json::parse(read_file(file), nullptr, false);
  try {
    if (j.is_discarded()) throw protocol::ProtocolError("bad_json", "not JSON");
    auto r = protocol::object_reader(j, "registration");
    return Registration{r.str("instanceId"), r.str("cluster"), r.str("token"), r.str("endpoint")};
  } catch (const protocol::ProtocolError& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

void save_registration(const std::filesystem::path& file, const Registration& r) {
  nlohmann::json j = {{"instanceId", r.instance_id},
                      {"cluster", r.cluster},
                      {"token", r.token},
                      {"endpoint", r.endpoint}};
  std::filesystem::create_directories(file.parent_path());
  write_file_atomic(file, j.dump(2) + "\n", 0600);
}

Registration register_instance(const Endpoint& endpoint, const std::filesystem::path& ca_file,
                               const protocol::RegisterRequest& request) {
  tls::HttpsClient client(endpoint.host, endpoint.port, ca_file.string());
  tls::HttpsResult res;
  try {
    res = client.request("POST", "/v1/register", protocol::to_json(request));
  } catch (const std::exception& e) {
    throw Error(fmt::format("registration at {}: {}", endpoint.url(), e.what()));
  }
  if (res.status != 201 && res.status != 200) {
    std::string code = "error", message = res.raw;
    if (res.body.is_object()) {
      code = res.body.value("error", code);
      message = res.body.value("message", message);
    }
    throw Error(fmt::format("registration at {} refused ({} {}): {}", endpoint.url(), res.status,
                            code, message));
  }
  try {
    auto resp = protocol::parse_register_response(res.body);
    return {resp.instanceId, resp.cluster, resp.token, endpoint.url()};
  } catch (const std::exception& e) {
    throw Error(fmt::format("registration at {}: bad answer: {}", endpoint.url(), e.what()));
  }
}

}  // namespace skiff::agent
