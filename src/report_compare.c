// SPDX-License-Identifier: GPL-2.0
/*
 * Run B held against run A, cell by cell: the nightly regression gate.  A
 * regression is a cell B is significantly slower in (Welch, the rule of
 * report_stats.h) by more than the threshold, or a cell B lost: failed, or
 * not measured / not finished where A measured it.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int compare_parse_threshold(const char *s, double *pct)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && *end == '%')
		end++;
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v >= 100)
		return error("--threshold takes a percentage from 0 to 100 such as 5%%, not '%s'",
		             s);
	*pct = v;
	return 0;
}

const char *compare_outcome_name(enum compare_outcome o)
{
	switch (o) {
	case COMPARE_SKIPPED:
		return "skipped";
	case COMPARE_TOO_FEW:
		return "too few samples";
	case COMPARE_NOISE:
		return "noise";
	case COMPARE_FASTER:
		return "faster";
	case COMPARE_SLOWER:
		return "slower, within threshold";
	case COMPARE_REGRESSION:
		return "REGRESSION";
	}
	return "?";
}

static bool cell_set_differs(const struct report_run *a, const struct report_run *b,
                             struct compare_result *res)
{
	for (size_t i = 0; i < a->ncells; i++)
		if (report_run_find(b, a->cells[i].id) < 0)
			sv_push(&res->only_a, a->cells[i].id);
	for (size_t i = 0; i < b->ncells; i++)
		if (report_run_find(a, b->cells[i].id) < 0)
			sv_push(&res->only_b, b->cells[i].id);
	return res->only_a.n || res->only_b.n;
}

static const char *reason_of(const struct report_cell *c)
{
	if (c->reason && *c->reason)
		return c->reason;
	for (size_t i = 0; i < c->nsamples; i++)
		if (!c->samples[i].ok && c->samples[i].failure)
			return c->samples[i].failure;
	return "no reason recorded";
}

/* Cells where at least one side shows no number. */
static void judge_unmeasured(struct compare_row *r)
{
	const struct report_cell *a = r->a, *b = r->b;
	bool ma = report_cell_measured(a);

	if (!strcmp(b->status, "failed")) {
		r->outcome = COMPARE_REGRESSION;
		r->why = xasprintf("failed in B: %s", reason_of(b));
	} else if (ma && !report_cell_measured(b)) {
		/* A kernel that lost the series, a run cut short: the gate must not pass it. */
		r->outcome = COMPARE_REGRESSION;
		r->why = xasprintf("measured in A, %s in B: %s", report_cell_word(b),
		                   !strcmp(b->status, "pending") ? "the run did not finish it"
		                                                 : reason_of(b));
	} else if (!strcmp(a->status, "not-measured") && !strcmp(b->status, "not-measured")) {
		r->outcome = COMPARE_SKIPPED;
		r->why = xasprintf("not measured in either run: %s", reason_of(b));
	} else if (!report_cell_measured(b)) {
		r->outcome = COMPARE_SKIPPED;
		r->why = xasprintf("%s in A, %s in B", report_cell_word(a), report_cell_word(b));
	} else {
		r->outcome = COMPARE_SKIPPED;
		r->why = xasprintf("no baseline: %s in A (%s)", report_cell_word(a), reason_of(a));
	}
}

static void judge(struct compare_row *r, double threshold_pct)
{
	const struct report_cell *a = r->a, *b = r->b;
	double change;

	r->ratio = NAN;
	if (report_cell_measured(a) && report_cell_measured(b) && strcmp(a->path, b->path)) {
		/* One label, two paths (a kernel that took its own path): no figure compares. */
		r->outcome = COMPARE_REGRESSION;
		r->why = xasprintf("ran on %s in A and on %s in B%s: the figures are of different "
		                   "paths; take a new baseline",
		                   a->path, b->path,
		                   b->by_default ? " (the kernel's own path)" : "");
		return;
	}
	if (!report_cell_measured(a) || !report_cell_measured(b) || a->sum.median <= 0 ||
	    stats_compare(a->mibs, a->nok, b->mibs, b->nok, STATS_ALPHA, &r->cmp) < 0) {
		judge_unmeasured(r);
		return;
	}
	r->have = true;
	r->ratio = b->sum.median / a->sum.median;
	change = r->cmp.change_pct;
	if (r->cmp.verdict == STATS_TOO_FEW) {
		r->outcome = COMPARE_TOO_FEW;
		r->why = xasprintf(
		        "%+.1f%%, %zu and %zu samples: %d a side are needed for a verdict", change,
		        a->nok, b->nok, STATS_MIN_SAMPLES);
	} else if (r->cmp.verdict == STATS_NOISE) {
		r->outcome = COMPARE_NOISE;
		r->why = xasprintf("%+.1f%%, within noise (p=%.3g)", change, r->cmp.p);
	} else if (change >= 0) {
		r->outcome = COMPARE_FASTER;
		r->why = xasprintf("%+.1f%%, significant (p=%.3g)", change, r->cmp.p);
	} else if (-change > threshold_pct) {
		r->outcome = COMPARE_REGRESSION;
		r->why = xasprintf("%+.1f%%, significant (p=%.3g), beyond the %g%% threshold",
		                   change, r->cmp.p, threshold_pct);
	} else {
		r->outcome = COMPARE_SLOWER;
		r->why = xasprintf("%+.1f%%, significant (p=%.3g), within the %g%% threshold",
		                   change, r->cmp.p, threshold_pct);
	}
}

