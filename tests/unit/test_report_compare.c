// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "report_fixture.h"
#include "util.h"

/*
 * iolab compare's verdicts on fixture runs (report_fixture.h): each fx-* run
 * is fx-base with one cell changed.  The real binary's exit codes and JUnit
 * file are exercised by tests/integration/41-report-compare.sh.
 */

struct env {
	char *dir;
	char *db;
	struct store *st;
};

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));
	char tmpl[] = "/tmp/iolab-test-compare-XXXXXX";

	iolab_quiet = true;
	if (!mkdtemp(tmpl)) {
		free(e);
		return -1;
	}
	e->dir = xstrdup(tmpl);
	e->db = path_join(e->dir, "iolab.db");
	if (fixture_write_all(e->db) < 0 || store_open(e->db, &e->st) < 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	store_close(e->st);
	rm_rf(e->dir);
	free(e->db);
	free(e->dir);
	free(e);
	return 0;
}

struct cmp {
	struct report_run a;
	struct report_run b;
	struct compare_result res;
	int ret;
};

static void compare(struct env *e, const char *a, const char *b, double threshold, struct cmp *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(report_run_load(e->st, a, &c->a), 0);
	assert_int_equal(report_run_load(e->st, b, &c->b), 0);
	c->ret = report_compare(&c->a, &c->b, threshold, &c->res);
}

static void done(struct cmp *c)
{
	compare_result_free(&c->res);
	report_run_free(&c->a);
	report_run_free(&c->b);
}

static const struct compare_row *row(const struct cmp *c, const char *tail)
{
	for (size_t i = 0; i < c->res.nrows; i++)
		if (ends_with(c->res.rows[i].a->id, tail))
			return &c->res.rows[i];
	fail_msg("no row for %s", tail);
	return NULL;
}

static void test_same_run(void **state)
{
	struct cmp c;

	compare(*state, "fx-base", "fx-base", 5, &c);
	assert_int_equal(c.ret, 0);
	assert_int_equal(c.res.nrows, 40);
	assert_int_equal(c.res.count[COMPARE_NOISE], 40);
	assert_int_equal(compare_exit_code(&c.res), 0);
	done(&c);
}

static void test_improvement(void **state)
{
	struct cmp c;
	const struct compare_row *r;

	compare(*state, "fx-base", "fx-faster", 5, &c);
	assert_int_equal(c.ret, 0);
	r = row(&c, "/write_cache/64k/iomap");
	assert_int_equal(r->outcome, COMPARE_FASTER);
	assert_true(fabs(r->ratio - 1.2) < 1e-6);
	assert_int_equal(c.res.count[COMPARE_FASTER], 1);
	assert_int_equal(c.res.count[COMPARE_NOISE], 39);
	assert_int_equal(compare_exit_code(&c.res), 0);
	done(&c);
}

static void test_regression(void **state)
{
	struct cmp c;
	const struct compare_row *r;

	compare(*state, "fx-base", "fx-slower", 5, &c);
	assert_int_equal(c.ret, 0);
	r = row(&c, "/write_cache/64k/iomap");
	assert_int_equal(r->outcome, COMPARE_REGRESSION);
	assert_true(r->have);
	assert_true(r->cmp.p < 0.05);
	assert_true(starts_with(r->why, "-20.0%, significant"));
	assert_int_equal(c.res.count[COMPARE_REGRESSION], 1);
	assert_int_equal(compare_exit_code(&c.res), 1);
	done(&c);
}

/* A kernel that took iomap on its own under the bh label: the gate does not compare paths. */
static void test_path_changed(void **state)
{
	struct env *e = *state;
	struct cmp c = {0};
	const struct compare_row *r;

	assert_int_equal(report_run_load(e->st, "fx-base", &c.a), 0);
	assert_int_equal(report_run_load(e->st, "fx-base", &c.b), 0);
	for (size_t i = 0; i < c.b.ncells; i++)
		if (ends_with(c.b.cells[i].id, "/write_cache/64k/bh")) {
			free(c.b.cells[i].path);
			c.b.cells[i].path = xstrdup("iomap");
			c.b.cells[i].by_default = true;
		}
	c.ret = report_compare(&c.a, &c.b, 5, &c.res);
	assert_int_equal(c.ret, 0);
	r = row(&c, "/write_cache/64k/bh");
	assert_int_equal(r->outcome, COMPARE_REGRESSION);
	assert_false(r->have);
	assert_string_equal(r->why, "ran on bh in A and on iomap in B (the kernel's own path): the "
	                            "figures are of different paths; take a new baseline");
	assert_int_equal(compare_exit_code(&c.res), 1);
	done(&c);
}

