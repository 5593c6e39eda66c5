#!/usr/bin/env python3
"""The tables of `make mutants` (scripts/mutants.sh): which mutant runs which
tests, and whether the tests killed it.

A mutant is mutants/NN-NAME.patch: a patch that applies with `patch -p1` or
`git apply` to build/linux's working tree, preceded by a header of
"Key: value" lines (a value may go on over indented lines):

  Breaks:        what the mutant breaks, and how (required)
  Killed-by:     a test that must fail with the mutant applied; one a line,
                 at least one.  Either a selftest invocation, "TEST [ARGS...]"
                 as in config/series-tests, or "kunit:SUITE" or
                 "kunit:SUITE.CASE" for the KUnit suites built into the kernel
  Guest-cpu:     the guest's -cpu (run-guest.sh -c), e.g. max,phys-bits=48
  Guest-append:  extra kernel command line, e.g. kvm_amd.npt=0
  Guest-machine: run-guest.sh's -M, a machine of wb/machines.py: tcg (the
                 default; SVM) or bochs (VMX with EPT: kvm_intel;
                 Guest-cpu doesn't apply)

The mutant is killed if one of its Killed-by tests fails, if the guest hangs
or crashes, or if the kernel log reports a WARNING (or BUG, lockdep, ...).
Each Killed-by test must pass without the mutant, on the same guest shape
(the baseline boot), or its failure would prove nothing.

  mutants.py plan MUTDIR OUTDIR [NAME...]
      check the mutants' headers, write OUTDIR/NAME.list (the selftests a
      mutant's boot runs) and OUTDIR/baseline-N.list (every selftest of the
      mutants of one guest shape), and print, tab-separated:
        group N CPU APPEND MACHINE   one line a guest shape
        mutant NAME PATCH N      one line a mutant, in file-name order
  mutants.py limits RUNDIR LIST
      "-t SECONDS -T SECONDS" for run-guest.sh: per-test and overall limits
      for the tests of LIST, from their times in the baseline run RUNDIR, so
      that a hung mutant guest is stopped soon
  mutants.py verdict OUTDIR PATCH RUNDIR BASEDIR BUILD_SECS BOOT_SECS
  mutants.py failed OUTDIR PATCH WHAT BUILD_SECS
      decide (or record that the mutant did not apply or build): appends a
      line to OUTDIR/table.tsv and prints the verdict
  mutants.py table OUTDIR WALL_SECS
      print the table and the total cost; exit 1 unless every mutant was
      killed
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from wb import config as wbconfig  # noqa: E402
from wb import machines as wbmachines  # noqa: E402
from wb import parser as wbparser  # noqa: E402

KEYS = ('Breaks', 'Killed-by', 'Guest-cpu', 'Guest-append', 'Guest-machine')
# A KUnit-only mutant still needs a selftest for the guest's /init to run:
# this one is quick and does not count as a killer.
PLACEHOLDER = 'vm_types_test'
BOOT_SECS = 30       # boot allowance of a mutant guest (overall limit)
MIN_TEST_SECS = 15   # per-test allowance on top of 3x the baseline time


def name_of(path):
    return re.sub(r'^\d+-', '', os.path.basename(path)[:-len('.patch')])


def parse(path):
    """The header of mutant PATH as {KEY: [VALUE...]}; dies on a bad one."""
    hdr, key = {}, None
    for line in open(path):
        if line.startswith(('diff ', '--- ')):
            break
        if not line.strip():
            key = None
            continue
        if line[0] in ' \t' and key:
            hdr[key][-1] += ' ' + line.strip()
            continue
        k, sep, v = line.partition(':')
        if not sep or k not in KEYS:
            sys.exit('%s: not a header line (keys: %s): %s' % (path, ', '.join(KEYS), line.rstrip()))
        key = k
        hdr.setdefault(k, []).append(' '.join(v.split()))
    else:
        sys.exit('%s: no patch after the header' % path)
    for k in ('Breaks', 'Killed-by'):
        if not hdr.get(k):
            sys.exit('%s: no %s: line' % (path, k))
    for k in ('Breaks', 'Guest-cpu', 'Guest-append', 'Guest-machine'):
        if len(hdr.get(k, [])) > 1:
            sys.exit('%s: more than one %s: line' % (path, k))
    machine = hdr.get('Guest-machine', ['tcg'])[0]
    try:
        wbmachines.resolve(machine, cpu=hdr.get('Guest-cpu', [None])[0])
    except wbmachines.Error as e:
        sys.exit('%s: Guest-machine, Guest-cpu: %s' % (path, e))
    return hdr


def killers(hdr):
    """(selftests, kunit): the Killed-by tests, selftests as "TEST ARGS"."""
    tests = [t for t in hdr['Killed-by'] if not t.startswith('kunit:')]
    kunit = [t[len('kunit:'):] for t in hdr['Killed-by'] if t.startswith('kunit:')]
    return tests, kunit


def mutants(mutdir, names):
    paths = sorted(os.path.join(mutdir, f) for f in os.listdir(mutdir)
                   if f.endswith('.patch'))
    if names:
        unknown = set(names) - {name_of(p) for p in paths}
        if unknown:
            sys.exit('no such mutant: %s' % ', '.join(sorted(unknown)))
        paths = [p for p in paths if name_of(p) in names]
    return paths


def plan(mutdir, outdir, names):
    groups, out = {}, []
    for path in mutants(mutdir, names):
        name, hdr = name_of(path), parse(path)
        tests, _ = killers(hdr)
        shape = (hdr.get('Guest-cpu', [''])[0], hdr.get('Guest-append', [''])[0],
                 hdr.get('Guest-machine', ['tcg'])[0])
        g = groups.setdefault(shape, (len(groups) + 1, []))
        for t in tests or [PLACEHOLDER]:
            if t not in g[1]:
                g[1].append(t)
        with open(os.path.join(outdir, name + '.list'), 'w') as f:
            f.write(''.join(t + '\n' for t in tests or [PLACEHOLDER]))
        out.append('mutant\t%s\t%s\t%d' % (name, path, g[0]))
    for (cpu, append, machine), (n, tests) in groups.items():
        with open(os.path.join(outdir, 'baseline-%d.list' % n), 'w') as f:
            f.write(''.join(t + '\n' for t in tests))
        print('group\t%d\t%s\t%s\t%s' % (n, cpu or '-', append or '-', machine))
    print('\n'.join(out))


def run_of(rundir):
    """RUNDIR's run.json (wb/parser.py), or an empty run if there is none."""
    return wbparser.load(rundir) or {'tests': [], 'reports': [], 'kunit': {}, 'done': False,
                                     'stopped': None}


