#!/usr/bin/env python3
"""Unit tests of wb/bench.py: the benchmark's figures from its output, the
statistics over boots, and the targets of issue 5 as a decision table."""
import unittest

from wb import bench

OUTPUT = ['# Random seed: 0x1', '# figure=default_4k pages=2048 per_fault=5646.25',
          '# figure=sw_sbit_alias skipped', 'figure=sw_private per_fault=9474.9',
          '# # not a figure=x per_fault=1']


def st_of(base, patched, callback):
    """stats() of one boot per kernel: {figure: per_fault}."""
    runs = {'base': [base], 'patched': [patched], 'callback': [callback]}
    order = list(dict.fromkeys(list(base) + list(patched) + list(callback)))
    return bench.stats(runs, order), order


SPREAD0 = {k: {} for k in bench.KERNELS}
BASE = {'default_4k': 1000.0, 'sw_private': 1000.0, 'sw_shared': 1000.0}


class BenchTest(unittest.TestCase):
    def test_figures_of(self):
        self.assertEqual(bench.figures_of(OUTPUT), {
            'default_4k': 5646.25, 'sw_sbit_alias': None, 'sw_private': 9474.9})

    def test_stats(self):
        runs = {'base': [{'a': 100.0}, {'a': 102.0}], 'patched': [{'a': 50.0}, {}],
                'callback': [{'a': None}, {'a': None}]}
        st = bench.stats(runs, ['a'])
        self.assertEqual(st['base']['a'], (101.0, 0.02))
        # A figure a boot lacks, or skipped, has no mean.
        self.assertEqual(st['patched']['a'], (None, None))
        self.assertEqual(st['callback']['a'], (None, None))

    def test_targets_table(self):
        # (patched, callback, spread of default_4k) -> the five verdicts:
        # default_4k, sw_private <= 0.975, sw_shared <= 0.985, callback/patched
        # >= 1 for sw_private and sw_shared.
        ok = {'default_4k': 1000.0, 'sw_private': 975.0, 'sw_shared': 985.0}
        cb = {'default_4k': 1001.0, 'sw_private': 975.0, 'sw_shared': 986.0}
        table = [
            (ok, cb, 0.0, [True, True, True, True, True]),
            (dict(ok, default_4k=1001.0), cb, 0.0, [False, True, True, True, True]),
            (dict(ok, default_4k=1001.0), cb, 0.002, [True, True, True, True, True]),
            (dict(ok, sw_private=975.1), cb, 0.0, [True, False, True, False, True]),
            (dict(ok, sw_shared=985.1), cb, 0.0, [True, True, False, True, True]),
            (ok, dict(cb, sw_private=974.9), 0.0, [True, True, True, False, True]),
            (ok, dict(cb, sw_shared=984.0), 0.0, [True, True, True, True, False]),
        ]
        for patched, callback, s, want in table:
            with self.subTest(patched=patched, callback=callback, spread=s):
                st, order = st_of(BASE, patched, callback)
                spread = {'base': {'default_4k': s}, 'patched': {}, 'callback': {}}
                res, _ = bench.targets(st, spread, order)
                self.assertEqual([r[0] for r in res], want, [r[1] for r in res])

    def test_missing_figure_fails_its_target(self):
        st, order = st_of(BASE, {'default_4k': 900.0}, {'default_4k': 901.0})
        res, others = bench.targets(st, SPREAD0, order)
        self.assertEqual([r[0] for r in res], [True, False, False, False, False])
        self.assertIn('missing', res[1][1])
        self.assertTrue(others.startswith('- callback/patched, other figures'))
        self.assertIn('default_4k 1.0011 (+1.0)', others)


if __name__ == '__main__':
    unittest.main()
