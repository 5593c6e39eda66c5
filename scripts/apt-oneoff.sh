# shellcheck shell=bash
# Sourced.  A one-off apt configuration that reuses the machine's own
# Debian mirror URI for another suite, without touching /etc/apt.
#   apt_oneoff DIR "deb" SUITE     -> sets APT_OPTS
apt_mirror_uri() {
	local uri=
	# deb822 sources first, then one-line sources.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '
			/^$/ { if (deb && uri && !sec) { print uri; exit } deb=0; uri=""; sec=0 }
			/^Types:/ && / deb( |$)/ { deb=1 }
			/^URIs:/ { uri=$2 }
			/^Suites:/ && /-security/ { sec=1 }
			END { if (deb && uri && !sec) print uri }' "$f" | head -n1)
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" && $0 !~ /-security/ {
				for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }')
	fi
	[ -n "$uri" ] || die "no Debian mirror URI found in the machine's apt configuration"
	printf '%s\n' "${uri%/}"
}

# apt_oneoff DIR TYPE SUITE
apt_oneoff() {
	local dir=$1 type=$2 suite=$3 uri
	uri=$(apt_mirror_uri)
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	cat >"$dir/sources.list" <<EOT
$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main
EOT
	APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list"
		  -o "Dir::Etc::SourceParts=-"
		  -o "Dir::State::Lists=$dir/lists"
		  -o "Dir::Cache=$dir/cache"
		  -o "APT::Get::List-Cleanup=0"
		  -o "APT::Sandbox::User=root")
	apt-get "${APT_OPTS[@]}" -qq update ||
		die "apt-get update of the one-off $suite configuration failed"
}