int report_compare(const struct report_run *a, const struct report_run *b, double threshold_pct,
                   struct compare_result *res)
{
	memset(res, 0, sizeof(*res));
	res->a = a;
	res->b = b;
	res->threshold_pct = threshold_pct;
	if (cell_set_differs(a, b, res))
		return -1;
	res->rows = xcalloc(a->ncells + 1, sizeof(*res->rows));
	for (size_t i = 0; i < a->ncells; i++) {
		struct compare_row *r = &res->rows[res->nrows++];

		r->a = &a->cells[i];
		r->b = &b->cells[report_run_find(b, a->cells[i].id)];
		judge(r, threshold_pct);
		res->count[r->outcome]++;
	}
	return 0;
}

void compare_result_free(struct compare_result *res)
{
	for (size_t i = 0; i < res->nrows; i++)
		free(res->rows[i].why);
	free(res->rows);
	sv_clear(&res->only_a);
	sv_clear(&res->only_b);
	memset(res, 0, sizeof(*res));
}

int compare_exit_code(const struct compare_result *res)
{
	return res->count[COMPARE_REGRESSION] ? 1 : 0;
}

/* ---- text ---- */

static void run_line(struct strbuf *out, const char *label, const struct report_run *r)
{
	char *cap = report_caption(r, NULL, NULL, NULL);

	sb_addf(out, "%s: %s\n", label, cap);
	free(cap);
}

/* What should be equal for B/A to mean anything; a difference is said, not refused. */
static void differences(struct strbuf *out, const struct compare_result *res)
{
	static const char *const keys[] = {"accelerator", "host", "guest", "fio", "fs config"};
	struct report_prov pa, pb;

	report_provenance(res->a, NULL, NULL, NULL, &pa);
	report_provenance(res->b, NULL, NULL, NULL, &pb);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *va = report_prov_get(&pa, keys[i]), *vb = report_prov_get(&pb, keys[i]);

		if (strcmp(va, vb))
			sb_addf(out, "note: the runs differ in %s: A %s, B %s\n", keys[i], va, vb);
	}
	report_prov_free(&pa);
	report_prov_free(&pb);
}

static char *median_text(const struct report_cell *c)
{
	const char *w = report_cell_word(c);

	return w ? xstrdup(w) : report_fmt_mibs(c->sum.median);
}

void compare_render_text(const struct compare_result *res, struct strbuf *out)
{
	size_t idw = strlen("cell");

	run_line(out, "A", res->a);
	run_line(out, "B", res->b);
	differences(out, res);
	sb_addf(out,
	        "B against A per cell: medians (MiB/s), B/A, Welch p; a regression is B slower "
	        "by more than %g%% with p < %.2f, or a cell B lost.\n\n",
	        res->threshold_pct, STATS_ALPHA);
	for (size_t i = 0; i < res->nrows; i++)
		idw = strlen(res->rows[i].a->id) > idw ? strlen(res->rows[i].a->id) : idw;
	sb_addf(out, "%-*s  %12s  %12s  %6s  %8s  %s\n", (int)idw, "cell", "A", "B", "B/A", "p",
	        "result");
	for (size_t i = 0; i < res->nrows; i++) {
		const struct compare_row *r = &res->rows[i];
		char *ma = median_text(r->a), *mb = median_text(r->b);
		char ratio[32] = "-", p[32] = "-";

		if (r->have) {
			snprintf(ratio, sizeof(ratio), "%.3f", r->ratio);
			if (isfinite(r->cmp.p))
				snprintf(p, sizeof(p), "%.3g", r->cmp.p);
		}
		sb_addf(out, "%-*s  %12s  %12s  %6s  %8s  %s: %s\n", (int)idw, r->a->id, ma, mb,
		        ratio, p, compare_outcome_name(r->outcome), r->why);
		free(ma);
		free(mb);
	}
	sb_addf(out,
	        "\n%zu cells: regressions %zu, slower within %g%% %zu, faster %zu, within "
	        "noise %zu, too few samples %zu, skipped %zu\n",
	        res->nrows, res->count[COMPARE_REGRESSION], res->threshold_pct,
	        res->count[COMPARE_SLOWER], res->count[COMPARE_FASTER], res->count[COMPARE_NOISE],
	        res->count[COMPARE_TOO_FEW], res->count[COMPARE_SKIPPED]);
}

