// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a walk: writes the walk's matrix (the user's cells, one kernel per
 * point), builds the points in order in one object tree, and measures them
 * with the bench runner in rounds that interleave the points; or, for a
 * bisect, builds and measures only the points the search asks for.  A walk
 * is a bench run like any other: its samples, kernels and provenance are in
 * the results store, and meta.walk records the points, their builds and
 * the bisect, so --resume and --show need nothing else.
 */
#include "walk.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_run.h"
#include "cache.h"
#include "json_util.h"
#include "kernel.h"
#include "paths.h"

struct walk {
	const struct walk_opts *o;
	struct bench_opts bo;
	struct runner r;
	json_t *w;     /* meta.walk */
	char *created; /* the run's first "created" */
	bool started;  /* the run is in the store */
	bool bisect;
	char *cell_key; /* bisect: the cell, without its kernel */
	double threshold;
	long rounds;
	size_t nbuilt, ncached, nbroken, nearlier;
	double build_seconds;
};

static json_t *point_json(struct walk *w, size_t i)
{
	return json_array_get(json_object_get(w->w, "points"), i);
}

/* ---- the walk's matrix ---- */

static bool dropped_key(const char *line, const char *const *keys)
{
	size_t n = strcspn(line, "= \t");

	for (size_t i = 0; keys[i]; i++)
		if (strlen(keys[i]) == n && !strncmp(line, keys[i], n))
			return true;
	return false;
}

/*
 * The user's matrix without its kernels (and, for a bisect, without the
 * axes the one cell replaces); the walk's own [matrix] keys and kernels
 * follow.  Comments and fs sections stay as written.
 */
static void copy_matrix_text(const char *text, bool narrow, struct strbuf *out)
{
	static const char *const always[] = {"name", "kernels", "walk", NULL};
	static const char *const axes[] = {"name",        "kernels",    "walk",
	                                   "devices",     "fs_configs", "workloads",
	                                   "block_sizes", "paths",      NULL};
	char *section = xstrdup("");
	bool skip_cont = false;
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n), *t = line + strspn(line, " \t");

		p += n + (p[n] == '\n');
		if (*t == '[') {
			free(section);
			section = xstrndup(t + 1, strcspn(t + 1, "]"));
			skip_cont = false;
		} else if (skip_cont && t != line && *t && *t != ';' && *t != '#') {
			free(line);
			continue; /* an indented continuation of a dropped key */
		} else {
			skip_cont = false;
		}
		if (starts_with(section, "kernel.")) {
			free(line);
			continue;
		}
		if (!strcmp(section, "matrix") && *t != '[' && t == line &&
		    dropped_key(t, narrow ? axes : always)) {
			skip_cont = true;
			free(line);
			continue;
		}
		sb_addf(out, "%s\n", line);
		free(line);
	}
	free(section);
}

static void add_kernel_section(struct strbuf *sb, const struct bench_kernel *tmpl, const char *spec,
                               long upto)
{
	char *name = walk_point_name(upto);

	sb_addf(sb, "\n[kernel.%s]\nsource = %s\n", name,
	        tmpl->source ? tmpl->source : KERNEL_DEFAULT_SOURCE);
	if (upto > 0)
		sb_addf(sb, "series = %s\nupto = %ld\n", spec, upto);
	if (tmpl->configs.n) {
		sb_adds(sb, "config =");
		for (size_t i = 0; i < tmpl->configs.n; i++)
			sb_addf(sb, " %s", tmpl->configs.v[i]);
		sb_addc(sb, '\n');
	}
	free(name);
}

