#!/bin/bash
# The initramfs of the test guests: busybox-static, init and the static
# guest-helper.  Rebuilt when one of them changes; prints its path.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

HERE=$TOP/tests/guest-linux
OUT=$BUILD_ROOT/guest-linux
BUSYBOX=/bin/busybox
mkdir -p "$OUT"
[ -x "$BUSYBOX" ] || die "busybox-static is not installed (make deps)"

stamp=$(initramfs_stamp "$BUSYBOX" "$HERE/init" "$HERE/guest-helper.c" "$0")
if made_from "$OUT" initrd.gz "$stamp"; then
    echo "$OUT/initrd.gz"
    exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$HERE/init" "$root/init"
gcc -static -O2 -Wall -Wextra -Werror -maes -o "$root/bin/guest-helper" \
    "$HERE/guest-helper.c"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -6) > "$OUT/initrd.gz.new"
mv "$OUT/initrd.gz.new" "$OUT/initrd.gz"
echo "$stamp" > "$OUT/stamp"
echo "$OUT/initrd.gz"
