#!/bin/bash
# Model-check model/fault.pml with spin (see model/README.md).  Each variant
# must give exactly its expected result, or the script stops there:
#   patched   INV1, INV2 and INV3 hold (full search);
#   reorder   (-DREORDER: the attribute read before the seq snapshot)
#             violates INV1, and INV2 and INV3 hold;
#   tworeads  (-DTWOREADS: a second, separate read for the mismatch check)
#             violates INV2, and INV1 and INV3 hold;
#   nostale   (-DNOSTALE: no staleness checks) violates INV1 and INV3, and
#             INV2 holds;
#   aliaszap  (-DALIASZAP: a zap of the shared alias zaps the canonical SPTE)
#             violates INV1 and INV3 (with one extra free, -DNFREES=1), and
#             INV2 holds;
#   reach     (-DREACH) a run ends with an SPTE installed after the last
#             invalidation (non-vacuity), and no invariant fails first.
# A violation is searched for with only that invariant asserted (-DCHECK), by
# BFS, so its trail is a shortest one (the reach probe by DFS); "holds" is a
# full DFS with only the invariants that must hold asserted.  spin's replay
# of each trail must end in the same violation.
# MODEL_DEFS="-DNF=3 -DNFLIPS=3" enlarges the bounds (pan is then built -O2).
. "$(dirname "$0")/lib.sh"

command -v spin >/dev/null || die "spin not found (Debian package spin)"
command -v gcc >/dev/null || die "gcc not found"

MODEL=$TOP/model/fault.pml
DIR=$BUILD/model
read -ra DEFS <<<"${MODEL_DEFS:-}"
# At the default bounds, compiling pan.c takes longer than the searches, so
# don't optimise it, and a 2^20-slot hash table is plenty.
OPT=-O0 PANOPTS=(-m100000 -w20)
[ ${#DEFS[@]} -eq 0 ] || OPT=-O2 PANOPTS=(-m100000)
rm -rf "$DIR"
mkdir -p "$DIR"

declare -A MASK=([INV1]=1 [INV2]=2 [INV3]=4) RESULT=()

# Which property an assertion's text (pan's or spin's) belongs to.
classify() {
	case ${1// /} in
	*spte_page*) echo INV3 ;;
	*'acc!=attr'* | *'shared_bit||(installs=='*) echo INV2 ;;
	*'spte_priv[0]==attr'*) echo INV1 ;;
	*'!(present[0])&&!(present[1])'*) echo REACH ;;
	'') echo none ;;
	*) echo "other: $1" ;;
	esac
}

# pan NAME SEARCH CHECK [SPIN-DEFINE...]: build and run pan in $DIR/NAME.
#   SEARCH: dfs (full search) or bfs (shortest counterexample).
#   CHECK: mask of the invariants to assert.
# Sets STORED, DEPTH, ERRORS, COMPLETE (yes/no), VIOLATED (pan's text), D.
pan() {
	local name=$1 search=$2 check=$3 cflags=("$OPT" -DSAFETY)
	shift 3
	D=$DIR/$name
	[ "$search" = bfs ] && cflags+=(-DBFS)
	mkdir -p "$D"
	cp -p "$MODEL" "$D/"
	SPINDEFS=("$@" -DCHECK="$check" "${DEFS[@]}")
	echo "spin -t -p ${SPINDEFS[*]} fault.pml" >"$D/replay"
	(cd "$D" && spin "${SPINDEFS[@]}" -a fault.pml >spin.log 2>&1) ||
		die "$name: spin -a failed, see $D/spin.log"
	(cd "$D" && gcc "${cflags[@]}" -o pan pan.c >gcc.log 2>&1) ||
		die "$name: gcc failed, see $D/gcc.log"
	(cd "$D" && ./pan "${PANOPTS[@]}" >pan.out 2>&1) || true

	local out=$D/pan.out
	grep -q 'max search depth too small' "$out" &&
		die "$name: search depth exceeded, see $out"
	STORED=$(awk '/states, stored$/ { print $1; exit }' "$out")
	DEPTH=$(sed -n 's/.*depth reached \([0-9]*\),.*/\1/p' "$out")
	ERRORS=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out")
	VIOLATED=$(sed -n 's/^pan:1: \(.*\) (at depth.*/\1/p' "$out" | head -n1)
	COMPLETE=yes
	grep -q 'Search not completed' "$out" && COMPLETE=no
	if [ -z "$ERRORS" ] || [ -z "$STORED" ]; then
		die "$name: no result from pan, see $out"
	fi
}

