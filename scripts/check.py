#!/usr/bin/python3
"""Run every test of qemu-resilient and print one summary line.

  scripts/check.py                  the fork's tests + upstream's
                                    qtest-x86_64 suite minus
                                    scripts/upstream-qtest-exclude.txt
  scripts/check.py --upstream-full  the same with the whole upstream suite
  scripts/check.py --integration    only the integration tests (libvirt,
                                    migration with stock builds, cluster,
                                    bad input)
  scripts/check.py --storms         only the storms (tests/integration)
  scripts/check.py --guests         only the guest-kernel tier
                                    (tests/guest-linux)
  scripts/check.py --kvm-amd        only the KVM-AMD tier (tests/kvm-amd):
                                    the fork's KVM cases on a real AMD
                                    KVM host, nested under TCG
  scripts/check.py --sanitizers     the fork's qtests and unit tests built
                                    with ASan and UBSan (build/sanitizers);
                                    every sanitizer report is a failure;
                                    then each fuzz target's regressions
                                    and FUZZ_CHECK_SECONDS (20) of fuzzing
  scripts/check.py --docs           only the documentation build (Sphinx,
                                    warnings as errors)

The default run includes the documentation, the integration tests
(meson's suite 'resilient-integration', the storms in it at a fifth of
their counts), the sanitizer suite and the short fuzz.

Counts are of individual test cases: TAP subtests of meson tests, and one
each for the fork's script-level checks.  The last line reads
'N passed, N failed, N skipped'.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, 'build', 'qemu')
SANITIZER_BUILD = os.path.join(TOP, 'build', 'sanitizers')
EXCLUDE = os.path.join(TOP, 'scripts', 'upstream-qtest-exclude.txt')
LSAN_SUPPRESSIONS = os.path.join(TOP, 'scripts', 'lsan-suppressions.txt')

TAP_RE = re.compile(r'^(not ok|ok)\b([^#]*)(#\s*(SKIP|TODO)\b:?(.*))?', re.I)


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.skips = []
        self.tiers = {}

    def add(self, name, result, why=''):
        # a case's tier (its runner's name) before the first ': ' or ' '
        tier = re.split(r':? |/', name, maxsplit=1)[0]
        self.tiers.setdefault(tier, {'pass': 0, 'fail': 0, 'skip': 0})
        self.tiers[tier][result if result in ('pass', 'skip') else 'fail'] += 1
        if result == 'pass':
            self.passed += 1
        elif result == 'skip':
            self.skipped += 1
            self.skips.append(f'{name}: {why}'.rstrip(': '))
        else:
            self.failed += 1
            self.failures.append(f'{name}: {why}'.rstrip(': '))


def step(title):
    print(f'\n=== {title}', flush=True)


def run_script(tally, name, argv, timeout):
    """A script-level check: one test case, passed when it exits 0."""
    step(name)
    start = time.monotonic()
    try:
        rc = subprocess.run(argv, cwd=TOP, timeout=timeout).returncode
        why = f'exit status {rc}' if rc else ''
    except subprocess.TimeoutExpired:
        rc, why = 1, f'timed out after {timeout} s'
    print(f'--- {name}: {"ok" if rc == 0 else "FAILED"} '
          f'({time.monotonic() - start:.0f} s)', flush=True)
    tally.add(name, 'pass' if rc == 0 else 'fail', why)


def tap_result(line):
    """(description, 'pass'|'fail'|'skip', why) of a TAP line, or None."""
    m = TAP_RE.match(line.strip())
    if not m:
        return None
    if m.group(4) and m.group(4).upper() == 'SKIP':
        return m.group(2).strip(), 'skip', m.group(5).strip()
    return m.group(2).strip(), 'pass' if m.group(1) == 'ok' else 'fail', ''


# tests/integration/: each script prints TAP; every line is a test case.
# tests/integration runs under meson (its meson.build: suite
# 'resilient-integration', the storms at STORM_SCALE=5); --storms runs
# the storms whole, directly.
STORMS = ['storm-test.py']
FUZZ_CHECK_SECONDS = int(os.environ.get('FUZZ_CHECK_SECONDS', 20))


def tap_argv(script, where):
    return [sys.executable, os.path.join(TOP, 'tests', where, script)]


def count_tap(tally, name, lines, rc):
    """Count the TAP lines of one script run as cases of @name."""
    cases = 0
    for line in lines:
        print(line, flush=True)
        r = tap_result(line)
        if r:
            cases += 1
            desc, result, why = r
            desc = re.sub(r'^[ \d]*-? *', '', desc)
            tally.add(f'{name}: {desc}', result, why)
    if rc and not any(line.startswith('not ok') for line in lines):
        tally.add(name, 'fail', f'exit status {rc}')
    elif not cases:
        tally.add(name, 'fail', 'no test output')


def run_tap(tally, title, name, argv, timeout, env=None):
    """A program that prints TAP: its lines counted, output shown."""
    step(title)
    start = time.monotonic()
    lines, rc = [], 0
    try:
        p = subprocess.run(argv, cwd=TOP, timeout=timeout,
                           stdout=subprocess.PIPE, text=True, env=env)
        lines, rc = p.stdout.splitlines(), p.returncode
    except subprocess.TimeoutExpired as e:
        lines = (e.stdout or b'').decode(errors='replace').splitlines()
        rc = f'timed out after {timeout} s'
    count_tap(tally, name, lines, rc)
    print(f'--- {title}: {time.monotonic() - start:.0f} s', flush=True)


def run_tap_script(tally, script, timeout, env=None, where='integration'):
    """A TAP script of tests/@where."""
    name = script.replace('-test.py', '')
    run_tap(tally, f'{where}: {name}', name, tap_argv(script, where),
            timeout, env=env)


def guest_kernels():
    """The names of the guest kernels, as tests/guest-linux/kernels.list
    has them."""
    with open(os.path.join(TOP, 'tests', 'guest-linux', 'kernels.list')) as f:
        return [line.split()[0] for line in f
                if line.strip() and not line.startswith('#')]


def run_guest_tier(tally, timeout=1800):
    """tests/guest-linux: Debian's kernels as the clients of every feature.

    Each guest is one TCG thread: the kernels are split between as many
    runs of the test, side by side, as the machine has cores (at most
    one per kernel).  Kernels and initramfs are made first, once."""
    step('guest-linux: kernels and initramfs')
    for tool in ('fetch-kernels.sh', 'make-initramfs.sh'):
        rc = subprocess.run([os.path.join(TOP, 'tests', 'guest-linux', tool)],
                            cwd=TOP, stdout=subprocess.DEVNULL).returncode
        if rc:
            tally.add('guest-linux', 'fail', f'{tool}: exit status {rc}')
            return
    kernels = guest_kernels()
    runs = max(1, min(os.cpu_count() or 1, len(kernels)))
    groups = [kernels[i::runs] for i in range(runs)]
    step(f'guest-linux: Linux {", ".join(kernels)}, {runs} runs side by side')
    start = time.monotonic()
    procs = []
    for group in groups:
        env = dict(os.environ)
        env['GUEST_LINUX_ONLY'] = '_(%s)$' % '|'.join(
            k.replace('.', '_') for k in group)
        procs.append((group, subprocess.Popen(
            tap_argv('guest-linux-test.py', 'guest-linux'), cwd=TOP,
            stdout=subprocess.PIPE, text=True, env=env)))
    deadline = time.monotonic() + timeout
    for group, p in procs:
        try:
            out, _ = p.communicate(timeout=max(1, deadline - time.monotonic()))
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            rc = f'timed out after {timeout} s'
        count_tap(tally, 'guest-linux', out.splitlines(), rc)
    print(f'--- guest-linux: {time.monotonic() - start:.0f} s', flush=True)


def run_kvm_amd_tier(tally):
    """tests/kvm-amd: the fork's KVM cases in L1, a real AMD KVM host."""
    run_tap(tally, "kvm-amd: the fork's KVM cases in L1", 'kvm-amd',
            tap_argv('kvm-amd-test.py', 'kvm-amd'), 1800)


