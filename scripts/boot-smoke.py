#!/usr/bin/python3
"""'make run' end to end: the demo guest reaches its shell and powers off.

Starts scripts/run-guest.sh (the command behind 'make run') with the serial
console on pipes, waits for the shell prompt, runs a command in the guest,
checks that user-mode networking gave the guest an address, then types
'poweroff' and expects QEMU to exit with status 0.
"""

import os
import random
import select
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = b'resilient-guest:/# '
TIMEOUT = int(os.environ.get('BOOT_SMOKE_TIMEOUT', '300'))


class Console:
    def __init__(self, proc):
        self.proc = proc
        self.seen = b''

    def expect(self, needle, timeout):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while needle not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f'no {needle!r} within {timeout} s')
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise EOFError(f'QEMU ended before {needle!r}')
                sys.stdout.write(chunk.decode(errors='replace'))
                sys.stdout.flush()
                self.seen += chunk
        idx = self.seen.index(needle) + len(needle)
        before, self.seen = self.seen[:idx], self.seen[idx:]
        return before

    def send(self, line):
        self.proc.stdin.write(line.encode() + b'\n')
        self.proc.stdin.flush()


def main():
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(TOP, 'scripts', 'run-guest.sh')],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=TOP)
    con = Console(proc)
    try:
        con.expect(PROMPT, TIMEOUT)
        booted = time.monotonic() - start
        token = f'smoke-{random.getrandbits(32):08x}'
        con.send(f'echo {token}-$((6*7))')
        con.expect(f'{token}-42'.encode(), 60)
        con.expect(PROMPT, 60)
        con.send('ip -4 -o addr show eth0')
        addr = con.expect(PROMPT, 60)
        if b'inet 10.0.2.' not in addr:
            raise AssertionError('guest has no user-mode network address '
                                 '(expected 10.0.2.x from -nic user)')
        con.send('poweroff')
        rc = proc.wait(timeout=120)
    except (TimeoutError, EOFError, AssertionError,
            subprocess.TimeoutExpired) as e:
        proc.kill()
        proc.wait()
        print(f'\nboot-smoke: FAILED: {e}')
        return 1
    if rc != 0:
        print(f'\nboot-smoke: FAILED: QEMU exited with status {rc} after '
              'poweroff (expected 0)')
        return 1
    print(f'\nboot-smoke: shell after {booted:.0f} s, clean power-off '
          f'after {time.monotonic() - start:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
