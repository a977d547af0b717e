#!/usr/bin/env bash
# bench/image/run.sh: `skiffctl image pull` + `skiffctl image bundle` against
# `skopeo copy docker://… oci:…` + `umoci unpack`, for one generated three-layer image of
# about 100 MB (text, binary noise, many small files) served by Debian's docker-registry
# on 127.0.0.1 over plain HTTP. Every run starts from an empty store/layout. Writes
# bench/results/image.md. Needs root (bundles mount overlayfs), builds skiffctl first.
#
# Environment: RUNS (default 5), BUILD (build dir, default build/release), SKIFFCTL (a
# prebuilt skiffctl instead of building one), OUT (default bench/results/image.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
build=${BUILD:-build/release}
if [[ -n ${SKIFFCTL:-} ]]; then
  skiffctl=$SKIFFCTL
else
  [[ -f $build/build.ninja ]] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target skiffctl >/dev/null
  skiffctl=$PWD/$build/skiffctl/skiffctl
fi
for tool in docker-registry skopeo umoci jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$0: $tool missing (scripts/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d /var/tmp/skiff-image-bench.XXXXXX)
registry_pid=
cleanup() {
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null && { wait "$registry_pid" 2>/dev/null || true; }
  for b in "$work"/skiff-bundle-*; do
    [[ -d $b ]] && "$skiffctl" --root "${b/skiff-bundle-/skiff-root-}" image rm-bundle "$b" >/dev/null 2>&1
  done
  rm -rf -- "$work"
}
trap cleanup EXIT

# --- the image: 3 layers, ~100 MB uncompressed, mixed content -----------------------
oci=$work/oci
umoci init --layout "$oci"
umoci new --image "$oci:bench"
umoci config --image "$oci:bench" --config.cmd /bin/sh
add_layer() {  # add_layer FUNCTION: unpack, let FUNCTION add to rootfs, repack
  rm -rf "$work/b"
  umoci unpack --rootless --image "$oci:bench" "$work/b" >/dev/null
  "$1" "$work/b/rootfs"
  umoci repack --image "$oci:bench" "$work/b" >/dev/null
}
layer_base() {  # ~34 MB: busybox and base64 text (compresses to about 3/4)
  mkdir -p "$1/bin" "$1/usr/share"
  cp /bin/busybox "$1/bin/"
  local i
  for i in $(seq 8); do head -c 3M /dev/urandom | base64 -w 76 >"$1/usr/share/text-$i.txt"; done
}
layer_binary() {  # ~40 MB of noise in a few large files (does not compress)
  mkdir -p "$1/opt/blobs"
  local i
  for i in $(seq 4); do head -c 10M </dev/urandom >"$1/opt/blobs/blob-$i.bin"; done
}
layer_small() {  # ~20 MB in 5,000 small files
  mkdir -p "$1/var/lib/small"
  local d
  for d in $(seq 50); do
    mkdir -p "$1/var/lib/small/$d"
    head -c 400K /dev/urandom | split -b 4096 -d -a 3 - "$1/var/lib/small/$d/f"
  done
}
add_layer layer_base
add_layer layer_binary
add_layer layer_small
image_mb=$(du -sm "$work/b/rootfs" | cut -f1)
compressed_mb=$(du -sm "$oci/blobs" | cut -f1)

port=$(shuf -i 20000-60000 -n 1)
cat >"$work/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
host=127.0.0.1:$port
skopeo copy --quiet --dest-tls-verify=false "oci:$oci:bench" "docker://$host/bench:latest"

# --- measurements ---------------------------------------------------------------------
# measure NAME CMD...: appends "NAME wall_s cpu_s maxrss_kb" to $work/times
measure() {
  local name=$1
  shift
  /usr/bin/time -o "$work/t" -f "%e %U %S %M" "$@" >/dev/null 2>"$work/err" ||
    { echo "$0: $name failed:" >&2; cat "$work/err" >&2; exit 1; }
  echo "$name $(cat "$work/t")" >>"$work/times"
}
: >"$work/times"
for i in $(seq "$runs"); do  # interleaved, so drift hits both tools alike
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
  measure skiff-pull "$skiffctl" --root "$work/skiff-root-$i" image pull --insecure "$host" \
    "$host/bench:latest"
  measure skiff-bundle "$skiffctl" --root "$work/skiff-root-$i" image bundle "$host/bench:latest" \
    "$work/skiff-bundle-$i"
  measure skopeo-copy skopeo copy --quiet --src-tls-verify=false "docker://$host/bench:latest" \
    "oci:$work/skopeo-$i:bench"
  measure umoci-unpack umoci unpack --image "$work/skopeo-$i:bench" "$work/umoci-bundle-$i"
  "$skiffctl" --root "$work/skiff-root-$i" image rm-bundle "$work/skiff-bundle-$i" >/dev/null
  rm -rf "$work/skiff-root-$i" "$work/skopeo-$i" "$work/umoci-bundle-$i"
