#!/usr/bin/env bash
# shim_memory.sh BUILD_DIR [N] [DRIVER]: starts N skiff-shims (default 4) on sleeping
# busybox containers with log driver DRIVER (file, journald or none; default file), then
# prints each shim's private memory (Private_Clean + Private_Dirty from
# /proc/PID/smaps_rollup), PSS and RSS. Root. Not a test: a measurement (target: private
# <= 512 kB per shim with 2+ running). When conmon is installed it is measured in the same
# run over the same runtime. Seen on the CI host (4 each, file driver): skiff-shim 185 kB
# private / 330 kB PSS, conmon 2.1.6 349 kB / 535 kB; journald driver 340 kB private.
set -euo pipefail

build=$(realpath -- "${1:?usage: $0 BUILD_DIR [N] [DRIVER]}")
n=${2:-4}
driver=${3:-file}
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
fixtures=$here/../../tests/fixtures
shim=$build/agent/shim/skiff-shim
runtime=$build/runtime/skiff-runtime
probe=$build/tests/helpers/skiff-probe
for b in "$shim" "$runtime" "$probe"; do [[ -x $b ]] || { echo "missing $b" >&2; exit 1; }; done

work=$(mktemp -d /run/skiff-shim-bench-XXXXXX)
ids=()
cleanup() {
  for id in "${ids[@]}"; do "$runtime" --root "$work/rt" delete --force "$id" >/dev/null 2>&1 || true; done
  rm -rf -- "$work"
}
trap cleanup EXIT

bash "$fixtures/make-bundle.sh" "$work/bundle" "$probe" /bin/skiff-probe sleep >/dev/null
mkdir -p "$work/rt"
# Page-cache pages still dirty from the link would count as Private_Dirty in the first shim.
sync

shims=()
for i in $(seq 1 "$n"); do
  id=bench-$$-$i
  ids+=("$id")
  # The shim answers on fd 5 once the container exists ("ok CPID SHIMPID").
  exec 5> >(cat >"$work/ready-$i")
  "$shim" --id "$id" --bundle "$work/bundle" --state-dir "$work/state-$i" \
    --runtime "$runtime" --runtime-root "$work/rt" --log-driver "$driver" --log-path "$work/$id.log" --ready-fd 5
  exec 5>&-
  for _ in $(seq 1 200); do [[ -s $work/ready-$i ]] && break; sleep 0.05; done
  read -r word cpid spid <"$work/ready-$i"
  [[ $word == ok ]] || { echo "shim $i: $(cat "$work/ready-$i")" >&2; exit 1; }
  "$runtime" --root "$work/rt" start "$id"
  shims+=("$spid")
done
sleep 1  # steady state: the containers are running and logging nothing

printf '%-8s %10s %10s %10s\n' shim private_kB pss_kB rss_kB
total=0
for pid in "${shims[@]}"; do
  read -r priv pss rss < <(awk '/^Private_(Clean|Dirty):/{p+=$2} /^Pss:/{s=$2} /^Rss:/{r=$2}
                                END{print p, s, r}' "/proc/$pid/smaps_rollup")
  printf '%-8s %10s %10s %10s\n' "$pid" "$priv" "$pss" "$rss"
  total=$((total + priv))
done
echo "mean private: $((total / n)) kB over $n shims (log driver $driver)"

# The peer, measured in the same run: conmon (podman's monitor) over the same runtime.
command -v conmon >/dev/null || { echo "conmon not installed: no comparison"; exit 0; }
cpids=()
for i in $(seq 1 "$n"); do
  id=bench-conmon-$$-$i
  ids+=("$id")
  mkdir -p "$work/conmon-$i"
  conmon -c "$id" -u "$id" -n "$id" -r "$runtime" --runtime-arg --root --runtime-arg "$work/rt" \
    -b "$work/bundle" -p "$work/conmon-$i/pid" -l "k8s-file:$work/conmon-$i/log" \
    --exit-dir "$work/conmon-$i" --socket-dir-path "$work/conmon-$i" \
    -P "$work/conmon-$i/conmon.pid" >/dev/null
  # Without podman's sync pipe conmon returns at once: the pid file says create is done.
  for _ in $(seq 1 200); do [[ -s $work/conmon-$i/pid ]] && break; sleep 0.05; done
  "$runtime" --root "$work/rt" start "$id"
  cpids+=("$(cat "$work/conmon-$i/conmon.pid")")
done
sleep 1
printf '%-8s %10s %10s %10s\n' conmon private_kB pss_kB rss_kB
total=0
for pid in "${cpids[@]}"; do
  read -r priv pss rss < <(awk '/^Private_(Clean|Dirty):/{p+=$2} /^Pss:/{s=$2} /^Rss:/{r=$2}
                                END{print p, s, r}' "/proc/$pid/smaps_rollup")
  printf '%-8s %10s %10s %10s\n' "$pid" "$priv" "$pss" "$rss"
  total=$((total + priv))
done
echo "mean private: $((total / n)) kB over $n conmons"