/* Written once under its content's hash: the same walk again finds the same file. */
static char *write_walk_matrix(struct walk *w, const struct matrix *in, const char *spec,
                               const long *upto, size_t npts, const struct cell *cell)
{
	char *text = read_file(in->path, NULL);
	struct strbuf sb = STRBUF_INIT;
	char sha[65], *dir, *path;

	if (!text) {
		error("cannot read %s", in->path);
		return NULL;
	}
	copy_matrix_text(text, cell != NULL, &sb);
	free(text);
	sb_addf(&sb, "\n; Written by iolab walk from %s: the points of %s, one kernel each.\n",
	        in->path, spec);
	sb_addf(&sb, "[matrix]\nname = %s%s\nwalk = %s\nkernels =", in->name, cell ? "-bisect" : "",
	        spec);
	for (size_t i = 0; i < npts; i++) {
		char *n = walk_point_name(upto[i]);

		sb_addf(&sb, " %s", n);
		free(n);
	}
	sb_addc(&sb, '\n');
	if (cell) {
		char *bs = format_size(cell->bs);

		sb_addf(&sb,
		        "devices = %s\nfs_configs = %s\nworkloads = %s\nblock_sizes = %s\n"
		        "paths = %s\n",
		        cell->device, cell->fs, cell->workload->name, bs, cell->path);
		free(bs);
	}
	for (size_t i = 0; i < npts; i++)
		add_kernel_section(&sb, &in->kernels[0], spec, upto[i]);
	sha256_hex(sb.buf, sb.len, sha);
	dir = path_join(w->bo.results, "walks");
	path = xasprintf("%s/%s%s-%.12s.conf", dir, in->name, cell ? "-bisect" : "", sha);
	if (mkdir_p(dir) < 0 || (!path_exists(path) && write_str(path, sb.buf) < 0)) {
		error("cannot write the walk's matrix %s: %s", path, strerror(errno));
		free(path);
		path = NULL;
	}
	free(dir);
	sb_release(&sb);
	return path;
}

/* ---- a new walk: series, points, the walk's matrix ---- */

static int new_walk(struct walk *w)
{
	const struct walk_opts *o = w->o;
	struct matrix in = {0};
	struct ksource src = {0};
	struct series_pick pick = {0};
	struct patch_list pl = {0};
	struct cell *cells = NULL;
	size_t ncells = 0, npts = 0;
	long *upto = NULL;
	char *spec = NULL, *split = NULL, *path = NULL;
	const char *want;
	ssize_t ci = -1;
	int ret = -1;

	if (matrix_load(w->bo.matrix, &in) < 0)
		return -1;
	if (in.walk) {
		error("%s is a walk's own matrix: continue its run with --resume RUN, or give the "
		      "matrix it was written from",
		      in.path);
		goto out;
	}
	if (in.nkernels != 1) {
		error("%s names %zu kernels; a walk takes a matrix with one, whose source and "
		      "config every point shares",
		      in.path, in.nkernels);
		goto out;
	}
	want = o->series ? o->series : in.kernels[0].series;
	if (!want) {
		error("no series to walk: give --series NAME[@vN] or series = in [kernel.%s] of %s",
		      in.kernels[0].name, in.path);
		goto out;
	}
	if (ksource_resolve(in.kernels[0].source ? in.kernels[0].source : KERNEL_DEFAULT_SOURCE,
	                    &src) < 0 ||
	    series_pick(want, src.base, &pick) < 0)
		goto out;
	if (!pick.patches_path) {
		error("%s: a walk needs the series' patches (drop them in %s/, or use "
		      "--patch-store DIR)",
		      pick.missing, pick.s.dir);
		goto out;
	}
	/* Pinned, so every point (and a resumed walk) takes the same version. */
	spec = series_pick_id(&pick);
	split = cache_dir("scratch/walk-split-%ld", (long)getpid());
	if (patches_load(pick.patches_path, split, &pl) < 0)
		goto out;
	if (walk_points_parse(o->at, pl.n, &upto, &npts) < 0)
		goto out;
	if (o->bisect) {
		ncells = matrix_expand(&in, &cells);
		ci = walk_cell_match(cells, ncells, o->bisect);
		if (ci < 0)
			goto out;
		if (npts < 2) {
			error("--bisect needs base and at least one patch among the points");
			goto out;
		}
	}
	path = write_walk_matrix(w, &in, spec, upto, npts, ci >= 0 ? &cells[ci] : NULL);
	if (!path)
		goto out;
	w->bo.matrix = path;
	path = NULL;
	{
		json_t *pts = json_array(), *patches = json_array();

		for (size_t i = 0; i < pl.n; i++)
			json_array_append_new(patches,
			                      json_pack("{s:s, s:s}", "subject", pl.v[i].subject,
			                                "sha256", pl.v[i].sha256));
		for (size_t i = 0; i < npts; i++) {
			char *name = walk_point_name(upto[i]);
			json_t *p = json_pack("{s:s, s:I, s:s}", "name", name, "upto",
			                      (json_int_t)upto[i], "state", "untested");

			if (upto[i] > 0)
				json_object_set_new(p, "subject",
				                    json_string(pl.v[upto[i] - 1].subject));
			json_array_append_new(pts, p);
			free(name);
		}
		w->w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "series", spec, "title",
		                 pick.s.title, "mode", o->bisect ? "bisect" : "walk", "source",
		                 src.identity, "from_matrix", in.path, "patches", patches, "points",
		                 pts);
	}
	if (ci >= 0) {
		w->cell_key = walk_cell_key(cells[ci].id);
		json_object_set_new(w->w, "bisect",
		                    json_pack("{s:s, s:f, s:s, s:[]}", "cell", w->cell_key,
		                              "threshold_pct", w->threshold, "state", "running",
		                              "tested"));
	}
	ret = 0;
