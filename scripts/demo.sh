#!/usr/bin/env bash
# The README's main job, ECS Anywhere style, all on this host and offline:
#   1. set up and build;
#   2. start skiff-controlplane on 127.0.0.1 (its own CA, SQLite store);
#   3. create an activation and register a local skiff-agent with it;
#   4. build a demo image from busybox-static and push it to a local docker-registry;
#   5. create a service with 2 tasks (health-checked containers that trap SIGTERM);
#   6. roll the service to revision 2, printing every task transition as it happens;
#   7. stop cleanly: delete the service, stop the agent, the control plane and the registry.
#
# Usage (as root): scripts/demo.sh [--keep]
#   --keep  leave everything running under /run/skiff-demo (the pids are printed)
# SKIFF_DEMO_BIN=build/DIR uses an existing build tree (development; skips setup and build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) != 0 ]]; then
  echo "demo.sh: run as root (it creates containers and may install packages)" >&2
  exit 1
fi
keep=0
[[ ${1:-} == --keep ]] && keep=1

if [[ -z ${SKIFF_DEMO_BIN:-} ]]; then
  scripts/setup.sh
  scripts/build.sh release >/dev/null
fi
bin=$(realpath "${SKIFF_DEMO_BIN:-build/release}")
skiffctl=$bin/skiffctl/skiffctl
work=/run/skiff-demo
step() { echo; echo "=== $*"; }

# Unmounts what is left beneath $work (deepest first), then removes it.
remove_work() {
  awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}