def selftests(rundir):
    """{TEST ARGS: pass|skip|fail|timeout} of a guest run."""
    return {t['name']: t['result'] for t in run_of(rundir)['tests']}


def kunit(rundir):
    """{SUITE: ok, SUITE.CASE: ok} from the KTAP a guest printed at boot
    (ok is True, or False for "not ok", or a suite that never ended; a
    skip is not a failure)."""
    k = run_of(rundir)['kunit']
    return {name: res in ('ok', 'skip')
            for name, res in list(k.get('suites', {}).items()) + list(k.get('cases', {}).items())}


def guest_state(rundir):
    """(finished, first kernel log report or '')"""
    run = run_of(rundir)
    rep = ['%s: %s' % (r['who'], r['line']) for r in run['reports']]
    return run['done'], rep[0] if rep else ''


def why_stopped(rundir):
    run = wbparser.load(rundir)
    if run is None:
        return 'no run.json'
    return run['stopped'] or 'no WB-GUEST-DONE on the console'


def limits(rundir, listfile):
    base = {t['name']: float(t['secs'] or 0) for t in run_of(rundir)['tests']}
    per = [int(3 * base.get(t, 60)) + MIN_TEST_SECS for t in wbconfig.entries(listfile)]
    print('-t %d -T %d' % (max(per), BOOT_SECS + sum(per)))


def record(outdir, row):
    with open(os.path.join(outdir, 'table.tsv'), 'a') as f:
        f.write('\t'.join(str(x) for x in row) + '\n')
    print('==> mutant %s: %s%s%s' % (row[0], row[1], ', by ' + row[2] if row[2] else '',
                                      ' (%s)' % row[5] if row[5] else ''), file=sys.stderr)


