/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_TEST_REPORT_FIXTURE_H
#define IOLAB_TEST_REPORT_FIXTURE_H

/*
 * Fixture runs for the report tests, written through the real results store
 * API: the cover letter's matrix (5 workloads x 4 block sizes x 2 paths),
 * repetitions around the published MiB/s, the metadata the runner stores,
 * and each sample's evidence.  Deterministic: the same options give the
 * same database, so rendered tables can be compared with stored text.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "util.h"

struct fixture_run {
	const char *run_id;
	const char *created; /* the run's and its samples' time */
	int reps;
	/* Relative spread of the repetitions around each cell's value. */
	double jitter;
	double bh_scale;
	double iomap_scale;
	/* One cell, "write_cache/64k/iomap", scaled by cell_scale on top. */
	const char *scaled_cell;
	double cell_scale;
	/* One cell that failed: its last repetition failed the evidence check. */
	const char *failed_cell;
	/* The kernel lacks the series: every iomap cell is not-measured. */
	bool no_iomap;
	const char *device;  /* virtio-blk */
	const char *device2; /* a second device: a sweep over devices, two groups */
	size_t nbs;          /* the first nbs of 1k 4k 64k 1M; 0: all four */
	bool no_meta;        /* store no meta_json at all */
};

static const char *const fx_workloads[] = {"write_cache", "uncached_write", "read_hole",
                                           "read_precache", "read_ondisk"};
static const int64_t fx_bs[] = {1024, 4096, 65536, 1048576};
static const char *const fx_paths[] = {"bh", "iomap"};

/* The v3 cover letter's numbers: [workload][bs][path]. */
static const double fx_published[5][4][2] = {
        {{423, 403}, {1067, 1093}, {4321, 6488}, {4640, 7378}},
        {{36.3, 57}, {58.4, 61}, {869, 1206}, {3158, 4818}},
        {{635, 643}, {1987, 2075}, {6068, 6267}, {5471, 6072}},
        {{661, 653}, {2128, 2159}, {9472, 9545}, {8657, 9191}},
        {{605, 602}, {1761, 1716}, {4475, 4451}, {4405, 4467}},
};

/* Repetition offsets, in units of jitter: a spread that is not symmetric. */
static const double fx_offsets[] = {-1.0, 0.4, 0.8, -0.6, 0.1, 0.5};

static json_t *fx_meta(const struct fixture_run *o)
{
	json_t *patches, *kernel, *meta, *matrix;

	if (o->no_meta)
		return NULL;
	patches = json_array();
	for (int i = 1; !o->no_iomap && i <= 22; i++)
		json_array_append_new(patches, json_pack("{s:s, s:s}", "subject", "ext4: fixture",
		                                         "sha256", "00"));
	kernel = json_pack(
	        "{s:s, s:s, s:s, s:o, s:o, s:{s:b}}", "key", "7.3.0-6f1c2e0a9b3d", "release",
	        o->no_iomap ? "7.3.0" : "7.3.0-iomap-v3", "config_sha256",
	        "4d2f8a0c6e1b3a5f7d9c0e2b4a6f8d1c3e5a7b9d0f2c4e6a8b1d3f5a7c9e0b2d", "series",
	        o->no_iomap ? json_null()
	                    : json_pack("{s:s, s:s, s:s}", "name", "ext4-iomap-buffered-io",
	                                "version", "v3", "message_id",
	                                "20260422021042.4157510-1-yi.zhang@huaweicloud.com"),
	        "patches", patches, "features", "buffered_iomap", !o->no_iomap);
	matrix = json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:b}], s:I, s:I, s:I, s:I, s:I, s:s}",
	                   "name", "cover-letter", "description", "The v3 cover letter's tables",
	                   "fs_configs", "name", "4k", "mkfs",
	                   "-b 4096 -E lazy_itable_init=0,lazy_journal_init=0", "mount", "",
	                   "builtin", 1, "repetitions", (json_int_t)o->reps, "guest_mem",
	                   (json_int_t)2147483648LL, "guest_cpus", (json_int_t)2, "file_size",
	                   (json_int_t)536870912, "runtime", (json_int_t)3, "backing", "memory");
	meta = json_pack("{s:s, s:s, s:s, s:s, s:{s:o}, s:{s:s, s:s, s:s}, s:s, s:{s:s}, "
	                 "s:{s:s, s:s, s:I, s:i}, s:o}",
	                 "run_id", o->run_id, "created", o->created, "iolab_version",
	                 "v0.1-fixture", "series", "ext4-iomap-buffered-io", "kernels", "default",
	                 kernel, "image", "fio_version", "fio-3.39", "e2fsprogs_version",
	                 "1.47.2-3", "key", "trixie-3a9c", "qemu_version", "9.2.0", "vm", "accel",
	                 "kvm", "host", "hostname", "labhost", "cpu_model",
	                 "AMD EPYC 7B13 64-Core Processor", "mem_bytes", (json_int_t)68719476736LL,
	                 "cpus", 16, "matrix", matrix);
	return meta;
}

