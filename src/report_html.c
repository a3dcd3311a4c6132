// SPDX-License-Identifier: GPL-2.0
/*
 * The report as one HTML file a browser opens from disk: no script, no
 * fetched resource, the plots' SVG inlined.  Every string from the store,
 * the metadata or a plot title goes through html_escape().
 */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void html_escape(struct strbuf *sb, const char *s)
{
	/* XML's five entities serve HTML as well; one escaper for both outputs. */
	xml_escape(sb, s);
}

static void esc(struct strbuf *sb, const char *s)
{
	html_escape(sb, s);
}

/* A path as a URL path: unreserved characters and '/' stay, the rest is %XX. */
static void url_path(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			sb_addc(sb, (char)*p);
		else
			sb_addf(sb, "%%%02X", *p);
	}
}

/* An absolute path's components with "." dropped and ".." applied, as text. */
static void components(const char *abs, struct strvec *out)
{
	struct strvec raw = STRVEC_INIT;

	sv_split(&raw, abs, "/");
	for (size_t i = 0; i < raw.n; i++) {
		if (!strcmp(raw.v[i], "."))
			continue;
		if (!strcmp(raw.v[i], "..")) {
			if (out->n)
				free(out->v[--out->n]);
			if (out->v)
				out->v[out->n] = NULL;
			continue;
		}
		sv_push(out, raw.v[i]);
	}
	sv_clear(&raw);
}

/* target relative to the directory of from (both as the shell would resolve them). */
static char *relative_to(const char *from, const char *target)
{
	char *f = abs_path(from), *t = abs_path(target);
	struct strvec fd = STRVEC_INIT, td = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t common = 0;

	components(f, &fd);
	components(t, &td);
	/* The page's own name is not a directory to climb out of. */
	if (fd.n)
		free(fd.v[--fd.n]);
	if (fd.v)
		fd.v[fd.n] = NULL;
	while (common < fd.n && common + 1 < td.n && !strcmp(fd.v[common], td.v[common]))
		common++;
	for (size_t i = common; i < fd.n; i++)
		sb_adds(&sb, "../");
	for (size_t i = common; i < td.n; i++)
		sb_addf(&sb, "%s%s", i > common ? "/" : "", td.v[i]);
	sv_clear(&fd);
	sv_clear(&td);
	free(f);
	free(t);
	return sb_detach(&sb);
}

static void file_link(struct strbuf *sb, const char *html_path, const char *target,
                      const char *label)
{
	char *rel;
	bool there;

	if (!target || !*target) {
		sb_adds(sb, "-");
		return;
	}
	rel = relative_to(html_path, target);
	there = path_exists(target);
	sb_adds(sb, "<a href=\"");
	{
		struct strbuf u = STRBUF_INIT;

		url_path(&u, rel);
		esc(sb, u.buf);
		sb_release(&u);
	}
	sb_addf(sb, "\"%s title=\"", there ? "" : " class=\"missing\"");
	esc(sb, target);
	if (!there)
		sb_adds(sb, " (not found when this page was made)");
	sb_adds(sb, "\">");
	esc(sb, label);
	sb_adds(sb, "</a>");
	free(rel);
}

static const char style[] =
        "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1280px;"
        "padding:0 1em;color:#222}"
        "h1{font-size:1.6em}h2{border-bottom:2px solid #3b6fb6;padding-bottom:.2em;"
        "margin-top:2em}h3{margin-top:1.6em}"
        "table{border-collapse:collapse;margin:.6em 0}"
        "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}"
        "div.scroll{overflow-x:auto}table.results td,table.results th{white-space:nowrap}"
        "thead th{background:#eef2f8;text-align:center}tbody th{background:#f7f7f7}"
        "td small{color:#666;display:block}"
        "td.failed{background:#fbe3e3;color:#8a1f1f}td.not-measured,td.pending,td.absent,"
        "td.no-samples{background:#f1f1f1;color:#555}"
        "td.noise{color:#777}td.sig-up{color:#1d6b2a}td.sig-down{color:#9a2b1b}"
        "dl.prov{display:grid;grid-template-columns:max-content auto;gap:.15em 1em}"
        "dl.prov dt{font-weight:600}dl.prov dd{margin:0;overflow-wrap:anywhere}"
        "figure{margin:1.2em 0}figure svg.plot{width:100%;height:auto;max-width:960px;"
        "border:1px solid #ddd}figcaption{color:#444}"
        "details{margin:.2em 0;border:1px solid #e2e2e2;padding:.2em .6em}"
        "details summary{cursor:pointer}details table{font-size:.92em}"
        "details td,details th{text-align:left}code{font-size:.9em;overflow-wrap:anywhere}"
        "a.missing{color:#999}p.legend,ul.notes{color:#444;font-size:.95em}";

