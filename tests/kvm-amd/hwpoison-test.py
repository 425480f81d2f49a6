#!/usr/bin/python3
"""
qemu-resilient: a real host memory error reaches an AMD guest (in L1)

The procedure of the report the fork was founded on (LKML, March 2026:
"x86/mce/amd: Fix VM crash during deferred error handling"), on the real
AMD KVM host of tests/kvm-amd: a guest page's host address from HMP
gpa2hpa, hwpoison_inject's corrupt-pfn on it; the host kernel's
memory_failure() sends QEMU SIGBUS (BUS_MCEERR_AO), QEMU logs a deferred
error in the guest's bank 9.  The guest, the memory-error payload polling
that bank as Linux's machine-check poller does, then clears MCA_DESTAT:
vanilla 10.2.2's KVM #GPs that write (Linux: "MSR access error: WRMSR to
0xc0002098", then "MCA architectural violation!"), the fork's does not.

It poisons the memory of the host it runs on: kvm-amd-test.py runs it
inside L1 only (KVM_AMD_L1=1); anywhere else it refuses.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))
from harness import (BINARIES, Qemu, payload_args, poll,  # noqa: E402
                     run_case)
from payload_layout import C, field_addr  # noqa: E402
from tap import Tap  # noqa: E402

CORRUPT_PFN = '/sys/kernel/debug/hwpoison/corrupt-pfn'
AMD_AO_BANK = 9                 # where QEMU logs an AMD deferred error
GUEST_PAGE = 0x300000           # guest RAM the payload does not use
KIT_NO_FAULT = 0xffffffff       # kit.h: the access raised nothing
GPA2HPA_RE = re.compile(r'Host physical address for 0x[0-9a-f]+ \((.*)\) '
                        r'is (0x[0-9a-f]+)')


def kernel_log():
    return subprocess.run(['dmesg'], capture_output=True, text=True).stdout


def poison_guest_page(tap, build):
    """Start @build's AMD guest polling bank 9, poison one of its pages
    on the host, and return the payload's values once it has seen the
    error (or None)."""
    q = Qemu(BINARIES[build], ['-accel', 'kvm', '-machine', 'q35',
                               '-cpu', 'EPYC-v4', '-m', '256M'] +
             payload_args('memory-error', {
                 C.MEMERR_IN_MODE: C.MEMERR_MODE_POLL,
                 C.MEMERR_IN_BANK: AMD_AO_BANK}), name=build)
    try:
        vendor = q.command('qom-get', path='/machine/unattached/device[0]',
                           property='vendor')
        tap.ok(f'{build}: the vCPU is AuthenticAMD under KVM',
               vendor == 'AuthenticAMD', f'expected AuthenticAMD, got '
               f'{vendor}')
        poll(lambda: q.read_u32(field_addr('checkpoint')),
             lambda c: c == C.MEMERR_CP_READY, f'{build}: payload ready')
        out = q.hmp(f'gpa2hpa {GUEST_PAGE:#x}')
        m = GPA2HPA_RE.search(out)
        if not tap.ok(f'{build}: gpa2hpa gives the guest page\'s host '
                      'address', m, f'HMP said: {out.strip()}'):
            return None
        pfn = int(m.group(2), 16) >> 12
        with open(CORRUPT_PFN, 'w') as f:
            f.write(f'{pfn:#x}\n')
        log = kernel_log()
        tap.ok(f'{build}: the host kernel sends QEMU SIGBUS for pfn '
               f'{pfn:#x}', re.search(rf'Memory failure: {pfn:#x}: '
                                      r'Sending SIGBUS to qemu-system-x86',
                                      log),
               'its log: ' + log[-1500:])
        poll(lambda: q.read_u32(field_addr('magic')),
             lambda v: v == C.GUEST_PAYLOAD_MAGIC_DONE,
             f'{build}: the payload sees the error in bank {AMD_AO_BANK}')
        r = {'status': q.value(C.MEMERR_OUT_STATUS),
             'clear': q.value(C.MEMERR_OUT_CLEAR_VECTOR) & 0xffffffff,
             'gp': q.exception_count(C.VECTOR_GP),
             'running': q.status()}
        tap.note(f'{build}: payload status '
                 f'{q.read_u32(field_addr("status")):#x}, QEMU said: '
                 + q.stderr().strip()[-600:])
        return r
    finally:
        q.quit()


def poisoned_and_found(tap, build):
    """The payload's results once @build's guest has found the deferred
    error the host's memory error left in bank 9, or None."""
    r = poison_guest_page(tap, build)
    if r is not None:
        deferred = C.MCI_VAL | C.MCI_DEFERRED
        tap.ok(f'{build}: the guest finds a deferred error in bank 9',
               r['status'] & deferred == deferred,
               f'expected VAL and DEFERRED in MCi_STATUS, got '
               f'{r["status"]:#x}')
    return r


def check_vanilla(tap):
    r = poisoned_and_found(tap, 'vanilla')
    if r is not None:
        tap.ok('vanilla: clearing MCA_DESTAT raises #GP (the report, '
               'reproduced)', r['clear'] == C.VECTOR_GP and r['gp'] > 0,
               f'expected vector {C.VECTOR_GP} and #GPs, got vector '
               f'{r["clear"]:#x} and {r["gp"]} #GP(s)')


def check_fork(tap):
    r = poisoned_and_found(tap, 'fork')
    if r is not None:
        tap.ok('fork: the guest clears MCA_DESTAT and MCi_STATUS with no '
               '#GP', r['clear'] == KIT_NO_FAULT and r['gp'] == 0,
               f'expected no fault and no #GP, got vector {r["clear"]:#x} '
               f'and {r["gp"]} #GP(s)')
        tap.ok('fork: the guest runs on', r['running'] == 'running',
               f'expected running, got {r["running"]}')


def main():
    tap = Tap()
    if os.environ.get('KVM_AMD_L1') != '1' or not os.path.exists(CORRUPT_PFN):
        tap.skip('a real host memory error in L1',
                 'runs only inside L1 (tests/kvm-amd): it poisons host '
                 'memory')
        return tap.done()
    run_case(tap, 'vanilla 10.2.2, a real host memory error', check_vanilla)
    run_case(tap, 'the fork, a real host memory error', check_fork)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
