#!/usr/bin/env python3
"""Turn guest runs (build/results/RUN/run.json, see run-guest.sh and wb/parser.py)
into `make check` results: lines "STAGE NAME RESULT NOTE" in $RESULTS, one
per test, each test counted once.

  results.py record STAGE RUNDIR [--retry RETRYDIR] [--shape SHAPE] [--series FILE]
      every test of the run, whether the guest finished, whether the kernel
      log is clean, and KUnit.  A test that RETRYDIR retried (see retries)
      passes if it passed there, marked flaky.  With --shape (an npt=1 run
      of stage b or b'): a series test (the names in FILE) that skips or
      skips a sub-test fails, as do a skipped KUnit case and a missing
      KUnit suite (config/kunit-suites), unless config/expected-skips lists
      the skip for SHAPE; a skip it lists for SHAPE that doesn't happen fails.
  results.py retries RUNDIR
      print the tests of RUNDIR to boot once more: failed tests that
      config/retry-once lists and whose output shows the QEMU signature
      (a triple fault/shutdown, an internal error/emulation failure), or,
      if the guest hung (its console went silent), the listed test that
      was running and the tests that never ran after it.  A guest
      assertion, a data mismatch or an unjustified exit is never retried.
  results.py reboot RUNDIR
      exit 0 if RUNDIR's kernel log reports are all at boot, before KUnit,
      with no KVM or KUnit code in the first one's trace (the series'
      code hadn't run): wb/stages.py boots such a run once more and records
      that boot instead, with the first one's report printed as flaky.
  results.py expect STAGE RUNDIR KERNEL TEST RESULT REGEX [--table FILE] [--clean-log]
      one test of config/expect: a pass if TEST reported RESULT and a line
      of its output matches REGEX (and the guest finished, and with
      --clean-log its kernel log is clean); a row of the known-bad table
      goes to FILE.
  results.py known-bad-row FILE KERNEL TEST EXPECTED GOT VERDICT
  results.py known-bad-table FILE
      add a row to / print the table of known-bad kernels
  results.py runs-table LABEL=RUNDIR...
      what each guest run of a stage cost (wall time), its shape, its counts
  results.py regressions BASEDIR PATCHEDDIR...
      print the tests that pass on base and not on patched (to retry once)
  results.py compare STAGE BASEDIR PATCHEDDIR... [--counted STAGE2 DIR...]
      the whole suite: a test that passes on base and fails (or skips) on
      patched fails; a test that fails on both is "known on base" and is
      counted as skipped; a kernel log report on patched that base does not
      have for the same test fails.  A test listed in config/env-skips may
      pass on base and skip on patched.  The tests of --counted's run
      directories (stage b's, recorded as STAGE2) are compared with base
      too but not counted again: a regression there turns STAGE2's line for
      the test into a failure.
  results.py figures RUNDIR...
      print what the tests config/figures lists reported of themselves

The last lines a failing test printed are shown under its FAIL line, so that
a log of `make check` (e.g. from CI) says why without the run directory.

No result of an earlier make check is read: when $CHECK_RUNS names a file,
a run directory under build/results must be listed there (wb/stages.py lists
each run it boots, after removing the run's old directory).
"""
import argparse
import json
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(TOP, 'config')
sys.path.insert(0, TOP)
from wb import config as wbconfig  # noqa: E402
from wb import parser as wbparser  # noqa: E402
from wb import printer  # noqa: E402
from wb.policy import (ASSERTION, REPORT_LINES, boot_report_outside, find_skip,  # noqa: E402
                       retry_plan, skip_message, sub_skips, verdict)
# The lines of a failing test's output shown under its FAIL line.
TAIL = 15
# A line that gives a test's random seed.
SEED = re.compile(r'\bseed\b', re.I)


def read(path):
    """PATH's text ('' if there is none)."""
    if not os.path.exists(path):
        return ''
    with open(path, errors='replace') as f:
        return f.read()


def read_lines(path):
    return read(path).splitlines()


def fail(msg):
    sys.exit('results.py: error: ' + msg)


