#!/usr/bin/env python3
"""Unit tests of wb/results.py and wb/policy.py's rules (retry, skip,
counting, the verdict of a suite test), in the style of the kernel's
tools/testing/kunit/kunit_tool_test.py: canned guest output in test_data/,
turned into run directories by wb/parser.py.  Seconds.

    python3 wb unit        (all of wb/test/ and scripts/*_test.py)
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout, redirect_stderr

from wb import parser as wbparser
from wb import policy
from wb import printer, results

HERE = os.path.dirname(os.path.abspath(__file__))

DATA = os.path.join(HERE, 'test_data')
CONFIG = os.path.join(DATA, 'config')
SERIES = {'x86/private_mem_shared_bit_test', 'x86/private_mem_nested_test',
          'x86/private_mem_stress_test', 'x86/private_mem_attr_flip_test'}


def test_data_path(name):
    return os.path.join(DATA, name)


def read_lines(name):
    return results.read_lines(test_data_path(name))


def write(path, text, mode='w'):
    with open(path, mode) as f:
        f.write(text)


class RunDirs:
    """Run directories made from canned consoles, in a temporary build/results."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='results_test.')
        self.results = os.path.join(self.tmp, 'results')
        os.makedirs(self.results)

    def cleanup(self):
        shutil.rmtree(self.tmp)

    def from_console(self, name, console, tests, ktap='kunit_ok.ktap', out=None,
                     kunit_txt='kunit_ok.txt'):
        text = results.read(test_data_path(console))
        text = text.replace('@KTAP@\n', results.read(test_data_path(ktap)) if ktap else '')
        if out:
            text = text.replace('@OUT@\n', results.read(test_data_path(out)))
        return self.from_text(name, text, tests, kunit_txt)

    def from_text(self, name, text, tests, kunit_txt=None, known=None):
        """A run directory from console TEXT, parsed as run-guest.sh does
        (with KNOWN, config/bochs-known-reports' like); wb/parser.py's
        exit status in self.parse_rc."""
        d = os.path.join(self.results, name)
        os.makedirs(d)
        write(os.path.join(d, 'console.log'), text)
        write(os.path.join(d, 'tests.list'), ''.join(t + '\n' for t in tests))
        with open(os.path.join(d, 'summary.txt'), 'w') as summary:
            self.parse_rc = subprocess.run(
                [sys.executable, '-B', wbparser.__file__,
                 os.path.join(d, 'console.log'), d] + ([known] if known else []),
                stdout=summary, check=False).returncode
        if kunit_txt and os.path.getsize(os.path.join(d, 'kunit.ktap')):
            shutil.copy(test_data_path(kunit_txt), os.path.join(d, 'kunit.txt'))
        write(os.path.join(d, 'seconds'), '61\n')
        return d

    def from_table(self, name, rows, reports=()):
        """A run directory from "TEST RESULT" rows (a base or suite run);
        the tests of REPORTS had a kernel log report."""
        d = os.path.join(self.results, name)
        os.makedirs(d)
        run, _, _ = wbparser.parse('WB-GUEST-START\nWB-GUEST-DONE\n')
        run['tests'] = [{'n': i + 1, 'name': test, 'result': res, 'secs': '1.00',
                         'report': test in reports, 'output': []}
                        for i, (test, res) in enumerate(rows)]
        with open(os.path.join(d, 'run.json'), 'w') as f:
            json.dump(run, f)
        write(os.path.join(d, 'tests.list'), ''.join(t + '\n' for t, _ in rows))
        return d


class Base(unittest.TestCase):
    def setUp(self):
        self.dirs = RunDirs()
        self.tsv = os.path.join(self.dirs.tmp, 'results.tsv')
        write(self.tsv, '')
        self.out = results.Results(self.tsv)
        self.stdout = io.StringIO()
        self._env = dict(os.environ)
        os.environ.pop('CHECK_RUNS', None)

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self._env)
        self.dirs.cleanup()

    def rows(self):
        return [l.split('\t') for l in results.read_lines(self.tsv)]

    def row(self, name):
        got = [r for r in self.rows() if r[1] == name]
        self.assertEqual(len(got), 1, 'want one line for %s, got %s' % (name, got))
        return got[0]

    def record(self, d, shape=None, retry=None):
        with redirect_stdout(self.stdout):
            results.record(self.out, 'targeted/x', results.Run(d),
                           results.Run(retry) if retry else None, shape, SERIES, CONFIG)


