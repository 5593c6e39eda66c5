#!/bin/bash
# Configure and build a kernel out of tree.
#   build-kernel.sh SRC OBJ CONFIG [make args and targets...] [-- make args...]
# CONFIG is a name from config/configs.  The .config is regenerated
# (tinyconfig + fragments + olddefconfig) only when the fragments, the
# compiler or the make args before "--" change; otherwise the build is
# incremental.  Make args after "--" (e.g. C=2 and CHECK=, which don't
# change what is compiled) are passed on but don't count.  It is also
# regenerated if the .config no longer has a requested value that it had
# when it was configured.  Default target: bzImage.  Never builds inside
# SRC.
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: build-kernel.sh SRC OBJ CONFIG [make args...]"
src=$(realpath "$1") obj=$2 cfg=$3; shift 3
args=() targets=() extra=() after=
for a in "$@"; do
	case $after$a in
	--) after=1 ;;
	1*) extra+=("$a") ;;
	*=*) args+=("$a") ;;
	*) targets+=("$a") ;;
	esac
done
[ ${#targets[@]} -gt 0 ] || targets=(bzImage)

[ -f "$src/Makefile" ] || die "$src is not a kernel tree"
[ ! -e "$src/.config" ] && [ ! -e "$src/include/config" ] ||
	die "$src has been built in place; O= builds need a pristine tree"

mapfile -t frags < <(config_fragments "$cfg" "$src")
key=$( { compiler_id "${args[@]}"; echo "${args[*]}"; cat "${frags[@]}"; } | sha1sum | cut -c1-40)
mkdir -p "$obj"
obj=$(realpath "$obj")
mk=(make -C "$src" O="$obj" -j"$JOBS" "${args[@]}")

# config_diff: the fragments' values that the .config does not have.
config_diff() {
	cat "${frags[@]}" | sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)/\1 \2/p' |
	while read -r sym val; do
		got=$(sed -n "s/^$sym=//p" "$obj/.config")
		[ "$got" = "$val" ] || echo "$sym: requested $val, got ${got:-unset}"
	done | sort -u
}

reconfigure=
if [ "$(cat "$obj/.wb-config-key" 2>/dev/null)" != "$key" ] || [ ! -f "$obj/.config" ]; then
	reconfigure=1
elif [ "$(config_diff)" != "$(cat "$obj/.wb-config-diff" 2>/dev/null)" ]; then
	# A build of an older commit in the same tree (e.g. in the middle of
	# a rebase) drops the options that commit's Kconfig lacks, such as
	# the series' KUnit test, and later builds keep them off.
	log "the .config of $obj lost requested values since it was configured:"
	{ diff <(cat "$obj/.wb-config-diff" 2>/dev/null) <(config_diff) || true; } | sed -n 's/^> /    /p' >&2
	reconfigure=1
fi
if [ -n "$reconfigure" ]; then
	log "configuring $cfg in $obj"
	rm -f "$obj/.wb-config-key"
	"${mk[@]}" -s tinyconfig >/dev/null
	# merge_config.sh warns about symbols the tree does not know (the
	# series' own options on the base tree): expected, not an error.
	"$src"/scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "${frags[@]}" \
		>"$obj/.wb-merge.log" 2>&1 || { cat "$obj/.wb-merge.log" >&2; die "merge_config.sh failed"; }
	"${mk[@]}" -s olddefconfig >/dev/null
	# Record which requested values did not make it into the .config.
	config_diff >"$obj/.wb-config-diff"
	echo "$key" >"$obj/.wb-config-key"
fi

log "building ${targets[*]} ($cfg${args[*]:+, ${args[*]}}${extra[*]:+, ${extra[*]}}) in $obj"
"${mk[@]}" "${extra[@]}" -s "${targets[@]}"
