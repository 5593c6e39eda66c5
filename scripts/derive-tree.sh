#!/bin/bash
# A kernel tree of another revision, built incrementally from make build's
# objects: copy build/linux's working tree and build/linux/.obj-test with
# their mtimes to DEST, then give the files that differ between the working
# tree and REV their REV contents (files REV lacks are removed).  kbuild
# names the sources of an object directory inside the tree "..", so
# DEST/.obj-test then rebuilds only what those files change, as an
# incremental build after `git checkout REV` would.
#   derive-tree.sh REV DEST      (REV: a revision of build/linux, e.g. base)
# Prints DEST/.obj-test.  The caller builds it (build-kernel.sh DEST
# DEST/.obj-test CONFIG ...); the config is regenerated there, from REV's
# Kconfig, as for any tree.
. "$(dirname "$0")/lib.sh"

rev=${1:?usage: derive-tree.sh REV DEST} dest=${2:?usage: derive-tree.sh REV DEST}
pobj=$(patched_obj test)
[ -f "$pobj/vmlinux" ] || die "no $pobj/vmlinux: make build first"
git -C "$LINUX" rev-parse -q --verify "$rev^{commit}" >/dev/null || die "build/linux has no revision $rev"
mkdir -p "$dest"
rsync -a --delete --exclude=/.git --exclude='/.obj-*' "$LINUX"/ "$dest"/
rsync -a --delete "$pobj"/ "$dest"/.obj-test/
n=0
while IFS= read -r f; do
	rm -f "$dest/$f"
	if git -C "$LINUX" cat-file -e "$rev:$f" 2>/dev/null; then
		mkdir -p "$(dirname "$dest/$f")"
		git -C "$LINUX" show "$rev:$f" >"$dest/$f"
		[ "$(git -C "$LINUX" ls-tree "$rev" -- "$f" | cut -c1-6)" != 100755 ] || chmod +x "$dest/$f"
	fi
	n=$((n + 1))
done < <({ git -C "$LINUX" diff --name-only --no-renames "$rev" --
	   git -C "$LINUX" ls-files --others --exclude-standard; } | LC_ALL=C sort -u)
rm -f "$dest/.obj-test/.wb-config-key"		# regenerate the config from REV's Kconfig
log "${dest#"$TOP"/}: build/linux's tree and objects with $n files at $rev"
echo "$dest/.obj-test"