# --- config/ ----------------------------------------------------------------
# wb/config.py reads them all, with one rule: see its head.
def config_lines(name, config=CONFIG, comments=True):
    """config/NAME's entries; COMMENTS false for tables, whose fields may
    hold a "#"."""
    try:
        return wbconfig.entries(name, config, table=not comments)
    except wbconfig.Error as e:
        fail(str(e))


def reasons(name, config=CONFIG):
    """config/NAME's "TEST REASON" lines, as {TEST: REASON}: env-skips,
    retry-once, suite-skip, tcg-single or figures."""
    try:
        return wbconfig.reasons(name, config)
    except wbconfig.Error as e:
        fail(str(e))


def table(name, columns, config=CONFIG):
    """config/NAME's "A | B | ..." rows, each a list of COLUMNS fields."""
    rows = []
    for line in config_lines(name, config, comments=False):
        row = [f.strip() for f in line.split(' | ')]
        if len(row) != columns:
            fail('config/%s: %d fields, not %d: %s' % (name, len(row), columns, line))
        rows.append(row)
    return rows


def shapes(config=CONFIG):
    """config/shapes: [(NAME, CPU, APPEND)], APPEND '' for '-'."""
    out = []
    for line in config_lines('shapes', config):
        f = line.split(None, 2)
        if len(f) != 3:
            fail('config/shapes: want "NAME CPU APPEND": %s' % line)
        out.append((f[0], f[1], '' if f[2] == '-' else f[2]))
    return out


def expected_skips(shape, config=CONFIG):
    """config/expected-skips rows for SHAPE: [(SHAPE, TEST, SKIP, WHY)]."""
    return [tuple(r) for r in table('expected-skips', 4, config) if r[0] in (shape, '*')]


# --- one guest run --------------------------------------------------------------


class Run:
    """One guest run's results, from its run.json (wb/parser.py); a
    missing directory: nothing ran."""

    def __init__(self, rundir):
        self.dir = rundir
        self.exists = bool(rundir) and os.path.exists(os.path.join(rundir, 'tests.list'))
        self.tests, self.listed, self.output, self.reports = {}, [], {}, []
        self.json, self.retry_of, self.machine = {}, None, {}
        if not self.exists:
            return
        self.retry_of = self.read('retry-of').strip() or None
        m = self.read('machine.json')
        self.machine = json.loads(m) if m else {}
        check_fresh(rundir)
        self.json = wbparser.load(rundir) or {}
        for t in self.json.get('tests', []):
            self.tests[t['name']] = (t['result'], t['secs'], int(t['report']))
            self.output[t['name']] = t['output']
        self.listed = wbconfig.parse(self.read('tests.list'))
        self.reports = ['%s: %s' % (r['who'], r['line']) for r in self.json.get('reports', [])]
        self.kunit_txt = self.read('kunit.txt')
        self.kunit_ran = bool(self.json.get('ktap'))
        kunit = self.json.get('kunit', {})
        self.suites = kunit.get('suites', {})
        self.kunit_skipped = [tuple(x) for x in kunit.get('skipped', [])]

    def read(self, name):
        return read(os.path.join(self.dir, name))

    @property
    def finished(self):
        return self.exists and self.json.get('done', False)

    @property
    def hung(self):
        return self.json.get('hung', False)

    def report_excerpt(self, n=REPORT_LINES):
        """The kernel log from the first report on: N lines of dmesg.txt,
        so that a report in CI's output comes with its stack trace."""
        if not self.reports:
            return []
        first = self.reports[0].split(': ', 1)[-1]
        log = self.read('dmesg.txt').splitlines()
        for i, l in enumerate(log):
            if l == first:
                return log[max(0, i - 2):i + n]
        return self.reports[:n]

    def seconds(self):
        s = self.read('seconds').strip()
        return int(s) if s.isdigit() else None

    def lines(self, name):
        """What test NAME printed, as it printed it."""
        return [wbparser.strip_guest(l) for l in self.output.get(name, [])]

    def unrun(self):
        """The listed tests that have no result, in order."""
        return [n for n in self.listed if n not in self.tests]


