#!/usr/bin/env python3
"""make check's stages: static gates, targeted runs and the whole KVM
selftest suite, base against patched (`python3 wb check`).

Prints each stage's duration; the last line is always "N passed, N failed,
N skipped" (wb/printer.py), whatever happened; exits non-zero on any
failure.  Settings, from the environment:
  SUITE_TIMEOUT  per-test timeout in the guest (seconds, default 180)
  SUITE_JOBS     guests run at once (default 2)
  SUITE_NPT0     mmu (default: config/mmu-tests with npt=0) or full
  CHECK_SKIP     stages to leave out, e.g. "suite" (for quick iterations;
                 a skipped stage is reported; leaving out "build" stops
                 after the static gates; "callback" leaves out building
                 the callback kernel, "unit" the unit tests)
  CHECK_ONLY     the stages to run, e.g. "tree build vmx" (make vmx); the
                 others are reported as skipped; the guest stages need
                 "build"

A stage is a method of Check; a guest run is a GuestRun (data: kernel,
test list, machine, shape, kernel command line), booted by
scripts/run-guest.sh, parsed once into its run.json (wb/parser.py) and
recorded as results by wb/results.py.  The results go to
build/check/results.tsv, one line per test.
"""
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)
from wb import config as wbconfig  # noqa: E402
from wb import parser as wbparser  # noqa: E402
from wb import printer  # noqa: E402
from wb import results  # noqa: E402

SCRIPTS = os.path.join(TOP, 'scripts')
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Abort(Exception):
    """Stop make check here (its summary still prints)."""


class Stopped(BaseException):
    """make check got a signal: no stage goes on, no new script starts."""

    def __init__(self, sig):
        super().__init__('signal %d' % sig)
        self.sig = sig


def base_version():
    """lib.sh's BASE_VERSION, the version the workbench fetches."""
    with open(os.path.join(SCRIPTS, 'lib.sh')) as f:
        m = re.search(r'^BASE_VERSION=(\S+)$', f.read(), re.M)
    return m.group(1)


def selected(name, skip, only):
    """The stage rule: a stage NAME is left out if CHECK_SKIP names it or
    the part of its name before a "-" (sparse-W1: "sparse"), or if
    CHECK_ONLY is set and names neither."""
    names = {name, name.split('-')[0]}
    if names & set(skip):
        return False
    return not only or bool(names & set(only))


def stage_failed(rows, stage):
    """Whether a result of STAGE or of its sub-stages (STAGE/...) failed."""
    return any(r[2] == 'fail' and (r[0] == stage or r[0].startswith(stage + '/'))
               for r in rows)


def script_argv(argv):
    """ARGV with a script of scripts/ named by its file name (NAME.sh) as
    its path; any other command as it is."""
    if '/' not in argv[0] and argv[0].endswith('.sh'):
        return [os.path.join(SCRIPTS, argv[0])] + list(argv[1:])
    return list(argv)


class GuestRun:
    """One guest boot: KERNEL (a bzImage) runs the tests of the list file
    TESTS on MACHINE (wb/machines.py), with the kernel command line APPEND
    and the guest CPU of a config/shapes SHAPE (None: the machine's), whose
    expected skips then apply when it's recorded."""

    def __init__(self, name, kernel, tests, shape=None, machine='tcg', cpu=None, append=''):
        self.name, self.kernel, self.tests = name, kernel, tests
        self.shape, self.machine, self.cpu, self.append = shape, machine, cpu, append

    def argv(self, bindir, timeout, name=None, tests=None, retry_of=None):
        """run-guest.sh's command line; NAME and TESTS: boot it as another
        run with another list (a retry, RETRY_OF naming the run)."""
        a = [os.path.join(SCRIPTS, 'run-guest.sh'), '-k', self.kernel, '-b', bindir,
             '-l', tests or self.tests, '-n', name or self.name, '-t', str(timeout),
             '-M', self.machine, '-a', self.append]
        if self.cpu:
            a += ['-c', self.cpu]
        if retry_of:
            a += ['-r', retry_of]
        return a


