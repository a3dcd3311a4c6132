// SPDX-License-Identifier: GPL-2.0
/*
 * A walk's report: one row per point (patch number and subject), one column
 * per cell, each the median with its change against the previous point and
 * against base and Welch's mark; the bisect's answer with its evidence; and
 * a plot of MiB/s against the patch number from the sweep template.
 */
#include "walk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "report_plot.h"

static char *jdup(json_t *o, const char *k)
{
	const char *s = jstr_nonempty(o, k);

	return s ? xstrdup(s) : NULL;
}

static json_t *walk_meta(const struct report_run *run)
{
	return json_object_get(run->info.meta, "walk");
}

/* "write cache 1M bh", with device and fs config when the walk has several. */
static char *col_title(const struct report_cell *c, bool long_form)
{
	const struct bench_workload *w = bench_workload_find(c->workload);
	char *bs = report_bs_label(c->bs), *t;

	if (long_form)
		t = xasprintf("%s %s %s %s %s", c->device, c->fs, w ? w->title : c->workload, bs,
		              c->path);
	else
		t = xasprintf("%s %s %s", w ? w->title : c->workload, bs, c->path);
	free(bs);
	return t;
}

static const char *point_label(const struct walk_point_info *p, char *buf, size_t n)
{
	if (p->upto == 0)
		return "base";
	snprintf(buf, n, "%ld", p->upto);
	return buf;
}

/* "base, 1-11": points as a reader counts them, runs of patches joined. */
static void add_point_list(struct strbuf *sb, const struct walk_table *t, const bool *mark)
{
	bool first = true;

	for (size_t i = 0; i < t->npoints; i++) {
		size_t j = i;
		char a[32], b[32];

		if (!mark[i])
			continue;
		/* Base stands alone: "base, 1-11", never "base-11". */
		while (t->points[i].upto > 0 && j + 1 < t->npoints && mark[j + 1] &&
		       t->points[j + 1].upto == t->points[j].upto + 1)
			j++;
		sb_addf(sb, "%s%s", first ? "" : ", ", point_label(&t->points[i], a, sizeof(a)));
		if (j > i)
			sb_addf(sb, "%s%s", j == i + 1 ? ", " : "-",
			        point_label(&t->points[j], b, sizeof(b)));
		first = false;
		i = j;
	}
}

/* A cell's column: its id without the point, ending in the path it ran on. */
static char *settled_key(const struct report_cell *c)
{
	char *key = walk_cell_key(c->id), *slash = strrchr(key, '/'), *k;

	if (!c->by_default || !slash)
		return key;
	*slash = '\0';
	k = xasprintf("%s/%s", key, c->path);
	free(key);
	return k;
}

static bool of_point(const struct report_cell *c, const char *point)
{
	size_t n = strlen(point);

	return !strncmp(c->id, point, n) && c->id[n] == '/';
}

/*
 * The point's cell in column key: a measured one first, so that a cell the
 * kernel took onto this path stands over the matrix's unmeasured one.
 */
static const struct report_cell *point_cell(const struct report_run *run, const char *point,
                                            const char *key, bool *moved_away)
{
	const struct report_cell *found = NULL;

	*moved_away = false;
	for (size_t i = 0; i < run->ncells; i++) {
		const struct report_cell *c = &run->cells[i];
		char *raw, *k;

		if (!of_point(c, point))
			continue;
		raw = walk_cell_key(c->id);
		k = settled_key(c);
		if (!strcmp(k, key) && (!found || report_cell_measured(c)))
			found = c;
		else if (!strcmp(raw, key) && c->by_default)
			*moved_away = true;
		free(raw);
		free(k);
	}
	if (found)
		*moved_away = false;
	return found;
}

/* A note beneath the table naming the marked points where fmt has its %s. */
__attribute__((format(printf, 3, 0))) static void note_points(struct walk_table *t,
                                                              const bool *mark, const char *fmt)
{
	struct strbuf sb = STRBUF_INIT;

	add_point_list(&sb, t, mark);
	sv_pushf(&t->notes, fmt, sb.buf);
	sb_release(&sb);
}

static bool reason_is(const struct report_cell *c, const char *prefix)
{
	return c && c->reason && starts_with(c->reason, prefix);
}

