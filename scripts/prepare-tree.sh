#!/bin/bash
# Make build/src the merged source tree: upstream as the first commit
# (tagged upstream-base), one commit per patch of patches/series, and the
# overlay files of this repository linked in, so that edits land here.
# Incremental: an up-to-date tree is left alone.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series_digest() {
    (cd "$TOP/patches" && cat series $(grep -v '^#' series) 2>/dev/null) |
        sha256sum | cut -d' ' -f1
}

extract_upstream() {
    "$TOP/scripts/fetch-upstream.sh"
    local tmp=$BUILD_ROOT/src.tmp
    rm -rf "$tmp"
    mkdir -p "$BUILD_ROOT"
    note "extracting $UPSTREAM_SOURCE $UPSTREAM_VERSION (with Debian's patches)"
    dpkg-source --no-check -x "$UPSTREAM_CACHE/$UPSTREAM_DSC" "$tmp" >/dev/null
    (
        cd "$tmp"
        git init -q -b upstream
        git config user.name "qemu-resilient tree"
        git config user.email "tree@qemu-resilient.invalid"
        git config core.autocrlf false
        git add -A -f .
        git commit -q -m "upstream: QEMU $UPSTREAM_VERSION as Debian packages it"
        git tag "$BASE_TAG"
        git checkout -q -b resilient
    )
    mv "$tmp" "$SRC_TREE"
}

apply_series() {
    local want have
    want=$(series_digest)
    have=$(cat "$SRC_TREE/.git/resilient-series" 2>/dev/null || true)
    [ "$want" = "$have" ] && return 0

    cd "$SRC_TREE"
    if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
        die "$SRC_TREE has uncommitted changes to upstream files and patches/ changed;" \
            "commit them and run 'make export-patches', or discard them"
    fi
    if [ -n "$have" ] && [ "$(git rev-list --count "$BASE_TAG..HEAD")" != 0 ]; then
        # Only re-apply when the commits differ from the series, so that
        # mtimes (and so the incremental build) are kept where possible.
        note "patches/ changed: re-applying the series"
    fi
    git checkout -q resilient 2>/dev/null || true
    git reset -q --hard "$BASE_TAG"
    local p
    for p in $(grep -v '^#' "$TOP/patches/series"); do
        [ -f "$TOP/patches/$p" ] || die "patches/series names $p, which is missing"
        if ! git am -q --keep-cr "$TOP/patches/$p" >/dev/null 2>&1; then
            git am --abort 2>/dev/null || true
            die "patches/$p does not apply to $UPSTREAM_VERSION"
        fi
    done
    echo "$want" > .git/resilient-series
    cd - >/dev/null
}


[ -d "$SRC_TREE/.git" ] || extract_upstream
apply_series
link_overlay "$SRC_TREE"
