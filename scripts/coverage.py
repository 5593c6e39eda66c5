#!/usr/bin/env python3
"""The coverage report of `make coverage` (scripts/coverage.sh): which of the
lines the series adds or changes ran.

  coverage.py extract RUNDIR
      take the gcov data that guest-init.sh printed at the end of RUNDIR's
      console.log (a base64 tar.gz between WB-GCOV-BEGIN and WB-GCOV-END)
      and unpack it into RUNDIR/gcov; exit 1 if there is none
  coverage.py report LINUX INFO [--base REV]
      map lcov's tracefile INFO (the runs' counters, merged) onto the lines
      of build/linux (LINUX) that the series' commits (REV..HEAD, REV
      "base") last touched (git blame), and print per patch and per file
      the series' executable lines that ran and those that did not, with
      their text.  Lines gcc emitted no code for are not counted; files
      the coverage kernel does not build are listed as such.

The vendor code this machine can't run (TDX: vmx/tdx.c; SNP: svm/sev.c) is
listed as compile-only, with what would cover it on hardware
(COMPILE_ONLY)."""
import argparse
import base64
import collections
import io
import os
import re
import subprocess
import sys
import tarfile

# Files whose series lines only run on hardware this machine lacks, and
# what would run them there.
COMPILE_ONLY = {
    'arch/x86/kvm/vmx/tdx.c': 'TDX hardware: KVM_TDX_INIT_VM (tools/testing/selftests/kvm/x86/tdx_vm_test '
                              'where available; the KUnit suite covers the descriptor it registers)',
    'arch/x86/kvm/svm/sev.c': 'SNP hardware: an SNP guest (sev_smoke_test with KVM_X86_SNP_VM; the '
                              'KUnit suite covers the descriptor it registers)',
}
# Where the series' lines must all run: the common MMU code and x86.c.
COMMON = ('arch/x86/kvm/mmu/mmu.c', 'arch/x86/kvm/mmu/tdp_mmu.c', 'arch/x86/kvm/mmu/tdp_iter.h',
          'arch/x86/kvm/mmu/mmu_internal.h', 'arch/x86/kvm/x86.c')


def git(linux, *args):
    return subprocess.run(['git', '-C', linux] + list(args), check=True,
                          stdout=subprocess.PIPE, text=True).stdout


def extract(rundir):
    with open(os.path.join(rundir, 'console.log'), errors='replace') as f:
        text = f.read().replace('\r', '')
    m = re.search(r'^WB-GCOV-BEGIN\n(.*?)^WB-GCOV-END$', text, re.S | re.M)
    if not m:
        sys.exit('%s: no gcov data in console.log (WB-GCOV-BEGIN ... WB-GCOV-END)' % rundir)
    data = base64.b64decode(''.join(m.group(1).split()))
    out = os.path.join(rundir, 'gcov')
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as t:
        members = [x for x in t.getmembers() if x.isfile() and x.name.endswith('.gcda')
                   and not x.name.startswith('/') and '..' not in x.name.split('/')]
        t.extractall(out, members=members)
    print('%s: %d .gcda files' % (out, len(members)))


def read_info(path, linux):
    """{file relative to LINUX: {line: count}} from an lcov tracefile."""
    cov = collections.defaultdict(dict)
    cur = None
    with open(path) as f:
        text = f.read()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('SF:'):
            cur = rel_path(line[3:], linux)
        elif line.startswith('DA:') and cur:
            n, c = line[3:].split(',')[:2]
            n, c = int(n), int(c)
            cov[cur][n] = cov[cur].get(n, 0) + c
        elif line == 'end_of_record':
            cur = None
    return cov


def rel_path(path, linux):
    """A source path of the coverage kernel's tree, relative to the tree:
    the copy's root is named .../coverage-src (or LINUX itself)."""
    root = os.path.realpath(linux)
    if path.startswith(root + '/'):
        return path[len(root) + 1:]
    m = re.search(r'/coverage-src/(.*)$', path)
    return m.group(1) if m else path


def series_lines(linux, base):
    """{file: {line: (commit, text)}} of the lines the series last touched,
    and [(commit, subject)] of the series, in order."""
    commits = [l.split(' ', 1) for l in git(linux, 'log', '--reverse', '--format=%H %s',
                                            '%s..HEAD' % base).splitlines()]
    # The coverage kernel is built from the working tree: its uncommitted
    # lines (git blame's all-zero commit) are the series' too.
    if git(linux, 'status', '--porcelain', '--untracked-files=no').strip():
        commits.append(('0' * 40, '(uncommitted changes in build/linux)'))
    ours = {c for c, _ in commits}
    files = [f for f in git(linux, 'diff', '--name-only', '--diff-filter=AM', base,
                            '--', 'arch/x86/kvm', 'virt/kvm').splitlines()
             if f.endswith(('.c', '.h'))]
    lines = {}
    for f in files:
        per = {}
        commit = None
        out = git(linux, 'blame', '--line-porcelain', '--', f)
        for l in out.splitlines():
            m = re.match(r'^([0-9a-f]{40}) \d+ (\d+)', l)
            if m:
                commit, n = m.group(1), int(m.group(2))
            elif l.startswith('\t') and commit in ours:
                per[n] = (commit, l[1:])
        lines[f] = per
    return lines, commits


def report(linux, info, base):
    cov = read_info(info, linux)
    lines, commits = series_lines(linux, base)
    num = {c: i + 1 for i, (c, _) in enumerate(commits)}
    per_patch = collections.defaultdict(lambda: [0, 0, []])
    per_file = {}
    for f, per in sorted(lines.items()):
        if f not in cov:
            per_file[f] = None
            continue
        ran = missed = 0
        for n, (c, text) in sorted(per.items()):
            if n not in cov[f]:
                continue
            p = per_patch[num[c]]
            if cov[f][n] > 0:
                ran += 1
                p[0] += 1
            else:
                missed += 1
                p[1] += 1
                p[2].append('%s:%d: %s' % (f, n, text.strip()))
        per_file[f] = (ran, missed)

    print('==== per patch: the series\' executable lines that ran / did not run')
    for i, (c, subject) in enumerate(commits, 1):
        ran, missed, which = per_patch.get(i, [0, 0, []])
        print('%2d %-66.66s %4d ran %4d not' % (i, subject, ran, missed))
        for w in which:
            print('       not run: %s' % w)
    print('==== per file')
    common_missed = 0
    for f, v in sorted(per_file.items()):
        if v is None:
            note = COMPILE_ONLY.get(f, 'not built into the coverage kernel')
            print('  %-44s not built or not profiled: %s' % (f, note))
            continue
        ran, missed = v
        tag = ''
        if f in COMPILE_ONLY:
            tag = '  compile-only here: ' + COMPILE_ONLY[f]
        elif f in COMMON and missed:
            tag = '  (common code: every line should run)'
            common_missed += missed
        total = ran + missed
        print('  %-44s %4d/%-4d ran (%3d%%)%s' % (f, ran, total, 100 * ran // total if total else 100, tag))
    print('==== common MMU code and x86.c: %d of the series\' executable lines did not run' % common_missed)


def main(argv):
    p = argparse.ArgumentParser(prog='coverage.py')
    sub = p.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('extract')
    a.add_argument('rundir')
    a = sub.add_parser('report')
    a.add_argument('linux')
    a.add_argument('info')
    a.add_argument('--base', default='base')
    args = p.parse_args(argv)
    if args.cmd == 'extract':
        extract(args.rundir)
    else:
        report(args.linux, args.info, args.base)


if __name__ == '__main__':
    main(sys.argv[1:])
