// Shared by the spec tests: run the parser and look at its error, and temporary bundles.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/temp_dir.h"

namespace skiff::oci::test {

// The SpecError message parse_spec throws for `config`, or "parsed" when it accepts it;
// comparing whole strings shows the actual message when a test fails.
std::string spec_error(const nlohmann::json& config);

// A fixture from tests/runtime/spec/fixtures.
nlohmann::json load_fixture(const std::string& name);

using skiff::test::TempDir;

}  // namespace skiff::oci::test