registry_pid= cp_pid= agent_pid=
stop_pid() {  # PID: SIGTERM, then wait for it (it is our child)
  [[ -n $1 ]] || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  if [[ $keep == 1 && $rc == 0 ]]; then
    echo "demo: left running: registry $registry_pid, control plane $cp_pid, agent $agent_pid"
    return
  fi
  if [[ -n $agent_pid ]]; then
    # The agent leaves its tasks running when it stops (by design): drain them first.
    "$skiffctl" --socket "$work/agent/agent.sock" drain >/dev/null 2>&1 || true
    for _ in $(seq 100); do
      n=$("$skiffctl" --socket "$work/agent/agent.sock" --json ps 2>/dev/null |
        jq '[.[] | select(.knownStatus != "STOPPED")] | length' 2>/dev/null || echo 0)
      [[ $n == 0 ]] && break
      sleep 0.2
    done
  fi
  stop_pid "$agent_pid"
  stop_pid "$cp_pid"
  stop_pid "$registry_pid"
  if [[ $rc != 0 ]]; then
    for log in "$work"/*.log; do
      [[ -f $log ]] && { echo "--- $log (last lines)"; tail -n 20 "$log"; }
    done
  fi
  remove_work
  echo "demo: stopped the agent, the control plane and the registry; $work removed"
}
trap cleanup EXIT
# A signal (ctest stopping us, ^C) must run the cleanup too: bash skips EXIT traps on them.
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {  # a port nothing on 127.0.0.1 answers on
  local p
  while :; do
    p=$(shuf -i 20000-60000 -n 1)
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
wait_for() {  # SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2
  shift 2
  for _ in $(seq $((secs * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "demo: timed out waiting for $what" >&2
  return 1
}

remove_work
mkdir -p "$work"

step "1. A local docker-registry on 127.0.0.1, and the demo image pushed to it"
rport=$(free_port)
cat >"$work/registry.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$rport
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
wait_for 10 "the registry" bash -c "exec 3<>/dev/tcp/127.0.0.1/$rport"
tests/fixtures/make-oci-layout.sh "$work/image" "$bin/tests/helpers/skiff-probe" >/dev/null
image=127.0.0.1:$rport/skiff-demo
skopeo copy --quiet --dest-tls-verify=false "oci:$work/image:latest" "docker://$image:1"
echo "pushed $image:1 (busybox-static, built here)"

step "2. skiff-controlplane on 127.0.0.1 (data in $work/cp)"
"$bin/controlplane/server/skiff-controlplane" --data-dir "$work/cp" --listen 127.0.0.1:0 \
  --heartbeat-interval 2 >"$work/controlplane.log" 2>&1 &
cp_pid=$!
wait_for 30 "the control plane" test -s "$work/cp/port"
export SKIFF_ENDPOINT=https://127.0.0.1:$(cat "$work/cp/port")
export SKIFF_CA_FILE=$work/cp/certs/ca.pem
export SKIFF_ADMIN_TOKEN_FILE=$work/cp/admin.token
cpctl() { "$skiffctl" cp "$@"; }
wait_for 10 "the control plane's API" "$skiffctl" cp cluster ls
echo "control plane at $SKIFF_ENDPOINT (CA $SKIFF_CA_FILE)"

step "3. An activation, and a local skiff-agent registered with it"
cpctl cluster create demo
activation=$("$skiffctl" --json cp activation create --cluster demo --description "demo host")
echo "activation $(jq -r .activationId <<<"$activation") (the code is shown once)"
mkdir -p "$work/agent"
SKIFF_ACTIVATION_ID=$(jq -r .activationId <<<"$activation") \
SKIFF_ACTIVATION_CODE=$(jq -r .activationCode <<<"$activation") \
SKIFF_INSECURE_REGISTRIES=127.0.0.1:$rport SKIFF_ATTRIBUTES=site=demo \
  "$bin/agent/main/skiff-agent" --no-standalone --state-dir "$work/agent/state" \
  --run-dir "$work/agent" --log-dir "$work/agent/logs" \
  --runtime "$bin/runtime/skiff-runtime" --shim "$bin/agent/shim/skiff-shim" \
  --skiffctl "$bin/skiffctl/skiffctl" \
  >"$work/agent.log" 2>&1 &
agent_pid=$!
wait_for 30 "the agent to connect" bash -c \
  "'$skiffctl' --json cp instance ls --cluster demo | jq -e '.instances[0].connected'"
cpctl instance ls --cluster demo

step "4. Task definition web, revisions 1 and 2 (VERSION differs)"
taskdef() {  # VERSION
  cat <<JSON
{"family": "web", "networkMode": "host",
 "containerDefinitions": [{
   "name": "web", "image": "$image:1", "essential": true, "memory": 32, "stopTimeout": 5,
   "environment": [{"name": "VERSION", "value": "$1"}],
   "command": ["sh", "-c", "trap 'echo version \$VERSION got SIGTERM; exit 0' TERM; echo version \$VERSION up; touch /tmp/ready; while true; do sleep 1; done"],
   "healthCheck": {"command": ["CMD-SHELL", "test -f /tmp/ready"], "interval": 5, "timeout": 2, "retries": 2}
 }]}
JSON
}
taskdef 1 >"$work/web-1.json"
taskdef 2 >"$work/web-2.json"
cpctl taskdef register "$work/web-1.json"
cpctl taskdef register "$work/web-2.json"

step "5. Service web: 2 tasks of web:1"
cpctl service create --cluster demo web web:1 --count 2 --min-healthy 100 --max-percent 200 \
  --deregistration-delay 2
cpctl service wait --cluster demo web --timeout 120

step "6. Rolling deployment to web:2 (minimumHealthyPercent 100, maximumPercent 200)"
cpctl service update --cluster demo web --taskdef web:2
cpctl service wait --cluster demo web --timeout 180
cpctl service inspect --cluster demo web
cpctl task ls --cluster demo --service web
old=$("$skiffctl" --json cp task ls --cluster demo --service web |
  jq -r '[.tasks[] | select(.revision == 1)][0].id')
echo "log of the old task $old on the agent (it got SIGTERM and exited by itself):"
"$skiffctl" --socket "$work/agent/agent.sock" logs "$old" web | sed 's/^/  /'

step "7. Stopping cleanly"
cpctl service rm --cluster demo web
wait_for 60 "the service's tasks to stop" bash -c \
  "'$skiffctl' --socket '$work/agent/agent.sock' --json ps | jq -e '[.[] | select(.knownStatus != \"STOPPED\")] | length == 0'"
echo "service deleted; every task STOPPED after SIGTERM"
