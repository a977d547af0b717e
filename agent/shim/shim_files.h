// What a shim leaves in its --state-dir, and the one-line ready message; shared by the
// skiff-shim binary and the agent's client (shim_client.h), so both read one definition.
//
//   <state-dir>/
//     state.json      written once the container exists: shim and container pid + starttime
//     container.pid   the runtime's --pid-file
//     exit.json       written when the container init has exited (then the shim exits)
//
// Ready fd: exactly one line, then close:
//   "ok <container-pid> <shim-pid>\n"       the container is created (blocked until start)
//   "error <shim-pid> <message>\n"          create failed; the shim exits without state
#pragma once

namespace skiff::agent::shim_files {

inline constexpr const char* kState = "state.json";
inline constexpr const char* kExit = "exit.json";
inline constexpr const char* kPidFile = "container.pid";

}  // namespace skiff::agent::shim_files