def count_meson_log(tally, logfile, prefix=''):
    with open(logfile) as f:
        for line in f:
            t = json.loads(line)
            name, res = prefix + t['name'], t['result']
            subtests = 0
            for out in (t.get('stdout') or '').splitlines():
                r = tap_result(out)
                if r:
                    subtests += 1
                    desc, result, why = r
                    tally.add(f'{name} {desc}', result, why)
            if res in ('OK', 'EXPECTEDFAIL') and subtests == 0:
                tally.add(name, 'pass')
            elif res == 'SKIP' and subtests == 0:
                tally.add(name, 'skip', 'skipped by the test')
            elif res not in ('OK', 'SKIP', 'EXPECTEDFAIL'):
                # A crash or timeout after some subtests passed.
                tally.add(name, 'fail', f'meson result {res}')


def run_meson(tally, title, logbase, args, build=BUILD, env=None,
              prefix=''):
    step(title)
    start = time.monotonic()
    subprocess.run(['meson', 'test', '-C', build, '--no-rebuild',
                    '--print-errorlogs', '--logbase', logbase] + args,
                   cwd=TOP, env=env)
    print(f'--- {title}: {time.monotonic() - start:.0f} s', flush=True)
    logfile = os.path.join(build, 'meson-logs', logbase + '.json')
    if not os.path.exists(logfile):
        tally.add(title, 'fail', 'meson wrote no test log')
        return
    count_meson_log(tally, logfile, prefix)


