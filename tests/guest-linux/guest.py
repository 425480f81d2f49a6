"""
qemu-resilient guest-kernel tests: one Debian kernel booted to a shell

A GuestLinux is a QEMU (the fork, or vanilla 10.2.2 built the same way)
running one of the kernels of kernels.list with the initramfs of
make-initramfs.sh, started and driven through QEMU's own python package
(qemu.machine, from the merged tree), with the guest's shell and kernel
messages on its serial console.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'build', 'src', 'python'))

# pylint: disable=wrong-import-position
from qemu.machine import QEMUMachine  # noqa: E402

BINARIES = {
    'fork': os.environ.get('RESILIENT_FORK') or
    os.path.join(TOP, 'build', 'qemu', 'qemu-system-x86_64'),
    'vanilla': os.path.join(TOP, 'build', 'vanilla', 'qemu',
                            'qemu-system-x86_64'),
}
HERE = os.path.join(TOP, 'tests', 'guest-linux')
# A page the guest has not used yet: Linux offlines it as a free page.
FREE_PAGE = 0x10000000
# Deferred (bit 44) with POISON (bit 43), as QEMU reports an
# action-optional memory error to an AMD guest; VAL EN MISCV ADDRV.
AMD_AO_STATUS = 0x9c00180000000000
AMD_AO_MISC = 0x8c
MSR_ACCESS_ERROR = 'MSR access error'
READY_RE = re.compile(rb'guest-linux: ready (\S+)')
PANIC_RE = re.compile(rb'Kernel panic - not syncing: ([^\r\n]*)\r?\n')
BOOT_TIMEOUT = 120
TIMEOUT = 60


class GuestDied(Exception):
    """The guest panicked or QEMU exited while a test waited on it."""


def kvm_verdict():
    """None if this host's KVM can run a stock Linux guest, else why not.

    The probe of 'make run' (scripts/run-guest.sh): a payload that turns
    paging on, which a restricted KVM (PVM) that emulates such guests
    cannot do."""
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        return 'no usable /dev/kvm'
    probe = os.path.join(TOP, 'build', 'qemu', 'tests', 'qtest',
                         'guest-payload', 'paging-probe.bin')
    if not os.path.exists(probe):
        return f'{probe} not built'
    rc = subprocess.run([BINARIES['fork'], '-accel', 'kvm', '-M', 'pc',
                         '-nodefaults', '-display', 'none',
                         '-device', 'isa-debug-exit', '-bios', probe],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        timeout=60, check=False).returncode
    if rc == 1:
        return None
    if rc == 3:
        return ("this host's KVM cannot turn paging on in a guest (a "
                "restricted KVM that emulates such guests, e.g. PVM)")
    return f'the KVM probe guest failed (exit status {rc})'


def kernels():
    """{name: vmlinuz path} of every kernel of kernels.list, fetched."""
    out = subprocess.run([os.path.join(HERE, 'fetch-kernels.sh')],
                         check=True, stdout=subprocess.PIPE,
                         text=True).stdout.strip()
    names = []
    with open(os.path.join(HERE, 'kernels.list')) as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                names.append(line.split()[0])
    return {n: os.path.join(out, n, 'vmlinuz') for n in names}


def initramfs():
    return subprocess.run([os.path.join(HERE, 'make-initramfs.sh')],
                          check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()


def hmp_mce_ao(g):
    """An AMD action-optional error at FREE_PAGE, logged in bank 9 through
    HMP 'mce' (vanilla has no x-inject-memory-error)."""
    g.hmp(f'mce 0 9 {AMD_AO_STATUS:#x} 0 {FREE_PAGE:#x} {AMD_AO_MISC:#x}')


class GuestLinux:
    """One guest: QEMU with @kernel, driven over QMP and its console."""

    def __init__(self, kernel, initrd, cpu, build='fork', machine='q35',
                 accel='tcg', mem='1G', append='', args=(), incoming=None,
                 kernel_console='ttyS0'):
        self.kernel = kernel
        self.dir = tempfile.mkdtemp(prefix='resilient-guest-')
        self.vm = QEMUMachine(BINARIES[build], base_temp_dir=self.dir,
                              log_dir=self.dir)
        self.vm.set_machine(machine)
        self.vm.set_console()
        self.vm.add_args('-nodefaults', '-accel', accel, '-cpu', cpu,
                         '-m', mem, '-no-reboot',
                         '-kernel', kernel, '-initrd', initrd,
                         '-append', f'console={kernel_console} panic=1 quiet '
                         'nokaslr ' + append, *args)
        if incoming:
            self.vm.add_args('-incoming', incoming)
        self.seen = b''     # everything the console printed
        self.pos = 0        # where the next expect() starts looking
        self._token = 0

    # -- QEMU ------------------------------------------------------------

    def launch(self, boot=True):
        self.vm.launch()
        if boot:
            self.expect(READY_RE, BOOT_TIMEOUT)
        return self

    def cmd(self, cmd, **args):
        return self.vm.cmd(cmd, **args)

    def hmp(self, line):
        return self.vm.cmd('human-monitor-command', command_line=line)

    def shutdown(self):
        try:
            self.vm.shutdown(hard=not self.vm.is_running())
        except Exception:       # pylint: disable=broad-except
            self.vm.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- the console -----------------------------------------------------

    def _read(self, timeout):
        sock = self.vm.console_socket
        ready = select.select([sock], [], [], timeout)[0]
        if not ready:
            return False
        chunk = sock.recv(65536)
        if not chunk:
            raise GuestDied('QEMU closed the console')
        self.seen += chunk
        return True

    def expect(self, regex, timeout=TIMEOUT):
        """The first match of @regex (bytes) printed since the last one.

        The console arrives in chunks: a pattern that ends in a variable
        part must say where it ends (a space, the end of the line)."""
        if isinstance(regex, (str, bytes)):
            regex = re.compile(regex if isinstance(regex, bytes)
                               else regex.encode())
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.seen, self.pos)
            if m:
                self.pos = m.end()
                return m
            p = PANIC_RE.search(self.seen, self.pos)
            if p and regex is not PANIC_RE:
                raise GuestDied('guest panicked: ' + p.group(1).decode())
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f'no {regex.pattern!r} on the console '
                                   f'within {timeout} s')
            try:
                self._read(min(left, 1))
            except GuestDied:
                if not regex.search(self.seen, self.pos):
                    p = PANIC_RE.search(self.seen, self.pos)
                    raise GuestDied('guest panicked: ' + p.group(1).decode()
                                    if p else 'QEMU exited') from None

    def wait_panic(self, timeout=TIMEOUT):
        """The panic message: the guest must panic within @timeout."""
        return self.expect(PANIC_RE, timeout).group(1).decode()

    def send(self, line):
        self.vm.console_socket.sendall(line.encode() + b'\n')

    def run(self, line, timeout=TIMEOUT, check=True):
        """Run @line in the guest's shell; its output (str)."""
        self._token += 1
        end = f'@@end-{self._token}-'
        start = self.pos
        self.send(f'{line}; echo {end}$?')
        m = self.expect(re.escape(end).encode() + rb'(\d+)\r?\n', timeout)
        out = self.seen[start:m.start()].decode(errors='replace')
        if check and m.group(1) != b'0':
            raise RuntimeError(f'guest: {line!r} exited with '
                               f'{m.group(1).decode()}: {out}')
        return out

    def since(self, start):
        """What the console printed from offset @start on."""
        return self.seen[start:].decode(errors='replace')

    def alive(self):
        """The guest still runs commands."""
        return 'alive' in self.run('echo al""ive', timeout=TIMEOUT)

    def log(self):
        return self.seen.decode(errors='replace')