def verdict(outdir, path, rundir, basedir, build_secs, boot_secs):
    name = name_of(path)
    tests, kunits = killers(parse(path))
    got, gotk = selftests(rundir), kunit(rundir)
    base, basek = selftests(basedir), kunit(basedir)
    bdone, brep = guest_state(basedir)
    done, rep = guest_state(rundir)
    unusable, killed = [], []
    if not bdone or brep:
        unusable.append('the baseline guest %s' % ('reported: ' + brep if bdone else
                                                    'did not finish: ' + why_stopped(basedir)))
    for t in tests:
        if base.get(t) != 'pass':
            unusable.append('%s is %s without the mutant' % (t, base.get(t, 'not run')))
        elif got.get(t) in ('fail', 'timeout'):
            killed.append(t + ('' if got[t] == 'fail' else ' (timeout)'))
    for k in kunits:
        if not basek.get(k):
            unusable.append('kunit:%s %s without the mutant' %
                            (k, 'fails' if k in basek else 'is not run'))
        elif gotk.get(k) is False:
            killed.append('kunit:' + k)
    if not unusable:
        if not done:
            killed.append('hang/crash (%s)' % why_stopped(rundir))
        if rep:
            killed.append('kernel report (%s)' % rep.split(': ', 1)[-1][:60])
    if unusable:
        v, note = 'UNPROVEN', '; '.join(unusable)
    elif killed:
        v, note = 'killed', ''
    else:
        v = 'SURVIVED'
        note = '; '.join('%s: %s' % (t, got.get(t, 'not run')) for t in tests) + \
            ''.join('; kunit:%s: %s' % (k, {True: 'ok', False: 'not ok'}.get(gotk.get(k), 'not run'))
                    for k in kunits)
    record(outdir, (name, v, ', '.join(killed), build_secs, boot_secs, note))


def failed(outdir, path, what, build_secs):
    name = name_of(path)
    record(outdir, (name, what.upper(), '', build_secs, 0, 'see %s/%s.log' % (outdir, name)))


def fmt(secs):
    secs = int(float(secs))
    return '%dm%02ds' % (secs // 60, secs % 60)


def table(outdir, wall):
    rows = [l.rstrip('\n').split('\t') for l in open(os.path.join(outdir, 'table.tsv'))]
    head = ('mutant', 'verdict', 'build', 'boot', 'killed by')
    body = [(r[0], r[1], fmt(r[3]), fmt(r[4]), r[2] or '-') for r in rows]
    w = [max(len(x[i]) for x in [head] + body) for i in range(4)]
    for x in [head] + body:
        print('  ' + '  '.join([c.ljust(w[i]) if i < 2 else c.rjust(w[i])
                                for i, c in enumerate(x[:4])] + [x[4]]))
    for r in rows:
        if r[5]:
            print('  %s: %s' % (r[0], r[5]))
    build = sum(float(r[3]) for r in rows)
    boot = sum(float(r[4]) for r in rows)
    extra = os.path.join(outdir, 'baseline.secs')
    b = [float(x) for x in open(extra).read().split()] if os.path.exists(extra) else [0, 0]
    print('  cost: mutants %s building, %s booting; baseline %s building, %s booting; '
          'total %s' % (fmt(build), fmt(boot), fmt(b[0]), fmt(b[1]), fmt(wall)))
    bad = [r[0] for r in rows if r[1] != 'killed']
    print('  %d mutants, %d killed%s' % (len(rows), len(rows) - len(bad),
                                         ', not killed: ' + ', '.join(bad) if bad else ''))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ('', [])
    if cmd == 'plan' and len(args) >= 2:
        plan(args[0], args[1], args[2:])
    elif cmd == 'limits' and len(args) == 2:
        limits(*args)
    elif cmd == 'verdict' and len(args) == 6:
        verdict(*args)
    elif cmd == 'failed' and len(args) == 4:
        failed(*args)
    elif cmd == 'table' and len(args) == 2:
        table(*args)
    else:
        sys.exit(__doc__)
