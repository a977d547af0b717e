// Pulling an image from a registry into the content store.
//
// pull_image resolves the reference (tag or digest), picks the platform's manifest from
// an index, and downloads the config and layers in parallel (bounded), retrying
// transient failures with backoff and resuming interrupted blobs with Range requests.
// Every blob streams through BlobWriter, so it is verified while it arrives and is never
// held in memory. Blobs already in the store are not downloaded again; manifests are
// published only after everything they reference, so a visible manifest implies its
// whole image is present. Names and tags are not recorded: that is the caller's job.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "image/store/content_store.h"
#include "image/store/oci_types.h"

namespace skiff::image {

struct LayerProgress {
  std::string digest;
  std::uint64_t done = 0, total = 0;
  enum class Phase { Waiting, Downloading, Retrying, Done, Cached } phase = Phase::Waiting;
  std::string message;  // why a retry happens
};

struct PullOptions {
  std::string platform;             // "os/arch[/variant]"; empty = host
  std::filesystem::path auth_file;  // docker config.json; empty = default search
  std::vector<std::string>
      insecure_registries;        // host[:port] allowed over plain HTTP / unverified TLS
  std::filesystem::path ca_file;  // extra trusted CA (PEM)
  unsigned max_parallel = 3;
  unsigned retries = 4;
  std::chrono::milliseconds connect_timeout{10000}, idle_timeout{30000};
  std::function<void(const LayerProgress&)> progress;  // called from any thread, serialized by us
};

// Digest has no default value, so a fresh PullResult holds this placeholder until filled.
inline Descriptor placeholder_descriptor() {
  return Descriptor{{}, sha256_of(""), 0, {}, nullptr};
}

struct PullResult {
  std::string reference;                      // normalised, e.g. "127.0.0.1:5000/demo:latest"
  Descriptor top = placeholder_descriptor();  // what the tag/digest resolved to (index or manifest)
  Descriptor manifest = placeholder_descriptor();     // the platform's image manifest
  Manifest parsed{{}, placeholder_descriptor(), {}};  // its config + layers
  unsigned blobs_downloaded = 0, blobs_cached = 0;
  std::uint64_t bytes_downloaded = 0;
};

// Throws skiff::Error naming the registry, repository, digest and HTTP status involved.
PullResult pull_image(ContentStore& store, std::string_view reference, const PullOptions& opts);

}  // namespace skiff::image
