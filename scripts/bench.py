#!/usr/bin/python3
"""'make bench': the fork against vanilla QEMU 10.2.2, side by side.

Both binaries are built from the same pinned source with the same configure
options (build/qemu and build/vanilla; 'make bench' builds both).  Every
figure is measured for both in the same run, interleaved, and printed with
the ratio fork/vanilla.  Nothing here asserts a time.

  start-up  exec to QMP greeting, qmp_capabilities, quit, process exit;
            -S -nodefaults -display none; wall-clock median of 2N
            interleaved runs with the spread of the pairwise ratios, idle
            and with every CPU kept busy; 16 started at once, until the
            last has quit; and instructions under valgrind
            --tool=callgrind (repeatable).
  port I/O  OUTs per second of the pio-loop guest payload (under KVM,
            each one an exit to QEMU): cont to SHUTDOWN, median.
  save      a stopped 256 MiB guest migrated to a file, and restored from
            it with -incoming defer + migrate-incoming: wall-clock medians.
  Linux     Debian's kernels of the guest tier (tests/guest-linux), the
            first and last of kernels.list, under TCG on each binary's q35:
            launch to the init's ready line, and QEMU's RSS then.
  downtime  live migration over a UNIX socket of the dirty-memory payload,
            idle (halted) and busy (rewriting 64 MiB): the 'downtime' the
            source reports, median.

Then figures of the fork's own features, which vanilla does not have,
as ratios within the fork:

  SMCA MSR  TSC ticks of one guest RDMSR and WRMSR of an SMCA bank MSR
            (emulated by the fork) against one RDMSR of
            MSR_CORE_THREAD_COUNT (0x35), which vanilla QEMU handles in
            userspace too (under KVM through the same MSR exit); and 0x35
            itself, fork against vanilla.  msr-timing guest payload,
            median of N runs.
  AR -> #MC x-inject-memory-error required (immediate) sent, to the guest's #MC
            handler done (the memory-error payload ends its run there):
            wall-clock median.
  deferred  x-inject-memory-error optional sent, to an AMD guest having the
            error: by the deferred-error interrupt (its handler ran), and
            by a guest polling the bank without pause; Linux polls every
            300 s by default.
  poisoned  live migration downtime of the idle dirty-memory guest with 1
            and with 64 pages poisoned (x-inject-memory-error required),
            against the same guest with none; vanilla refuses to migrate
            such a guest at all.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# QEMU's python package, from the merged tree
sys.path.insert(0, os.path.join(TOP, 'build', 'src', 'python'))
# pylint: disable=wrong-import-position
from qemu.qmp.legacy import QEMUMonitorProtocol  # noqa: E402
# The integration tests' QEMU on QEMUMachine, and the payloads' mailbox
# and slot numbers from their C headers
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))
from harness import Qemu, payload_args, poll  # noqa: E402
from payload_layout import C, field_addr  # noqa: E402
BINARIES = {
    'fork': os.path.join(TOP, 'build', 'qemu', 'qemu-system-x86_64'),
    'vanilla': os.path.join(TOP, 'build', 'vanilla', 'qemu',
                            'qemu-system-x86_64'),
}


class PayloadGuest(Qemu):
    """A payload under @accel, on QEMU's own QEMUMachine (harness.Qemu),
    stopped (-S) until 'cont', its mailbox @inputs ({slot: value}) set
    at start-up."""

    def __init__(self, binary, accel, payload, extra=(), inputs=None):
        super().__init__(binary, ['-accel', accel, '-S', '-action',
                                  'reboot=shutdown,shutdown=pause'] +
                         payload_args(payload, inputs) + list(extra),
                         name=payload)

    def finished(self):
        """Whether the payload ran to its end (the mailbox says DONE)."""
        return (self.read_u32(field_addr('magic')) ==
                C.GUEST_PAYLOAD_MAGIC_DONE)

    def wait_checkpoint(self, n):
        poll(lambda: self.read_u32(field_addr('checkpoint')),
             lambda now: now >= n, f'{self.name}: checkpoint {n}')

    def migration_done(self):
        """Wait for the MIGRATION event that ends a migration."""
        status = self.migration_end()['data']['status']
        if status != 'completed':
            raise RuntimeError(f'migration {status}')

    def close(self):
        self.quit()


SMCA_BANK = 9
MSR_SMCA_DESTAT = 0xc0002098       # MCA_DESTAT of bank 9, emulated by the fork
MSR_CORE_THREAD_COUNT = 0x35       # handled in QEMU by vanilla too
MSR_IA32_SYSENTER_CS = 0x174


def msr_cost(binary, accel, msrs, writes=0, iterations=20000):
    """TSC ticks per access of each of the two @msrs (msr-timing payload;
    bit i of @writes: write MSR i instead of reading it)."""
    g = PayloadGuest(binary, accel, 'msr-timing',
                     ['-cpu', 'qemu64,vendor=AuthenticAMD'],
                     {C.MSRTIME_IN_MSR0: msrs[0], C.MSRTIME_IN_MSR1: msrs[1],
                      C.MSRTIME_IN_COUNT: iterations,
                      C.MSRTIME_IN_WRITES: writes})
    try:
        g.command('cont')
        g.wait_event('SHUTDOWN')
        if not g.finished():
            raise RuntimeError('msr-timing payload did not finish')
        return (g.value(C.MSRTIME_OUT_TICKS0) / iterations,
                g.value(C.MSRTIME_OUT_TICKS1) / iterations)
    finally:
        g.close()


def smca_msr_cost(accel, runs):
    """Medians of ticks per access: the fork's SMCA RDMSR and WRMSR against
    anchors that vanilla handles the same way.  RDMSR of
    MSR_CORE_THREAD_COUNT is QEMU's in both (under KVM through the same
    userspace MSR exit); the WRMSR anchor is that RDMSR under KVM (no MSR
    vanilla writes in userspace there) and WRMSR of SYSENTER_CS under TCG
    (a WRMSR ends TCG's translation block, an RDMSR does not)."""
    wr_anchor, wr_writes = ((MSR_CORE_THREAD_COUNT, 0) if accel == 'kvm'
                            else (MSR_IA32_SYSENTER_CS, 2))
    s = {k: [] for k in ('smca-rd', 'smca-wr', 'fork-35', 'wr-anchor',
                         'vanilla-35')}
    for _ in range(runs):
        rd, anchor = msr_cost(BINARIES['fork'], accel,
                              (MSR_SMCA_DESTAT, MSR_CORE_THREAD_COUNT))
        wr, wr_ref = msr_cost(BINARIES['fork'], accel,
                              (MSR_SMCA_DESTAT, wr_anchor), 1 | wr_writes)
        van, _ = msr_cost(BINARIES['vanilla'], accel,
                          (MSR_CORE_THREAD_COUNT, MSR_CORE_THREAD_COUNT))
        s['smca-rd'].append(rd)
        s['smca-wr'].append(wr)
        s['fork-35'].append(anchor)
        s['wr-anchor'].append(wr_ref)
        s['vanilla-35'].append(van)
    m = {k: statistics.median(v) for k, v in s.items()}
    m['wr-anchor-name'] = ('RDMSR 0x35' if accel == 'kvm'
                           else 'WRMSR SYSENTER_CS')
    return m


def ar_to_handler(accel, runs):
    """x-inject-memory-error required -> the guest's #MC handler done."""
    samples = []
    for _ in range(runs):
        g = PayloadGuest(BINARIES['fork'], accel, 'memory-error',
                         ['-cpu', 'qemu64,vendor=AuthenticAMD'],
                         {C.MEMERR_IN_MODE: C.MEMERR_MODE_MC,
                          C.MEMERR_IN_BANK: SMCA_BANK})
        try:
            g.command('cont')
            g.wait_checkpoint(C.MEMERR_CP_READY)
            t0 = time.perf_counter()
            g.command('x-inject-memory-error', gpa=0x1000000,
                      action='required', immediate=True)
            g.wait_event('SHUTDOWN')
            samples.append(time.perf_counter() - t0)
            if not g.finished():
                raise RuntimeError('memory-error payload did not finish')
        finally:
            g.close()
    return statistics.median(samples)


# The vector of the deferred-error interrupt the deferred-interrupt
# payload programs
DEFERRED_VECTOR = 31


def ao_to_run_end(accel, payload, inputs, ready):
    """Seconds from x-inject-memory-error optional (at checkpoint @ready)
    to the end of the run of @payload (an AMD vCPU), which ends once it
    has the error."""
    g = PayloadGuest(BINARIES['fork'], accel, payload,
                     ['-cpu', 'qemu64,vendor=AuthenticAMD,'
                      'x-amd-deferred-interrupt=on'], dict(inputs))
    try:
        g.command('cont')
        g.wait_checkpoint(ready)
        t0 = time.perf_counter()
        g.command('x-inject-memory-error', gpa=0x4000000, action='optional')
        g.wait_event('SHUTDOWN')
        elapsed = time.perf_counter() - t0
        if not g.finished():
            raise RuntimeError(f'{payload} payload did not finish')
        if payload == 'deferred-interrupt' and \
                g.exception_count(DEFERRED_VECTOR) != 1:
            raise RuntimeError('not ended by one deferred interrupt')
        return elapsed
    finally:
        g.close()


def deferred_error_latency(accel, runs):
    """x-inject-memory-error optional -> the guest has the error: by the
    deferred-error interrupt (deferred-interrupt payload: it ends after
    its first interrupt), and by polling the bank in a tight loop
    (memory-error payload, MEMERR_MODE_POLL).  Seconds, medians."""
    samples = {'interrupt': [], 'polling': []}
    for _ in range(runs):
        # the APIC interrupt type at the offset the BIOS left; end after
        # the first interrupt
        samples['interrupt'].append(ao_to_run_end(
            accel, 'deferred-interrupt',
            ((C.DEFINT_IN_BANK, SMCA_BANK),
             (C.DEFINT_IN_VECTOR, DEFERRED_VECTOR),
             (C.DEFINT_IN_INT_TYPE, C.DEFINT_INT_TYPE_APIC),
             (C.DEFINT_IN_OFFSET, C.DEFINT_KEEP),
             (C.DEFINT_IN_PROGRAM, 1), (C.DEFINT_IN_END_AFTER, 1)),
            C.DEFINT_CP_READY))
        samples['polling'].append(ao_to_run_end(
            accel, 'memory-error',
            ((C.MEMERR_IN_MODE, C.MEMERR_MODE_POLL),
             (C.MEMERR_IN_BANK, SMCA_BANK)), C.MEMERR_CP_READY))
    return medians(samples)


def medians(samples):
    return {k: statistics.median(v) for k, v in samples.items()}


def pio_exit_rate(accel, runs, count):
    """OUTs per second of the pio-loop payload, for each binary."""
    samples = {k: [] for k in BINARIES}
    for _ in range(runs):
        for name, binary in BINARIES.items():       # interleaved
            g = PayloadGuest(binary, accel, 'pio-loop', inputs={
                C.PIOLOOP_IN_COUNT: count, C.PIOLOOP_IN_PORT: POST_PORT})
            try:
                t0 = time.perf_counter()
                g.command('cont')
                g.wait_event('SHUTDOWN')
                samples[name].append(count / (time.perf_counter() - t0))
                if not g.finished():
                    raise RuntimeError('pio-loop payload did not finish')
            finally:
                g.close()
    return medians(samples)


# A callgrind run is slow: a few minutes at most
CALLGRIND_TIMEOUT = 600


def pio_instructions(accel):
    """Instructions QEMU executes per OUT of the pio-loop payload, under
    callgrind (repeatable): the difference between a run of 300000 and
    one of 100000 OUTs, so that start-up and exit cancel out."""
    counts = {}
    with tempfile.TemporaryDirectory() as d:
        for name, binary in BINARIES.items():
            wrapper = os.path.join(d, name)
            out = os.path.join(d, name + '.callgrind')
            with open(wrapper, 'w') as f:
                f.write(f'#!/bin/sh\nexec valgrind --tool=callgrind '
                        f'--callgrind-out-file={out} {binary} "$@"\n')
            os.chmod(wrapper, 0o755)
            ir = {}
            for outs in (100000, 300000):
                g = PayloadGuest(wrapper, accel, 'pio-loop', inputs={
                    C.PIOLOOP_IN_COUNT: outs, C.PIOLOOP_IN_PORT: POST_PORT})
                try:
                    g.command('cont')
                    g.wait_event('SHUTDOWN', CALLGRIND_TIMEOUT)
                    g.command('quit')
                    g.wait_exit(CALLGRIND_TIMEOUT)
                finally:
                    g.close()
                with open(out) as f:
                    m = re.search(r'^summary: (\d+)', f.read(), re.M)
                if not m:
                    raise RuntimeError('callgrind wrote no instruction count')
                ir[outs] = int(m.group(1))
            counts[name] = (ir[300000] - ir[100000]) / 200000
    return counts


POST_PORT = 0x80                   # where pio-loop writes

# The dirty-memory payload: guest RAM it rewrites, from 16 MiB.
MIGRATION_RAM = ['-m', '256M']
DIRTY_BASE = 16 << 20


def dirty_memory_guest(binary, accel, busy_bytes, extra=()):
    g = PayloadGuest(binary, accel, 'dirty-memory',
                     MIGRATION_RAM + list(extra),
                     {C.DIRTY_IN_BASE: DIRTY_BASE,
                      C.DIRTY_IN_BYTES: busy_bytes})
    g.command('migrate-set-capabilities', capabilities=[
        {'capability': 'events', 'state': True}])
    if '-incoming' not in extra:
        g.command('cont')
        g.wait_checkpoint(C.DIRTY_CP_RUNNING)
    return g


def save_restore(accel, runs):
    """Seconds to save a stopped idle guest to a file, and to restore it."""
    samples = {(k, op): [] for k in BINARIES for op in ('save', 'restore')}
    for _ in range(runs):
        for name, binary in BINARIES.items():
            with tempfile.TemporaryDirectory() as d:
                uri = 'file:' + os.path.join(d, 'state')
                g = dirty_memory_guest(binary, accel, 0)
                try:
                    g.command('stop')
                    t0 = time.perf_counter()
                    g.command('migrate', uri=uri)
                    g.migration_done()
                    samples[name, 'save'].append(time.perf_counter() - t0)
                finally:
                    g.close()
                g = dirty_memory_guest(binary, accel, 0,
                                       ['-incoming', 'defer'])
                try:
                    t0 = time.perf_counter()
                    g.command('migrate-incoming', uri=uri)
                    g.migration_done()
                    samples[name, 'restore'].append(time.perf_counter() - t0)
                finally:
                    g.close()
    return medians(samples)


def live_migrate(src, dst, uri):
    """Live-migrate @src into @dst (listening on @uri): the downtime (ms)."""
    # The default 128 MiB/s would never converge when busy.
    src.command('migrate-set-parameters', **{'max-bandwidth': 4 << 30})
    src.command('migrate', uri=uri)
    src.migration_done()
    dst.migration_done()
    return src.command('query-migrate')['downtime']


def migration_downtime(accel, runs, busy_bytes):
    """The downtime (ms) the source reports for a live migration."""
    samples = {k: [] for k in BINARIES}
    for _ in range(runs):
        for name, binary in BINARIES.items():
            with tempfile.TemporaryDirectory() as d:
                uri = 'unix:' + os.path.join(d, 'migrate')
                src = dirty_memory_guest(binary, accel, busy_bytes)
                dst = None
                try:
                    dst = dirty_memory_guest(binary, accel, 0,
                                             ['-incoming', uri])
                    samples[name].append(live_migrate(src, dst, uri))
                finally:
                    src.close()
                    if dst:
                        dst.close()
    return medians(samples)


# Pages poisoned for the downtime figure: from 128 MiB, away from the
# payload's own memory.
POISON_BASE = 128 << 20


def poisoned_downtime(accel, runs, pages):
    """The fork's downtime (ms) for an idle guest with @pages poisoned."""
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            uri = 'unix:' + os.path.join(d, 'migrate')
            src = dirty_memory_guest(BINARIES['fork'], accel, 0)
            dst = None
            try:
                for i in range(pages):
                    src.command('x-inject-memory-error',
                                gpa=POISON_BASE + (i << 12),
                                action='required')
                dst = dirty_memory_guest(BINARIES['fork'], accel, 0,
                                         ['-incoming', uri])
                downtime = live_migrate(src, dst, uri)
                listed = dst.command('x-query-memory-errors')
                if len(listed) != pages:
                    raise RuntimeError(f'{len(listed)} pages arrived '
                                       f'poisoned, not {pages}')
                samples.append(downtime)
            finally:
                src.close()
                if dst:
                    dst.close()
    return statistics.median(samples)


def linux_boot(runs):
    """Debian's kernels (tests/guest-linux) under TCG on each binary's own
    q35: seconds from launch to the init's ready line, and QEMU's RSS
    then; medians per kernel, first and last of kernels.list.  None if
    the guest tier's kernels and initramfs cannot be had."""
    sys.path.insert(0, os.path.join(TOP, 'tests', 'guest-linux'))
    import guest        # noqa: E402 pylint: disable=import-outside-toplevel
    try:
        kernels = guest.kernels()
        initrd = guest.initramfs()
    except (subprocess.CalledProcessError, OSError) as e:
        print(f'note: no guest kernels ({e}): Linux figures skipped')
        return None
    names = list(kernels)
    figures = {}
    for name in dict.fromkeys((names[0], names[-1])):
        boot = {k: [] for k in BINARIES}
        rss = {k: [] for k in BINARIES}
        for _ in range(runs):
            for build in BINARIES:                      # interleaved
                g = guest.GuestLinux(kernels[name], initrd, 'qemu64',
                                     build=build, mem='512M')
                try:
                    t0 = time.perf_counter()
                    g.launch()
                    boot[build].append(time.perf_counter() - t0)
                    with open(f'/proc/{g.vm.get_pid()}/status') as f:
                        kib = re.search(r'VmRSS:\s+(\d+)', f.read())
                    rss[build].append(int(kib.group(1)) / 1024)
                finally:
                    g.shutdown()
        figures[name] = medians(boot), medians(rss)
    return figures


def kvm_usable():
    return os.access('/dev/kvm', os.R_OK | os.W_OK)


def qmp_start_quit(argv, timeout):
    """Run QEMU with a QMP socket; return once it has quit."""
    with tempfile.TemporaryDirectory() as d:
        sock_path = os.path.join(d, 'qmp.sock')
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sock_path)
        srv.listen(1)
        srv.settimeout(timeout)
        proc = subprocess.Popen(argv + ['-qmp', f'unix:{sock_path}'],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            conn, _ = srv.accept()
            qmp = QEMUMonitorProtocol(conn)
            qmp.settimeout(timeout)
            qmp.connect(negotiate=True)            # greeting, capabilities
            qmp.cmd('quit')
            _, err = proc.communicate(timeout=timeout)
            try:
                qmp.close()
            except (EOFError, ConnectionError):
                pass                                # QEMU hung up first
        except Exception:
            proc.kill()
            proc.wait()
            raise
        finally:
            srv.close()
        if proc.returncode != 0:
            raise RuntimeError(f'{argv[0]} exited {proc.returncode}: '
                               f'{err.decode(errors="replace")[-300:]}')
        return err.decode(errors='replace')


def startup_args(binary, accel):
    return [binary, '-accel', accel, '-S', '-nodefaults', '-display', 'none']


class CPULoad:
    """One busy process per CPU, for figures taken under load."""

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, '-c',
                                        'while True: pass'])
                      for _ in range(os.cpu_count() or 1)]
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


