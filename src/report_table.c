// SPDX-License-Identifier: GPL-2.0
/*
 * The cover letter's tables from a stored run: per (kernel, device, fs
 * config), one table per published table ("Buffered write", "Buffered
 * read"), rows by block size, a bh | iomap pair per workload with the change
 * and whether it is noise; rendered as text, Markdown, CSV or JSON.
 */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_evidence.h"

/* ---- the model ---- */

static const char *workload_table(const char *name)
{
	const struct bench_workload *w = bench_workload_find(name);

	return w && w->table ? w->table : "Other workloads";
}

static const char *workload_title(const char *name)
{
	const struct bench_workload *w = bench_workload_find(name);

	return w && w->title ? w->title : name;
}

static bool in_group(const struct report_cell *c, const struct report_group *g)
{
	return !strcmp(c->kernel, g->kernel) && !strcmp(c->device, g->device) &&
	       !strcmp(c->fs, g->fs);
}

/* bh is the baseline every other path is held against; otherwise the first path seen. */
static void collect_paths(const struct report_run *run, struct strvec *paths)
{
	for (size_t i = 0; i < run->ncells; i++)
		if (!sv_contains(paths, run->cells[i].path))
			sv_push(paths, run->cells[i].path);
	for (size_t i = 1; i < paths->n; i++) {
		if (!strcmp(paths->v[i], "bh")) {
			char *bh = paths->v[i];

			memmove(&paths->v[1], &paths->v[0], i * sizeof(*paths->v));
			paths->v[0] = bh;
		}
	}
}

