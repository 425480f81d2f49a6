#!/bin/bash
# Make the demo guest of 'make run': Debian's kernel (linux-image-amd64)
# and an initramfs around busybox-static, both from apt, cached.
# Prints the directory holding vmlinuz and initrd.gz.
set -euo pipefail
. "$(dirname "$0")/common.sh"

GUEST_CACHE=$CACHE_DIR/guest
OUT=$BUILD_ROOT/guest
BUSYBOX=/bin/busybox
mkdir -p "$GUEST_CACHE" "$OUT"

# The kernel package linux-image-amd64 points at today.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
       awk '/Depends: linux-image-[0-9]/ && !found++ { print $2 }')
if [ -z "$kpkg" ]; then
    kpkg=$(ls "$GUEST_CACHE"/linux-image-*.deb 2>/dev/null | head -n 1 |
           sed 's|.*/||; s|_.*||')
fi
[ -n "$kpkg" ] || die "cannot tell which kernel package linux-image-amd64 means (apt-get update?)"
deb=$(ls "$GUEST_CACHE/${kpkg}"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
    note "downloading $kpkg"
    (cd "$GUEST_CACHE" && apt-get download -q "$kpkg" >/dev/null 2>&1) ||
        die "apt-get download $kpkg failed"
    deb=$(ls "$GUEST_CACHE/${kpkg}"_*.deb | head -n 1)
fi
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed" ||
    die "busybox-static is not installed (run 'make deps' as root)"

stamp="$deb $(sha256sum "$0" | cut -c1-16) $(stat -c %Y "$BUSYBOX")"
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ]; then
    echo "$OUT"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/k"
cp "$tmp"/k/boot/vmlinuz-* "$OUT/vmlinuz"
kver=$(ls "$tmp/k/lib/modules")

# The initramfs: busybox, the e1000 driver for -nic user, and an init.
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$tmp/k/lib/modules/$kver/kernel/drivers/net/ethernet/intel/e1000/e1000.ko" \
    "$root/lib/modules/"
cat > "$root/init" <<'EOI'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
echo 1 > /proc/sys/kernel/printk
insmod /lib/modules/e1000.ko 2>/dev/null
ip link set lo up
if ip link set eth0 up 2>/dev/null; then
    udhcpc -q -n -t 3 -i eth0 -s /etc/udhcpc.script >/dev/null 2>&1
fi
echo
echo "qemu-resilient demo guest: $(uname -sr), $(nproc) vCPU(s)"
echo "network: $(ip -4 -o addr show eth0 2>/dev/null | awk '{print $4}')"
echo "type 'poweroff' to power the guest off"
echo
export PS1='resilient-guest:\w# ' HOME=/ PATH=/bin
# This script is PID 1: busybox's poweroff, halt and reboot signal it.
trap 'poweroff -f' USR2
trap 'halt -f' USR1
trap 'reboot -f' TERM
setsid cttyhack sh &
wait
poweroff -f
EOI
cat > "$root/etc/udhcpc.script" <<'EOI'
#!/bin/sh
case "$1" in
bound|renew)
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "${router%% *}"
    for d in $dns; do echo "nameserver $d"; done > /etc/resolv.conf
    ;;
esac
EOI
chmod +x "$root/init" "$root/etc/udhcpc.script"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$OUT/initrd.gz"
echo "$stamp" > "$OUT/stamp"
echo "$OUT"
