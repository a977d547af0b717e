#!/usr/bin/env bash
# bench/agent/run.sh [BUILD_DIR]: skiff-agent in one run, writing bench/results/agent.md:
#   1. the agent's memory idle with 0 tasks (Private = Private_Clean + Private_Dirty from
#      /proc/PID/smaps_rollup, PSS, RSS), a few seconds after it answers;
#   2. start-to-RUNNING with the image cached: `skiffctl run --wait` (returns once the agent
#      says the task is RUNNING), against `podman run -d` (which returns once the container
#      runs) of the same image, interleaved, RUNS (20) each, medians;
#   3. CONTAINERS (100) running single-container tasks: the agent's memory and each
#      skiff-shim's (median and max), then a drain that must stop them all.
# The whole run (agent, shims, runtimes, podman, conmon, runc alike) runs at nice NICE
# (default -10), so builds sharing the host disturb both sides less; NICE=0 turns it off.
# Root. Without BUILD_DIR it builds Release first (scripts/build.sh release). Needs curl,
# jq, podman and busybox-static. Everything lives under one temp dir and is
# drained, stopped by PID and unmounted at exit.
set -euo pipefail
nice_level=${NICE:--10}
if [[ $nice_level != 0 && -z ${SKIFF_AGENT_BENCH_NICED:-} ]]; then
  SKIFF_AGENT_BENCH_NICED=1 exec nice -n "$nice_level" "$0" "$@"
