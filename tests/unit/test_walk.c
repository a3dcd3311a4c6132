// SPDX-License-Identifier: GPL-2.0
/*
 * Series walks without VMs: point selection, the order of samples, the
 * cell a bisect follows, the per-point table and the bisect search, on
 * fixture results (a point that does not build, a tie, a change of exactly
 * the threshold).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench.h"
#include "report.h"
#include "util.h"
#include "walk.h"

/* ---- points ---- */

static void check_points(const char *at, size_t npatches, const long *want, size_t nwant)
{
	long *v;
	size_t n;

	assert_int_equal(walk_points_parse(at, npatches, &v, &n), 0);
	if (n != nwant)
		fail_msg("--at %s: %zu points, want %zu", at ? at : "(none)", n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], want[i]);
	free(v);
}

static void test_points(void **state)
{
	static const long all[] = {0, 1, 2, 3};
	static const long two[] = {0, 9, 12};
	static const long range[] = {0, 1, 2, 3, 4, 12};
	static const long with_base[] = {0, 3};
	static const char *const bad[] = {"0", "13", "x", "3-1", "2,2", "1-3,2", ",", "4-x", "-3"};
	long *v;
	size_t n;
	char *name;

	(void)state;
	check_points(NULL, 3, all, 4);
	check_points("", 3, all, 4);
	check_points("9,12", 12, two, 3);
	check_points("12 9", 12, two, 3);
	check_points("1-4,12", 12, range, 6);
	check_points("base,3", 12, with_base, 2);
	check_points("3,base", 12, with_base, 2);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (walk_points_parse(bad[i], 12, &v, &n) != -1)
			fail_msg("--at %s was accepted", bad[i]);
		assert_null(v);
	}
	assert_int_equal(walk_points_parse(NULL, 0, &v, &n), -1);

	name = walk_point_name(0);
	assert_string_equal(name, "base");
	free(name);
	name = walk_point_name(12);
	assert_string_equal(name, "p12");
	free(name);
	assert_int_equal(walk_point_upto("base"), 0);
	assert_int_equal(walk_point_upto("p12"), 12);
	assert_int_equal(walk_point_upto("p0"), -1);
	assert_int_equal(walk_point_upto("default"), -1);
	assert_int_equal(walk_point_upto("p3x"), -1);
}

/* ---- a walk's matrix and the order of its samples ---- */

static const char *const walk_matrix = "[matrix]\n"
                                       "name = w\n"
                                       "series = ext4-iomap-buffered-io\n"
                                       "walk = ext4-iomap-buffered-io@v2\n"
                                       "kernels = base p1 p2\n"
                                       "paths = bh iomap\n"
                                       "devices = virtio-blk\n"
                                       "fs_configs = 4k\n"
                                       "workloads = write_cache read_ondisk\n"
                                       "block_sizes = 1M\n"
                                       "file_size = 16M\n"
                                       "runtime = 1\n"
                                       "repetitions = 3\n"
                                       "guest_mem = 1G\n"
                                       "[kernel.base]\n"
                                       "[kernel.p1]\n"
                                       "series = ext4-iomap-buffered-io@v2\n"
                                       "upto = 1\n"
                                       "[kernel.p2]\n"
                                       "series = ext4-iomap-buffered-io@v2\n"
                                       "upto = 2\n";

static void load_walk_matrix(struct matrix *m)
{
	char tmpl[] = "/tmp/iolab-test-walk-XXXXXX";
	char *dir = mkdtemp(tmpl), *f;

	assert_non_null(dir);
	f = path_join(dir, "walk.conf");
	assert_int_equal(write_str(f, walk_matrix), 0);
	assert_int_equal(matrix_load(f, m), 0);
	rm_rf(dir);
	free(f);
}

static void test_walk_matrix(void **state)
{
	struct matrix m;
	json_t *j;

	(void)state;
	load_walk_matrix(&m);
	assert_string_equal(m.walk, "ext4-iomap-buffered-io@v2");
	assert_int_equal(m.nkernels, 3);
	assert_int_equal(m.kernels[0].upto, 0);
	assert_null(m.kernels[0].series);
	assert_int_equal(m.kernels[2].upto, 2);
	j = matrix_to_json(&m);
	assert_string_equal(json_string_value(json_object_get(j, "walk")),
	                    "ext4-iomap-buffered-io@v2");
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(json_object_get(j, "kernels"), 1), "upto")),
	                 1);
	json_decref(j);
	matrix_free(&m);
}

