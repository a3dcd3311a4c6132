// SPDX-License-Identifier: GPL-2.0
/*
 * A run as self-contained jobs, one per VM group: plan writes them, run-job
 * runs one anywhere the cache is shared, collect merges their results.  The
 * schedulers people already have (Slurm, a CI matrix, or N local processes)
 * decide where jobs run; the lab only checks that what comes back belongs to
 * the plan.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_jobs.h"
#include "bench_resources.h"
#include "bench_run.h"
#include "cache.h"
#include "image.h"
#include "json_util.h"
#include "paths.h"
#include "run_command.h"

#define PLAN_FORMAT   "iolab-plan-1"
#define JOB_FORMAT    "iolab-job-1"
#define RESULT_FORMAT "iolab-job-result-1"

static int save_json(const char *path, json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	int ret = write_str(path, text);

	free(text);
	if (ret < 0)
		return error("cannot write %s: %s", path, strerror(errno));
	return 0;
}

static json_t *load_json(const char *path, const char *format)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);

	if (!j) {
		error("%s: not a readable JSON file (%s)", path, err.text);
		return NULL;
	}
	if (format && strcmp(jstr(j, "format"), format)) {
		error("%s: not an %s file (format '%s')", path, format, jstr(j, "format"));
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- plan ---- */

static json_t *job_json(struct runner *r, const struct bench_group *g, size_t idx,
                        const char *matrix_text)
{
	const struct kctx *k = runner_kernel_of(r, g->kernel);
	json_t *steps = json_array();
	char job_id[32];

	snprintf(job_id, sizeof(job_id), "job-%03zu", idx);
	for (size_t i = 0; i < g->nsteps; i++)
		json_array_append_new(steps,
		                      json_pack("{s:s, s:i}", "cell", r->cells[g->steps[i].cell].id,
		                                "rep", g->steps[i].rep));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:b}, s:s, s:I, s:I, "
	                 "s:o}",
	                 "format", JOB_FORMAT, "run_id", r->run_id, "job_id", job_id, "group_id",
	                 g->id, "matrix_name", r->m.name, "matrix_sha256", r->m.sha256,
	                 "matrix_text", matrix_text, "kernel", "name", k->bk->name, "key", k->key,
	                 "has_series", k->has_series, "image_key", r->image_key, "runtime",
	                 (json_int_t)r->m.runtime, "repetitions", (json_int_t)r->m.repetitions,
	                 "steps", steps);
}

/*
 * What the plan's VMs need, said before anything is built.  The local
 * executor runs them on this host, -j at a time: refused here when they do
 * not fit.  Jobs for other hosts (--plan alone, Slurm) run one VM each and
 * are checked by --run-job where they land; here the numbers are shown,
 * with a warning when this host could not take even one.
 */
static int plan_resources(long local_vms, const struct matrix *m, json_t **json)
{
	bool local = local_vms > 0;
	long groups = (long)(m->devices.n * m->nfs * m->nkernels);
	long vms = local_vms > 1 ? local_vms : 1;
	char *summary, *why;
	bool refused;

	if (vms > groups)
		vms = groups;
	if (bench_resources_eval(m, vms, &summary, &why, json) < 0)
		return -1;
	refused = why && local;
	if (refused) {
		error("%s", why);
	} else {
		printf("matrix %s%s: %s\n", m->name, local ? "" : ", per job (one VM each)",
		       summary);
		fflush(stdout);
		if (why)
			warn("a job would not fit on this host: %s", why);
	}
	free(summary);
	free(why);
	return refused ? -1 : 0;
}

int bench_plan(const struct bench_opts *o, const char *outdir, long local_vms,
               struct bench_plan_info *info_out)
{
	struct runner r = {.o = o};
	char *matrix_text = NULL, *jobs_dir = NULL;
	json_t *plan = NULL, *jobs, *meta, *resources = NULL;
	int ret = -1;

