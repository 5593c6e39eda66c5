#!/usr/bin/env python3
"""Unit tests of wb/machines.py: the guests' machines as data, a run's
overrides, the QEMU command and bochsrc made from them, and the cache key."""
import io
import os
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

from wb import machines


class MachinesTest(unittest.TestCase):
    def test_every_machine_resolves(self):
        for name in machines.MACHINES:
            m = machines.resolve(name)
            self.assertEqual(m['name'], name)
            self.assertIn(m['emulator'], ('qemu', 'bochs'))
            self.assertGreaterEqual(m['slow'], 1)
            self.assertTrue(m['cmdline'].startswith('console=ttyS0'))

    def test_overrides(self):
        m = machines.resolve('tcg', cpu='max,phys-bits=40', smp='1', mem='2G')
        self.assertEqual((m['cpu'], m['smp'], m['mem']), ('max,phys-bits=40', 1, '2G'))
        # The table itself is not changed.
        self.assertEqual(machines.resolve('tcg')['cpu'], 'max,phys-bits=52')

    def test_bad_overrides(self):
        for kw in ({'cpu': 'max'}, {'smp': '2'}):
            with self.assertRaises(machines.Error):
                machines.resolve('bochs', **kw)
        for kw in ({'smp': '0'}, {'smp': 'two'}, {'mem': '4X'}, {'cpu': ''}):
            with self.assertRaises(machines.Error):
                machines.resolve('tcg', **kw)
        with self.assertRaises(machines.Error):
            machines.resolve('kvm')

    def test_bochs_memory_is_capped(self):
        self.assertEqual(machines.resolve('bochs', mem='4G')['mem'], '2048M')
        self.assertEqual(machines.resolve('bochs', mem='1024M')['mem'], '1024M')

    def test_megs(self):
        self.assertEqual([machines.megs(x) for x in ('4G', '2048M', '512')], [4096, 2048, 512])

    def test_qemu_argv(self):
        argv = machines.qemu_argv(machines.resolve('icount'), 'K', 'I', 'norandmaps')
        self.assertEqual(argv[0], 'qemu-system-x86_64')
        self.assertIn('-icount', argv)
        self.assertEqual(argv[argv.index('-smp') + 1], '1')
        self.assertEqual(argv[-1], 'console=ttyS0 panic=-1 quiet norandmaps')
        argv = machines.qemu_argv(machines.resolve('tcg-single', cpu='max,phys-bits=48'), 'K', 'I', '')
        self.assertEqual(argv[argv.index('-accel') + 1], 'tcg,thread=single')
        self.assertEqual(argv[argv.index('-cpu') + 1], 'max,phys-bits=48')
        self.assertEqual(argv[-1], machines.CHECK_CMDLINE)
        with self.assertRaises(machines.Error):
            machines.qemu_argv(machines.resolve('bochs'), 'K', 'I', '')

    def test_bochs_cmdline(self):
        # Bochs' TSC runs at ips: the kernel is told so.
        m = machines.resolve('bochs')
        self.assertIn('tsc_early_khz=%d' % (m['ips'] // 1000), m['cmdline'])
        self.assertIn('console=ttyS0,115200', m['cmdline'])
        self.assertEqual(m['cmdline'].count('console='), 1)

    def test_bochsrc_template(self):
        """The real config/bochsrc: every field filled in, no comment left."""
        m = machines.resolve('bochs')
        text = machines.bochsrc(m, '/x/boot.iso', 4321, '/x/bochs.log')
        self.assertNotIn('@', text)
        self.assertNotIn('#', text)
        self.assertIn('megs: 2048\n', text)
        self.assertIn('cpu: model=%s, count=1, ips=%d\n' % (m['cpu'], m['ips']), text)
        self.assertIn('dev=127.0.0.1:4321', text)
        self.assertIn('display_library: rfb, options="timeout=0"\n', text)
        # The Bochs the workbench builds has "nogui" (and APICv stays off).
        fixed = machines.resolve('bochs-fixed')
        self.assertIn('display_library: nogui\n', machines.bochsrc(fixed, 'I', 1, 'L'))
        self.assertTrue(fixed['binary'].endswith('.sh'))
        self.assertIn('kvm_intel.enable_apicv=0', fixed['cmdline'])
        # Debian's Bochs has the UHCI controller that vfio-pci takes; the
        # one the workbench builds has no USB, and must get no usb_ line.
        self.assertIn('\nusb_uhci: enabled=1\n', text)
        self.assertIn('vfio_pci.ids=' + machines.BOCHS_VFIO_PCI, m['cmdline'])
        self.assertNotIn('usb', machines.bochsrc(fixed, 'I', 1, 'L'))
        with self.assertRaises(machines.Error):
            machines.bochsrc(machines.resolve('tcg'), 'I', 1, 'L')

    def test_bochsrc_paths_with_at_signs(self):
        text = machines.bochsrc(machines.resolve('bochs'), '/ws@2/boot.iso', 1, '/ws@2/log')
        self.assertIn('path=/ws@2/boot.iso', text)

    def test_first_shape_is_the_default_cpu(self):
        """config/shapes' first row is every other guest's machine (the
        suite's tests are counted on it): the tcg machine's CPU."""
        from wb import config
        first = config.entries('shapes')[0].split()
        self.assertEqual(first[1], machines.resolve('tcg')['cpu'])
        self.assertEqual(first[2], '-')

    def test_bochsrc_unknown_field(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'bochsrc'), 'w') as f:
                f.write('megs: @MEGS@\ncpu: @CPUS@\n')
            with self.assertRaises(machines.Error):
                machines.bochsrc(machines.resolve('bochs'), 'I', 1, 'L', config=d)

    def test_key(self):
        """Any setting of a machine, or its bochsrc template, changes its key."""
        base = machines.resolve('tcg')
        k = machines.key(base)
        self.assertEqual(k, machines.key(machines.resolve('tcg')))
        for field, value in (('cpu', 'max,phys-bits=40'), ('smp', 1), ('mem', '2G'),
                             ('accel', 'tcg'), ('cmdline', 'console=ttyS0'),
                             ('qemu_args', ['-icount', 'shift=0'])):
            self.assertNotEqual(machines.key(dict(base, **{field: value})), k, field)
        self.assertNotEqual(machines.key(machines.resolve('tcg-single')), k)
        b, keys = machines.resolve('bochs'), set()
        with tempfile.TemporaryDirectory() as d:
            for text in ('megs: @MEGS@\n', 'megs: @MEGS@\nclock: sync=realtime\n'):
                with open(os.path.join(d, 'bochsrc'), 'w') as f:
                    f.write(text)
                keys.add(machines.key(b, config=d))
        self.assertEqual(len(keys), 2)

    def test_main(self):
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(machines.main(['get', 'tcg', 'smp', '-s', '3']), 0)
        self.assertEqual(out.getvalue(), '3\n')
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(machines.main(['qemu-argv', 'tcg', 'K', 'I', 'x y']), 0)
        self.assertEqual(out.getvalue().split('\0')[-2], machines.CHECK_CMDLINE + ' x y')
        with redirect_stderr(io.StringIO()):
            self.assertEqual(machines.main(['get', 'bochs', 'cpu', '-c', 'max']), 1)
            self.assertEqual(machines.main(['get', 'tcg', 'nosuchfield']), 1)


if __name__ == '__main__':
    unittest.main()