out:
	if (split)
		rm_rf(split);
	free(split);
	free(spec);
	free(path);
	free(upto);
	cells_free(cells, ncells);
	patches_free(&pl);
	series_pick_free(&pick);
	ksource_free(&src);
	matrix_free(&in);
	return ret;
}

/* ---- a walk to resume: everything comes from the run ---- */

static int resume_walk(struct walk *w)
{
	const struct walk_opts *o = w->o;
	struct store *st = NULL;
	struct run_info ri = {0};
	char *run_id = NULL, *path = NULL;
	json_t *meta_walk;
	int ret = -1;

	if (o->series || o->at || o->bisect || o->threshold || o->rounds > 0) {
		error("--resume takes the walk's series, points, cell and rounds from the run; "
		      "drop --series, --at, --bisect, --threshold and --rounds");
		return -1;
	}
	if (report_store_open(w->bo.db, &st) < 0)
		return -1;
	if (report_resolve_run(st, w->bo.db, o->resume, &run_id) < 0 ||
	    store_run_info(st, run_id, &ri) < 0)
		goto out;
	meta_walk = json_object_get(ri.meta, "walk");
	if (!json_is_object(meta_walk)) {
		error("run %s is not a walk: resume it with 'iolab bench --resume %s MATRIX'",
		      run_id, run_id);
		goto out;
	}
	/* The walk's matrix as the run stored it; the copy in its directory if it moved. */
	path = ri.matrix_path && path_exists(ri.matrix_path)
	               ? xstrdup(ri.matrix_path)
	               : xasprintf("%s/%s/matrix.conf", w->bo.results, run_id);
	w->w = json_deep_copy(meta_walk);
	w->created = json_string_value(json_object_get(ri.meta, "created"))
	                     ? xstrdup(json_string_value(json_object_get(ri.meta, "created")))
	                     : NULL;
	w->rounds = (long)json_integer_value(json_object_get(meta_walk, "rounds"));
	if (!strcmp(jstr(meta_walk, "mode"), "bisect")) {
		json_t *b = json_object_get(meta_walk, "bisect");

		w->bisect = true;
		w->cell_key = xstrdup(jstr(b, "cell"));
		w->threshold = json_number_value(json_object_get(b, "threshold_pct"));
		/* The search starts over from the stored samples: the same answers again. */
		json_object_set_new(b, "tested", json_array());
		json_object_set_new(b, "state", json_string("running"));
	}
	w->bo.matrix = path;
	path = NULL;
	w->bo.resume = run_id;
	run_id = NULL;
	ret = 0;
out:
	free(path);
	free(run_id);
	run_info_free(&ri);
	store_close(st);
	return ret;
}

/* ---- metadata ---- */

static void save_meta(struct walk *w)
{
	json_t *meta;

	if (!w->started)
		return;
	meta = runner_run_meta(&w->r);
	if (!meta)
		return;
	if (w->created)
		json_object_set_new(meta, "created", json_string(w->created));
	json_object_set(meta, "walk", w->w);
	if (store_set_run_meta(w->r.st, w->r.run_id, meta) == 0)
		runner_save_run_json(&w->r, meta);
	json_decref(meta);
}

