/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_BENCH_RUN_H
#define IOLAB_BENCH_RUN_H

#include <stdbool.h>

#include "bench.h"

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

#endif
