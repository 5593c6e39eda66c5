#!/bin/bash
# `make check`: static gates, targeted runs and the whole KVM selftest
# suite, base against patched.  Prints each stage's duration; the last line
# is always "N passed, N failed, N skipped"; exits non-zero on any failure.
#   SUITE_TIMEOUT  per-test timeout in the guest (seconds, default 180)
#   SUITE_SMP      vCPUs of each guest (default 2)
#   SUITE_JOBS     guests run at once (default 2)
#   SUITE_NPT0     mmu (default: config/mmu-tests with npt=0) or full
#   CHECK_SKIP     stages to leave out, e.g. "suite" (for quick iterations;
#                  a skipped stage is reported; skipping "build" stops
#                  after the static gates)
. "$(dirname "$0")/lib.sh"

SUITE_TIMEOUT=${SUITE_TIMEOUT:-180}
SUITE_SMP=${SUITE_SMP:-2}
SUITE_JOBS=${SUITE_JOBS:-2}
SUITE_NPT0=${SUITE_NPT0:-mmu}
CHECK_SKIP=${CHECK_SKIP:-}
out=$BUILD/check
export RESULTS=$out/results.tsv
mkdir -p "$out"
rm -f "$out"/*.out
: >"$RESULTS"
: >"$out/durations"
t0=$(date +%s)

summary() {
	local rc=$? p f s
	trap - EXIT
	[ -z "${stage_running:-}" ] || result "$stage_running" "stage" fail "aborted (exit $rc)"
	echo
	echo "==== make check: stage durations"
	cat "$out/durations"
	printf '  %-28s %s\n' total "$(fmt_secs $(( $(date +%s) - t0 )))"
	if grep -q "	fail	" "$RESULTS"; then
		echo "==== failures"
		awk -F'\t' '$3 == "fail" { printf "  %s: %s%s\n", $1, $2, ($4 != "" ? " (" $4 ")" : "") }' "$RESULTS"
	fi
	if grep -q "known on base" "$RESULTS"; then
		echo "==== known on base (fail on base and patched; counted as skipped)"
		awk -F'\t' '$4 ~ /^known on base/ { printf "  %s: %s (%s)\n", $1, $2, $4 }' "$RESULTS"
	fi
	p=$(awk -F'\t' '$3 == "pass"' "$RESULTS" | wc -l)
	f=$(awk -F'\t' '$3 == "fail"' "$RESULTS" | wc -l)
	s=$(awk -F'\t' '$3 == "skip"' "$RESULTS" | wc -l)
	[ $rc -eq 0 ] && [ "$f" -gt 0 ] && rc=1
	echo "$p passed, $f failed, $s skipped"
	exit $rc
}
trap summary EXIT

failed=0
# stage NAME CMD...: run one stage, time it, record an unexplained failure;
# its exit status is left in $last_rc.
stage() {
	local name=$1 s rc nf; shift
	if [[ " $CHECK_SKIP " == *" $name "* ]]; then
		result "$name" "stage" skip "CHECK_SKIP"
		return 0
	fi
	echo "==== stage $name"
	s=$(date +%s)
	nf=$(grep -c "	fail	" "$RESULTS" || true)
	stage_running=$name
	# The stage runs in a subshell with errexit on; stage itself is never
	# called from a condition (bash would silently disable errexit there).
	set +e
	( set -e; "$@" )
	rc=$?
	set -e
	stage_running=
	if [ $rc -ne 0 ] && [ "$(grep -c "	fail	" "$RESULTS" || true)" -eq "$nf" ]; then
		result "$name" "stage" fail "exited with $rc"
	fi
	[ $rc -eq 0 ] || failed=1
	last_rc=$rc
	printf '  %-28s %s%s\n' "$name" "$(fmt_secs $(( $(date +%s) - s )))" \
		"$([ $rc -eq 0 ] || echo '  FAILED')" | tee -a "$out/durations"
}

# run_queue CMD...: run shell commands in the background, $SUITE_JOBS at
# once.  A -smp 2 TCG guest keeps about one host core busy, so two guests
# at once roughly halve the wall time on two cores.
run_queue() {
	local c running=0
	for c in "$@"; do
		[ -n "$c" ] || continue
		if [ $running -ge "$SUITE_JOBS" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		eval "$c" &
		running=$((running + 1))
	done
	wait || true
}

# guest NAME KERNEL BINDIR LIST [APPEND [ACCEL]]: one guest run, output in
# $out/NAME.out.  A NAME ending in -single is a run of config/tcg-single's
# tests, under single-threaded TCG.
guest() {
	local accel=${6:-tcg,thread=multi}
	[[ $1 != *-single && $1 != *-single-retry ]] || accel=tcg,thread=single
	"$TOP"/scripts/run-guest.sh -k "$2" -b "$3" -l "$4" -n "$1" -a "${5:-}" \
		-s "$SUITE_SMP" -t "$SUITE_TIMEOUT" -x "$accel" >"$out/$1.out" 2>&1
}

# --- build/linux = base + patches/ (or the work in progress kept there) -----
tree() {
	if "$TOP"/scripts/ensure-tree.sh; then
		result tree "patches/ apply to the base" pass
	else
		result tree "patches/ apply to the base" fail "see above"
		return 1
	fi
}
stage tree tree
tree_rc=$last_rc
git -C "$LINUX" rev-parse -q --verify refs/tags/base >/dev/null || exit 1

# --- a. static gates --------------------------------------------------------
stage checkpatch "$TOP"/scripts/gate-checkpatch.sh
stage bisect "$TOP"/scripts/gate-bisect.sh
# A series that does not apply: the bisect gate has named the patch.
[ "$tree_rc" -eq 0 ] || exit 1
stage sparse-W1 "$TOP"/scripts/gate-sparse.sh
stage llvm "$TOP"/scripts/gate-llvm.sh
stage docs "$TOP"/scripts/gate-docs.sh

# --- builds for the guest runs -----------------------------------------------
build_all() {
	read -r BK BB < <("$TOP"/scripts/prepare.sh base)
	read -r PK PB < <("$TOP"/scripts/prepare.sh patched)
	printf '%s\n' "$BK" "$BB" "$PK" "$PB" >"$out/artifacts"
	result build "base and patched kernels and selftests" pass
}
stage build build_all
if [[ " $CHECK_SKIP " == *" build "* ]]; then
	exit $failed
elif [ "$last_rc" -ne 0 ]; then
	result build "base and patched kernels and selftests" fail "see the output above"
	exit 1
fi
{ read -r BK; read -r BB; read -r PK; read -r PB; } <"$out/artifacts"

# The patched vmlinux: no indirect call or vendor code decides private vs.
# shared on the fault path (issue: deterministic benchmark, part 4).
classification() {
	local v=${PK%/arch/x86/boot/bzImage}/vmlinux
	if "$TOP"/scripts/check-classification.sh "$v" >"$out/classification.txt" 2>&1; then
		result classification "no indirect or vendor call classifies a fault" pass
	else
		cat "$out/classification.txt"
		result classification "no indirect or vendor call classifies a fault" fail
		return 1
	fi
}
stage classification classification

# Boot RUN's failed tests that config/retry-once lists once more, as RUN-retry.
retry_once() {
	local run=$1 kernel=$2 args=$3 list=$out/$1-retry.list
	rm -rf "$BUILD/results/$run-retry"
	python3 "$TOP"/scripts/results.py retries "$BUILD/results/$run" >"$list"
	[ -s "$list" ] || return 0
	log "$run: retrying once (config/retry-once): $(paste -sd, "$list")"
	guest "$run-retry" "$kernel" "$PB" "$list" "$args" || true
	cat "$out/$run-retry.out"
}

# record_runs STAGE KERNEL NPT...: for each boot STAGE-NPT that ran, print its
# output, retry config/retry-once's failed tests once, and record the results
# as STAGE/NPT; then print the figures of the npt=1 boots (config/figures).
record_runs() {
	local stage=$1 kernel=$2 n; shift 2
	for n in "$@"; do
		[ -f "$out/$stage-$n.out" ] || continue
		cat "$out/$stage-$n.out"
		retry_once "$stage-$n" "$kernel" "$([ "$n" = npt0 ] && echo kvm_amd.npt=0 || true)"
		python3 "$TOP"/scripts/results.py record "$stage/$n" "$BUILD/results/$stage-$n" \
			"$BUILD/results/$stage-$n-retry"
	done
	echo "==== figures (config/figures)"
	python3 "$TOP"/scripts/results.py figures "$BUILD/results/$stage-npt1" \
		"$BUILD/results/$stage-npt1-single"
}

# --- b. targeted runs on patched --------------------------------------------
targeted() {
	local list=$out/targeted.list t
	"$TOP"/scripts/test-lists.sh targeted >"$list"
	while read -r t _; do
		[ -f "$PB/$t" ] || { result targeted "$t" fail "not built: is it in tools/testing/selftests/kvm/Makefile.kvm?"; return 1; }
	done <"$list"
	split_single "$list"
	rm -rf "$BUILD/results/targeted-npt1-single"
	log "targeted: $(wc -l <"$list") tests, npt=1 and npt=0; $(wc -l <"$list.single") more, npt=1, under single-threaded TCG (config/tcg-single)"
	run_queue "guest targeted-npt1 $PK $PB $list" "guest targeted-npt0 $PK $PB $list kvm_amd.npt=0" \
		"$([ ! -s "$list.single" ] || echo "guest targeted-npt1-single $PK $PB $list.single")"
	record_runs targeted "$PK" npt1 npt0 npt1-single
	! grep -q "^targeted.*	fail	" "$RESULTS"
}
stage targeted targeted

# --- b'. the same on a debug kernel (lockdep, KASAN, ...) ---------------------
# config/debug.fragment on top of the test config; npt=1 only.  The
# benchmark measures rather than checks, and takes long under KASAN.
debug() {
	local obj list=$out/debug.list
	obj=$(patched_obj debug)
	if ! "$TOP"/scripts/build-kernel.sh "$LINUX" "$obj" debug bzImage >"$out/debug-build.log" 2>&1; then
		tail -n 30 "$out/debug-build.log"
		result debug "debug kernel build" fail "log: ${out#$TOP/}/debug-build.log"
		return 1
	fi
	"$TOP"/scripts/test-lists.sh targeted | grep -v '^x86/private_fault_perf_test' >"$list"
	split_single "$list"
	rm -rf "$BUILD/results/debug-npt1-single"
	log "debug: $(wc -l <"$list") tests on the debug kernel; $(wc -l <"$list.single") more under single-threaded TCG (config/tcg-single)"
	run_queue "guest debug-npt1 $obj/arch/x86/boot/bzImage $PB $list" \
		"$([ ! -s "$list.single" ] || echo "guest debug-npt1-single $obj/arch/x86/boot/bzImage $PB $list.single")"
	record_runs debug "$obj/arch/x86/boot/bzImage" npt1 npt1-single
	! grep -q "^debug.*	fail	" "$RESULTS"
}
stage debug debug

# Leave out the tests config/suite-skip lists (results.py reports them).
suite_skip() {
	local skip
	skip=$(sed -e 's/#.*//' "$TOP/config/suite-skip" | awk 'NF { print $1 }')
	grep -vxF -f <(echo "$skip") || true
}