static int start_run(struct walk *w)
{
	json_t *meta = runner_run_meta(&w->r);
	int ret;

	if (!meta)
		return error("cannot assemble the walk's metadata");
	if (!w->created)
		w->created = xstrdup(jstr(meta, "created"));
	json_object_set(meta, "walk", w->w);
	ret = runner_start_run(&w->r, meta);
	json_decref(meta);
	if (ret == 0) {
		w->started = true;
		save_meta(w); /* a resumed run gets its walk record refreshed too */
	}
	return ret;
}

/* ---- points: build ---- */

static void mark_cells(struct walk *w, size_t k, const char *status, const char *reason)
{
	const char *name = w->r.m.kernels[k].name;

	for (size_t i = 0; i < w->r.ncells; i++)
		if (!strcmp(w->r.cells[i].kernel, name))
			store_set_cell_status(w->r.st, w->r.run_id, w->r.cells[i].id, status,
			                      reason);
}

/* 0 when point k has its kernel, 1 when it does not build, -1 on a lab error. */
static int build_point(struct walk *w, size_t k)
{
	struct kctx *kc = &w->r.kernels[k];
	const struct bench_kernel *bk = &w->r.m.kernels[k];
	json_t *pj = point_json(w, k);
	size_t npatches = json_array_size(json_object_get(w->w, "patches"));
	struct kernel_opts ko = {0};
	struct kernel_build_result res = {0};
	char *what, *reason;
	int r;

	if (kc->key)
		return 0;
	what = bk->upto ? xasprintf("point %ld/%zu (%s)", bk->upto, npatches, jstr(pj, "subject"))
	                : xstrdup("point base");
	if (!strcmp(jstr(pj, "state"), "broken")) {
		/* Same inputs, same compiler: the run's record stands, no rebuild. */
		printf("%s: does not build (recorded): %s\n", what, jstr(pj, "error"));
		free(what);
		return 1;
	}
	ko.source = bk->source;
	ko.series = bk->series;
	ko.configs = bk->configs;
	ko.series_upto = bk->upto;
	ko.jobs = w->o->jobs;
	info("building %s", what);
	r = kernel_build_ex(&ko, &kc->key, &res);
	if (r < 0) {
		printf("%s: does not build: %s\n", what, res.error);
		json_object_set_new(pj, "state", json_string("broken"));
		json_object_set_new(pj, "seconds", json_real(res.seconds));
		json_object_set_new(pj, "error", json_string(res.error));
		if (res.log)
			json_object_set_new(pj, "log", json_string(res.log));
		reason = xasprintf("does not build: %s", res.error);
		mark_cells(w, k, "not-measured", reason);
		free(reason);
		w->nbroken++;
		kernel_build_result_free(&res);
		save_meta(w);
		free(what);
		return 1;
	}
	kc->meta = kernel_meta(kc->key);
	if (!kc->meta) {
		kernel_build_result_free(&res);
		free(what);
		return -1;
	}
	kc->has_series = json_is_true(
	        json_object_get(json_object_get(kc->meta, "features"), "buffered_iomap"));
	if (res.cache_hit && !strcmp(jstr(pj, "key"), kc->key)) {
		/* A resumed walk: this point was built by the run, keep its build time. */
		printf("%s: %s, kernel %.12s\n", what,
		       !strcmp(jstr(pj, "state"), "built") ? "built earlier in this walk"
		                                           : "cached",
		       kc->key);
		w->nearlier++;
	} else if (res.cache_hit) {
		printf("%s: cached kernel %.12s\n", what, kc->key);
		w->ncached++;
		json_object_set_new(pj, "state", json_string("cached"));
		json_object_set_new(pj, "seconds", json_real(0));
	} else {
		printf("%s: built in %.0f s (kernel %.12s)", what, res.seconds, kc->key);
		if (res.wait_seconds >= 1)
			printf("; waited %.0f s for another build of the slot", res.wait_seconds);
		printf("\n");
		w->nbuilt++;
		w->build_seconds += res.seconds;
		json_object_set_new(pj, "state", json_string("built"));
		json_object_set_new(pj, "seconds", json_real(res.seconds));
		json_object_set_new(pj, "wait_seconds", json_real(res.wait_seconds));
	}
	fflush(stdout);
	json_object_set_new(pj, "key", json_string(kc->key));
	json_object_set_new(pj, "buffered_iomap", json_boolean(kc->has_series));
	runner_mark_cells(&w->r);
	kernel_build_result_free(&res);
	save_meta(w);
	free(what);
	return 0;
}

