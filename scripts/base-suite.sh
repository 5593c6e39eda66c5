#!/bin/bash
# The base kernel's results for a suite run, cached under $CACHE/results:
#   base-suite.sh npt1|npt0 LIST BINDIR [--key-only]
# LIST: the tests to run on base; BINDIR: the selftests to run them from
# (make check passes the patched ones: the same binaries on both kernels).  Prints the
# cached result directory; runs the guest first if it is not there.  The
# key covers the base kernel image, the selftest binaries, the guest's
# /init, the console parser (wb/parser.py, which writes run.json), the
# list, config/test-timeouts, the guest's machine (wb/machines.py's tcg
# machine's key and the QEMU command made from it), the runner
# (make-initramfs.sh, run-guest.sh), QEMU's version and the run parameters
# (SUITE_TIMEOUT, the kernel arguments).
. "$(dirname "$0")/lib.sh"

n=${1:?usage: base-suite.sh npt1|npt0 LIST BINDIR [--key-only]} list=${2:?LIST}
bindir=${3:?BINDIR}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-180}
read -r kernel _ < <("$TOP"/scripts/prepare.sh base --kernel)
args=$([ "$n" = npt0 ] && echo kvm_amd.npt=0 || true)
key=$( { sha1sum <"$kernel"; (cd "$bindir" && find . -type f | LC_ALL=C sort | xargs sha1sum)
	 cat "$TOP"/scripts/guest-init.sh "$TOP"/wb/parser.py "$list" "$TOP"/config/test-timeouts
	 cat "$TOP"/scripts/make-initramfs.sh "$TOP"/scripts/run-guest.sh
	 wbmachine key tcg
	 wbmachine qemu-argv tcg KERNEL INITRD "$args" | tr '\0' ' '
	 qemu-system-x86_64 --version | head -n1
	 echo "$SUITE_TIMEOUT $args"; } | sha1sum | cut -c1-16)
dir=$CACHE/results/base-suite-$key-$n
if [ "${4:-}" != --key-only ] && [ ! -f "$dir/run.json" ]; then
	name=base-suite-$n
	"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$bindir" -l "$list" -n "$name" \
		-M tcg -a "$args" -t "$SUITE_TIMEOUT" >&2 || true
	wbparser done "$BUILD/results/$name" ||
		die "the base guest ($name) did not finish: see build/results/$name/console.log"
	mkdir -p "$CACHE/results"
	rm -rf "$dir.tmp.$$"
	cp -r "$BUILD/results/$name" "$dir.tmp.$$"
	rm -rf "$dir"
	mv -T "$dir.tmp.$$" "$dir"
fi
echo "$dir"
