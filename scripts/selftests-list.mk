# Included after tools/testing/selftests/kvm/Makefile: prints the tests
# the selftests build would install, relative to $(OUTPUT).
wb-print-tests:
	@for t in $(TEST_GEN_PROGS) $(TEST_PROGS); do echo "$${t#$(OUTPUT)/}"; done
	@for t in $(TEST_GEN_PROGS_EXTENDED); do echo "extended $${t#$(OUTPUT)/}"; done
