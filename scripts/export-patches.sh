#!/bin/bash
# Write the commits of build/src on top of upstream-base back to patches/:
# one file per commit, git format-patch style, and a new series file.
set -euo pipefail
. "$(dirname "$0")/common.sh"

cd "$SRC_TREE"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
    die "$SRC_TREE has uncommitted changes; commit each logical change first"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
git format-patch -q --zero-commit --no-signature --no-stat -N \
    -o "$out" "$BASE_TAG..HEAD" >/dev/null

for p in "$out"/*.patch; do
    [ -e "$p" ] || continue
    grep -q '^Signed-off-by: ' "$p" ||
        die "$(basename "$p") has no Signed-off-by (git commit -s)"
done

rm -f "$TOP"/patches/*.patch
{
    echo "# qemu-resilient patch queue on $UPSTREAM_SOURCE $UPSTREAM_VERSION; applied in order."
    for p in "$out"/*.patch; do
        [ -e "$p" ] || continue
        cp "$p" "$TOP/patches/"
        basename "$p"
    done
} > "$TOP/patches/series"
(cd "$TOP/patches" && cat series $(grep -v '^#' series)) | sha256sum | cut -d' ' -f1 \
    > .git/resilient-series
note "exported $(git rev-list --count "$BASE_TAG..HEAD") patches to patches/"
