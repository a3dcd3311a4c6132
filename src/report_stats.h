/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_REPORT_STATS_H
#define IOLAB_REPORT_STATS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Statistics over the repetitions of one benchmark cell (one workload, block
 * size, I/O path and machine): MiB/s samples in, summary and verdicts out.
 * Values that do not exist for a sample size (sd of one sample, a CI of one
 * sample) are NaN, so that a table prints "-" instead of a made-up zero.
 */

#define STATS_CI_LEVEL 0.95
#define STATS_ALPHA    0.05
/* Fewer repetitions than this on either side and no verdict is given. */
#define STATS_MIN_SAMPLES 3

struct stats_summary {
	size_t n;
	double median;
	double mean;
	/* Sample standard deviation (n - 1 in the denominator). */
	double sd;
	double min;
	double max;
	/* sd / mean, as a fraction (0.02 = 2 %). */
	double cv;
	/* STATS_CI_LEVEL confidence interval of the mean, Student t. */
	double ci_lo;
	double ci_hi;
	double ci_half;
};

/* Fills s from the n samples in x; error (-1) on n == 0 or a non-finite sample. */
int stats_summarize(const double *x, size_t n, struct stats_summary *s);

/* The Student t quantile: P(T <= t) = p with df degrees of freedom. */
double stats_t_quantile(double p, double df);
/* Two-sided p-value of a Student t statistic. */
double stats_t_p_two_sided(double t, double df);

enum stats_verdict {
	STATS_TOO_FEW,
	STATS_NOISE,
	STATS_SIGNIFICANT,
};

/*
 * b against a (a is the baseline, bh; b the candidate, iomap).
 *
 * The rule: a difference is significant when both sides have at least
 * STATS_MIN_SAMPLES samples and Welch's two-sided p < alpha.  Otherwise it is
 * noise, or "too few samples".  Whether the two confidence intervals are
 * disjoint is reported beside it (ci_separate) but takes no part in the
 * verdict: disjoint 95 % CIs is a much stricter test (roughly p < 0.006) and
 * would hide real changes of a few percent that Welch finds.
 */
struct stats_comparison {
	struct stats_summary a;
	struct stats_summary b;
	/* Welch's t (positive when b's mean is higher), its df and two-sided p. */
	double t;
	double df;
	double p;
	double alpha;
	/* (median(b) - median(a)) / median(a) * 100. */
	double change_pct;
	/* mean(b) / mean(a). */
	double ratio;
	bool ci_separate;
	enum stats_verdict verdict;
	/* verdict == STATS_NOISE: the two sides cannot be told apart. */
	bool noise;
};

/* alpha <= 0 means STATS_ALPHA.  Error (-1) on empty or non-finite input. */
int stats_compare(const double *a, size_t na, const double *b, size_t nb, double alpha,
                  struct stats_comparison *c);

/* "significant", "noise", "too few samples". */
const char *stats_verdict_name(enum stats_verdict v);

/*
 * A band for mean(b) / mean(a) built from the two confidence intervals: every
 * ratio that both intervals allow, [b.ci_lo / a.ci_hi, b.ci_hi / a.ci_lo].
 * Conservative by design (it is wider than a Fieller interval); it is what the
 * ratio plot shades.  NaN when either interval is missing or a.ci_lo <= 0.
 */
void stats_ratio_band(const struct stats_summary *a, const struct stats_summary *b, double *lo,
                      double *hi);

#endif
