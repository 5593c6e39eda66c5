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
# The source tree is build/mutant-src (a copy of build/linux's working
# tree, reset between mutants; build/linux itself is only read), the
# objects build/mutant-src/.obj-test (a copy of make build's, shared by
# all, so that each build recompiles only the files the mutants touch), the
# selftests build/selftests/patched/bin (`make build`; selftests don't
# change).  Output: build/mutants/ (logs, table.tsv), guest runs in
# build/results/mutant-*.
# The guests boot in the background, MUTANTS_JOBS (default 2) at once, and
# each mutant's guest boots while the next mutant builds: an incremental
# build is mostly vmlinux's single-threaded link.
. "$(dirname "$0")/lib.sh"
# Under `make check`, which exports RESULTS, each mutant is also a result.
in_check=$(printenv RESULTS || true)

SRC=$BUILD/mutant-src
OBJ=$SRC/.obj-test
BINDIR=${MUTANTS_BINDIR:-$BUILD/selftests/patched/bin}
out=$BUILD/mutants
kernel=$OBJ/arch/x86/boot/bzImage
GUESTS=${MUTANTS_JOBS:-2}
[[ $GUESTS =~ ^[1-9][0-9]*$ ]] || die "MUTANTS_JOBS=$GUESTS: a number of guests, 1 or more"
# A guest still booting when this script stops is stopped too.
kill_tree() { local p; for p in $(pgrep -P "$1"); do kill_tree "$p"; done; kill "$1" 2>/dev/null || true; }
stop_guests() { local j; for j in $(jobs -p); do kill_tree "$j"; done; }
ON_EXIT=stop_guests
export GIT_OPTIONAL_LOCKS=0		# never write build/linux's index

