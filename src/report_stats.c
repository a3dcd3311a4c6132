// SPDX-License-Identifier: GPL-2.0
#include "report_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * R's standalone math library (Debian r-mathlib) for the t distribution: it
 * is GPL-2 like iolab, where GSL's GPL-3 could not be linked in.  It is kept
 * to this file because Rmath.h declares many short global names.
 */
#define MATHLIB_STANDALONE 1
#include <Rmath.h>

double stats_t_quantile(double p, double df)
{
	return qt(p, df, 1, 0);
}

double stats_t_p_two_sided(double t, double df)
{
	if (isnan(t) || isnan(df))
		return NAN;
	/* The lower tail of -|t| keeps precision for tiny p-values. */
	return 2.0 * pt(-fabs(t), df, 1, 0);
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static double median_of(const double *x, size_t n)
{
	double *s = xmalloc(n * sizeof(*s));
	double m;

	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
	free(s);
	return m;
}

int stats_summarize(const double *x, size_t n, struct stats_summary *s)
{
	double sum = 0, ss = 0;

	memset(s, 0, sizeof(*s));
	if (n == 0)
		return error("no samples to summarize");
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return error("sample %zu of %zu is not a finite number", i + 1, n);

	s->n = n;
	s->min = s->max = x[0];
	for (size_t i = 0; i < n; i++) {
		sum += x[i];
		if (x[i] < s->min)
			s->min = x[i];
		if (x[i] > s->max)
			s->max = x[i];
	}
	s->mean = sum / (double)n;
	s->median = median_of(x, n);

	if (n < 2) {
		s->sd = s->cv = s->ci_lo = s->ci_hi = s->ci_half = NAN;
		return 0;
	}
	/* Two passes: throughputs are large and close together, sum of squares would cancel. */
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - s->mean) * (x[i] - s->mean);
	s->sd = sqrt(ss / (double)(n - 1));
	s->cv = s->mean != 0 ? s->sd / s->mean : NAN;
	s->ci_half = stats_t_quantile(1.0 - (1.0 - STATS_CI_LEVEL) / 2.0, (double)(n - 1)) * s->sd /
	             sqrt((double)n);
	s->ci_lo = s->mean - s->ci_half;
	s->ci_hi = s->mean + s->ci_half;
	return 0;
}

/* Welch's t-test of b against a; both sides need n >= 2. */
static void welch(const struct stats_summary *a, const struct stats_summary *b, double *t,
                  double *df, double *p)
{
	double va = a->sd * a->sd / (double)a->n;
	double vb = b->sd * b->sd / (double)b->n;
	double se2 = va + vb;

	if (se2 == 0) {
		/*
		 * Identical repetitions on both sides (possible with coarse
		 * rounding): equal means cannot differ, unequal ones cannot be
		 * noise.  Welch's df is 0/0 here; report the pooled df.
		 */
		*df = (double)(a->n + b->n - 2);
		*t = b->mean == a->mean ? 0 : copysign(INFINITY, b->mean - a->mean);
		*p = b->mean == a->mean ? 1 : 0;
		return;
	}
	*t = (b->mean - a->mean) / sqrt(se2);
	*df = se2 * se2 / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
	*p = stats_t_p_two_sided(*t, *df);
}

int stats_compare(const double *a, size_t na, const double *b, size_t nb, double alpha,
                  struct stats_comparison *c)
{
	memset(c, 0, sizeof(*c));
	if (stats_summarize(a, na, &c->a) < 0 || stats_summarize(b, nb, &c->b) < 0)
		return -1;
	c->alpha = alpha > 0 ? alpha : STATS_ALPHA;
	c->change_pct = c->a.median != 0 ? (c->b.median - c->a.median) / c->a.median * 100.0 : NAN;
	c->ratio = c->a.mean != 0 ? c->b.mean / c->a.mean : NAN;
	c->t = c->df = c->p = NAN;
	c->ci_separate = false;

	if (na >= 2 && nb >= 2) {
		welch(&c->a, &c->b, &c->t, &c->df, &c->p);
		c->ci_separate = c->b.ci_lo > c->a.ci_hi || c->a.ci_lo > c->b.ci_hi;
	}
	if (na < STATS_MIN_SAMPLES || nb < STATS_MIN_SAMPLES)
		c->verdict = STATS_TOO_FEW;
	else if (c->p < c->alpha)
		c->verdict = STATS_SIGNIFICANT;
	else
		c->verdict = STATS_NOISE;
	c->noise = c->verdict == STATS_NOISE;
	return 0;
}

const char *stats_verdict_name(enum stats_verdict v)
{
	switch (v) {
	case STATS_TOO_FEW:
		return "too few samples";
	case STATS_NOISE:
		return "noise";
	case STATS_SIGNIFICANT:
		return "significant";
	}
	return "?";
}

void stats_ratio_band(const struct stats_summary *a, const struct stats_summary *b, double *lo,
                      double *hi)
{
	*lo = *hi = NAN;
	if (isnan(a->ci_lo) || isnan(b->ci_lo) || a->ci_lo <= 0)
		return;
	*lo = (b->ci_lo > 0 ? b->ci_lo : 0) / a->ci_hi;
	*hi = b->ci_hi / a->ci_lo;
}
