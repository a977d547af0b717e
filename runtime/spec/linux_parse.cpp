// The `linux` object: namespaces, id mappings, devices and their cgroup rules, sysctls,
// masked and read-only paths, rootfs propagation; seccomp and resources have their own
// parsers.
#include <array>
#include <cstddef>

#include "cgroups/oci_resources.h"
#include "runtime/spec/json_fields.h"
#include "runtime/spec/parse_parts.h"

namespace skiff::oci::detail {

namespace {

std::vector<Namespace> parse_namespaces(const json& j, const std::string& where) {
  expect_array(j, where);
  std::vector<Namespace> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = index_path(where, i);
    expect_object(j[i], at);
    std::string name = string_at(required(j[i], at, "type"), at + ".type");
    std::optional<NamespaceType> type = namespace_type_from_string(name);
    if (!type) fail(at + ".type", "unknown namespace type " + in_quotes(name));
    for (const Namespace& seen : out) {
      if (seen.type == *type) fail(at + ".type", "duplicate namespace " + in_quotes(name));
    }
    Namespace ns{.type = *type};
    // Whether the path really is a namespace of this type is checked when it is opened.
    if (const json* v = member(j[i], "path")) ns.path = absolute_path_at(*v, at + ".path");
    out.push_back(ns);
  }
  return out;
}

std::vector<IdMapping> parse_id_mappings(const json& j, const std::string& where) {
  expect_array(j, where);
  std::vector<IdMapping> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = index_path(where, i);
    expect_object(j[i], at);
    out.push_back({
        .container_id = uint32_at(required(j[i], at, "containerID"), at + ".containerID"),
        .host_id = uint32_at(required(j[i], at, "hostID"), at + ".hostID"),
        .size = uint32_at(required(j[i], at, "size"), at + ".size"),
    });
  }
  return out;
}

char type_char_at(const json& j, const std::string& where, std::string_view allowed) {
  std::string type = string_at(j, where);
  if (type.size() != 1 || allowed.find(type[0]) == std::string_view::npos) {
    std::string list;
    for (char c : allowed) list += (list.empty() ? "" : ", ") + std::string(1, c);
    fail(where, "must be one of " + list + ", got " + in_quotes(type));
  }
  return type[0];
}

std::vector<Device> parse_devices(const json& j, const std::string& where) {
  expect_array(j, where);
  std::vector<Device> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = index_path(where, i);
    expect_object(j[i], at);
    Device d;
    d.type = type_char_at(required(j[i], at, "type"), at + ".type", "cbup");
    d.path = absolute_path_at(required(j[i], at, "path"), at + ".path");
    if (d.type == 'p') {
      if (const json* v = member(j[i], "major")) d.major = int_at(*v, at + ".major", 0);
      if (const json* v = member(j[i], "minor")) d.minor = int_at(*v, at + ".minor", 0);
    } else {
      d.major = int_at(required(j[i], at, "major"), at + ".major", 0);
      d.minor = int_at(required(j[i], at, "minor"), at + ".minor", 0);
    }
    // Podman writes the type bits too (8630 = S_IFCHR | 0666); the runtime uses the
    // permission bits.
    if (const json* v = member(j[i], "fileMode")) {
      d.file_mode = static_cast<mode_t>(uint32_at(*v, at + ".fileMode"));
    }
    if (const json* v = member(j[i], "uid")) d.uid = uint32_at(*v, at + ".uid");
    if (const json* v = member(j[i], "gid")) d.gid = uint32_at(*v, at + ".gid");
    out.push_back(d);
  }
  return out;
}

std::optional<std::int64_t> device_number_at(const json* j, const std::string& where) {
  if (j == nullptr) return std::nullopt;
  std::int64_t n = int_at(*j, where, -1);
  if (n == -1) return std::nullopt;  // -1 is how Go writers say "any"
  return n;
}

std::vector<DeviceRule> parse_device_rules(const json& j, const std::string& where) {
  expect_array(j, where);
  std::vector<DeviceRule> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = index_path(where, i);
    expect_object(j[i], at);
    DeviceRule rule;
    rule.allow = bool_at(required(j[i], at, "allow"), at + ".allow");
    if (const json* v = member(j[i], "type")) rule.type = type_char_at(*v, at + ".type", "acb");
    rule.major = device_number_at(member(j[i], "major"), at + ".major");
    rule.minor = device_number_at(member(j[i], "minor"), at + ".minor");
    if (const json* v = member(j[i], "access")) {
      rule.access = string_at(*v, at + ".access");
      if (rule.access.empty() || rule.access.find_first_not_of("rwm") != std::string::npos) {
        fail(at + ".access", "must be a combination of r, w and m, got " + in_quotes(rule.access));
      }
    }
    out.push_back(rule);
  }
  return out;
}

