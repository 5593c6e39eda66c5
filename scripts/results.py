#!/usr/bin/env python3
"""Turn guest runs (build/results/RUN/results.tsv, see parse-results.py)
into `make check` results (lines "STAGE NAME RESULT NOTE" in $RESULTS).

  results.py record STAGE RUNDIR [RETRYDIR]
      every test of the run, whether the kernel log is clean, KUnit, and
      whether the guest finished; a failed test that RETRYDIR retried
      passes if it passed there (marked flaky).
  results.py retries RUNDIR
      print the failed tests of RUNDIR that config/retry-once lists
  results.py regressions BASEDIR PATCHEDDIR...
      print the tests that pass on base and not on patched (to retry once)
  results.py figures RUNDIR...
      print what the tests config/figures lists reported of themselves
      (their ksft_print_msg() lines: counts, seeds), run by run
  results.py compare STAGE BASEDIR PATCHEDDIR [PATCHEDDIR...]
      the whole suite: a test that passes on base and fails (or skips) on
      patched fails; a test that fails on both is "known on base" and is
      counted as skipped; a kernel log report on patched that base does not
      have for the same test fails.  A test listed in config/env-skips may
      pass on base and skip on patched: whether it skips depends on the
      guest's environment, not on the kernel under test.

The last lines a failing test printed are shown under its FAIL line, so that
a log of `make check` (e.g. from CI) says why without the run directory.
"""
import os
import sys

RESULTS = os.environ['RESULTS']
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAIL = 15


def reasons(name):
    """config/NAME's "TEST REASON" lines, as {TEST: REASON}: env-skips,
    retry-once or suite-skip."""
    skips = {}
    path = os.path.join(TOP, 'config', name)
    for line in open(path):
        line = line.split('#')[0].rstrip()
        if line.strip():
            name, _, why = line.strip().partition(' ')
            skips[name] = why.strip()
    return skips


def tap_tests(rundir):
    """(NAME, LINES) for every test of RUNDIR's tap.txt, in order: LINES
    are the "#" lines the test printed before its ok/not ok line."""
    path = os.path.join(rundir, 'tap.txt') if rundir else ''
    if not path or not os.path.exists(path):
        return
    lines = []
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        if line.startswith('#'):
            lines.append(line)
            continue
        words = line.split(' # ')[0].split()
        if words[:1] in (['ok'], ['not']):
            yield ' '.join(words[3 if words[0] == 'not' else 2:]), lines
            lines = []


def output_tail(rundirs, name):
    """The last TAIL lines that test NAME printed, from the tap.txt of the
    last of RUNDIRS (a run directory or a list of them) that ran it."""
    if not isinstance(rundirs, list):
        rundirs = [rundirs]
    for d in reversed(rundirs):
        for test, lines in tap_tests(d):
            if test == name:
                return lines[-TAIL:]
    return []


def figures(rundirs):
    """The "# # ..." lines (the test's own ksft_print_msg() output) of the
    tests config/figures lists, from every run directory that ran them."""
    wanted = reasons('figures')
    for d in rundirs:
        for name, lines in tap_tests(d):
            if name.split()[0] in wanted:
                print('  %s, %s:' % (name, os.path.basename(d.rstrip('/'))))
                for f in lines:
                    if f.startswith('# # ') and 'Totals:' not in f:
                        print('    ' + f[4:])


def load(rundir):
    tests = {}
    path = os.path.join(rundir, 'results.tsv')
    if os.path.exists(path):
        for line in open(path):
            n, name, res, secs, rep = line.rstrip('\n').split('\t')
            tests[name] = (res, secs, int(rep))
    listed = []
    for line in open(os.path.join(rundir, 'tests.list')):
        line = line.split('#')[0].strip()
        if line:
            listed.append(' '.join(line.split()))
    summary = open(os.path.join(rundir, 'summary.txt')).read() \
        if os.path.exists(os.path.join(rundir, 'summary.txt')) else ''
    reports = open(os.path.join(rundir, 'reports.txt')).read().splitlines() \
        if os.path.exists(os.path.join(rundir, 'reports.txt')) else []
    return tests, listed, summary, reports


def emit(out, stage, name, res, note='', rundir=None):
    out.write('%s\t%s\t%s\t%s\n' % (stage, name, res, note))
    if res == 'fail':
        print('FAIL: %s: %s%s' % (stage, name, ' (%s)' % note if note else ''))
        for line in output_tail(rundir, name):
            print('    ' + line)


def retries(rundir):
    """The failed tests of RUNDIR that config/retry-once lists."""
    tests, listed, _, _ = load(rundir)
    retry = reasons('retry-once')
    for name in listed:
        if name in tests and tests[name][0] not in ('pass', 'skip') and \
                name.split()[0] in retry:
            print(name)


