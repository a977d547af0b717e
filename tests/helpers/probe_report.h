// `skiff-probe report`: what a process sees from the inside (ids, namespaces,
// capabilities, limits, mounts, cgroups, chosen paths), as one JSON object on stdout, so
// tests can compare containers made by skiff, crun, runc and podman field by field.
//
// Every field that cannot be read (no /proc, a masked file, an old kernel) is null rather
// than an error: a probe that crashes tells a test nothing. Notable shapes:
//   umask "0022"; no_new_privs bool; seccomp {"mode": 0|1|2, "filters": n|null};
//   rlimits {"RLIMIT_NOFILE": {"soft": n|"unlimited", "hard": ...}, ...};
//   mounts [{"mount_point","root","fs_type","source","options","super_options",
//            "propagation": "private" | optional fields joined by spaces, e.g. "shared:5"}];
//   paths {P: {"exists","type","readable","writable","content_empty","mode","rdev",...}}.
#pragma once

namespace skiff::probe {

// argv as main() got it: argv[1] is "report", options follow. Returns the exit status.
int report(int argc, char** argv);

}  // namespace skiff::probe
