#!/usr/bin/python3
"""
make demo: what qemu-resilient does, in four steps a newcomer can watch

1. An AMD guest (EPYC-v4, Debian's Linux 6.19.6 from trixie-backports,
   under TCG) takes an action-optional memory error injected through QMP
   (x-inject-memory-error): its own log says the page was offlined, and
   it goes on answering.
2. The same guest and error with the SMCA bank registers as vanilla QEMU
   under KVM leaves them (they raise #GP): that kernel panics.
3. A CPU model the accelerator cannot fully provide starts anyway with
   x-fallback=on, as the closest runnable version.
4. A guest saved with a CPU feature is refused on a vCPU without it,
   naming the feature, instead of resuming into a crash.

Each step prints one line saying what was just seen, as a TAP result, so
that make check runs the tour as a test.  Driven through QEMU's own
python package (qemu.machine, qemu.qmp) from the merged tree.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
import guest  # noqa: E402
from qemu.machine import QEMUMachine  # noqa: E402

KERNEL = '6.19'             # trixie-backports: panics on #GP from MCA_DESTAT
CPU = 'EPYC-v4'
FREE_PAGE = 0x10000000      # free in the guest: the kernel can offline it
FALLBACK_MODEL = 'Westmere-v2'   # needs spec-ctrl, which TCG lacks
MISSING = 'mca'


class Tour:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.dir = tempfile.mkdtemp(prefix='resilient-demo-')
        self.guests = []
        print('TAP version 13', flush=True)

    def step(self, ok, said, why=''):
        self.n += 1
        print(f'{"ok" if ok else "not ok"} {self.n} - {said}', flush=True)
        if not ok:
            self.failed += 1
            for line in why.splitlines()[-15:]:
                print(f'# {line}', flush=True)

    def boot(self, cpu, **kwargs):
        g = guest.GuestLinux(self.kernels[KERNEL], self.initrd, cpu, **kwargs)
        self.guests.append(g)
        return g.launch()

    def done(self):
        for g in self.guests:
            g.shutdown()
        shutil.rmtree(self.dir, ignore_errors=True)
        print(f'1..{self.n}', flush=True)
        return 1 if self.failed else 0


def memory_error_recovered(t):
    g = t.boot(CPU)
    g.cmd('x-inject-memory-error', gpa=FREE_PAGE, action='optional')
    try:
        m = g.expect(rf'Memory failure: {FREE_PAGE >> 12:#x}: [^\r\n]*'
                     r'Recovered'.encode())
        line = m.group(0).decode()
        alive = g.alive()
    except (TimeoutError, guest.GuestDied) as e:
        line, alive = f'{e}', False
    t.step(alive and 'Recovered' in line,
           f'AMD guest (Linux {KERNEL}, {CPU}), memory error injected '
           f'through QMP: the guest logged "{line.strip()}" and still '
           'answers', g.log())
    return g


def memory_error_unprotected(t):
    g = t.boot(CPU + ',x-amd-smca-msrs=off,x-amd-smca-msrs-gp=on')
    g.cmd('x-inject-memory-error', gpa=FREE_PAGE, action='optional')
    try:
        why = g.wait_panic()
    except (TimeoutError, guest.GuestDied) as e:
        why = f'no panic ({e})'
    t.step(why == 'MCA architectural violation!',
           'the same with the SMCA registers as vanilla QEMU under KVM '
           f'leaves them (#GP): the guest panicked, "Kernel panic - not '
           f'syncing: {why}"', g.log())


def cpu_fallback(t):
    vm = QEMUMachine(guest.BINARIES['fork'], base_temp_dir=t.dir)
    vm.add_args('-nodefaults', '-accel', 'tcg', '-S', '-cpu',
                f'{FALLBACK_MODEL},x-fallback=on,enforce')
    try:
        vm.launch()
        path = vm.cmd('query-cpus-fast')[0]['qom-path']
        chosen = vm.cmd('qom-get', path=path, property='x-fallback-model')
        lost = vm.cmd('qom-get', path=path, property='x-vanished-features')
        vm.shutdown()
        t.step(chosen not in ('', FALLBACK_MODEL) and lost,
               f'-cpu {FALLBACK_MODEL},x-fallback=on,enforce under TCG: '
               f'started as {chosen} (without {", ".join(lost)}) instead of '
               'refusing to start', f'chose {chosen!r}, lost {lost!r}')
    except Exception as e:      # pylint: disable=broad-except
        vm.kill()
        t.step(False, f'-cpu {FALLBACK_MODEL},x-fallback=on starts',
               f'{e}\n{vm.get_log() or ""}')


def restore_refused(t, g):
    saved = os.path.join(t.dir, 'saved')
    g.cmd('migrate-set-capabilities',
          capabilities=[{'capability': 'events', 'state': True}])
    g.cmd('migrate', uri=f'file:{saved}')
    deadline = time.monotonic() + guest.TIMEOUT
    while g.cmd('query-migrate').get('status') != 'completed':
        if time.monotonic() > deadline:
            break
        g.vm.event_wait('MIGRATION', timeout=1)
    dst = guest.GuestLinux(t.kernels[KERNEL], t.initrd, f'{CPU},-{MISSING}',
                           incoming='defer')
    t.guests.append(dst)
    dst.launch(boot=False)
    dst.cmd('migrate-set-capabilities',
            capabilities=[{'capability': 'events', 'state': True}])
    dst.cmd('migrate-incoming', uri=f'file:{saved}',
            **{'exit-on-error': False})     # keep it, to ask it why
    dst.vm.event_wait('MIGRATION', timeout=guest.TIMEOUT,
                      match={'data': {'status': 'failed'}})
    error = dst.cmd('query-migrate').get('error-desc', '')
    t.step('does not provide' in error and MISSING in error,
           f'that guest saved and restored on a vCPU without {MISSING}: '
           f'refused, "{error[error.find("vCPU 0"):][:110]}..."', error)


def main():
    t = Tour()
    t.kernels = guest.kernels()
    t.initrd = guest.initramfs()
    try:
        g = memory_error_recovered(t)
        memory_error_unprotected(t)
        cpu_fallback(t)
        restore_refused(t, g)
    finally:
        code = t.done()
    return code


if __name__ == '__main__':
    sys.exit(main())
