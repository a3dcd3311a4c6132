# Sweep: MiB/s against block size on a log2 axis, one line per series (an I/O
# path, or path plus device or fs configuration), with optional lo-hi error bars.
#
# Data (written by plot_sweep() in src/report_plot.c), tab-separated: one
# block per series, blocks apart by two blank lines, each with a header row
# whose second field names the series:
#   x     bh    lo    hi    label
#   1024  423   410   430   1k
# Extra -e variables: errorbars (1 to draw the lo-hi columns); xlog (0 for a
# linear x, as a walk's patch numbers are) and xlabel (the x axis' name).

load "common.gp"
if (!exists("errorbars")) errorbars = 0
if (!exists("ylabel")) ylabel = "MiB/s"
if (!exists("xlog")) xlog = 1
if (!exists("xlabel")) xlabel = "block size"

if (xlog) {
	set logscale x 2
}
set xlabel xlabel
set ylabel ylabel
set yrange [0:*]
set offsets graph 0.04, graph 0.04, graph 0.08, 0
set grid xtics ytics lc rgb "#d4d4d4"

@start_png
if (errorbars) {
	plot for [i=0:nseries-1] datafile index i using 1:2:3:4:xtic(5) \
		with yerrorlines title columnheader(2) lt i + 1
} else {
	plot for [i=0:nseries-1] datafile index i using 1:2:xtic(5) \
		with linespoints title columnheader(2) lt i + 1
}
@start_svg
replot
unset output
