#!/usr/bin/python3
"""
qemu-resilient: the fork's KVM cases on a real AMD KVM host (L1)

This machine's KVM cannot run every KVM case of the fork's qtests (a
restricted KVM here: no userspace APIC, CPUID not virtualized, the host's
vendor).  A real AMD KVM host is at hand, emulated: Debian's 6.12 kernel
booted under TCG on -cpu EPYC-v4,+svm,+npt loads kvm_amd with nested
paging, sees this machine's / read-only over 9p and runs the very binaries
just built (tests/kvm-amd/make-l1.sh, l1-init).  Inside it, each qtest of
meson's suite 'resilient-qtest' runs its KVM cases; every TAP line they
print is a case here, named "L1 <test path>".  Then the scripts of
IN_L1 run there, as root: deferred-error-linux-test.py boots Debian's
6.19.6 guest on vanilla and on the fork under L1's KVM (the report the
fork was founded on, reproduced and refuted).

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))
sys.path.insert(0, os.path.join(TOP, 'tests', 'guest-linux'))
import guest  # noqa: E402
from harness import BINARIES, Qemu  # noqa: E402
from tap import Tap  # noqa: E402

BUILD = os.path.join(TOP, 'build', 'qemu')
JOBS = os.path.join(TOP, 'build', 'kvm-amd', 'jobs')
L1_CPU = 'EPYC-v4,+svm,+npt'
L1_MEM = '3G'
L1_TIMEOUT = 1200
QTEST_TIMEOUT = 300                     # one qtest's KVM cases, in L1
TAP_RE = re.compile(r'^(not ok|ok) \d+ (.*?)(?: # SKIP (.*))?$')
# TAP scripts of tests/kvm-amd to run in L1 itself, as root there; more
# named in KVM_AMD_IN_L1 (hwpoison-test.py, by hand: see kvm-amd.rst)
IN_L1 = ['deferred-error-linux-test.py'] + \
    os.environ.get('KVM_AMD_IN_L1', '').split()
IN_L1_TIMEOUT = 900
# The guest of deferred-error-linux-test.py: the kernel of the report
GUEST_KERNEL = '6.19'
# KVM_AMD_ONLY=<extended regex>: only the cases or scripts it matches
ONLY = os.environ.get('KVM_AMD_ONLY', '.')


def make_l1():
    """The directory of L1's vmlinuz and initrd.gz."""
    return subprocess.run([os.path.join(HERE, 'make-l1.sh')], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def qtests():
    """The binaries of meson's suite 'resilient-qtest'."""
    tests = json.loads(subprocess.run(
        ['meson', 'introspect', '--tests'], cwd=BUILD, check=True,
        capture_output=True, text=True).stdout)
    return sorted(t['cmd'][0] for t in tests
                  if any(s.split(':')[-1] == 'resilient-qtest'
                         for s in t['suite']))


# KVM cases not run in L1 (shell patterns of their paths), and why.
NOT_IN_L1 = {
    '*/inconsistent-ud-unsanitized/kvm':
    'L1\'s SVM is TCG\'s, which pushes an error code by the vector (as '
    'the case\'s own TCG skip says): the broken frame needs real SVM',
    '/x86_64/vcpu-events/endurance/*':
    'minutes in L1 (200 moves took 293 s), and no KVM path of its own: '
    'its moves are vcpu-events-test\'s, which runs',
}


def job_script(binaries):
    """What L1 runs: each KVM case of each qtest (as the qtest lists them
    there, where /dev/kvm is AMD's) in a process of its own, its TAP
    between markers; then the scripts of IN_L1, with the guest kernel and
    initramfs fetched here (L1 sees / read-only)."""
    lines = ['export QTEST_QEMU_BINARY=' + shlex.quote(BINARIES['fork']),
             'export KVM_AMD_KERNEL=' +
             shlex.quote(guest.kernels()[GUEST_KERNEL]),
             'export KVM_AMD_INITRD=' + shlex.quote(guest.initramfs()),
             'cd "$TMPDIR"',
             'grep -m1 vendor_id /proc/cpuinfo',
             'dmesg | grep kvm_amd']
    only = shlex.quote(ONLY)
    for binary in binaries:
        b = shlex.quote(binary)
        lines += [f'for p in $({b} -l | grep "/kvm$" | grep -E {only}); do',
                  '    case $p in',
                  f'    {"|".join(NOT_IN_L1)}) echo "### skip $p"; continue;;',
                  '    esac',
                  '    echo "### begin $p"',
                  f'    timeout -k 10 {QTEST_TIMEOUT} {b} --tap -p "$p"',
                  '    echo "### end $p $?"',
                  'done']
    for script in IN_L1:
        if not re.search(ONLY, script):
            continue
        path = shlex.quote(os.path.join(HERE, script))
        lines += [f'echo "### begin {script}"',
                  f'KVM_AMD_L1=1 timeout -k 10 {IN_L1_TIMEOUT} '
                  f'/usr/bin/python3 {path}',
                  f'echo "### end {script} $?"']
    return '\n'.join(lines) + '\n'


def run_l1(l1, job):
    """Boot L1 with the job directory @job; its console output."""
    q = Qemu(BINARIES['fork'],
             ['-accel', 'tcg', '-cpu', L1_CPU, '-smp', '2', '-m', L1_MEM,
              '-machine', 'q35', '-serial', 'file:' + os.path.join(
                  job, 'console.log'), '-no-reboot',
              '-kernel', os.path.join(l1, 'vmlinuz'),
              '-initrd', os.path.join(l1, 'initrd.gz'),
              '-append', f'console=ttyS0 panic=-1 quiet kvm_amd.job={job}',
              '-virtfs', 'local,path=/,mount_tag=host,security_model=none,'
              'readonly=on,multidevs=remap',
              '-virtfs', f'local,path={job},mount_tag=job,'
              'security_model=none'], name='kvm-amd-l1')
    q.wait_exit(L1_TIMEOUT)
    with open(os.path.join(job, 'console.log'), errors='replace') as f:
        return f.read()


def report(tap, log):
    """Each TAP line printed in L1 as a case: one per qtest KVM case, many
    per script of IN_L1; a section that printed none fails with its exit
    status, a failure with the diagnostics that follow it.  Returns how
    many sections L1 listed."""
    section, results, listed = None, [], 0
    pending = None                      # a failure, its diagnostics to come

    def flush():
        nonlocal pending
        if pending:
            tap.ok(pending[0], False, '\n'.join(pending[1]) or
                   'failed inside L1; its output is in the job log')
            pending = None

    for line in log.splitlines():
        if pending and line.startswith('# ') and not line.startswith('###'):
            pending[1].append(line[2:])
            continue
        flush()
        if line.startswith('### skip '):
            skipped = line.split()[2]
            listed += 1
            tap.skip(f'L1 {skipped}', next(
                why for pattern, why in NOT_IN_L1.items()
                if fnmatch.fnmatchcase(skipped, pattern)))
            continue
        if line.startswith('### begin '):
            section, results = line.split()[2], []
            listed += 1
            continue
        if line.startswith('### end ') and section:
            rc = line.split()[3]
            if not results:
                tap.ok(f'L1 {section}', False,
                       f'no TAP line; exit status {rc}'
                       + (' (timed out)' if rc == '124' else ''))
            section = None
            continue
        m = TAP_RE.match(line)
        if section is None or not m:
            continue
        result, name, skip = m.groups()
        results.append(result)
        if skip is not None:
            tap.skip(f'L1 {name}', skip)
        elif result == 'ok':
            tap.ok(f'L1 {name}')
        else:
            pending = (f'L1 {name}', [])
    flush()
    return listed


def main():
    tap = Tap()
    try:
        l1 = make_l1()
    except subprocess.CalledProcessError as e:
        tap.skip('L1, a real AMD KVM host', f'cannot make L1: {e}')
        return tap.done()
    job = os.path.join(JOBS, 'qtests')
    shutil.rmtree(job, ignore_errors=True)
    os.makedirs(job)
    with open(os.path.join(job, 'job.sh'), 'w') as f:
        f.write(job_script(qtests()))
    console = run_l1(l1, job)
    ready = re.search(r'kvm-amd-l1: ready (.*)', console)
    if not ready or '/dev/kvm present' not in ready.group(1):
        tap.skip('L1, a real AMD KVM host',
                 'L1 did not start with /dev/kvm: ' + console[-2000:])
        return tap.done()
    try:
        with open(os.path.join(job, 'job.log'), errors='replace') as f:
            log = f.read()
    except FileNotFoundError:
        log = ''
    tap.ok('L1 is an AMD host: vendor AuthenticAMD',
           'AuthenticAMD' in log, 'its /proc/cpuinfo: ' + log[:200])
    tap.ok('L1 loaded kvm_amd with nested paging',
           'kvm_amd: Nested Paging enabled' in log,
           'its dmesg: ' + log[:1000])
    listed = report(tap, log)
    tap.ok('the fork\'s qtests list KVM cases in L1', listed > 0,
           'expected KVM cases in suite resilient-qtest, found none')
    tap.note(f'L1 job log: {os.path.join(job, "job.log")}')
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