static void collect_groups(const struct report_run *run, struct report_model *m)
{
	for (size_t i = 0; i < run->ncells; i++) {
		const struct report_cell *c = &run->cells[i];
		struct report_group *g;
		size_t j;

		for (j = 0; j < m->ngroups && !in_group(c, &m->groups[j]); j++)
			;
		if (j < m->ngroups)
			continue;
		m->groups = xrealloc(m->groups, (m->ngroups + 1) * sizeof(*m->groups));
		g = &m->groups[m->ngroups++];
		memset(g, 0, sizeof(*g));
		g->kernel = xstrdup(c->kernel);
		g->device = xstrdup(c->device);
		g->fs = xstrdup(c->fs);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static struct report_table *table_for(struct report_group *g, const char *title)
{
	struct report_table *t;

	for (size_t i = 0; i < g->ntables; i++)
		if (!strcmp(g->tables[i].title, title))
			return &g->tables[i];
	g->tables = xrealloc(g->tables, (g->ntables + 1) * sizeof(*g->tables));
	t = &g->tables[g->ntables++];
	memset(t, 0, sizeof(*t));
	t->title = xstrdup(title);
	return t;
}

static void add_bs(struct report_table *t, int64_t bs)
{
	for (size_t i = 0; i < t->nbs; i++)
		if (t->bs[i] == bs)
			return;
	t->bs = xrealloc(t->bs, (t->nbs + 1) * sizeof(*t->bs));
	t->bs[t->nbs++] = bs;
}

static const struct report_cell *find_cell(const struct report_run *run,
                                           const struct report_group *g, const char *workload,
                                           int64_t bs, const char *path)
{
	for (size_t i = 0; i < run->ncells; i++) {
		const struct report_cell *c = &run->cells[i];

		if (c->bs == bs && in_group(c, g) && !strcmp(c->workload, workload) &&
		    !strcmp(c->path, path))
			return c;
	}
	return NULL;
}

static void compare_cells(const struct report_model *m, const char *workload, int64_t bs,
                          const struct report_cell *base, const struct report_cell *c,
                          const char *path, struct report_change *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->ratio = ch->ref_ratio = NAN;
	if (report_cell_measured(base) && report_cell_measured(c) && base->sum.median > 0 &&
	    stats_compare(base->mibs, base->nok, c->mibs, c->nok, STATS_ALPHA, &ch->cmp) == 0) {
		ch->have = true;
		ch->ratio = c->sum.median / base->sum.median;
	}
	if (m->ref) {
		char *label = report_bs_label(bs);
		const struct reference_value *rb =
		        reference_find(m->ref, workload, label, m->paths.v[0]);
		const struct reference_value *rc = reference_find(m->ref, workload, label, path);

		if (rb && rc && rb->mibs > 0) {
			ch->have_ref = true;
			ch->ref_ratio = rc->mibs / rb->mibs;
		}
		free(label);
	}
	if (!ch->have || !ch->have_ref)
		ch->agree = REPORT_AGREE_NONE;
	else if (ch->cmp.verdict != STATS_SIGNIFICANT || ch->ref_ratio == 1.0)
		ch->agree = REPORT_AGREE_UNSURE;
	else
		ch->agree = (ch->cmp.change_pct > 0) == (ch->ref_ratio > 1.0) ? REPORT_AGREE_YES
		                                                              : REPORT_AGREE_NO;
}

/*
 * The failure a fallback sample carries, or NULL: it is reported as what it
 * is.  The probe's own verdict (evidence "fell_back") decides, not the
 * failure's wording.
 */
static bool fell_back(const struct report_sample *s)
{
	/* The cell's probe, or the measured window itself when it was traced. */
	json_t *probe = json_object_get(json_object_get(s->evidence, "path_probe"), "evidence");

	return json_is_true(json_object_get(probe, "fell_back")) ||
	       json_is_true(json_object_get(s->evidence, "fell_back"));
}

static const char *fallback_of(const struct report_cell *c)
{
	for (size_t i = 0; c && i < c->nsamples; i++) {
		const struct report_sample *s = &c->samples[i];

		if (!s->ok && fell_back(s))
			return s->failure && *s->failure ? s->failure : EVIDENCE_FALLBACK;
	}
	return NULL;
}

const char *report_cell_word(const struct report_cell *c)
{
	if (!c)
		return "-";
	if (report_cell_measured(c))
		return NULL;
	if (fallback_of(c))
		return "fell back";
	if (!strcmp(c->status, "failed"))
		return "failed";
	if (!strcmp(c->status, "not-measured"))
		return "not measured";
	if (!strcmp(c->status, "pending"))
		return "pending";
	if (!strcmp(c->status, "ok"))
		return "no samples";
	return c->status;
}

/* Why a cell shows a word, not a number: one line. */
static const char *cell_reason(const struct report_cell *c)
{
	if (fallback_of(c))
		return fallback_of(c);
	if (c->reason && *c->reason)
		return c->reason;
	for (size_t i = 0; i < c->nsamples; i++)
		if (!c->samples[i].ok && c->samples[i].failure && *c->samples[i].failure)
			return c->samples[i].failure;
	if (!strcmp(c->status, "pending"))
		return "the run did not get to it (interrupted? 'iolab bench --resume RUN' "
		       "finishes it)";
	if (!strcmp(c->status, "ok"))
		return "marked ok but no ok sample is stored";
	return "no reason recorded";
}

/*
 * "not measured: kernel has no buffered_iomap (uncached write iomap at 1k,
 * 4k, 64k, 1M)": one line per (word, reason), the cells folded by column.
 */
struct note {
	char *head; /* "not measured: reason" */
	struct strvec columns;
	struct strvec bss; /* ", "-joined block sizes, per column */
};

static void add_note(struct note **notes, size_t *n, const char *word, const char *reason,
                     const char *column, const char *bs)
{
	char *head = xasprintf("%s: %s", word, reason);
	struct note *x = NULL;
	size_t k;

	for (size_t i = 0; i < *n && !x; i++)
		if (!strcmp((*notes)[i].head, head))
			x = &(*notes)[i];
	if (!x) {
		*notes = xrealloc(*notes, (*n + 1) * sizeof(**notes));
		x = &(*notes)[(*n)++];
		memset(x, 0, sizeof(*x));
		x->head = head;
	} else {
		free(head);
	}
	for (k = 0; k < x->columns.n && strcmp(x->columns.v[k], column); k++)
		;
	if (k == x->columns.n) {
		sv_push(&x->columns, column);
		sv_push(&x->bss, bs);
	} else {
		char *joined = xasprintf("%s, %s", x->bss.v[k], bs);

		free(x->bss.v[k]);
		x->bss.v[k] = joined;
	}
}

/*
 * Figures that stand but deserve a caveat: samples of one cell from
 * different host models, or taken while other lab VMs shared the host.
 */
static const char *cell_caveat(const struct report_cell *c)
{
	for (size_t i = 1; i < c->nsamples; i++)
		if (c->samples[i].host && c->samples[0].host &&
		    strcmp(c->samples[i].host, c->samples[0].host))
			return "samples came from different host models";
	for (size_t i = 0; i < c->nsamples; i++) {
		const struct report_sample *s = &c->samples[i];
		json_t *others = s->evidence ? json_object_get(s->evidence, "other_lab_vms") : NULL;

		if (json_integer_value(others) > 0)
			return "samples were taken while other lab VMs ran on the same host";
	}
	return NULL;
}

static void build_notes(const struct report_model *m, struct report_table *t)
{
	struct note *notes = NULL;
	size_t n = 0;

	for (size_t w = 0; w < t->workloads.n; w++) {
		for (size_t p = 0; p < m->paths.n; p++) {
			char *column = xasprintf("%s %s", t->wtitles.v[w], m->paths.v[p]);

			for (size_t b = 0; b < t->nbs; b++) {
				const struct report_cell *c = report_table_entry(t, w, b)->cells[p];
				char *bs;

				if (!c)
					continue;
				if (report_cell_measured(c)) {
					const char *caveat = cell_caveat(c);

					bs = report_bs_label(t->bs[b]);
					if (c->by_default)
						add_note(&notes, &n, "default path",
						         REPORT_BY_DEFAULT_NOTE, column, bs);
					if (caveat)
						add_note(&notes, &n, "flagged", caveat, column, bs);
					free(bs);
					continue;
				}
				bs = report_bs_label(t->bs[b]);
				add_note(&notes, &n, report_cell_word(c), cell_reason(c), column,
				         bs);
				free(bs);
			}
			free(column);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;

		sb_addf(&sb, "%s (", notes[i].head);
		for (size_t k = 0; k < notes[i].columns.n; k++)
			sb_addf(&sb, "%s%s at %s", k ? "; " : "", notes[i].columns.v[k],
			        notes[i].bss.v[k]);
		sb_addc(&sb, ')');
		sv_push(&t->notes, sb.buf);
		sb_release(&sb);
		free(notes[i].head);
		sv_clear(&notes[i].columns);
		sv_clear(&notes[i].bss);
	}
	free(notes);
}

static void build_table(const struct report_model *m, const struct report_group *g,
                        struct report_table *t)
{
	size_t np = m->paths.n;

	qsort(t->bs, t->nbs, sizeof(*t->bs), cmp_i64);
	t->entries = xcalloc(t->workloads.n * t->nbs + 1, sizeof(*t->entries));
	for (size_t w = 0; w < t->workloads.n; w++) {
		for (size_t b = 0; b < t->nbs; b++) {
			struct report_entry *e = &t->entries[w * t->nbs + b];

			e->cells = xcalloc(np, sizeof(*e->cells));
			e->changes = xcalloc(np, sizeof(*e->changes));
			for (size_t p = 0; p < np; p++)
				e->cells[p] = find_cell(m->run, g, t->workloads.v[w], t->bs[b],
				                        m->paths.v[p]);
			for (size_t p = 1; p < np; p++)
				compare_cells(m, t->workloads.v[w], t->bs[b], e->cells[0],
				              e->cells[p], m->paths.v[p], &e->changes[p]);
		}
	}
	build_notes(m, t);
}

void report_model_build(const struct report_run *run, const struct reference *ref,
                        struct report_model *m)
{
	memset(m, 0, sizeof(*m));
	m->run = run;
	m->ref = ref;
	collect_paths(run, &m->paths);
	collect_groups(run, m);
	for (size_t i = 0; i < m->ngroups; i++) {
		struct report_group *g = &m->groups[i];

		report_provenance(run, g->kernel, g->device, g->fs, &g->prov);
		for (size_t j = 0; j < run->ncells; j++) {
			const struct report_cell *c = &run->cells[j];
			struct report_table *t;

			if (!in_group(c, g))
				continue;
			t = table_for(g, workload_table(c->workload));
			if (!sv_contains(&t->workloads, c->workload)) {
				sv_push(&t->workloads, c->workload);
				sv_push(&t->wtitles, workload_title(c->workload));
			}
			add_bs(t, c->bs);
		}
		for (size_t j = 0; j < g->ntables; j++)
			build_table(m, g, &g->tables[j]);
	}
}

void report_model_free(struct report_model *m)
{
	for (size_t i = 0; i < m->ngroups; i++) {
		struct report_group *g = &m->groups[i];

		for (size_t j = 0; j < g->ntables; j++) {
			struct report_table *t = &g->tables[j];

			for (size_t k = 0; k < t->workloads.n * t->nbs; k++) {
				free(t->entries[k].cells);
				free(t->entries[k].changes);
			}
			free(t->entries);
			free(t->title);
			free(t->bs);
			sv_clear(&t->workloads);
			sv_clear(&t->wtitles);
			sv_clear(&t->notes);
		}
		free(g->tables);
		free(g->kernel);
		free(g->device);
		free(g->fs);
		report_prov_free(&g->prov);
	}
	free(m->groups);
	sv_clear(&m->paths);
	memset(m, 0, sizeof(*m));
}

const struct report_entry *report_table_entry(const struct report_table *t, size_t w, size_t b)
{
	return &t->entries[w * t->nbs + b];
}

int report_format_parse(const char *name, bool tty, enum report_format *f)
{
	if (!strcmp(name, "auto"))
		*f = tty ? REPORT_TEXT : REPORT_MD;
	else if (!strcmp(name, "text"))
		*f = REPORT_TEXT;
	else if (!strcmp(name, "md") || !strcmp(name, "markdown"))
		*f = REPORT_MD;
	else if (!strcmp(name, "csv"))
		*f = REPORT_CSV;
	else if (!strcmp(name, "json"))
		*f = REPORT_JSON;
	else
		return error("unknown report format '%s': use one of %s", name, REPORT_FORMATS);
	return 0;
}

/* ---- cell texts shared by text and Markdown ---- */

enum col_kind { COL_VALUE, COL_CHANGE, COL_RATIO, COL_REF, COL_AGREE };

struct col {
	enum col_kind kind;
	size_t w; /* workload */
	size_t p; /* path */
	char *head;
};

static size_t table_cols(const struct report_model *m, const struct report_table *t,
                         struct col **out)
{
	size_t np = m->paths.n, n = 0;
	struct col *c = xcalloc(t->workloads.n * np * 5 + 1, sizeof(*c));

	for (size_t w = 0; w < t->workloads.n; w++) {
		for (size_t p = 0; p < np; p++)
			c[n++] = (struct col){COL_VALUE, w, p, xstrdup(m->paths.v[p])};
		for (size_t p = 1; p < np; p++)
			c[n++] = (struct col){COL_CHANGE, w, p,
			                      np == 2 ? xstrdup("change")
			                              : xasprintf("%s change", m->paths.v[p])};
		for (size_t p = 1; m->ref && p < np; p++) {
			c[n++] = (struct col){COL_RATIO, w, p,
			                      xasprintf("%s/%s", m->paths.v[p], m->paths.v[0])};
			c[n++] = (struct col){COL_REF, w, p, xstrdup("published")};
			c[n++] = (struct col){COL_AGREE, w, p, xstrdup("agrees")};
		}
	}
	*out = c;
	return n;
}

static void cols_free(struct col *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].head);
	free(c);
}

static const char *verdict_mark(const struct report_change *ch)
{
	/* Two spaces for no mark: right-aligned, the % signs stay in one column. */
	if (ch->cmp.verdict == STATS_NOISE)
		return " ~";
	if (ch->cmp.verdict == STATS_TOO_FEW)
		return " ?";
	return "  ";
}

static const char *agree_word(enum report_agree a)
{
	switch (a) {
	case REPORT_AGREE_YES:
		return "yes";
	case REPORT_AGREE_NO:
		return "no";
	case REPORT_AGREE_UNSURE:
		return "unsure";
	case REPORT_AGREE_NONE:
		break;
	}
	return "-";
}

static char *spread(const struct report_cell *c)
{
	char *lo, *hi, *s;

	if (!report_cell_measured(c) || c->nok < 2)
		return xstrdup("");
	lo = report_fmt_mibs(c->sum.min);
	hi = report_fmt_mibs(c->sum.max);
	s = xasprintf("%s-%s", lo, hi);
	free(lo);
	free(hi);
	return s;
}

/* The text of column col at row b; spread_row: the line of spreads and p-values beneath. */
static char *col_text(const struct report_table *t, const struct col *col, size_t b,
                      bool spread_row, bool inline_spread)
{
	const struct report_entry *e = report_table_entry(t, col->w, b);
	const struct report_cell *c = e->cells[col->p];
	const struct report_change *ch = &e->changes[col->p];

	switch (col->kind) {
	case COL_VALUE:
		if (spread_row)
			return spread(c);
		if (report_cell_measured(c)) {
			char *v = report_fmt_mibs(c->sum.median), *s, *r;

			if (!inline_spread || c->nok < 2)
				return v;
			s = spread(c);
			r = xasprintf("%s (%s)", v, s);
			free(v);
			free(s);
			return r;
		}
		return xstrdup(report_cell_word(c));
	case COL_CHANGE:
		if (spread_row) {
			if (!ch->have || !isfinite(ch->cmp.p))
				return xstrdup("");
			return ch->cmp.p < 0.001 ? xstrdup("p<0.001")
			                         : xasprintf("p=%.3f", ch->cmp.p);
		}
		return ch->have ? xasprintf("%+.1f%%%s", ch->cmp.change_pct, verdict_mark(ch))
		                : xstrdup("-");
	case COL_RATIO:
		if (spread_row)
			return xstrdup("");
		return ch->have ? xasprintf("%.2f", ch->ratio) : xstrdup("-");
	case COL_REF:
		if (spread_row)
			return xstrdup("");
		return ch->have_ref ? xasprintf("%.2f", ch->ref_ratio) : xstrdup("-");
	case COL_AGREE:
		return xstrdup(spread_row ? "" : agree_word(ch->agree));
	}
	return xstrdup("");
}

static char *table_heading(const struct report_model *m, const struct report_group *g,
                           const struct report_table *t)
{
	if (m->ngroups > 1)
		return xasprintf("%s (MiB/s): kernel %s, %s, fs %s", t->title, g->kernel, g->device,
		                 g->fs);
	return xasprintf("%s (MiB/s)", t->title);
}

static void legend(const struct report_model *m, bool text, struct strbuf *out)
{
	const char *base = m->paths.n ? m->paths.v[0] : "bh";
	const char *other = m->paths.n > 1 ? m->paths.v[1] : "iomap";

	sb_addf(out,
	        "MiB/s: median of the ok samples, %s; change: %s median against %s;\n"
	        "~ within noise (Welch p >= %.2f), ? fewer than %d samples a side (no verdict).\n",
	        text ? "min-max and Welch p beneath" : "min-max in brackets", other, base,
	        STATS_ALPHA, STATS_MIN_SAMPLES);
	if (m->ref)
		sb_addf(out,
		        "published: %s/%s in %s; agrees: the change goes the published way "
		        "(unsure: ours is noise or too few).\n",
		        other, base, m->ref->name);
}

/* ---- text ---- */

static void pad(struct strbuf *sb, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_addc(sb, ' ');
}

/*
 * Where the next patch of a "patches" list begins: "; " then the patch's
 * hash, up to 12 hex digits (or "unknown"), after the kernel's label when a
 * group has several.
 * A "; " inside a subject is not followed by one, and stays on its line.
 */
static const char *next_patch(const char *v)
{
	for (const char *sep = strstr(v, "; "); sep; sep = strstr(sep + 2, "; ")) {
		const char *q = sep + 2, *colon = strstr(q, ": ");
		size_t hex;

		if (colon && colon < q + strcspn(q, " "))
			q = colon + 2;
		hex = strspn(q, "0123456789abcdef");
		if ((hex >= 2 && hex <= 12 && q[hex] == ' ') || starts_with(q, "unknown "))
			return sep;
	}
	return NULL;
}

void report_prov_text(const struct report_prov *p, struct strbuf *out)
{
	size_t kw = 0;

	for (size_t i = 0; i < p->keys.n; i++)
		kw = strlen(p->keys.v[i]) > kw ? strlen(p->keys.v[i]) : kw;
	for (size_t i = 0; i < p->keys.n; i++) {
		const char *v = p->values.v[i], *sep;

		sb_addf(out, "  %s", p->keys.v[i]);
		pad(out, kw - strlen(p->keys.v[i]) + 2);
		/* A list on one line runs to hundreds of columns: 22 patches. */
		while (!strcmp(p->keys.v[i], "patches") && (sep = next_patch(v))) {
			sb_add(out, v, (size_t)(sep - v));
			sb_addc(out, '\n');
			pad(out, kw + 4);
			v = sep + 2;
		}
		sb_addf(out, "%s\n", v);
	}
}

static void trim_line_end(struct strbuf *sb, size_t line_start)
{
	while (sb->len > line_start && sb->buf[sb->len - 1] == ' ')
		sb->buf[--sb->len] = '\0';
	sb_addc(sb, '\n');
}

/* Two spaces between a workload's columns, four between workloads. */
static size_t gap_before(const struct col *cols, size_t i)
{
	return i == 0 ? 3 : cols[i].w != cols[i - 1].w ? 4 : 2;
}

static bool spread_line_needed(const struct report_table *t, const struct col *cols, size_t ncols,
                               size_t b)
{
	bool any = false;

	for (size_t i = 0; i < ncols && !any; i++) {
		char *x = col_text(t, &cols[i], b, true, false);

		any = *x != '\0';
		free(x);
	}
	return any;
}

static void text_table(const struct report_model *m, const struct report_group *g,
                       const struct report_table *t, struct strbuf *out)
{
	struct col *cols;
	size_t ncols = table_cols(m, t, &cols);
	size_t *width = xcalloc(ncols + 1, sizeof(*width));
	size_t bsw = 2;
	char *head = table_heading(m, g, t);
	size_t start;

	for (size_t b = 0; b < t->nbs; b++) {
		char *l = report_bs_label(t->bs[b]);

		bsw = strlen(l) > bsw ? strlen(l) : bsw;
		free(l);
	}
	for (size_t i = 0; i < ncols; i++) {
		width[i] = strlen(cols[i].head);
		for (size_t b = 0; b < t->nbs; b++) {
			for (int s = 0; s < 2; s++) {
				char *x = col_text(t, &cols[i], b, s, false);

				width[i] = strlen(x) > width[i] ? strlen(x) : width[i];
				free(x);
			}
		}
	}
	/* A workload title wider than its columns widens the last of them. */
	for (size_t w = 0; w < t->workloads.n; w++) {
		size_t span = 0, last = 0;

		for (size_t i = 0; i < ncols; i++) {
			if (cols[i].w != w)
				continue;
			span += (span ? gap_before(cols, i) : 0) + width[i];
			last = i;
		}
		if (strlen(t->wtitles.v[w]) > span)
			width[last] += strlen(t->wtitles.v[w]) - span;
	}

	sb_addf(out, "%s\n", head);
	for (size_t i = 0; i < strlen(head); i++)
		sb_addc(out, '=');
	sb_adds(out, "\n\n");

	/* Workload titles, left-aligned over their columns. */
	start = out->len;
	sb_adds(out, "bs");
	pad(out, bsw - 2);
	for (size_t i = 0; i < ncols; i++) {
		pad(out, gap_before(cols, i));
		if (i == 0 || cols[i].w != cols[i - 1].w) {
			size_t span = 0, tl = strlen(t->wtitles.v[cols[i].w]);

			for (size_t j = i; j < ncols && cols[j].w == cols[i].w; j++)
				span += (j > i ? gap_before(cols, j) : 0) + width[j];
			sb_adds(out, t->wtitles.v[cols[i].w]);
			pad(out, span - tl);
			while (i + 1 < ncols && cols[i + 1].w == cols[i].w)
				i++;
		}
	}
	trim_line_end(out, start);
	start = out->len;
	pad(out, bsw);
	for (size_t i = 0; i < ncols; i++) {
		pad(out, gap_before(cols, i) + width[i] - strlen(cols[i].head));
		sb_adds(out, cols[i].head);
	}
	trim_line_end(out, start);

	for (size_t b = 0; b < t->nbs; b++) {
		for (int s = 0; s < 2; s++) {
			char *l = s ? xstrdup("") : report_bs_label(t->bs[b]);

			start = out->len;
			/* No spread and no p (single samples, words): no empty line. */
			if (s && !spread_line_needed(t, cols, ncols, b)) {
				free(l);
				continue;
			}
			sb_adds(out, l);
			pad(out, bsw - strlen(l));
			for (size_t i = 0; i < ncols; i++) {
				char *x = col_text(t, &cols[i], b, s, false);

				pad(out, gap_before(cols, i) + width[i] - strlen(x));
				sb_adds(out, x);
				free(x);
			}
			free(l);
			trim_line_end(out, start);
		}
	}
	sb_addc(out, '\n');
	legend(m, true, out);
	for (size_t i = 0; i < t->notes.n; i++)
		sb_addf(out, "%s\n", t->notes.v[i]);
	sb_addc(out, '\n');
	report_prov_text(&g->prov, out);
	free(head);
	free(width);
	cols_free(cols, ncols);
}

static void reference_line(const struct report_model *m, struct strbuf *out, const char *pre)
{
	const char *subj = reference_source(m->ref, "subject");
	const char *who = reference_source(m->ref, "author");
	const char *date = reference_source(m->ref, "date");

	sb_addf(out, "%sreference: %s", pre, m->ref->name);
	if (subj)
		sb_addf(out, ", \"%s\"", subj);
	if (who || date)
		sb_addf(out, " (%s%s%s)", who ? who : "", who && date ? ", " : "",
		        date ? date : "");
	sb_addc(out, '\n');
}

void report_render_text(const struct report_model *m, struct strbuf *out)
{
	sb_addf(out, "iolab report: run %s, matrix %s\n", m->run->info.run_id,
	        m->run->info.matrix_name ? m->run->info.matrix_name : "unknown");
	if (m->ref)
		reference_line(m, out, "");
	if (!m->ngroups)
		sb_adds(out, "\nThe run has no cells.\n");
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].ntables; j++) {
			sb_addc(out, '\n');
			text_table(m, &m->groups[i], &m->groups[i].tables[j], out);
		}
}