# --- c. the whole suite, base against patched ---------------------------------
# npt=1: every test.  npt=0: config/mmu-tests (SUITE_NPT0=full: every test).
# Base results are cached under $CACHE (scripts/base-suite.sh).
suite() {
	local n bt pt args regs bdir
	bt=$(dirname "$BB")/tests.txt pt=$(dirname "$PB")/tests.txt
	for n in npt1 npt0; do
		if [ $n = npt1 ] || [ "$SUITE_NPT0" = full ]; then
			"$TOP"/scripts/test-lists.sh suite "$bt" >"$out/suite-base-$n.list"
			"$TOP"/scripts/test-lists.sh rest "$pt" | suite_skip >"$out/suite-patched-$n.list"
		else
			"$TOP"/scripts/test-lists.sh mmu "$bt" >"$out/suite-base-$n.list"
			"$TOP"/scripts/test-lists.sh mmu-rest "$pt" | suite_skip >"$out/suite-patched-$n.list"
		fi
	done
	log "suite: npt=1 $(wc -l <"$out/suite-base-npt1.list") tests, npt=0 $(wc -l <"$out/suite-base-npt0.list") tests (base results cached under \$CACHE/results)"
	rm -f "$out"/suite-base-*.dir
	export SUITE_SMP SUITE_TIMEOUT
	run_queue \
		"\"$TOP\"/scripts/base-suite.sh npt1 $out/suite-base-npt1.list >$out/suite-base-npt1.dir 2>$out/base-suite-npt1.out" \
		"\"$TOP\"/scripts/base-suite.sh npt0 $out/suite-base-npt0.list >$out/suite-base-npt0.dir 2>$out/base-suite-npt0.out" \
		"guest patched-suite-npt1 $PK $PB $out/suite-patched-npt1.list" \
		"guest patched-suite-npt0 $PK $PB $out/suite-patched-npt0.list kvm_amd.npt=0"
	for n in npt1 npt0; do
		args=$([ $n = npt0 ] && echo kvm_amd.npt=0 || true)
		bdir=$(cat "$out/suite-base-$n.dir" 2>/dev/null || true)
		if [ -z "$bdir" ] || [ ! -f "$bdir/results.tsv" ]; then
			cat "$out/base-suite-$n.out" >&2
			result "suite/$n" "base guest" fail "the base guest did not finish"
			continue
		fi
		log "suite/$n: $(grep -E '^# [0-9]+ tests' "$bdir/summary.txt" | sed 's/^# //') on base"
		log "suite/$n: $(grep -E '^# [0-9]+ tests' "$BUILD/results/patched-suite-$n/summary.txt" | sed 's/^# //') on patched (without the targeted tests)"
		# A test that passes on base and not on patched gets one retry.  The
		# targeted runs count with their retries (config/retry-once).
		rm -rf "$BUILD/results/patched-suite-$n-retry"
		regs=$(python3 "$TOP"/scripts/results.py regressions "$bdir" \
			"$BUILD/results/patched-suite-$n" "$BUILD/results/targeted-$n" \
			"$BUILD/results/targeted-$n-retry")
		if [ -n "$regs" ]; then
			log "suite/$n: retrying once: $(echo $regs)"
			echo "$regs" >"$out/retry-$n.list"
			guest "patched-suite-$n-retry" "$PK" "$PB" "$out/retry-$n.list" "$args" || true
		fi
		python3 "$TOP"/scripts/results.py compare "suite/$n" "$bdir" \
			"$BUILD/results/patched-suite-$n" "$BUILD/results/targeted-$n" \
			"$BUILD/results/targeted-$n-retry" "$BUILD/results/patched-suite-$n-retry"
	done
	! grep -q "^suite.*	fail	" "$RESULTS"
}
stage suite suite

# --- the model (written elsewhere), if there is one -----------------------------
if [ -x "$TOP/scripts/model.sh" ]; then
	model() {
		if "$TOP"/scripts/model.sh; then result model "scripts/model.sh" pass
		else result model "scripts/model.sh" fail; return 1; fi
	}
	stage model model
fi

[ $failed -eq 0 ]
