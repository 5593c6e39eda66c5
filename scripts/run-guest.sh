#!/bin/bash
# Boot a kernel under QEMU TCG with an initramfs of busybox and selftests,
# run a list of tests, and report their TAP and the guest's kernel log.
#   run-guest.sh -k BZIMAGE -b BINDIR -l TESTLIST -n RUNNAME
#                [-a "kernel args"] [-q "qemu args"] [-s SMP] [-m MEM] [-t TEST_TIMEOUT]
#                [-T OVERALL_TIMEOUT] [-c CPU] [-x ACCEL] [-e EMULATOR] [-r RUN]
# -e qemu (default) or bochs: Bochs emulates VMX with EPT (kvm_intel), one
# CPU, the machine of config/bochsrc (-s, -c and -x don't apply), booted
# from a CD (isolinux) with the same kernel, initramfs and /init.
# -r RUN: this run retries tests of the run RUN (recorded in retry-of, which
# results.py reads: a retry only adds retries to its run's results).
# Defaults: -s 2 -m 4G (mmu_stress_test is OOM-killed with 2G) -t 300
# -c max,phys-bits=52 (the series' tests use GPA bits up to 51)
# -x tcg,thread=multi (-x tcg,thread=single: see config/tcg-single).
# Results go to build/results/RUNNAME/: run.json (wb/parser.py), console.log, tap.txt,
# dmesg.txt, reports.txt, kunit.ktap (+ kunit.txt).  Exits non-zero if a
# test failed, the kernel log has a WARNING/BUG/lockdep/KASAN report, or
# the guest did not finish.
. "$(dirname "$0")/lib.sh"

kernel= bindir= list= name= append= qemu_extra= smp=2 mem=4G ttimeout=300 otimeout= cpu=max,phys-bits=52
accel=tcg,thread=multi emu=qemu retry_of=
while getopts k:b:l:n:a:q:s:m:t:T:c:x:e:r: o; do
	case $o in
	k) kernel=$OPTARG ;; b) bindir=$OPTARG ;; l) list=$OPTARG ;; n) name=$OPTARG ;;
	a) append=$OPTARG ;; q) qemu_extra=$OPTARG ;; s) smp=$OPTARG ;; m) mem=$OPTARG ;;
	t) ttimeout=$OPTARG ;; T) otimeout=$OPTARG ;; c) cpu=$OPTARG ;; x) accel=$OPTARG ;;
	e) emu=$OPTARG ;; r) retry_of=$OPTARG ;;
	*) die "bad option (see the head of $0)" ;;
	esac
done
[ -n "$kernel" ] && [ -n "$bindir" ] && [ -n "$list" ] && [ -n "$name" ] ||
	die "usage: run-guest.sh -k BZIMAGE -b BINDIR -l TESTLIST -n RUNNAME [options]"
[ -f "$kernel" ] || die "no kernel $kernel"

# bochs_iso: a CD that boots $kernel with the initramfs and $cmdline
# (isolinux), and the bochsrc for it: $out/boot.iso, $out/bochsrc.
bochs_iso() {
	local megs=${mem%G}
	[ "$megs" != "$mem" ] && megs=$((megs * 1024)) || megs=${mem%M}
	# Bochs addresses at most 2 GiB of guest memory below the PCI hole.
	[ "$megs" -le 2048 ] || megs=2048
	mkdir -p "$out/iso"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$out/iso/"
	cp "$kernel" "$out/iso/bzImage"
	mv "$out/initrd.cpio" "$out/iso/initrd"
	printf 'DEFAULT linux\nLABEL linux\n  KERNEL /bzImage\n  APPEND initrd=/initrd %s\n' \
		"$cmdline" >"$out/iso/isolinux.cfg"
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
	sed -e "s|@MEGS@|$megs|" -e "s|@ISO@|$out/boot.iso|" -e "s|@SERIAL@|$(cat "$out/serial.port")|" \
		-e "s|@LOG@|$out/bochs.log|" -e '/^#/d' "$TOP/config/bochsrc" >"$out/bochsrc"
}
sink=