/* ---- Markdown ---- */

/*
 * Only '|' would break a table; '_' and '*' stay as they are, since GitHub
 * leaves intraword ones alone and a mail reader sees the raw text.
 */
static void md_cell(struct strbuf *sb, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '|')
			sb_addc(sb, '\\');
		sb_addc(sb, *p == '\n' ? ' ' : *p);
	}
}

static char *md_escaped(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	md_cell(&sb, s);
	return sb_detach(&sb);
}

/* Padded as rendered, so the raw text reads as a table too: bs left, numbers right. */
static void md_row(struct strbuf *out, char **cells, const size_t *width, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sb_adds(out, "| ");
		if (i)
			pad(out, width[i] - strlen(cells[i]));
		sb_adds(out, cells[i]);
		pad(out, i ? 1 : width[i] - strlen(cells[i]) + 1);
	}
	sb_adds(out, "|\n");
}

static void md_table(const struct report_model *m, const struct report_group *g,
                     const struct report_table *t, struct strbuf *out)
{
	struct col *cols;
	size_t ncols = table_cols(m, t, &cols), n = ncols + 1;
	char **cells = xcalloc((t->nbs + 1) * n, sizeof(*cells));
	size_t *width = xcalloc(n, sizeof(*width));
	char *head = table_heading(m, g, t);

	/* The cover letter's header: "write cache bh | iomap | change | uncached write bh | ...".
	 */
	cells[0] = xstrdup("bs");
	for (size_t i = 0; i < ncols; i++) {
		bool first = i == 0 || cols[i].w != cols[i - 1].w;
		char *h = first ? xasprintf("%s %s", t->wtitles.v[cols[i].w], cols[i].head)
		                : xstrdup(cols[i].head);

		cells[i + 1] = md_escaped(h);
		free(h);
	}
	for (size_t b = 0; b < t->nbs; b++) {
		char **row = &cells[(b + 1) * n];

		row[0] = report_bs_label(t->bs[b]);
		for (size_t i = 0; i < ncols; i++) {
			char *x = col_text(t, &cols[i], b, false, true);

			row[i + 1] = md_escaped(x);
			free(x);
		}
	}
	for (size_t i = 0; i < (t->nbs + 1) * n; i++)
		width[i % n] = strlen(cells[i]) > width[i % n] ? strlen(cells[i]) : width[i % n];
	for (size_t i = 0; i < n; i++)
		width[i] = width[i] < 3 ? 3 : width[i];

	sb_adds(out, "### ");
	md_cell(out, head);
	sb_adds(out, "\n\n");
	md_row(out, cells, width, n);
	for (size_t i = 0; i < n; i++) {
		sb_adds(out, "| ");
		for (size_t k = 0; k + 1 < width[i]; k++)
			sb_addc(out, '-');
		sb_adds(out, i ? ": " : "- ");
	}
	sb_adds(out, "|\n");
	for (size_t b = 0; b < t->nbs; b++)
		md_row(out, &cells[(b + 1) * n], width, n);
	sb_addc(out, '\n');
	legend(m, false, out);
	if (t->notes.n)
		sb_addc(out, '\n');
	for (size_t i = 0; i < t->notes.n; i++) {
		sb_adds(out, "- ");
		md_cell(out, t->notes.v[i]);
		sb_addc(out, '\n');
	}
	sb_addc(out, '\n');
	for (size_t i = 0; i < g->prov.keys.n; i++) {
		sb_adds(out, "- ");
		md_cell(out, g->prov.keys.v[i]);
		sb_adds(out, ": ");
		md_cell(out, g->prov.values.v[i]);
		sb_addc(out, '\n');
	}
	for (size_t i = 0; i < (t->nbs + 1) * n; i++)
		free(cells[i]);
	free(cells);
	free(width);
	free(head);
	cols_free(cols, ncols);
}

