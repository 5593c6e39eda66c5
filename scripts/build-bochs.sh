#!/bin/bash
# Provide the Bochs of wb/machines.py's bochs-fixed machine: Debian's bochs
# 3.0 source package (trixie's, through a one-off deb-src configuration on
# the machine's own mirror), with emulators/bochs-*.patch applied, built
# once with the features of Debian's binary that the VMX runs use (x86-64,
# VMX level 2 with EPT, A/D bits and PML, AVX, the debugger), and cached.
# Prints the path of the bochs binary.  The BIOS stays Debian's (bochsbios).
#
# Why not Debian's binary: Bochs (2.7, 3.0 and master) evaluates interrupt
# masking at VM entry before it is in VMX non-root mode, so a guest entered
# with RFLAGS.IF=0 by a host with IF=0 (KVM always enters with IRQs off,
# and the selftests' vCPUs start with IF=0) runs with the host's LAPIC
# interrupts masked until it exits for another reason: L1's timer and IPIs
# never cause the external-interrupt VM exit, and a vCPU that spins in its
# guest without exits stops L1 (see the patch).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apt-oneoff.sh"

suite=trixie version=3.0+dfsg-1
key=$( { echo "$version"; cat "$TOP"/emulators/bochs-*.patch; sed -n '/^configure=/,/^$/p' "$0"; } |
	sha1sum | cut -c1-12)
dir=$CACHE/bochs-$key
bin=$dir/bin/bochs
configure=(--enable-x86-64 --enable-vmx=2 --enable-svm --enable-avx --enable-evex
	--enable-cpu-level=6 --enable-monitor-mwait --enable-protection-keys --enable-cet
	--enable-all-optimizations --enable-debugger --enable-disasm --enable-pci
	--enable-a20-pin --enable-logging --with-nogui --disable-plugins)

if [ ! -x "$bin" ]; then
	log "fetching the bochs $version sources (Debian $suite)"
	apt_oneoff "$CACHE/apt-$suite-src" deb-src "$suite"
	rm -rf "$dir"; mkdir -p "$dir/src"
	# The tarballs, checked against the Sources index's SHA-256 (apt-get
	# source also wants the .dsc, which the mirror may not serve).
	(cd "$dir/src" && apt-get "${APT_OPTS[@]}" -qq source --download-only "bochs=$version" >/dev/null 2>&1) || true
	sums=$(apt-cache "${APT_OPTS[@]}" showsrc bochs | awk -v v="$version" '
		/^Version: / { ours = ($2 == v) }
		/^[^ ]/ { sha = ($1 == "Checksums-Sha256:") }
		ours && sha && NF == 3 && $3 ~ /\.tar\./ { print $1 "  " $3 }' | sort -u)
	[ "$(wc -l <<<"$sums")" = 2 ] || die "bochs $version: no orig and debian tarballs in the $suite Sources index"
	(cd "$dir/src" && sha256sum -c --quiet <<<"$sums") ||
		die "bochs $version: the tarballs did not download, or do not match their checksums"
	mkdir -p "$dir/src/tree"
	tar -xf "$dir"/src/bochs_*.orig.tar.* -C "$dir/src/tree" --strip-components=1
	tar -xf "$dir"/src/bochs_*.debian.tar.* -C "$dir/src/tree"
	# Debian's patches, then ours.
	while read -r p; do
		patch -d "$dir/src/tree" -p1 -s <"$dir/src/tree/debian/patches/$p" || die "debian/patches/$p does not apply"
	done < <(grep -v '^#' "$dir/src/tree/debian/patches/series")
	for p in "$TOP"/emulators/bochs-*.patch; do
		patch -d "$dir/src/tree" -p1 -s <"$p" || die "$p does not apply to bochs $version"
	done
	log "building bochs $version with $(cd "$TOP"/emulators && ls bochs-*.patch | paste -sd' ') (a few minutes)"
	(cd "$dir/src/tree" && ./configure -q "${configure[@]}" && make -s -j"$JOBS") \
		>"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; die "building bochs failed (log: $dir/build.log)"; }
	mkdir -p "$dir/bin"
	cp "$dir/src/tree/bochs" "$bin"
	rm -rf "$dir/src"
fi
echo "$bin"
