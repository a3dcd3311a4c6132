/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_REPORT_PLOT_H
#define IOLAB_REPORT_PLOT_H

#include <stddef.h>

/*
 * Plots for reports: the numbers go to a tab-separated data file, a gnuplot
 * template from plots/ draws them (plots/README.md), and each call leaves
 *   <outbase>.tsv  <outbase>.png  <outbase>.svg  <outbase>.gnuplot.log
 * The caption goes at the bottom of the plot; it is meant for the provenance
 * line, e.g. "run 20261121-1 | kernel 7.1.0-rc1 | kvm | fio-3.33".
 */

#define PLOT_ENV "IOLAB_PLOTS"

struct plot_series {
	/* Key entry: "bh", "iomap", "iomap nvme", a workload... */
	const char *name;
	size_t n;
	/* Sweep and ratio: block size in bytes (log2 axis).  Unused by bars. */
	const double *x;
	/* NaN: no point or bar there (a line joins the neighbours). */
	const double *y;
	/* Optional, both or neither: error bars (bars, sweep) or the shaded band (ratio). */
	const double *ylo;
	const double *yhi;
	/* Optional: the tic text of each x ("base", "3"); else x as a size ("64k"). */
	const char *const *labels;
};

/* $IOLAB_PLOTS, else plots/ found beside the executable; NULL if neither.  Caller frees. */
char *plot_templates_dir(void);

/*
 * Grouped bars, one group per category (block size, in order), one bar per
 * series; series[i].y[j] belongs to categories[j], so every n equals ncat.
 */
int plot_bars(const char *outbase, const char *title, const char *caption,
              const char *const *categories, size_t ncat, const struct plot_series *series,
              size_t nseries);
/* MiB/s against block size, one line per series. */
int plot_sweep(const char *outbase, const char *title, const char *caption,
               const struct plot_series *series, size_t nseries);
/*
 * MiB/s against a linear x named xlabel, one line per series, from sweep.gp:
 * a walk's points (x = patch number, labels "base", "1", ...).
 */
int plot_points(const char *outbase, const char *title, const char *caption, const char *xlabel,
                const struct plot_series *series, size_t nseries);
/* A ratio (iomap / bh) against block size, with a line at 1.0 and ylo..yhi shaded. */
int plot_ratio(const char *outbase, const char *title, const char *caption,
               const struct plot_series *series, size_t nseries);

#endif
