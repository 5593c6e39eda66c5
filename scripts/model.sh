#!/bin/bash
# Model-check model/fault.pml with spin (see model/README.md).
#  - patched ordering: must pass (errors: 0);
#  - base 7.3.4 ordering: must violate INV2 (spurious KVM_EXIT_MEMORY_FAULT);
#  - patched without the staleness checks: must violate INV1;
#  - reachability probe: a run must end with an SPTE installed after the
#    last attribute flip (shows that the model is not vacuous).
# MODEL_DEFS="-DNF=3 -DNFLIPS=3" enlarges the bounds.
. "$(dirname "$0")/lib.sh"

command -v spin >/dev/null || die "spin not found (Debian package spin)"
command -v gcc >/dev/null || die "gcc not found"

MODEL=$TOP/model/fault.pml
DIR=$BUILD/model
read -ra DEFS <<<"${MODEL_DEFS:-}"
rm -rf "$DIR"
mkdir -p "$DIR"
failed=0

# check NAME EXPECT SEARCH [SPIN-DEFINE...]
#   EXPECT: "pass", or pan's exact report of the assertion that must fail.
#   SEARCH: dfs (full search) or bfs (shortest counterexample).
check() {
	local name=$1 expect=$2 search=$3 d=$DIR/$1 cflags=(-O2 -DSAFETY)
	shift 3
	[ "$search" = bfs ] && cflags+=(-DBFS)
	mkdir -p "$d"
	cp "$MODEL" "$d/"
	(cd "$d" && spin "$@" "${DEFS[@]}" -a fault.pml >spin.log 2>&1) ||
		die "$name: spin -a failed, see $d/spin.log"
	(cd "$d" && gcc "${cflags[@]}" -o pan pan.c >gcc.log 2>&1) ||
		die "$name: gcc failed, see $d/gcc.log"
	(cd "$d" && ./pan -m100000 >pan.out 2>&1) || true

	local out=$d/pan.out stored depth errors violated result
	grep -q 'max search depth too small' "$out" &&
		die "$name: search depth exceeded, see $out"
	stored=$(awk '/states, stored$/ { print $1; exit }' "$out")
	depth=$(sed -n 's/.*depth reached \([0-9]*\),.*/\1/p' "$out")
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out")
	violated=$(sed -n 's/^pan:1: \(.*\) (at depth.*/\1/p' "$out" | head -n1)
	if [ -z "$errors" ] || [ -z "$stored" ]; then
		die "$name: no result from pan, see $out"
	fi
	if [ "$errors" != 0 ]; then
		(cd "$d" && spin -t -p "$@" "${DEFS[@]}" fault.pml >trail.txt 2>&1) || true
	fi

	if [ "$expect" = pass ]; then
		if [ "$errors" = 0 ] && ! grep -q 'Search not completed' "$out"; then
			result="PASS (no violation)"
		else
			result="FAIL (expected no violation, got: ${violated:-errors $errors}; trail in $d/trail.txt)"
			failed=1
		fi
	elif [ "$errors" != 0 ] && [ "$violated" = "$expect" ]; then
		result="PASS (violation found as expected: $violated; trail in $d/trail.txt)"
	else
		result="FAIL (expected a violation of $expect, got: ${violated:-none})"
		failed=1
	fi
	printf 'model %-8s states stored %s, depth %s, errors %s: %s\n' \
		"$name" "$stored" "$depth" "$errors" "$result"
}

log "spin model ${MODEL#"$TOP"/} ${DEFS[*]}"
av='assertion violated'
check patched pass                                      dfs
check base    "$av (shared_bit&&(acc!=attr))"           bfs -DBASE
check nostale "$av ( !(present)||(spte_priv==attr))"    bfs -DNOSTALE
check reach   "$av  !(present)"                         dfs -DREACH

[ "$failed" = 0 ] || die "model check failed"
log "model check passed"
