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
trap 'rc=$?; [ $rc -eq 0 ] || printf "error: %s failed (exit %d) at line %d: %s\n" "$(basename "$0")" "$rc" "$LINENO" "$BASH_COMMAND" >&2' EXIT

mkdir -p "$BUILD" "$CACHE"

# Every kernel build uses the same toolchain flags.
KMAKE=(make -s -j"$JOBS")