class ShapeFirstTest(unittest.TestCase):
    """`shape first` is the first of `shape names`: shell callers use it instead
    of piping `names` into head, which pipefail turned into a failure when
    head closed the pipe early."""

    def out(self, *argv):
        buf = io.StringIO()
        with redirect_stdout(buf):
            results.main(list(argv))
        return buf.getvalue().splitlines()

    def test_first_is_the_first_name(self):
        names = self.out('shape', 'names')
        self.assertGreater(len(names), 1)
        self.assertEqual(self.out('shape', 'first'), names[:1])


class QemuSignatureTest(unittest.TestCase):
    """Only the QEMU signature is retried."""

    def check(self, name, want):
        ok, why = policy.qemu_signature(read_lines(name))
        self.assertEqual(ok, want, '%s: %s' % (name, why))
        return why

    def test_shutdown_is_retried(self):
        self.assertIn('SHUTDOWN', self.check('stress_shutdown.out', True))

    def test_internal_error_is_retried(self):
        self.check('stress_internal_error.out', True)

    def test_two_vcpus_shut_down_interleaved(self):
        self.check('stress_two_shutdowns.out', True)

    def test_unjustified_exit_fails_at_once(self):
        self.assertIn('unjustified exit', self.check('stress_unjustified.out', False))

    def test_shutdown_with_unjustified_exit_fails_at_once(self):
        self.check('stress_shutdown_and_unjustified.out', False)

    def test_data_mismatch_fails_at_once(self):
        self.assertIn('data mismatch', self.check('stress_mismatch.out', False))

    def test_guest_assertion_fails_at_once(self):
        self.assertIn('guest assertion', self.check('guest_exception.out', False))

    def test_no_signature_fails_at_once(self):
        self.assertIn('no QEMU signature', self.check('segfault.out', False))

    def test_triple_fault_and_emulation_failure(self):
        self.assertTrue(policy.qemu_signature(['# nested guest: triple fault'])[0])
        self.assertTrue(policy.qemu_signature(['# KVM_EXIT_INTERNAL_ERROR: emulation failure'])[0])


class RetryPlanTest(Base):
    def plan(self, d):
        return policy.retry_plan(results.Run(d), results.reasons('retry-once', CONFIG))

    def test_shutdown_of_a_listed_test_is_retried(self):
        d = self.dirs.from_console('r', 'stress-fail.console', [
            'x86/private_mem_stress_test -d 10', 'x86/private_mem_stress_test -b 47 -d 10'],
            out='stress_shutdown.out')
        retry, refused = self.plan(d)
        self.assertEqual([n for n, _ in retry], ['x86/private_mem_stress_test -d 10'])
        self.assertEqual(refused, [])

    def test_unjustified_exit_of_a_listed_test_is_not(self):
        d = self.dirs.from_console('r', 'stress-fail.console', [
            'x86/private_mem_stress_test -d 10', 'x86/private_mem_stress_test -b 47 -d 10'],
            out='stress_unjustified.out')
        retry, refused = self.plan(d)
        self.assertEqual(retry, [])
        self.assertEqual(refused[0][0], 'x86/private_mem_stress_test -d 10')

    def test_hang_retries_the_hung_test_and_those_after_it(self):
        d = self.dirs.from_console('r', 'stress-hung.console', [
            'x86/private_mem_stress_test -d 10', 'x86/private_mem_stress_test -b 47 -d 10'])
        retry, _ = self.plan(d)
        self.assertEqual([n for n, _ in retry], ['x86/private_mem_stress_test -d 10',
                                                 'x86/private_mem_stress_test -b 47 -d 10'])

    def test_hang_in_an_unlisted_test_is_not_retried(self):
        d = self.dirs.from_console('r', 'stress-hung.console', [
            'x86/private_mem_stress_test -d 10'])
        rc = results.reasons('retry-once', CONFIG)
        rc.pop('x86/private_mem_stress_test')
        retry, refused = policy.retry_plan(results.Run(d), rc)
        self.assertEqual(retry, [])
        self.assertIn('hung', refused[0][1])


