// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "report_stats.h"
#include "util.h"

/* cmocka's assert_float_equal() compares floats; these references need doubles. */
#define assert_near(a, b, eps) assert_near_((a), (b), (eps), #a, __FILE__, __LINE__)
static void assert_near_(double a, double b, double eps, const char *expr, const char *file,
                         int line)
{
	if (fabs(a - b) <= eps)
		return;
	print_error("%s is %.17g, expected %.17g (+- %g)\n", expr, a, b, eps);
	_fail(file, line);
}

/*
 * Reference values that are not worked by hand were computed with python3's
 * mpmath (30 digits), independently of libRmath: the t distribution's
 * two-sided p as betainc(df/2, 1/2, 0, df/(df+t^2), regularized=True), and
 * quantiles with findroot on that function.
 */

static void test_median_odd(void **state)
{
	const double x[] = {5, 1, 3, 9, 7};
	struct stats_summary s;

	assert_int_equal(stats_summarize(x, ARRAY_SIZE(x), &s), 0);
	assert_int_equal(s.n, 5);
	assert_near(s.median, 5, 1e-12);
	assert_near(s.min, 1, 0);
	assert_near(s.max, 9, 0);
	assert_near(s.mean, 5, 1e-12);
}

static void test_median_even(void **state)
{
	const double x[] = {4, 1, 10, 3};
	struct stats_summary s;

	assert_int_equal(stats_summarize(x, ARRAY_SIZE(x), &s), 0);
	assert_near(s.median, 3.5, 1e-12);
	/* The input is left in the caller's order. */
	assert_near(x[0], 4, 0);
}

static void test_known_sample(void **state)
{
	const double x[] = {10, 12, 14};
	struct stats_summary s;

	assert_int_equal(stats_summarize(x, ARRAY_SIZE(x), &s), 0);
	assert_near(s.mean, 12, 1e-12);
	assert_near(s.median, 12, 1e-12);
	/* Squared deviations 4 + 0 + 4 over n - 1 = 2: variance 4. */
	assert_near(s.sd, 2, 1e-12);
	assert_near(s.cv, 2.0 / 12.0, 1e-12);
	/* t(0.975, 2) = 4.302652729749464 (tables give 4.302653). */
	assert_near(stats_t_quantile(0.975, 2), 4.302652729749464, 1e-9);
	/* 4.302652729749464 * 2 / sqrt(3). */
	assert_near(s.ci_half, 4.968275423500662, 1e-9);
	assert_near(s.ci_lo, 12 - 4.968275423500662, 1e-9);
	assert_near(s.ci_hi, 12 + 4.968275423500662, 1e-9);
}

static void test_single_sample(void **state)
{
	const double x[] = {42};
	struct stats_summary s;

	assert_int_equal(stats_summarize(x, 1, &s), 0);
	assert_near(s.median, 42, 0);
	assert_true(isnan(s.sd));
	assert_true(isnan(s.ci_half));
}

static void test_bad_input(void **state)
{
	const double x[] = {1, NAN, 3};
	struct stats_summary s;

	iolab_quiet = true;
	assert_int_equal(stats_summarize(x, 0, &s), -1);
	assert_int_equal(stats_summarize(x, ARRAY_SIZE(x), &s), -1);
}

static void test_t_distribution(void **state)
{
	/* Large df tends to the normal: 1.959963984540054. */
	assert_near(stats_t_quantile(0.975, 1e7), 1.959964, 1e-5);
	/* df = 1 is Cauchy: P(|T| > 1) = 1/2 exactly. */
	assert_near(stats_t_p_two_sided(1.0, 1), 0.5, 1e-12);
	assert_near(stats_t_p_two_sided(-1.0, 1), 0.5, 1e-12);
}

static void test_welch_equal_variances(void **state)
{
	const double a[] = {10, 12, 14}, b[] = {20, 22, 24};
	struct stats_comparison c;

	assert_int_equal(stats_compare(a, 3, b, 3, 0, &c), 0);
	/* se = sqrt(4/3 + 4/3); t = 10 / se; equal n and variance give df = 2 (n - 1). */
	assert_near(c.t, 6.123724356957945, 1e-9);
	assert_near(c.df, 4, 1e-12);
	assert_near(c.p, 0.003602232609104004, 1e-12);
	assert_near(c.change_pct, (22.0 - 12.0) / 12.0 * 100, 1e-9);
	assert_int_equal(c.verdict, STATS_SIGNIFICANT);
	assert_false(c.noise);
}

