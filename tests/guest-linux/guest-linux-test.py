#!/usr/bin/python3
"""
qemu-resilient guest-kernel tests: Debian's own kernels as the clients

Every scenario runs on each kernel of kernels.list where it applies, as
one TAP case (pycotap), named <scenario>_<kernel>.  Guests run under TCG
(this tier needs no KVM); docs/devel/testing/guest-linux.rst says what
each scenario shows and why.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import re
import shutil
import sys
import tempfile
import time
import unittest

import pycotap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
import guest  # noqa: E402
from guest import (AMD_AO_MISC, AMD_AO_STATUS, FREE_PAGE,  # noqa: E402
                   MSR_ACCESS_ERROR, hmp_mce_ao)

LOG_DIR = os.path.join(guest.TOP, 'build', 'guest-linux', 'logs')
KERNELS = guest.kernels()
KVM_VERDICT = guest.kvm_verdict()
INITRD = guest.initramfs()

AMD_CPU = 'EPYC-v4'
# The same with SYNDV (bit 53): Linux 7.x then reads MCA_SYND1 and SYND2.
AMD_AO_SYNDV_STATUS = 0x9c20180000000000
SMCA_UMC_IPID = 0x96 << 32      # bank 9 with smca=on: a UMC


MCE_RECORD_RE = re.compile(r'mce_record: CPU: (\d+), .*?MC(\d+): ([0-9a-f]+), '
                           r'IPID: ([0-9a-f]+), ADDR(?:/MISC/SYND)?: '
                           r'([0-9a-f]+)')


def mce_records(g):
    """(cpu, bank, status, ipid, addr) of each record the guest logged
    since the last call, from its mce:mce_record trace event."""
    out = g.run('cat /sys/kernel/tracing/trace; '
                'echo > /sys/kernel/tracing/trace')
    return [tuple(int(x, 10 if i < 2 else 16)
                  for i, x in enumerate(m.groups()))
            for m in MCE_RECORD_RE.finditer(out)]


class GuestTest(unittest.TestCase):
    """A test case that boots guests and shuts them down after it."""

    def setUp(self):
        self.guests = []
        # Saved states outlive the QEMU that wrote them: not in its dir
        self.tmp = tempfile.mkdtemp(prefix='resilient-guest-test-')

    def tearDown(self):
        # Every console is kept: the first place to look after a failure.
        os.makedirs(LOG_DIR, exist_ok=True)
        for n, g in enumerate(self.guests):
            g.shutdown()
            name = f'{self.id().split(".")[-1]}-{n}.log'
            with open(os.path.join(LOG_DIR, name), 'w') as f:
                f.write(g.log())
        shutil.rmtree(self.tmp, ignore_errors=True)

    def boot(self, kernel, cpu=AMD_CPU, kernel_log=False, **kwargs):
        """@kernel booted to its shell; with @kernel_log its messages go to
        a second serial port, logged to a file, instead of the shell's."""
        if kernel_log:
            os.makedirs(LOG_DIR, exist_ok=True)
            path = os.path.join(LOG_DIR, f'{self.id().split(".")[-1]}-'
                                f'{len(self.guests)}-kernel.log')
            kwargs['kernel_console'] = 'ttyS1'
            kwargs['args'] = tuple(kwargs.get('args', ())) + (
                '-serial', f'file:{path}')
        g = guest.GuestLinux(KERNELS[kernel], INITRD, cpu, **kwargs)
        self.guests.append(g)
        try:
            return g.launch()
        except Exception:
            sys.stderr.write(g.log())
            raise

    def assert_console(self, g, regex, what, timeout=guest.TIMEOUT):
        try:
            return g.expect(regex, timeout)
        except (TimeoutError, guest.GuestDied) as e:
            self.fail(f'{what}: expected {regex!r} on the console; {e}\n'
                      f'--- console:\n{g.log()}')

    def assert_no(self, g, text, start):
        seen = g.since(start)
        self.assertNotIn(text, seen, f'the guest printed {text!r}:\n{seen}')

    def assert_free_page_offlined(self, g):
        """Linux offlined FREE_PAGE and goes on answering."""
        self.assert_console(
            g, rf'Memory failure: {FREE_PAGE >> 12:#x}: [^\n]*Recovered',
            'the page offlined')
        self.assertTrue(g.alive(), 'the guest stopped answering')

    def amd_ao(self, g, inject, ipid=0):
        """An AO memory error at FREE_PAGE: logged, page offlined, alive."""
        start = g.pos
        inject(g)
        self.assert_free_page_offlined(g)
        self.assertEqual(mce_records(g),
                         [(0, 9, AMD_AO_STATUS, ipid, FREE_PAGE)],
                         'expected one bank-9 record (cpu, bank, status, '
                         'IPID, ADDR)')
        self.assert_no(g, MSR_ACCESS_ERROR, start)