static void prov_html(struct strbuf *sb, const struct report_prov *p)
{
	sb_adds(sb, "<dl class=\"prov\">\n");
	for (size_t i = 0; i < p->keys.n; i++) {
		sb_adds(sb, "<dt>");
		esc(sb, p->keys.v[i]);
		sb_adds(sb, "</dt><dd>");
		esc(sb, p->values.v[i]);
		sb_adds(sb, "</dd>\n");
	}
	sb_adds(sb, "</dl>\n");
}

static size_t cell_index(const struct report_model *m, const struct report_cell *c)
{
	return (size_t)(c - m->run->cells);
}

static const char *cell_class(const struct report_cell *c)
{
	const char *w = report_cell_word(c);

	if (!w)
		return "ok";
	if (!strcmp(w, "not measured"))
		return "not-measured";
	if (!strcmp(w, "no samples"))
		return "no-samples";
	if (!strcmp(w, "-"))
		return "absent";
	return w; /* failed, pending */
}

static void value_td(struct strbuf *sb, const struct report_model *m, const struct report_cell *c)
{
	char *v;

	sb_addf(sb, "<td class=\"%s\">", cell_class(c));
	if (!report_cell_measured(c)) {
		if (c)
			sb_addf(sb, "<a href=\"#cell-%zu\">", cell_index(m, c));
		esc(sb, report_cell_word(c));
		sb_adds(sb, c ? "</a></td>" : "</td>");
		return;
	}
	v = report_fmt_mibs(c->sum.median);
	sb_addf(sb, "<a href=\"#cell-%zu\">%s</a>", cell_index(m, c), v);
	free(v);
	if (c->nok > 1) {
		char *lo = report_fmt_mibs(c->sum.min), *hi = report_fmt_mibs(c->sum.max);

		sb_addf(sb, "<small>%s&ndash;%s</small>", lo, hi);
		free(lo);
		free(hi);
	}
	sb_adds(sb, "</td>");
}

static void change_td(struct strbuf *sb, const struct report_change *ch)
{
	if (!ch->have) {
		sb_adds(sb, "<td>-</td>");
		return;
	}
	sb_addf(sb, "<td class=\"%s\">%+.1f%%",
	        ch->cmp.verdict != STATS_SIGNIFICANT ? "noise"
	        : ch->cmp.change_pct >= 0            ? "sig-up"
	                                             : "sig-down",
	        ch->cmp.change_pct);
	if (ch->cmp.verdict == STATS_NOISE)
		sb_adds(sb, " ~");
	else if (ch->cmp.verdict == STATS_TOO_FEW)
		sb_adds(sb, " ?");
	if (isfinite(ch->cmp.p) && ch->cmp.p < 0.001)
		sb_adds(sb, "<small>p&lt;0.001</small>");
	else if (isfinite(ch->cmp.p))
		sb_addf(sb, "<small>p=%.3f</small>", ch->cmp.p);
	sb_adds(sb, "</td>");
}

static void ref_tds(struct strbuf *sb, const struct report_change *ch)
{
	static const char *const words[] = {"-", "yes", "no", "unsure"};

	if (ch->have)
		sb_addf(sb, "<td>%.2f</td>", ch->ratio);
	else
		sb_adds(sb, "<td>-</td>");
	if (ch->have_ref)
		sb_addf(sb, "<td>%.2f</td>", ch->ref_ratio);
	else
		sb_adds(sb, "<td>-</td>");
	sb_addf(sb, "<td>%s</td>", words[ch->agree]);
}

