#!/bin/bash
# Create build/linux: one commit of the pristine base, then `git am` of
# patches/ in file-name order.  Refuses to throw away work that was never
# exported with `make export`.
. "$(dirname "$0")/lib.sh"

base=$("$TOP"/scripts/fetch-base.sh)
mapfile -t series < <(ls "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-cover-letter.patch$' || true)

# TREE_WIP=keep (used by `make run` and `make check`): if build/linux holds
# work that was never exported, use it as it is, with a warning, instead of
# refusing.
wip() {
	if [ "${TREE_WIP:-}" = keep ]; then
		warn "$1; testing build/linux as it is"
		exit 0
	fi
	die "$1"
}

# patch-ids of the series as exported, and of what build/linux holds.
ids_of_files() {
	local f
	for f in "$@"; do git patch-id --stable <"$f" | cut -d' ' -f1; done
}

if [ -d "$LINUX/.git" ]; then
	cd "$LINUX"
	git rev-parse -q --verify refs/tags/base >/dev/null ||
		die "build/linux has no 'base' tag; move it away and re-run"
	if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
		git status --short --untracked-files=no | head -20 >&2
		wip "build/linux has uncommitted changes: commit them and run 'make export', or discard them"
	fi
	have=$(git log --reverse --format=%H base..HEAD | while read -r c; do
		git show "$c" | git patch-id --stable | cut -d' ' -f1; done)
	want=$(ids_of_files "${series[@]}")
	if [ "$have" = "$want" ]; then
		log "build/linux already matches patches/ (${#series[@]} patches)"
		exit 0
	fi
	# Every commit in build/linux must be in patches/, or it would be lost.
	for id in $have; do
		grep -qx "$id" <<<"$want" ||
			wip "build/linux has commits that are not in patches/ (run 'make export' first, or reset build/linux): $(git log --oneline base..HEAD | head -5 | tr '\n' ';')"
	done
	log "patches/ changed: rebuilding build/linux"
	git reset -q --hard base
else
	log "creating build/linux from $base"
	rm -rf "$LINUX"
	mkdir -p "$LINUX"
	rsync -a --exclude=.complete "$base"/ "$LINUX"/
	cd "$LINUX"
	git init -q -b master
	git config user.name "${GIT_AUTHOR_NAME:-kvm-workbench}"
	git config user.email "${GIT_AUTHOR_EMAIL:-kvm-workbench@localhost}"
	git config core.abbrev 12
	# Debian appends "ignore everything at the top level" to .gitignore;
	# drop it so that the base matches upstream and new files show up.
	sed -i '/^# Debian packaging: ignore everything/,$d' .gitignore
	sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' .gitignore
	sed -i '${/^#$/d}' .gitignore
	git add -A
	GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
		git commit -q -m "Linux $BASE_VERSION (Debian linux-source-7.3 $BASE_DEB_VERSION)"
	git tag base
fi

for p in "${series[@]}"; do
	git am -q --keep-cr "$p" || { git am --abort || true; die "git am failed on $(basename "$p")"; }
done
log "build/linux: base + ${#series[@]} patches"
