#include "skiffctl/cp_common.h"

#include <algorithm>
#include <iostream>

namespace skiff::ctl {

using nlohmann::json;

std::function<void()> cp_action(const GlobalOptions& g, std::function<void(const CpClient&)> fn) {
  return [&g, fn = std::move(fn)] {
    try {
      fn(CpClient::from(g));
    } catch (const CpApiError& e) {
      if (g.json) print_json(e.body());
      throw;
    }
  };
}

std::string field(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string cell(const json& j, const char* key) {
  std::string s = field(j, key);
  return s.empty() ? "-" : s;
}

void print_json(const json& j) {
  std::cout << j.dump(2) << '\n';
}

void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& kv) {
  std::size_t width = 0;
  for (const auto& [k, v] : kv) width = std::max(width, k.size());
  for (const auto& [k, v] : kv) {
    out << k << std::string(width - k.size() + 2, ' ') << (v.empty() ? "-" : v) << '\n';
  }
}

std::string clock_time(const std::string& iso) {
  const auto t = iso.find('T');
  if (t == std::string::npos || iso.empty() || iso.back() != 'Z') return iso;
  return iso.substr(t + 1, iso.size() - t - 2);
}

void add_cluster_option(CLI::App* c, std::string& cluster) {
  c->add_option("--cluster", cluster, "Cluster name")->required();
}

}  // namespace skiff::ctl
