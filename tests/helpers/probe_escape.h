// `skiff-probe escape`: the escape battery's attacks, run from inside a container. Prints
// one JSON line per probe: {"probe": NAME, "escaped": bool, "detail": "what happened"}.
//
//   escape [--destructive] [--block MAJ:MIN] [--marker TEXT] [--host-pid PID]
//          [--host-marker TEXT] [--only NAME,...] [--skip NAME,...]
//
// "escaped" means the attack got past every gate that should stop it: a device node opened,
// a mount made, a kernel file opened for writing, a privileged syscall that reached the code
// behind its permission check. Without --destructive nothing is ever written: a file that
// opens for writing counts as escaped, and privileged calls use forms that change nothing
// (settimeofday(NULL, NULL), init_module of garbage). --destructive (only in the throw-away
// VM) also performs the writes: sysrq 'h', sysctl and sysfs values written back, the clock
// set to now, release_agent, the block device's first sector written back.
#pragma once

namespace skiff::probe {

// argv as main() got it: argv[1] is "escape", options follow. Returns the exit status (0
// whatever the probes found; 2 for a usage error).
int escape(int argc, char** argv);

}  // namespace skiff::probe
