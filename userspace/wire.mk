# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The wire protocol (Documentation/protocol.rst): lib/wire.o, the host unit
# test tests/test_wire (TAP) and the libFuzzer target fuzz/wire_fuzz.
#
# Included by userspace/Makefile, which then adds $(WIRE_OBJ) to the
# prerequisites of libcpns.a (not lib/wire.c to its sources: the rule for
# wire.o is here) and wire-check / wire-fuzz to its checks. Every name this
# file defines starts with WIRE_ or wire-.
#
# Standalone, from userspace/:  make -f wire.mk [all|check|fuzz|clean]
#   check: unit test, then the fuzzer for WIRE_FUZZ_TIME seconds
#   fuzz:  the fuzzer only

WIRE_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
WIRE_SAVED_GOAL := $(.DEFAULT_GOAL)

WIRE_CC ?= $(CC)
WIRE_CLANG ?= $(firstword $(shell command -v clang-14 clang 2>/dev/null))
WIRE_FUZZ_TIME ?= 30
WIRE_CFLAGS ?= -O2 -g
WIRE_WARN := -std=c11 -pedantic -Wall -Wextra -Werror
WIRE_CPPFLAGS := -I$(WIRE_DIR)/lib -I$(WIRE_DIR)/../include/uapi

WIRE_SRC := $(WIRE_DIR)/lib/wire.c
WIRE_HDR := $(WIRE_DIR)/lib/wire.h $(WIRE_DIR)/../include/uapi/linux/cpns.h
WIRE_OBJ := $(WIRE_DIR)/lib/wire.o
WIRE_TEST := $(WIRE_DIR)/tests/test_wire
WIRE_FUZZ := $(WIRE_DIR)/fuzz/wire_fuzz
WIRE_CORPUS := $(WIRE_DIR)/fuzz/corpus

.PHONY: wire-all wire-check wire-fuzz wire-clean

wire-all: $(WIRE_OBJ) $(WIRE_TEST)

$(WIRE_OBJ): $(WIRE_SRC) $(WIRE_HDR)
	$(WIRE_CC) $(WIRE_CPPFLAGS) $(WIRE_WARN) $(WIRE_CFLAGS) -c -o $@ $<

$(WIRE_TEST): $(WIRE_DIR)/tests/test_wire.c $(WIRE_OBJ) $(WIRE_HDR)
	$(WIRE_CC) $(WIRE_CPPFLAGS) $(WIRE_WARN) $(WIRE_CFLAGS) -o $@ $< \
		$(WIRE_OBJ)

wire-check: $(WIRE_TEST)
	$(WIRE_TEST)

# The fuzzer is built from the sources with its own instrumentation, not
# from wire.o.
$(WIRE_FUZZ): $(WIRE_DIR)/fuzz/wire_fuzz.c $(WIRE_SRC) $(WIRE_HDR)
	@test -n "$(WIRE_CLANG)" || \
		{ echo "wire.mk: clang-14 not found (tools/install-deps)"; exit 1; }
	$(WIRE_CLANG) $(WIRE_CPPFLAGS) $(WIRE_WARN) -O1 -g \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $< $(WIRE_SRC)

# A fresh working corpus each run: the committed seeds, one valid frame per
# message type from the unit test, and whatever the run adds. A crash or a
# property failure leaves its input in the working directory, which is kept
# and named on failure.
wire-fuzz: $(WIRE_FUZZ) $(WIRE_TEST)
	@work=$$(mktemp -d /tmp/cpns-wire-fuzz.XXXXXX) && \
	mkdir $$work/corpus && \
	cp $(WIRE_CORPUS)/* $$work/corpus/ && \
	$(WIRE_TEST) --corpus $$work/corpus && \
	echo "wire-fuzz: $(WIRE_FUZZ) for $(WIRE_FUZZ_TIME) s" && \
	if $(WIRE_FUZZ) -max_total_time=$(WIRE_FUZZ_TIME) -max_len=2048 \
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

wire-clean:
	rm -f $(WIRE_OBJ) $(WIRE_TEST) $(WIRE_FUZZ)

# Standalone use (make -f wire.mk): plain target names. Included: leave
# the includer's default goal alone.
ifeq ($(words $(MAKEFILE_LIST)),1)
.PHONY: all check fuzz clean
all: wire-all
check: wire-check wire-fuzz
fuzz: wire-fuzz
clean: wire-clean
else
.DEFAULT_GOAL := $(WIRE_SAVED_GOAL)
endif
