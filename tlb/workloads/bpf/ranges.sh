# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Payload of demo-tlb.sh -w bpf, sourced by tlb/guest-run.sh before the
# measured window (uninstrumented: loading is not measured).  ./params:
# "PATH NPROG HOT ROUNDS SEED"; PATH stock (execmem hosting nothing) or
# hosted (execmem host=bpf).  Loads NPROG socket-filter programs with
# ./bpfrun (fixed seed: the same programs on both paths), which then holds
# them until run.sh signals it; names the address classes:
#   hosted  execmem's served pieces (debugfs execmem/hosted), by 2 MiB region
#   bpf     the programs' JIT images (bpfrun -k) outside those, merged into
#           ranges where they lie within 64 KiB of each other (the packs)
# (first match wins: hosted first).  Everything prints as "demo-tlb: ...".
read -r dt_path dt_nprog dt_hot dt_rounds dt_seed <./params
case $dt_path in
hosted) insmod ./execmem.ko host=bpf ;;
*) insmod ./execmem.ko ;;
esac || echo "demo-tlb: insmod execmem failed"
# run.sh must not poll inside the window (every process it started would
# be counted): a subshell waits for bpfrun and then writes to a FIFO that
# run.sh blocks on
mkfifo /tmp/dt_fifo
(
	./bpfrun -w -k /tmp/dt_jit -x "$dt_hot:$dt_rounds" -r "$dt_seed" "$dt_nprog" \
		>/tmp/dt_run 2>/tmp/dt_err &
	echo $! >/tmp/dt_pid
	wait $!
	echo "rc $?" >/tmp/dt_fifo
) &
while [ ! -s /tmp/dt_pid ]; do sleep 1; done
while ! grep -q '^holding' /tmp/dt_run && kill -0 "$(cat /tmp/dt_pid)" 2>/dev/null; do
	sleep 1
done
# hosted: every 2 MiB region holding a served bpf piece (execmem maps them
# whole); hex kept as strings (busybox awk loses 64-bit precision, and its
# %x takes an int): upper 8 digits equal, lower 32 bits as numbers printed
# as two 16-bit halves
awk 'NR > 1 && $1 == "bpf" { print $2 }' /sys/kernel/debug/execmem/hosted 2>/dev/null |
	awk 'function hx(v) { return sprintf("%04x%04x", int(v / 65536), v % 65536) }
	     { a = $1; sub(/^0x/, "", a); h = substr(a, 1, 8); l = ("0x" substr(a, 9, 8)) + 0
	       r = int(l / 2097152) * 2097152; k = h r
	       if (!(k in s)) { s[k] = 1; print h hx(r), h hx(r + 2097152) } }' |
	sort >/tmp/dt_hosted
# bpf: JIT images, sorted, merged when the gap is below 64 KiB, page-rounded
sort /tmp/dt_jit | awk 'FILENAME == ARGV[1] { n++; hh[n] = substr($1, 1, 8)
		hs[n] = ("0x" substr($1, 9, 8)) + 0; he[n] = ("0x" substr($2, 9, 8)) + 0; next }
	function inhosted(h, l,  i) { for (i = 1; i <= n; i++) if (h == hh[i] && l >= hs[i] && l < he[i]) return 1; return 0 }
	function hx(v) { return sprintf("%04x%04x", int(v / 65536), v % 65536) }
	function flush() { if (ch != "") print ch hx(int(cs / 4096) * 4096), ch hx(int((ce + 4095) / 4096) * 4096) }
	{ h = substr($1, 1, 8); l = ("0x" substr($1, 9, 8)) + 0; e = l + $2
	  if (inhosted(h, l)) next
	  if (h == ch && l <= ce + 65536) { if (e > ce) ce = e; next }
	  flush(); ch = h; cs = l; ce = e }
	END { flush() }' /tmp/dt_hosted - >/tmp/dt_bpf
while read -r s e; do /files/tlbmark range hosted "0x$s" "0x$e"; echo "demo-tlb: range hosted $s $e"; done </tmp/dt_hosted
while read -r s e; do /files/tlbmark range bpf "0x$s" "0x$e"; echo "demo-tlb: range bpf $s $e"; done </tmp/dt_bpf
sed 's/^/demo-tlb: load /' /tmp/dt_run
