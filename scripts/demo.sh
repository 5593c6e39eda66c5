#!/bin/bash
# The second half of `make run` (called by scripts/run.sh after the series'
# own selftests ran on the patched kernel, results in build/results/demo):
#  1. the attribute-flip test on the base and the patched kernel, side by
#     side: spurious KVM_EXIT_MEMORY_FAULT exits, flips, reads;
#  2. one implicit conversion round trip through a shared GPA bit, from the
#     patched kernel's run of private_mem_shared_bit_test.
#   DEMO_FLIP_SECONDS=10   how long the flip test runs on each kernel
. "$(dirname "$0")/lib.sh"

secs=${DEMO_FLIP_SECONDS:-10}
flip=x86/private_mem_attr_flip_test
sbit=x86/private_mem_shared_bit_test

read -r pkernel pbindir < <("$TOP"/scripts/prepare.sh patched "$flip" "$sbit")
read -r bkernel _ < <("$TOP"/scripts/prepare.sh base)

list=$BUILD/run/flip.list
echo "$flip -d $secs" >"$list"
log "demo: $flip -d $secs on the base and the patched kernel"
# The flip test fails on the base kernel by design (it counts the spurious
# exits), so only the numbers matter here.
"$TOP"/scripts/run-guest.sh -k "$bkernel" -b "$pbindir" -l "$list" -n demo-flip-base \
	>"$BUILD/run/flip-base.out" 2>&1 || true
"$TOP"/scripts/run-guest.sh -k "$pkernel" -b "$pbindir" -l "$list" -n demo-flip-patched \
	>"$BUILD/run/flip-patched.out" 2>&1 || true

value() {	# value RUN KEY: "KEY: N" from what the run's tests printed
	{ wbparser output "$BUILD/results/$1" || true; } | sed -n "s/^\(# \)*$2: \([0-9]*\).*/\2/p" | head -n1
}

echo "==== Attribute flips racing with faults, $secs s, 1 vCPU, 64 guest_memfd pages"
printf '  %-10s %28s %10s %14s\n' kernel "spurious KVM_EXIT_MEMORY_FAULT" flips "guest reads"
rc=0
for side in base patched; do
	run=demo-flip-$side
	n=$(value "$run" spurious_memory_fault_exits)
	printf '  %-10s %28s %10s %14s\n' "$side" "${n:-?}" "$(value "$run" flips)" \
		"$(value "$run" guest_page_reads)"
	[ -n "$n" ] || { warn "no result from the $side kernel, see build/results/$run/"; rc=1; }
	[ "$side" = base ] || [ "${n:-1}" = 0 ] || rc=1
done
echo "  (details: build/results/demo-flip-{base,patched}/console.log)"

echo
echo "==== Implicit conversions through a shared GPA bit (patched kernel)"
if grep -q "private_mem_shared_bit_test" "$BUILD/results/demo/tests.list" 2>/dev/null; then
	wbparser output "$BUILD/results/demo" |
		sed -n 's/^\(# \)*\(ok\|not ok\) [0-9]* \(bit [0-9]*:.*\|errors.*\)/  \2: \3/p'
	cat <<'EOF'
  Each vCPU takes every page round the loop: a private write through the
  canonical GPA exits (shared -> private), a shared write through the alias
  exits (private -> shared), and reading both back exits twice more; the
  host converts with KVM_SET_MEMORY_ATTRIBUTES each time, and the data
  comes back from guest_memfd or from the shared memory respectively.
EOF
else
	warn "private_mem_shared_bit_test did not run in the demo"
	rc=1
fi
exit $rc
