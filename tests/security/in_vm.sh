#!/usr/bin/env bash
# in_vm.sh PROBE BINARY [ARGS...]: runs the escape battery's test binary in the pure cgroup v2 VM
# with a 1 MiB virtio disk whose first bytes are a marker, so a real block device exists
# and the battery can tell whether a container read it. The disk is made here and removed
# afterwards. Like tests/run_in_vm.sh: a VM that cannot start is a skip (77) locally and a
# failure in CI.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
in_ci() { [[ -n "${CI:-}" && "${CI}" != 0 ]] || [[ "${SKIFF_REQUIRE_VM:-0}" == 1 ]]; }

if [[ $(id -u) != 0 ]]; then
    echo "vm test: needs root" >&2
    in_ci && exit 1 || exit 77
fi
# Both on the host's /tmp, which the VM sees: the disk image, and the container rootfs
# (make-rootfs.sh takes minutes under TCG, a second here).
disk=$(mktemp /tmp/skiff-escape-disk.XXXXXX) || exit 1
rootfs=$(mktemp -d /tmp/skiff-escape-rootfs.XXXXXX) || exit 1
trap 'rm -f "$disk"; rm -rf "$rootfs"' EXIT
probe=$1
shift
"$here/../fixtures/make-rootfs.sh" "$rootfs/rootfs" "$probe" || exit 1
marker="SKIFF-ESCAPE-MARKER-$$-$RANDOM"
truncate -s 1M "$disk"
printf '%s' "$marker" | dd of="$disk" conv=notrunc status=none
"$here/../../scripts/vm/run.sh" --timeout "${SKIFF_VM_TIMEOUT:-600}" --disk "$disk" \
    --env SKIFF_EXPECT_BACKEND=v2 --env SKIFF_REQUIRE_ROOT=1 \
    --env "SKIFF_ESCAPE_DISK_MARKER=$marker" --env "SKIFF_ESCAPE_ROOTFS=$rootfs/rootfs" -- "$@"
rc=$?
if [[ $rc == 125 ]]; then
    echo "vm test: the VM could not start (see above)" >&2
    in_ci && exit 1 || exit 77
fi
exit $rc