# Has succor and overflow-recov; on the fork's own machine types (q35,
# the default here) x-amd-mca-recovery lets TCG offer them.
AMD_RECOVERY_CPU = 'EPYC-v5'
# GenuineIntel with MCA; QEMU's MCG_CAP has SER_P (software recovery).
INTEL_CPU = 'Nehalem'
AR_RUNS = 20
SHARED_RUNS = 6
MOVES = 50
MOVE_MEM = '256M'       # what a move copies


def start_poison_helper(g, mode='poison'):
    """A guest-helper holding a page; its guest-physical address."""
    g.run('rm -f /tmp/go; mkfifo /tmp/go')
    # Not a job of the shell: busybox's ash can take the SIGCHLD of a job
    # that ends while it reads the console as the end of its input.
    g.run(f'( (guest-helper {mode} < /tmp/go; echo "helper-exit $?") & )')
    g.run('exec 3>/tmp/go')
    m = g.expect(rb'helper: page \S+ gpa=(0x[0-9a-f]+) ')
    return int(m.group(1), 16)


def poison_and_go(g, mode='poison'):
    """A guest-helper @mode whose page is poisoned for access, told to
    read it; what it answers is on the console from here on."""
    gpa = start_poison_helper(g, mode)
    g.cmd('x-inject-memory-error', gpa=gpa, action='required')
    mark = g.pos
    g.run('echo go >&3; exec 3>&-')
    g.pos = mark        # the helper may answer before the shell


def ar_on_access(self, g, runs):
    """@runs helpers, each killed with BUS_MCEERR_AR by its own access.

    The guest's kernel messages go to another serial port (kernel_log):
    Linux 7.2 printing its #MC records on the 8250 port that carries the
    shell sometimes leaves that port's output stalled for good (seen after
    the 2nd and the 6th error of a run; never with the messages elsewhere,
    nor on 6.1-6.19)."""
    start = g.pos
    for n in range(runs):
        poison_and_go(g)
        self.assert_console(g, rb'helper: SIGBUS (\S+) ', f'run {n + 1}: the '
                            'helper told of its page')
        m = self.assert_console(g, rb'helper-exit (\d+)\r?\n',
                                f'run {n + 1}: the helper ended')
        self.assertEqual(m.group(1), b'10', f'run {n + 1}: expected exit '
                         f'10 (BUS_MCEERR_AR), got {m.group(1)!r}')
        self.assertTrue(g.alive(), f'run {n + 1}: the guest died')
    self.assert_no(g, 'Kernel panic', start)


def qmp_memory_error_ao(g):
    g.cmd('x-inject-memory-error', gpa=FREE_PAGE, action='optional')


# -- scenarios, each run on every kernel ---------------------------------

def amd_ao_hmp_mce(self, kernel):
    """AMD AO through HMP 'mce', the fork's defaults: the guest recovers."""
    self.amd_ao(self.boot(kernel), hmp_mce_ao)


def amd_ao_memory_error(self, kernel):
    """AMD AO through x-inject-memory-error, the fork's defaults."""
    self.amd_ao(self.boot(kernel), qmp_memory_error_ao)


def amd_ao_smca(self, kernel):
    """AMD AO with smca=on: an SMCA guest sees the UMC bank's IPID."""
    g = self.boot(kernel, cpu=AMD_CPU + ',smca=on')
    self.amd_ao(g, qmp_memory_error_ao, ipid=SMCA_UMC_IPID)


