/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_WALK_H
#define IOLAB_WALK_H

/*
 * A series walk: which patch of a series moves which cell.  Its points are
 * the base tree and the tree after patch k; each point is an ordinary
 * cached kernel, and a walk is an ordinary bench run whose matrix lists one
 * kernel per point ([matrix] walk = SERIES, [kernel.pK] upto = K), measured
 * in rounds that interleave the points.  This header holds what needs no
 * VM (walk.c: points, schedule, bisect search; walk_report.c: the per-point
 * table and plot) and the driver (walk_run.c).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bench.h"
#include "report.h"
#include "util.h"

/* ---- points ---- */

/*
 * The points of a walk over a series of npatches, as upto values (0 is the
 * base): at NULL or "" is every patch; else a list like "9,12", "1-4,12" or
 * "base,3".  Base always comes first, the rest ascending.  -1 after one
 * error line.
 */
int walk_points_parse(const char *at, size_t npatches, long **upto, size_t *n);
/* "base", "p3": a point's kernel name in the walk's matrix; caller frees. */
char *walk_point_name(long upto);
/* The upto of a point name, or -1 when name is none. */
long walk_point_upto(const char *name);

/* ---- the schedule ---- */

/*
 * The order a walk measures in.  Repetitions are split into rounds; each
 * round boots every point once per (device, fs config) and takes its share
 * of the repetitions, paths interleaved as in bench_schedule().  The
 * points' order alternates from round to round (forward, backward,
 * forward...), so drift of the host that is linear in time lands on every
 * point alike instead of on the last patches.  kernels are indices into
 * m->kernels, in walk order; first_rep (NULL: all 0) numbers each one's
 * repetitions from there, so a point measured again (base, at every step of
 * a bisect) takes new ones; tag (may be NULL) goes into the groups' ids.
 * rounds < 1 or above the repetitions is taken as the repetitions.  Returns
 * the number of groups (one per boot).
 */
size_t walk_schedule(const struct matrix *m, const struct cell *cells, size_t ncells,
                     const size_t *kernels, const long *first_rep, size_t nkernels, long rounds,
                     const char *tag, struct bench_group **groups);

/* ---- the cell a bisect follows ---- */

/*
 * The one cell of cells (kernel part aside) that spec names: its last
 * components, "WORKLOAD/BS/PATH", "FS/WORKLOAD/BS/PATH" or
 * "DEVICE/FS/WORKLOAD/BS/PATH" (BS as 64k or 65536).  Returns the index of
 * the first such cell, or -1 after one error line naming the choices.
 */
ssize_t walk_cell_match(const struct cell *cells, size_t ncells, const char *spec);
/* "virtio-blk/4k/write_cache/64k/bh": a cell's id without its kernel; caller frees. */
char *walk_cell_key(const char *cell_id);

/* ---- bisect ---- */

enum walk_verdict {
	WALK_UNTESTED,
	WALK_BROKEN,  /* the kernel does not build */
	WALK_TOO_FEW, /* fewer than STATS_MIN_SAMPLES good samples: no verdict */
	WALK_SAME,    /* not beyond the threshold with significance, against base */
	WALK_MOVED,   /* beyond it, with significance, the way the whole series moves */
};

enum walk_bisect_state {
	WALK_BISECT_RUNNING,
	WALK_BISECT_FOUND,
	WALK_BISECT_NO_CHANGE,    /* base and the last point do not differ beyond the threshold */
	WALK_BISECT_INCONCLUSIVE, /* base, or every point after it, gave no verdict */
};

struct walk_bisect_point {
	enum walk_verdict v;
	double *x; /* the cell's good samples */
	size_t n;
	double *base_x; /* base's, taken beside this point's */
	size_t base_n;
	bool have_cmp;
	struct stats_comparison cmp; /* against base_x */
};

/*
 * The search for the first point where a cell moves: base (point 0) and the
 * last point that builds first, measured together; then halving the
 * interval between the last point known not to move and the first known
 * to move.  Each point is judged against base's samples taken beside it
 * (the driver measures base again at every step), so drift of the host
 * between steps is not taken for a patch's effect.  A point that does not
 * build, or has too few good samples, is stepped around (the nearest
 * untested point to the middle instead), so the answer may be a range of
 * patches.  Testing is O(log n) points.
 */
