#!/bin/bash
# sparse (C=2: every file checked) and W=1 over arch/x86/kvm (and the
# virt/kvm objects it builds) with the modules config, on base and patched:
# a warning the base does not have fails the gate.  Line numbers are
# normalised away before comparing.
# - Patched: the bisect gate's objects of the whole series (built there
#   with W=1 and KVM_WERROR=y, so a W=1 warning has already failed it, and
#   configured again once the series adds the KUnit test's symbol), checked
#   with sparse alone (C=2); if the bisect gate did not pass, or
#   build/linux's tree is not the series it built, build/linux's tree in an
#   object directory of its own.
# - Base: config/sparse-base.warnings, if it was made for this base,
#   compiler, sparse, config and normalisation (its first line, a key);
#   otherwise a build of the base.  7.3.4's warnings don't change.
# The compiler's and sparse's diagnostics are kept per object
# (scripts/warn-log.sh), so an incremental build still yields the complete
# list.
. "$(dirname "$0")/lib.sh"

sparse=$("$TOP"/scripts/build-sparse.sh)
bsrc=$(base_src 2>/dev/null)
[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
out=$BUILD/gates/sparse
mkdir -p "$out"
# The wrapper is copied to the cache under its own hash, so that the make
# arguments (and with them the base's cache key and Kbuild's command
# lines) are the same from every clone.
wrap=$CACHE/bin/warn-log-$(sha1sum <"$TOP/scripts/warn-log.sh" | cut -c1-12).sh
[ -x "$wrap" ] || { mkdir -p "$CACHE/bin"; install -m 755 "$TOP/scripts/warn-log.sh" "$wrap"; }
args=(C=1 W=1 "CHECK=$wrap $sparse" "CC=$wrap gcc")

collect() {	# OBJ SRC -> normalised warnings, one a line, sorted
	local obj=$1 src=$2
	find "$obj/arch/x86/kvm" "$obj/virt/kvm" \( -name '*.wb-cc' -o -name '*.wb-check' \) 2>/dev/null | LC_ALL=C sort |
		xargs cat | awk '
			/^[^ :]+:[0-9]+(:[0-9]+)?: (warning|error):/ { if (w) print w; w = $0; next }
			/^ +(expected|got|   )/ && w { sub(/^ +/, ""); w = w " | " $0; next }
			{ if (w) print w; w = "" }
			END { if (w) print w }' |
		sed -E -e "s|$src/||g" -e "s|$obj/||g" -e 's|^(\.\./)+||' \
		       -e 's|^([^ :]+):[0-9]+(:[0-9]+)?:|\1:|' | LC_ALL=C sort
}

checked() {	# OBJ -> number of C files sparse checked / compiled objects
	local obj=$1
	echo "$(find "$obj/arch/x86/kvm" "$obj/virt/kvm" -name '*.wb-check' 2>/dev/null | wc -l)" \
	     "$(find "$obj/arch/x86/kvm" -name '*.o' ! -name '*.mod.o' ! -name 'built-in*' \
		-newer "$obj/.config" | wc -l)"
}

# The base's warnings.
golden=$TOP/config/sparse-base.warnings
# (The args without the cache's path, which differs between machines.)
key=$( { echo "$BASE_VERSION"; compiler_id; "$sparse" --version; echo "${args[*]//$CACHE/}"
	 config_fragments modules "$bsrc" | xargs cat; declare -f collect; } | sha1sum | cut -c1-12)
if [ "$(sed -n '1s/^# key: //p' "$golden" 2>/dev/null)" = "$key" ]; then
	grep -v '^#' "$golden" >"$out/base.warnings" || true
	log "sparse/W=1: base warnings from config/sparse-base.warnings"
else
	bobj=$(base_obj modules "${args[@]}")-sparse
	if [ ! -f "$bobj/.wb-sparse-done" ]; then
		log "sparse/W=1: base (config/sparse-base.warnings is for another key than $key)"
		"$TOP"/scripts/build-kernel.sh "$bsrc" "$bobj" modules "${args[@]}" arch/x86/kvm/ >"$out/base.log" 2>&1 ||
			{ tail -n 30 "$out/base.log" >&2; die "base arch/x86/kvm does not build with C=1 W=1"; }
		touch "$bobj/.wb-sparse-done"
	fi
	collect "$bobj" "$bsrc" >"$out/base.warnings"
	{ echo "# key: $key"; echo "# 7.3.4's sparse/W=1 warnings in arch/x86/kvm (scripts/gate-sparse.sh)"
	  cat "$out/base.warnings"; } >"$out/base.warnings.keyed"
	log "sparse/W=1: to reuse the base's warnings, cp ${out#"$TOP"/}/base.warnings.keyed config/sparse-base.warnings"
fi

# The patched tree's: the bisect gate's objects, if the gate passed, its
# object directory's last build succeeded and was configured with the
# whole series' Kconfig files (the KUnit test's symbol), and build/linux
# is that series with nothing uncommitted.  The build below is then
# incremental at the series' commit: whatever the last prefix built
# there lacks (nothing, unless it was before a patch that only changes
# tools/ or Documentation/) is compiled, with W=1 and KVM_WERROR=y.
final=$(cat "$BUILD/gates/bisect/final" 2>/dev/null || true)
bis=$BUILD/bisect-src bobj=$BUILD/obj/bisect-modules
if [ -n "$final" ] && [ -s "$bobj/.wb-built" ] &&
   [ "$(cat "$bobj/.wb-kconfig" 2>/dev/null)" = "$(git -C "$bis" ls-tree -r "$final" 2>/dev/null | grep '/Kconfig' | sha1sum | cut -c1-40)" ] &&
   [ -z "$(git -C "$LINUX" status --porcelain --untracked-files=no)" ] &&
   [ "$(git -C "$bis" rev-parse -q --verify "$final^{tree}" 2>/dev/null)" = "$(git -C "$LINUX" rev-parse 'HEAD^{tree}')" ]; then
	psrc=$bis pobj=$bobj
	git -C "$psrc" checkout -q -f --detach "$final"
	what="the bisect gate's objects of the series, sparse alone"
	# The bisect gate's own arguments (so nothing is recompiled), then
	# sparse over every file, its diagnostics kept by the wrapper; the
	# diagnostics of an earlier run are removed first.
	pargs=(W=1 arch/x86/kvm/ -- C=2 "CHECK=$wrap $sparse")
	find "$pobj/arch/x86/kvm" "$pobj/virt/kvm" \( -name '*.wb-cc' -o -name '*.wb-check' \) -delete 2>/dev/null || true
else
	psrc=$LINUX pobj=$(patched_obj modules sparse)
	what="build/linux's tree, in an object directory of its own"
	pargs=("${args[@]}" arch/x86/kvm/)
	# (Configured again if a Kconfig file changed, as the bisect gate does;
	# the KUnit test's diagnostics are made anew, for the check below.)
	kc=$(cd "$psrc" && git ls-files -z -- 'Kconfig*' '*/Kconfig*' | xargs -0 cat | sha1sum | cut -c1-40)
	[ "$(cat "$pobj/.wb-kconfig" 2>/dev/null)" = "$kc" ] || rm -f "$pobj/.wb-config-key"
	mkdir -p "$pobj"; echo "$kc" >"$pobj/.wb-kconfig"
	rm -f "$pobj/arch/x86/kvm/mmu/private_access_test.o" "$pobj/arch/x86/kvm/mmu/.private_access_test.o".wb-*
fi
log "sparse/W=1: patched ($what)"
if ! "$TOP"/scripts/build-kernel.sh "$psrc" "$pobj" modules "${pargs[@]}" >"$out/patched.log" 2>&1; then
	grep -E 'error|warning' "$out/patched.log" | head -n 40 | sed 's/^/    /' >&2
	result sparse "arch/x86/kvm C=1 W=1" fail "patched arch/x86/kvm does not build"
	exit 1
fi
collect "$pobj" "$psrc" >"$out/patched.warnings"

read -r nchk nobj < <(checked "$pobj")
if [ "$nchk" -lt 10 ]; then
	result sparse "arch/x86/kvm C=1 W=1" fail "sparse did not run (only $nchk files checked)"
	exit 1
fi
# The series' KUnit test (a symbol the series adds) was among them.
if [ ! -f "$pobj/arch/x86/kvm/mmu/.private_access_test.o.wb-check" ]; then
	result sparse "arch/x86/kvm C=1 W=1" fail "the KUnit test (mmu/private_access_test.c) was not checked"
	exit 1
fi
LC_ALL=C comm -13 "$out/base.warnings" "$out/patched.warnings" >"$out/new.warnings"
log "sparse/W=1: base $(wc -l <"$out/base.warnings"), patched $(wc -l <"$out/patched.warnings") warnings; sparse checked $nchk files"
if [ -s "$out/new.warnings" ]; then
	echo "New sparse/W=1 warnings (line numbers removed; full log: ${out#$TOP/}/patched.log):" >&2
	sed 's/^/    /' "$out/new.warnings" >&2
	result sparse "arch/x86/kvm C=1 W=1" fail "$(wc -l <"$out/new.warnings") new warnings"
	exit 1
fi
result sparse "arch/x86/kvm C=1 W=1" pass
