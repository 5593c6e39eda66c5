#!/bin/bash
# checkpatch.pl --strict on every patch of the series: no error, warning or
# check, except the types listed for a patch in config/checkpatch-exceptions.
. "$(dirname "$0")/lib.sh"

src=$(base_src 2>/dev/null)
mapfile -t series < <(series_patches)
[ ${#series[@]} -gt 0 ] || { log "checkpatch: no patches"; exit 0; }
rc=0
for p in "${series[@]}"; do
	f=$(basename "$p")
	ignore=()
	while read -r glob type _; do
		# shellcheck disable=SC2254
		case $f in $glob) ignore+=("$type") ;; esac
	done < <(sed -e 's/#.*//' "$TOP/config/checkpatch-exceptions" | grep '[^[:space:]]' || true)
	args=(--strict --show-types --no-summary --quiet)
	[ ${#ignore[@]} -eq 0 ] || args+=(--ignore "$(IFS=,; echo "${ignore[*]}")")
	# Debian's python3 first: checkpatch.pl runs scripts/spdxcheck.py with
	# "env python3", which needs python3-ply and python3-git.
	if out=$(cd "$src" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl "${args[@]}" "$p" 2>&1) && [ -z "$out" ]; then
		result checkpatch "$f" pass
	else
		echo "$out" | sed 's/^/    /' >&2
		result checkpatch "$f" fail "checkpatch.pl --strict"
		rc=1
	fi
done
exit $rc
