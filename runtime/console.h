// process.terminal: the init opens a pty inside the container, and the caller (conmon,
// podman, skiffctl) receives the master over the unix socket named by --console-socket.
#pragma once

#include <string>

#include "common/unique_fd.h"
#include "runtime/spec/spec.h"

namespace skiff::runtime {

// Child side, after pivot_root: opens /dev/ptmx, sizes the pty, makes the slave the
// controlling terminal and stdio of this process, and returns the master.
UniqueFd setup_console(const oci::ConsoleSize& size);

// Parent side: connects to `socket_path` and sends `master` with SCM_RIGHTS (payload: the
// pty's name, as runc sends it).
void send_console_master(const std::string& socket_path, int master);

}  // namespace skiff::runtime
