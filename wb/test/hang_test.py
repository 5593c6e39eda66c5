#!/usr/bin/env python3
"""Unit tests of wb/hang.py: a hung guest's vCPUs from QEMU's monitor (a
fake monitor here), with their symbols and stack guesses."""
import io
import os
import socket
import tempfile
import threading
import unittest
from contextlib import redirect_stdout

from wb import hang

SYSTEM_MAP = """\
ffffffff81000000 T _stext
ffffffff81000000 T _text
ffffffff81001000 T default_idle
ffffffff81001100 t do_idle
ffffffff81002000 T kvm_mmu_page_fault
ffffffff81004000 T _etext
ffffffff83000000 T _sinittext
ffffffff83000100 T kvm_x86_init
ffffffff83001000 T _einittext
ffffffff82000000 D jiffies
"""

REGISTERS = """\
CPU#0
RAX=0000000000000000 RBX=0000000000000001 RCX=0000000000000000 RDX=0000000000000000
RSI=0000000000000000 RDI=0000000000000000 RBP=0000000000000000 RSP=ffffc90000003e00
RIP=ffffffff81001010 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1
CPU#1
RAX=0000000000000000 RBX=0000000000000001 RCX=0000000000000000 RDX=0000000000000000
RSI=0000000000000000 RDI=0000000000000000 RBP=0000000000000000 RSP=ffffc90000013e00
RIP=ffffffff81002040 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
CPU#2
RSI=0000000000000000 RDI=0000000000000000 RBP=0000000000000000 RSP=00007ffc00000000
RIP=0000000000401000 RFL=00000246 [---Z-P-] CPL=3 II=0 A20=1 SMM=0 HLT=0
"""

STACK = """\
ffffc90000013e00: 0xffffffff81002010 0x0000000000000000
ffffc90000013e10: 0xffffffff82000000 0xffffffff81001104
"""


class FakeMonitor(threading.Thread):
    """A monitor that answers `info registers -a`, `cpu N` and `x/...`,
    with the prompt and the echo of the command, as QEMU's does."""

    def __init__(self, path, registers=REGISTERS, hangup_after=None):
        super().__init__(daemon=True)
        self.registers, self.hangup_after = registers, hangup_after
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.commands = []

    def run(self):
        conn, _ = self.srv.accept()
        conn.sendall(b'QEMU 7.2 monitor - type \'help\' for more information\r\n(qemu) ')
        buf = b''
        while True:
            data = conn.recv(4096)
            if not data:
                break
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                cmd = line.decode()
                self.commands.append(cmd)
                if cmd == self.hangup_after:
                    conn.close()
                    self.srv.close()
                    return
                if cmd == 'info registers -a':
                    out = self.registers
                elif cmd.startswith('x/'):
                    out = STACK
                else:
                    out = ''
                conn.sendall(('\x1b[K' + cmd + '\r\n' + out.replace('\n', '\r\n')).encode() + b'(qemu) ')
        conn.close()
        self.srv.close()


class HangTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.map = os.path.join(self.tmp.name, 'System.map')
        with open(self.map, 'w') as f:
            f.write(SYSTEM_MAP)

    def tearDown(self):
        self.tmp.cleanup()

    def test_symbols(self):
        syms = hang.Symbols(self.map)
        self.assertEqual(syms.name(0xffffffff81001010), 'default_idle+0x10')
        self.assertEqual(syms.name(0xffffffff81002000), 'kvm_mmu_page_fault+0x0')
        # Data and addresses outside the kernel's text have no symbol.
        self.assertEqual(syms.name(0xffffffff81004000), '')
        self.assertEqual(syms.name(0x401000), '')
        self.assertEqual(hang.Symbols(None).name(0xffffffff81001010), '')

    def test_vcpus(self):
        v = hang.vcpus(REGISTERS)
        self.assertEqual([x['cpu'] for x in v], [0, 1, 2])
        self.assertEqual(v[0]['rip'], 0xffffffff81001010)
        self.assertTrue(v[0]['hlt'])
        self.assertFalse(v[1]['hlt'])
        self.assertEqual(v[2]['cpl'], 3)
        self.assertEqual(hang.vcpus('no registers here'), [])

    def test_qwords(self):
        self.assertEqual(hang.qwords(STACK), [0xffffffff81002010, 0, 0xffffffff82000000,
                                              0xffffffff81001104])

    def run_against(self, **fake_args):
        """hang.py's main against a fake monitor: (status, lines, fake)."""
        sock = os.path.join(self.tmp.name, 'mon')
        fake = FakeMonitor(sock, **fake_args)
        fake.start()
        out = io.StringIO()
        with redirect_stdout(out):
            rc = hang.main([sock, self.map])
        return rc, out.getvalue().splitlines(), fake

    def test_report_from_a_monitor(self):
        rc, lines, fake = self.run_against()
        self.assertEqual(rc, 0)
        self.assertEqual(lines, [
            '# hang: vCPU 0: RIP ffffffff81001010 (default_idle+0x10), CPL 0, halted',
            '# hang: vCPU 0: stack: kvm_mmu_page_fault+0x10 do_idle+0x4',
            '# hang: vCPU 1: RIP ffffffff81002040 (kvm_mmu_page_fault+0x40), CPL 0',
            '# hang: vCPU 1: stack: kvm_mmu_page_fault+0x10 do_idle+0x4',
            '# hang: vCPU 2: RIP 0000000000401000, CPL 3'])
        # Each kernel-mode vCPU's stack is read from its own RSP.
        self.assertIn('cpu 1', fake.commands)
        self.assertIn('x/%dgx 0xffffc90000013e00' % hang.STACK_QWORDS, fake.commands)

    def test_init_text_eip_and_modules(self):
        syms = hang.Symbols(self.map)
        self.assertEqual(syms.name(0xffffffff83000110), 'kvm_x86_init+0x10')
        regs = ('CPU#0\nEAX=00000000 ESP=00006f00\nEIP=0000fff0 EFL=00000002 CPL=0 HLT=0\n'
                'CPU#1\nRSP=ffffc90000013e00\nRIP=ffffffffa0001000 RFL=00000246 CPL=0 HLT=0\n')
        v = hang.vcpus(regs)
        self.assertEqual((v[0]['rip'], v[0]['rsp']), (0xfff0, 0x6f00))
        _, lines, _ = self.run_against(registers=regs)
        # vCPU 0 (real mode, a low stack) has no stack read; vCPU 1, in a
        # module's code on a kernel stack, has.
        self.assertEqual(lines, [
            '# hang: vCPU 0: RIP 000000000000fff0, CPL 0',
            '# hang: vCPU 1: RIP ffffffffa0001000, CPL 0',
            '# hang: vCPU 1: stack: kvm_mmu_page_fault+0x10 do_idle+0x4'])

    def test_monitor_gone_midway(self):
        rc, lines, _ = self.run_against(hangup_after='cpu 0')
        self.assertEqual(rc, 1)
        # What was read before is kept.
        self.assertEqual(lines[0], '# hang: vCPU 0: RIP ffffffff81001010 (default_idle+0x10), CPL 0, halted')
        self.assertIn('no (more) vCPU state', lines[-1])

    def test_no_monitor(self):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = hang.main([os.path.join(self.tmp.name, 'none'), self.map])
        self.assertEqual(rc, 1)
        self.assertIn('no (more) vCPU state from QEMU', out.getvalue())


if __name__ == '__main__':
    unittest.main()
