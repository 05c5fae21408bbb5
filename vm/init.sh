#!/bin/busybox sh
# vm/init.sh -- PID 1 of the vnet full-kernel test VM (see vm/run).
#
# This file is copied verbatim into the initramfs as /init.  It runs under
# busybox (static), and its job is:
#
#   1. load the few modules needed to reach the host's files (virtio-pci, 9p,
#      overlayfs) from /lib/boot-modules,
#   2. mount the host's root filesystem (exported read-only by qemu over 9p,
#      mount tag "host") on /host,
#   3. build the chroot /newroot: a read-only overlay of
#        /layer  (tiny tmpfs: /lib/modules -> the unpacked module tree)
#        /host   (the host's root)
#      plus proc, sysfs, devtmpfs, devpts, cgroup2, and tmpfs scratch space on
#      /run, /dev/shm, /tmp and /var/tmp (the last two are overlays over the
#      host's directories, so a cwd below the host's /tmp still exists),
#   4. point kernel.modprobe at a helper that runs the host's kmod inside the
#      chroot, so on-demand module loading (request_module) works, and preload
#      the modules listed by the host,
#   4b. with NET_ADDR set (vm/run2), bring the network card up as eth0,
#   5. run the host-generated command script with stdout+stderr into a pipe
#      relayed to ttyS1 (which qemu connects to vm/run's stdout),
#   6. print "VNET-VM-EXIT-<nonce>=<status>" on the console (ttyS0, which qemu
#      writes to a log file that vm/run parses) and power off.
#
# Any failure before the command runs is reported as
# "VNET-VM-FAIL-<nonce>: <reason>" on the console.  If this script itself
# dies, the kernel panics (PID 1 exited), panic=-1 reboots at once and qemu's
# -no-reboot makes qemu exit: vm/run then reports "no exit status".
#
# Configuration comes from the kernel command line (vnet_job=DIR
# vnet_nonce=WORD) and from DIR/job.env (written by vm/run, inside the host's
# filesystem, so visible here below /host).

export PATH=/bin:/sbin
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /host /layer /newroot /scratch
/bin/busybox --install -s /bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Everything this script says goes to the console (ttyS0 -> log file).
exec </dev/null >/dev/console 2>&1
# Keep kernel messages off the console unless vm/run asked for them.
grep -q 'vnet_debug=1' /proc/cmdline || dmesg -n 1