class RecordRetryTest(Base):
    def test_retried_shutdown_that_passes_is_a_flaky_pass(self):
        tests = ['x86/private_mem_stress_test -d 10', 'x86/private_mem_stress_test -b 47 -d 10']
        d = self.dirs.from_console('r', 'stress-fail.console', tests, out='stress_shutdown.out')
        r = self.dirs.from_console('r-retry', 'stress-retry.console', tests[:1])
        self.record(d, 'phys52-5lvl', r)
        res = self.row(tests[0])
        self.assertEqual(res[2], 'pass')
        self.assertIn('flaky', res[3])
        self.assertIn('FLAKY', self.stdout.getvalue())

    def test_hung_guest_retried_counts_each_test_once(self):
        tests = ['x86/private_mem_stress_test -d 10', 'x86/private_mem_stress_test -b 47 -d 10']
        d = self.dirs.from_console('r', 'stress-hung.console', tests)
        r = self.dirs.from_console('r-retry', 'stress-retry.console', tests)
        self.record(d, 'phys52-5lvl', r)
        self.assertEqual(self.row(tests[0])[2], 'pass')
        self.assertIn('hung in it', self.row(tests[0])[3])
        self.assertEqual(self.row(tests[1])[2], 'pass')
        self.assertEqual(self.row('guest finished')[2], 'pass')

    def test_hung_guest_without_retry_fails(self):
        tests = ['x86/private_mem_stress_test -d 10', 'x86/private_mem_stress_test -b 47 -d 10']
        d = self.dirs.from_console('r', 'stress-hung.console', tests)
        self.record(d, 'phys52-5lvl')
        self.assertEqual(self.row(tests[0])[2], 'fail')
        self.assertEqual(self.row(tests[1])[2], 'fail')
        self.assertEqual(self.row('guest finished')[2], 'fail')


class FailureTailTest(Base):
    HOSTILE = 'x86/private_mem_hostile_test'

    def test_a_failure_keeps_its_seed_and_tail_for_the_end(self):
        out = ['# seed: 1796423477 (replay with -s 1796423477 -n 100000)'] + \
              ['# line %d' % i for i in range(30)]
        text = ('WB-GUEST-START 7.3.4+\nTAP version 13\n1..1\nWB-TEST-START 1 %s\n%s\n'
                'WB-DMESG-BEGIN 1\nWB-DMESG-END 1\nnot ok 1 %s # exit=254\n'
                'WB-DMESG-BEGIN end\nWB-DMESG-END end\nWB-GUEST-DONE\n'
                % (self.HOSTILE, '\n'.join(out), self.HOSTILE))
        d = self.dirs.from_text('r', text, [self.HOSTILE])
        self.record(d)
        self.assertEqual(self.row(self.HOSTILE)[2], 'fail')
        tails = printer.read_tails(self.tsv)
        self.assertEqual(len(tails), 1)
        stage, name, lines = tails[0]
        self.assertEqual((stage, name), ('targeted/x', self.HOSTILE))
        # The seed line, then the last TAIL lines.
        self.assertEqual(len(lines), 1 + results.TAIL)
        self.assertIn('replay with -s 1796423477', lines[0])
        self.assertIn('line 29', lines[-1])
        self.assertIn('    # line 29', self.stdout.getvalue())


class ReportTest(Base):
    def test_report_is_printed_with_its_stack_trace(self):
        d = self.dirs.from_console('r', 'boot-report.console', ['vm_types_test'])
        self.record(d)
        row = self.row('kernel log clean')
        self.assertEqual(row[2], 'fail')
        self.assertIn('boot: [   11.424269] BUG: KASAN: wild-memory-access', row[3])
        printed = self.stdout.getvalue()
        self.assertIn('    [   11.424360]  do_raw_spin_lock+0x130/0x1de', printed)
        self.assertIn('    [   11.424370]  some_caller+0x12/0x40', printed)
        self.assertEqual(self.row('vm_types_test')[2], 'pass')


