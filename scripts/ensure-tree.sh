#!/bin/bash
# Make build/linux match patches/ (like `make tree`), but if it holds work
# in progress that was never exported, test that work as it is.
. "$(dirname "$0")/lib.sh"
TREE_WIP=keep exec "$TOP"/scripts/make-tree.sh
