/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_BENCH_RUN_H
#define IOLAB_BENCH_RUN_H

#include <stdbool.h>

#include "bench.h"
#include "kernel.h"

struct bench_opts {
	char *matrix;
	char *resume;  /* run id to complete */
	char *db;      /* results/iolab.db */
	char *results; /* results/ */
	char *accel;   /* auto, kvm, tcg */
	long runtime;  /* > 0 overrides the matrix */
	long reps;     /* > 0 overrides the matrix */
	char *format;  /* table format for the closing report */
	/* Tracing on in the measured window too: only to measure what it costs. */
	bool trace_measured;
};

/*
 * Runs (or with resume, completes) a matrix.  Returns 0 when every sample
 * it took was good, 1 when some failed (they are stored as failed), -1 when
 * the run could not start; *run_id names the run either way it started.
 */
int bench_run(const struct bench_opts *o, char **run_id);

/*
 * The runner: the bench stage's internals shared by a local run
 * (bench_run.c), the job path (bench_jobs.c: plan, run-job, collect) and a
 * series walk (walk_run.c).  All measure a VM group the same way, so a run
 * assembled from many hosts, or a walk, equals a local run.
 */
struct kctx {
	const struct bench_kernel *bk;
	char *key;
	json_t *meta;
	bool has_series;
};

struct runner {
	const struct bench_opts *o;
	struct matrix m;
	struct series series;
	bool have_series_manifest;
	struct cell *cells;
	size_t ncells;
	struct bench_group *groups;
	size_t ngroups;
	struct kctx *kernels;
	char *image_key;
	json_t *image_meta;
	struct store *st;
	char *run_id;
	char *run_dir;
	char *host;
	char hostname[256];
	char *accel; /* settled after the first boot, so later boots skip the KVM probe */
	/* Progress. */
	size_t total, done, failed, taken;
	double t0;
	bool tty;
	/* Overheads of the samples taken in this invocation. */
	double *overheads;
	size_t noverheads;
	/* The path probes' cost, outside every measured window. */
	double probe_seconds;
	size_t nprobes;
};

/* "Intel(R) Xeon(R) ...": samples record the host model they ran on. */
char *runner_host_model(void);
/* After matrix_load: command-line overrides, the series manifest, the cells. */
int runner_load(struct runner *r);
int runner_load_series(struct runner *r);
void runner_apply_overrides(struct runner *r);
int runner_prepare_kernels(struct runner *r);
int runner_prepare_image(struct runner *r);
const struct kctx *runner_kernel_of(const struct runner *r, const char *name);
json_t *runner_run_meta(struct runner *r);
/* A new run id, or with o->resume the run to complete (its matrix must be unchanged). */
int runner_open_run(struct runner *r);
/* The run's directory, and for a new run its row, run.json and matrix.conf; then its cells. */
int runner_start_run(struct runner *r, json_t *meta);
void runner_save_run_json(struct runner *r, json_t *meta);
/* Adds the samples the groups will take to r->total (the progress line's denominator). */
void runner_count_steps(struct runner *r, const struct bench_group *g, size_t n);
/* After the groups: cell statuses, the run's status, and the closing lines. */
void runner_end_run(struct runner *r);
int runner_run_group(struct runner *r, const struct bench_group *grp);
void runner_mark_cells(struct runner *r);
int runner_finish_cells(struct runner *r);
void runner_print_overhead(struct runner *r);
void runner_free(struct runner *r);

#endif