class RebootTest(Base):
    def run_from(self, text):
        return results.Run(self.dirs.from_text('r', text, ['vm_types_test']))

    def console(self, **kw):
        return results.read(test_data_path('boot-report.console')) \
            .replace('@KTAP@\n', kw.get('ktap', '')) \
            .replace('some_caller', kw.get('caller', 'some_caller'))

    def test_boot_report_outside_kvm_is_rebooted(self):
        ok, why = policy.boot_report_outside(self.run_from(self.console()))
        self.assertTrue(ok, why)
        self.assertIn('wild-memory-access', why)

    def test_report_in_kvm_code_is_not(self):
        ok, why = policy.boot_report_outside(self.run_from(self.console(
            caller='kvm_mmu_register_private_access')))
        self.assertFalse(ok)
        self.assertIn('code under test', why)

    def test_report_while_kunit_runs_is_not(self):
        text = self.console().replace(
            '[   11.424269] ====', '[   11.400000] KTAP version 1\n[   11.424269] ====', 1)
        ok, why = policy.boot_report_outside(self.run_from(text))
        self.assertFalse(ok)
        self.assertIn('KUnit', why)

    def test_a_later_report_in_kvm_code_is_not(self):
        text = self.console().replace(
            '[   11.424380]  </TASK>\n',
            '[   11.424380]  </TASK>\n[   11.424390] ==================================================================\n'
            '[   11.500000] WARNING: arch/x86/kvm/mmu/mmu.c:100 at kvm_mmu_init_vm+0x1/0x2\n'
            '[   11.500010] Call Trace:\n[   11.500020]  kvm_mmu_init_vm+0x1/0x2\n')
        ok, why = policy.boot_report_outside(self.run_from(text))
        self.assertFalse(ok, why)
        self.assertIn('code under test', why)

    def test_report_during_a_test_is_not(self):
        text = self.console().replace('WB-DMESG-BEGIN 1\n', 'WB-DMESG-BEGIN 1\n'
                                      '[   12.000000] WARNING: somewhere\n')
        ok, why = policy.boot_report_outside(self.run_from(text))
        self.assertFalse(ok)
        self.assertIn('during or after a test', why)


class KnownReportTest(Base):
    def test_bochs_boot_warning_is_left_out(self):
        text = results.read(test_data_path('boot-report.console')).replace('@KTAP@\n', '')
        text = text.replace('BUG: KASAN: wild-memory-access in do_raw_spin_lock+0x130/0x1de',
                            'WARNING: arch/x86/kernel/cpu/topology_common.c:95 at parse_legacy+0x52/0x85, CPU#0: swapper/0')
        text = text.replace('[   11.424380]  </TASK>\n',
                            '[   11.424380]  </TASK>\n[   11.424390] ---[ end trace 0000000000000000 ]---\n'
                            '[   12.000000] WARNING: something else\n')
        d = self.dirs.from_text('r', text, ['vm_types_test'],
                                known=os.path.join(HERE, '..', '..', 'config', 'bochs-known-reports'))
        reports = results.read(os.path.join(d, 'reports.txt'))
        self.assertNotIn('parse_legacy', reports)
        self.assertNotIn('Call Trace', reports)
        self.assertIn('WARNING: something else', reports)
        self.assertIn('parse_legacy', results.read(os.path.join(d, 'known-reports.txt')))
        self.assertEqual(self.dirs.parse_rc, 1)


