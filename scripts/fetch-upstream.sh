#!/bin/bash
# Fetch the pinned upstream source package into the cache and verify it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

verify() {
    local file=$1 sum=$2
    [ -f "$UPSTREAM_CACHE/$file" ] &&
        echo "$sum  $UPSTREAM_CACHE/$file" | sha256sum --quiet -c - 2>/dev/null
}

all_verified() {
    verify "$UPSTREAM_ORIG_TARBALL" "$UPSTREAM_ORIG_SHA256" &&
        verify "$UPSTREAM_DEBIAN_TARBALL" "$UPSTREAM_DEBIAN_SHA256" &&
        [ -f "$UPSTREAM_CACHE/$UPSTREAM_DSC" ]
}

all_verified && exit 0

mkdir -p "$UPSTREAM_CACHE"
note "fetching $UPSTREAM_SOURCE=$UPSTREAM_VERSION into $UPSTREAM_CACHE"
if [ "$(id -u)" = 0 ]; then
    "$TOP/scripts/apt-sources.sh"
    apt-get update -qq || true
fi
(cd "$UPSTREAM_CACHE" &&
    apt-get source --download-only "$UPSTREAM_SOURCE=$UPSTREAM_VERSION" \
        >download.log 2>&1) || true

if ! all_verified; then
    cat >&2 <<EOM
error: could not get a verified copy of the pinned upstream source.
  looked for:  $UPSTREAM_SOURCE $UPSTREAM_VERSION (Debian source package)
    $UPSTREAM_ORIG_TARBALL    sha256 $UPSTREAM_ORIG_SHA256
    $UPSTREAM_DEBIAN_TARBALL  sha256 $UPSTREAM_DEBIAN_SHA256
    $UPSTREAM_DSC
  via:         apt-get source (deb-src entries; see scripts/apt-sources.sh)
  apt said:    $(tail -n 2 "$UPSTREAM_CACHE/download.log" 2>/dev/null | tr '\n' ' ')
Put the three files in $UPSTREAM_CACHE by hand
(or point QEMU_RESILIENT_CACHE at a directory holding upstream/ with them)
and run the command again.
EOM
    for f in "$UPSTREAM_ORIG_TARBALL" "$UPSTREAM_DEBIAN_TARBALL"; do
        [ -f "$UPSTREAM_CACHE/$f" ] &&
            echo "  present but wrong checksum or incomplete: $f" >&2
    done
    exit 1
fi
note "upstream verified"
