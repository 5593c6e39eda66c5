#!/bin/bash
# `make vmx-race`: config/vmx-race-tests (the flip and stress tests) under
# VMX, kvm_intel with EPT, on wb/machines.py's bochs-fixed machine: Bochs
# built with emulators/bochs-*.patch (scripts/build-bochs.sh), without
# which a vCPU that spins in its guest stops L1.  The patched kernel must
# pass them with a clean kernel log; 7.3.4 must fail the flip test with
# spurious KVM_EXIT_MEMORY_FAULTs (config/expect's known-bad row).  Not
# part of make check: building Bochs costs about two minutes, which the
# CI budget doesn't have.  The last line is "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

out=$BUILD/vmx-race
rm -rf "$out"; mkdir -p "$out"
export RESULTS=$out/results.tsv
: >"$RESULTS"
: >"$out/durations"
t0=$(date +%s)
# The end, whatever happened: the summary line last (as make check's).
summary() {
	local rc=$?
	trap - EXIT
	[ $rc -eq 0 ] || result vmx-race "make vmx-race" fail "stopped (exit $rc): see above"
	finish "$rc" "make vmx-race" "$out/durations" "$t0"
}
trap summary EXIT
read -r PK PB < <("$TOP"/scripts/prepare.sh patched)
read -r BK _ < <("$TOP"/scripts/prepare.sh base --kernel)
wbconfig entries vmx-race-tests >"$out/patched.list"
flip=$(python3 -B "$TOP"/wb/results.py expect-rows known-bad | awk -F'\t' '$2 == "base" { print $4 "\t" $6; exit }')
[ -n "$flip" ] || die "config/expect: no known-bad row for base"
printf '%s\n' "${flip%%	*}" >"$out/base.list"
# Build Bochs once, before the two runs that need it.
s=$(date +%s)
flock "$CACHE/bochs-build.lock" "$TOP"/scripts/build-bochs.sh >/dev/null
printf '  %-28s %s\n' "bochs (build, or cached)" "$(fmt_secs $(( $(date +%s) - s )))" >>"$out/durations"
s=$(date +%s)
boot() {
	"$TOP"/scripts/run-guest.sh -M bochs-fixed -k "$2" -b "$PB" -l "$out/$1.list" \
		-n "vmx-race-$1" -t 120 >"$out/$1.out" 2>&1 || true
}
boot patched "$PK" &
boot base "$BK" &
wait
printf '  %-28s %s\n' "guests" "$(fmt_secs $(( $(date +%s) - s )))" >>"$out/durations"
python3 -B "$TOP"/wb/results.py record vmx-race "$BUILD/results/vmx-race-patched"
python3 -B "$TOP"/wb/results.py expect vmx-race "$BUILD/results/vmx-race-base" \
	"base $BASE_VERSION" "${flip%%	*}" fail "${flip#*	}"
python3 -B "$TOP"/wb/results.py runs-table patched="$BUILD/results/vmx-race-patched" \
	base="$BUILD/results/vmx-race-base"
echo "==== the flip test's own counts"
for k in patched base; do
	echo "  $k:"
	grep -h '^# # \(flips\|guest page faults\|spurious_memory_fault_exits\):' \
		"$BUILD/results/vmx-race-$k/tap.txt" | sed 's/^# # /    /' || true
done
echo "==== figures (config/figures)"
python3 -B "$TOP"/wb/results.py figures "$BUILD/results/vmx-race-patched" "$BUILD/results/vmx-race-base"
