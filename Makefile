# SPDX-License-Identifier: GPL-2.0
#
# cpns: the kernel module kmod/cpns.ko, its userspace and its tests.
#
#   make            module, userspace and selftests (= make all)
#   make module     kmod/cpns.ko against /lib/modules/$(KVER)/build, W=1
#   make userspace  userspace/ (libcpns, cpnsctl, the daemons, host tests)
#   make selftests  selftests/cpns/ (run in the VM by tools/vm-run)
#   make lint       tools/lint: checkpatch --strict, a W=1 C=2 build and the
#                   generated files checked against the YNL spec
#   make ynl        tools/ynl-regen: regenerate from the family's YNL spec
#                   Documentation/netlink/specs/cpns.yaml the uapi header,
#                   kmod/nl_gen.[ch] and Documentation/netlink/cpns.rst
#   make check      everything: deps, build, lint, host tests, VM suites
#   make demo       the daemons run the assignment flow in the VM, step by step
#   make bench      tools/bench/run (kernel ops vs OpenSSL) then tools/bench/proto
#                   (the daemons' flows per second vs the kernel alone)
#   make check-debug  the VM suite under a KASAN/UBSAN/lockdep/kmemleak
#                   kernel (tools/debug-kernel/check; builds it once, slow)
#   make man        the man pages, from Documentation/*.rst, into build/man
#   make install    programs, man pages, systemd units, example configs,
#                   the module's modprobe.d/modules-load.d snippets and its
#                   DKMS source tree (PREFIX, DESTDIR, SYSCONFDIR, MANDIR,
#                   SYSTEMDUNITDIR; `dkms install cpns/VERSION` then builds it)
#   make uninstall  remove what install put there (configs are kept)
#   make clean
#
# KVER is the installed Debian kernel (tools/install-deps --kver) unless
# given; the VM boots the same kernel.

# Kbuild reads this file when the top-level Kbuild is missing.
ifneq ($(KERNELRELEASE),)
obj-m += kmod/
else

