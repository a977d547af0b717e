#!/usr/bin/env bash
# The standalone agent demo (no control plane): set up, build, and run the agent with the demo task
# definition (taskdef/examples/demo-web.json): a one-shot that writes the page, busybox
# httpd with a health check, and a sidecar that starts only once the web server is HEALTHY.
# The image is built locally from busybox-static; nothing is pulled from the internet.
#
# Usage (as root): scripts/demo-standalone.sh [--keep]
#   --keep  leave the agent and the task running (stop later: skiffctl drain, then kill the
#           agent whose pid is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) != 0 ]]; then
  echo "demo-standalone.sh: run as root (it creates containers and may install packages)" >&2
  exit 1
fi
keep=0
[[ ${1:-} == --keep ]] && keep=1

# SKIFF_DEMO_BIN: use an existing build tree instead (development).
if [[ -z ${SKIFF_DEMO_BIN:-} ]]; then
  scripts/setup.sh
  scripts/build.sh release >/dev/null
fi
bin=${SKIFF_DEMO_BIN:-$PWD/build/release}
skiffctl=$bin/skiffctl/skiffctl
work=/run/skiff-demo
state=$work/state
sock=$work/agent.sock
ctl() { "$skiffctl" --socket "$sock" "$@"; }
step() { echo; echo "=== $*"; }

# Unmounts what is left beneath $work (deepest first), then removes it.
remove_work() {
  awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}

agent_pid=
cleanup() {
  if [[ -n $agent_pid && $keep == 0 ]]; then
    ctl drain >/dev/null 2>&1 || true
    for _ in $(seq 100); do
      [[ $(ctl --json ps 2>/dev/null | jq '[.[] | select(.knownStatus != "STOPPED")] | length') == 0 ]] && break
      sleep 0.2
    done
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
    remove_work
    echo "demo: agent stopped, task drained, $work removed"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT  # signals skip EXIT traps: turn them into exits
trap 'exit 143' TERM

step "Building the demo image localhost/skiff-demo:latest (busybox-static + skiff-probe)"
remove_work  # whatever an earlier --keep run left
mkdir -p "$work/tasks.d" "$state"
tests/fixtures/make-oci-layout.sh "$work/skiff-demo" "$bin/tests/helpers/skiff-probe" >/dev/null
"$skiffctl" --root "$state/images" image import "$work/skiff-demo"
"$skiffctl" --root "$state/images" image ls

step "Starting skiff-agent in standalone mode (tasks from $work/tasks.d)"
cp taskdef/examples/demo-web.json "$work/tasks.d/"
cat >"$work/agent.conf" <<CONF
SKIFF_STATE_DIR=$state
SKIFF_RUN_DIR=$work/run
SKIFF_LOG_DIR=$work/logs
SKIFF_TASKS_DIR=$work/tasks.d
SKIFF_API_SOCKET=$sock
SKIFF_RUNTIME=$bin/runtime/skiff-runtime
SKIFF_SHIM=$bin/agent/shim/skiff-shim
SKIFF_SKIFFCTL=$bin/skiffctl/skiffctl
CONF
"$bin/agent/main/skiff-agent" --config "$work/agent.conf" 2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.1; done
echo "agent pid $agent_pid, API on $sock, log $work/agent.log"

step "Waiting for the task to become RUNNING and HEALTHY (health check every 5 s)"
healthy=0
for _ in $(seq 300); do
  if [[ $(ctl --json ps | jq -r '.[0].health // empty') == HEALTHY ]]; then healthy=1; break; fi
  sleep 0.2
done
ctl ps
[[ $healthy == 1 ]] || { echo "demo: the task did not become healthy; see $work/agent.log" >&2; exit 1; }
task=$(ctl --json ps | jq -r '.[0].taskId')

step "Containers of task $task (skiffctl --json inspect, condensed with jq)"
ctl --json inspect "$task" |
  jq -r '.containers[] | "\(.name)\t\(.knownStatus)\thealth=\(.health)\texit=\(.exitCode)\t\(.reason)"'

step "The web server answers on the host network"
busybox wget -q -O- http://127.0.0.1:8080/

step "The sidecar started after web was HEALTHY; its log:"
for _ in $(seq 50); do ctl logs "$task" probe 2>/dev/null | grep -q ok && break; sleep 0.2; done
ctl logs "$task" probe | tail -3

step "skiffctl exec into the web container"
ctl exec "$task" web cat /www/index.html

if [[ $keep == 1 ]]; then
  echo
  echo "demo: left running (agent pid $agent_pid). Stop with:"
  echo "  $skiffctl --socket $sock drain && kill $agent_pid"
else
  step "Draining (SIGTERM, stopTimeout, in reverse dependency order) and stopping the agent"
fi
