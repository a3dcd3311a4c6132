# The look shared by every iolab plot, loaded by bars.gp, sweep.gp and ratio.gp.
#
# The caller (src/report_plot.c) sets with -e: datafile, outpng, outsvg,
# title, caption, nseries.  Text is shown as given: run ids and kernel
# releases are full of '_' and '^' that enhanced text would typeset.

# PNG size in pixels; the SVG gets the same.  tests/unit/test_report_plot.c
# reads these two lines and checks the PNG's header against them.
png_width = 1200
png_height = 720

set encoding utf8
set datafile separator "\t"
set datafile missing "NaN"

# bh and iomap keep their colours from plot to plot; further series
# (one per device or fs configuration in a sweep) take the rest in turn.
set linetype 1 lc rgb "#3b6fb6" lw 2 pt 7 ps 1.3
set linetype 2 lc rgb "#e07b2a" lw 2 pt 5 ps 1.3
set linetype 3 lc rgb "#3a9a4a" lw 2 pt 9 ps 1.5
set linetype 4 lc rgb "#c23b3b" lw 2 pt 11 ps 1.5
set linetype 5 lc rgb "#7c5aa6" lw 2 pt 13 ps 1.5
set linetype 6 lc rgb "#8c6d31" lw 2 pt 15 ps 1.3
set linetype cycle 6

# Title, key and caption at fixed places of the canvas, the plot in between.
set label 101 title noenhanced at screen 0.5, screen 0.96 center font ",16"
# The key sits between title and plot: inside, it would hide points at the top left.
set key noenhanced at screen 0.5, screen 0.915 center top horizontal reverse Left samplen 2 width 2 nobox
set tmargin 6
set border 3 lc rgb "#444444"
set tics nomirror
set grid ytics lc rgb "#d4d4d4" lw 1 dt solid
set bmargin 6
set label 100 caption noenhanced at screen 0.5, screen 0.03 center font ",10" tc rgb "#555555"

# MiB/s the way the cover letter prints it: 36.3, 423, 7378.
mibs_label(v) = v != v ? "" : (v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v))

start_png = "set terminal pngcairo size png_width, png_height noenhanced font 'Sans,11' background rgb 'white'; set output outpng"
start_svg = "set terminal svg size png_width, png_height noenhanced font 'Sans,11' background rgb 'white'; set output outsvg"
