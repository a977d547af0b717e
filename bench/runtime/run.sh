#!/usr/bin/env bash
# bench/runtime/run.sh: skiff-runtime vs crun vs runc, `run` of a busybox bundle whose
# process is /bin/true, with and without a network namespace. Writes
# bench/results/runtime.md. Needs root; builds Release first.
#
# crun 1.8.1 refuses this host's hybrid cgroups, so (as the issue prescribes) it runs in a
# private mount namespace with the cgroup2 mount hidden; that wrapper's own cost is
# measured too ("crun-wrapper-only") so the table shows what it adds.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-30}
scripts/build.sh release >/dev/null
bin=$PWD/build/release
work=$(mktemp -d /run/skiff-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

tests/fixtures/make-bundle.sh "$work/netns" "$bin/tests/helpers/skiff-probe" /bin/true >/dev/null
cp -a "$work/netns" "$work/nonet"
jq '.linux.namespaces |= map(select(.type != "network"))' "$work/netns/config.json" >"$work/c.json"
mv "$work/c.json" "$work/nonet/config.json"

out=bench/results/runtime.md
{
  echo "# skiff-runtime vs crun vs runc"
  echo
  echo "\`bench/runtime/run.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r),"
  echo "cgroups $(build/release/cgroups/tool/skiff-cgroup info | awk '/^mode/{print $2}') (skiff uses v1 here)."
  echo "$runs interleaved runs per runtime; medians. CPU and peak RSS come from wait4() and"
  echo "include the container's own /bin/true. crun runs inside \`unshare -m\` + \`sh\` with the"
  echo "cgroup2 mount hidden (it refuses hybrid hosts): its rows include that wrapper."
  echo "crun $(crun --version | head -1 | awk '{print $3}'), runc $(runc --version | head -1 | awk '{print $3}')."
} >"$out"

for mode in netns nonet; do
  b=$work/$mode
  root=$work/state-$mode
  "$bin/bench/runtime-bench" --runs "$runs" --out "$out" \
    --title "/bin/true, $([[ $mode == netns ]] && echo "with" || echo "without") a network namespace" \
    --peer "skiff-runtime=$bin/runtime/skiff-runtime --root $root/skiff run --bundle $b {id}" \
    --peer "crun=unshare -m --propagation private sh -c umount\${IFS}/sys/fs/cgroup/unified;exec\${IFS}crun\${IFS}--root\${IFS}$root/crun\${IFS}run\${IFS}-b\${IFS}$b\${IFS}{id}" \
    --peer "runc=runc --root $root/runc run -b $b {id}" \
    --peer "crun-wrapper-only=unshare -m --propagation private sh -c umount\${IFS}/sys/fs/cgroup/unified;exec\${IFS}true"
done
echo "wrote $out"
