// SPDX-License-Identifier: GPL-2.0
/*
 * The results store: one SQLite file (results/iolab.db) holding runs, their
 * VM groups, cells and samples.  Every write is its own transaction, so a
 * run killed at any point keeps everything it completed and --resume knows
 * exactly what is missing.
 */
#include "bench.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct store {
	sqlite3 *db;
	char *path;
	/* Inside store_batch_begin/end: writes join one transaction (collect). */
	bool batch;
};

/*
 * WAL with synchronous=NORMAL: a commit survives the process being killed
 * (only a power cut may lose the last ones), and a report can read while a
 * run writes.
 */
static const char *const pragmas = "PRAGMA journal_mode=WAL;"
                                   "PRAGMA synchronous=NORMAL;"
                                   "PRAGMA foreign_keys=ON;";

static const char *const schema =
        "CREATE TABLE IF NOT EXISTS runs("
        " run_id TEXT PRIMARY KEY,"
        " created TEXT NOT NULL,"
        " matrix_name TEXT NOT NULL,"
        " matrix_path TEXT,"
        " matrix_sha256 TEXT,"
        " meta_json TEXT,"
        " status TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS vm_groups("
        " run_id TEXT NOT NULL REFERENCES runs(run_id),"
        " group_id TEXT NOT NULL,"
        " meta_json TEXT,"
        " PRIMARY KEY(run_id, group_id));"
        "CREATE TABLE IF NOT EXISTS cells("
        " run_id TEXT NOT NULL REFERENCES runs(run_id),"
        " cell_id TEXT NOT NULL,"
        " kernel TEXT NOT NULL,"
        " device TEXT NOT NULL,"
        " fs_config TEXT NOT NULL,"
        " workload TEXT NOT NULL,"
        " bs INTEGER NOT NULL,"
        " path TEXT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'pending'"
        "  CHECK (status IN ('pending', 'ok', 'failed', 'not-measured')),"
        " reason TEXT,"
        " PRIMARY KEY(run_id, cell_id));"
        "CREATE TABLE IF NOT EXISTS samples("
        " run_id TEXT NOT NULL,"
        " cell_id TEXT NOT NULL,"
        " rep INTEGER NOT NULL,"
        " mib_s REAL,"
        " bw_bytes INTEGER,"
        " io_bytes INTEGER,"
        " runtime_ms INTEGER,"
        " fio_version TEXT,"
        " job_path TEXT,"
        " json_path TEXT,"
        " evidence_json TEXT,"
        " ok INTEGER NOT NULL,"
        " failure TEXT,"
        " overhead_s REAL,"
        " host TEXT,"
        " accel TEXT,"
        " created TEXT NOT NULL,"
        " PRIMARY KEY(run_id, cell_id, rep),"
        " FOREIGN KEY(run_id, cell_id) REFERENCES cells(run_id, cell_id));";

static int db_error(struct store *st, const char *doing)
{
	return error("results store %s: %s: %s", st->path, doing, sqlite3_errmsg(st->db));
}

static int exec(struct store *st, const char *sql, const char *doing)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(st, doing);
	return 0;
}

/* IMMEDIATE: take the write lock up front, so a busy store waits here, not mid-way. */
static int begin(struct store *st)
{
	if (st->batch)
		return 0;
	return exec(st, "BEGIN IMMEDIATE", "begin");
}

int store_batch_begin(struct store *st)
{
	if (exec(st, "BEGIN IMMEDIATE", "begin") < 0)
		return -1;
	st->batch = true;
	return 0;
}

int store_batch_end(struct store *st, bool commit)
{
	st->batch = false;
	if (commit && exec(st, "COMMIT", "commit") == 0)
		return 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return commit ? -1 : 0;
}

