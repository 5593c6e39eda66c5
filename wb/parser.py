#!/usr/bin/env python3
"""A guest's serial console, parsed once: every consumer of a guest run
(make check, make run, the demo, the base suite's cache, make mutants)
reads the run.json this writes.  (make coverage's counters, base64 in the
console, are scripts/coverage.py's.)

The console is what guest-init.sh prints: WB-GUEST-START, the TAP of the
tests (each test's output as "# " lines before its ok/not ok line), the
kernel log written during each test between WB-DMESG-BEGIN N and
WB-DMESG-END N (block 0: the boot, with the KTAP of built-in KUnit suites),
WB-GUEST-DONE; run-guest.sh appends "# QEMU killed: ..." if it stopped the
guest.

    python3 wb/parser.py CONSOLE OUTDIR [KNOWN]
        write OUTDIR/run.json and, for people, tap.txt, dmesg.txt,
        kunit.ktap (for kunit.py parse), reports.txt and, with KNOWN,
        known-reports.txt; print the summary; exit 1 if a test failed, the
        kernel log has a report, or the guest did not finish.  KNOWN: a
        file of regexes (config/bochs-known-reports) of reports at boot
        that the emulated machine causes in the base kernel: such a
        report, up to its "---[ end trace", is left out of the reports and
        listed in known-reports.txt.
    python3 wb/parser.py done RUNDIR
        exit 0 if RUNDIR's guest finished (its run.json says so)
    python3 wb/parser.py counts RUNDIR
        "N tests: N passed, N failed, N skipped"
    python3 wb/parser.py show RUNDIR
        the run for people (make run): kernel, CPU, each test, reports
    python3 wb/parser.py output RUNDIR
        what the tests printed, in order, as they printed it

run.json:
    kernel, cpu       uname -r, and the guest's "address sizes" line
    done              the guest printed WB-GUEST-DONE
    stopped           why it did not finish ("QEMU killed: ...", "Kernel
                      panic ..."), or null
    hung              run-guest.sh stopped it for a silent console
    tests             [{n, name, result (pass|skip|fail|timeout), secs,
                      report (a kernel log report during the test), output
                      (its "# " lines, as on the console)}], in order
    unfinished        the "# " lines after the last result (a test that
                      never finished)
    reports           [{block, who, line}]: WARNING/BUG/lockdep/KASAN...
    known_reports     lines of the reports KNOWN left out
    ktap              the KTAP printed at boot (empty: no KUnit suite)
    kunit             {suites: {SUITE: ok|not ok|skip|running},
                      cases: {SUITE.CASE: ok|not ok|skip},
                      skipped: [[SUITE, CASE, REASON]]}
"""
import json
import os
import re
import sys

BAD = re.compile(r'WARNING:|BUG:|kernel BUG|Oops|general protection fault|'
                 r'possible circular locking|inconsistent lock state|'
                 r'suspicious RCU usage|possible recursive locking|'
                 r'KASAN|UBSAN|Call Trace|Kernel panic|refcount_t:|'
                 r'list_(add|del) corruption|INFO: task .* blocked')
KNOWN_END = re.compile(r'cut here|WARNING:|BUG:|Oops|KASAN|UBSAN')
RESULT = re.compile(r'^(not ok|ok) (\d+) (.*?)(?: # (SKIP|TIMEOUT|exit=)(.*))?$')
KTAP_PREFIX = re.compile(r'^\[\s*[0-9.]+\]\s?')
KTAP_RESULT = re.compile(r'^(ok|not ok) \d+ (\S+)(?: # (SKIP|skip)\b ?(.*))?')
HUNG = '# QEMU killed: no console output'
# A report's lines that follow an OOM kill are its stack dump, not a bug.
OOM_LINES = 60
KNOWN_LINES = 60


