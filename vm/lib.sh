# vm/lib.sh -- the parts of vm/run and vm/run2 they share; sourced by both
# (bash).  The caller sets `prog` (its name, for messages) and `here` (this
# directory) first, then calls:
#
#   vm_knobs MEM TIMEOUT      the VM_* knobs (see vm/run), with these defaults
#   vm_prepare                kernel + initramfs, cached; sets KERNEL INITRD ...
#   vm_mktemp                 vm_tmp: a scratch directory, removed on exit
#   vm_job DIR HOST ADDR MAC CMD...
#                             DIR/job.env + DIR/cmd.sh for one VM running CMD
#                             (ADDR/MAC: its network card, or "" for none)
#   vm_qemu DIR QEMU-ARGS...  the qemu command line for that VM, in `qemu`
#   vm_boot DIR FILTER...     starts it in the background, CMD's output
#                             through FILTER
#   vm_wait                   until every VM started has stopped
#   vm_verdict DIR            vm_status: CMD's exit status, or 124/125 with a
#                             message on stderr
#
# vm_cleanup (the EXIT trap both install) kills what is still running.
#
# shellcheck shell=bash disable=SC2154,SC2034  # (prog, vm_start: the caller's; vm_status: its result)

DEFAULT_MODULES="veth bridge 8021q vxlan macvlan macvtap ipvlan dummy bonding
ifb vrf geneve macsec ipip ip_gre gre ip6_tunnel ip6_gre sit ip_vti ip6_vti
nlmon tun tap nf_tables nft_masq nft_nat nft_chain_nat nf_nat"
# Modules the initramfs needs to reach the host's files, in load order.
BOOT_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay"

die() { echo "$prog: $*" >&2; exit 125; }
note() { echo "$prog: $*" >&2; }

vm_knobs() {   # MEM TIMEOUT
    VM_TIMEOUT=${VM_TIMEOUT:-$2}
    VM_CACHE=${VM_CACHE:-$(dirname "$here")/.cache/vm}
    VM_MEM=${VM_MEM:-$1}
    VM_SMP=${VM_SMP:-1}
    VM_MODULES=${VM_MODULES-$DEFAULT_MODULES}
    VM_WRITABLE=${VM_WRITABLE:-0}
    VM_APPEND=${VM_APPEND:-}
    VM_DEBUG=${VM_DEBUG:-0}
    [[ $VM_TIMEOUT =~ ^[0-9]+$ ]] || die "VM_TIMEOUT must be a number of seconds"
}

# Host tools
# --------------------------------------------------------------------------
pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

ensure_host_tools() {
    local missing=()
    command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
    pkg_installed busybox-static || missing+=(busybox-static)
    { command -v depmod && command -v modprobe; } >/dev/null 2>&1 || missing+=(kmod)
    command -v cpio >/dev/null || missing+=(cpio)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (install them as root)"
    note "installing ${missing[*]} ..."
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >"$VM_CACHE/apt.log" 2>&1; then
        apt-get update -q >>"$VM_CACHE/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >>"$VM_CACHE/apt.log" 2>&1 \
            || die "apt-get install ${missing[*]} failed, see $VM_CACHE/apt.log"
    fi
}

# --------------------------------------------------------------------------
# Kernel (cached: VM_CACHE/kernel -> VM_CACHE/<package>, with depmod done)
# --------------------------------------------------------------------------
kernel_pkg_name() {
    # The versioned image package that linux-image-amd64 points to.
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}