#define REASON_NO_OPTION "kernel has no buffered_iomap"
#define REASON_NO_BUILD  "does not build"
#define REASON_UNTESTED  "not tested by the bisect"

/*
 * A walk makes many comparisons at once: at p < 0.05 one in twenty would be
 * marked on noise alone, so the reader gets the count to hold the marks
 * against (a 13-point walk of 3 cells makes about 70).
 */
static void chance_note(struct walk_table *t)
{
	size_t tests = 0, marked = 0;

	for (size_t i = 0; i < t->npoints * t->ncols; i++) {
		const struct walk_entry *e = &t->entries[i];

		/* Against base, the first point after it is the same comparison as against prev. */
		tests += e->have_prev + (e->have_base && !(e->have_prev && i / t->ncols == 1));
		marked += (e->have_prev && e->prev.verdict == STATS_SIGNIFICANT) +
		          (e->have_base && e->base.verdict == STATS_SIGNIFICANT &&
		           !(e->have_prev && i / t->ncols == 1));
	}
	if (tests >= 20)
		sv_pushf(&t->notes,
		         "chance: %zu comparisons at p < %.2g, so about %.0f would be marked on "
		         "noise "
		         "alone; %zu are (a move that matters shows against base and on every "
		         "later point)",
		         tests, STATS_ALPHA, tests * STATS_ALPHA, marked);
}

/* Beneath the table: why a cell has no number, one line per reason. */
static void walk_table_notes(struct walk_table *t)
{
	bool *mark = xcalloc(t->npoints + 1, sizeof(bool));
	bool any = false;
	char buf[32];

	for (size_t p = 0; p < t->npoints; p++) {
		const struct walk_point_info *pi = &t->points[p];

		if (strcmp(pi->state, "broken"))
			continue;
		if (pi->upto)
			sv_pushf(&t->notes, "no build: patch %s \"%s\" does not build: %s",
			         point_label(pi, buf, sizeof(buf)), pi->subject ? pi->subject : "?",
			         pi->error ? pi->error : "(no error line recorded)");
		else
			sv_pushf(&t->notes, "no build: base does not build: %s",
			         pi->error ? pi->error : "(no error line recorded)");
	}
	for (size_t p = 0; p < t->npoints; p++)
		for (size_t c = 0; c < t->ncols; c++)
			if (reason_is(t->entries[p * t->ncols + c].cell, REASON_NO_OPTION))
				mark[p] = any = true;
	if (any)
		note_points(t, mark,
		            "n/a: no buffered_iomap in the kernel at %s (its default path "
		            "only there)");
	memset(mark, 0, (t->npoints + 1) * sizeof(bool));
	any = false;
	for (size_t p = 0; p < t->npoints; p++)
		for (size_t c = 0; c < t->ncols; c++) {
			const struct report_cell *cell = t->entries[p * t->ncols + c].cell;

			if (report_cell_measured(cell) && cell->by_default)
				mark[p] = any = true;
		}
	if (any)
		note_points(t, mark,
		            "(default): at %s the kernel has no path option and took the path by "
		            "itself: its probe saw the path, so the figure stands in that path's "
		            "column, and the other path is n/a there");
	memset(mark, 0, (t->npoints + 1) * sizeof(bool));
	any = false;
	for (size_t p = 0; p < t->npoints; p++)
		if (!strcmp(t->points[p].state, "untested"))
			mark[p] = any = true;
	if (any && !strcmp(t->mode, "bisect"))
		note_points(t, mark, "not tested by the bisect (rows left out): %s");
	chance_note(t);
	if (!strcmp(t->mode, "bisect") && t->npoints && t->ncols &&
	    report_cell_measured(t->entries[0].cell))
		sv_pushf(
		        &t->notes,
		        "base: all its %zu samples; the bisect measured it again beside each point "
		        "it tested, and judged each point against those",
		        t->entries[0].cell->nok);
	for (size_t p = 0; p < t->npoints; p++)
		for (size_t c = 0; c < t->ncols; c++) {
			const struct report_cell *cell = t->entries[p * t->ncols + c].cell;
			const char *why = NULL;
			size_t nfailed = 0;

			if (!cell || strcmp(cell->status, "failed"))
				continue;
			/* The samples say why; the cell's reason only that some failed. */
			for (size_t i = 0; i < cell->nsamples; i++)
				if (!cell->samples[i].ok) {
					why = why ? why : cell->samples[i].failure;
					nfailed++;
				}
			if (!why)
				why = cell->reason ? cell->reason : "no reason stored";
			sv_pushf(&t->notes, "failed: %s at %s: %s (%zu of %zu samples)",
			         t->cols[c].title, t->points[p].name, why, nfailed, cell->nsamples);
		}
	free(mark);
}

