#!/usr/bin/env python3
"""
Storms: the fork's injection commands, thousands of times, on one guest

On a running vcpu-events payload (Intel vendor, so that an action-optional
memory error raises #MC), over QMP:

- STORM_MCE (10,000) x-inject-mce, each waited for: the guest's #MC
  handler must run exactly once per injection;
- STORM_MEMORY_ERROR (10,000) x-inject-memory-error optional, back to
  back: each gets an answer; an error that arrives while a machine check
  is in progress is ignored, as the architecture's MCIP rule says; the
  MEMORY_FAILURE events are rate-limited (at most one a second for each
  action after the first), and the guest takes at least one #MC;
- STORM_EXCEPTION (1,000) x-inject-exception #UD, back to back: each is
  accepted or refused because one is already queued, and the guest must
  have taken exactly the accepted ones;
- STORM_SAVE (500) savevm/loadvm cycles on a qcow2 disk: after each load
  the guest is back where it was saved (a machine check injected in
  between is undone) and runs on.

QEMU must stay up, and its RSS after each storm is printed with the RSS
before and must be within STORM_RSS_MIB (8) MiB of it, and within
STORM_SAVE_RSS_MIB (4) MiB after the savevm storm (vanilla 10.2.2 leaks
the device description of every savevm, about 23 MiB over 500 cycles;
the fork frees it).  STORM_SCALE divides every count (for a quick
run; make check runs a fifth).

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import math
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FORK_Q35, MC_BANK, TOP, QMPError, Qemu,  # noqa: E402
                     binary_or_skip_reason, default_accel, inject_mce,
                     payload_args, run_case, wait_count, wait_value)
from tap import Tap  # noqa: E402
from payload_layout import C  # noqa: E402

SCALE = max(1, int(os.environ.get('STORM_SCALE', 1)))
COUNTS = {name: int(os.environ.get(f'STORM_{name.upper()}', n)) // SCALE
          for name, n in (('mce', 10000), ('memory_error', 10000),
                          ('exception', 1000), ('save', 500))}
RSS_SLACK = int(os.environ.get('STORM_RSS_MIB', 8)) << 20
SAVE_RSS_SLACK = int(os.environ.get('STORM_SAVE_RSS_MIB', 4)) << 20
RAM_GPA = 0x400000      # above the payload and its mailbox


def rss(q):
    with open(f'/proc/{q.pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) << 10
    return 0


def rss_check(tap, q, label, before, slack=RSS_SLACK):
    after = rss(q)
    tap.note(f'{label}: RSS before {before >> 10} KiB, after {after >> 10} '
             f'KiB ({(after - before) / (1 << 20):+.1f} MiB)')
    tap.ok(f'{label}: QEMU up, RSS within {slack >> 20} MiB of before',
           q.alive() and q.status() == 'running' and
           after - before <= slack,
           f'alive {q.alive()}, RSS grew {after - before} bytes')


def mce_storm(tap, q):
    n = COUNTS['mce']
    base = q.value(C.VE_OUT_MC_HANDLED)
    before = rss(q)
    t0 = time.monotonic()
    for i in range(1, n + 1):
        inject_mce(q, i << 12)
        wait_value(q, C.VE_OUT_MC_HANDLED, base + i)
    tap.note(f'mce: {n} in {time.monotonic() - t0:.1f} s')
    handled = q.value(C.VE_OUT_MC_HANDLED) - base
    tap.ok(f'mce: {n} injected, {n} handled', handled == n,
           f'expected {n}, handled {handled}')
    rss_check(tap, q, 'mce', before)


def memory_error_storm(tap, q):
    n = COUNTS['memory_error']
    mcs = q.exception_count(C.VECTOR_MC)
    # x-inject-mce sends MEMORY_FAILURE too: drop those sent so far (QMP
    # keeps order).  One the rate limit held back may follow; it counts
    # with the storm's own, and the bound below holds for them together.
    q.command('query-status')
    q.discard_events()
    before = rss(q)
    t0 = time.monotonic()
    errors = []
    for i in range(n):
        try:
            q.command('x-inject-memory-error', gpa=RAM_GPA + (i % 64 << 12),
                      action='optional')
        except QMPError as e:
            errors.append(e.desc)
    seconds = time.monotonic() - t0
    # Every event sent so far is on the way before this reply.
    q.command('query-status')
    actions = {}
    for ev in q.machine.get_qmp_events():
        if ev['event'] == 'MEMORY_FAILURE':
            act = ev['data']['action']
            actions[act] = actions.get(act, 0) + 1
    tap.note(f'memory-error: {n} in {seconds:.1f} s; '
             f'MEMORY_FAILURE actions {actions}; errors {len(errors)}'
             f'{" e.g. " + errors[0] if errors else ""}')
    tap.ok('memory-error: every call answered, no error', not errors,
           f'{len(errors)} errors, e.g. {errors[:1]}')
    # Rate-limited per action: the first at once, then one a second.
    most = 1 + math.ceil(seconds)
    tap.ok(f'memory-error: MEMORY_FAILURE rate-limited, at most {most} '
           'per action', actions.get('inject', 0) >= 1 and
           set(actions) <= {'inject', 'ignore'} and
           max(actions.values()) <= most,
           f'expected 1 to {most} "inject", at most {most} "ignore", '
           f'got {actions}')
    taken = wait_count(q, C.VECTOR_MC, mcs + 1) - mcs
    tap.ok(f'memory-error: the guest took between 1 and {n} #MC, the rest '
           'ignored under MCIP', 1 <= taken <= n,
           f'expected 1 to {n}, took {taken}')
    rss_check(tap, q, 'memory-error', before)


def exception_storm(tap, q):
    n = COUNTS['exception']
    uds = q.exception_count(C.VECTOR_UD)
    before = rss(q)
    accepted, refused, other = 0, 0, []
    for _ in range(n):
        try:
            q.command('x-inject-exception', **{'cpu-index': 0,
                                               'vector': C.VECTOR_UD})
            accepted += 1
        except QMPError as e:
            if re.search(r'already has exception \d+ .* queued', e.desc):
                refused += 1
            else:
                other.append(e.desc)
    tap.note(f'exception: {accepted} accepted, {refused} refused while '
             'one was queued')
    tap.ok('exception: every call accepted or refused with its reason',
           not other and accepted + refused == n, f'other errors: {other}')
    taken = wait_count(q, C.VECTOR_UD, uds + accepted) - uds
    tap.ok(f'exception: the guest took exactly the {accepted} accepted',
           taken == accepted, f'expected {accepted}, took {taken}')
    rss_check(tap, q, 'exception', before)


def savevm_loadvm(q, n):
    """@n savevm/loadvm cycles; the first that fails to restore the saved
    guest, as (cycle, why), or None."""
    for i in range(n):
        handled = q.value(C.VE_OUT_MC_HANDLED)
        q.hmp('savevm storm')
        # Changed after the save: the load must undo it.
        inject_mce(q, 0xdead000)
        wait_value(q, C.VE_OUT_MC_HANDLED, handled + 1)
        out = q.hmp('loadvm storm')
        if out.strip() or q.value(C.VE_OUT_MC_HANDLED) != handled:
            return i + 1, (f'loadvm said {out.strip()!r}; MC handled '
                           f'{q.value(C.VE_OUT_MC_HANDLED)}, saved {handled}')
    return None


def save_storm(tap, q, accel, disk):
    n = COUNTS['save']
    before = rss(q)
    t0 = time.monotonic()
    loops = q.value(C.VE_OUT_LOOPS) & 0xffffffff
    failed = savevm_loadvm(q, n)
    tap.note(f'save: {n} cycles in {time.monotonic() - t0:.1f} s')
    if not tap.ok(f'save: {n} savevm/loadvm cycles, each back to the saved '
                  'guest', failed is None, f'cycle {failed}'):
        return
    tap.ok('save: the guest runs on', q.wait_loops_beyond(loops) > loops)
    # Vanilla 10.2.2 leaks the device description of every savevm (about
    # 23 MiB over 500 cycles); the fork's patch frees it.
    rss_check(tap, q, 'save', before, SAVE_RSS_SLACK)


def storm_args(accel, disk):
    """The storm guest's command line, its snapshots on @disk."""
    return ['-accel', accel, '-machine', FORK_Q35,
            '-cpu', 'qemu64,vendor=GenuineIntel', '-m', '32',
            '-drive', f'file={disk},if=none,id=snap,format=qcow2'] + \
        payload_args(inputs={C.VE_IN_MC_BANK: MC_BANK})


def new_disk(path):
    """A qcow2 image for the snapshots of savevm."""
    subprocess.run([os.path.join(TOP, 'build', 'qemu', 'qemu-img'), 'create',
                    '-q', '-f', 'qcow2', path, '16M'], check=True)


def main():
    tap = Tap()
    fork, why = binary_or_skip_reason('fork')
    if why:
        tap.skip('storms', why)
        return tap.done()
    accel = default_accel()
    tap.note(f'accelerator: {accel}; counts {COUNTS}')
    work = tempfile.mkdtemp(prefix='resilient-storm-')
    disk = os.path.join(work, 'snapshots.qcow2')
    new_disk(disk)
    q = Qemu(fork, storm_args(accel, disk), name='storm')
    try:
        q.wait_loops_beyond(0)
        for name, fn, *extra in (('mce', mce_storm),
                                 ('memory-error', memory_error_storm),
                                 ('exception', exception_storm),
                                 ('save', save_storm, accel, disk)):
            if not q.alive():
                tap.ok(name, False, f'QEMU is gone: {q.stderr()}')
                continue
            run_case(tap, name, fn, q, *extra)
    finally:
        q.quit()
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
