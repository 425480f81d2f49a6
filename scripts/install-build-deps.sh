#!/bin/bash
# Install what building, running and testing the fork needs, on Debian 12.
# Idempotent and quick when everything is already there.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PACKAGES=(
    # toolchain; gcc-multilib builds the 16/32-bit option ROMs and payloads
    build-essential gcc-multilib ccache git pkg-config python3 python3-venv
    flex bison ninja-build dpkg-dev xz-utils cpio
    # the fork's named dependencies
    libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev zlib1g-dev
    libaio-dev libcap-ng-dev
    # firmware, as Debian's qemu uses it
    seabios ipxe-qemu
    # the demo guest of 'make run'
    busybox-static
    # benchmarks
    valgrind
    # the documentation, built by make check
    python3-sphinx python3-sphinx-rtd-theme
    # make check-sanitizers and make fuzz: clang, its ASan/UBSan/libFuzzer
    clang libclang-rt-14-dev
)
BACKPORTS=(meson python3-pycotap)   # meson >= 1.5 is only in backports
# tests/integration: libvirt to drive the fork, Debian's own QEMU to
# migrate from, ip for the cluster's namespaces; without recommends, so
# that no libvirt-daemon-system (and no service) comes with them
INTEGRATION=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients python3-libvirt
             qemu-system-x86 iproute2 util-linux)

missing=()
for p in "${PACKAGES[@]}" "${BACKPORTS[@]}" "${INTEGRATION[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && dpkg --compare-versions \
        "$(dpkg-query -W -f='${Version}' meson)" ge 1.5; then
    exit 0
fi
[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root to install them"

"$TOP/scripts/apt-sources.sh"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t "$(. /etc/os-release; echo "$VERSION_CODENAME")-backports" \
    "${BACKPORTS[@]}" >/dev/null
apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
apt-get install -y -qq --no-install-recommends "${INTEGRATION[@]}" >/dev/null
note "build dependencies installed"
