// SPDX-License-Identifier: GPL-2.0
#include "report_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_command.h"
#include "paths.h"
#include "util.h"

/* A hung gnuplot (a template waiting on a terminal) must not stall a report. */
#define GNUPLOT_TIMEOUT_SEC 120

char *plot_templates_dir(void)
{
	return find_data_dir(PLOT_ENV, "plots");
}

/* Names and labels become TSV fields and gnuplot strings: one line, no tabs. */
static int check_text(const char *what, const char *s)
{
	if (!s || !*s)
		return error("plot: %s is empty; give every series a name", what);
	for (const char *p = s; *p; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			return error("plot: %s '%s' holds a tab or line break; use spaces", what,
			             s);
	return 0;
}

static int check_series(const struct plot_series *series, size_t nseries, bool need_x, bool log_x)
{
	if (nseries == 0)
		return error("plot: no series to draw");
	for (size_t i = 0; i < nseries; i++) {
		const struct plot_series *s = &series[i];

		if (check_text("series name", s->name) < 0)
			return -1;
		if (!s->y || (need_x && !s->x))
			return error("plot: series %s has no %s values", s->name, s->y ? "x" : "y");
		if (!s->ylo != !s->yhi)
			return error("plot: series %s has only one of ylo and yhi; give both or "
			             "neither",
			             s->name);
		for (size_t j = 0; need_x && j < s->n; j++) {
			if (!isfinite(s->x[j]) || (log_x && s->x[j] <= 0))
				return error("plot: series %s point %zu has x = %g; block sizes "
				             "must be positive bytes",
				             s->name, j + 1, s->x[j]);
			if (s->labels && check_text("x label", s->labels[j]) < 0)
				return -1;
		}
	}
	return 0;
}

/* Bounds to draw: some point has them (one repetition a side gives none at all). */
static bool any_bounds(const struct plot_series *series, size_t nseries)
{
	for (size_t i = 0; i < nseries; i++)
		for (size_t k = 0; series[i].ylo && k < series[i].n; k++)
			if (isfinite(series[i].ylo[k]) && isfinite(series[i].yhi[k]))
				return true;
	return false;
}

/* gnuplot reads "NaN" as a missing point (common.gp). */
static void add_num(struct strbuf *sb, double v)
{
	if (isfinite(v))
		sb_addf(sb, "\t%.10g", v);
	else
		sb_adds(sb, "\tNaN");
}

/* "1k", "64k", "1M" for whole byte counts, the number itself otherwise. */
static char *x_label(double x)
{
	if (x == floor(x) && x < 9.0e18)
		return format_size((int64_t)x);
	return xasprintf("%g", x);
}

static void write_blocks(struct strbuf *sb, const struct plot_series *series, size_t nseries)
{
	for (size_t i = 0; i < nseries; i++) {
		const struct plot_series *s = &series[i];

		/* Each block opens with a header row: field 2 names the series for the key. */
		sb_addf(sb, "%sx\t%s\tlo\thi\tlabel\n", i ? "\n\n" : "", s->name);
		for (size_t j = 0; j < s->n; j++) {
			char *label = s->labels ? xstrdup(s->labels[j]) : x_label(s->x[j]);

			sb_addf(sb, "%.17g", s->x[j]);
			add_num(sb, s->y[j]);
			/* Bounds equal to y: a missing bound would drop the point from yerrorlines.
			 */
			add_num(sb, s->ylo ? s->ylo[j] : s->y[j]);
			add_num(sb, s->yhi ? s->yhi[j] : s->y[j]);
			sb_addf(sb, "\t%s\n", label);
			free(label);
		}
	}
}

/* A gnuplot single-quoted string: only ' is special, and it doubles. */
static void add_gp_quoted(struct strbuf *sb, const char *value)
{
	sb_addc(sb, '\'');
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\'')
			sb_adds(sb, "''");
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			sb_addc(sb, ' ');
		else
			sb_addc(sb, *p);
	}
	sb_addc(sb, '\'');
}