NONCE=x
JOB=
# 9p cache mode: "loose" caches the host's files in the guest's page cache
# (the host does not change them under a short-lived VM); "none" is the
# uncached alternative (VM_APPEND=vnet_9pcache=none).
CACHE9P=loose
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        vnet_job=*)   JOB=${arg#vnet_job=} ;;
        vnet_nonce=*) NONCE=${arg#vnet_nonce=} ;;
        vnet_9pcache=*) CACHE9P=${arg#vnet_9pcache=} ;;
    esac
done

poweroff_now() {
    sync
    poweroff -f
    reboot -f      # -no-reboot turns this into a qemu exit as well
    sleep 60
}
fail() {
    echo "VNET-VM-FAIL-$NONCE: $*"
    poweroff_now
}
[ -n "$JOB" ] || fail "no vnet_job= on the kernel command line"

# --- 1. boot modules -------------------------------------------------------
# Order matters (no modules.dep here); a module that is built in or absent is
# simply skipped.
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
         virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay; do
    [ -f "/lib/boot-modules/$m.ko" ] && insmod "/lib/boot-modules/$m.ko"
done

# --- 2. the host's root ----------------------------------------------------
# The virtio device may need a moment to be bound after virtio_pci loads.
ok=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    if mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache="$CACHE9P" \
            host /host 2>/dev/null; then
        ok=1; break
    fi
    sleep 0.5
done
[ -n "$ok" ] || fail "cannot mount the host filesystem over 9p (mount_tag=host)"

[ -f "/host$JOB/job.env" ] || fail "job file /host$JOB/job.env not found"
# Defines: KVER MODTREE MODLINK MODULES WRITABLE TMPDIRS HOSTNAME_VM NET_ADDR
# NET_MAC
# shellcheck disable=SC1090
. "/host$JOB/job.env" || fail "cannot read job file"
cp "/host$JOB/cmd.sh" /cmd.sh || fail "cannot copy command script"
[ -d "/host$MODTREE/$KVER" ] || fail "module tree /host$MODTREE/$KVER not found"

# --- 3. the chroot ---------------------------------------------------------
# /layer supplies what the host lacks: /lib/modules/KVER (MODLINK is where the
# host's /lib/modules really lives, e.g. /usr/lib/modules on merged-/usr).
mount -t tmpfs -o mode=755 layer /layer || fail "tmpfs"
mkdir -p "/layer${MODLINK%/*}"
ln -s "$MODTREE" "/layer$MODLINK"
if [ "$WRITABLE" = 1 ]; then
    # Writable root: all changes go to a tmpfs and vanish with the VM.
    mount -t tmpfs -o mode=755 rw /scratch || fail "tmpfs"
    mkdir -p /scratch/root/u /scratch/root/w
    mount -t overlay -o lowerdir=/layer:/host,upperdir=/scratch/root/u,workdir=/scratch/root/w \
        overlay /newroot || fail "cannot mount the root overlay (writable)"
else
    mount -t overlay -o ro,lowerdir=/layer:/host overlay /newroot \
        || fail "cannot mount the root overlay"
    mount -t tmpfs -o mode=755 scratch /scratch || fail "tmpfs"
    # /tmp and /var/tmp: the host's contents, writable, changes discarded.
    n=0
    for d in $TMPDIRS; do
        n=$((n + 1))
        [ -d "/host$d" ] || continue
        mkdir -p "/scratch/t$n/u" "/scratch/t$n/w"
        chmod 1777 "/scratch/t$n/u"
        mount -t overlay -o "lowerdir=/host$d,upperdir=/scratch/t$n/u,workdir=/scratch/t$n/w" \
            overlay "/newroot$d" || mount -t tmpfs -o mode=1777 tmp "/newroot$d" \
            || fail "cannot mount scratch space on $d"
    done
fi
R=/newroot
mount -t proc proc $R/proc || fail "proc"
mount -t sysfs sysfs $R/sys || fail "sysfs"
mount -t devtmpfs devtmpfs $R/dev || fail "devtmpfs"
mkdir -p $R/dev/pts $R/dev/shm
# Static nodes for modules that are loaded when their node is opened (what
# `kmod static-nodes` sets up on a normal system): /dev/net/tun, fuse, ...
while read -r mod node dev; do
    case "$mod" in '#'*|'') continue ;; esac
    [ -e "$R/dev/$node" ] && continue
    case "$node" in */*) mkdir -p "$R/dev/${node%/*}" ;; esac
    maj=${dev#?}; min=${maj#*:}; maj=${maj%:*}
    mknod -m 600 "$R/dev/$node" "$(echo "$dev" | cut -c1)" "$maj" "$min" 2>/dev/null
done <"/host$MODTREE/$KVER/modules.devname"
chmod 666 $R/dev/net/tun $R/dev/fuse 2>/dev/null
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
mount -t tmpfs -o mode=755 run $R/run || fail "cannot mount tmpfs on /run"
mkdir -p $R/run/netns $R/run/lock
chmod 1777 $R/run/lock

# --- 4. modules ------------------------------------------------------------
# request_module() runs kernel.modprobe with the root of PID 1, i.e. this
# initramfs; the helper re-enters the chroot to use the host's kmod, which
# finds the tree through /lib/modules and honours modname.param= options on
# the kernel command line.
cat >/sbin/vm-modprobe <<'EOF'
#!/bin/sh
exec /bin/chroot /newroot /sbin/modprobe "$@"
EOF
chmod 755 /sbin/vm-modprobe
echo /sbin/vm-modprobe >/proc/sys/kernel/modprobe
# One modprobe call for all of them (kmod goes on past a failure); name the
# culprits only if something failed.
# shellcheck disable=SC2086  # (MODULES is a word list)
if [ -n "$MODULES" ] && ! chroot $R /sbin/modprobe -a -q $MODULES; then
    for m in $MODULES; do
        grep -q "^$m " /proc/modules || chroot $R /sbin/modprobe -q "$m" ||
            echo "vnet-vm: warning: cannot load module $m"
    done
fi

ip link set lo up
hostname "${HOSTNAME_VM:-vnet-vm}"

# The network card, if the VM has one (vm/run2): found by its MAC address,
# named eth0, given NET_ADDR and brought up.
if [ -n "${NET_ADDR:-}" ]; then
    chroot $R /sbin/modprobe -q virtio_net || fail "cannot load virtio_net"
    dev=
    for _ in $(seq 1 50); do
        for d in /sys/class/net/*; do
            [ "$(cat "$d/address" 2>/dev/null)" = "$NET_MAC" ] && dev=${d##*/}
        done
        [ -n "$dev" ] && break
        sleep 0.1
    done
    [ -n "$dev" ] || fail "no network card with MAC address $NET_MAC"
    if [ "$dev" != eth0 ]; then
        ip link set "$dev" name eth0 || fail "cannot rename $dev to eth0"
    fi
    ip addr add "$NET_ADDR" dev eth0 || fail "cannot add $NET_ADDR to eth0"
    ip link set eth0 up || fail "cannot bring eth0 up"
fi

# --- 5. the command --------------------------------------------------------
mkdir -p $R/run/vnet-vm
cp /cmd.sh $R/run/vnet-vm/cmd.sh
# Raw mode: bytes pass unchanged (no \n -> \r\n), no echo.
stty -F /dev/ttyS1 raw -echo
# The command writes into a pipe, as it would on a CI host (a tty would make
# git & co. start a pager, and change buffering); cat relays it to ttyS1.
mkfifo /out
cat /out >/dev/ttyS1 &
catpid=$!
echo "vnet-vm: running command"
chroot $R /bin/sh /run/vnet-vm/cmd.sh </dev/null >/out 2>&1
rc=$?

# --- 6. report -------------------------------------------------------------
# Kill whatever the command left running (it may hold the pipe open), let cat
# see EOF, then let stty's tcsetattr(TCSADRAIN) wait until ttyS1 has sent
# everything.
for _ in 1 2; do
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = 1 ] || [ "$p" = "$catpid" ] || kill -KILL "$p" 2>/dev/null
    done
done
for _ in $(seq 1 50); do
    kill -0 "$catpid" 2>/dev/null || break
    sleep 0.1
done
kill -KILL "$catpid" 2>/dev/null
wait "$catpid" 2>/dev/null
stty -F /dev/ttyS1 raw -echo
echo "VNET-VM-EXIT-$NONCE=$rc"
poweroff_now
