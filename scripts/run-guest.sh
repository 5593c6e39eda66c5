#!/bin/bash
# Boot a kernel on a guest machine (wb/machines.py: QEMU TCG, or Bochs for
# VMX) with an initramfs of busybox and selftests, run a list of tests, and
# report their TAP and the guest's kernel log.
#   run-guest.sh -k BZIMAGE -b BINDIR -l TESTLIST -n RUNNAME [-M MACHINE]
#                [-a "kernel args"] [-c CPU] [-s SMP] [-m MEM]
#                [-t TEST_TIMEOUT] [-T OVERALL_TIMEOUT] [-r RUN]
# -M: a machine of wb/machines.py (default tcg; tcg-single: config/tcg-single;
# bochs: kvm_intel with EPT, config/bochsrc, booted from a CD with the same
# kernel, initramfs and /init).  -c, -s and -m override the machine's CPU
# model, vCPUs and memory (QEMU; -m also Bochs).
# -r RUN: this run retries tests of the run RUN (recorded in retry-of, which
# results.py reads: a retry only adds retries to its run's results).
# -t: the per-test timeout in guest seconds (default 300).
# Results go to build/results/RUNNAME/: run.json (wb/parser.py), machine.json
# (the resolved machine, and the run's -a), console.log, tap.txt, dmesg.txt,
# reports.txt, kunit.ktap (+ kunit.txt).  Exits non-zero if a test failed,
# the kernel log has a WARNING/BUG/lockdep/KASAN report, or the guest did
# not finish.
. "$(dirname "$0")/lib.sh"

kernel= bindir= list= name= append= machine=tcg ttimeout=300 otimeout= retry_of=
over=()
while getopts k:b:l:n:a:M:c:s:m:t:T:r: o; do
	case $o in
	k) kernel=$OPTARG ;; b) bindir=$OPTARG ;; l) list=$OPTARG ;; n) name=$OPTARG ;;
	a) append=$OPTARG ;; M) machine=$OPTARG ;; c | s | m) over+=("-$o" "$OPTARG") ;;
	t) ttimeout=$OPTARG ;; T) otimeout=$OPTARG ;; r) retry_of=$OPTARG ;;
	*) die "bad option (see the head of $0)" ;;
	esac
done
[ -n "$kernel" ] && [ -n "$bindir" ] && [ -n "$list" ] && [ -n "$name" ] ||
	die "usage: run-guest.sh -k BZIMAGE -b BINDIR -l TESTLIST -n RUNNAME [options]"
[ -f "$kernel" ] || die "no kernel $kernel"

# bochs_iso: a CD that boots $kernel with the initramfs and the kernel
# command line (isolinux), and the machine's bochsrc for it: $out/boot.iso,
# $out/bochsrc.
bochs_iso() {
	mkdir -p "$out/iso"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$out/iso/"
	cp "$kernel" "$out/iso/bzImage"
	mv "$out/initrd.cpio" "$out/iso/initrd"
	printf 'DEFAULT linux\nLABEL linux\n  KERNEL /bzImage\n  APPEND initrd=/initrd %s\n' \
		"$(cat "$out/cmdline")" >"$out/iso/isolinux.cfg"
	genisoimage -quiet -o "$out/boot.iso" -b isolinux.bin -c boot.cat -no-emul-boot \
		-boot-load-size 4 -boot-info-table -J -R "$out/iso" || die "genisoimage failed"
	: >"$out/console.log"
	# The serial port goes to console.log through a TCP connection
	# (serial-sink.py), unbuffered: Bochs' "file" mode holds output back,
	# and loses it when Bochs is stopped.
	python3 "$TOP"/scripts/serial-sink.py "$out/serial.port" "$out/console.log" &
	sink=$!
	local i
	for i in $(seq 50); do [ -s "$out/serial.port" ] && break; sleep 0.1; done
	[ -s "$out/serial.port" ] || die "serial-sink.py did not start"
	wbmachine bochsrc "$machine" "$out/boot.iso" "$(cat "$out/serial.port")" "$out/bochs.log" \
		"${over[@]}" >"$out/bochsrc"
}
sink=

out=$BUILD/results/$name
rm -rf "$out"; mkdir -p "$out"
cp "$list" "$out/tests.list"
[ -z "$retry_of" ] || echo "$retry_of" >"$out/retry-of"
# The machine, resolved with this run's overrides (a bad machine or
# override stops here).
wbmachine json "$machine" "${over[@]}" --append "$append" >"$out/machine.json"
field() { wbmachine get "$machine" "$1" "${over[@]}"; }
emu=$(field emulator) slow=$(field slow)
# A slow serial port (Bochs' runs at its baud rate) gets this long for its
# last lines before the guest powers off.
WB_DRAIN=$(field drain) "$TOP"/scripts/make-initramfs.sh "$out/initrd.cpio" "$bindir" "$list" "$ttimeout"
ntests=$(wbconfig count "$(realpath "$list")")
# slow: the machine's guest clock against the wall clock (Bochs' runs on
# instructions, several times slower): the limits below, in wall seconds,
# are that many times the guest's per-test timeout.
# Overall limit: every test at its timeout, plus boot and slack.
[ -n "$otimeout" ] || otimeout=$((ntests * ttimeout * slow + 120 * slow))
wbmachine get "$machine" cmdline "${over[@]}" --append "$append" >"$out/cmdline"
case $emu in
bochs)
	# The machine's binary, or the script of scripts/ that builds it (and
	# prints its path; one build at a time, then cached).
	bochs_bin=$(field binary)
	case $bochs_bin in
	*.sh) bochs_bin=$(flock "$CACHE/bochs-build.lock" "$TOP/scripts/$bochs_bin") ||
		die "$(field binary) failed" ;;
	esac
	bochs_iso ;;
