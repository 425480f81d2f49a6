# Shared settings of the fork's scripts; sourced, never run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../upstream.pin
. "$TOP/upstream.pin"

BUILD_ROOT=${BUILD_ROOT:-$TOP/build}
# The merged tree: upstream as the first commit, one commit per patch.
SRC_TREE=$BUILD_ROOT/src
# Downloads live outside the clone so that a fresh clone reuses them;
# tarballs put here by hand are used as they are (after verification).
CACHE_DIR=${QEMU_RESILIENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-resilient}
UPSTREAM_CACHE=$CACHE_DIR/upstream
FORK_VERSION=$(cat "$TOP/resilient-version")
BASE_TAG=upstream-base

# Top-level paths of this repository that are not part of the overlay.
NON_OVERLAY_RE='^(patches|scripts|\.ci)/|^[^/]+$'

die() {
    echo "error: $*" >&2
    exit 1
}

note() {
    echo ">> $*" >&2
}

# The Debian mirror this machine's apt is configured with for release
# @1: the first URI whose suites include the release itself, i.e. the main
# archive (security and third-party sources are skipped that way).
debian_mirror() {
    local rel=$1 mirror
    mirror=$(
        {
            cat /etc/apt/sources.list.d/*.sources 2>/dev/null
            echo
        } | awk -v rel="$rel" '
            /^URIs:/   { uri = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) found = uri }
            /^$/       { if (found) { print found; exit } uri = "" }
            END        { if (found) print found }' | head -n 1
    )
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
        mirror=$(awk -v rel="$rel" '$1 == "deb" && $3 == rel { print $2; exit }' \
                 /etc/apt/sources.list)
    fi
    echo "$mirror"
}

# The stamp of an initramfs made from busybox-static @1 and the files
# @2...: their content and busybox's mtime.
initramfs_stamp() {
    local busybox=$1
    shift
    echo "$(cat "$@" | sha256sum | cut -c1-16) $(stat -c %Y "$busybox")"
}

# Whether directory @1 holds @2, made from inputs whose stamp was @3.
made_from() {
    [ -f "$1/$2" ] && [ "$(cat "$1/stamp" 2>/dev/null)" = "$3" ]
}

# A fresh worktree of build/src at DIR, detached at the pinned upstream:
# the place where a script applies the series without touching build/src.
scratch_worktree() {
    local dir=$1
    [ -d "$SRC_TREE/.git" ] || "$TOP/scripts/prepare-tree.sh"
    git -C "$SRC_TREE" worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"
    git -C "$SRC_TREE" worktree prune
    mkdir -p "$(dirname "$dir")"
    git -C "$SRC_TREE" worktree add -q --detach "$dir" "$BASE_TAG"
}

# Link the overlay files of this repository into the merged tree $1 (and
# drop links to overlay files that are gone), so that edits land here.
link_overlay() {
    local tree=$1 exclude list rel
    exclude=$(git -C "$tree" rev-parse --path-format=absolute --git-path info/exclude)
    list=$(cd "$TOP" && git ls-files -co --exclude-standard | grep -Ev "$NON_OVERLAY_RE" || true)
    # Drop links whose overlay file is gone.
    if [ -f "$exclude" ]; then
        { grep -E '^/' "$exclude" || true; } | sed 's|^/||' | while read -r rel; do
            if [ -L "$tree/$rel" ] && [ ! -e "$TOP/$rel" ]; then
                rm -f "$tree/$rel"
            fi
        done
    fi
    {
        echo "# overlay files of qemu-resilient, linked in by prepare-tree.sh"
        for rel in $list; do
            echo "/$rel"
        done
    } > "$exclude"
    for rel in $list; do
        [ -f "$TOP/$rel" ] || continue
        local dst=$tree/$rel
        if [ -L "$dst" ]; then
            continue
        fi
        if [ -e "$dst" ]; then
            die "overlay file $rel would shadow an upstream file; change upstream files with a patch"
        fi
        mkdir -p "$(dirname "$dst")"
        ln -s "$TOP/$rel" "$dst"
    done
}
