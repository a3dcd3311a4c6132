# Ratio: iomap / bh per block size on a log2 axis, one line per series (a
# workload, a device...), over a shaded band where the ratio is not told apart
# from noise (the caller's per-point lo-hi, e.g. stats_ratio_band()), and a
# dashed line at 1.0 where both paths are equal.
#
# Data (written by plot_ratio() in src/report_plot.c): the layout of sweep.gp,
#   x     write cache   lo     hi     label
#   1024  0.953         0.91   1.01   1k
# Extra -e variables: band (1 to shade lo-hi).

load "common.gp"
if (!exists("band")) band = 0
if (!exists("ylabel")) ylabel = "iomap / bh"

set logscale x 2
set xlabel "block size"
set ylabel ylabel
# Always show 0.9-1.1, so a flat line at 1.0 does not fill the plot with noise.
set yrange [*<0.9:1.1<*]
set offsets graph 0.04, graph 0.04, graph 0.08, graph 0.04
set grid xtics ytics lc rgb "#d4d4d4"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb "#555555" back
set style fill transparent solid 0.18 noborder
ratio_label(v) = v != v ? "" : sprintf("%.2f", v)

@start_png
if (band) {
	plot for [i=0:nseries-1] datafile index i using 1:3:4 \
		with filledcurves lt i + 1 notitle, \
	     for [i=0:nseries-1] datafile index i using 1:2:xtic(5) \
		with linespoints title columnheader(2) lt i + 1, \
	     for [i=0:nseries-1] datafile index i using 1:2:(nseries == 1 ? ratio_label($2) : "") \
		with labels offset 0, 1.2 font ",10" notitle
} else {
	plot for [i=0:nseries-1] datafile index i using 1:2:xtic(5) \
		with linespoints title columnheader(2) lt i + 1, \
	     for [i=0:nseries-1] datafile index i using 1:2:(nseries == 1 ? ratio_label($2) : "") \
		with labels offset 0, 1.2 font ",10" notitle
}
@start_svg
replot
unset output
