/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_REPORT_H
#define IOLAB_REPORT_H

/*
 * The report stage: a stored run (bench.h's results store) read back,
 * summarized per cell (report_stats.h), laid out as the cover letter's two
 * tables per (kernel, device, fs config), rendered as text, Markdown, CSV,
 * JSON or one self-contained HTML page, plotted (report_plot.h), and two runs
 * held against each other (the nightly regression gate).
 *
 * A number is only ever printed for a cell whose status is ok, from its ok
 * samples: the runner stores a sample as ok only when its evidence (mount
 * options, iomap tracepoints, page cache) showed it ran on the cell's path.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench.h"
#include "report_reference.h"
#include "report_stats.h"
#include "util.h"

/* ---- a stored run, read back (report_run.c) ---- */

struct report_sample {
	int rep;
	bool ok;
	char *failure;
	double mib_s;
	char *fio_version;
	char *job_path;
	char *json_path;
	char *host;
	char *accel;
	char *created;
	double overhead_s;
	json_t *evidence; /* owned; NULL when none was stored */
};

struct report_cell {
	char *id;
	char *kernel;
	char *device;
	char *fs;
	char *workload;
	int64_t bs;
	/*
	 * The path the samples ran on.  On a kernel without the path option the
	 * kernel chose it: path is then what every good sample's probe saw, and
	 * by_default is set (the cell id keeps the path the matrix asked for).
	 */
	char *path;
	bool by_default;
	char *status; /* pending, ok, failed, not-measured */
	char *reason; /* NULL when none was stored */
	struct report_sample *samples;
	size_t nsamples;
	/* The ok samples' MiB/s in rep order, and their summary when nok > 0. */
	double *mibs;
	size_t nok;
	struct stats_summary sum;
};

/* Beneath a table, for cells whose path the kernel chose (by_default). */
#define REPORT_BY_DEFAULT_NOTE                                                                     \
	"the kernel has no path option; its probe saw it take this path by itself"

struct report_run {
	struct run_info info;
	struct report_cell *cells; /* in the order the runner added them */
	size_t ncells;
};

/* Opens an existing store; -1 after one line when there is none at path. */
int report_store_open(const char *path, struct store **st);
/* "latest", a run id or a unique prefix of one; -1 after one line naming the candidates. */
int report_resolve_run(struct store *st, const char *db, const char *spec, char **run_id);
int report_run_load(struct store *st, const char *run_id, struct report_run *r);
void report_run_free(struct report_run *r);
ssize_t report_run_find(const struct report_run *r, const char *cell_id);
/* Whether the cell's figures may be shown: status ok and at least one ok sample. */
/* Sets path and by_default from the probes of a cell's good samples (done by load). */
void report_cell_settle_path(struct report_cell *c);
bool report_cell_measured(const struct report_cell *c);
/* "1k", "64k", "1M"; caller frees. */
char *report_bs_label(int64_t bs);

/* Where a table's numbers come from, as ordered "key: value" lines. */
struct report_prov {
	struct strvec keys;
	struct strvec values;
};

/*
 * The provenance of the cells of kernel/device/fs (NULL: every one), from the
 * run's meta_json and the samples themselves; what is missing is "unknown".
 */
void report_provenance(const struct report_run *r, const char *kernel, const char *device,
                       const char *fs, struct report_prov *p);
/*
 * The same for a run of one kernel per point (a walk; points in order): the
 * kernels by their cache keys, their distinct config hashes, and the series
 * and patches of the last point, which holds all the others'.
 */
void report_provenance_points(const struct report_run *r, const struct strvec *points,
                              struct report_prov *p);
void report_prov_free(struct report_prov *p);
/*
 * The provenance as text: "  key  value" lines, values aligned; a list value
 * ("patches", items joined by "; ") gets one item per line.
 */
void report_prov_text(const struct report_prov *p, struct strbuf *out);
/* A provenance value by key, or "unknown". */
const char *report_prov_get(const struct report_prov *p, const char *key);
/* One line for plots: "run ID | kernel 7.1.0 | kvm | fio-3.39"; caller frees. */
char *report_caption(const struct report_run *r, const char *kernel, const char *device,
                     const char *fs);

/* Writes a report file, creating its directory; -1 after one line. */
int report_write_output(const char *path, const char *buf, size_t len);

/* MiB/s the way the cover letter prints them: 7378, 36.3, 5.12; caller frees. */
char *report_fmt_mibs(double v);

/* ---- the tables (report_table.c) ---- */

enum report_agree {
	REPORT_AGREE_NONE, /* no published figure, or nothing measured here */
	REPORT_AGREE_YES,
	REPORT_AGREE_NO,
	REPORT_AGREE_UNSURE, /* ours is noise or has too few samples: no direction */
};

/* One path against the baseline path at one (workload, bs). */
struct report_change {
	bool have; /* both cells measured */
	struct stats_comparison cmp;
	double ratio; /* median / baseline median */
	bool have_ref;
	double ref_ratio;
	enum report_agree agree;
};

/* One workload at one block size: a cell and a change per path of the model. */
struct report_entry {
	const struct report_cell **cells;
	struct report_change *changes; /* [0], the baseline's, is unused */
};