int walk_table_build(const struct report_run *run, struct walk_table *t)
{
	json_t *w = walk_meta(run), *pts, *e;
	struct strvec keys = STRVEC_INIT;
	bool long_form = false;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->run = run;
	if (!json_is_object(w))
		return error("run %s is not a walk ('iolab report %s' shows it)", run->info.run_id,
		             run->info.run_id);
	t->series = jdup(w, "series");
	t->title = jdup(w, "title");
	t->mode = xstrdup(jstr_nonempty(w, "mode") ? jstr_nonempty(w, "mode") : "walk");
	t->rounds = (long)json_integer_value(json_object_get(w, "rounds"));
	t->bisect = json_incref(json_object_get(w, "bisect"));
	pts = json_object_get(w, "points");
	t->points = xcalloc(json_array_size(pts) + 1, sizeof(*t->points));
	json_array_foreach(pts, i, e)
	{
		struct walk_point_info *p = &t->points[t->npoints++];

		p->name = xstrdup(jstr_nonempty(e, "name") ? jstr_nonempty(e, "name") : "?");
		p->upto = (long)json_integer_value(json_object_get(e, "upto"));
		p->subject = jdup(e, "subject");
		p->state =
		        xstrdup(jstr_nonempty(e, "state") ? jstr_nonempty(e, "state") : "untested");
		p->seconds = json_number_value(json_object_get(e, "seconds"));
		p->error = jdup(e, "error");
	}
	/* Columns: the cells of a point, in the matrix's order. */
	for (i = 0; i < run->ncells; i++) {
		char *key = settled_key(&run->cells[i]);

		if (!sv_contains(&keys, key))
			sv_push(&keys, key);
		free(key);
		if (strcmp(run->cells[i].device, run->cells[0].device) ||
		    strcmp(run->cells[i].fs, run->cells[0].fs))
			long_form = true;
	}
	t->cols = xcalloc(keys.n + 1, sizeof(*t->cols));
	for (i = 0; i < keys.n; i++) {
		const struct report_cell *c = NULL;

		for (size_t k = 0; k < run->ncells && !c; k++) {
			char *key = settled_key(&run->cells[k]);

			if (!strcmp(key, keys.v[i]))
				c = &run->cells[k];
			free(key);
		}
		t->cols[i].key = xstrdup(keys.v[i]);
		t->cols[i].title = col_title(c, long_form);
	}
	t->ncols = keys.n;
	sv_clear(&keys);

	t->entries = xcalloc(t->npoints * t->ncols + 1, sizeof(*t->entries));
	for (size_t c = 0; c < t->ncols; c++) {
		const struct report_cell *prev = NULL, *base = NULL;

		for (size_t p = 0; p < t->npoints; p++) {
			struct walk_entry *en = &t->entries[p * t->ncols + c];
			en->cell =
			        point_cell(run, t->points[p].name, t->cols[c].key, &en->moved_away);
			if (!report_cell_measured(en->cell))
				continue;
			/* Against the last point that measured the cell: a broken one is passed
			 * over. */
			if (prev)
				en->have_prev =
				        stats_compare(prev->mibs, prev->nok, en->cell->mibs,
				                      en->cell->nok, STATS_ALPHA, &en->prev) == 0;
			if (base)
				en->have_base =
				        stats_compare(base->mibs, base->nok, en->cell->mibs,
				                      en->cell->nok, STATS_ALPHA, &en->base) == 0;
			if (t->points[p].upto == 0)
				base = en->cell;
			prev = en->cell;
		}
	}
	walk_table_notes(t);
	return 0;
}

void walk_table_free(struct walk_table *t)
{
	for (size_t i = 0; i < t->npoints; i++) {
		free(t->points[i].name);
		free(t->points[i].subject);
		free(t->points[i].state);
		free(t->points[i].error);
	}
	free(t->points);
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->cols[i].key);
		free(t->cols[i].title);
	}
	free(t->cols);
	free(t->entries);
	free(t->series);
	free(t->title);
	free(t->mode);
	json_decref(t->bisect);
	sv_clear(&t->notes);
	memset(t, 0, sizeof(*t));
}

