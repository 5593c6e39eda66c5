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
# The mutants build in MUTANTS_LANES (default 2) copies of that tree at
# once, niced, and boot in the background, MUTANTS_JOBS (default 2) guests
# at once, as soon as each is built: an incremental build is mostly
# single-threaded (make's walk of the tree, vmlinux's link), so two of them
# take about the time of one, and the guests keep the CPU time their limits
# (from the baseline boots) assume.
. "$(dirname "$0")/lib.sh"
# Under `make check`, which exports RESULTS, each mutant is also a result.
in_check=$(printenv RESULTS || true)

SRC=$BUILD/mutant-src		# lane 0; lane N is $SRC-N
BINDIR=${MUTANTS_BINDIR:-$BUILD/selftests/patched/bin}
out=$BUILD/mutants
GUESTS=${MUTANTS_JOBS:-2}
[[ $GUESTS =~ ^[1-9][0-9]*$ ]] || die "MUTANTS_JOBS=$GUESTS: a number of guests, 1 or more"
LANES=${MUTANTS_LANES:-2}
[[ $LANES =~ ^[1-9][0-9]*$ ]] || die "MUTANTS_LANES=$LANES: a number of builds, 1 or more"
src_of() { if [ "$1" = 0 ]; then echo "$SRC"; else echo "$SRC-$1"; fi; }
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
# The other lanes are copies of lane 0 after the baseline's build, and so
# is $PRISTINE (objects only).  A lane is reset by copying back the files
# a mutant changed, sources from build/linux and objects from $PRISTINE,
# both with their mtimes: nothing is rebuilt for a mutant but what it
# changes itself (when the sources were only touched, the next mutant
# recompiled every file the last one had changed, and all the users of a
# header).  The patches applied to a lane are listed in
# $out/lane-N.applied.
RSYNC_SRC=(rsync -a --delete --exclude=/.git --exclude='/.obj-*')
PRISTINE=$BUILD/mutant-obj
sync_src() {
	# A repository of its own, so that git apply patches it (and not, from
	# within the workbench's repository, paths relative to that).
	[ -d "$SRC/.git" ] || git init -q "$SRC"
	"${RSYNC_SRC[@]}" "$LINUX"/ "$SRC"/
	if [ -f "$(patched_obj test)/vmlinux" ]; then
		rsync -a --delete "$(patched_obj test)"/ "$SRC/.obj-test"/
		log "build/mutant-src: build/linux's working tree at $(git -C "$LINUX" rev-parse --short HEAD), with make build's objects"
	else
		log "build/mutant-src: build/linux's working tree at $(git -C "$LINUX" rev-parse --short HEAD) (no make build objects: a full build)"
	fi
	: >"$out/lane-0.applied"
}
copy_lane() {	# LANE: a copy of lane 0 (tree and objects)
	local dst; dst=$(src_of "$1")
	[ -d "$dst/.git" ] || git init -q "$dst"
	rsync -a --delete --exclude=/.git "$SRC"/ "$dst"/
	: >"$out/lane-$1.applied"
}
reset_src() {	# LANE
	local src
	src=$(src_of "$1")
	[ -s "$out/lane-$1.applied" ] || return 0
	"${RSYNC_SRC[@]}" "$LINUX"/ "$src"/
	# (Not tools/: objtool's build records absolute paths, so each lane
	# keeps the objtool it built itself; no mutant changes it.)
	rsync -a --delete --exclude=/tools/ "$PRISTINE"/ "$src/.obj-test"/
	: >"$out/lane-$1.applied"
}
# apply_src LANE PATCH: apply PATCH to that lane's tree.
apply_src() { git -C "$(src_of "$1")" apply "$2" && echo "$2" >>"$out/lane-$1.applied"; }

# build LANE NAME: the bzImage of that lane's tree as it is, copied to
# $out/NAME.bzImage; its seconds in $secs.  Niced: the guests booting
# meanwhile keep the CPU time their limits (from the baseline boots) assume.
build() {
	local s rc=0 src
	src=$(src_of "$1")
	s=$(date +%s)
	nice -n 10 "$TOP"/scripts/build-kernel.sh "$src" "$src/.obj-test" test bzImage >"$out/$2.log" 2>&1 || rc=$?
	secs=$(( $(date +%s) - s ))
	[ $rc != 0 ] || cp "$src/.obj-test/arch/x86/boot/bzImage" "$out/$2.bzImage"
	# (For wb/hang.py, should its guest hang.)
	[ $rc != 0 ] || cp "$src/.obj-test/System.map" "$out/$2.System.map"
	return $rc
}

