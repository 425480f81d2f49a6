#!/bin/bash
# Build the merged tree's documentation (upstream's manual with the fork's
# pages) as upstream's docs/meson.build would with --enable-werror:
# Sphinx with warnings as errors.  HTML in build/docs/html; the doctrees
# stay, so that a rebuild reads only what changed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$BUILD_ROOT/docs
command -v sphinx-build >/dev/null ||
    die "sphinx-build missing (apt-get install python3-sphinx python3-sphinx-rtd-theme)"
"$TOP/scripts/prepare-tree.sh"
mkdir -p "$out"
# --keep-going: every warning is listed, and the build still fails.
env CONFDIR=/etc/qemu sphinx-build -q -W --keep-going -Dkerneldoc_werror=1 \
    -j auto -Dversion="$(cat "$SRC_TREE/VERSION")" \
    -Drelease="qemu-resilient $FORK_VERSION, Debian $UPSTREAM_VERSION" \
    -b html -d "$out/doctrees" "$SRC_TREE/docs" "$out/html"
note "documentation in $out/html"