TOP := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KVER ?= $(shell $(TOP)/tools/install-deps --kver 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
CHECK_DIR := $(TOP)/build/check
# The VM suite's time limit (tools/vm-run --timeout): TCG on two shared
# cores is slow, and a hung VM still fails, just later.
VM_TIMEOUT ?= 2400
# tools/vm-install-test's limit: a boot with systemd, `dkms install`
# (whose depmod reads every module of the kernel over 9p, minutes under
# TCG), the story through the units.
VM_INSTALL_TIMEOUT ?= 2400

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

.PHONY: all module userspace selftests lint ynl check check-debug demo demo-netlink bench clean help
.PHONY: man install uninstall

all: module userspace selftests man

module:
	@test -n "$(KVER)" || { echo "no kernel headers: run tools/install-deps" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules

userspace:
	$(MAKE) -C $(TOP)/userspace

# The selftests link userspace/lib/libcpns.a: build it first, not twice.
selftests: userspace
	$(MAKE) -C $(TOP)/selftests/cpns KSRC=$$($(TOP)/tools/kernel-source)
	$(MAKE) -C $(TOP)/tools/nlfuzz

lint:
	$(TOP)/tools/lint

ynl:
	$(TOP)/tools/ynl-regen

# Each stage's output goes to the terminal and to build/check/STAGE.log,
# its exit status to STAGE.status; tools/tap-summary counts them and prints
# the last line, "N passed, N failed". A failed build is counted (and skips
# the tests that need it); lint is one test.
check:
	@mkdir -p $(CHECK_DIR)
	rm -f $(CHECK_DIR)/*.log $(CHECK_DIR)/*.status
	stage() {
		local name=$$1
		shift
		echo "==== $$name: $$*"
		set +e
		"$$@" 2>&1 | tee $(CHECK_DIR)/$$name.log
		echo "$${PIPESTATUS[0]}" >$(CHECK_DIR)/$$name.status
		set -e
		return "$$(<$(CHECK_DIR)/$$name.status)"
	}
	cd $(TOP)
	logs=()
	if ! stage install-deps tools/install-deps; then
		tools/tap-summary $(CHECK_DIR)/install-deps.log
		exit 1
	fi
	if stage build $(MAKE) --no-print-directory all; then built=1; else built=0; fi
	((built)) || logs+=($(CHECK_DIR)/build.log)
	stage lint tools/lint || true
	logs+=($(CHECK_DIR)/lint.log)
	if ((built)); then
		stage host-tests $(MAKE) --no-print-directory -C userspace test || true
		stage xfer-vectors tools/xfer-vectors.py --check || true
		stage store-vectors tools/store-vectors.py --check || true
		stage rekey-vectors tools/rekey-vectors.py --check || true
		stage wire-fuzz $(MAKE) --no-print-directory -C userspace fuzz || true
		# The benchmarks still run and check themselves (not timed).
		stage bench-smoke tools/bench/smoke || true
		stage vm-tests tools/vm-run --no-build --timeout $(VM_TIMEOUT) || true
		# Lockdown cannot be lifted once raised: a VM of its own.
		stage lockdown tools/vm-run --no-build --timeout $(VM_TIMEOUT) \
			selftests/cpns/lockdown || true
		# The same suite under Debian's 6.12, its module built apart.
		stage vm-tests-6.12 bash -c 'ko=$$(tools/module-build 6.12) && \
			exec tools/vm-run --no-build --kver 6.12 --ko "$$ko" \
			--timeout $(VM_TIMEOUT)' || true
		stage daemon-tests tools/vm-run --no-build --timeout $(VM_TIMEOUT) \
			userspace/test/run_vm_tests.sh || true
		stage store-reboot env VM_TIMEOUT=$(VM_TIMEOUT) \
			userspace/serverd/test/store_reboot.sh || true
		# The installed system: make install, dkms install and the
		# units under systemd as PID 1 (tools/vm-install-test).
		stage vm-install tools/vm-install-test --no-build \
			--timeout $(VM_INSTALL_TIMEOUT) || true
		logs+=($(CHECK_DIR)/host-tests.log $(CHECK_DIR)/xfer-vectors.log)
		logs+=($(CHECK_DIR)/store-vectors.log $(CHECK_DIR)/rekey-vectors.log)
		logs+=($(CHECK_DIR)/wire-fuzz.log $(CHECK_DIR)/bench-smoke.log)
		logs+=($(CHECK_DIR)/vm-tests.log)
		logs+=($(CHECK_DIR)/lockdown.log)
		logs+=($(CHECK_DIR)/vm-tests-6.12.log)
		logs+=($(CHECK_DIR)/daemon-tests.log $(CHECK_DIR)/store-reboot.log)
		logs+=($(CHECK_DIR)/vm-install.log)
	fi
	echo "==== summary (logs in $(CHECK_DIR))"
	tools/tap-summary "$${logs[@]}"

# The daemons tell the story (tools/demo); demo-netlink: the same flows
# one netlink command at a time (selftests/cpns/demo.sh).
demo:
	@$(TOP)/tools/install-deps
	$(MAKE) --no-print-directory all
	$(TOP)/tools/vm-run --no-build --timeout $(VM_TIMEOUT) \
		--module-args pending_timeout=120 tools/demo

bench:
	$(TOP)/tools/bench/run
	$(TOP)/tools/bench/proto

demo-netlink:
	@$(TOP)/tools/install-deps
	$(MAKE) --no-print-directory all
	$(TOP)/tools/vm-run --no-build --timeout $(VM_TIMEOUT) selftests/cpns/demo.sh

check-debug:
	$(TOP)/tools/debug-kernel/check

# Installation, as a distribution's package would lay it out.
VERSION := $(shell cat $(TOP)/VERSION)
PREFIX ?= /usr
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
LIBDIR_SYSTEMD := $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),$(LIBDIR_SYSTEMD)/systemd/system)
SYSUSERSDIR ?= $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),$(PREFIX)/lib/sysusers.d)
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
DKMSSRCDIR ?= $(PREFIX)/src/cpns-$(VERSION)

MAN_PAGES := cpnsctl.8 cpns-serverd.8 cpns-gwd.8 cpns.conf.5
MAN_OUT := $(addprefix $(TOP)/build/man/,$(MAN_PAGES))
RST2MAN ?= rst2man

man: $(MAN_OUT)

# Any docutils warning fails the page.
$(TOP)/build/man/%.8: $(TOP)/Documentation/%.rst
	mkdir -p $(dir $@)
	$(RST2MAN) --halt=warning --exit-status=warning $< $@.tmp
	mv $@.tmp $@

$(TOP)/build/man/%.5: $(TOP)/Documentation/%.rst
	mkdir -p $(dir $@)
	$(RST2MAN) --halt=warning --exit-status=warning $< $@.tmp
	mv $@.tmp $@

# The programs' paths and the units' placeholders.
PROGS_SBIN := $(TOP)/userspace/serverd/cpns-serverd $(TOP)/userspace/gwd/cpns-gwd
PROGS_BIN := $(TOP)/userspace/cpnsctl/cpnsctl
UNITS := cpns-serverd.service cpns-gwd@.service
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@VERSION@|$(VERSION)|g'
# The module's sources as DKMS builds them (no test module, no build output).
DKMS_FILES := Kbuild VERSION include/uapi/linux/cpns.h kmod/Kbuild \
	$(patsubst $(TOP)/%,%,$(filter-out %.mod.c,$(wildcard $(TOP)/kmod/*.[ch])))

install: man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(PROGS_BIN) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(PROGS_SBIN) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(filter %.8,$(MAN_OUT)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(filter %.5,$(MAN_OUT)) $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	for u in $(UNITS); do \
		$(SUBST) $(TOP)/userspace/dist/$$u.in >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
	done
	install -m 0644 $(TOP)/userspace/dist/cpns.sysusers $(DESTDIR)$(SYSUSERSDIR)/cpns.conf
	install -d $(DESTDIR)$(MODULESLOADDIR) $(DESTDIR)$(SYSCONFDIR)/modprobe.d
	install -m 0644 $(TOP)/kmod/dist/modules-load.d/cpns.conf $(DESTDIR)$(MODULESLOADDIR)/cpns.conf
	# Configuration files: an existing one is the operator's and is kept.
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/cpns
	for f in $(TOP)/kmod/dist/modprobe.d/cpns.conf:modprobe.d/cpns.conf \
		 $(TOP)/userspace/dist/cpns-serverd.conf:cpns/cpns-serverd.conf \
		 $(TOP)/userspace/dist/gw1.conf:cpns/gw1.conf \
		 $(TOP)/userspace/dist/gw2.conf:cpns/gw2.conf \
		 $(TOP)/userspace/dist/cm.conf:cpns/cm.conf; do \
		dst=$(DESTDIR)$(SYSCONFDIR)/$${f#*:}; \
		[ -e "$$dst" ] || install -m 0644 $${f%%:*} "$$dst"; \
	done
	install -d $(DESTDIR)$(DKMSSRCDIR)
	cd $(TOP) && for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMSSRCDIR)/$$f; \
	done
	$(SUBST) $(TOP)/dkms.conf.in >$(DESTDIR)$(DKMSSRCDIR)/dkms.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cpnsctl $(DESTDIR)$(SBINDIR)/cpns-serverd \
		$(DESTDIR)$(SBINDIR)/cpns-gwd
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(filter %.8,$(MAN_PAGES))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(filter %.5,$(MAN_PAGES)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(SYSUSERSDIR)/cpns.conf $(DESTDIR)$(MODULESLOADDIR)/cpns.conf
	rm -rf $(DESTDIR)$(DKMSSRCDIR)

clean:
	@if [ -n "$(KVER)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(TOP) clean; fi
	$(MAKE) -C $(TOP)/userspace clean
	$(MAKE) -C $(TOP)/selftests/cpns clean
	rm -rf $(TOP)/build $(TOP)/.checkpatch-camelcase.*

help:
	@sed -n '3,23s/^# \{0,1\}//p' $(TOP)/Makefile

.ONESHELL:

endif
