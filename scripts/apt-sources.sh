#!/bin/bash
# Add the apt sources the fork needs -- the backports suite (meson >= 1.5)
# and deb-src entries (the pinned upstream source) -- derived from the
# Debian mirror this machine is already configured with.
set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT=/etc/apt/sources.list.d/qemu-resilient.sources
codename=$(. /etc/os-release; echo "$VERSION_CODENAME")

# The first URI whose suites include the release itself: the main archive
# (security and third-party sources are skipped that way).
mirror=$(
    {
        cat /etc/apt/sources.list.d/*.sources 2>/dev/null
        echo
    } | awk -v rel="$codename" '
        /^URIs:/   { uri = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) found = uri }
        /^$/       { if (found) { print found; exit } uri = "" }
        END        { if (found) print found }' | head -n 1
)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk -v rel="$codename" '$1 == "deb" && $3 == rel { print $2; exit }' \
             /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "no Debian mirror for '$codename' in the apt sources"

cat > "$OUT.new" <<EOS
# Written by qemu-resilient's scripts/apt-sources.sh.
Types: deb deb-src
URIs: $mirror
Suites: $codename-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# The pinned upstream source package lives in unstable.
Types: deb-src
URIs: $mirror
Suites: $codename unstable
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
mv "$OUT.new" "$OUT"