static void table_html(struct strbuf *sb, const struct report_model *m,
                       const struct report_table *t)
{
	size_t np = m->paths.n;
	size_t per = np + (np - 1) + (m->ref ? 3 * (np - 1) : 0);

	sb_adds(sb, "<h3>");
	esc(sb, t->title);
	sb_adds(sb, " (MiB/s)</h3>\n<div class=\"scroll\"><table class=\"results\">\n"
	            "<thead><tr><th rowspan=\"2\">bs</th>");
	for (size_t w = 0; w < t->workloads.n; w++) {
		sb_addf(sb, "<th colspan=\"%zu\">", per);
		esc(sb, t->wtitles.v[w]);
		sb_adds(sb, "</th>");
	}
	sb_adds(sb, "</tr>\n<tr>");
	for (size_t w = 0; w < t->workloads.n; w++) {
		for (size_t p = 0; p < np; p++) {
			sb_adds(sb, "<th>");
			esc(sb, m->paths.v[p]);
			sb_adds(sb, "</th>");
		}
		for (size_t p = 1; p < np; p++) {
			sb_adds(sb, "<th>");
			if (np > 2)
				esc(sb, m->paths.v[p]);
			sb_adds(sb, np > 2 ? " change</th>" : "change</th>");
		}
		for (size_t p = 1; m->ref && p < np; p++) {
			sb_adds(sb, "<th>");
			esc(sb, m->paths.v[p]);
			sb_adds(sb, "/");
			esc(sb, m->paths.v[0]);
			sb_adds(sb, "</th><th>published</th><th>agrees</th>");
		}
	}
	sb_adds(sb, "</tr></thead>\n<tbody>\n");
	for (size_t b = 0; b < t->nbs; b++) {
		char *label = report_bs_label(t->bs[b]);

		sb_addf(sb, "<tr><th>%s</th>", label);
		free(label);
		for (size_t w = 0; w < t->workloads.n; w++) {
			const struct report_entry *e = report_table_entry(t, w, b);

			for (size_t p = 0; p < np; p++)
				value_td(sb, m, e->cells[p]);
			for (size_t p = 1; p < np; p++)
				change_td(sb, &e->changes[p]);
			for (size_t p = 1; m->ref && p < np; p++)
				ref_tds(sb, &e->changes[p]);
		}
		sb_adds(sb, "</tr>\n");
	}
	sb_adds(sb, "</tbody></table></div>\n");
	sb_addf(sb,
	        "<p class=\"legend\">MiB/s: median of the ok samples, min&ndash;max beneath. "
	        "Change: the median against %s's; ~ within noise (Welch p &ge; %.2f), ? fewer "
	        "than %d samples a side (no verdict).",
	        np ? m->paths.v[0] : "bh", STATS_ALPHA, STATS_MIN_SAMPLES);
	if (m->ref) {
		sb_adds(sb, " Published: the ratio in ");
		esc(sb, m->ref->name);
		sb_adds(sb, "; agrees: the change goes the published way (unsure: ours is noise "
		            "or has too few samples).");
	}
	sb_adds(sb, "</p>\n");
	if (t->notes.n) {
		sb_adds(sb, "<ul class=\"notes\">\n");
		for (size_t i = 0; i < t->notes.n; i++) {
			sb_adds(sb, "<li>");
			esc(sb, t->notes.v[i]);
			sb_adds(sb, "</li>\n");
		}
		sb_adds(sb, "</ul>\n");
	}
}

/*
 * gnuplot names the same ids (gpPt0, gnuplot_canvas...) in every SVG: in one
 * document they would collide, so each figure's ids get its own prefix.
 */
