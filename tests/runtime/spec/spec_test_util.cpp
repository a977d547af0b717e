#include "spec_test_util.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "runtime/spec/spec.h"

namespace skiff::oci::test {

std::string spec_error(const nlohmann::json& config) {
  try {
    parse_spec(config);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "parsed";
}

nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(SKIFF_SPEC_FIXTURES) / name);
  if (!in) throw std::runtime_error("cannot open fixture " + name);
  return nlohmann::json::parse(in);
}

}  // namespace skiff::oci::test
