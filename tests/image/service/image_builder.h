// Builds small images straight into a store for tests: layer tars (made with TarBuilder)
// become blobs, plus a config whose rootfs.diff_ids match and an OCI manifest.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "image/service/images.h"

namespace skiff::image::test {

// Stores `layers` (bottom to top; plain or compressed tars), a config with `config`
// as its "config" object, a manifest, and records `name`. Returns the manifest.
Descriptor add_image(Images& images, const std::string& name,
                     const std::vector<std::filesystem::path>& layers,
                     const nlohmann::json& config = {{"Cmd", {"/bin/sh"}}});

// Writes a docker-archive (as `docker save` does) holding one image made of `layers`,
// named `tags`; returns the config's digest (the image ID).
Digest write_docker_archive(const std::filesystem::path& out,
                            const std::vector<std::filesystem::path>& layers,
                            const std::vector<std::string>& tags,
                            const nlohmann::json& config = {{"Cmd", {"/bin/sh"}}});

// Every entry below `root` as "path type mode [size content-hash | -> target]", sorted,
// so two trees compare as strings.
std::vector<std::string> tree_listing(const std::filesystem::path& root);

// Mount points at or below `dir` in /proc/self/mountinfo.
std::vector<std::string> mounts_under(const std::filesystem::path& dir);

}  // namespace skiff::image::test
