#!/usr/bin/env python3
"""Read a guest's serial console log (see guest-init.sh) and write, into
OUTDIR: tap.txt (the TAP stream), results.tsv (n, name, result, seconds,
dmesg-report), dmesg.txt (the kernel log, by test), kunit.ktap (KTAP the
kernel printed at boot, if any) and reports.txt (WARNING/BUG/lockdep/KASAN
reports).  Prints the TAP result lines and any report; exits 1 if a test
failed, a report was found, or the guest did not finish.

  parse-results.py CONSOLE OUTDIR [KNOWN]

KNOWN: a file of regexes (config/bochs-known-reports) of reports at boot
that the emulated machine causes in the base kernel: such a report, up to
its "---[ end trace", is left out of reports.txt and listed in
known-reports.txt."""
import re
import sys

BAD = re.compile(r'WARNING:|BUG:|kernel BUG|Oops|general protection fault|'
                 r'possible circular locking|inconsistent lock state|'
                 r'suspicious RCU usage|possible recursive locking|'
                 r'KASAN|UBSAN|Call Trace|Kernel panic|refcount_t:|'
                 r'list_(add|del) corruption|INFO: task .* blocked')
RESULT = re.compile(r'^(not ok|ok) (\d+) (.*?)(?: # (SKIP|TIMEOUT|exit=)(.*))?$')

def main():
    log, outdir = sys.argv[1], sys.argv[2]
    known_res = []
    if len(sys.argv) > 3:
        known_res = [re.compile(l.strip()) for l in open(sys.argv[3])
                     if l.strip() and not l.startswith('#')]
    known, in_known = [], 0
    lines = open(log, errors='replace').read().replace('\r', '').split('\n')
    tap, dmesg, kunit, reports = [], [], [], []
    results = {}       # n -> [name, result, secs, report]
    names = {}
    done = started = False
    block = None
    oom = 0
    secs = ''
    for line in lines:
        if block is not None:
            if line.startswith('WB-DMESG-END'):
                block = None
                continue
            dmesg.append(line)
            if block == '0' and (kunit or re.search(r'KTAP version|TAP version', line)):
                kunit.append(line)
            if 'invoked oom-killer' in line:
                oom = 60   # an OOM report's stack dump is not a kernel bug
            elif oom:
                oom -= 1
            # A known report ends at its "end trace", 60 lines on, or at
            # the start of another report.
            if in_known and re.search(r'cut here|WARNING:|BUG:|Oops|KASAN|UBSAN', line):
                in_known = 0
            if block == '0' and (in_known or any(k.search(line) for k in known_res)):
                in_known = in_known - 1 if in_known else 60
                known.append(line)
                if '---[ end trace' in line:
                    in_known = 0
                continue
            if BAD.search(line) and not (oom and 'Call Trace' in line):
                who = names.get(block, 'boot' if block == '0' else 'after the last test')
                reports.append((block, who, line))
            continue
        m = re.match(r'WB-DMESG-BEGIN (\S+)', line)
        if m:
            block = m.group(1)
            dmesg.append('==== kernel log %s ====' % (
                names.get(block, 'at boot' if block == '0' else 'at the end')))
            continue
        m = re.match(r'WB-TEST-START (\d+) (.*)', line)
        if m:
            names[m.group(1)] = m.group(2)
            continue
        if line.startswith('WB-GUEST-START'):
            started = True
        if line.startswith('WB-GUEST-DONE'):
            done = True
        if not started:
            continue
        m = re.match(r'# exit=\S+ time=([0-9.]+)s', line)
        if m:
            secs = m.group(1)
        if line.startswith(('TAP version', '1..', '#', 'ok ', 'not ok ')):
            tap.append(line)
        m = RESULT.match(line)
        if m:
            ok, n, name, directive = m.group(1), m.group(2), m.group(3), m.group(4)
            res = ('skip' if directive == 'SKIP' else 'pass') if ok == 'ok' else \
                  ('timeout' if directive == 'TIMEOUT' else 'fail')
            results[n] = [name, res, secs, 0]
            secs = ''
    for blk, who, _ in reports:
        if blk in results:
            results[blk][3] = 1
    with open(outdir + '/tap.txt', 'w') as f:
        f.write('\n'.join(tap) + '\n')
    with open(outdir + '/dmesg.txt', 'w') as f:
        f.write('\n'.join(dmesg) + '\n')
    # "KTAP version 1" + "1..0": KUnit is built in but has no suites.
    if len(kunit) >= 2 and re.search(r'\] 1\.\.0$|^1\.\.0$', kunit[1]):
        kunit = []
    with open(outdir + '/kunit.ktap', 'w') as f:
        f.write('\n'.join(kunit) + '\n' if kunit else '')
    with open(outdir + '/results.tsv', 'w') as f:
        for n in sorted(results, key=int):
            f.write('%s\t%s\t%s\t%s\t%d\n' % (n, *results[n]))
    if known_res:
        with open(outdir + '/known-reports.txt', 'w') as f:
            f.write(''.join(l + '\n' for l in known))
    with open(outdir + '/reports.txt', 'w') as f:
        for _, who, line in reports:
            f.write('%s: %s\n' % (who, line))

    bad = False
    for n in sorted(results, key=int):
        name, res, secs, rep = results[n]
        tag = {'pass': 'ok', 'skip': 'ok', 'fail': 'not ok', 'timeout': 'not ok'}[res]
        extra = {'skip': ' # SKIP', 'timeout': ' # TIMEOUT'}.get(res, '')
        print('%s %s %s%s%s' % (tag, n, name, extra, '  (%ss)' % secs if secs else ''))
        bad |= res in ('fail', 'timeout')
    if reports:
        bad = True
        print('# kernel log reports (see %s/dmesg.txt):' % outdir)
        for _, who, line in reports[:40]:
            print('#   [%s] %s' % (who, line))
    if not done:
        bad = True
        print('# the guest did not finish (crash, hang or timeout): see %s' % log)
    c = [r[1] for r in results.values()]
    print('# %d tests: %d passed, %d failed, %d skipped%s' % (
        len(c), c.count('pass'), c.count('fail') + c.count('timeout'), c.count('skip'),
        ', %d kernel log reports' % len(reports) if reports else ''))
    sys.exit(1 if bad else 0)

main()
