# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The wire codec's libFuzzer target fuzz/wire_fuzz, built from the codec's
# sources (lib/codec/wire.c) with its own instrumentation; included by
# userspace/Makefile ("make fuzz"). Every name here starts with FUZZ_ or
# fuzz-. FUZZ_TIME (default 30) is the run's length in seconds.

FUZZ_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
FUZZ_CLANG ?= $(firstword $(shell command -v clang-14 clang 2>/dev/null))
FUZZ_TIME ?= $(or $(WIRE_FUZZ_TIME),30)
FUZZ_FLAGS := -I$(FUZZ_DIR)/lib/codec -I$(FUZZ_DIR)/../include/uapi \
	-std=c11 -pedantic -Wall -Wextra -Werror
FUZZ_SRC := $(FUZZ_DIR)/lib/codec/wire.c
FUZZ_HDR := $(FUZZ_DIR)/lib/codec/wire.h $(FUZZ_DIR)/../include/uapi/linux/cpns.h
FUZZ := $(FUZZ_DIR)/fuzz/wire_fuzz
FUZZ_CORPUS := $(FUZZ_DIR)/fuzz/corpus
# The unit test writes one valid frame per message type into the corpus.
FUZZ_SEEDER := $(FUZZ_DIR)/tests/test_wire

.PHONY: fuzz fuzz-clean

$(FUZZ): $(FUZZ_DIR)/fuzz/wire_fuzz.c $(FUZZ_SRC) $(FUZZ_HDR)
	@test -n "$(FUZZ_CLANG)" || \
		{ echo "fuzz.mk: clang-14 not found (tools/install-deps)"; exit 1; }
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -O1 -g \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $< $(FUZZ_SRC)

# A fresh working corpus each run: the committed seeds, the unit test's
# frames and whatever the run adds. A crash or a property failure leaves
# its input in the working directory, which is kept and named on failure.
fuzz: $(FUZZ) $(FUZZ_SEEDER)
	@work=$$(mktemp -d /tmp/cpns-wire-fuzz.XXXXXX) && \
	mkdir $$work/corpus && \
	cp $(FUZZ_CORPUS)/* $$work/corpus/ && \
	$(FUZZ_SEEDER) --corpus $$work/corpus && \
	echo "wire-fuzz: $(FUZZ) for $(FUZZ_TIME) s" && \
	if $(FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=2048 \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix=$$work/ $$work/corpus \
		>$$work/log 2>&1; then \
		grep -E '^stat::(number_of_executed_units|new_units_added)' \
			$$work/log; \
		rm -rf $$work; \
	else \
		tail -n 40 $$work/log; \
		echo "wire-fuzz: FAILED; inputs and log kept in $$work"; \
		exit 1; \
	fi

fuzz-clean:
	rm -f $(FUZZ)
