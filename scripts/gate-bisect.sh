#!/bin/bash
# Bisectability: apply the series one patch at a time on the base and build
# arch/x86/kvm after each with the modules config (KVM=m KVM_INTEL=m
# KVM_AMD=m KVM_WERROR=y) and W=1: with KVM_WERROR, a W=1 warning fails the
# patch that brings it (7.3.4's arch/x86/kvm has none).  A prefix that
# built before (same cumulative patch-ids) is not rebuilt.  Works in
# build/bisect-src (a clone of build/linux's base commit) with
# O=build/obj/bisect-modules.  The object directory
# is configured again at each prefix that changes a Kconfig file, so that
# a symbol the series adds (the KUnit test's) gets the config fragments'
# value from then on.  build/gates/bisect/final names the commit of the
# whole series there once every prefix passed, the object directory's
# .wb-built the commit its last (successful) build was of, and .wb-kconfig
# the Kconfig files it was configured with; the sparse gate checks those
# objects at the series' commit if they were configured for it
# (gate-sparse.sh).
. "$(dirname "$0")/lib.sh"

mapfile -t series < <(series_patches)
[ ${#series[@]} -gt 0 ] || { log "bisect: no patches"; exit 0; }
[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
base=$(git -C "$LINUX" rev-parse base)
src=$BUILD/bisect-src
obj=$BUILD/obj/bisect-modules
okdir=$BUILD/gates/bisect
mkdir -p "$okdir"

# Cumulative keys, and which prefixes still need a build: the first one
# covers the build's arguments and config, the others add a patch each.
bargs=(W=1)
kconfig_rule=2	# in the key: prefixes built before Kconfig changes reconfigured do not count
keys=() todo=0
k=$( { echo "$base ${bargs[*]} $kconfig_rule"; compiler_id; config_fragments modules "$LINUX" | xargs cat; } |
	sha1sum | cut -c1-40)
for p in "${series[@]}"; do
	k=$( { echo "$k"; git patch-id --verbatim <"$p" | cut -d' ' -f1; } | sha1sum | cut -c1-40)
	keys+=("$k")
	[ -f "$okdir/$k" ] || todo=1
done
rm -f "$okdir/final"
if [ $todo = 0 ]; then
	for p in "${series[@]}"; do result bisect "$(basename "$p")" pass "cached"; done
	cat "$okdir/commit-${keys[-1]}" >"$okdir/final" 2>/dev/null || rm -f "$okdir/final"
	exit 0
fi

if ! git -C "$src" cat-file -e "$base" 2>/dev/null; then
	log "cloning build/linux's base into ${src#$TOP/}"
	rm -rf "$src"
	git clone -q --shared --no-checkout "$LINUX" "$src"
	git -C "$src" config user.name kvm-workbench
	git -C "$src" config user.email kvm-workbench@localhost
	git -C "$src" checkout -q --detach "$base"
fi
cd "$src"
# One prefix at a time: its commit (made by an earlier run, or `git am` of
# the patch on the previous prefix now), then a build unless that prefix
# built before.  The first patch that does not apply or build is named.
git reset -q --hard
mkdir -p "$obj"
tip=$base
for i in "${!series[@]}"; do
	p=${series[$i]}
	f=$(basename "$p")
	c=$(cat "$okdir/commit-${keys[$i]}" 2>/dev/null || true)
	if [ -z "$c" ] || ! git cat-file -e "$c" 2>/dev/null; then
		git checkout -q -f --detach "$tip"
		if ! git am -q --keep-cr "$p" >"$obj.am.log" 2>&1; then
			git am --abort >/dev/null 2>&1 || true
			sed 's/^/    /' "$obj.am.log" >&2
			result bisect "$f" fail "does not apply"
			exit 1
		fi
		c=$(git rev-parse HEAD)
		echo "$c" >"$okdir/commit-${keys[$i]}"
	fi
	prev=$tip
	tip=$c
	if [ -f "$okdir/${keys[$i]}" ]; then
		result bisect "$f" pass "cached"
		continue
	fi
	# A patch that only touches tools/ or Documentation/ cannot change the
	# build of arch/x86/kvm: it passes if the previous prefix passed.
	if [ "$i" -gt 0 ] && [ -f "$okdir/${keys[$((i - 1))]}" ] &&
	   ! git diff --name-only "$prev" "$c" | grep -qvE '^(tools|Documentation)/'; then
		touch "$okdir/${keys[$i]}"
		result bisect "$f" pass "touches only tools/ and Documentation/"
		continue
	fi
	[ "$(git rev-parse HEAD)" = "$c" ] || git checkout -q -f --detach "$c"
	# A prefix whose Kconfig files differ from those the object directory
	# was configured with is configured again (build-kernel.sh), so that a
	# symbol the series adds (the KUnit test's) gets the fragments' value.
	kc=$(git ls-tree -r HEAD | grep '/Kconfig' | sha1sum | cut -c1-40)
	[ "$(cat "$obj/.wb-kconfig" 2>/dev/null)" = "$kc" ] || rm -f "$obj/.wb-config-key" "$obj/.wb-kconfig"
	# .wb-built: the commit whose build the object directory holds (none
	# while a build runs, or after one failed).
	rm -f "$obj/.wb-built"
	log "bisect: building arch/x86/kvm with $f applied"
	if "$TOP"/scripts/build-kernel.sh "$src" "$obj" modules "${bargs[@]}" arch/x86/kvm/ >"$obj.log" 2>&1; then
		touch "$okdir/${keys[$i]}"
		echo "$kc" >"$obj/.wb-kconfig"
		echo "$c" >"$obj/.wb-built"
		result bisect "$f" pass
	else
		grep -E 'error|warning' "$obj.log" | head -n 40 | sed 's/^/    /' >&2
		result bisect "$f" fail "arch/x86/kvm does not build (KVM_WERROR=y, W=1, modules) with this patch applied"
		exit 1
	fi
done
echo "$tip" >"$okdir/final"
