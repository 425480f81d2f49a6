#!/usr/bin/env python3
"""
Live migration between the fork and the QEMU builds already deployed

(a) Debian's packaged QEMU 7.2 -> fork, pc-i440fx-7.2 and pc-q35-7.2;
(b) vanilla QEMU 10.2.2 (the 'make vanilla' build) <-> fork with
    pc-q35-10.2: vanilla -> fork as is; fork -> vanilla refused with
    the fork's defaults (the source keeps running) and accepted with the
    switches docs/system/i386/cpu-fallback.rst documents.

The guest is the vcpu-events payload: a loop counter, and a #MC handler
that counts.  A machine check is injected before each move and one after,
and the guest must have handled both, its counter still going.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (MC_BANK, MigrationFailed, Qemu, Skip, Tap,  # noqa: E402
                     VE_IN_MC_BANK, VE_OUT_MC_ADDR, VE_OUT_MC_HANDLED,
                     binary_or_skip_reason, default_accel, inject_mce, migrate,
                     payload_args, run_case, wait_value)

# What a fork source needs to migrate into vanilla QEMU 10.2.
FORK_TO_VANILLA = ['-global', 'x86_64-cpu.x-migrate-cpuid=off',
                   '-global', 'x86_64-cpu.x-x87-errata-bits=off',
                   '-global', 'x86_64-cpu.x-migrate-interrupt-shadow=off']


def start(build, machine, extra=(), incoming=None, name=None):
    path, why = binary_or_skip_reason(build)
    if not path:
        raise Skip(why)
    args = ['-accel', default_accel(), '-machine', machine] + list(extra) + \
        payload_args(inputs={VE_IN_MC_BANK: MC_BANK})
    if incoming:
        args += ['-incoming', incoming]
    return Qemu(path, args, name=name or build)


def running_with_mce(tap, q, label, handled):
    """@q runs the guest: it handles machine check number @handled + 1."""
    inject_mce(q, (handled + 1) << 12)
    wait_value(q, VE_OUT_MC_HANDLED, handled + 1)
    tap.ok(f'{label}: guest running on {q.name}, handled machine check '
           f'{handled + 1}',
           q.status() == 'running' and
           q.value(VE_OUT_MC_ADDR) == (handled + 1) << 12,
           f'status {q.status()}, MC addr {q.value(VE_OUT_MC_ADDR):#x}')


def move(tap, label, src_build, dst_build, machine, src_extra=(),
         expect_ok=True):
    src = start(src_build, machine, src_extra)
    dst = None
    try:
        src.wait_loops_beyond(0)
        running_with_mce(tap, src, label, 0)
        uri = 'unix:' + os.path.join(src.dir, 'migrate')
        dst = start(dst_build, machine, incoming=uri)
        before = src.value(2)
        try:
            info = migrate(src, dst, uri)
            error = None
        except MigrationFailed as e:
            error = str(e)
        if expect_ok:
            if not tap.ok(f'{label}: {src_build} -> {dst_build} completes',
                          error is None, f'{error}\n{dst.stderr()}'):
                return
            tap.note(f'{label}: downtime {info.get("downtime")} ms, '
                     f'total {info.get("total-time")} ms')
            dst.wait_loops_beyond(before)
            tap.ok(f'{label}: the guest kept its state on {dst_build}',
                   dst.value(VE_OUT_MC_HANDLED) == 1)
            running_with_mce(tap, dst, label, 1)
        else:
            if not tap.ok(f'{label}: {src_build} -> {dst_build} is refused',
                          error is not None, 'the migration completed'):
                return
            dst.proc.wait(30)
            tap.note(f'{label}: destination said: '
                     f'{dst.stderr().strip().splitlines()[-1:]}')
            src.wait_loops_beyond(src.value(2))
            running_with_mce(tap, src, label + ' (source after refusal)', 1)
    finally:
        src.quit()
        if dst:
            dst.quit()


def main():
    tap = Tap()
    tap.note(f'accelerator: {default_accel()}')
    for machine in ('pc-i440fx-7.2', 'pc-q35-7.2'):
        run_case(tap, f'debian 7.2 -> fork ({machine})',
                 lambda t, m=machine: move(t, m, 'debian', 'fork', m))
    m = 'pc-q35-10.2'
    run_case(tap, f'vanilla -> fork ({m})',
             lambda t: move(t, m, 'vanilla', 'fork', m))
    run_case(tap, f'fork -> vanilla, defaults ({m})',
             lambda t: move(t, m + ' defaults', 'fork', 'vanilla', m,
                            expect_ok=False))
    run_case(tap, f'fork -> vanilla, switches ({m})',
             lambda t: move(t, m + ' switches', 'fork', 'vanilla', m,
                            FORK_TO_VANILLA))
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
