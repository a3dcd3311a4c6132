// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_jobs.h"
#include "bench_run.h"
#include "commands.h"
#include "opts.h"
#include "paths.h"
#include "report.h"

static const struct opt bench_opts_table[] = {
        {"resume", OPT_STR, offsetof(struct bench_opts, resume), "RUN",
         "take only the samples run RUN is still missing", NULL, NULL},
        {"runtime", OPT_INT, offsetof(struct bench_opts, runtime), "SECONDS",
         "override the matrix's runtime per sample", NULL, NULL},
        {"reps", OPT_INT, offsetof(struct bench_opts, reps), "N",
         "override the matrix's repetitions", NULL, NULL},
        {"accel", OPT_CHOICE, offsetof(struct bench_opts, accel), NULL,
         "KVM when it works (auto), or force one", "auto", "auto|kvm|tcg"},
        {"db", OPT_STR, offsetof(struct bench_opts, db), "PATH", "the results store",
         "results/iolab.db", NULL},
        {"results", OPT_STR, offsetof(struct bench_opts, results), "DIR",
         "where each run's files go", "results", NULL},
        {"format", OPT_CHOICE, offsetof(struct bench_opts, format), NULL,
         "format of the tables printed at the end", "text", "text|md|csv|json|none"},
        {"executor", OPT_CHOICE, offsetof(struct bench_opts, executor), NULL,
         "run the matrix's jobs as N local processes or as a Slurm job array", NULL, "local|slurm"},
        {"jobs", OPT_INT, offsetof(struct bench_opts, jobs), "N",
         "local executor: VMs at once (also -j N); more than 1 disturbs the figures", "1", NULL},
        {"no-wait", OPT_BOOL, offsetof(struct bench_opts, no_wait), NULL,
         "slurm executor: submit the array and return (collect later)", NULL, NULL},
        {"plan", OPT_BOOL, offsetof(struct bench_opts, plan), NULL,
         "write the run as self-contained jobs (one per VM group) into --out DIR", NULL, NULL},
        {"run-job", OPT_STR, offsetof(struct bench_opts, run_job), "JOB",
         "run one planned job, writing its results into --out DIR", NULL, NULL},
        {"collect", OPT_BOOL, offsetof(struct bench_opts, collect), NULL,
         "merge the job results under the DIRs given into the store", NULL, NULL},
        {"trace-measured", OPT_BOOL, offsetof(struct bench_opts, trace_measured), NULL,
         "also trace the measured samples (bench/trace-cost uses it to show what tracing "
         "costs; never for figures)",
         NULL, NULL},
        {"out", OPT_STR, offsetof(struct bench_opts, out), "DIR",
         "where --plan writes jobs, or --run-job its results", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage bench_usage = {
        "iolab bench [options] [MATRIX]",
        "Runs a bh-vs-iomap fio matrix (default bench/cover-letter.conf): builds or finds\n"
        "its kernels and the guest image, boots one VM per (kernel, device, fs config),\n"
        "takes every sample with its evidence, stores it in results/iolab.db at once, and\n"
        "prints the run id and the tables.  Ctrl-C loses nothing taken; --resume RUN\n"
        "takes only what is missing.  Exits 1 when a sample failed (it is kept as failed).",
        "examples:\n"
        "  iolab bench                               # bench/cover-letter.conf\n"
        "  iolab bench --plan bench/sweep.conf --out plan/    # then, anywhere the cache is "
        "shared:\n"
        "  iolab bench --run-job plan/jobs/job-000.json --out plan/results/job-000\n"
        "  iolab bench --collect plan/\n"
        "  iolab bench --executor slurm bench/sweep.conf  # or --executor local -j 2\n"
        "  iolab bench bench/smoke.conf --runtime 1\n"
        "  iolab bench --resume 20261121-203015-cover-letter bench/cover-letter.conf"};

/*
 * The spread of each cell's repetitions, the run's own check on its
 * figures (goal: <= 3 % on the large block sizes).
 */
static void print_cv(const char *db, const char *run_id)
{
	struct store *st = NULL;
	struct report_run run = {0};
	size_t shown = 0;

	if (report_store_open(db, &st) < 0)
		return;
	if (report_run_load(st, run_id, &run) == 0) {
		printf("\ncoefficient of variation of the repetitions, per cell:\n");
		for (size_t i = 0; i < run.ncells; i++) {
			const struct report_cell *c = &run.cells[i];

			if (c->nok >= 2) {
				printf("  %-52s %5.1f %%%s\n", c->id, c->sum.cv * 100,
				       c->bs >= (64 << 10) && c->sum.cv > 0.03 ? "  (> 3 %)" : "");
				shown++;
			}
		}
		if (!shown)
			printf("  (no cell has two good samples)\n");
	}
	report_run_free(&run);
	store_close(st);
}

/* The plan directory of a set of result directories: where plan.json is. */
static char *find_plan_dir(char **dirs, int n)
{
	char *found = NULL;

	for (int i = 0; i < n; i++) {
		const char *ups[] = {"", "/..", "/../.."};

		for (size_t u = 0; u < ARRAY_SIZE(ups); u++) {
			char *p = xasprintf("%s%s/plan.json", dirs[i], ups[u]);

			if (path_exists(p)) {
				char *d = xasprintf("%s%s", dirs[i], ups[u]);
				char *real = realpath(d, NULL);

				free(d);
				if (found && real && strcmp(found, real)) {
					error("the directories belong to two plans (%s and %s)",
					      found, real);
					free(found);
					free(real);
					free(p);
					return NULL;
				}
				if (!found)
					found = real;
				else
					free(real);
				free(p);
				break;
			}
			free(p);
		}
	}
	if (!found)
		error("no plan.json in or above %s: give the directory 'iolab bench --plan' wrote",
		      n ? dirs[0] : "the directories");
	return found;
}

static int jobs_mode(struct bench_opts *o, int argc, char **argv, int rest)
{
	if (o->run_job) {
		if (!o->out)
			return error("--run-job needs --out DIR for its results"), 2;
		int r = bench_run_job(o, o->run_job, o->out);

		return r < 0 ? 2 : r;
	}
	if (o->collect) {
		char *plan = find_plan_dir(argv + rest, argc - rest);
		int r;

		if (!plan)
			return 2;
		r = bench_collect(o, plan, (const char *const *)(argv + rest),
		                  (size_t)(argc - rest));
		free(plan);
		return r < 0 ? 2 : r;
	}
	return -1;
}

/* "-j 2" and "-j2" for --jobs, as make users type it. */
static void expand_j(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j"))
			argv[i] = "--jobs";
		else if (starts_with(argv[i], "-j") && argv[i][2] >= '0' && argv[i][2] <= '9')
			argv[i] = xasprintf("--jobs=%s", argv[i] + 2);
	}
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = {0};
	char *run_id = NULL, *def = NULL;
	int rest, r;

	expand_j(argc, argv);
	r = opts_parse(&bench_usage, bench_opts_table, &o, argc, argv, 1, &rest);
	if (r)
		return r < 0 ? 2 : 0;
	if ((r = jobs_mode(&o, argc, argv, rest)) >= 0) {
		opts_free(bench_opts_table, &o);
		return r;
	}
	if (rest < argc - 1) {
		error("iolab bench takes one matrix file (see --help)");
		opts_free(bench_opts_table, &o);
		return 2;
	}
	if (rest == argc - 1) {
		o.matrix = xstrdup(argv[rest]);
	} else {
		def = data_path("bench/cover-letter.conf");
		if (!def) {
			error("no matrix given and bench/cover-letter.conf not found (set "
			      "IOLAB_HOME)");
			opts_free(bench_opts_table, &o);
			return 2;
		}
		o.matrix = def;
	}
	if (o.plan) {
		struct bench_plan_info pi = {0};

		if (!o.out) {
			error("--plan needs --out DIR for the jobs");
			r = -1;
		} else if ((r = bench_plan(&o, o.out, &pi)) == 0) {
			printf("run %s: %zu jobs planned in %s\n", pi.run_id, pi.njobs, o.out);
		}
		free(pi.run_id);
	} else if (o.executor) {
		char *dir = o.out ? xstrdup(o.out)
		                  : xasprintf("%s/plan-%ld", o.results, (long)getpid());
		struct bench_plan_info pi = {0};

		r = bench_plan(&o, dir, &pi);
		if (r == 0) {
			printf("run %s: %zu jobs planned in %s\n", pi.run_id, pi.njobs, dir);
			fflush(stdout);
			r = bench_execute(&o, dir, o.executor, o.jobs, !o.no_wait);
			if (r >= 0 && !(o.no_wait && !strcmp(o.executor, "slurm")))
				run_id = xstrdup(pi.run_id);
		}
		free(pi.run_id);
		free(dir);
	} else {
		r = bench_run(&o, &run_id);
	}
	if (run_id && strcmp(o.format, "none")) {
		/* The report stage renders the tables, exactly as 'iolab report RUN' would. */
		char *rargv[] = {"report", run_id, "--db", o.db, "--format", o.format, NULL};

		printf("\n");
		fflush(stdout);
		cmd_report(6, rargv);
		print_cv(o.db, run_id);
	}
	free(run_id);
	free(o.matrix);
	opts_free(bench_opts_table, &o);
	return r < 0 ? 2 : r;
}
