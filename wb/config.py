#!/usr/bin/env python3
"""config/'s lists: one reader and one matching rule for all of them.

Every file of config/ but bochsrc and the kconfig fragments, and every test
list the workbench writes, is a list of entries, one a line:
- from "#" to the end of the line is a comment (in a table, whose fields
  may hold a "#", only a line that starts with "#" is);
- blank lines are ignored, and runs of whitespace are one space (not in
  a table, whose fields may hold them);
- an entry is "NAME REST": NAME, its first word, is a test (relative to
  tools/testing/selftests/kvm) or a key, and REST is the test's arguments,
  or the reason, value or columns that the file gives NAME.

The matching rule: a test invocation "TEST [ARGS...]" is listed in a file
if its TEST is one of the file's NAMEs, whatever the arguments.

    python3 wb/config.py entries FILE       the entries
    python3 wb/config.py names FILE         their NAMEs
    python3 wb/config.py without FILE       stdin's entries whose NAME isn't
                                            one of FILE's
    python3 wb/config.py only FILE          stdin's entries whose NAME is
    python3 wb/config.py count FILE         the number of entries

FILE is a path (with a "/"), or the name of a file of config/.
"""
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(TOP, "config")


class Error(Exception):
    pass


def path_of(name, config=CONFIG):
    """NAME as a path: itself if it has a "/", else config/NAME."""
    return name if os.sep in name else os.path.join(config, name)


def parse(text, table=False):
    """The entries of TEXT (see the head of this file)."""
    out = []
    for line in text.splitlines():
        if table:	# fields may hold "#" and runs of spaces (regexes)
            line = "" if line.lstrip().startswith("#") else line.strip()
        else:
            line = " ".join(line.split("#", 1)[0].split())
        if line:
            out.append(line)
    return out


def entries(name, config=CONFIG, table=False):
    """The entries of config/NAME (or of the file NAME)."""
    path = path_of(name, config)
    try:
        with open(path) as f:
            return parse(f.read(), table)
    except OSError as e:
        raise Error(f"{path}: {e.strerror}")


def name_of(entry):
    """An entry's NAME, e.g. a test invocation's test."""
    return entry.split(" ", 1)[0]


def names(name, config=CONFIG):
    """The NAMEs of config/NAME's entries, in order, once each."""
    return list(dict.fromkeys(name_of(e) for e in entries(name, config)))


def reasons(name, config=CONFIG):
    """config/NAME's entries as {NAME: REST} (the last one of a NAME)."""
    return {name_of(e): e.partition(" ")[2] for e in entries(name, config)}


def listed(entry, names_):
    """The matching rule: ENTRY's NAME is one of NAMES_."""
    return name_of(entry) in names_


def main(argv):
    if len(argv) != 3 or argv[1] not in ("entries", "names", "without", "only", "count"):
        print(__doc__.split("\n\n")[-2], file=sys.stderr)
        return 2
    cmd, name = argv[1], argv[2]
    try:
        if cmd == "entries":
            out = entries(name)
        elif cmd == "names":
            out = names(name)
        elif cmd == "count":
            out = [str(len(entries(name)))]
        else:
            keep = set(names(name))
            out = [e for e in parse(sys.stdin.read()) if listed(e, keep) == (cmd == "only")]
    except Error as e:
        print(f"wb.config: error: {e}", file=sys.stderr)
        return 1
    for line in out:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