static void test_threshold(void **state)
{
	struct cmp c;

	/* 3 % slower and significant: within 5 %, beyond 2 %. */
	compare(*state, "fx-base", "fx-slightly-slower", 5, &c);
	assert_int_equal(row(&c, "/read_hole/4k/bh")->outcome, COMPARE_SLOWER);
	assert_int_equal(compare_exit_code(&c.res), 0);
	done(&c);
	compare(*state, "fx-base", "fx-slightly-slower", 2, &c);
	assert_int_equal(row(&c, "/read_hole/4k/bh")->outcome, COMPARE_REGRESSION);
	assert_int_equal(compare_exit_code(&c.res), 1);
	done(&c);
}

static void test_noise(void **state)
{
	struct cmp c;
	const struct compare_row *r;

	/* 1 % slower with 1 % spread and three repetitions: not told apart. */
	compare(*state, "fx-base", "fx-noise", 0, &c);
	r = row(&c, "/write_cache/64k/iomap");
	assert_int_equal(r->outcome, COMPARE_NOISE);
	assert_true(r->cmp.p >= 0.05);
	assert_int_equal(compare_exit_code(&c.res), 0);
	done(&c);
}

static void test_failed_in_b(void **state)
{
	struct cmp c;
	const struct compare_row *r;

	compare(*state, "fx-base", "fx-failed", 5, &c);
	r = row(&c, "/read_ondisk/1M/iomap");
	assert_int_equal(r->outcome, COMPARE_REGRESSION);
	assert_false(r->have);
	assert_string_equal(r->why, "failed in B: no iomap buffered-I/O tracepoint fired: the "
	                            "iomap path was not in effect");
	assert_int_equal(compare_exit_code(&c.res), 1);
	done(&c);

	/* Failed in A and fine in B is not a regression: there is no baseline. */
	compare(*state, "fx-failed", "fx-base", 5, &c);
	r = row(&c, "/read_ondisk/1M/iomap");
	assert_int_equal(r->outcome, COMPARE_SKIPPED);
	assert_true(starts_with(r->why, "no baseline: failed in A"));
	assert_int_equal(compare_exit_code(&c.res), 0);
	done(&c);
}

static void test_not_measured(void **state)
{
	struct cmp c;
	const struct compare_row *r;

	compare(*state, "fx-no-iomap", "fx-no-iomap-2", 5, &c);
	assert_int_equal(c.res.count[COMPARE_SKIPPED], 20);
	assert_int_equal(c.res.count[COMPARE_NOISE], 20);
	r = row(&c, "/uncached_write/1k/iomap");
	assert_string_equal(r->why, "not measured in either run: kernel has no buffered_iomap");
	assert_int_equal(compare_exit_code(&c.res), 0);
	done(&c);

	/* A kernel that lost the series must not pass the gate. */
	compare(*state, "fx-base", "fx-no-iomap", 5, &c);
	assert_int_equal(c.res.count[COMPARE_REGRESSION], 20);
	r = row(&c, "/uncached_write/1k/iomap");
	assert_string_equal(r->why,
	                    "measured in A, not measured in B: kernel has no buffered_iomap");
	assert_int_equal(compare_exit_code(&c.res), 1);
	done(&c);
}