	if (matrix_load(o->matrix, &r.m) < 0)
		return -1;
	if (runner_load(&r) < 0)
		goto out;
	if (plan_resources(local_vms, &r.m, &resources) < 0)
		goto out;
	if (runner_prepare_kernels(&r) < 0 || runner_prepare_image(&r) < 0)
		goto out;
	if (store_open(o->db ? o->db : STORE_DEFAULT_PATH, &r.st) < 0)
		goto out;
	r.run_id = store_new_run_id(r.st, r.m.name);
	matrix_text = read_file(r.m.path, NULL);
	jobs_dir = xasprintf("%s/jobs", outdir);
	if (!matrix_text || mkdir_p(jobs_dir) < 0) {
		error("cannot read %s or create %s", r.m.path, jobs_dir);
		goto out;
	}
	r.ngroups = bench_schedule(&r.m, r.cells, r.ncells, &r.groups);
	meta = runner_run_meta(&r);
	if (store_create_run(r.st, r.run_id, &r.m, meta) < 0 ||
	    store_add_cells(r.st, r.run_id, r.cells, r.ncells) < 0) {
		json_decref(meta);
		goto out;
	}
	runner_mark_cells(&r);
	store_set_run_status(r.st, r.run_id, "planned");
	jobs = json_array();
	plan = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:o, s:O}", "format", PLAN_FORMAT,
	                 "run_id", r.run_id, "matrix_path", r.m.path, "matrix_sha256", r.m.sha256,
	                 "image_key", r.image_key, "run_meta", meta, "cells", (json_int_t)r.ncells,
	                 "jobs", jobs, "resources", resources);
	for (size_t i = 0; i < r.ngroups; i++) {
		json_t *job = job_json(&r, &r.groups[i], i, matrix_text);
		char *file = xasprintf("%s/%s.json", jobs_dir, jstr(job, "job_id"));

		if (save_json(file, job) < 0) {
			json_decref(job);
			free(file);
			goto out;
		}
		json_array_append_new(
		        jobs, json_pack("{s:s, s:s, s:s, s:O, s:s, s:I}", "job_id",
		                        jstr(job, "job_id"), "group_id", r.groups[i].id, "file",
		                        file, "kernel", json_object_get(job, "kernel"), "image_key",
		                        r.image_key, "steps", (json_int_t)r.groups[i].nsteps));
		json_decref(job);
		free(file);
	}
	{
		char *p = xasprintf("%s/plan.json", outdir);

		ret = save_json(p, plan);
		free(p);
	}
	if (ret == 0 && info_out) {
		info_out->run_id = xstrdup(r.run_id);
		info_out->njobs = r.ngroups;
	}
out:
	json_decref(plan);
	json_decref(resources);
	free(matrix_text);
	free(jobs_dir);
	runner_free(&r);
	return ret;
}

/* ---- run-job ---- */

/* The job's matrix, written out and loaded: the job file is all a host needs. */
static int job_matrix(json_t *job, const char *outdir, struct matrix *m)
{
	char *path = xasprintf("%s/matrix.conf", outdir);
	int ret = -1;

	if (write_str(path, jstr(job, "matrix_text")) < 0) {
		error("cannot write %s", path);
	} else if (matrix_load(path, m) == 0) {
		if (strcmp(m->sha256, jstr(job, "matrix_sha256")))
			error("the job's matrix text does not match its hash: the job file was "
			      "edited");
		else
			ret = 0;
	}
	free(path);
	return ret;
}

static int job_kernel(struct runner *r, json_t *jk)
{
	const char *name = jstr(jk, "name"), *key = jstr(jk, "key");
	char *dir = kernel_dir(key);
	const struct bench_kernel *bk = matrix_kernel(&r->m, name);

	if (!dir || !bk) {
		free(dir);
		return error(
		        "kernel %s (%.12s) is not in the cache at %s: jobs need the cache on a "
		        "path every host shares (--cache DIR)",
		        name, key, cache_root());
	}
	free(dir);
	r->m.nkernels = 1;
	/* The job runs one kernel of the matrix; keep only its entry. */
	if (bk != &r->m.kernels[0]) {
		struct bench_kernel tmp = r->m.kernels[0];

		r->m.kernels[0] = *bk;
		*(struct bench_kernel *)bk = tmp;
	}
	r->kernels = xcalloc(1, sizeof(*r->kernels));
	r->kernels[0].bk = &r->m.kernels[0];
	r->kernels[0].key = xstrdup(key);
	r->kernels[0].meta = kernel_meta(key);
	r->kernels[0].has_series = json_is_true(json_object_get(jk, "has_series"));
	return r->kernels[0].meta ? 0 : -1;
}

