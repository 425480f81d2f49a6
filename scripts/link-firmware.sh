#!/bin/bash
# Give a build tree its firmware: build the x86 option ROMs from
# pc-bios/optionrom (the +ds tarball has no blobs; Debian does the same)
# and link them, with Debian's SeaBIOS and iPXE ROMs, into the data
# directory a binary run from the build tree searches (qemu-bundle/...).
#
#   scripts/link-firmware.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/common.sh"

build=$(cd "${1:?usage: link-firmware.sh BUILD_DIR}" && pwd)
roms=$build/pc-bios/optionrom
log=$roms/build.log
if [ ! -e "$roms/config.mak" ]; then
    # configure found no compiler for them (clang: build/sanitizers); the
    # ROMs of build/qemu come from the same source.
    roms=$BUILD_ROOT/qemu/pc-bios/optionrom
    [ -e "$roms/kvmvapic.bin" ] || die "no option ROMs: build build/qemu first"
elif ! make -C "$roms" >"$log" 2>&1; then
    cat "$log" >&2
    die "building the x86 option ROMs failed"
fi

# The binary's own data directory: the last one it lists.
datadir=$("$build/qemu-system-x86_64" -L help | tail -n 1)
case $datadir in
"$build"/qemu-bundle/*) ;;
*) die "unexpected data directory '$datadir' for $build" ;;
esac
mkdir -p "$datadir"
for f in "$roms"/*.bin /usr/share/seabios/*.bin \
         /usr/lib/ipxe/qemu/*.rom; do
    [ -e "$f" ] || continue
    ln -sfn "$f" "$datadir/$(basename "$f")"
done
