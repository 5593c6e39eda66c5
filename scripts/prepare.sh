#!/bin/bash
# Build what the guest runs need, base and/or patched, test config:
#   prepare.sh base [--kernel] | patched [TEST...]
# base:    kernel in $CACHE/obj/base-test-KEY/.obj-test, selftests in
#          $CACHE/selftests/base-test-KEY (built once, then reused).  If make
#          build's objects exist, the tree there is build/linux's at its
#          base commit, built incrementally from them (derive-tree.sh).
# patched: kernel in build/linux/.obj-test, selftests in
#          build/selftests/patched (incremental).
# With TEST arguments only those selftests are built; base --kernel builds
# no selftests (and prints - for BINDIR).  Prints "KERNEL BINDIR" on stdout.
. "$(dirname "$0")/lib.sh"

side=${1:?usage: prepare.sh base [--kernel]|patched [TEST...]}; shift
case $side in
base)
	src=$(base_src 2>/dev/null)
	obj=$(base_obj test)
	st=$CACHE/selftests/$(basename "$(dirname "$obj")")
	if [ ! -f "$obj/.wb-done" ]; then
		# With make build's objects at hand, build/linux's tree at its
		# base commit, built incrementally (scripts/derive-tree.sh);
		# otherwise the pristine base from scratch.
		if [ -f "$(patched_obj test)/vmlinux" ] &&
		   git -C "$LINUX" rev-parse -q --verify refs/tags/base >/dev/null; then
			"$TOP"/scripts/derive-tree.sh base "$(dirname "$obj")" >/dev/null
			src=$(dirname "$obj")
		fi
		"$TOP"/scripts/build-kernel.sh "$src" "$obj" test bzImage headers_install >&2
		touch "$obj/.wb-done"
	fi
	if [ "${1:-}" = --kernel ]; then
		echo "$obj/arch/x86/boot/bzImage -"
		exit 0
	fi
	if [ ! -f "$st/.wb-done" ]; then
		"$TOP"/scripts/build-selftests.sh "$src" "$obj" "$st" >&2
		touch "$st/.wb-done"
	fi
	;;
patched)
	[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
	src=$LINUX
	obj=$(patched_obj test)
	st=$BUILD/selftests/patched
	"$TOP"/scripts/build-kernel.sh "$src" "$obj" test bzImage headers_install >&2
	"$TOP"/scripts/build-selftests.sh "$src" "$obj" "$st" "$@" >&2
	;;
*) die "usage: prepare.sh base|patched [TEST...]" ;;
esac
echo "$obj/arch/x86/boot/bzImage $st/bin"
