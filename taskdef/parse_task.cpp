// parse_task_definition(): JSON text -> TaskDefinition. Finds the task definition in the
// three shapes ECS users have (bare, describe output, register input), reads the task-level
// fields, hands each container to parse_container and the whole to validate_task.
#include <algorithm>

#include "common/error.h"
#include "common/json_parse.h"
#include "taskdef/parse_parts.h"

namespace skiff::taskdef {
namespace detail {
namespace {

// Far above ECS's own 64 KiB limit; bounds what a hostile file can make us allocate.
constexpr std::size_t kMaxDocumentBytes = 1 << 20;
// ECS allows at most 10 containers in one task definition.
constexpr std::size_t kMaxContainers = 10;

json parse_json(std::string_view text, std::string_view source) {
  if (text.size() > kMaxDocumentBytes) {
    throw Error(std::string(source) + ": task definition is " + std::to_string(text.size()) +
                " bytes, more than the limit of " + std::to_string(kMaxDocumentBytes));
  }
  return skiff::parse_json(text, source, kMaxTaskDefinitionDepth);
}

NetworkMode parse_network_mode(const json& j, const std::string& path) {
  const std::string mode = as_string(j, path);
  if (mode == "host") return NetworkMode::Host;
  if (mode == "none") return NetworkMode::None;
  if (mode == "bridge") {
    fail(path, "\"bridge\" is not supported yet (it comes with CNI networking); use \"host\"");
  }
  if (mode == "awsvpc") {
    fail(path,
         "\"awsvpc\" needs AWS elastic network interfaces and is not supported; use \"host\"");
  }
  fail(path, "must be \"host\" or \"none\", got \"" + mode + "\"");
}

NamespaceMode parse_namespace_mode(const json& j, const std::string& path, bool allow_none) {
  const std::string mode = as_string(j, path);
  if (mode == "host") return NamespaceMode::Host;
  if (mode == "task") return NamespaceMode::Task;
  if (allow_none && mode == "none") return NamespaceMode::None;
  fail(path, std::string("must be \"host\"") +
                 (allow_none ? ", \"task\" or \"none\"" : " or \"task\"") + ", got \"" + mode +
                 "\"");
}

std::map<std::string, std::string> parse_tags(const json& j, const std::string& path,
                                              Unsupported& unsupported) {
  std::map<std::string, std::string> tags;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kTag, unsupported);
    const std::string key = as_string(r.require("key"), r.path_of("key"));
    std::string value;
    if (const json* v = r.get("value")) value = as_string(*v, r.path_of("value"));
    r.finish();
    tags[key] = value;
  }
  return tags;
}

std::uint32_t task_cpu(const json& j, const std::string& path) {
  if (j.is_string()) return parse_task_cpu(j.get<std::string>(), path);
  return parse_task_cpu(std::to_string(as_int_in(j, path, 0, INT32_MAX)), path);
}

std::uint64_t task_memory(const json& j, const std::string& path) {
  if (j.is_string()) return parse_task_memory(j.get<std::string>(), path);
  return parse_task_memory(std::to_string(as_int_in(j, path, 0, INT64_MAX)), path);
}

std::vector<PlacementConstraint> parse_placement_constraints(const json& j, const std::string& path,
                                                             Unsupported& unsupported) {
  std::vector<PlacementConstraint> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kPlacementConstraint, unsupported);
    PlacementConstraint c;
    c.type = as_string(r.require("type"), r.path_of("type"));
    if (c.type != "memberOf") {
      fail(r.path_of("type"),
           "a task definition's constraints must be \"memberOf\" (as in ECS), got \"" + c.type +
               "\"");
    }
    c.expression = as_string(r.require("expression"), r.path_of("expression"));
    if (c.expression.empty()) fail(r.path_of("expression"), "must not be empty");
    r.finish();
    out.push_back(std::move(c));
  }
  return out;
}

RuntimePlatform parse_runtime_platform(const json& j, const std::string& path,
                                       Unsupported& unsupported) {
  ObjectReader r(j, path, EcsObject::kRuntimePlatform, unsupported);
  RuntimePlatform p;
  if (const json* v = r.get("cpuArchitecture")) {
    p.cpu_architecture = as_string(*v, r.path_of("cpuArchitecture"));
    if (p.cpu_architecture != "X86_64" && p.cpu_architecture != "ARM64") {
      fail(r.path_of("cpuArchitecture"),
           "must be \"X86_64\" or \"ARM64\", got \"" + p.cpu_architecture + "\"");
    }
  }
  if (const json* v = r.get("operatingSystemFamily")) {
    p.operating_system_family = as_string(*v, r.path_of("operatingSystemFamily"));
    if (p.operating_system_family != "LINUX") {
      fail(r.path_of("operatingSystemFamily"),
           "Skiff runs Linux containers only (\"LINUX\"), got \"" + p.operating_system_family +
               "\"");
    }
  }
  r.finish();
  return p;
}

