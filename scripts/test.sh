#!/usr/bin/env bash
# The README's test command: installs packages, builds, and runs every test.
#   1. ASan+UBSan build: unit and root tests on this host.
#   2. Release build: unit, root and VM tests (the VM is pure cgroup v2).
#   3. Fuzz smoke: every libFuzzer harness replays its corpus and fuzzes a few seconds.
# Root and VM tests skip visibly when not root; with CI set they fail instead.
# Extra arguments go to both ctest runs, e.g. scripts/test.sh -L cgroups
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) == 0 ]]; then scripts/setup.sh; fi

scripts/build.sh asan
echo "== ASan+UBSan: unit and root tests"
ctest --preset asan -j2 -LE vm "$@"

scripts/build.sh release
echo "== Release: all tests, including the cgroup-v2 VM"
ctest --preset release -j2 "$@"

echo "== Fuzz smoke: every harness replays its corpus, then fuzzes ${SKIFF_FUZZ_SMOKE_SECS:-5} s"
scripts/fuzz.sh --smoke "${SKIFF_FUZZ_SMOKE_SECS:-5}"