def amd_ao_smca_hmp_mce(self, kernel):
    """The same through HMP 'mce'."""
    g = self.boot(kernel, cpu=AMD_CPU + ',smca=on')
    self.amd_ao(g, hmp_mce_ao, ipid=SMCA_UMC_IPID)


def amd_ao_vanilla_semantics(self, kernel):
    """AMD AO with x-amd-smca-msrs=off: what vanilla's TCG gives the guest."""
    g = self.boot(kernel, cpu=AMD_CPU + ',x-amd-smca-msrs=off')
    self.amd_ao(g, hmp_mce_ao)


def amd_ao_vanilla_semantics_memory_error(self, kernel):
    """The same through x-inject-memory-error."""
    g = self.boot(kernel, cpu=AMD_CPU + ',x-amd-smca-msrs=off')
    self.amd_ao(g, qmp_memory_error_ao)


def amd_ao_kvm_semantics(self, kernel):
    """The unprotected configuration: SMCA MSRs #GP, as under stock KVM.

    6.19.6 clears MCA_DESTAT without checking for SMCA and must panic
    ("MCA architectural violation"): the failure the fork prevents.
    Kernels without that bug survive."""
    g = self.boot(kernel, cpu=AMD_CPU + ',x-amd-smca-msrs=off,'
                  'x-amd-smca-msrs-gp=on')
    if kernel != '6.19':
        self.amd_ao(g, hmp_mce_ao)
        return
    hmp_mce_ao(g)
    self.assert_console(g, rf'{MSR_ACCESS_ERROR}: WRMSR to 0xc0002098',
                        'the write to MCA_DESTAT of bank 9 refused')
    why = g.wait_panic()
    self.assertEqual(why, 'MCA architectural violation!',
                     'expected the panic of an unprotected AMD guest')


def amd_syndv_smca(self, kernel):
    """Three SYNDV errors in a row, smca=on: 7.x reads SYND1/SYND2."""
    g = self.boot(kernel, cpu=AMD_CPU + ',smca=on')
    start = g.pos
    for n in range(3):
        addr = FREE_PAGE + (n + 1) * 0x200000
        g.cmd('x-inject-mce', **{'cpu-index': 0, 'bank': 9,
                                 'status': AMD_AO_SYNDV_STATUS,
                                 'mcg-status': 0, 'addr': addr,
                                 'misc': AMD_AO_MISC})
        # Offlined or not (a page the kernel owns is "Ignored"): handled
        self.assert_console(g, rf'Memory failure: {addr >> 12:#x}: '
                            r'recovery action for [^\n]*: \w+\r?\n',
                            f'page {n + 1} handled')
        self.assertTrue(g.alive(), f'the guest died after error {n + 1}')
        self.assertEqual(mce_records(g), [(0, 9, AMD_AO_SYNDV_STATUS,
                                           SMCA_UMC_IPID, addr)],
                         f'record {n + 1} of 3')
    self.assert_no(g, MSR_ACCESS_ERROR, start)


def old_machine_fork_as_vanilla(self, kernel):
    """-M pc-i440fx-10.1 / pc-q35-10.1: the fork's guest fares as vanilla's.

    AO through HMP 'mce' (vanilla has it too); both must survive and log
    the same record, and neither may print an MSR access error."""
    outcome = {}
    for machine in ('pc-i440fx-10.1', 'pc-q35-10.1'):
        for build in ('fork', 'vanilla'):
            g = self.boot(kernel, build=build, machine=machine)
            start = g.pos
            hmp_mce_ao(g)
            try:
                g.expect(rf'Memory failure: {FREE_PAGE >> 12:#x}: '
                         r'[^\n]*Recovered')
                alive = g.alive()
            except (TimeoutError, guest.GuestDied) as e:
                alive = str(e)
            outcome[(machine, build)] = (
                alive, MSR_ACCESS_ERROR in g.since(start))
            g.shutdown()
        self.assertEqual(outcome[(machine, 'fork')],
                         outcome[(machine, 'vanilla')],
                         f'{machine}: (recovered, MSR error) differ, fork '
                         'against vanilla')
        self.assertEqual(outcome[(machine, 'fork')], (True, False),
                         f'{machine}: the guest did not recover')


