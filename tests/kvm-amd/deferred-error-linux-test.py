#!/usr/bin/python3
"""
qemu-resilient: the report the fork was founded on, end to end under KVM

LKML, March 2026, "x86/mce/amd: Fix VM crash during deferred error
handling": Debian's 6.19.6 kernel as an AMD guest, an action-optional
memory error logged as a deferred error in bank 9; Linux's poller clears
MCA_DESTAT (MSR 0xc0002098) without checking for SMCA, stock KVM refuses
the write, and the guest panics ("MCA architectural violation!").

Here on the real AMD KVM host of tests/kvm-amd (L1), -accel kvm -cpu
EPYC-v4, the guest of tests/guest-linux: the error is logged through
HMP 'mce' (vanilla has no x-inject-memory-error).  Vanilla 10.2.2's
guest must panic as the report says; the fork's logs the error,
offlines the page and runs on.

Runs inside L1 only (KVM_AMD_L1=1, KVM_AMD_KERNEL and KVM_AMD_INITRD
set by kvm-amd-test.py, which fetches them on the host).

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))
sys.path.insert(0, os.path.join(TOP, 'tests', 'guest-linux'))
# pylint: disable=wrong-import-position
import guest  # noqa: E402
from guest import FREE_PAGE, MSR_ACCESS_ERROR, hmp_mce_ao  # noqa: E402
from harness import run_case  # noqa: E402
from tap import Tap  # noqa: E402

GUEST_CPU = 'EPYC-v4'
# A Linux guest nested in L1 under TCG boots in about a minute
BOOT_TIMEOUT = 600
DESTAT_WRITE = f'{MSR_ACCESS_ERROR}: WRMSR to 0xc0002098'


def boot(build):
    g = guest.GuestLinux(os.environ['KVM_AMD_KERNEL'],
                         os.environ['KVM_AMD_INITRD'], GUEST_CPU,
                         build=build, accel='kvm', mem='512M')
    g.launch(boot=False)
    g.expect(guest.READY_RE, BOOT_TIMEOUT)
    return g


def check_vanilla(tap):
    g = boot('vanilla')
    try:
        hmp_mce_ao(g)
        tap.ok('vanilla: KVM refuses the write to MCA_DESTAT of bank 9',
               g.expect(DESTAT_WRITE.encode(), guest.TIMEOUT))
        why = g.wait_panic()
        tap.ok('vanilla: the guest panics as the report says',
               why == 'MCA architectural violation!',
               f'expected "MCA architectural violation!", got "{why}"')
    finally:
        tap.note('vanilla guest console: ' + g.log()[-1500:])
        g.shutdown()


def check_fork(tap):
    g = boot('fork')
    try:
        start = g.pos
        hmp_mce_ao(g)
        tap.ok('fork: the guest offlines the page',
               g.expect(rf'Memory failure: {FREE_PAGE >> 12:#x}: '
                        r'[^\n]*Recovered'.encode(), guest.TIMEOUT))
        tap.ok('fork: the guest logged the error',
               b'Machine check events logged' in g.seen[start:],
               'no "Machine check events logged" on the console')
        tap.ok('fork: no MSR access error',
               MSR_ACCESS_ERROR.encode() not in g.seen[start:],
               g.since(start)[-1500:])
        tap.ok('fork: the guest runs on', g.alive(),
               'the guest stopped answering')
    finally:
        g.shutdown()


def main():
    tap = Tap()
    if os.environ.get('KVM_AMD_L1') != '1':
        tap.skip('a Linux guest on a real AMD KVM host',
                 'runs only inside L1 (tests/kvm-amd)')
        return tap.done()
    run_case(tap, 'vanilla 10.2.2, the report reproduced', check_vanilla)
    run_case(tap, 'the fork, the report refuted', check_fork)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