qemu)
	wbmachine qemu-argv "$machine" "$kernel" "$out/initrd.cpio" "$append" "${over[@]}" >"$out/qemu.argv"
	mapfile -t -d '' qemu_cmd <"$out/qemu.argv"
	# The monitor, for wb/hang.py if the guest hangs (short path: a UNIX
	# socket's is limited to 107 bytes).
	monitor=$(mktemp -u "${TMPDIR:-/tmp}/wb-monitor.XXXXXX")
	[ ${#monitor} -le 100 ] || monitor=$(mktemp -u /tmp/wb-monitor.XXXXXX)
	qemu_cmd+=(-monitor "unix:$monitor,server=on,wait=off") ;;
esac
log "booting $name: $ntests tests, $machine ($(field cpu)), '$append' (limit $(fmt_secs "$otimeout"))"
start=$(date +%s)
set +e
if [ "$emu" = bochs ]; then
	# Debian's Bochs stops in its debugger at t=0: "c" continues.
	echo c >"$out/bochs.rc"
	timeout -k 10 "$otimeout" "$bochs_bin" -q -f "$out/bochsrc" -rc "$out/bochs.rc" \
		</dev/null >"$out/bochs.out" 2>&1 &
else
	timeout -k 10 "$otimeout" "${qemu_cmd[@]}" </dev/null >"$out/console.log" 2>&1 &
fi
qpid=$!
# A guest prints at least once per test, and no test runs longer than the
# per-test timeout: a console silent for longer than that (plus slack for
# the boot) means the guest kernel hung, so stop it instead of waiting for
# the overall limit.
silence=$(((ttimeout + 120) * slow)) quiet=0 size=-1 hung=
while kill -0 "$qpid" 2>/dev/null; do
	sleep 5
	s=$(stat -c %s "$out/console.log" 2>/dev/null || echo 0)
	if [ "$s" != "$size" ]; then size=$s quiet=0; else quiet=$((quiet + 5)); fi
	if [ $quiet -ge $silence ]; then
		hung=1
		# Where its vCPUs are, before QEMU is stopped (the kernel's
		# symbols: System.map next to the kernel, or NAME.System.map
		# beside a copied NAME.bzImage).
		if [ -n "${monitor:-}" ]; then
			map=${kernel%/arch/x86/boot/bzImage}/System.map
			[ -f "$map" ] || map=${kernel%.bzImage}.System.map
			[ -f "$map" ] || map=
			python3 -B "$TOP"/wb/hang.py "$monitor" ${map:+"$map"} >"$out/hang.txt" 2>&1 || true
		fi
		kill "$qpid" 2>/dev/null
		break
	fi
done
wait "$qpid"
qrc=$?
# Bochs gone, its connection closed: the sink has all of the console
# (and if Bochs never connected, the sink is stopped).
if [ -n "$sink" ]; then
	for _ in $(seq 50); do kill -0 "$sink" 2>/dev/null || break; sleep 0.1; done
	kill "$sink" 2>/dev/null || true
	wait "$sink" 2>/dev/null || true
fi
set -e
echo $(( $(date +%s) - start )) >"$out/seconds"
rm -rf "$out/initrd.cpio" "$out/iso" "$out/boot.iso" "$out/serial.port" ${monitor:+"$monitor"}
if [ -n "$hung" ]; then
	echo "# QEMU killed: no console output for $(fmt_secs "$quiet") (the guest hung)" >>"$out/console.log"
	cat "$out/hang.txt" >>"$out/console.log" 2>/dev/null || true
elif [ $qrc -eq 124 ]; then
	echo "# QEMU killed after $(fmt_secs "$otimeout")" >>"$out/console.log"
fi

rc=0
known=()
k=$(field known)
[ -z "$k" ] || known=("$TOP/config/$k")
wbparser "$out/console.log" "$out" "${known[@]}" >"$out/summary.txt" || rc=1
# KUnit suites built into the kernel print KTAP at boot.
if [ -s "$out/kunit.ktap" ]; then
	src=${KUNIT_SRC:-$(base_src 2>/dev/null)}
	if python3 "$src"/tools/testing/kunit/kunit.py parse "$out/kunit.ktap" >"$out/kunit.txt" 2>&1; then
		grep -E 'Testing complete|PASSED|FAILED|SKIPPED|CRASHED' "$out/kunit.txt" | tail -n 3 >>"$out/summary.txt" || true
	else
		rc=1
		{ echo "# KUnit failures:"; grep -E 'FAILED|CRASHED|\[ERROR\]' "$out/kunit.txt" | head -n 20; } >>"$out/summary.txt"
	fi
fi
cat "$out/summary.txt"
log "$name: $(fmt_secs "$(cat "$out/seconds")") (results in ${out#$TOP/})"
exit $rc
