# SPDX-License-Identifier: GPL-2.0
# BPF program load latency, hosted by execmem (host=bpf) and not, both paths
# interleaved in one boot (scripts/demo.sh part "host", bench/host-assemble.py).
#   gnuplot -e "d='DATADIR'; out='OUT.png'; kver='KVER'" bench/plot-host.gp
set terminal pngcairo size 900,500 noenhanced font ",10"
set output out
set title sprintf("%s: BPF_PROG_LOAD latency, cumulative distribution (TCG guest, one boot)", kver)
set xlabel "load latency (us), log scale"
set ylabel "fraction of loads"
set logscale x
set yrange [0:1]
set key bottom right
set grid
plot d."/latency-off.dat" u 1:2 w l lw 2 t "stock (host off)", \
     d."/latency-on.dat" u 1:2 w l lw 2 t "execmem (host=bpf)"
