// Test support for the registry client: temporary directories, a real registry
// (Debian's docker-registry, distribution 2.8) on 127.0.0.1 in one of four modes, and
// the test images it serves.
//
// The images are built once per build tree by tests/fixtures/registry-images.sh into a
// registry storage directory (guarded by a lock file, rebuilt when the script changes);
// every Registry then serves that same storage read-only, whatever its mode.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace skiff::testing {
using skiff::test::TempDir;

void write_text(const std::filesystem::path& p, const std::string& content);

class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// A TCP port nobody listens on right now.
unsigned short free_port();
// Runs argv, throwing with its output if it fails.
void run_command(const std::vector<std::string>& argv);

// The storage directory with the test images (see registry-images.sh).
std::filesystem::path test_images_storage();

class TokenServer;

class Registry {
 public:
  enum class Mode { kHttp, kTls, kBasic, kToken };
  static constexpr const char* kUser = "skiff";
  static constexpr const char* kPassword = "s3cret-pass";

  explicit Registry(Mode mode);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // "127.0.0.1:PORT"
  const std::string& host() const { return host_; }
  // The self-signed CA that signed the TLS certificate (kTls only).
  const std::filesystem::path& ca_file() const { return ca_file_; }
  // A docker config.json holding kUser/kPassword for this registry.
  std::filesystem::path write_auth_file(const std::string& password = kPassword) const;
  TokenServer* token_server() const { return token_.get(); }

 private:
  void start(const std::filesystem::path& config);
  void make_tls();
  void make_token_server();

  Mode mode_;
  TempDir dir_;
  std::string host_;
  std::filesystem::path ca_file_;
  std::unique_ptr<TokenServer> token_;
  pid_t pid_ = -1;
};

// Every sha256 file under store_root/blobs hashes to its name, and ingest/ is empty.
::testing::AssertionResult store_is_consistent(const std::filesystem::path& store_root);

}  // namespace skiff::testing