/* ---- text pieces ---- */

static const char *mark_of(const struct stats_comparison *c)
{
	if (c->verdict == STATS_NOISE)
		return "~";
	if (c->verdict == STATS_TOO_FEW)
		return "?";
	return "";
}

static char *change_text(bool have, const struct stats_comparison *c)
{
	if (!have || !isfinite(c->change_pct))
		return xstrdup("");
	return xasprintf("%+.1f%%%s", c->change_pct, mark_of(c));
}

/* What a cell shows instead of a number. */
static const char *cell_word(const struct walk_point_info *p, const struct walk_entry *e)
{
	const struct report_cell *c = e->cell;

	if (!strcmp(p->state, "broken") || reason_is(c, REASON_NO_BUILD))
		return "no build";
	if (!c)
		return e->moved_away ? "n/a" : "-";
	if (reason_is(c, REASON_NO_OPTION))
		return "n/a";
	if (reason_is(c, REASON_UNTESTED))
		return "-";
	return report_cell_word(c) ? report_cell_word(c) : "-";
}

static char *build_text(const struct walk_point_info *p)
{
	if (!strcmp(p->state, "built"))
		return xasprintf("%.0f s", p->seconds);
	if (!strcmp(p->state, "cached"))
		return xstrdup("cached");
	if (!strcmp(p->state, "broken"))
		return xstrdup("fails");
	return xstrdup("-");
}

static char *subject_text(const struct walk_point_info *p, size_t max)
{
	const char *s = p->upto == 0 ? "(the base tree)" : p->subject ? p->subject : "?";
	size_t n = strlen(s);

	if (max && n > max)
		return xasprintf("%.*s...", (int)(max - 3), s);
	return xstrdup(s);
}

static bool row_shown(const struct walk_table *t, size_t p)
{
	/* A bisect's report shows the points it tested. */
	return strcmp(t->mode, "bisect") || strcmp(t->points[p].state, "untested");
}

/* Only '|' would break a table (as in report_table.c). */
static char *md_escaped(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		if (*s == '|')
			sb_addc(&sb, '\\');
		sb_addc(&sb, *s == '\n' ? ' ' : *s);
	}
	return sb_detach(&sb);
}

/* Above the text table; beneath the Markdown one, as report_table.c places it. */
static void legend(const struct walk_table *t, bool md, struct strbuf *out)
{
	if (!md)
		sb_addf(out, "Walk of %s%s%s (run %s)\n", t->series ? t->series : "?",
		        t->title ? ": " : "", t->title ? t->title : "", t->run->info.run_id);
	sb_addf(out,
	        "MiB/s: median of the good samples, then its change against the previous point "
	        "and against base%s;\n~ within noise (Welch p >= %.2f), ? fewer than %d samples "
	        "a side (no verdict); build: the point's incremental build.\n",
	        md ? ", as median (vs prev / vs base)" : "", STATS_ALPHA, STATS_MIN_SAMPLES);
	if (t->rounds > 1)
		sb_addf(out,
		        "Samples taken in %ld rounds, the points' order reversed every other "
		        "round.\n",
		        t->rounds);
	if (!md)
		sb_addc(out, '\n');
}

static void notes(const struct walk_table *t, bool md, struct strbuf *out)
{
	if (t->notes.n)
		sb_addc(out, '\n');
	for (size_t i = 0; i < t->notes.n; i++) {
		char *x = md ? md_escaped(t->notes.v[i]) : xstrdup(t->notes.v[i]);

		sb_addf(out, "%s%s\n", md ? "- " : "", x);
		free(x);
	}
}

/* ---- text ---- */

#define FIXED_COLS 3 /* point, patch, build */

static void pad(struct strbuf *sb, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_addc(sb, ' ');
}

static void put(struct strbuf *sb, const char *s, size_t width, bool right)
{
	size_t n = strlen(s);

	if (right)
		pad(sb, width > n ? width - n : 0);
	sb_adds(sb, s);
	if (!right)
		pad(sb, width > n ? width - n : 0);
}