/* Only the job's cells, and the job's steps as indices into them. */
static int job_cells(struct runner *r, json_t *job, struct bench_group *g)
{
	struct cell *all = r->cells;
	size_t nall = r->ncells, n = 0;
	json_t *steps = json_object_get(job, "steps"), *st;
	size_t i;

	r->cells = xcalloc(nall, sizeof(*r->cells));
	for (size_t k = 0; k < nall; k++) {
		if (!strcmp(all[k].group_id, jstr(job, "group_id")))
			r->cells[n++] = all[k];
		else {
			free(all[k].id);
			free(all[k].group_id);
		}
	}
	free(all);
	r->ncells = n;
	g->id = xstrdup(jstr(job, "group_id"));
	g->steps = xcalloc(json_array_size(steps) + 1, sizeof(*g->steps));
	json_array_foreach(steps, i, st)
	{
		ssize_t c = cells_find(r->cells, r->ncells, jstr(st, "cell"));

		if (c < 0)
			return error("job step %zu names cell %s, which is not in its group", i,
			             jstr(st, "cell"));
		g->steps[g->nsteps].cell = (size_t)c;
		g->steps[g->nsteps++].rep = (int)json_integer_value(json_object_get(st, "rep"));
	}
	if (!n)
		return error("the job's group %s has no cells in its matrix", g->id);
	g->kernel = r->cells[0].kernel;
	g->device = r->cells[0].device;
	g->fs = r->cells[0].fs;
	return 0;
}

int bench_run_job(const struct bench_opts *o, const char *job_path, const char *outdir)
{
	struct runner r = {.o = o};
	struct bench_group g = {0};
	json_t *job = load_json(job_path, JOB_FORMAT), *result = NULL;
	char *db = NULL, *started = iso_time_now(), *needs = NULL;
	int ret = -1;

	r.tty = isatty(STDERR_FILENO);
	if (!job)
		goto out;
	if (mkdir_p(outdir) < 0) {
		error("cannot create %s: %s", outdir, strerror(errno));
		goto out;
	}
	if (job_matrix(job, outdir, &r.m) < 0)
		goto out;
	/* Jobs land on hosts the plan never saw: each checks its own before it boots. */
	if (bench_resources_check(&r.m, 1, &needs) < 0)
		goto out;
	info("job %s: %s", jstr(job, "job_id"), needs);
	r.m.runtime = (long)json_integer_value(json_object_get(job, "runtime"));
	r.m.repetitions = (long)json_integer_value(json_object_get(job, "repetitions"));
	if (runner_load_series(&r) < 0 || job_kernel(&r, json_object_get(job, "kernel")) < 0)
		goto out;
	r.image_key = xstrdup(jstr(job, "image_key"));
	{
		char *img = image_path(r.image_key);

		if (!img) {
			error("image %.12s is not in the cache at %s: jobs need the cache on a "
			      "path "
			      "every host shares (--cache DIR)",
			      r.image_key, cache_root());
			goto out;
		}
		free(img);
	}
	r.image_meta = image_meta(r.image_key);
	r.ncells = matrix_expand(&r.m, &r.cells);
	if (job_cells(&r, job, &g) < 0)
		goto out;
	r.run_id = xstrdup(jstr(job, "run_id"));
	/* Absolute, so the paths stored with each sample hold wherever collect runs. */
	r.run_dir = abs_path(outdir);
	r.host = runner_host_model();
	gethostname(r.hostname, sizeof(r.hostname) - 1);
	db = xasprintf("%s/results.db", outdir);
	if (store_open(db, &r.st) < 0)
		goto out;
	{
		if (store_has_run(r.st, r.run_id) != 1) {
			json_t *meta = runner_run_meta(&r);

			if (store_create_run(r.st, r.run_id, &r.m, meta) < 0) {
				json_decref(meta);
				goto out;
			}
			json_decref(meta);
		}
	}
	if (store_add_cells(r.st, r.run_id, r.cells, r.ncells) < 0)
		goto out;
	runner_mark_cells(&r);
	for (size_t i = 0; i < g.nsteps; i++)
		if (strcmp(r.cells[g.steps[i].cell].path, "iomap") || r.kernels[0].has_series)
			r.total++;
	info("job %s: group %s, %zu samples", jstr(job, "job_id"), g.id, r.total);
	r.t0 = now_seconds();
	runner_run_group(&r, &g);
	runner_finish_cells(&r);
	{
		char hostname[256] = "unknown";
		char *finished = iso_time_now();
		char *p = xasprintf("%s/job-result.json", outdir);

		gethostname(hostname, sizeof(hostname) - 1);
		result = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
		                   "format", RESULT_FORMAT, "run_id", r.run_id, "job_id",
		                   jstr(job, "job_id"), "group_id", g.id, "matrix_sha256",
		                   r.m.sha256, "kernel_key", r.kernels[0].key, "image_key",
		                   r.image_key, "host", hostname, "started", started, "finished",
		                   finished, "samples", (json_int_t)r.taken, "failed",
		                   (json_int_t)r.failed);
		ret = save_json(p, result);
		free(p);
		free(finished);
	}
	if (ret == 0)
		ret = r.failed ? 1 : 0;