out=$BUILD/results/$name
rm -rf "$out"; mkdir -p "$out"
cp "$list" "$out/tests.list"
[ -z "$retry_of" ] || echo "$retry_of" >"$out/retry-of"
case $emu in
qemu) ;;
# Bochs' serial port runs at its baud rate: 115200, and a second for the
# last lines to leave before the guest powers off.
bochs) export WB_DRAIN=1 ;;
*) die "-e $emu: qemu or bochs" ;;
esac
"$TOP"/scripts/make-initramfs.sh "$out/initrd.cpio" "$bindir" "$list" "$ttimeout"
ntests=$(wbconfig count "$(realpath "$list")")
# Bochs' guest clock runs on instructions (clock: sync=none), several times
# slower than the wall clock: the limits below, in wall seconds, are that
# many times the guest's per-test timeout.
slow=1
[ "$emu" = qemu ] || slow=4
# Overall limit: every test at its timeout, plus boot and slack.
[ -n "$otimeout" ] || otimeout=$((ntests * ttimeout * slow + 120 * slow))

# no_timer_check: under a loaded TCG host the IO-APIC timer check can fail
# and panic the guest at boot ("IO-APIC + timer doesn't work!").
cmdline="console=ttyS0 panic=-1 quiet log_buf_len=8M no_timer_check ${append}"
# Bochs: the serial port's baud rate; noxsave (config/bochsrc's CPU fails
# the kernel's XSAVE consistency check); and the TSC's real rate, which is
# Bochs' instructions a second (ips), as the CPU's CPUID (leaf 0x16)
# declares 3.5 GHz, which would slow the guest's clock down 17.5 times.
if [ "$emu" = bochs ]; then
	ips=$(sed -n 's/^cpu:.*ips=\([0-9]*\).*/\1/p' "$TOP/config/bochsrc")
	[ -n "$ips" ] || die "config/bochsrc: no ips= on its cpu: line"
	cmdline="console=ttyS0,115200 noxsave tsc_early_khz=$((ips / 1000)) ${cmdline#console=ttyS0 }"
fi
echo "$cmdline" >"$out/cmdline"
if [ "$emu" = bochs ]; then
	accel=bochs cpu=$(sed -n 's/^cpu: model=\([^,]*\).*/\1/p' "$TOP/config/bochsrc")
	bochs_iso
fi
echo "$accel" >"$out/accel"
echo "$cpu" >"$out/cpu"
log "booting $name: $ntests tests, -accel $accel -smp $smp -cpu $cpu, '$append' (limit $(fmt_secs "$otimeout"))"
start=$(date +%s)
set +e
if [ "$emu" = bochs ]; then
	# Debian's Bochs stops in its debugger at t=0: "c" continues.
	echo c >"$out/bochs.rc"
	timeout -k 10 "$otimeout" bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc" \
		</dev/null >"$out/bochs.out" 2>&1 &
else
	# shellcheck disable=SC2086
	timeout -k 10 "$otimeout" qemu-system-x86_64 -accel "$accel" -smp "$smp" -m "$mem" \
		-cpu "$cpu" -machine q35 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$out/initrd.cpio" -append "$cmdline" \
		$qemu_extra </dev/null >"$out/console.log" 2>&1 &
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
rm -rf "$out/initrd.cpio" "$out/iso" "$out/boot.iso" "$out/serial.port"
if [ -n "$hung" ]; then
	echo "# QEMU killed: no console output for $(fmt_secs "$quiet") (the guest hung)" >>"$out/console.log"
elif [ $qrc -eq 124 ]; then
	echo "# QEMU killed after $(fmt_secs "$otimeout")" >>"$out/console.log"
fi

rc=0
known=()
[ "$emu" = qemu ] || known=("$TOP/config/$emu-known-reports")
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
