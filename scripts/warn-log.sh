#!/bin/bash
# Wrapper for the kernel's CC and CHECK (sparse) commands: runs TOOL ARGS
# unchanged and keeps a copy of its diagnostics next to the object it
# produces (.NAME.o.wb-cc for the compiler, .NAME.o.wb-check for sparse).
# That way an incremental build still knows every file's warnings, and
# the sparse/W=1 gate does not need to rebuild everything.
#   make CC="warn-log.sh gcc" CHECK="warn-log.sh sparse" C=1 W=1 ...
tool=$1; shift
obj= kind=cc compile=
prev=
for a in "$@"; do
	case $prev in -o) obj=$a ;; esac
	case $a in
	-c) compile=1 ;;
	-Wp,-MMD,*) d=${a#-Wp,-MMD,}; dep=$d ;;
	esac
	prev=$a
done
case $(basename "$tool") in sparse*) kind=check ;; esac
if [ $kind = check ] && [ -n "${dep:-}" ]; then
	b=$(basename "$dep" .d); obj=$(dirname "$dep")/${b#.}
elif [ -z "$compile" ]; then
	obj=
fi
case $obj in *.o) ;; *) exec "$tool" "$@" ;; esac
logf=$(dirname "$obj")/.$(basename "$obj").wb-$kind
tmp=$logf.tmp.$$
"$tool" "$@" 2>"$tmp"
rc=$?
cat "$tmp" >&2
mv -f "$tmp" "$logf"
exit $rc
