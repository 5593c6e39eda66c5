#!/usr/bin/env python3
"""Unit tests of coverage.py: the console's gcov data, and the per-patch
mapping of lcov counters onto the series' lines (a throwaway git tree)."""
import base64
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coverage  # noqa: E402


def git(d, *args):
    subprocess.run(['git', '-C', d, '-c', 'user.name=t', '-c', 'user.email=t@t'] + list(args),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class CoverageTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='coverage_test.')
        self.linux = os.path.join(self.tmp, 'linux')
        os.makedirs(os.path.join(self.linux, 'arch/x86/kvm/mmu'))
        git(self.linux, 'init', '-q')
        self.mmu = os.path.join(self.linux, 'arch/x86/kvm/mmu/mmu.c')
        with open(self.mmu, 'w') as f:
            f.write('int a;\nint f(void)\n{\n\treturn a;\n}\n')
        git(self.linux, 'add', '.')
        git(self.linux, 'commit', '-q', '-m', 'base')
        git(self.linux, 'tag', 'base')
        with open(self.mmu, 'w') as f:
            f.write('int a;\nint f(void)\n{\n\tif (a)\n\t\treturn 1;\n\treturn a;\n}\n')
        git(self.linux, 'commit', '-q', '-am', 'KVM: x86/mmu: Add a branch')

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def info(self, counts):
        path = os.path.join(self.tmp, 'all.info')
        with open(path, 'w') as f:
            f.write('TN:\nSF:%s\n' % os.path.join(self.tmp, 'coverage-src/arch/x86/kvm/mmu/mmu.c'))
            for n, c in counts:
                f.write('DA:%d,%d\n' % (n, c))
            f.write('end_of_record\n')
        return path

    def report(self, counts):
        out = io.StringIO()
        with redirect_stdout(out):
            coverage.report(self.linux, self.info(counts), 'base')
        return out.getvalue()

    def test_the_series_lines_that_did_not_run_are_listed(self):
        # Lines 4-5 are the patch's ("if (a)", "return 1;"), line 6 the base's.
        text = self.report([(4, 3), (5, 0), (6, 3)])
        self.assertIn('KVM: x86/mmu: Add a branch', text)
        self.assertRegex(text, r' 1 KVM: x86/mmu: Add a branch +1 ran +1 not')
        self.assertIn('not run: arch/x86/kvm/mmu/mmu.c:5: return 1;', text)
        self.assertIn('1 of the series\' executable lines did not run', text)

    def test_uncommitted_lines_count_as_the_series(self):
        with open(self.mmu, 'a') as f:
            f.write('int g(void)\n{\n\treturn 2;\n}\n')
        text = self.report([(4, 1), (5, 1), (10, 0)])
        self.assertIn('(uncommitted changes in build/linux)', text)
        self.assertIn('not run: arch/x86/kvm/mmu/mmu.c:10: return 2;', text)

    def test_extract_takes_the_gcda_files_only(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w:gz') as t:
            for name, data in (('./o/arch/x86/kvm/x86.gcda', b'gcda'), ('./o/evil.txt', b'x')):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        run = os.path.join(self.tmp, 'run')
        os.makedirs(run)
        b64 = base64.b64encode(buf.getvalue()).decode()
        with open(os.path.join(run, 'console.log'), 'w') as f:
            f.write('ok 1 x\nWB-GCOV-BEGIN\n%s\nWB-GCOV-END\nWB-GUEST-DONE\n' % '\n'.join(
                b64[i:i + 76] for i in range(0, len(b64), 76)))
        with redirect_stdout(io.StringIO()):
            coverage.extract(run)
        self.assertTrue(os.path.exists(os.path.join(run, 'gcov/o/arch/x86/kvm/x86.gcda')))
        self.assertFalse(os.path.exists(os.path.join(run, 'gcov/o/evil.txt')))


if __name__ == '__main__':
    unittest.main()
