# Grouped bars: MiB/s per block size, one bar per series (bh, iomap) in each
# group, the value printed above each bar, optionally min-max error bars.
#
# Data (written by plot_bars() in src/report_plot.c), tab-separated: a header
# row naming the series, then one row per block size:
#   bs  <name>  <name> lo  <name> hi  <name2>  ...
#   1k  423     410        430        403      ...
# Extra -e variables: ncat (rows), errorbars (1 to draw the lo-hi columns).

load "common.gp"
# The header row names the series; without this the label plot would count it as row 0.
set datafile columnheaders
if (!exists("errorbars")) errorbars = 0

# In bar widths; "set style histogram" takes it only as a literal, hence eval.
bar_gap = 1
set style data histograms
set style fill solid 0.9 border rgb "#333333"
set boxwidth 0.95 relative
if (errorbars) {
	eval sprintf("set style histogram errorbars gap %d lw 1.5", bar_gap)
	bar_using = "(column(value_col(i))):(column(value_col(i) + 1)):(column(value_col(i) + 2))"
} else {
	eval sprintf("set style histogram clustered gap %d", bar_gap)
	bar_using = "(column(value_col(i)))"
}
set ylabel "MiB/s"
set xlabel "block size"
set yrange [0:*]
# Room above the tallest bar for its label.
set offsets 0, 0, graph 0.1, 0
set xtics scale 0
set xrange [-0.6:ncat - 0.4]

# Where gnuplot centres bar i (0-based) of a group of nseries at group x.
bar_x(x, i) = x + (i - (nseries - 1) / 2.0) / (nseries + bar_gap)
value_col(i) = 2 + 3 * i
label_y(i) = errorbars ? column(value_col(i) + 2) : column(value_col(i))

@start_png
plot for [i=0:nseries-1] datafile \
	using @bar_using:xtic(1) \
	title columnheader(value_col(i)) lt i + 1, \
     for [i=0:nseries-1] datafile \
	using (bar_x($0, i)):(label_y(i)):(mibs_label(column(value_col(i)))) \
	with labels offset 0, 0.7 font ",10" notitle
@start_svg
replot
unset output