class SkipRuleTest(Base):
    tests = ['x86/private_mem_shared_bit_test', 'x86/private_mem_nested_test',
             'set_memory_region_test']

    def test_expected_sub_test_skips_on_their_shape_pass(self):
        d = self.dirs.from_console('r', 'phys40.console', self.tests)
        self.record(d, 'phys40')
        res = self.row('x86/private_mem_shared_bit_test')
        self.assertEqual(res[2], 'pass', res)
        self.assertIn('bit 47: MAXPHYADDR is 40', res[3])
        self.assertEqual([r for r in self.rows() if r[2] == 'fail'], [])

    def test_the_same_skips_on_another_shape_fail(self):
        d = self.dirs.from_console('r', 'phys40.console', self.tests)
        self.record(d, 'phys52-5lvl')
        res = self.row('x86/private_mem_shared_bit_test')
        self.assertEqual(res[2], 'fail')
        self.assertIn('bit 47: MAXPHYADDR is 40', res[3])

    def test_an_expected_skip_that_does_not_happen_fails(self):
        d = self.dirs.from_console('r', 'phys52-all-bits.console', self.tests[:1])
        self.record(d, 'phys52-4lvl')
        res = self.row('x86/private_mem_shared_bit_test')
        self.assertEqual(res[2], 'fail')
        self.assertIn('did the guest get the shape', res[3])

    def test_an_expected_skip_is_required_of_the_named_invocation_only(self):
        name = 'x86/private_mem_shared_bit_test -b 38'
        text = results.read(test_data_path('phys52-all-bits.console'))
        text = text.replace('@KTAP@\n', results.read(test_data_path('kunit_ok.ktap')))
        d = self.dirs.from_text('r', text.replace(self.tests[0], name), [name])
        self.record(d, 'phys52-4lvl')
        self.assertEqual(self.row(name)[2], 'pass', self.row(name))

    def test_whole_series_test_skip_fails_on_npt1(self):
        d = self.dirs.from_console('r', 'series-skip.console', [
            'x86/private_mem_nested_test', 'x86/private_mem_conversions_test'])
        self.record(d, 'phys52-5lvl')
        self.assertEqual(self.row('x86/private_mem_nested_test')[2], 'fail')
        self.assertIn('KVM_X86_SW_PROTECTED_VM', self.row('x86/private_mem_nested_test')[3])
        # Not a series test: a skip stays a skip.
        self.assertEqual(self.row('x86/private_mem_conversions_test')[2], 'skip')

    def test_without_a_shape_a_skip_is_a_skip(self):
        d = self.dirs.from_console('r', 'series-skip.console', ['x86/private_mem_nested_test'])
        self.record(d, None)
        self.assertEqual(self.row('x86/private_mem_nested_test')[2], 'skip')

    def test_kunit_present_and_clean_passes(self):
        d = self.dirs.from_console('r', 'phys40.console', self.tests)
        self.record(d, 'phys40')
        self.assertEqual(self.row('KUnit')[2], 'pass')

    def test_skipped_kunit_case_fails_unless_listed(self):
        d = self.dirs.from_console('r', 'phys40.console', self.tests, ktap='kunit_skip.ktap')
        self.record(d, 'phys40')
        res = self.row('KUnit')
        self.assertEqual(res[2], 'fail')
        self.assertIn('test_tdx_bit_51 skipped', res[3])
        self.assertNotIn('test_optional', res[3])    # listed for every shape

    def test_missing_kunit_suite_fails(self):
        d = self.dirs.from_console('r', 'phys40.console', self.tests, ktap='kunit_other_suite.ktap')
        self.record(d, 'phys40')
        self.assertIn('kvm_x86_private_access did not run', self.row('KUnit')[3])

    def test_no_kunit_at_all_fails(self):
        d = self.dirs.from_console('r', 'phys40.console', self.tests, ktap=None)
        self.record(d, 'phys40')
        self.assertEqual(self.row('KUnit')[2], 'fail')


