#!/bin/bash
# The final tree's KVM code builds with clang: arch/x86/kvm/ (which holds
# virt/kvm's objects too) with the modules config (KVM=m, KVM_INTEL=m,
# KVM_AMD=m, KVM_WERROR=y, SEV, TDX, the KUnit test), LLVM=-19, in its own
# object directory.  The series changes no file outside KVM and its uAPI
# header, and gcc builds the whole kernel in the build stage, so a clang
# bzImage (three times as long) would add nothing.
. "$(dirname "$0")/lib.sh"

[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
obj=$(patched_obj modules llvm)
mkdir -p "$obj" "$BUILD/gates"
what="arch/x86/kvm/ LLVM=-19 (modules, KVM_WERROR=y)"
if "$TOP"/scripts/build-kernel.sh "$LINUX" "$obj" modules LLVM=-19 arch/x86/kvm/ >"$BUILD/gates/llvm.log" 2>&1; then
	if grep -E ': (warning|error):' "$BUILD/gates/llvm.log" | grep -q 'arch/x86/kvm\|virt/kvm\|kvm'; then
		grep -E ': (warning|error):' "$BUILD/gates/llvm.log" | sed 's/^/    /' >&2
		result llvm "$what" fail "clang warnings in KVM code"
		exit 1
	fi
	# Every object the series adds or changes was compiled.
	for o in mmu/mmu.o mmu/tdp_mmu.o mmu/private_access_test.o svm/sev.o svm/svm.o vmx/tdx.o vmx/vmx.o; do
		[ -f "$obj/arch/x86/kvm/$o" ] || { result llvm "$what" fail "arch/x86/kvm/$o was not built"; exit 1; }
	done
	result llvm "$what" pass
else
	grep -E 'error|warning' "$BUILD/gates/llvm.log" | head -n 40 | sed 's/^/    /' >&2
	result llvm "$what" fail "build failed (log: build/gates/llvm.log)"
	exit 1
fi
