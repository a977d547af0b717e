// The shim's life after daemonize(): create the container through the runtime, report on
// the ready fd, pump the container's stdout/stderr into the log, reap every child (it is
// the subreaper), and when the container init exits drain the pipes (bounded), write
// exit.json and return.
//
//   sync 1: runtime create runs with stdout/stderr on our pipes; its output is captured
//           (not logged) so a failure can be reported with the runtime's own words
//   sync 2: create exited 0 -> pid file read, state.json written, "ok" on the ready fd;
//           the agent now runs `runtime start`
//   sync 3: init reaped -> pipes drained until EOF or drain_timeout -> exit.json
#pragma once

#include "agent/shim/shim_options.h"

namespace skiff::agent {

// Returns the shim's exit status: 0 after exit.json was written, 1 if create failed (the
// error went to the ready fd and the state dir was removed). Never throws.
int run_monitor(const ShimOptions& options);

}  // namespace skiff::agent
