# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The wire codec's libFuzzer target fuzz/wire_fuzz, built from the codec's
# sources (lib/codec/wire.c) with its own instrumentation; included by
# userspace/Makefile ("make fuzz"). Every name here starts with FUZZ_ or
# fuzz-. FUZZ_TIME (default 30) is the run's length in seconds.
#
# The network fuzzers (AFL++, fuzz/net_fuzz.c): fuzz/net_fuzz is
# cpns-serverd's connection handling, fuzz/pn_fuzz GW1's PN link
# (cpns-gwd), each fed one peer's byte stream over a socket pair; the
# daemon's sources but main.c and every library's built with
# afl-clang-fast, ASan and UBSan. "make fuzz-net" runs afl-fuzz on each
# for FUZZ_NET_TIME seconds (default 20, the smoke run of "make fuzz"),
# from the corpus's stream seeds and fuzz/net-corpus/; it fails on any
# crash or hang, whose inputs it keeps.

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

.PHONY: fuzz fuzz-wire fuzz-net fuzz-net-serverd fuzz-net-gwd fuzz-clean

FUZZ_AFL_CC ?= $(firstword $(shell command -v afl-clang-fast 2>/dev/null))
FUZZ_AFL ?= $(firstword $(shell command -v afl-fuzz 2>/dev/null))
FUZZ_NET_TIME ?= 20
FUZZ_NET := $(FUZZ_DIR)/fuzz/net_fuzz
FUZZ_PN := $(FUZZ_DIR)/fuzz/pn_fuzz
FUZZ_NET_LIBS := daemon nl codec store
FUZZ_NET_LIBSRC := $(foreach l,$(FUZZ_NET_LIBS),$(wildcard $(CPNS_DIR_$(l))/*.c))
FUZZ_NET_HDR := $(foreach l,$(FUZZ_NET_LIBS),$(wildcard $(CPNS_DIR_$(l))/*.h))
# fuzz_daemon = the sources of DIR but main.c
fuzz_daemon = $(filter-out %/main.c,$(wildcard $(FUZZ_DIR)/$(1)/*.c))
FUZZ_AFL_BUILD = AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1 $(FUZZ_AFL_CC) \
	$(call cpns_cppflags,$(FUZZ_NET_LIBS)) -DCPNS_VERSION='"fuzz"' \
	-std=gnu11 -Wall -Wextra -Wno-sign-compare \
	-Wno-string-concatenation -Werror -O1 -g

$(FUZZ): $(FUZZ_DIR)/fuzz/wire_fuzz.c $(FUZZ_SRC) $(FUZZ_HDR)
	@test -n "$(FUZZ_CLANG)" || \
		{ echo "fuzz.mk: clang-14 not found (tools/install-deps)"; exit 1; }
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -O1 -g \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $< $(FUZZ_SRC)

fuzz: fuzz-wire fuzz-net

# A fresh working corpus each run: the committed seeds, the unit test's
# frames and whatever the run adds. A crash or a property failure leaves
# its input in the working directory, which is kept and named on failure.
fuzz-wire: $(FUZZ) $(FUZZ_SEEDER)
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

FUZZ_NET_LD = $(shell $(CPNS_PKG_CONFIG) --libs $(call cpns_pkgs,$(FUZZ_NET_LIBS)))
$(FUZZ_NET): $(FUZZ_DIR)/fuzz/net_fuzz.c $(call fuzz_daemon,serverd) \
		$(FUZZ_DIR)/serverd/serverd.h $(FUZZ_NET_LIBSRC) $(FUZZ_NET_HDR)
	@test -n "$(FUZZ_AFL_CC)" || \
		{ echo "fuzz.mk: afl-clang-fast not found (tools/install-deps)"; exit 1; }
	$(FUZZ_AFL_BUILD) -I$(FUZZ_DIR)/serverd -o $@ $(filter %.c,$^) \
		$(FUZZ_NET_LD)

# GW1 believes it holds a seed: the harness answers gwd_find_seed().
$(FUZZ_PN): $(FUZZ_DIR)/fuzz/net_fuzz.c $(call fuzz_daemon,gwd) \
		$(FUZZ_DIR)/gwd/gwd.h $(FUZZ_NET_LIBSRC) $(FUZZ_NET_HDR)
	@test -n "$(FUZZ_AFL_CC)" || \
		{ echo "fuzz.mk: afl-clang-fast not found (tools/install-deps)"; exit 1; }
	$(FUZZ_AFL_BUILD) -DFUZZ_GWD -I$(FUZZ_DIR)/gwd \
		-Wl,--wrap=gwd_find_seed -o $@ \
		$(filter-out $(CPNS_DIR_store)/%,$(filter %.c,$^)) $(FUZZ_NET_LD)

fuzz-net: fuzz-net-serverd fuzz-net-gwd
fuzz-net-serverd: FUZZ_NET_BIN := $(FUZZ_NET)
fuzz-net-gwd: FUZZ_NET_BIN := $(FUZZ_PN)

# afl-fuzz on a shared machine: no CPU binding, no frequency check, no UI;
# the host's core_pattern may pipe to a handler (the crash is still seen).
fuzz-net-serverd fuzz-net-gwd: fuzz-net-%: $(FUZZ_NET) $(FUZZ_PN)
	@test -n "$(FUZZ_AFL)" || \
		{ echo "fuzz.mk: afl-fuzz not found (tools/install-deps)"; exit 1; }
	@work=$$(mktemp -d /tmp/cpns-net-fuzz.XXXXXX) && \
	mkdir $$work/in && \
	cp $(FUZZ_CORPUS)/stream-* $(FUZZ_DIR)/fuzz/net-corpus/* $$work/in/ && \
	echo "net-fuzz: $* ($(FUZZ_NET_BIN)) under afl-fuzz for $(FUZZ_NET_TIME) s" && \
	AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 \
	AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_CRASH_README=1 \
	$(FUZZ_AFL) -i $$work/in -o $$work/out -V $(FUZZ_NET_TIME) \
		-t 5000 -m none -- $(FUZZ_NET_BIN) >$$work/log 2>&1; \
	st=$$?; s=$$work/out/default/fuzzer_stats; \
	if [ $$st -ne 0 ] || [ ! -f $$s ]; then \
		tail -n 30 $$work/log; \
		echo "net-fuzz: FAILED: afl-fuzz exited $$st; kept in $$work"; \
		exit 1; \
	fi; \
	grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|edges_found|saved_crashes|saved_hangs) ' $$s; \
	if ! grep -Eq '^saved_crashes +: 0$$' $$s || \
	   ! grep -Eq '^saved_hangs +: 0$$' $$s; then \
		ls $$work/out/default/crashes $$work/out/default/hangs; \
		echo "net-fuzz: FAILED: inputs kept in $$work/out/default"; \
		exit 1; \
	fi; \
	rm -rf $$work

fuzz-clean:
	rm -f $(FUZZ) $(FUZZ_NET) $(FUZZ_PN)
