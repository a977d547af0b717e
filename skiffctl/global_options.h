// Options every skiffctl command shares. Image commands work on the local image store
// directly; the agent commands (run, ps, inspect, logs, exec, stop, stats, events) talk to
// the agent's Unix socket and add their own fields (e.g. the socket path) from their own
// files; the `cp` commands drive the control plane's admin API with the fields below.
#pragma once

#include <string>

#include "image/store/content_store.h"

namespace skiff::ctl {

struct GlobalOptions {
  bool json = false;                                     // --json: machine-readable output
  std::string root = image::ContentStore::kDefaultRoot;  // --root: image store root
  // Control plane (skiffctl cp ...). The admin token itself comes only from the
  // environment (SKIFF_ADMIN_TOKEN) or a file: a secret on the command line is visible in
  // `ps` and shell history.
  std::string endpoint;          // --endpoint https://HOST:PORT (SKIFF_ENDPOINT)
  std::string ca_file;           // --ca DATA/certs/ca.pem (SKIFF_CA_FILE), pinned
  std::string admin_token_file;  // --admin-token-file DATA/admin.token (SKIFF_ADMIN_TOKEN_FILE)
};

}  // namespace skiff::ctl
