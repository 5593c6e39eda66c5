#!/usr/bin/env python3
"""The workbench's entry point: `python3 wb COMMAND` (each Makefile target
calls it).  A command is a list of steps: the commands it needs first
(each done once a call), then the scripts that do its job, in order.  The
first step that fails stops the call, and says which."""
import argparse
import os
import signal
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)

# NAME: (help, [steps]).  A step is a command's name, or a script (of
# scripts/, or a path from the top such as wb/stages.py) with its
# arguments, as a tuple; ">" + PATH after the arguments
# sends its standard output there; an "ENV=value" first sets a variable;
# ('unit',) is the unit tests.
COMMANDS = {
    'deps': ('install the Debian packages the workbench needs',
             [('deps.sh',)]),
    'base': ('fetch the base (Linux 7.3.4, Debian linux-source-7.3)',
             ['deps', ('fetch-base.sh', '>/dev/null')]),
    'tree': ('make build/linux: the base commit plus patches/',
             ['base', ('make-tree.sh',)]),
    'export': ('export build/linux\'s commits to patches/',
               [('export.sh',)]),
    'build': ('build the patched test kernel and its selftests',
              ['deps', ('ensure-tree.sh',), ('prepare.sh', 'patched', '>/dev/null')]),
    'initramfs': ('the demo tests\' initramfs, build/initramfs-demo.cpio',
                  ['build', ('test-lists.sh', 'demo', '>build/demo.list'),
                   ('make-initramfs.sh', 'build/initramfs-demo.cpio',
                    'build/selftests/patched/bin', 'build/demo.list')]),
    'run': ('build the patched kernel, boot it, run the demo',
            ['deps', ('run.sh',)]),
    'unit': ('the workbench\'s own unit tests (seconds)',
             [('unit',)]),
    'check': ('the whole test suite; last line "N passed, N failed, N skipped"',
              ['deps', ('wb/stages.py',)]),
    'vmx': ('make check\'s VMX stage alone (kvm_intel with EPT under Bochs)',
            ['deps', ('CHECK_ONLY=tree build vmx', 'wb/stages.py')]),
    'vmx-race': ('the flip and stress tests under VMX, on Bochs with its VMX fix',
                 ['build', ('vmx-race.sh',)]),
    'coverage': ('which of the series\' lines ran (gcov)',
                 ['build', ('coverage.sh',)]),
    'mutants': ('build and boot the mutants of mutants/',
                ['build', ('mutants.sh',)]),
    'mttcg': ('the stress test under multi-threaded TCG, base against patched',
              ['build', ('mttcg.sh',)]),
    'bench': ('the deterministic (icount) fault-cost benchmark',
              ['deps', ('ensure-tree.sh',), ('bench.sh',)]),
    'model': ('model-check model/fault.pml with spin',
              [('model.sh',)]),
    'sparse': ('provide a sparse new enough for Linux 7.3 (cached)',
               [('build-sparse.sh',)]),
}


def unit_tests():
    """The unit tests of scripts/ and of wb/ (make check's first stage)."""
    rc = 0
    for start, top in (('scripts', 'scripts'), (os.path.join('wb', 'test'), '.')):
        rc |= subprocess.call([sys.executable, '-B', '-m', 'unittest', 'discover',
                               '-s', start, '-t', top, '-p', '*_test.py'], cwd=TOP)
    return rc


def run_step(step, last=False):
    """Run a step; LAST: the called command's last step, which replaces
    this process (so that make's signals, and a CI's, reach the script,
    which then prints its own end: make check's summary line)."""
    if step == ('unit',):
        return unit_tests()
    env, args, stdout = dict(os.environ), list(step), None
    if '=' in args[0]:
        k, _, v = args.pop(0).partition('=')
        env[k] = v
    argv = [os.path.join(TOP, args[0] if '/' in args[0] else os.path.join('scripts', args[0]))] \
        + args[1:]
    if args[-1].startswith('>'):
        stdout = open(os.path.join(TOP, argv.pop()[1:]), 'w')
    elif last:
        sys.stdout.flush()
        sys.stderr.flush()
        os.chdir(TOP)
        os.execve(argv[0], argv, env)
    # Any other step: the signals this process gets go to it too.
    p = subprocess.Popen(argv, cwd=TOP, env=env, stdout=stdout)
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, lambda sig, _: p.send_signal(sig)) for s in sigs}
    try:
        return p.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if stdout:
            stdout.close()


def run(name, done, needed_by=None):
    """Command NAME's steps.  A failing script says what failed (lib.sh's
    trap; make check ends on its summary line, which stays the last line);
    a failing command that another needs says which it stopped."""
    steps = COMMANDS[name][1]
    for step in steps:
        rc = 0
        if isinstance(step, str):
            if step not in done:
                done.add(step)
                rc = run(step, done, name)
        else:
            rc = run_step(step, last=needed_by is None and step is steps[-1])
        if rc:
            if needed_by:
                print('error: wb %s: stopped, as %s (which it needs) failed' % (needed_by, name),
                      file=sys.stderr)
            return rc
    return 0


def main(argv):
    p = argparse.ArgumentParser(
        prog='python3 wb', description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='commands:\n' + '\n'.join('  %-10s %s' % (n, h) for n, (h, _) in COMMANDS.items()))
    p.add_argument('command', choices=COMMANDS, metavar='COMMAND')
    a = p.parse_args(argv)
    return run(a.command, {a.command}) and 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
