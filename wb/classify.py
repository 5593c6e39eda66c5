#!/usr/bin/env python3
"""Static check of the fault classification path (make check's
classification stage; scripts/check-classification.sh runs it):

    python3 wb/classify.py [-v] VMLINUX

Disassembles VMLINUX (a built-in KVM, e.g. the test config) and fails if
deciding whether a fault is private or shared involves an indirect call
(call/jmp through a register or memory, a retpoline thunk, a static call of
a kvm_x86_ops member, __SCT__kvm_x86_*) or a call into vendor code (svm_*,
sev_*, snp_*, vmx_*, vt_*, tdx_*), or if vendor code decides it itself
before the MMU sees the fault (sets PFERR_PRIVATE_ACCESS).  Prints PASS or
FAIL with the offending instructions; exit status 0 on PASS, 1 on FAIL, 2
if the check itself could not run.  -v also prints the scoped regions and
every function followed.

What "the classification path" is, precisely:

1. Entry points, and where their classification ends (the "dispatch"):
   - kvm_mmu_page_fault(): ends at its call of kvm_mmu_do_page_fault(), or,
     if that is inlined, where kvm_mmu_do_page_fault() ends (next item);
   - kvm_mmu_do_page_fault(): ends where the fault, is_private included, is
     handed to the MMU: the call of vcpu->arch.mmu->page_fault(), i.e. an
     indirect call through the member that the function compares with
     kvm_tdp_page_fault for fault.is_tdp (its offset is learnt from that
     compare, and the pointer must have been loaded from the same vcpu
     field), or a direct call of kvm_tdp_page_fault() (retpoline builds);
   - npf_interception() (SVM) and handle_ept_violation() (VMX): end at their
     call of kvm_mmu_page_fault(), direct or tail.
   An entry whose dispatch can't be found fails the check: the code changed
   shape and the check must be revisited, rather than silently pass.

2. The region of an entry is the set of instructions on some path from the
   entry to its dispatch: reachable from the entry without going through the
   dispatch, and from which the dispatch is reachable.  It is computed on
   the control flow graph of the disassembly (jumps, fall-through, calls
   returning; code moved out of line, e.g. static_cpu_has()' fallback, is
   followed), not on address ranges, so that later code (the MMU's own page
   fault handler, emulation, which legitimately call indirectly) is left out
   and out-of-line blocks that do run before the dispatch are not.

3. In the region: every indirect call or jump, every static call of a
   vendor op, every call of vendor code, and (vendor entries) every
   instruction setting bit 49 of a register (PFERR_PRIVATE_ACCESS: vendor
   code deciding is_private itself) fails.  Calls are then sorted:
   - MMU entries: a callee listed in NOT_CLASSIFICATION (reserved bit, i.e.
     MMIO, fault handling: such faults are never private, the descriptor is
     not consulted) or in DIAGNOSTICS (WARN, printk, lockdep, sanitizers,
     tracepoints) is not followed; any other callee is part of the
     classification (kvm_mmu_fault_is_private(), kvm_mem_is_private() and
     what they call when not inlined, a helper added later...) and is
     checked whole, transitively, by the same rules.
   - vendor entries: only callees listed in VENDOR_PRE_FAULT (the fast MMIO
     path, which handles reserved bit faults only) or DIAGNOSTICS may be
     called before kvm_mmu_page_fault(); any other call fails, so that a new
     vendor helper feeding the fault's classification can't slip in.

The checker reads symbols ("nm -S -n" text) and disassembly through a
Binary, so that wb/test/classify_test.py runs it on canned text.
"""
import bisect
import os
import re
import shutil
import subprocess
import sys

# Callees that are on the way to the dispatch but don't classify anything.
NOT_CLASSIFICATION = {
    # kvm_mmu_page_fault(): reserved bit (MMIO) faults, never private
    "handle_mmio_page_fault", "mmio_info_in_cache", "get_mmio_spte",
    "get_sptes_lockless", "__is_rsvd_bits_set", "is_rsvd_spte",
    "kvm_tdp_mmu_get_walk", "walk_shadow_page_lockless_begin",
    "walk_shadow_page_lockless_end", "check_mmio_spte", "vcpu_cache_mmio_info",
    "kvm_mmu_get_guest_pgd",
    # kvm_mmu_do_page_fault(): building the rest of struct kvm_page_fault
    "kvm_vcpu_gfn_to_memslot",
}
VENDOR_PRE_FAULT = {
    # npf_interception(): fast MMIO for reserved bit faults
    "svm_check_emulate_instruction", "kvm_io_bus_write",
    "kvm_skip_emulated_instruction",
    # handle_ept_violation(): guest state for the exit qualification
    "vmx_get_exit_qual", "vmx_get_intr_info", "vmcs_read64", "vmcs_readl",
    "vmcs_read32", "vmx_get_rflags", "vmx_handle_memory_failure",
    # VMREAD/VMWRITE failure reporting
    "vmread_error_trampoline", "vmread_error", "vmwrite_error",
}
DIAG_PREFIXES = ("__warn_printk", "_printk", "printk", "___ratelimit",
    "__stack_chk_fail", "warn_slowpath", "__WARN", "report_bug",
    "lock_acquire", "lock_release", "lock_is_held", "lockdep_",
    "rcu_read_lock_held", "rcu_lockdep", "debug_lockdep", "__might_",
    "__sanitizer_", "__asan_", "__kasan_", "__kcsan_", "__tsan_", "__ubsan_",
    "__SCT__tp_func_", "__traceiter_", "__SCT__WARN_trap")
