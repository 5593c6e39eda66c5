#!/bin/bash
# The narrowest docs build that covers the series' documentation
# (Documentation/virt: kvm/api.rst and kvm/x86/mmu.rst), `make
# SPHINXDIRS=virt htmldocs`, on base and on patched, each in its own O=
# directory: a warning the base build doesn't have fails.  The base's
# warnings are cached under $CACHE.
. "$(dirname "$0")/lib.sh"

[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
mkdir -p "$BUILD/gates"

# Warnings, without line numbers and tree paths, one a line.
warnings() {	# SRC OBJ LOG
	make -C "$1" O="$2" SPHINXDIRS=virt htmldocs >"$3" 2>&1 ||
		{ tail -n 20 "$3" >&2; return 1; }
	{ grep -E 'WARNING|ERROR|CRITICAL' "$3" || true; } |
		{ grep -v 'dot(1) not found' || true; } |
		sed -E -e "s|$1/||g" -e 's/:[0-9]+:/:/g' | LC_ALL=C sort -u
}

src=$(base_src)
key=$( { cat "$src/Makefile"; sphinx-build --version 2>&1; } | sha1sum | cut -c1-16)
bw=$CACHE/docs/base-$key.warnings
if [ ! -f "$bw" ]; then
	mkdir -p "$CACHE/docs"
	warnings "$src" "$CACHE/docs/obj-$key" "$BUILD/gates/docs-base.log" >"$bw.tmp" ||
		{ result docs "htmldocs SPHINXDIRS=virt" fail "the base build failed"; exit 1; }
	mv "$bw.tmp" "$bw"
fi
pw=$BUILD/gates/docs-patched.warnings
warnings "$LINUX" "$BUILD/obj/docs-patched" "$BUILD/gates/docs-patched.log" >"$pw" ||
	{ result docs "htmldocs SPHINXDIRS=virt" fail "the patched build failed"; exit 1; }
grep -q 'Private and shared faults' "$BUILD/obj/docs-patched/Documentation/output/virt/kvm/x86/mmu.html" ||
	{ result docs "htmldocs SPHINXDIRS=virt" fail "mmu.html lacks the new section: did Sphinx run?"; exit 1; }
new=$(LC_ALL=C comm -13 "$bw" "$pw")
if [ -n "$new" ]; then
	echo "$new" | sed 's/^/    /' >&2
	result docs "htmldocs SPHINXDIRS=virt" fail "$(echo "$new" | wc -l) new warnings"
	exit 1
fi
result docs "htmldocs SPHINXDIRS=virt" pass "$(wc -l <"$pw") warnings, as on base"
