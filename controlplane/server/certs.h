// The control plane's own CA and server certificate (docs/protocol.md, "Transport").
//
//   DATA/certs/ca.pem  ca.key        self-signed CA, ECDSA P-256, 10 years (agents pin it)
//   DATA/certs/server.pem server.key  signed by the CA; SANs 127.0.0.1, localhost, hostname,
//                                     and every --san
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace skiff::cp {

struct CertPaths {
  std::filesystem::path ca_cert;
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
};

// Generates what is missing (keys 0600) and returns the paths. Existing files are kept,
// so agents keep trusting the same CA across restarts.
CertPaths ensure_certs(const std::filesystem::path& dir, const std::vector<std::string>& sans);

}  // namespace skiff::cp
