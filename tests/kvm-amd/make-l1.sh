#!/bin/bash
# The KVM host of tests/kvm-amd (L1): Debian's 6.12 kernel of
# tests/guest-linux/kernels.list and an initramfs of busybox-static, the
# kernel's KVM, 9p and hwpoison modules and l1-init.  Rebuilt when one of
# them changes; prints the directory holding vmlinuz and initrd.gz.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

HERE=$TOP/tests/kvm-amd
OUT=$BUILD_ROOT/kvm-amd
BUSYBOX=/bin/busybox
KERNEL=6.12
MODULES=(virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp
         arch/x86/kvm/kvm-amd fs/netfs/netfs net/9p/9pnet
         net/9p/9pnet_virtio fs/9p/9p mm/hwpoison-inject)
[ -x "$BUSYBOX" ] || die "busybox-static is not installed (make deps)"

kernels=$("$TOP/tests/guest-linux/fetch-kernels.sh")
kdir=$kernels/$KERNEL
[ -d "$kdir/modules" ] || die "no modules kept for kernel $KERNEL"
mkdir -p "$OUT"

stamp=$(initramfs_stamp "$BUSYBOX" "$HERE/l1-init" "$0" "$kdir/package")
if made_from "$OUT" initrd.gz "$stamp"; then
    echo "$OUT"
    exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$HERE/l1-init" "$root/init"
for m in "${MODULES[@]}"; do
    ko=$kdir/modules/kernel/$m.ko.xz
    [ -f "$ko" ] || die "kernel $KERNEL has no $m.ko.xz"
    # busybox's insmod does not decompress
    xz -dc "$ko" > "$root/lib/modules/$(basename "$m").ko"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -6) > "$OUT/initrd.gz.new"
mv "$OUT/initrd.gz.new" "$OUT/initrd.gz"
ln -sfn "$kdir/vmlinuz" "$OUT/vmlinuz"
echo "$stamp" > "$OUT/stamp"
echo "$OUT"
