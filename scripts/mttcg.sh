#!/bin/bash
# `make mttcg`: does the stress test's nested guest crash more often under
# multi-threaded TCG with the series than without?  Boots the same stress
# test binary (the patched selftests) on 7.3.4 and on the series, N times
# each with the same arguments (one seed per run, the same seeds on both),
# under -accel tcg,thread=multi, both guests at once so that both see the
# same load, and prints the counts (wb/results.py mttcg-table).
#   MTTCG_RUNS=N (default 30)  MTTCG_ARGS="-d 10" (the test's arguments)
# Without a shared GPA bit (7.3.4 has none).  On 7.3.4 the test also fails
# on the spurious exits of the attribute race ("Unjustified shared memory
# fault exit"), the bug patch 1 fixes: the table lists each failure's kind,
# and QEMU's nested-paging failures show as SHUTDOWN or INTERNAL_ERROR exits.
. "$(dirname "$0")/lib.sh"

runs=${MTTCG_RUNS:-30} args=${MTTCG_ARGS:--d 10}
test=x86/private_mem_stress_test
read -r pk pb < <("$TOP"/scripts/prepare.sh patched "$test")
read -r bk bb < <("$TOP"/scripts/prepare.sh base)
list=$BUILD/mttcg/tests.list
mkdir -p "$BUILD/mttcg"
for i in $(seq 1 "$runs"); do echo "$test $args -s $i"; done >"$list"
cpu=$(python3 "$TOP"/wb/results.py shape cpu "$(python3 "$TOP"/wb/results.py shape first)")
log "mttcg: $runs runs of '$test $args' on base and on patched, at once, machine tcg (MTTCG), -smp 2 -cpu $cpu"
s=$(date +%s)
for k in base patched; do
	kernel=$bk; [ $k = base ] || kernel=$pk
	"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$pb" -l "$list" -n "mttcg-$k" -c "$cpu" \
		-M tcg -s 2 -t 120 >"$BUILD/mttcg/$k.out" 2>&1 &
done
wait || true
log "mttcg: $(fmt_secs $(( $(date +%s) - s )))"
python3 "$TOP"/wb/results.py mttcg-table "$BUILD/results/mttcg-base" "$BUILD/results/mttcg-patched"
