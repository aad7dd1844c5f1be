# SPDX-License-Identifier: GPL-2.0
#
# The QEMU plugin and its guest tools (included by tlb/Makefile):
#
#   make -C tlb plugin     out/tlbplugin.so   (host gcc-12, glib headers)
#                          out/tlbmark, out/tlbsweep  (static guest programs)
#                          out/tlbcap         (host: a profile's capacities)
#
# The plugin is built for the QEMU of scripts/qemu-new.sh (trixie-backports
# 11.1): QEMU_API is the plugin API version it is built against (see
# tlb/qemu-plugin-api.h).  It links tlbmodel.c; glib comes from QEMU.

QEMU_API ?= 7
PLUGIN_CC ?= $(shell command -v gcc-12 >/dev/null 2>&1 && echo gcc-12 || echo gcc)
GLIB_CFLAGS := $(shell pkg-config --cflags glib-2.0 2>/dev/null)
PLUGIN_CFLAGS = -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden \
		-DTLBP_QEMU_API=$(QEMU_API) $(GLIB_CFLAGS) -I$(HERE)
GUEST_CFLAGS = -O2 -g -Wall -Wextra -Werror -static -I$(HERE)

.PHONY: plugin
plugin: $(OUT)/tlbplugin.so $(OUT)/tlbmark $(OUT)/tlbsweep $(OUT)/tlbcap

$(OUT)/tlbplugin.so: $(HERE)/plugin.c $(HERE)/qemu-plugin-api.h $(HERE)/tlbmark.h \
		$(MODEL) $(HERE)/plugin.mk | $(OUT)
	@test -n "$(GLIB_CFLAGS)" || { echo "plugin: no glib headers (libglib2.0-dev)" >&2; exit 1; }
	$(PLUGIN_CC) $(PLUGIN_CFLAGS) -shared -o $@ $(HERE)/plugin.c $(HERE)/tlbmodel.c

$(OUT)/tlbmark: $(HERE)/tlbmark.c $(HERE)/tlbmark.h | $(OUT)
	$(PLUGIN_CC) $(GUEST_CFLAGS) -o $@ $<

$(OUT)/tlbsweep: $(HERE)/tlbsweep.c $(HERE)/tlbmark.h | $(OUT)
	$(PLUGIN_CC) $(GUEST_CFLAGS) -o $@ $<

$(OUT)/tlbcap: $(HERE)/tlbcap.c $(MODEL) | $(OUT)
	$(PLUGIN_CC) -O2 -g -Wall -Wextra -Werror -I$(HERE) -o $@ $< $(HERE)/tlbmodel.c
