#!/bin/bash
# `make mutants`: prove that the tests can fail.  Each mutants/NN-NAME.patch
# breaks the series in one way and names the tests that must catch it (see
# scripts/mutants.py for the format).  For each mutant: apply it to a copy of
# build/linux's working tree, build the test-config bzImage incrementally,
# boot it with the mutant's tests and decide: killed (a named test failed,
# or the guest hung, crashed or reported a WARNING) or survived.  A mutant
# that survives, does not apply or does not build fails the stage, as does a
# named test that fails without any mutant (the baseline boots).
#   mutants.sh [NAME...]     only these mutants (NAME without the NN- prefix)
# The source tree is build/mutant-src (a `git clone --shared` of build/linux
# plus its uncommitted work, reset between mutants; build/linux itself is
# only read), the objects build/obj/mutants (one directory shared by all,
# so that each build recompiles only the files the mutants touch), the
# selftests build/selftests/patched/bin (`make build`; selftests don't
# change).  Output: build/mutants/ (logs, table.tsv), guest runs in
# build/results/mutant-*.
. "$(dirname "$0")/lib.sh"
# Under `make check`, which exports RESULTS, each mutant is also a result.
in_check=$(printenv RESULTS || true)

SRC=$BUILD/mutant-src
OBJ=$BUILD/obj/mutants
BINDIR=${MUTANTS_BINDIR:-$BUILD/selftests/patched/bin}
out=$BUILD/mutants
kernel=$OBJ/arch/x86/boot/bzImage
export GIT_OPTIONAL_LOCKS=0		# never write build/linux's index