static void test_welch_unequal(void **state)
{
	const double a[] = {10, 12, 14}, b[] = {15, 19, 23, 27};
	struct stats_comparison c;

	assert_int_equal(stats_compare(a, 3, b, 4, 0.05, &c), 0);
	/* var(b) = 80/3; Welch-Satterthwaite df = 4.0754716981... (fractional). */
	assert_near(c.t, 3.181980515339464, 1e-9);
	assert_near(c.df, 4.075471698113208, 1e-9);
	assert_near(c.p, 0.03260458873500565, 1e-10);
	assert_int_equal(c.verdict, STATS_SIGNIFICANT);
	/* Significant by Welch, yet the 95 % CIs (12 +- 4.97, 21 +- 8.22) overlap. */
	assert_false(c.ci_separate);
	/* A stricter alpha turns the same data into noise. */
	assert_int_equal(stats_compare(a, 3, b, 4, 0.01, &c), 0);
	assert_int_equal(c.verdict, STATS_NOISE);
	assert_true(c.noise);
}

static void test_clearly_different(void **state)
{
	/* Shaped like the letter's 1M write-cache cell: 4640 vs 7378 MiB/s. */
	const double bh[] = {4620, 4655, 4640, 4633, 4651};
	const double iomap[] = {7350, 7390, 7378, 7402, 7366};
	struct stats_comparison c;

	assert_int_equal(stats_compare(bh, 5, iomap, 5, 0, &c), 0);
	assert_int_equal(c.verdict, STATS_SIGNIFICANT);
	assert_true(c.ci_separate);
	assert_true(c.p < 1e-9);
	assert_near(c.change_pct, (7378.0 - 4640.0) / 4640.0 * 100, 1e-9);
	assert_string_equal(stats_verdict_name(c.verdict), "significant");
}

static void test_overlapping_noise(void **state)
{
	const double a[] = {100, 120, 80}, b[] = {105, 85, 125};
	struct stats_comparison c;

	assert_int_equal(stats_compare(a, 3, b, 3, 0, &c), 0);
	assert_near(c.t, 0.3061862178478973, 1e-9);
	assert_near(c.p, 0.7747378135125105, 1e-9);
	assert_int_equal(c.verdict, STATS_NOISE);
	assert_true(c.noise);
	assert_false(c.ci_separate);
	assert_string_equal(stats_verdict_name(c.verdict), "noise");
}

static void test_too_few(void **state)
{
	/* Wildly different, but two runs a side prove nothing. */
	const double a[] = {100, 101}, b[] = {500, 501, 502};
	struct stats_comparison c;

	assert_int_equal(stats_compare(a, 2, b, 3, 0, &c), 0);
	assert_int_equal(c.verdict, STATS_TOO_FEW);
	assert_false(c.noise);
	assert_false(isnan(c.p));
	assert_string_equal(stats_verdict_name(c.verdict), "too few samples");

	assert_int_equal(stats_compare(a, 1, b, 3, 0, &c), 0);
	assert_int_equal(c.verdict, STATS_TOO_FEW);
	assert_true(isnan(c.p));
}

static void test_zero_variance(void **state)
{
	const double a[] = {7, 7, 7}, b[] = {9, 9, 9};
	struct stats_comparison c;

	assert_int_equal(stats_compare(a, 3, b, 3, 0, &c), 0);
	assert_int_equal(c.verdict, STATS_SIGNIFICANT);
	assert_int_equal(stats_compare(a, 3, a, 3, 0, &c), 0);
	assert_int_equal(c.verdict, STATS_NOISE);
	assert_near(c.p, 1, 0);
}

static void test_ratio_band(void **state)
{
	const double a[] = {10, 12, 14}, b[] = {20, 22, 24};
	struct stats_summary sa, sb;
	double lo, hi;

	stats_summarize(a, 3, &sa);
	stats_summarize(b, 3, &sb);
	stats_ratio_band(&sa, &sb, &lo, &hi);
	assert_near(lo, sb.ci_lo / sa.ci_hi, 1e-12);
	assert_near(hi, sb.ci_hi / sa.ci_lo, 1e-12);
	assert_true(lo < 22.0 / 12.0 && 22.0 / 12.0 < hi);

	/* a's interval reaches below zero: no finite band. */
	const double wide[] = {1, 10, 30};

	stats_summarize(wide, 3, &sa);
	stats_ratio_band(&sa, &sb, &lo, &hi);
	assert_true(isnan(lo) && isnan(hi));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_median_odd),
	        cmocka_unit_test(test_median_even),
	        cmocka_unit_test(test_known_sample),
	        cmocka_unit_test(test_single_sample),
	        cmocka_unit_test(test_bad_input),
	        cmocka_unit_test(test_t_distribution),
	        cmocka_unit_test(test_welch_equal_variances),
	        cmocka_unit_test(test_welch_unequal),
	        cmocka_unit_test(test_clearly_different),
	        cmocka_unit_test(test_overlapping_noise),
	        cmocka_unit_test(test_too_few),
	        cmocka_unit_test(test_zero_variance),
	        cmocka_unit_test(test_ratio_band),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
