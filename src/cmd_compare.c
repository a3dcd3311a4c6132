// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opts.h"
#include "report.h"

struct compare_args {
	char *db;
	char *threshold;
	char *junit;
};

static const struct opt compare_opts[] = {
        {"threshold", OPT_STR, offsetof(struct compare_args, threshold), "PCT",
         "how much slower a significant change may be before it is a regression",
         COMPARE_DEFAULT_THRESHOLD, NULL},
        {"junit", OPT_STR, offsetof(struct compare_args, junit), "FILE",
         "also write JUnit XML: one testcase per cell, a failure per regression", NULL, NULL},
        {"db", OPT_STR, offsetof(struct compare_args, db), "PATH", "the results store",
         STORE_DEFAULT_PATH, NULL},
        OPT_END,
};

static const struct cmd_usage compare_usage = {
        "iolab compare [options] RUN_A RUN_B",
        "Holds run B against run A cell by cell (cells matched by id): the ratio of the medians\n"
        "B/A and Welch's t-test.  A regression is a cell B is slower in with p < 0.05 by more\n"
        "than the threshold, or one B lost (failed, or not measured where A measured it).  Not\n"
        "measured on both sides is skipped.  Runs must share their cells.\n"
        "Exit status: 0 no regression, 1 regressions (named), 2 bad input.",
        "examples:\n"
        "  iolab compare 20261120-baseline latest\n"
        "  iolab compare --threshold 3% --junit results/compare.xml nightly-1 nightly-2"};

static int load(struct store *st, const char *db, const char *spec, struct report_run *r)
{
	char *id = NULL;
	int ret = report_resolve_run(st, db, spec, &id);

	if (ret == 0)
		ret = report_run_load(st, id, r);
	free(id);
	return ret;
}

static void list_cells(const char *label, const struct strvec *cells)
{
	const size_t max = 20;

	if (!cells->n)
		return;
	fprintf(stderr, "  only in %s (%zu):\n", label, cells->n);
	for (size_t i = 0; i < cells->n && i < max; i++)
		fprintf(stderr, "    %s\n", cells->v[i]);
	if (cells->n > max)
		fprintf(stderr, "    ... and %zu more\n", cells->n - max);
}

static void name_regressions(const struct compare_result *res)
{
	error("%zu regression%s of %s against %s (threshold %g%%):", res->count[COMPARE_REGRESSION],
	      res->count[COMPARE_REGRESSION] == 1 ? "" : "s", res->b->info.run_id,
	      res->a->info.run_id, res->threshold_pct);
	for (size_t i = 0; i < res->nrows; i++)
		if (res->rows[i].outcome == COMPARE_REGRESSION)
			fprintf(stderr, "  %s: %s\n", res->rows[i].a->id, res->rows[i].why);
}

static int compare(const struct compare_args *a, const char *spec_a, const char *spec_b)
{
	struct store *st = NULL;
	struct report_run ra = {0}, rb = {0};
	struct compare_result res = {0};
	struct strbuf out = STRBUF_INIT;
	double threshold;
	int ret = 2;

	if (compare_parse_threshold(a->threshold, &threshold) < 0 ||
	    report_store_open(a->db, &st) < 0)
		return 2;
	if (load(st, a->db, spec_a, &ra) < 0 || load(st, a->db, spec_b, &rb) < 0)
		goto out;
	if (report_compare(&ra, &rb, threshold, &res) < 0) {
		error("runs %s and %s do not share their cells: compare runs of the same matrix",
		      ra.info.run_id, rb.info.run_id);
		list_cells(ra.info.run_id, &res.only_a);
		list_cells(rb.info.run_id, &res.only_b);
		goto out;
	}
	compare_render_text(&res, &out);
	fwrite(out.buf, 1, out.len, stdout);
	fflush(stdout);
	if (a->junit) {
		sb_reset(&out);
		compare_render_junit(&res, &out);
		if (report_write_output(a->junit, out.buf, out.len) < 0)
			goto out;
	}
	ret = compare_exit_code(&res);
	if (ret)
		name_regressions(&res);
out:
	compare_result_free(&res);
	report_run_free(&ra);
	report_run_free(&rb);
	store_close(st);
	sb_release(&out);
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_args a = {0};
	struct strvec args = STRVEC_INIT;
	int r = opts_parse_args(&compare_usage, compare_opts, &a, argc, argv, 1, &args);

	if (r == 0 && args.n != 2) {
		error("iolab compare takes two runs, A (the baseline) and B, not %zu (see --help)",
		      args.n);
		r = -1;
	}
	if (r == 0)
		r = compare(&a, args.v[0], args.v[1]);
	else
		r = r < 0 ? 2 : 0;
	sv_clear(&args);
	opts_free(compare_opts, &a);
	return r;
}
