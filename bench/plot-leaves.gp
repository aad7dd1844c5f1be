# SPDX-License-Identifier: GPL-2.0
# Page-table leaves covering live code versus live code, per path (modules
# workload as it is placed; modload: one point).
#   gnuplot -e "d='DATADIR'; out='OUT.png'; kver='KVER'" bench/plot-leaves.gp
set terminal pngcairo size 900,600 noenhanced font ",10"
set output out
set title sprintf("%s: executable page-table leaves vs live code (Debian 7.2 module sizes)", kver)
set xlabel "live code (MiB)"
set ylabel "leaves covering it (4K + 2M), log scale"
set logscale y
set yrange [0.8:*]
set key top left
set grid
plot d."/growth-modules-stock.dat" u 1:4 w lp pt 7 ps 0.6 t "stock (module loader)", \
     d."/growth-modules-bpf_prog_pack.dat" u 1:4 w lp pt 5 ps 0.6 t "bpf_prog_pack", \
     d."/growth-modules-execmem.dat" u 1:4 w lp pt 9 ps 0.8 t "execmem (all 2M)", \
     d."/modload.dat" u 1:4 w p pt 13 ps 2 t "modload: real modules loaded"
