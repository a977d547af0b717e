#!/usr/bin/env bash
# RunTask -> RUNNING with one real skiff-agent and a cached image (issue 6's target: p50 <=
# 100 ms). One control plane and one agent on 127.0.0.1; the image is already in the agent's
# store. For each of N sequential RunTask calls, the figure is the control plane's own
# record: the RUNNING transition's time minus the PROVISIONING one (the request's arrival),
# so no polling delay is counted. Each task is stopped before the next run.
#
# Usage (root): bench/controlplane/real_agent.sh BUILD_DIR [RUNS] > table rows on stdout
set -euo pipefail
build=$(realpath "${1:?usage: $0 BUILD_DIR [RUNS]}")
runs=${2:-20}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/skiff-bench-cp-XXXXXX)
cp_pid= agent_pid=
cleanup() {
  if [[ -n $agent_pid ]]; then
    "$build/skiffctl/skiffctl" --socket "$work/agent/agent.sock" drain >/dev/null 2>&1 || true
    sleep 2
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  [[ -n $cp_pid ]] && { kill -TERM "$cp_pid" 2>/dev/null || true; wait "$cp_pid" 2>/dev/null || true; }
  awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

"$build/controlplane/server/skiff-controlplane" --data-dir "$work/cp" --listen 127.0.0.1:0 \
  >"$work/cp.log" 2>&1 &
cp_pid=$!
for _ in $(seq 100); do [[ -s $work/cp/port ]] && break; sleep 0.1; done
url=https://127.0.0.1:$(cat "$work/cp/port")
api() {
  curl -sS --fail-with-body --cacert "$work/cp/certs/ca.pem" \
    -H "Authorization: Bearer $(cat "$work/cp/admin.token")" -X "$1" "$url$2" ${3:+-d "$3"}
}
for _ in $(seq 50); do api GET /v1/health >/dev/null 2>&1 && break; sleep 0.1; done
api POST /v1/clusters '{"name":"bench"}' >/dev/null
act=$(api POST /v1/clusters/bench/activations '{}')

"$here/tests/fixtures/make-oci-layout.sh" "$work/skiff-demo" "$build/tests/helpers/skiff-probe" >/dev/null
"$build/skiffctl/skiffctl" --root "$work/agent/state/images" image import "$work/skiff-demo" >/dev/null
SKIFF_ENDPOINT=$url SKIFF_CA_FILE=$work/cp/certs/ca.pem \
SKIFF_ACTIVATION_ID=$(jq -r .activationId <<<"$act") \
SKIFF_ACTIVATION_CODE=$(jq -r .activationCode <<<"$act") \
  "$build/agent/main/skiff-agent" --no-standalone --state-dir "$work/agent/state" \
  --run-dir "$work/agent" --log-dir "$work/agent/logs" \
  --runtime "$build/runtime/skiff-runtime" --shim "$build/agent/shim/skiff-shim" \
  --skiffctl "$build/skiffctl/skiffctl" \
  >"$work/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 100); do
  api GET /v1/clusters/bench/instances | jq -e '.instances[0].connected' >/dev/null 2>&1 && break
  sleep 0.1
done
api POST /v1/taskdefs '{"family":"bench","containerDefinitions":[{"name":"app",
  "image":"localhost/skiff-demo:latest","essential":true,"memory":32,"stopTimeout":1,
  "command":["sleep","3600"]}]}' >/dev/null

samples=()
for i in $(seq "$runs"); do
  id=$(api POST /v1/clusters/bench/tasks '{"taskDefinition":"bench"}' | jq -r '.tasks[0].id')
  for _ in $(seq 300); do
    t=$(api GET "/v1/tasks/$id")
    [[ $(jq -r .lastStatus <<<"$t") == RUNNING ]] && break
    sleep 0.05
  done
  ms=$(jq '[.transitions[] | select(.lastStatus == "RUNNING")][0].atMs - .transitions[0].atMs' <<<"$t")
  samples+=("$ms")
  api POST "/v1/tasks/$id/stop" '{"reason":"bench"}' >/dev/null
  for _ in $(seq 100); do
    [[ $(api GET "/v1/tasks/$id" | jq -r .lastStatus) == STOPPED ]] && break
    sleep 0.1
  done
done
printf '%s\n' "${samples[@]}" | sort -n | awk -v runs="$runs" '
  { v[NR] = $1 }
  END {
    p50 = v[int((NR + 1) / 2)]; p90 = v[int(NR * 0.9 + 0.5)]
    printf "| RunTask -> RUNNING, 1 real agent, cached image | %d | %d | %d | %d | %d |\n", v[1], p50, p90, v[NR], runs
  }'