def parse_ktap(lines):
    """The kunit entry of run.json, from the KTAP the kernel printed."""
    suites, cases, skipped, suite = {}, {}, [], None
    for line in lines:
        line = KTAP_PREFIX.sub('', line)
        body = line.lstrip(' ')
        indent = len(line) - len(body)
        m = re.match(r'# Subtest: (\S+)', body)
        if m and indent == 4:
            suite = m.group(1)
            suites.setdefault(suite, 'running')
            continue
        m = KTAP_RESULT.match(body)
        if not m:
            continue
        res = 'skip' if m.group(3) else m.group(1)
        if indent == 0:
            suites[m.group(2)] = res
            suite = None
        else:
            cases['%s.%s' % (suite or '?', m.group(2))] = res
            if m.group(3):
                skipped.append([suite or '?', m.group(2), m.group(4).strip()])
    return {'suites': suites, 'cases': cases, 'skipped': skipped}


def parse(text, known_res=()):
    """run.json's content (see the head of this file) for console TEXT."""
    run = {'kernel': '', 'cpu': '', 'done': False, 'stopped': None,
           'hung': False, 'tests': [], 'unfinished': [], 'reports': [],
           'known_reports': [], 'ktap': [], 'kunit': {}}
    dmesg, tap, ktap = [], [], []
    names, output = {}, []
    started, block, oom, in_known, secs = False, None, 0, 0, ''
    lines = text.replace('\r', '').split('\n')
    for line in lines:
        if line.startswith('# QEMU killed'):
            run['stopped'] = line[2:].strip()
            run['hung'] = run['hung'] or line.startswith(HUNG)
        elif 'Kernel panic' in line:
            run['stopped'] = line[line.index('Kernel panic'):].strip()
        if block is not None:
            if line.startswith('WB-DMESG-END'):
                block = None
                continue
            dmesg.append(line)
            if block == '0' and (ktap or re.search(r'KTAP version|TAP version', line)):
                ktap.append(line)
            if 'invoked oom-killer' in line:
                oom = OOM_LINES
            elif oom:
                oom -= 1
            # A known report ends at its "end trace", KNOWN_LINES lines on,
            # or at the start of another report.
            if in_known and KNOWN_END.search(line):
                in_known = 0
            if block == '0' and (in_known or any(k.search(line) for k in known_res)):
                in_known = in_known - 1 if in_known else KNOWN_LINES
                run['known_reports'].append(line)
                if '---[ end trace' in line:
                    in_known = 0
                continue
            if BAD.search(line) and not (oom and 'Call Trace' in line):
                who = names.get(block, 'boot' if block == '0' else 'after the last test')
                run['reports'].append({'block': block, 'who': who, 'line': line})
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
            run['kernel'] = line[len('WB-GUEST-START'):].strip()
        if line.startswith('WB-GUEST-DONE'):
            run['done'] = True
        if not started:
            continue
        if line.startswith('# address sizes') and not run['cpu']:
            run['cpu'] = line[2:].strip()
        m = re.match(r'# exit=\S+ time=([0-9.]+)s', line)
        if m:
            secs = m.group(1)
        if line.startswith(('TAP version', '1..', '#', 'ok ', 'not ok ')):
            tap.append(line)
        if line.startswith('#'):
            output.append(line)
        m = RESULT.match(line)
        if m:
            ok, n, name, directive = m.groups()[:4]
            res = ('skip' if directive == 'SKIP' else 'pass') if ok == 'ok' else \
                  ('timeout' if directive == 'TIMEOUT' else 'fail')
            run['tests'].append({'n': int(n), 'name': name, 'result': res, 'secs': secs,
                                 'report': False, 'output': output})
            secs, output = '', []
    run['unfinished'] = output
    if run['done']:
        run['stopped'] = None
    reported = {r['block'] for r in run['reports']}
    for t in run['tests']:
        t['report'] = str(t['n']) in reported
    # "KTAP version 1" + "1..0": KUnit is built in but has no suites.
    if len(ktap) >= 2 and re.search(r'\] 1\.\.0$|^1\.\.0$', ktap[1]):
        ktap = []
    run['ktap'] = ktap
    run['kunit'] = parse_ktap(ktap)
    return run, tap, dmesg