class ExpectTest(Base):
    def expect(self, d, row):
        stage, kernel, append, test, res, regex = results.table('expect', 6, CONFIG)[row]
        table = os.path.join(self.dirs.tmp, 'known-bad.tsv')
        with redirect_stdout(self.stdout):
            results.expect(self.out, stage, results.Run(d), kernel, test, res, regex, table)
        return self.rows()[-1], results.read(table).split('\t')

    def test_flip_test_fails_on_base(self):
        d = self.dirs.from_console('b', 'flip-base.console', ['x86/private_mem_attr_flip_test -d 10'])
        res, row = self.expect(d, 0)
        self.assertEqual(res[2], 'pass', res)
        self.assertEqual(row[4].strip(), 'caught')

    def test_known_bad_kernel_that_passes_is_not_caught(self):
        d = self.dirs.from_console('b', 'flip-patched.console', ['x86/private_mem_attr_flip_test -d 10'])
        res, row = self.expect(d, 0)
        self.assertEqual(res[2], 'fail')
        self.assertIn('known-bad kernel not caught', res[3])
        self.assertEqual(row[4].strip(), 'NOT CAUGHT')

    def test_npt0_skip_for_the_vm_type_is_the_pass(self):
        d = self.dirs.from_console('n', 'series-skip.console', ['x86/private_mem_nested_test'])
        res, _ = self.expect(d, 1)
        self.assertEqual(res[2], 'pass', res)

    def test_npt0_pass_is_a_failure(self):
        d = self.dirs.from_console('n', 'phys40.console', ['x86/private_mem_nested_test'])
        res, _ = self.expect(d, 1)
        self.assertEqual(res[2], 'fail')
        self.assertIn('expected skip, got pass', res[3])


class CountingTest(Base):
    """Each test is counted once: stage b's tests aren't counted again by
    the suite's comparison, whose failures amend stage b's line."""

    def compare(self, suite, counted):
        with redirect_stdout(self.stdout):
            results.compare(self.out, 'suite/npt1', self.base, suite, 'targeted/x', counted, CONFIG)

    def setUp(self):
        super().setUp()
        self.base = self.dirs.from_table('base', [
            ('kvm_page_table_test', 'pass'), ('guest_memfd_test', 'pass'),
            ('vm_types_test', 'pass'), ('hardware_disable_test', 'timeout')])
        self.suite = self.dirs.from_table('patched-suite', [
            ('kvm_page_table_test', 'pass'), ('hardware_disable_test', 'timeout')])

    def test_targeted_tests_are_not_counted_twice(self):
        t = self.dirs.from_table('targeted', [
            ('guest_memfd_test', 'pass'), ('vm_types_test', 'pass'),
            ('x86/private_mem_attr_flip_test', 'pass')])
        self.out.emit('targeted/x', 'guest_memfd_test', 'pass', '1s')
        self.out.emit('targeted/x', 'vm_types_test', 'pass', '1s')
        self.compare([self.suite], [t])
        names = [r[1] for r in self.rows()]
        for n in set(names):
            self.assertEqual(names.count(n), 1, n)
        self.assertEqual(self.row('hardware_disable_test')[2], 'skip')    # known on base

    def test_regression_of_a_targeted_test_amends_its_line(self):
        t = self.dirs.from_table('targeted', [('guest_memfd_test', 'skip'), ('vm_types_test', 'pass')])
        self.out.emit('targeted/x', 'guest_memfd_test', 'skip', 'skipped by the test')
        self.out.emit('targeted/x', 'vm_types_test', 'pass', '1s')
        self.compare([self.suite], [t])
        res = self.row('guest_memfd_test')
        self.assertEqual(res[0], 'targeted/x')
        self.assertEqual(res[2], 'fail')
        self.assertIn('passes on base, skipped on patched', res[3])

    def test_suite_regression_fails(self):
        suite = self.dirs.from_table('patched-suite2', [('kvm_page_table_test', 'fail')])
        self.compare([suite], [])
        self.assertEqual(self.row('kvm_page_table_test')[2], 'fail')


class GatherTest(Base):
    def test_a_retry_only_adds_retries(self):
        run = self.dirs.from_table('s', [('a', 'fail'), ('b', 'pass')])
        retry = self.dirs.from_table('s-again', [('a', 'pass'), ('c', 'pass')])
        write(os.path.join(retry, 'retry-of'), 's\n')
        patched, listed, retried = results.gather([run, retry])
        self.assertEqual(listed, ['a', 'b'])
        self.assertEqual(retried, {'a', 'c'})
        self.assertEqual(patched['a'][0], 'pass')

    def test_without_retry_of_a_run_is_a_run(self):
        run = self.dirs.from_table('s', [('a', 'fail')])
        other = self.dirs.from_table('s-retry', [('b', 'pass')])
        _, listed, retried = results.gather([run, other])
        self.assertEqual(listed, ['a', 'b'])
        self.assertEqual(retried, set())