# Generic kernel infrastructure: not part of deciding private vs. shared, and
# not followed (a preemption point leads to the scheduler, and from there
# anywhere).
INFRA_PREFIXES = ("preempt_schedule", "__schedule", "schedule", "__cond_resched",
    "_cond_resched", "_raw_spin_", "raw_spin_", "_raw_read_", "_raw_write_",
    "__rcu_read_", "rcu_", "__rcu_", "ktime_", "__perf_", "___perf_",
    "perf_", "__might_", "__local_bh_", "local_bh_")
VENDOR_PREFIXES = ("svm_", "__svm_", "sev_", "__sev_", "snp_", "__snp_",
    "vmx_", "__vmx_", "vt_", "tdx_", "__tdx_")
INDIRECT_THUNKS = ("__x86_indirect_thunk_", "__x86_indirect_call_thunk_",
    "__x86_indirect_jump_thunk_", "__x86_indirect_its_thunk_")
PREFIXES = {"rep", "repz", "repe", "repnz", "repne", "lock", "notrack", "bnd",
    "cs", "ds", "ss", "es", "fs", "gs", "data16", "addr32"}
PFERR_PRIVATE_ACCESS_BIT = 49
# kvm_mmu_do_page_fault() may be a wrapper of __kvm_mmu_do_page_fault() (v2:
# KVM_PRE_FAULT_MEMORY passes pre_fault to the latter), either of which the
# compiler may inline.
DPF_NAMES = ("kvm_mmu_do_page_fault", "__kvm_mmu_do_page_fault")
VENDOR_ENTRIES = ("npf_interception", "handle_ept_violation")
MAX_DEPTH = 8

LINE = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
TARGET = re.compile(r"^([0-9a-f]+)\s*(?:<([^>+]+)(?:\+0x[0-9a-f]+)?>)?")
MEMOP = re.compile(r"^\*?(-?0x[0-9a-f]+)?\((%\w+)\)$")


class Error(Exception):
    """The check could not run (exit status 2)."""


def is_diag(sym):
    return sym.startswith(DIAG_PREFIXES + INFRA_PREFIXES)


def is_vendor(sym):
    return sym.startswith(VENDOR_PREFIXES)


