#!/usr/bin/env bash
# The layers (docs/architecture.md): a folder includes only from the folders below it.
#   scripts/check-layers.sh [ROOT]   checks the tree at ROOT (default: this checkout)
#   scripts/check-layers.sh --self-test   proves the check fails on a violation
# CTest runs both (test `layering`). Exit status 1 lists every offending include.
set -euo pipefail

# folder: the top-level folders its code may include from (besides itself).
declare -A allowed=(
  [common]=""
  [cgroups]="common"
  [runtime]="common cgroups"
  [image]="common cgroups runtime"
  [protocol]="common"
  [taskdef]="common cgroups runtime"
  [agent]="common cgroups runtime image protocol taskdef"
  [controlplane]="common protocol taskdef"
  [skiffctl]="common cgroups runtime image protocol taskdef agent"
)

check() {
  local root=$1 bad=0 folder file line target
  for folder in "${!allowed[@]}"; do
    [[ -d $root/$folder ]] || continue
    while IFS=: read -r file line target; do
      [[ $target == "$folder" || " ${allowed[$folder]} " == *" $target "* ]] && continue
      echo "layering: ${file#"$root"/}:$line includes from $target/, which $folder/ may not" >&2
      bad=1
    done < <(grep -rnoE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[A-Za-z0-9_.-]+/' \
               --include='*.h' --include='*.cpp' "$root/$folder" |
             sed -E 's#^([^:]+):([0-9]+):.*"([^/]+)/$#\1:\2:\3#')
  done
  return $bad
}

if [[ ${1:-} == --self-test ]]; then
  t=$(mktemp -d)
  trap 'rm -rf "$t"' EXIT
  mkdir -p "$t/agent" "$t/controlplane" "$t/common"
  printf '#include "common/error.h"\n' >"$t/agent/ok.cpp"
  check "$t" || { echo "self-test: a clean tree was refused" >&2; exit 1; }
  printf '#include "agent/engine/engine.h"\n' >"$t/controlplane/up.cpp"
  if check "$t" 2>/dev/null; then echo "self-test: controlplane -> agent was accepted" >&2; exit 1; fi
  printf '#include "tests/support/simagent/sim_agent.h"\n' >"$t/common/x.h"
  rm "$t/controlplane/up.cpp"
  if check "$t" 2>/dev/null; then echo "self-test: production -> tests was accepted" >&2; exit 1; fi
  echo "self-test: violations are found"
  exit 0
fi

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if check "$root"; then echo "layering: no folder includes upward"; else exit 1; fi