static void test_mismatched_runs(void **state)
{
	struct cmp c;

	compare(*state, "fx-base", "fx-nvme", 5, &c);
	assert_int_equal(c.ret, -1);
	assert_int_equal(c.res.only_a.n, 40);
	assert_int_equal(c.res.only_b.n, 40);
	assert_string_equal(c.res.only_b.v[0], "default/nvme/4k/write_cache/1k/bh");
	done(&c);

	compare(*state, "fx-base", "fx-two-bs", 5, &c);
	assert_int_equal(c.ret, -1);
	assert_int_equal(c.res.only_a.n, 20);
	assert_int_equal(c.res.only_b.n, 0);
	assert_string_equal(c.res.only_a.v[0], "default/virtio-blk/4k/write_cache/64k/bh");
	done(&c);
}

static void test_too_few(void **state)
{
	struct cmp c;
	const struct compare_row *r;

	/* Half the speed, but two repetitions: no verdict, so no regression either. */
	compare(*state, "fx-base", "fx-few", 5, &c);
	r = row(&c, "/write_cache/64k/iomap");
	assert_int_equal(r->outcome, COMPARE_TOO_FEW);
	assert_true(fabs(r->ratio - 0.5) < 0.01);
	assert_int_equal(c.res.count[COMPARE_TOO_FEW], 40);
	assert_int_equal(compare_exit_code(&c.res), 0);
	done(&c);
}

static void test_parse_threshold(void **state)
{
	double v = -1;

	(void)state;
	assert_int_equal(compare_parse_threshold("5%", &v), 0);
	assert_true(v == 5);
	assert_int_equal(compare_parse_threshold("2.5", &v), 0);
	assert_true(v == 2.5);
	assert_int_equal(compare_parse_threshold("0%", &v), 0);
	assert_true(v == 0);
	assert_int_equal(compare_parse_threshold("-1%", &v), -1);
	assert_int_equal(compare_parse_threshold("5%%", &v), -1);
	assert_int_equal(compare_parse_threshold("abc", &v), -1);
	assert_int_equal(compare_parse_threshold("", &v), -1);
	assert_int_equal(compare_parse_threshold("100%", &v), -1);
	assert_int_equal(compare_parse_threshold("nan", &v), -1);
}

static void test_text_and_junit(void **state)
{
	struct cmp c;
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	size_t n = 0;

	compare(*state, "fx-base", "fx-slower", 5, &c);
	compare_render_text(&c.res, &sb);
	assert_non_null(
	        strstr(sb.buf, "A: run fx-base | kernel 7.3.0-iomap-v3 | kvm | fio-3.39\n"));
	assert_non_null(strstr(sb.buf, "REGRESSION: -20.0%, significant"));
	assert_non_null(strstr(sb.buf, "\n40 cells: regressions 1, slower within 5% 0, faster 0, "
	                               "within noise 39, too few samples 0, skipped 0\n"));
	sb_reset(&sb);
	compare_render_junit(&c.res, &sb);
	assert_true(starts_with(sb.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
	assert_non_null(strstr(sb.buf, "<testsuite name=\"iolab compare fx-base fx-slower\" "
	                               "tests=\"40\" failures=\"1\" errors=\"0\" skipped=\"0\">"));
	for (p = sb.buf; (p = strstr(p, "<testcase ")); p++)
		n++;
	assert_int_equal(n, 40);
	assert_non_null(strstr(sb.buf, "name=\"default/virtio-blk/4k/write_cache/64k/iomap\""));
	assert_non_null(strstr(sb.buf, "<failure message=\"-20.0%, significant"));
	sb_release(&sb);
	done(&c);
}

static void test_xml_escape(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	xml_escape(&sb, "a<b>&\"c'\x01\x1f\t\n\x7f\xe2\x82\xac");
	assert_string_equal(sb.buf, "a&lt;b&gt;&amp;&quot;c&apos;\t\n\xe2\x82\xac");
	sb_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_run),        cmocka_unit_test(test_improvement),
	        cmocka_unit_test(test_regression),      cmocka_unit_test(test_threshold),
	        cmocka_unit_test(test_path_changed),    cmocka_unit_test(test_noise),
	        cmocka_unit_test(test_failed_in_b),     cmocka_unit_test(test_not_measured),
	        cmocka_unit_test(test_mismatched_runs), cmocka_unit_test(test_too_few),
	        cmocka_unit_test(test_parse_threshold), cmocka_unit_test(test_text_and_junit),
	        cmocka_unit_test(test_xml_escape),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
