#!/bin/bash
# Fetch the guest kernels of kernels.list from Debian's packages, through
# a private apt configuration per suite (its own sources list, lists and
# cache), so that the machine's own apt sources stay untouched.  apt
# verifies every package against its suite's signed Release file.
# Kernels are cached outside the clone, like the upstream source.
#
# Prints the directory that holds <name>/vmlinuz for every kernel, and
# <name>/modules/ (the package's lib/modules/<version>) for a kernel whose
# kernels.list line ends in "modules".
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

LIST=$TOP/tests/guest-linux/kernels.list
KCACHE=$CACHE_DIR/guest-linux
KERNELS=$KCACHE/kernels
codename=$(. /etc/os-release; echo "$VERSION_CODENAME")
mirror=$(debian_mirror "$codename")
[ -n "$mirror" ] || die "no Debian mirror for '$codename' in the apt sources"
mkdir -p "$KERNELS"

# Set $conf to the apt configuration of suite @1, set up and updated once
# per run (not called in a subshell, so that "updated" is remembered).
declare -A updated
apt_for_suite() {
    local suite=$1 dir=$KCACHE/apt/$1
    conf=$dir/apt.conf
    if [ -z "${updated[$suite]:-}" ]; then
        mkdir -p "$dir"/{lists/partial,cache/archives/partial,parts,prefs}
        touch "$dir/status"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
             "$mirror $suite main" > "$dir/sources.list"
        cat > "$dir/apt.conf" <<EOC
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/parts";
Dir::Etc::Preferences "$dir/prefs/none";
Dir::Etc::PreferencesParts "$dir/prefs";
Dir::State::Lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir/cache";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
Acquire::Languages "none";
APT::Sandbox::User "root";
EOC
        APT_CONFIG=$dir/apt.conf apt-get -qq update ||
            die "apt-get update of suite $suite failed"
        updated[$suite]=1
    fi
}

# The package of @2 (in suite @1) that holds /boot/vmlinuz: the package
# itself, or the linux-binary-* it depends on (Debian 13 and later split
# the image package).
image_package() {
    local conf=$1 pkg=$2 bin
    APT_CONFIG=$conf apt-cache show "$pkg" >/dev/null 2>&1 ||
        die "$pkg is not in suite ${conf%/apt.conf} (kernels.list is out of date?)"
    # awk reads to the end: under pipefail, a reader that stops early
    # fails the pipeline with its writer's SIGPIPE
    bin=$(APT_CONFIG=$conf apt-cache depends "$pkg" |
          awk '/Depends: linux-binary-/ && !found++ { print $2 }')
    echo "${bin:-$pkg}"
}

while read -r name suite pkg keep; do
    [ -n "$name" ] || continue
    out=$KERNELS/$name
    [ -f "$out/vmlinuz" ] && [ "$(cat "$out/package" 2>/dev/null)" = "$pkg" ] &&
        { [ "$keep" != modules ] || [ -d "$out/modules" ]; } &&
        continue
    apt_for_suite "$suite"
    src=$(image_package "$conf" "$pkg")
    tmp=$(mktemp -d)
    note "guest kernel $name: $src ($suite)"
    (cd "$tmp" && APT_CONFIG=$conf apt-get download -qq "$src") ||
        die "apt-get download $src failed"
    # /boot/vmlinuz-<version>, or /usr/lib/modules/<version>/vmlinuz
    # the listing goes to a file: awk stopping at the first match would
    # kill dpkg-deb's tar with SIGPIPE and fail the line under pipefail
    dpkg-deb -c "$tmp"/*.deb > "$tmp/contents"
    image=$(awk '$NF ~ /^\.\/(boot\/vmlinuz-|usr\/lib\/modules\/[^/]*\/vmlinuz$)/ { print $NF; exit }' \
            "$tmp/contents")
    [ -n "$image" ] || die "no vmlinuz in $src"
    dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" "$image"
    rm -rf "$out"
    mkdir -p "$out"
    mv "$tmp/$image" "$out/vmlinuz"
    if [ "$keep" = modules ]; then
        # the modules are in the image package itself (Debian 12)
        dpkg-deb --fsys-tarfile "$tmp"/*.deb |
            tar -x -C "$tmp" --wildcards './lib/modules/*' ||
            die "no modules in $src"
        mv "$tmp"/lib/modules/* "$out/modules"
    fi
    echo "$pkg" > "$out/package"
    rm -rf "$tmp"
done < <(grep -v '^#' "$LIST")
echo "$KERNELS"
