// Layer identities from the OCI image spec (config.md, "Layer ChainID"):
//   ChainID(L0) = DiffID(L0),  ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))
// A DiffID is the digest of a layer's uncompressed tar; the config's rootfs.diff_ids
// lists them bottom to top.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "image/store/digest.h"

namespace skiff::image {

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

// rootfs.diff_ids of an image config; errors name `where` and the field.
std::vector<Digest> diff_ids_of(const nlohmann::json& image_config, std::string_view where);

// sha256 of the decompressed stream (gzip, zstd or none) of a layer blob, with libarchive.
Digest uncompressed_digest(const std::filesystem::path& blob);

// Throws skiff::Error naming the blob if its uncompressed digest is not `diff_id`. A blob
// whose own digest is the DiffID (an uncompressed layer) is accepted without reading.
void verify_diff_id(const std::filesystem::path& blob, const Digest& blob_digest,
                    const Digest& diff_id);

}  // namespace skiff::image
