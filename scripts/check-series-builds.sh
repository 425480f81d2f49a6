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
# before, and ccache shares objects with build/qemu and build/vanilla.
#
# A prefix that built before with the same inputs is not built again: each
# one that builds leaves a stamp named by the hash of everything its build
# is a function of (the pin, configure, the compiler, every overlay file,
# the targets, its patches), kept beside ccache's cache.  --rebuild ignores
# the stamps.
set -euo pipefail
. "$(dirname "$0")/common.sh"

from=1 to= rebuild=
while [ $# -gt 0 ]; do
    case $1 in
    --from) from=$2; shift 2 ;;
    --to) to=$2; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
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

if command -v ccache >/dev/null; then
    stamps=$(ccache -k cache_dir)/qemu-resilient-series-builds
else
    stamps=$CACHE_DIR/series-builds
fi
mkdir -p "$stamps"

# Overlay files whose content qemu-system-x86_64 is not built from: the
# tests' and the docs' sources.  Their names still count (a meson.build
# may list them), and their meson.build files are read by every build.
unbuilt='^$'
if [ "${targets[*]}" = qemu-system-x86_64 ]; then
    unbuilt='^(tests|docs)/'
fi

# The hash of what every prefix's build shares; each prefix adds its
# patches to it.
key=$(
    cd "$TOP"
    {
        cat upstream.pin configure
        gcc --version | head -n 1
        printf '%s\n' "${targets[@]}"
        git ls-files -co --exclude-standard | grep -Ev "$NON_OVERLAY_RE" |
            sort | while read -r rel; do
                if [[ $rel =~ $unbuilt ]] && [[ $rel != */meson.build ]]; then
                    echo "$rel"
                    continue
                fi
                [ -f "$rel" ] || continue
                echo "$rel $(sha256sum < "$rel")"
            done
    } | sha256sum | cut -d' ' -f1
)

mapfile -t patches < <(grep -v '^#' "$TOP/patches/series")
to=${to:-${#patches[@]}}
n=0 built=0 stamped=0
for p in "${patches[@]}"; do
    n=$((n + 1))
    [ "$n" -le "$to" ] || break
    git -C "$src" am -q --keep-cr "$TOP/patches/$p" >/dev/null ||
        die "patches/$p does not apply"
    key=$(cat <(echo "$key") "$TOP/patches/$p" | sha256sum | cut -d' ' -f1)
    [ "$n" -ge "$from" ] || continue
    if [ -z "$rebuild" ] && [ -f "$stamps/$key" ]; then
        stamped=$((stamped + 1))
        echo "$n/${#patches[@]} built before with the same inputs ($(cat "$stamps/$key")): $p"
        continue
    fi
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
    date -u +%Y-%m-%dT%H:%MZ > "$stamps/$key"
    echo "$n/${#patches[@]} builds ($((SECONDS - start)) s): $p"
done
[ $((built + stamped)) -gt 0 ] || die "no prefix was checked (--from $from --to $to)"
echo "series builds: patches $from to $to, $built built now, $stamped built before with the same inputs"
