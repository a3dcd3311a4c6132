/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_BENCH_JOBS_H
#define IOLAB_BENCH_JOBS_H

#include <stddef.h>

#include "bench_run.h"

struct bench_plan_info {
	char *run_id;
	size_t njobs;
};

/*
 * Writes outdir/plan.json and outdir/jobs/job-NNN.json, one per VM group,
 * each naming the cached kernel and image it needs by key and carrying its
 * matrix text.  The run is created in the store as "planned".
 */
/* local_vms: > 0 when the local executor will run the jobs here, that many at once. */
int bench_plan(const struct bench_opts *o, const char *outdir, long local_vms,
               struct bench_plan_info *info);
/* Runs one job into outdir (results.db, sample files, job-result.json). 0, 1 (failed samples), -1.
 */
int bench_run_job(const struct bench_opts *o, const char *job_path, const char *outdir);
/*
 * Merges the job results found under dirs into the store, after checking
 * each against plan_dir/plan.json (run, matrix hash, kernel and image keys,
 * no job twice).  Names the jobs still missing: returns 1 then, 0 when all
 * are in, -1 on a refusal (nothing written).
 */
int bench_collect(const struct bench_opts *o, const char *plan_dir, const char *const *dirs,
                  size_t ndirs);
/* Runs a plan's jobs with N local processes or as a Slurm array, then collects. */
int bench_execute(const struct bench_opts *o, const char *plan_dir, const char *executor, long jobs,
                  bool wait);

#endif
