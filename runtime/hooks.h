// OCI lifecycle hooks: each runs with the container's state JSON on stdin, the hook's own
// args and env, and an optional timeout after which it is killed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/spec/spec.h"

namespace skiff::runtime {

// Runs `hooks` in order; the first failure throws skiff::Error naming the stage, the hook's
// path and how it failed ("createRuntime hook /usr/bin/x: exited 3").
void run_hooks(const std::vector<oci::Hook>& hooks, const std::string& stage,
               const nlohmann::json& state);
// Runs every hook of `hooks`, failing or not (poststart and poststop: the spec makes a
// failure a warning and the lifecycle carries on). Returns one message per failed hook.
std::vector<std::string> run_all_hooks(const std::vector<oci::Hook>& hooks,
                                       const std::string& stage, const nlohmann::json& state);
// Hooks as stored in the state file (the config's "hooks" object), by stage name.
std::vector<oci::Hook> hooks_from_json(const nlohmann::json& hooks, const std::string& stage);

}  // namespace skiff::runtime