TaskDefinition parse_task(const json& j, const ParseOptions& options, Unsupported& unsupported) {
  ObjectReader r(j, "", EcsObject::kTaskDefinition, unsupported);
  TaskDefinition task;
  // What ECS prints or needs for AWS only; none of it changes how Skiff runs the task.
  r.ignore({"taskDefinitionArn", "status", "requiresAttributes", "compatibilities",
            "requiresCompatibilities", "registeredAt", "registeredBy", "deregisteredAt",
            "executionRoleArn"});
  task.family = as_string(r.require("family"), "family");
  check_ecs_name(task.family, "family");
  if (const json* v = r.get("revision")) {
    task.revision = static_cast<int>(as_int_in(*v, "revision", 1, INT32_MAX));
  }
  if (const json* v = r.get("tags")) task.tags = parse_tags(*v, "tags", unsupported);
  if (const json* v = r.get("cpu")) task.cpu = task_cpu(*v, "cpu");
  if (const json* v = r.get("memory")) task.memory_mib = task_memory(*v, "memory");
  if (const json* v = r.get("networkMode")) {
    task.network_mode = parse_network_mode(*v, "networkMode");
    task.network_mode_set = true;
  }
  if (const json* v = r.get("pidMode")) task.pid_mode = parse_namespace_mode(*v, "pidMode", false);
  if (const json* v = r.get("ipcMode")) task.ipc_mode = parse_namespace_mode(*v, "ipcMode", true);
  if (const json* v = r.get("placementConstraints")) {
    task.placement_constraints =
        parse_placement_constraints(*v, "placementConstraints", unsupported);
  }
  if (const json* v = r.get("runtimePlatform")) {
    task.runtime_platform = parse_runtime_platform(*v, "runtimePlatform", unsupported);
  }
  if (const json* v = r.get("volumes")) {
    const json& a = as_array(*v, "volumes");
    for (std::size_t i = 0; i < a.size(); ++i) {
      task.volumes.push_back(parse_volume(a[i], at_index("volumes", i), unsupported));
    }
  }
  const json& defs = as_array(r.require("containerDefinitions"), "containerDefinitions");
  if (defs.empty()) fail("containerDefinitions", "must list at least one container");
  if (defs.size() > kMaxContainers) {
    fail("containerDefinitions", "at most " + std::to_string(kMaxContainers) +
                                     " containers (as in ECS), got " + std::to_string(defs.size()));
  }
  for (std::size_t i = 0; i < defs.size(); ++i) {
    task.containers.push_back(
        parse_container(defs[i], at_index("containerDefinitions", i), task, options, unsupported));
    if (task.containers.back().privileged) {
      // Said where the task's status is read, not only in the agent's log.
      task.warnings.push_back(at_index("containerDefinitions", i) +
                              ".privileged: the container runs privileged: every capability, no "
                              "seccomp filter, every host device, /sys writable");
    }
  }
  // What ECS would do and Skiff does not, said where the user reads the task's status.
  if (const json* v = r.get("taskRoleArn"); v != nullptr && !as_string(*v, "taskRoleArn").empty()) {
    task.warnings.push_back(
        "taskRoleArn: the role is not assumed; Skiff provides no AWS credentials to the "
        "containers");
  }
  if (!task.network_mode_set) {
    task.warnings.push_back(
        "networkMode: not given, which in ECS means \"bridge\"; Skiff runs this task on the "
        "host network until bridge networking lands (write \"host\" to say so)");
  }
  r.finish();
  return task;
}

}  // namespace