class Check:
    def __init__(self, env=None):
        env = os.environ if env is None else env
        self.build = env.get('BUILD') or os.path.join(TOP, 'build')
        self.linux = os.path.join(self.build, 'linux')
        # As the shell's ${VAR:-default}: set but empty is the default.
        self.timeout = env.get('SUITE_TIMEOUT') or '180'
        jobs = env.get('SUITE_JOBS') or '2'
        if not re.fullmatch(r'[1-9][0-9]*', jobs):
            sys.exit('error: SUITE_JOBS=%s: a number of guests, 1 or more' % jobs)
        self.jobs = int(jobs)
        self.npt0 = env.get('SUITE_NPT0', 'mmu')
        self.skip = env.get('CHECK_SKIP', '').split()
        self.only = env.get('CHECK_ONLY', '').split()
        self.out = os.path.join(self.build, 'check')
        self.results_path = os.path.join(self.out, 'results.tsv')
        self.runs_path = os.path.join(self.out, 'runs')
        self.durations = os.path.join(self.out, 'durations')
        self.res = results.Results(self.results_path)
        self.running = None
        self.failed = False
        self.procs = set()
        self.debug_build = None
        self.stopped = None
        self.version = base_version()
        self.pk = self.pb = self.bk = self.series = None

    # --- plumbing ------------------------------------------------------------
    def path(self, *names):
        return os.path.join(self.out, *names)

    def rundir(self, name):
        return os.path.join(self.build, 'results', name)

    def result(self, stage, name, res, note=''):
        self.res.emit(stage, name, res, note)

    def rows(self):
        return printer.read_results(self.results_path)

    def sh(self, argv, stdout=None, stderr=None, env=None):
        """Run ARGV (script_argv()); its output
        goes to ours unless STDOUT/STDERR name files.  Returns its exit
        status."""
        argv = script_argv(argv)
        if self.stopped:
            raise self.stopped
        sys.stdout.flush()
        sys.stderr.flush()
        files = [open(f, 'w') if f and f != '&1' else None for f in (stdout, stderr)]
        try:
            p = subprocess.Popen(argv, cwd=TOP, stdout=files[0],
                                 stderr=subprocess.STDOUT if stderr == '&1' else files[1],
                                 env=dict(os.environ, **(env or {})))
            self.procs.add(p)
            try:
                rc = p.wait()
            except BaseException:
                p.terminate()
                p.wait()
                raise
            finally:
                self.procs.discard(p)
            if self.stopped:
                raise self.stopped
            return rc
        finally:
            for f in files:
                if f:
                    f.close()

    def output(self, argv):
        """ARGV's standard output, as lines; a failure stops the stage."""
        argv = script_argv(argv)
        if self.stopped:
            raise self.stopped
        sys.stdout.flush()
        r = subprocess.run(argv, cwd=TOP, stdout=subprocess.PIPE, text=True)
        if r.returncode:
            raise RuntimeError('%s failed (exit %d)' % (' '.join(argv), r.returncode))
        return r.stdout.splitlines()

    def write_list(self, name, lines):
        """Write LINES to build/check/NAME (or the path NAME); returns the path."""
        path = self.path(name)
        with open(path, 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
        return path

    def cat(self, path):
        if os.path.exists(path):
            with open(path, errors='replace') as f:
                sys.stdout.write(f.read())
            sys.stdout.flush()

    def log(self, msg):
        sys.stdout.flush()
        print('==> ' + msg, file=sys.stderr, flush=True)

    def stage(self, name, fn, *args):
        """Run the stage NAME (FN(*ARGS), which returns False or raises on
        failure), time it, and record a failure that it didn't explain.
        Returns whether it passed (True if it was left out)."""
        if not selected(name, self.skip, self.only):
            self.result(name, 'stage', 'skip', 'CHECK_SKIP/CHECK_ONLY')
            return True
        print('==== stage ' + name, flush=True)
        start, before = time.time(), sum(r[2] == 'fail' for r in self.rows())
        self.running = name
        why = 'failed'
        try:
            ok = fn(*args) is not False
        except (Abort, Stopped, KeyboardInterrupt):
            raise
        except (Exception, SystemExit) as e:
            # results.py's fail() exits: that fails this stage, not make check.
            traceback.print_exc()
            ok, why = False, 'error: %s' % e
        self.running = None
        if not ok and sum(r[2] == 'fail' for r in self.rows()) == before:
            self.result(name, 'stage', 'fail', why)
        self.failed |= not ok
        line = '  %-28s %s%s\n' % (name, printer.fmt_secs(int(time.time() - start)),
                                   '' if ok else '  FAILED')
        sys.stdout.write(line)
        sys.stdout.flush()
        with open(self.durations, 'a') as f:
            f.write(line)
        return ok

    def script_stage(self, stage, desc, argv):
        """A stage that is one script: a pass if it exits 0."""
        ok = self.sh(argv) == 0
        if desc:
            self.result(stage, desc, 'pass' if ok else 'fail', '' if ok else 'see above')
        return ok

    # --- guest runs ----------------------------------------------------------
    def boot(self, run, name=None, tests=None, retry_of=None):
        """Boot RUN (as NAME, with TESTS); its output goes to
        build/check/NAME.out, its results to a fresh build/results/NAME."""
        name = name or run.name
        subprocess.run(['rm', '-rf', self.rundir(name)], check=True)
        with open(self.runs_path, 'a') as f:
            f.write(name + '\n')
        return self.sh(run.argv(self.pb, self.timeout, name, tests, retry_of),
                       stdout=self.path(name + '.out'), stderr='&1')

    def in_parallel(self, fn, args):
        """FN(ARG) for each of ARGS, SUITE_JOBS at once; their results.  On
        a signal or an error, the calls not yet started never start."""
        pool = concurrent.futures.ThreadPoolExecutor(self.jobs)
        try:
            futures = [pool.submit(fn, a) for a in args]
            return [f.result() for f in futures]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)

    def boot_all(self, runs):
        """Boot RUNS, SUITE_JOBS at once."""
        self.in_parallel(self.boot, runs)

    def runs_table(self, runs):
        """What each of RUNS, [(LABEL, GuestRun)], cost, its shape and counts."""
        printer.runs_table([(label, rr) for label, rr in
                            ((label, results.Run(self.rundir(r.name))) for label, r in runs)
                            if rr.exists])

    def shape_run(self, name, kernel, tests, shape, machine='tcg'):
        _, cpu, append = next(r for r in results.shapes() if r[0] == shape)
        return GuestRun(name, kernel, tests, shape, machine, cpu, append)

    def retry_once(self, run):
        """Boot RUN's failed tests that config/retry-once lists once more,
        as RUN-retry, if their failure is the QEMU signature (results.py
        retries says which and why)."""
        name = run.name + '-retry'
        subprocess.run(['rm', '-rf', self.rundir(name)], check=True)
        tests = self.path(name + '.list')
        if self.sh([os.path.join(TOP, 'wb', 'results.py'), 'retries', self.rundir(run.name)],
                   stdout=tests):
            raise RuntimeError('results.py retries failed')
        with open(tests) as f:
            names = [line.strip() for line in f if line.strip()]
        if names:
            self.log('%s: retrying once (config/retry-once): %s' % (run.name, ','.join(names)))
            self.boot(run, name, tests, retry_of=run.name)
            self.cat(self.path(name + '.out'))

    def reboot_once(self, stage, run):
        """Boot RUN once more if its kernel log has a report at boot that
        isn't the series' (results.py reboot says whether and why): the
        first boot is kept in RUN-first, and the result is flaky."""
        first = self.rundir(run.name + '-first')
        subprocess.run(['rm', '-rf', first], check=True)
        r = subprocess.run([sys.executable, '-B', os.path.join(TOP, 'wb', 'results.py'),
                            'reboot', self.rundir(run.name)], stdout=subprocess.PIPE, text=True)
        if r.returncode:
            return
        why = r.stdout.strip()
        os.rename(self.rundir(run.name), first)
        self.log('%s: booting once more: %s' % (run.name, why))
        self.boot(run)
        self.cat(self.path(run.name + '.out'))
        self.result(stage, '%s: kernel log at first boot' % run.name, 'pass',
                    'FLAKY: %s; booted once more (build/results/%s-first)' % (why, run.name))

    def record(self, stage, runs, series):
        """Print each run's output, retry and record it as STAGE/LABEL
        (LABEL: its name without "STAGE-"), with the skip rules of its
        shape."""
        for run in runs:
            if not os.path.exists(self.path(run.name + '.out')):
                continue
            self.cat(self.path(run.name + '.out'))
            self.reboot_once(stage, run)
            self.retry_once(run)
            label = run.name[len(stage) + 1:] if run.name.startswith(stage + '-') else run.name
            results.record(self.res, '%s/%s' % (stage, label), results.Run(self.rundir(run.name)),
                           results.Run(self.rundir(run.name + '-retry')), run.shape,
                           results.series_names(series))

    # --- config/expect -------------------------------------------------------
    def expect_rows(self, stage):
        """config/expect's rows for STAGE: (N, KERNEL, APPEND, TEST, RESULT, REGEX)."""
        return [[str(i + 1)] + r[1:] for i, r in enumerate(results.table('expect', 6))
                if r[0] == stage]

    def expect_runs(self, stage, machine='tcg'):
        """A guest run for each of config/expect's rows for STAGE."""
        runs = []
        for n, kernel, append, test, _, _ in self.expect_rows(stage):
            tests = self.write_list('expect-%s-%s.list' % (stage, n), [test])
            k = {'base': self.bk, 'patched': self.pk}.get(kernel)
            if kernel == 'fix':
                k = self.fix_kernel()
                if not k:
                    self.result(stage, 'build of the fix kernel (patch 1 alone)', 'fail',
                                'log: build/check/fix-build.log')
                    continue
            elif not k:
                raise RuntimeError('config/expect: kernel %s' % kernel)
            runs.append(GuestRun('expect-%s-%s' % (stage, n), k, tests, None, machine,
                                 None, '' if append == '-' else append))
        return runs

    def fix_kernel(self):
        """The first patch of the series alone on the base (a fix for
        stable), built incrementally from make build's objects; its
        bzImage, or None."""
        first = self.output(['git', '-C', self.linux, 'rev-list', '--reverse', 'base..HEAD'])[0]
        log = self.path('fix-build.log')
        obj = self.path('fix-obj')
        if self.sh(['derive-tree.sh', first, os.path.join(self.build, 'fix-src')],
                   stdout=obj, stderr=log):
            return None
        with open(obj) as f:
            obj = f.read().strip()
        with open(log, 'a') as f:
            sys.stdout.flush()
            rc = subprocess.call([os.path.join(SCRIPTS, 'build-kernel.sh'),
                                  os.path.join(self.build, 'fix-src'), obj, 'test', 'bzImage'],
                                 cwd=TOP, stdout=f, stderr=f)
        return None if rc else os.path.join(obj, 'arch/x86/boot/bzImage')

    def expect_record(self, stage, runs):
        rows = {'expect-%s-%s' % (stage, r[0]): r for r in self.expect_rows(stage)}
        for run in runs:
            _, kernel, append, test, want, regex = rows[run.name]
            self.cat(self.path(run.name + '.out'))
            label, clean, table = kernel, True, None
            if kernel == 'base':
                label, clean, table = 'base ' + self.version, False, self.path('known-bad.tsv')
            elif kernel == 'fix':
                label, table = '%s + patch 1' % self.version, self.path('known-bad.tsv')
            if append != '-':
                label += ', ' + append
            results.expect(self.res, stage + '/expect', results.Run(self.rundir(run.name)),
                           label, test, want, regex, table, clean)

    # --- the stages ----------------------------------------------------------
    def unit(self):
        r = subprocess.run([sys.executable, '-B', os.path.join(TOP, 'wb'), 'unit'], cwd=TOP,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print('\n'.join(r.stdout.splitlines()[-60:]), flush=True)
        desc = 'scripts/*_test.py wb/test/*_test.py'
        self.result('unit', desc, 'fail' if r.returncode else 'pass',
                    'see above' if r.returncode else '')
        return r.returncode == 0

    def builds(self):
        # Patched first: the base kernel is then built incrementally from
        # its objects (prepare.sh, derive-tree.sh).  Every guest runs the
        # patched selftests, on base too: only the kernel differs.
        self.pk, self.pb = self.output(['prepare.sh', 'patched'])[-1].split()[:2]
        self.bk = self.output(['prepare.sh', 'base', '--kernel'])[-1].split()[0]
        self.result('build', 'base and patched kernels and selftests', 'pass')

    def classification(self):
        """No indirect call or vendor code decides private vs. shared on the
        patched fault path (wb/classify.py on vmlinux)."""
        vmlinux = vmlinux_of(self.pk)
        desc = 'no indirect or vendor call classifies a fault'
        txt = self.path('classification.txt')
        if self.sh(['check-classification.sh', vmlinux], stdout=txt,
                   stderr='&1'):
            self.cat(txt)
            self.result('classification', desc, 'fail')
            return False
        self.result('classification', desc, 'pass')

    def classification_bad(self, stage, label, vmlinux, reason):
        """The classification check must fail on a known-bad VMLINUX, for
        REASON; recorded as STAGE and as a row of the known-bad table."""
        txt = self.path('classification-%s.txt' % label.split()[0])
        rc = self.sh(['check-classification.sh', vmlinux], stdout=txt, stderr='&1')
        with open(txt, errors='replace') as f:
            lines = f.read().splitlines()
        why = next((l[len('  FAIL: '):] for l in lines
                    if l.startswith('  FAIL: ') and re.search(reason, l)), '')
        desc, table = 'check-classification.sh on ' + label, self.path('known-bad.tsv')
        if rc == 1 and why:
            self.result(stage, desc, 'pass', 'FAIL as expected: ' + why)
            results.known_bad_row(table, label, 'check-classification.sh', 'FAIL',
                                  'FAIL: ' + why, 'caught')
            return
        self.cat(txt)
        why = ('known-bad kernel not caught: the check passed' if rc == 0 else
               'it failed, but not for: ' + reason if rc == 1 else
               'the check could not run (exit %d)' % rc)
        self.result(stage, desc, 'fail', why)
        results.known_bad_row(table, label, 'check-classification.sh', 'FAIL',
                              lines[-1] if lines else '', 'NOT CAUGHT')

    def known_bad_table(self):
        printer.known_bad_table([l.split('\t') for l in results.read_lines(self.path('known-bad.tsv'))])

    def known_bad(self):
        runs = self.expect_runs('known-bad')
        self.log('known-bad: %d guest runs on known-bad kernels (config/expect), the '
                 'classification check on base' % len(runs))
        self.classification_bad('known-bad', 'base ' + self.version,
                                vmlinux_of(self.bk),
                                'vendor code sets PFERR_PRIVATE_ACCESS')
        start = time.time()
        self.boot_all(runs)
        self.expect_record('known-bad', runs)
        print('  %-28s %s' % ('known-bad guests', printer.fmt_secs(int(time.time() - start))))
        self.known_bad_table()
        return not stage_failed(self.rows(), 'known-bad')

    def split_single(self, name, tests):
        """TESTS as two list files: NAME.list without config/tcg-single's
        tests, NAME.list.single with them (they boot under single-threaded
        TCG, machine tcg-single)."""
        single = set(wbconfig.names('tcg-single'))
        return (self.write_list(name + '.list', [t for t in tests if not wbconfig.listed(t, single)]),
                self.write_list(name + '.list.single', [t for t in tests if wbconfig.listed(t, single)]))

    def targeted(self):
        """The targeted tests (config/tcg-single's aside) once per guest shape
        (config/shapes), npt=1; config/tcg-single's on the first shape under
        single-threaded TCG; with npt=0, where KVM offers no
        software-protected VM and every series test skips, only
        config/expect's check of that."""
        tests = self.output(['test-lists.sh', 'targeted'])
        for t in tests:
            if not os.path.exists(os.path.join(self.pb, t.split()[0])):
                self.result('targeted', t, 'fail',
                            'not built: is it in tools/testing/selftests/kvm/Makefile.kvm?')
                return False
        multi, single = self.split_single('targeted', tests)
        shapes = [s[0] for s in results.shapes()]
        runs = [self.shape_run('targeted-' + s, self.pk, multi, s) for s in shapes]
        nsingle = len(results.read_lines(single))
        if nsingle:
            runs.append(self.shape_run('targeted-single', self.pk, single, shapes[0], 'tcg-single'))
        expect = self.expect_runs('targeted')
        self.log('targeted: %d tests on %d guest shapes (%s), npt=1; %d more on %s under '
                 'single-threaded TCG (config/tcg-single); config/expect\'s npt=0 check'
                 % (len(tests) - nsingle, len(shapes), ' '.join(shapes), nsingle, shapes[0]))
        self.boot_all(runs + expect)
        self.record('targeted', runs, self.series)
        self.expect_record('targeted', expect)
        self.runs_table([(r.name[len('targeted-'):], r) for r in runs] +
                        [(r.name.replace('expect-targeted-', 'expect-'), r) for r in expect])
        print('==== figures (config/figures)', flush=True)
        results.figures([self.rundir(r.name) for r in runs])
        return not stage_failed(self.rows(), 'targeted')

    def vmx(self):
        """config/vmx-tests on the patched kernel under Bochs (kvm_intel),
        with EPT A/D bits (vmx-ept) and without (vmx-eptad0: the fast path
        takes not-present faults), each a shape of config/expected-skips;
        the base's tests of the list on the base kernel, which the patched
        kernel must pass wherever base does; and config/expect's vmx row
        (kvm_intel.ept=0: no software-protected VMs)."""
        tests = wbconfig.entries('vmx-tests')
        for t in tests:
            if not os.path.exists(os.path.join(self.pb, t.split()[0])):
                self.result('vmx', t, 'fail', 'not built')
                return False
        listed = self.write_list('vmx.list', tests)
        # The base's tests: not the series' own (which need its uAPI).
        series = set(wbconfig.names(self.series))
        base_list = self.write_list('vmx-base.list', [t for t in tests
                                                      if not wbconfig.listed(t, series)])
        runs = [GuestRun('vmx-ept', self.pk, listed, 'bochs-ept', 'bochs'),
                GuestRun('vmx-eptad0', self.pk, listed, 'bochs-eptad0', 'bochs',
                         append='kvm_intel.eptad=0')]
        base = GuestRun('vmx-base', self.bk, base_list, None, 'bochs')
        expect = self.expect_runs('vmx', 'bochs')
        self.log('vmx: %d tests on the patched kernel under Bochs (kvm_intel, EPT with and '
                 'without A/D bits), %d on base; config/expect\'s ept=0 check'
                 % (len(tests), len(results.read_lines(base_list))))
        self.boot_all(runs + [base] + expect)
        self.record('vmx', runs, self.series)
        self.expect_record('vmx', expect)
        self.cat(self.path('vmx-base.out'))
        # Without a finished base run there is nothing to compare with.
        b = wbparser.load(self.rundir('vmx-base'))
        if not b or not b['done']:
            self.result('vmx/base', 'base guest', 'fail',
                        'the base guest did not finish: see build/results/vmx-base')
        else:
            for r in runs:
                results.compare(self.res, 'vmx/base', self.rundir('vmx-base'), [],
                                'vmx/' + r.name[len('vmx-'):],
                                (self.rundir(r.name), self.rundir(r.name + '-retry')),
                                suite_skips=False)
        self.runs_table([(r.name[len('vmx-'):], r) for r in runs + [base]])
        for r in runs + [base]:
            print(bochs_speed(r.name, self.rundir(r.name)) or '', end='', flush=True)
        return not stage_failed(self.rows(), 'vmx')

    DEBUG_OBJ = ('obj', 'patched-debug')	# lib.sh's patched_obj debug

    def start_debug_build(self):
        """Build the debug kernel in the background, at nice 19, from now
        until the debug stage needs it: make check leaves about an eighth
        of the two CPUs idle (single-threaded steps, I/O, guests waiting),
        which the build takes, and it takes next to nothing from the
        stages (CFS gives a nice-19 task 1.5% of a CPU that a nice-0 one
        wants)."""
        obj = os.path.join(self.build, *self.DEBUG_OBJ)
        log = open(self.path('debug-build.log'), 'w')
        p = subprocess.Popen(['nice', '-n', '19'] +
                             script_argv(['build-kernel.sh', self.linux, obj, 'debug', 'bzImage']),
                             cwd=TOP, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             # A process group of its own (to stop it), in
                             # make check's session: a new session would be
                             # an autogroup of its own, which the scheduler
                             # would treat as an equal of make check's,
                             # whatever its nice value.
                             preexec_fn=os.setpgrp)
        self.debug_build = (p, log, time.time())

    def stop_debug_build(self, wait=True):
        """Stop a background debug kernel build that is still running, and
        (WAIT) reap it.  The signal handler must not wait: the main thread
        may be in p.wait(), which holds the lock that p.poll() and p.wait()
        take."""
        if not self.debug_build:
            return
        p, log, _ = self.debug_build
        if p.returncode is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if wait:
            self.debug_build = None
            p.wait()
            log.close()

    def debug_kernel(self):
        """The debug kernel's build: the background one, or one now.
        Returns its exit status."""
        obj = os.path.join(self.build, *self.DEBUG_OBJ)
        if not self.debug_build:
            return self.sh(['build-kernel.sh', self.linux, obj, 'debug', 'bzImage'],
                           stdout=self.path('debug-build.log'), stderr='&1')
        p, log, start = self.debug_build
        if p.poll() is None:
            self.log('debug: waiting for the debug kernel, building in the background for %s'
                     % printer.fmt_secs(int(time.time() - start)))
        try:
            rc = p.wait()
        finally:
            self.debug_build = None
            log.close()
        self.log('debug: the debug kernel built in the background in %s'
                 % printer.fmt_secs(int(time.time() - start)))
        if self.stopped:
            raise self.stopped
        return rc

    def debug(self):
        """The targeted tests on a debug kernel (config/debug.fragment:
        lockdep, DEBUG_VM, ...), npt=1, the first shape only."""
        obj = os.path.join(self.build, *self.DEBUG_OBJ)
        log = self.path('debug-build.log')
        if self.debug_kernel():
            print('\n'.join(results.read_lines(log)[-30:]))
            self.result('debug', 'debug kernel build', 'fail', 'log: build/check/debug-build.log')
            return False
        # Not the benchmark, and not set_memory_region_test, a base test
        # that doesn't use private memory and takes half a minute even
        # without debug options (stages b and c run it); the hostile test
        # with a fifth of its default calls.
        tests = [('x86/private_mem_hostile_test -n 20000'
                  if t == 'x86/private_mem_hostile_test' else t)
                 for t in self.output(['test-lists.sh', 'targeted'])
                 if not t.startswith(('x86/private_fault_perf_test', 'set_memory_region_test'))]
        multi, single = self.split_single('debug', tests)
        first = results.shapes()[0][0]
        kernel = os.path.join(obj, 'arch/x86/boot/bzImage')
        runs = [self.shape_run('debug-' + first, kernel, multi, first)]
        nsingle = len(results.read_lines(single))
        if nsingle:
            runs.append(self.shape_run('debug-single', kernel, single, first, 'tcg-single'))
        self.log('debug: %d tests on the debug kernel; %d more under single-threaded TCG '
                 '(config/tcg-single)' % (len(tests) - nsingle, nsingle))
        self.boot_all(runs)
        self.record('debug', runs, self.series)
        print('==== figures (config/figures)', flush=True)
        results.figures([self.rundir(r.name) for r in runs])
        return not stage_failed(self.rows(), 'debug')

    def callback(self):
        """The classification check on make bench's callback kernel
        (build/linux plus a static call into vendor code, bench/): built by
        the mutants stage (MUTANTS_CALLBACK), else here."""
        vmlinux = self.path('callback-vmlinux')
        if not os.path.exists(vmlinux):
            log = self.path('callback-build.log')
            obj = self.path('callback-obj')
            if self.sh(['build-callback.sh'], stdout=obj, stderr=log):
                print('\n'.join(results.read_lines(log)[-30:]))
                self.result('callback', 'callback kernel build', 'fail',
                            'log: build/check/callback-build.log')
                return False
            with open(obj) as f:
                vmlinux = os.path.join(f.read().strip(), 'vmlinux')
        self.classification_bad('callback', 'callback (bench/)', vmlinux,
                                'static call of a vendor op')
        self.known_bad_table()
        return not stage_failed(self.rows(), 'callback')

    def suite_half(self, half, base_tests):
        """One half of the suite (npt1 or npt0): patched, then the base on
        the tests whose verdict depends on it (cached, base-suite.sh)."""
        append = '' if half == 'npt1' else 'kvm_amd.npt=0'
        run = GuestRun('patched-suite-' + half, self.pk, self.path('suite-patched-%s.list' % half),
                       None, 'tcg', None, append)
        self.boot(run)
        needed = self.path('suite-base-%s.list' % half)
        if self.write_list(needed, results.base_needed([self.rundir(run.name)], base_tests)) \
                and results.read_lines(needed):
            self.sh(['base-suite.sh', half, needed, self.pb],
                    stdout=self.path('suite-base-%s.dir' % half),
                    stderr=self.path('base-suite-%s.out' % half))
        else:
            self.write_list('suite-base-%s.dir' % half, ['none'])
        return run

    def suite(self):
        """The whole suite, base against patched.  npt=1: every test but the
        targeted ones, which stage b ran (on the first shape, compared with
        base here but counted there).  npt=0: config/mmu-tests
        (SUITE_NPT0=full: every test but the series' own, which all skip
        there).  Patched runs first; the base then runs only the tests
        whose verdict depends on it (results.py base-needed), and its
        results are cached under $CACHE (scripts/base-suite.sh)."""
        bt = os.path.join(os.path.dirname(self.pb), 'tests.txt')
        pt = bt
        skip = set(wbconfig.names('suite-skip'))
        # config/suite-args: a test's invocation instead of its bare name.
        invocation = {wbconfig.name_of(e): e for e in wbconfig.entries('suite-args')}
        lists = {'npt1': ['rest', pt],
                 'npt0': ['noseries', pt] if self.npt0 == 'full' else ['mmu', pt]}
        for half, args in lists.items():
            self.write_list('suite-patched-%s.list' % half,
                            [invocation.get(t, t) for t in self.output(['test-lists.sh'] + args)
                             if not wbconfig.listed(t, skip)])
        n = {h: len(results.read_lines(self.path('suite-patched-%s.list' % h))) for h in lists}
        self.log('suite: npt=1 %d tests, npt=0 %d tests on patched; on base, those that do '
                 'not pass cleanly on patched (cached under $CACHE/results)' % (n['npt1'], n['npt0']))
        for h in lists:
            for f in ('suite-base-%s.dir' % h,):
                if os.path.exists(self.path(f)):
                    os.remove(self.path(f))
        base_tests = {l.strip() for l in results.read_lines(bt) if l.strip()}
        runs = dict(zip(lists, self.in_parallel(lambda h: self.suite_half(h, base_tests),
                                                  list(lists))))
        first = results.shapes()[0][0]
        for h, run in runs.items():
            bdir = (results.read_lines(self.path('suite-base-%s.dir' % h)) or [''])[0]
            if bdir == 'none':
                bdir = ''
                self.log('suite/%s: every test passed cleanly on patched; the base ran none' % h)
            elif not bdir or not os.path.exists(os.path.join(bdir, 'run.json')):
                self.cat(self.path('base-suite-%s.out' % h))
                self.result('suite/' + h, 'base guest', 'fail', 'the base guest did not finish')
                continue
            else:
                self.log('suite/%s: %s on base (%s)' % (
                    h, wbparser.counts(wbparser.load(bdir)),
                    ' '.join(results.read_lines(self.path('suite-base-%s.list' % h)))))
            p = wbparser.load(self.rundir(run.name))
            self.log('suite/%s: %s on patched%s' % (h, wbparser.counts(p) if p else 'no results',
                                                     '' if h == 'npt0' else
                                                     ' (without the targeted tests)'))
            # A test that passes on base and not on patched gets one retry.
            retry = run.name + '-retry'
            subprocess.run(['rm', '-rf', self.rundir(retry)], check=True)
            names = results.regressions(bdir, [self.rundir(run.name)])
            regs = self.write_list('retry-%s.list' % h, names)
            if names:
                self.log('suite/%s: retrying once: %s' % (h, ' '.join(names)))
                self.boot(run, retry, regs, retry_of=run.name)
            counted_stage, counted = None, ()
            targeted = 'targeted-' + first
            if h == 'npt1' and targeted in results.read_lines(self.runs_path):
                counted_stage = 'targeted/' + first
                counted = (self.rundir(targeted), self.rundir(targeted + '-retry'))
            results.compare(self.res, 'suite/' + h, bdir,
                            [self.rundir(run.name), self.rundir(retry)], counted_stage, counted)
        return not stage_failed(self.rows(), 'suite')

    # --- make check ----------------------------------------------------------
    def run(self):
        os.makedirs(self.out, exist_ok=True)
        for f in os.listdir(self.out):
            if f.endswith(('.out', '.list', '.list.single')):
                os.remove(self.path(f))
        for f in (self.results_path, self.results_path + '.tails', self.runs_path,
                  self.durations, self.path('known-bad.tsv')):
            open(f, 'w').close()
        # Written by the mutants stage for the callback stage: never an
        # earlier make check's.
        if os.path.exists(self.path('callback-vmlinux')):
            os.remove(self.path('callback-vmlinux'))
        # The scripts that record results (mutants.sh) and results.py.
        os.environ['RESULTS'] = self.results_path
        os.environ['CHECK_RUNS'] = self.runs_path
        os.environ['SUITE_TIMEOUT'] = self.timeout	# base-suite.sh's

        self.stage('unit', self.unit)
        tree_ok = self.stage('tree', self.script_stage, 'tree', 'patches/ apply to the base',
                             ['ensure-tree.sh'])
        if subprocess.call(['git', '-C', self.linux, 'rev-parse', '-q', '--verify',
                            'refs/tags/base'], stdout=subprocess.DEVNULL):
            raise Abort()
        if tree_ok and selected('debug', self.skip, self.only) and selected('build', self.skip,
                                                                             self.only):
            self.start_debug_build()
        self.stage('checkpatch', self.script_stage, 'checkpatch', None, ['gate-checkpatch.sh'])
        self.stage('bisect', self.script_stage, 'bisect', None, ['gate-bisect.sh'])
        # A series that does not apply: the bisect gate has named the patch.
        if not tree_ok:
            raise Abort()
        self.stage('sparse-W1', self.script_stage, 'sparse', None, ['gate-sparse.sh'])
        self.stage('llvm', self.script_stage, 'llvm', None, ['gate-llvm.sh'])
        self.stage('docs', self.script_stage, 'docs', None, ['gate-docs.sh'])

        if not selected('build', self.skip, self.only):
            # Without builds, no guest stage: make check ends here.
            self.result('build', 'stage', 'skip', 'CHECK_SKIP/CHECK_ONLY')
            return
        if not self.stage('build', self.builds):
            raise Abort()
        # The series' own tests (results.py's skip rule on npt=1).
        self.series = self.write_list('series.list', self.output(['test-lists.sh', 'series']))

        self.stage('classification', self.classification)
        self.stage('known-bad', self.known_bad)
        self.stage('targeted', self.targeted)
        self.stage('vmx', self.vmx)
        # mutants/: the tests can fail.  The stage also builds the callback
        # kernel, incrementally in its object directory.
        env = {} if 'callback' in self.skip else {'MUTANTS_CALLBACK': self.path('callback-vmlinux')}
        self.stage('mutants', lambda: self.sh(['mutants.sh'], env=env) == 0)
        self.stage('callback', self.callback)
        self.stage('suite', self.suite)
        # Last of the guest stages, so that its kernel has had the whole run
        # to build in the background (start_debug_build()).
        self.stage('debug', self.debug)
        if os.access(os.path.join(SCRIPTS, 'model.sh'), os.X_OK):
            self.stage('model', self.script_stage, 'model', 'scripts/model.sh', ['model.sh'])

    def stop(self, sig, _frame):
        """A signal: ignore any more, stop the scripts that run, and stop
        make check where it is (its summary still prints)."""
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        self.stopped = Stopped(sig)
        for p in list(self.procs):
            p.terminate()
        self.stop_debug_build(wait=False)
        raise self.stopped

    def main(self):
        """make check: the stages, then the summary, the last line whatever
        happened."""
        os.makedirs(self.out, exist_ok=True)
        start = time.time()
        rc = 0
        old = {s: signal.signal(s, self.stop) for s in SIGNALS}
        try:
            try:
                self.run()
            except Abort:
                rc = 1
            except BaseException as e:
                if isinstance(e, Stopped):
                    rc = 128 + e.sig
                elif isinstance(e, KeyboardInterrupt):
                    rc = 130
                else:
                    rc = 1
                    traceback.print_exc()
                if self.running:
                    self.result(self.running, 'stage', 'fail',
                                'aborted (%s)' % (str(e) or type(e).__name__))
            try:
                with open(self.durations) as f:
                    durations = f.read()
            except FileNotFoundError:
                durations = ''
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                fails = printer.summary(self.rows(), durations, int(time.time() - start),
                                        tails=printer.read_tails(self.results_path))
            except Exception:
                traceback.print_exc()
                print('0 passed, 1 failed, 0 skipped')
                return 1
            return rc or int(bool(fails) or self.failed)
        finally:
            self.stop_debug_build()
            for s, h in old.items():
                signal.signal(s, h)


def vmlinux_of(bzimage):
    """The vmlinux next to BZIMAGE (OBJ/arch/x86/boot/bzImage)."""
    suffix = '/arch/x86/boot/bzImage'
    if not bzimage.endswith(suffix):
        raise ValueError('not a bzImage of an object directory: ' + bzimage)
    return bzimage[:-len(suffix)] + '/vmlinux'


def bochs_speed(name, rundir):
    """Bochs' speed in a run: its instruction count at exit ("(0).[N]",
    idle time fast-forwarded included) over the run's wall time; '' if
    either is missing."""
    count = None
    for line in results.read_lines(os.path.join(rundir, 'bochs.out')):
        m = re.match(r'\(0\)\.\[(\d+)\]', line)
        if m:
            count = int(m.group(1))
    secs = (results.read_lines(os.path.join(rundir, 'seconds')) or [''])[0].strip()
    if not count or not secs or not secs.isdigit() or int(secs) == 0:
        return ''
    return '  %s: Bochs ran %.2f G instructions in %d s: %.0f M/s\n' % (
        name, count / 1e9, int(secs), count / int(secs) / 1e6)


if __name__ == '__main__':
    sys.exit(Check().main())