def amd_ar_user(self, kernel):
    """AMD AR on access, SUCCOR under TCG: the process dies, 20 times."""
    ar_on_access(self, self.boot(kernel, cpu=AMD_RECOVERY_CPU,
                                 kernel_log=True), AR_RUNS)


def ar_fatal(self, g, mode):
    """An AR error on the page of a guest-helper @mode: a fatal #MC."""
    gpa = start_poison_helper(g, mode)
    g.cmd('x-inject-memory-error', gpa=gpa, action='required')
    g.send('echo go >&3')
    why = g.wait_panic()
    self.assertRegex(why, 'machine check|Machine check',
                     'expected a machine-check panic')


def amd_ar_kernel(self, kernel):
    """AMD AR consumed by the kernel (a plain copy): the guest panics."""
    ar_fatal(self, self.boot(kernel, cpu=AMD_RECOVERY_CPU), 'poison-kernel')


def amd_ar_without_succor(self, kernel):
    """AMD AR on access without SUCCOR: a fatal #MC.

    On an upstream machine type TCG filters SUCCOR out, as vanilla does.
    The guest cannot recover what its CPU does not promise to contain:
    why x-amd-mca-recovery exists, and is on on the fork's types."""
    ar_fatal(self, self.boot(kernel, cpu=AMD_RECOVERY_CPU,
                             machine='pc-q35-10.2'), 'poison')


def intel_ao(self, kernel):
    """Intel AO: an SRAO #MC; the page is offlined, the guest runs on."""
    g = self.boot(kernel, cpu=INTEL_CPU)
    start = g.pos
    qmp_memory_error_ao(g)
    self.assert_free_page_offlined(g)
    self.assert_no(g, 'Kernel panic', start)


def intel_ar_user(self, kernel):
    """Intel AR on access: the process dies with BUS_MCEERR_AR, 20 times."""
    ar_on_access(self, self.boot(kernel, cpu=INTEL_CPU, kernel_log=True),
                 AR_RUNS)


def intel_ar_shared(self, kernel):
    """Two vCPUs read one poisoned page at once: both readers die of
    SIGBUS, the guest runs on; 6 times.

    Each access raises its own #MC, broadcast to the other vCPU (Intel).
    The guest used to be reset when the other's broadcast reached a vCPU
    already in its machine check, or to freeze, each vCPU waiting for the
    other to take its broadcast."""
    g = self.boot(kernel, cpu=INTEL_CPU, kernel_log=True, args=('-smp', '2'))
    start = g.pos
    for n in range(SHARED_RUNS):
        poison_and_go(g, 'poison-shared')
        exits = [int(self.assert_console(
            g, rb'helper: reader \d+ exit (\d+)\r?\n',
            f'run {n + 1}: a reader ended').group(1)) for _ in range(2)]
        self.assert_console(g, rb'helper-exit 0\r?\n',
                            f'run {n + 1}: the helper ended')
        self.assertTrue(10 in exits and set(exits) <= {10, 11},
                        f'run {n + 1}: expected one reader to exit 10 '
                        '(BUS_MCEERR_AR) and the other 10 or 11 (AO), got '
                        f'{exits}')
        self.assertTrue(g.alive(), f'run {n + 1}: the guest died')
    self.assert_no(g, 'Kernel panic', start)


# -- moving a running guest ---------------------------------------------

def migration_done(g, timeout=guest.TIMEOUT):
    """The MIGRATION event that ends a migration on @g: its status."""
    ev = g.vm.events_wait([('MIGRATION', {'data': {'status': 'completed'}}),
                           ('MIGRATION', {'data': {'status': 'failed'}})],
                          timeout=timeout)
    if ev is None:
        raise TimeoutError(f'no end of migration within {timeout} s')
    return ev['data']['status']


def migration_events(g):
    g.cmd('migrate-set-capabilities',
          capabilities=[{'capability': 'events', 'state': True}])


