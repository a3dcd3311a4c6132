/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_BENCH_H
#define IOLAB_BENCH_H

/*
 * The bench stage's VM-independent parts: the matrix file (what to
 * measure), the fio jobs (how), the run order (when) and the results
 * store (where it goes).  bench_run.c drives VMs with these.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* ---- workloads: the cover letter's five columns (bench_fio.c) ---- */

/* What the runner does to the test file before a sample's fio job. */
enum bench_prepare {
	BENCH_PREP_NONE,   /* nothing: the job writes a new file (the runner deletes the old one) */
	BENCH_PREP_SPARSE, /* truncate to file_size: a file of holes */
	BENCH_PREP_WRITTEN, /* write it in full with bench_fio_prepare_job() */
};

struct bench_workload {
	const char *name;  /* write_cache: matrix files, cell ids, reference sections */
	const char *title; /* "write cache": the cover letter's column heading */
	const char *table; /* "Buffered write": the cover letter's table */
	const char *help;  /* one line for README and --help */
	enum bench_prepare prepare;
	/* sync + drop_caches after the prepare step, so the job reads from the disk. */
	bool drop_caches;
	/* Apply bench_writeback_sysctls around the job. */
	bool hold_writeback;
	const char *ioengine;
	const char *rw;
	/* Workload-specific fio lines ("key=value"), NULL-terminated. */
	const char *fio[4];
	/* Which fio can run it, when not every one can; NULL otherwise. */
	const char *needs;
};

extern const struct bench_workload bench_workloads[];
extern const size_t bench_nworkloads;
const struct bench_workload *bench_workload_find(const char *name);

/* The I/O paths a cell runs on, and the series option that selects each. */
struct bench_path {
	const char *name; /* "bh", "iomap" */
	bool enable;      /* the series' enable_option (else its disable_option) */
	const char *help;
};
extern const struct bench_path bench_paths[];
extern const size_t bench_npaths;

/* ---- fs configs: mkfs.ext4 arguments + extra mount options (bench_matrix.c) ---- */
struct bench_fs {
	char *name;
	char *mkfs;  /* full mkfs.ext4 arguments, the lab's -E options included */
	char *mount; /* extra mount options ("" for none); the path's option is added */
	bool builtin;
};

/* Added to every mkfs: see bench_matrix.c for why. */
#define BENCH_MKFS_EXTENDED "lazy_itable_init=0,lazy_journal_init=0"

/* ---- the matrix file ---- */

/* A walk's matrix lists one kernel per point: the base and one per patch. */
#define MATRIX_MAX_POINTS 65

struct bench_kernel {
	char *name;            /* [kernel.NAME] */
	char *source;          /* debian:linux-source-7.3, a tree, a tarball */
	char *series;          /* NAME or NAME@vN; NULL builds without a series */
	struct strvec configs; /* absolute paths of the extra config fragments */
	bool allow_missing_series;
	long upto; /* > 0: only the series' first N patches (a point of a walk); 0: all */
};

struct matrix {
	char *path; /* absolute */
	char sha256[65];
	char *name;
	char *description;
	char *series;
	/* A walk's matrix ("iolab walk"): the series walked, one kernel per point; else NULL. */
	char *walk;
	/* Axes, in file order. */
	struct bench_kernel *kernels;
	size_t nkernels;
	struct strvec paths;
	/* The mount option of each path, from the series (same index as paths). */
	struct strvec path_options;
	struct strvec devices;
	struct bench_fs *fs;
	size_t nfs;
	const struct bench_workload **workloads;
	size_t nworkloads;
	int64_t *block_sizes;
	size_t nblock_sizes;
	/* Scalars, auto already resolved. */
	int64_t file_size;
	bool file_size_auto;
	long runtime; /* seconds, an upper bound per sample */
	long repetitions;
	int64_t guest_mem;
	long guest_cpus;
	int64_t disk_size;
	bool disk_size_auto;
	char *backing; /* "memory" or a directory */
};

/*
 * Loads and validates a matrix file.  Every problem is refused here, before
 * anything boots, as one line "FILE:LINE: reason"; returns 0 or -1.
 */
