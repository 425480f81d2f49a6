#!/bin/bash
# Check that each patch of patches/series says who signed it and where it
# stands with upstream, then that the series applies cleanly to the
# pinned upstream, in a scratch worktree so that build/src is not touched.
# --rules-only: the first check only.
# RESILIENT_PATCHES=<dir>: another series (tests/setup/series-rules-test.py).
set -euo pipefail
. "$(dirname "$0")/common.sh"
patches=${RESILIENT_PATCHES:-$TOP/patches}
series=$(grep -v '^#' "$patches/series")

for p in $series; do
    grep -q '^Signed-off-by: ' "$patches/$p" || die "patches/$p has no Signed-off-by"
    # OpenEmbedded's convention: where the change stands with upstream;
    # what stays in the fork says why (docs/devel/resilient-patch-queue.rst)
    grep -Eq '^Upstream-Status: (Pending|(Submitted|Backport) \[.+\]|Inappropriate \[fork-only: .+\])$' \
        "$patches/$p" ||
        die "patches/$p has no Upstream-Status: Pending, Submitted [where], Backport [commit] or Inappropriate [fork-only: why]"
done
if [ "${1:-}" = --rules-only ]; then
    echo "series ok: $(echo "$series" | wc -w) patches signed, each with its Upstream-Status"
    exit 0
fi

scratch=$BUILD_ROOT/series-check
scratch_worktree "$scratch"
trap 'git -C "$SRC_TREE" worktree remove --force "$scratch"' EXIT

n=0
for p in $series; do
    if ! git -C "$scratch" apply --check --index "$patches/$p" 2>/dev/null; then
        die "patches/$p does not apply cleanly to $UPSTREAM_VERSION"
    fi
    git -C "$scratch" am -q "$patches/$p" >/dev/null
    n=$((n + 1))
done
echo "series ok: $n patches apply cleanly to $UPSTREAM_SOURCE $UPSTREAM_VERSION"