[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
[ -d "$BINDIR" ] || die "no selftests in $BINDIR; run 'make build'"
t0=$(date +%s)
rm -rf "$out" "$BUILD"/results/mutant-*
mkdir -p "$out"

# build/mutant-src := build/linux's HEAD plus its uncommitted work (tracked
# changes and untracked files), as one commit, without rewriting the files
# that did not change (their objects stay valid).
sync_src() {
	local head idx f blob mode tree
	[ -d "$SRC/.git" ] || git clone -q --shared --no-checkout "$LINUX" "$SRC"
	head=$(git -C "$LINUX" rev-parse HEAD)
	idx=$SRC/.git/wb-index
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git -C "$SRC" read-tree "$head"
	git -C "$LINUX" diff --binary HEAD >"$out/wip.diff"
	[ ! -s "$out/wip.diff" ] || GIT_INDEX_FILE=$idx git -C "$SRC" apply --cached "$out/wip.diff"
	git -C "$LINUX" ls-files -z --others --exclude-standard | while IFS= read -r -d '' f; do
		blob=$(git -C "$SRC" hash-object -w -- "$LINUX/$f")
		mode=100644; [ ! -x "$LINUX/$f" ] || mode=100755
		GIT_INDEX_FILE=$idx git -C "$SRC" update-index --add --cacheinfo "$mode,$blob,$f"
	done
	tree=$(GIT_INDEX_FILE=$idx git -C "$SRC" write-tree)
	rm -f "$idx"
	BASELINE=$(GIT_AUTHOR_NAME=workbench GIT_AUTHOR_EMAIL=workbench@localhost \
		GIT_COMMITTER_NAME=workbench GIT_COMMITTER_EMAIL=workbench@localhost \
		GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
		git -C "$SRC" commit-tree "$tree" -p "$head" -m "build/linux's working tree")
	reset_src
	log "build/mutant-src: build/linux at $(git -C "$LINUX" rev-parse --short HEAD) plus its uncommitted work"
}
reset_src() { git -C "$SRC" reset -q --hard "$BASELINE" && git -C "$SRC" clean -q -fd; }

# build NAME: the bzImage of build/mutant-src as it is; its seconds in $secs.
build() {
	local s rc=0
	s=$(date +%s)
	"$TOP"/scripts/build-kernel.sh "$SRC" "$OBJ" test bzImage >"$out/$1.log" 2>&1 || rc=$?
	secs=$(( $(date +%s) - s ))
	return $rc
}

# boot RUN LIST CPU APPEND [LIMITS]: one guest; its seconds in $secs.
boot() {
	local s cpu=() limits
	[ "$3" = - ] || cpu=(-c "$3")
	limits=${5:--t 120}
	s=$(date +%s)
	# shellcheck disable=SC2086
	"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$BINDIR" -l "$2" -n "$1" \
		-a "$([ "$4" = - ] || echo "$4")" "${cpu[@]}" $limits >"$out/$1.out" 2>&1 || true
	secs=$(( $(date +%s) - s ))
}

python3 "$TOP"/scripts/mutants.py plan "$TOP/mutants" "$out" "$@" >"$out/plan"
sync_src

# The baseline: every mutant's tests on the unmutated kernel, one guest per
# guest shape.
if ! build baseline; then
	tail -n 30 "$out/baseline.log"
	die "build/linux's working tree does not build (log: ${out#"$TOP"/}/baseline.log)"
fi
bsecs=$secs boots=0
declare -A cpu_of append_of
while IFS=$'\t' read -r kind g cpu append; do
	[ "$kind" = group ] || continue
	cpu_of[$g]=$cpu append_of[$g]=$append
	log "baseline $g: $(paste -sd, "$out/baseline-$g.list")$([ "$cpu" = - ] || echo ", -cpu $cpu")$([ "$append" = - ] || echo ", '$append'")"
	boot "mutant-baseline-$g" "$out/baseline-$g.list" "$cpu" "$append"
	boots=$((boots + secs))
	sed 's/^/    /' "$BUILD/results/mutant-baseline-$g/summary.txt"
done <"$out/plan"
echo "$bsecs $boots" >"$out/baseline.secs"

while IFS=$'\t' read -r kind name patch g; do
	[ "$kind" = mutant ] || continue
	reset_src
	if ! git -C "$SRC" apply --check "$patch" 2>"$out/$name.log"; then
		cat "$out/$name.log" >&2
		python3 "$TOP"/scripts/mutants.py failed "$out" "$patch" "does not apply" 0
		continue
	fi
	git -C "$SRC" apply "$patch"
	log "mutant $name: $(git -C "$SRC" diff --stat | tail -n 1 | sed 's/^ *//')"
	if ! build "$name"; then
		tail -n 20 "$out/$name.log" >&2
		python3 "$TOP"/scripts/mutants.py failed "$out" "$patch" "does not build" "$secs"
		continue
	fi
	b=$secs
	boot "mutant-$name" "$out/$name.list" "${cpu_of[$g]}" "${append_of[$g]}" \
		"$(python3 "$TOP"/scripts/mutants.py limits "$BUILD/results/mutant-baseline-$g" "$out/$name.list")"
	python3 "$TOP"/scripts/mutants.py verdict "$out" "$patch" "$BUILD/results/mutant-$name" \
		"$BUILD/results/mutant-baseline-$g" "$b" "$secs"
done <"$out/plan"

# MUTANTS_CALLBACK=FILE (make check): also build the callback kernel
# (bench/NNNN-*.patch on the same tree, see scripts/build-callback.sh)
# here, incrementally, and copy its vmlinux to FILE; a failure leaves FILE
# absent and its log in build/mutants/callback.log.
if [ -n "${MUTANTS_CALLBACK:-}" ]; then
	rm -f "$MUTANTS_CALLBACK"
	reset_src
	ok=1
	for p in "$TOP"/bench/[0-9][0-9][0-9][0-9]-*.patch; do
		git -C "$SRC" apply "$p" 2>>"$out/callback.log" ||
			{ echo "$(basename "$p") does not apply" >>"$out/callback.log"; ok=; break; }
	done
	if [ -n "$ok" ] && build callback; then
		cp "$OBJ/vmlinux" "$MUTANTS_CALLBACK"
		log "callback kernel (bench/): built in ${secs}s"
	else
		warn "callback kernel (bench/): not built (log: ${out#"$TOP"/}/callback.log)"
	fi
fi
reset_src

echo "==== mutants (mutants/, scripts/mutants.py)"
rc=0
python3 "$TOP"/scripts/mutants.py table "$out" $(( $(date +%s) - t0 )) || rc=$?
if [ -n "$in_check" ]; then
	while IFS=$'\t' read -r name v by _ _ note; do
		if [ "$v" = killed ]; then result mutants "$name" pass "killed by $by"
		else result mutants "$name" fail "$v${note:+: $note}"; fi
	done <"$out/table.tsv"
fi
exit $rc