done

# The cached paths, timed in-process by bench/image/cache_bench.cpp: a re-pull with every
# blob present, and a second container's bundle from the same image.
if [[ -n ${CACHE_BENCH:-} ]]; then
  cache_bench=$CACHE_BENCH
else
  [[ -f $build/build.ninja ]] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target image-cache-bench >/dev/null
  cache_bench=$PWD/$build/bench/image-cache-bench
fi
"$skiffctl" --root "$work/cache-root" image pull --insecure "$host" "$host/bench:latest" >/dev/null
mkdir -p "$work/cache-work"
"$cache_bench" "$work/cache-root" "$host/bench:latest" "$host" "$work/cache-work" 20 >"$work/cache"
read -r _ repull_med repull_max _ repull_blobs < <(grep '^repull_ms' "$work/cache")
read -r _ bundle_med bundle_max _ bundle_unpacked < <(grep '^bundle_ms' "$work/cache")
rm -rf "$work/cache-root"

median() {  # median STEP FIELD(2=wall 3=user 4=sys 5=rss; 34 = user+sys)
  awk -v s="$1" -v f="$2" '$1 == s { v = (f == 34) ? $3 + $4 : $f; print v }' "$work/times" |
    sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m }'
}
sum_median() {  # median over runs of step1+step2 for FIELD
  awk -v a="$1" -v b="$2" -v f="$3" '
    $1 == a || $1 == b { v = (f == 34) ? $3 + $4 : $f; if (f == 5) { if (v > t[$1 "#" ++n[$1]]) t[$1 "#" n[$1]] = v } else t[$1 "#" ++n[$1]] = v }
    END { for (i = 1; i <= n[a]; i++) { x = (f == 5) ? (t[a "#" i] > t[b "#" i] ? t[a "#" i] : t[b "#" i]) : t[a "#" i] + t[b "#" i]; print x } }' "$work/times" |
    sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m }'
}
row() {  # row LABEL STEP [STEP2]
  local w c r
  if [[ $# -eq 3 ]]; then
    w=$(sum_median "$2" "$3" 2); c=$(sum_median "$2" "$3" 34); r=$(sum_median "$2" "$3" 5)
  else
    w=$(median "$2" 2); c=$(median "$2" 34); r=$(median "$2" 5)
  fi
  printf '| %s | %.2f | %.2f | %.1f |\n' "$1" "$w" "$c" "$(echo "$r" | awk '{print $1 / 1024}')"
}

out=${OUT:-bench/results/image.md}
{
  echo "# Image pull + bundle: skiffctl vs skopeo + umoci"
  echo
  echo "\`bench/image/run.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r)."
  echo "One image, 3 layers (text, binary noise, 5,000 small files): ${image_mb} MB unpacked,"
  echo "${compressed_mb} MB of gzip blobs, served by docker-registry $(docker-registry --version | awk '{print $3}')"
  echo "on 127.0.0.1 over plain HTTP. $runs interleaved runs, each into an empty store/layout,"
  echo "page cache dropped before each; medians. Wall, CPU (user+sys) and peak RSS from GNU"
  echo "time. skopeo $(skopeo --version | awk '{print $3}'), umoci $(umoci --version | awk '{print $3}')."
  echo "\`skiffctl image bundle\` unpacks the layers once into the layer cache and mounts an"
  echo "overlay; \`umoci unpack\` extracts a full rootfs copy. skiffctl fsyncs every blob before"
  echo "publishing it; skopeo's oci: layout does not."
  echo
  echo "| step | median wall s | median CPU s | median peak RSS MiB |"
  echo "|---|---|---|---|"
  row "skiffctl image pull" skiff-pull
  row "skopeo copy docker:// oci:" skopeo-copy
  row "skiffctl image bundle" skiff-bundle
  row "umoci unpack" umoci-unpack
  row "**skiffctl pull + bundle**" skiff-pull skiff-bundle
  row "**skopeo copy + umoci unpack**" skopeo-copy umoci-unpack
  echo
  echo "Peak RSS of a two-step row is the larger of its two steps."
  echo
  echo "Cached paths (in-process, 20 runs; targets: re-pull ≤ 20 ms with 0 downloads, second"
  echo "container's overlay ≤ 5 ms with no unpack):"
  echo
  echo "| cached path | median ms | max ms | |"
  echo "|---|---|---|---|"
  echo "| re-pull of a cached image (one manifest request) | $repull_med | $repull_max | blobs downloaded: $repull_blobs |"
  echo "| second container's bundle (overlay mount + lease + config.json) | $bundle_med | $bundle_max | layers unpacked: $bundle_unpacked |"
} >"$out"
cat "$out"
