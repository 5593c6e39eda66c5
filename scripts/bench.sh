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
# and one static private_fault_perf_test against the patched UAPI headers.
# Boots every kernel BENCH_RUNS times on wb/machines.py's icount machine
# (QEMU TCG with -icount, one vCPU: guest time = emulated instructions),
# BENCH_JOBS guests at a time, runs /bin/private_fault_perf_test once per
# boot, and reports (scripts/bench-report.py):
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
BIN=$out/selftests/bin/$TEST
[ -x "$BIN" ] || die "no $BIN"
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
stage_start "initramfs"
bb=$(command -v busybox || true)
[ -n "$bb" ] && file -L "$bb" 2>/dev/null | grep -q 'statically linked' || bb=/bin/busybox
[ -x "$bb" ] || die "no static busybox (install busybox-static)"
root=$(mktemp -d "$BUILD/bench-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp "$bb" "$root/bin/busybox"
cp "$BIN" "$root/bin/private_fault_perf_test"
# Once per boot, by absolute path (the figures depend on the process's
# layout: same path, same environment, same arguments on every kernel).
# The guest's clock starts at a fixed date (the icount machine's -rtc), so
# that even the selftests' random seed, srandom(time(0)), is the same on
# every boot.
cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "BENCH-START \$(uname -r) randomize_va_space=\$(cat /proc/sys/kernel/randomize_va_space)"
args=\$(sed -n 's/.*bench\.args=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
env -i PATH=/bin /bin/private_fault_perf_test -n $BENCH_PAGES $BENCH_ARGS \$args
echo "BENCH-RC=\$?"
dmesg | grep -E 'WARNING|BUG|Call Trace|lockdep|KASAN|UBSAN|RCU stall' | sed 's/^/BENCH-KLOG /'
echo BENCH-END
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out/initrd.cpio"
rm -rf "$root"
trap - EXIT
stage_end

boot() {	# KERNEL RUNDIR APPEND
	local k=$1 d=$2 append=$3 s rc qemu
	mkdir -p "$d"
	wbmachine json icount --append "$append" >"$d/machine.json"
	wbmachine qemu-argv icount "$k" "$out/initrd.cpio" "$append" >"$d/qemu.argv"
	mapfile -d '' qemu <"$d/qemu.argv"
	s=$(date +%s)
	set +e
	timeout -k 10 "$BENCH_TIMEOUT" "${qemu[@]}" </dev/null >"$d/console.log" 2>&1
	rc=$?
	set -e
	tr -d '\r' <"$d/console.log" | grep -E '^(figure=|BENCH-)' >"$d/figures.txt" || true
	echo "$(( $(date +%s) - s ))" >"$d/seconds"
	echo "$rc" >"$d/qemu-rc"
}

stage_start "boots"
rm -rf "$out/runs"
specs=()
for mode in $BENCH_MODES; do
	case $mode in
	aslr) append= ;;
	norandmaps) append=norandmaps ;;
	prefault) append=bench.args=-p ;;
	*) die "unknown mode $mode (aslr, norandmaps, prefault)" ;;
	esac
	for r in $(seq 1 "$BENCH_RUNS"); do
		for k in base:"$BASE_K" patched:"$PATCHED_K" callback:"$CB_K"; do
			specs+=("$mode|${k%%:*}|$r|${k#*:}|$append")
		done
	done
done
log "${#specs[@]} boots, $BENCH_JOBS at a time"
running=0
for spec in "${specs[@]}"; do
	IFS='|' read -r mode kern r k append <<<"$spec"
	boot "$k" "$out/runs/$mode/$kern-$r" "$append" &
	running=$((running + 1))
	if [ $running -ge "$BENCH_JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
stage_end

# A boot that didn't complete is a harness failure.
bad=0
for spec in "${specs[@]}"; do
	IFS='|' read -r mode kern r _ _ <<<"$spec"
	d=$out/runs/$mode/$kern-$r
	if ! grep -q '^BENCH-RC=0$' "$d/figures.txt" || ! grep -q '^figure=' "$d/figures.txt"; then
		warn "$mode/$kern-$r: the benchmark did not complete (QEMU exit $(cat "$d/qemu-rc"), ${d#"$TOP"/}/console.log):"
		tail -n 15 "$d/console.log" | tr -d '\r' >&2
		bad=1
	fi
done
[ $bad -eq 0 ] || die "benchmark runs failed"

stage_start "report"
# shellcheck disable=SC2086 # a list of words
python3 "$TOP"/scripts/bench-report.py "$out" $BENCH_MODES
stage_end
printf '  %-26s %s\n' total "$(fmt_secs $(( $(date +%s) - t0 )))" | tee -a "$out/durations" >&2
echo
echo "==== make bench: stage durations"
cat "$out/durations"