/* "base r0 bh": what a step measures, for comparing orders at a glance. */
static char *step_text(const struct bench_group *g, const struct cell *cells, size_t i)
{
	const struct cell *c = &cells[g->steps[i].cell];

	return xasprintf("%s %s r%d %s", g->kernel, c->workload->name, g->steps[i].rep, c->path);
}

static void test_schedule(void **state)
{
	struct matrix m;
	struct cell *cells;
	struct bench_group *g;
	size_t n, ng, ks[] = {0, 1, 2};
	static const char *const order[] = {"base", "p1",   "p2", "p2", "p1",
	                                    "base", "base", "p1", "p2"};
	int seen[3][8][3] = {{{0}}};

	(void)state;
	load_walk_matrix(&m);
	n = matrix_expand(&m, &cells);
	assert_int_equal(n, 3 * 2 * 2);

	/* Three rounds: every point once per round, the order reversed every other round. */
	ng = walk_schedule(&m, cells, n, ks, NULL, 3, 3, NULL, &g);
	assert_int_equal(ng, 9);
	for (size_t i = 0; i < ng; i++) {
		char *id = xasprintf("%s/virtio-blk/4k/round%zu", order[i], i / 3 + 1);

		assert_string_equal(g[i].kernel, order[i]);
		assert_string_equal(g[i].id, id);
		free(id);
		/* One repetition per round: round r takes rep r of every cell of its point. */
		assert_int_equal(g[i].nsteps, 4);
		for (size_t s = 0; s < g[i].nsteps; s++) {
			const struct cell *c = &cells[g[i].steps[s].cell];
			size_t k = (size_t)walk_point_upto(c->kernel);

			assert_string_equal(c->kernel, g[i].kernel);
			assert_int_equal(g[i].steps[s].rep, (int)(i / 3));
			seen[k][g[i].steps[s].cell % 4][g[i].steps[s].rep]++;
		}
	}
	/* Within a boot the paths alternate, as in a bench: bh, iomap, bh, iomap. */
	{
		static const char *const first[] = {
		        "base write_cache r0 bh", "base write_cache r0 iomap",
		        "base read_ondisk r0 bh", "base read_ondisk r0 iomap"};

		for (size_t s = 0; s < 4; s++) {
			char *t = step_text(&g[0], cells, s);

			assert_string_equal(t, first[s]);
			free(t);
		}
	}
	/* Every (point, cell, rep) exactly once. */
	for (size_t k = 0; k < 3; k++)
		for (size_t c = 0; c < 4; c++)
			for (size_t r = 0; r < 3; r++)
				assert_int_equal(seen[k][c][r], 1);
	bench_groups_free(g, ng);

	/* One round: one boot per point, all repetitions in it, ids without a round. */
	ng = walk_schedule(&m, cells, n, ks, NULL, 3, 1, NULL, &g);
	assert_int_equal(ng, 3);
	assert_string_equal(g[2].id, "p2/virtio-blk/4k");
	assert_int_equal(g[2].nsteps, 12);
	{
		char *t = step_text(&g[2], cells, 3);

		/* bh r0, iomap r0, bh r1, iomap r1... */
		assert_string_equal(t, "p2 write_cache r1 iomap");
		free(t);
	}
	bench_groups_free(g, ng);

	/* Two rounds of three repetitions: one, then two; a subset of the points. */
	ng = walk_schedule(&m, cells, n, (size_t[]){0, 2}, NULL, 2, 2, NULL, &g);
	assert_int_equal(ng, 4);
	assert_string_equal(g[0].kernel, "base");
	assert_string_equal(g[1].kernel, "p2");
	assert_string_equal(g[2].kernel, "p2");
	assert_string_equal(g[3].kernel, "base");
	assert_int_equal(g[0].nsteps, 4);
	assert_int_equal(g[2].nsteps, 8);
	assert_int_equal(g[2].steps[0].rep, 1);
	assert_int_equal(g[2].steps[7].rep, 2);
	bench_groups_free(g, ng);

	/* A bisect's step: base again in new repetitions (3 to 5), tagged; one boot each. */
	ng = walk_schedule(&m, cells, n, (size_t[]){0, 1}, (long[]){3, 0}, 2, 1, "step2", &g);
	assert_int_equal(ng, 2);
	assert_string_equal(g[0].id, "base/virtio-blk/4k/step2");
	assert_int_equal(g[0].nsteps, 12);
	assert_int_equal(g[0].steps[0].rep, 3);
	assert_int_equal(g[0].steps[11].rep, 5);
	assert_int_equal(g[1].steps[0].rep, 0);
	bench_groups_free(g, ng);

	/* More rounds than repetitions: one per repetition. */
	ng = walk_schedule(&m, cells, n, ks, NULL, 3, 10, NULL, &g);
	assert_int_equal(ng, 9);
	bench_groups_free(g, ng);

	/* The cell a bisect follows. */
	assert_int_equal(walk_cell_match(cells, n, "write_cache/1M/bh"), 0);
	assert_int_equal(walk_cell_match(cells, n, "write_cache/1048576/iomap"), 1);
	assert_int_equal(walk_cell_match(cells, n, "virtio-blk/4k/read_ondisk/1M/iomap"), 3);
	assert_int_equal(walk_cell_match(cells, n, "write_cache/1M"), -1);
	assert_int_equal(walk_cell_match(cells, n, "write_cache/4k/bh"), -1);
	assert_int_equal(walk_cell_match(cells, n, "nvme/4k/write_cache/1M/bh"), -1);
	{
		char *k = walk_cell_key(cells[3].id);

		assert_string_equal(k, "virtio-blk/4k/read_ondisk/1M/iomap");
		free(k);
	}
	cells_free(cells, n);
	matrix_free(&m);
}

