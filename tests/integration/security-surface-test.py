#!/usr/bin/env python3
"""
The fork's monitor commands refuse what they must, and the guest lives

docs/system/i386/resilient-security.rst lists the fork's new commands and
what each can do.  This test feeds each one the inputs it must refuse --
vCPU indexes and MCA banks out of range, exception vectors that are not
exceptions or do not fit their error code, guest physical addresses
outside guest RAM (unmapped, MMIO, ROM, the top of the address space) --
over QMP and through the HMP twins, and checks that every one gets an
error that says what is wrong while the guest runs on, its RAM and its
counters untouched.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FORK_Q35, MC_BANK, MC_STATUS, QMPError,  # noqa: E402
                     Qemu, binary_or_skip_reason, default_accel, mce_args,
                     payload_args)
from tap import Tap  # noqa: E402
from payload_layout import C  # noqa: E402

MiB = 1 << 20
RAM = 32 * MiB
OUTSIDE_RAM = {
    'beyond RAM': RAM + 16 * MiB,
    'the local APIC (MMIO)': 0xfee00000,
    'the BIOS (ROM)': 0xffff0000,
    'the top of the address space': (1 << 64) - 4096,
}


def mce(**bad):
    return ('x-inject-mce', mce_args(0, **bad))


def exc(vector, cpu=0, **extra):
    return ('x-inject-exception', dict({'cpu-index': cpu, 'vector': vector},
                                       **extra))


REFUSED_QMP = [
    ('x-inject-mce: vCPU -1', mce(cpu=-1), 'vCPU'),
    ('x-inject-mce: vCPU 1 of 1', mce(cpu=1), 'vCPU'),
    ('x-inject-mce: vCPU 2^31', mce(cpu=1 << 31), 'vCPU'),
    ('x-inject-mce: bank -1', mce(bank=-1), 'bank'),
    ('x-inject-mce: bank 255', mce(bank=255), 'bank'),
    ('x-inject-mce: bank 2^40', mce(bank=1 << 40), 'bank'),
    ('x-inject-mce: status without VAL', mce(status=MC_STATUS & ~(1 << 63)),
     'VAL'),
    ('x-inject-exception: vector -1', exc(-1), 'vector'),
    ('x-inject-exception: vector 2 (NMI)', exc(2), 'NMI'),
    ('x-inject-exception: vector 32', exc(32), 'vector'),
    ('x-inject-exception: vector 255', exc(255), 'vector'),
    ('x-inject-exception: vCPU 7', exc(6, cpu=7), 'vCPU'),
    ('x-inject-exception: #UD with an error code',
     exc(6, **{'error-code': 0}), 'error code'),
    ('x-inject-exception: #GP without one', exc(13), 'error code'),
    ('x-inject-exception: #UD with a payload', exc(6, payload=1),
     'payload'),
    ('x-inject-triple-fault: vCPU -1',
     ('x-inject-triple-fault', {'cpu-index': -1}), 'vCPU'),
    ('x-inject-triple-fault: vCPU 3',
     ('x-inject-triple-fault', {'cpu-index': 3}), 'vCPU'),
    ('x-inject-memory-error: action required on vCPU 5',
     ('x-inject-memory-error', {'gpa': 0x400000, 'action': 'required',
                                'immediate': True, 'cpu-index': 5}),
     'vCPU'),
    ('x-inject-memory-error: action optional with a vCPU',
     ('x-inject-memory-error', {'gpa': 0x400000, 'action': 'optional',
                                'cpu-index': 0}), 'cpu-index'),
]
for where, gpa in OUTSIDE_RAM.items():
    for action in ('optional', 'required'):
        REFUSED_QMP.append((f'x-inject-memory-error {action}: {where}',
                            ('x-inject-memory-error',
                             {'gpa': gpa, 'action': action}), ''))
    if 'ROM' not in where:      # ROM is host RAM too: answered, as HMP does
        REFUSED_QMP.append((f'x-query-gpa2hpa: {where}',
                            ('x-query-gpa2hpa', {'gpa': gpa}), ''))

REFUSED_HMP = [
    ('inject-exception 0 32', 'vector'),
    ('inject-exception 9 6', 'vCPU'),
    ('inject-triple-fault 4', 'vCPU'),
    (f'inject-memory-error {0xfee00000:#x} optional', ''),
    (f'inject-memory-error -i {RAM + 16 * MiB:#x} required 0', ''),
    ('inject-memory-error 0x400000 sometimes', 'sometimes'),
]


def main():
    tap = Tap()
    fork, why = binary_or_skip_reason('fork')
    if why:
        tap.skip('monitor commands refuse bad input', why)
        return tap.done()
    accel = default_accel()
    tap.note(f'accelerator: {accel}')
    q = Qemu(fork, ['-accel', accel, '-machine', FORK_Q35, '-m', '32'] +
             payload_args(inputs={C.VE_IN_MC_BANK: MC_BANK}), name='surface')
    try:
        loops = q.wait_loops_beyond(0)
        canary = q.read_u64(0x400000)
        for name, (cmd, args), word in REFUSED_QMP:
            try:
                q.command(cmd, **args)
                tap.ok(f'{name}: refused', False, 'the command succeeded')
            except QMPError as e:
                tap.ok(f'{name}: refused, saying why',
                       e.desc and word.lower() in e.desc.lower(),
                       f'error {e.desc!r} does not mention {word!r}')
        for line, word in REFUSED_HMP:
            out = q.hmp(line).strip()
            tap.ok(f'HMP {line}: refused, saying why',
                   out and word.lower() in out.lower() and
                   ('rror' in out or 'not' in out or 'invalid' in out),
                   f'HMP said {out!r}')
        tap.ok('the guest runs on, no machine check or exception taken, '
               'its RAM untouched',
               q.status() == 'running' and
               q.wait_loops_beyond(loops) > loops and
               q.value(C.VE_OUT_MC_HANDLED) == 0 and
               q.read_u64(0x400000) == canary,
               f'status {q.status()}, MC handled '
               f'{q.value(C.VE_OUT_MC_HANDLED)}')
        try:
            hpa = q.command('x-query-gpa2hpa', gpa=0x400000)
            tap.note(f'x-query-gpa2hpa reveals a host physical address to '
                     f'the monitor: {hpa["hpa"]:#x} ({hpa["memory-region"]})')
        except QMPError as e:
            tap.note(f'x-query-gpa2hpa of guest RAM: {e.desc}')
        tap.note(f'loop counter {q.value(C.VE_OUT_LOOPS)}')
    finally:
        q.quit()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
