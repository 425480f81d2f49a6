"""
qemu-resilient integration tests: TAP, as pycotap writes it

The tests check as they go, each check one TAP line.  Each check is run
as a unittest case through pycotap's TAPTestResult, the TAP writer
upstream's tests/functional uses, so pycotap numbers the lines, writes
"not ok" with the check's message as diagnostics, skips with their
reason, and the plan.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import sys
import unittest

import pycotap

# unittest leaves this module's frames out of a failure's message: a
# failed check reports what it says, not this adapter's traceback.
__unittest = True


class _Check(unittest.TestCase):
    """One check, already decided: it passes, fails saying @why, or is
    skipped for @skip."""

    def __init__(self, name, passed, why, skip=None):
        super().__init__()
        self.name = name
        self.passed = passed
        self.why = why
        self.skip = skip

    def id(self):
        return self.name

    def runTest(self):
        if self.skip is not None:
            self.skipTest(self.skip)
        if not self.passed:
            self.fail(str(self.why) or 'failed')


class Tap:
    """TAP output: one line per check, the plan at the end (done())."""

    def __init__(self):
        self.stdout = sys.stdout
        # Messages of failed checks as diagnostics after their line; what
        # the test prints itself goes to stderr (meson keeps both).
        self.result = pycotap.TAPTestResult(
            sys.stdout, sys.stderr, pycotap.LogMode.LogToDiagnostics,
            pycotap.LogMode.LogToError)

    @property
    def failed(self):
        return len(self.result.failures) + len(self.result.errors)

    def ok(self, name, cond=True, why=''):
        _Check(name, bool(cond), why).run(self.result)
        return cond

    def skip(self, name, why):
        _Check(name, True, '', skip=why).run(self.result)

    def note(self, text):
        for line in str(text).splitlines():
            self.result.print_raw(f'# {line}\n')

    def done(self):
        """The plan; the exit status: 1 if a check failed."""
        self.result.printErrors()
        if not self.result.testsRun:
            print('no check ran', file=sys.stderr)
            return 1
        return 1 if self.failed else 0
