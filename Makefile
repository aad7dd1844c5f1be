# SPDX-License-Identifier: GPL-2.0
#
# make                     execmem.ko (+ Module.symvers) and execmemctl
# make KVER=<release>      for that kernel's installed headers
# make tests               the test client modules (tests/kmod/)
# make examples            examples/client against this tree (needs modules)
# make check               set-up, userspace tests, QEMU tests on 6.1 + 6.12
# make demo                the benchmark (results/)
# make deb                 Debian packages execmem-dkms, execmem-tools in build/deb/
# make dkms-install        register with DKMS and build/install for KVER (developers)
# make install             execmemctl to $(PREFIX)/sbin, its man page to $(MANDIR)/man8
# make lint                checkpatch, W=1, sparse and DKMS builds (KTAP)
#
# Without KVER: the running kernel when its headers are installed, else the
# newest installed Debian kernel headers.
#
# A kernel whose headers the host lacks but the trixie chroot of
# scripts/setup.sh has (Debian 7.2: its kbuild needs glibc >= 2.38) is built
# by the same kbuild make run inside that chroot (scripts/chroot-make.sh),
# with this directory bind-mounted at the same path.

KVER ?= $(shell scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
ifeq ($(wildcard $(KDIR)/Makefile),)
KDIR := /usr/src/linux-headers-$(KVER)
endif
KMAKE := $(MAKE)
ifneq ($(KVER),)
ifeq ($(wildcard $(KDIR)/Makefile),)
ifeq ($(shell $(CURDIR)/scripts/chroot-make.sh --needed $(KVER) && echo y),y)
KMAKE := $(CURDIR)/scripts/chroot-make.sh --bind $(CURDIR) -- $(MAKE)
endif
endif
endif
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
# The upstream version: PACKAGE_VERSION of dkms.conf (debian/rules checks
# that the changelog agrees).
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
PWD := $(CURDIR)

.PHONY: all modules tests examples check demo clean dkms-install dkms-remove \
	install execmemctl lint sparse deb

all: modules execmemctl

modules:
	@test -n "$(KVER)" || { echo "no kernel headers found: run scripts/setup.sh" >&2; exit 1; }
	$(KMAKE) -C $(KDIR) M=$(PWD) modules

tests: modules
	$(KMAKE) -C $(KDIR) M=$(PWD)/tests/kmod \
		KBUILD_EXTRA_SYMBOLS=$(PWD)/Module.symvers modules

# The source-tree way of building a client (README, "Using it from a module").
examples: modules
	$(KMAKE) -C $(KDIR) M=$(PWD)/examples/client EXECMEM=$(PWD) \
		KBUILD_EXTRA_SYMBOLS=$(PWD)/Module.symvers modules

execmemctl:
	$(MAKE) -C tools

check:
	scripts/check.sh

demo:
	scripts/demo.sh

lint:
	scripts/lint.sh

sparse:
	$(KMAKE) -C $(KDIR) M=$(PWD) C=2 CF="-D__CHECK_ENDIAN__" modules

install: execmemctl
	install -D -m 0755 tools/execmemctl $(DESTDIR)$(PREFIX)/sbin/execmemctl
	install -D -m 0644 docs/execmemctl.8 $(DESTDIR)$(MANDIR)/man8/execmemctl.8

# The DKMS source tree; DKMS's own tree (where execmem publishes
# Module.symvers and include/execmem.h per kernel: scripts/dkms-post-build.sh).
DKMS_SRC := /usr/src/execmem-$(VERSION)
DKMS_TREE := /var/lib/dkms

deb:
	scripts/deb.sh

dkms-install:
	@test -n "$(KVER)" || { echo "no kernel headers found: run scripts/setup.sh" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -r Kbuild Makefile dkms.conf *.c *.h *.lds include scripts $(DKMS_SRC)/
	mkdir -p $(DKMS_SRC)/tools
	cp tools/Makefile tools/execmemctl.c $(DKMS_SRC)/tools/
	test -e $(DKMS_TREE)/execmem/$(VERSION)/source || dkms add -m execmem -v $(VERSION)
	dkms build -m execmem -v $(VERSION) -k $(KVER) --force
	dkms install -m execmem -v $(VERSION) -k $(KVER) --force

# Every kernel; dependants (e.g. examples/client) first: dkms remove them.
dkms-remove:
	if test -e $(DKMS_TREE)/execmem/$(VERSION); then \
		dkms remove -m execmem -v $(VERSION) --all; fi
	rm -rf $(DKMS_SRC)

clean:
	$(KMAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	$(KMAKE) -C $(KDIR) M=$(PWD)/tests/kmod clean 2>/dev/null || true
	$(KMAKE) -C $(KDIR) M=$(PWD)/examples/client clean 2>/dev/null || true
	-$(MAKE) -C tools clean
	-$(MAKE) -C tests/files clean
	rm -rf build
