"""
qemu-resilient integration tests: the shared harness

QEMU processes of any build (the fork, vanilla 10.2.2, Debian's packaged
QEMU) running a guest payload, launched by QEMU's own QEMUMachine and
driven over QMP only -- the interface libvirt and cluster managers use.
The checks' TAP is tap.py's.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import asyncio
import atexit
import os
import shutil
import tempfile
import time
import traceback
import sys

# QEMU's python package, from the merged tree (tests/functional uses it)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.realpath(__file__)))), 'build', 'src', 'python'))
# pylint: disable=wrong-import-position
from qemu.machine import QEMUMachine  # noqa: E402
from qemu.machine.machine import (AbnormalShutdown,  # noqa: E402
                                  QEMUMachineError, VMLaunchFailure)
from qemu.qmp import ExecuteError  # noqa: E402
from qemu.qmp.protocol import StateError  # noqa: E402
from qemu.qmp.qmp_client import ExecInterruptedError  # noqa: E402
# The payloads' mailbox and slot numbers, from their C headers
from payload_layout import (C, PAYLOADS, exception_count_addr,  # noqa: E402
                            input_addr, value_addr)

# realpath: meson runs the scripts through their links in build/src
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
# RESILIENT_FORK puts another build in the fork's place: run the tests
# against vanilla QEMU to see them fail where it lacks the fork's features.
BINARIES = {
    'fork': os.environ.get('RESILIENT_FORK') or
    os.path.join(TOP, 'build', 'qemu', 'qemu-system-x86_64'),
    'vanilla': os.path.join(TOP, 'build', 'vanilla', 'qemu',
                            'qemu-system-x86_64'),
    'debian': '/usr/bin/qemu-system-x86_64',
}
MC_BANK = 1                             # where the tests' machine checks go

# qemu-resilient's own machine types (docs/system/i386/machine-types.rst):
# where its guest-ABI changes are on.  "q35" and "pc" point at them.
FORK_Q35 = 'pc-q35-10.2-resilient1'
FORK_I440FX = 'pc-i440fx-10.2-resilient1'

TIMEOUT = 60


def binary_or_skip_reason(name):
    """The path of build @name, or (None, why it is not there)."""
    path = BINARIES[name]
    if os.access(path, os.X_OK):
        return path, ''
    how = {'fork': 'make', 'vanilla': 'make vanilla',
           'debian': 'apt-get install qemu-system-x86'}[name]
    return None, f'{path} missing ({how})'


def kvm_usable():
    try:
        os.close(os.open('/dev/kvm', os.O_RDWR))
        return True
    except OSError:
        return False


def kvm_erratum(erratum):
    """(status, evidence) of @erratum as the fork finds it on this host's
    KVM (x-query-kvm-errata), for tests whose premise the erratum
    removes."""
    if erratum not in _kvm_errata:
        q = Qemu(BINARIES['fork'], ['-accel', 'kvm', '-machine', 'q35',
                                    '-S'], name='kvm-errata')
        try:
            for e in q.command('x-query-kvm-errata'):
                _kvm_errata[e['id']] = (e['status'], e.get('evidence', []))
        finally:
            q.quit()
    return _kvm_errata[erratum]


_kvm_errata = {}


def default_accel():
    """KVM where it is usable, TCG elsewhere."""
    return 'kvm' if kvm_usable() else 'tcg'


def poll(read, done, what, timeout=TIMEOUT):
    """Call @read until @done accepts its value; return that value.

    For what only guest memory shows (a counter the payload bumps): QMP
    has no event for it, so this polls, briefly, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f'{what}: still {value} after {timeout} s')
        time.sleep(0.005)


def payload_args(payload='vcpu-events', inputs=None):
    """-bios @payload, its mailbox inputs written by a loader device."""
    args = ['-bios', os.path.join(PAYLOADS, payload + '.bin')]
    for index, value in sorted((inputs or {}).items()):
        args += ['-device', f'loader,addr={input_addr(index):#x}'
                 f',data={value:#x},data-len=8']
    return args