static void end_line(struct strbuf *sb)
{
	while (sb->len && sb->buf[sb->len - 1] == ' ')
		sb->buf[--sb->len] = '\0';
	sb_addc(sb, '\n');
}

/* One row: point, patch, build, then per cell the median, vs prev and vs base. */
static void row_strings(const struct walk_table *t, size_t p, size_t subject_max,
                        struct strvec *row)
{
	const struct walk_point_info *pi = &t->points[p];
	char buf[32], *s;

	sv_push(row, point_label(pi, buf, sizeof(buf)));
	s = subject_text(pi, subject_max);
	sv_push(row, s);
	free(s);
	s = build_text(pi);
	sv_push(row, s);
	free(s);
	for (size_t c = 0; c < t->ncols; c++) {
		const struct walk_entry *e = &t->entries[p * t->ncols + c];

		if (report_cell_measured(e->cell)) {
			s = report_fmt_mibs(e->cell->sum.median);
			if (e->cell->by_default) {
				char *d = xasprintf("%s (default)", s);

				free(s);
				s = d;
			}
			sv_push(row, s);
			free(s);
			s = change_text(e->have_prev, &e->prev);
			sv_push(row, s);
			free(s);
			s = change_text(e->have_base, &e->base);
			sv_push(row, s);
			free(s);
		} else {
			sv_push(row, cell_word(pi, e));
			sv_push(row, "");
			sv_push(row, "");
		}
	}
}

static bool is_group_start(size_t i)
{
	return i >= FIXED_COLS && (i - FIXED_COLS) % 3 == 0;
}

static void render_text(const struct walk_table *t, struct strbuf *out)
{
	size_t ncol = FIXED_COLS + 3 * t->ncols;
	size_t *w = xcalloc(ncol, sizeof(*w));
	struct strvec head = STRVEC_INIT;
	struct strvec *rows = xcalloc(t->npoints + 1, sizeof(*rows));

	sv_push(&head, "point");
	sv_push(&head, "patch");
	sv_push(&head, "build");
	for (size_t c = 0; c < t->ncols; c++) {
		sv_push(&head, "MiB/s");
		sv_push(&head, "vs prev");
		sv_push(&head, "vs base");
	}
	for (size_t i = 0; i < ncol; i++)
		w[i] = strlen(head.v[i]);
	for (size_t p = 0; p < t->npoints; p++) {
		if (!row_shown(t, p))
			continue;
		row_strings(t, p, 48, &rows[p]);
		for (size_t i = 0; i < ncol; i++)
			if (strlen(rows[p].v[i]) > w[i])
				w[i] = strlen(rows[p].v[i]);
	}
	/* A cell's title spans its three columns: the first widens when the title is longer. */
	for (size_t c = 0; c < t->ncols; c++) {
		size_t a = FIXED_COLS + 3 * c, span = w[a] + 2 + w[a + 1] + 2 + w[a + 2];
		size_t tl = strlen(t->cols[c].title);

		if (tl > span)
			w[a] += tl - span;
	}
	legend(t, false, out);
	pad(out, w[0] + 2 + w[1] + 2 + w[2]);
	for (size_t c = 0; c < t->ncols; c++) {
		size_t a = FIXED_COLS + 3 * c;

		pad(out, 4);
		put(out, t->cols[c].title, w[a] + 2 + w[a + 1] + 2 + w[a + 2], false);
	}
	end_line(out);
	for (size_t r = 0; r <= t->npoints; r++) {
		const struct strvec *row = r == 0 ? &head : &rows[r - 1];

		if (!row->n)
			continue;
		for (size_t i = 0; i < ncol; i++) {
			if (i > 0)
				pad(out, is_group_start(i) ? 4 : 2);
			/* Figures right-aligned, so the decimal places line up; words too. */
			put(out, row->v[i], w[i], i >= 2);
		}
		end_line(out);
	}
	notes(t, false, out);
	for (size_t p = 0; p <= t->npoints; p++)
		sv_clear(&rows[p]);
	free(rows);
	sv_clear(&head);
	free(w);
}

/* ---- Markdown ---- */

