// SPDX-License-Identifier: GPL-2.0
/*
 * Which plots a run gets, and their numbers: report_plot.c draws them.  Every
 * plot carries the caption of the cells it shows (run, kernel, accelerator,
 * fio), and a point exists only where the table shows a number.
 */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_plot.h"

/* Plot file names: the axes' names with anything odd made '_'. */
static void add_slug(struct strbuf *sb, const char *s)
{
	for (const char *p = s; *p; p++)
		sb_addc(sb,
		        strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
		               *p)
		                ? *p
		                : '_');
}

static char *fig_base(const char *dir, const char *const *parts, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	sb_adds(&sb, dir);
	sb_addc(&sb, '/');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, '-');
		add_slug(&sb, parts[i]);
	}
	return sb_detach(&sb);
}

static void add_figure(struct report_figures *f, char *base, const char *kind, char *title,
                       const char *caption, ssize_t group)
{
	struct report_figure *x;

	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	x = &f->v[f->n++];
	x->base = base;
	x->kind = xstrdup(kind);
	x->title = title;
	x->caption = xstrdup(caption);
	x->group = group;
}

/* Growable series with their own x, y, lo, hi arrays. */
struct series_buf {
	char *name;
	double *x, *y, *lo, *hi;
	size_t n;
};

static void series_push(struct series_buf *s, double x, double y, double lo, double hi)
{
	s->x = xrealloc(s->x, (s->n + 1) * sizeof(double));
	s->y = xrealloc(s->y, (s->n + 1) * sizeof(double));
	s->lo = xrealloc(s->lo, (s->n + 1) * sizeof(double));
	s->hi = xrealloc(s->hi, (s->n + 1) * sizeof(double));
	s->x[s->n] = x;
	s->y[s->n] = y;
	s->lo[s->n] = lo;
	s->hi[s->n] = hi;
	s->n++;
}

static void series_free(struct series_buf *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].x);
		free(s[i].y);
		free(s[i].lo);
		free(s[i].hi);
	}
	free(s);
}

static bool any_point(const struct series_buf *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < s[i].n; j++)
			if (isfinite(s[i].y[j]))
				return true;
	return false;
}

/*
 * The series with at least one point: a path measured nowhere (a kernel
 * without the series) is left out of the key rather than drawn as nothing.
 */
static struct plot_series *as_plot(const struct series_buf *s, size_t n, bool bounds, size_t *np)
{
	struct plot_series *p = xcalloc(n + 1, sizeof(*p));

	*np = 0;
	for (size_t i = 0; i < n; i++)
		if (any_point(&s[i], 1))
			p[(*np)++] = (struct plot_series){s[i].name,
			                                  s[i].n,
			                                  s[i].x,
			                                  s[i].y,
			                                  bounds ? s[i].lo : NULL,
			                                  bounds ? s[i].hi : NULL,
			                                  NULL};
	return p;
}

static void cell_point(struct series_buf *s, int64_t bs, const struct report_cell *c)
{
	bool ok = report_cell_measured(c);

	series_push(s, (double)bs, ok ? c->sum.median : NAN, ok ? c->sum.min : NAN,
	            ok ? c->sum.max : NAN);
}

static char *group_suffix(const struct report_model *m, const struct report_group *g)
{
	if (m->ngroups < 2)
		return xstrdup("");
	return xasprintf(": kernel %s, %s, fs %s", g->kernel, g->device, g->fs);
}

