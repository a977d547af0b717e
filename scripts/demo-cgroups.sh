#!/usr/bin/env bash
# Set up, build, and show cgroup limits biting on real
# processes, first on this host's backend, then on pure cgroup v2 inside the test VM.
# Usage (as root): scripts/demo-cgroups.sh [--no-vm]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) != 0 ]]; then
  echo "demo-cgroups.sh: run as root (it creates cgroups and may install packages)" >&2
  exit 1
fi
scripts/setup.sh
scripts/build.sh release >/dev/null

bin=$PWD/build/release
tool=$bin/cgroups/tool/skiff-cgroup
probe=$bin/tests/helpers/skiff-probe

show() {  # show TITLE ARGS... : run one command under limits and print the report
  local title=$1; shift
  echo
  echo "### $title"
  echo "\$ skiff-cgroup run $*"
  "$tool" run ${parent:+--parent "$parent"} "$@" || true  # a kill is the point of the demo
}

limits_bite() {
  "$tool" info
  show "memory: allocate 256 MiB under a 64 MiB limit (expect an OOM kill)" \
    --memory 64m -- "$probe" alloc 256
  show "cpu: spin for 2 s under a 0.25-CPU cap (expect ~25% and throttling)" \
    --cpus 0.25 -- "$probe" spin 2
  show "pids: fork 50 children under pids.max 10 (expect 9 forks, then EAGAIN=11)" \
    --pids 10 -- "$probe" fork 50
}

parent=""
echo "=== This host"
limits_bite

if [[ ${1:-} != --no-vm ]]; then
  echo
  echo "=== The same on pure cgroup v2 (Debian's kernel in a qemu VM, ~5 s to boot)"
  # The VM's job shell sits in /ci/job; /ci is the delegated subtree to create cgroups in.
  scripts/vm/run.sh -- bash -c "$(declare -f show limits_bite); tool=$tool probe=$probe parent=/ci; limits_bite"
fi
