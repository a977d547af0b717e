// A bearer-token server for distribution's `auth: token` mode: GET /token?service=&scope=
// with Basic credentials answers {"token": JWT} (or "access_token"), the JWT signed
// RS256 with a key whose self-signed certificate is the registry's rootcertbundle. The
// certificate travels in the JWT header's "x5c", which is how distribution 2.8 finds
// the signing key; the claims grant exactly the actions the scope asks for.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "test_server.h"

namespace skiff::testing {

class TokenServer {
 public:
  static constexpr const char* kService = "skiff-test-registry";
  static constexpr const char* kIssuer = "skiff-test-issuer";

  TokenServer(const std::filesystem::path& key_pem, const std::filesystem::path& cert_pem,
              std::string user, std::string password);
  ~TokenServer();

  std::string realm() const;
  unsigned tokens_issued() const { return issued_.load(); }
  // Answer with "access_token" instead of "token" (both are in the spec).
  void use_access_token_field(bool v) { access_token_field_ = v; }

 private:
  bool handle(const TestRequest& req, TestConnection& conn);
  std::string sign(const std::string& scope, const std::string& service);

  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string user_, password_;
  std::atomic<unsigned> issued_{0};
  std::atomic<bool> access_token_field_{false};
  std::unique_ptr<TestServer> server_;
};

}  // namespace skiff::testing