/* ---- the bisect search ---- */

/*
 * A fixture: point i's cell sits around level[i] times the host's speed at
 * the step that measures it (drift[step], 1 when NULL); broken[i] does not
 * build.  Like the driver, every step after the first measures base again.
 */
struct bisect_fx {
	size_t n;
	const double *level;
	const bool *broken;
	size_t nsamples; /* 3 unless set */
	const double *drift;
};

static void fx_samples(double v, double x[3])
{
	/* Spread +-0.5 %: a move of 5 % is clear, one of 1 % is not. */
	x[0] = v * 0.995;
	x[1] = v;
	x[2] = v * 1.005;
}

/* Runs the search on fixture values; returns the tested points in order through tested. */
static void run_bisect(struct walk_bisect *b, const struct bisect_fx *fx, double thr,
                       size_t *tested, size_t *ntested)
{
	size_t out[2], n, step = 0;

	walk_bisect_init(b, fx->n, thr);
	*ntested = 0;
	while ((n = walk_bisect_next(b, out)) > 0) {
		double speed = fx->drift ? fx->drift[step] : 1, bx[3];
		bool measured = false;

		fx_samples(fx->level[0] * speed, bx);
		for (size_t i = 0; i < n; i++) {
			size_t p = out[i], ns = p == 0 ? 3 : fx->nsamples ? fx->nsamples : 3;
			double x[3];

			assert_true(*ntested < fx->n);
			for (size_t k = 0; k < *ntested; k++)
				if (tested[k] == p)
					fail_msg("point %zu was asked for twice", p);
			tested[(*ntested)++] = p;
			fx_samples(fx->level[p] * speed, x);
			if (fx->broken && fx->broken[p]) {
				walk_bisect_feed(b, p, NULL, 0, NULL, 0, true);
				continue;
			}
			walk_bisect_feed(b, p, x, ns, p == 0 ? NULL : bx, 3, false);
			measured = true;
		}
		step += measured;
	}
}

static size_t log2_ceil(size_t n)
{
	size_t k = 0;

	while (((size_t)1 << k) < n)
		k++;
	return k;
}