def incoming(self, kernel, cpu, uri, **kwargs):
    """A destination started for @uri: (guest, status, error)."""
    g = guest.GuestLinux(KERNELS[kernel], INITRD, cpu, incoming='defer',
                         **kwargs)
    self.guests.append(g)
    g.launch(boot=False)
    migration_events(g)
    # A refused load leaves QEMU up to say why (query-migrate).
    g.cmd('migrate-incoming', uri=uri, **{'exit-on-error': False})
    status = migration_done(g)
    error = g.cmd('query-migrate').get('error-desc', '')
    return g, status, error


def move(self, g, kernel, cpu, how, **kwargs):
    """@g saved and restored (@how 'file') or live-migrated ('live') to a
    new QEMU, which is returned; @g is shut down."""
    path = os.path.join(self.tmp, f'move-{len(self.guests)}')
    migration_events(g)
    if how == 'file':
        g.cmd('migrate', uri=f'file:{path}')
        self.assertEqual(migration_done(g), 'completed', 'save failed')
        g.shutdown()
        dst, status, error = incoming(self, kernel, cpu, f'file:{path}',
                                      **kwargs)
        os.unlink(path)
    else:
        dst = guest.GuestLinux(KERNELS[kernel], INITRD, cpu,
                               incoming='defer', **kwargs)
        self.guests.append(dst)
        dst.launch(boot=False)
        migration_events(dst)
        dst.cmd('migrate-incoming', uri=f'unix:{path}')
        g.cmd('migrate', uri=f'unix:{path}')
        status, error = migration_done(dst), ''
        self.assertEqual(migration_done(g), 'completed', 'source failed')
        g.shutdown()
    self.assertEqual(status, 'completed', f'{how} move: {error}')
    return dst


def nmi_count(g):
    m = re.search(r'NMI:\s+(\d+)', g.run('grep NMI: /proc/interrupts'))
    return int(m.group(1))


def vcpu_events_moves(self, kernel):
    """50 moves, saved/restored and live, each after inject-nmi: the guest
    counts every NMI, once, and answers after each move."""
    g = self.boot(kernel, mem=MOVE_MEM)
    before = nmi_count(g)
    unknown = 0
    for n in range(MOVES):
        g.cmd('inject-nmi')
        unknown += g.log().count('NMI received for unknown reason')
        g = move(self, g, kernel, AMD_CPU, 'file' if n % 2 else 'live',
                 mem=MOVE_MEM)
        self.assertTrue(g.alive(), f'move {n + 1}: the guest died')
    unknown += g.log().count('NMI received for unknown reason')
    self.assertEqual(nmi_count(g) - before, MOVES,
                     'expected the guest to count each injected NMI once')
    self.assertLessEqual(unknown, MOVES, 'more unknown-NMI reports than '
                         'NMIs injected')