def check_fresh(rundir):
    """A run directory under build/results that this make check didn't boot
    is an earlier run's: never read it."""
    runs = os.environ.get('CHECK_RUNS')
    results = os.path.join(os.environ.get('BUILD', os.path.join(TOP, 'build')), 'results')
    d = os.path.abspath(rundir)
    if not runs or os.path.dirname(d) != os.path.abspath(results):
        return
    listed = read(runs).split()
    if os.path.basename(d) not in listed:
        fail('%s is not a run of this make check (not in %s): an earlier run\'s results'
             % (rundir, runs))


def output_tail(runs, name):
    """The last TAIL lines that test NAME printed, from the last of RUNS
    that ran it, after the earlier lines that give a seed to replay it
    with (the hostile and stress tests print theirs first)."""
    for r in reversed([r for r in runs if r]):
        if name in r.output:
            lines = r.output[name]
            seeds = [l for l in lines[:-TAIL] if SEED.search(l)][:2]
            return seeds + lines[-TAIL:]
    return []


# --- the rules ---------------------------------------------------------------------


# --- record ------------------------------------------------------------------------
class Results:
    """Where the results go ($RESULTS), and the FAIL lines (wb/printer.py)."""

    def __init__(self, path=None, stream=None):
        self.path = path or os.environ.get('RESULTS')
        self.stream = stream

    def emit(self, stage, name, res, note='', tail=()):
        line = '%s\t%s\t%s\t%s\n' % (stage, name, res, note)
        if self.stream is not None:
            self.stream.write(line)
        else:
            with open(self.path, 'a') as out:
                out.write(line)
        if res == 'fail':
            printer.fail(stage, name, note, tail)
            if tail and self.stream is None:
                # Again at the end (printer.summary()), where a CI log that
                # keeps only its end still shows why.
                with open(self.path + '.tails', 'a') as out:
                    out.write(json.dumps([stage, name, list(tail)]) + '\n')


def record(out, stage, run, retry=None, shape=None, series=(), config=CONFIG):
    """Record RUN (and its RETRY) as STAGE; see the module's doc."""
    retry = retry if retry and retry.exists else None
    reason = reasons('retry-once', config)
    expected = expected_skips(shape, config) if shape else []
    unrun = run.unrun()
    hung_in = unrun[0] if unrun and run.hung else None
    for name in run.listed:
        res = outcome(out, stage, name, run, retry, hung_in, reason)
        if res is None:
            continue
        res, secs, src, note = res
        if res not in ('pass', 'skip'):
            out.emit(stage, name, 'fail', res + ', see %s/tap.txt' % run.dir,
                     output_tail([run], name))
            continue
        lines = src.lines(name)
        if not (shape is not None and name.split()[0] in series):
            msg = skip_message(lines) if res == 'skip' else ''
            out.emit(stage, name, res, secs + 's' + note if res == 'pass' else
                     'skipped by the test' + (': ' + msg if msg else ''))
            continue
        # A series test on npt=1: every skip is one config/expected-skips
        # lists, and every skip it lists for this shape happens.
        if res == 'skip':
            msg = skip_message(lines)
            e = find_skip(expected, name, msg)
            if e:
                out.emit(stage, name, 'skip', 'expected on %s: %s' % (shape, e[3]))
            else:
                out.emit(stage, name, 'fail', 'a series test skipped on npt=1 (%s), and '
                         'config/expected-skips does not list it for %s'
                         % (msg or 'no reason given', shape), output_tail([src], name))
            continue
        skips = sub_skips(lines)
        bad = [m for m in skips if not find_skip(expected, name, m)]
        # Required only of the invocation the row names (allowed in all).
        missing = [e for e in expected if e[0] == shape and e[1] == name and
                   not any(m.startswith(e[2]) for m in skips)]
        if bad:
            out.emit(stage, name, 'fail', 'skipped a part on npt=1: %s; config/expected-skips '
                     'does not list it for %s' % ('; '.join(bad), shape), output_tail([src], name))
        elif missing:
            out.emit(stage, name, 'fail', 'did not skip "%s", which config/expected-skips expects '
                     'on %s (%s): did the guest get the shape?' % (
                         '", "'.join(e[2] for e in missing), shape, missing[0][3]),
                     output_tail([src], name))
        else:
            out.emit(stage, name, 'pass', secs + 's' + note +
                     (', skipped as expected: ' + '; '.join(skips) if skips else ''))
    done = run.finished or (hung_in is not None and retry is not None and retry.finished)
    out.emit(stage, 'guest finished', 'pass' if done else 'fail',
             ('' if run.finished else 'the first boot hung in %s; its retry finished' % hung_in)
             if done else 'see %s/console.log' % run.dir)
    out.emit(stage, 'kernel log clean', 'fail' if run.reports else 'pass',
             ('%d reports, first: %s' % (len(run.reports), run.reports[0])) if run.reports else '',
             run.report_excerpt())
    if retry:
        out.emit(stage, 'kernel log clean on retry', 'fail' if retry.reports else 'pass',
                 ('%d reports, first: %s' % (len(retry.reports), retry.reports[0]))
                 if retry.reports else '', retry.report_excerpt())
    kunit(out, stage, run, shape, expected, config)