def pairwise(samples):
    """Medians, and the fork/vanilla ratio of each interleaved pair:
    its median and its 10th and 90th percentiles."""
    med = medians(samples)
    ratios = sorted(f / v for f, v in zip(samples['fork'],
                                          samples['vanilla']))
    n = len(ratios)
    med['ratio'] = statistics.median(ratios)
    med['p10'] = ratios[n // 10]
    med['p90'] = ratios[min(n - 1, n * 9 // 10)]
    return med


def wall_startup(accel, runs):
    samples = {k: [] for k in BINARIES}
    for _ in range(runs):
        for name, binary in BINARIES.items():       # interleaved
            t0 = time.perf_counter()
            qmp_start_quit(startup_args(binary, accel), 60)
            samples[name].append(time.perf_counter() - t0)
    return pairwise(samples)


def burst_startup(accel, rounds, n=16):
    """@n QEMUs started at once, until the last has quit."""
    samples = {k: [] for k in BINARIES}
    for _ in range(rounds):
        for name, binary in BINARIES.items():       # interleaved
            threads = [threading.Thread(
                target=qmp_start_quit, args=(startup_args(binary, accel), 120))
                for _ in range(n)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            samples[name].append(time.perf_counter() - t0)
    return pairwise(samples)


def callgrind_startup(accel):
    counts = {}
    for name, binary in BINARIES.items():
        err = qmp_start_quit(['valgrind', '--tool=callgrind',
                              '--callgrind-out-file=/dev/null'] +
                             startup_args(binary, accel), 600)
        m = re.search(r'Collected\s*:\s*(\d+)', err)
        if not m:
            raise RuntimeError('callgrind printed no instruction count')
        counts[name] = int(m.group(1))
    return counts


def row(label, fork, vanilla, unit, fmt, spread=None):
    ratio = fork / vanilla if vanilla else float('nan')
    extra = ''
    if spread:
        extra = (f'  pairs {spread["ratio"]:.3f} '
                 f'[{spread["p10"]:.3f}-{spread["p90"]:.3f}]')
    print(f'{label:<40} {fmt.format(fork):>14} {fmt.format(vanilla):>14} '
          f'{unit:<6} {ratio:6.3f}{extra}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=15,
                        help='wall-clock runs per binary (median is shown)')
    parser.add_argument('--no-callgrind', action='store_true')
    opts = parser.parse_args()

    for name, binary in BINARIES.items():
        if not os.access(binary, os.X_OK):
            sys.exit(f'{name} binary {binary} missing: run make bench')
    accels = ['tcg'] + (['kvm'] if kvm_usable() else [])
    if not kvm_usable():
        print('note: /dev/kvm not usable here: KVM figures skipped')
    if not opts.no_callgrind and not shutil.which('valgrind'):
        print('note: valgrind not installed: instruction counts skipped')
        opts.no_callgrind = True

    print(f'{"figure":<40} {"fork":>14} {"vanilla":>14} {"unit":<6} '
          f'{"ratio":>6}')
    # Start-up is short and noisy: twice the runs, the spread of the
    # pairwise ratios shown; idle, with every CPU busy, and 16 at once.
    for accel in accels:
        med = wall_startup(accel, 2 * opts.runs)
        row(f'start-up to QMP + quit, {accel} (median)', med['fork'] * 1e3,
            med['vanilla'] * 1e3, 'ms', '{:.1f}', med)
        with CPULoad():
            med = wall_startup(accel, 2 * opts.runs)
        row(f'start-up, CPUs loaded, {accel} (median)', med['fork'] * 1e3,
            med['vanilla'] * 1e3, 'ms', '{:.1f}', med)
        med = burst_startup(accel, max(3, opts.runs // 3))
        row(f'16 start-ups at once, {accel} (median)', med['fork'] * 1e3,
            med['vanilla'] * 1e3, 'ms', '{:.0f}', med)
    if not opts.no_callgrind:
        for accel in accels:
            ins = callgrind_startup(accel)
            row(f'start-up to QMP + quit, {accel} (callgrind)',
                ins['fork'] / 1e6, ins['vanilla'] / 1e6, 'M ins', '{:.2f}')
    for accel in accels:
        # Enough OUTs for a second or so of either accelerator.
        rate = pio_exit_rate(accel, opts.runs,
                             100000 if accel == 'kvm' else 10000000)
        row(f'port I/O OUTs per second, {accel} (median)',
            rate['fork'] / 1e3, rate['vanilla'] / 1e3, 'k/s', '{:.1f}')
    if not opts.no_callgrind:
        ins = pio_instructions('tcg')
        row('port I/O instructions per OUT, tcg (callgrind)', ins['fork'],
            ins['vanilla'], 'ins', '{:.1f}')
    for accel in accels:
        sr = save_restore(accel, opts.runs)
        for op in ('save', 'restore'):
            row(f'{op} idle 256 MiB guest, {accel} (median)',
                sr['fork', op] * 1e3, sr['vanilla', op] * 1e3, 'ms',
                '{:.1f}')
    for accel in accels:
        for label, busy in (('idle', 0), ('busy', 64 << 20)):
            dt = migration_downtime(accel, opts.runs, busy)
            row(f'migration downtime, {label}, {accel} (median)',
                dt['fork'], dt['vanilla'], 'ms', '{:.0f}')
    linux = linux_boot(max(3, opts.runs // 5))
    for name, (boot, rss) in (linux or {}).items():
        row(f'Linux {name} boot to init, tcg (median)', boot['fork'],
            boot['vanilla'], 's', '{:.2f}')
        row(f'  QEMU RSS once booted, Linux {name}', rss['fork'],
            rss['vanilla'], 'MiB', '{:.1f}')
    print(f'(ratio = fork / vanilla of the medians; {opts.runs} wall-clock '
          'runs each, interleaved; pairs: median [10th-90th percentile] of '
          'the ratios of interleaved pairs)')

    print()
    print(f'{"fork only":<40} {"value":>14} {"reference":>14} {"unit":<6} '
          f'{"ratio":>6}')
    for accel in accels:
        m = smca_msr_cost(accel, opts.runs)
        row(f'RDMSR 0x35, fork vs vanilla, {accel}', m['fork-35'],
            m['vanilla-35'], 'ticks', '{:.0f}')
        row(f'RDMSR SMCA vs RDMSR 0x35, {accel}', m['smca-rd'], m['fork-35'],
            'ticks', '{:.0f}')
        row(f'WRMSR SMCA vs {m["wr-anchor-name"]}, {accel}', m['smca-wr'],
            m['wr-anchor'], 'ticks', '{:.0f}')
    for accel in accels:
        ms = ar_to_handler(accel, opts.runs) * 1e3
        print(f'{"AR injection -> #MC handler, " + accel + " (median)":<40} '
              f'{ms:14.2f} {"":>14} {"ms":<6}')
    # The interrupt needs QEMU's own APIC: TCG here.
    lat = deferred_error_latency('tcg', opts.runs)
    row('AMD AO -> guest: interrupt vs tight poll, tcg',
        lat['interrupt'] * 1e3, lat['polling'] * 1e3, 'ms', '{:.2f}')
    for accel in accels:
        none = poisoned_downtime(accel, opts.runs, 0)
        for pages in (1, 64):
            row(f'downtime, {pages} poisoned vs none, {accel}',
                poisoned_downtime(accel, opts.runs, pages), none, 'ms',
                '{:.0f}')
    print('(SMCA MSR ratio = emulated SMCA access / RDMSR of 0x35, which '
          'vanilla handles in QEMU too; poisoned: with pages poisoned / '
          'with none)')


if __name__ == '__main__':
    main()
