#!/usr/bin/env bash
# The README's test command: installs packages, builds, and runs every test.
#   1. ASan+UBSan build: every unit and root test on this host.
#   2. Release build of what ships: the VM tests (pure cgroup v2) and the README demo.
#   3. Fuzz smoke: every libFuzzer harness replays its corpus and fuzzes a few seconds.
# The fuzz build (clang) runs in the background at the lowest priority from the start: it
# fills the CPU the test runs leave idle while they wait on containers and the VM.
# Root and VM tests skip visibly when not root; with CI set they fail instead.
# Extra arguments go to both ctest runs, e.g. scripts/test.sh -L cgroups
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) == 0 ]]; then scripts/setup.sh; fi

mkdir -p build
fuzz_log=build/fuzz-build.log
echo "== Fuzz build in the background (log: $fuzz_log)"
# SCHED_IDLE in this session: with autogroup scheduling a new session (setsid) would get
# an equal share of the CPU whatever its nice value, and slow the main build down by half.
# Job control gives it its own process group, so that a failure below stops it too.
set -m
chrt --idle 0 nice -n 19 scripts/fuzz.sh --build >"$fuzz_log" 2>&1 &
fuzz_build=$!
set +m
trap 'kill -- "-$fuzz_build" 2>/dev/null || true' EXIT

# The asan preset compiles with -g1 (line tables): sanitizer reports keep file:line, and
# the build is much cheaper than with full debug info.
scripts/build.sh asan
echo "== ASan+UBSan: unit and root tests"
ctest --preset asan -j2 -LE 'vm|release' "$@"

# Release builds only what ships and what the VM tests and the demo run (target
# skiff_release_pass): every other test already ran, under the sanitizers.
echo "== Release build (skiff_release_pass)"
cmake --preset release >/dev/null
cmake --build --preset release --target skiff_release_pass
echo "== Release: the cgroup-v2 VM tests and the README demo"
ctest --preset release -j2 -L 'vm|release' "$@"

echo "== Fuzz smoke: waiting for the fuzz build"
if ! wait "$fuzz_build"; then
  tail -n 40 "$fuzz_log" >&2
  echo "test.sh: the fuzz build failed (log: $fuzz_log)" >&2
  exit 1
fi
trap - EXIT
echo "== Fuzz smoke: every harness replays its corpus, then fuzzes ${SKIFF_FUZZ_SMOKE_SECS:-5} s"
scripts/fuzz.sh --smoke "${SKIFF_FUZZ_SMOKE_SECS:-5}"