def record(stage, rundir, retrydir=None):
    tests, listed, summary, reports = load(rundir)
    retried, reason = {}, reasons('retry-once')
    if retrydir and os.path.exists(os.path.join(retrydir, 'tests.list')):
        retried, _, rsummary, rreports = load(retrydir)
    with open(RESULTS, 'a') as out:
        for name in listed:
            if name not in tests:
                emit(out, stage, name, 'fail', 'not run: the guest did not finish')
                continue
            res, secs, rep = tests[name]
            if name in retried and res not in ('pass', 'skip'):
                rres, rsecs, rrep = retried[name]
                if rres == 'pass' and not rrep:
                    print('FLAKY: %s: %s (failed once, passed on retry: %s)' %
                          (stage, name, reason.get(name.split()[0], '')))
                    for line in output_tail(rundir, name):
                        print('    ' + line)
                    emit(out, stage, name, 'pass', rsecs +
                         's, flaky: failed once, passed on retry')
                else:
                    emit(out, stage, name, 'fail', 'failed twice, see %s/tap.txt'
                         % retrydir, [rundir, retrydir])
                continue
            if res == 'pass':
                emit(out, stage, name, 'pass', secs + 's')
            elif res == 'skip':
                emit(out, stage, name, 'skip', 'skipped by the test')
            else:
                emit(out, stage, name, 'fail', res + ', see %s/tap.txt' % rundir,
                     rundir)
        done = 'the guest did not finish' not in summary
        emit(out, stage, 'guest finished', 'pass' if done else 'fail',
             '' if done else 'see %s/console.log' % rundir)
        emit(out, stage, 'kernel log clean', 'fail' if reports else 'pass',
             ('%d reports, first: %s' % (len(reports), reports[0])) if reports else '')
        if retried:
            emit(out, stage, 'kernel log clean on retry', 'fail' if rreports else 'pass',
                 ('%d reports, first: %s' % (len(rreports), rreports[0]))
                 if rreports else '')
        ktap = os.path.join(rundir, 'kunit.ktap')
        if os.path.exists(ktap) and os.path.getsize(ktap):
            txt = open(os.path.join(rundir, 'kunit.txt')).read() \
                if os.path.exists(os.path.join(rundir, 'kunit.txt')) else ''
            bad = 'FAILED' in txt or 'CRASHED' in txt or 'ERROR' in txt or not txt
            emit(out, stage, 'KUnit', 'fail' if bad else 'pass',
                 'see %s/kunit.txt' % rundir)


def gather(patcheddirs):
    """Patched results; a later directory overrides an earlier one, and a
    directory whose name ends in -retry only adds retries."""
    patched, listed, retried = {}, [], set()
    for d in patcheddirs:
        if not os.path.exists(os.path.join(d, 'tests.list')):
            continue
        t, l, s, _ = load(d)
        if d.rstrip('/').endswith('-retry'):
            retried |= set(t)
        else:
            listed += [x for x in l if x not in listed]
        patched.update(t)
    return patched, listed, retried


def regressions(basedir, patcheddirs):
    """Tests that pass on base and not on patched: candidates for a retry."""
    base, _, _, _ = load(basedir)
    patched, listed, _ = gather(patcheddirs)
    for name in listed:
        b, p = base.get(name), patched.get(name)
        if b and b[0] == 'pass' and p and (p[0] != 'pass' or (p[2] and not b[2])):
            print(name)


def compare(stage, basedir, patcheddirs):
    base, _, _, _ = load(basedir)
    patched, listed, retried = gather(patcheddirs)
    envskips = reasons('env-skips')
    known = []
    with open(RESULTS, 'a') as out:
        for name in listed:
            b = base.get(name)
            p = patched.get(name)
            bres = b[0] if b else 'absent'
            if p is None:
                emit(out, stage, name, 'fail', 'not run on patched: the guest did not finish')
                continue
            pres, secs, prep = p
            if prep and not (b and b[2]):
                emit(out, stage, name, 'fail', 'kernel log report on patched only')
            elif pres == 'pass':
                emit(out, stage, name, 'pass', secs + 's' +
                     (', flaky: failed once, passed on retry' if name in retried else ''))
            elif pres == 'skip':
                if bres == 'pass' and name in envskips:
                    emit(out, stage, name, 'skip',
                         'passes on base, skipped on patched: ' + envskips[name])
                elif bres == 'pass':
                    emit(out, stage, name, 'fail', 'passes on base, skipped on patched',
                         patcheddirs)
                else:
                    emit(out, stage, name, 'skip', 'skipped by the test')
            elif bres in ('fail', 'timeout'):
                known.append(name)
                emit(out, stage, name, 'skip', 'known on base (%s on base, %s on patched)' % (bres, pres))
            else:
                emit(out, stage, name, 'fail', '%s on patched, %s on base' % (pres, bres),
                     patcheddirs)
        for name, why in reasons('suite-skip').items():
            if name in base:
                emit(out, stage, name, 'skip', 'not run on patched (config/suite-skip: %s); '
                     '%s on base' % (why, base[name][0]))
    if known:
        print('# %s: known on base (fail on base and patched): %s' % (stage, ', '.join(known)))


if __name__ == '__main__':
    if sys.argv[1] == 'record':
        record(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif sys.argv[1] == 'retries':
        retries(sys.argv[2])
    elif sys.argv[1] == 'regressions':
        regressions(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == 'figures':
        figures(sys.argv[2:])
    elif sys.argv[1] == 'compare':
        compare(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit('usage: results.py record STAGE RUNDIR [RETRYDIR] | retries RUNDIR | '
                 'regressions BASEDIR PATCHEDDIR... | figures RUNDIR... | '
                 'compare STAGE BASEDIR PATCHEDDIR...')
