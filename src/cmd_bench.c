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
#include "vm.h"

/* The command line: the library's options, the guest's, and what only the builtin uses. */
struct bench_cli {
	struct bench_opts o;
	struct vm_args vm;
	char *out;
	char *executor; /* local, slurm */
	long jobs;      /* local executor: VMs at once */
	bool no_wait;   /* slurm: submit and return */
	/* The modes' old flags, kept for a release. */
	bool plan;
	char *run_job;
	bool collect;
};

static const struct opt bench_opts_table[] = {
        {"resume", OPT_STR, offsetof(struct bench_cli, o.resume), "RUN",
         "take only the samples run RUN is still missing", NULL, NULL},
        {"runtime", OPT_INT, offsetof(struct bench_cli, o.runtime), "SECONDS",
         "override the matrix's runtime per sample", NULL, "1..3600"},
        {"reps", OPT_INT, offsetof(struct bench_cli, o.reps), "N",
         "override the matrix's repetitions", NULL, "1..1000"},
        {"db", OPT_STR, offsetof(struct bench_cli, o.db), "PATH", "the results store",
         "results/iolab.db", NULL},
        {"results", OPT_STR, offsetof(struct bench_cli, o.results), "DIR",
         "where each run's files go", "results", NULL},
        {"format", OPT_CHOICE, offsetof(struct bench_cli, o.format), NULL,
         "format of the tables printed at the end", "text", "text|md|csv|json|none"},
        {"executor", OPT_CHOICE, offsetof(struct bench_cli, executor), NULL,
         "run the matrix's jobs as N local processes or as a Slurm job array", NULL, "local|slurm"},
        {"jobs", OPT_INT, offsetof(struct bench_cli, jobs), "N",
         "local executor: VMs at once (also -j N); more than 1 disturbs the figures", "1", "1..64"},
        {"no-wait", OPT_BOOL, offsetof(struct bench_cli, no_wait), NULL,
         "slurm executor: submit the array and return (collect later)", NULL, NULL},
        {"trace-measured", OPT_BOOL, offsetof(struct bench_cli, o.trace_measured), NULL,
         "also trace the measured samples (bench/trace-cost uses it to show what tracing "
         "costs; never for figures)",
         NULL, NULL},
        {"out", OPT_STR, offsetof(struct bench_cli, out), "DIR",
         "where plan writes jobs, run-job its results, or --executor its plan", NULL, NULL},
        {"plan", OPT_BOOL, offsetof(struct bench_cli, plan), NULL, "deprecated: 'iolab bench plan'",
         NULL, NULL},
        {"run-job", OPT_STR, offsetof(struct bench_cli, run_job), "JOB",
         "deprecated: 'iolab bench run-job JOB'", NULL, NULL},
        {"collect", OPT_BOOL, offsetof(struct bench_cli, collect), NULL,
         "deprecated: 'iolab bench collect'", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage bench_usage = {
        "iolab bench [options] [MATRIX]\n"
        "       iolab bench plan --out DIR [options] [MATRIX]\n"
        "       iolab bench run-job --out DIR [options] JOB\n"
        "       iolab bench collect [options] DIR...",
        "Runs a bh-vs-iomap fio matrix (default bench/cover-letter.conf): builds or finds\n"
        "its kernels and the guest image, boots one VM per (kernel, device, fs config),\n"
        "takes every sample with its evidence, stores it in results/iolab.db at once, and\n"
        "prints the run id and the tables.  Ctrl-C loses nothing taken; --resume RUN\n"
        "takes only what is missing.  Exits 1 when a sample failed (it is kept as failed).\n"
        "  plan      write the run as self-contained jobs (one per VM group) into --out DIR\n"
        "  run-job   run one planned job, writing its results into --out DIR\n"
        "  collect   merge the job results under the DIRs given into the store",
        "examples:\n"
        "  iolab bench                               # bench/cover-letter.conf\n"
        "  iolab bench plan --out plan/ bench/sweep.conf    # then, anywhere the cache is "
        "shared:\n"
        "  iolab bench run-job --out plan/results/job-000 plan/jobs/job-000.json\n"
        "  iolab bench collect plan/\n"
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
		error("no plan.json in or above %s: give the directory 'iolab bench plan' wrote",
		      n ? dirs[0] : "the directories");
	return found;
}

static int run_job_mode(struct bench_cli *c, const struct strvec *args)
{
	const char *job = c->run_job;

	if (args->n != !job)
		return error("iolab bench run-job takes one JOB file (see --help)");
	if (!c->out)
		return error("iolab bench run-job needs --out DIR for its results");
	return bench_run_job(&c->o, job ? job : args->v[0], c->out);
}

static int collect_mode(struct bench_cli *c, const struct strvec *args)
{
	char *plan;
	int r;

	if (!args->n)
		return error("iolab bench collect takes the directory 'iolab bench plan' wrote, or "
		             "directories of its job results (see --help)");
	plan = find_plan_dir(args->v, (int)args->n);
	if (!plan)
		return -1;
	r = bench_collect(&c->o, plan, (const char *const *)args->v, args->n);
	free(plan);
	return r;
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

enum bench_mode { BENCH_RUN, BENCH_PLAN, BENCH_RUN_JOB, BENCH_COLLECT };
static const char *const bench_modes[] = {"run", "plan", "run-job", "collect", NULL};

/* The matrix named, else bench/cover-letter.conf; NULL after one error line. */
static char *matrix_arg(const struct strvec *args)
{
	char *def;

	if (args->n > 1) {
		error("iolab bench takes one matrix file (see --help)");
		return NULL;
	}
	if (args->n == 1)
		return xstrdup(args->v[0]);
	def = data_path("bench/cover-letter.conf");
	if (!def)
		error("no matrix given and bench/cover-letter.conf not found (set IOLAB_HOME)");
	return def;
}

static int plan_mode(struct bench_cli *c)
{
	struct bench_plan_info pi = {0};
	int r;

	if (!c->out)
		return error("iolab bench plan needs --out DIR for the jobs");
	r = bench_plan(&c->o, c->out, 0, &pi);
	if (r == 0)
		printf("run %s: %zu jobs planned in %s\n", pi.run_id, pi.njobs, c->out);
	free(pi.run_id);
	return r;
}

/* A matrix's jobs through an executor; *run_id once they are collected. */
static int execute_mode(struct bench_cli *c, char **run_id)
{
	char *dir =
	        c->out ? xstrdup(c->out) : xasprintf("%s/plan-%ld", c->o.results, (long)getpid());
	struct bench_plan_info pi = {0};
	int r = bench_plan(&c->o, dir, !strcmp(c->executor, "local") ? c->jobs : 0, &pi);

	if (r == 0) {
		printf("run %s: %zu jobs planned in %s\n", pi.run_id, pi.njobs, dir);
		fflush(stdout);
		r = bench_execute(&c->o, dir, c->executor, c->jobs, !c->no_wait);
		if (r >= 0 && !(c->no_wait && !strcmp(c->executor, "slurm")))
			*run_id = xstrdup(pi.run_id);
	}
	free(pi.run_id);
	free(dir);
	return r;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_cli c = {0};
	struct strvec args = STRVEC_INIT;
	char *run_id = NULL;
	int word, mode = -1, r;
	struct opt *table;

	expand_j(argc, argv);
	word = opts_mode_word(bench_modes, argc, argv);
	/* Of the guest's options only the accelerator: the matrix says the rest. */
	table = opts_join(bench_opts_table, vm_options, offsetof(struct bench_cli, vm), "accel");
	r = opts_parse_args(&bench_usage, table, &c, argc, argv, word >= 0 ? 2 : 1, &args);
	if (r == 0) {
		bool flags[] = {false, c.plan, c.run_job != NULL, c.collect};

		mode = opts_mode("iolab bench", bench_modes, word, flags);
	}
	c.o.accel = c.vm.accel;
	if (mode < 0)
		r = r > 0 ? 0 : -1;
	else if (mode == BENCH_RUN_JOB)
		r = run_job_mode(&c, &args);
	else if (mode == BENCH_COLLECT)
		r = collect_mode(&c, &args);
	else if (!(c.o.matrix = matrix_arg(&args)))
		r = -1;
	else if (mode == BENCH_PLAN)
		r = plan_mode(&c);
	else
		r = c.executor ? execute_mode(&c, &run_id) : bench_run(&c.o, &run_id);
	if (run_id && strcmp(c.o.format, "none")) {
		/* The report stage renders the tables, exactly as 'iolab report RUN' would. */
		char *rargv[] = {"report", run_id, "--db", c.o.db, "--format", c.o.format, NULL};

		printf("\n");
		fflush(stdout);
		cmd_report(6, rargv);
		print_cv(c.o.db, run_id);
	}
	free(run_id);
	free(c.o.matrix);
	opts_free(table, &c);
	free(table);
	sv_clear(&args);
	return r < 0 ? 2 : r;
}
