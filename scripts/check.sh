#!/bin/bash
# `make check`: static gates, targeted runs and the whole KVM selftest
# suite, base against patched.  Prints each stage's duration; the last line
# is always "N passed, N failed, N skipped"; exits non-zero on any failure.
#   SUITE_TIMEOUT  per-test timeout in the guest (seconds, default 180)
#   SUITE_JOBS     guests run at once (default 2)
#   SUITE_NPT0     mmu (default: config/mmu-tests with npt=0) or full
#   CHECK_SKIP     stages to leave out, e.g. "suite" (for quick iterations;
#                  a skipped stage is reported; skipping "build" stops
#                  after the static gates; "callback" leaves out building
#                  the callback kernel, "unit" the unit tests)
#   CHECK_ONLY     the stages to run (and "build" for the guest stages),
#                  e.g. "tree build vmx" (make vmx); the others are skipped
. "$(dirname "$0")/lib.sh"

SUITE_TIMEOUT=${SUITE_TIMEOUT:-180}
SUITE_JOBS=${SUITE_JOBS:-2}
[[ $SUITE_JOBS =~ ^[1-9][0-9]*$ ]] || die "SUITE_JOBS=$SUITE_JOBS: a number of guests, 1 or more"
SUITE_NPT0=${SUITE_NPT0:-mmu}
CHECK_SKIP=${CHECK_SKIP:-}
CHECK_ONLY=${CHECK_ONLY:-}
out=$BUILD/check
export RESULTS=$out/results.tsv
# Every guest run of this make check is listed here once its old directory
# is gone; results.py reads no other run under build/results.
export CHECK_RUNS=$out/runs
mkdir -p "$out"
rm -f "$out"/*.out "$out"/*.list "$out"/*.list.single
: >"$RESULTS"
: >"$CHECK_RUNS"
: >"$out/durations"
t0=$(date +%s)

# The end: stage durations, failures, known on base, and the summary line
# (wb/printer.py), the last line whatever happened.
summary() {
	local rc=$?
	trap - EXIT
	[ -z "${stage_running:-}" ] || result "$stage_running" "stage" fail "aborted (exit $rc)"
	finish "$rc" "make check" "$out/durations" "$t0"
}
trap summary EXIT

failed=0
# stage NAME CMD...: run one stage, time it, record an unexplained failure;
# its exit status is left in $last_rc.
stage() {
	local name=$1 s rc nf; shift
	# A stage is left out by its name or the part before a "-" (sparse-W1).
	if [[ " $CHECK_SKIP " == *" $name "* || " $CHECK_SKIP " == *" ${name%%-*} "* ]] ||
	   [[ -n "$CHECK_ONLY" && " $CHECK_ONLY " != *" $name "* && " $CHECK_ONLY " != *" ${name%%-*} "* ]]; then
		result "$name" "stage" skip "CHECK_SKIP/CHECK_ONLY"
		last_rc=0
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

# guest NAME KERNEL BINDIR LIST [run-guest.sh options]: one guest run,
# output in $out/NAME.out, results in a fresh build/results/NAME.
guest() {
	local name=$1 kernel=$2 bindir=$3 list=$4; shift 4
	rm -rf "${BUILD:?}/results/$name"
	echo "$name" >>"$CHECK_RUNS"
	"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$bindir" -l "$list" -n "$name" \
		-t "$SUITE_TIMEOUT" "$@" >"$out/$name.out" 2>&1
}

# A stage's guest runs, as data: plan NAME KERNEL LIST SHAPE [run-guest.sh
# options] describes one (SHAPE: a config/shapes name, or - for none; the
# options are kept NUL-separated in $out/plans/NAME.opts), boot_planned boots
# them all ($SUITE_JOBS at once), record_runs records them.
declare -A RUN_KERNEL RUN_LIST RUN_SHAPE
planned=()
mkdir -p "$out/plans"
rm -f "$out"/plans/*
plan() {
	local n=$1
	RUN_KERNEL[$n]=$2 RUN_LIST[$n]=$3 RUN_SHAPE[$n]=$4
	shift 4
	if [ $# -gt 0 ]; then printf '%s\0' "$@"; fi >"$out/plans/$n.opts"
	planned+=("$n")
}
# boot_run RUN [AS LIST [OPTION...]]: boot the planned run RUN, or, as the
# run AS, its kernel and options with another test LIST and more options.
boot_run() {
	local n=$1 as=${2:-$1} list=${3:-${RUN_LIST[$1]}} opts
	mapfile -d '' -t opts <"$out/plans/$n.opts"
	guest "$as" "${RUN_KERNEL[$n]}" "$PB" "$list" "${opts[@]}" "${@:4}"
}
boot_planned() { run_queue "$SUITE_JOBS" boot_run "${planned[@]}"; }
# shape_opts SHAPE: run-guest.sh's -c and -a for a config/shapes row.
shape_opts() {
	local cpu append
	cpu=$(python3 "$TOP"/wb/results.py shape cpu "$1")
	append=$(python3 "$TOP"/wb/results.py shape append "$1")
	printf '%s\n' -c "$cpu" -a "$append"
}

# --- the workbench's own unit tests (results.py's rules, the classifier), seconds
unit() {
	if python3 -B "$TOP"/wb unit 2>&1 | tail -n 60; then
		result unit "scripts/*_test.py wb/test/*_test.py" pass
	else
		result unit "scripts/*_test.py wb/test/*_test.py" fail "see above"
		return 1
	fi
}
stage unit unit

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
	# Patched first: the base kernel is then built incrementally from its
	# objects (prepare.sh, derive-tree.sh).
	read -r PK PB < <("$TOP"/scripts/prepare.sh patched)
	# Every guest of make check runs the patched selftests, on base too:
	# the same binaries on both kernels, so that only the kernel differs.
	read -r BK _ < <("$TOP"/scripts/prepare.sh base --kernel)
	BB=$PB
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
# The series' own tests (results.py's skip rule on npt=1).
"$TOP"/scripts/test-lists.sh series >"$out/series.list"

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

# Boot RUN's failed tests that config/retry-once lists once more, as
# RUN-retry, with RUN's options, if their failure is the QEMU signature
# (results.py retries says which and why).
retry_once() {
	local run=$1 list=$out/$1-retry.list
	rm -rf "${BUILD:?}/results/$run-retry"
	python3 "$TOP"/wb/results.py retries "$BUILD/results/$run" >"$list"
	[ -s "$list" ] || return 0
	log "$run: retrying once (config/retry-once): $(paste -sd, "$list")"
	boot_run "$run" "$run-retry" "$list" -r "$run" || true
	cat "$out/$run-retry.out"
}

# Boot RUN once more if its kernel log has a report at boot that isn't the
# series' (results.py reboot says whether and why): the first boot's
# report and trace are printed and kept in RUN-first, and the result is
# flaky, not a pass.
reboot_once() {
	local stage=$1 run=$2 why
	rm -rf "${BUILD:?}/results/$run-first"
	why=$(python3 "$TOP"/wb/results.py reboot "$BUILD/results/$run") || return 0
	mv "$BUILD/results/$run" "$BUILD/results/$run-first"
	log "$run: booting once more: $why"
	boot_run "$run" || true
	cat "$out/$run.out"
	result "$stage" "$run: kernel log at first boot" pass "FLAKY: $why; booted once more (build/results/$run-first)"
}

# record_runs STAGE RUN...: for each RUN (planned, named STAGE-LABEL) that
# ran, print its output, retry config/retry-once's failed tests once, and
# record the results as STAGE/LABEL, with the skip rules of its shape.
record_runs() {
	local stage=$1 run shape; shift
	for run in "$@"; do
		[ -f "$out/$run.out" ] || continue
		cat "$out/$run.out"
		reboot_once "$stage" "$run"
		retry_once "$run"
		shape=()
		[ "${RUN_SHAPE[$run]}" = - ] || shape=(--shape "${RUN_SHAPE[$run]}")
		python3 "$TOP"/wb/results.py record "$stage/${run#"$stage"-}" "$BUILD/results/$run" \
			--retry "$BUILD/results/$run-retry" --series "$out/series.list" "${shape[@]}"
	done
}

# expect_runs STAGE [OPTS]: plan config/expect's rows for STAGE (one boot each,
# expect-STAGE-N); expect_record STAGE records them (and their rows of the
# known-bad table).
expect_runs() {
	local n kernel append test res re k
	# Read from a file: a failure of results.py stops here (set -e),
	# instead of planning no row.
	python3 "$TOP"/wb/results.py expect-rows "$1" >"$out/expect-$1.rows"
	while IFS=$'\t' read -r n kernel append test res re; do
		[ "$append" != - ] || append=
		printf '%s\n' "$test" >"$out/expect-$1-$n.list"
		case $kernel in
		base) k=$BK ;;
		patched) k=$PK ;;
		fix) k=$(fix_kernel) || { result "$1" "build of the fix kernel (patch 1 alone)" fail \
			"log: ${out#"$TOP"/}/fix-build.log"; continue; } ;;
		*) die "config/expect: kernel $kernel" ;;
		esac
		plan "expect-$1-$n" "$k" "$out/expect-$1-$n.list" - -a "$append" "${@:2}"
	done <"$out/expect-$1.rows"
}
# The first patch of the series alone on the base (a fix for stable), built
# incrementally from make build's objects (derive-tree.sh); prints its bzImage.
fix_kernel() {
	local obj first
	first=$(git -C "$LINUX" rev-list --reverse base..HEAD | head -n1)
	obj=$("$TOP"/scripts/derive-tree.sh "$first" "$BUILD/fix-src" 2>"$out/fix-build.log") &&
		"$TOP"/scripts/build-kernel.sh "$BUILD/fix-src" "$obj" test bzImage >>"$out/fix-build.log" 2>&1 &&
		echo "$obj/arch/x86/boot/bzImage"
}
expect_record() {
	local n kernel append test res re label opt
	while IFS=$'\t' read -r n kernel append test res re; do
		[ "$append" != - ] || append=
		cat "$out/expect-$1-$n.out"
		label=$kernel opt=(--clean-log)
		[ "$kernel" != base ] || label="base $BASE_VERSION" opt=(--table "$out/known-bad.tsv")
		[ "$kernel" != fix ] || label="$BASE_VERSION + patch 1" opt=(--clean-log --table "$out/known-bad.tsv")
		python3 "$TOP"/wb/results.py expect "$1/expect" "$BUILD/results/expect-$1-$n" \
			"$label${append:+, $append}" "$test" "$res" "$re" "${opt[@]}"
	done <"$out/expect-$1.rows"
}

# --- known-bad kernels: the tests must fail there (and the fix alone must pass) ---
# The classification check on make bench's callback kernel (build/linux plus
# a static call into vendor code, bench/; scripts/build-callback.sh,
# incremental), and on 7.3.4 (whose vendor code sets PFERR_PRIVATE_ACCESS);
# config/expect's known-bad rows (the attribute-flip test on 7.3.4).
classification_bad() {	# STAGE LABEL VMLINUX REASON: record it as STAGE
	local stage=$1 rc=0 f=$out/classification-${2%% *}.txt why; shift
	"$TOP"/scripts/check-classification.sh "$2" >"$f" 2>&1 || rc=$?
	why=$(grep -m1 "^  FAIL: .*$3" "$f" | sed 's/^  FAIL: //' || true)
	if [ $rc -eq 1 ] && [ -n "$why" ]; then
		result "$stage" "check-classification.sh on $1" pass "FAIL as expected: $why"
		python3 "$TOP"/wb/results.py known-bad-row "$out/known-bad.tsv" "$1" \
			check-classification.sh FAIL "FAIL: $why" caught
	else
		cat "$f"
		if [ $rc -eq 0 ]; then why="known-bad kernel not caught: the check passed"
		elif [ $rc -eq 1 ]; then why="it failed, but not for: $3"
		else why="the check could not run (exit $rc)"; fi
		result "$stage" "check-classification.sh on $1" fail "$why"
		python3 "$TOP"/wb/results.py known-bad-row "$out/known-bad.tsv" "$1" \
			check-classification.sh FAIL "$(tail -n1 "$f")" "NOT CAUGHT"
	fi
}
# The callback kernel is built by the mutants stage, incrementally in its
# object directory (MUTANTS_CALLBACK); without that stage, on its own.
callback() {
	local v=$out/callback-vmlinux obj
	if [ ! -f "$v" ]; then
		if ! obj=$("$TOP"/scripts/build-callback.sh 2>"$out/callback-build.log"); then
			tail -n 30 "$out/callback-build.log"
			result callback "callback kernel build" fail "log: ${out#$TOP/}/callback-build.log"
			return 1
		fi
		v=$obj/vmlinux
	fi
	classification_bad callback "callback (bench/)" "$v" "static call of a vendor op"
	python3 "$TOP"/wb/results.py known-bad-table "$out/known-bad.tsv"
	! grep -q "^callback	[^	]*	fail	" "$RESULTS"
}
: >"$out/known-bad.tsv"
rm -f "$out/callback-vmlinux"
known_bad() {
	local s
	planned=()
	expect_runs known-bad
	log "known-bad: ${#planned[@]} guest runs on known-bad kernels (config/expect), the classification check on base"
	classification_bad known-bad "base $BASE_VERSION" "${BK%/arch/x86/boot/bzImage}/vmlinux" \
		"vendor code sets PFERR_PRIVATE_ACCESS"
	s=$(date +%s)
	boot_planned
	expect_record known-bad
	printf '  %-28s %s\n' "known-bad guests" "$(fmt_secs $(( $(date +%s) - s )))"
	python3 "$TOP"/wb/results.py known-bad-table "$out/known-bad.tsv"
	! grep -q "^known-bad[^	]*	[^	]*	fail	" "$RESULTS"
}
stage known-bad known_bad

# --- b. targeted runs on patched --------------------------------------------
# The targeted tests (config/tcg-single's aside) once per guest shape
# (config/shapes), npt=1; config/tcg-single's on the first shape under
# single-threaded TCG; with npt=0, where KVM offers no software-protected
# VM and every series test skips, only config/expect's check of that.
targeted() {
	local list=$out/targeted.list t s n first runs table dirs
	"$TOP"/scripts/test-lists.sh targeted >"$list"
	while read -r t _; do
		[ -f "$PB/$t" ] || { result targeted "$t" fail "not built: is it in tools/testing/selftests/kvm/Makefile.kvm?"; return 1; }
	done <"$list"
	split_single "$list"
	planned=()
	python3 "$TOP"/wb/results.py shape names >"$out/shapes"
	mapfile -t shapes <"$out/shapes"
	first=${shapes[0]}
	for s in "${shapes[@]}"; do
		shape_opts "$s" >"$out/shape-$s.opts"
		mapfile -t o <"$out/shape-$s.opts"
		plan "targeted-$s" "$PK" "$list" "$s" "${o[@]}"
	done
	mapfile -t o <"$out/shape-$first.opts"
	[ ! -s "$list.single" ] || plan targeted-single "$PK" "$list.single" "$first" "${o[@]}" -M tcg-single
	expect_runs targeted
	log "targeted: $(wc -l <"$list") tests on ${#shapes[@]} guest shapes (${shapes[*]}), npt=1; $(wc -l <"$list.single") more on $first under single-threaded TCG (config/tcg-single); config/expect's npt=0 check"
	boot_planned
	runs=() table=() dirs=()
	for n in "${planned[@]}"; do
		t=${n#targeted-}
		table+=("${t/#expect-targeted-/expect-}=$BUILD/results/$n")
		[[ $n == expect-* ]] || { runs+=("$n"); dirs+=("$BUILD/results/$n"); }
	done
	record_runs targeted "${runs[@]}"
	expect_record targeted
	python3 "$TOP"/wb/results.py runs-table "${table[@]}"
	echo "==== figures (config/figures)"
	python3 "$TOP"/wb/results.py figures "${dirs[@]}"
	! grep -q "^targeted[^	]*	[^	]*	fail	" "$RESULTS"
}
stage targeted targeted

# --- b''. VMX: kvm_intel with EPT under Bochs ---------------------------------
# config/vmx-tests on the patched kernel with EPT A/D bits (vmx-ept) and
# without (vmx-eptad0: the fast path takes not-present faults), each a
# shape of config/expected-skips; the base's tests of the list on the base
# kernel, which the patched kernel must pass wherever base does; and
# config/expect's vmx row (kvm_intel.ept=0: no software-protected VMs).
vmx() {
	local list=$out/vmx.list blist=$out/vmx-base.list n runs=()
	wbconfig entries vmx-tests >"$list"
	while read -r n _; do
		[ -f "$PB/$n" ] || { result vmx "$n" fail "not built"; return 1; }
	done <"$list"
	# The base's tests: not the series' own (which need its uAPI).
	"$TOP"/scripts/test-lists.sh series >"$out/vmx-series.list"
	wbconfig without "$out/vmx-series.list" <"$list" >"$blist"
	planned=()
	plan vmx-ept "$PK" "$list" bochs-ept -M bochs
	plan vmx-eptad0 "$PK" "$list" bochs-eptad0 -M bochs -a kvm_intel.eptad=0
	plan vmx-base "$BK" "$blist" - -M bochs
	expect_runs vmx -M bochs
	log "vmx: $(wc -l <"$list") tests on the patched kernel under Bochs (kvm_intel, EPT with and without A/D bits), $(wc -l <"$blist") on base; config/expect's ept=0 check"
	boot_planned
	for n in "${planned[@]}"; do
		case $n in vmx-ept|vmx-eptad0) runs+=("$n") ;; esac
	done
	record_runs vmx "${runs[@]}"
	expect_record vmx
	cat "$out/vmx-base.out"
	# Without a finished base run there is nothing to compare with.
	if ! wbparser done "$BUILD/results/vmx-base"; then
		result vmx/base "base guest" fail "the base guest did not finish: see build/results/vmx-base"
	else
		for n in ept eptad0; do
			python3 "$TOP"/wb/results.py compare vmx/base "$BUILD/results/vmx-base" \
				--no-suite-skip --counted "vmx/$n" "$BUILD/results/vmx-$n" \
				"$BUILD/results/vmx-$n-retry"
		done
	fi
	python3 "$TOP"/wb/results.py runs-table ept="$BUILD/results/vmx-ept" \
		eptad0="$BUILD/results/vmx-eptad0" base="$BUILD/results/vmx-base"
	# Bochs' speed: its instruction count at exit ("(0).[N]", idle time
	# fast-forwarded included) over the run's wall time.
	for n in vmx-ept vmx-eptad0 vmx-base; do
		awk -v s="$(cat "$BUILD/results/$n/seconds")" -v n="$n" '
			match($0, /^\(0\)\.\[[0-9]+\]/) { t = substr($0, 6, RLENGTH - 6) }
			END { if (t && s) printf "  %s: Bochs ran %.2f G instructions in %d s: %.0f M/s\n", n, t / 1e9, s, t / s / 1e6 }' \
			"$BUILD/results/$n/bochs.out"
	done
	! grep -q "^vmx[^	]*	[^	]*	fail	" "$RESULTS"
}
stage vmx vmx

# --- b'. the same on a debug kernel (lockdep, KASAN, ...) ---------------------
# config/debug.fragment on top of the test config; npt=1, the first shape
# only.
debug() {
	local obj list=$out/debug.list first
	obj=$(patched_obj debug)
	if ! "$TOP"/scripts/build-kernel.sh "$LINUX" "$obj" debug bzImage >"$out/debug-build.log" 2>&1; then
		tail -n 30 "$out/debug-build.log"
		result debug "debug kernel build" fail "log: ${out#$TOP/}/debug-build.log"
		return 1
	fi
	# Not the benchmark, and not set_memory_region_test, a base test that
	# doesn't use private memory and takes two minutes under KASAN (stages
	# b and c run it).
	# The hostile test with a fifth of its default calls: about a minute
	# under KASAN instead of five.
	"$TOP"/scripts/test-lists.sh targeted |
		grep -v -e '^x86/private_fault_perf_test' -e '^set_memory_region_test' |
		sed 's|^x86/private_mem_hostile_test$|x86/private_mem_hostile_test -n 20000|' >"$list"
	split_single "$list"
	planned=()
	first=$(python3 "$TOP"/wb/results.py shape first)
	shape_opts "$first" >"$out/shape-$first.opts"
	mapfile -t o <"$out/shape-$first.opts"
	plan "debug-$first" "$obj/arch/x86/boot/bzImage" "$list" "$first" "${o[@]}"
	[ ! -s "$list.single" ] || plan debug-single "$obj/arch/x86/boot/bzImage" "$list.single" "$first" \
		"${o[@]}" -M tcg-single
	log "debug: $(wc -l <"$list") tests on the debug kernel; $(wc -l <"$list.single") more under single-threaded TCG (config/tcg-single)"
	boot_planned
	record_runs debug "${planned[@]}"
	echo "==== figures (config/figures)"
	python3 "$TOP"/wb/results.py figures "${planned[@]/#/$BUILD/results/}"
	! grep -q "^debug[^	]*	[^	]*	fail	" "$RESULTS"
}
stage debug debug
# mutants/: the tests can fail.  The stage also builds the callback kernel.
[[ " $CHECK_SKIP " == *" callback "* ]] || export MUTANTS_CALLBACK=$out/callback-vmlinux
stage mutants "$TOP"/scripts/mutants.sh
unset MUTANTS_CALLBACK
stage callback callback

# Leave out the tests config/suite-skip lists (results.py reports them).
suite_skip() { wbconfig without suite-skip; }

# --- c. the whole suite, base against patched ---------------------------------
# npt=1: every test but the targeted ones, which stage b ran (on the first
# shape, compared with base here but counted there).  npt=0: config/mmu-tests
# (SUITE_NPT0=full: every test but the series' own, which all skip there).
# Patched runs first; the base then runs only the tests whose verdict
# depends on it (results.py base-needed: those that did not pass cleanly on
# patched), and its results are cached under $CACHE (scripts/base-suite.sh).
# suite_half npt1|npt0: one half, patched then base, in the background.
suite_half() {
	local n=$1 args=
	[ "$n" = npt1 ] || args=kvm_amd.npt=0
	guest "patched-suite-$n" "$PK" "$PB" "$out/suite-patched-$n.list" -a "$args" || true
	python3 "$TOP"/wb/results.py base-needed "$bt" "$BUILD/results/patched-suite-$n" \
		>"$out/suite-base-$n.list"
	if [ -s "$out/suite-base-$n.list" ]; then
		"$TOP"/scripts/base-suite.sh "$n" "$out/suite-base-$n.list" "$PB" \
			>"$out/suite-base-$n.dir" 2>"$out/base-suite-$n.out" || true
	else
		echo none >"$out/suite-base-$n.dir"
	fi
}
suite() {
	local n bt pt args regs bdir first counted
	bt=$(dirname "$BB")/tests.txt pt=$(dirname "$PB")/tests.txt
	"$TOP"/scripts/test-lists.sh rest "$pt" | suite_skip >"$out/suite-patched-npt1.list"
	if [ "$SUITE_NPT0" = full ]; then
		"$TOP"/scripts/test-lists.sh noseries "$pt" | suite_skip >"$out/suite-patched-npt0.list"
	else
		"$TOP"/scripts/test-lists.sh mmu "$pt" | suite_skip >"$out/suite-patched-npt0.list"
	fi
	log "suite: npt=1 $(wc -l <"$out/suite-patched-npt1.list") tests, npt=0 $(wc -l <"$out/suite-patched-npt0.list") tests on patched; on base, those that do not pass cleanly on patched (cached under \$CACHE/results)"
	rm -f "$out"/suite-base-*.dir
	export SUITE_TIMEOUT
	run_queue "$SUITE_JOBS" suite_half npt1 npt0
	first=$(python3 "$TOP"/wb/results.py shape first)
	for n in npt1 npt0; do
		args=$([ $n = npt0 ] && echo kvm_amd.npt=0 || true)
		bdir=$(cat "$out/suite-base-$n.dir" 2>/dev/null || true)
		if [ "$bdir" = none ]; then
			bdir=
			log "suite/$n: every test passed cleanly on patched; the base ran none"
		elif [ -z "$bdir" ] || [ ! -f "$bdir/run.json" ]; then
			cat "$out/base-suite-$n.out" >&2
			result "suite/$n" "base guest" fail "the base guest did not finish"
			continue
		else
			log "suite/$n: $(wbparser counts "$bdir") on base ($(paste -sd' ' "$out/suite-base-$n.list"))"
		fi
		log "suite/$n: $(wbparser counts "$BUILD/results/patched-suite-$n") on patched$([ $n = npt0 ] || echo ' (without the targeted tests)')"
		# A test that passes on base and not on patched gets one retry.  The
		# targeted runs count with their retries (config/retry-once).
		rm -rf "${BUILD:?}/results/patched-suite-$n-retry"
		regs=$(python3 "$TOP"/wb/results.py regressions "$bdir" "$BUILD/results/patched-suite-$n")
		if [ -n "$regs" ]; then
			log "suite/$n: retrying once: $(echo $regs)"
			echo "$regs" >"$out/retry-$n.list"
			guest "patched-suite-$n-retry" "$PK" "$PB" "$out/retry-$n.list" -a "$args" \
				-r "patched-suite-$n" || true
		fi
		counted=()
		[ $n = npt0 ] || ! grep -qx "targeted-$first" "$CHECK_RUNS" || counted=(--counted "targeted/$first" "$BUILD/results/targeted-$first"
			"$BUILD/results/targeted-$first-retry")
		python3 "$TOP"/wb/results.py compare "suite/$n" "$bdir" \
			"$BUILD/results/patched-suite-$n" "$BUILD/results/patched-suite-$n-retry" "${counted[@]}"
	done
	! grep -q "^suite[^	]*	[^	]*	fail	" "$RESULTS"
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