/* bh against iomap per block size for one workload. */
static int bars(const struct report_model *m, size_t gi, const struct report_table *t, size_t w,
                const char *dir, const char *caption, struct report_figures *f)
{
	const struct report_group *g = &m->groups[gi];
	size_t np = m->paths.n;
	struct series_buf *s = xcalloc(np + 1, sizeof(*s));
	char **cats = xcalloc(t->nbs + 1, sizeof(*cats));
	const char *parts[] = {g->kernel, g->device, g->fs, t->workloads.v[w], "bars"};
	char *sfx = group_suffix(m, g);
	int ret = 0;

	for (size_t p = 0; p < np; p++) {
		s[p].name = xstrdup(m->paths.v[p]);
		for (size_t b = 0; b < t->nbs; b++)
			cell_point(&s[p], t->bs[b], report_table_entry(t, w, b)->cells[p]);
	}
	for (size_t b = 0; b < t->nbs; b++)
		cats[b] = report_bs_label(t->bs[b]);
	if (any_point(s, np)) {
		char *base = fig_base(dir, parts, ARRAY_SIZE(parts));
		char *title = xasprintf("%s (MiB/s, median, min-max)%s", t->wtitles.v[w], sfx);
		size_t nps;
		struct plot_series *ps = as_plot(s, np, true, &nps);

		ret = plot_bars(base, title, caption, (const char *const *)cats, t->nbs, ps, nps);
		add_figure(f, base, "bars", title, caption, (ssize_t)gi);
		free(ps);
	}
	for (size_t b = 0; b < t->nbs; b++)
		free(cats[b]);
	free(cats);
	free(sfx);
	series_free(s, np);
	return ret;
}

/* Every non-baseline path over the baseline, one line per workload, with the noise band. */
static int ratio(const struct report_model *m, size_t gi, const char *dir, const char *caption,
                 struct report_figures *f)
{
	const struct report_group *g = &m->groups[gi];
	struct series_buf *s = NULL;
	size_t n = 0;
	const char *parts[] = {g->kernel, g->device, g->fs, "ratio"};
	char *sfx = group_suffix(m, g);
	int ret = 0;

	for (size_t ti = 0; ti < g->ntables; ti++) {
		const struct report_table *t = &g->tables[ti];

		for (size_t w = 0; w < t->workloads.n; w++) {
			for (size_t p = 1; p < m->paths.n; p++) {
				struct series_buf *x;

				s = xrealloc(s, (n + 1) * sizeof(*s));
				x = &s[n++];
				memset(x, 0, sizeof(*x));
				x->name = m->paths.n > 2 ? xasprintf("%s %s", t->wtitles.v[w],
				                                     m->paths.v[p])
				                         : xstrdup(t->wtitles.v[w]);
				for (size_t b = 0; b < t->nbs; b++) {
					const struct report_change *ch =
					        &report_table_entry(t, w, b)->changes[p];
					double lo = NAN, hi = NAN;

					if (ch->have)
						stats_ratio_band(&ch->cmp.a, &ch->cmp.b, &lo, &hi);
					series_push(x, (double)t->bs[b],
					            ch->have ? ch->cmp.ratio : NAN, lo, hi);
				}
			}
		}
	}
	if (n && any_point(s, n)) {
		char *base = fig_base(dir, parts, ARRAY_SIZE(parts));
		char *title = m->paths.n > 2 ? xasprintf("Ratio to %s (mean, 95%% CI band)%s",
		                                         m->paths.v[0], sfx)
		                             : xasprintf("%s / %s (mean, 95%% CI band)%s",
		                                         m->paths.v[1], m->paths.v[0], sfx);
		size_t nps;
		struct plot_series *ps = as_plot(s, n, true, &nps);

		ret = plot_ratio(base, title, caption, ps, nps);
		add_figure(f, base, "ratio", title, caption, (ssize_t)gi);
		free(ps);
	}
	free(sfx);
	series_free(s, n);
	return ret;
}

