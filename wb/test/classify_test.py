#!/usr/bin/env python3
"""Unit tests of wb/classify.py, the fault-path disassembly check, on canned
nm and objdump text (test_data/classify.*): a minimal "kernel" whose
kvm_mmu_page_fault() calls kvm_mmu_do_page_fault(), which classifies with a
direct call and dispatches through vcpu->arch.mmu->page_fault, and whose
npf_interception() tail-calls kvm_mmu_page_fault().  Each test changes one
instruction and checks the verdict."""
import os
import re
import unittest

from wb import classify

DATA = os.path.join(os.path.dirname(__file__), "test_data")


def read(name):
    with open(os.path.join(DATA, name)) as f:
        return f.read()


NM, OBJDUMP = read("classify.nm"), read("classify.objdump")
INSN = re.compile(r"^([0-9a-f]+):\t")


def binary(edits=(), nm=NM):
    """The canned Binary, with EDITS ((old line text, new line text)...)
    applied to the disassembly."""
    text = OBJDUMP
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)

    def disassemble(start, stop):
        return "\n".join(line for line in text.splitlines()
                         if INSN.match(line) and start <= int(INSN.match(line).group(1), 16) < stop)
    return classify.Binary(nm, disassemble)


def run(edits=(), nm=NM):
    check = classify.Check(binary(edits, nm), out=lambda s: None)
    ok = check.run()
    return ok, check


# One changed instruction each, and the failure it must cause: (what,
# old line, new line, regex of the failure).
FAILS = [
    ("an indirect call in a helper",
     "ffffffff81000090:\tmov    %rsi,%rax", "ffffffff81000090:\tcall   *%rax",
     r"^kvm_mmu_fault_is_private: indirect call/jump"),
    ("a retpoline thunk",
     "ffffffff81000090:\tmov    %rsi,%rax",
     "ffffffff81000090:\tcall   ffffffff810000e0 <__x86_indirect_thunk_rax>",
     "indirect call/jump"),
    ("a static call of a vendor op",
     "ffffffff81000040:\tcall   ffffffff81000090 <kvm_mmu_fault_is_private>",
     "ffffffff81000040:\tcall   ffffffff810000d0 <__SCT__kvm_x86_fault_is_private>",
     "static call of a vendor op"),
    ("the MMU calls vendor code",
     "ffffffff81000090:\tmov    %rsi,%rax", "ffffffff81000090:\tcall   ffffffff810000c0 <svm_helper>",
     "call into vendor code"),
    ("a vendor entry calls vendor code before the fault",
     "ffffffff810000a0:\tmov    %rdi,%rbx", "ffffffff810000a0:\tcall   ffffffff810000c0 <svm_helper>",
     r"^npf_interception: call before kvm_mmu_page_fault\(\) of vendor code"),
    ("a vendor entry sets the private bit",
     "ffffffff810000a0:\tmov    %rdi,%rbx", "ffffffff810000a0:\tbts    $0x31,%rbx",
     r"vendor code sets PFERR_PRIVATE_ACCESS \(bit 49\)"),
    ("a vendor entry ORs in the private bit",
     "ffffffff810000a0:\tmov    %rdi,%rbx",
     "ffffffff810000a0:\tmovabs $0x2000000000000,%rax\nffffffff810000a1:\tor     %rax,%rsi",
     "vendor code sets PFERR_PRIVATE_ACCESS"),
    # The compare with kvm_tdp_page_fault gone: the indirect call is no
    # longer known to be vcpu->arch.mmu->page_fault.
    ("no dispatch",
     "ffffffff8100004c:\tcmpq   $0xffffffff81000080,0x8(%rax)", "ffffffff8100004c:\tnop",
     r"^kvm_mmu_do_page_fault: can't find where the fault is dispatched"),
    # The pointer called is loaded from another field than the one
    # compared: not the dispatch either.
    ("a dispatch through another vcpu field",
     "ffffffff81000054:\tmov    0x300(%rdi),%rdx", "ffffffff81000054:\tmov    0x308(%rdi),%rdx",
     "can't find where the fault is dispatched"),
]


