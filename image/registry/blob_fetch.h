// Downloads one blob into the content store: under its DigestLock, streaming through a
// BlobWriter, retrying transient failures (connection errors, timeouts, truncated
// bodies, 5xx, 429) with exponential backoff and resuming with "Range: bytes=N-" when
// the registry answers 206. A registry that ignores Range (200) restarts the blob.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "image/registry/pull.h"
#include "image/registry/registry_client.h"
#include "image/store/content_store.h"

namespace skiff::image {

struct BlobFetch {
  RegistryClient& client;
  ContentStore& store;
  unsigned retries = 4;
  std::function<void(const LayerProgress&)> report;  // already serialized
  const std::atomic<bool>* cancel = nullptr;         // set when another blob failed
};

struct BlobFetchResult {
  bool cached = false;
  std::uint64_t bytes = 0;  // received from the network, retries included
};

BlobFetchResult fetch_blob(const BlobFetch& f, const Descriptor& blob);

// Exponential backoff with jitter before retry number `attempt` (0-based): 250 ms to 8 s.
std::chrono::milliseconds retry_delay(unsigned attempt);

}  // namespace skiff::image
