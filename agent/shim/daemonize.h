// Turns the process the agent spawned into a shim that outlives the agent.
#pragma once

namespace skiff::agent {

// Double fork: the original process waits for the middle one and _exit(0)s (the agent reaps
// it at once); the middle one calls setsid() and forks the shim, which is thus in its own
// session and process group, no session leader, and re-parented away from the agent.
// Returns in the shim only. Also: chdir /, stdio on /dev/null, every fd but `keep_fd`
// closed, SIGHUP/SIGPIPE/SIGTERM/SIGINT ignored (the agent's unit uses KillMode=process;
// the container is stopped through the runtime, never by killing its shim), and the shim
// made the child subreaper. Throws skiff::SysError before forking.
void daemonize(int keep_fd);

}  // namespace skiff::agent