class ClassifyTest(unittest.TestCase):
    def assertFails(self, edits, pattern):
        ok, check = run(edits)
        self.assertFalse(ok)
        self.assertTrue(any(re.search(pattern, f) for f in check.failures),
                        f"no failure matches {pattern!r}: {check.failures}")

    def test_pass(self):
        ok, check = run()
        self.assertTrue(ok, check.failures)
        self.assertEqual(check.helpers(), ["kvm_mmu_fault_is_private"])
        self.assertEqual(check.notes, [
            "kvm_mmu_page_fault: 2 instructions up to the dispatch",
            "kvm_mmu_do_page_fault: 5 instructions up to the dispatch",
            "npf_interception: 2 instructions up to the call of kvm_mmu_page_fault()"])

    def test_code_after_the_dispatch_is_not_checked(self):
        # kvm_mmu_page_fault()'s "call *0x10(%rax)" follows its dispatch.
        ok, _ = run()
        self.assertTrue(ok)
        self.assertFails([("ffffffff81000000:\tpush   %rbx",
                           "ffffffff81000000:\tcall   *0x10(%rax)")], "indirect call")

    def test_a_retry_after_the_dispatch_is_not_checked(self):
        # Code after the dispatch that jumps back before it (a retry loop)
        # is not on the way to the first dispatch.
        ok, check = run([("ffffffff81000009:\tpop    %rbx",
                          "ffffffff81000009:\tjne    ffffffff81000000 <kvm_mmu_page_fault>")])
        self.assertTrue(ok, check.failures)

    def test_each_changed_instruction_fails(self):
        for what, old, new, pattern in FAILS:
            with self.subTest(what):
                self.assertFails([(old, new)], pattern)

    def test_a_mask_is_not_the_private_bit(self):
        # Bit 63 set too: a mask tested against, e.g. PFERR_SYNTHETIC_MASK.
        ok, check = run([("ffffffff810000a0:\tmov    %rdi,%rbx",
                          "ffffffff810000a0:\tmovabs $0x8002000000000000,%rax\n"
                          "ffffffff810000a1:\ttest   %rax,%rsi")])
        self.assertTrue(ok, check.failures)

    def test_diagnostics_are_not_followed(self):
        ok, check = run([("ffffffff81000090:\tmov    %rsi,%rax",
                          "ffffffff81000090:\tcall   ffffffff810000f0 <__warn_printk>")])
        self.assertTrue(ok, check.failures)
        self.assertNotIn("__warn_printk", check.helpers())

    def test_out_of_line_code_is_followed(self):
        # A branch to code outside any symbol (a .cold part) that runs
        # before the dispatch and comes back.
        edit = ("ffffffff8100004c:\tcmpq   $0xffffffff81000080,0x8(%rax)",
                "ffffffff8100004c:\tcmpq   $0xffffffff81000080,0x8(%rax)\n"
                "ffffffff81000050:\tje     ffffffff81001000")
        self.assertFails([edit], r"^kvm_mmu_do_page_fault: indirect call/jump: ffffffff81001000")
        # The same code, returning after the dispatch: not on the way to it.
        ok, check = run([edit, ("jmp    ffffffff81000054 <kvm_mmu_do_page_fault+0x14>",
                                "jmp    ffffffff8100005e <kvm_mmu_do_page_fault+0x1e>")])
        self.assertTrue(ok, check.failures)

    def test_no_vendor_entry(self):
        nm = "\n".join(line for line in NM.splitlines() if "npf_interception" not in line)
        ok, check = run(nm=nm)
        self.assertFalse(ok)
        self.assertIn("neither npf_interception nor handle_ept_violation found", check.failures)

    def test_not_a_kvm_vmlinux(self):
        nm = "\n".join(line for line in NM.splitlines() if " kvm_mmu_page_fault" not in line)
        with self.assertRaisesRegex(classify.Error, "not a vmlinux with built-in KVM"):
            run(nm=nm)

    def test_no_symbols(self):
        with self.assertRaisesRegex(classify.Error, "no symbols"):
            run(nm="")


if __name__ == "__main__":
    unittest.main()
