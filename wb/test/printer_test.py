#!/usr/bin/env python3
"""Unit tests of wb/printer.py: the FAIL and FLAKY lines, and make check's
end, whose last line is always the summary line."""
import io
import os
import subprocess
import sys
import tempfile
import unittest

from wb import printer

ROWS = [('unit', 'unit tests', 'pass', ''),
        ('suite/npt1', 'x86/a_test', 'fail', 'fail on patched, pass on base'),
        ('suite/npt1', 'x86/b_test', 'skip', 'known on base (fail on base, fail on patched)'),
        ('targeted/phys40', 'x86/c_test', 'skip', 'expected on phys40: no bit 47'),
        ('targeted/phys40', 'guest finished', 'pass', '')]


class PrinterTest(unittest.TestCase):
    def test_fail_and_flaky_lines(self):
        out = io.StringIO()
        printer.fail('vmx', 'x86/a_test', 'failed twice', ['line 1', 'line 2'], out=out)
        printer.fail('vmx', 'KUnit', out=out)
        printer.flaky('suite/npt1', 'x86/b_test', 'failed once, passed on retry: why', out=out)
        self.assertEqual(out.getvalue().splitlines(), [
            'FAIL: vmx: x86/a_test (failed twice)', '    line 1', '    line 2',
            'FAIL: vmx: KUnit',
            'FLAKY: suite/npt1: x86/b_test (failed once, passed on retry: why)'])

    def test_summary(self):
        out = io.StringIO()
        nfail = printer.summary(ROWS, '  unit  0m01s\n', 125, out=out)
        lines = out.getvalue().splitlines()
        self.assertEqual(nfail, 1)
        self.assertEqual(lines[-1], '2 passed, 1 failed, 2 skipped')
        self.assertIn('  total                        2m05s', lines)
        self.assertIn('  suite/npt1: x86/a_test (fail on patched, pass on base)', lines)
        self.assertEqual(lines.index('==== failures') + 1,
                         lines.index('  suite/npt1: x86/a_test (fail on patched, pass on base)'))
        self.assertIn('  suite/npt1: x86/b_test (known on base (fail on base, fail on patched))', lines)
        # "expected on" skips are not "known on base".
        self.assertFalse(any('x86/c_test' in l for l in lines))

    def test_summary_shows_the_failures_output_before_the_last_line(self):
        out = io.StringIO()
        printer.summary(ROWS, '', 1, out=out,
                        tails=[('suite/npt1', 'x86/a_test', ['# seed: 7', 'Assertion'])])
        lines = out.getvalue().splitlines()
        i = lines.index("==== the failures' last output lines")
        self.assertEqual(lines[i + 1:], ['  suite/npt1: x86/a_test', '    # seed: 7',
                                         '    Assertion', '2 passed, 1 failed, 2 skipped'])

    def test_summary_without_failures(self):
        out = io.StringIO()
        self.assertEqual(printer.summary(ROWS[:1], '', 0, out=out), 0)
        self.assertNotIn('==== failures', out.getvalue())
        self.assertEqual(out.getvalue().splitlines()[-1], '1 passed, 0 failed, 0 skipped')

    def test_summary_command(self):
        """lib.sh finish()'s call: $RESULTS as written, a missing durations file."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'results.tsv')
            with open(path, 'w') as f:
                f.write(''.join('\t'.join(r) + '\n' for r in ROWS))
                f.write('stage\tno note\tpass\n')
            p = subprocess.run([sys.executable, '-B', printer.__file__, 'summary', path,
                                os.path.join(d, 'none'), '3'], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[-1], '3 passed, 1 failed, 2 skipped')


if __name__ == '__main__':
    unittest.main()
