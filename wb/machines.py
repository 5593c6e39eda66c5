#!/usr/bin/env python3
"""The guests' machines: every emulator setting of the workbench, as data.

Every guest boots on one machine of MACHINES below (run-guest.sh -M NAME,
and make bench's boots).  A run may override what config/shapes and the
suites vary: the guest's CPU model (-c, QEMU only), its vCPUs (-s, QEMU
only) and its memory (-m).  Cache keys of cached runs (base-suite.sh) are
derived from the resolved machine, so that any setting change misses.

    machines.py names                      the machines, a line each
    machines.py get NAME FIELD [OVERRIDES] one field of the resolved machine
    machines.py qemu-argv NAME KERNEL INITRD APPEND [OVERRIDES]
                                           the QEMU command, NUL-separated
    machines.py bochsrc NAME ISO PORT LOG [OVERRIDES]
                                           the bochsrc (config/bochsrc filled in)
    machines.py key NAME [OVERRIDES]       the machine's cache key
    machines.py json NAME [OVERRIDES] [--append A]
                                           the resolved machine (and a run's
                                           kernel arguments), as JSON

OVERRIDES: -c CPU, -s SMP, -m MEM (QEMU's syntax: 4G, 2048M).
"""
import argparse
import hashlib
import json
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(TOP, 'config')

# The kernel command line every make check guest starts with.
# no_timer_check: under a loaded TCG host the IO-APIC timer check can fail
# and panic the guest at boot ("IO-APIC + timer doesn't work!").
CHECK_CMDLINE = 'console=ttyS0 panic=-1 quiet log_buf_len=8M no_timer_check'
# Bochs' instructions a second: its guest clock (clock: sync=none) and TSC.
BOCHS_IPS = 200000000

# The PCI ID of config/bochsrc's UHCI controller (PIIX3's), which no driver
# of the guest's claims: vfio-pci takes it at boot, in VFIO's no-IOMMU
# mode, so that a VFIO group exists for tests of non-coherent DMA.
BOCHS_VFIO_PCI = '8086:7020'

BOCHS_CMDLINE = ('console=ttyS0,115200 noxsave tsc_early_khz=%d '
                 'vfio.enable_unsafe_noiommu_mode=1 vfio_pci.ids=%s %s' % (
                     BOCHS_IPS // 1000, BOCHS_VFIO_PCI,
                     CHECK_CMDLINE.replace('console=ttyS0 ', '')))

MACHINES = {
    # make check's guests: QEMU TCG, multi-threaded, -cpu max gives L1 SVM
    # with NPT (kvm_amd); phys-bits=52 is the first row of config/shapes.
    'tcg': dict(emulator='qemu', accel='tcg,thread=multi', smp=2, mem='4G',
                cpu='max,phys-bits=52', qemu_args=[], cmdline=CHECK_CMDLINE,
                slow=1, drain=0, known=None),
    # make bench: guest time is emulated instructions (-icount), one vCPU,
    # and the guest's clock starts at a fixed date, so that even the
    # selftests' srandom(time(0)) is the same on every boot.
    'icount': dict(emulator='qemu', accel='tcg', smp=1, mem='2G',
                   cpu='max,phys-bits=52',
                   qemu_args=['-icount', 'shift=0,sleep=off',
                              '-rtc', 'base=2026-01-01T00:00:00,clock=vm'],
                   cmdline='console=ttyS0 panic=-1 quiet',
                   slow=1, drain=0, known=None),
    # VMX with EPT (kvm_intel) under Bochs: config/bochsrc, with this CPU
    # model and ips.  Skylake-X has EPT A/D bits and PML (page-modification
    # logging, which kvm_intel uses for dirty logging when A/D bits are on),
    # and 40 physical address bits; Haswell's (corei7_haswell_4770) VMX has
    # no PML, and Bochs 2.7 has no 5-level EPT.  Skylake-X's XSAVE area sizes fail the kernel's consistency
    # check (noxsave); its CPUID leaf 0x16 declares a 3.5 GHz TSC, which the
    # kernel believes, but Bochs' TSC runs at ips (tsc_early_khz).  The
    # serial port runs at its baud rate: a second's drain before power off.
    # Bochs' clock runs on instructions, several times slower than the
    # wall clock: run-guest.sh's wall-time limits are slow times the
    # guest's.  Bochs addresses at most 2 GiB below the PCI hole.
    # binary: Debian's bochs, whose display library is rfb (it has no
    # "nogui"), with a timeout of 0: it waits for no client.
    'bochs': dict(emulator='bochs', binary='bochs', display='rfb, options="timeout=0"',
                  ips=BOCHS_IPS, smp=1, mem='2G', cpu='corei7_skylake_x', max_megs=2048,
                  bochsrc='bochsrc', cmdline=BOCHS_CMDLINE,
                  usb='usb_uhci: enabled=1',
                  slow=4, drain=1, known='bochs-known-reports'),
    # The same machine on Bochs built with emulators/bochs-*.patch
    # (scripts/build-bochs.sh prints its path), which fixes VMX's
    # external-interrupt exiting for a guest entered with IF=0: L1's timer
    # and IPIs then exit a vCPU that spins in L2, so the flip and stress
    # tests run (make vmx-race).  Bochs 3.0, Debian's source: its
    # Skylake-X has posted interrupts, so kvm_intel turns APICv on, and
    # every VM entry of KVM's then fails (VMfailValid); APICv stays off, as
    # on Debian's Bochs 2.7, which has no posted interrupts.  Built without
    # USB, so no UHCI controller: no VFIO group (the non-coherent DMA test
    # runs on the bochs machine).
    'bochs-fixed': dict(emulator='bochs', binary='build-bochs.sh', display='nogui',
                        ips=BOCHS_IPS, smp=1, mem='2G', cpu='corei7_skylake_x',
                        max_megs=2048, bochsrc='bochsrc',
                        cmdline=BOCHS_CMDLINE + ' kvm_intel.enable_apicv=0', usb='',
                        slow=4, drain=1, known='bochs-known-reports'),
}


