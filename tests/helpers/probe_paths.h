// The "paths" section of `skiff-probe report` (shape in probe_report.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::probe {

// One entry per path, keyed by the path as given; every key present, null where moot.
nlohmann::ordered_json check_paths(const std::vector<std::string>& paths);

}  // namespace skiff::probe
