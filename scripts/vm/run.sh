#!/bin/bash
# Run one command as root in a throw-away qemu (TCG) VM: Debian's 6.1 kernel,
# the host's root filesystem (read-only 9p under a tmpfs overlay), pure
# cgroup v2.  Tests that need a real cgroup2 hierarchy, namespaces or systemd
# as PID 1 run here without touching the host.
#
#   run.sh [--systemd] [--timeout SECS] [--env K=V]... [--cwd DIR] [--log FILE]
#          [--disk FILE] -- COMMAND [ARGS...]
#
# Default mode: a small init runs COMMAND in the delegated cgroup /ci/job
# (SKIFF_TEST_CGROUP_PARENT=/ci).  --systemd: the host's systemd boots as
# PID 1 and runs COMMAND as skiff-vm-job.service.  Job output streams to
# stdout (stderr merged); vm: status lines go to stderr.  Exits with COMMAND's
# status; 125 if the VM cannot start, 124 on timeout or guest crash.  --disk
# attaches FILE (raw) as a virtio disk, /dev/vda in the guest: a real block device
# for tests that must show containers cannot reach one.
# Env: SKIFF_VM_CACHE (default /var/cache/skiff/vm), SKIFF_VM_MEM (MiB, 2048),
# SKIFF_VM_CPUS (2), SKIFF_VM_QEMU (qemu-system-x86_64).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '7,8p' "$0" | sed 's/^#  *//' >&2; exit 125; }
msg() { echo "vm: $*" >&2; }
die() { local rc=$1; shift; msg "error: $*"; exit "$rc"; }

systemd=0 timeout=600 cwd=$PWD log= disk= envs=()
while (($#)); do
    case $1 in
        --systemd) systemd=1; shift ;;
        --timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; timeout=$2; shift 2 ;;
        --env) [[ ${2:-} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || usage; envs+=("$2"); shift 2 ;;
        --cwd) [[ -n ${2:-} ]] || usage; cwd=$2; shift 2 ;;
        --log) [[ -n ${2:-} ]] || usage; log=$2; shift 2 ;;
        --disk) [[ -f ${2:-} ]] || usage; disk=$(realpath -- "$2"); shift 2 ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
(($#)) || usage
cwd=$(realpath -m -- "$cwd")
case $cwd/ in /run/*|/proc/*|/sys/*|/dev/*)
    msg "warning: $cwd is not visible in the VM (a fresh tmpfs or kernel fs there)" ;;
esac

qemu=${SKIFF_VM_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || die 125 "$qemu not found (apt-get install qemu-system-x86)"
bios=/usr/share/qemu/qboot.rom   # faster than SeaBIOS and prints nothing
[[ -f $bios ]] || bios=
# Parallel runs (ctest -j) must not fetch/build the cache at the same time.
cache=${SKIFF_VM_CACHE:-/var/cache/skiff/vm}
mkdir -p "$cache" && exec 9>"$cache/.lock" && flock 9 || die 125 "cannot lock $cache"
kdir=$("$here/fetch-kernel.sh") || die 125 "could not get the Debian 6.1 kernel (see above)"
initrd=$("$here/build-initramfs.sh" "$kdir") || die 125 "could not build the initramfs (see above)"
exec 9>&-
kver=${kdir##*/linux-image-}

# The job share: the command as a bash script (every word %q-quoted), the
# in-VM scripts, and for --systemd the units to copy into the overlay.
job=$(mktemp -d /tmp/skiff-vm-job.XXXXXX)
qpid=
stop_qemu() {  # only ever the qemu this script started; the VM is disposable
    kill -9 "$qpid" 2>/dev/null || true
}
cleanup() {
    if [[ -n $qpid ]]; then stop_qemu; fi
    rm -rf "$job"
}
trap cleanup EXIT
trap 'msg "interrupted"; exit 130' INT
trap 'msg "terminated"; exit 143' TERM

{
    echo '#!/bin/bash'
    echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root'
    echo 'export SKIFF_IN_VM=1'
    ((systemd)) || echo 'export SKIFF_TEST_CGROUP_PARENT=/ci'
    for e in ${envs[@]+"${envs[@]}"}; do printf 'export %q\n' "$e"; done
    printf 'cd -- %q || exit 126\n' "$cwd"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$job/cmd"
cp "$here/init/stage2" "$here/init/run-job" "$job/"

append="console=ttyS0 quiet loglevel=0 panic=-1"
if ((systemd)); then
    mkdir "$job/systemd"
    cp "$here"/init/systemd/* "$job/systemd/"
    # Units that hang, wait for devices or are just slow in this VM; and tmp.mount, whose
    # tmpfs would hide the host's /tmp (where a CI clone, and so the job, may live).
    for u in getty.target serial-getty@ttyS0.service getty@tty1.service console-getty.service \
             systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
             systemd-udevd-control.socket systemd-udevd-kernel.socket \
             networking.service systemd-networkd.service systemd-networkd-wait-online.service \
             systemd-timesyncd.service systemd-pstore.service systemd-firstboot.service \
             systemd-random-seed.service systemd-hwdb-update.service ldconfig.service \
             apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
             e2scrub_reap.service fstrim.timer man-db.timer postgresql.service \
             systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
             modprobe@.service kmod-static-nodes.service tmp.mount; do
        ln -s /dev/null "$job/systemd/$u"
    done
    append+=" systemd.unified_cgroup_hierarchy=1 systemd.unit=skiff-vm-job.target systemd.log_color=0"
fi

mem=${SKIFF_VM_MEM:-2048} cpus=${SKIFF_VM_CPUS:-2}
msg "booting Debian kernel $kver (tcg, $cpus cpus, ${mem}M$( ((systemd)) && echo ', systemd'))..."
start=$EPOCHREALTIME
"$qemu" -accel tcg,thread=multi -cpu max -m "$mem" -smp "$cpus" \
    -nographic -no-reboot -nodefaults -serial stdio -net none ${bios:+-bios "$bios"} \
    -kernel "$kdir/vmlinux" -initrd "$initrd" -append "$append" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
    -virtfs "local,path=$job,mount_tag=job,security_model=passthrough" \
    ${disk:+-drive "file=$disk,if=virtio,format=raw"} \
    </dev/null &
qpid=$!

deadline=$((SECONDS + timeout)) timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then timed_out=1; stop_qemu; break; fi
    sleep 0.1
done
qrc=0; wait "$qpid" 2>/dev/null || qrc=$?
qpid=
secs=$(awk "BEGIN{printf \"%.1f\", $EPOCHREALTIME - $start}")

[[ -z $log || ! -f $job/log ]] || cp "$job/log" "$log"
if ((timed_out)); then
    die 124 "timeout: killed the VM after ${timeout} s"
fi
if [[ ! -s $job/status ]]; then
    die 124 "the guest died without a job status after $secs s (qemu exit $qrc)"
fi
rc=$(<"$job/status")
msg "job exited $rc after $secs s"
exit "$rc"