static void test_bisect(void **state)
{
	struct walk_bisect b;
	size_t tested[16], nt;

	(void)state;
	/* The integration test's series: patch 2 slows the cell down. */
	{
		static const double lv[] = {100, 100, 70, 70};
		struct bisect_fx fx = {4, lv, NULL, 0, NULL};
		static const size_t order[] = {0, 3, 1, 2};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_FOUND);
		assert_int_equal(b.hi, 2);
		assert_int_equal(b.lo, 1);
		assert_int_equal(b.direction, -1);
		assert_int_equal(nt, 4);
		for (size_t i = 0; i < nt; i++)
			assert_int_equal(tested[i], order[i]);
		assert_true(b.pt[2].have_cmp);
		assert_true(b.pt[2].cmp.change_pct < -29);
		walk_bisect_free(&b);
	}
	/* Twelve patches, the gain at patch 7: O(log n) points. */
	{
		double lv[13];
		struct bisect_fx fx = {13, lv, NULL, 0, NULL};

		for (size_t i = 0; i < 13; i++)
			lv[i] = i < 7 ? 400 : 520;
		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_FOUND);
		assert_int_equal(b.hi, 7);
		assert_int_equal(b.lo, 6);
		assert_int_equal(b.direction, 1);
		assert_true(nt <= 2 + log2_ceil(12));
		assert_int_equal(b.ntested, nt);
		walk_bisect_free(&b);
	}
	/* The middle point does not build: stepped around, the answer is still exact. */
	{
		double lv[13];
		bool br[13] = {false};
		struct bisect_fx fx = {13, lv, br, 0, NULL};

		for (size_t i = 0; i < 13; i++)
			lv[i] = i < 7 ? 400 : 520;
		br[6] = true;
		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_FOUND);
		assert_int_equal(b.hi, 7);
		assert_int_equal(b.pt[6].v, WALK_BROKEN);
		/* Patch 6 could not be told: the move is in 6..7, lo is 5. */
		assert_int_equal(b.lo, 5);
		assert_true(nt <= 3 + log2_ceil(12));
		walk_bisect_free(&b);
	}
	/* A tie with the threshold: exactly -5 % at patch 3 is not beyond 5 %; -20 % at 5 is. */
	{
		static const double lv[] = {100, 100, 100, 95, 95, 80, 80, 80, 80};
		struct bisect_fx fx = {9, lv, NULL, 0, NULL};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_FOUND);
		assert_int_equal(b.hi, 5);
		assert_true(b.pt[3].v == WALK_SAME || b.pt[3].v == WALK_UNTESTED);
		assert_true(b.pt[4].v == WALK_SAME);
		walk_bisect_free(&b);
		/* The same at 4 %: now -5 % counts, and patch 3 is the first that moves. */
		run_bisect(&b, &fx, 4, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_FOUND);
		assert_int_equal(b.hi, 3);
		walk_bisect_free(&b);
	}
	/* Two equal moves: the first one is the answer. */
	{
		static const double lv[] = {100, 100, 120, 120, 120, 120, 120, 120, 120};
		struct bisect_fx fx = {9, lv, NULL, 0, NULL};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.hi, 2);
		walk_bisect_free(&b);
	}
	/* No change across the series: nothing to bisect, two points tested. */
	{
		static const double lv[] = {100, 130, 100, 101};
		struct bisect_fx fx = {4, lv, NULL, 0, NULL};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_NO_CHANGE);
		assert_int_equal(nt, 2);
		assert_non_null(strstr(b.why, "nothing to bisect"));
		walk_bisect_free(&b);
	}
	/* The series' end does not build: the last point that does is the end. */
	{
		static const double lv[] = {100, 100, 70, 70, 0};
		bool br[] = {false, false, false, false, true};
		struct bisect_fx fx = {5, lv, br, 0, NULL};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_FOUND);
		assert_int_equal(b.end, 3);
		assert_int_equal(b.hi, 2);
		walk_bisect_free(&b);
	}
	/* Base does not build: no verdict at all. */
	{
		static const double lv[] = {100, 100, 70};
		bool br[] = {true, false, false};
		struct bisect_fx fx = {3, lv, br, 0, NULL};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_INCONCLUSIVE);
		assert_string_equal(b.why, "base does not build");
		walk_bisect_free(&b);
	}
	/*
	 * The host slows down by a quarter after the first step: against base's
	 * first samples patch 1 would seem to lose 25 %; against base measured
	 * beside it, it does not move, and patch 2 is the answer.
	 */
	{
		static const double lv[] = {100, 100, 60, 60};
		static const double drift[] = {1, 0.75, 0.75, 0.75};
		struct bisect_fx fx = {4, lv, NULL, 0, drift};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_FOUND);
		assert_int_equal(b.hi, 2);
		assert_int_equal(b.pt[1].v, WALK_SAME);
		assert_true(fabs(b.pt[1].cmp.change_pct) < 1);
		assert_true(b.pt[1].cmp.a.median == 75);
		walk_bisect_free(&b);
	}
	/* Too few good samples after base: nothing has a verdict. */
	{
		static const double lv[] = {100, 70, 70};
		struct bisect_fx fx = {3, lv, NULL, 2, NULL};

		run_bisect(&b, &fx, 5, tested, &nt);
		assert_int_equal(b.state, WALK_BISECT_INCONCLUSIVE);
		walk_bisect_free(&b);
	}
}

