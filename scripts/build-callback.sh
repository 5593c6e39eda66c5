#!/bin/bash
# The "callback" kernel: build/linux (the series, its uncommitted kernel
# changes included) plus bench/NNNN-*.patch (the per-fault
# static_call(kvm_x86_fault_is_private) design the series replaces), test
# config.  Sources in build/bench/callback-src (re-synced only when
# build/linux or the patches change), objects in build/bench/obj/callback-test
# (incremental).  Prints the object directory.  Used by `make bench` (a
# column of its table) and `make check` (a known-bad kernel for
# scripts/check-classification.sh).
. "$(dirname "$0")/lib.sh"

out=$BUILD/bench
cb_src=$out/callback-src cb_obj=$out/obj/callback-test
mkdir -p "$out/obj"
# make bench and make check may both want it: one at a time.
exec 8>"$out/.callback.lock"
flock 8
git -C "$LINUX" rev-parse -q --verify HEAD >/dev/null || die "no build/linux; run 'make tree'"
mapfile -t cb_patches < <(ls "$TOP"/bench/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null)
[ ${#cb_patches[@]} -gt 0 ] || die "no bench/NNNN-*.patch"
head=$(git -C "$LINUX" rev-parse HEAD)
# Uncommitted changes to build/linux's kernel sources are in the patched
# kernel, so they go into the callback kernel too.
git -C "$LINUX" diff HEAD -- . ':(exclude)tools' >"$out/callback-wip.diff"
key=$( { echo "$head"; cat "$out/callback-wip.diff" "${cb_patches[@]}"; } | sha1sum | cut -c1-40)
if [ "$(cat "$out/callback-src.key" 2>/dev/null)" != "$key" ] || [ ! -d "$cb_src/.git" ]; then
	rm -f "$out/callback-src.key"
	sync_src() {
		[ -d "$cb_src/.git" ] || git clone -q --no-checkout "$LINUX" "$cb_src"
		git -C "$cb_src" fetch -q "$LINUX" HEAD &&
		git -C "$cb_src" checkout -q -f --detach "$head" &&
		git -C "$cb_src" clean -q -fdx
	}
	sync_src || { warn "re-cloning $cb_src"; rm -rf "$cb_src"; sync_src; } ||
		die "can't check out $head in $cb_src"
	if [ -s "$out/callback-wip.diff" ]; then
		log "callback: applying build/linux's uncommitted changes"
		git -C "$cb_src" apply "$out/callback-wip.diff" || die "uncommitted changes of build/linux don't apply"
	fi
	for p in "${cb_patches[@]}"; do
		git -C "$cb_src" apply "$p" || die "$(basename "$p") doesn't apply on build/linux's HEAD"
	done
	echo "$key" >"$out/callback-src.key"
fi
"$TOP"/scripts/build-kernel.sh "$cb_src" "$cb_obj" test bzImage >&2
echo "$cb_obj"
