#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Turn NAME EXEC RODATA DATA lines into a C table of executable sizes.
echo "/* generated from $(basename "$1") by gen-workload.sh */"
echo "static const u32 workload_exec[] = {"
awk 'NF >= 2 && $2 ~ /^[0-9]+$/ && $2 > 0 { printf "\t%s,\n", $2 }' "$1"
echo "};"
