#!/usr/bin/env bash
# systemd/skiff-agent.service under a real systemd (PID 1 of the test VM, pure cgroup v2):
#   - Type=notify: the unit is active only after READY=1, and shows the agent's STATUS=;
#   - task and container cgroups nest beneath skiff-tasks.service's delegated cgroup, so
#     `systemctl restart skiff-agent` works on pure v2 and recovery adopts the container;
#   - ExecReload (SIGHUP) keeps it running;
#   - KillMode=process: `systemctl stop` leaves the container running;
#   - the watchdog is armed (WatchdogUSec).
# Usage (on the host): unit_test.sh SOURCE_DIR AGENT SHIM RUNTIME SKIFFCTL PROBE
# It builds and imports the test image on the host (fast), then boots the VM and runs
# itself there with SKIFF_IN_VM=1 (the VM sees the host's /tmp).
set -euo pipefail
src=$1 agent=$2 shim=$3 runtime=$4 skiffctl=$5 probe=$6

if [[ -z ${SKIFF_IN_VM:-} ]]; then
  work=$(mktemp -d /tmp/skiff-unit-test.XXXXXX)
  trap 'rm -rf -- "$work"' EXIT
  "$src/tests/fixtures/make-oci-layout.sh" "$work/layout" "$probe" >/dev/null
  "$skiffctl" --root "$work/state/images" image import "$work/layout" >/dev/null
  "$src/scripts/vm/run.sh" --timeout 600 --systemd --env "SKIFF_UNIT_WORK=$work" -- "$0" "$@"
  exit
fi

fail() { echo "FAIL: $*" >&2; journalctl -u skiff-agent --no-pager -n 60 >&2 || true; exit 1; }
shared=$SKIFF_UNIT_WORK
work=/run/skiff-unit-test
mkdir -p "$work/tasks.d" /etc/skiff
# The store prepared on the host, copied to tmpfs where overlayfs works.
cp -a "$shared/state" "$work/state"
cat >/etc/skiff/agent.conf <<CONF
SKIFF_STATE_DIR=$work/state
SKIFF_RUN_DIR=$work/run
SKIFF_LOG_DIR=$work/logs
SKIFF_TASKS_DIR=$work/tasks.d
SKIFF_RUNTIME=$runtime
SKIFF_SHIM=$shim
SKIFF_SKIFFCTL=$skiffctl
CONF

name=$("$skiffctl" --root "$work/state/images" --json image ls | sed -n 's/.*"name": *"\([^"]*\)".*/\1/p' | head -1)
[[ -n $name ]] || fail "no image name after import"

# The units as shipped, with only the agent's ExecStart pointed at the build tree.
cp "$src/systemd/skiff-agent.service" "$src/systemd/skiff-tasks.service" /run/systemd/system/
mkdir -p /run/systemd/system/skiff-agent.service.d
cat >/run/systemd/system/skiff-agent.service.d/test.conf <<UNIT
[Service]
ExecStart=
ExecStart=$agent --config /etc/skiff/agent.conf
UNIT
systemctl daemon-reload
systemctl start skiff-agent || fail "start"
[[ $(systemctl show -p ActiveState --value skiff-agent) == active ]] || fail "not active"
status=$(systemctl show -p StatusText --value skiff-agent)
[[ $status == running* ]] || fail "StatusText is '$status'"
[[ $(systemctl show -p WatchdogUSec --value skiff-agent) == 30s ]] || fail "watchdog not armed"
echo "ok: active after READY=1, status '$status'"

sock=$work/run/agent.sock
cat >"$work/task.json" <<TASK
{"family":"unit","memory":"256","networkMode":"host",
 "containerDefinitions":[{"name":"app","image":"$name","command":["/bin/skiff-probe","trap-term","0"],"stopTimeout":10}]}
TASK
id=$("$skiffctl" --socket "$sock" --json run "$work/task.json" | sed -n 's/.*"taskId": *"\([0-9a-f]*\)".*/\1/p' | head -1)
[[ -n $id ]] || fail "run gave no task id"
pid=
for _ in $(seq 200); do
  view=$("$skiffctl" --socket "$sock" --json inspect "$id")
  grep -q '"knownStatus": *"STOPPED"' <<<"$view" && fail "task stopped: $(grep -o '"reason": *"[^"]*"' <<<"$view")"
  if grep -q '"knownStatus": *"RUNNING"' <<<"$view"; then
    pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' <<<"$view" | head -1)
    [[ -n $pid && $pid != 0 ]] && break
  fi
  sleep 0.1
done
[[ -n $pid && $pid != 0 ]] || fail "task never RUNNING: $view"
cg=$(cat "/proc/$pid/cgroup")
[[ $(systemctl show -p ActiveState --value skiff-tasks) == active ]] || fail "skiff-tasks not active"
tasks_cg=$(systemctl show -p ControlGroup --value skiff-tasks)
[[ $cg == "0::$tasks_cg/skiff/$id/app" ]] || fail "container cgroup '$cg' not beneath '$tasks_cg'"
echo "ok: container $pid in $cg"

# The restart that systemd 252 refused (219/CGROUP) while tasks nested in the agent's own
# cgroup: a new agent comes up, and recovery adopts the running container.
old_main=$(systemctl show -p MainPID --value skiff-agent)
systemctl restart skiff-agent || fail "restart"
[[ $(systemctl show -p ActiveState --value skiff-agent) == active ]] || fail "not active after restart"
new_main=$(systemctl show -p MainPID --value skiff-agent)
[[ $new_main != "$old_main" && $new_main != 0 ]] || fail "restart kept MainPID $old_main"
kill -0 "$pid" || fail "the container died in the agent restart"
view=$("$skiffctl" --socket "$sock" --json inspect "$id")
grep -q '"knownStatus": *"RUNNING"' <<<"$view" || fail "task not RUNNING after restart: $view"
grep -q "\"pid\": *$pid\b" <<<"$view" || fail "recovered task does not name pid $pid: $view"
echo "ok: agent restarted ($old_main -> $new_main); container $pid adopted"

systemctl reload skiff-agent || fail "reload"
sleep 1
[[ $(systemctl show -p ActiveState --value skiff-agent) == active ]] || fail "not active after reload"
echo "ok: reload (SIGHUP) keeps the agent active"

systemctl stop skiff-agent || fail "stop"
kill -0 "$pid" || fail "KillMode=process: the container died with the agent"
echo "ok: container $pid survived systemctl stop"
# Stopping skiff-tasks (as at shutdown) stops what is left in its cgroup.
systemctl stop skiff-tasks || fail "stop skiff-tasks"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "stopping skiff-tasks left container $pid running"
"$runtime" --root "$work/run/runtime" delete --force "$(ls "$work/run/runtime" | head -1)" || true
echo "ok: stopping skiff-tasks stopped the container"