class Binary:
    """Symbols and disassembly of a kernel image.  NM_TEXT is "nm -S -n"
    output; DISASSEMBLE(start, stop) returns "objdump -d -w
    --no-show-raw-insn" text of [start, stop)."""

    def __init__(self, nm_text, disassemble):
        self.syms, self.by_name = [], {}
        for line in nm_text.splitlines():
            f = line.split()
            if len(f) == 4 and f[2] in "tTwW":
                a, s = int(f[0], 16), int(f[1], 16)
                self.syms.append((a, s, f[3]))
                self.by_name.setdefault(f[3], (a, s))
        self.addrs = [s[0] for s in self.syms]
        self.starts = {a: n for a, s, n in self.syms}
        self._disassemble = disassemble
        self._cache = {}

    def sym_at(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i >= 0 and self.syms[i][0] <= addr < self.syms[i][0] + max(self.syms[i][1], 1):
            return self.syms[i]
        return None

    def disasm(self, start, stop):
        key = (start, stop)
        if key not in self._cache:
            insns = []
            for line in self._disassemble(start, stop).splitlines():
                m = LINE.match(line)
                if m and not m.group(2).startswith("(bad)"):
                    insns.append(Insn(int(m.group(1), 16), m.group(2), self.starts))
            self._cache[key] = insns
        return self._cache[key]

    def function(self, name):
        if name not in self.by_name:
            return None
        a, s = self.by_name[name]
        return self.disasm(a, a + s)


def vmlinux_binary(path):
    """The Binary of the file PATH, through binutils' nm and objdump."""
    if not shutil.which("objdump") or not shutil.which("nm"):
        raise Error("needs objdump and nm (binutils)")
    try:
        nm = subprocess.run(["nm", "-S", "-n", path], capture_output=True,
                            text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise Error(f"nm {path}: {e}")

    def disassemble(start, stop):
        try:
            return subprocess.run(["objdump", "-d", "-w", "--no-show-raw-insn",
                                   f"--start-address={start:#x}",
                                   f"--stop-address={stop:#x}", path],
                                  capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise Error(f"objdump {path}: {e}")
    return Binary(nm, disassemble)


class Insn:
    def __init__(self, addr, text, starts):
        self.addr, self.text = addr, text.strip()
        words = self.text.split()
        while words and words[0] in PREFIXES:
            words = words[1:]
        self.mn = words[0] if words else ""
        self.ops = " ".join(words[1:])
        self.target = self.tsym = None
        if self.mn.startswith(("call", "j")) and not self.ops.startswith("*"):
            m = TARGET.match(self.ops)
            if m:
                self.target = int(m.group(1), 16)
                self.tsym = starts.get(self.target) or m.group(2)

    def is_call(self):
        return self.mn.startswith("call")

    def is_jmp(self):
        return self.mn in ("jmp", "jmpq")

    def is_jcc(self):
        return self.mn.startswith("j") and not self.is_jmp()

    def is_indirect(self):
        if (self.is_call() or self.is_jmp()) and self.ops.startswith("*"):
            return True
        return bool(self.tsym and self.tsym.startswith(INDIRECT_THUNKS))

    def ends_flow(self):
        return self.mn in ("ret", "retq", "iret", "iretq", "sysret", "hlt") or \
            self.is_jmp()

    def __str__(self):
        return f"{self.addr:x}: {self.text}"


def last_write(body, k, reg):
    """The instruction that last wrote REG before body[k], in address order
    (None if it isn't a plain load)."""
    for j in reversed(body[:k]):
        if j.ops.endswith("," + reg) or j.is_call():
            return j if j.mn.startswith("mov") else None
    return None


def mem_load(j):
    """(displacement, base register) of a load "mov D(%base),%reg"."""
    m = j and re.match(r"^(-?0x[0-9a-f]+)?\((%\w+)\),%\w+$", j.ops)
    return (int(m.group(1) or "0", 16), m.group(2)) if m else None


def sets_private_bit(i, body):
    """bts $49,%reg, or "or %r,%reg" after "movabs $IMM,%r" with bit 49 of
    IMM set (a 32-bit immediate can't set bit 49 without also setting bit
    63, i.e. without being a mask).  A constant only tested against, e.g.
    WARN_ON(error_code & PFERR_SYNTHETIC_MASK), is not flagged."""
    if i.mn.startswith("bts") and re.match(rf"^\$0x{PFERR_PRIVATE_ACCESS_BIT:x},", i.ops):
        return True
    m = re.match(r"^\$(0x[0-9a-f]+),(%\w+)$", i.ops)
    if not (i.mn.startswith("movabs") and m):
        return False
    imm, reg = int(m.group(1), 16), m.group(2)
    if not imm >> PFERR_PRIVATE_ACCESS_BIT & 1 or imm >> 63:
        return False
    if i not in body:	# an out-of-line snippet
        return False
    k = body.index(i)
    for j in body[k + 1:k + 12]:
        if reg in j.ops.split(",")[0]:	# first use as a source
            return j.mn.startswith("or") and j.ops.startswith(reg + ",")
        if j.ops.endswith("," + reg):	# overwritten
            return False
    return False


class Check:
    """One run of the check on a Binary: run() fills failures and notes."""

    def __init__(self, binary, verbose=False, out=print):
        self.b, self.verbose, self.out = binary, verbose, out
        self.failures, self.notes = [], []
        self.seen = {"kvm_mmu_page_fault", *DPF_NAMES}

    # --- control flow -----------------------------------------------------
    def cfg(self, name):
        """Instructions of NAME plus out-of-line snippets jumped to (not
        other functions), with successor lists.  Jumps to another function's
        entry are tail calls: no successor."""
        b = self.b
        body = b.function(name)
        lo, hi = b.by_name[name][0], b.by_name[name][0] + b.by_name[name][1]
        insns = {i.addr: i for i in body}
        todo = list(body)
        seen_snips = set()
        while todo:
            i = todo.pop()
            if (i.is_jmp() or i.is_jcc()) and i.target is not None and \
               not lo <= i.target < hi and i.target not in b.starts and \
               i.target not in seen_snips:
                seen_snips.add(i.target)
                if b.sym_at(i.target):	# a jump into another function
                    continue
                for j in b.disasm(i.target, i.target + 64):
                    if j.addr in insns:
                        break
                    insns[j.addr] = j
                    todo.append(j)
                    if j.ends_flow():
                        break
        order = sorted(insns)
        succ = {}
        for k, a in enumerate(order):
            i = insns[a]
            s = []
            nxt = order[k + 1] if k + 1 < len(order) else None
            if not i.ends_flow() and nxt is not None:
                s.append(nxt)
            if (i.is_jmp() or i.is_jcc()) and i.target in insns and \
               (lo <= i.target < hi or i.target not in b.starts):
                s.append(i.target)
            succ[a] = s
        return insns, succ

    def region(self, name, dispatch):
        """Addresses on a path from NAME's entry to an instruction of
        DISPATCH."""
        insns, succ = self.cfg(name)
        entry = self.b.by_name[name][0]
        fwd, todo = set(), [entry]
        while todo:
            a = todo.pop()
            if a in fwd or a not in insns:
                continue
            fwd.add(a)
            if a not in dispatch:
                todo.extend(succ[a])
        pred = {}
        for a, ss in succ.items():
            for c in ss:
                pred.setdefault(c, []).append(a)
        bwd, todo = set(), [d for d in dispatch if d in fwd]
        while todo:
            a = todo.pop()
            if a in bwd:
                continue
            bwd.add(a)
            todo.extend(p for p in pred.get(a, []) if p in fwd and p not in dispatch)
        return insns, sorted(fwd & bwd)

    # --- dispatch points --------------------------------------------------
    def page_fault_dispatch(self, name):
        """Calls of vcpu->arch.mmu->page_fault in NAME (see the header)."""
        body = self.b.function(name)
        tdp = self.b.by_name.get("kvm_tdp_page_fault", (None,))[0]
        found = {i.addr for i in body if i.is_call() and i.tsym == "kvm_tdp_page_fault"}
        if tdp is None:
            return found
        # "cmpq $kvm_tdp_page_fault,D(%reg)" with %reg loaded from M(%vcpu):
        # D is the offset of page_fault in struct kvm_mmu, M that of arch.mmu.
        offs = set()
        for k, i in enumerate(body):
            if i.mn.startswith("cmp") and i.ops.startswith(f"$0x{tdp:x},"):
                m = MEMOP.match(i.ops.split(",", 1)[1])
                ld = m and mem_load(last_write(body, k, m.group(2)))
                if ld:
                    offs.add((int(m.group(1) or "0", 16), ld[0]))
        for k, i in enumerate(body):
            if not (i.is_call() and i.is_indirect()):
                continue
            if i.ops.startswith("*"):
                m = MEMOP.match(i.ops)
                if not m:
                    continue
                disp, reg, at = int(m.group(1) or "0", 16), m.group(2), k
            else:	# retpoline: call __x86_indirect_thunk_REG after mov D(%x),%REG
                j = last_write(body, k, "%" + i.tsym.rsplit("_", 1)[-1])
                ld = mem_load(j)
                if not ld:
                    continue
                disp, reg, at = ld[0], ld[1], body.index(j)
            base = mem_load(last_write(body, at, reg))
            if base and (disp, base[0]) in offs:
                found.add(i.addr)
        return found

    def calls_of(self, name, callee):
        """Calls and tail calls of CALLEE in NAME (none if there's no NAME,
        e.g. no handle_ept_violation() without kvm_intel)."""
        return {i.addr for i in self.b.function(name) or ()
                if (i.is_call() or i.is_jmp()) and i.tsym == callee}

    # --- the checks -------------------------------------------------------
    def check_insn(self, where, i, vendor_entry, body=()):
        """Rules common to regions and followed callees.  Returns the callee
        to follow, if any."""
        if i.is_indirect():
            self.failures.append(f"{where}: indirect call/jump: {i}")
            return None
        tail = (i.is_jmp() or i.is_jcc()) and i.target in self.b.starts and \
            i.tsym != where	# a (conditional) tail call
        if not (i.is_call() or tail):
            if vendor_entry and sets_private_bit(i, body):
                self.failures.append(f"{where}: vendor code sets PFERR_PRIVATE_ACCESS "
                                     f"(bit {PFERR_PRIVATE_ACCESS_BIT}): {i}")
            return None
        sym = i.tsym or "?"
        if sym.startswith("__SCT__"):
            if sym.startswith("__SCT__tp_func_"):
                return None
            what = " of a vendor op" if sym.startswith("__SCT__kvm_x86_") else ""
            self.failures.append(f"{where}: static call{what}: {i}")
            return None
        if is_diag(sym):
            return None
        if vendor_entry:
            if sym in VENDOR_PRE_FAULT:
                return None
            what = "vendor code" if is_vendor(sym) else "an unlisted function"
            self.failures.append(f"{where}: call before kvm_mmu_page_fault() of {what}: {i}")
            return None
        if is_vendor(sym):
            self.failures.append(f"{where}: call into vendor code: {i}")
            return None
        if sym in NOT_CLASSIFICATION:
            return None
        return sym

    def follow(self, callees):
        """Check the classification helpers called from a region, whole and
        transitively."""
        depth = 0
        while callees and depth < MAX_DEPTH:
            nxt = []
            for sym, via in callees:
                if sym in self.seen:
                    continue
                self.seen.add(sym)
                body = self.b.function(sym)
                if body is None:
                    self.failures.append(f"{via}: calls {sym}, which has no symbol to check")
                    continue
                if self.verbose:
                    self.out(f"  follow {sym} (from {via}), {len(body)} insns")
                for i in body:
                    c = self.check_insn(sym, i, False)
                    if c and c != sym:
                        nxt.append((c, sym))
            callees, depth = nxt, depth + 1
        if callees:
            self.failures.append(f"classification helpers nest deeper than {MAX_DEPTH} calls: "
                                 + ", ".join(s for s, _ in callees))

    def classify(self, name, dispatch, vendor_entry):
        if name not in self.b.by_name:
            return False
        if not dispatch:
            self.failures.append(f"{name}: can't find where the fault is dispatched; "
                                 "the check needs updating for this code")
            return True
        insns, reg = self.region(name, dispatch)
        if self.verbose:
            self.out(f"{name}: region of {len(reg)} instructions up to "
                     + ", ".join(f"{d:x}" for d in sorted(dispatch)))
            for a in reg:
                self.out(f"    {insns[a]}")
        body = self.b.function(name)
        callees = []
        for a in reg:
            if a in dispatch:
                continue
            c = self.check_insn(name, insns[a], vendor_entry, body)
            if c:
                callees.append((c, name))
        self.follow(callees)
        end = "the call of kvm_mmu_page_fault()" if vendor_entry else "the dispatch"
        self.notes.append(f"{name}: {len(reg)} instructions up to {end}")
        return True

    def run(self):
        """Check every entry; True if nothing failed."""
        if not self.b.syms:
            raise Error("no symbols")
        if "kvm_mmu_page_fault" not in self.b.by_name:
            raise Error("no kvm_mmu_page_fault: not a vmlinux with built-in KVM")
        dpf = next((n for n in DPF_NAMES if n in self.b.by_name
                    and self.calls_of("kvm_mmu_page_fault", n)), None)
        if dpf is None:
            self.classify("kvm_mmu_page_fault",
                          self.page_fault_dispatch("kvm_mmu_page_fault"), False)
        else:
            self.classify("kvm_mmu_page_fault",
                          self.calls_of("kvm_mmu_page_fault", dpf), False)
            self.classify(dpf, self.page_fault_dispatch(dpf), False)
        vendor = 0
        for entry in VENDOR_ENTRIES:
            vendor += self.classify(entry, self.calls_of(entry, "kvm_mmu_page_fault"), True)
        if not vendor:
            self.failures.append("neither npf_interception nor handle_ept_violation found")
        return not self.failures

    def helpers(self):
        return sorted(self.seen - {"kvm_mmu_page_fault", *DPF_NAMES})

    def report(self, name):
        self.out(f"check-classification: {name}")
        for n in self.notes:
            self.out(f"  checked {n}")
        self.out(f"  classification helpers followed: {', '.join(self.helpers()) or 'none'}")
        for f in self.failures:
            self.out(f"  FAIL: {f}")
        if self.failures:
            self.out("FAIL: private vs. shared classification uses indirect calls or vendor code")
        else:
            self.out("PASS: no indirect call and no vendor code decides private vs. shared")


def main(argv):
    args = argv[1:]
    verbose = bool(args) and args[0] == "-v"
    if verbose:
        args = args[1:]
    if len(args) != 1:
        print("usage: python3 wb/classify.py [-v] VMLINUX", file=sys.stderr)
        return 2
    try:
        if not os.path.isfile(args[0]):
            raise Error("no such file")
        check = Check(vmlinux_binary(args[0]), verbose)
        ok = check.run()
    except Error as e:
        print(f"check-classification: error: {args[0]}: {e}", file=sys.stderr)
        return 2
    check.report(args[0])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