def upstream_tests(full):
    out = subprocess.run(['meson', 'test', '-C', BUILD, '--no-rebuild',
                          '--list', '--suite', 'qtest-x86_64'],
                         capture_output=True, text=True, check=True).stdout
    names = [line.split(' / ')[-1].strip() for line in out.splitlines()
             if line.strip()]
    excluded = {}
    with open(EXCLUDE) as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                name, why = line.split(None, 1)
                excluded[name] = why.strip()
    if full:
        return names, {}
    return [n for n in names if n not in excluded], \
        {n: w for n, w in excluded.items() if n in names}


def suite_targets(build, suite):
    """The ninja targets the tests of @suite need: binaries, payloads."""
    def introspect(what):
        return json.loads(subprocess.run(
            ['meson', 'introspect', what], cwd=build, check=True,
            capture_output=True, text=True).stdout)
    files = {t['id']: t['filename'] for t in introspect('--targets')}
    wanted = {os.path.join(build, 'qemu-system-x86_64')}
    for t in introspect('--tests'):
        if suite in t['suite'] or any(s.endswith(':' + suite)
                                      for s in t['suite']):
            wanted.add(t['cmd'][0])
            for dep in t['depends']:
                wanted.update(files.get(dep, []))
    return sorted(os.path.relpath(f, build) for f in wanted)


def sanitizer_reports(logdir):
    """(file, first line of each report) of every sanitizer log."""
    found = []
    for name in sorted(os.listdir(logdir)):
        with open(os.path.join(logdir, name), errors='replace') as f:
            for line in f:
                if ('ERROR: AddressSanitizer' in line or
                        'ERROR: LeakSanitizer' in line or
                        'runtime error:' in line):
                    found.append((name, line.strip()))
    return found


def check_sanitizers(tally):
    """The 'resilient' suite on the ASan/UBSan build; no report allowed."""
    step('build (ASan, UBSan)')
    start = time.monotonic()
    subprocess.run(['ninja', '-C', SANITIZER_BUILD] +
                   suite_targets(SANITIZER_BUILD, 'resilient'),
                   check=True, cwd=TOP)
    print(f'--- build (ASan, UBSan): {time.monotonic() - start:.0f} s',
          flush=True)
    subprocess.run(['scripts/link-firmware.sh', SANITIZER_BUILD], check=True,
                   cwd=TOP)
    logdir = os.path.join(SANITIZER_BUILD, 'sanitizer-logs')
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    env = dict(os.environ)
    # Every process of the run (tests and the QEMUs they start) logs here.
    env['ASAN_OPTIONS'] = f'log_path={logdir}/asan:detect_leaks=1'
    env['UBSAN_OPTIONS'] = f'log_path={logdir}/ubsan:print_stacktrace=1'
    env['LSAN_OPTIONS'] = 'suppressions=' + LSAN_SUPPRESSIONS
    run_meson(tally, "the fork's tests under ASan and UBSan",
              'sanitizers', ['--suite', 'resilient',
                             '--timeout-multiplier', '4'],
              build=SANITIZER_BUILD, env=env, prefix='asan+ubsan: ')
    # Every bad input of the security review, against the sanitized binary.
    env['RESILIENT_FORK'] = os.path.join(SANITIZER_BUILD,
                                         'qemu-system-x86_64')
    run_tap_script(tally, 'security-surface-test.py', 900, env=env)
    reports = sanitizer_reports(logdir)
    for name, line in reports:
        tally.add(f'sanitizer report in {name}', 'fail', line)
    print(f'--- sanitizer reports: {len(reports)} (logs in {logdir})')