static void test_moves(void **state)
{
	struct stats_comparison c = {0};

	(void)state;
	c.verdict = STATS_SIGNIFICANT;
	c.change_pct = -5.0;
	assert_false(walk_moves(&c, 5, 0));
	c.change_pct = -5.01;
	assert_true(walk_moves(&c, 5, 0));
	assert_true(walk_moves(&c, 5, -1));
	assert_false(walk_moves(&c, 5, 1));
	c.verdict = STATS_NOISE;
	assert_false(walk_moves(&c, 5, 0));
}

/* ---- the per-point table on fixture results ---- */

static void fx_cell(struct report_run *r, const char *point, const char *path, const char *status,
                    const char *reason, const double *x, size_t n)
{
	struct report_cell *c;

	r->cells = xrealloc(r->cells, (r->ncells + 1) * sizeof(*r->cells));
	c = &r->cells[r->ncells++];
	memset(c, 0, sizeof(*c));
	c->id = xasprintf("%s/virtio-blk/4k/write_cache/4k/%s", point, path);
	c->kernel = xstrdup(point);
	c->device = xstrdup("virtio-blk");
	c->fs = xstrdup("4k");
	c->workload = xstrdup("write_cache");
	c->bs = 4096;
	c->path = xstrdup(path);
	c->status = xstrdup(status);
	c->reason = reason ? xstrdup(reason) : NULL;
	if (n) {
		c->mibs = xcalloc(n, sizeof(double));
		memcpy(c->mibs, x, n * sizeof(double));
		c->nok = n;
		assert_int_equal(stats_summarize(x, n, &c->sum), 0);
	}
}

#define NO_OPTION "kernel has no buffered_iomap"
#define ERROR_LINE                                                                                 \
	"fs/ext4/file.c:340:9: error: 'iolab_walk_delay_us' undeclared (first use in this "        \
	"function)"

/*
 * base, 1, 2, 3 of a three-patch series: 1 ties with base, 2 does not
 * build, 3 is 70 % slower on bh and the first with buffered_iomap.
 */
static void fixture_walk(struct report_run *r, const char *mode)
{
	static const double same[] = {40, 41, 42}, slow[] = {12.0, 12.1, 12.2},
	                    iomap[] = {30, 31, 32};

	memset(r, 0, sizeof(*r));
	r->info.run_id = xstrdup("20261202-120000-walk");
	r->info.meta = json_pack(
	        "{s:s, s:{s:s, s:s, s:s, s:i, s:[{s:s, s:i, s:s, s:f}, {s:s, s:i, s:s, s:s, s:f},"
	        " {s:s, s:i, s:s, s:s, s:f, s:s}, {s:s, s:i, s:s, s:s, s:f}]}}",
	        "run_id", "20261202-120000-walk", "walk", "series", "iolab-walk-test@v1", "title",
	        "iolab walk test series", "mode", mode, "rounds", 3, "points", "name", "base",
	        "upto", 0, "state", "cached", "seconds", 0.0, "name", "p1", "upto", 1, "subject",
	        "ext4: walk test: add a knob", "state", "built", "seconds", 31.4, "name", "p2",
	        "upto", 2, "subject", "ext4: walk test: use the knob | badly", "state", "broken",
	        "seconds", 12.0, "error", ERROR_LINE, "name", "p3", "upto", 3, "subject",
	        "ext4: walk test: delay writes", "state", "built", "seconds", 33.0);
	assert_non_null(r->info.meta);
	fx_cell(r, "base", "bh", "ok", NULL, same, 3);
	fx_cell(r, "base", "iomap", "not-measured", NO_OPTION, NULL, 0);
	fx_cell(r, "p1", "bh", "ok", NULL, same, 3);
	fx_cell(r, "p1", "iomap", "not-measured", NO_OPTION, NULL, 0);
	fx_cell(r, "p2", "bh", "not-measured", "does not build: " ERROR_LINE, NULL, 0);
	fx_cell(r, "p2", "iomap", "not-measured", "does not build: " ERROR_LINE, NULL, 0);
	fx_cell(r, "p3", "bh", "ok", NULL, slow, 3);
	fx_cell(r, "p3", "iomap", "ok", NULL, iomap, 3);
}

