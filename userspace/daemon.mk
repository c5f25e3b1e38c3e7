# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The daemons: their support library (lib/daemon.h: log.c conf.c conn.c
# loop.c, linked into libcpns.a), every program directory and the host unit
# test tests/test_daemon (TAP).
#
# Included by userspace/Makefile after its own variables (CC, CFLAGS,
# CPPFLAGS, LDLIBS, LIB, LIB_HDR). Every name this file defines starts
# with DAEMON_ or daemon-.
#
# Programs: each directory userspace/<prog>/ that holds a main.c (except
# cpnsctl/, which has rules of its own, and tests/ and fuzz/) builds
# userspace/<prog>/cpns-<prog> from all the .c files in it, which depend
# on all the .h files in it; e.g. serverd/ -> serverd/cpns-serverd,
# gwd/ -> gwd/cpns-gwd. Adding a program is adding its directory.

DAEMON_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
DAEMON_SAVED_GOAL := $(.DEFAULT_GOAL)

DAEMON_LIB_SRC := $(addprefix $(DAEMON_DIR)/lib/, log.c conf.c conn.c loop.c)
DAEMON_LIB_OBJ := $(DAEMON_LIB_SRC:.c=.o)
DAEMON_LIB_HDR := $(DAEMON_DIR)/lib/daemon.h $(DAEMON_DIR)/lib/wire.h \
		  $(DAEMON_DIR)/../include/uapi/linux/cpns.h

DAEMON_NOT_PROGS := cpnsctl tests fuzz lib
DAEMON_PROG_DIRS := $(filter-out $(addprefix $(DAEMON_DIR)/,$(DAEMON_NOT_PROGS)), \
	$(patsubst %/main.c,%,$(wildcard $(DAEMON_DIR)/*/main.c)))
DAEMON_PROGS := $(foreach d,$(DAEMON_PROG_DIRS),$(d)/cpns-$(notdir $(d)))
DAEMON_PROG_OBJ := $(patsubst %.c,%.o,$(foreach d,$(DAEMON_PROG_DIRS), \
	$(wildcard $(d)/*.c)))

DAEMON_TEST := $(if $(wildcard $(DAEMON_DIR)/tests/test_daemon.c),$(DAEMON_DIR)/tests/test_daemon)
DAEMON_TEST_OBJ := $(DAEMON_DIR)/tests/test_daemon.o \
		   $(DAEMON_DIR)/tests/test_conf.o \
		   $(DAEMON_DIR)/tests/test_conn.o \
		   $(DAEMON_DIR)/tests/test_loop.o \
		   $(DAEMON_DIR)/tests/tap.o
DAEMON_TEST_HDR := $(DAEMON_DIR)/tests/tap.h $(DAEMON_DIR)/tests/test_daemon.h

# cpns-serverd's protocol probe, run in the VM by serverd/test/run.sh.
DAEMON_PROBE := $(if $(wildcard $(DAEMON_DIR)/serverd/test/probe.c), \
	$(DAEMON_DIR)/serverd/test/cpns-serverd-probe)

.PHONY: daemons daemon-check daemon-clean

daemons: $(DAEMON_PROGS) $(DAEMON_PROBE)

$(DAEMON_LIB_OBJ): %.o: %.c $(DAEMON_LIB_HDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# A program's objects depend on every header of its directory.
define DAEMON_PROG_RULES
$(1)/%.o: $(1)/%.c $(wildcard $(1)/*.h) $(DAEMON_LIB_HDR) $(LIB_HDR)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) -c -o $$@ $$<

$(1)/cpns-$(notdir $(1)): $(patsubst %.c,%.o,$(wildcard $(1)/*.c)) $(LIB)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ \
		$(patsubst %.c,%.o,$(wildcard $(1)/*.c)) $(LIB) $$(LDLIBS)
endef
$(foreach d,$(DAEMON_PROG_DIRS),$(eval $(call DAEMON_PROG_RULES,$(d))))

$(filter-out %/tap.o,$(DAEMON_TEST_OBJ)): %.o: %.c $(DAEMON_TEST_HDR) \
		$(DAEMON_LIB_HDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(DAEMON_TEST): $(DAEMON_TEST_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(DAEMON_TEST_OBJ) $(LIB) $(LDLIBS)

$(DAEMON_DIR)/serverd/test/probe.o: $(DAEMON_DIR)/serverd/test/probe.c \
		$(DAEMON_LIB_HDR) $(LIB_HDR) $(DAEMON_DIR)/tests/tap.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(DAEMON_DIR)/serverd/test/cpns-serverd-probe: \
		$(DAEMON_DIR)/serverd/test/probe.o $(DAEMON_DIR)/tests/tap.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS)

daemon-check: $(DAEMON_TEST)
	$(DAEMON_TEST)

daemon-clean:
	rm -f $(DAEMON_LIB_OBJ) $(DAEMON_PROG_OBJ) $(DAEMON_PROGS) \
		$(DAEMON_TEST_OBJ) $(DAEMON_TEST) $(DAEMON_PROBE) \
		$(DAEMON_DIR)/serverd/test/probe.o

# Leave the includer's default goal alone.
.DEFAULT_GOAL := $(DAEMON_SAVED_GOAL)