def outcome(out, stage, name, run, retry, hung_in, reason):
    """(RESULT, SECONDS, RUN, NOTE) of test NAME, its retry taken into
    account; None if a failure was recorded already."""
    why = reason.get(name.split()[0], '')
    if name not in run.tests:
        # Not run: the guest died or hung before or in it.  Only a hang
        # gets a retry (see retry_plan()).
        if not (hung_in and retry and name in retry.tests):
            out.emit(stage, name, 'fail', 'not run: the guest did not finish'
                     + (' (it hung in %s)' % hung_in if hung_in else ''))
            return None
        rres, rsecs, rrep = retry.tests[name]
        if rres in ('pass', 'skip') and not rrep:
            if name == hung_in:
                printer.flaky(stage, name, 'the guest hung in it, it passed on retry: ' + why)
                return rres, rsecs, retry, ', flaky: the guest hung in it, passed on retry'
            return rres, rsecs, retry, ', ran on the retry (the guest hung in %s)' % hung_in
        out.emit(stage, name, 'fail', 'the guest hung%s, then %s on retry, see %s/tap.txt'
                 % (' in it' if name == hung_in else ' in ' + hung_in, rres, retry.dir),
                 output_tail([retry], name))
        return None
    res, secs, _ = run.tests[name]
    if not (retry and name in retry.tests and res not in ('pass', 'skip')):
        return res, secs, run, ''
    rres, rsecs, rrep = retry.tests[name]
    if rres == 'pass' and not rrep:
        printer.flaky(stage, name, 'failed once, passed on retry: ' + why,
                      output_tail([run], name))
        return 'pass', rsecs, retry, ', flaky: failed once, passed on retry'
    out.emit(stage, name, 'fail', 'failed twice, see %s/tap.txt' % retry.dir,
             output_tail([run, retry], name))
    return None


def kunit(out, stage, run, shape, expected, config=CONFIG):
    """KUnit, as kunit.py parse saw it; with SHAPE (strict): every suite of
    config/kunit-suites ran and no case skipped unless expected."""
    problems = []
    if run.kunit_ran:
        txt = run.kunit_txt
        if not txt or 'FAILED' in txt or 'CRASHED' in txt or 'ERROR' in txt:
            problems.append('failed, see %s/kunit.txt' % run.dir)
    if shape is not None:
        if not run.exists:
            return
        for suite in config_lines('kunit-suites', config):
            if suite not in run.suites:
                problems.append('suite %s did not run (config/kunit-suites)' % suite)
        for suite, case, why in run.kunit_skipped:
            if not find_skip(expected, 'kunit:' + suite, case):
                problems.append('%s.%s skipped (%s), not in config/expected-skips for %s'
                                % (suite, case, why or 'no reason', shape))
    elif not run.kunit_ran:
        return
    out.emit(stage, 'KUnit', 'fail' if problems else 'pass',
             '; '.join(problems) if problems else 'see %s/kunit.txt' % run.dir)


