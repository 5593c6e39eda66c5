#!/bin/bash
# Static check of the fault classification path (make check's
# classification stage):
#   check-classification.sh [-v] VMLINUX
# PASS or FAIL with the offending instructions; exit status 0 on PASS, 1 on
# FAIL, 2 if the check itself could not run.  What it checks, and why: the
# head of wb/classify.py; its unit tests: wb/test/classify_test.py.
set -euo pipefail
exec python3 -B "$(dirname "${BASH_SOURCE[0]}")"/../wb/classify.py "$@"
