#!/usr/bin/python3
"""
qemu-resilient: every set-up script that downloads, run on an empty cache

A machine whose cache (~/.cache/qemu-resilient) already holds what the
scripts download never runs their download paths again, so a broken one
stays hidden there and breaks the first run on a new machine.  Each check
here runs one script against a new, empty cache directory
(QEMU_RESILIENT_CACHE) and a scratch build directory (BUILD_ROOT), checks
what it produced, then runs it again to see it use what it cached.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))
from tap import Tap  # noqa: E402

BZIMAGE_MAGIC_OFFSET = 0x202            # "HdrS": Linux's x86 boot header
GZIP_MAGIC = b'\x1f\x8b'


def run(argv, cache, build):
    """(exit status, stdout, stderr) of @argv with @cache and @build."""
    env = dict(os.environ, QEMU_RESILIENT_CACHE=cache, BUILD_ROOT=build)
    p = subprocess.run(argv, cwd=TOP, env=env, capture_output=True,
                       text=True)
    return p.returncode, p.stdout.strip(), p.stderr


def tail(text, lines=8):
    return '\n'.join(text.splitlines()[-lines:])


def is_bzimage(path):
    try:
        with open(path, 'rb') as f:
            f.seek(BZIMAGE_MAGIC_OFFSET)
            return f.read(4) == b'HdrS'
    except OSError:
        return False


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def read_pin():
    pin = {}
    with open(os.path.join(TOP, 'upstream.pin')) as f:
        for line in f:
            if '=' in line and not line.startswith('#'):
                k, v = line.strip().split('=', 1)
                pin[k] = v
    return pin


def kernel_names():
    with open(os.path.join(TOP, 'tests', 'guest-linux', 'kernels.list')) as f:
        return [(line.split() + [''])[:4] for line in f
                if line.strip() and not line.startswith('#')]


def check_upstream(tap, cache, build):
    argv = [os.path.join(TOP, 'scripts', 'fetch-upstream.sh')]
    rc, _, err = run(argv, cache, build)
    name = 'upstream source: fetched into an empty cache'
    if not tap.ok(name, rc == 0, f'expected exit status 0, got {rc}:\n'
                  + tail(err)):
        return
    pin = read_pin()
    where = os.path.join(cache, 'upstream')
    for tarball, digest in (('UPSTREAM_ORIG_TARBALL', 'UPSTREAM_ORIG_SHA256'),
                            ('UPSTREAM_DEBIAN_TARBALL',
                             'UPSTREAM_DEBIAN_SHA256')):
        path = os.path.join(where, pin[tarball])
        got = sha256(path) if os.path.exists(path) else 'no such file'
        tap.ok(f'upstream source: {pin[tarball]} as upstream.pin says',
               got == pin[digest],
               f'expected sha256 {pin[digest]}, got {got}')
    rc, _, err = run(argv, cache, build)
    tap.ok('upstream source: a second run uses the cache',
           rc == 0 and 'fetching' not in err,
           f'expected exit status 0 and no fetch, got {rc}:\n' + tail(err))


def check_guest_kernels(tap, cache, build):
    argv = [os.path.join(TOP, 'tests', 'guest-linux', 'fetch-kernels.sh')]
    rc, out, err = run(argv, cache, build)
    if not tap.ok('guest kernels: fetched into an empty cache', rc == 0,
                  f'expected exit status 0, got {rc}:\n' + tail(err)):
        return
    for name, suite, pkg, keep in kernel_names():
        vmlinuz = os.path.join(out, name, 'vmlinuz')
        tap.ok(f'guest kernel {name}: a bzImage from {pkg} ({suite})',
               is_bzimage(vmlinuz),
               f'expected a Linux bzImage at {vmlinuz}: '
               + ('not one' if os.path.exists(vmlinuz) else 'no such file'))
        if keep == 'modules':
            order = os.path.join(out, name, 'modules', 'modules.order')
            tap.ok(f'guest kernel {name}: its modules kept',
                   os.path.exists(order), f'expected {order}: no such file')
    rc, _, err = run(argv, cache, build)
    tap.ok('guest kernels: a second run uses the cache',
           rc == 0 and 'guest kernel' not in err,
           f'expected exit status 0 and no download, got {rc}:\n'
           + tail(err))


def check_demo_guest(tap, cache, build):
    argv = [os.path.join(TOP, 'scripts', 'guest-assets.sh')]
    rc, out, err = run(argv, cache, build)
    if not tap.ok('demo guest (make run): made from an empty cache', rc == 0,
                  f'expected exit status 0, got {rc}:\n' + tail(err)):
        return
    vmlinuz, initrd = (os.path.join(out, f) for f in ('vmlinuz', 'initrd.gz'))
    tap.ok('demo guest: its kernel is a bzImage', is_bzimage(vmlinuz),
           f'expected a Linux bzImage at {vmlinuz}')
    with open(initrd, 'rb') as f:
        magic = f.read(2)
    tap.ok('demo guest: its initramfs is gzip-compressed',
           magic == GZIP_MAGIC, f'expected {GZIP_MAGIC!r}, got {magic!r}')
    rc, _, err = run(argv, cache, build)
    tap.ok('demo guest: a second run uses the cache',
           rc == 0 and 'downloading' not in err,
           f'expected exit status 0 and no download, got {rc}:\n'
           + tail(err))


def check_test_initramfs(tap, cache, build):
    argv = [os.path.join(TOP, 'tests', 'guest-linux', 'make-initramfs.sh')]
    rc, out, err = run(argv, cache, build)
    if not tap.ok('guest-tier initramfs: made in an empty build directory',
                  rc == 0, f'expected exit status 0, got {rc}:\n'
                  + tail(err)):
        return
    with open(out, 'rb') as f:
        magic = f.read(2)
    tap.ok('guest-tier initramfs: gzip-compressed', magic == GZIP_MAGIC,
           f'expected {GZIP_MAGIC!r} at the start of {out}, got {magic!r}')


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix='fetch-test.') as tmp:
        cache, build = (os.path.join(tmp, d) for d in ('cache', 'build'))
        check_upstream(tap, cache, build)
        check_guest_kernels(tap, cache, build)
        check_demo_guest(tap, cache, build)
        check_test_initramfs(tap, cache, build)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
