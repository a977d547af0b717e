#!/usr/bin/env bash
# Installs every Debian 12 package Skiff needs to build, test and run its demo.
# Idempotent: installs only what is missing, so a second run does nothing.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config clang-format
  # lld: the sanitizer and fuzz builds link with it (CMakeLists.txt)
  lld
  # fuzzing (scripts/fuzz.sh): libFuzzer comes with clang's runtime libraries
  clang-14 libclang-rt-14-dev
  # libraries
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev
  libcap-dev libseccomp-dev libarchive-dev nettle-dev libssl-dev libboost-dev libsystemd-dev
  libsqlite3-dev
  # runtime tests: the busybox bundle (tests/fixtures), peers and clients of skiff-runtime
  busybox-static jq runc crun podman catatonit umoci iproute2 procps
  # image tests: a real registry on loopback, its htpasswd, and skopeo to push to it
  docker-registry apache2-utils skopeo openssl
  # benches: GNU time for peak RSS, curl for the agent API (bench/agent)
  time curl
  # pure cgroup-v2 test VM (scripts/vm)
  qemu-system-x86 kmod cpio xz-utils
)

if [[ $(id -u) != 0 ]]; then
  echo "setup.sh: run as root (it installs packages with apt-get)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup.sh: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