def reboot(rundir):
    run = Run(rundir)
    ok, why = boot_report_outside(run)
    print(why)
    if ok:
        print('FLAKY: %s:' % rundir, file=sys.stderr)
        for l in run.report_excerpt():
            print('    ' + l, file=sys.stderr)
    sys.exit(0 if ok else 1)


def retries(rundir, config=CONFIG):
    retry, refused = retry_plan(Run(rundir), reasons('retry-once', config))
    for name, why in refused:
        print('# not retried: %s: %s' % (name, why), file=sys.stderr)
    for name, why in retry:
        print('# retry: %s: %s' % (name, why), file=sys.stderr)
        print(name)


# --- config/expect -----------------------------------------------------------------
def expect(out, stage, run, kernel, test, want, regex, table_file=None, clean_log=False):
    """One row of config/expect; see the module's doc.  CLEAN_LOG: the
    guest's kernel log must be clean too (the patched kernel's)."""
    name = ' '.join(test.split())
    pat = re.compile(regex)
    got = run.tests.get(name, ('not run',))[0] if run.exists else 'not run'
    lines = run.lines(name)
    match = next((l for l in lines if pat.search(l)), None)
    label = '%s on %s' % (name, kernel)
    if got == want and match and run.finished and not (clean_log and run.reports):
        out.emit(stage, label, 'pass', 'expected %s: %s' % (want, match.strip()))
        verdict = 'caught' if want == 'fail' else 'ok'
    else:
        if want == 'fail' and got == 'pass':
            why = 'known-bad kernel not caught: the test passed'
        elif got != want:
            why = 'expected %s, got %s' % (want, got)
        elif not match:
            why = 'expected %s for the reason /%s/, which its output does not show' % (want, regex)
        elif clean_log and run.reports:
            why = 'kernel log report: %s' % run.reports[0]
        else:
            why = 'the guest did not finish, see %s/console.log' % run.dir
        out.emit(stage, label, 'fail', why, output_tail([run], name))
        verdict = 'NOT CAUGHT' if want == 'fail' else 'FAIL'
    if table_file:
        known_bad_row(table_file, kernel, name, want, got + (': ' + match.strip() if match else ''),
                      verdict)


def known_bad_row(path, kernel, test, expected, got, verdict):
    with open(path, 'a') as f:
        f.write('\t'.join(x.replace('\t', ' ') for x in (kernel, test, expected, got, verdict)) + '\n')


# --- the suite ---------------------------------------------------------------------
def gather(dirs):
    """Patched results of DIRS; a later directory overrides an earlier one,
    and the retry of a run (run-guest.sh -r) only adds retries."""
    patched, listed, retried = {}, [], set()
    for d in dirs:
        r = Run(d)
        if not r.exists:
            continue
        if r.retry_of:
            retried |= set(r.tests)
        else:
            listed += [x for x in r.listed if x not in listed]
        patched.update(r.tests)
    return patched, listed, retried


def base_needed(patcheddirs, base_tests):
    """The tests of PATCHEDDIRS whose verdict depends on the base: those
    that did not pass cleanly on patched (failed, timed out, skipped, or
    passed with a kernel log report), and that the base's selftests build
    has (BASE_TESTS).  A clean pass on patched is a pass whatever the base
    did (verdict()), so the base runs only these."""
    patched, listed, _ = gather(patcheddirs)
    return [name for name in listed
            if (p := patched.get(name)) and (p[0] != 'pass' or p[2]) and
            name.split()[0] in base_tests]


def regressions(basedir, patcheddirs):
    """Tests that pass on base and not on patched: candidates for a retry."""
    base = Run(basedir).tests
    patched, listed, _ = gather(patcheddirs)
    return [name for name in listed
            if (b := base.get(name)) and b[0] == 'pass' and (p := patched.get(name)) and
            (p[0] != 'pass' or (p[2] and not b[2]))]


