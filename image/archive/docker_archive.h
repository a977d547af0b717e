// Importing image archives (for air-gapped sites) with libarchive:
//  - docker-archive, as `docker save` / `skopeo copy ... docker-archive:` write it:
//    manifest.json [{Config, RepoTags, Layers}], a config JSON, layer tars (plain or
//    gzip'd); the legacy `repositories` file and per-layer json/VERSION are ignored;
//  - an OCI image layout packed in a tar (`oci-archive`).
//
// Untrusted input: manifest.json paths that leave the archive or name no entry, sizes,
// digests and DiffIDs are all checked, and every blob is staged and verified before any
// is published, so a refused or failed import (including ENOSPC) leaves the store as it
// was. Errors name the archive file and the manifest.json entry.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "image/store/content_store.h"
#include "image/store/oci_layout.h"
#include "image/store/oci_types.h"

namespace skiff::image {

enum class ArchiveFormat { kDockerArchive, kOciArchive };

// Looks at the entry names: manifest.json wins (docker 25 writes both), then oci-layout.
ArchiveFormat detect_archive_format(const std::filesystem::path& tar);

struct ArchiveImage {
  std::vector<std::string> repo_tags;  // as written in manifest.json, not normalised
  Descriptor manifest;                 // the OCI manifest written for it
};

// Stores the blobs of every image in the archive plus an OCI manifest per image. The
// caller holds the store's shared lock until it has recorded names for them.
std::vector<ArchiveImage> import_docker_archive(ContentStore& store,
                                                const std::filesystem::path& tar);

// Extracts the tar with the safe layer unpacker into a scratch directory below
// `scratch_parent` (removed afterwards), then import_oci_layout.
std::vector<LayoutRef> import_oci_archive(ContentStore& store, const std::filesystem::path& tar,
                                          const std::filesystem::path& scratch_parent);

}  // namespace skiff::image