out:
	json_decref(job);
	json_decref(result);
	free(g.id);
	free(g.steps);
	free(db);
	free(started);
	free(needs);
	runner_free(&r);
	return ret;
}

/* ---- collect ---- */

struct settle_ctx {
	struct store *st;
	const char *run_id;
	long reps;
	struct strvec ok, failed;
};

static int settle_cell(const struct stored_cell *c, void *arg)
{
	struct settle_ctx *x = arg;
	long good = 0;

	if (!strcmp(c->status, "not-measured"))
		return 0;
	for (long rep = 0; rep < x->reps; rep++)
		good += store_have_sample(x->st, x->run_id, c->cell_id, (int)rep) == 1;
	sv_push(good == x->reps ? &x->ok : &x->failed, c->cell_id);
	return 0;
}

/* A cell is ok when every repetition has a good sample; otherwise it failed. */
static void settle_cells(struct store *st, const char *run_id, long reps)
{
	struct settle_ctx x = {.st = st, .run_id = run_id, .reps = reps};

	store_load_cells(st, run_id, settle_cell, &x);
	for (size_t i = 0; i < x.ok.n; i++)
		store_set_cell_status(st, run_id, x.ok.v[i], "ok", NULL);
	for (size_t i = 0; i < x.failed.n; i++)
		store_set_cell_status(st, run_id, x.failed.v[i], "failed",
		                      "not every repetition produced a good sample");
	sv_clear(&x.ok);
	sv_clear(&x.failed);
}

struct found_result {
	char *dir;
	json_t *result;
};

static void find_results(const char *dir, int depth, struct found_result **v, size_t *n)
{
	char *p = xasprintf("%s/job-result.json", dir);
	DIR *d;
	struct dirent *de;

	if (path_exists(p)) {
		json_t *j = load_json(p, RESULT_FORMAT);

		if (j) {
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[*n].dir = xstrdup(dir);
			(*v)[(*n)++].result = j;
		}
		free(p);
		return;
	}
	free(p);
	if (depth <= 0 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = path_join(dir, de->d_name);

		if (is_dir(sub))
			find_results(sub, depth - 1, v, n);
		free(sub);
	}
	closedir(d);
}

struct copy_ctx {
	struct store *dst;
	const char *dir;
	const char *host;
	size_t copied;
	int ret;
};

static char *rebase(const char *dir, const char *path)
{
	if (!path || !*path || path[0] == '/')
		return xstrdup(path ? path : "");
	return path_join(dir, path);
}

