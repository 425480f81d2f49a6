#!/usr/bin/env python3
"""
Migration between the fork and the QEMU builds already deployed, with
no switches: a machine type name means one guest ABI on every host

(a) Debian's packaged QEMU 7.2 -> fork, pc-i440fx-7.2 and pc-q35-7.2;
(b) vanilla QEMU 10.2.2 (the 'make vanilla' build) <-> fork on the
    upstream pc-q35-10.2 and pc-i440fx-10.2, both ways, live and by
    save/restore;
(c) fork <-> fork on the fork's own machine types, live and by
    save/restore;
(d) a guest on a fork type offered to vanilla fails before anything is
    lost: vanilla does not know the machine type, and a vanilla
    destination started with the upstream type refuses the stream while
    the source runs on.

The guest is the vcpu-events payload: a loop counter, and a #MC handler
that counts.  A machine check is injected before each move and one after,
and the guest must have handled both, its counter still going.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FORK_I440FX, FORK_Q35, MC_BANK,  # noqa: E402
                     MigrationFailed, Qemu, Skip, binary_or_skip_reason,
                     default_accel, inject_mce, migrate, payload_args,
                     run_case, wait_value)
from tap import Tap  # noqa: E402
from payload_layout import C  # noqa: E402


def start(build, machine, extra=(), incoming=None, name=None):
    path, why = binary_or_skip_reason(build)
    if not path:
        raise Skip(why)
    args = ['-accel', default_accel(), '-machine', machine] + list(extra) + \
        payload_args(inputs={C.VE_IN_MC_BANK: MC_BANK})
    if incoming:
        args += ['-incoming', incoming]
    return Qemu(path, args, name=name or build)


def running_with_mce(tap, q, label, handled):
    """@q runs the guest: it handles machine check number @handled + 1."""
    inject_mce(q, (handled + 1) << 12)
    wait_value(q, C.VE_OUT_MC_HANDLED, handled + 1)
    tap.ok(f'{label}: guest running on {q.name}, handled machine check '
           f'{handled + 1}',
           q.status() == 'running' and
           q.value(C.VE_OUT_MC_ADDR) == (handled + 1) << 12,
           f'status {q.status()}, MC addr {q.value(C.VE_OUT_MC_ADDR):#x}')


def move(tap, label, src_build, dst_build, machine, dst_machine=None,
         expect_ok=True):
    src = start(src_build, machine)
    dst = None
    try:
        src.wait_loops_beyond(0)
        running_with_mce(tap, src, label, 0)
        uri = 'unix:' + os.path.join(src.dir, 'migrate')
        dst = start(dst_build, dst_machine or machine, incoming=uri)
        before = src.value(C.VE_OUT_LOOPS)
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
                   dst.value(C.VE_OUT_MC_HANDLED) == 1)
            running_with_mce(tap, dst, label, 1)
        else:
            if not tap.ok(f'{label}: {src_build} -> {dst_build} is refused',
                          error is not None, 'the migration completed'):
                return
            dst.wait_exit(30)
            said = dst.stderr().strip().splitlines()
            tap.note(f'{label}: destination said: {said[-2:]}')
            if dst_machine:
                tap.ok(f'{label}: the destination names both machine types',
                       f"Machine type received is '{machine}' and local is "
                       f"'{dst_machine}'" in dst.stderr(), '\n'.join(said))
            src.wait_loops_beyond(src.value(C.VE_OUT_LOOPS))
            running_with_mce(tap, src, label + ' (source after refusal)', 1)
    finally:
        src.quit()
        if dst:
            dst.quit()


def save_restore(tap, label, src_build, dst_build, machine):
    """Stop, save to a file, quit; restore on @dst_build, continue."""
    src = start(src_build, machine)
    dst = None
    path = os.path.join(src.dir, 'saved')
    try:
        src.wait_loops_beyond(0)
        running_with_mce(tap, src, label, 0)
        src.command('stop')
        src.command('migrate-set-capabilities',
                    capabilities=[{'capability': 'events', 'state': True}])
        src.command('migrate', uri='file:' + path)
        src.migration_end()
        if not tap.ok(f'{label}: saved on {src_build}',
                      src.command('query-migrate')['status'] == 'completed',
                      src.command('query-migrate').get('error-desc')):
            return
        before = src.value(C.VE_OUT_LOOPS)
        dst = start(dst_build, machine, incoming='defer')
        dst.command('migrate-set-capabilities',
                    capabilities=[{'capability': 'events', 'state': True}])
        dst.command('migrate-incoming', uri='file:' + path)
        ev = dst.migration_end()
        if not tap.ok(f'{label}: restored on {dst_build}',
                      ev['data']['status'] == 'completed',
                      dst.stderr()):
            return
        dst.command('cont')
        dst.wait_loops_beyond(before)
        tap.ok(f'{label}: the guest kept its state on {dst_build}',
               dst.value(C.VE_OUT_MC_HANDLED) == 1)
        running_with_mce(tap, dst, label, 1)
    finally:
        src.quit()
        if dst:
            dst.quit()


def vanilla_lacks_fork_type(tap, machine):
    """Vanilla refuses to start with a fork type, and says so."""
    path, why = binary_or_skip_reason('vanilla')
    if not path:
        raise Skip(why)
    try:
        q = Qemu(path, ['-machine', machine], name='vanilla')
    except RuntimeError as e:
        tap.ok(f'vanilla refuses -machine {machine}, saying it is an '
               f'unsupported machine type',
               f"unsupported machine type: \"{machine}\"" in str(e), str(e))
        return
    q.quit()
    tap.ok(f'vanilla refuses -machine {machine}', False, 'it started')


def main():
    tap = Tap()
    tap.note(f'accelerator: {default_accel()}')
    for machine in ('pc-i440fx-7.2', 'pc-q35-7.2'):
        run_case(tap, f'debian 7.2 -> fork ({machine})',
                 lambda t, m=machine: move(t, m, 'debian', 'fork', m))
    for m in ('pc-q35-10.2', 'pc-i440fx-10.2'):
        for src, dst in (('vanilla', 'fork'), ('fork', 'vanilla')):
            run_case(tap, f'{src} -> {dst} live ({m})',
                     lambda t, m=m, a=src, b=dst: move(t, f'{m} live', a, b,
                                                       m))
            run_case(tap, f'{src} -> {dst} save/restore ({m})',
                     lambda t, m=m, a=src, b=dst:
                     save_restore(t, f'{m} save/restore', a, b, m))
    for m in (FORK_Q35, FORK_I440FX):
        run_case(tap, f'fork -> fork live ({m})',
                 lambda t, m=m: move(t, f'{m} live', 'fork', 'fork', m))
        run_case(tap, f'fork -> fork save/restore ({m})',
                 lambda t, m=m: save_restore(t, f'{m} save/restore', 'fork',
                                             'fork', m))
        run_case(tap, f'vanilla lacks {m}', vanilla_lacks_fork_type, m)
    run_case(tap, f'fork ({FORK_Q35}) -> vanilla (pc-q35-10.2)',
             lambda t: move(t, f'{FORK_Q35} into pc-q35-10.2', 'fork',
                            'vanilla', FORK_Q35, dst_machine='pc-q35-10.2',
                            expect_ok=False))
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
