#!/bin/bash
# Add the apt sources the fork needs -- the backports suite (meson >= 1.5)
# and deb-src entries (the pinned upstream source) -- derived from the
# Debian mirror this machine is already configured with.
set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT=/etc/apt/sources.list.d/qemu-resilient.sources
codename=$(. /etc/os-release; echo "$VERSION_CODENAME")

mirror=$(debian_mirror "$codename")
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