struct report_table {
	char *title; /* "Buffered write" */
	struct strvec workloads;
	struct strvec wtitles; /* "write cache" */
	int64_t *bs;           /* ascending */
	size_t nbs;
	struct report_entry *entries; /* [w * nbs + b] */
	/* Lines under the table: why cells show no number. */
	struct strvec notes;
};

struct report_group {
	char *kernel;
	char *device;
	char *fs;
	struct report_prov prov;
	struct report_table *tables;
	size_t ntables;
};

struct report_model {
	const struct report_run *run;
	const struct reference *ref; /* may be NULL */
	struct strvec paths;         /* paths.v[0] is the baseline (bh when present) */
	struct report_group *groups; /* one per (kernel, device, fs), in cell order */
	size_t ngroups;
};

void report_model_build(const struct report_run *run, const struct reference *ref,
                        struct report_model *m);
void report_model_free(struct report_model *m);
const struct report_entry *report_table_entry(const struct report_table *t, size_t w, size_t b);

/* What a cell shows instead of a number: "failed", "not measured"...; NULL when measured. */
const char *report_cell_word(const struct report_cell *c);

enum report_format {
	REPORT_TEXT,
	REPORT_MD,
	REPORT_CSV,
	REPORT_JSON,
};
#define REPORT_FORMATS "auto|text|md|csv|json"
/* "auto" is text on a terminal and Markdown otherwise; -1 on an unknown name. */
int report_format_parse(const char *name, bool tty, enum report_format *f);

void report_render(const struct report_model *m, enum report_format f, struct strbuf *out);
void report_render_text(const struct report_model *m, struct strbuf *out);
void report_render_md(const struct report_model *m, struct strbuf *out);
void report_render_csv(const struct report_model *m, struct strbuf *out);
json_t *report_model_json(const struct report_model *m);

/* ---- plots (report_figures.c) ---- */

struct report_figure {
	char *base; /* DIR/name: base.svg, base.png, base.tsv */
	char *kind; /* "bars", "sweep", "ratio" */
	char *title;
	char *caption;
	ssize_t group; /* index into the model's groups; -1 for a sweep across groups */
};

struct report_figures {
	struct report_figure *v;
	size_t n;
};

/*
 * Bars bh vs iomap per workload and a ratio plot with its noise band per
 * group; MiB/s-against-bs sweeps per (kernel, workload) when the matrix
 * sweeps (several groups or more than four block sizes).
 */
int report_plots(const struct report_model *m, const char *dir, struct report_figures *figs);
void report_figures_free(struct report_figures *f);

/* ---- HTML (report_html.c) ---- */

/* One self-contained page; html_path places the links to the raw fio JSON. */
int report_render_html(const struct report_model *m, const struct report_figures *figs,
                       const char *html_path, struct strbuf *out);
/* &, <, >, " and ' as entities, for text and attribute values. */
void html_escape(struct strbuf *sb, const char *s);

/* ---- two runs (report_compare.c) ---- */

#define COMPARE_DEFAULT_THRESHOLD "5%"

enum compare_outcome {
	COMPARE_SKIPPED,    /* nothing to compare (not measured on both sides, no baseline) */
	COMPARE_TOO_FEW,    /* fewer than STATS_MIN_SAMPLES a side: no verdict */
	COMPARE_NOISE,      /* Welch p >= alpha */
	COMPARE_FASTER,     /* significant, B faster */
	COMPARE_SLOWER,     /* significant, B slower, within the threshold */
	COMPARE_REGRESSION, /* significant and slower beyond the threshold, or B lost the cell */
};

struct compare_row {
	const struct report_cell *a;
	const struct report_cell *b;
	bool have; /* both measured: cmp and ratio are set */
	struct stats_comparison cmp;
	double ratio; /* median(B) / median(A) */
	enum compare_outcome outcome;
	char *why; /* one line */
};

struct compare_result {
	const struct report_run *a;
	const struct report_run *b;
	double threshold_pct;
	struct compare_row *rows; /* in A's cell order */
	size_t nrows;
	size_t count[COMPARE_REGRESSION + 1];
	/* Cells of one run only; non-empty means the runs cannot be compared. */
	struct strvec only_a;
	struct strvec only_b;
};

/* "5%", "5" or "2.5%"; -1 after one line on anything else. */
int compare_parse_threshold(const char *s, double *pct);
/* 0, or -1 when the runs do not share their cells (only_a/only_b say which). */
int report_compare(const struct report_run *a, const struct report_run *b, double threshold_pct,
                   struct compare_result *res);
void compare_result_free(struct compare_result *res);
const char *compare_outcome_name(enum compare_outcome o);
/* 0 without regressions, 1 with. */
int compare_exit_code(const struct compare_result *res);
void compare_render_text(const struct compare_result *res, struct strbuf *out);
void compare_render_junit(const struct compare_result *res, struct strbuf *out);
/* XML 1.0 character data or attribute value: escaped, forbidden control characters dropped. */
void xml_escape(struct strbuf *sb, const char *s);

#endif
