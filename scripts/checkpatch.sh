#!/bin/bash
# QEMU's checkpatch.pl over the patch queue and the fork's own C sources.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ -d "$SRC_TREE/.git" ] || "$TOP/scripts/prepare-tree.sh"
checkpatch=$SRC_TREE/scripts/checkpatch.pl
fail=0

for p in $(grep -v '^#' "$TOP/patches/series"); do
    if ! out=$("$checkpatch" -q --no-signoff --patch "$TOP/patches/$p" 2>&1); then
        echo "$out"
        fail=1
    fi
done
# Payloads are freestanding guest code, not QEMU code: QEMU's rules about
# osdep.h and its own headers do not apply there; check them for style only.
while read -r f; do
    # Relative paths: checkpatch applies its tests/ rules by path.
    if ! out=$(cd "$TOP" && "$checkpatch" -q --no-tree -f "$f" 2>&1); then
        echo "$out"
        fail=1
    fi
done < <(cd "$TOP" && git ls-files -co --exclude-standard -- '*.c' '*.h' |
         grep -Ev "$NON_OVERLAY_RE")
[ $fail = 0 ] && echo "checkpatch: clean"
exit $fail
