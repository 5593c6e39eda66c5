#!/usr/bin/env python3
"""Unit tests of wb/stages.py (make check's stages), without running any
script: the stage rule, the guest runs' command lines, a stage's
bookkeeping and make check's end."""
import io
import os
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

from wb import stages


class SelectedTest(unittest.TestCase):
    """CHECK_SKIP and CHECK_ONLY, as a decision table."""

    def test_table(self):
        rows = [
            # stage        CHECK_SKIP           CHECK_ONLY                runs
            ('suite',      '',                  '',                       True),
            ('suite',      'suite',             '',                       False),
            ('sparse-W1',  'sparse',            '',                       False),
            ('sparse-W1',  'sparse-W1',         '',                       False),
            ('sparse-W1',  'W1',                '',                       True),
            ('vmx',        '',                  'tree build vmx',         True),
            ('debug',      '',                  'tree build vmx',         False),
            ('sparse-W1',  '',                  'sparse',                 True),
            ('vmx',        'vmx',               'vmx',                    False),
            ('suite',      'suites',            '',                       True),
        ]
        for name, skip, only, want in rows:
            with self.subTest(name=name, skip=skip, only=only):
                self.assertEqual(stages.selected(name, skip.split(), only.split()), want)


class HelpersTest(unittest.TestCase):
    def test_stage_failed(self):
        rows = [('targeted/p52', 'x', 'pass', ''), ('targeted-x', 'y', 'fail', ''),
                ('vmx/base', 'z', 'fail', '')]
        self.assertFalse(stages.stage_failed(rows, 'targeted'))
        self.assertTrue(stages.stage_failed(rows, 'vmx'))
        self.assertFalse(stages.stage_failed(rows, 'vm'))

    def test_vmlinux_of(self):
        self.assertEqual(stages.vmlinux_of('/b/linux/.obj-test/arch/x86/boot/bzImage'),
                         '/b/linux/.obj-test/vmlinux')
        with self.assertRaises(ValueError):
            stages.vmlinux_of('/b/bzImage')

    def test_script_argv(self):
        self.assertEqual(stages.script_argv(['git', '-C', '/l', 'rev-list']),
                         ['git', '-C', '/l', 'rev-list'])
        a = stages.script_argv(('prepare.sh', 'patched'))
        self.assertEqual(a, [os.path.join(stages.SCRIPTS, 'prepare.sh'), 'patched'])
        self.assertTrue(os.access(a[0], os.X_OK))
        self.assertEqual(stages.script_argv(['/x/run-guest.sh']), ['/x/run-guest.sh'])

    def test_base_version(self):
        self.assertRegex(stages.base_version(), r'^\d+\.\d+\.\d+$')

    def test_bochs_speed(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(stages.bochs_speed('vmx-ept', d), '')
            with open(os.path.join(d, 'bochs.out'), 'w') as f:
                f.write('(0).[1000] first\nnoise\n(0).[120000000000] [0x0] last\n')
            with open(os.path.join(d, 'seconds'), 'w') as f:
                f.write('60\n')
            self.assertEqual(stages.bochs_speed('vmx-ept', d),
                             '  vmx-ept: Bochs ran 120.00 G instructions in 60 s: 2000 M/s\n')


class ShTest(unittest.TestCase):
    """Check.sh's redirections (a real command, not a script)."""

    def test_stderr_to_stdout_file(self):
        with tempfile.TemporaryDirectory() as d:
            c = stages.Check({'BUILD': d})
            out = os.path.join(d, 'x.out')
            cwd = os.getcwd()
            os.chdir(d)
            try:
                with mock.patch.object(stages, 'TOP', d):
                    rc = c.sh(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], stdout=out,
                              stderr='&1')
            finally:
                os.chdir(cwd)
            self.assertEqual(rc, 3)
            with open(out) as f:
                self.assertEqual(sorted(f.read().split()), ['err', 'out'])
            self.assertEqual(sorted(os.listdir(d)), ['x.out'])


