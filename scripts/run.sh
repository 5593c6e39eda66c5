#!/bin/bash
# `make run`: fetch the base, apply the series (build/linux), build the
# patched kernel and the demo's selftests, boot under QEMU and run the demo:
# the series' own selftests (config/demo, config/series-tests, or the
# tests the series adds), or, before the series has any, the base's
# private-memory selftests.  Then scripts/demo.sh, if it exists.
#   RUN_APPEND="kvm_amd.npt=0"   extra kernel command line
. "$(dirname "$0")/lib.sh"

"$TOP"/scripts/fetch-base.sh >/dev/null
"$TOP"/scripts/ensure-tree.sh
list=$BUILD/run/demo.list
mkdir -p "$BUILD/run"
"$TOP"/scripts/test-lists.sh demo >"$list"
[ -s "$list" ] || die "nothing to run: config/demo, config/series-tests and config/private-tests are empty"
what="the series' own selftests"
[ -n "$("$TOP"/scripts/test-lists.sh series)" ] || what="the base's private-memory selftests (the series has no tests yet)"
mapfile -t tests < <(cut -d' ' -f1 "$list" | awk '!s[$0]++')
log "demo: $what"
read -r kernel bindir < <("$TOP"/scripts/prepare.sh patched "${tests[@]}")

# config/tcg-single's tests boot on their own under single-threaded TCG.
split_single "$list"
rc=0
runs=()
if [ -s "$list" ]; then
	"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$bindir" -l "$list" -n demo \
		-a "${RUN_APPEND:-}" >"$BUILD/run/guest.out" 2>&1 || rc=$?
	runs+=(demo)
fi
if [ -s "$list.single" ]; then
	"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$bindir" -l "$list.single" -n demo-single \
		-a "${RUN_APPEND:-}" -M tcg-single >"$BUILD/run/guest-single.out" 2>&1 || rc=$?
	runs+=(demo-single)
fi
echo
echo "==== make run: $what"
for run in "${runs[@]}"; do
	res=$BUILD/results/$run
	echo "kernel command line: $(cat "$res/cmdline")"
	echo "machine: $(tr -d "\n" <"$res/machine.json" | tr -s " ")"
	echo "QEMU: $(tr "\0" " " <"$res/qemu.argv")"
	[ ! -s "$res/kunit.txt" ] || { echo "KUnit:"; grep -E 'Testing complete|Elapsed' "$res/kunit.txt" | sed 's/^/  /'; }
	wbparser show "$res" || true
	echo "details: ${res#$TOP/}/ (run.json, console.log, tap.txt, dmesg.txt)"
	echo
done

if [ -x "$TOP/scripts/demo.sh" ]; then
	echo
	"$TOP"/scripts/demo.sh || rc=1
fi
exit $rc