/* Padded as rendered, so the raw text in a mail reads as a table too. */
static void md_row(struct strbuf *out, const struct strvec *row, const size_t *w)
{
	for (size_t i = 0; i < row->n; i++) {
		bool right = i >= 2;

		sb_adds(out, "| ");
		put(out, row->v[i], w[i], right);
		sb_addc(out, ' ');
	}
	sb_adds(out, "|\n");
}

static void render_md(const struct walk_table *t, struct strbuf *out)
{
	size_t n = FIXED_COLS + t->ncols;
	size_t *w = xcalloc(n, sizeof(*w));
	struct strvec *rows = xcalloc(t->npoints + 2, sizeof(*rows));
	size_t nrows = 0;

	sv_push(&rows[0], "point");
	sv_push(&rows[0], "patch");
	sv_push(&rows[0], "build");
	for (size_t c = 0; c < t->ncols; c++) {
		char *h = md_escaped(t->cols[c].title);

		sv_push(&rows[0], h);
		free(h);
	}
	nrows = 1;
	for (size_t p = 0; p < t->npoints; p++) {
		struct strvec raw = STRVEC_INIT, *row = &rows[nrows];

		if (!row_shown(t, p))
			continue;
		row_strings(t, p, 0, &raw);
		for (size_t i = 0; i < FIXED_COLS; i++) {
			char *x = md_escaped(raw.v[i]);

			sv_push(row, x);
			free(x);
		}
		for (size_t c = 0; c < t->ncols; c++) {
			const char *med = raw.v[FIXED_COLS + 3 * c];
			const char *prev = raw.v[FIXED_COLS + 3 * c + 1];
			const char *base = raw.v[FIXED_COLS + 3 * c + 2];

			if (*prev || *base)
				sv_pushf(row, "%s (%s / %s)", med, *prev ? prev : "-",
				         *base ? base : "-");
			else
				sv_push(row, med);
		}
		sv_clear(&raw);
		nrows++;
	}
	for (size_t r = 0; r < nrows; r++)
		for (size_t i = 0; i < n; i++)
			if (strlen(rows[r].v[i]) > w[i])
				w[i] = strlen(rows[r].v[i]);
	for (size_t i = 0; i < n; i++)
		w[i] = w[i] < 3 ? 3 : w[i];
	sb_addf(out, "### Walk of %s%s%s (run %s)\n\n", t->series ? t->series : "?",
	        t->title ? ": " : "", t->title ? t->title : "", t->run->info.run_id);
	md_row(out, &rows[0], w);
	for (size_t i = 0; i < n; i++) {
		sb_adds(out, "| ");
		for (size_t k = 0; k + 1 < w[i]; k++)
			sb_addc(out, '-');
		sb_adds(out, i >= 2 ? ": " : "- ");
	}
	sb_adds(out, "|\n");
	for (size_t r = 1; r < nrows; r++)
		md_row(out, &rows[r], w);
	sb_addc(out, '\n');
	legend(t, true, out);
	notes(t, true, out);
	for (size_t r = 0; r < t->npoints + 2; r++)
		sv_clear(&rows[r]);
	free(rows);
	free(w);
}

/* Where the figures come from, beneath the table (the points' rows name the patches). */
static void render_provenance(const struct walk_table *t, bool md, struct strbuf *out)
{
	struct report_prov p;
	struct strvec names = STRVEC_INIT;

	for (size_t i = 0; i < t->npoints; i++)
		sv_push(&names, t->points[i].name);
	report_provenance_points(t->run, &names, &p);
	sv_clear(&names);
	if (!md) {
		sb_adds(out, "\nprovenance:\n");
		report_prov_text(&p, out);
		report_prov_free(&p);
		return;
	}
	sb_adds(out, "\n<details><summary>provenance</summary>\n\n");
	for (size_t i = 0; i < p.keys.n; i++)
		sb_addf(out, "- %s: %s\n", p.keys.v[i], p.values.v[i]);
	sb_adds(out, "\n</details>\n");
	report_prov_free(&p);
}

void walk_table_render(const struct walk_table *t, enum report_format f, struct strbuf *out)
{
	if (f == REPORT_MD)
		render_md(t, out);
	else
		render_text(t, out);
	render_provenance(t, f == REPORT_MD, out);
}

/* ---- the bisect's answer ---- */

static ssize_t point_index(const struct walk_table *t, const char *name)
{
	for (size_t i = 0; name && i < t->npoints; i++)
		if (!strcmp(t->points[i].name, name))
			return (ssize_t)i;
	return -1;
}

