#!/bin/bash
# `make check`: static gates, targeted runs and the whole KVM selftest
# suite, base against patched.  Prints each stage's duration; the last line
# is always "N passed, N failed, N skipped"; exits non-zero on any failure.
#   SUITE_TIMEOUT  per-test timeout in the guest (seconds, default 180)
#   SUITE_SMP      vCPUs of each guest (default 1: two guests run at once)
#   CHECK_SKIP     stages to leave out, e.g. "suite" (for quick iterations;
#                  a skipped stage is reported)
. "$(dirname "$0")/lib.sh"

SUITE_TIMEOUT=${SUITE_TIMEOUT:-180}
SUITE_SMP=${SUITE_SMP:-1}
CHECK_SKIP=${CHECK_SKIP:-}
out=$BUILD/check
export RESULTS=$out/results.tsv
mkdir -p "$out"
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
# stage NAME CMD...: run one stage, time it, record an unexplained failure.
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
	set +e
	( "$@" )
	rc=$?
	set -e
	stage_running=
	if [ $rc -ne 0 ] && [ "$(grep -c "	fail	" "$RESULTS" || true)" -eq "$nf" ]; then
		result "$name" "stage" fail "exited with $rc"
	fi
	[ $rc -eq 0 ] || failed=1
	printf '  %-28s %s%s\n' "$name" "$(fmt_secs $(( $(date +%s) - s )))" \
		"$([ $rc -eq 0 ] || echo '  FAILED')" | tee -a "$out/durations"
	return $rc
}

# run_guests NAME:KERNEL:BINDIR:LIST:APPEND ...  (at most two at once)
run_guests() {
	local spec pids=() rc=0 name kernel bindir list append p
	for spec in "$@"; do
		IFS='|' read -r name kernel bindir list append <<<"$spec"
		"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$bindir" -l "$list" -n "$name" \
			-a "$append" -s "$SUITE_SMP" -t "$SUITE_TIMEOUT" >"$out/$name.out" 2>&1 &
		pids+=($!)
		if [ ${#pids[@]} -ge 2 ]; then
			for p in "${pids[@]}"; do wait "$p" || true; done
			pids=()
		fi
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
	return $rc
}

# --- a. static gates --------------------------------------------------------
stage checkpatch "$TOP"/scripts/gate-checkpatch.sh || true
stage bisect "$TOP"/scripts/gate-bisect.sh || true
stage sparse-W1 "$TOP"/scripts/gate-sparse.sh || true
stage llvm "$TOP"/scripts/gate-llvm.sh || true

# --- builds for the guest runs -----------------------------------------------
build_all() {
	read -r BK BB < <("$TOP"/scripts/prepare.sh base)
	read -r PK PB < <("$TOP"/scripts/prepare.sh patched)
	printf '%s\n' "$BK" "$BB" "$PK" "$PB" >"$out/artifacts"
	result build "base and patched kernels and selftests" pass
}
if ! stage build build_all; then
	result build "base and patched kernels and selftests" fail "see the output above"
	exit 1
fi
{ read -r BK; read -r BB; read -r PK; read -r PB; } <"$out/artifacts"

# --- b. targeted runs on patched --------------------------------------------
targeted() {
	local list=$out/targeted.list t
	"$TOP"/scripts/test-lists.sh targeted >"$list"
	while read -r t _; do
		[ -f "$PB/$t" ] || { result targeted "$t" fail "not built: is it in tools/testing/selftests/kvm/Makefile.kvm?"; return 1; }
	done <"$list"
	log "targeted: $(wc -l <"$list") tests, npt=1 and npt=0"
	run_guests "targeted-npt1|$PK|$PB|$list|" "targeted-npt0|$PK|$PB|$list|kvm_amd.npt=0"
	for n in npt1 npt0; do
		cat "$out/targeted-$n.out"
		python3 "$TOP"/scripts/results.py record "targeted/$n" "$BUILD/results/targeted-$n"
	done
	! grep -q "^targeted.*	fail	" "$RESULTS"
}
stage targeted targeted || true

# --- c. the whole suite, base against patched ---------------------------------
suite() {
	local key n runs=() todo=()
	"$TOP"/scripts/test-lists.sh suite "$(dirname "$BB")/tests.txt" >"$out/suite-base.list"
	"$TOP"/scripts/test-lists.sh rest "$(dirname "$PB")/tests.txt" >"$out/suite-patched.list"
	key=$( { sha1sum <"$BK"; (cd "$BB" && find . -type f | LC_ALL=C sort | xargs sha1sum);
		 cat "$TOP"/scripts/guest-init.sh "$out/suite-base.list";
		 echo "$SUITE_SMP $SUITE_TIMEOUT"; } | sha1sum | cut -c1-16)
	for n in npt1 npt0; do
		[ -f "$CACHE/results/base-suite-$key-$n/results.tsv" ] ||
			todo+=("base-suite-$n|$BK|$BB|$out/suite-base.list|$([ $n = npt0 ] && echo kvm_amd.npt=0)")
	done
	for n in npt1 npt0; do
		runs+=("patched-suite-$n|$PK|$PB|$out/suite-patched.list|$([ $n = npt0 ] && echo kvm_amd.npt=0)")
	done
	log "suite: $(wc -l <"$out/suite-base.list") tests on base (${#todo[@]} runs to do, others cached), $(wc -l <"$out/suite-patched.list") more on patched"
	run_guests "${todo[@]}" "${runs[@]}"
	for n in npt1 npt0; do
		if [ ! -f "$CACHE/results/base-suite-$key-$n/results.tsv" ]; then
			cat "$out/base-suite-$n.out"
			grep -q WB-GUEST-DONE "$BUILD/results/base-suite-$n/console.log" ||
				{ result suite "base $n" fail "the base guest did not finish"; continue; }
			mkdir -p "$CACHE/results"
			rm -rf "$CACHE/results/base-suite-$key-$n"
			cp -r "$BUILD/results/base-suite-$n" "$CACHE/results/base-suite-$key-$n"
		fi
		cat "$out/patched-suite-$n.out"
		python3 "$TOP"/scripts/results.py compare "suite/$n" "$CACHE/results/base-suite-$key-$n" \
			"$BUILD/results/patched-suite-$n" "$BUILD/results/targeted-$n"
	done
	! grep -q "^suite.*	fail	" "$RESULTS"
}
stage suite suite || true

# --- the model (written elsewhere), if there is one -----------------------------
if [ -x "$TOP/scripts/model.sh" ]; then
	model() {
		if "$TOP"/scripts/model.sh; then result model "scripts/model.sh" pass
		else result model "scripts/model.sh" fail; return 1; fi
	}
	stage model model || true
fi

[ $failed -eq 0 ]
