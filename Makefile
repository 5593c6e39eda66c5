# Each target calls the workbench's entry point, wb/__main__.py (`python3
# wb COMMAND`, which says what each command runs first).  See README.md.
#   make run     build the patched kernel and selftests, boot, run the demo
#   make check   the whole test suite; last line "N passed, N failed, N skipped"
SHELL := /bin/bash
WB := python3 -B wb
COMMANDS := deps base tree export build initramfs run unit check vmx vmx-race coverage mutants mttcg bench model sparse

.PHONY: all help selftests clean $(COMMANDS)
all: help
help:
	@sed -n "3,4p" Makefile; $(WB) --help | sed -n '/^commands:/,$$p'

$(COMMANDS):
	@$(WB) $@

selftests: build

clean:
	rm -rf build/obj build/results build/check build/selftests build/gates build/bisect-src build/mutant-obj build/mutant-src build/mutant-src-[0-9]*