[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
[ -d "$BINDIR" ] || die "no selftests in $BINDIR; run 'make build'"
t0=$(date +%s)
rm -rf "$out" "$BUILD"/results/mutant-*
mkdir -p "$out"

# build/mutant-src := build/linux's working tree (HEAD plus its uncommitted
# work), and build/mutant-src/.obj-test := build/linux/.obj-test (make
# build's objects of that same tree), both copied with their mtimes: kbuild
# refers to the sources of an object directory inside the tree as "..", so
# the copy builds incrementally, and the baseline costs no kernel build.
# A file a mutant changed is restored and touched (its objects are then
# older than it, and are rebuilt).
RSYNC_SRC=(rsync -a --delete --exclude=/.git --exclude='/.obj-*')
sync_src() {
	# A repository of its own, so that git apply patches it (and not, from
	# within the workbench's repository, paths relative to that).
	[ -d "$SRC/.git" ] || git init -q "$SRC"
	"${RSYNC_SRC[@]}" "$LINUX"/ "$SRC"/
	if [ -f "$(patched_obj test)/vmlinux" ]; then
		rsync -a --delete "$(patched_obj test)"/ "$OBJ"/
		log "build/mutant-src: build/linux's working tree at $(git -C "$LINUX" rev-parse --short HEAD), with make build's objects"
	else
		log "build/mutant-src: build/linux's working tree at $(git -C "$LINUX" rev-parse --short HEAD) (no make build objects: a full build)"
	fi
	APPLIED=()
}
reset_src() {
	local p f
	[ ${#APPLIED[@]} -gt 0 ] || return 0
	"${RSYNC_SRC[@]}" "$LINUX"/ "$SRC"/
	for p in "${APPLIED[@]}"; do
		git apply --numstat "$p" | cut -f3 | while read -r f; do
			[ ! -e "$SRC/$f" ] || touch "$SRC/$f"
		done
	done
	APPLIED=()
}
# apply_src PATCH: apply PATCH to build/mutant-src (not a git repository).
apply_src() { git -C "$SRC" apply "$1" && APPLIED+=("$1"); }

# build NAME: the bzImage of build/mutant-src as it is; its seconds in $secs.
# Niced: the guests booting meanwhile keep the CPU time their limits
# (from the baseline boots) assume.
build() {
	local s rc=0
	s=$(date +%s)
	nice -n 10 "$TOP"/scripts/build-kernel.sh "$SRC" "$OBJ" test bzImage >"$out/$1.log" 2>&1 || rc=$?
	secs=$(( $(date +%s) - s ))
	return $rc
}

# boot RUN KERNEL LIST CPU APPEND MACHINE [LIMITS]: one guest, in the
# background once $GUESTS are running; its wall seconds go to $out/RUN.secs.
boot() {
	while [ "$(jobs -rp | wc -l)" -ge "$GUESTS" ]; do wait -n || sleep 1; done
	boot_one "$@" </dev/null &
}
boot_one() {
	local s cpu=() limits
	[ "$4" = - ] || cpu=(-c "$4")
	limits=${7:--t 120}
	s=$(date +%s)
	# shellcheck disable=SC2086
	# oops=panic: a mutant that oopses the guest's kernel ends the boot
	# at once, instead of hanging it on the locks the oops left held.
	"$TOP"/scripts/run-guest.sh -k "$2" -b "$BINDIR" -l "$3" -n "$1" \
		-a "oops=panic$([ "$5" = - ] || echo " $5")" "${cpu[@]}" -M "$6" $limits >"$out/$1.out" 2>&1 || true
	echo $(( $(date +%s) - s )) >"$out/$1.secs"
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
cp "$kernel" "$out/baseline.bzImage"
declare -A cpu_of append_of machine_of
while IFS=$'\t' read -r kind g cpu append machine; do
	[ "$kind" = group ] || continue
	cpu_of[$g]=$cpu append_of[$g]=$append machine_of[$g]=$machine
	log "baseline $g: $(paste -sd, "$out/baseline-$g.list")$([ "$cpu" = - ] || echo ", -cpu $cpu")$([ "$append" = - ] || echo ", '$append'")$([ "$machine" = tcg ] || echo ", $machine")"
	boot "mutant-baseline-$g" "$out/baseline.bzImage" "$out/baseline-$g.list" "$cpu" "$append" "$machine"
done <"$out/plan"
# The mutants' limits come from the baseline boots' times.
wait
for g in $(printf '%s\n' "${!cpu_of[@]}" | sort -n); do
	boots=$((boots + $(cat "$out/mutant-baseline-$g.secs")))
	echo "    baseline $g:"
	sed 's/^/    /' "$BUILD/results/mutant-baseline-$g/summary.txt"
done
echo "$bsecs $boots" >"$out/baseline.secs"

# The verdicts, in the plan's order, once every guest is done.
verdicts=()
while IFS=$'\t' read -r kind name patch g; do
	[ "$kind" = mutant ] || continue
	reset_src
	if ! git -C "$SRC" apply --check "$patch" 2>"$out/$name.log"; then
		cat "$out/$name.log" >&2
		verdicts+=("failed $patch 0 does not apply")
		continue
	fi
	apply_src "$patch"
	log "mutant $name: $(git apply --stat "$patch" | tail -n 1 | sed 's/^ *//')"
	if ! build "$name"; then
		tail -n 20 "$out/$name.log" >&2
		verdicts+=("failed $patch $secs does not build")
		continue
	fi
	cp "$kernel" "$out/$name.bzImage"
	if [ "$(wbmachine get "${machine_of[$g]}" slow)" != 1 ]; then
		# A slow machine's (Bochs') guest seconds are not wall seconds:
		# three times the baseline boot's wall time, and two more minutes.
		lim="-t 120 -T $(( 3 * $(cat "$BUILD/results/mutant-baseline-$g/seconds") + 120 ))"
	else
		lim=$(python3 "$TOP"/scripts/mutants.py limits "$BUILD/results/mutant-baseline-$g" "$out/$name.list")
	fi
	boot "mutant-$name" "$out/$name.bzImage" "$out/$name.list" "${cpu_of[$g]}" "${append_of[$g]}" \
		"${machine_of[$g]}" "$lim"
	verdicts+=("verdict $patch $secs $name $g")
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
		apply_src "$p" 2>>"$out/callback.log" ||
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
wait
for v in "${verdicts[@]}"; do
	read -r kind patch b rest <<<"$v"
	if [ "$kind" = failed ]; then
		python3 "$TOP"/scripts/mutants.py failed "$out" "$patch" "$rest" "$b"
	else
		read -r name g <<<"$rest"
		python3 "$TOP"/scripts/mutants.py verdict "$out" "$patch" "$BUILD/results/mutant-$name" \
			"$BUILD/results/mutant-baseline-$g" "$b" "$(cat "$out/mutant-$name.secs")"
	fi
done
rm -f "$out"/*.bzImage

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
