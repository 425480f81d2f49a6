#!/bin/bash
# 'make run': boot the demo Linux guest to a shell on the serial console.
#
# Uses KVM where this host's KVM can run a stock Linux guest and TCG where
# it cannot, saying why.  ACCEL=kvm|tcg forces one; QEMU_EXTRA_ARGS adds
# arguments.
set -euo pipefail
. "$(dirname "$0")/common.sh"

QEMU=$BUILD_ROOT/qemu/qemu-system-x86_64
PROBE=$BUILD_ROOT/qemu/tests/qtest/guest-payload/paging-probe.bin
RUNDIR=$BUILD_ROOT/run
QMP_SOCK=$RUNDIR/qmp.sock
ACCEL=${ACCEL:-auto}

[ -x "$QEMU" ] || die "$QEMU not built (make)"
guest=$("$TOP/scripts/guest-assets.sh")

# Can KVM here run a stock Linux guest?  Some restricted KVMs (PVM) run a
# guest that is not written for them in KVM's instruction emulator, which
# cannot even turn paging on; a payload finds out in well under a second.
kvm_verdict() {
    if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        echo "no usable /dev/kvm"
        return 1
    fi
    [ -f "$PROBE" ] || { echo "probe payload $PROBE not built"; return 1; }
    local rc=0
    timeout 30 "$QEMU" -accel kvm -M pc -nodefaults -display none \
        -device isa-debug-exit -bios "$PROBE" >/dev/null 2>&1 || rc=$?
    case $rc in
    1) return 0 ;;    # the payload passed: paging works
    3) echo "this host's KVM cannot turn paging on in a guest (a" \
            "restricted KVM that emulates such guests, e.g. PVM); a stock" \
            "Linux guest dies there with 'KVM internal error'"
       return 1 ;;
    *) echo "a KVM probe guest failed (exit status $rc)"
       return 1 ;;
    esac
}

case $ACCEL in
auto)
    if why=$(kvm_verdict); then
        ACCEL=kvm
    else
        note "using TCG instead of KVM: $why"
        ACCEL=tcg
    fi
    ;;
kvm|tcg) ;;
*) die "ACCEL must be auto, kvm or tcg, not '$ACCEL'" ;;
esac

cpu=max
[ "$ACCEL" = kvm ] && cpu=host
mkdir -p "$RUNDIR"
rm -f "$QMP_SOCK"

if [ -t 0 ]; then
    cat >&2 <<EOM
>> booting the demo guest under ${ACCEL^^}
>> quit: Ctrl-A X    HMP monitor: Ctrl-A C (again to return)    guest: 'poweroff'
>> QMP: $QMP_SOCK   (e.g. socat - UNIX-CONNECT:$QMP_SOCK)
EOM
fi

# shellcheck disable=SC2086
exec "$QEMU" -name resilient-demo -accel "$ACCEL" -M q35 -cpu "$cpu" \
    -smp 2 -m 512 -nographic -serial mon:stdio -no-reboot \
    -nic user,model=e1000 \
    -qmp "unix:$QMP_SOCK,server=on,wait=off" \
    -kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet" \
    ${QEMU_EXTRA_ARGS:-}