def check_fuzz(tally):
    """Each fuzz target: its regression inputs, then a short run."""
    step('build (libFuzzer)')
    subprocess.run(['ninja', '-C', SANITIZER_BUILD, 'qemu-fuzz-x86_64',
                    'qemu-system-x86_64'], check=True, cwd=TOP)
    subprocess.run(['scripts/link-firmware.sh', SANITIZER_BUILD], check=True,
                   cwd=TOP)
    run_tap(tally, f'fuzz: regressions and {FUZZ_CHECK_SECONDS} s per target',
            'fuzz', [sys.executable, os.path.join(TOP, 'scripts', 'fuzz.py'),
                     '--tap', '--seconds', str(FUZZ_CHECK_SECONDS)], 1800)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--upstream-full', action='store_true',
                        help='run the whole upstream qtest-x86_64 suite')
    parser.add_argument('--integration', action='store_true',
                        help='run the integration tests only')
    parser.add_argument('--storms', action='store_true',
                        help='run the storms only')
    parser.add_argument('--guests', action='store_true',
                        help='run the guest-kernel tier only')
    parser.add_argument('--kvm-amd', action='store_true',
                        help='run the KVM-AMD tier only')
    parser.add_argument('--sanitizers', action='store_true',
                        help="run the fork's tests under ASan and UBSan, "
                        "then the short fuzz")
    parser.add_argument('--docs', action='store_true',
                        help='build the documentation only')
    opts = parser.parse_args()

    tally = Tally()
    start = time.monotonic()
    if opts.sanitizers:
        check_sanitizers(tally)
        check_fuzz(tally)
        return summary(tally, start)
    if opts.docs:
        run_script(tally, 'docs', ['scripts/build-docs.sh'], 900)
        return summary(tally, start)

    # Build what the tests need (the payloads, the test binaries).
    subprocess.run(['ninja', '-C', BUILD], check=True, cwd=TOP)

    if opts.guests:
        run_guest_tier(tally)
        return summary(tally, start)
    if opts.kvm_amd:
        run_kvm_amd_tier(tally)
        return summary(tally, start)

    only = opts.integration or opts.storms
    if not only:
        # every download path of the set-up, against an empty cache
        run_tap_script(tally, 'fetch-test.py', 900, where='setup')
        run_tap_script(tally, 'series-rules-test.py', 300, where='setup')
        run_script(tally, 'patch-series', ['scripts/check-series.sh'], 300)
        run_script(tally, 'checkpatch', ['scripts/checkpatch.sh'], 300)
        run_script(tally, 'overlay-headers', ['scripts/check-headers.py'], 300)
        run_script(tally, 'series-builds', ['scripts/check-series-builds.sh'],
                   3600)
        run_script(tally, 'docs', ['scripts/build-docs.sh'], 900)
        run_meson(tally, "the fork's tests (suite 'resilient')",
                  'resilient', ['--suite', 'resilient'])
        run_script(tally, 'boot-smoke', ['scripts/boot-smoke.py'], 600)

    if opts.storms:
        for script in STORMS:
            run_tap_script(tally, script, 900)
    else:
        run_meson(tally, 'integration tests (meson suite '
                  "'resilient-integration')", 'integration',
                  ['--suite', 'resilient-integration'])
    if not only:
        run_guest_tier(tally)
        run_kvm_amd_tier(tally)
        # make demo, the newcomers' tour: its four steps as four tests
        run_tap(tally, 'make demo', 'demo',
                ['/usr/bin/python3', 'tests/guest-linux/demo.py'], 900)

    if not only:
        names, excluded = upstream_tests(opts.upstream_full)
        run_meson(tally, "upstream's qtest-x86_64", 'upstream', names)
        for name, why in excluded.items():
            tally.add(name, 'skip', 'not run: ' + why)
        check_sanitizers(tally)
        check_fuzz(tally)

    return summary(tally, start)


def summary(tally, start):
    step('summary')
    for s in tally.skips:
        print(f'skipped: {s}')
    for f in tally.failures:
        print(f'FAILED:  {f}')
    for tier, n in tally.tiers.items():
        print(f'  {tier}: {n["pass"]} passed, {n["fail"]} failed, '
              f'{n["skip"]} skipped')
    print(f'total time {time.monotonic() - start:.0f} s')
    print(f'guest kernels: Linux {", ".join(guest_kernels())}')
    print(f'{tally.passed} passed, {tally.failed} failed, '
          f'{tally.skipped} skipped')
    return 1 if tally.failed else 0


if __name__ == '__main__':
    sys.exit(main())