void report_render_md(const struct report_model *m, struct strbuf *out)
{
	sb_adds(out, "## iolab report: run ");
	md_cell(out, m->run->info.run_id);
	sb_adds(out, ", matrix ");
	md_cell(out, m->run->info.matrix_name ? m->run->info.matrix_name : "unknown");
	sb_addc(out, '\n');
	if (m->ref) {
		struct strbuf line = STRBUF_INIT;

		reference_line(m, &line, "");
		sb_addc(out, '\n');
		sb_adds(out, line.buf);
		sb_release(&line);
	}
	if (!m->ngroups)
		sb_adds(out, "\nThe run has no cells.\n");
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].ntables; j++) {
			sb_addc(out, '\n');
			md_table(m, &m->groups[i], &m->groups[i].tables[j], out);
		}
}

/* ---- CSV: one row per cell, long format ---- */

static void csv_field(struct strbuf *sb, const char *s, bool first)
{
	if (!first)
		sb_addc(sb, ',');
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		sb_adds(sb, s);
		return;
	}
	sb_addc(sb, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			sb_addc(sb, '"');
		sb_addc(sb, *p);
	}
	sb_addc(sb, '"');
}

static void csv_num(struct strbuf *sb, double v, bool ok)
{
	char buf[64];

	sb_addc(sb, ',');
	if (!ok || !isfinite(v))
		return;
	snprintf(buf, sizeof(buf), "%.6g", v);
	sb_adds(sb, buf);
}

