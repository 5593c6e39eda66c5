#!/bin/bash
# `make bench`: the deterministic fault-cost benchmark (issue 5).
#
# Builds three kernels on the test config (config/configs "test"):
#   base      pristine 7.3.4, cached under $CACHE like make check's
#   patched   build/linux (the series), in make check's build/obj/patched-test
#   callback  build/linux + bench/0001-*.patch (the per-fault
#             static_call(kvm_x86_fault_is_private) design the series
#             replaces), in build/bench/callback-src, objects in
#             build/bench/obj/callback-test
# and one static x86/private_fault_perf_test against the patched UAPI
# headers, which each boot runs once through make check's /init.
# Boots every kernel BENCH_RUNS times on wb/machines.py's icount machine
# (QEMU TCG with -icount, one vCPU: guest time = emulated instructions),
# BENCH_JOBS guests at a time, runs /bin/private_fault_perf_test once per
# boot, and reports (wb/bench.py):
#   - the table figure / base / patched / patched/base / callback /
#     callback/patched, on stdout and in build/bench/results.md;
#   - each kernel's run-to-run max relative difference, measured;
#   - PASS/FAIL for each target of the issue (reported, not gated: the exit
#     status is 0 unless the harness itself failed);
#   - a bar chart of the ratios, build/bench/ratios.png.
# Modes (BENCH_MODES, each a full set of boots and a table):
#   aslr        the issue's mode: default test arguments, userspace ASLR on
#               (the headline figures; the targets were defined on it)
#   norandmaps  the same with "norandmaps" on the guest's command line, which
#               removes the ordinary-VM figures' ASLR spread
#   prefault    the test's -p (memory populated before the faulting pass)
# Variables: BENCH_PAGES (2048), BENCH_RUNS (2), BENCH_JOBS (2),
# BENCH_MODES ("aslr norandmaps"), BENCH_TIMEOUT (per boot, 600 s),
# BENCH_ARGS (extra test arguments, e.g. -p).
. "$(dirname "$0")/lib.sh"

BENCH_PAGES=${BENCH_PAGES:-2048}
BENCH_RUNS=${BENCH_RUNS:-2}
BENCH_JOBS=${BENCH_JOBS:-2}
BENCH_MODES=${BENCH_MODES:-aslr norandmaps}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
BENCH_ARGS=${BENCH_ARGS:-}
TEST=x86/private_fault_perf_test

out=$BUILD/bench
mkdir -p "$out/obj" "$out/logs"
t0=$(date +%s)
: >"$out/durations"
stage_start() { stage_name=$1; stage_t=$(date +%s); log "bench: $1"; }
stage_end() {
	printf '  %-26s %s\n' "$stage_name" "$(fmt_secs $(( $(date +%s) - stage_t )))" | tee -a "$out/durations" >&2
}

# make check builds the same patched object directory; never build it twice
# at once (holders of this lock: bench.sh; see bench/README.md).
lock_build() { exec 9>"$BUILD/.patched-test.lock"; flock 9; }
unlock_build() { flock -u 9; }

# --- builds -------------------------------------------------------------------
stage_start "build base"
read -r BASE_K _ < <("$TOP"/scripts/prepare.sh base)
BASE_VMLINUX=$(base_obj test)/vmlinux
stage_end

stage_start "build patched"
[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
pobj=$(patched_obj test)
lock_build
"$TOP"/scripts/build-kernel.sh "$LINUX" "$pobj" test bzImage headers_install
PATCHED_K=$pobj/arch/x86/boot/bzImage
# The benchmark, built once against the patched headers (it needs
# KVM_CAP_X86_SHARED_GPA_BIT), runs on all three kernels.
"$TOP"/scripts/build-selftests.sh "$LINUX" "$pobj" "$out/selftests" "$TEST"
unlock_build
[ -x "$out/selftests/bin/$TEST" ] || die "no $out/selftests/bin/$TEST"
stage_end

stage_start "build callback"
# build/linux + bench/0001-*.patch (scripts/build-callback.sh, shared with
# make check's known-bad stage).
cb_obj=$("$TOP"/scripts/build-callback.sh)
CB_K=$cb_obj/arch/x86/boot/bzImage
stage_end

# The static check of the classification path, on each kernel (informative
# here; make check runs it on the patched kernel).
stage_start "classification check"
for k in base:"$BASE_VMLINUX" patched:"$pobj/vmlinux" callback:"$cb_obj/vmlinux"; do
	set +e
	"$TOP"/scripts/check-classification.sh "${k#*:}" >"$out/classification-${k%%:*}.txt" 2>&1
	echo "${k%%:*}: $(tail -n 1 "$out/classification-${k%%:*}.txt")"
	set -e
done | tee "$out/classification.txt" >&2
stage_end

# --- boots ----------------------------------------------------------------------
# Every boot is a run-guest.sh run on wb/machines.py's icount machine (the
# guest's clock starts at a fixed date, so that even the selftests' random
# seed, srandom(time(0)), is the same on every boot), with make check's
# initramfs and /init: the benchmark once, with the mode's arguments.  Its
# results are build/results/bench-MODE-KERNEL-N (run.json), linked from
# build/bench/runs/MODE/KERNEL-N.
stage_start "boots"
rm -rf "$out/runs"
specs=()
for mode in $BENCH_MODES; do
	case $mode in
	aslr) append= args= ;;
	norandmaps) append=norandmaps args= ;;
	prefault) append= args=-p ;;
	*) die "unknown mode $mode (aslr, norandmaps, prefault)" ;;
	esac
	echo "$TEST -n $BENCH_PAGES $BENCH_ARGS $args" >"$out/$mode.list"
	mkdir -p "$out/runs/$mode"
	for r in $(seq 1 "$BENCH_RUNS"); do
		for k in base:"$BASE_K" patched:"$PATCHED_K" callback:"$CB_K"; do
			specs+=("$mode|${k%%:*}|$r|${k#*:}|$append")
		done
	done
done
boot() {	# MODE|KERNEL|N|BZIMAGE|APPEND
	local mode kern r k append n
	IFS='|' read -r mode kern r k append <<<"$1"
	n=bench-$mode-$kern-$r
	"$TOP"/scripts/run-guest.sh -M icount -k "$k" -b "$out/selftests/bin" -l "$out/$mode.list" \
		-n "$n" -a "$append" -t "$BENCH_TIMEOUT" -T "$BENCH_TIMEOUT" >"$out/logs/$n.out" 2>&1 || true
	ln -sfn "$BUILD/results/$n" "$out/runs/$mode/$kern-$r"
}
log "${#specs[@]} boots, $BENCH_JOBS at a time"
run_queue "$BENCH_JOBS" boot "${specs[@]}"
stage_end

stage_start "report"
# shellcheck disable=SC2086 # a list of words
python3 -B "$TOP"/wb/bench.py "$out" $BENCH_MODES
stage_end
printf '  %-26s %s\n' total "$(fmt_secs $(( $(date +%s) - t0 )))" | tee -a "$out/durations" >&2
echo
echo "==== make bench: stage durations"
cat "$out/durations"
