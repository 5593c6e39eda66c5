#!/bin/bash
# Provide a sparse new enough for Linux 7.3 (bookworm's 0.6.4 is not: the
# kernel's checker-valid.sh rejects it and C=1/C=2 then silently do
# nothing).  Builds Debian sid's source package once, through a one-off
# deb-src configuration on the machine's own mirror, and caches it.
# Prints the path of the sparse binary.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apt-oneoff.sh"

dir=$CACHE/sparse
bin=$dir/bin/sparse
if [ ! -x "$bin" ]; then
	log "fetching sparse sources (Debian sid)"
	apt_oneoff "$CACHE/apt-sid-src" deb-src sid
	rm -rf "$dir"; mkdir -p "$dir/src"
	(cd "$dir/src" && apt-get "${APT_OPTS[@]}" -qq source --download-only sparse) ||
		die "apt-get source --download-only sparse failed"
	orig=$(ls "$dir"/src/sparse_*.orig.tar.* | head -n1)
	[ -n "$orig" ] || die "no sparse .orig tarball"
	mkdir -p "$dir/build"
	tar -xf "$orig" -C "$dir/build" --strip-components=1
	log "building sparse $(basename "$orig")"
	make -C "$dir/build" -s -j"$JOBS" HAVE_LLVM=no HAVE_SQLITE=no HAVE_GTK=no HAVE_LIBXML=no sparse \
		>"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; die "building sparse failed"; }
	mkdir -p "$dir/bin"
	cp "$dir/build/sparse" "$bin"
fi
# The kernel's own validity check, so that C=2 cannot silently skip.
src=$(base_src 2>/dev/null)
[ "$(sh "$src"/scripts/checker-valid.sh "$bin" -D__x86_64__ 2>/dev/null)" = 1 ] ||
	die "$bin is rejected by the kernel's scripts/checker-valid.sh"
echo "$bin"