static int copy_sample(const struct stored_cell *c, const struct sample *s, void *arg)
{
	struct copy_ctx *x = arg;
	struct sample t = *s;
	char *job = rebase(x->dir, s->job_path), *js = rebase(x->dir, s->json_path);
	int r;

	(void)c;
	t.job_path = job;
	t.json_path = js;
	r = store_add_sample(x->dst, &t);
	free(job);
	free(js);
	if (r < 0)
		return x->ret = -1;
	x->copied++;
	return 0;
}

static int check_result(json_t *plan, json_t *res, const char *dir, json_t **plan_job)
{
	json_t *jobs = json_object_get(plan, "jobs"), *j;
	size_t i;

	if (strcmp(jstr(res, "run_id"), jstr(plan, "run_id")))
		return error("%s: result of run %s, not of the planned run %s", dir,
		             jstr(res, "run_id"), jstr(plan, "run_id"));
	if (strcmp(jstr(res, "matrix_sha256"), jstr(plan, "matrix_sha256")))
		return error("%s: job %s ran another matrix (hash %.12s, planned %.12s)", dir,
		             jstr(res, "job_id"), jstr(res, "matrix_sha256"),
		             jstr(plan, "matrix_sha256"));
	json_array_foreach(jobs, i, j)
	{
		if (strcmp(jstr(j, "job_id"), jstr(res, "job_id")))
			continue;
		if (strcmp(jstr(json_object_get(j, "kernel"), "key"), jstr(res, "kernel_key")))
			return error("%s: job %s ran kernel %.12s, the plan names %.12s", dir,
			             jstr(res, "job_id"), jstr(res, "kernel_key"),
			             jstr(json_object_get(j, "kernel"), "key"));
		if (strcmp(jstr(j, "image_key"), jstr(res, "image_key")))
			return error("%s: job %s ran image %.12s, the plan names %.12s", dir,
			             jstr(res, "job_id"), jstr(res, "image_key"),
			             jstr(j, "image_key"));
		*plan_job = j;
		return 0;
	}
	return error("%s: job %s is not in the plan", dir, jstr(res, "job_id"));
}

int bench_collect(const struct bench_opts *o, const char *plan_dir, const char *const *dirs,
                  size_t ndirs)
{
	char *plan_path = xasprintf("%s/plan.json", plan_dir);
	json_t *plan = load_json(plan_path, PLAN_FORMAT), *seen = json_object();
	struct found_result *found = NULL;
	size_t nfound = 0, copied = 0;
	struct store *st = NULL;
	int ret = -1, missing = 0;
	json_t *j;
	size_t i;

	if (!plan)
		goto out;
	for (size_t d = 0; d < ndirs; d++)
		find_results(dirs[d], 3, &found, &nfound);
	/* Refuse everything before writing anything. */
	for (size_t k = 0; k < nfound; k++) {
		json_t *pj = NULL;
		const char *id = jstr(found[k].result, "job_id");

		if (check_result(plan, found[k].result, found[k].dir, &pj) < 0)
			goto out;
		if (json_object_get(seen, id)) {
			error("job %s was collected twice: %s and %s; remove one", id,
			      json_string_value(json_object_get(seen, id)), found[k].dir);
			goto out;
		}
		json_object_set_new(seen, id, json_string(found[k].dir));
	}
	if (store_open(o->db ? o->db : STORE_DEFAULT_PATH, &st) < 0)
		goto out;
	{
		const char *run_id = jstr(plan, "run_id");

		if (store_has_run(st, run_id) != 1) {
			/* Collected into another store than the plan's: carry the run over. */
			struct matrix m;

			if (matrix_load(jstr(plan, "matrix_path"), &m) < 0)
				goto out;
			if (store_create_run(st, run_id, &m, json_object_get(plan, "run_meta")) <
			    0) {
				matrix_free(&m);
				goto out;
			}
			matrix_free(&m);
		}
	}
	if (store_batch_begin(st) < 0)
		goto out;
	for (size_t k = 0; k < nfound; k++) {
		char *db = xasprintf("%s/results.db", found[k].dir);
		struct store *src = NULL;
		struct copy_ctx x = {.dst = st, .dir = found[k].dir};

		if (store_open(db, &src) < 0) {
			free(db);
			store_batch_end(st, false);
			goto out;
		}
		store_load_samples(src, jstr(plan, "run_id"), copy_sample, &x);
		store_close(src);
		free(db);
		if (x.ret < 0) {
			store_batch_end(st, false);
			goto out;
		}
		copied += x.copied;
	}
	if (store_batch_end(st, true) < 0)
		goto out;
	json_array_foreach(json_object_get(plan, "jobs"), i, j)
	{
		if (json_object_get(seen, jstr(j, "job_id")))
			continue;
		if (!missing++)
			fprintf(stderr, "iolab: missing job results:\n");
		fprintf(stderr, "  %s (%s): %s\n", jstr(j, "job_id"), jstr(j, "group_id"),
		        jstr(j, "file"));
	}
	printf("collected %zu job results (%zu samples) into run %s%s\n", nfound, copied,
	       jstr(plan, "run_id"), missing ? "; some jobs are missing (see above)" : "");
	ret = missing ? 1 : 0;
out:
	if (st && ret >= 0)
		settle_cells(st, jstr(plan, "run_id"),
		             (long)json_integer_value(json_object_get(
		                     json_object_get(json_object_get(plan, "run_meta"), "matrix"),
		                     "repetitions")));
	if (st)
		store_close(st);
	for (size_t k = 0; k < nfound; k++) {
		free(found[k].dir);
		json_decref(found[k].result);
	}
	free(found);
	json_decref(plan);
	json_decref(seen);
	free(plan_path);
	return ret;
}