class GuestRunTest(unittest.TestCase):
    def test_argv(self):
        r = stages.GuestRun('targeted-p40', '/k/bzImage', '/c/targeted.list', 'p40', 'tcg',
                            'max,phys-bits=40', 'kvm_amd.npt=1')
        a = r.argv('/sel', '180')
        self.assertTrue(a[0].endswith('/scripts/run-guest.sh'))
        self.assertEqual(a[1:], ['-k', '/k/bzImage', '-b', '/sel', '-l', '/c/targeted.list',
                                 '-n', 'targeted-p40', '-t', '180', '-M', 'tcg',
                                 '-a', 'kvm_amd.npt=1', '-c', 'max,phys-bits=40'])

    def test_retry_is_the_same_run_with_another_list(self):
        r = stages.GuestRun('vmx-ept', '/k', '/l', 'bochs-ept', 'bochs')
        a = r.argv('/sel', '180', 'vmx-ept-retry', '/retry.list', retry_of='vmx-ept')
        self.assertEqual(a[a.index('-n') + 1], 'vmx-ept-retry')
        self.assertEqual(a[a.index('-l') + 1], '/retry.list')
        self.assertEqual(a[a.index('-r') + 1], 'vmx-ept')
        self.assertEqual(a[a.index('-M') + 1], 'bochs')
        self.assertNotIn('-c', a)


