// The `process` object: what runs, as whom, with which capabilities and limits.
#include <sys/resource.h>

#include <array>
#include <cstddef>
#include <set>

#include "common/rlimit_names.h"
#include "runtime/spec/json_fields.h"
#include "runtime/spec/spec.h"

namespace skiff::oci {

namespace {

using detail::fail;
using detail::in_quotes;
using detail::index_path;
using detail::json;
using detail::member;

std::vector<int> parse_cap_set(const json& names, const std::string& where) {
  std::vector<int> caps;
  std::vector<std::string> list = detail::strings_at(names, where);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string& name = list[i];
    std::optional<int> value = capability_from_name(name);
    if (!value) fail(index_path(where, i), "unknown capability " + in_quotes(name));
    caps.push_back(*value);
  }
  return caps;
}

Capabilities parse_capabilities(const json& j, const std::string& where) {
  detail::expect_object(j, where);
  Capabilities caps;
  const std::pair<const char*, std::vector<int>*> sets[] = {
      {"bounding", &caps.bounding},       {"effective", &caps.effective},
      {"inheritable", &caps.inheritable}, {"permitted", &caps.permitted},
      {"ambient", &caps.ambient},
  };
  for (const auto& [key, out] : sets) {
    if (const json* v = member(j, key)) *out = parse_cap_set(*v, where + "." + key);
  }
  return caps;
}

std::vector<Rlimit> parse_rlimits(const json& j, const std::string& where) {
  detail::expect_array(j, where);
  std::vector<Rlimit> out;
  std::set<int> seen;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = index_path(where, i);
    detail::expect_object(j[i], at);
    std::string type = detail::string_at(detail::required(j[i], at, "type"), at + ".type");
    std::optional<int> resource = rlimit_from_name(type);
    if (!resource) fail(at + ".type", "unknown rlimit type " + in_quotes(type));
    if (!seen.insert(*resource).second) {
      fail(at + ".type", "duplicate rlimit " + in_quotes(type));
    }
    Rlimit r{.resource = *resource,
             .soft = detail::uint_at(detail::required(j[i], at, "soft"), at + ".soft"),
             .hard = detail::uint_at(detail::required(j[i], at, "hard"), at + ".hard")};
    if (r.soft > r.hard) {
      fail(at, "soft limit " + std::to_string(r.soft) + " is above hard limit " +
                   std::to_string(r.hard));
    }
    out.push_back(r);
  }
  return out;
}

User parse_user(const json& j, const std::string& where) {
  detail::expect_object(j, where);
  User user;
  if (const json* v = member(j, "uid")) user.uid = detail::uint32_at(*v, where + ".uid");
  if (const json* v = member(j, "gid")) user.gid = detail::uint32_at(*v, where + ".gid");
  if (const json* v = member(j, "umask")) {
    user.umask = static_cast<mode_t>(detail::uint_at(*v, where + ".umask", 0777));
  }
  if (const json* v = member(j, "additionalGids")) {
    detail::expect_array(*v, where + ".additionalGids");
    for (std::size_t i = 0; i < v->size(); ++i) {
      user.additional_gids.push_back(
          detail::uint32_at((*v)[i], index_path(where + ".additionalGids", i)));
    }
  }
  return user;
}

std::vector<std::string> parse_args(const json* v, const std::string& where) {
  if (v == nullptr || !v->is_array() || v->empty()) {
    fail(where, "must be a non-empty array of strings");
  }
  return detail::strings_at(*v, where);
}

std::vector<std::string> parse_env(const json& j, const std::string& where) {
  std::vector<std::string> env = detail::strings_at(j, where);
  for (std::size_t i = 0; i < env.size(); ++i) {
    if (env[i].find('=') == std::string::npos || env[i].front() == '=') {
      fail(index_path(where, i), "must be NAME=VALUE, got " + in_quotes(env[i]));
    }
  }
  return env;
}

}  // namespace

Process parse_process(const json& j, const std::string& where) {
  detail::expect_object(j, where);
  Process p;
  p.args = parse_args(member(j, "args"), where + ".args");
  if (const json* v = member(j, "env")) p.env = parse_env(*v, where + ".env");
  p.cwd = detail::absolute_path_at(detail::required(j, where, "cwd"), where + ".cwd");
  if (const json* v = member(j, "terminal")) p.terminal = detail::bool_at(*v, where + ".terminal");
  if (const json* v = member(j, "consoleSize")) {
    const std::string at = where + ".consoleSize";
    detail::expect_object(*v, at);
    p.console_size.height = detail::uint32_at(detail::required(*v, at, "height"), at + ".height");
    p.console_size.width = detail::uint32_at(detail::required(*v, at, "width"), at + ".width");
  }
  if (const json* v = member(j, "user")) p.user = parse_user(*v, where + ".user");
  if (const json* v = member(j, "capabilities")) {
    p.capabilities = parse_capabilities(*v, where + ".capabilities");
  }
  if (const json* v = member(j, "rlimits")) p.rlimits = parse_rlimits(*v, where + ".rlimits");
  if (const json* v = member(j, "noNewPrivileges")) {
    p.no_new_privileges = detail::bool_at(*v, where + ".noNewPrivileges");
  }
  if (const json* v = member(j, "oomScoreAdj")) {
    p.oom_score_adj = static_cast<int>(detail::int_at(*v, where + ".oomScoreAdj", -1000, 1000));
  }
  if (const json* v = member(j, "apparmorProfile")) {
    p.apparmor_profile = detail::string_at(*v, where + ".apparmorProfile");
  }
  if (const json* v = member(j, "selinuxLabel")) {
    p.selinux_label = detail::string_at(*v, where + ".selinuxLabel");
  }
  // Scheduling requests that would silently not happen are refused rather than dropped.
  for (const char* key : {"scheduler", "ioPriority", "execCPUAffinity"}) {
    if (member(j, key)) fail(where + "." + key, "not supported by skiff");
  }
  return p;
}

}  // namespace skiff::oci