int matrix_load(const char *path, struct matrix *m);
void matrix_free(struct matrix *m);
/* The resolved matrix (auto sizes as numbers), for a run's metadata. */
json_t *matrix_to_json(const struct matrix *m);
const struct bench_fs *matrix_fs(const struct matrix *m, const char *name);
const struct bench_kernel *matrix_kernel(const struct matrix *m, const char *name);
/* "noatime,buffered_iomap": the fs config's options and the path's; caller frees. */
char *matrix_mount_options(const struct matrix *m, const struct bench_fs *fs, const char *path);
/* The keys a matrix file may hold, for README and errors; "[matrix] name: help" lines. */
void matrix_describe_keys(struct strbuf *sb);

/* ---- cells, groups, the schedule ---- */
struct cell {
	char *id;       /* "default/virtio-blk/4k/write_cache/64k/iomap" */
	char *group_id; /* "default/virtio-blk/4k": one VM boot and mkfs */
	const char *kernel;
	const char *device;
	const char *fs;
	const struct bench_workload *workload;
	int64_t bs;
	const char *path;
};

/* Every cell, in a stable order (kernel, device, fs, workload, bs, path). */
size_t matrix_expand(const struct matrix *m, struct cell **cells);
void cells_free(struct cell *cells, size_t n);
/* The index of a cell id, or -1. */
ssize_t cells_find(const struct cell *cells, size_t n, const char *id);

struct bench_step {
	size_t cell; /* index into the cells of matrix_expand() */
	int rep;
};

struct bench_group {
	char *id;
	const char *kernel;
	const char *device;
	const char *fs;
	struct bench_step *steps;
	size_t nsteps;
};

/*
 * The order the runner measures in: VM groups, and in each group, for each
 * (workload, bs), the paths interleaved across repetitions (bh r0, iomap r0,
 * bh r1, iomap r1, ...).  Returns the number of groups.
 */
size_t bench_schedule(const struct matrix *m, const struct cell *cells, size_t ncells,
                      struct bench_group **groups);
void bench_groups_free(struct bench_group *g, size_t n);
/*
 * Appends to g the steps of the cells whose group_id is cells_group, for
 * repetitions [from, to), the paths interleaved as bench_schedule() does:
 * a walk's rounds each take a share of the repetitions this way.
 */
void bench_group_add_steps(struct bench_group *g, const char *cells_group, const struct cell *cells,
                           size_t ncells, long from, long to);

/* ---- fio jobs and results (bench_fio.c) ---- */

/* Sysctls held while a write workload runs, restored after. */
struct bench_sysctl {
	const char *name; /* vm.dirty_ratio */
	const char *path; /* /proc/sys/vm/dirty_ratio */
	const char *value;
	const char *why;
};
extern const struct bench_sysctl bench_writeback_sysctls[];
extern const size_t bench_nwriteback_sysctls;
#define BENCH_DROP_CACHES_PATH  "/proc/sys/vm/drop_caches"
#define BENCH_DROP_CACHES_VALUE "3"

/* The job file of one sample; NULL after an error line (a file name fio would split). */
char *bench_fio_job(const struct bench_workload *w, int64_t bs, int64_t file_size, long runtime,
                    const char *file);
/* The job that writes the file for BENCH_PREP_WRITTEN workloads. */
char *bench_fio_prepare_job(int64_t file_size, const char *file);
/* fio's arguments to run job and leave JSON in json_out (argv[0] is "fio"). */
void bench_fio_argv(struct strvec *argv, const char *job, const char *json_out);
/*
 * Whether a fio maps uncached=1 to RWF_DONTCACHE, from `fio --enghelp=pvsync2`.
 * fio before 3.38 sends RWF_UNCACHED (0x40, now the kernel's RWF_ATOMIC) and
 * upstream 3.38/3.39 ignore the option; 3.40 and Debian's 3.39-1 set 0x80.
 */
bool bench_fio_uncached_ok(const char *enghelp);

struct fio_result {
	char *version;    /* "fio-3.39" */
	char *ddir;       /* "read" or "write": the side the numbers come from */
	int64_t bw_bytes; /* bytes per second */
	int64_t io_bytes;
	int64_t runtime_ms;
	double mib_s; /* bw_bytes / 2^20, the cover letter's unit */
};
/* Parses `fio --output-format=json`; what names the source in errors.  0 or -1. */
int fio_parse_json(const char *text, const struct bench_workload *w, const char *what,
                   struct fio_result *r);
