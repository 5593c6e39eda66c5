#!/bin/sh
# /init of the test initramfs (busybox sh).  Runs every line of /tests.txt
# ("TEST [ARGS...]", TEST relative to /tests) with a timeout, prints TAP on
# the console, the test's output as "# " comments, and the kernel log
# written during each test between markers, then powers off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/shm /dev/hugepages && mount -t tmpfs tmpfs /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo 0 >/proc/sys/kernel/printk_ratelimit 2>/dev/null
. /wb.conf		# TIMEOUT=seconds per test; /timeouts: "TEST SECONDS" overrides
			# DRAIN=seconds to wait for the serial port before poweroff
			# GCOV=1: print the gcov counters at the end
cd /tests

now() { cut -d' ' -f1 /proc/uptime; }
kmsg() {	# dump (and clear) the kernel log under marker $1
	echo "WB-DMESG-BEGIN $1"
	dmesg -c
	echo "WB-DMESG-END $1"
}

echo "WB-GUEST-START $(uname -r)"
grep -m1 'address sizes' /proc/cpuinfo | sed 's/^/# /'
kmsg 0
total=$(grep -c '[^[:space:]]' /tests.txt)
echo "TAP version 13"
echo "1..$total"
n=0
grep '[^[:space:]]' /tests.txt >/tmp/list
while read -r t args; do
	n=$((n + 1))
	case $t in *.sh) cmd="sh ./$t" ;; *) cmd="./$t" ;; esac
	name="$t${args:+ $args}"
	echo "WB-TEST-START $n $name"
	to=$(awk -v t="$t" '$1 == t { print $2; exit }' /timeouts 2>/dev/null)
	to=${to:-$TIMEOUT}
	s=$(now)
	# shellcheck disable=SC2086
	timeout -s KILL "$to" $cmd $args </dev/null >/tmp/out 2>&1
	rc=$?
	e=$(now)
	sed 's/^/# /' /tmp/out
	secs=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }')
	echo "# exit=$rc time=${secs}s"
	kmsg "$n"
	if [ $rc -eq 0 ]; then
		echo "ok $n $name"
	elif [ $rc -eq 4 ]; then
		echo "ok $n $name # SKIP"
	elif [ $rc -eq 137 ] && awk -v s="$secs" -v t="$to" 'BEGIN { exit !(s >= t) }'; then
		echo "not ok $n $name # TIMEOUT ${to}s"
	else
		echo "not ok $n $name # exit=$rc$([ $rc -eq 137 ] && echo ' (killed: OOM?)')"
	fi
done </tmp/list
kmsg end
# make coverage: the gcov counters, as a base64 tar.gz (debugfs' .gcda
# files are read with cat, not tar).
if [ "${GCOV:-0}" = 1 ] && [ -d /sys/kernel/debug/gcov ]; then
	(cd /sys/kernel/debug/gcov && find . -name '*.gcda') | while read -r f; do
		mkdir -p "/tmp/gcov/${f%/*}"
		cat "/sys/kernel/debug/gcov/$f" >"/tmp/gcov/$f"
	done
	dmesg -n 1	# no kernel message in the middle of the data
	echo "WB-GCOV-BEGIN"
	tar -C /tmp/gcov -czf - . | base64
	echo "WB-GCOV-END"
fi
echo "WB-GUEST-DONE"
sync
[ "${DRAIN:-0}" = 0 ] || sleep "$DRAIN"
poweroff -f
