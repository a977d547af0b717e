#!/usr/bin/env bash
# Runs one test binary inside the pure cgroup-v2 VM (scripts/vm/run.sh) as a CTest test.
#   tests/run_in_vm.sh BINARY [ARGS...]            job shell in a delegated /ci subtree
#   tests/run_in_vm.sh --systemd-delegate BINARY   under the host's systemd, in a transient
#                                                  Delegate=yes service (as skiff-agent runs)
# A VM that cannot start is a visible skip (77) on a developer's machine and a failure in
# CI, where the v2 run is required.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

in_ci() { [[ -n "${CI:-}" && "${CI}" != 0 ]] || [[ "${SKIFF_REQUIRE_VM:-0}" == 1 ]]; }

if [[ $(id -u) != 0 ]]; then
    echo "vm test: needs root (to fetch the kernel and run qemu as the CI does)" >&2
    in_ci && exit 1 || exit 77
fi
vm=("$here/../scripts/vm/run.sh" --timeout "${SKIFF_VM_TIMEOUT:-600}")
if [[ ${1:-} == --systemd-delegate ]]; then
    shift
    "${vm[@]}" --systemd -- systemd-run --wait --pipe --quiet -p Delegate=yes \
        -E SKIFF_EXPECT_BACKEND=v2 -E SKIFF_REQUIRE_ROOT=1 -- "$@"
else
    extra=()
    [[ -n ${SKIFF_VM_EXTRA_ENV:-} ]] && extra=(--env "$SKIFF_VM_EXTRA_ENV")
    "${vm[@]}" --env SKIFF_EXPECT_BACKEND=v2 --env SKIFF_REQUIRE_ROOT=1 ${extra[@]+"${extra[@]}"} -- "$@"
fi
rc=$?
if [[ $rc == 125 ]]; then
    echo "vm test: the VM could not start (see above)" >&2
    in_ci && exit 1 || exit 77
fi
exit $rc
