// Shared by the spec tests: run the parser and look at its error, and temporary bundles.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::oci::test {

// The SpecError message parse_spec throws for `config`, or "parsed" when it accepts it;
// comparing whole strings shows the actual message when a test fails.
std::string spec_error(const nlohmann::json& config);

// A fixture from tests/runtime/spec/fixtures.
nlohmann::json load_fixture(const std::string& name);

// A fresh directory under TMPDIR, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to path()/name.
  void write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace skiff::oci::test