def poisoned_guest_migrates(self, kernel):
    """Evacuation: a guest that memory errors hit live-migrates, and the
    poison follows it (q35, the fork's type: x-migrate-poisoned-memory).

    An AO error on a helper's page: the guest kills that helper (it asked
    for early kill) and offlines the page.  A second helper's page is
    poisoned for access.  The guest moves; the destination lists both
    pages, the guest answers, and the second helper's read there kills it
    with BUS_MCEERR_AR."""
    def kernel_log(side):
        path = os.path.join(LOG_DIR, f'{self.id().split(".")[-1]}-'
                            f'{side}-kernel.log')
        return path, {'kernel_console': 'ttyS1',
                      'args': ('-serial', f'file:{path}')}

    def wait_kernel_log(path, regex, what):
        deadline = time.monotonic() + guest.TIMEOUT
        while True:
            with open(path, errors='replace') as f:
                text = f.read()
            if re.search(regex, text):
                return text
            if time.monotonic() > deadline:
                self.fail(f'{what}: expected {regex!r} in the kernel log:\n'
                          f'{text}')
            time.sleep(0.1)

    os.makedirs(LOG_DIR, exist_ok=True)
    src_log, serial = kernel_log('source')
    g = guest.GuestLinux(KERNELS[kernel], INITRD, AMD_RECOVERY_CPU, **serial)
    self.guests.append(g)
    g.launch()

    optional = start_poison_helper(g)
    mark = g.pos
    g.cmd('x-inject-memory-error', gpa=optional, action='optional')
    g.pos = mark
    self.assert_console(g, rb'helper: SIGBUS BUS_MCEERR_AO ',
                        'AO: the guest warned the helper')
    m = self.assert_console(g, rb'helper-exit (\d+)\r?\n', 'AO: helper ended')
    self.assertEqual(m.group(1), b'11', 'expected exit 11 (BUS_MCEERR_AO)')
    wait_kernel_log(src_log, rf'Memory failure: {optional >> 12:#x}: '
                    r'[^\n]*Recovered', 'AO: the guest offlined the page')
    g.run('exec 3>&-')
    required = start_poison_helper(g)
    g.cmd('x-inject-memory-error', gpa=required, action='required')
    listed = [(p['gpa'], p['action']) for p in g.cmd('x-query-memory-errors')]
    self.assertEqual(sorted(listed), sorted([
        (optional & ~0xfff, 'optional'), (required & ~0xfff, 'required')]))

    dst_log, serial = kernel_log('destination')
    g = move(self, g, kernel, AMD_RECOVERY_CPU, 'live', **serial)
    self.assertTrue(g.alive(), 'the guest died in the move')
    pages = {p['gpa']: p for p in g.cmd('x-query-memory-errors')}
    self.assertEqual(sorted(pages), sorted([optional & ~0xfff,
                                            required & ~0xfff]),
                     'the destination lists the two pages')
    self.assertTrue(all(p['on-access'] for p in pages.values()))
    mark = g.pos
    g.run('echo go >&3; exec 3>&-')
    g.pos = mark
    self.assert_console(g, rb'helper: SIGBUS BUS_MCEERR_AR ',
                        'AR after the move: the helper told of its page')
    m = self.assert_console(g, rb'helper-exit (\d+)\r?\n', 'AR: helper ended')
    self.assertEqual(m.group(1), b'10', 'expected exit 10 (BUS_MCEERR_AR)')
    self.assertTrue(g.alive(), 'the guest died after the helper')
    text = wait_kernel_log(dst_log, rf'Memory failure: {required >> 12:#x}: '
                           r'[^\n]*Recovered', 'AR: the guest recovered')
    self.assertNotIn('Kernel panic', text)


# Deferred errors by interrupt: SMCA and SUCCOR, which Linux asks for
DEFERRED_CPU = 'EPYC-v4,smca=on,succor=on'
DEFERRED_RUNS = 10


def handled_lines(page):
    """What a kernel prints once it handled the record of an error at
    @page: its address among the record's fields (6.1 with SMCA, whose
    UMC addresses are not usable), or the page's memory failure (others
    print no fields to the console)."""
    return re.compile(rf'(ADDR:? 0*{page:x}[ /,\n]|Memory failure: '
                      rf'{page >> 12:#x}: )')


def deferred_errors(self, kernel, cpu, runs, timeout):
    """A guest at Linux's default check_interval (300 s), its kernel's
    messages in a file: for each of @runs AO errors on a free page, the
    seconds from x-inject-memory-error's return to the kernel's first
    line about that page (handled_lines()), or None if there was none
    within @timeout; and the kernel log."""
    log = os.path.join(LOG_DIR, f'{self.id().split(".")[-1]}-'
                       f'{len(self.guests)}-kernel.log')
    # The pages hit are reserved (memmap=): left to Linux, one of @runs
    # pages could belong to the test's own shell, which the error kills.
    reserve = f'memmap={runs * 4}K${FREE_PAGE:#x}'
    g = self.boot(kernel, cpu=cpu, kernel_log=True,
                  append=f'resilient.poll=default {reserve}')
    latencies = []
    for n in range(runs):
        page = FREE_PAGE + (n << 12)
        seen = handled_lines(page)
        g.cmd('x-inject-memory-error', gpa=page, action='optional')
        t0 = time.monotonic()
        latencies.append(None)
        while time.monotonic() - t0 < timeout:
            with open(log, errors='replace') as f:
                if seen.search(f.read()):
                    latencies[-1] = time.monotonic() - t0
                    break
            time.sleep(0.001)
    with open(log, errors='replace') as f:
        return g, latencies, f.read()


