// SPDX-License-Identifier: GPL-2.0
/*
 * One lookup for the cache's keyed entries: kernels and images are named
 * the same way, "latest" means the same for both, and an ambiguous prefix
 * is the same refusal.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "image.h"
#include "kernel.h"
#include "util.h"

static char *tmp_cache;

/* kind/<name>/ with a meta.json written at second `when` of 2026 (and a root.sqfs for images). */
static char *entry(const char *kind, const char *name, const char *meta, long when)
{
	char *dir = cache_dir("%s/%s", kind, name);
	char *path = path_join(dir, "meta.json");
	struct timespec t[2] = {{1767225600 + when, 0}, {1767225600 + when, 0}};

	assert_int_equal(write_str(path, meta), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	free(path);
	if (!strcmp(kind, "images")) {
		path = path_join(dir, "root.sqfs");
		assert_int_equal(write_str(path, "sqfs"), 0);
		free(path);
	}
	return dir;
}

static char *key(char c, char last)
{
	char *k = xmalloc(65);

	memset(k, c, 64);
	k[63] = last;
	k[64] = '\0';
	return k;
}

/* got (freed) is want. */
static void expect_str(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_kernels(void **state)
{
	char *a = key('a', '1'), *b = key('a', '2'), *c = key('c', '0');
	char *da = entry("kernels", a, "{}", 10), *db = entry("kernels", b, "{}", 30);
	char *dc = entry("kernels", c, "{}", 20);
	char *tmp = xasprintf("%s.tmp", c), *dtmp = entry("kernels", tmp, "{}", 99);
	char *d = key('d', 'd'), *half = cache_dir("kernels/%s", d);

	(void)state;
	/* Newest meta.json wins; a build directory and an entry without meta.json are not entries.
	 */
	expect_str(kernel_dir("latest"), db);
	expect_str(cache_entry("kernels", "latest", NULL), db);
	expect_str(kernel_dir(c), dc);
	expect_str(kernel_dir("cc"), dc);
	expect_str(kernel_dir(da), da);
	assert_null(kernel_dir("dd"));
	assert_null(kernel_dir("not-a-key"));
	/* Two entries start with "aa": refused rather than one picked. */
	assert_null(kernel_dir("aa"));
	assert_null(cache_entry("kernels", "aaa", NULL));
	expect_str(kernel_dir(a), da);
	free(a);
	free(b);
	free(c);
	free(tmp);
	free(dtmp);
	free(d);
	free(half);
	free(da);
	free(db);
	free(dc);
}

static void test_images_mean_the_same(void **state)
{
	const char *plain =
	        "{\"suite\": \"" IMAGE_DEFAULT_SUITE "\", \"set\": \"" IMAGE_DEFAULT_SET "\"}";
	const char *overlay = "{\"suite\": \"" IMAGE_DEFAULT_SUITE "\", \"set\": \"fstests\", "
	                      "\"overlay_id\": \"x\"}";
	char *old = key('1', '1'), *new = key('1', '2'), *over = key('2', '0');
	char *dold = entry("images", old, plain, 10), *dnew = entry("images", new, plain, 20);
	char *dover = entry("images", over, overlay, 30);
	char *sqfs = path_join(dnew, "root.sqfs"), *over_sqfs = path_join(dover, "root.sqfs");

	(void)state;
	/* "latest": the newest default image, as for kernels the newest kernel. */
	expect_str(image_default_key(), new);
	expect_str(image_path("latest"), sqfs);
	/* A newer overlay image is found by key, never as "latest". */
	expect_str(image_path("2"), over_sqfs);
	expect_str(cache_entry("images", "latest", NULL), dover);
	/* The same refusal as for kernels. */
	assert_null(image_path("11"));
	expect_str(cache_entry("images", old, NULL), dold);
	free(old);
	free(new);
	free(over);
	free(sqfs);
	free(over_sqfs);
	free(dold);
	free(dnew);
	free(dover);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/iolab-test-cache-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	tmp_cache = xstrdup(tmpl);
	cache_set_root(tmp_cache);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(tmp_cache);
	free(tmp_cache);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_kernels),
	        cmocka_unit_test(test_images_mean_the_same),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