static json_t *fx_evidence(const char *path, const char *workload, double mibs)
{
	bool iomap = !strcmp(path, "iomap");
	json_int_t events = iomap ? (json_int_t)(mibs * 8) : 0;
	bool write = strstr(workload, "write") != NULL;

	return json_pack("{s:s, s:s, s:s, s:b, s:{s:I, s:I, s:{s:I}}, s:s, s:{s:I, s:I, s:I}, "
	                 "s:s, s:I}",
	                 "mount",
	                 iomap ? "/dev/vdb /mnt/test ext4 rw,relatime,buffered_iomap 0 0"
	                       : "/dev/vdb /mnt/test ext4 rw,relatime,nobuffered_iomap 0 0",
	                 "ext4_options", iomap ? "rw,buffered_iomap" : "rw", "path_option",
	                 iomap ? "buffered_iomap" : "nobuffered_iomap", "path_option_in_effect", 1,
	                 "iomap_events", "total", events, "buffered", events, "by_event",
	                 "iomap_iter", events, "iomap_expected", iomap ? "fired" : "none",
	                 "page_cache_kb", "before", (json_int_t)20480, "after",
	                 (json_int_t)(write ? 544768 : 20480), "delta",
	                 (json_int_t)(write ? 524288 : 0), "fio_version", "fio-3.39", "file_size",
	                 (json_int_t)536870912);
}

static int fx_sample(struct store *st, const struct fixture_run *o, const struct cell *c, int rep,
                     double mibs, const char *failure)
{
	char *base = xasprintf("results/%s/default_%s_4k/samples/%s-%lld-%s-r%d", o->run_id,
	                       c->device, c->workload->name, (long long)c->bs, c->path, rep);
	char *job = xasprintf("%s.fio", base), *json = xasprintf("%s.json", base);
	struct sample s = {0};
	int ret;

	s.run_id = o->run_id;
	s.cell_id = c->id;
	s.rep = rep;
	s.ok = !failure;
	s.failure = failure;
	s.mib_s = mibs;
	s.bw_bytes = (int64_t)(mibs * 1048576.0);
	s.runtime_ms = 3000;
	s.io_bytes = s.bw_bytes * 3;
	s.fio_version = "fio-3.39";
	s.job_path = job;
	s.json_path = json;
	s.evidence = fx_evidence(c->path, c->workload->name, mibs);
	s.overhead_s = 1.5;
	s.host = "labhost";
	s.accel = "kvm";
	s.created = o->created;
	ret = store_add_sample(st, &s);
	json_decref(s.evidence);
	free(base);
	free(job);
	free(json);
	return ret;
}

/* Writes one run into st; 0 or -1. */
static int fixture_write_run(struct store *st, const char *db, const struct fixture_run *o)
{
	struct matrix m = {0};
	size_t nbs = o->nbs ? o->nbs : 4, n = 0;
	const char *devices[] = {o->device ? o->device : "virtio-blk", o->device2};
	size_t ndev = o->device2 ? 2 : 1;
	struct cell *cells = xcalloc(ndev * 5 * 4 * 2, sizeof(*cells));
	json_t *meta = fx_meta(o);
	sqlite3 *db3;
	char *sql;
	int ret = 0;

	m.name = (char *)"cover-letter";
	m.path = (char *)"/work/bench/cover-letter.conf";
	strcpy(m.sha256, "9e1f0c3b5a7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a2c4e6b8d0f");
	if (store_create_run(st, o->run_id, &m, meta) < 0) {
		json_decref(meta);
		free(cells);
		return -1;
	}
	json_decref(meta);
	for (size_t d = 0; d < ndev; d++)
		for (size_t w = 0; w < 5; w++)
			for (size_t b = 0; b < nbs; b++)
				for (size_t p = 0; p < 2; p++) {
					struct cell *c = &cells[n++];
					char *bs = format_size(fx_bs[b]);

					c->kernel = "default";
					c->device = devices[d];
					c->fs = "4k";
					c->workload = bench_workload_find(fx_workloads[w]);
					c->bs = fx_bs[b];
					c->path = fx_paths[p];
					c->group_id = xasprintf("default/%s/4k", devices[d]);
					c->id = xasprintf("%s/%s/%s/%s", c->group_id,
					                  fx_workloads[w], bs, fx_paths[p]);
					free(bs);
				}
	if (store_add_cells(st, o->run_id, cells, n) < 0)
		ret = -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct cell *c = &cells[i];
		size_t w = i / (nbs * 2) % 5, b = (i / 2) % nbs, p = i % 2, d = i / (nbs * 10);
		const char *tail = c->id + strlen(c->group_id) + 1;
		/* The second device is a little slower, so the sweep's lines part. */
		double v = fx_published[w][b][p] * (p ? o->iomap_scale : o->bh_scale) *
		           (d ? 0.8 : 1.0);
		bool failed = o->failed_cell && !strcmp(tail, o->failed_cell);

		if (o->scaled_cell && !strcmp(tail, o->scaled_cell))
			v *= o->cell_scale;
		if (p == 1 && o->no_iomap) {
			ret = store_set_cell_status(st, o->run_id, c->id, "not-measured",
			                            "kernel has no buffered_iomap");
			continue;
		}
		for (int r = 0; r < o->reps && ret == 0; r++) {
			double x = v * (1.0 + o->jitter * fx_offsets[r % 6]);
			bool bad = failed && r == o->reps - 1;

			/* Round like fio's bw_bytes does, so values are stable text. */
			x = round(x * 1000.0) / 1000.0;
			ret = fx_sample(st, o, c, r, x,
			                bad ? "no iomap buffered-I/O tracepoint fired: the iomap "
			                      "path was not in effect"
			                    : NULL);
		}
		if (ret == 0)
			ret = store_set_cell_status(
			        st, o->run_id, c->id, failed ? "failed" : "ok",
			        failed ? "no iomap buffered-I/O tracepoint fired: the iomap path "
			                 "was not in effect"
			               : NULL);
	}
	for (size_t i = 0; i < n; i++) {
		free(cells[i].id);
		free(cells[i].group_id);
	}
	free(cells);
	if (ret == 0)
		ret = store_set_run_status(st, o->run_id, "done");
	/* store_create_run() stamps the run with now: tables must not change with the clock. */
	if (ret == 0 && sqlite3_open(db, &db3) == SQLITE_OK) {
		sql = sqlite3_mprintf("UPDATE runs SET created = %Q WHERE run_id = %Q", o->created,
		                      o->run_id);
		if (sqlite3_exec(db3, sql, NULL, NULL, NULL) != SQLITE_OK)
			ret = -1;
		sqlite3_free(sql);
		sqlite3_close(db3);
	}
	return ret;
}