static void test_table(void **state)
{
	struct report_run run;
	struct walk_table t;
	struct strbuf text = STRBUF_INIT, md = STRBUF_INIT;
	const struct walk_entry *e;

	(void)state;
	fixture_walk(&run, "walk");
	assert_int_equal(walk_table_build(&run, &t), 0);
	assert_int_equal(t.npoints, 4);
	assert_int_equal(t.ncols, 2);
	assert_string_equal(t.cols[0].key, "virtio-blk/4k/write_cache/4k/bh");
	assert_string_equal(t.cols[0].title, "write cache 4k bh");

	/* The tie: the same samples as base, no change and within noise. */
	e = &t.entries[1 * t.ncols + 0];
	assert_true(e->have_prev && e->have_base);
	assert_true(e->base.change_pct == 0);
	assert_int_equal(e->base.verdict, STATS_NOISE);
	/* After a point that does not build, "previous" is the last one measured. */
	e = &t.entries[3 * t.ncols + 0];
	assert_true(e->have_prev);
	assert_true(e->prev.a.median == 41);
	assert_int_equal(e->prev.verdict, STATS_SIGNIFICANT);
	/* The first iomap figure has nothing to hold it against. */
	e = &t.entries[3 * t.ncols + 1];
	assert_false(e->have_prev || e->have_base);

	walk_table_render(&t, REPORT_TEXT, &text);
	assert_non_null(strstr(text.buf, "Walk of iolab-walk-test@v1: iolab walk test series"));
	assert_non_null(strstr(text.buf, "write cache 4k bh"));
	assert_non_null(strstr(text.buf, "+0.0%~"));
	assert_non_null(strstr(text.buf, "-70.5%"));
	assert_non_null(strstr(text.buf, "no build"));
	assert_non_null(strstr(text.buf, "31 s"));
	assert_non_null(strstr(text.buf, "fails"));
	/* Every figure is traceable: the kernels of the points and the rest, beneath. */
	assert_non_null(strstr(text.buf, "\nprovenance:\n"));
	assert_non_null(strstr(text.buf, "one kernel per point (cache keys: base unknown, p1 "));
	assert_non_null(strstr(text.buf, "no build: patch 2 \"ext4: walk test: use the knob | "
	                                 "badly\" does not build: " ERROR_LINE));
	assert_non_null(strstr(text.buf, "n/a: no buffered_iomap in the kernel at base, 1 "));
	/* Rows line up: every row of the table starts its figures in one column. */
	{
		const char *h = strstr(text.buf, "\npoint  ");
		const char *r3 = strstr(text.buf, "\n3      ext4: walk test: delay writes");

		assert_non_null(h);
		assert_non_null(r3);
		/* Figures are right-aligned: the header's end and the median's end meet. */
		assert_int_equal(strstr(h + 1, "MiB/s") + 5 - (h + 1),
		                 strstr(r3 + 1, "12.1") + 4 - (r3 + 1));
	}

	walk_table_render(&t, REPORT_MD, &md);
	/* IOLAB_TEST_SHOW=1: the two renderings, to look at. */
	if (getenv("IOLAB_TEST_SHOW"))
		fprintf(stderr, "%s\n%s", text.buf, md.buf);
	assert_non_null(strstr(md.buf, "### Walk of iolab-walk-test@v1: iolab walk test series "
	                               "(run 20261202-120000-walk)\n\n"));
	assert_non_null(strstr(md.buf,
	                       "| point | patch                                  |  build | "
	                       "     write cache 4k bh | write cache 4k iomap |\n"));
	assert_non_null(strstr(md.buf,
	                       "| ----- | -------------------------------------- | -----: | "
	                       "---------------------: | -------------------: |\n"));
	assert_non_null(strstr(md.buf,
	                       "| base  | (the base tree)                        | cached | "
	                       "                  41.0 |                  n/a |\n"));
	assert_non_null(strstr(md.buf,
	                       "| 1     | ext4: walk test: add a knob            |   31 s | "
	                       "41.0 (+0.0%~ / +0.0%~) |                  n/a |\n"));
	/* A | in a subject would split the row. */
	assert_non_null(strstr(md.buf,
	                       "| 2     | ext4: walk test: use the knob \\| badly |  fails | "
	                       "              no build |             no build |\n"));
	assert_non_null(strstr(md.buf,
	                       "| 3     | ext4: walk test: delay writes          |   33 s | "
	                       "12.1 (-70.5% / -70.5%) |                 31.0 |\n"));
	assert_non_null(strstr(md.buf, "- no build: patch 2"));

	sb_release(&text);
	sb_release(&md);
	walk_table_free(&t);
	report_run_free(&run);
}

