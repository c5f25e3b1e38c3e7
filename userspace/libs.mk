# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# userspace/'s libraries, one concern each, each with its own dependencies
# only. Included by userspace/Makefile and by the programs outside it that
# link them (selftests/cpns, tools/nlfuzz, tools/bench):
#
#   name    archive                              needs      packages
#   nl      lib/nl/libcpns.a        netlink      codec      libnl-genl-3.0
#   codec   lib/codec/libcpnscodec.a wire, hex   -          -
#   daemon  lib/daemon/libcpnsd.a   framework    nl codec   libsystemd libkeyutils
#   store   lib/store/libcpnsstore.a server store codec     sqlite3 libpq libcrypto
#   vec     cpnsctl/vectors/libcpnsvec.a KAT     nl codec   json-c
#
# For the libraries a program uses (what they need is added):
#   $(call cpns_cppflags,nl vec)   -I flags
#   $(call cpns_archives,nl vec)   the archives, in link order
#   $(call cpns_ldlibs,nl vec)     the archives, then their packages
# "make -C userspace -s print-libs [USES='nl vec']" prints the last (USES
# defaults to nl, the netlink client), print-cflags the first.

CPNS_US := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
CPNS_PKG_CONFIG ?= pkg-config

# Link order: a library before those it needs.
CPNS_LIBS := vec store daemon nl codec

CPNS_DIR_nl := $(CPNS_US)/lib/nl
CPNS_A_nl := $(CPNS_DIR_nl)/libcpns.a
CPNS_NEEDS_nl := codec
CPNS_PKGS_nl := libnl-genl-3.0

CPNS_DIR_codec := $(CPNS_US)/lib/codec
CPNS_A_codec := $(CPNS_DIR_codec)/libcpnscodec.a

CPNS_DIR_daemon := $(CPNS_US)/lib/daemon
CPNS_A_daemon := $(CPNS_DIR_daemon)/libcpnsd.a
CPNS_NEEDS_daemon := nl codec
CPNS_PKGS_daemon := libsystemd libkeyutils

CPNS_DIR_store := $(CPNS_US)/lib/store
CPNS_A_store := $(CPNS_DIR_store)/libcpnsstore.a
CPNS_NEEDS_store := codec
CPNS_PKGS_store := sqlite3 libpq libcrypto

CPNS_DIR_vec := $(CPNS_US)/cpnsctl/vectors
CPNS_A_vec := $(CPNS_DIR_vec)/libcpnsvec.a
CPNS_NEEDS_vec := nl codec
CPNS_PKGS_vec := json-c

# A library is all the .c and .h files of its directory.
cpns_src = $(wildcard $(CPNS_DIR_$(1))/*.c)

cpns_closure = $(filter $(1) $(foreach l,$(1),$(CPNS_NEEDS_$(l))),$(CPNS_LIBS))
cpns_archives = $(foreach l,$(call cpns_closure,$(1)),$(CPNS_A_$(l)))
cpns_headers = $(foreach l,$(call cpns_closure,$(1)),$(wildcard $(CPNS_DIR_$(l))/*.h)) \
	$(CPNS_US)/../include/uapi/linux/cpns.h
cpns_pkgs = $(strip $(foreach l,$(call cpns_closure,$(1)),$(CPNS_PKGS_$(l))))
cpns_cppflags = -I$(abspath $(CPNS_US)/../include/uapi) \
	$(foreach l,$(call cpns_closure,$(1)),-I$(CPNS_DIR_$(l))) \
	$(if $(call cpns_pkgs,$(1)),$(shell $(CPNS_PKG_CONFIG) --cflags $(call cpns_pkgs,$(1))))
cpns_ldlibs = $(call cpns_archives,$(1)) \
	$(if $(call cpns_pkgs,$(1)),$(shell $(CPNS_PKG_CONFIG) --libs $(call cpns_pkgs,$(1))))