/* ---- points: measure ---- */

/*
 * Takes the samples of points ks (kernel indices), interleaved in rounds;
 * first_rep and tag as walk_schedule() takes them.
 */
static void measure(struct walk *w, const size_t *ks, const long *first_rep, size_t n, long rounds,
                    const char *tag)
{
	struct bench_group *groups = NULL;
	size_t ng;

	if (!n)
		return;
	ng = walk_schedule(&w->r.m, w->r.cells, w->r.ncells, ks, first_rep, n, rounds, tag,
	                   &groups);
	runner_count_steps(&w->r, groups, ng);
	if (!w->r.t0)
		w->r.t0 = now_seconds();
	for (size_t g = 0; g < ng; g++)
		runner_run_group(&w->r, &groups[g]);
	bench_groups_free(groups, ng);
}

/* The good samples of the bisect's cell at point k, repetitions [from, to), from the store. */
static int cell_samples(struct walk *w, size_t k, long from, long to, double **x, size_t *n)
{
	struct report_run run = {0};
	char *id = xasprintf("%s/%s", w->r.m.kernels[k].name, w->cell_key);
	ssize_t at;

	*x = NULL;
	*n = 0;
	if (report_run_load(w->r.st, w->r.run_id, &run) < 0) {
		free(id);
		return -1;
	}
	at = report_run_find(&run, id);
	*x = xcalloc(at >= 0 ? run.cells[at].nsamples + 1 : 1, sizeof(double));
	for (size_t i = 0; at >= 0 && i < run.cells[at].nsamples; i++) {
		const struct report_sample *smp = &run.cells[at].samples[i];

		if (smp->ok && smp->rep >= from && smp->rep < to)
			(*x)[(*n)++] = smp->mib_s;
	}
	report_run_free(&run);
	free(id);
	return 0;
}

/* ---- the two modes ---- */

static int run_walk(struct walk *w)
{
	size_t *ks = xcalloc(w->r.m.nkernels + 1, sizeof(*ks)), nk = 0;

	for (size_t k = 0; k < w->r.m.nkernels; k++) {
		int r = build_point(w, k);

		if (r < 0) {
			free(ks);
			return -1;
		}
		if (r == 0)
			ks[nk++] = k;
	}
	printf("builds: %zu points, %zu built (%.0f s in all), %zu cached, %zu do not build",
	       w->r.m.nkernels, w->nbuilt, w->build_seconds, w->ncached, w->nbroken);
	if (w->nearlier)
		printf(", %zu as the run left them", w->nearlier);
	printf("\n");
	fflush(stdout);
	measure(w, ks, NULL, nk, w->rounds, NULL);
	free(ks);
	return 0;
}

static const char *bisect_state_name(enum walk_bisect_state s)
{
	switch (s) {
	case WALK_BISECT_RUNNING:
		return "running";
	case WALK_BISECT_FOUND:
		return "found";
	case WALK_BISECT_NO_CHANGE:
		return "no-change";
	case WALK_BISECT_INCONCLUSIVE:
		return "inconclusive";
	}
	return "?";
}

/* What each tested point's verdict rests on, for the report. */
static void record_evidence(struct walk *w, const struct walk_bisect *b, json_t *rec)
{
	json_t *ev = json_object();

	for (size_t k = 0; k < b->n; k++) {
		const struct walk_bisect_point *p = &b->pt[k];
		json_t *e;

		if (p->v == WALK_UNTESTED)
			continue;
		e = json_pack("{s:s, s:I}", "verdict", walk_verdict_name(p->v), "n",
		              (json_int_t)p->n);
		if (p->have_cmp) {
			json_object_set_new(e, "median", json_real(p->cmp.b.median));
			json_object_set_new(e, "base_median", json_real(p->cmp.a.median));
			json_object_set_new(e, "base_n", json_integer((json_int_t)p->cmp.a.n));
			json_object_set_new(e, "change_pct", json_real(p->cmp.change_pct));
			if (isfinite(p->cmp.p))
				json_object_set_new(e, "p", json_real(p->cmp.p));
		} else if (p->n) {
			struct stats_summary sum;

			if (stats_summarize(p->x, p->n, &sum) == 0)
				json_object_set_new(e, "median", json_real(sum.median));
		}
		json_object_set_new(ev, w->r.m.kernels[k].name, e);
	}
	json_object_set_new(rec, "evidence", ev);
}

