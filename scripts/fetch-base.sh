#!/bin/bash
# Provide a pristine Linux 7.3.4 source tree at $CACHE/src/linux-$BASE_VERSION.
#  - KSRC=/path/to/tree or KSRC=/path/to/linux.tar.xz replaces the download.
#  - Otherwise Debian's linux-source-7.3 ($BASE_DEB_VERSION) is downloaded
#    once through a one-off apt configuration and cached.
# Prints the tree's path on stdout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apt-oneoff.sh"

check_version() {
	local mk=$1/Makefile v p s
	[ -r "$mk" ] || die "$1 is not a kernel tree (no Makefile)"
	v=$(sed -n 's/^VERSION = //p' "$mk")
	p=$(sed -n 's/^PATCHLEVEL = //p' "$mk")
	s=$(sed -n 's/^SUBLEVEL = //p' "$mk")
	[ "$v.$p" = 7.3 ] || die "$1 is Linux $v.$p.$s, not v7.3.y"
	if [ -z "${KSRC:-}" ] && [ "$v.$p.$s" != "$BASE_VERSION" ]; then
		die "$1 is Linux $v.$p.$s, expected $BASE_VERSION"
	fi
	echo "$v.$p.$s"
}

if [ -n "${KSRC:-}" ]; then
	key=$(printf '%s' "$(realpath "$KSRC")" | sha1sum | cut -c1-12)
	dst=$CACHE/src/ksrc-$key
	if [ ! -f "$dst/.complete" ]; then
		rm -rf "$dst"; mkdir -p "$dst"
		if [ -d "$KSRC" ]; then
			log "copying $KSRC"
			(cd "$KSRC" && git ls-files -z 2>/dev/null | grep -qz . &&
				git archive HEAD | tar -x -C "$dst") ||
				rsync -a --exclude=.git "$KSRC"/ "$dst"/
		elif [ -f "$KSRC" ]; then
			log "extracting $KSRC"
			tar -xf "$KSRC" -C "$dst" --strip-components=1
		else
			die "KSRC=$KSRC is neither a directory nor a tarball"
		fi
		check_version "$dst" >/dev/null
		touch "$dst/.complete"
	fi
	log "base: $(check_version "$dst") from $KSRC"
	echo "$dst"
	exit 0
fi

dst=$CACHE/src/linux-$BASE_VERSION
if [ ! -f "$dst/.complete" ]; then
	deb=$CACHE/deb/linux-source-7.3_${BASE_DEB_VERSION}_all.deb
	if [ ! -s "$deb" ]; then
		log "downloading linux-source-7.3 $BASE_DEB_VERSION (trixie-backports)"
		apt_oneoff "$CACHE/apt-trixie" deb trixie-backports
		mkdir -p "$CACHE/deb"
		(cd "$CACHE/deb" &&
			apt-get "${APT_OPTS[@]}" -qq download "linux-source-7.3=$BASE_DEB_VERSION") ||
			die "apt-get download linux-source-7.3=$BASE_DEB_VERSION failed"
		[ -s "$deb" ] || deb=$(ls "$CACHE"/deb/linux-source-7.3_*_all.deb | head -n1)
	fi
	log "extracting $(basename "$deb")"
	tmp=$CACHE/src/tmp.$$
	rm -rf "$tmp" "$dst"; mkdir -p "$tmp"
	dpkg-deb -x "$deb" "$tmp"
	tar -xf "$tmp"/usr/src/linux-source-7.3.tar.xz -C "$tmp"
	mv "$tmp"/linux-source-7.3 "$dst"
	rm -rf "$tmp"
	check_version "$dst" >/dev/null
	touch "$dst/.complete"
fi
log "base: Linux $(check_version "$dst") ($dst)"
echo "$dst"