static int finish(struct store *st, int ret)
{
	if (st->batch)
		return ret;
	if (ret == 0 && exec(st, "COMMIT", "commit") == 0)
		return 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static sqlite3_stmt *prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_error(st, "prepare");
		return NULL;
	}
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bind_json(sqlite3_stmt *s, int i, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	bind_text(s, i, text);
	free(text);
}

/* Steps a statement that returns no rows, then frees it. */
static int run_stmt(struct store *st, sqlite3_stmt *s, const char *doing)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, doing);
	return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const char *v = col_text(s, i);

	return v ? xstrdup(v) : NULL;
}

static int schema_version(struct store *st, int *v)
{
	sqlite3_stmt *s = prepare(st, "PRAGMA user_version");

	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return db_error(st, "read its schema version");
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int create_schema(struct store *st)
{
	char *set = xasprintf("PRAGMA user_version=%d", STORE_SCHEMA_VERSION);
	int ret;

	ret = begin(st);
	if (ret == 0)
		ret = exec(st, schema, "create tables");
	if (ret == 0)
		ret = exec(st, set, "set schema version");
	free(set);
	return ret == 0 ? finish(st, 0) : finish(st, -1);
}

int store_open(const char *path, struct store **out)
{
	struct store *st = xcalloc(1, sizeof(*st));
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int version = 0;

	*out = NULL;
	st->path = xstrdup(path);
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir_p(dir);
	}
	free(dir);
	if (sqlite3_open(path, &st->db) != SQLITE_OK) {
		error("cannot open results store %s: %s", path,
		      st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -1;
	}
	/* A report reading while a run commits waits a little instead of failing. */
	sqlite3_busy_timeout(st->db, 10000);
	if (exec(st, pragmas, "set up") < 0 || schema_version(st, &version) < 0)
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		error("results store %s has schema version %d, newer than this iolab's %d: "
		      "update iolab",
		      path, version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (create_schema(st) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

static bool run_exists(struct store *st, const char *run_id)
{
	sqlite3_stmt *s = prepare(st, "SELECT 1 FROM runs WHERE run_id = ?");
	bool found;

	if (!s)
		return false;
	bind_text(s, 1, run_id);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

char *store_new_run_id(struct store *st, const char *matrix_name)
{
	char *stamp = stamp_now();
	char *name = xstrdup(matrix_name && *matrix_name ? matrix_name : "run"), *id;

	/* Run ids name directories under results/ too: keep them to safe characters. */
	for (char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
		            *p))
			*p = '-';
	id = xasprintf("%s-%s", stamp, name);
	for (int n = 2; run_exists(st, id); n++) {
		free(id);
		id = xasprintf("%s-%s-%d", stamp, name, n);
	}
	free(stamp);
	free(name);
	return id;
}

int store_create_run(struct store *st, const char *run_id, const struct matrix *m, json_t *meta)
{
	sqlite3_stmt *s;
	char *now = iso_time_now();
	int ret;

	if (begin(st) < 0) {
		free(now);
		return -1;
	}
	s = prepare(st, "INSERT INTO runs(run_id, created, matrix_name, matrix_path, matrix_sha256,"
	                " meta_json, status) VALUES(?, ?, ?, ?, ?, ?, 'running')");
	if (s) {
		bind_text(s, 1, run_id);
		bind_text(s, 2, now);
		bind_text(s, 3, m->name);
		bind_text(s, 4, m->path);
		bind_text(s, 5, m->sha256);
		bind_json(s, 6, meta);
	}
	ret = run_stmt(st, s, "add the run (is the run id taken?)");
	free(now);
	return finish(st, ret);
}

int store_set_run_status(struct store *st, const char *run_id, const char *status)
{
	sqlite3_stmt *s;
	int ret;

	if (begin(st) < 0)
		return -1;
	s = prepare(st, "UPDATE runs SET status = ? WHERE run_id = ?");
	if (s) {
		bind_text(s, 1, status);
		bind_text(s, 2, run_id);
	}
	ret = run_stmt(st, s, "set the run's status");
	if (ret == 0 && sqlite3_changes(st->db) != 1)
		ret = error("results store %s: no run %s", st->path, run_id);
	return finish(st, ret);
}

int store_set_run_meta(struct store *st, const char *run_id, json_t *meta)
{
	sqlite3_stmt *s;
	int ret;

	if (begin(st) < 0)
		return -1;
	s = prepare(st, "UPDATE runs SET meta_json = ? WHERE run_id = ?");
	if (s) {
		bind_json(s, 1, meta);
		bind_text(s, 2, run_id);
	}
	ret = run_stmt(st, s, "update the run's metadata");
	if (ret == 0 && sqlite3_changes(st->db) != 1)
		ret = error("results store %s: no run %s", st->path, run_id);
	return finish(st, ret);
}

int store_add_cells(struct store *st, const char *run_id, const struct cell *cells, size_t n)
{
	int ret = 0;

	if (begin(st) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		sqlite3_stmt *s = prepare(st, "INSERT OR IGNORE INTO cells(run_id, cell_id, kernel,"
		                              " device, fs_config, workload, bs, path)"
		                              " VALUES(?, ?, ?, ?, ?, ?, ?, ?)");

		if (s) {
			bind_text(s, 1, run_id);
			bind_text(s, 2, cells[i].id);
			bind_text(s, 3, cells[i].kernel);
			bind_text(s, 4, cells[i].device);
			bind_text(s, 5, cells[i].fs);
			bind_text(s, 6, cells[i].workload->name);
			sqlite3_bind_int64(s, 7, cells[i].bs);
			bind_text(s, 8, cells[i].path);
		}
		ret = run_stmt(st, s, "add cells (is the run there?)");
	}
	return finish(st, ret);
}

int store_set_cell_status(struct store *st, const char *run_id, const char *cell_id,
                          const char *status, const char *reason)
{
	sqlite3_stmt *s;
	int ret;

	if (begin(st) < 0)
		return -1;
	s = prepare(st, "UPDATE cells SET status = ?, reason = ? WHERE run_id = ? AND cell_id = ?");
	if (s) {
		bind_text(s, 1, status);
		bind_text(s, 2, reason);
		bind_text(s, 3, run_id);
		bind_text(s, 4, cell_id);
	}
	ret = run_stmt(st, s, "set a cell's status (pending, ok, failed or not-measured)");
	if (ret == 0 && sqlite3_changes(st->db) != 1)
		ret = error("results store %s: run %s has no cell %s", st->path, run_id, cell_id);
	return finish(st, ret);
}

int store_set_group(struct store *st, const char *run_id, const char *group_id, json_t *meta)
{
	sqlite3_stmt *s;

	if (begin(st) < 0)
		return -1;
	s = prepare(st, "INSERT OR REPLACE INTO vm_groups(run_id, group_id, meta_json)"
	                " VALUES(?, ?, ?)");
	if (s) {
		bind_text(s, 1, run_id);
		bind_text(s, 2, group_id);
		bind_json(s, 3, meta);
	}
	return finish(st, run_stmt(st, s, "record a VM group"));
}

int store_add_sample(struct store *st, const struct sample *x)
{
	char *now = x->created ? NULL : iso_time_now();
	sqlite3_stmt *s;
	int ret;

	if (begin(st) < 0) {
		free(now);
		return -1;
	}
	/* A failed sample is a record, not a result: a resumed run may measure it again. */
	s = prepare(st, "DELETE FROM samples WHERE run_id = ? AND cell_id = ? AND rep = ?"
	                " AND ok = 0");
	if (s) {
		bind_text(s, 1, x->run_id);
		bind_text(s, 2, x->cell_id);
		sqlite3_bind_int(s, 3, x->rep);
	}
	ret = run_stmt(st, s, "replace a failed sample");
	s = ret ? NULL
	        : prepare(st, "INSERT INTO samples(run_id, cell_id, rep, mib_s, bw_bytes, io_bytes,"
	                      " runtime_ms, fio_version, job_path, json_path, evidence_json, ok,"
	                      " failure, overhead_s, host, accel, created)"
	                      " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (s) {
		bind_text(s, 1, x->run_id);
		bind_text(s, 2, x->cell_id);
		sqlite3_bind_int(s, 3, x->rep);
		if (x->ok) {
			sqlite3_bind_double(s, 4, x->mib_s);
			sqlite3_bind_int64(s, 5, x->bw_bytes);
			sqlite3_bind_int64(s, 6, x->io_bytes);
			sqlite3_bind_int64(s, 7, x->runtime_ms);
		}
		bind_text(s, 8, x->fio_version);
		bind_text(s, 9, x->job_path);
		bind_text(s, 10, x->json_path);
		bind_json(s, 11, x->evidence);
		sqlite3_bind_int(s, 12, x->ok);
		bind_text(s, 13, x->failure);
		sqlite3_bind_double(s, 14, x->overhead_s);
		bind_text(s, 15, x->host);
		bind_text(s, 16, x->accel);
		bind_text(s, 17, x->created ? x->created : now);
	}
	if (ret == 0 && s && sqlite3_step(s) != SQLITE_DONE) {
		int code = sqlite3_extended_errcode(st->db);

		if (code == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = error("results store %s: run %s has a good sample %d of %s already",
			            st->path, x->run_id, x->rep, x->cell_id);
		else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
			ret = error("results store %s: run %s has no cell %s (add its cells first)",
			            st->path, x->run_id, x->cell_id);
		else
			ret = db_error(st, "add a sample");
	} else if (ret == 0 && !s) {
		ret = -1;
	}
	sqlite3_finalize(s);
	free(now);
	return finish(st, ret);
}

int store_have_sample(struct store *st, const char *run_id, const char *cell_id, int rep)
{
	sqlite3_stmt *s = prepare(st, "SELECT 1 FROM samples WHERE run_id = ? AND cell_id = ?"
	                              " AND rep = ? AND ok = 1");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	bind_text(s, 2, cell_id);
	sqlite3_bind_int(s, 3, rep);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(st, "look a sample up");
}

/* ---- reading ---- */

#define RUN_COLUMNS "run_id, created, matrix_name, matrix_path, matrix_sha256, status, meta_json"

static void run_from_row(sqlite3_stmt *s, struct run_info *ri)
{
	const char *meta = col_text(s, 6);

	ri->run_id = col_dup(s, 0);
	ri->created = col_dup(s, 1);
	ri->matrix_name = col_dup(s, 2);
	ri->matrix_path = col_dup(s, 3);
	ri->matrix_sha256 = col_dup(s, 4);
	ri->status = col_dup(s, 5);
	ri->meta = meta ? json_loads(meta, 0, NULL) : NULL;
}

int store_run_info(struct store *st, const char *run_id, struct run_info *ri)
{
	sqlite3_stmt *s = prepare(st, "SELECT " RUN_COLUMNS " FROM runs WHERE run_id = ?");
	int rc;

	memset(ri, 0, sizeof(*ri));
	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		run_from_row(s, ri);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return error("results store %s has no run '%s'", st->path, run_id);
	return db_error(st, "read a run");
}

int store_has_run(struct store *st, const char *run_id)
{
	sqlite3_stmt *s = prepare(st, "SELECT 1 FROM runs WHERE run_id = ?");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(st, "read a run");
}

int store_list_runs(struct store *st, struct run_info **runs, size_t *n)
{
	sqlite3_stmt *s = prepare(st, "SELECT " RUN_COLUMNS " FROM runs"
	                              " ORDER BY created DESC, run_id DESC");
	size_t alloc = 0;
	int rc;

	*runs = NULL;
	*n = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			*runs = xrealloc(*runs, alloc * sizeof(**runs));
		}
		run_from_row(s, &(*runs)[(*n)++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		run_infos_free(*runs, *n);
		*runs = NULL;
		*n = 0;
		return db_error(st, "list runs");
	}
	return 0;
}

void run_info_free(struct run_info *ri)
{
	free(ri->run_id);
	free(ri->created);
	free(ri->matrix_name);
	free(ri->matrix_path);
	free(ri->matrix_sha256);
	free(ri->status);
	json_decref(ri->meta);
	memset(ri, 0, sizeof(*ri));
}

void run_infos_free(struct run_info *ri, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_info_free(&ri[i]);
	free(ri);
}

#define CELL_COLUMNS                                                                               \
	"c.cell_id, c.kernel, c.device, c.fs_config, c.workload, c.bs, c.path,"                    \
	" c.status, c.reason"

static void cell_from_row(sqlite3_stmt *s, struct stored_cell *c)
{
	c->cell_id = col_text(s, 0);
	c->kernel = col_text(s, 1);
	c->device = col_text(s, 2);
	c->fs_config = col_text(s, 3);
	c->workload = col_text(s, 4);
	c->bs = sqlite3_column_int64(s, 5);
	c->path = col_text(s, 6);
	c->status = col_text(s, 7);
	c->reason = col_text(s, 8);
}

int store_load_cells(struct store *st, const char *run_id, store_cell_fn fn, void *arg)
{
	/* rowid order is the order the runner added them: the matrix's. */
	sqlite3_stmt *s = prepare(st, "SELECT " CELL_COLUMNS " FROM cells c WHERE c.run_id = ?"
	                              " ORDER BY c.rowid");
	int rc, ret = 0;

	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct stored_cell c;

		cell_from_row(s, &c);
		ret = fn(&c, arg);
	}
	sqlite3_finalize(s);
	if (ret == 0 && rc != SQLITE_DONE)
		return db_error(st, "read cells");
	return ret;
}

int store_load_samples(struct store *st, const char *run_id, store_sample_fn fn, void *arg)
{
	sqlite3_stmt *s = prepare(
	        st, "SELECT " CELL_COLUMNS ", x.rep, x.ok, x.failure, x.mib_s, x.bw_bytes,"
	            " x.io_bytes, x.runtime_ms, x.fio_version, x.job_path, x.json_path,"
	            " x.evidence_json, x.overhead_s, x.host, x.accel, x.created, x.run_id"
	            " FROM samples x JOIN cells c ON c.run_id = x.run_id AND c.cell_id = x.cell_id"
	            " WHERE x.run_id = ? ORDER BY c.rowid, x.rep");
	int rc, ret = 0;

	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct stored_cell c;
		struct sample x = {0};
		const char *ev = col_text(s, 19);

		cell_from_row(s, &c);
		x.cell_id = c.cell_id;
		x.rep = sqlite3_column_int(s, 9);
		x.ok = sqlite3_column_int(s, 10);
		x.failure = col_text(s, 11);
		x.mib_s = sqlite3_column_double(s, 12);
		x.bw_bytes = sqlite3_column_int64(s, 13);
		x.io_bytes = sqlite3_column_int64(s, 14);
		x.runtime_ms = sqlite3_column_int64(s, 15);
		x.fio_version = col_text(s, 16);
		x.job_path = col_text(s, 17);
		x.json_path = col_text(s, 18);
		x.evidence = ev ? json_loads(ev, 0, NULL) : NULL;
		x.overhead_s = sqlite3_column_double(s, 20);
		x.host = col_text(s, 21);
		x.accel = col_text(s, 22);
		x.created = col_text(s, 23);
		x.run_id = col_text(s, 24);
		ret = fn(&c, &x, arg);
		json_decref(x.evidence);
	}
	sqlite3_finalize(s);
	if (ret == 0 && rc != SQLITE_DONE)
		return db_error(st, "read samples");
	return ret;
}
