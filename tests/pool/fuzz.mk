# SPDX-License-Identifier: GPL-2.0
#
# What the libFuzzer targets' Makefiles share (tests/pool/Makefile,
# tlb/Makefile): the compiler, and the run as one KTAP result.
#
# $(call fuzz-run,NAME,FLAGS,SEED-DIRS): run $(OUT)/NAME for
# $(FUZZ_SECONDS) s on $(OUT)/fuzz-corpus (and SEED-DIRS, read only), with
# the extra libFuzzer FLAGS; its log is $(OUT)/fuzz.log; "ok 1 - NAME" with
# the executions and the corpus size, or "not ok 1 - NAME" with the lines
# of the log that say why.

FUZZCC   := $(shell command -v clang-14 >/dev/null 2>&1 && echo clang-14 || echo clang)

define fuzz-run
mkdir -p $(OUT)/fuzz-corpus; \
echo "KTAP version 1"; echo "1..1"; \
if $(OUT)/$(1) -max_total_time=$(FUZZ_SECONDS) -timeout=20 $(2) -print_final_stats=1 \
	-artifact_prefix=$(OUT)/ $(OUT)/fuzz-corpus $(3) > $(OUT)/fuzz.log 2>&1; then \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(OUT)/fuzz.log); \
	echo "# $(1): $$execs execs in $(FUZZ_SECONDS) s, corpus $$(ls $(OUT)/fuzz-corpus | wc -l) inputs"; \
	echo "ok 1 - $(1)"; \
else \
	grep -E 'ERROR|SUMMARY|ref mismatch|runtime error|^artifact|Test unit written' $(OUT)/fuzz.log | head -20 | sed 's/^/# /'; \
	echo "not ok 1 - $(1)"; exit 1; \
fi
endef