static char *p_text(double p)
{
	if (!isfinite(p))
		return xstrdup("p n/a");
	return p < 0.001 ? xstrdup("p<0.001") : xasprintf("p=%.3f", p);
}

static char *point_words(const struct walk_point_info *p)
{
	if (p->upto == 0)
		return xstrdup("base");
	return xasprintf("patch %ld \"%s\"", p->upto, p->subject ? p->subject : "?");
}

/*
 * "patch 2: 12.1 MiB/s (n=5) against base 58.3 (n=5) beside it: -79.2%
 * (p<0.001): moves", from what the bisect recorded for the point.
 */
static void evidence_line(const struct walk_table *t, size_t p, json_t *ev, const char *verdict,
                          const char *lead, struct strbuf *out)
{
	const struct walk_point_info *pi = &t->points[p];
	json_t *e = json_object_get(ev, pi->name);
	json_t *med = json_object_get(e, "median"), *bmed = json_object_get(e, "base_median");
	json_t *pv = json_object_get(e, "p");
	char buf[32];

	sb_addf(out, "%s%s%s: ", lead, pi->upto ? "patch " : "", point_label(pi, buf, sizeof(buf)));
	if (!strcmp(pi->state, "broken")) {
		sb_addf(out, "does not build%s%s\n", pi->error ? ": " : "",
		        pi->error ? pi->error : "");
		return;
	}
	if (!json_is_number(med)) {
		sb_addf(out, "%s\n",
		        jstr_nonempty(e, "verdict") ? jstr_nonempty(e, "verdict") : "no figure");
		return;
	}
	{
		char *m = report_fmt_mibs(json_number_value(med));

		sb_addf(out, "%s MiB/s (n=%lld)", m,
		        (long long)json_integer_value(json_object_get(e, "n")));
		free(m);
	}
	if (json_is_number(bmed)) {
		char *b = report_fmt_mibs(json_number_value(bmed));
		char *pt = p_text(json_is_number(pv) ? json_number_value(pv) : NAN);

		sb_addf(out, " against base %s (n=%lld) beside it: %+.1f%% (%s)", b,
		        (long long)json_integer_value(json_object_get(e, "base_n")),
		        json_number_value(json_object_get(e, "change_pct")), pt);
		free(b);
		free(pt);
	}
	{
		/* The kernel may have run the cell on its own path there: say which. */
		char *id = xasprintf("%s/%s", pi->name, jstr(t->bisect, "cell"));
		ssize_t at = report_run_find(t->run, id);

		if (at >= 0 && t->run->cells[at].by_default)
			sb_addf(out, " (on the kernel's own path there: %s)",
			        t->run->cells[at].path);
		free(id);
	}
	sb_addf(out, ": %s\n",
	        verdict                       ? verdict
	        : jstr_nonempty(e, "verdict") ? jstr_nonempty(e, "verdict")
	                                      : "?");
}

