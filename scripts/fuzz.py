#!/usr/bin/python3
"""'make fuzz': run each of the fork's fuzz targets for N seconds.

qemu-fuzz-x86_64 comes from build/sanitizers (clang, libFuzzer, ASan,
UBSan; './configure --sanitizers').  For each target of
tests/qtest/fuzz/resilient/:

  1. the inputs that once crashed it (regressions/TARGET/) run once each;
  2. libFuzzer runs for N seconds from the seed corpus (corpus/TARGET/)
     and from what earlier runs found (build/fuzz/corpus/TARGET/).

Prints executions and crashes per target, the crashing inputs in
build/fuzz/crashes/TARGET/; exits 1 if anything crashed or a target
executed nothing.  With --tap (make check), one TAP line per target and
the table as comments.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, 'build', 'sanitizers')
FUZZER = os.path.join(BUILD, 'qemu-fuzz-x86_64')
SOURCES = os.path.join(TOP, 'tests', 'qtest', 'fuzz', 'resilient')
WORK = os.path.join(TOP, 'build', 'fuzz')
TARGETS = ['resilient-qmp', 'resilient-vmstate', 'resilient-smca-msr',
           'resilient-cpu-fallback']
ARTIFACTS = ('crash-', 'leak-', 'timeout-', 'oom-')


def replay(target, log):
    """Run the target's regression inputs once; True if none crashes."""
    inputs = sorted(glob.glob(os.path.join(SOURCES, 'regressions', target,
                                           '*')))
    if not inputs:
        return True, 0
    rc = subprocess.run([FUZZER, f'--fuzz-target={target}'] + inputs,
                        stdout=log, stderr=subprocess.STDOUT).returncode
    return rc == 0, len(inputs)


def fuzz(target, seconds, log):
    """libFuzzer for @seconds: (executions, crashing inputs)."""
    corpus = os.path.join(WORK, 'corpus', target)
    crashes = os.path.join(WORK, 'crashes', target)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    before = set(os.listdir(crashes))
    out = subprocess.run(
        [FUZZER, f'--fuzz-target={target}', corpus,
         os.path.join(SOURCES, 'corpus', target),
         f'-max_total_time={seconds}', '-print_final_stats=1',
         f'-artifact_prefix={crashes}/', '-timeout=10'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        errors='replace').stdout
    log.write(out)
    m = re.findall(r'stat::number_of_executed_units:\s*(\d+)', out)
    new = sorted(f for f in set(os.listdir(crashes)) - before
                 if f.startswith(ARTIFACTS))
    return int(m[-1]) if m else 0, [os.path.join(crashes, f) for f in new]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=int, default=60,
                        help='how long to fuzz each target')
    parser.add_argument('--tap', action='store_true',
                        help='print TAP, one test per target')
    parser.add_argument('targets', nargs='*', default=TARGETS)
    opts = parser.parse_args()
    comment = '# ' if opts.tap else ''

    if not os.access(FUZZER, os.X_OK):
        if opts.tap:
            print(f'1..1\nnot ok 1 - fuzz targets # {FUZZER} missing')
            return 1
        sys.exit(f'{FUZZER} missing: run make fuzz')
    os.makedirs(WORK, exist_ok=True)
    failed = False
    if opts.tap:
        print(f'1..{len(opts.targets)}')
    print(f'{comment}{"target":<24} {"regressions":>11} {"executions":>11} '
          f'{"exec/s":>7} {"crashes":>7}')
    for n, target in enumerate(opts.targets, 1):
        with open(os.path.join(WORK, target + '.log'), 'w') as log:
            replay_ok, nreplayed = replay(target, log)
            log.flush()
            execs, crashes = fuzz(target, opts.seconds, log)
        # A fuzzer that executed nothing tested nothing.
        bad = not replay_ok or bool(crashes) or not execs
        failed |= bad
        print(f'{comment}{target:<24} '
              f'{("ok " if replay_ok else "FAIL ") + str(nreplayed):>11} '
              f'{execs:>11} {execs // max(opts.seconds, 1):>7} '
              f'{len(crashes):>7}', flush=True)
        if not execs:
            print(f'{comment}  FAIL: no executions '
                  f'(log: build/fuzz/{target}.log)')
        for c in crashes:
            print(f'{comment}  crash: {os.path.relpath(c, TOP)} '
                  f'(log: build/fuzz/{target}.log)')
        if opts.tap:
            print(f'{"not ok" if bad else "ok"} {n} - {target}: '
                  f'{nreplayed} regressions replayed, {execs} executions in '
                  f'{opts.seconds} s, {len(crashes)} crashes', flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