# holds VARIANT INV... -- [SPIN-DEFINE...]: a full search asserting only the
# given invariants finds no error (no assertion, no invalid end state).
holds() {
	local v=$1 invs=() mask=0 i
	shift
	while [ "$1" != -- ]; do invs+=("$1"); shift; done
	shift
	for i in "${invs[@]}"; do mask=$((mask | MASK[$i])); done
	pan "$v-holds" dfs "$mask" "$@"
	if [ "$ERRORS" != 0 ] || [ "$COMPLETE" != yes ]; then
		(cd "$D" && spin "${SPINDEFS[@]}" -t -p fault.pml >trail.txt 2>&1) || true
		die "$v: expected ${invs[*]} to hold, but pan reports" \
			"$(classify "$VIOLATED") (${VIOLATED:-search not completed}," \
			"errors $ERRORS); trail in $D/trail.txt"
	fi
	for i in "${invs[@]}"; do RESULT[$v,$i]=holds; done
	printf 'model %-9s %-22s states stored %9s, depth %4s (DFS, full)\n' \
		"$v" "${invs[*]} hold" "$STORED" "$DEPTH"
}

# violates VARIANT PROP CHECK SEARCH [SPIN-DEFINE...]: the search (bfs or
# dfs) finds a violation of PROP (INVn or REACH), asserting the invariants in
# the mask CHECK, and spin's replay of the trail ends in it.
violates() {
	local v=$1 prop=$2 check=$3 search=$4 got trailtext trailprop steps
	shift 4
	pan "$v-$prop" "$search" "$check" "$@"
	got=$(classify "$VIOLATED")
	if [ "$ERRORS" = 0 ] || [ "$got" != "$prop" ]; then
		die "$v: expected a violation of $prop, but pan reports $got" \
			"(errors $ERRORS), see $D/pan.out"
	fi
	(cd "$D" && spin "${SPINDEFS[@]}" -t -p fault.pml >trail.txt 2>&1) || true
	trailtext=$(sed -n 's/^spin: text of failed assertion: //p' "$D/trail.txt" | head -n1)
	trailprop=$(classify "$trailtext")
	if [ "$trailprop" != "$prop" ]; then
		die "$v: pan reports $prop, but the replayed trail ends in" \
			"$trailprop, see $D/trail.txt"
	fi
	steps=$(sed -n 's/^spin: trail ends after \([0-9]*\) steps.*/\1/p' "$D/trail.txt")
	RESULT[$v,$prop]=VIOLATED
	printf 'model %-9s %-22s states stored %9s, depth %4s (%s), trail %s steps: %s\n' \
		"$v" "$prop violated" "$STORED" "$DEPTH" "${search^^}" "${steps:-?}" \
		"${D#"$TOP"/}/trail.txt"
}

log "spin model ${MODEL#"$TOP"/} ${DEFS[*]}"
holds    patched  INV1 INV2 INV3 --
violates reorder  INV1  1 bfs -DREORDER
holds    reorder  INV2 INV3 -- -DREORDER
violates tworeads INV2  2 bfs -DTWOREADS
holds    tworeads INV1 INV3 -- -DTWOREADS
violates nostale  INV1  1 bfs -DNOSTALE
violates nostale  INV3  4 bfs -DNOSTALE
holds    nostale  INV2 -- -DNOSTALE
violates aliaszap INV1  1 bfs -DALIASZAP
# With a free while the gfn stays shared, the shortest trail to INV3 does not
# pass through a violation of INV1 first.
violates aliaszap INV3  4 bfs -DALIASZAP -DNFREES=1
holds    aliaszap INV2 -- -DALIASZAP
# All invariants asserted: the probe's assertion is the first to fail.  DFS
# reaches the end of a run far sooner than BFS.
violates reach    REACH 7 dfs -DREACH

printf '\n%-9s %-9s %-9s %s\n' variant INV1 INV2 INV3
for v in patched reorder tworeads nostale aliaszap; do
	printf '%-9s %-9s %-9s %s\n' "$v" "${RESULT[$v,INV1]:-?}" \
		"${RESULT[$v,INV2]:-?}" "${RESULT[$v,INV3]:-?}"
done
log "model check passed: every variant gave its expected result"