/*
 * A point whose kernel has no path option but takes iomap by itself (the
 * series' "partially enable" patch before its mount option): the bh cell's
 * probes saw iomap, so its figure stands in the iomap column, marked.
 */
static void test_default_path(void **state)
{
	static const double bh[] = {40, 41, 42}, iomap[] = {60, 61, 62};
	struct report_run run;
	struct walk_table t;
	struct strbuf text = STRBUF_INIT;
	struct report_cell *moved;
	const struct walk_entry *e;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.info.run_id = xstrdup("20261202-130000-walk");
	run.info.meta = json_pack("{s:{s:s, s:s, s:i, s:[{s:s, s:i, s:s}, {s:s, s:i, s:s, s:s},"
	                          " {s:s, s:i, s:s, s:s}]}}",
	                          "walk", "series", "t@v1", "mode", "walk", "rounds", 3, "points",
	                          "name", "base", "upto", 0, "state", "cached", "name", "p1",
	                          "upto", 1, "subject", "enable iomap", "state", "built", "name",
	                          "p2", "upto", 2, "subject", "add the option", "state", "built");
	fx_cell(&run, "base", "bh", "ok", NULL, bh, 3);
	fx_cell(&run, "base", "iomap", "not-measured", NO_OPTION, NULL, 0);
	fx_cell(&run, "p1", "bh", "ok", NULL, iomap, 3);
	fx_cell(&run, "p1", "iomap", "not-measured", NO_OPTION, NULL, 0);
	fx_cell(&run, "p2", "bh", "ok", NULL, bh, 3);
	fx_cell(&run, "p2", "iomap", "ok", NULL, iomap, 3);
	/* What report_cell_settle_path() makes of probes that saw iomap. */
	moved = &run.cells[2];
	free(moved->path);
	moved->path = xstrdup("iomap");
	moved->by_default = true;

	assert_int_equal(walk_table_build(&run, &t), 0);
	assert_int_equal(t.ncols, 2);
	e = &t.entries[1 * t.ncols + 0];
	assert_null(e->cell);
	assert_true(e->moved_away);
	e = &t.entries[1 * t.ncols + 1];
	assert_ptr_equal(e->cell, moved);
	/* p2's iomap is held against p1's, the kernel's own choice. */
	e = &t.entries[2 * t.ncols + 1];
	assert_true(e->have_prev);
	assert_true(e->prev.change_pct == 0);
	walk_table_render(&t, REPORT_TEXT, &text);
	assert_non_null(strstr(text.buf, "61.0 (default)"));
	assert_non_null(strstr(text.buf, "(default): at 1 the kernel has no path option"));
	assert_non_null(strstr(text.buf, "n/a: no buffered_iomap in the kernel at base "));
	sb_release(&text);
	walk_table_free(&t);
	report_run_free(&run);
}

/* Many comparisons at once: the note gives the count that noise alone would mark. */
static void test_chance_note(void **state)
{
	static const double x[] = {40, 41, 42};
	struct report_run run;
	struct walk_table t;
	json_t *pts = json_array();
	bool found = false;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.info.run_id = xstrdup("20261202-140000-walk");
	for (int i = 0; i < 12; i++) {
		char *name = i ? xasprintf("p%d", i) : xstrdup("base");

		json_array_append_new(pts, json_pack("{s:s, s:i, s:s, s:s}", "name", name, "upto",
		                                     i, "subject", "a patch", "state", "built"));
		fx_cell(&run, name, "bh", "ok", NULL, x, 3);
		free(name);
	}
	run.info.meta = json_pack("{s:{s:s, s:s, s:i, s:o}}", "walk", "series", "t@v1", "mode",
	                          "walk", "rounds", 3, "points", pts);
	assert_int_equal(walk_table_build(&run, &t), 0);
	/* 11 against the previous point, 10 more against base (point 1's is the same test). */
	for (size_t i = 0; i < t.notes.n; i++)
		found = found ||
		        !strcmp(t.notes.v[i], "chance: 21 comparisons at p < 0.05, so about 1 "
		                              "would be marked on noise alone; 0 are (a move "
		                              "that matters shows against base and on every "
		                              "later point)");
	assert_true(found);
	walk_table_free(&t);
	report_run_free(&run);
}

