// A client for one repository of one registry (OCI distribution spec v2): the scheme
// choice (HTTPS, or plain HTTP only for registries listed as insecure), authentication
// (anonymous, basic, bearer tokens fetched from the challenge's realm and cached per
// scope), redirects, and error messages that name the registry, repository and status.
//
// Thread-safe: blob downloads run on several threads, each with its own connection.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/registry/credentials.h"
#include "image/registry/http_session.h"
#include "image/store/digest.h"

namespace skiff::image {

struct ClientOptions {
  std::vector<std::string> insecure_registries;  // host[:port]
  std::filesystem::path ca_file;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
};

// A registry answered with an HTTP status we cannot use. `transient` for 5xx and 429.
class RegistryError : public Error {
 public:
  RegistryError(const std::string& what, unsigned status, bool transient)
      : Error(what), status_(status), transient_(transient) {}
  unsigned status() const noexcept { return status_; }
  bool transient() const noexcept { return transient_; }

 private:
  unsigned status_;
  bool transient_;
};

struct FetchedManifest {
  std::string body;
  std::string media_type;  // Content-Type without parameters
  Digest digest;           // sha256 of body
};

// A response whose body is ready to be read from `session`.
struct OpenResponse {
  std::unique_ptr<HttpSession> session;
  HttpResponse response;
  Url url;
};

class RegistryClient {
 public:
  // `registry` is the host[:port] to connect to, `display` the name users wrote.
  RegistryClient(std::string registry, std::string display, std::string repository,
                 ClientOptions options, std::optional<Credentials> credentials);
  ~RegistryClient();

  // GET /v2/<repo>/manifests/<reference> with Accept for OCI and Docker schema2 manifests
  // and indexes; refuses bodies above kMaxManifestSize (by Content-Length and by count),
  // schema1, and a digest that differs from a digest reference or Docker-Content-Digest.
  FetchedManifest fetch_manifest(std::string_view reference);

  // GET /v2/<repo>/blobs/<digest>, optionally from `offset` (Range). Returns the open
  // response with status 200 or 206; other statuses throw RegistryError.
  OpenResponse open_blob(const Digest& digest, std::uint64_t offset);

  // "registry/repository" for messages.
  std::string name() const { return display_ + "/" + repository_; }
  bool https() const;

 private:
  OpenResponse request(const std::string& path, const HeaderList& extra,
                       std::unique_ptr<HttpSession> reuse);
  void choose_scheme();
  bool authenticate(const HttpResponse& challenge_response, const std::string& sent);
  std::string auth_header();
  HttpSettings settings_for(const std::string& authority) const;
  [[noreturn]] void fail(const std::string& what, OpenResponse& r);

  std::string registry_;
  std::string display_;
  std::string repository_;
  ClientOptions options_;
  std::optional<Credentials> credentials_;

  mutable std::mutex mu_;
  std::optional<bool> https_;                  // decided on first use
  std::string auth_;                           // current Authorization value, or empty
  std::map<std::string, std::string> tokens_;  // scope -> bearer token
  std::unique_ptr<HttpSession> manifest_session_;
};

}  // namespace skiff::image
