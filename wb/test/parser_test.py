#!/usr/bin/env python3
"""Unit tests of wb/parser.py: canned guest consoles (wb/test/test_data/,
shared with results_test.py) in, run.json's content out."""
import os
import re
import tempfile
import unittest

from wb import parser

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(TOP, 'wb', 'test', 'test_data')


def data(name):
    with open(os.path.join(DATA, name)) as f:
        return f.read()


def console(name, ktap='kunit_ok.ktap', out=None):
    text = data(name).replace('@KTAP@\n', data(ktap) if ktap else '')
    return text.replace('@OUT@\n', data(out) if out else '')


GUEST = '''WB-GUEST-START 7.3.4+
# address sizes	: 40 bits physical, 48 bits virtual
WB-DMESG-BEGIN 0
[    1.0] KTAP version 1
[    1.0] 1..0
WB-DMESG-END 0
TAP version 13
1..3
WB-TEST-START 1 a_test -x 1
# out of a
# exit=0 time=1.50s
WB-DMESG-BEGIN 1
[    2.0] WARNING: arch/x86/kvm/mmu/mmu.c:1 at f+0x1/0x2
WB-DMESG-END 1
ok 1 a_test -x 1
WB-TEST-START 2 b_test
# exit=4 time=0.10s
WB-DMESG-BEGIN 2
WB-DMESG-END 2
ok 2 b_test # SKIP
WB-TEST-START 3 c_test
# exit=137 time=30.00s
WB-DMESG-BEGIN 3
WB-DMESG-END 3
not ok 3 c_test # TIMEOUT 30s
WB-DMESG-BEGIN end
WB-DMESG-END end
WB-GUEST-DONE
'''