# boot RUN KERNEL LIST CPU APPEND MACHINE [LIMITS]: one guest, in the
# background (the caller keeps to $GUESTS of them); its wall seconds go to
# $out/RUN.secs, written last.
boot() { boot_one "$@" </dev/null & guests+=($!); }
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
	echo $(( $(date +%s) - s )) >"$out/$1.secs.tmp"
	mv "$out/$1.secs.tmp" "$out/$1.secs"
}
# is_running PID: PID is one of this shell's background jobs, still running
# (bash's job table, not kill -0: a PID that ended may be reused).
is_running() { case " $(jobs -rp | tr '\n' ' ') " in *" $1 "*) return 0 ;; esac; return 1; }
# running_guests: $nguests := the guests still running (called in this
# shell, not in $(...), so that the list is pruned).
guests=() nguests=0
running_guests() {
	local p left=()
	for p in "${guests[@]}"; do
		if is_running "$p"; then left+=("$p"); fi
	done
	guests=("${left[@]}")
	nguests=${#guests[@]}
}

python3 "$TOP"/scripts/mutants.py plan "$TOP/mutants" "$out" "$@" >"$out/plan"
sync_src

# The baseline: every mutant's tests on the unmutated kernel, one guest per
# guest shape.  The mutants build meanwhile; a mutant boots once its
# shape's baseline is done (its limits come from the baseline's times).
if ! build 0 baseline; then
	tail -n 30 "$out/baseline.log"
	die "build/linux's working tree does not build (log: ${out#"$TOP"/}/baseline.log)"
fi
bsecs=$secs
rsync -a --delete "$SRC/.obj-test"/ "$PRISTINE"/
declare -A cpu_of append_of machine_of
while IFS=$'\t' read -r kind g cpu append machine; do
	[ "$kind" = group ] || continue
	cpu_of[$g]=$cpu append_of[$g]=$append machine_of[$g]=$machine
	log "baseline $g: $(paste -sd, "$out/baseline-$g.list")$([ "$cpu" = - ] || echo ", -cpu $cpu")$([ "$append" = - ] || echo ", '$append'")$([ "$machine" = tcg ] || echo ", $machine")"
	while running_guests; [ "$nguests" -ge "$GUESTS" ]; do sleep 1; done
	boot "mutant-baseline-$g" "$out/baseline.bzImage" "$out/baseline-$g.list" "$cpu" "$append" "$machine"
done <"$out/plan"
for ((l = 1; l < LANES; l++)); do copy_lane $l; done

# build_mutant LANE NAME PATCH (in the background): $out/NAME.built says
# "ok SECS", "failed SECS does not apply" or "failed SECS does not build".
build_mutant() {
	local lane=$1 name=$2 patch=$3
	# Written whole (a new file, renamed), so that the scheduler never reads it half-written.
	built() { echo "$*" >"$out/$name.built.tmp"; mv "$out/$name.built.tmp" "$out/$name.built"; }
	reset_src "$lane"
	if ! git -C "$(src_of "$lane")" apply --check "$patch" 2>"$out/$name.log"; then
		cat "$out/$name.log" >&2
		built failed 0 does not apply
		return
	fi
	apply_src "$lane" "$patch"
	log "mutant $name: $(git apply --stat "$patch" | tail -n 1 | sed 's/^ *//')"
	if ! build "$lane" "$name"; then
		tail -n 20 "$out/$name.log" >&2
		built failed "$secs" does not build
		return
	fi
	built ok "$secs"
}
# boot_mutant NAME GROUP: its guest, with limits from its shape's baseline.
boot_mutant() {
	local name=$1 g=$2 lim
	if [ "$(wbmachine get "${machine_of[$g]}" slow)" != 1 ]; then
		# A slow machine's (Bochs') guest seconds are not wall seconds:
		# three times the baseline boot's wall time, and two more minutes.
		lim="-t 120 -T $(( 3 * $(cat "$BUILD/results/mutant-baseline-$g/seconds") + 120 ))"
	else
		lim=$(python3 "$TOP"/scripts/mutants.py limits "$BUILD/results/mutant-baseline-$g" "$out/$name.list")
	fi
	boot "mutant-$name" "$out/$name.bzImage" "$out/$name.list" "${cpu_of[$g]}" "${append_of[$g]}" \
		"${machine_of[$g]}" "$lim"
}

# The schedule: each free lane builds the next mutant; each built mutant
# boots, in the plan's order, once a guest slot is free and its shape's
# baseline is done.
names=()
declare -A patch_of group_of builder
while IFS=$'\t' read -r kind name patch g; do
	[ "$kind" = mutant ] || continue
	names+=("$name") patch_of[$name]=$patch group_of[$name]=$g
done <"$out/plan"
next=0 booted=0
lane_name=()
while [ $booted -lt ${#names[@]} ]; do
	# Builds that ended free their lane.
	for ((l = 0; l < LANES; l++)); do
		n=${lane_name[$l]:-}
		if [ -n "$n" ] && ! is_running "${builder[$n]}"; then
			wait "${builder[$n]}" || true
			[ -f "$out/$n.built" ] || echo "failed 0 does not build (the build job died)" >"$out/$n.built"
			lane_name[l]=
		fi
	done
	# Built mutants boot in order (a failed one has nothing to boot).
	while [ $booted -lt $next ]; do
		n=${names[$booted]}
		[ -f "$out/$n.built" ] || break
		if [ "$(cut -d' ' -f1 "$out/$n.built")" = ok ]; then
			[ -f "$out/mutant-baseline-${group_of[$n]}.secs" ] || break
			running_guests
			[ "$nguests" -lt "$GUESTS" ] || break
			boot_mutant "$n" "${group_of[$n]}"
		fi
		booted=$((booted + 1))
	done
	# Free lanes build the next mutants.
	for ((l = 0; l < LANES && next < ${#names[@]}; l++)); do
		[ -z "${lane_name[$l]:-}" ] || continue
		n=${names[$next]}
		build_mutant "$l" "$n" "${patch_of[$n]}" </dev/null &
		builder[$n]=$! lane_name[l]=$n next=$((next + 1))
	done
	sleep 1
done

# MUTANTS_CALLBACK=FILE (make check): also build the callback kernel
# (bench/NNNN-*.patch on the same tree, see scripts/build-callback.sh)
# here, incrementally, in lane 0, and copy its vmlinux to FILE; a failure
# leaves FILE absent and its log in build/mutants/callback.log.
for ((l = 0; l < LANES; l++)); do
	n=${lane_name[$l]:-}
	[ -z "$n" ] || wait "${builder[$n]}" || true
done
if [ -n "${MUTANTS_CALLBACK:-}" ]; then
	rm -f "$MUTANTS_CALLBACK"
	reset_src 0
	ok=1
	for p in "$TOP"/bench/[0-9][0-9][0-9][0-9]-*.patch; do
		apply_src 0 "$p" 2>>"$out/callback.log" ||
			{ echo "$(basename "$p") does not apply" >>"$out/callback.log"; ok=; break; }
	done
	if [ -n "$ok" ] && build 0 callback; then
		cp "$SRC/.obj-test/vmlinux" "$MUTANTS_CALLBACK"
		log "callback kernel (bench/): built in ${secs}s"
	else
		warn "callback kernel (bench/): not built (log: ${out#"$TOP"/}/callback.log)"
	fi
fi
for ((l = 0; l < LANES; l++)); do reset_src $l; done
wait
boots=0
for g in $(printf '%s\n' "${!cpu_of[@]}" | sort -n); do
	boots=$((boots + $(cat "$out/mutant-baseline-$g.secs")))
	echo "    baseline $g:"
	sed 's/^/    /' "$BUILD/results/mutant-baseline-$g/summary.txt"
done
echo "$bsecs $boots" >"$out/baseline.secs"

# The verdicts, in the plan's order, once every guest is done.
for n in "${names[@]}"; do
	read -r st b rest <"$out/$n.built"
	if [ "$st" = failed ]; then
		python3 "$TOP"/scripts/mutants.py failed "$out" "${patch_of[$n]}" "$rest" "$b"
	else
		python3 "$TOP"/scripts/mutants.py verdict "$out" "${patch_of[$n]}" "$BUILD/results/mutant-$n" \
			"$BUILD/results/mutant-baseline-${group_of[$n]}" "$b" "$(cat "$out/mutant-$n.secs")"
	fi
done
rm -f "$out"/*.bzImage "$out"/*.System.map

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
