#!/bin/bash
# checkpatch.pl --strict on every patch of the series and on the cover letter
# (whose body git am would read as a commit message too): no error, warning
# or check, except the types listed for a patch in
# config/checkpatch-exceptions.
. "$(dirname "$0")/lib.sh"

src=$(base_src 2>/dev/null)
mapfile -t series < <(series_patches)
[ ${#series[@]} -gt 0 ] || { log "checkpatch: no patches"; exit 0; }
rc=0
cover=$TOP/patches/0000-cover-letter.patch
[ ! -f "$cover" ] || series=("$cover" "${series[@]}")
for p in "${series[@]}"; do
	f=$(basename "$p")
	ignore=()
	while read -r glob type _; do
		# shellcheck disable=SC2254
		case $f in $glob) ignore+=("$type") ;; esac
	done < <(wbconfig entries checkpatch-exceptions)
	args=(--strict --show-types --no-summary --quiet)
	[ ${#ignore[@]} -eq 0 ] || args+=(--ignore "$(IFS=,; echo "${ignore[*]}")")
	# Debian's python3 first: checkpatch.pl runs scripts/spdxcheck.py with
	# "env python3", which needs python3-ply and python3-git.
	in=$p
	if [ "$p" = "$cover" ]; then
		# Only the headers and the blurb: the shortlog and diffstat that
		# git format-patch appends aren't prose (long "create mode" lines).
		in=$BUILD/gates/cover-blurb.patch
		mkdir -p "$(dirname "$in")"
		awk '/^[^ ].* \([0-9]+\):$/ { exit } { print }' "$p" >"$in"
		args+=(--ignore NOT_UNIFIED_DIFF)
	fi
	if out=$(cd "$src" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl "${args[@]}" "$in" 2>&1) && [ -z "$out" ]; then
		result checkpatch "$f" pass
	else
		echo "$out" | sed 's/^/    /' >&2
		result checkpatch "$f" fail "checkpatch.pl --strict"
		rc=1
	fi
done
exit $rc
