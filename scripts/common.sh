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
