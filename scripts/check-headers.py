#!/usr/bin/env python3
"""Every header of the overlay compiles on its own after qemu/osdep.h.

Each is compiled with the flags build/qemu uses for target/i386 (the
compile command of target/i386/mce-smca.c from compile_commands.json),
with its own directory on the include path.  Fails if any does not, or
if there is none to check.
"""

import json
import os
import shlex
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
BUILD = os.path.join(TOP, 'build', 'qemu')
SRC = os.path.join(TOP, 'build', 'src')
REFERENCE = 'target/i386/mce-smca.c'

# Included by cpu.h where MCE_BANKS_DEF, which sizes its state, is defined.
EXPECTED_PARTIAL = {
    'target/i386/mce-smca.h':
        "sized by cpu.h's MCE_BANKS_DEF; cpu.h includes it",
}


def reference_flags():
    with open(os.path.join(BUILD, 'compile_commands.json')) as f:
        commands = json.load(f)
    ref = [c for c in commands if c['file'].endswith(REFERENCE)]
    if not ref:
        sys.exit(f'{REFERENCE} is not in build/qemu: build first')
    argv, skip = [], False
    for arg in shlex.split(ref[0]['command']):
        if skip:
            skip = False
        elif arg in ('-o', '-MQ', '-MF'):
            skip = True
        elif arg not in ('-MD', '-c') and not arg.endswith(REFERENCE):
            argv.append(arg)
    return argv, ref[0]['directory']


def main():
    argv, cwd = reference_flags()
    headers = subprocess.run(['git', '-C', TOP, 'ls-files', '*.h'],
                             capture_output=True, text=True,
                             check=True).stdout.split()
    headers = [h for h in headers if not h.startswith('tests/')]
    failed = checked = 0
    for h in headers:
        if h in EXPECTED_PARTIAL:
            print(f'# skip {h}: {EXPECTED_PARTIAL[h]}')
            continue
        source = f'#include "qemu/osdep.h"\n#include "{os.path.basename(h)}"\n'
        cmd = argv + ['-I', os.path.join(SRC, os.path.dirname(h)),
                      '-fsyntax-only', '-x', 'c', '-']
        r = subprocess.run(cmd, input=source, cwd=cwd, capture_output=True,
                           text=True)
        checked += 1
        if r.returncode:
            failed += 1
            first = [line for line in r.stderr.splitlines()
                     if 'error' in line][:1]
            print(f'FAIL {h}: {first[0] if first else r.stderr[:200]}')
        else:
            print(f'ok   {h}')
    if not checked:
        sys.exit('no overlay header to check')
    print(f'overlay headers: {checked - failed} of {checked} compile on '
          f'their own')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