static void add_svg(struct strbuf *sb, const char *svg, size_t fig, const char *title)
{
	const char *start = strstr(svg, "<svg");
	static const char *const refs[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
	char *prefix = xasprintf("f%zu-", fig);
	const char *p;

	if (!start) {
		free(prefix);
		return;
	}
	sb_adds(sb, "<svg class=\"plot\" role=\"img\" aria-label=\"");
	esc(sb, title);
	sb_addc(sb, '"');
	p = start + 4;
	while (*p) {
		size_t k;

		if (!strncmp(p, "<title>Gnuplot</title>", 22)) {
			sb_adds(sb, "<title>");
			esc(sb, title);
			sb_adds(sb, "</title>");
			p += 22;
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(refs) && strncmp(p, refs[k], strlen(refs[k])); k++)
			;
		if (k < ARRAY_SIZE(refs)) {
			sb_adds(sb, refs[k]);
			sb_adds(sb, prefix);
			p += strlen(refs[k]);
			continue;
		}
		sb_addc(sb, *p++);
	}
	sb_addc(sb, '\n');
	free(prefix);
}

static int figures_html(struct strbuf *sb, const struct report_figures *figs, ssize_t group)
{
	for (size_t i = 0; figs && i < figs->n; i++) {
		const struct report_figure *f = &figs->v[i];
		char *path, *svg;

		if (f->group != group)
			continue;
		path = xasprintf("%s.svg", f->base);
		svg = read_file(path, NULL);
		if (!svg) {
			error("cannot read the plot %s for the HTML page", path);
			free(path);
			return -1;
		}
		sb_addf(sb, "<figure id=\"fig-%zu\" class=\"%s\">\n", i, f->kind);
		add_svg(sb, svg, i, f->title);
		sb_adds(sb, "<figcaption>");
		esc(sb, f->title);
		sb_adds(sb, "<br><small>");
		esc(sb, f->caption);
		sb_adds(sb, "</small></figcaption>\n</figure>\n");
		free(svg);
		free(path);
	}
	return 0;
}

static void json_value_html(struct strbuf *sb, json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		esc(sb, json_string_value(v));
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	sb_adds(sb, "<code>");
	esc(sb, text ? text : "?");
	sb_adds(sb, "</code>");
	free(text);
}

static void evidence_html(struct strbuf *sb, const struct report_sample *s)
{
	const char *key;
	json_t *v;

	if (!json_is_object(s->evidence) || !json_object_size(s->evidence)) {
		sb_adds(sb, "none stored");
		return;
	}
	sb_adds(sb, "<dl class=\"prov\">");
	json_object_foreach(s->evidence, key, v)
	{
		sb_adds(sb, "<dt>");
		esc(sb, key);
		sb_adds(sb, "</dt><dd>");
		json_value_html(sb, v);
		sb_adds(sb, "</dd>");
	}
	sb_adds(sb, "</dl>");
}

static void cell_details(struct strbuf *sb, const struct report_model *m,
                         const struct report_cell *c, const char *html_path)
{
	const char *word = report_cell_word(c);

	sb_addf(sb, "<details id=\"cell-%zu\"><summary><code>", cell_index(m, c));
	esc(sb, c->id);
	sb_adds(sb, "</code> &mdash; ");
	if (word) {
		esc(sb, word);
		if (c->reason) {
			sb_adds(sb, ": ");
			esc(sb, c->reason);
		}
	} else {
		char *v = report_fmt_mibs(c->sum.median);

		sb_addf(sb, "%s MiB/s, %zu ok sample%s", v, c->nok, c->nok == 1 ? "" : "s");
		free(v);
	}
	sb_adds(sb, "</summary>\n");
	if (!c->nsamples) {
		sb_adds(sb, "<p>No samples stored.</p></details>\n");
		return;
	}
	sb_adds(sb, "<table><thead><tr><th>rep</th><th>result</th><th>MiB/s</th><th>fio</th>"
	            "<th>accel</th><th>host</th><th>raw</th><th>evidence</th></tr></thead>"
	            "<tbody>\n");
	for (size_t i = 0; i < c->nsamples; i++) {
		const struct report_sample *s = &c->samples[i];

		sb_addf(sb, "<tr><td>%d</td><td>", s->rep);
		/* A failed cell shows no number anywhere, its good repetitions' included. */
		if (s->ok && word) {
			sb_addf(sb, "ok</td><td>not shown: the cell is %s</td>", word);
		} else if (s->ok) {
			sb_addf(sb, "ok</td><td>%.1f</td>", s->mib_s);
		} else {
			sb_adds(sb, "failed: ");
			esc(sb, s->failure ? s->failure : "no reason recorded");
			sb_adds(sb, "</td><td>-</td>");
		}
		sb_adds(sb, "<td>");
		esc(sb, s->fio_version ? s->fio_version : "unknown");
		sb_adds(sb, "</td><td>");
		esc(sb, s->accel ? s->accel : "unknown");
		sb_adds(sb, "</td><td>");
		esc(sb, s->host ? s->host : "unknown");
		sb_adds(sb, "</td><td>");
		file_link(sb, html_path, s->json_path, "fio JSON");
		sb_adds(sb, " ");
		file_link(sb, html_path, s->job_path, "job");
		sb_adds(sb, "</td><td>");
		evidence_html(sb, s);
		sb_adds(sb, "</td></tr>\n");
	}
	sb_adds(sb, "</tbody></table></details>\n");
}

static bool cell_in(const struct report_cell *c, const struct report_group *g)
{
	return !strcmp(c->kernel, g->kernel) && !strcmp(c->device, g->device) &&
	       !strcmp(c->fs, g->fs);
}

int report_render_html(const struct report_model *m, const struct report_figures *figs,
                       const char *html_path, struct strbuf *out)
{
	const struct report_run *r = m->run;
	bool any_sweep = false;

	sb_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	             "<title>iolab report: ");
	esc(out, r->info.run_id);
	sb_addf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>iolab report: run ", style);
	esc(out, r->info.run_id);
	sb_adds(out, "</h1>\n<p>Matrix ");
	esc(out, r->info.matrix_name ? r->info.matrix_name : "unknown");
	sb_addf(out, ", %zu cells", r->ncells);
	if (m->ref) {
		const char *subj = reference_source(m->ref, "subject");

		sb_adds(out, "; held against ");
		esc(out, m->ref->name);
		if (subj) {
			sb_adds(out, " (&ldquo;");
			esc(out, subj);
			sb_adds(out, "&rdquo;)");
		}
	}
	sb_adds(out, ".</p>\n<nav><ul>\n");
	for (size_t gi = 0; gi < m->ngroups; gi++) {
		const struct report_group *g = &m->groups[gi];

		sb_addf(out, "<li><a href=\"#group-%zu\">kernel ", gi);
		esc(out, g->kernel);
		sb_adds(out, ", ");
		esc(out, g->device);
		sb_adds(out, ", fs ");
		esc(out, g->fs);
		sb_adds(out, "</a></li>\n");
	}
	for (size_t i = 0; figs && i < figs->n; i++)
		any_sweep |= figs->v[i].group < 0;
	if (any_sweep)
		sb_adds(out,
		        "<li><a href=\"#sweeps\">sweeps across devices and fs configs</a></li>\n");
	sb_adds(out, "</ul></nav>\n");

	for (size_t gi = 0; gi < m->ngroups; gi++) {
		const struct report_group *g = &m->groups[gi];

		sb_addf(out, "<section id=\"group-%zu\">\n<h2>Kernel ", gi);
		esc(out, g->kernel);
		sb_adds(out, ", ");
		esc(out, g->device);
		sb_adds(out, ", fs ");
		esc(out, g->fs);
		sb_adds(out, "</h2>\n");
		for (size_t ti = 0; ti < g->ntables; ti++)
			table_html(out, m, &g->tables[ti]);
		sb_adds(out, "<h3>Provenance</h3>\n");
		prov_html(out, &g->prov);
		sb_adds(out, "<h3>Plots</h3>\n");
		if (figures_html(out, figs, (ssize_t)gi) < 0)
			return -1;
		sb_adds(out, "<h3>Evidence per cell</h3>\n<p>Each sample with the evidence that it "
		             "ran on its cell's path (mount options, iomap tracepoint counts, page "
		             "cache), and its raw fio output.</p>\n");
		for (size_t i = 0; i < r->ncells; i++)
			if (cell_in(&r->cells[i], g))
				cell_details(out, m, &r->cells[i], html_path);
		sb_adds(out, "</section>\n");
	}
	if (any_sweep) {
		sb_adds(out, "<section id=\"sweeps\">\n<h2>Sweeps</h2>\n");
		if (figures_html(out, figs, -1) < 0)
			return -1;
		sb_adds(out, "</section>\n");
	}
	sb_adds(out, "<footer><p>Made by <code>iolab report</code>");
	if (json_is_string(json_object_get(r->info.meta, "iolab_version"))) {
		sb_adds(out, " (run recorded by iolab ");
		esc(out, json_string_value(json_object_get(r->info.meta, "iolab_version")));
		sb_adds(out, ")");
	}
	sb_adds(out, ".</p></footer>\n</body>\n</html>\n");
	return 0;
}
