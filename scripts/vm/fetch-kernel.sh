#!/bin/bash
# Download (never install) Debian's 6.1 amd64 kernel package into the VM cache
# and cut an uncompressed vmlinux out of its vmlinuz (boots twice as fast under
# TCG).  Prints the kernel's cache directory on stdout; progress goes to stderr.
# Re-downloads only when apt resolves a different kernel package.
set -euo pipefail

CACHE=${SKIFF_VM_CACHE:-/var/cache/skiff/vm}
log() { echo "fetch-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Name of the kernel package linux-image-amd64 points to, else the newest
# linux-image-6.1.0-NN-amd64 apt knows.
resolve() {
    local pkg
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
          sed -n 's/^ *Depends: \(linux-image-6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -n1)
    [[ -n $pkg ]] || pkg=$(apt-cache pkgnames linux-image-6.1. 2>/dev/null |
          grep -E '^linux-image-6\.1\.[0-9.]+-[0-9]+-amd64$' | sort -V | tail -n1)
    echo "$pkg"
}

# Asking apt costs ~0.5 s: reuse the last answer until the apt lists change.
current=$CACHE/kernel/current
if [[ -f $current && $current -nt /var/lib/apt/lists && -f $CACHE/kernel/$(<"$current")/vmlinux ]]; then
    echo "$CACHE/kernel/$(<"$current")"; exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (need a Debian host)"
pkg=$(resolve)
if [[ -z $pkg ]]; then
    log "no kernel package in apt lists; running apt-get update"
    apt-get update -qq >&2 || true
    pkg=$(resolve)
fi
if [[ -z $pkg ]]; then
    # Offline with empty lists: fall back to whatever was fetched before.
    kdir=$(ls -d "$CACHE"/kernel/linux-image-6.1.*-amd64 2>/dev/null | sort -V | tail -n1 || true)
    [[ -n $kdir && -f $kdir/vmlinux ]] || die "cannot resolve linux-image-6.1.*-amd64 via apt"
    log "apt cannot resolve a kernel; using cached $kdir"
    echo "$kdir"; exit 0
fi

kdir=$CACHE/kernel/$pkg
if [[ ! -f $kdir/vmlinux ]]; then
    command -v xz >/dev/null || die "xz not found (apt-get install xz-utils)"
    rm -rf "$kdir.tmp"; mkdir -p "$kdir.tmp"
    log "downloading $pkg"
    if ! (cd "$kdir.tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
        log "download failed; running apt-get update and retrying"
        apt-get update -qq >&2 || true
        (cd "$kdir.tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || die "apt-get download $pkg failed"
    fi
    dpkg-deb -x "$kdir.tmp"/*.deb "$kdir.tmp/root"
    vmlinuz=$(ls "$kdir.tmp"/root/boot/vmlinuz-* | head -n1)
    # The bzImage carries an xz stream; decompress from its magic on (the
    # trailing bytes after the stream make xz complain: ignore that).
    off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1 || true)
    [[ -n $off ]] || die "no xz stream in $vmlinuz"
    tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null > "$kdir.tmp/vmlinux" || true
    [[ $(head -c4 "$kdir.tmp/vmlinux" | od -An -c | tr -d ' ') == 177ELF ]] ||
        die "could not extract vmlinux from $vmlinuz"
    # modules.dep lets modprobe work inside the VM (the tree is visible there
    # over 9p); stage1 itself insmods a fixed list.
    kver=${vmlinuz##*/vmlinuz-}
    if command -v depmod >/dev/null; then depmod -b "$kdir.tmp/root" "$kver"; fi
    # Keep only what the VM needs: vmlinux, config and the module tree.
    rm -f "$kdir.tmp"/*.deb
    rm -rf "$kdir.tmp"/root/usr "$kdir.tmp"/root/etc
    rm -rf "$kdir"; mv "$kdir.tmp" "$kdir"
    log "cached $kdir"
fi
echo "$pkg" > "$current"
echo "$kdir"
