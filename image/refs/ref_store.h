// The local name index: image name -> the descriptor it points at.
//
//   ROOT/refs.json   {"version": 1, "images": {NAME: {target, manifest, created}}}
//   ROOT/refs.lock   flock held for each read-modify-write of refs.json
//
// NAME is normalised (image/registry/reference.h), or a bare "sha256:<hex>" manifest digest for an
// imported image that came without a name. refs.json is replaced atomically, so readers
// take no lock. Callers that add a name for blobs they just stored hold the content
// store's shared lock until put() returns, so a concurrent prune cannot collect them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "image/store/oci_types.h"

namespace skiff::image {

struct ImageRecord {
  std::string name;
  Descriptor target;    // what the name points at: a manifest or an index
  Digest manifest;      // the platform manifest chosen from target (== target for a manifest)
  std::string created;  // RFC 3339, when the name was (last) set
};

class RefStore {
 public:
  explicit RefStore(std::filesystem::path root);

  std::filesystem::path file() const { return root_ / "refs.json"; }

  // Sorted by name. A damaged refs.json is an error naming the file and entry.
  std::vector<ImageRecord> list() const;
  std::optional<ImageRecord> get(const std::string& name) const;
  // Adds or replaces the record of that name.
  void put(const ImageRecord& record);
  // Returns false if there was no such name.
  bool remove(const std::string& name);

 private:
  std::filesystem::path root_;
};

std::string now_rfc3339();

}  // namespace skiff::image
