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

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/skiff-spec-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& text) const {
  std::ofstream out(path_ / name, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + (path_ / name).string());
}

}  // namespace skiff::oci::test
