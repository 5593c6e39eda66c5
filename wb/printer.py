#!/usr/bin/env python3
"""What make check prints of its results: the FAIL and FLAKY lines (with
the test's last output lines, so that a CI log says why), the tables of a
stage, and the end: stage durations, failures, what is known on base, and
the summary line "N passed, N failed, N skipped", always the last.

    printer.py summary RESULTS DURATIONS TOTAL_SECS [TITLE]
        the end of make check (or of TITLE, e.g. "make vmx-race"), from
        $RESULTS ("STAGE NAME RESULT NOTE" lines) and the stage durations
        file
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from wb.policy import sub_skips  # noqa: E402


def fmt_secs(secs):
    return '%dm%02ds' % (secs // 60, secs % 60)


def fail(stage, name, note='', tail=(), out=None):
    out = out or sys.stdout
    print('FAIL: %s: %s%s' % (stage, name, ' (%s)' % note if note else ''), file=out)
    for line in tail:
        print('    ' + line, file=out)


def flaky(stage, name, why, tail=(), out=None):
    out = out or sys.stdout
    print('FLAKY: %s: %s (%s)' % (stage, name, why), file=out)
    for line in tail:
        print('    ' + line, file=out)


def known_bad_table(rows):
    """Rows (KERNEL, TEST, EXPECTED, GOT, VERDICT)."""
    print('==== known-bad kernels: the tests must fail there (and patch 1 alone must pass)')
    head = ('kernel', 'test', 'expected', 'got', '')
    w = [max([len(head[i])] + [min(len(r[i]), 72) for r in rows]) for i in range(4)]
    fmt = '  %-*s  %-*s  %-*s  %-*s  %s'
    print(fmt % (w[0], head[0], w[1], head[1], w[2], head[2], w[3], head[3], head[4]))
    for r in rows:
        cut = [c if len(c) <= 72 else c[:69] + '...' for c in r]
        print(fmt % (w[0], cut[0], w[1], cut[1], w[2], cut[2], w[3], cut[3], cut[4]))


def runs_table(runs):
    """What each of a stage's guest runs cost: [(LABEL, Run)], runs that
    exist."""
    print('==== guest runs: what each cost (wall time), two at a time')
    print('  %-12s %-11s %-17s %-14s %-9s %6s  %s' % (
        'run', 'machine', 'cpu', 'append', 'phys bits', 'wall', 'tests'))
    total = 0
    for label, r in runs:
        secs = r.seconds() or 0
        total += secs
        c = [x[0] for x in r.tests.values()]
        subs = sum(len(sub_skips(r.lines(n))) for n in r.tests)
        m = r.machine
        cpu = r.json.get('cpu', '')
        bits = cpu.split(':', 1)[1].split()[0] if ':' in cpu else '?'
        print('  %-12s %-11s %-17s %-14s %-9s %3dm%02ds  %d passed, %d failed, %d skipped%s' % (
            label, m.get('name', '?'), m.get('cpu', '?'), m.get('append') or '-',
            bits, secs // 60, secs % 60,
            c.count('pass'), len(c) - c.count('pass') - c.count('skip'), c.count('skip'),
            ', %d sub-tests skipped' % subs if subs else ''))
    print('  %-12s %-11s %-17s %-14s %-9s %3dm%02ds  guest time in all' % (
        'all', '', '', '', '', total // 60, total % 60))


def mttcg_table(rows):
    """[(LABEL, (RUNS, PASSED, FAILED, NOT RUN, {KIND: COUNT}))]."""
    print('==== the stress test under multi-threaded TCG, base against patched')
    print('  %-10s %5s %7s %7s %8s' % ('kernel', 'runs', 'passed', 'failed', 'not run'))
    kinds = []
    for label, (n, p, f, u, k) in rows:
        print('  %-10s %5d %7d %7d %8d' % (label, n, p, f, u))
        kinds += [(label, c, what) for what, c in sorted(k.items(), key=lambda x: -x[1])]
    for label, c, what in kinds:
        print('  %s: %d x %s' % (label, c, what[:100]))


def summary(results, durations, total, out=None, title='make check', tails=()):
    """The end of make check.  RESULTS: [(STAGE, NAME, RESULT, NOTE)];
    DURATIONS: the durations file's text; TAILS: [(STAGE, NAME, LINES)],
    the failures' last output lines (read_tails()), shown again last.
    Returns the number of failures."""
    out = out or sys.stdout
    print('\n==== %s: stage durations' % title, file=out)
    out.write(durations)
    print('  %-28s %s' % ('total', fmt_secs(total)), file=out)
    fails = [r for r in results if r[2] == 'fail']
    if fails:
        print('==== failures', file=out)
        for r in fails:
            print('  %s: %s%s' % (r[0], r[1], ' (%s)' % r[3] if r[3] else ''), file=out)
    known = [r for r in results if r[3].startswith('known on base')]
    if known:
        print('==== known on base (fail on base and patched; counted as skipped)', file=out)
        for r in known:
            print('  %s: %s (%s)' % (r[0], r[1], r[3]), file=out)
    if tails:
        print('==== the failures\' last output lines', file=out)
        for stage, name, lines in tails:
            print('  %s: %s' % (stage, name), file=out)
            for line in lines:
                print('    ' + line, file=out)
    count = {k: sum(r[2] == k for r in results) for k in ('pass', 'fail', 'skip')}
    print('%d passed, %d failed, %d skipped' % (count['pass'], count['fail'], count['skip']),
          file=out)
    return count['fail']


def read_tails(results_path):
    """The (STAGE, NAME, LINES) that wb/results.py's Results.emit() kept of
    each failure next to RESULTS_PATH."""
    try:
        with open(results_path + '.tails') as f:
            return [tuple(json.loads(line)) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def read_results(path):
    """$RESULTS' lines as (STAGE, NAME, RESULT, NOTE)."""
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.rstrip('\n').split('\t')
            if len(fields) < 3:
                continue
            rows.append(tuple((fields + [''])[:4]))
    return rows


def main(argv):
    if len(argv) not in (4, 5) or argv[0] != 'summary':
        sys.exit(__doc__)
    try:
        rows = read_results(argv[1])
    except FileNotFoundError:
        rows = []
    try:
        with open(argv[2]) as f:
            durations = f.read()
    except FileNotFoundError:
        durations = ''
    summary(rows, durations, int(argv[3]), title=argv[4] if len(argv) > 4 else 'make check',
            tails=read_tails(argv[1]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
