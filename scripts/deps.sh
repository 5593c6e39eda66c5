#!/bin/bash
# Make sure the host has every tool the workbench needs.  As root, install
# what is missing from the machine's own apt sources; otherwise list it.
. "$(dirname "$0")/lib.sh"

PKGS=(build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils lz4
      git rsync kmod python3 qemu-system-x86 busybox-static
      clang-19 lld-19 llvm-19 python3-sphinx spin gnuplot-nox
      binutils debian-archive-keyring ca-certificates dwarves
      python3-ply python3-git file procps
      bochs bochs-term bochsbios vgabios isolinux syslinux-common genisoimage lcov)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	die "missing packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})"
fi

log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed"
