#!/bin/bash
# The final tree builds with clang: bzImage of the test config, LLVM=-19,
# in its own object directory (build/obj/patched-test-llvm).
. "$(dirname "$0")/lib.sh"

[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
obj=$(patched_obj test llvm)
mkdir -p "$obj" "$BUILD/gates"
if "$TOP"/scripts/build-kernel.sh "$LINUX" "$obj" test LLVM=-19 bzImage >"$BUILD/gates/llvm.log" 2>&1; then
	if grep -E ': (warning|error):' "$BUILD/gates/llvm.log" | grep -q 'arch/x86/kvm\|virt/kvm\|kvm'; then
		grep -E ': (warning|error):' "$BUILD/gates/llvm.log" | sed 's/^/    /' >&2
		result llvm "bzImage LLVM=-19" fail "clang warnings in KVM code"
		exit 1
	fi
	result llvm "bzImage LLVM=-19" pass
else
	grep -E 'error|warning' "$BUILD/gates/llvm.log" | head -n 40 | sed 's/^/    /' >&2
	result llvm "bzImage LLVM=-19" fail "build failed (log: build/gates/llvm.log)"
	exit 1
fi
