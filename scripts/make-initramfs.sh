#!/bin/bash
# Make an (uncompressed) initramfs: busybox, the /init of guest-init.sh,
# and the tests of a list.
#   make-initramfs.sh OUT.cpio BINDIR TESTLIST [TIMEOUT]
# WB_DRAIN=SECONDS: the guest waits that long before it powers off, so that
# a slow serial port (Bochs' runs at the baud rate) sends the last lines.
# WB_GCOV=1: after the tests the guest prints the kernel's gcov counters
# (make coverage).
# TESTLIST lines are "TEST [ARGS...]" with TEST relative to BINDIR (blank
# lines and '#' comments ignored).  Script tests (*.sh) get every program
# of BINDIR's directory they might run.
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: make-initramfs.sh OUT.cpio BINDIR TESTLIST [TIMEOUT]"
out=$1 bindir=$2 list=$3 timeout=${4:-300}
bb=$(command -v busybox || true)
[ -n "$bb" ] && file -L "$bb" 2>/dev/null | grep -q 'statically linked' || bb=/bin/busybox
[ -x "$bb" ] || die "no static busybox (install busybox-static)"

root=$(mktemp -d "$BUILD/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,tests}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$TOP/scripts/guest-init.sh" "$root/init"
chmod +x "$root/init"
printf 'TIMEOUT=%s\nDRAIN=%s\nGCOV=%s\n' "$timeout" "${WB_DRAIN:-0}" "${WB_GCOV:-0}" >"$root/wb.conf"
: >"$root/timeouts"
[ ! -e "$TOP/config/test-timeouts" ] ||
	wbconfig entries test-timeouts | awk 'NF >= 2 { print $1, $2 }' >"$root/timeouts"
wbconfig entries "$(realpath "$list")" >"$root/tests.txt"
[ -s "$root/tests.txt" ] || die "no tests in $list"
while read -r t _; do
	[ -f "$bindir/$t" ] || die "test $t is not in $bindir"
	mkdir -p "$root/tests/$(dirname "$t")"
	cp "$bindir/$t" "$root/tests/$t"
	case $t in *.sh)
		find "$bindir/$(dirname "$t")" -maxdepth 1 -type f -executable -exec cp -t "$root/tests/$(dirname "$t")" {} + ;;
	esac
done <"$root/tests.txt"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
