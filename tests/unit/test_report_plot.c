// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report_plot.h"
#include "util.h"

/*
 * These run the real gnuplot over the real templates in plots/.  Set
 * IOLAB_TEST_KEEP=1 to keep the pictures (the path is printed) and look.
 */

/* Odd characters on purpose: enhanced text would eat '_' and '^', and ' must survive quoting. */
#define CAPTION "run 20261121-7_a^b it's | kernel 7.1.0-rc1+ | accel kvm | fio-3.33"

struct fixture {
	char *dir;
	int png_width;
	int png_height;
};

static int read_template_size(struct fixture *f)
{
	char *plots = plot_templates_dir();
	char *common, *text, *p;

	if (!plots)
		return -1;
	common = path_join(plots, "common.gp");
	text = read_file(common, NULL);
	free(common);
	free(plots);
	if (!text)
		return -1;
	p = strstr(text, "\npng_width = ");
	if (p)
		f->png_width = atoi(p + strlen("\npng_width = "));
	p = strstr(text, "\npng_height = ");
	if (p)
		f->png_height = atoi(p + strlen("\npng_height = "));
	free(text);
	return f->png_width > 0 && f->png_height > 0 ? 0 : -1;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/iolab-test-plot-XXXXXX";

	if (!mkdtemp(tmpl) || read_template_size(f) < 0) {
		print_error("cannot make a temporary directory or read plots/common.gp\n");
		free(f);
		return -1;
	}
	f->dir = xstrdup(tmpl);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *keep = getenv("IOLAB_TEST_KEEP");

	if (keep && !strcmp(keep, "1"))
		print_message("plots kept in %s\n", f->dir);
	else
		rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_png(const struct fixture *f, const char *outbase)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	char *path = xasprintf("%s.png", outbase);
	size_t len = 0;
	unsigned char *png = (unsigned char *)read_file(path, &len);

	assert_non_null(png);
	assert_true(len > 24);
	assert_memory_equal(png, sig, sizeof(sig));
	/* The first chunk is IHDR: length at 8, type at 12, width at 16, height at 20. */
	assert_memory_equal(png + 12, "IHDR", 4);
	assert_int_equal(be32(png + 16), f->png_width);
	assert_int_equal(be32(png + 20), f->png_height);
	free(png);
	free(path);
}

/* The caption has no XML specials (&, <), so it appears in the SVG as given. */
static void check_svg(const char *outbase, const char *caption)
{
	char *path = xasprintf("%s.svg", outbase);
	char *svg = read_file(path, NULL);

	assert_non_null(svg);
	assert_true(starts_with(svg, "<?xml") || starts_with(svg, "<svg"));
	assert_non_null(strstr(svg, "</svg>"));
	assert_non_null(strstr(svg, caption));
	free(svg);
	free(path);
}

static void test_bars(void **state)
{
	struct fixture *f = *state;
	const char *bs[] = {"1k", "4k", "64k", "1M"};
	const double bh[] = {423, 1067, 4321, 4640}, bh_lo[] = {410, 1040, 4250, 4600},
	             bh_hi[] = {431, 1090, 4400, 4690};
	const double iomap[] = {403, 1093, 6488, 7378}, iomap_lo[] = {398, 1080, 6420, 7330},
	             iomap_hi[] = {409, 1101, 6530, 7410};
	const struct plot_series s[] = {
	        {"bh", 4, NULL, bh, bh_lo, bh_hi, NULL},
	        {"iomap", 4, NULL, iomap, iomap_lo, iomap_hi, NULL},
	};
	char *out = path_join(f->dir, "write_cache");

	assert_int_equal(
	        plot_bars(out, "Buffered write: write cache (MiB/s)", CAPTION, bs, 4, s, 2), 0);
	check_png(f, out);
	check_svg(out, CAPTION);

	/* No bounds at all: plain clustered bars. */
	const struct plot_series plain[] = {
	        {"bh", 4, NULL, bh, NULL, NULL, NULL},
	        {"iomap", 4, NULL, iomap, NULL, NULL, NULL},
	};
	char *out2 = path_join(f->dir, "write_cache_plain");

	assert_int_equal(
	        plot_bars(out2, "Buffered write: write cache", "caption two", bs, 4, plain, 2), 0);
	check_png(f, out2);
	check_svg(out2, "caption two");
	free(out2);
	free(out);
}

static void test_sweep(void **state)
{
	struct fixture *f = *state;
	const double x[] = {1024, 4096, 16384, 65536, 1048576};
	const double bh[] = {635, 1987, 4100, 6068, 5471}, bh_lo[] = {600, 1950, 4000, 6000, 5400},
	             bh_hi[] = {650, 2010, 4200, 6100, 5500};
	const double iomap[] = {643, 2075, NAN, 6267, 6072};
	const struct plot_series s[] = {
	        {"bh", 5, x, bh, bh_lo, bh_hi, NULL},
	        {"iomap (16k not run)", 5, x, iomap, NULL, NULL, NULL},
	};
	char *out = path_join(f->dir, "read_hole_sweep");

	assert_int_equal(plot_sweep(out, "Buffered read: read hole", CAPTION, s, 2), 0);
	check_png(f, out);
	check_svg(out, CAPTION);
	free(out);
}

static void test_ratio(void **state)
{
	struct fixture *f = *state;
	const double x[] = {1024, 4096, 65536, 1048576};
	const double r[] = {403.0 / 423, 1093.0 / 1067, 6488.0 / 4321, 7378.0 / 4640};
	const double lo[] = {0.91, 0.98, 1.43, 1.52}, hi[] = {1.01, 1.07, 1.57, 1.66};
	const struct plot_series s[] = {{"write cache", 4, x, r, lo, hi, NULL}};
	char *out = path_join(f->dir, "write_cache_ratio");

	assert_int_equal(plot_ratio(out, "iomap / bh: write cache", CAPTION, s, 1), 0);
	check_png(f, out);
	check_svg(out, CAPTION);
	free(out);
}