Volume parse_volume(const json& j, const std::string& path, Unsupported& unsupported) {
  ObjectReader r(j, path, EcsObject::kVolume, unsupported);
  Volume v;
  v.name = as_string(r.require("name"), r.path_of("name"));
  check_ecs_name(v.name, r.path_of("name"));
  for (const char* remote : {"efsVolumeConfiguration", "fsxWindowsFileServerVolumeConfiguration"}) {
    if (r.get(remote) != nullptr) fail(r.path_of(remote), "this volume type is not supported");
  }
  if (const json* at_launch = r.get("configuredAtLaunch")) {
    if (as_bool(*at_launch, r.path_of("configuredAtLaunch"))) {
      fail(r.path_of("configuredAtLaunch"), "volumes configured at launch are not supported");
    }
  }
  const json* host = r.get("host");
  const json* docker = r.get("dockerVolumeConfiguration");
  if (host != nullptr && docker != nullptr) {
    fail(path, "give either host or dockerVolumeConfiguration, not both");
  }
  if (host != nullptr) {
    ObjectReader h(*host, r.path_of("host"), EcsObject::kHostVolume, unsupported);
    if (const json* src = h.get("sourcePath")) {
      v.host_source_path = as_string(*src, h.path_of("sourcePath"));
      if (v.host_source_path.empty() || v.host_source_path.front() != '/') {
        fail(h.path_of("sourcePath"),
             "must be an absolute path, got \"" + v.host_source_path + "\"");
      }
    }
    h.finish();
  }
  if (docker != nullptr) {
    ObjectReader d(*docker, r.path_of("dockerVolumeConfiguration"),
                   EcsObject::kDockerVolumeConfiguration, unsupported);
    if (const json* scope = d.get("scope")) {
      const std::string s = as_string(*scope, d.path_of("scope"));
      if (s != "task") {
        fail(d.path_of("scope"),
             "only \"task\" scoped Docker volumes are supported (as scratch "
             "space), got \"" +
                 s + "\"");
      }
    }
    if (const json* driver = d.get("driver")) {
      const std::string s = as_string(*driver, d.path_of("driver"));
      if (s != "local") fail(d.path_of("driver"), "only the \"local\" driver is supported");
    }
    d.ignore({"autoprovision"});
    d.finish();  // driverOpts and labels with values are reported as unsupported
  }
  r.finish();
  return v;
}

}  // namespace detail

std::string_view oci_architecture(const RuntimePlatform& platform) {
  if (platform.cpu_architecture == "X86_64") return "amd64";
  if (platform.cpu_architecture == "ARM64") return "arm64";
  return "";
}

const ContainerDefinition* TaskDefinition::find_container(std::string_view name) const {
  for (const auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const Volume* TaskDefinition::find_volume(std::string_view name) const {
  for (const auto& v : volumes) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

TaskDefinition parse_task_definition(std::string_view text, std::string_view source,
                                     const ParseOptions& options) {
  if (options.default_stop_timeout < 0 || options.default_stop_timeout > 120) {
    throw Error("default stop timeout must be 0..120 s, got " +
                std::to_string(options.default_stop_timeout));
  }
  const detail::json doc = detail::parse_json(text, source);
  if (!doc.is_object()) {
    throw Error(std::string(source) + ": expected a JSON object, got " + doc.type_name());
  }
  detail::Unsupported unsupported;
  TaskDefinition task;
  try {
    auto wrapped = doc.find("taskDefinition");
    if (wrapped != doc.end()) {
      // describe-task-definition output: {"taskDefinition": {...}, "tags": [...]}.
      detail::ObjectReader outer(doc, "", detail::EcsObject::kDescribeOutput, unsupported);
      const detail::json& inner =
          detail::as_object(outer.require("taskDefinition"), "taskDefinition");
      std::map<std::string, std::string> tags;
      if (const detail::json* t = outer.get("tags"))
        tags = detail::parse_tags(*t, "tags", unsupported);
      outer.finish();
      // Paths inside are those of the task definition itself, as a user edits it.
      task = detail::parse_task(inner, options, unsupported);
      task.tags.insert(tags.begin(), tags.end());
    } else {
      task = detail::parse_task(doc, options, unsupported);
    }
    detail::validate_task(task);
  } catch (const Error& e) {
    throw Error(std::string(source) + ": " + e.what());
  }
  if (!unsupported.empty()) {
    // Bounded: the warning is logged and kept with the task, and its names are the
    // sender's keys, of any number and length.
    constexpr std::size_t kMaxNamed = 16;
    constexpr std::size_t kMaxNameBytes = 80;
    std::string w = "unsupported fields ignored: ";
    for (std::size_t i = 0; i < unsupported.size() && i < kMaxNamed; ++i) {
      const std::string& name = unsupported[i];
      std::size_t cut = std::min(name.size(), kMaxNameBytes);
      // Never split a UTF-8 sequence: the warning is dumped as JSON later.
      while (cut < name.size() && cut > 0 &&
             (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
        --cut;
      }
      w += (i == 0 ? "" : ", ") + name.substr(0, cut) + (cut < name.size() ? "..." : "");
    }
    if (unsupported.size() > kMaxNamed) {
      w += " and " + std::to_string(unsupported.size() - kMaxNamed) + " more";
    }
    task.warnings.push_back(std::move(w));
  }
  return task;
}

}  // namespace skiff::taskdef
