# The workbench's single entry point.  See README.md.
#   make run     build the patched kernel and selftests, boot, run the demo
#   make check   the whole test suite; last line "N passed, N failed, N skipped"
SHELL := /bin/bash
S := scripts

.PHONY: all deps base tree export build selftests initramfs run check vmx coverage mutants mttcg bench model sparse clean help
all: help
help:
	@sed -n "2,3p" Makefile; echo "  other targets: deps base tree export build selftests initramfs vmx coverage mutants mttcg bench model clean"

deps:
	@$(S)/deps.sh

base: deps
	@$(S)/fetch-base.sh >/dev/null

tree: base
	@$(S)/make-tree.sh

export:
	@$(S)/export.sh

# Patched kernel (test config) and its selftests.
build: deps
	@$(S)/ensure-tree.sh
	@$(S)/prepare.sh patched >/dev/null

selftests: build

# Initramfs of the demo tests (build/initramfs-demo.cpio).
initramfs: build
	@$(S)/test-lists.sh demo >build/demo.list
	@$(S)/make-initramfs.sh build/initramfs-demo.cpio build/selftests/patched/bin build/demo.list
	@echo build/initramfs-demo.cpio

run: deps
	@$(S)/run.sh

check: deps
	@$(S)/check.sh

# make check's VMX stage alone (kvm_intel with EPT under Bochs), after its
# tree and build stages.
vmx: deps
	@CHECK_ONLY="tree build vmx" $(S)/check.sh

# Which of the series' lines ran (scripts/coverage.sh): gcov over the tests
# of make check's stages b and b'' (SVM under QEMU, VMX under Bochs).
coverage: build
	@$(S)/coverage.sh

# The mutants of mutants/, each built and booted with the tests that must
# kill it (scripts/mutants.sh); `make check` runs the same as a stage.
mutants: build
	@$(S)/mutants.sh

# The stress test under multi-threaded TCG, 7.3.4 against the series
# (scripts/mttcg.sh): MTTCG_RUNS=N runs each, MTTCG_ARGS the test's arguments.
mttcg: build
	@$(S)/mttcg.sh

sparse:
	@$(S)/build-sparse.sh

bench: deps
	@if [ -x $(S)/bench.sh ]; then $(S)/ensure-tree.sh && $(S)/bench.sh; else echo "bench: not yet (no scripts/bench.sh)"; fi

model:
	@if [ -x $(S)/model.sh ]; then $(S)/model.sh; else echo "model: not yet (no scripts/model.sh)"; fi

clean:
	rm -rf build/obj build/results build/check build/selftests build/gates build/bisect-src
