#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel release to build for: the running kernel if its headers
# are installed, else the newest installed Debian kernel headers.
r=$(uname -r)
if [ -e "/lib/modules/$r/build/Makefile" ] || [ -e "/usr/src/linux-headers-$r/Makefile" ]; then
	echo "$r"
	exit 0
fi
ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n1
