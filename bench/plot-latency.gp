# SPDX-License-Identifier: GPL-2.0
# Lifecycle latency distributions (alloc + write + make executable + free),
# per path, modules and bpf workloads.
#   gnuplot -e "d='DATADIR'; out='OUT.png'; kver='KVER'" bench/plot-latency.gp
set terminal pngcairo size 1200,500 noenhanced font ",10"
set output out
set multiplot layout 1,2 title sprintf("%s: lifecycle latency, cumulative distribution (TCG guest)", kver)
set xlabel "alloc + write + make executable + free (us), log scale"
set ylabel "fraction of iterations"
set logscale x
set yrange [0:1]
set key bottom right
set grid
set title "modules workload"
plot d."/latency-modules-stock.dat" u 1:2 w l lw 2 t "stock", \
     d."/latency-modules-bpf_prog_pack.dat" u 1:2 w l lw 2 t "bpf_prog_pack", \
     d."/latency-modules-execmem.dat" u 1:2 w l lw 2 t "execmem"
set title "bpf workload (64 B - 2 KiB)"
plot d."/latency-bpf-stock.dat" u 1:2 w l lw 2 t "stock", \
     d."/latency-bpf-bpf_prog_pack.dat" u 1:2 w l lw 2 t "bpf_prog_pack", \
     d."/latency-bpf-execmem.dat" u 1:2 w l lw 2 t "execmem"
unset multiplot