static void add_gp_var(struct strbuf *sb, const char *var, const char *value)
{
	sb_addf(sb, "%s=", var);
	add_gp_quoted(sb, value);
	sb_adds(sb, "; ");
}

/* gnuplot's messages on success are warnings (empty data, bad ranges): pass them on. */
static void forward_warnings(const char *log)
{
	char *text = read_file(log, NULL);
	struct strvec lines = STRVEC_INIT;

	if (!text)
		return;
	sv_split(&lines, text, "\n");
	for (size_t i = 0; i < lines.n; i++)
		if (strstr(lines.v[i], "warning"))
			warn("gnuplot: %s", lines.v[i]);
	sv_clear(&lines);
	free(text);
}

/* The log's last line that says something: gnuplot ends with the error. */
static char *last_log_line(const char *log)
{
	char *text = read_file(log, NULL);
	struct strvec lines = STRVEC_INIT;
	char *last;

	if (!text)
		return xstrdup("(no log)");
	sv_split(&lines, text, "\n");
	last = xstrdup(lines.n ? lines.v[lines.n - 1] : "(empty log)");
	sv_clear(&lines);
	free(text);
	return last;
}

static bool non_empty_file(const char *path)
{
	size_t len = 0;
	char *data = read_file(path, &len);

	free(data);
	return data && len > 0;
}

static int run_gnuplot(const char *gnuplot, const char *gp, const char *e, const char *log,
                       const char *template)
{
	const char *argv[] = {gnuplot, "-e", e, gp, NULL};
	struct child c = {.argv = argv, .log_path = log, .timeout_sec = GNUPLOT_TIMEOUT_SEC};
	int status = run_command(&c);
	char *last;

	sb_release(&c.out);
	if (status == 0) {
		forward_warnings(log);
		return 0;
	}
	if (c.timed_out)
		return error("gnuplot did not finish %s within %d s; see %s", template,
		             GNUPLOT_TIMEOUT_SEC, log);
	last = last_log_line(log);
	error("gnuplot failed on %s (exit %d): %s; full log in %s", template, status, last, log);
	free(last);
	return -1;
}

/*
 * Writes the data file and runs one template over it.  vars are extra
 * gnuplot assignments ("nseries=2; errorbars=1").
 */
static int render(const char *outbase, const char *template, const char *title, const char *caption,
                  const struct strbuf *data, const char *vars)
{
	char *dir = plot_templates_dir();
	char *gp = NULL, *gnuplot = which("gnuplot");
	char *datafile = xasprintf("%s.tsv", outbase);
	char *png = xasprintf("%s.png", outbase);
	char *svg = xasprintf("%s.svg", outbase);
	char *log = xasprintf("%s.gnuplot.log", outbase);
	struct strbuf e = STRBUF_INIT;
	int ret = -1;

	if (!gnuplot) {
		error("gnuplot not found on PATH: install gnuplot-nox (scripts/install-deps)");
		goto out;
	}
	if (!dir) {
		error("plot templates not found beside the iolab binary; set %s to iolab's plots/",
		      PLOT_ENV);
		goto out;
	}
	gp = path_join(dir, template);
	if (!path_exists(gp)) {
		error("plot template %s is missing; set %s to iolab's plots/", gp, PLOT_ENV);
		goto out;
	}
	if (write_file(datafile, data->buf, data->len) < 0)
		goto out;
	/* A stale picture from an earlier run must not pass for this one. */
	unlink(png);
	unlink(svg);
	unlink(log);

	/* Templates load common.gp by name. */
	sb_adds(&e, "set loadpath ");
	add_gp_quoted(&e, dir);
	sb_adds(&e, "; ");
	add_gp_var(&e, "datafile", datafile);
	add_gp_var(&e, "outpng", png);
	add_gp_var(&e, "outsvg", svg);
	add_gp_var(&e, "title", title);
	add_gp_var(&e, "caption", caption);
	sb_adds(&e, vars);
	if (run_gnuplot(gnuplot, gp, e.buf, log, template) < 0)
		goto out;
	if (!non_empty_file(png) || !non_empty_file(svg)) {
		error("gnuplot ran %s but left no %s or %s; see %s", template, png, svg, log);
		goto out;
	}
	ret = 0;
out:
	sb_release(&e);
	free(dir);
	free(gp);
	free(gnuplot);
	free(datafile);
	free(png);
	free(svg);
	free(log);
	return ret;
}