class CheckTest(unittest.TestCase):
    """A stage's bookkeeping, in a build directory of its own."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.check = self.make()

    def make(self, **env):
        c = stages.Check(dict(env, BUILD=self.tmp.name))
        os.makedirs(c.out, exist_ok=True)
        for f in (c.results_path, c.durations, c.runs_path):
            open(f, 'w').close()
        # No test may run a script, or install make check's signal handlers.
        c.sh = mock.Mock(side_effect=AssertionError('a script ran'))
        for name in ('run', 'call', 'Popen'):
            p = mock.patch.object(stages.subprocess, name,
                                  side_effect=AssertionError('a command ran'))
            p.start()
            self.addCleanup(p.stop)
        p = mock.patch.object(stages.signal, 'signal')
        self.signal = p.start()
        self.addCleanup(p.stop)
        return c

    def quiet(self, fn, *args):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            r = fn(*args)
        return r, out.getvalue(), err.getvalue()

    def test_passing_stage(self):
        ok, out, _ = self.quiet(self.check.stage, 'docs', lambda: None)
        self.assertTrue(ok)
        self.assertIn('==== stage docs', out)
        self.assertEqual(self.check.rows(), [])
        with open(self.check.durations) as f:
            self.assertRegex(f.read(), r'^  docs +0m0\ds\n$')

    def test_unexplained_failure_is_recorded(self):
        ok, out, _ = self.quiet(self.check.stage, 'docs', lambda: False)
        self.assertFalse(ok)
        self.assertTrue(self.check.failed)
        self.assertEqual(self.check.rows(), [('docs', 'stage', 'fail', 'failed')])
        self.assertIn('FAILED', out)

    def test_explained_failure_is_not_counted_twice(self):
        def stage():
            self.check.result('docs', 'api.rst', 'fail', 'why')
            return False
        self.quiet(self.check.stage, 'docs', stage)
        self.assertEqual(self.check.rows(), [('docs', 'api.rst', 'fail', 'why')])

    def test_error_fails_the_stage_and_says_why(self):
        def stage():
            raise RuntimeError('test-lists.sh failed (exit 1)')
        ok, _, err = self.quiet(self.check.stage, 'targeted', stage)
        self.assertFalse(ok)
        self.assertEqual(self.check.rows(), [('targeted', 'stage', 'fail',
                                              'error: test-lists.sh failed (exit 1)')])
        self.assertIn('Traceback', err)

    def test_left_out_stage_is_a_skip(self):
        c = self.make(CHECK_ONLY='unit')
        ran = []
        ok, out, _ = self.quiet(c.stage, 'suite', lambda: ran.append(1))
        self.assertTrue(ok)
        self.assertEqual(ran, [])
        self.assertEqual(c.rows(), [('suite', 'stage', 'skip', 'CHECK_SKIP/CHECK_ONLY')])

    def test_empty_settings_are_the_defaults(self):
        c = stages.Check({'BUILD': self.tmp.name, 'SUITE_JOBS': '', 'SUITE_TIMEOUT': ''})
        self.assertEqual((c.jobs, c.timeout), (2, '180'))

    def test_jobs_must_be_a_number(self):
        for bad in ('0', 'two', '-1'):
            with self.subTest(jobs=bad), self.assertRaises(SystemExit):
                stages.Check({'BUILD': self.tmp.name, 'SUITE_JOBS': bad})

    def test_the_summary_is_the_last_line_when_interrupted(self):
        c = self.make()

        def run():
            c.running = 'suite'
            raise KeyboardInterrupt('signal 15')
        c.run = run
        rc, out, _ = self.quiet(c.main)
        self.assertEqual(rc, 130)
        self.assertEqual(c.rows(), [('suite', 'stage', 'fail', 'aborted (signal 15)')])
        self.assertEqual(out.splitlines()[-1], '0 passed, 1 failed, 0 skipped')

    def test_a_signal_stops_make_check_with_its_status(self):
        c = self.make()

        def run():
            c.running = 'targeted'
            c.stop(15, None)
        c.run = run
        rc, out, _ = self.quiet(c.main)
        self.assertEqual(rc, 143)
        self.assertEqual(c.rows(), [('targeted', 'stage', 'fail', 'aborted (signal 15)')])
        self.assertEqual(out.splitlines()[-1], '0 passed, 1 failed, 0 skipped')
        # Further signals were ignored, and the old handlers are back.
        self.assertIn(mock.call(15, stages.signal.SIG_IGN), self.signal.call_args_list)
        self.assertEqual(self.signal.call_args_list[-1].args[0], stages.SIGNALS[-1])

    def test_no_script_starts_once_stopped(self):
        c = stages.Check({'BUILD': self.tmp.name})
        c.stopped = stages.Stopped(15)
        with self.assertRaises(stages.Stopped):
            c.sh(['/bin/true'])
        with self.assertRaises(stages.Stopped):
            c.output(['/bin/true'])

    def test_a_results_error_fails_the_stage_only(self):
        """results.py's fail() exits; that is the stage's failure."""
        def stage():
            raise SystemExit('results.py: error: config/shapes: bad row')
        ok, _, _ = self.quiet(self.check.stage, 'targeted', stage)
        self.assertFalse(ok)
        self.assertEqual(self.check.rows()[0][:3], ('targeted', 'stage', 'fail'))

    def test_in_parallel_cancels_what_has_not_started(self):
        c = stages.Check({'BUILD': self.tmp.name, 'SUITE_JOBS': '1'})
        ran = []

        def job(n):	# as Check.sh does
            if c.stopped:
                raise c.stopped
            ran.append(n)
            c.stopped = stages.Stopped(15)
            raise c.stopped
        with self.assertRaises(stages.Stopped):
            c.in_parallel(job, range(5))
        self.assertEqual(ran, [0])

    def test_abort_fails_make_check(self):
        c = self.make()
        c.run = mock.Mock(side_effect=stages.Abort())
        rc, out, _ = self.quiet(c.main)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines()[-1], '0 passed, 0 failed, 0 skipped')

    def test_a_failed_result_fails_make_check(self):
        c = self.make()
        c.run = lambda: c.result('unit', 'x', 'fail', 'why')
        rc, out, _ = self.quiet(c.main)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines()[-1], '0 passed, 1 failed, 0 skipped')

    def test_expect_runs(self):
        """config/expect's rows become runs of the kernel they name."""
        c = self.check
        c.bk, c.pk = '/base/arch/x86/boot/bzImage', '/patched/arch/x86/boot/bzImage'
        rows = [['1', 'base', '-', 'x86/private_mem_attr_flip_test -d 10', 'fail', 'spurious'],
                ['2', 'patched', 'kvm_amd.npt=0', 'x86/private_mem_kvm_exits_test', 'skip', 'x']]
        with mock.patch.object(c, 'expect_rows', return_value=rows):
            runs = c.expect_runs('known-bad', 'bochs')
        self.assertEqual([(r.name, r.kernel, r.append, r.machine, r.shape) for r in runs],
                         [('expect-known-bad-1', c.bk, '', 'bochs', None),
                          ('expect-known-bad-2', c.pk, 'kvm_amd.npt=0', 'bochs', None)])
        with open(runs[0].tests) as f:
            self.assertEqual(f.read(), 'x86/private_mem_attr_flip_test -d 10\n')

    def test_expect_rows_of_the_real_config(self):
        rows = self.check.expect_rows('known-bad')
        self.assertTrue(rows)
        self.assertTrue(all(len(r) == 6 and r[1] in ('base', 'patched', 'fix') for r in rows))


if __name__ == '__main__':
    unittest.main()