/* MiB/s against block size for one (kernel, workload): a line per path, device and fs. */
static int sweep(const struct report_model *m, const char *kernel, const char *workload,
                 const char *dir, struct report_figures *f)
{
	struct series_buf *s = NULL;
	size_t n = 0, ngk = 0;
	const char *title_w = workload;
	const char *parts[] = {kernel, workload, "sweep"};
	int ret = 0;

	for (size_t gi = 0; gi < m->ngroups; gi++)
		ngk += !strcmp(m->groups[gi].kernel, kernel);
	for (size_t gi = 0; gi < m->ngroups; gi++) {
		const struct report_group *g = &m->groups[gi];

		if (strcmp(g->kernel, kernel))
			continue;
		for (size_t ti = 0; ti < g->ntables; ti++) {
			const struct report_table *t = &g->tables[ti];

			for (size_t w = 0; w < t->workloads.n; w++) {
				if (strcmp(t->workloads.v[w], workload))
					continue;
				title_w = t->wtitles.v[w];
				for (size_t p = 0; p < m->paths.n; p++) {
					struct series_buf *x;

					s = xrealloc(s, (n + 1) * sizeof(*s));
					x = &s[n++];
					memset(x, 0, sizeof(*x));
					x->name = ngk > 1 ? xasprintf("%s %s %s", m->paths.v[p],
					                              g->device, g->fs)
					                  : xstrdup(m->paths.v[p]);
					for (size_t b = 0; b < t->nbs; b++)
						cell_point(x, t->bs[b],
						           report_table_entry(t, w, b)->cells[p]);
				}
			}
		}
	}
	if (n && any_point(s, n)) {
		char *base = fig_base(dir, parts, ARRAY_SIZE(parts));
		char *title = xasprintf("%s: MiB/s against block size, kernel %s", title_w, kernel);
		char *caption = report_caption(m->run, kernel, NULL, NULL);
		size_t nps;
		struct plot_series *ps = as_plot(s, n, false, &nps);

		ret = plot_sweep(base, title, caption, ps, nps);
		add_figure(f, base, "sweep", title, caption, -1);
		free(caption);
		free(ps);
	}
	series_free(s, n);
	return ret;
}

static bool sweeps_wanted(const struct report_model *m)
{
	if (m->ngroups > 1)
		return true;
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].ntables; j++)
			if (m->groups[i].tables[j].nbs > 4)
				return true;
	return false;
}

int report_plots(const struct report_model *m, const char *dir, struct report_figures *figs)
{
	memset(figs, 0, sizeof(*figs));
	if (mkdir_p(dir) < 0)
		return error("cannot create the plot directory %s", dir);
	for (size_t gi = 0; gi < m->ngroups; gi++) {
		const struct report_group *g = &m->groups[gi];
		char *caption = report_caption(m->run, g->kernel, g->device, g->fs);
		int ret = 0;

		for (size_t ti = 0; ti < g->ntables && ret == 0; ti++)
			for (size_t w = 0; w < g->tables[ti].workloads.n && ret == 0; w++)
				ret = bars(m, gi, &g->tables[ti], w, dir, caption, figs);
		if (ret == 0 && m->paths.n > 1)
			ret = ratio(m, gi, dir, caption, figs);
		free(caption);
		if (ret < 0)
			return -1;
	}
	if (sweeps_wanted(m)) {
		struct strvec kernels = STRVEC_INIT, workloads = STRVEC_INIT;
		int ret = 0;

		for (size_t i = 0; i < m->run->ncells; i++) {
			if (!sv_contains(&kernels, m->run->cells[i].kernel))
				sv_push(&kernels, m->run->cells[i].kernel);
			if (!sv_contains(&workloads, m->run->cells[i].workload))
				sv_push(&workloads, m->run->cells[i].workload);
		}
		for (size_t k = 0; k < kernels.n && ret == 0; k++)
			for (size_t w = 0; w < workloads.n && ret == 0; w++)
				ret = sweep(m, kernels.v[k], workloads.v[w], dir, figs);
		sv_clear(&kernels);
		sv_clear(&workloads);
		if (ret < 0)
			return -1;
	}
	return 0;
}

void report_figures_free(struct report_figures *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].base);
		free(f->v[i].kind);
		free(f->v[i].title);
		free(f->v[i].caption);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}