/* A walk's plot: a linear x from 0 (base), tic labels of its own, a point left out. */
static void test_points(void **state)
{
	struct fixture *f = *state;
	const double x[] = {0, 1, 2, 3}, y[] = {41.2, 41.0, 12.1, 12.0};
	const double lo[] = {40.1, 40.2, 11.8, 11.7}, hi[] = {42.0, 41.9, 12.5, 12.2};
	const double x2[] = {0, 1, 3}, y2[] = {520, 515, 522};
	const char *const labels[] = {"base", "1", "2", "3"};
	const char *const labels2[] = {"base", "1", "3"};
	const char *const bad_labels[] = {"base", "1\t", "2", "3"};
	const struct plot_series s[] = {
	        {"write cache 4k bh", 4, x, y, lo, hi, labels},
	        {"read ondisk 1M bh (2 does not build)", 3, x2, y2, NULL, NULL, labels2},
	};
	const struct plot_series bad[] = {{"bh", 4, x, y, NULL, NULL, bad_labels}};
	char *out = path_join(f->dir, "walk");
	char *tsv = xasprintf("%s.tsv", out), *data;

	assert_int_equal(plot_points(out, "iolab-walk-test@v1", CAPTION, "patch", s, 2), 0);
	check_png(f, out);
	check_svg(out, CAPTION);
	data = read_file(tsv, NULL);
	assert_non_null(data);
	/* x as given, not as a block size; the tic text is the label. */
	assert_non_null(strstr(data, "\n0\t41.2\t40.1\t42\tbase\n"));
	assert_non_null(strstr(data, "\n3\t522\t522\t522\t3\n"));
	free(data);
	assert_int_equal(plot_points(out, "t", "c", "patch", bad, 1), -1);
	assert_int_equal(plot_points(out, "t", "c", "pa\ttch", s, 1), -1);
	free(tsv);
	free(out);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	const char *bs[] = {"1k", "4k"};
	const double x[] = {1024, 0}, y[] = {1, 2};
	const struct plot_series tab[] = {{"b\th", 2, x, y, NULL, NULL, NULL}};
	const struct plot_series zero_x[] = {{"bh", 2, x, y, NULL, NULL, NULL}};
	const struct plot_series half[] = {{"bh", 2, x, y, y, NULL, NULL}};
	const struct plot_series short_s[] = {{"bh", 1, x, y, NULL, NULL, NULL}};
	char *out = path_join(f->dir, "bad");

	assert_int_equal(plot_bars(out, "t", "c", bs, 2, tab, 1), -1);
	assert_int_equal(plot_bars(out, "t", "c", bs, 2, short_s, 1), -1);
	assert_int_equal(plot_bars(out, "t", "c", bs, 2, half, 1), -1);
	assert_int_equal(plot_bars(out, "t", "c", bs, 0, zero_x, 1), -1);
	assert_int_equal(plot_sweep(out, "t", "c", zero_x, 1), -1);
	assert_int_equal(plot_ratio(out, "t", "c", zero_x, 0), -1);
	/* Rejected before anything was written. */
	char *tsv = xasprintf("%s.tsv", out);

	assert_false(path_exists(tsv));
	free(tsv);
	free(out);
}

static void test_no_gnuplot(void **state)
{
	struct fixture *f = *state;
	const double x[] = {1024}, y[] = {1};
	const struct plot_series s[] = {{"bh", 1, x, y, NULL, NULL, NULL}};
	char *out = path_join(f->dir, "nognuplot");
	char *path = xstrdup(getenv("PATH"));

	setenv("PATH", f->dir, 1);
	assert_int_equal(plot_sweep(out, "t", "c", s, 1), -1);
	setenv("PATH", path, 1);
	free(path);
	free(out);
}

static void test_broken_template(void **state)
{
	struct fixture *f = *state;
	const double x[] = {1024}, y[] = {1};
	const struct plot_series s[] = {{"bh", 1, x, y, NULL, NULL, NULL}};
	char *plots = path_join(f->dir, "plots");
	char *gp = path_join(plots, "sweep.gp");
	char *out = path_join(f->dir, "broken");
	char *log = xasprintf("%s.gnuplot.log", out);
	char *saved = getenv(PLOT_ENV) ? xstrdup(getenv(PLOT_ENV)) : NULL;

	assert_int_equal(mkdir_p(plots), 0);
	assert_int_equal(write_str(gp, "plot nosuchfunction(x)\n"), 0);
	setenv(PLOT_ENV, plots, 1);
	assert_int_equal(plot_sweep(out, "t", "c", s, 1), -1);
	/* A template that is not there. */
	assert_int_equal(plot_ratio(out, "t", "c", s, 1), -1);
	if (saved)
		setenv(PLOT_ENV, saved, 1);
	else
		unsetenv(PLOT_ENV);
	free(saved);
	/* gnuplot's own complaint is kept for the user. */
	assert_true(path_exists(log));
	free(log);
	free(out);
	free(gp);
	free(plots);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bars),       cmocka_unit_test(test_sweep),
	        cmocka_unit_test(test_ratio),      cmocka_unit_test(test_bad_input),
	        cmocka_unit_test(test_no_gnuplot), cmocka_unit_test(test_broken_template),
	        cmocka_unit_test(test_points),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