def summary(run, outdir, console):
    """The lines parse prints: each result, the reports, the counts."""
    out = []
    for t in run['tests']:
        tag = 'ok' if t['result'] in ('pass', 'skip') else 'not ok'
        extra = {'skip': ' # SKIP', 'timeout': ' # TIMEOUT'}.get(t['result'], '')
        out.append('%s %d %s%s%s' % (tag, t['n'], t['name'], extra,
                                     '  (%ss)' % t['secs'] if t['secs'] else ''))
    if run['reports']:
        out.append('# kernel log reports (see %s/dmesg.txt):' % outdir)
        out += ['#   [%s] %s' % (r['who'], r['line']) for r in run['reports'][:40]]
    if not run['done']:
        out.append('# the guest did not finish (crash, hang or timeout): see %s' % console)
    out.append('# %s%s' % (counts(run), ', %d kernel log reports' % len(run['reports'])
                             if run['reports'] else ''))
    return out


def counts(run):
    c = [t['result'] for t in run['tests']]
    return '%d tests: %d passed, %d failed, %d skipped' % (
        len(c), c.count('pass'), c.count('fail') + c.count('timeout'), c.count('skip'))


def show(run):
    out = ['kernel: %s' % run['kernel'], 'guest CPU: %s' % run['cpu'], '']
    if run['tests']:
        out.append('  %-45s %-8s %s' % ('TEST', 'RESULT', 'TIME'))
        out += ['  %-45s %-8s %ss' % (t['name'], 'ok' if t['result'] == 'pass' else
                                      t['result'].upper(), t['secs']) for t in run['tests']]
    out += ['# kernel log report: [%s] %s' % (r['who'], r['line']) for r in run['reports']]
    if not run['done']:
        out.append('# the guest did not finish: %s' % (run['stopped'] or 'no WB-GUEST-DONE'))
    return out + ['', counts(run)]


def strip_guest(line):
    """An output line as the test printed it (guest-init.sh puts "# "
    before each line of a test's output)."""
    return line[2:] if line.startswith('# ') else line[1:] if line.startswith('#') else line


def ok(run):
    return run['done'] and not run['reports'] and \
        all(t['result'] in ('pass', 'skip') for t in run['tests'])


def write(outdir, run, tap, dmesg, known):
    def put(name, lines):
        with open(os.path.join(outdir, name), 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
    put('tap.txt', tap)
    put('dmesg.txt', dmesg)
    put('kunit.ktap', run['ktap'])
    put('reports.txt', ['%s: %s' % (r['who'], r['line']) for r in run['reports']])
    if known:
        put('known-reports.txt', run['known_reports'])
    with open(os.path.join(outdir, 'run.json.tmp'), 'w') as f:
        json.dump(run, f, indent=1)
    os.replace(os.path.join(outdir, 'run.json.tmp'), os.path.join(outdir, 'run.json'))


def load(rundir):
    """RUNDIR's run.json, or None if there is none."""
    try:
        with open(os.path.join(rundir, 'run.json')) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def known_patterns(path):
    with open(path) as f:
        return [re.compile(line.strip()) for line in f
                if line.strip() and not line.startswith('#')]


def main(argv):
    if len(argv) == 3 and argv[1] in ('done', 'counts', 'show', 'output'):
        run = load(argv[2])
        if argv[1] == 'done':
            return 0 if run and run['done'] else 1
        if run is None:
            print('wb.parser: error: no run.json in %s' % argv[2], file=sys.stderr)
            return 1
        if argv[1] == 'counts':
            print(counts(run))
        elif argv[1] == 'show':
            print('\n'.join(show(run)))
        else:
            lines = [line for t in run['tests'] for line in t['output']] + run['unfinished']
            print('\n'.join(strip_guest(line) for line in lines))
        return 0
    if len(argv) not in (3, 4):
        print('usage: python3 wb/parser.py CONSOLE OUTDIR [KNOWN] | done|counts|show|output RUNDIR',
              file=sys.stderr)
        return 2
    console, outdir = argv[1], argv[2]
    known = known_patterns(argv[3]) if len(argv) == 4 else []
    with open(console, errors='replace') as f:
        run, tap, dmesg = parse(f.read(), known)
    write(outdir, run, tap, dmesg, bool(known))
    print('\n'.join(summary(run, outdir, console)))
    return 0 if ok(run) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