def compare(out, stage, basedir, patcheddirs, counted_stage=None, counted=(), config=CONFIG,
            suite_skips=True):
    base = Run(basedir).tests
    patched, listed, retried = gather(patcheddirs)
    envskips = reasons('env-skips', config)
    known = []
    for name in listed:
        res, note, tail = verdict(name, base.get(name), patched.get(name), retried, envskips)
        if note.startswith('known on base'):
            known.append(name)
        out.emit(stage, name, res, note, output_tail([Run(d) for d in patcheddirs], name)
                 if tail else ())
    # Stage b's tests that base has too: counted there, failed here only.
    cp, clisted, cretried = gather(counted)
    for name in clisted:
        if name in listed or name not in base:
            continue
        res, note, _ = verdict(name, base.get(name), cp.get(name), cretried, envskips)
        if res == 'fail':
            amend(out, counted_stage, name, '%s: %s' % (stage, note))
    for name, why in reasons('suite-skip', config).items() if suite_skips else ():
        out.emit(stage, name, 'skip', 'not run (config/suite-skip: %s)' % why)
    if known:
        print('# %s: known on base (fail on base and patched): %s' % (stage, ', '.join(known)))


def amend(out, stage, name, note):
    """Turn STAGE's line for NAME into a failure (it stays counted once)."""
    lines = read(out.path).splitlines(True) if out.path else []
    for i, line in enumerate(lines):
        f = line.rstrip('\n').split('\t')
        if f[0] == stage and f[1] == name:
            if f[2] != 'fail':
                lines[i] = '%s\t%s\tfail\t%s\n' % (stage, name, note)
                printer.fail(stage, name, note)
                with open(out.path, 'w') as o:
                    o.writelines(lines)
            return
    out.emit(stage, name, 'fail', note)


def figures(rundirs, config=CONFIG):
    """The "# # ..." lines (the test's own ksft_print_msg() output) of the
    tests config/figures lists, from every run directory that ran them."""
    wanted = reasons('figures', config)
    for d in rundirs:
        for name, lines in Run(d).output.items():
            if name.split()[0] in wanted:
                print('  %s, %s:' % (name, os.path.basename(d.rstrip('/'))))
                for f in lines:
                    if f.startswith('# # ') and 'Totals:' not in f:
                        print('    ' + f[4:])


def mttcg_counts(run):
    """(RUNS, PASSED, FAILED, NOT RUN, {FIRST ASSERTION LINE: COUNT}) of a
    run of one test repeated with different seeds."""
    kinds = {}
    passed = failed = 0
    for name in run.listed:
        res = run.tests.get(name)
        if not res:
            continue
        if res[0] == 'pass':
            passed += 1
            continue
        failed += 1
        lines = [wbparser.strip_guest(l).strip() for l in run.output.get(name, [])]
        first = res[0]
        if ASSERTION in lines:
            after = lines[lines.index(ASSERTION) + 1:]
            msg = [l for l in after[1:] if l and not l.startswith(('pid=', 'sh:', 'exit='))]
            first = (after[0] if after else '') + (' ' + msg[0] if msg else '')
        first = re.sub(r'0x[0-9a-f]+|(?<=page )\d+', 'N', first)
        kinds[first] = kinds.get(first, 0) + 1
    return len(run.listed), passed, failed, len(run.unrun()), kinds


def series_names(path):
    return {l.split()[0] for l in read_lines(path) if l.strip()} if path else set()


