#!/bin/bash
# Build every prefix of patches/series: apply the patches one at a time to
# the pinned upstream in a scratch worktree (build/series-builds/src, with
# the overlay linked in) and build after each, so that the series can be
# bisected.  The first patch whose prefix does not build stops the run.
#
#   scripts/check-series-builds.sh [--from N] [--to N] [ninja targets...]
#
# --from N applies patches 1..N-1 without building after them; the default
# target is qemu-system-x86_64.  Each build is incremental on the one
# before, and ccache shares objects with build/qemu.
set -euo pipefail
. "$(dirname "$0")/common.sh"

from=1 to=
while [ $# -gt 0 ]; do
    case $1 in
    --from) from=$2; shift 2 ;;
    --to) to=$2; shift 2 ;;
    *) break ;;
    esac
done
targets=("${@:-qemu-system-x86_64}")
# as the Makefile does: objects keyed by paths relative to the clone
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP} CCACHE_NOHASHDIR=1

root=$BUILD_ROOT/series-builds
src=$root/src
log=$root/log
scratch_worktree "$src"
link_overlay "$src"
: > "$log"

mapfile -t patches < <(grep -v '^#' "$TOP/patches/series")
to=${to:-${#patches[@]}}
n=0 built=0
for p in "${patches[@]}"; do
    n=$((n + 1))
    [ "$n" -le "$to" ] || break
    git -C "$src" am -q --keep-cr "$TOP/patches/$p" >/dev/null ||
        die "patches/$p does not apply"
    [ "$n" -ge "$from" ] || continue
    if [ ! -f "$root/qemu/build.ninja" ]; then
        "$TOP/configure" --series-builds >>"$log" 2>&1 ||
            die "configure failed at patches/$p (see $log)"
    fi
    start=$SECONDS
    if ! ninja -C "$root/qemu" "${targets[@]}" >>"$log" 2>&1; then
        grep -E 'error|FAILED' "$log" | tail -20 >&2
        die "the series up to patches/$p ($n of ${#patches[@]}) does not build (see $log)"
    fi
    built=$((built + 1))
    echo "$n/${#patches[@]} builds ($((SECONDS - start)) s): $p"
done
[ "$built" -gt 0 ] || die "no prefix was built (--from $from --to $to)"
echo "series builds: $built prefixes, patches $from to $to"