struct walk_bisect {
	size_t n;
	double threshold_pct;
	struct walk_bisect_point *pt;
	enum walk_bisect_state state;
	size_t end;    /* the last point that builds, the series' far end */
	int direction; /* -1: the series makes the cell slower, +1 faster */
	size_t lo,
	        hi; /* when found: lo the last point that does not move, hi the first that does */
	size_t ntested; /* points measured or found not to build */
	char *why;      /* a sentence when not found */
};

void walk_bisect_init(struct walk_bisect *b, size_t npoints, double threshold_pct);
void walk_bisect_free(struct walk_bisect *b);
/* The points to measure next (up to 2, written to out); 0 when the search is over. */
size_t walk_bisect_next(struct walk_bisect *b, size_t out[2]);
/*
 * What measuring a point gave: the cell's good samples and base's taken
 * beside them (NULL: base's first ones), or that it does not build.
 */
void walk_bisect_feed(struct walk_bisect *b, size_t point, const double *x, size_t n,
                      const double *base_x, size_t base_n, bool broken);
const char *walk_verdict_name(enum walk_verdict v);
/* Whether a comparison against base is a move beyond threshold_pct in direction (0: either). */
bool walk_moves(const struct stats_comparison *c, double threshold_pct, int direction);

/* ---- the per-point table (walk_report.c) ---- */

struct walk_point_info {
	char *name;    /* base, p3 */
	long upto;     /* 0 for base */
	char *subject; /* of patch upto; NULL for base */
	char *state;   /* built, cached, broken, untested */
	double seconds;
	char *error; /* the first compiler error line of a point that does not build */
};

struct walk_col {
	char *key;   /* virtio-blk/4k/write_cache/1M/bh */
	char *title; /* "write cache 1M bh" */
};

struct walk_entry {
	const struct report_cell *cell; /* NULL: the point has no such cell */
	/* The point's kernel chose another path for this cell (report_cell.by_default). */
	bool moved_away;
	bool have_prev; /* against the previous point that measured the cell */
	struct stats_comparison prev;
	bool have_base;
	struct stats_comparison base;
};

struct walk_table {
	const struct report_run *run;
	char *series; /* iolab-walk-test@v1 */
	char *title;  /* the series' title, may be NULL */
	char *mode;   /* walk or bisect */
	long rounds;
	struct walk_point_info *points;
	size_t npoints;
	struct walk_col *cols;
	size_t ncols;
	struct walk_entry *entries; /* [point * ncols + col] */
	struct strvec notes;        /* beneath the table: why cells show no number */
	json_t *bisect;             /* the run's bisect record, or NULL */
};

/* The table of a walk run; -1 after one error line when the run is not a walk. */
int walk_table_build(const struct report_run *run, struct walk_table *t);
void walk_table_free(struct walk_table *t);
/* REPORT_TEXT or REPORT_MD (what a reviewer pastes into a reply on the list). */
void walk_table_render(const struct walk_table *t, enum report_format f, struct strbuf *out);
/* x = patch, y = MiB/s, one line per cell (median, min-max): DIR/walk.{png,svg,tsv}. */
int walk_table_plot(const struct walk_table *t, const char *dir);
/* The bisect's outcome in words, from the run's record; nothing when there is none. */
void walk_bisect_render(const struct walk_table *t, enum report_format f, struct strbuf *out);

/* ---- the driver (walk_run.c) ---- */

struct walk_opts {
	char *matrix; /* the cells: bench/walk.conf by default */
	char *series; /* NAME[@vN[-on-BASE]]; default the matrix kernel's series */
	char *at;     /* the points; NULL: every patch */
	char *bisect; /* a cell: WORKLOAD/BS/PATH... */
	char *threshold;
	long rounds;
	char *resume;
	char *show;
	char *db;
	char *results;
	char *accel;
	char *format;
	char *plots;
	long runtime;
	long reps;
	long jobs; /* make -j for the kernels */
};

/*
 * Runs (or resumes) a walk or a bisect.  Returns 0, 1 when a sample failed
 * or a bisect found nothing, -1 when the walk could not start; *run_id names
 * the run once it started.
 */
int walk_run(const struct walk_opts *o, char **run_id);
/* Prints a stored walk's table (and bisect) in f, drawing the plot into plots_dir if set. */
int walk_show(const char *db, const char *run_spec, enum report_format f, const char *plots_dir);

#endif
