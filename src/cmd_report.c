// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "opts.h"
#include "report.h"

struct report_args {
	char *db;
	char *format;
	char *reference;
	char *plots;
	char *html;
	bool list;
};

static const struct opt report_opts[] = {
        {"db", OPT_STR, offsetof(struct report_args, db), "PATH", "the results store",
         STORE_DEFAULT_PATH, NULL},
        {"format", OPT_CHOICE, offsetof(struct report_args, format), NULL,
         "how to print the tables: auto is text on a terminal, Markdown otherwise", "auto",
         REPORT_FORMATS},
        {"reference", OPT_STR, offsetof(struct report_args, reference), "NAME|FILE",
         "published figures to hold the run against: a name in bench/reference/ "
         "(cover-letter-v3) or an .ini file",
         NULL, NULL},
        {"plots", OPT_STR, offsetof(struct report_args, plots), "DIR",
         "draw the plots (PNG, SVG and their data) into DIR", NULL, NULL},
        {"html", OPT_STR, offsetof(struct report_args, html), "FILE",
         "also write one self-contained HTML page: tables, plots, metadata, evidence", NULL, NULL},
        {"list", OPT_BOOL, offsetof(struct report_args, list), NULL,
         "list the runs in the store, newest first, and exit", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage report_usage = {
        "iolab report [options] RUN",
        "Prints a stored run as the cover letter's tables: per (kernel, device, fs config),\n"
        "MiB/s (median of the repetitions, with min-max) for bh and iomap side by side, the\n"
        "change, and whether it is within noise (Welch's t-test, p >= 0.05, at least 3\n"
        "samples a side).  Failed and not-measured cells show a word and their reason, never a\n"
        "number.  RUN is a run id, a unique prefix of one, or 'latest'.",
        "examples:\n"
        "  iolab report latest\n"
        "  iolab report latest --format md --reference cover-letter-v3 > tables.md\n"
        "  iolab report 20261121 --plots results/plots --html results/report.html\n"
        "  iolab report --list"};

static int list_runs(struct store *st)
{
	struct run_info *runs;
	size_t n;

	if (store_list_runs(st, &runs, &n) < 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		printf("%-40s %-22s %-9s %s\n", runs[i].run_id,
		       runs[i].created ? runs[i].created : "-",
		       runs[i].status ? runs[i].status : "-",
		       runs[i].matrix_name ? runs[i].matrix_name : "-");
	if (!n)
		info("the store holds no runs yet: 'iolab bench' makes one");
	run_infos_free(runs, n);
	return 0;
}

static struct reference *load_reference(const char *spec)
{
	char *dir;
	struct reference *ref;

	if (strchr(spec, '/') || ends_with(spec, ".ini"))
		return reference_load_file(spec);
	dir = reference_dir();
	if (!dir) {
		error("bench/reference/ not found beside the iolab binary; set %s or give a file",
		      REFERENCE_ENV);
		return NULL;
	}
	ref = reference_load(dir, spec);
	free(dir);
	return ref;
}

static int write_html(const struct report_model *m, const struct report_args *a)
{
	struct report_figures figs = {0};
	char tmpl[] = "/tmp/iolab-report-XXXXXX";
	const char *dir = a->plots;
	struct strbuf page = STRBUF_INIT;
	int ret = -1;

	/* The page inlines the SVGs: without --plots they are drawn in a scratch directory. */
	if (!dir) {
		if (!mkdtemp(tmpl))
			return error("cannot make a scratch directory for the plots in /tmp");
		dir = tmpl;
	}
	if (report_plots(m, dir, &figs) == 0 && report_render_html(m, &figs, a->html, &page) == 0)
		ret = report_write_output(a->html, page.buf, page.len);
	if (ret == 0)
		info("HTML report written to %s", a->html);
	if (!a->plots)
		rm_rf(tmpl);
	report_figures_free(&figs);
	sb_release(&page);
	return ret;
}

static int write_plots(const struct report_model *m, const char *dir)
{
	struct report_figures figs = {0};
	int ret = report_plots(m, dir, &figs);

	if (ret == 0)
		info("%zu plots drawn into %s", figs.n, dir);
	report_figures_free(&figs);
	return ret;
}

static int report(const struct report_args *a, const char *spec)
{
	struct store *st = NULL;
	struct reference *ref = NULL;
	struct report_run run = {0};
	struct report_model m = {0};
	enum report_format f;
	struct strbuf out = STRBUF_INIT;
	char *run_id = NULL;
	int ret = 2;

	if (report_format_parse(a->format, isatty(STDOUT_FILENO), &f) < 0)
		return 2;
	if (report_store_open(a->db, &st) < 0)
		return 2;
	if (a->list) {
		ret = list_runs(st);
		goto out;
	}
	if (report_resolve_run(st, a->db, spec, &run_id) < 0)
		goto out;
	if (a->reference && !(ref = load_reference(a->reference)))
		goto out;
	ret = 1;
	if (report_run_load(st, run_id, &run) < 0)
		goto out;
	report_model_build(&run, ref, &m);
	report_render(&m, f, &out);
	fwrite(out.buf, 1, out.len, stdout);
	fflush(stdout);
	if (a->plots && !a->html && write_plots(&m, a->plots) < 0)
		goto out;
	if (a->html && write_html(&m, a) < 0)
		goto out;
	ret = 0;
out:
	report_model_free(&m);
	report_run_free(&run);
	reference_free(ref);
	store_close(st);
	sb_release(&out);
	free(run_id);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = {0};
	struct strvec args = STRVEC_INIT;
	int r = opts_parse_args(&report_usage, report_opts, &a, argc, argv, 1, &args);

	if (r == 0 && args.n > 1) {
		error("iolab report takes one run, not %zu (see --help)", args.n);
		r = -1;
	} else if (r == 0 && !args.n && !a.list) {
		error("iolab report needs a run: an id, a unique prefix or 'latest' "
		      "('iolab report --list' shows them)");
		r = -1;
	}
	if (r == 0)
		r = report(&a, args.n ? args.v[0] : NULL);
	else
		r = r < 0 ? 2 : 0;
	sv_clear(&args);
	opts_free(report_opts, &a);
	return r;
}