class QMPError(Exception):
    def __init__(self, cmd, desc):
        super().__init__(f'{cmd}: {desc}')
        self.desc = desc


# Machines not shut down yet: killed at exit, so that a failed check
# cannot leave a QEMU (or a namespace's) running behind the test.
_running = set()


@atexit.register
def _kill_leftovers():
    for machine in list(_running):
        machine.kill()


class Qemu:
    """One QEMU process, launched and spoken to by QEMU's own QEMUMachine
    (python/qemu of the merged tree), its files in a private directory.
    @prefix runs it through a wrapper (ip netns exec ...)."""

    def __init__(self, binary, args, prefix=(), name='qemu'):
        self.dir = tempfile.mkdtemp(prefix=f'resilient-{name}-')
        self.name = name
        self.binary = binary
        self.machine = QEMUMachine(binary, ['-nodefaults'] + list(args),
                                   wrapper=list(prefix), name=name,
                                   base_temp_dir=self.dir, log_dir=self.dir,
                                   qmp_timer=TIMEOUT)
        # QEMU's stdout and stderr, kept after it exits
        self.log_path = os.path.join(self.dir, name + '.log')
        try:
            self.machine.launch()
        except VMLaunchFailure as e:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError(f'{name} did not start: '
                               f'{(e.output or "").strip()}') from None
        _running.add(self.machine)

    def stderr(self):
        """What QEMU has printed so far."""
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def command(self, cmd, **args):
        try:
            return self.machine.cmd(cmd, args_dict=args)
        except ExecuteError as e:
            raise QMPError(cmd, str(e)) from None
        except (ExecInterruptedError, StateError, ConnectionError,
                EOFError, QEMUMachineError) as e:
            self.wait_exit(10)
            raise EOFError(f'{self.name} exited '
                           f'({self.machine.exitcode()}) during {cmd} '
                           f'({e}): {self.stderr().strip()}') from None

    def wait_event(self, name, timeout=TIMEOUT, *matches):
        """The first event @name, kept or new, whose data has all of one of
        @matches (QEMUMachine.event_match: {'status': 'completed'})."""
        try:
            return self.machine.events_wait(
                [(name, {'data': m}) for m in matches] or [(name, None)],
                timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f'{self.name}: no {name} event in '
                               f'{timeout} s') from None

    def discard_events(self):
        """Forget the events QEMU has sent so far."""
        self.machine.get_qmp_events()

    def migration_end(self, timeout=TIMEOUT):
        """The MIGRATION event that ends a migration, this side."""
        return self.wait_event('MIGRATION', timeout,
                               *({'status': s} for s in
                                 ('completed', 'failed', 'cancelled')))

    def has_command(self, name):
        if not hasattr(self, '_commands'):
            self._commands = {c['name']
                              for c in self.command('query-commands')}
        return name in self._commands

    def hmp(self, line):
        return self.command('human-monitor-command', **{'command-line': line})

    def read_phys(self, addr, size):
        """@size bytes of guest physical memory at @addr (QMP pmemsave)."""
        path = os.path.join(self.dir, 'pmem')
        self.command('pmemsave', val=addr, size=size, filename=path)
        with open(path, 'rb') as f:
            return f.read()

    def read_u64(self, addr):
        return int.from_bytes(self.read_phys(addr, 8), 'little')

    def read_u32(self, addr):
        return int.from_bytes(self.read_phys(addr, 4), 'little')

    def value(self, index):
        return self.read_u64(value_addr(index))

    def exception_count(self, vector):
        return self.read_u32(exception_count_addr(vector))

    def status(self):
        return self.command('query-status')['status']

    def alive(self):
        return self.machine.is_running()

    @property
    def pid(self):
        return self.machine.get_pid()

    def wait_loops_beyond(self, count, timeout=TIMEOUT):
        """Wait until the payload's loop counter passes @count: it runs."""
        return poll(lambda: self.value(C.VE_OUT_LOOPS) & 0xffffffff,
                    lambda now: now > count,
                    f'{self.name}: guest loop counter', timeout)

    def wait_exit(self, timeout):
        """Wait for QEMU to exit by itself; kill it after @timeout s."""
        try:
            self.machine.wait(timeout)
        except AbnormalShutdown:
            pass
        _running.discard(self.machine)

    def quit(self):
        """Quit (QMP), or kill what does not; remove the private dir."""
        try:
            self.machine.shutdown(timeout=10)
        except AbnormalShutdown:
            pass
        _running.discard(self.machine)
        shutil.rmtree(self.dir, ignore_errors=True)