def main(argv):
    p = argparse.ArgumentParser(prog='results.py', description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('record')
    a.add_argument('stage')
    a.add_argument('rundir')
    a.add_argument('--retry')
    a.add_argument('--shape')
    a.add_argument('--series')
    a = sub.add_parser('retries')
    a.add_argument('rundir')
    a = sub.add_parser('reboot')
    a.add_argument('rundir')
    a = sub.add_parser('expect')
    for x in ('stage', 'rundir', 'kernel', 'test', 'result', 'regex'):
        a.add_argument(x)
    a.add_argument('--table')
    a.add_argument('--clean-log', action='store_true')
    a = sub.add_parser('known-bad-row')
    for x in ('file', 'kernel', 'test', 'expected', 'got', 'verdict'):
        a.add_argument(x)
    a = sub.add_parser('known-bad-table')
    a.add_argument('file')
    a = sub.add_parser('runs-table')
    a.add_argument('runs', nargs='*', help='LABEL=RUNDIR')
    a = sub.add_parser('base-needed')
    a.add_argument('basetests', help="the base selftests build's tests.txt")
    a.add_argument('patcheddirs', nargs='*')
    a = sub.add_parser('regressions')
    a.add_argument('basedir')
    a.add_argument('patcheddirs', nargs='*')
    a = sub.add_parser('compare')
    a.add_argument('stage')
    a.add_argument('basedir')
    a.add_argument('patcheddirs', nargs='*')
    a.add_argument('--counted', nargs='+', default=[], metavar=('STAGE', 'DIR'))
    a.add_argument('--no-suite-skip', action='store_true',
                   help="don't report config/suite-skip's tests (not a suite)")
    a = sub.add_parser('figures')
    a.add_argument('rundirs', nargs='*')
    a = sub.add_parser('mttcg-table')
    a.add_argument('basedir')
    a.add_argument('patcheddir')
    a = sub.add_parser('shape')
    a.add_argument('field', choices=('names', 'first', 'cpu', 'append'))
    a.add_argument('name', nargs='?')
    a = sub.add_parser('expect-rows')
    a.add_argument('stage')
    args = p.parse_args(argv)

    out = Results()
    if args.cmd == 'record':
        record(out, args.stage, Run(args.rundir), Run(args.retry) if args.retry else None,
               args.shape, series_names(args.series))
    elif args.cmd == 'retries':
        retries(args.rundir)
    elif args.cmd == 'reboot':
        reboot(args.rundir)
    elif args.cmd == 'expect':
        expect(out, args.stage, Run(args.rundir), args.kernel, args.test, args.result,
               args.regex, args.table, args.clean_log)
    elif args.cmd == 'known-bad-row':
        known_bad_row(args.file, args.kernel, args.test, args.expected, args.got, args.verdict)
    elif args.cmd == 'known-bad-table':
        printer.known_bad_table([l.split('\t') for l in read_lines(args.file)])
    elif args.cmd == 'runs-table':
        runs = [(label, Run(d)) for label, _, d in (a.partition('=') for a in args.runs)]
        printer.runs_table([(label, r) for label, r in runs if r.exists])
    elif args.cmd == 'base-needed':
        for name in base_needed(args.patcheddirs,
                                {l.strip() for l in read_lines(args.basetests) if l.strip()}):
            print(name)
    elif args.cmd == 'regressions':
        for name in regressions(args.basedir, args.patcheddirs):
            print(name)
    elif args.cmd == 'compare':
        c = args.counted
        compare(out, args.stage, args.basedir, args.patcheddirs, c[0] if c else None, c[1:],
                suite_skips=not args.no_suite_skip)
    elif args.cmd == 'figures':
        figures(args.rundirs)
    elif args.cmd == 'mttcg-table':
        printer.mttcg_table([(label, mttcg_counts(Run(d))) for label, d in
                             (('base', args.basedir), ('patched', args.patcheddir))])
    elif args.cmd == 'shape':
        rows = shapes()
        if args.field == 'names':
            print('\n'.join(r[0] for r in rows))
        elif args.field == 'first':
            # For shell callers, instead of "names | head -n1", whose head
            # may close the pipe before this prints (pipefail: a failure).
            print(rows[0][0])
        else:
            row = [r for r in rows if r[0] == args.name]
            if not row:
                fail('no shape %s in config/shapes' % args.name)
            print(row[0][1] if args.field == 'cpu' else row[0][2])
    elif args.cmd == 'expect-rows':
        # N<TAB>KERNEL<TAB>APPEND (- for none)<TAB>TEST<TAB>RESULT<TAB>REGEX
        for i, r in enumerate(table('expect', 6)):
            if r[0] == args.stage:
                print('\t'.join([str(i + 1)] + r[1:]))


if __name__ == '__main__':
    main(sys.argv[1:])
