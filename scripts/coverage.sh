#!/bin/bash
# `make coverage`: which of the series' lines ran.  Builds the coverage
# kernel (config "coverage": the test config plus gcov) from a copy of
# build/linux's working tree (build/coverage-src) in which arch/x86/kvm's
# objects, virt/kvm's included, are profiled (GCOV_PROFILE := y), boots it
# with the tests of make check's stages b (QEMU TCG: SVM with NPT, the first
# shape and phys-bits 48, where MMIO caching is on) and b'' (Bochs: VMX with
# EPT, with and without A/D bits), takes each guest's counters from its
# console (guest-init.sh prints them when the initramfs asks, WB_GCOV=1),
# merges them with lcov, and prints scripts/coverage.py's per-patch and
# per-file table (also in build/coverage/report.txt).
. "$(dirname "$0")/lib.sh"

SRC=$BUILD/coverage-src
# The guests' gcov paths are physical: the objects' real path.
OBJ=$(realpath -m "$BUILD/obj/coverage")
out=$BUILD/coverage
PB=$BUILD/selftests/patched/bin
[ -d "$LINUX/.git" ] || die "no build/linux; run 'make tree'"
[ -d "$PB" ] || die "no selftests in $PB; run 'make build'"
command -v lcov >/dev/null || die "no lcov (make deps)"
t0=$(date +%s)
rm -rf "$out" "$BUILD"/results/coverage-*
mkdir -p "$out"

rsync -a --delete --exclude=/.git --exclude='/.obj-*' "$LINUX"/ "$SRC"/
# sev.c doesn't build with gcov: its counters defeat __builtin_constant_p()
# in kvm_make_request()'s BUILD_BUG_ON().  It is SNP's, compile-only here.
printf '%s\n' 'GCOV_PROFILE := y' 'GCOV_PROFILE_svm/sev.o := n' >>"$SRC/arch/x86/kvm/Makefile"
log "coverage kernel: build/linux's working tree at $(git -C "$LINUX" rev-parse --short HEAD), arch/x86/kvm profiled"
s=$(date +%s)
"$TOP"/scripts/build-kernel.sh "$SRC" "$OBJ" coverage bzImage >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log"; die "the coverage kernel does not build (log: ${out#"$TOP"/}/build.log)"; }
log "built in $(fmt_secs $(( $(date +%s) - s )))"
kernel=$OBJ/arch/x86/boot/bzImage

# The tests: stage b's, but the benchmark and config/tcg-single's (the
# stress test, which multi-threaded TCG can crash: a crashed guest prints
# no counters); stage b'''s.
"$TOP"/scripts/test-lists.sh targeted | grep -v '^x86/private_fault_perf_test' >"$out/svm.list"
split_single "$out/svm.list"
wbconfig entries vmx-tests >"$out/vmx.list"
# Shadow paging of a PAE guest (its PDPTEs): the series' PAE test, npt=0.
echo x86/pae_shadow_roots_test >"$out/npt0.list"
export WB_GCOV=1
runs=(svm svm-phys48 svm-npt0 vmx vmx-eptad0)
declare -A opts=(
	[svm]="-l $out/svm.list"
	[svm-phys48]="-l $out/svm.list -c max,phys-bits=48"
	[svm-npt0]="-l $out/npt0.list -a kvm_amd.npt=0"
	[vmx]="-l $out/vmx.list -M bochs"
	[vmx-eptad0]="-l $out/vmx.list -M bochs -a kvm_intel.eptad=0"
)
boot() {	# RUN
	# shellcheck disable=SC2086
	"$TOP"/scripts/run-guest.sh -k "$kernel" -b "$PB" -n "coverage-$1" ${opts[$1]} >"$out/$1.out" 2>&1 || true
}
s=$(date +%s)
boot svm & boot vmx & wait
{ boot svm-phys48; boot svm-npt0; } & boot vmx-eptad0 & wait
log "guests: $(fmt_secs $(( $(date +%s) - s )))"

infos=()
for r in "${runs[@]}"; do
	d=$BUILD/results/coverage-$r
	echo "  $r: $(wbparser counts "$d")"
	python3 "$TOP"/scripts/coverage.py extract "$d" || die "coverage-$r: no counters"
	# The guest's paths are this machine's: its objects' directory.
	find "$OBJ" -name '*.gcda' -delete
	cp -r "$d/gcov$OBJ"/. "$OBJ"/
	lcov -q -c -d "$OBJ/arch/x86/kvm" -d "$OBJ/virt/kvm" -b "$SRC" -o "$out/$r.info" \
		>"$out/lcov-$r.log" 2>&1 || { cat "$out/lcov-$r.log"; die "lcov failed on coverage-$r"; }
	infos+=(-a "$out/$r.info")
done
find "$OBJ" -name '*.gcda' -delete
lcov -q "${infos[@]}" -o "$out/all.info" >"$out/lcov-merge.log" 2>&1 ||
	{ cat "$out/lcov-merge.log"; die "lcov could not merge the runs"; }
python3 "$TOP"/scripts/coverage.py report "$LINUX" "$out/all.info" | tee "$out/report.txt"
log "make coverage: $(fmt_secs $(( $(date +%s) - t0 )))"