# The tcg machine, single-threaded (config/tcg-single says which tests).
MACHINES['tcg-single'] = dict(MACHINES['tcg'], accel='tcg,thread=single')


class Error(Exception):
    pass


def megs(mem):
    """QEMU's memory size syntax (4G, 2048M, 2048) in MiB."""
    try:
        if mem[-1:] in ('G', 'g'):
            return int(mem[:-1]) * 1024
        if mem[-1:] in ('M', 'm'):
            return int(mem[:-1])
        return int(mem)
    except ValueError:
        raise Error('bad memory size %r (4G, 2048M)' % mem) from None


def resolve(name, cpu=None, smp=None, mem=None):
    """Machine NAME with a run's overrides, as a new dict."""
    if name not in MACHINES:
        raise Error('no machine %r (%s)' % (name, ', '.join(MACHINES)))
    m = dict(MACHINES[name], name=name)
    if m['emulator'] == 'bochs' and (cpu is not None or smp is not None):
        raise Error('%s: -c and -s do not apply (config/bochsrc, one CPU)' % name)
    if cpu is not None:
        if not cpu:
            raise Error('an empty CPU model')
        m['cpu'] = cpu
    if smp is not None:
        if not str(smp).isdigit() or int(smp) < 1:
            raise Error('bad vCPU count %r' % smp)
        m['smp'] = int(smp)
    if mem is not None:
        megs(mem)
        m['mem'] = mem
    if 'max_megs' in m:
        m['mem'] = '%dM' % min(megs(m['mem']), m['max_megs'])
    return m


def qemu_argv(m, kernel, initrd, append):
    if m['emulator'] != 'qemu':
        raise Error('%s is not a QEMU machine' % m['name'])
    return (['qemu-system-x86_64', '-accel', m['accel']] + m['qemu_args'] +
            ['-smp', str(m['smp']), '-m', m['mem'], '-cpu', m['cpu'],
             '-machine', 'q35', '-nographic', '-no-reboot',
             '-kernel', kernel, '-initrd', initrd,
             '-append', cmdline(m, append)])


def cmdline(m, append=''):
    return ' '.join(w for w in (m['cmdline'], append) if w)


def bochsrc(m, iso, port, log, config=CONFIG):
    """config/bochsrc with its @FIELDS@ filled in, comments dropped."""
    if m['emulator'] != 'bochs':
        raise Error('%s is not a Bochs machine' % m['name'])
    with open(os.path.join(config, m['bochsrc'])) as f:
        text = f.read()
    fields = {'@MEGS@': str(megs(m['mem'])), '@MODEL@': m['cpu'], '@DISPLAY@': m['display'],
              '@IPS@': str(m['ips']), '@ISO@': iso, '@SERIAL@': str(port),
              '@LOG@': log, '@USB@': m['usb']}
    lines = []
    for line in text.splitlines():
        if line.startswith('#'):
            continue
        unknown = set(re.findall(r'@[A-Z]+@', line)) - set(fields)
        if unknown:
            raise Error('config/%s: unknown field %s in %r' % (
                m['bochsrc'], ', '.join(sorted(unknown)), line))
        for k, v in fields.items():
            line = line.replace(k, v)
        lines.append(line)
    return '\n'.join(lines) + '\n'


def key(m, config=CONFIG):
    """Everything of the machine a guest's results depend on: its resolved
    settings, and the bochsrc template's text for a Bochs machine."""
    h = hashlib.sha1(json.dumps(m, sort_keys=True).encode())
    if m.get('bochsrc'):
        with open(os.path.join(config, m['bochsrc']), 'rb') as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def main(argv):
    p = argparse.ArgumentParser(prog='machines.py', description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    sub.add_parser('names')
    cmds = {'get': ['field'], 'qemu-argv': ['kernel', 'initrd', 'append'],
            'bochsrc': ['iso', 'port', 'log'], 'key': [], 'json': []}
    for c, pos in cmds.items():
        s = sub.add_parser(c)
        s.add_argument('name')
        for a in pos:
            s.add_argument(a)
        s.add_argument('-c', dest='cpu')
        s.add_argument('-s', dest='smp')
        s.add_argument('-m', dest='mem')
        if c in ('json', 'get'):
            s.add_argument('--append', default='')
    a = p.parse_args(argv)
    try:
        if a.cmd == 'names':
            print('\n'.join(MACHINES))
            return 0
        m = resolve(a.name, a.cpu, a.smp, a.mem)
        if a.cmd == 'get':
            if a.field == 'cmdline':
                print(cmdline(m, a.append))
            elif a.field not in m:
                raise Error('%s has no field %r' % (a.name, a.field))
            else:
                v = m[a.field]
                print('' if v is None else v)
        elif a.cmd == 'qemu-argv':
            sys.stdout.write(''.join(w + '\0' for w in qemu_argv(m, a.kernel, a.initrd, a.append)))
        elif a.cmd == 'bochsrc':
            sys.stdout.write(bochsrc(m, a.iso, a.port, a.log))
        elif a.cmd == 'key':
            print(key(m))
        elif a.cmd == 'json':
            print(json.dumps(dict(m, append=a.append), indent=1, sort_keys=True))
    except (Error, OSError) as e:
        print('machines.py: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