/* A failed cell's note says what its samples failed on, not only that some did. */
static void test_failed_note(void **state)
{
	struct report_run run;
	struct walk_table t;
	struct report_cell *c;

	(void)state;
	fixture_walk(&run, "walk");
	c = &run.cells[report_run_find(&run, "p3/virtio-blk/4k/write_cache/4k/bh")];
	free(c->status);
	free(c->reason);
	c->status = xstrdup("failed");
	c->reason = xstrdup("not every repetition produced a good sample");
	c->samples = xcalloc(2, sizeof(*c->samples));
	c->nsamples = 2;
	c->samples[0].ok = true;
	c->samples[1].failure = xstrdup("48 iomap buffered-I/O tracepoints fired on a buffer_head "
	                                "cell");
	assert_int_equal(walk_table_build(&run, &t), 0);
	assert_true(sv_contains(&t.notes, "failed: write cache 4k bh at p3: 48 iomap buffered-I/O "
	                                  "tracepoints fired on a buffer_head cell (1 of 2 "
	                                  "samples)"));
	walk_table_free(&t);
	report_run_free(&run);
}

static void test_bisect_report(void **state)
{
	struct report_run run;
	struct walk_table t;
	struct strbuf out = STRBUF_INIT;
	json_t *walk;

	(void)state;
	fixture_walk(&run, "bisect");
	walk = json_object_get(run.info.meta, "walk");
	json_object_set_new(
	        walk, "bisect",
	        json_pack("{s:s, s:f, s:s, s:s, s:s, s:s, s:[s, s, s, s], s:{s:{s:s, s:i}, s:{s:s, "
	                  "s:i, s:f, s:f, s:i, s:f, s:f}, s:{s:s, s:i, s:f, s:f, s:i, s:f, s:f}, "
	                  "s:{s:s, s:i}}}",
	                  "cell", "virtio-blk/4k/write_cache/4k/bh", "threshold_pct", 5.0, "state",
	                  "found", "end", "p3", "first_moved", "p3", "last_same", "p1", "tested",
	                  "base", "p3", "p1", "p2", "evidence", "base", "verdict", "does not move",
	                  "n", 3, "p1", "verdict", "does not move", "n", 3, "median", 41.0,
	                  "base_median", 40.5, "base_n", 3, "change_pct", 1.2, "p", 0.71, "p3",
	                  "verdict", "moves", "n", 3, "median", 12.1, "base_median", 40.0, "base_n",
	                  3, "change_pct", -69.75, "p", 0.0001, "p2", "verdict", "does not build",
	                  "n", 0));
	assert_int_equal(walk_table_build(&run, &t), 0);
	walk_bisect_render(&t, REPORT_TEXT, &out);
	if (getenv("IOLAB_TEST_SHOW"))
		fprintf(stderr, "%s", out.buf);
	assert_non_null(strstr(out.buf, "Bisect of virtio-blk/4k/write_cache/4k/bh, threshold 5%"));
	assert_non_null(strstr(out.buf, "first point that moves: patch 3 \"ext4: walk test: delay "
	                                "writes\""));
	assert_non_null(strstr(out.buf,
	                       "  patch 1: 41.0 MiB/s (n=3) against base 40.5 (n=3) beside "
	                       "it: +1.2% (p=0.710): does not move\n"));
	assert_non_null(strstr(out.buf,
	                       "  patch 3: 12.1 MiB/s (n=3) against base 40.0 (n=3) beside "
	                       "it: -69.8% (p<0.001): moves\n"));
	assert_non_null(strstr(out.buf, ": the series' end\n"));
	/* Patch 2 did not build: the answer is a range. */
	assert_non_null(strstr(out.buf, "the move is in patches 2 to 3"));
	assert_non_null(strstr(out.buf, "tested 4 of 4 points, in this order: base, 3, 1, 2"));
	sb_release(&out);
	walk_table_free(&t);

	/* Not a walk at all: one line says so. */
	json_object_del(run.info.meta, "walk");
	assert_int_equal(walk_table_build(&run, &t), -1);
	walk_table_free(&t);
	report_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_points),      cmocka_unit_test(test_walk_matrix),
	        cmocka_unit_test(test_schedule),    cmocka_unit_test(test_bisect),
	        cmocka_unit_test(test_moves),       cmocka_unit_test(test_table),
	        cmocka_unit_test(test_failed_note), cmocka_unit_test(test_default_path),
	        cmocka_unit_test(test_chance_note), cmocka_unit_test(test_bisect_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