static const char *const csv_columns[] = {
        "run_id",       "kernel",          "device",     "fs_config",      "table",
        "workload",     "workload_title",  "bs",         "bs_bytes",       "path",
        "status",       "reason",          "n_ok",       "n_failed",       "median_mib_s",
        "min_mib_s",    "max_mib_s",       "mean_mib_s", "sd_mib_s",       "ci95_lo",
        "ci95_hi",      "baseline",        "change_pct", "ratio",          "welch_p",
        "verdict",      "published_ratio", "agrees",     "kernel_release", "kernel_config_sha256",
        "patch_series", "accelerator",     "fio",        "repetitions",    "host",
};

static void csv_cell(const struct report_model *m, const struct report_group *g,
                     const struct report_table *t, size_t w, size_t b, size_t p, struct strbuf *out)
{
	const struct report_entry *e = report_table_entry(t, w, b);
	const struct report_cell *c = e->cells[p];
	const struct report_change *ch = &e->changes[p];
	bool meas = report_cell_measured(c), cmp = p > 0 && ch->have;
	size_t nfailed = 0;
	char *bs = report_bs_label(t->bs[b]), *bytes = xasprintf("%lld", (long long)t->bs[b]);
	char *nok = xasprintf("%zu", c ? c->nok : 0), *nf;
	static const char *const prov[] = {"kernel", "kernel config", "patch series", "accelerator",
	                                   "fio",    "repetitions",   "host"};

	for (size_t i = 0; c && i < c->nsamples; i++)
		nfailed += !c->samples[i].ok;
	nf = xasprintf("%zu", nfailed);
	csv_field(out, m->run->info.run_id, true);
	csv_field(out, g->kernel, false);
	csv_field(out, g->device, false);
	csv_field(out, g->fs, false);
	csv_field(out, t->title, false);
	csv_field(out, t->workloads.v[w], false);
	csv_field(out, t->wtitles.v[w], false);
	csv_field(out, bs, false);
	csv_field(out, bytes, false);
	csv_field(out, m->paths.v[p], false);
	csv_field(out, c ? c->status : "absent", false);
	csv_field(out,
	          c && !meas           ? cell_reason(c)
	          : c && c->by_default ? REPORT_BY_DEFAULT_NOTE
	                               : NULL,
	          false);
	csv_field(out, nok, false);
	csv_field(out, nf, false);
	csv_num(out, meas ? c->sum.median : NAN, meas);
	csv_num(out, meas ? c->sum.min : NAN, meas);
	csv_num(out, meas ? c->sum.max : NAN, meas);
	csv_num(out, meas ? c->sum.mean : NAN, meas);
	csv_num(out, meas ? c->sum.sd : NAN, meas);
	csv_num(out, meas ? c->sum.ci_lo : NAN, meas);
	csv_num(out, meas ? c->sum.ci_hi : NAN, meas);
	csv_field(out, p > 0 ? m->paths.v[0] : NULL, false);
	csv_num(out, cmp ? ch->cmp.change_pct : NAN, cmp);
	csv_num(out, cmp ? ch->ratio : NAN, cmp);
	csv_num(out, cmp ? ch->cmp.p : NAN, cmp);
	csv_field(out, cmp ? stats_verdict_name(ch->cmp.verdict) : NULL, false);
	csv_num(out, p > 0 && ch->have_ref ? ch->ref_ratio : NAN, p > 0 && ch->have_ref);
	csv_field(out, p > 0 && ch->agree != REPORT_AGREE_NONE ? agree_word(ch->agree) : NULL,
	          false);
	for (size_t i = 0; i < ARRAY_SIZE(prov); i++)
		csv_field(out, report_prov_get(&g->prov, prov[i]), false);
	sb_adds(out, "\r\n");
	free(bs);
	free(bytes);
	free(nok);
	free(nf);
}

