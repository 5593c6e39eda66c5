#!/bin/bash
# Write patches/ back from build/linux (base..HEAD), keeping the cover
# letter's subject and text, with stable numbering and no volatile headers.
. "$(dirname "$0")/lib.sh"

cd "$LINUX" 2>/dev/null || die "no build/linux; run 'make tree' first"
git rev-parse -q --verify refs/tags/base >/dev/null || die "build/linux has no 'base' tag"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "build/linux has uncommitted changes; commit them first"
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "build/linux has no commits on top of base"

cover=$TOP/patches/0000-cover-letter.patch
subject='*** SUBJECT HERE ***'
blurb='*** BLURB HERE ***'
if [ -f "$cover" ]; then
	# Subject: the text after "[PATCH 0/N] ", possibly folded.
	subject=$(awk '/^Subject:/ { s=$0; f=1; next } f && /^[ \t]/ { s=s $0; next } { f=0 } END { print s }' "$cover" |
		sed -E 's/^Subject: *(\[[^]]*\] *)?//')
	# Blurb: the body up to the generated shortlog ("Name (N):").
	blurb=$(awk 'b && /^[^ ].* \([0-9]+\):$/ { exit } b { print } /^$/ && !b { b=1 }' "$cover")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -c diff.noprefix=false format-patch -q --cover-letter --numbered --zero-commit --subject-prefix="PATCH v2" \
	--no-signature --base=base -o "$tmp" base..HEAD
date=$(git log -1 --format='%aD' HEAD)
python3 - "$tmp"/0000-cover-letter.patch "$subject" "$blurb" "$date" <<'PY'
import sys, re
path, subject, blurb, date = sys.argv[1:]
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', subject, 1)
text = text.replace('*** BLURB HERE ***', blurb.rstrip('\n'), 1)
text = re.sub(r'^Date: .*$', 'Date: ' + date, text, count=1, flags=re.M)
open(path, 'w').write(text)
PY
rm -f "$TOP"/patches/*.patch
cp "$tmp"/*.patch "$TOP"/patches/
log "exported $n patches and the cover letter to patches/"
