#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DKMS POST_BUILD of execmem (dkms.conf): publish what a dependant module
# builds against, next to the built module in the DKMS tree, as ZFS and SPL
# do for their dependants:
#   DIR/Module.symvers      execmem's exported symbols for this kernel
#   DIR/include/execmem.h   the API header of this version
# DIR is ${dkms_tree}/execmem/${PACKAGE_VERSION}/${kernelver}/${arch};
# DKMS links ${dkms_tree}/execmem/kernel-${kernelver}-${arch} to it once the
# module is installed, and deletes it on `dkms remove`.  Runs in the DKMS
# build directory (the built source tree).
set -eu
dir=$1
[ -f Module.symvers ] || { echo "dkms-post-build: no Module.symvers" >&2; exit 1; }
mkdir -p "$dir/include"
cp Module.symvers "$dir/Module.symvers"
cp include/execmem.h "$dir/include/execmem.h"
echo "execmem: published $dir/Module.symvers and $dir/include/execmem.h"
