#!/usr/bin/python3
"""'make bench': the fork against vanilla QEMU 10.2.2, side by side.

Both binaries are built from the same pinned source with the same configure
options (build/qemu and build/vanilla; 'make bench' builds both).  Every
figure is measured for both in the same run, interleaved, and printed with
the ratio fork/vanilla.  Nothing here asserts a time.

  start-up  exec to QMP greeting, qmp_capabilities, quit, process exit;
            -S -nodefaults -display none; wall-clock median of N runs and
            instructions under valgrind --tool=callgrind (repeatable).
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARIES = {
    'fork': os.path.join(TOP, 'build', 'qemu', 'qemu-system-x86_64'),
    'vanilla': os.path.join(TOP, 'build', 'vanilla', 'qemu-system-x86_64'),
}


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
            conn.settimeout(timeout)
            f = conn.makefile('rwb')
            json.loads(f.readline())                    # greeting
            for cmd in ('qmp_capabilities', 'quit'):
                f.write(json.dumps({'execute': cmd}).encode() + b'\n')
                f.flush()
                while 'return' not in json.loads(f.readline()):
                    pass
            _, err = proc.communicate(timeout=timeout)
            conn.close()
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


def wall_startup(accel, runs):
    samples = {k: [] for k in BINARIES}
    for _ in range(runs):
        for name, binary in BINARIES.items():       # interleaved
            t0 = time.perf_counter()
            qmp_start_quit(startup_args(binary, accel), 60)
            samples[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in samples.items()}


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


def row(label, fork, vanilla, unit, fmt):
    ratio = fork / vanilla if vanilla else float('nan')
    print(f'{label:<40} {fmt.format(fork):>14} {fmt.format(vanilla):>14} '
          f'{unit:<6} {ratio:6.3f}')


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
    for accel in accels:
        med = wall_startup(accel, opts.runs)
        row(f'start-up to QMP + quit, {accel} (median)', med['fork'] * 1e3,
            med['vanilla'] * 1e3, 'ms', '{:.1f}')
    if not opts.no_callgrind:
        for accel in accels:
            ins = callgrind_startup(accel)
            row(f'start-up to QMP + quit, {accel} (callgrind)',
                ins['fork'] / 1e6, ins['vanilla'] / 1e6, 'M ins', '{:.2f}')
    print(f'(ratio = fork / vanilla; {opts.runs} wall-clock runs each, '
          'interleaved)')


if __name__ == '__main__':
    main()
