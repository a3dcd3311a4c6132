// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bench_run.h"
#include "commands.h"
#include "opts.h"
#include "paths.h"

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
	"  iolab bench bench/smoke.conf --runtime 1\n"
	"  iolab bench --resume 20261121-203015-cover-letter bench/cover-letter.conf"};

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = {0};
	char *run_id = NULL, *def = NULL;
	int rest, r;

	r = opts_parse(&bench_usage, bench_opts_table, &o, argc, argv, 1, &rest);
	if (r)
		return r < 0 ? 2 : 0;
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
			error("no matrix given and bench/cover-letter.conf not found (set IOLAB_HOME)");
			opts_free(bench_opts_table, &o);
			return 2;
		}
		o.matrix = def;
	}
	r = bench_run(&o, &run_id);
	if (run_id && strcmp(o.format, "none"))
		printf("tables: iolab report %s\n", run_id);
	free(run_id);
	free(o.matrix);
	opts_free(bench_opts_table, &o);
	return r < 0 ? 2 : r;
}
