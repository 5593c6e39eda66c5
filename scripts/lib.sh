# shellcheck shell=bash
# Common definitions for the workbench scripts.  Sourced, never run.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
CACHE=${KVMPRIV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-private-desc}
BASE_DEB_VERSION=7.3.4-1~bpo13+1
BASE_VERSION=7.3.4
JOBS=${JOBS:-$(nproc)}
LINUX=$BUILD/linux

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Report which script failed and where, whatever the reason.
# ON_EXIT: a command a script wants run on its way out, too.
ON_EXIT=
trap 'rc=$?; $ON_EXIT; [ $rc -eq 0 ] || printf "error: %s failed (exit %d) at line %d: %s\n" "$(basename "$0")" "$rc" "$LINENO" "$BASH_COMMAND" >&2' EXIT

mkdir -p "$BUILD" "$CACHE"

# Every kernel build uses the same toolchain flags.
KMAKE=(make -s -j"$JOBS")

# --- Kernel configs and object directories --------------------------------
# config/configs maps a config name to its fragments (see that file).
config_fragments() {	# NAME SRCTREE -> one absolute path a line
	local name=$1 src=$2 line f
	line=$(awk -v n="$name" '$1 == n { $1 = ""; print; exit }' "$TOP/config/configs")
	[ -n "$line" ] || die "no config '$name' in config/configs"
	for f in $line; do
		case $f in
		src:*) echo "$src/${f#src:}" ;;
		*) echo "$TOP/$f" ;;
		esac
	done
}

# The compiler a make invocation will use ("LLVM=-19" among the args -> clang).
compiler_id() {
	local a cc=gcc
	for a in "$@"; do case $a in LLVM=-*) cc=clang${a#LLVM=} ;; LLVM=1) cc=clang ;; esac; done
	"$cc" --version | head -n1
}

# Key of everything a base build of config NAME depends on.
base_key() {	# NAME BASESRC [make args...]
	local name=$1 src=$2; shift 2
	{ basename "$src"; echo "$BASE_VERSION"; compiler_id "$@"; echo "$*"
	  config_fragments "$name" "$src" | xargs cat; } | sha1sum | cut -c1-12
}

base_src() { "$TOP/scripts/fetch-base.sh"; }
# The base test kernel's objects are in the .obj-test of a tree of their own
# (see prepare.sh); other base objects are the directory itself.
base_obj() {	# NAME [make args...]
	local src; src=$(base_src); local name=$1; shift
	local d="$CACHE/obj/base-$name-$(base_key "$name" "$src" "$@")"
	if [ "$name" = test ] && [ $# -eq 0 ]; then echo "$d/.obj-test"; else echo "$d"; fi
}
# The patched test kernel's objects are in build/linux/.obj-test: a direct
# subdirectory of its source tree, so that kbuild refers to the sources as
# ".." rather than by absolute path (the kernel's .gitignore ignores it).
# A copy of the tree with its .obj-test, mtimes kept, is then an
# incremental build of the copy (scripts/mutants.sh).
patched_obj() {
	if [ "$1" = test ] && [ -z "${2:-}" ]; then echo "$LINUX/.obj-test"
	else echo "$BUILD/obj/patched-$1${2:+-$2}"; fi
}

# Print a duration in seconds as 1m23s.
# split_single LIST: move the tests that config/tcg-single lists from LIST
# to LIST.single (empty if none).  Those run in a boot of their own under
# single-threaded TCG (run-guest.sh -M tcg-single).
split_single() {
	wbconfig only tcg-single <"$1" >"$1.single"
	wbconfig without tcg-single <"$1" >"$1.multi"
	mv "$1.multi" "$1"
}

# wbconfig entries|names|without|only|count FILE: config/'s lists, and test
# lists, read with one rule (wb/config.py).  The modules run as scripts of
# this tree's wb/ ("python3 -m" would look in the current directory first).
wbconfig() { python3 -B "$TOP"/wb/config.py "$@"; }
# wbparser CONSOLE OUTDIR [KNOWN]: a guest's console, parsed once into
# OUTDIR/run.json; wbparser done|counts|show|output RUNDIR: what run.json
# says (wb/parser.py).
wbparser() { python3 -B "$TOP"/wb/parser.py "$@"; }
# wbmachine names|get|qemu-argv|bochsrc|key|json NAME ...: the guests'
# machines (wb/machines.py).
wbmachine() { python3 -B "$TOP"/wb/machines.py "$@"; }

# run_queue JOBS FUNC ARG...: FUNC ARG for each ARG, in the background,
# JOBS at once.  A -smp 2 TCG guest keeps about one host core busy, so
# two guests at once roughly halve the wall time on two cores.
run_queue() {
	local n=$1 f=$2 a; shift 2
	for a in "$@"; do
		# (A guest that ended just before "wait -n" isn't waited for.)
		while [ "$(jobs -rp | wc -l)" -ge "$n" ]; do wait -n || sleep 1; done
		"$f" "$a" &
	done
	wait || true
}

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# --- Results of `make check` -----------------------------------------------
# One line per test: STAGE NAME RESULT(pass|fail|skip) NOTE
RESULTS=${RESULTS:-$BUILD/check/results.tsv}
result() {
	mkdir -p "$(dirname "$RESULTS")"
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$RESULTS"
	case $3 in fail) printf 'FAIL: %s: %s%s\n' "$1" "$2" "${4:+ ($4)}" >&2 ;; esac
}

# finish RC TITLE DURATIONS T0: the end of a run that records $RESULTS
# (make check, make vmx-race): stage durations, failures and the summary
# line (wb/printer.py), the last line whatever happened; exits with RC, or
# 1 if a result failed.
finish() {
	local rc=$1
	if ! python3 -B "$TOP"/wb/printer.py summary "$RESULTS" "$3" $(( $(date +%s) - $4 )) "$2"; then
		echo "error: wb/printer.py failed; the results are in ${RESULTS#"$TOP"/}"
		echo "0 passed, 1 failed, 0 skipped"
		rc=1
	fi
	[ "$rc" -ne 0 ] || ! grep -q "	fail	" "$RESULTS" || rc=1
	exit "$rc"
}

# The series: patches/NNNN-*.patch in file-name order, without the cover letter.
series_patches() {
	ls "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null |
		grep -v '/0000-cover-letter.patch$' || true
}