int fio_parse_json_file(const char *path, const struct bench_workload *w, struct fio_result *r);
void fio_result_free(struct fio_result *r);

/* ---- results store (bench_store.c): results/iolab.db ---- */
#define STORE_DEFAULT_PATH   "results/iolab.db"
#define STORE_SCHEMA_VERSION 1

struct store;

struct sample {
	const char *run_id;
	const char *cell_id;
	int rep;
	bool ok;
	const char *failure; /* one line when !ok */
	double mib_s;
	int64_t bw_bytes;
	int64_t io_bytes;
	int64_t runtime_ms;
	const char *fio_version;
	const char *job_path;
	const char *json_path;
	json_t *evidence;  /* borrowed; may be NULL */
	double overhead_s; /* wall time of the sample beyond fio's runtime */
	const char *host;
	const char *accel;
	const char *created; /* NULL: now */
};

/* A stored cell, as store_load_cells() hands it out. */
struct stored_cell {
	const char *cell_id;
	const char *kernel;
	const char *device;
	const char *fs_config;
	const char *workload;
	int64_t bs;
	const char *path;
	const char *status; /* pending, ok, failed, not-measured */
	const char *reason;
};

struct run_info {
	char *run_id;
	char *created;
	char *matrix_name;
	char *matrix_path;
	char *matrix_sha256;
	char *status;
	json_t *meta;
};

/* Opens (creating parent directories and the schema) or returns -1 after one error line. */
int store_open(const char *path, struct store **st);
void store_close(struct store *st);
/* "20261121-203015-cover-letter" (UTC), suffixed -2, -3... when taken. */
char *store_new_run_id(struct store *st, const char *matrix_name);
int store_create_run(struct store *st, const char *run_id, const struct matrix *m, json_t *meta);
int store_set_run_status(struct store *st, const char *run_id, const char *status);
/* Replaces the run's metadata: a walk adds each point's kernel and build as it goes. */
int store_set_run_meta(struct store *st, const char *run_id, json_t *meta);
/* Adds cells as pending; cells already there keep their status (resume). */
int store_add_cells(struct store *st, const char *run_id, const struct cell *cells, size_t n);
int store_set_cell_status(struct store *st, const char *run_id, const char *cell_id,
                          const char *status, const char *reason);
int store_set_group(struct store *st, const char *run_id, const char *group_id, json_t *meta);
/*
 * Stores one sample in its own transaction.  It may replace a failed sample
 * of the same (cell, rep), never a good one.
 */
int store_add_sample(struct store *st, const struct sample *s);
/*
 * Many writes as one transaction (merging job results): one commit instead
 * of one per sample.  store_batch_end commits, or rolls back when !commit.
 */
int store_batch_begin(struct store *st);
int store_batch_end(struct store *st, bool commit);
/* 1 when a good sample of (run, cell, rep) is stored, 0 when not (or it failed), -1 on error. */
int store_have_sample(struct store *st, const char *run_id, const char *cell_id, int rep);

int store_run_info(struct store *st, const char *run_id, struct run_info *ri);
/* 1 when the store holds the run, 0 when not (silently), -1 on error. */
int store_has_run(struct store *st, const char *run_id);
/* Every run, newest first. */
int store_list_runs(struct store *st, struct run_info **runs, size_t *n);
void run_info_free(struct run_info *ri);
void run_infos_free(struct run_info *ri, size_t n);

/* Callbacks see strings valid for the call only; a nonzero return stops and is returned. */
typedef int (*store_cell_fn)(const struct stored_cell *c, void *arg);
typedef int (*store_sample_fn)(const struct stored_cell *c, const struct sample *s, void *arg);
int store_load_cells(struct store *st, const char *run_id, store_cell_fn fn, void *arg);
/* Samples joined with their cells, in the order the cells were added, then by rep. */
int store_load_samples(struct store *st, const char *run_id, store_sample_fn fn, void *arg);

#endif