/*
 * Every step measures base again beside the points it tests, in new
 * repetitions (base's first, second... R of them), and judges them against
 * those: drift of the host between steps then weighs on both sides.
 */
static int run_bisect(struct walk *w)
{
	struct walk_bisect b;
	json_t *rec = json_object_get(w->w, "bisect");
	long reps = w->r.m.repetitions, base_rep = 0;
	size_t out[2], n, step = 0;
	int ret = 0;

	walk_bisect_init(&b, w->r.m.nkernels, w->threshold);
	while ((n = walk_bisect_next(&b, out)) > 0) {
		size_t ks[3] = {0}, nk = 1;
		long first[3] = {base_rep, 0, 0};
		bool first_step = false;

		for (size_t i = 0; i < n; i++) {
			int r = build_point(w, out[i]);

			if (r < 0) {
				ret = -1;
				goto out;
			}
			json_array_append_new(json_object_get(rec, "tested"),
			                      json_string(w->r.m.kernels[out[i]].name));
			if (out[i] == 0)
				first_step = true;
			if (r == 1)
				walk_bisect_feed(&b, out[i], NULL, 0, NULL, 0, true);
			else if (out[i] != 0)
				ks[nk++] = out[i];
		}
		if (b.pt[0].v == WALK_BROKEN)
			continue; /* next() says there is nothing to compare with */
		if (nk == 1 && !first_step)
			continue; /* the point tested does not build: base is not needed */
		{
			char *tag = xasprintf("step%zu", ++step);

			measure(w, ks, first, nk, nk > 1 ? w->rounds : 1, tag);
			free(tag);
		}
		{
			double *bx, *x;
			size_t bn, nx;

			if (cell_samples(w, 0, base_rep, base_rep + reps, &bx, &bn) < 0) {
				ret = -1;
				goto out;
			}
			if (first_step)
				walk_bisect_feed(&b, 0, bx, bn, NULL, 0, false);
			for (size_t i = 1; i < nk; i++) {
				if (cell_samples(w, ks[i], 0, reps, &x, &nx) < 0) {
					free(bx);
					ret = -1;
					goto out;
				}
				walk_bisect_feed(&b, ks[i], x, nx, bx, bn, false);
				free(x);
			}
			free(bx);
		}
		base_rep += reps;
		save_meta(w);
	}
	json_object_set_new(rec, "state", json_string(bisect_state_name(b.state)));
	json_object_set_new(rec, "end", json_string(w->r.m.kernels[b.end].name));
	if (b.why)
		json_object_set_new(rec, "why", json_string(b.why));
	if (b.state == WALK_BISECT_FOUND) {
		json_object_set_new(rec, "first_moved", json_string(w->r.m.kernels[b.hi].name));
		json_object_set_new(rec, "last_same", json_string(w->r.m.kernels[b.lo].name));
	}
	record_evidence(w, &b, rec);
	for (size_t k = 0; k < w->r.m.nkernels; k++)
		if (!strcmp(jstr(point_json(w, k), "state"), "untested"))
			mark_cells(w, k, "not-measured", "not tested by the bisect");
	ret = b.state == WALK_BISECT_FOUND ? 0 : 1;
out:
	walk_bisect_free(&b);
	return ret;
}

/* ---- printing ---- */

static int show(struct store *st, const char *run_id, enum report_format f, const char *plots)
{
	struct report_run run = {0};
	struct walk_table t = {0};
	struct strbuf out = STRBUF_INIT;
	int ret = -1;

	if (report_run_load(st, run_id, &run) < 0)
		return -1;
	if (walk_table_build(&run, &t) == 0) {
		walk_table_render(&t, f, &out);
		walk_bisect_render(&t, f, &out);
		fwrite(out.buf, 1, out.len, stdout);
		fflush(stdout);
		ret = 0;
		if (plots && walk_table_plot(&t, plots) < 0)
			warn("the walk's plot could not be drawn (see above); the table stands");
	}
	sb_release(&out);
	walk_table_free(&t);
	report_run_free(&run);
	return ret;
}

