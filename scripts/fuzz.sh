#!/usr/bin/env bash
# libFuzzer harnesses (docs/fuzzing.md), built with the `fuzz` preset (clang, ASan+UBSan).
#   scripts/fuzz.sh TARGET SECONDS   build TARGET, replay its corpus, fuzz for SECONDS
#   scripts/fuzz.sh --smoke [SECS]   build all, replay every corpus and fuzz each target
#                                    SECS seconds (default 20: about 5 minutes in all)
#   scripts/fuzz.sh --build          build every target, nothing else
#   scripts/fuzz.sh --list           the targets
#   scripts/fuzz.sh --no-build TARGET SECONDS   as the first form, already built (CTest)
# SECONDS 0 only replays. New inputs go to build/fuzz/work/TARGET (the checked-in corpus
# is never written); crashes to build/fuzz/artifacts/TARGET/. Extra libFuzzer flags:
# SKIFF_FUZZ_FLAGS="-max_len=65536 ...". Exit status: non-zero on any crash.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${SKIFF_FUZZ_BUILD_DIR:-$src/build/fuzz}
corpora=$src/tests/fuzz/corpus
# Harnesses that run confined in a user namespace (tests/fuzz/confine.h): their work
# directories must be writable by the confined uid.
confined=" layer_unpack docker_archive "

targets() { sed -n 's/^skiff_add_fuzzer(\([a-z_]*\) .*/\1/p' "$src/tests/fuzz/CMakeLists.txt"; }

build() {
  cd "$src"
  cmake --preset fuzz >/dev/null
  cmake --build "$build" --target "$@"
}

# run TARGET SECONDS: replay the corpus, then fuzz (one process, one job).
run() {
  local t=$1 secs=$2 bin=$build/tests/fuzz/fuzz_$1
  [[ -x $bin ]] || { echo "fuzz.sh: $bin is not built" >&2; return 1; }
  [[ -d $corpora/$t ]] || { echo "fuzz.sh: no corpus $corpora/$t" >&2; return 1; }
  local work=$build/work/$t art=$build/artifacts/$t
  mkdir -p "$work" "$art"
  if [[ $confined == *" $t "* && $(id -u) == 0 ]]; then
    chmod 1777 "$work" "$art"
  fi
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  local common=(-artifact_prefix="$art/" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  echo "== $t: replay $(find "$corpora/$t" -type f | wc -l) corpus inputs"
  local replay=$build/artifacts/$t.replay.log
  "$bin" "${common[@]}" -runs=0 "$corpora/$t" >"$replay" 2>&1 ||
    { tail -n 60 "$replay" >&2; echo "== $t: replay FAILED (log $replay)" >&2; return 1; }
  grep -E 'INITED|Done' "$replay" || true
  if (( secs > 0 )); then
    echo "== $t: fuzz ${secs}s"
    local log=$build/artifacts/$t.log
    # shellcheck disable=SC2086
    "$bin" "${common[@]}" -max_total_time="$secs" ${SKIFF_FUZZ_FLAGS:-} "$work" "$corpora/$t" \
      >"$log" 2>&1 || { tail -n 60 "$log" >&2; echo "== $t: FAILED (log $log)" >&2; return 1; }
    grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
  fi
}

case ${1:-} in
  --list) targets ;;
  --build) build skiff_fuzzers ;;
  --smoke)
    secs=${2:-20}
    build skiff_fuzzers
    failed=()
    for t in $(targets); do run "$t" "$secs" || failed+=("$t"); done
    if (( ${#failed[@]} )); then echo "fuzz.sh: FAILED: ${failed[*]}" >&2; exit 1; fi
    echo "fuzz.sh: all $(targets | wc -l) targets passed" ;;
  --no-build) run "$2" "${3:-0}" ;;
  ""|-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  *)
    [[ $# -eq 2 ]] || { echo "usage: scripts/fuzz.sh TARGET SECONDS (see --help)" >&2; exit 2; }
    build "fuzz_$1"
    run "$1" "$2" ;;
esac
