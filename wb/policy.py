#!/usr/bin/env python3
"""make check's rules, as pure functions of a run's results (wb/results.py's
Run, or anything with its fields): which failures are retried, which skips
are expected, which reports at boot are the emulator's, and the verdict of
a suite test, base against patched.  No file is written and nothing is
printed here: wb/results.py applies the rules, wb/printer.py prints."""
import re

from wb.parser import strip_guest

# Lines of the kernel log printed with a run's first report (its stack trace).
REPORT_LINES = 60


# The QEMU signature that config/retry-once's retry is for (a fault of
# QEMU's multi-threaded emulation of nested paging, see the cover letter):
# the nested guest triple faults (KVM_EXIT_SHUTDOWN) or KVM can't emulate
# what it did (KVM_EXIT_INTERNAL_ERROR, emulation failure).
RETRY_SIGNATURES = [
    re.compile(r'Unexpected exit: (SHUTDOWN|INTERNAL_ERROR)\b'),
    re.compile(r'\bKVM_EXIT_(SHUTDOWN|INTERNAL_ERROR)\b'),
    re.compile(r'\btriple[ -]fault', re.I),
    re.compile(r'\bemulation fail', re.I),
]


# Never retried, whatever else the output shows: a guest assertion, a data
# mismatch, an unjustified exit.
NO_RETRY = [
    (re.compile(r'unjustified', re.I), 'an unjustified exit'),
    (re.compile(r'0x[0-9a-f]+ != 0x[0-9a-f]+|\b\d+ != \d+\b|mismatch', re.I), 'a data mismatch'),
    (re.compile(r'Unhandled exception|guest failure|GUEST_ASSERT|Guest assert', re.I),
     'a guest assertion'),
]


ASSERTION = '==== Test Assertion Failure ===='


def test_matches(entry, name):
    return entry == name or entry == name.split()[0]


def qemu_signature(lines):
    """(True, WHAT) if the output LINES of a failed test show the QEMU
    signature and nothing else: every assertion it reports is one of
    RETRY_SIGNATURES, and none is a guest assertion, a data mismatch or an
    unjustified exit.  (False, WHY) otherwise."""
    lines = [strip_guest(l) if l.startswith('#') else l for l in lines]
    for l in lines:
        for pat, what in NO_RETRY:
            if pat.search(l):
                return False, '%s: %s' % (what, l.strip())
    sig = [l.strip() for l in lines if any(p.search(l) for p in RETRY_SIGNATURES)]
    if not sig:
        first = next((l.strip() for l in lines if l.strip() and ASSERTION not in l), '')
        return False, 'no QEMU signature (triple fault, shutdown, internal error, ' \
            'emulation failure) in its output' + (': ' + first if first else '')
    # Assertion blocks (two threads' reports can interleave: an empty block
    # belongs to the next one).
    blocks, cur = [], None
    for l in lines:
        if ASSERTION in l:
            if cur:
                blocks.append(cur)
            cur = cur if cur == [] else []
            continue
        if cur is not None and l.strip():
            cur.append(l)
    if cur:
        blocks.append(cur)
    for b in blocks:
        if not any(p.search(l) for l in b for p in RETRY_SIGNATURES):
            return False, 'an assertion other than the QEMU signature: ' + b[0].strip()
    return True, sig[0]


def retry_plan(run, retry_once):
    """([(TEST, WHY)] to retry, [(TEST, WHY)] failed tests not retried)."""
    retry, refused = [], []
    for name in run.listed:
        if name not in run.tests or run.tests[name][0] in ('pass', 'skip'):
            continue
        if name.split()[0] not in retry_once:
            continue
        ok, why = qemu_signature(run.output.get(name, []))
        (retry if ok else refused).append((name, why))
    unrun = run.unrun()
    if unrun and run.hung:
        if unrun[0].split()[0] in retry_once:
            retry.append((unrun[0], 'the guest hung (no console output)'))
            retry += [(n, 'not run: the guest hung in %s' % unrun[0]) for n in unrun[1:]]
        else:
            refused.append((unrun[0], 'the guest hung, but config/retry-once does not list it'))
    return retry, refused


def sub_skips(lines):
    """The messages of a test's own "ok N # SKIP ..." lines."""
    out = []
    for l in lines:
        m = re.match(r'^ok \d+(?: [^#]*)? # SKIP ?(.*)$', l)
        if m:
            out.append(m.group(1).strip())
    return out


def skip_message(lines):
    """Why a test skipped as a whole: its last "1..0 # SKIP" or
    "ok N # SKIP" line's text."""
    msg = ''
    for l in lines:
        m = re.match(r'^(?:1\.\.0|ok \d+(?: [^#]*)?) # SKIP ?(.*)$', l)
        if m:
            msg = m.group(1).strip()
    return msg


def find_skip(expected, test, msg):
    for e in expected:
        if test_matches(e[1], test) and msg.startswith(e[2]):
            return e
    return None


def verdict(name, b, p, retried, envskips):
    """(RESULT, NOTE, SHOW-TAIL) of a suite test: base result B, patched P."""
    bres = b[0] if b else 'absent'
    if p is None:
        return 'fail', 'not run on patched: the guest did not finish', False
    pres, secs, prep = p
    if prep and not (b and b[2]):
        return 'fail', 'kernel log report on patched only', False
    if pres == 'pass':
        return 'pass', secs + 's' + (', flaky: failed once, passed on retry'
                                     if name in retried else ''), False
    if pres == 'skip':
        if bres == 'pass' and name in envskips:
            return 'skip', 'passes on base, skipped on patched: ' + envskips[name], False
        if bres == 'pass':
            return 'fail', 'passes on base, skipped on patched', True
        return 'skip', 'skipped by the test', False
    if bres in ('fail', 'timeout'):
        return 'skip', 'known on base (%s on base, %s on patched)' % (bres, pres), False
    return 'fail', '%s on patched, %s on base' % (pres, bres), True


# A frame or module of the code under test, in a report's stack trace.
UNDER_TEST = re.compile(r'kvm|kunit|svm|vmx|private_access', re.I)


def boot_report_outside(run):
    """(True, WHY) if RUN's kernel log reports are all at boot, before any
    KUnit suite ran, and no line of any report's trace names KVM or KUnit
    code: the series' code hadn't run, so the reports are the base
    kernel's or the emulator's, and the boot is retried once (see
    wb/stages.py's Check.record).  (False, WHY) otherwise."""
    if not run.reports:
        return False, 'no report'
    if any(not r.startswith('boot: ') for r in run.reports):
        return False, 'a report during or after a test'
    log = run.read('dmesg.txt').splitlines()
    ktap = [j for j, l in enumerate(log) if re.search(r'KTAP version|TAP version', l)]
    for r in run.reports:
        line = r.split(': ', 1)[1]
        if line not in log:
            return False, 'a report is not in dmesg.txt: %s' % line.strip()
        i = log.index(line)
        if ktap and ktap[0] < i:
            return False, 'a report while KUnit ran: %s' % line.strip()
        for l in log[i:i + REPORT_LINES]:
            if l.startswith('==== kernel log'):
                break
            if UNDER_TEST.search(l):
                return False, 'the trace has code under test: %s' % l.strip()
            if l != line and re.search(r'---\[ end trace|^\[[ 0-9.]+\] ={20,}$', l):
                break
    return True, '%d reports at boot, none in KVM or KUnit code, first: %s' % (
        len(run.reports), run.reports[0].split(': ', 1)[1].strip())