def amd_deferred_interrupt(self, kernel):
    """With x-amd-deferred-interrupt=on, AMD AO errors reach the guest by
    the deferred-error interrupt, at
    Linux's default check_interval of 300 s: each handled once, within
    milliseconds (median reported; polling would take minutes); no
    "[Firmware Bug]" about the LVT offset at boot."""
    g, latencies, log = deferred_errors(
        self, kernel, DEFERRED_CPU + ',x-amd-deferred-interrupt=on',
        DEFERRED_RUNS, 10)
    self.assertNotIn(None, latencies, 'an error was not handled within 10 s '
                     f'(by interrupt): {latencies}')
    self.assertNotRegex(log, r'Firmware Bug.*LVT offset')
    for n in range(DEFERRED_RUNS):
        page = FREE_PAGE + (n << 12)
        # Each record once; each memory failure ends in one result line.
        for once in (rf'ADDR:? 0*{page:x}[ /,\n]',
                     rf'Memory failure: {page >> 12:#x}: recovery action'):
            self.assertLessEqual(len(re.findall(once, log)), 1,
                                 f'the error at {page:#x} was handled more '
                                 f'than once ({once!r})')
    median = sorted(latencies)[len(latencies) // 2]
    with open(os.path.join(LOG_DIR, 'deferred-interrupt-latency.txt'),
              'a') as f:
        f.write(f'{kernel}: median {median * 1e3:.1f} ms, max '
                f'{max(latencies) * 1e3:.1f} ms over {DEFERRED_RUNS}\n')
    sys.stderr.write(f'# {kernel}: AO -> handled, median '
                     f'{median * 1e3:.1f} ms\n')
    self.assertTrue(g.alive())


def amd_deferred_polled(self, kernel):
    """The same guest without x-amd-deferred-interrupt (off by default):
    nothing is handled within 5 s of two errors, its poll being 300 s away
    (the proof the test above can fail)."""
    _, latencies, _ = deferred_errors(self, kernel, DEFERRED_CPU, 2, 5)
    self.assertEqual(latencies, [None, None],
                     'logged before the poll without the interrupt')


def cpu_fallback(self, kernel):
    """Westmere-v2 wants spec-ctrl, which TCG lacks: with x-fallback the
    guest boots as Westmere-v1 and its /proc/cpuinfo has no spec_ctrl;
    without, 'enforce' refuses to start."""
    g = self.boot(kernel, cpu='Westmere-v2,x-fallback=on,enforce')
    flags = g.run('grep -m1 ^flags /proc/cpuinfo')
    self.assertIn(' aes', flags, 'the model lost more than spec-ctrl')
    self.assertNotIn('spec_ctrl', flags, 'the guest sees spec_ctrl')
    refused = guest.GuestLinux(KERNELS[kernel], INITRD,
                               'Westmere-v2,enforce')
    with self.assertRaises(Exception, msg='Westmere-v2,enforce started'):
        refused.launch()
    refused.shutdown()


def cpuid_guard(self, kernel):
    """A guest saved while a process runs AES-NI is refused where the vCPU
    lacks aes, naming it; it restores where aes is, the process running."""
    cpu = 'Westmere-v1'
    g = self.boot(kernel, cpu=cpu)
    g.run('( (guest-helper aes 600 > /dev/console) & )')
    g.expect(rb'helper: aes rounds=\d+ ')
    path = os.path.join(self.tmp, 'saved')
    migration_events(g)
    g.cmd('migrate', uri=f'file:{path}')
    self.assertEqual(migration_done(g), 'completed', 'save failed')
    g.shutdown()
    _, status, error = incoming(self, kernel, cpu + ',-aes', f'file:{path}')
    self.assertEqual(status, 'failed', 'restored on a vCPU without aes')
    self.assertIn('aes', error, 'the refusal does not name aes')
    dst, status, error = incoming(self, kernel, cpu, f'file:{path}')
    self.assertEqual(status, 'completed', f'restore failed: {error}')
    dst.expect(rb'helper: aes rounds=\d+ ')
    self.assertTrue(dst.alive(), 'the restored guest does not answer')


def kvm_boot(self, kernel):
    """Under KVM, where this host's KVM can run a stock Linux guest: the
    kernel boots on -cpu host, answers, and takes an AO memory error."""
    if KVM_VERDICT:
        self.skipTest(f'no KVM boot here: {KVM_VERDICT}')
    g = self.boot(kernel, cpu='host', accel='kvm')
    self.assertTrue(g.alive(), 'the guest does not answer under KVM')
    qmp_memory_error_ao(g)
    self.assert_console(g, rf'Memory failure: {FREE_PAGE >> 12:#x}: ',
                        'the error handled')
    self.assertTrue(g.alive(), 'the guest died of the AO error')


SCENARIOS = {
    'amd_ao_hmp_mce': (amd_ao_hmp_mce, None),
    'amd_ao_memory_error': (amd_ao_memory_error, None),
    'amd_ao_smca': (amd_ao_smca, None),
    'amd_ao_smca_hmp_mce': (amd_ao_smca_hmp_mce, None),
    'amd_ao_vanilla_semantics': (amd_ao_vanilla_semantics, None),
    'amd_ao_vanilla_semantics_memory_error':
        (amd_ao_vanilla_semantics_memory_error, None),
    'amd_ao_kvm_semantics': (amd_ao_kvm_semantics, None),
    'amd_syndv_smca': (amd_syndv_smca, None),
    'old_machine_fork_as_vanilla': (old_machine_fork_as_vanilla, None),
    'amd_ar_user': (amd_ar_user, None),
    'amd_ar_kernel': (amd_ar_kernel, None),
    'amd_ar_without_succor': (amd_ar_without_succor, None),
    'intel_ao': (intel_ao, None),
    'intel_ar_user': (intel_ar_user, None),
    'intel_ar_shared': (intel_ar_shared, None),
    'cpu_fallback': (cpu_fallback, None),
    'cpuid_guard': (cpuid_guard, None),
    'vcpu_events_moves': (vcpu_events_moves, None),
    'poisoned_guest_migrates': (poisoned_guest_migrates, None),
    'amd_deferred_interrupt': (amd_deferred_interrupt, None),
    'amd_deferred_polled': (amd_deferred_polled, None),
    'kvm_boot': (kvm_boot, None),
}


# Scenarios run only when GUEST_LINUX_ONLY names them, and why.
BY_HAND = {
    # Passed 5 of 5 tries alone on every kernel, and in one make check; in
    # another, with two guest runs on 2 cores, 7.2 panicked once ("Timeout:
    # Subject CPUs unable to finish machine check processing"): not known
    # yet whether that is the load or the broadcast.
    'intel_ar_shared',
}


def make_case(func, kernel):
    def case(self):
        func(self, kernel)
    case.__doc__ = func.__doc__
    return case


class Guests(GuestTest):
    """The scenarios, one method per kernel (filled in below)."""


for _name, (_func, _only) in SCENARIOS.items():
    if _name in BY_HAND and _name not in os.environ.get('GUEST_LINUX_ONLY',
                                                        ''):
        continue
    for _k in KERNELS:
        if _only is None or _k in _only:
            setattr(Guests, f'test_{_name}_{_k.replace(".", "_")}',
                    make_case(_func, _k))


def main():
    only = os.environ.get('GUEST_LINUX_ONLY')
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromTestCase(Guests)
    if only:
        rx = re.compile(only)
        suite = unittest.TestSuite(t for t in suite if rx.search(t.id()))
    if not suite.countTestCases():
        print('1..0 # no test matched')
        return 1
    runner = pycotap.TAPTestRunner(
        message_log=pycotap.LogMode.LogToError,
        test_output_log=pycotap.LogMode.LogToError)
    return 0 if runner.run(suite).wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