/*
 * Every fixture run, as the integration scripts get them from
 * "test_report_table --write-fixtures DB".  fx-* runs are for compare: each
 * is fx-base with one thing changed.
 */
static const struct fixture_run fx_all[] = {
        {.run_id = "20261121-203015-cover-letter",
         .created = "2026-11-21T20:30:15Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0},
        {.run_id = "20261122-101500-no-iomap",
         .created = "2026-11-22T10:15:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .no_iomap = true,
         .failed_cell = "write_cache/64k/bh"},
        {.run_id = "fx-base",
         .created = "2026-11-20T01:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0},
        {.run_id = "fx-faster",
         .created = "2026-11-20T02:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .scaled_cell = "write_cache/64k/iomap",
         .cell_scale = 1.2},
        {.run_id = "fx-slower",
         .created = "2026-11-20T03:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .scaled_cell = "write_cache/64k/iomap",
         .cell_scale = 0.8},
        {.run_id = "fx-slightly-slower",
         .created = "2026-11-20T04:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .scaled_cell = "read_hole/4k/bh",
         .cell_scale = 0.97},
        {.run_id = "fx-noise",
         .created = "2026-11-20T05:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .scaled_cell = "write_cache/64k/iomap",
         .cell_scale = 0.99},
        {.run_id = "fx-failed",
         .created = "2026-11-20T06:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .failed_cell = "read_ondisk/1M/iomap"},
        {.run_id = "fx-nvme",
         .created = "2026-11-20T07:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .device = "nvme"},
        {.run_id = "fx-two-bs",
         .created = "2026-11-20T08:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .nbs = 2},
        {.run_id = "fx-few",
         .created = "2026-11-20T09:00:00Z",
         .reps = 2,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .scaled_cell = "write_cache/64k/iomap",
         .cell_scale = 0.5},
        {.run_id = "fx-no-iomap",
         .created = "2026-11-20T10:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .no_iomap = true},
        {.run_id = "fx-no-iomap-2",
         .created = "2026-11-20T11:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .no_iomap = true},
        {.run_id = "fx-sweep",
         .created = "2026-11-20T13:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .device2 = "nvme"},
        {.run_id = "fx-no-meta",
         .created = "2026-11-20T12:00:00Z",
         .reps = 3,
         .jitter = 0.01,
         .bh_scale = 1.0,
         .iomap_scale = 1.0,
         .no_meta = true},
};

static inline const struct fixture_run *fx_find(const char *run_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(fx_all); i++)
		if (!strcmp(fx_all[i].run_id, run_id))
			return &fx_all[i];
	return NULL;
}

/* Creates db with every fixture run; 0 or -1. */
static inline int fixture_write_all(const char *db)
{
	struct store *st;
	int ret = 0;

	if (store_open(db, &st) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(fx_all) && ret == 0; i++)
		ret = fixture_write_run(st, db, &fx_all[i]);
	store_close(st);
	return ret;
}

#endif
