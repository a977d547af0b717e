#!/usr/bin/env bash
# bench/runtime/run.sh: skiff-runtime vs crun vs runc, `run` of a busybox bundle whose
# process is /bin/true, with and without a network namespace, on this host and on pure
# cgroup v2 in the VM. Writes bench/results/runtime.md. Needs root; builds Release first.
#
# Fairness: crun 1.8.1 refuses this host's hybrid cgroups. Rather than wrap every crun run
# in `unshare -m` + `sh` (a wrapper that costs about as much as a whole skiff run), the
# bench driver itself runs once inside a private mount namespace with the cgroup2 mount
# hidden, so every peer sees the same (v1-only) host and none pays a wrapper. In the VM
# (pure v2) no workaround is needed at all, and the device policy is a BPF program there.
#   RUNS=N (default 30)   VM_RUNS=N (default 20)   SKIP_VM=1 (host only)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-30}
vm_runs=${VM_RUNS:-20}
bin=$PWD/build/release

# make_bundles DIR: DIR/netns and DIR/nonet, /bin/true with and without a network namespace.
make_bundles() {
  tests/fixtures/make-bundle.sh "$1/netns" "$bin/tests/helpers/skiff-probe" /bin/true >/dev/null
  cp -a "$1/netns" "$1/nonet"
  jq '.linux.namespaces |= map(select(.type != "network"))' "$1/netns/config.json" >"$1/c.json"
  mv "$1/c.json" "$1/nonet/config.json"
}

# bench_all DIR RUNS OUT: one table per bundle, every peer invoked directly.
bench_all() {
  local dir=$1 n=$2 out=$3 mode
  for mode in netns nonet; do
    "$bin/bench/runtime-bench" --runs "$n" --out "$out" \
      --title "/bin/true, $([[ $mode == netns ]] && echo "with" || echo "without") a network namespace" \
      --peer "skiff-runtime=$bin/runtime/skiff-runtime --root $dir/state-$mode/skiff run --bundle $dir/$mode {id}" \
      --peer "crun=crun --root $dir/state-$mode/crun run -b $dir/$mode {id}" \
      --peer "runc=runc --root $dir/state-$mode/runc run -b $dir/$mode {id}"
  done
}

case ${1:-} in
  --inside)  # the driver's half on this host, inside the private mount namespace
    bench_all "$2" "$3" "$4"
    exit 0 ;;
  --vm-job)  # the whole VM half: the host's /run is not visible there
    d=$(mktemp -d /run/bench.XXXXXX)
    make_bundles "$d"
    # One cgroupsPath for all three, inside the VM's delegated /ci (each run removes it).
    for m in netns nonet; do
      jq --arg p "/ci/bench-$m" '.linux.cgroupsPath = $p' "$d/$m/config.json" >"$d/c.json"
      mv "$d/c.json" "$d/$m/config.json"
    done
    bench_all "$d" "$2" "$d/out.md" >&2
    echo "=== table"
    cat "$d/out.md"
    exit 0 ;;
esac

# Only what the bench runs (a full Release build is not needed).
cmake --preset release >/dev/null
cmake --build --preset release --target skiff-runtime runtime-bench skiff-probe skiff-cgroup >/dev/null
work=$(mktemp -d /run/skiff-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

out=bench/results/runtime.md
mode=$(build/release/cgroups/tool/skiff-cgroup info | awk '/^mode/{print $2}')
{
  echo "# skiff-runtime vs crun vs runc"
  echo
  echo "\`bench/runtime/run.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r)."
  echo "Interleaved runs per runtime; medians. CPU and peak RSS come from wait4() and include"
  echo "the container's own /bin/true. Each peer is invoked directly by the bench driver: no"
  echo "wrapper on any side. crun $(crun --version | head -1 | awk '{print $3}'), runc $(runc --version | head -1 | awk '{print $3}')."
  echo
  echo "## This host: cgroups $mode, $runs runs"
  echo
  echo "crun refuses hybrid hosts, so the driver runs once in a private mount namespace with"
  echo "the cgroup2 mount hidden; all three runtimes then see a v1-only host (device policy:"
  echo "the v1 devices controller)."
} >"$out"
make_bundles "$work"
unshare -m --propagation private bash -c \
  'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; exec "$@"' \
  bash "$0" --inside "$work" "$runs" "$PWD/$out"

if [[ ${SKIP_VM:-0} != 1 ]]; then
  {
    echo
    echo "## Pure cgroup v2 in the VM (qemu TCG), $vm_runs runs"
    echo
    echo "Debian's 6.1 kernel under emulation: absolute times are several times the host's;"
    echo "the ratios are the comparison. Device policy: a BPF device program for all three."
  } >>"$out"
  vm_out=$work/vm-out
  scripts/vm/run.sh --timeout 1800 -- bash "$PWD/bench/runtime/run.sh" --vm-job "$vm_runs" >"$vm_out"
  sed -n '/^=== table$/,$p' "$vm_out" | tail -n +2 >>"$out"
fi
echo "wrote $out"
