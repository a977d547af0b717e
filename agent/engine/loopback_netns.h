// disableNetworking: a network namespace with loopback up and nothing else, kept alive by a
// bind mount of its nsfs file at a path the runtime joins (linux.namespaces network path).
// A new namespace from the runtime alone would have loopback down, and Docker's "none"
// network has it up.
#pragma once

#include <filesystem>

namespace skiff::agent {

// Makes the namespace and binds it at `path` (the file is created; a namespace left there
// before is replaced). Throws skiff::Error naming the step and the path.
void create_loopback_netns(const std::filesystem::path& path);

// Unmounts and removes `path`; nothing there is fine. The namespace goes with its last
// process.
void remove_netns(const std::filesystem::path& path);

}  // namespace skiff::agent