class ParserTest(unittest.TestCase):
    def test_tests_and_their_output(self):
        run, tap, _ = parser.parse(GUEST)
        self.assertEqual(run['kernel'], '7.3.4+')
        self.assertEqual(run['cpu'], 'address sizes\t: 40 bits physical, 48 bits virtual')
        self.assertTrue(run['done'])
        self.assertIsNone(run['stopped'])
        self.assertEqual([(t['n'], t['name'], t['result'], t['secs'], t['report'])
                          for t in run['tests']],
                         [(1, 'a_test -x 1', 'pass', '1.50', True),
                          (2, 'b_test', 'skip', '0.10', False),
                          (3, 'c_test', 'timeout', '30.00', False)])
        self.assertIn('# out of a', run['tests'][0]['output'])
        self.assertNotIn('# out of a', run['tests'][1]['output'])
        self.assertIn('not ok 3 c_test # TIMEOUT 30s', tap)

    def test_reports_belong_to_their_test(self):
        run, _, _ = parser.parse(GUEST)
        self.assertEqual(run['reports'], [{'block': '1', 'who': 'a_test -x 1',
                                           'line': '[    2.0] WARNING: arch/x86/kvm/mmu/mmu.c:1 at f+0x1/0x2'}])
        self.assertFalse(parser.ok(run))

    def test_no_kunit_suites(self):
        run, _, _ = parser.parse(GUEST)
        self.assertEqual(run['ktap'], [])
        self.assertEqual(run['kunit'], {'suites': {}, 'cases': {}, 'skipped': []})

    def test_kunit_suites_and_skips(self):
        kunit = parser.parse_ktap(data('kunit_skip.ktap').splitlines())
        self.assertEqual(kunit['suites'], {'kvm_x86_private_access': 'ok'})
        self.assertEqual(kunit['skipped'], [
            ['kvm_x86_private_access', 'test_tdx_bit_51', '5-level paging is off'],
            ['kvm_x86_private_access', 'test_optional', 'not on this host']])
        self.assertEqual(kunit['cases']['kvm_x86_private_access.test_tdx_bit_51'], 'skip')

    def test_kunit_at_boot(self):
        run, _, _ = parser.parse(console('series-skip.console'))
        self.assertTrue(run['ktap'])
        self.assertEqual(run['kunit']['suites'], {'kvm_x86_private_access': 'ok'})

    def test_hung_guest(self):
        run, _, _ = parser.parse(console('stress-hung.console', out='stress_shutdown.out'))
        self.assertFalse(run['done'])
        self.assertTrue(run['hung'])
        self.assertTrue(run['stopped'].startswith('QEMU killed: no console output'))
        self.assertFalse(parser.ok(run))

    def test_hung_in_a_kernel_log_block(self):
        # Stopped while guest-init.sh dumped the kernel log after a test.
        text = GUEST.split('WB-DMESG-END 1')[0] + '# QEMU killed: no console output for 5m00s\n'
        run, _, _ = parser.parse(text)
        self.assertTrue(run['hung'])
        self.assertFalse(run['done'])

    def test_output_of_an_unfinished_test(self):
        text = GUEST.split('# exit=137')[0] + '# flips: 12\n'
        run, _, _ = parser.parse(text)
        self.assertEqual([t['name'] for t in run['tests']], ['a_test -x 1', 'b_test'])
        self.assertEqual(run['unfinished'], ['# flips: 12'])

    def test_kernel_panic(self):
        text = GUEST.split('WB-TEST-START 3')[0] + '[    9.0] Kernel panic - not syncing: Fatal exception\n'
        run, _, _ = parser.parse(text)
        self.assertFalse(run['done'])
        self.assertEqual(run['stopped'], 'Kernel panic - not syncing: Fatal exception')

    def test_known_reports_are_left_out(self):
        known = parser.known_patterns(os.path.join(TOP, 'config', 'bochs-known-reports'))
        text = console('boot-report.console', ktap=None).replace(
            'BUG: KASAN: wild-memory-access in do_raw_spin_lock+0x130/0x1de',
            'WARNING: arch/x86/kernel/cpu/topology_common.c:95 at parse_legacy+0x52/0x85')
        text = text.replace('[   11.424380]  </TASK>\n',
                            '[   11.424380]  </TASK>\n[   11.424390] ---[ end trace 0 ]---\n'
                            '[   12.000000] WARNING: something else\n')
        run, _, _ = parser.parse(text, known)
        self.assertTrue(any('parse_legacy' in line for line in run['known_reports']))
        lines = [r['line'] for r in run['reports']]
        self.assertFalse([line for line in lines if 'parse_legacy' in line or 'Call Trace' in line])
        self.assertIn('[   12.000000] WARNING: something else', lines)

    def test_an_oom_kill_is_not_a_report(self):
        text = GUEST.replace('[    2.0] WARNING: arch/x86/kvm/mmu/mmu.c:1 at f+0x1/0x2',
                             '[    2.0] a_test invoked oom-killer: gfp_mask=0x0\n[    2.1] Call Trace:')
        run, _, _ = parser.parse(text)
        self.assertEqual(run['reports'], [])

    def test_write_load_and_done(self):
        run, tap, dmesg = parser.parse(GUEST)
        with tempfile.TemporaryDirectory() as d:
            parser.write(d, run, tap, dmesg, False)
            self.assertEqual(parser.load(d), run)
            self.assertEqual(parser.main(['wb.parser', 'done', d]), 0)
            self.assertTrue(os.path.exists(os.path.join(d, 'tap.txt')))
            run['done'] = False
            parser.write(d, run, tap, dmesg, False)
            self.assertEqual(parser.main(['wb.parser', 'done', d]), 1)
        self.assertIsNone(parser.load('/nonexistent'))

    def test_summary(self):
        run, _, _ = parser.parse(GUEST)
        lines = parser.summary(run, 'OUT', 'CONSOLE')
        self.assertEqual(lines[0], 'ok 1 a_test -x 1  (1.50s)')
        self.assertEqual(lines[2], 'not ok 3 c_test # TIMEOUT  (30.00s)')
        self.assertTrue(re.match(r'# 3 tests: 1 passed, 1 failed, 1 skipped, 1 kernel log reports$',
                                 lines[-1]), lines[-1])


if __name__ == '__main__':
    unittest.main()
