#!/usr/bin/python3
"""
qemu-resilient: make check-series refuses a patch that breaks the queue's rules

docs/devel/resilient-patch-queue.rst: each patch has a Signed-off-by and
an Upstream-Status of OpenEmbedded's forms, and one that stays in the
fork says why ("Inappropriate [fork-only: why]").  Each case copies
patches/ to a scratch directory, breaks one rule in its first patch, and
runs scripts/check-series.sh --rules-only on the copy (RESILIENT_PATCHES):
it must fail naming the patch.  The copy left as it is must pass.  (That
the series applies is make check's patch-series step.)

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))
from tap import Tap  # noqa: E402

PATCHES = os.path.join(TOP, 'patches')
STATUS_RE = re.compile(r'^Upstream-Status: .*$', re.M)
SIGNED_RE = re.compile(r'^Signed-off-by: .*\n', re.M)

# (case, how the first patch's text is broken)
BROKEN = [
    ('a reason that is not fork-only: why',
     lambda t: STATUS_RE.sub('Upstream-Status: Inappropriate '
                             '[qemu-resilient specific]', t, 1)),
    ('Inappropriate without a reason',
     lambda t: STATUS_RE.sub('Upstream-Status: Inappropriate', t, 1)),
    ('Submitted without where',
     lambda t: STATUS_RE.sub('Upstream-Status: Submitted', t, 1)),
    ('no Upstream-Status', lambda t: STATUS_RE.sub('', t, 1)),
    ('no Signed-off-by', lambda t: SIGNED_RE.sub('', t)),
]


def check_series(patches):
    """check-series.sh on @patches: (exit status, its output)."""
    r = subprocess.run([os.path.join(TOP, 'scripts', 'check-series.sh'),
                        '--rules-only'],
                       env=dict(os.environ, RESILIENT_PATCHES=patches),
                       cwd=TOP, capture_output=True, text=True, check=False)
    return r.returncode, (r.stdout + r.stderr).strip()


def copy_of_series(work, edit=None):
    """patches/ copied into @work, its first patch edited by @edit."""
    dest = os.path.join(work, 'patches')
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(PATCHES, dest)
    if edit:
        with open(os.path.join(dest, 'series')) as f:
            first = next(line.strip() for line in f
                         if line.strip() and not line.startswith('#'))
        path = os.path.join(dest, first)
        with open(path) as f:
            text = f.read()
        broken = edit(text)
        assert broken != text, f'the edit changed nothing in {first}'
        with open(path, 'w') as f:
            f.write(broken)
        return dest, first
    return dest, None


def main():
    tap = Tap()
    work = tempfile.mkdtemp(prefix='resilient-series-')
    try:
        patches, _ = copy_of_series(work)
        rc, out = check_series(patches)
        tap.ok('the series as it is passes', rc == 0,
               f'expected exit 0, got {rc}: {out[-500:]}')
        for case, edit in BROKEN:
            patches, first = copy_of_series(work, edit)
            rc, out = check_series(patches)
            tap.ok(f'refused: {case}', rc != 0 and first in out,
                   f'expected a failure naming {first}, got exit {rc}: '
                   f'{out[-500:]}')
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
