// SPDX-License-Identifier: GPL-2.0
/*
 * The results store: runs, cells and samples in and out, and a writer
 * killed mid-run losing nothing it committed, so --resume re-measures
 * exactly the missing samples.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "bench.h"
#include "paths.h"
#include "util.h"

struct fixture {
	char *dir;
	char *db;
	struct matrix m;
	struct cell *cells;
	size_t ncells;
	struct bench_group *groups;
	size_t ngroups;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/iolab-test-XXXXXX";
	char *conf = data_path("bench/cover-letter.conf");

	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	/* A directory the store must create. */
	f->db = xasprintf("%s/results/iolab.db", f->dir);
	assert_non_null(conf);
	assert_int_equal(matrix_load(conf, &f->m), 0);
	f->ncells = matrix_expand(&f->m, &f->cells);
	f->ngroups = bench_schedule(&f->m, f->cells, f->ncells, &f->groups);
	free(conf);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bench_groups_free(f->groups, f->ngroups);
	cells_free(f->cells, f->ncells);
	matrix_free(&f->m);
	rm_rf(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

/* A sample whose numbers say which (cell, rep) it is, so a mix-up shows. */
static struct sample make_sample(const char *run_id, const struct cell *c, size_t cell, int rep)
{
	struct sample s = {
	        .run_id = run_id,
	        .cell_id = c->id,
	        .rep = rep,
	        .ok = true,
	        .mib_s = (double)cell + rep / 10.0,
	        .bw_bytes = (int64_t)(cell * 10 + rep),
	        .io_bytes = 1 << 20,
	        .runtime_ms = 3000,
	        .fio_version = "fio-3.39",
	        .job_path = "/r/job.fio",
	        .json_path = "/r/out.json",
	        .overhead_s = 0.25,
	        .host = "testhost",
	        .accel = "tcg",
	};
	return s;
}

static char *create_run(struct fixture *f, struct store *st)
{
	char *id = store_new_run_id(st, f->m.name);
	json_t *meta = json_pack("{s:s, s:o}", "why", "test", "matrix", matrix_to_json(&f->m));

	assert_int_equal(store_create_run(st, id, &f->m, meta), 0);
	json_decref(meta);
	assert_int_equal(store_add_cells(st, id, f->cells, f->ncells), 0);
	return id;
}

struct collected {
	size_t ncells;
	size_t nsamples;
	const struct fixture *f;
	size_t last_cell;
	int last_rep;
};

static int count_cell(const struct stored_cell *c, void *arg)
{
	struct collected *col = arg;
	const struct cell *want = &col->f->cells[col->ncells];

	/* In the order they were added: the matrix's. */
	assert_string_equal(c->cell_id, want->id);
	assert_string_equal(c->kernel, want->kernel);
	assert_string_equal(c->device, want->device);
	assert_string_equal(c->fs_config, want->fs);
	assert_string_equal(c->workload, want->workload->name);
	assert_int_equal(c->bs, want->bs);
	assert_string_equal(c->path, want->path);
	col->ncells++;
	return 0;
}

static int check_sample(const struct stored_cell *c, const struct sample *s, void *arg)
{
	struct collected *col = arg;
	ssize_t cell = cells_find(col->f->cells, col->f->ncells, c->cell_id);

	assert_true(cell >= 0);
	assert_string_equal(s->cell_id, c->cell_id);
	if (s->ok) {
		assert_float_equal(s->mib_s, (double)cell + s->rep / 10.0, 1e-9);
		assert_int_equal(s->bw_bytes, cell * 10 + s->rep);
	}
	/* Cells in matrix order, reps ascending within a cell. */
	if (col->nsamples)
		assert_true((size_t)cell > col->last_cell ||
		            ((size_t)cell == col->last_cell && s->rep > col->last_rep));
	col->last_cell = (size_t)cell;
	col->last_rep = s->rep;
	col->nsamples++;
	return 0;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	char *id, *id2;
	struct run_info ri, *runs;
	size_t nruns;
	struct collected col = {.f = f};
	struct sample s;
	json_t *ev = json_pack("{s:i}", "iomap_events", 1234);

	assert_int_equal(store_open(f->db, &st), 0);
	id = create_run(f, st);
	/* "20261121-203015-cover-letter" */
	assert_int_equal(strlen(id), strlen("20261121-203015-cover-letter"));
	assert_true(id[8] == '-' && id[15] == '-');
	assert_true(ends_with(id, "-cover-letter"));
	/* A second run in the same second gets its own id. */
	id2 = store_new_run_id(st, f->m.name);
	assert_string_not_equal(id, id2);
	assert_int_equal(store_create_run(st, id2, &f->m, NULL), 0);
	iolab_quiet = true;
	assert_int_equal(store_create_run(st, id2, &f->m, NULL), -1);

	assert_int_equal(store_run_info(st, id, &ri), 0);
	assert_string_equal(ri.matrix_name, "cover-letter");
	assert_string_equal(ri.matrix_sha256, f->m.sha256);
	assert_string_equal(ri.matrix_path, f->m.path);
	assert_string_equal(ri.status, "running");
	assert_string_equal(json_string_value(json_object_get(ri.meta, "why")), "test");
	assert_int_equal(json_integer_value(
	                         json_object_get(json_object_get(ri.meta, "matrix"), "file_size")),
	                 512 << 20);
	run_info_free(&ri);
	assert_int_equal(store_run_info(st, "no-such-run", &ri), -1);

	assert_int_equal(store_list_runs(st, &runs, &nruns), 0);
	assert_int_equal(nruns, 2);
	run_infos_free(runs, nruns);

	/* Cells come back in matrix order; adding them again changes nothing. */
	assert_int_equal(store_set_cell_status(st, id, f->cells[3].id, "not-measured",
	                                       "kernel does not support buffered_iomap"),
	                 0);
	assert_int_equal(store_add_cells(st, id, f->cells, f->ncells), 0);
	assert_int_equal(store_load_cells(st, id, count_cell, &col), 0);
	assert_int_equal(col.ncells, f->ncells);
	assert_int_equal(store_set_cell_status(st, id, f->cells[0].id, "great", NULL), -1);
	assert_int_equal(store_set_cell_status(st, id, "no/such/cell", "ok", NULL), -1);

	assert_int_equal(store_set_group(st, id, f->groups[0].id, ev), 0);
	assert_int_equal(store_set_group(st, id, f->groups[0].id, NULL), 0);

	/* Samples, added out of order, come back in order. */
	for (int rep = 2; rep >= 0; rep--)
		for (size_t c = 0; c < 6; c++) {
			s = make_sample(id, &f->cells[c], c, rep);
			s.evidence = ev;
			assert_int_equal(store_add_sample(st, &s), 0);
		}
	assert_int_equal(store_have_sample(st, id, f->cells[5].id, 2), 1);
	assert_int_equal(store_have_sample(st, id, f->cells[6].id, 0), 0);
	assert_int_equal(store_have_sample(st, id2, f->cells[0].id, 0), 0);
	/* A good sample is never overwritten. */
	s = make_sample(id, &f->cells[0], 0, 0);
	assert_int_equal(store_add_sample(st, &s), -1);
	/* A sample needs its cell. */
	s = make_sample(id2, &f->cells[0], 0, 0);
	assert_int_equal(store_add_sample(st, &s), -1);

	/* A failed sample is kept, but a resume measures it again and replaces it. */
	s = make_sample(id, &f->cells[6], 6, 0);
	s.ok = false;
	s.failure = "guest panicked during fio";
	assert_int_equal(store_add_sample(st, &s), 0);
	assert_int_equal(store_have_sample(st, id, f->cells[6].id, 0), 0);
	s = make_sample(id, &f->cells[6], 6, 0);
	assert_int_equal(store_add_sample(st, &s), 0);
	assert_int_equal(store_have_sample(st, id, f->cells[6].id, 0), 1);

	memset(&col, 0, sizeof(col));
	col.f = f;
	assert_int_equal(store_load_samples(st, id, check_sample, &col), 0);
	assert_int_equal(col.nsamples, 6 * 3 + 1);
	assert_int_equal(store_set_cell_status(st, id, f->cells[0].id, "ok", NULL), 0);
	assert_int_equal(store_set_run_status(st, id, "complete"), 0);
	assert_int_equal(store_set_run_status(st, "no-such-run", "complete"), -1);
	store_close(st);

	/* Everything is there after reopening. */
	assert_int_equal(store_open(f->db, &st), 0);
	assert_int_equal(store_run_info(st, id, &ri), 0);
	assert_string_equal(ri.status, "complete");
	run_info_free(&ri);
	memset(&col, 0, sizeof(col));
	col.f = f;
	assert_int_equal(store_load_samples(st, id, check_sample, &col), 0);
	assert_int_equal(col.nsamples, 6 * 3 + 1);
	store_close(st);
	json_decref(ev);
	free(id);
	free(id2);
}

static int stop_at_first(const struct stored_cell *c, const struct sample *s, void *arg)
{
	(void)c;
	(void)s;
	(*(int *)arg)++;
	return 7;
}

static void test_callback_stops(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	char *id;
	int calls = 0;
	struct sample s;

	assert_int_equal(store_open(f->db, &st), 0);
	id = create_run(f, st);
	for (int rep = 0; rep < 2; rep++) {
		s = make_sample(id, &f->cells[0], 0, rep);
		assert_int_equal(store_add_sample(st, &s), 0);
	}
	assert_int_equal(store_load_samples(st, id, stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
	store_close(st);
	free(id);
}

static void test_schema_version(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	sqlite3 *db;
	int v = -1;
	sqlite3_stmt *q;

	assert_int_equal(store_open(f->db, &st), 0);
	store_close(st);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	/* A store from a newer iolab is refused, not rewritten. */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	iolab_quiet = true;
	assert_int_equal(store_open(f->db, &st), -1);
	assert_null(st);
}

/* ---- killed mid-run ---- */

/*
 * The child plays the runner: it walks the schedule storing samples; after
 * `keep` of them it opens a transaction with one more sample and is killed
 * before committing.
 */
static void child_writes_then_dies(struct fixture *f, const char *id, size_t keep)
{
	struct store *st;
	const struct bench_group *g = &f->groups[0];
	sqlite3 *raw;
	char *sql;

	if (store_open(f->db, &st) < 0)
		_exit(2);
	for (size_t i = 0; i < keep; i++) {
		const struct bench_step *step = &g->steps[i];
		struct sample s = make_sample(id, &f->cells[step->cell], step->cell, step->rep);

		if (store_add_sample(st, &s) < 0)
			_exit(3);
	}
	/* The next sample is being written when the kill comes. */
	if (sqlite3_open(f->db, &raw) != SQLITE_OK)
		_exit(4);
	sql = xasprintf("BEGIN IMMEDIATE; INSERT INTO samples(run_id, cell_id, rep, ok, created)"
	                " VALUES('%s', '%s', %d, 1, 'now');",
	                id, f->cells[g->steps[keep].cell].id, g->steps[keep].rep);
	if (sqlite3_exec(raw, sql, NULL, NULL, NULL) != SQLITE_OK)
		_exit(5);
	raise(SIGKILL);
	_exit(6);
}

/* What --resume would measure: the steps without a good sample. */
static size_t missing_steps(struct store *st, const char *id, const struct fixture *f,
                            bool *missing)
{
	const struct bench_group *g = &f->groups[0];
	size_t n = 0;

	for (size_t i = 0; i < g->nsteps; i++) {
		int have =
		        store_have_sample(st, id, f->cells[g->steps[i].cell].id, g->steps[i].rep);

		assert_true(have == 0 || have == 1);
		missing[i] = !have;
		n += !have;
	}
	return n;
}

static void test_kill_mid_transaction(void **state)
{
	struct fixture *f = *state;
	const struct bench_group *g = &f->groups[0];
	const size_t keep = 37;
	struct store *st;
	bool *missing = xcalloc(g->nsteps, sizeof(bool));
	struct collected col = {.f = f};
	char *id;
	pid_t pid;
	int status;

	assert_int_equal(store_open(f->db, &st), 0);
	id = create_run(f, st);
	store_close(st);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_writes_then_dies(f, id, keep);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	assert_int_equal(store_open(f->db, &st), 0);
	assert_int_equal(missing_steps(st, id, f, missing), g->nsteps - keep);
	for (size_t i = 0; i < g->nsteps; i++)
		assert_int_equal(missing[i], i >= keep);
	/* Every committed sample is whole; the uncommitted one is gone. */
	assert_int_equal(store_load_samples(st, id, check_sample, &col), 0);
	assert_int_equal(col.nsamples, keep);
	/* The resumed run fills in the rest and then has them all. */
	for (size_t i = 0; i < g->nsteps; i++) {
		if (!missing[i])
			continue;
		struct sample s = make_sample(id, &f->cells[g->steps[i].cell], g->steps[i].cell,
		                              g->steps[i].rep);

		assert_int_equal(store_add_sample(st, &s), 0);
	}
	assert_int_equal(missing_steps(st, id, f, missing), 0);
	store_close(st);
	free(missing);
	free(id);
}

/* Killed from outside at a moment the writer does not choose. */
static void test_kill_from_outside(void **state)
{
	struct fixture *f = *state;
	const struct bench_group *g = &f->groups[0];
	struct store *st;
	bool *missing = xcalloc(g->nsteps, sizeof(bool));
	struct collected col = {.f = f};
	char *id;
	int fds[2], status;
	size_t n, stored;
	pid_t pid;
	char c;

	assert_int_equal(store_open(f->db, &st), 0);
	id = create_run(f, st);
	store_close(st);
	assert_int_equal(pipe(fds), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (store_open(f->db, &st) < 0)
			_exit(2);
		for (size_t i = 0; i < g->nsteps; i++) {
			const struct bench_step *step = &g->steps[i];
			struct sample s =
			        make_sample(id, &f->cells[step->cell], step->cell, step->rep);

			if (store_add_sample(st, &s) < 0)
				_exit(3);
			/* Tell the parent a few are in, then keep going until killed. */
			if (i == 10 && write(fds[1], "x", 1) != 1)
				_exit(4);
			if (i > 10)
				usleep(1000);
		}
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	usleep(20000);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);

	assert_int_equal(store_open(f->db, &st), 0);
	n = missing_steps(st, id, f, missing);
	stored = g->nsteps - n;
	/* The schedule's first `stored` steps are in, the rest are missing: a clean prefix. */
	assert_true(stored >= 11);
	for (size_t i = 0; i < g->nsteps; i++)
		assert_int_equal(missing[i], i >= stored);
	assert_int_equal(store_load_samples(st, id, check_sample, &col), 0);
	assert_int_equal(col.nsamples, stored);
	print_message("killed after %zu of %zu samples\n", stored, g->nsteps);
	store_close(st);
	free(missing);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_callback_stops, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kill_mid_transaction, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kill_from_outside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