int walk_show(const char *db, const char *run_spec, enum report_format f, const char *plots_dir)
{
	struct store *st = NULL;
	char *run_id = NULL;
	int ret = -1;

	if (report_store_open(db, &st) < 0)
		return -1;
	if (report_resolve_run(st, db, run_spec, &run_id) == 0)
		ret = show(st, run_id, f, plots_dir);
	free(run_id);
	store_close(st);
	return ret;
}

/* ---- the walk ---- */

int walk_run(const struct walk_opts *o, char **run_id)
{
	struct walk w = {.o = o};
	int ret = -1, r;

	w.bo.matrix = o->matrix;
	w.bo.db = o->db;
	w.bo.results = o->results;
	w.bo.accel = o->accel;
	w.bo.runtime = o->runtime;
	w.bo.reps = o->reps;
	w.bo.format = o->format;
	w.rounds = o->rounds;
	w.bisect = o->bisect != NULL;
	if (o->threshold && compare_parse_threshold(o->threshold, &w.threshold) < 0)
		return -1;
	if (!o->threshold)
		compare_parse_threshold(COMPARE_DEFAULT_THRESHOLD, &w.threshold);
	if (o->threshold && !o->bisect && !o->resume)
		return error("--threshold goes with --bisect CELL");
	if ((o->resume ? resume_walk(&w) : new_walk(&w)) < 0)
		goto out;
	w.r.o = &w.bo;
	if (matrix_load(w.bo.matrix, &w.r.m) < 0)
		goto out;
	if (!w.r.m.walk) {
		error("%s is not a walk's matrix (it has no walk = key)", w.r.m.path);
		goto out;
	}
	w.r.tty = isatty(STDERR_FILENO);
	w.r.host = runner_host_model();
	gethostname(w.r.hostname, sizeof(w.r.hostname) - 1);
	if (runner_load(&w.r) < 0 || runner_open_run(&w.r) < 0)
		goto out;
	/* Every round at most one sample per cell: more rounds than repetitions mean nothing. */
	if (w.rounds < 1 || w.rounds > w.r.m.repetitions)
		w.rounds = w.r.m.repetitions;
	json_object_set_new(w.w, "rounds", json_integer(w.rounds));
	if (json_array_size(json_object_get(w.w, "points")) != w.r.m.nkernels) {
		error("run %s's walk record does not match its matrix %s", w.r.run_id, w.r.m.path);
		goto out;
	}
	w.r.kernels = xcalloc(w.r.m.nkernels, sizeof(*w.r.kernels));
	for (size_t k = 0; k < w.r.m.nkernels; k++)
		w.r.kernels[k].bk = &w.r.m.kernels[k];
	printf("walk %s: %s over %zu points, %zu cells each, %ld repetitions in %ld rounds%s%s\n",
	       w.r.run_id, jstr(w.w, "series"), w.r.m.nkernels,
	       w.r.ncells / (w.r.m.nkernels ? w.r.m.nkernels : 1), w.r.m.repetitions, w.rounds,
	       w.bisect ? "; bisect of " : "", w.bisect ? w.cell_key : "");
	fflush(stdout);
	/* The run exists before the first build: a walk killed while building resumes. */
	if (runner_prepare_image(&w.r) < 0 || start_run(&w) < 0)
		goto out;
	r = w.bisect ? run_bisect(&w) : run_walk(&w);
	if (r < 0)
		goto out;
	runner_end_run(&w.r);
	save_meta(&w);
	if (run_id)
		*run_id = xstrdup(w.r.run_id);
	{
		enum report_format f =
		        o->format && !strcmp(o->format, "md") ? REPORT_MD : REPORT_TEXT;
		char *plots = o->plots ? xstrdup(o->plots) : xasprintf("%s/plots", w.r.run_dir);

		if (!o->format || strcmp(o->format, "none")) {
			printf("\n");
			show(w.r.st, w.r.run_id, f, plots);
		}
		free(plots);
	}
	ret = w.r.failed ? 1 : r;
out:
	runner_free(&w.r);
	json_decref(w.w);
	free(w.created);
	free(w.cell_key);
	if (w.bo.matrix != o->matrix)
		free(w.bo.matrix);
	free(w.bo.resume);
	return ret;
}
