// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "opts.h"
#include "paths.h"
#include "walk.h"

static const struct opt walk_opts_table[] = {
        {"series", OPT_STR, offsetof(struct walk_opts, series), "NAME[@vN[-on-BASE]]",
         "the series to walk (default: the matrix kernel's series); pinned to the version "
         "picked for the source",
         NULL, NULL},
        {"at", OPT_STR, offsetof(struct walk_opts, at), "LIST",
         "the points after base: patch numbers and ranges (9,12 or 1-4,12); default every "
         "patch",
         NULL, NULL},
        {"bisect", OPT_STR, offsetof(struct walk_opts, bisect), "CELL",
         "find the first patch that moves CELL ([DEVICE/FS/]WORKLOAD/BS/PATH, e.g. "
         "write_cache/1M/bh), testing O(log n) points",
         NULL, NULL},
        {"threshold", OPT_STR, offsetof(struct walk_opts, threshold), "PCT",
         "--bisect: a move counts when beyond this (default 5%), with significance (Welch "
         "p < 0.05)",
         NULL, NULL},
        {"rounds", OPT_INT, offsetof(struct walk_opts, rounds), "N",
         "boots per point, each taking a share of the repetitions (default: one round per "
         "repetition, fully interleaved)",
         NULL, NULL},
        {"resume", OPT_STR, offsetof(struct walk_opts, resume), "RUN",
         "continue a killed walk or bisect: built kernels and stored samples are reused", NULL,
         NULL},
        {"show", OPT_STR, offsetof(struct walk_opts, show), "RUN",
         "print a stored walk's table (and bisect) again; measures nothing", NULL, NULL},
        {"runtime", OPT_INT, offsetof(struct walk_opts, runtime), "SECONDS",
         "override the matrix's runtime per sample", NULL, NULL},
        {"reps", OPT_INT, offsetof(struct walk_opts, reps), "N",
         "override the matrix's repetitions", NULL, NULL},
        {"accel", OPT_CHOICE, offsetof(struct walk_opts, accel), NULL,
         "KVM when it works (auto), or force one", "auto", "auto|kvm|tcg"},
        {"jobs", OPT_INT, offsetof(struct walk_opts, jobs), "N",
         "parallel make jobs for the kernels (default: the CPUs)", "0", NULL},
        {"format", OPT_CHOICE, offsetof(struct walk_opts, format), NULL,
         "the table at the end: text, md (to paste into a reply on the list) or none", "text",
         "text|md|none"},
        {"plots", OPT_STR, offsetof(struct walk_opts, plots), "DIR",
         "where the plot goes (walk.png, walk.svg, walk.tsv); default results/RUN/plots", NULL,
         NULL},
        {"db", OPT_STR, offsetof(struct walk_opts, db), "PATH", "the results store",
         "results/iolab.db", NULL},
        {"results", OPT_STR, offsetof(struct walk_opts, results), "DIR",
         "where each run's files go (and the walks' matrices, in DIR/walks/)", "results", NULL},
        OPT_END,
};

static const struct cmd_usage walk_usage = {
        "iolab walk [options] [MATRIX]",
        "Which patch of a series moves which cell.  Builds the kernel at each point of the\n"
        "series (base, after patch k) incrementally in one object tree, printing each build's\n"
        "time; a point that does not build is reported with its first compiler error and the\n"
        "walk goes on.  Measures the matrix's cells (default bench/walk.conf) on every point,\n"
        "both paths where the kernel has buffered_iomap; where not, the kernel's own path,\n"
        "which the probe names (a figure marked (default)); repetitions interleaved across\n"
        "points in rounds; prints one row per point with the median, the\n"
        "change against the previous point and against base and Welch's mark, and plots it.\n"
        "--bisect CELL finds the first patch that moves CELL instead.  Exits 1 when a sample\n"
        "failed or a bisect found no move, 2 on bad input.",
        "examples:\n"
        "  iolab --patch-store ../shared/series walk --series ext4-iomap-buffered-io\n"
        "  iolab walk --at 9,12 --format md bench/walk.conf > walk.md\n"
        "  iolab walk --bisect write_cache/1M/bh --threshold 5% bench/walk.conf\n"
        "  iolab walk --resume 20261202-101500-walk\n"
        "  iolab walk --show latest --format md"};

int cmd_walk(int argc, char **argv)
{
	struct walk_opts o = {0};
	char *run_id = NULL;
	int rest, r = opts_parse(&walk_usage, walk_opts_table, &o, argc, argv, 1, &rest);

	if (r)
		return r < 0 ? 2 : 0;
	if (rest < argc - 1) {
		error("iolab walk takes one matrix file (see --help)");
		r = 2;
		goto out;
	}
	if (o.show) {
		enum report_format f = !strcmp(o.format, "md") ? REPORT_MD : REPORT_TEXT;

		r = walk_show(o.db, o.show, f, o.plots) < 0 ? 2 : 0;
		goto out;
	}
	if (o.resume && rest == argc - 1) {
		error("--resume takes the walk's matrix from the run; drop %s", argv[rest]);
		r = 2;
		goto out;
	}
	if (rest == argc - 1) {
		o.matrix = xstrdup(argv[rest]);
	} else if (!o.resume) {
		o.matrix = data_path("bench/walk.conf");
		if (!o.matrix) {
			error("no matrix given and bench/walk.conf not found (set IOLAB_HOME)");
			r = 2;
			goto out;
		}
	}
	r = walk_run(&o, &run_id);
	r = r < 0 ? 2 : r;
out:
	free(run_id);
	free(o.matrix);
	opts_free(walk_opts_table, &o);
	return r;
}