void report_render_csv(const struct report_model *m, struct strbuf *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(csv_columns); i++)
		csv_field(out, csv_columns[i], i == 0);
	sb_adds(out, "\r\n");
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct report_group *g = &m->groups[i];

		for (size_t j = 0; j < g->ntables; j++) {
			const struct report_table *t = &g->tables[j];

			for (size_t w = 0; w < t->workloads.n; w++)
				for (size_t b = 0; b < t->nbs; b++)
					for (size_t p = 0; p < m->paths.n; p++)
						csv_cell(m, g, t, w, b, p, out);
		}
	}
}

/* ---- JSON ---- */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *prov_json(const struct report_prov *p)
{
	json_t *o = json_object();

	for (size_t i = 0; i < p->keys.n; i++)
		json_object_set_new(o, p->keys.v[i], json_string(p->values.v[i]));
	return o;
}

static json_t *cell_json(const struct report_cell *c)
{
	json_t *o, *mibs;
	size_t nfailed = 0;

	if (!c)
		return json_pack("{s:s}", "status", "absent");
	for (size_t i = 0; i < c->nsamples; i++)
		nfailed += !c->samples[i].ok;
	o = json_pack("{s:s, s:s, s:I, s:I}", "cell_id", c->id, "status", c->status, "n_ok",
	              (json_int_t)c->nok, "n_failed", (json_int_t)nfailed);
	if (!report_cell_measured(c)) {
		json_object_set_new(o, "shown", json_string(report_cell_word(c)));
		json_object_set_new(o, "reason", json_string(cell_reason(c)));
		return o;
	}
	if (c->by_default)
		json_object_set_new(o, "path_chosen_by_kernel", json_string(c->path));
	mibs = json_array();
	for (size_t i = 0; i < c->nok; i++)
		json_array_append_new(mibs, json_real(c->mibs[i]));
	json_object_set_new(o, "mib_s", mibs);
	json_object_set_new(o, "median", jnum(c->sum.median));
	json_object_set_new(o, "min", jnum(c->sum.min));
	json_object_set_new(o, "max", jnum(c->sum.max));
	json_object_set_new(o, "mean", jnum(c->sum.mean));
	json_object_set_new(o, "sd", jnum(c->sum.sd));
	json_object_set_new(o, "cv", jnum(c->sum.cv));
	json_object_set_new(o, "ci95_lo", jnum(c->sum.ci_lo));
	json_object_set_new(o, "ci95_hi", jnum(c->sum.ci_hi));
	return o;
}