void walk_bisect_render(const struct walk_table *t, enum report_format f, struct strbuf *out)
{
	json_t *b = t->bisect, *tested, *e, *ev = json_object_get(b, "evidence");
	const char *cell = jstr_nonempty(b, "cell"), *state = jstr_nonempty(b, "state");
	const char *lead = f == REPORT_MD ? "- " : "  ";
	ssize_t lo = point_index(t, jstr_nonempty(b, "last_same")),
	        hi = point_index(t, jstr_nonempty(b, "first_moved"));
	ssize_t end = point_index(t, jstr_nonempty(b, "end"));
	double thr = json_number_value(json_object_get(b, "threshold_pct"));
	size_t i;

	if (!json_is_object(b) || !cell || !state)
		return;
	sb_addf(out, "\n%sBisect of %s, threshold %.3g%%\n%s", f == REPORT_MD ? "### " : "", cell,
	        thr, f == REPORT_MD ? "\n" : "");
	sb_adds(out, "Each point is judged against base measured again beside it; a move is beyond "
	             "the threshold,\nwith significance (Welch p < 0.05), the way the whole series "
	             "moves.\n");
	/* Markdown: one list from here on, or a line would join the item before it. */
	if (f == REPORT_MD)
		sb_addc(out, '\n');
	if (end > 0)
		evidence_line(t, (size_t)end, ev, "the series' end", lead, out);
	if (!strcmp(state, "found") && hi > 0) {
		char *who = point_words(&t->points[hi]);

		sb_addf(out,
		        f == REPORT_MD ? "- **first point that moves: %s**\n"
		                       : "first point that moves: %s\n",
		        who);
		free(who);
		if (lo < 0)
			lo = 0;
		if (lo > 0)
			evidence_line(t, (size_t)lo, ev, NULL, lead, out);
		evidence_line(t, (size_t)hi, ev, NULL, lead, out);
		/* Points in between that gave no verdict widen the answer to a range. */
		for (ssize_t k = lo + 1; k < hi; k++)
			if (strcmp(t->points[k].state, "untested")) {
				sb_addf(out,
				        "%sbetween them patch %ld does not build or gave too few "
				        "samples: the move is in patches %ld to %ld\n",
				        lead, t->points[k].upto, t->points[lo].upto + 1,
				        t->points[hi].upto);
				break;
			}
	} else {
		sb_addf(out, "%s%s\n", f == REPORT_MD ? "- " : "",
		        jstr_nonempty(b, "why") ? jstr_nonempty(b, "why")
		                                : "the bisect did not finish");
	}
	tested = json_object_get(b, "tested");
	sb_addf(out, "%stested %zu of %zu points, in this order:", f == REPORT_MD ? "- " : "",
	        json_array_size(tested), t->npoints);
	json_array_foreach(tested, i, e)
	{
		ssize_t k = point_index(t, json_string_value(e));
		char buf[32];

		sb_addf(out, "%s %s", i ? "," : "",
		        k >= 0 ? point_label(&t->points[k], buf, sizeof(buf)) : "?");
	}
	sb_addc(out, '\n');
}

/* ---- the plot ---- */

int walk_table_plot(const struct walk_table *t, const char *dir)
{
	struct plot_series *series = xcalloc(t->ncols + 1, sizeof(*series));
	double *buf = xcalloc(4 * t->npoints * t->ncols + 1, sizeof(double));
	char **labels = xcalloc(t->npoints + 1, sizeof(char *));
	const char **lab = xcalloc(t->npoints * t->ncols + 1, sizeof(char *));
	size_t ns = 0;
	int ret = 0;

	for (size_t p = 0; p < t->npoints; p++) {
		char b[32];

		labels[p] = xstrdup(point_label(&t->points[p], b, sizeof(b)));
	}
	for (size_t c = 0; c < t->ncols; c++) {
		double *x = buf + 4 * t->npoints * c, *y = x + t->npoints;
		double *lo = y + t->npoints, *hi = lo + t->npoints;
		const char **l = lab + t->npoints * c;
		size_t n = 0;

		/* Points without a figure are left out: the line joins its neighbours. */
		for (size_t p = 0; p < t->npoints; p++) {
			const struct report_cell *cell = t->entries[p * t->ncols + c].cell;

			if (!report_cell_measured(cell))
				continue;
			x[n] = (double)t->points[p].upto;
			y[n] = cell->sum.median;
			lo[n] = cell->sum.min;
			hi[n] = cell->sum.max;
			l[n] = labels[p];
			n++;
		}
		if (!n)
			continue;
		series[ns++] = (struct plot_series){.name = t->cols[c].title,
		                                    .n = n,
		                                    .x = x,
		                                    .y = y,
		                                    .ylo = lo,
		                                    .yhi = hi,
		                                    .labels = l};
	}
	if (ns) {
		char *base = path_join(dir, "walk");
		char *title =
		        xasprintf("%s: MiB/s after each patch", t->series ? t->series : "walk");
		char *caption =
		        report_caption(t->run, t->npoints ? t->points[0].name : NULL, NULL, NULL);

		mkdir_p(dir);
		ret = plot_points(base, title, caption, "patch (0 = base)", series, ns);
		if (ret == 0)
			info("walk plot drawn: %s.png, %s.svg (data %s.tsv)", base, base, base);
		free(base);
		free(title);
		free(caption);
	} else {
		warn("no point of the walk has a figure yet: no plot");
	}
	for (size_t p = 0; p < t->npoints; p++)
		free(labels[p]);
	free(labels);
	free(lab);
	free(buf);
	free(series);
	return ret;
}
