// OCI runtime-spec `linux.resources` -> Resources. Errors name the JSON field, e.g.
// "linux.resources.memory.limit: expected an integer, got string".
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "cgroups/resources.h"

namespace skiff::cgroups {

// `where` prefixes field names in errors ("linux.resources" for config.json; "resources"
// for `update --resources`). Device rules are the runtime's business and are skipped here.
Resources from_oci(const nlohmann::json& resources, const std::string& where = "linux.resources");

}  // namespace skiff::cgroups