static json_t *change_json(const struct report_change *ch, bool with_ref)
{
	json_t *o = json_object();

	if (ch->have) {
		json_object_set_new(o, "change_pct", jnum(ch->cmp.change_pct));
		json_object_set_new(o, "ratio", jnum(ch->ratio));
		json_object_set_new(o, "mean_ratio", jnum(ch->cmp.ratio));
		json_object_set_new(o, "welch_t", jnum(ch->cmp.t));
		json_object_set_new(o, "welch_df", jnum(ch->cmp.df));
		json_object_set_new(o, "welch_p", jnum(ch->cmp.p));
		json_object_set_new(o, "verdict", json_string(stats_verdict_name(ch->cmp.verdict)));
		json_object_set_new(o, "noise", json_boolean(ch->cmp.noise));
	} else {
		json_object_set_new(o, "verdict", json_null());
	}
	if (with_ref) {
		json_object_set_new(o, "published_ratio",
		                    ch->have_ref ? jnum(ch->ref_ratio) : json_null());
		json_object_set_new(o, "agrees",
		                    ch->agree == REPORT_AGREE_NONE
		                            ? json_null()
		                            : json_string(agree_word(ch->agree)));
	}
	return o;
}

static json_t *table_json(const struct report_model *m, const struct report_table *t)
{
	json_t *cols = json_array(), *rows = json_array(), *notes = json_array();

	for (size_t w = 0; w < t->workloads.n; w++)
		json_array_append_new(cols, json_pack("{s:s, s:s}", "workload", t->workloads.v[w],
		                                      "title", t->wtitles.v[w]));
	for (size_t b = 0; b < t->nbs; b++) {
		char *label = report_bs_label(t->bs[b]);
		json_t *entries = json_array();

		for (size_t w = 0; w < t->workloads.n; w++) {
			const struct report_entry *e = report_table_entry(t, w, b);
			json_t *paths = json_object(), *changes = json_object();

			for (size_t p = 0; p < m->paths.n; p++)
				json_object_set_new(paths, m->paths.v[p], cell_json(e->cells[p]));
			for (size_t p = 1; p < m->paths.n; p++)
				json_object_set_new(changes, m->paths.v[p],
				                    change_json(&e->changes[p], m->ref != NULL));
			json_array_append_new(entries, json_pack("{s:s, s:o, s:o}", "workload",
			                                         t->workloads.v[w], "paths", paths,
			                                         "changes", changes));
		}
		json_array_append_new(rows, json_pack("{s:s, s:I, s:o}", "bs", label, "bs_bytes",
		                                      (json_int_t)t->bs[b], "entries", entries));
		free(label);
	}
	for (size_t i = 0; i < t->notes.n; i++)
		json_array_append_new(notes, json_string(t->notes.v[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "title", t->title, "unit", "MiB/s", "columns",
	                 cols, "rows", rows, "notes", notes);
}

json_t *report_model_json(const struct report_model *m)
{
	json_t *groups = json_array(), *paths = json_array(), *o;

	for (size_t i = 0; i < m->paths.n; i++)
		json_array_append_new(paths, json_string(m->paths.v[i]));
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct report_group *g = &m->groups[i];
		json_t *tables = json_array();

		for (size_t j = 0; j < g->ntables; j++)
			json_array_append_new(tables, table_json(m, &g->tables[j]));
		json_array_append_new(groups, json_pack("{s:s, s:s, s:s, s:o, s:o}", "kernel",
		                                        g->kernel, "device", g->device, "fs_config",
		                                        g->fs, "provenance", prov_json(&g->prov),
		                                        "tables", tables));
	}
	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:f, s:i}}", "run_id", m->run->info.run_id,
	              "matrix", jstr_or_null(m->run->info.matrix_name), "status",
	              jstr_or_null(m->run->info.status), "paths", paths, "groups", groups,
	              "noise_rule", "alpha", STATS_ALPHA, "min_samples", STATS_MIN_SAMPLES);
	json_object_set_new(o, "baseline", m->paths.n ? json_string(m->paths.v[0]) : json_null());
	json_object_set_new(o, "reference", m->ref ? json_string(m->ref->name) : json_null());
	return o;
}

void report_render(const struct report_model *m, enum report_format f, struct strbuf *out)
{
	json_t *j;
	char *text;

	switch (f) {
	case REPORT_TEXT:
		report_render_text(m, out);
		return;
	case REPORT_MD:
		report_render_md(m, out);
		return;
	case REPORT_CSV:
		report_render_csv(m, out);
		return;
	case REPORT_JSON:
		j = report_model_json(m);
		text = json_dumps(j,
		                  JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		sb_adds(out, text ? text : "null");
		sb_addc(out, '\n');
		free(text);
		json_decref(j);
		return;
	}
}
