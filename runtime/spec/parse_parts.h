// The pieces parse_spec() is assembled from, one file each. `where` is the JSON path of the
// value passed in, for error messages.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/spec/spec.h"

namespace skiff::oci::detail {

// mount_options.cpp: one mounts[] entry, options converted to flags, propagation and data.
Mount parse_mount(const nlohmann::json& mount, const std::string& where);
// "rprivate" -> MS_PRIVATE | MS_REC; nullopt for a name that is not a propagation type.
std::optional<unsigned long> propagation_from_name(std::string_view name);

// linux_parse.cpp: the `linux` object.
LinuxConfig parse_linux(const nlohmann::json& linux_json, const std::string& where);

// seccomp_parse.cpp: `linux.seccomp`.
Seccomp parse_seccomp(const nlohmann::json& seccomp, const std::string& where);

}  // namespace skiff::oci::detail
