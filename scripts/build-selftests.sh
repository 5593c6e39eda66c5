#!/bin/bash
# Build the KVM selftests statically against a kernel's exported headers.
#   build-selftests.sh SRC OBJ OUT [TEST...]
# SRC: kernel tree; OBJ: its O= directory (headers_install is run there);
# OUT: gets build/ (objects, incremental), bin/ (stripped tests, same
# relative names as in the tree, e.g. x86/foo_test) and tests.txt (every
# test of the suite, one a line).  With TEST arguments, only those tests
# (and what they need) are built.
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: build-selftests.sh SRC OBJ OUT [TEST...]"
src=$(realpath "$1") obj=$(realpath "$2") out=$3; shift 3
mkdir -p "$out/build" "$out/bin"
out=$(realpath "$out")
kst=$src/tools/testing/selftests/kvm

[ -f "$obj/usr/include/linux/kvm.h" ] && [ "$obj/usr/include/linux/kvm.h" -nt "$obj/.config" ] ||
	make -C "$src" O="$obj" -s headers_install
mk=(make -C "$kst" -j"$JOBS" OUTPUT="$out/build" INSTALL_HDR_PATH="$obj/usr"
    KHDR_INCLUDES="-isystem $obj/usr/include" EXTRA_CFLAGS=-static)

"${mk[@]}" -s -f Makefile -f "$TOP/scripts/selftests-list.mk" wb-print-tests >"$out/all.txt"
grep -v '^extended ' "$out/all.txt" >"$out/tests.txt"

if [ $# -gt 0 ]; then
	targets=()
	for t in "$@"; do
		grep -qx "$t" "$out/tests.txt" || die "no selftest '$t' in $kst"
		case $t in *.sh) ;; *) targets+=("$out/build/$t") ;; esac
	done
	# Script tests run the extended programs next to them.
	for t in $(sed -n 's/^extended //p' "$out/all.txt"); do targets+=("$out/build/$t"); done
	log "building ${#targets[@]} KVM selftests"
	[ ${#targets[@]} -eq 0 ] || "${mk[@]}" -s "${targets[@]}" >"$out/build.log" 2>&1 ||
		{ tail -n 50 "$out/build.log" >&2; die "KVM selftests build failed (log: $out/build.log)"; }
	want=("$@")
else
	log "building all KVM selftests"
	"${mk[@]}" -s all >"$out/build.log" 2>&1 ||
		{ tail -n 50 "$out/build.log" >&2; die "KVM selftests build failed (log: $out/build.log)"; }
	mapfile -t want <"$out/tests.txt"
fi

# Install: stripped copies, only when changed.
for t in "${want[@]}" $(sed -n 's/^extended //p' "$out/all.txt"); do
	s=$out/build/$t
	case $t in *.sh) s=$kst/$t ;; esac
	[ -f "$s" ] || die "selftest $t was not built"
	d=$out/bin/$t
	[ -f "$d" ] && [ "$d" -nt "$s" ] && continue
	mkdir -p "$(dirname "$d")"
	cp "$s" "$d.tmp"
	case $t in *.sh) ;; *) strip "$d.tmp" ;; esac
	mv "$d.tmp" "$d"
done
