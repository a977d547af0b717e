// parse_spec() and load_spec(): the top level of config.json (version, root, hostname,
// mounts, hooks, annotations); `process` and `linux` have their own files.
#include <cerrno>
#include <cstddef>
#include <limits>

#include "common/file_io.h"
#include "common/json_parse.h"
#include "runtime/spec/json_fields.h"
#include "runtime/spec/parse_parts.h"

namespace skiff::oci {

namespace {

using detail::fail;
using detail::in_quotes;
using detail::index_path;
using detail::json;
using detail::member;
using detail::required;

std::string parse_version(const json& config) {
  std::string version = detail::string_at(required(config, "", "ociVersion"), "ociVersion");
  // Minor releases are backward compatible; a new major version is not.
  if (version.rfind("1.", 0) != 0) {
    fail("ociVersion", "unsupported version " + in_quotes(version) + " (skiff implements 1.x)");
  }
  return version;
}

Root parse_root(const json& j) {
  detail::expect_object(j, "root");
  Root root;
  root.path = detail::string_at(required(j, "root", "path"), "root.path");
  if (root.path.empty()) fail("root.path", "must not be empty");
  if (const json* v = member(j, "readonly")) root.readonly = detail::bool_at(*v, "root.readonly");
  return root;
}

Hook parse_hook(const json& j, const std::string& where) {
  detail::expect_object(j, where);
  Hook hook;
  hook.path = detail::absolute_path_at(required(j, where, "path"), where + ".path");
  if (const json* v = member(j, "args")) hook.args = detail::strings_at(*v, where + ".args");
  if (const json* v = member(j, "env")) hook.env = detail::strings_at(*v, where + ".env");
  if (const json* v = member(j, "timeout")) {
    hook.timeout = static_cast<int>(
        detail::int_at(*v, where + ".timeout", 1, std::numeric_limits<int>::max()));
  }
  return hook;
}

Hooks parse_hooks(const json& j) {
  detail::expect_object(j, "hooks");
  Hooks hooks;
  const std::pair<const char*, std::vector<Hook>*> stages[] = {
      {"prestart", &hooks.prestart},
      {"createRuntime", &hooks.create_runtime},
      {"createContainer", &hooks.create_container},
      {"startContainer", &hooks.start_container},
      {"poststart", &hooks.poststart},
      {"poststop", &hooks.poststop},
  };
  for (const auto& [key, out] : stages) {
    const json* list = member(j, key);
    if (list == nullptr) continue;
    const std::string where = std::string("hooks.") + key;
    detail::expect_array(*list, where);
    for (std::size_t i = 0; i < list->size(); ++i) {
      out->push_back(parse_hook((*list)[i], index_path(where, i)));
    }
  }
  return hooks;
}

std::map<std::string, std::string> parse_annotations(const json& j) {
  auto annotations = detail::string_map_at(j, "annotations");
  if (annotations.contains("")) fail("annotations", "keys must not be empty");
  return annotations;
}

// The kernel keeps one hostname per UTS namespace: setting it in the host's would change
// the host's own.
void check_uts(const Spec& spec) {
  if (spec.linux_config.has(NamespaceType::Uts)) return;
  if (!spec.hostname.empty()) fail("hostname", "requires a uts namespace in linux.namespaces");
  if (!spec.domainname.empty()) {
    fail("domainname", "requires a uts namespace in linux.namespaces");
  }
}

}  // namespace

Spec parse_spec(const json& config) {
  detail::expect_object(config, "");
  Spec spec;
  spec.oci_version = parse_version(config);
  spec.root = parse_root(required(config, "", "root"));
  if (const json* v = member(config, "process")) spec.process = parse_process(*v, "process");
  if (const json* v = member(config, "hostname")) spec.hostname = detail::string_at(*v, "hostname");
  if (const json* v = member(config, "domainname")) {
    spec.domainname = detail::string_at(*v, "domainname");
  }
  if (const json* v = member(config, "mounts")) {
    detail::expect_array(*v, "mounts");
    for (std::size_t i = 0; i < v->size(); ++i) {
      spec.mounts.push_back(detail::parse_mount((*v)[i], index_path("mounts", i)));
    }
  }
  if (const json* v = member(config, "hooks")) spec.hooks = parse_hooks(*v);
  if (const json* v = member(config, "annotations")) spec.annotations = parse_annotations(*v);
  if (const json* v = member(config, "linux")) spec.linux_config = detail::parse_linux(*v, "linux");
  check_uts(spec);
  spec.raw = config;
  return spec;
}

Spec load_spec(const std::filesystem::path& bundle) {
  std::string text = read_file(bundle / "config.json");  // SysError naming the path
  if (json_depth_violation(text, kMaxJsonDepth) != std::string::npos) {
    throw SpecError("config.json: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  json config;
  try {
    config = json::parse(text);
  } catch (const json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, ...": keep the
    // part after the library's id.
    std::string message = e.what();
    if (auto pos = message.find("] ");
        message.rfind("[json.exception", 0) == 0 && pos != std::string::npos) {
      message.erase(0, pos + 2);
    }
    throw SpecError("config.json: malformed JSON at byte " + std::to_string(e.byte) + ": " +
                    message);
  } catch (const json::out_of_range& e) {
    // A number too large for a double ("1E400"): out_of_range.406, not a parse_error.
    throw SpecError(std::string("config.json: malformed JSON: ") + e.what());
  }
  try {
    return parse_spec(config);
  } catch (const SpecError& e) {
    throw SpecError(std::string("config.json: ") + e.what());
  }
}

}  // namespace skiff::oci
