// Resolving a Docker-style user string against the image's own /etc/passwd and /etc/group.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace skiff::image {

struct ResolvedUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;  // groups listing the user as a member
};

// `user` is "", "name", "uid", "name:group", "uid:gid" (or mixes). Names must exist in
// rootfs/etc/passwd or /etc/group; a numeric uid need not. The files are opened beneath
// `rootfs` without following symlinks (an image must not point us at the host's files).
// `field` names the user in errors: `process.user "bob": no such user in /etc/passwd`.
ResolvedUser resolve_user(const std::filesystem::path& rootfs, const std::string& user,
                          const std::string& field);

}  // namespace skiff::image