fi
cd "$(dirname "$0")/../.."
repo=$PWD
if [[ $# -ge 1 ]]; then
  build=$(realpath -- "$1")
else
  scripts/build.sh release >/dev/null
  build=$repo/build/release
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
runs=${RUNS:-20}
count=${CONTAINERS:-100}
settle=${SETTLE:-5}
out=${OUT:-$repo/bench/results/agent.md}

agent=$build/agent/main/skiff-agent
shim=$build/agent/shim/skiff-shim
runtime=$build/runtime/skiff-runtime
skiffctl=$build/skiffctl/skiffctl
probe=$build/tests/helpers/skiff-probe
for b in "$agent" "$shim" "$runtime" "$skiffctl" "$probe"; do
  [[ -x $b ]] || { echo "missing $b" >&2; exit 1; }
done
for c in curl jq podman; do
  command -v "$c" >/dev/null || { echo "$c missing" >&2; exit 1; }
done

work=$(mktemp -d /tmp/skiff-agent-bench.XXXXXX)
state=$work/state
sock=$work/run/agent.sock
image=localhost/skiff-agent-bench:latest
# podman.sh's settings (runc, cgroupfs, file events) with a store of our own.
# Run dirs on tmpfs for both, as in production (/run/skiff, /run/containers).
export SKIFF_PODMAN_ROOT=$work/podman/root SKIFF_PODMAN_RUNROOT=$work/run/podman
podman_sh=$repo/tests/fixtures/podman.sh
agent_pid=
events_pid=

api() {  # api METHOD PATH [BODY]
  curl -sS --fail-with-body --unix-socket "$sock" -X "$1" -H 'content-type: application/json' \
    ${3:+--data-binary "$3"} "http://agent$2"
}

mem() {  # mem PID -> "private_kB pss_kB rss_kB private_clean_kB private_dirty_kB"
  awk '/^Private_(Clean|Dirty):/{p+=$2} /^Private_Clean:/{c=$2} /^Private_Dirty:/{d=$2}
       /^Pss:/{s=$2} /^Rss:/{r=$2} END{print p, s, r, c, d}' \
    "/proc/$1/smaps_rollup"
}

threads() { awk '/^Threads:/{print $2}' "/proc/$1/status"; }

median() {  # numbers on stdin -> median
  sort -g | awk '{v[NR]=$1} END{if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

mib() { awk -v k="$1" 'BEGIN{printf "%.2f", k/1024}'; }

# Where the agent's memory is: smaps grouped by mapping (file mappings by file name).
# Anonymous ones are told apart by shape: glibc's per-thread malloc arenas start on a
# 64 MiB boundary, thread stacks are 8 MiB, ---p is reserved address space.
breakdown() {  # breakdown PID -> markdown rows "| mapping | private kB | rss kB |"
  awk '
    function arena(start) {
      return length(start) > 7 && substr(start, length(start) - 5) == "000000" &&
             index("048c", substr(start, length(start) - 6, 1)) > 0
    }
    /^[0-9a-f]+-[0-9a-f]+ / {
      split($1, range, "-"); perms = $2
      name = (NF >= 6) ? $6 : "[anon]"
      if (name ~ /^\//) { n = split(name, parts, "/"); name = parts[n] }
      next
    }
    /^Size:/ { size = $2 }
    /^Rss:/ { rss = $2 }
    /^Private_(Clean|Dirty):/ { priv += $2 }
    /^VmFlags:/ {
      key = name
      if (name == "[anon]") {
        if (perms == "---p") key = "[anon] reserved (---p)"
        else if (arena(range[1])) key = "[anon] malloc arenas (64 MiB-aligned)"
        else if (size == 8192) key = "[anon] thread stacks (8 MiB)"
        else key = "[anon] other"
      }
      r[key] += rss; p[key] += priv; priv = 0
      if (!(key in seen)) { seen[key] = 1; order[++k] = key }
    }
    END { for (i = 1; i <= k; i++) printf "%s\t%d\t%d\n", order[i], p[order[i]], r[order[i]] }
  ' "/proc/$1/smaps" | sort -t$'\t' -k3,3nr |
    awk -F'\t' '$3 > 0 {printf "| %s | %d | %d |\n", $1, $2, $3}'
}

arenas() {  # arenas PID -> "count rss_kB": the malloc arenas of breakdown()
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / {
      split($1, range, "-"); s = range[1]
      hit = NF < 6 && $2 == "rw-p" && length(s) > 7 && substr(s, length(s) - 5) == "000000" &&
            index("048c", substr(s, length(s) - 6, 1)) > 0
      next
    }
    /^Rss:/ { if (hit) { n++; r += $2 } }
    END { printf "%d %d\n", n, r }
  ' "/proc/$1/smaps"
}

our_shims() {  # PIDs of skiff-shims started for this run (their command line names $work)
  local p
  for p in /proc/[0-9]*; do
    [[ $(cat "$p/comm" 2>/dev/null) == skiff-shim ]] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$work/" && echo "${p#/proc/}"
  done
  return 0
}

unmount_under() {
  local m
  awk -v d="$1/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

cleanup() {
  set +e
  [[ -n $events_pid ]] && kill "$events_pid" 2>/dev/null
  if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then
    api POST /v1/drain '{"reason":"bench cleanup"}' >/dev/null 2>&1
    for _ in $(seq 1 600); do
      [[ $(api GET /v1/tasks 2>/dev/null | jq '[.[] | select(.knownStatus != "STOPPED")] | length') == 0 ]] && break
      sleep 0.1
    done
    kill -TERM "$agent_pid"
    wait "$agent_pid" 2>/dev/null
  fi
  if [[ -d $work/run/runtime ]]; then
    for d in "$work"/run/runtime/*/; do
      [[ -d $d ]] && "$runtime" --root "$work/run/runtime" delete --force "$(basename "$d")" >/dev/null 2>&1
    done
  fi
  if [[ -d $SKIFF_PODMAN_ROOT ]]; then
    "$podman_sh" rm --all --force --time 0 >/dev/null 2>&1
    "$podman_sh" rmi --all --force >/dev/null 2>&1
  fi
  unmount_under "$work"
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT  # signals skip EXIT traps: turn them into exits
trap 'exit 143' TERM
mkdir -p "$work/run"
mount -t tmpfs -o mode=0755 skiff-agent-bench-run "$work/run"

# --- the image: one tree for both, made by make-image.sh, saved for skiff as a docker-archive
"$repo/tests/fixtures/make-image.sh" "$image" "$probe" >/dev/null
"$podman_sh" save --quiet --format docker-archive -o "$work/image.tar" "$image"
mkdir -p "$state" "$work/logs" "$work/tasks.d"
"$skiffctl" --root "$state/images" image import "$work/image.tar" >/dev/null
"$skiffctl" --root "$state/images" image ls | grep -q "skiff-agent-bench" ||
  { echo "image import did not record $image" >&2; exit 1; }

cat >"$work/agent.conf" <<'EOF'
SKIFF_CONTAINER_STOP_TIMEOUT=30s
EOF
# The workload: skiff-probe waits for SIGTERM (so a drain does not wait for the stop
# timeout: PID 1 in a container ignores SIGTERM without a handler).
task_json() {  # task_json FAMILY
  jq -cn --arg f "$1" --arg img "$image" '{family: $f, networkMode: "host", memory: "512",
    containerDefinitions: [{name: "app", image: $img, essential: true,
                            command: ["/bin/skiff-probe", "trap-term"]}]}'
}
task_json bench >"$work/task.json"

# --- the agent
# AGENT_ENV (e.g. "MALLOC_ARENA_MAX=1") is for experiments; the results name it.
env ${AGENT_ENV:-} "$agent" --config "$work/agent.conf" --state-dir "$state" --run-dir "$work/run" \
  --log-dir "$work/logs" --tasks-dir "$work/tasks.d" --runtime "$runtime" --shim "$shim" --skiffctl "$skiffctl" \
  --log-level info 2>"$work/agent.log" >/dev/null &
agent_pid=$!
for _ in $(seq 1 300); do
  api GET /v1/metadata >/dev/null 2>&1 && break
  kill -0 "$agent_pid" 2>/dev/null || { echo "skiff-agent died:" >&2; cat "$work/agent.log" >&2; exit 1; }
  sleep 0.02
done
api GET /v1/metadata >/dev/null
sleep "$settle"
read -r idle_priv idle_pss idle_rss idle_clean idle_dirty < <(mem "$agent_pid")
idle_threads=$(threads "$agent_pid")
read -r idle_arenas idle_arena_rss < <(arenas "$agent_pid")
idle_breakdown=$(breakdown "$agent_pid")
echo "idle: private $idle_priv kB, pss $idle_pss kB, rss $idle_rss kB, $idle_threads threads" >&2

# --- start-to-RUNNING, interleaved with podman run -d
# One follow stream of the agent's events; the shell reads it and stamps each line.
exec 7< <(exec curl -sSN --unix-socket "$sock" "http://agent/v1/events?follow=1")
events_pid=$!

wait_task_event() {  # wait_task_event ID STATUS: read events until the task reaches STATUS
  local line
  while read -r -t 60 line <&7; do
    [[ $line == *"\"taskId\":\"$1\""* && $line == *'"type":"task"'* &&
      $line == *"\"taskKnownStatus\":\"$2\""* ]] && return 0
  done
  echo "no $2 event for task $1" >&2
  return 1
}

skiff_once() {  # -> "ID T0 T1": T1 is when `skiffctl run --wait` returned
  local t0 t1 id
  t0=$EPOCHREALTIME
  "$skiffctl" --socket "$sock" run --wait "$work/task.json" >"$work/id"
  t1=$EPOCHREALTIME
  read -r id <"$work/id"
  [[ $(api GET "/v1/tasks/$id" | jq -r .knownStatus) == RUNNING ]] ||
    { echo "task $id not RUNNING when skiffctl run --wait returned" >&2; return 1; }
  api POST "/v1/tasks/$id/stop" '{"reason":"bench"}' >/dev/null
  wait_task_event "$id" STOPPED
  echo "$id $t0 $t1"
}

logtime() {  # the agent log's "[YYYY-MM-DD HH:MM:SS.mmm]" for PATTERN -> epoch seconds
  local t
  t=$(grep -m1 -F -- "$1" "$work/agent.log" | cut -c2-24)
  [[ -n $t ]] || { echo "no '$1' in the agent log" >&2; return 1; }
  date -d "$t" +%s.%N
}

phases() {  # ID T0 T1 -> ms: to PENDING, to CREATED, to container RUNNING, to task RUNNING, to return
  local s=${1:0:12} p c r k
  p=$(logtime "task $s: PENDING")
  c=$(logtime "container $s/app: CREATED")
  r=$(logtime "container $s/app: RUNNING")
  k=$(logtime "task $s: RUNNING")
  awk -v t0="$2" -v p="$p" -v c="$c" -v r="$r" -v k="$k" -v t2="$3" \
    'BEGIN{printf "%.1f %.1f %.1f %.1f %.1f\n", (p-t0)*1000, (c-p)*1000, (r-c)*1000, (k-r)*1000, (t2-k)*1000}'
}

# The timed podman runs without tests/fixtures/podman.sh's bash around it (that start-up
# is not podman's), with the same arguments.
source "$repo/tests/fixtures/podman-args.sh"
podman_cmd=(podman "${podman_args[@]}")

podman_once() {  # NAME -> "running_ms"
  local t0 t1
  t0=$EPOCHREALTIME
  "${podman_cmd[@]}" run -d --name "$1" --network host --memory 512m "$image" \
    /bin/skiff-probe trap-term >/dev/null
  t1=$EPOCHREALTIME
  [[ $("$podman_sh" inspect --format '{{.State.Status}}' "$1") == running ]] ||
    { echo "podman container $1 not running" >&2; return 1; }
  "$podman_sh" rm --force --time 10 "$1" >/dev/null
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f\n", (b-a)*1000}'
}

# One untimed round each: page cache, podman's first-use store setup.
skiff_once >/dev/null
podman_once bench-warm >/dev/null
: >"$work/skiff.txt"
: >"$work/podman.txt"
for i in $(seq 1 "$runs"); do
  if ((i % 2)); then
    skiff_once >>"$work/skiff.txt"
    podman_once "bench-$i" >>"$work/podman.txt"
  else
    podman_once "bench-$i" >>"$work/podman.txt"
    skiff_once >>"$work/skiff.txt"
  fi
done
# id t0 t1 -> running_ms, and the agent log's phases of each start
awk '{printf "%.2f\n", ($3-$2)*1000}' "$work/skiff.txt" >"$work/skiff-ms.txt"
: >"$work/phases.txt"
while read -r id t0 t1; do phases "$id" "$t0" "$t1" >>"$work/phases.txt"; done <"$work/skiff.txt"
phase_med=()
for f in 1 2 3 4 5; do phase_med+=("$(awk -v f=$f '{print $f}' "$work/phases.txt" | median)"); done
skiff_run=$(median <"$work/skiff-ms.txt")
skiff_min=$(sort -g "$work/skiff-ms.txt" | head -1)
skiff_max=$(sort -g "$work/skiff-ms.txt" | tail -1)
podman_run=$(median <"$work/podman.txt")
podman_min=$(sort -g "$work/podman.txt" | head -1)
podman_max=$(sort -g "$work/podman.txt" | tail -1)
ratio=$(awk -v s="$skiff_run" -v p="$podman_run" 'BEGIN{printf "%.3f", s/p}')
echo "start: skiff $skiff_run ms, podman $podman_run ms, ratio $ratio" >&2
read -r after_runs_priv _ after_runs_rss after_runs_clean after_runs_dirty < <(mem "$agent_pid")

# --- CONTAINERS running containers
t0=$EPOCHREALTIME
for i in $(seq 1 "$count"); do
  api POST /v1/tasks "$(task_json "load-$i")" >/dev/null
done
deadline=$((SECONDS + 600))
while :; do
  running=$(api GET /v1/tasks | jq '[.[] | select(.knownStatus == "RUNNING")] | length')
  ((running >= count)) && break
  ((SECONDS < deadline)) || { echo "only $running of $count tasks RUNNING" >&2; exit 1; }
  sleep 0.2
done
all_running_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')
sleep "$settle"
read -r load_priv load_pss load_rss load_clean load_dirty < <(mem "$agent_pid")
load_threads=$(threads "$agent_pid")
read -r load_arenas load_arena_rss < <(arenas "$agent_pid")
load_breakdown=$(breakdown "$agent_pid")
mapfile -t shims < <(our_shims)
((${#shims[@]} == count)) || { echo "found ${#shims[@]} skiff-shims, expected $count" >&2; exit 1; }
: >"$work/shims.txt"
for p in "${shims[@]}"; do mem "$p" >>"$work/shims.txt"; done
shim_priv_med=$(awk '{print $1}' "$work/shims.txt" | median)
shim_priv_max=$(awk '{print $1}' "$work/shims.txt" | sort -g | tail -1)
shim_pss_med=$(awk '{print $2}' "$work/shims.txt" | median)
shim_pss_max=$(awk '{print $2}' "$work/shims.txt" | sort -g | tail -1)
shim_rss_med=$(awk '{print $3}' "$work/shims.txt" | median)
shim_priv_sum=$(awk '{s+=$1} END{print s}' "$work/shims.txt")
shim_pss_sum=$(awk '{s+=$2} END{print s}' "$work/shims.txt")
echo "load: agent private $load_priv kB, rss $load_rss kB; shim private median $shim_priv_med kB" >&2

# --- drain: every task must stop, every shim must go
t0=$EPOCHREALTIME
api POST /v1/drain '{"reason":"bench drain"}' >/dev/null
deadline=$((SECONDS + 300))
while :; do
  left=$(api GET /v1/tasks | jq '[.[] | select(.knownStatus != "STOPPED")] | length')
  ((left == 0)) && break
  ((SECONDS < deadline)) || { echo "$left tasks still not STOPPED after drain" >&2; exit 1; }
  sleep 0.2
done
drain_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')
stopped=$(api GET /v1/tasks | jq '[.[] | select(.knownStatus == "STOPPED")] | length')
sleep 1
shims_left=$(our_shims | wc -l)
runtime_left=$("$runtime" --root "$work/run/runtime" list 2>/dev/null | awk 'NR > 1' | wc -l)
sleep "$settle"
read -r drained_priv _ drained_rss drained_clean drained_dirty < <(mem "$agent_pid")

# --- the report
# A hand-written analysis after this marker in an earlier $out is kept.
marker='<!-- analysis: written by hand, kept by bench/agent/run.sh -->'
: >"$work/analysis.md"
[[ -f $out ]] && awk -v m="$marker" 'f || $0 == m {f = 1; print}' "$out" >"$work/analysis.md"
verdict() { awk -v v="$1" -v t="$2" 'BEGIN{print (v <= t) ? "yes" : "**no**"}'; }
{
  echo "# skiff-agent: memory and start-to-RUNNING"
  echo
  echo "\`bench/agent/run.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r),"
  echo "load average $load_start at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end (other"
  echo "helpers' builds shared the host)."
  echo "Everything at nice $nice_level. One run, one agent (Release build, \`--log-level info\`${AGENT_ENV:+, environment \`$AGENT_ENV\`}), the image cached in its store."
  echo
  echo "## Results"
  echo
  echo "| measure | value | target | met |"
  echo "|---|---|---|---|"
  echo "| agent idle, 0 tasks: private | $(mib "$idle_priv") MiB | ≤ 2 MiB | $(verdict "$idle_priv" 2048) |"
  echo "| agent idle, 0 tasks: RSS | $(mib "$idle_rss") MiB | ≤ 10 MiB | $(verdict "$idle_rss" 10240) |"
  echo "| agent, $count running containers: RSS | $(mib "$load_rss") MiB | ≤ 15 MiB | $(verdict "$load_rss" 15360) |"
  echo "| agent, $count running containers: private | $(mib "$load_priv") MiB | | |"
  echo "| skiff-shim private, median / max of $count | $shim_priv_med / $shim_priv_max kB | ≤ 512 kB each | $(verdict "$shim_priv_max" 512) |"
  echo "| skiff-shim PSS, median / max of $count | $shim_pss_med / $shim_pss_max kB | | |"
  echo "| start-to-RUNNING, median: skiff / podman | $skiff_run / $podman_run ms = **$ratio×** | ≤ 0.2× | $(verdict "$ratio" 0.2) |"
  echo
  echo "### Agent memory in each phase"
  echo
  echo "| phase | private MiB | of which clean (file pages) / dirty | PSS MiB | RSS MiB | threads | malloc arenas (rss kB) |"
  echo "|---|---|---|---|---|---|---|"
  echo "| idle, 0 tasks, ${settle} s after it answered | $(mib "$idle_priv") | $(mib "$idle_clean") / $(mib "$idle_dirty") | $(mib "$idle_pss") | $(mib "$idle_rss") | $idle_threads | $idle_arenas ($idle_arena_rss) |"
  echo "| after the $((runs + 1)) start/stop rounds | $(mib "$after_runs_priv") | $(mib "$after_runs_clean") / $(mib "$after_runs_dirty") | | $(mib "$after_runs_rss") | | |"
  echo "| $count running tasks (1 container each) | $(mib "$load_priv") | $(mib "$load_clean") / $(mib "$load_dirty") | $(mib "$load_pss") | $(mib "$load_rss") | $load_threads | $load_arenas ($load_arena_rss) |"
  echo "| after the drain ($stopped STOPPED tasks kept) | $(mib "$drained_priv") | $(mib "$drained_clean") / $(mib "$drained_dirty") | | $(mib "$drained_rss") | | |"
  echo
  echo "The $count shims together: $(mib "$shim_priv_sum") MiB private, $(mib "$shim_pss_sum") MiB PSS"
  echo "(median RSS $shim_rss_med kB each). All $count tasks were RUNNING ${all_running_s} s after the"
  echo "first POST. Drain: $stopped tasks STOPPED in ${drain_s} s; afterwards $shims_left shims and"
  echo "$runtime_left runtime containers were left."
  echo
  echo "### Start-to-RUNNING"
  echo
  echo "| command | median ms | min ms | max ms | vs podman |"
  echo "|---|---|---|---|---|"
  echo "| \`skiffctl run --wait\` (returns once the task is RUNNING) | $skiff_run | $skiff_min | $skiff_max | $ratio |"
  echo "| \`podman run -d\` (podman $(podman --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'), conmon $(conmon --version | awk 'NR==1{print $3}')) | $podman_run | $podman_min | $podman_max | 1.000 |"
  echo
  echo "Where skiff's time goes (medians, ms; the agent's log timestamps, \`--log-level info\`):"
  echo
  echo "| skiffctl start-up + POST until the task is PENDING | PENDING → container CREATED (bundle, shim, runtime create) | CREATED → container RUNNING (runtime start) | container → task RUNNING | task RUNNING → skiffctl returns |"
  echo "|---|---|---|---|---|"
  echo "| ${phase_med[0]} | ${phase_med[1]} | ${phase_med[2]} | ${phase_med[3]} | ${phase_med[4]} |"
  echo
  echo "### Where the idle agent's memory is (/proc/PID/smaps by mapping, kB)"
  echo
  echo "| mapping | private | RSS |"
  echo "|---|---|---|"
  echo "$idle_breakdown"
  echo
  echo "### The same with $count running tasks"
  echo
  echo "| mapping | private | RSS |"
  echo "|---|---|---|"
  echo "$load_breakdown"
  echo
  echo "## Method"
  echo
  echo "- The run directories (the agent's --run-dir with the shims' and runtime's state,"
  echo "  podman's --runroot) are on a tmpfs, as /run is in production; state dirs and image"
  echo "  stores are on the host's disk."
  echo "- Private is Private_Clean + Private_Dirty from /proc/PID/smaps_rollup; PSS and RSS"
  echo "  from the same file. Measured ${settle} s after each phase settles."
  echo "- The image is tests/fixtures/make-image.sh's tree (static busybox + skiff-probe), built"
  echo "  once into a private podman store and saved as a docker-archive that \`skiffctl image"
  echo "  import\` reads, so both sides run the same layer. Every container runs"
  echo "  \`/bin/skiff-probe trap-term\` (sleeps until SIGTERM) with host networking and a"
  echo "  512 MiB memory limit."
  echo "- skiff: \`skiffctl run --wait task.json\`, which posts the task and follows the"
  echo "  agent's events until the task is RUNNING. podman: \`podman run -d\` with"
  echo "  tests/fixtures/podman.sh's arguments, run directly (runc, cgroupfs, file events; crun"
  echo "  1.8 refuses this hybrid-cgroup host) with a private --root/--runroot; it returns once"
  echo "  the container runs. Both are timed from the shell around one command, and include"
  echo "  their CLI's start-up. $runs interleaved rounds (alternating"
  echo "  which goes first) after one untimed round each; each container is removed before"
  echo "  the next round, so the agent has no other tasks during this part."
  echo "- $count tasks of one container each are posted back to back through the API;"
  echo "  shims are found by their command line naming the bench's temp dir."
  echo "- Anonymous mappings: 8 MiB ones are thread stacks; \"malloc arenas\" counts the"
  echo "  64 MiB-aligned rw mappings glibc makes for per-thread arenas."
} >"$out"
if [[ -s $work/analysis.md ]]; then
  echo >>"$out"
  cat "$work/analysis.md" >>"$out"
fi
echo "wrote $out" >&2