/* ---- executors ---- */

static void job_argv(struct strvec *a, const struct bench_opts *o, const char *job, const char *out)
{
	char *self = exe_dir();

	sv_pushf(a, "%s/iolab", self);
	sv_pushf(a, "--cache=%s", cache_root());
	sv_push(a, "bench");
	sv_push(a, "run-job");
	if (o->accel)
		sv_pushf(a, "--accel=%s", o->accel);
	sv_pushf(a, "--out=%s", out);
	sv_push(a, job);
	free(self);
}

static int run_local(const struct bench_opts *o, json_t *plan, const char *plan_dir, long n)
{
	json_t *jobs = json_object_get(plan, "jobs"), *j;
	size_t next = 0, total = json_array_size(jobs), running = 0, failed = 0;
	pid_t *pids = xcalloc(total + 1, sizeof(*pids));

	info("running %zu jobs, %ld at a time%s", total, n,
	     n > 1 ? " (samples taken beside other lab VMs are marked so)" : "");
	while (next < total || running) {
		int st;
		pid_t done;

		while (next < total && (long)running < n) {
			struct strvec a = STRVEC_INIT;
			char *out;

			j = json_array_get(jobs, next);
			out = xasprintf("%s/results/%s", plan_dir, jstr(j, "job_id"));
			job_argv(&a, o, jstr(j, "file"), out);
			fflush(NULL);
			pids[next] = fork();
			if (pids[next] == 0) {
				execv(a.v[0], a.v);
				_exit(127);
			}
			running++;
			next++;
			sv_clear(&a);
			free(out);
		}
		done = wait(&st);
		if (done < 0)
			break;
		running--;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	free(pids);
	return failed ? 1 : 0;
}

static int run_slurm(const struct bench_opts *o, json_t *plan, const char *plan_dir, bool wait)
{
	json_t *jobs = json_object_get(plan, "jobs"), *j;
	struct strbuf sh = STRBUF_INIT;
	char *script = xasprintf("%s/slurm-array.sh", plan_dir);
	char *sbatch = which("sbatch"), *id = NULL;
	struct child c = {0};
	size_t i;
	int ret = -1;

	if (!sbatch) {
		error("--executor slurm: sbatch is not on PATH (install slurm-client, or run on a "
		      "Slurm login node)");
		goto out;
	}
	sb_addf(&sh,
	        "#!/bin/sh\n# iolab run %s: one array task per job (written by iolab "
	        "bench --executor slurm).\ncase \"$SLURM_ARRAY_TASK_ID\" in\n",
	        jstr(plan, "run_id"));
	json_array_foreach(jobs, i, j)
	{
		struct strvec a = STRVEC_INIT;
		char *out = xasprintf("%s/results/%s", plan_dir, jstr(j, "job_id"));
		char *line;

		job_argv(&a, o, jstr(j, "file"), out);
		line = argv_to_shell((const char *const *)a.v);
		sb_addf(&sh, "%zu) exec %s ;;\n", i, line);
		free(line);
		free(out);
		sv_clear(&a);
	}
	sb_adds(&sh,
	        "*) echo \"iolab: no job for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\n"
	        "esac\n");
	if (write_str(script, sh.buf) < 0) {
		error("cannot write %s", script);
		goto out;
	}
	{
		char *array = xasprintf("--array=0-%zu", json_array_size(jobs) - 1);
		char *output = xasprintf("--output=%s/slurm-%%A_%%a.out", plan_dir);
		char *name = xasprintf("--job-name=iolab-%s", jstr(plan, "run_id"));
		json_t *mx = json_object_get(json_object_get(plan, "run_meta"), "matrix");
		json_int_t mem = json_integer_value(json_object_get(mx, "guest_mem"));
		json_int_t cpus = json_integer_value(json_object_get(mx, "guest_cpus"));
		/* What one task's VM needs, so Slurm packs tasks the way the host can hold them. */
		char *cpu_arg = xasprintf("--cpus-per-task=%lld", (long long)(cpus > 0 ? cpus : 1));
		char *mem_arg = xasprintf("--mem=%lldM", (long long)((mem >> 20) + 1024));
		const char *argv[] = {sbatch, "--parsable", array,   output,
		                      name,   cpu_arg,      mem_arg, wait ? "--wait" : "--parsable",
		                      script, NULL};

		c.argv = argv;
		c.capture = true;
		info("submitting %zu jobs as a Slurm array%s", json_array_size(jobs),
		     wait ? " and waiting for it" : "");
		ret = run_command(&c);
		id = xstrdup(c.out.buf ? trim(c.out.buf) : "");
		free(array);
		free(output);
		free(name);
		free(cpu_arg);
		free(mem_arg);
	}
	if (ret != 0 && !(wait && *id)) {
		error("sbatch could not submit the array (exit %d; its message is above)", ret);
		ret = -1;
		goto out;
	}
	if (!wait) {
		printf("submitted Slurm array job %s; when it is done: iolab bench collect %s\n",
		       id, plan_dir);
		ret = 0;
		goto out;
	}
	/* sbatch --wait exits non-zero when a task failed; collect still takes the rest. */
	ret = ret ? 1 : 0;
out:
	sb_release(&sh);
	sb_release(&c.out);
	free(script);
	free(sbatch);
	free(id);
	return ret;
}

int bench_execute(const struct bench_opts *o, const char *plan_dir, const char *executor,
                  long njobs, bool wait)
{
	char *plan_path = xasprintf("%s/plan.json", plan_dir);
	json_t *plan = load_json(plan_path, PLAN_FORMAT);
	int ret = -1, rc;
	const char *dirs[1];

	free(plan_path);
	if (!plan)
		return -1;
	if (!strcmp(executor, "local"))
		rc = run_local(o, plan, plan_dir, njobs);
	else if (!strcmp(executor, "slurm"))
		rc = run_slurm(o, plan, plan_dir, wait);
	else
		rc = error("unknown executor '%s' (local or slurm)", executor);
	if (rc >= 0 && (strcmp(executor, "slurm") || wait)) {
		char *res = xasprintf("%s/results", plan_dir);

		dirs[0] = res;
		ret = bench_collect(o, plan_dir, dirs, 1);
		if (ret == 0 && rc)
			ret = 1;
		free(res);
	} else {
		ret = rc;
	}
	json_decref(plan);
	return ret;
}
