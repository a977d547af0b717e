// Registry credentials from docker-style auth files (podman's auth.json and Docker's
// config.json share the "auths" format):
//
//   {"auths": {"127.0.0.1:5000": {"auth": "<base64 user:pass>"},
//              "https://index.docker.io/v1/": {"username": "u", "password": "p"}}}
//
// Without an explicit file the first of these that has an entry for the registry wins:
// $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.docker/config.json.
// Credential helpers (credsStore/credHelpers) are not supported.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::image {

struct Credentials {
  std::string username;
  std::string password;  // never logged or put into an error message
};

// The files searched when no explicit auth file is given, in order (existing or not).
std::vector<std::filesystem::path> default_auth_files();

// Looks `registry` (host[:port], Docker Hub under any alias) up in one auth file. Throws
// skiff::Error naming the file if it exists but is malformed; nullopt if it is missing
// or has no entry.
std::optional<Credentials> credentials_from_file(const std::filesystem::path& file,
                                                 std::string_view registry);

// `explicit_file` non-empty: only that file, which must exist. Otherwise the default
// search order.
std::optional<Credentials> find_credentials(const std::filesystem::path& explicit_file,
                                            std::string_view registry);

}  // namespace skiff::image