class BaseNeededTest(Base):
    """The base runs only the tests whose verdict depends on it."""

    def test_only_what_did_not_pass_cleanly(self):
        suite = self.dirs.from_table('patched-suite', [
            ('kvm_page_table_test', 'pass'), ('hardware_disable_test', 'timeout'),
            ('x86/msrs_test', 'fail'), ('x86/kvm_clock_test', 'skip'),
            ('x86/only_on_patched_test', 'fail')])
        self.assertEqual(
            results.base_needed([suite], {'kvm_page_table_test', 'hardware_disable_test',
                                          'x86/msrs_test', 'x86/kvm_clock_test'}),
            ['hardware_disable_test', 'x86/msrs_test', 'x86/kvm_clock_test'])

    def test_a_pass_with_a_kernel_report_needs_the_base(self):
        suite = self.dirs.from_table('patched-suite', [('kvm_page_table_test', 'pass')],
                                     reports=['kvm_page_table_test'])
        self.assertEqual(results.base_needed([suite], {'kvm_page_table_test'}),
                         ['kvm_page_table_test'])

    def test_a_clean_pass_is_a_pass_without_the_base(self):
        suite = self.dirs.from_table('patched-suite', [('kvm_page_table_test', 'pass')])
        empty = self.dirs.from_table('base-empty', [])
        with redirect_stdout(self.stdout):
            results.compare(self.out, 'suite/npt1', empty, [suite], None, (), CONFIG)
        self.assertEqual(self.row('kvm_page_table_test')[2], 'pass')


class MttcgTest(Base):
    def test_counts_and_kinds(self):
        tests = ['x86/private_mem_stress_test -d 10', 'x86/private_mem_stress_test -b 47 -d 10']
        d = self.dirs.from_console('r', 'stress-fail.console', tests, out='stress_shutdown.out')
        n, p, f, u, kinds = results.mttcg_counts(results.Run(d))
        self.assertEqual((n, f), (2, 1))
        self.assertEqual(p + u, 1)
        self.assertEqual(list(kinds.items()),
                         [('x86/private_mem_stress_test.c:416: false Unexpected exit: SHUTDOWN', 1)])


class FreshResultsTest(Base):
    def test_an_earlier_run_is_never_read(self):
        d = self.dirs.from_table('targeted-old', [('vm_types_test', 'pass')])
        runs = os.path.join(self.dirs.tmp, 'runs')
        write(runs, 'targeted-new\n')
        os.environ['CHECK_RUNS'] = runs
        os.environ['BUILD'] = self.dirs.tmp
        with redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as e:
            results.Run(d)
        self.assertIn('earlier run', str(e.exception))
        write(runs, 'targeted-old\n', 'a')
        self.assertTrue(results.Run(d).exists)


class ConfigTest(unittest.TestCase):
    """The workbench's own config/ parses."""

    def test_project_config(self):
        shapes = results.shapes()
        self.assertTrue(shapes and shapes[0][1] == 'max,phys-bits=52', shapes)
        # The VMX stage's runs (wb/stages.py's Check.vmx) are shapes of their own.
        names = {s[0] for s in shapes} | {'bochs-ept', 'bochs-eptad0'}
        for row in results.table('expected-skips', 4):
            self.assertTrue(row[0] == '*' or row[0] in names, row)
        for row in results.table('expect', 6):
            self.assertIn(row[0], ('known-bad', 'targeted', 'vmx'))
            self.assertIn(row[1], ('base', 'patched', 'fix'))
            self.assertIn(row[4], ('pass', 'skip', 'fail'))


if __name__ == '__main__':
    unittest.main(verbosity=1)
