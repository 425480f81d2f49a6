#!/bin/bash
# Check that patches/series applies cleanly to the pinned upstream, in a
# scratch worktree so that build/src is not touched.
set -euo pipefail
. "$(dirname "$0")/common.sh"

scratch=$BUILD_ROOT/series-check
scratch_worktree "$scratch"
trap 'git -C "$SRC_TREE" worktree remove --force "$scratch"' EXIT

n=0
for p in $(grep -v '^#' "$TOP/patches/series"); do
    if ! git -C "$scratch" apply --check --index "$TOP/patches/$p" 2>/dev/null; then
        die "patches/$p does not apply cleanly to $UPSTREAM_VERSION"
    fi
    git -C "$scratch" am -q "$TOP/patches/$p" >/dev/null
    grep -q '^Signed-off-by: ' "$TOP/patches/$p" || die "patches/$p has no Signed-off-by"
    # OpenEmbedded's convention: where the change stands with upstream
    grep -Eq '^Upstream-Status: (Pending|(Submitted|Backport|Inappropriate) \[.+\])$' \
        "$TOP/patches/$p" ||
        die "patches/$p has no Upstream-Status: Pending, Submitted [where], Backport [commit] or Inappropriate [reason]"
    n=$((n + 1))
done
echo "series ok: $n patches apply cleanly to $UPSTREAM_SOURCE $UPSTREAM_VERSION"
