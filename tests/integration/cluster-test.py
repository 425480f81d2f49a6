#!/usr/bin/env python3
"""
A small cluster: a guest live-migrated around a ring of three hosts

Three hosts are network namespaces on a bridge this test makes (their
addresses exist only inside them), each running the fork.  The
vcpu-events payload goes around the ring (CLUSTER_HOPS moves, default
30) over TCP; before each move an NMI and a machine check are injected
into the source.  Halfway, one destination's CPU lacks a feature the
guest was started with: the fork refuses it and the guest stays on its
source.  At the end the guest's counters must show every machine check
handled once, in order, and the NMIs the architecture lets through:
all of them where the payload's handler can IRET, otherwise the first,
with one more left pending (NMIs stay blocked without IRET).

Per-hop downtime and the total time are printed.  Runs under KVM and
TCG where each is usable; needs root for the namespaces.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FORK_Q35, MC_BANK, MigrationFailed, Qemu,  # noqa: E402
                     binary_or_skip_reason, inject_mce, kvm_usable, migrate,
                     payload_args, poll, run_case, wait_count, wait_value)
from tap import Tap  # noqa: E402
from payload_layout import C  # noqa: E402
from netns import Ring  # noqa: E402

HOSTS = 3
CPU = 'qemu64'
# The odd destination lacks it; the guest's #MC handler uses it
MISSING = 'mca'


def can_iret(fork, accel):
    """Whether the payload's handlers can IRET under @accel here.

    A KVM whose emulator cannot run IRET stops the guest with an internal
    error at the payload's first IRET, before it starts counting."""
    q = Qemu(fork, ['-accel', accel, '-cpu', CPU] +
             payload_args(inputs={C.VE_IN_IRET: 1, C.VE_IN_MC_BANK: MC_BANK}),
             name='iret-probe')
    try:
        poll(lambda: q.status() == 'running' and q.value(C.VE_OUT_LOOPS),
             lambda counting: counting or q.status() != 'running',
             'the IRET probe')
        return q.status() == 'running'
    finally:
        q.quit()


def go_around(tap, ring, fork, accel, hops):
    iret = can_iret(fork, accel)
    nmis_seen = ('counted one by one' if iret else
                 'blocked after the first (the payload cannot IRET here)')
    tap.note(f'{accel}: NMIs {nmis_seen}')

    def start(host, incoming=None, cpu=CPU):
        args = ['-accel', accel, '-machine', FORK_Q35, '-cpu', cpu] + \
            payload_args(inputs={C.VE_IN_IRET: int(iret),
                                 C.VE_IN_MC_BANK: MC_BANK})
        if incoming:
            args += ['-incoming', incoming]
        return Qemu(fork, args, prefix=ring.prefix(host),
                    name=f'{accel}-host{host}')

    cur, host = start(0), 0
    downtimes, nmis, refused = [], 0, None
    t0 = time.monotonic()
    try:
        cur.wait_loops_beyond(0)
        for hop in range(hops):
            nxt = (host + 1) % HOSTS
            cur.command('inject-nmi')
            nmis += 1
            inject_mce(cur, (hop + 1) << 12)
            if hop == hops // 2 and refused is None:
                refused = odd_destination(tap, ring, start, cur, nxt, accel)
            uri = f'tcp:{ring.addr(nxt)}:{4000 + hop}'
            dst = start(nxt, incoming=uri)
            try:
                info = migrate(cur, dst, uri)
            except MigrationFailed as e:
                dst.quit()
                raise RuntimeError(f'hop {hop + 1} host{host} -> host{nxt}: '
                                   f'{e}: {dst.stderr()}')
            cur.quit()
            cur, host = dst, nxt
            downtimes.append(info.get('downtime', 0))
            # Each machine check is handled before the next is injected
            # (a second one while MCIP is set would shut the guest down).
            wait_value(cur, C.VE_OUT_MC_HANDLED, hop + 1)
        total = time.monotonic() - t0
        tap.note(f'{accel}: per-hop downtime (ms): '
                 f'{" ".join(str(d) for d in downtimes)}')
        tap.note(f'{accel}: {hops} hops in {total:.1f} s, downtime median '
                 f'{statistics.median(downtimes)} ms, max {max(downtimes)} ms')
        check_counters(tap, cur, accel, hops, nmis, iret)
    finally:
        cur.quit()


def odd_destination(tap, ring, start, cur, nxt, accel):
    """A destination lacking MISSING: refused, the guest stays put."""
    uri = f'tcp:{ring.addr(nxt)}:3999'
    dst = start(nxt, incoming=uri, cpu=f'{CPU},-{MISSING}')
    before = cur.value(C.VE_OUT_LOOPS) & 0xffffffff
    try:
        migrate(cur, dst, uri)
        error = None
    except MigrationFailed as e:
        error = str(e)
    if error is not None:
        dst.wait_exit(30)       # it exits once it has refused
    said = dst.stderr()
    tap.ok(f'{accel}: destination without {MISSING} refuses the guest, '
           'naming the feature',
           error is not None and MISSING in said,
           f'migration error {error!r}; destination said {said!r}')
    cur.wait_loops_beyond(before)
    tap.ok(f'{accel}: the guest stays running on its source',
           cur.status() == 'running', cur.status())
    dst.quit()
    return error


def check_counters(tap, q, accel, hops, nmis, iret):
    mcs = q.exception_count(C.VECTOR_MC)
    handled = q.value(C.VE_OUT_MC_HANDLED)
    tap.ok(f'{accel}: {hops} machine checks injected, each handled once',
           mcs == hops and handled == hops,
           f'expected {hops}, #MC taken {mcs}, handled {handled}')
    tap.ok(f'{accel}: the last machine check is the last injected',
           q.value(C.VE_OUT_MC_ADDR) == hops << 12,
           f'expected {hops << 12:#x}, got {q.value(C.VE_OUT_MC_ADDR):#x}')
    # The last NMI may follow the last #MC handler (#MC goes first).
    taken = wait_count(q, C.VECTOR_NMI, nmis if iret else 1)
    events = q.command('x-query-vcpu-events')[0]
    pending = events['nmi']['pending']
    if iret:
        tap.ok(f'{accel}: {nmis} NMIs injected, each taken once',
               taken == nmis, f'expected {nmis}, taken {taken}')
    else:
        tap.ok(f'{accel}: NMIs: the first taken, one of the {nmis - 1} '
               'blocked ones pending',
               taken == 1 and pending,
               f'expected 1 taken and one pending, got {taken} taken, '
               f'pending {pending}')


def main():
    tap = Tap()
    hops = int(os.environ.get('CLUSTER_HOPS', 30))
    fork, why = binary_or_skip_reason('fork')
    if os.geteuid() != 0:
        why = 'network namespaces need root'
    accels = [('kvm', kvm_usable()), ('tcg', True)]
    if why:
        for accel, _ in accels:
            tap.skip(f'{accel}: ring of {HOSTS}', why)
        return tap.done()
    ring = Ring(HOSTS, '10.213.0')
    try:
        for accel, usable in accels:
            if not usable:
                tap.skip(f'{accel}: ring of {HOSTS}', '/dev/kvm not usable')
                continue
            run_case(tap, f'{accel}: ring of {HOSTS}',
                     lambda t, a=accel: go_around(t, ring, fork, a, hops))
    finally:
        ring.remove()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
