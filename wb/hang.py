#!/usr/bin/env python3
"""Where a hung QEMU guest's vCPUs are: run-guest.sh asks QEMU's monitor
before it stops a guest whose console went silent, and adds the answer to
the console log, so that a hang that no test output explains still says
something (the guest kernel may have no hung-task or lockup detector).

For each vCPU: its RIP and privilege level, whether it is halted, and, on
a kernel stack, the kernel (init) text addresses found there (the RIP's
and each one's symbol from System.map): a guess of the call chain, like
the kernel's "guess" unwinder, so stale entries are possible.

    hang.py SOCKET [SYSTEM_MAP]     lines "# hang: ..." on stdout
"""
import bisect
import re
import socket
import sys

PROMPT = b'(qemu) '
ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
STACK_QWORDS = 256
STACK_SYMBOLS = 16
KERNEL_HALF = 0xffff800000000000


class Monitor:
    """QEMU's human monitor on a UNIX socket."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(path)
            self.read()
        except OSError:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def read(self):
        buf = b''
        while not buf.endswith(PROMPT):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            buf += chunk
        return ANSI.sub('', buf.decode('utf-8', 'replace')).replace('\r', '')

    def cmd(self, line):
        self.sock.sendall(line.encode() + b'\n')
        text = self.read()
        # The monitor echoes the command line first.
        lines = text.split('\n')
        if lines and lines[0].strip().endswith(line):
            lines = lines[1:]
        return '\n'.join(l for l in lines if not l.startswith('(qemu)'))


class Symbols:
    """System.map's text symbols (the kernel's text and init text)."""
    BOUNDS = {'_stext': 'text', '_etext': 'text', '_sinittext': 'init', '_einittext': 'init'}

    def __init__(self, path):
        self.addrs, self.names = [], []
        self.ranges = []
        if not path:
            return
        entries, marks = [], {}
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3 or parts[1] not in 'tTwW':
                    continue
                entries.append((int(parts[0], 16), parts[2]))
                if parts[2] in self.BOUNDS:
                    marks[parts[2]] = int(parts[0], 16)
        for lo, hi in (('_stext', '_etext'), ('_sinittext', '_einittext')):
            if lo in marks and hi in marks:
                self.ranges.append((marks[lo], marks[hi]))
        entries.sort()
        self.addrs = [a for a, _ in entries]
        self.names = [n for _, n in entries]

    def in_text(self, addr):
        return any(lo <= addr < hi for lo, hi in self.ranges)

    def name(self, addr):
        if not self.in_text(addr):
            return ''
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return ''
        return '%s+0x%x' % (self.names[i], addr - self.addrs[i])


def vcpus(text):
    """`info registers -a` output -> [{cpu, rip, rsp, cpl, hlt}]."""
    out = []
    for block in re.split(r'\n(?=CPU#\d+)', '\n' + text):
        m = re.match(r'\s*CPU#(\d+)', block)
        if not m:
            continue
        regs = dict(re.findall(r'\b(RIP|RSP|EIP|ESP|CPL|HLT)=\s*([0-9a-fA-F]+)', block))
        # (A vCPU not in 64-bit mode shows EIP and ESP.)
        rip, rsp = regs.get('RIP', regs.get('EIP')), regs.get('RSP', regs.get('ESP', '0'))
        if rip is None:
            continue
        out.append({'cpu': int(m.group(1)), 'rip': int(rip, 16), 'rsp': int(rsp, 16),
                    'cpl': int(regs.get('CPL', '0')), 'hlt': regs.get('HLT') == '1'})
    return out


def qwords(text):
    """`x/Ngx` output -> the values, in order."""
    vals = []
    for line in text.split('\n'):
        if ':' in line:
            vals += [int(v, 16) for v in re.findall(r'0x([0-9a-fA-F]+)', line.split(':', 1)[1])]
    return vals


def report(mon, syms, lines):
    """Append the report's lines to LINES (so that a monitor failing
    midway keeps those already made)."""
    for v in vcpus(mon.cmd('info registers -a')):
        where = syms.name(v['rip'])
        lines.append('# hang: vCPU %d: RIP %016x%s, CPL %d%s' % (
            v['cpu'], v['rip'], ' (%s)' % where if where else '', v['cpl'],
            ', halted' if v['hlt'] else ''))
        # A kernel stack (the RIP may be outside the kernel's text: in a
        # module, or a nested guest's code run by this vCPU in kernel mode).
        if v['cpl'] != 0 or v['rsp'] < KERNEL_HALF or not syms.ranges:
            continue
        mon.cmd('cpu %d' % v['cpu'])
        seen = [syms.name(a) for a in qwords(mon.cmd('x/%dgx 0x%x' % (STACK_QWORDS, v['rsp'])))
                if syms.in_text(a)]
        if seen:
            lines.append('# hang: vCPU %d: stack: %s' % (v['cpu'], ' '.join(seen[:STACK_SYMBOLS])))


def main(argv):
    if len(argv) not in (1, 2):
        print(__doc__.strip().split('\n')[-1].strip(), file=sys.stderr)
        return 2
    lines = []
    try:
        syms = Symbols(argv[1] if len(argv) > 1 else None)
        mon = Monitor(argv[0])
        try:
            report(mon, syms, lines)
        finally:
            mon.close()
    except (OSError, ValueError) as e:
        lines.append('# hang: no (more) vCPU state from QEMU\'s monitor: %s' % e)
        print('\n'.join(lines))
        return 1
    print('\n'.join(lines) if lines else '# hang: QEMU\'s monitor listed no vCPU')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
