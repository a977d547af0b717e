#!/bin/bash
# Build the VM's initramfs (static busybox, init/stage1 as /init, and the few
# modules needed to reach the 9p root) next to a kernel fetched by
# fetch-kernel.sh.  Usage: build-initramfs.sh KERNEL_CACHE_DIR.  Prints the
# initramfs path; rebuilds only when an input (stage1, busybox, module list,
# this script) changed.
set -euo pipefail

kdir=${1:?usage: build-initramfs.sh KERNEL_CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
busybox=${SKIFF_VM_BUSYBOX:-/bin/busybox}
# Load order matters: insmod does not resolve dependencies.
modules="autofs4 binfmt_misc virtio_ring virtio virtio_pci_modern_dev
 virtio_pci_legacy_dev virtio_pci virtio_blk netfs fscache 9pnet 9p 9pnet_virtio overlay
 veth llc stp bridge"
die() { echo "build-initramfs: error: $*" >&2; exit 1; }

[[ -x $busybox ]] || die "$busybox missing (apt-get install busybox-static)"
! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is not static (apt-get install busybox-static)"
command -v cpio >/dev/null || die "cpio missing (apt-get install cpio)"
moddir=$(ls -d "$kdir"/root/lib/modules/*/ | head -n1); moddir=${moddir%/}
[[ -d $moddir ]] || die "no module tree under $kdir/root/lib/modules"

out=$kdir/initramfs.cpio
stamp=$( { cat "$here/init/stage1" "$busybox" "$0"; echo "$modules $moddir"; } | sha256sum | cut -c1-64)
if [[ -f $out && $(cat "$out.stamp" 2>/dev/null) == "$stamp" ]]; then
    echo "$out"; exit 0
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,lower,ovl,newroot,lib/modules}
cp "$busybox" "$tmp/bin/busybox"
install -m 755 "$here/init/stage1" "$tmp/init"
mknod "$tmp/dev/console" c 5 1
echo "$moddir" > "$tmp/modules.path"
for m in $modules; do
    f=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n1)
    case $f in
        "") continue ;;   # built in or absent
        *.xz) xz -dc "$f" > "$tmp/lib/modules/$m.ko" ;;
        *.zst) zstd -qdc "$f" > "$tmp/lib/modules/$m.ko" ;;
        *) cp "$f" "$tmp/lib/modules/$m.ko" ;;
    esac
    echo "$m" >> "$tmp/modules.order"
done
(cd "$tmp" && find . | cpio -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$stamp" > "$out.stamp"
echo "build-initramfs: built $out" >&2
echo "$out"