def migrate(src, dst, uri, timeout=TIMEOUT):
    """Live-migrate @src into @dst (started with -incoming @uri).

    With the return path, as a careful manager runs it: the source hears
    of a destination that fails to load, even after it sent everything,
    and then fails the migration and runs on instead of staying paused.
    Returns the source's query-migrate on success; raises MigrationFailed
    with the source's error otherwise."""
    for q in (src, dst):
        q.command('migrate-set-capabilities',
                  capabilities=[{'capability': 'events', 'state': True},
                                {'capability': 'return-path',
                                 'state': True}])
    # A source that arrived by migration still holds that one's events.
    src.discard_events()
    src.command('migrate', uri=uri)
    ev = src.migration_end(timeout)
    info = src.command('query-migrate')
    if ev['data']['status'] != 'completed':
        raise MigrationFailed(info.get('error-desc', ev['data']['status']))
    dst.wait_event('RESUME', timeout)
    return info


class MigrationFailed(Exception):
    pass


def run_case(tap, name, fn, *args):
    """Run one check; an exception is its failure, not the script's end."""
    try:
        fn(tap, *args)
    except Skip as s:
        tap.skip(name, str(s))
    except Exception as e:  # noqa: BLE001 -- report, go on with the next
        where = [f for f in traceback.extract_tb(e.__traceback__)
                 if not f.filename.endswith("harness.py")][-1]
        tap.ok(name, False, f'{type(e).__name__}: {e}\n'
               f'(at {os.path.basename(where.filename)}:{where.lineno})')


class Skip(Exception):
    pass


MC_STATUS = C.MCI_VAL | C.MCI_UC | C.MCI_EN | C.MCI_ADDRV | C.MCI_S
MCG_STATUS = C.MCG_RIPV | C.MCG_MCIP


def mce_args(addr, cpu=0, bank=MC_BANK, status=MC_STATUS):
    """x-inject-mce's arguments: an uncorrected error at @addr."""
    return {'cpu-index': cpu, 'bank': bank, 'status': status,
            'mcg-status': MCG_STATUS, 'addr': addr, 'misc': 0}


def inject_mce(q, addr):
    """A machine check in bank MC_BANK with @addr: QMP where the build has
    the fork's x-inject-mce, HMP (the only way there) elsewhere."""
    if q.has_command('x-inject-mce'):
        q.command('x-inject-mce', **mce_args(addr))
    else:
        out = q.hmp(f'mce 0 {MC_BANK} {MC_STATUS:#x} {MCG_STATUS:#x} '
                    f'{addr:#x} 0')
        if out.strip():
            raise RuntimeError(f'mce: {out.strip()}')


def wait_value(q, index, want, timeout=TIMEOUT):
    """Wait until mailbox value @index reaches @want."""
    return poll(lambda: q.value(index), lambda now: now >= want,
                f'{q.name}: value {index} (expected {want})', timeout)


def wait_count(q, vector, want, timeout=TIMEOUT):
    """Wait until the guest has taken @want exceptions @vector."""
    return poll(lambda: q.exception_count(vector), lambda now: now >= want,
                f'{q.name}: exceptions {vector} (expected {want})', timeout)
