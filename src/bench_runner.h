/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_BENCH_RUNNER_H
#define IOLAB_BENCH_RUNNER_H

/*
 * The bench stage's internals shared by a local run (bench_run.c) and the
 * job path (bench_jobs.c: plan, run-job, collect): both measure a VM group
 * the same way, so a run assembled from many hosts equals a local one.
 */
#include "bench.h"
#include "bench_run.h"
#include "kernel.h"

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
