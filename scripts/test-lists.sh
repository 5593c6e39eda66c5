#!/bin/bash
# Print a list of test invocations ("TEST [ARGS...]", TEST relative to
# tools/testing/selftests/kvm), one a line:
#   test-lists.sh series            the series' own tests: config/series-tests,
#                                   plus *_test.c files the series adds
#                                   (found in build/linux), without arguments
#   test-lists.sh private           config/private-tests
#   test-lists.sh targeted          series + private
#   test-lists.sh demo              config/demo if it lists anything, else
#                                   series, else private
#   test-lists.sh suite TESTS.TXT   every test of a selftests build
#   test-lists.sh rest TESTS.TXT    suite minus the targeted tests (the
#                                   series' own tests run only the way
#                                   config/series-tests lists them)
#   test-lists.sh mmu TESTS.TXT     config/mmu-tests (those the build has)
#   test-lists.sh mmu-rest TESTS.TXT  mmu minus the targeted tests
#   test-lists.sh noseries TESTS.TXT  suite minus the series' own tests
#                                   (for npt=0, where they all skip)
. "$(dirname "$0")/lib.sh"

# A missing list has no entries.
entries() { [ ! -e "$1" ] || wbconfig entries "$(realpath "$1")"; }

series() {
	local listed added t
	listed=$(entries "$TOP/config/series-tests")
	[ -z "$listed" ] || echo "$listed"
	[ -d "$LINUX/.git" ] || return 0
	added=$( { git -C "$LINUX" diff --name-only --diff-filter=A base -- tools/testing/selftests/kvm
		   git -C "$LINUX" ls-files --others --exclude-standard -- tools/testing/selftests/kvm; } |
		sed -n 's|^tools/testing/selftests/kvm/\(\(x86/\)\?[a-z0-9_]*_test\)\.c$|\1|p' | LC_ALL=C sort -u)
	for t in $added; do
		grep -q "^$t\( \|$\)" <<<"$listed" || echo "$t"
	done
}

uniq_lines() { awk '!seen[$0]++'; }

case ${1:-} in
series) series ;;
private) entries "$TOP/config/private-tests" ;;
targeted) { series; entries "$TOP/config/private-tests"; } | uniq_lines ;;
demo)
	d=$(entries "$TOP/config/demo")
	[ -n "$d" ] || d=$(series)
	[ -n "$d" ] || d=$(entries "$TOP/config/private-tests")
	echo "$d" ;;
suite) entries "${2:?tests.txt}" ;;
mmu)	# config/mmu-tests that the selftests build has
	entries "$TOP/config/mmu-tests" | while read -r x; do grep -qx "$x" "${2:?tests.txt}" && echo "$x"; done ;;
rest|mmu-rest)
	t=$("$0" targeted | cut -d' ' -f1)
	if [ "$1" = rest ]; then entries "${2:?tests.txt}"; else "$0" mmu "${2:?tests.txt}"; fi | while read -r x; do grep -qx "$x" <<<"$t" || echo "$x"; done ;;
noseries)
	t=$("$0" series | cut -d' ' -f1)
	entries "${2:?tests.txt}" | while read -r x; do grep -qx "$x" <<<"$t" || echo "$x"; done ;;
*) die "usage: test-lists.sh series|private|targeted|demo|suite|rest|mmu|mmu-rest|noseries [TESTS.TXT]" ;;
esac