int plot_bars(const char *outbase, const char *title, const char *caption,
              const char *const *categories, size_t ncat, const struct plot_series *series,
              size_t nseries)
{
	struct strbuf data = STRBUF_INIT;
	char *vars;
	int ret;

	if (ncat == 0)
		return error("plot %s: no categories (block sizes) to draw", outbase);
	for (size_t j = 0; j < ncat; j++)
		if (check_text("category", categories[j]) < 0)
			return -1;
	if (check_series(series, nseries, false, false) < 0)
		return -1;
	for (size_t i = 0; i < nseries; i++)
		if (series[i].n != ncat)
			return error("plot %s: series %s has %zu values for %zu categories",
			             outbase, series[i].name, series[i].n, ncat);

	sb_adds(&data, "bs");
	for (size_t i = 0; i < nseries; i++)
		sb_addf(&data, "\t%s\t%s lo\t%s hi", series[i].name, series[i].name,
		        series[i].name);
	sb_addc(&data, '\n');
	for (size_t j = 0; j < ncat; j++) {
		sb_adds(&data, categories[j]);
		for (size_t i = 0; i < nseries; i++) {
			const struct plot_series *s = &series[i];

			/* A series without bounds gets zero-length bars when others have them. */
			add_num(&data, s->y[j]);
			add_num(&data, s->ylo ? s->ylo[j] : s->y[j]);
			add_num(&data, s->yhi ? s->yhi[j] : s->y[j]);
		}
		sb_addc(&data, '\n');
	}
	vars = xasprintf("nseries=%zu; ncat=%zu; errorbars=%d", nseries, ncat,
	                 any_bounds(series, nseries));
	ret = render(outbase, "bars.gp", title, caption, &data, vars);
	free(vars);
	sb_release(&data);
	return ret;
}

/* xlabel NULL: the template's log2 block-size axis. */
static int plot_lines(const char *outbase, const char *template, const char *bounds_var,
                      const char *title, const char *caption, const char *xlabel,
                      const struct plot_series *series, size_t nseries)
{
	struct strbuf data = STRBUF_INIT, vars = STRBUF_INIT;
	int ret;

	if (check_series(series, nseries, true, !xlabel) < 0)
		return -1;
	if (xlabel && check_text("x axis label", xlabel) < 0)
		return -1;
	write_blocks(&data, series, nseries);
	sb_addf(&vars, "nseries=%zu; %s=%d", nseries, bounds_var, any_bounds(series, nseries));
	if (xlabel) {
		sb_adds(&vars, "; xlog=0; xlabel=");
		add_gp_quoted(&vars, xlabel);
	}
	ret = render(outbase, template, title, caption, &data, vars.buf);
	sb_release(&vars);
	sb_release(&data);
	return ret;
}

int plot_sweep(const char *outbase, const char *title, const char *caption,
               const struct plot_series *series, size_t nseries)
{
	return plot_lines(outbase, "sweep.gp", "errorbars", title, caption, NULL, series, nseries);
}

int plot_points(const char *outbase, const char *title, const char *caption, const char *xlabel,
                const struct plot_series *series, size_t nseries)
{
	return plot_lines(outbase, "sweep.gp", "errorbars", title, caption, xlabel, series,
	                  nseries);
}

int plot_ratio(const char *outbase, const char *title, const char *caption,
               const struct plot_series *series, size_t nseries)
{
	return plot_lines(outbase, "ratio.gp", "band", title, caption, NULL, series, nseries);
}
