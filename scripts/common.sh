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