/* ---- JUnit XML ---- */

void xml_escape(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&':
			sb_adds(sb, "&amp;");
			break;
		case '<':
			sb_adds(sb, "&lt;");
			break;
		case '>':
			sb_adds(sb, "&gt;");
			break;
		case '"':
			sb_adds(sb, "&quot;");
			break;
		case '\'':
			sb_adds(sb, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			sb_addc(sb, (char)*p);
			break;
		default:
			/* XML 1.0 has no way to carry the other control characters. */
			if (*p >= 0x20 && *p != 0x7f)
				sb_addc(sb, (char)*p);
		}
	}
}

static void attr(struct strbuf *sb, const char *name, const char *value)
{
	sb_addf(sb, " %s=\"", name);
	xml_escape(sb, value);
	sb_addc(sb, '"');
}

static void property(struct strbuf *sb, const char *name, const char *value)
{
	sb_adds(sb, "      <property");
	attr(sb, "name", name);
	attr(sb, "value", value ? value : "unknown");
	sb_adds(sb, "/>\n");
}

void compare_render_junit(const struct compare_result *res, struct strbuf *out)
{
	char *ca = report_caption(res->a, NULL, NULL, NULL);
	char *cb = report_caption(res->b, NULL, NULL, NULL);
	char *name = xasprintf("iolab compare %s %s", res->a->info.run_id, res->b->info.run_id);
	char *threshold = xasprintf("%g%%", res->threshold_pct);
	char num[64];

	sb_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite");
	attr(out, "name", name);
	snprintf(num, sizeof(num), "%zu", res->nrows);
	attr(out, "tests", num);
	snprintf(num, sizeof(num), "%zu", res->count[COMPARE_REGRESSION]);
	attr(out, "failures", num);
	attr(out, "errors", "0");
	snprintf(num, sizeof(num), "%zu", res->count[COMPARE_SKIPPED]);
	attr(out, "skipped", num);
	sb_adds(out, ">\n    <properties>\n");
	property(out, "run_a", res->a->info.run_id);
	property(out, "run_b", res->b->info.run_id);
	property(out, "provenance_a", ca);
	property(out, "provenance_b", cb);
	property(out, "threshold", threshold);
	sb_adds(out, "    </properties>\n");
	for (size_t i = 0; i < res->nrows; i++) {
		const struct compare_row *r = &res->rows[i];
		char *cls = xasprintf("iolab.%s.%s.%s", r->a->kernel, r->a->device, r->a->fs);
		char *ma = median_text(r->a), *mb = median_text(r->b);
		char *detail = xasprintf("A %s: %s MiB/s (%zu ok samples); B %s: %s MiB/s (%zu ok "
		                         "samples); %s",
		                         res->a->info.run_id, ma, r->a->nok, res->b->info.run_id,
		                         mb, r->b->nok, r->why);

		sb_adds(out, "    <testcase");
		attr(out, "classname", cls);
		attr(out, "name", r->a->id);
		attr(out, "time", "0");
		sb_adds(out, ">\n");
		if (r->outcome == COMPARE_REGRESSION) {
			sb_adds(out, "      <failure");
			attr(out, "message", r->why);
			attr(out, "type", "regression");
			sb_adds(out, ">");
			xml_escape(out, detail);
			sb_adds(out, "</failure>\n");
		} else if (r->outcome == COMPARE_SKIPPED) {
			sb_adds(out, "      <skipped");
			attr(out, "message", r->why);
			sb_adds(out, "/>\n");
		}
		sb_adds(out, "      <system-out>");
		xml_escape(out, detail);
		sb_adds(out, "</system-out>\n    </testcase>\n");
		free(cls);
		free(ma);
		free(mb);
		free(detail);
	}
	sb_adds(out, "  </testsuite>\n</testsuites>\n");
	free(ca);
	free(cb);
	free(name);
	free(threshold);
}