ensure_kernel() {
    local pkg=${VM_KERNEL_PKG:-}
    if [ -z "$pkg" ] && [ -f "$VM_CACHE/kernel/.done" ]; then
        return 0                               # cached: no apt look-up at all
    fi
    if [ -n "$pkg" ] && [ -f "$VM_CACHE/$pkg/.done" ]; then
        ln -sfn "$pkg" "$VM_CACHE/kernel"
        return 0
    fi
    if [ -z "$pkg" ]; then
        pkg=$(kernel_pkg_name)
        if [ -z "$pkg" ]; then
            apt-get update -q >"$VM_CACHE/apt.log" 2>&1 || true
            pkg=$(kernel_pkg_name)
        fi
        [ -n "$pkg" ] || die "cannot find the package linux-image-amd64 depends on (apt-get update?)"
    fi
    if [ ! -f "$VM_CACHE/$pkg/.done" ]; then
        note "fetching $pkg (once; cached in $VM_CACHE) ..."
        local dl="$VM_CACHE/dl"
        rm -rf "$dl" "$VM_CACHE/$pkg.tmp"
        mkdir -p "$dl"
        (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg") \
            >"$VM_CACHE/apt.log" 2>&1 ||
            { apt-get update -q >>"$VM_CACHE/apt.log" 2>&1 || true
              (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg") \
                  >>"$VM_CACHE/apt.log" 2>&1; } ||
            die "apt-get download $pkg failed, see $VM_CACHE/apt.log"
        dpkg-deb -x "$dl"/"$pkg"_*.deb "$VM_CACHE/$pkg.tmp" || die "cannot unpack $pkg"
        rm -rf "$dl"
        local kver
        kver=$(ls "$VM_CACHE/$pkg.tmp/lib/modules")
        [ -f "$VM_CACHE/$pkg.tmp/boot/vmlinuz-$kver" ] || die "$pkg has no vmlinuz-$kver"
        depmod -b "$VM_CACHE/$pkg.tmp" "$kver" || die "depmod failed"
        echo "$kver" >"$VM_CACHE/$pkg.tmp/.done"
        mv "$VM_CACHE/$pkg.tmp" "$VM_CACHE/$pkg"
    fi
    ln -sfn "$pkg" "$VM_CACHE/kernel"
}

# The bzImage decompresses itself, which takes ~3 s under emulation.  The
# kernel has a PVH entry point (CONFIG_PVH), so qemu can boot the plain ELF
# vmlinux instead: extract it once (like the kernel's scripts/extract-vmlinux).
# Sets KERNEL to the image to boot.
try_decompress() {   # FILE MAGIC-REGEX COMMAND... ; writes $out on success
    local file=$1 magic=$2 off
    shift 2
    for off in $(LC_ALL=C grep -obUaP "$magic" "$file" 2>/dev/null | cut -d: -f1); do
        tail -c +$((off + 1)) "$file" | "$@" >"$out" 2>/dev/null || true
        [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ] && return 0
    done
    return 1
}
ensure_vmlinux() {
    local kdir=$1 kver=$2 out
    KERNEL="$kdir/boot/vmlinuz-$kver"
    grep -q '^CONFIG_PVH=y' "$kdir/boot/config-$kver" 2>/dev/null || return 0
    if [ ! -f "$kdir/vmlinux" ] && [ ! -f "$kdir/vmlinux.none" ]; then
        out="$kdir/vmlinux.tmp"
        if { command -v xz >/dev/null &&
               try_decompress "$KERNEL" '\xfd7zXZ\x00' xz -dc --single-stream; } ||
           { command -v zstd >/dev/null &&
               try_decompress "$KERNEL" '\x28\xb5\x2f\xfd' zstd -dc; } ||
           try_decompress "$KERNEL" '\x1f\x8b\x08' gzip -dc; then
            mv "$out" "$kdir/vmlinux"
        else
            rm -f "$out"
            : >"$kdir/vmlinux.none"     # don't try again; boot the bzImage
        fi
    fi
    [ -f "$kdir/vmlinux" ] && KERNEL="$kdir/vmlinux"
    return 0
}

# --------------------------------------------------------------------------
# Initramfs (cached by a hash of its inputs): busybox, boot modules, /init
# --------------------------------------------------------------------------
ensure_initramfs() {
    local kdir=$1 kver=$2 key m f stage
    key=$( { echo "$kver"; cat "$here/init.sh"; echo "$BOOT_MODULES";
             sha256sum /bin/busybox; } | sha256sum | cut -c1-16)
    INITRD="$VM_CACHE/initramfs-$key.cpio.gz"
    [ -f "$INITRD" ] && return 0
    note "building the initramfs ..."
    stage=$(mktemp -d "$VM_CACHE/initramfs.XXXXXX")
    mkdir -p "$stage/bin" "$stage/sbin" "$stage/lib/boot-modules" \
             "$stage/dev" "$stage/proc" "$stage/sys"
    cp /bin/busybox "$stage/bin/busybox"
    install -m 755 "$here/init.sh" "$stage/init"
    for m in $BOOT_MODULES; do
        # Module files use either - or _ in their names.
        f=$(find "$kdir/lib/modules/$kver/kernel" \( -name "$m.ko" -o -name "${m//_/-}.ko" \) | head -n 1)
        [ -n "$f" ] && cp "$f" "$stage/lib/boot-modules/$m.ko"
    done
    (cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
        >"$INITRD.tmp" || { rm -rf "$stage"; die "cannot build the initramfs"; }
    rm -rf "$stage"
    mv "$INITRD.tmp" "$INITRD"
    # Drop initramfs images built from older inputs (not at once: a run
    # started just before may still be about to boot one).
    find "$VM_CACHE" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "initramfs-$key.cpio.gz" \
        -mmin +60 -delete
}

# POSIX shell single-quoting (for the files the guest sources/runs).
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }


# --------------------------------------------------------------------------
# Prepare (serialised: concurrent first runs must not race on the cache)
# --------------------------------------------------------------------------
vm_prepare() {
    mkdir -p "$VM_CACHE"
    VM_CACHE=$(cd "$VM_CACHE" && pwd -P)
    [[ $VM_CACHE =~ ^/[A-Za-z0-9._/+-]*$ ]] || die "VM_CACHE path has unusual characters: $VM_CACHE"
    exec 9>"$VM_CACHE/.lock"
    flock 9
    ensure_host_tools
    ensure_kernel
    KDIR=$(cd "$VM_CACHE/kernel" && pwd -P)
    KVER=$(cat "$KDIR/.done")
    ensure_vmlinux "$KDIR" "$KVER"
    ensure_initramfs "$KDIR" "$KVER"
    flock -u 9
    exec 9>&-
}

# --------------------------------------------------------------------------
# Jobs: a directory per VM (visible to the guest through 9p) with job.env,
# cmd.sh and the nonce; qemu leaves its pid, console log and status there.
# --------------------------------------------------------------------------
vm_tmp=
vm_dirs=()
relay_pids=()
# shellcheck disable=SC2317  # (called from the EXIT trap)
vm_cleanup() {
    local dir pid pids=()
    for dir in "${vm_dirs[@]}"; do
        pid=$(cat "$dir/qemu.pid" 2>/dev/null || true)
        # Only kill it if it is still our qemu (its command line names $dir).
        if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/"; then
            kill "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for pid in "${pids[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    for pid in "${relay_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$vm_tmp" ]; then rm -rf "$vm_tmp"; fi
}

# The scratch directory: plain characters only (the guest's shell reads the
# path) and short (qemu's unix sockets live there: 108 bytes at most).
vm_mktemp() {
    vm_tmp=$(mktemp -d "${TMPDIR:-/tmp}/vnet-vm.XXXXXX")
    vm_tmp=$(cd "$vm_tmp" && pwd -P)
    if ! [[ $vm_tmp =~ ^/[A-Za-z0-9._/+-]*$ ]] || [ ${#vm_tmp} -gt 80 ]; then
        rm -rf "$vm_tmp"
        vm_tmp=$(mktemp -d /tmp/vnet-vm.XXXXXX)
    fi
}

vm_job() {   # DIR HOSTNAME NET_ADDR NET_MAC CMD...
    local dir=$1 host=$2 addr=$3 mac=$4 a name d r modlink tmpdirs envv
    shift 4
    mkdir -p "$dir"
    vm_dirs+=("$dir")
    od -An -N8 -tx1 /dev/urandom | tr -d ' \n' >"$dir/nonce"
    # Environment passed to CMD.
    envv=("PATH=$PATH" "HOME=/root" "LANG=C")
    while IFS= read -r name; do
        envv+=("$name=${!name}")
    done < <(compgen -e | grep -E '^(VNET_|LUA_)' || true)
    {
        echo "# written by $prog; run by /bin/sh inside the VM's chroot"
        echo "cd $(sq "$PWD") || { echo $(sq "$prog: cannot cd to $PWD inside the VM") >&2; exit 125; }"
        # env -i: start from an empty environment; then NAME=VALUE..., then CMD.
        printf 'exec env -i --'
        for a in "${envv[@]}"; do printf ' %s' "$(sq "$a")"; done
        for a in "$@"; do printf ' %s' "$(sq "$a")"; done
        printf '\n'
    } >"$dir/cmd.sh"

    # Where the host's /lib/modules really is (e.g. /usr/lib/modules), so the
    # guest can add the module tree there; and the scratch dirs to overlay.
    modlink=$(realpath -m /lib/modules)
    tmpdirs=""
    for d in /tmp /var/tmp; do
        r=$(realpath -m "$d")
        [ -d "$r" ] && [[ $r =~ ^/[A-Za-z0-9._/+-]*$ ]] && tmpdirs="$tmpdirs $r"
    done
    {
        echo "KVER=$(sq "$KVER")"
        echo "MODTREE=$(sq "$KDIR/lib/modules")"
        echo "MODLINK=$(sq "$modlink")"
        echo "MODULES=$(sq "$(printf '%s' "$VM_MODULES" | tr -s ' \t\n' '   ')")"
        echo "WRITABLE=$(sq "$VM_WRITABLE")"
        echo "TMPDIRS=$(sq "${tmpdirs# }")"
        echo "HOSTNAME_VM=$(sq "$host")"
        echo "NET_ADDR=$(sq "$addr")"
        echo "NET_MAC=$(sq "$mac")"
    } >"$dir/job.env"
}

# --------------------------------------------------------------------------
# Boot
# --------------------------------------------------------------------------
vm_qemu() {   # DIR QEMU-ARGS...
    local dir=$1 cmdline
    shift
    # Kernel command line:
    #   console=ttyS0            kernel + init messages -> console log file
    #   panic=-1                 reboot at once on panic; -no-reboot => qemu exits
    #   quiet loglevel=1         only emergencies (panics) reach the console
    #   fb_tunnels=none          no tunl0/gre0/sit0/... in any namespace
    #   dummy.numdummies=0 ...   no dummy0/bond0/ifb0 when those modules load
    #                            (kmod reads modname.param= from /proc/cmdline)
    #   mitigations=off etc.     cheaper under emulation
    cmdline="console=ttyS0 panic=-1 no_timer_check mitigations=off"
    cmdline+=" random.trust_cpu=on 8250.nr_uarts=2 i8042.noaux i8042.nokbd i8042.nopnp"
    cmdline+=" fb_tunnels=none dummy.numdummies=0 bonding.max_bonds=0 ifb.numifbs=0"
    if [ "$VM_DEBUG" = 1 ]; then
        cmdline+=" loglevel=7 vnet_debug=1"
    else
        cmdline+=" quiet loglevel=1"
    fi
    cmdline+=" vnet_job=$dir vnet_nonce=$(cat "$dir/nonce") $VM_APPEND"

    # shellcheck disable=SC2054  # (commas are qemu's)
    qemu=(qemu-system-x86_64
        -machine pc,accel=tcg -cpu max -m "$VM_MEM" -smp "$VM_SMP"
        -nodefaults -no-user-config -display none -vga none -no-reboot
        -kernel "$KERNEL" -initrd "$INITRD" -append "$cmdline"
        -serial "file:$dir/console.log"      # ttyS0: console, parsed below
        -serial stdio                        # ttyS1: CMD's stdout+stderr
        -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
        "$@"
        -pidfile "$dir/qemu.pid")
}

vm_boot() {   # DIR FILTER...
    local dir=$1
    shift
    # qemu may put its stdio into non-blocking mode: give it a pipe of its own
    # and relay with FILTER.  Run in the background so that signals reach our
    # traps at once (bash defers traps while a foreground job runs).
    { qrc=0
      timeout -k 10 "$VM_TIMEOUT" "${qemu[@]}" </dev/null 2>"$dir/qemu.err" || qrc=$?
      echo "$qrc" >"$dir/qemu.rc"; } | "$@" &
    relay_pids+=($!)
}

vm_wait() {
    local pid dir
    for pid in "${relay_pids[@]}"; do wait "$pid" || true; done
    relay_pids=()
    # The relay ends early if our stdout goes away (e.g. `vm/run ... | head`);
    # qemu then just loses the output, so still wait for it to finish.
    for dir in "${vm_dirs[@]}"; do
        while [ ! -s "$dir/qemu.rc" ]; do sleep 0.2; done
    done
}

# --------------------------------------------------------------------------
# Verdict
# --------------------------------------------------------------------------
show_console() {   # DIR [LINES]
    if [ -s "$1/console.log" ]; then
        echo "---- $prog: last lines of the VM console ----" >&2
        tr -d '\r' <"$1/console.log" | tail -n "${2:-40}" >&2
        echo "--------------------------------------" >&2
    fi
}

vm_verdict() {   # DIR; the time taken counts from vm_start
    local dir=$1 nonce qrc elapsed status reason
    nonce=$(cat "$dir/nonce")
    if [ "$VM_DEBUG" = 1 ]; then show_console "$dir" 100000; fi
    qrc=$(cat "$dir/qemu.rc" 2>/dev/null || echo 255)
    elapsed=$(( $(date +%s) - vm_start ))

    status=$(tr -d '\r' <"$dir/console.log" 2>/dev/null |
             sed -n "s/.*VNET-VM-EXIT-$nonce=\([0-9][0-9]*\).*/\1/p" | tail -n 1)
    if [ -n "$status" ]; then
        vm_status=$status
        return 0
    fi
    reason=$(tr -d '\r' <"$dir/console.log" 2>/dev/null |
             sed -n "s/.*VNET-VM-FAIL-$nonce: //p" | tail -n 1)
    if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
        show_console "$dir"
        note "timed out after ${VM_TIMEOUT}s (VM_TIMEOUT); the VM was killed"
        vm_status=124
        return 0
    fi
    if [ "$VM_DEBUG" != 1 ]; then show_console "$dir"; fi
    if [ -s "$dir/qemu.err" ]; then sed "s|^|$prog: qemu: |" "$dir/qemu.err" >&2; fi
    vm_status=125
    if [ -n "$reason" ]; then
        note "the VM failed to set up: $reason"
    elif grep -q 'Kernel panic' "$dir/console.log" 2>/dev/null; then
        note "kernel panic in the VM after ${elapsed}s (qemu exit $qrc)"
    else
        note "the VM stopped without reporting an exit status after ${elapsed}s (qemu exit $qrc): boot failure or kernel panic"
    fi
}