void parse_resources(const json& j, const std::string& where, LinuxConfig& linux_config) {
  expect_object(j, where);
  // Kernels since 6.x have no kmem limit to set: warn and apply the rest, as crun does.
  const json* memory = member(j, "memory");
  const bool has_kmem = memory != nullptr && memory->is_object() && member(*memory, "kernel");
  json without_kmem;
  if (has_kmem) {
    without_kmem = j;
    without_kmem["memory"].erase("kernel");
    linux_config.warnings.push_back(where +
                                    ".memory.kernel: kernel memory limits are not supported "
                                    "(ignored)");
  }
  try {
    linux_config.resources = cgroups::from_oci(has_kmem ? without_kmem : j, where);
  } catch (const SpecError&) {
    throw;
  } catch (const Error& e) {
    // Same message, but as the type callers of parse_spec catch.
    throw SpecError(e.what());
  }
  if (const json* v = member(j, "devices")) {
    linux_config.device_rules = parse_device_rules(*v, where + ".devices");
  }
}

unsigned long parse_rootfs_propagation(const json& j, const std::string& where) {
  std::string name = string_at(j, where);
  if (name.empty()) return 0;
  std::optional<unsigned long> flags = propagation_from_name(name);
  if (!flags) fail(where, "unknown propagation " + in_quotes(name));
  return *flags;
}

void parse_personality(const json& j, const std::string& where) {
  expect_object(j, where);
  std::string domain = string_at(required(j, where, "domain"), where + ".domain");
  if (domain == "LINUX32") fail(where + ".domain", "\"LINUX32\" is not supported by skiff");
  if (domain != "LINUX") fail(where + ".domain", "unknown execution domain " + in_quotes(domain));
  if (const json* v = member(j, "flags"); v && !strings_at(*v, where + ".flags").empty()) {
    fail(where + ".flags", "not supported by skiff");
  }
}

bool is_empty_value(const json& j) {
  return (j.is_array() || j.is_object() || j.is_string()) && j.empty();
}

}  // namespace

LinuxConfig parse_linux(const json& j, const std::string& where) {
  expect_object(j, where);
  LinuxConfig c;
  if (const json* v = member(j, "namespaces")) {
    c.namespaces = parse_namespaces(*v, where + ".namespaces");
  }
  for (const auto& [key, out] :
       {std::pair{"uidMappings", &c.uid_mappings}, std::pair{"gidMappings", &c.gid_mappings}}) {
    if (const json* v = member(j, key)) {
      *out = parse_id_mappings(*v, key_path(where, key));
      if (!out->empty() && !c.has(NamespaceType::User)) {
        fail(key_path(where, key), "requires a user namespace in " + where + ".namespaces");
      }
    }
  }
  if (const json* v = member(j, "devices")) c.devices = parse_devices(*v, where + ".devices");
  if (const json* v = member(j, "cgroupsPath")) {
    c.cgroups_path = string_at(*v, where + ".cgroupsPath");
  }
  if (const json* v = member(j, "resources")) parse_resources(*v, where + ".resources", c);
  if (const json* v = member(j, "rootfsPropagation")) {
    c.rootfs_propagation = parse_rootfs_propagation(*v, where + ".rootfsPropagation");
  }
  if (const json* v = member(j, "seccomp")) c.seccomp = parse_seccomp(*v, where + ".seccomp");
  if (const json* v = member(j, "sysctl")) {
    c.sysctl = string_map_at(*v, where + ".sysctl");
    if (c.sysctl.contains("")) fail(where + ".sysctl", "keys must not be empty");
  }
  if (const json* v = member(j, "maskedPaths")) {
    c.masked_paths = absolute_paths_at(*v, where + ".maskedPaths");
  }
  if (const json* v = member(j, "readonlyPaths")) {
    c.readonly_paths = absolute_paths_at(*v, where + ".readonlyPaths");
  }
  if (const json* v = member(j, "mountLabel")) c.mount_label = string_at(*v, where + ".mountLabel");
  if (const json* v = member(j, "personality")) parse_personality(*v, where + ".personality");
  // Known to the spec, but nothing in skiff would act on them: refuse rather than ignore.
  for (const char* key : {"intelRdt", "timeOffsets", "memoryPolicy", "netDevices"}) {
    if (const json* v = member(j, key); v && !is_empty_value(*v)) {
      fail(key_path(where, key), "not supported by skiff");
    }
  }
  return c;
}

}  // namespace skiff::oci::detail
