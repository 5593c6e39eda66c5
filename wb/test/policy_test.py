#!/usr/bin/env python3
"""Unit tests of wb/policy.py's pure rules, as decision tables: the verdict
of a suite test (base against patched), and which skip config/expected-skips
covers.  (The retry and report rules on canned output: results_test.py.)"""
import unittest

from wb import policy

T = 'x86/some_test'
ENV = {T: 'needs a second NUMA node'}

# (base, patched, retried, env-skips) -> (result, note starts with, tail shown)
# base/patched: (RESULT, SECONDS, REPORT) as Run.tests holds them; None:
# absent (not in the base's build, or not run).
VERDICTS = [
    (('pass', '1', 0), ('pass', '2', 0), False, {}, ('pass', '2s', False)),
    (None, ('pass', '2', 0), False, {}, ('pass', '2s', False)),
    (('fail', '1', 0), ('pass', '2', 0), False, {}, ('pass', '2s', False)),
    (('pass', '1', 0), ('pass', '2', 0), True, {}, ('pass', '2s, flaky', False)),
    (('pass', '1', 0), None, False, {}, ('fail', 'not run on patched', False)),
    (('pass', '1', 0), ('pass', '2', 1), False, {}, ('fail', 'kernel log report on patched only', False)),
    (('pass', '1', 1), ('pass', '2', 1), False, {}, ('pass', '2s', False)),
    (None, ('pass', '2', 1), False, {}, ('fail', 'kernel log report on patched only', False)),
    (('pass', '1', 0), ('skip', '2', 0), False, {}, ('fail', 'passes on base, skipped on patched', True)),
    (('pass', '1', 0), ('skip', '2', 0), False, ENV, ('skip', 'passes on base, skipped on patched: needs', False)),
    (('skip', '1', 0), ('skip', '2', 0), False, {}, ('skip', 'skipped by the test', False)),
    (None, ('skip', '2', 0), False, {}, ('skip', 'skipped by the test', False)),
    (('fail', '1', 0), ('fail', '2', 0), False, {}, ('skip', 'known on base (fail on base, fail on patched)', False)),
    (('timeout', '1', 0), ('fail', '2', 0), False, {}, ('skip', 'known on base (timeout on base', False)),
    (('fail', '1', 0), ('timeout', '2', 0), False, {}, ('skip', 'known on base (fail on base, timeout', False)),
    (('pass', '1', 0), ('fail', '2', 0), False, {}, ('fail', 'fail on patched, pass on base', True)),
    (('pass', '1', 0), ('timeout', '2', 0), False, {}, ('fail', 'timeout on patched, pass on base', True)),
    (('skip', '1', 0), ('fail', '2', 0), False, {}, ('fail', 'fail on patched, skip on base', True)),
    (None, ('fail', '2', 0), False, {}, ('fail', 'fail on patched, absent on base', True)),
]

# Rows of config/expected-skips: (SHAPE, TEST, SKIP MESSAGE PREFIX, WHY).
EXPECTED = [('phys40', 'x86/private_mem_shared_bit_test', 'bit 47', 'no bit 47'),
            ('phys40', 'x86/private_mem_nested_test -n 2', 'nested', 'no NPT'),
            ('*', 'kunit:kvm_x86_private_access', 'test_tdx', 'no TDX')]
# (test invocation, skip message) -> the row that covers it, or None
SKIPS = [
    ('x86/private_mem_shared_bit_test', 'bit 47 is not a GPA bit', 0),
    ('x86/private_mem_shared_bit_test -b 39', 'bit 47 is not a GPA bit', 0),
    ('x86/private_mem_shared_bit_test', 'bit 51 is not a GPA bit', None),
    ('x86/private_mem_shared_bit_test', 'not bit 47 but 51', None),
    ('x86/private_mem_nested_test -n 2', 'nested paging off', 1),
    ('x86/private_mem_nested_test', 'nested paging off', None),
    ('x86/private_mem_nested_test -n 3', 'nested paging off', None),
    ('kunit:kvm_x86_private_access', 'test_tdx_alias', 2),
    ('kunit:kvm_x86_private_access', 'test_snp', None),
]


class PolicyTest(unittest.TestCase):
    def test_verdict_table(self):
        for base, patched, retried, env, (res, note, tail) in VERDICTS:
            with self.subTest(base=base, patched=patched, retried=retried, env=bool(env)):
                got = policy.verdict(T, base, patched, {T} if retried else set(), env)
                self.assertEqual(got[0], res)
                self.assertTrue(got[1].startswith(note), got[1])
                self.assertEqual(got[2], tail)

    def test_find_skip_table(self):
        for test, msg, row in SKIPS:
            with self.subTest(test=test, msg=msg):
                self.assertIs(policy.find_skip(EXPECTED, test, msg),
                              None if row is None else EXPECTED[row])

    def test_matches(self):
        # A row without arguments covers every invocation; one with
        # arguments, that invocation only.
        self.assertTrue(policy.test_matches('a', 'a -x 1'))
        self.assertTrue(policy.test_matches('a -x 1', 'a -x 1'))
        self.assertFalse(policy.test_matches('a -x 1', 'a'))
        self.assertFalse(policy.test_matches('a', 'ab'))

    def test_skip_messages(self):
        lines = ['ok 1 first # SKIP no bit 47', 'ok 2 second', 'ok 3 # SKIP  x  ',
                 'not ok 4 fourth # SKIP not a skip']
        self.assertEqual(policy.sub_skips(lines), ['no bit 47', 'x'])
        self.assertEqual(policy.skip_message(['1..0 # SKIP no SVM']), 'no SVM')
        self.assertEqual(policy.skip_message(lines), 'x')


if __name__ == '__main__':
    unittest.main()
