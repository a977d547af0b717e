#!/usr/bin/env bash
# Runs one test binary inside the pure cgroup-v2 VM (scripts/vm/run.sh) as a CTest test.
# A VM that cannot start is a visible skip (77) on a developer's machine and a failure in
# CI, where the v2 run is required.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

in_ci() { [[ -n "${CI:-}" && "${CI}" != 0 ]] || [[ "${SKIFF_REQUIRE_VM:-0}" == 1 ]]; }

if [[ $(id -u) != 0 ]]; then
    echo "vm test: needs root (to fetch the kernel and run qemu as the CI does)" >&2
    in_ci && exit 1 || exit 77
fi
"$here/../scripts/vm/run.sh" --timeout "${SKIFF_VM_TIMEOUT:-600}" \
    --env SKIFF_EXPECT_BACKEND=v2 --env SKIFF_REQUIRE_ROOT=1 -- "$@"
rc=$?
if [[ $rc == 125 ]]; then
    echo "vm test: the VM could not start (see above)" >&2
    in_ci && exit 1 || exit 77
fi
exit $rc
