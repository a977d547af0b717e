// Host device nodes as bundle devices: linuxParameters.devices and privileged containers.
// These read the host (stat), so they run where the bundle is made, not at parse time.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "image/bundle/bundle.h"

namespace skiff::agent {

// The node at `host_path` (symlinks followed, as /dev/serial/by-id/... are links), to be
// made at `container_path` with the host node's type, numbers, mode and owner, allowed
// with `access`. A missing path or one that is not a character or block device throws
// skiff::Error starting with `field` and naming the path.
image::BundleDevice host_device(const std::string& host_path, const std::string& container_path,
                                const std::string& access, const std::string& field);

// Every character and block node under `dev` (Docker's privileged list): symlinks and the
// per-container directories (pts, shm, mqueue, fd) and console are left out. Paths in the
// result are rooted at /dev whatever `dev` is.
std::vector<image::BundleDevice> all_host_devices(const std::filesystem::path& dev = "/dev");

}  // namespace skiff::agent
