// SPDX-License-Identifier: GPL-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "image.h"
#include "paths.h"
#include "run_command.h"
#include "util.h"

static char *real_cache;
static char *tmp_cache;
static char *test_agent;

static const char agent_a[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char agent_b[] = "2222222222222222222222222222222222222222222222222222222222222222";

static void fill(struct strvec *sv, const char *const *items)
{
	for (; *items; items++)
		sv_push(sv, *items);
}

static void key_of(const char *suite, const char *const *pkgs, const char *const *extra,
                   const char *agent, char out[65])
{
	struct strvec resolved = STRVEC_INIT, ex = STRVEC_INIT;
	struct image_recipe r;

	fill(&resolved, pkgs);
	if (extra)
		fill(&ex, extra);
	r = (struct image_recipe){suite, "default", &ex, &resolved, agent, NULL};
	image_key(&r, out);
	sv_clear(&resolved);
	sv_clear(&ex);
}

static void test_key_derivation(void **state)
{
	const char *const base[] = {"fio=3.39-1", "libc6=2.41-12", "e2fsprogs=1.47.2-3", NULL};
	const char *const reordered[] = {"e2fsprogs=1.47.2-3", "fio=3.39-1", "libc6=2.41-12", NULL};
	const char *const bumped[] = {"fio=3.39-2", "libc6=2.41-12", "e2fsprogs=1.47.2-3", NULL};
	const char *const strace[] = {"strace", NULL};
	char k1[65], k2[65], k3[65];

	(void)state;
	key_of("trixie", base, NULL, agent_a, k1);
	key_of("trixie", base, NULL, agent_a, k2);
	assert_string_equal(k1, k2);
	assert_int_equal(strlen(k1), 64);
	/* apt's install order is not content. */
	key_of("trixie", reordered, NULL, agent_a, k2);
	assert_string_equal(k1, k2);
	key_of("trixie", bumped, NULL, agent_a, k3);
	assert_string_not_equal(k1, k3);
	key_of("sid", base, NULL, agent_a, k3);
	assert_string_not_equal(k1, k3);
	key_of("trixie", base, NULL, agent_b, k3);
	assert_string_not_equal(k1, k3);
	key_of("trixie", base, strace, agent_a, k3);
	assert_string_not_equal(k1, k3);
}

static void test_package_table(void **state)
{
	const char *const wanted[] = {"fio",   "e2fsprogs", "xfsprogs", "util-linux",
	                              "mount", "coreutils", "bash",     "procps",
	                              "kmod",  "findutils", "grep",     "sed",
	                              "gawk",  "psmisc",    "attr",     "acl"};
	struct strvec def = STRVEC_INIT, min = STRVEC_INIT, bad = STRVEC_INIT;

	(void)state;
	assert_int_equal(image_set_packages("default", &def), 0);
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
		assert_true(sv_contains(&def, wanted[i]));
	assert_int_equal(def.n, ARRAY_SIZE(wanted));
	for (size_t i = 0; i < image_packages_count; i++) {
		assert_non_null(image_packages[i].why);
		assert_true(strlen(image_packages[i].why) > 10);
		for (size_t j = i + 1; j < image_packages_count; j++)
			assert_false(!strcmp(image_packages[i].name, image_packages[j].name) &&
			             !strcmp(image_packages[i].set, image_packages[j].set));
	}
	assert_int_equal(image_set_packages("minimal", &min), 0);
	assert_true(min.n >= 1);
	assert_int_equal(image_set_packages("no-such-set", &bad), -1);
	assert_int_equal(bad.n, 0);
	sv_clear(&def);
	sv_clear(&min);
	sv_clear(&bad);
}

static void test_meta_round_trip(void **state)
{
	const char *const pkgs[] = {"xfsprogs=6.13.0-2", "fio=3.39-1", "e2fsprogs=1.47.2-3+b12",
	                            "libgmp10=2:6.3.0+dfsg-3", NULL};
	struct strvec resolved = STRVEC_INIT, extra = STRVEC_INIT, keys = STRVEC_INIT;
	struct image_recipe r;
	struct image_info info_ = {0};
	char key[65], prefix[13];
	char *dir, *sqfs, *p, *meta_path;
	json_t *meta, *back, *first;

	(void)state;
	fill(&resolved, pkgs);
	sv_push(&extra, "strace");
	r = (struct image_recipe){"trixie", "default", &extra, &resolved, agent_a, NULL};
	image_key(&r, key);
	dir = image_dir(key);
	assert_int_equal(mkdir_p(dir), 0);
	sqfs = path_join(dir, "root.sqfs");
	assert_int_equal(write_str(sqfs, "not really a squashfs"), 0);
	info_ = (struct image_info){key, &r, "2026-11-21T20:15:03Z", 21, 1.5};
	meta = image_meta_encode(&info_);
	assert_int_equal(image_meta_write(dir, meta), 0);

	back = image_meta(key);
	assert_non_null(back);
	assert_true(json_equal(meta, back));
	assert_string_equal(json_string_value(json_object_get(back, "fio_version")), "3.39-1");
	assert_string_equal(json_string_value(json_object_get(back, "e2fsprogs_version")),
	                    "1.47.2-3+b12");
	assert_string_equal(json_string_value(json_object_get(back, "xfsprogs_version")),
	                    "6.13.0-2");
	assert_int_equal(json_integer_value(json_object_get(back, "size_bytes")), 21);
	/* Packages come out sorted by name, the epoch kept. */
	first = json_array_get(json_object_get(back, "packages"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "name")), "e2fsprogs");
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(back, "packages"), 2), "version")),
	        "2:6.3.0+dfsg-3");

	/* Every way to name an image leads to the same file. */
	snprintf(prefix, sizeof(prefix), "%.12s", key);
	p = image_path(prefix);
	assert_non_null(p);
	assert_string_equal(p, sqfs);
	free(p);
	p = image_path(dir);
	assert_string_equal(p, sqfs);
	free(p);
	meta_path = path_join(dir, "meta.json");
	p = image_path(meta_path);
	assert_string_equal(p, sqfs);
	free(p);
	assert_null(image_path("ffffffffffff"));
	assert_null(image_path("/nonexistent/root.sqfs"));
	image_list_keys(&keys);
	assert_true(sv_contains(&keys, key));

	/* The default image, "latest": the newest a plain build made for trixie's default set. */
	p = image_default_key();
	assert_string_equal(p, key);
	free(p);
	p = image_path("latest");
	assert_string_equal(p, sqfs);
	free(p);

	rm_rf(dir);
	assert_null(image_default_key());
	assert_null(image_path("latest"));
	json_decref(meta);
	json_decref(back);
	free(meta_path);
	free(dir);
	free(sqfs);
	sv_clear(&resolved);
	sv_clear(&extra);
	sv_clear(&keys);
}

static void test_bad_input(void **state)
{
	struct strvec extra = STRVEC_INIT;
	struct image_opts o = {0};
	char *key = (char *)"unset";

	(void)state;
	o.suite = "bookworm";
	assert_int_equal(image_build(&o, &key), -1);
	assert_null(key);
	o.suite = NULL;
	sv_push(&extra, "-oAPT::Foo=1");
	o.extra = &extra;
	assert_int_equal(image_build(&o, &key), -1);
	o.extra = NULL;
	o.set = "no-such-set";
	assert_int_equal(image_build(&o, &key), -1);
	o.set = NULL;
	o.agent = "/nonexistent/iolab-agent";
	assert_int_equal(image_build(&o, &key), -1);
	sv_clear(&extra);
}

/* build/iolab-agent, seen from build/tests/ or build/san/tests/. */
static char *built_agent(void)
{
	char *dir = exe_dir();
	const char *ups[] = {"../iolab-agent", "../../iolab-agent"};
	char *found = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(ups) && !found; i++) {
		char *p = path_join(dir, ups[i]);

		if (is_executable(p))
			found = realpath(p, NULL);
		free(p);
	}
	free(dir);
	return found;
}

static bool lists_line(const char *listing, const char *needle)
{
	return strstr(listing, needle) != NULL;
}

static void test_real_build(void **state)
{
	const char *skip_net = getenv("IOLAB_SKIP_NETWORK");
	struct image_opts o = {0};
	struct strvec missing = STRVEC_INIT;
	char *key = NULL, *key2 = NULL, *sqfs, *listing, *def;
	json_t *meta;
	char sha1[65], sha2[65];
	double t0;

	(void)state;
	if (skip_net && !strcmp(skip_net, "1")) {
		print_message("skipping the real image build: IOLAB_SKIP_NETWORK=1 (it downloads "
		              "from deb.debian.org)\n");
		skip();
	}
	test_agent = built_agent();
	assert_non_null(test_agent);
	o.set = "minimal";
	o.agent = test_agent;
	assert_int_equal(image_build(&o, &key), 0);
	assert_non_null(key);
	sqfs = image_path(key);
	assert_non_null(sqfs);
	assert_true(path_exists(sqfs));

	listing = run_capture(NULL, "unsquashfs", "-lls", sqfs, NULL);
	assert_non_null(listing);
	assert_true(lists_line(listing, "squashfs-root/sbin -> usr/sbin"));
	assert_true(lists_line(listing, "squashfs-root/usr/sbin/iolab-agent"));
	assert_true(lists_line(listing, "squashfs-root/usr/sbin/init -> iolab-agent"));
	assert_true(lists_line(listing, "squashfs-root/usr/bin/busybox"));
	assert_true(lists_line(listing, "squashfs-root/etc/passwd"));
	assert_true(lists_line(listing, "squashfs-root/mnt/scratch"));
	assert_false(lists_line(listing, "squashfs-root/usr/share/doc/"));
	assert_true(lists_line(listing, "-rwxr-xr-x root/root"));
	assert_true(lists_line(listing, "squashfs-root/dev/console"));
	assert_true(lists_line(listing, "crw------- root/root"));

	meta = image_meta(key);
	assert_non_null(meta);
	assert_string_equal(json_string_value(json_object_get(meta, "set")), "minimal");
	assert_string_equal(json_string_value(json_object_get(meta, "key")), key);
	assert_true(json_is_null(json_object_get(meta, "fio_version")));
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(meta, "packages"), 0), "name")),
	                    "busybox-static");
	json_decref(meta);

	/* Rebuilding gives the same bytes: no build times or inode numbers leak in. */
	assert_int_equal(sha256_file_hex(sqfs, sha1), 0);
	o.force = true;
	assert_int_equal(image_build(&o, &key2), 0);
	o.force = false;
	assert_string_equal(key, key2);
	assert_int_equal(sha256_file_hex(sqfs, sha2), 0);
	assert_string_equal(sha1, sha2);
	free(key2);
	key2 = NULL;

	/* Same inputs: a cache hit, at once. */
	t0 = now_seconds();
	assert_int_equal(image_build(&o, &key2), 0);
	assert_string_equal(key, key2);
	assert_true(now_seconds() - t0 < 5);
	/* Asking for a package the set already has is the same image. */
	sv_push(&missing, "busybox-static");
	o.extra = &missing;
	free(key2);
	assert_int_equal(image_build(&o, &key2), 0);
	assert_string_equal(key, key2);
	sv_clear(&missing);
	o.extra = NULL;
	/* A minimal image never becomes the default one. */
	def = image_default_key();
	assert_null(def);

	/* A package no suite serves is one error, not a build. */
	sv_push(&missing, "iolab-no-such-package");
	o.extra = &missing;
	free(key2);
	assert_int_equal(image_build(&o, &key2), -1);

	sv_clear(&missing);
	free(listing);
	free(sqfs);
	free(key);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/iolab-test-image-XXXXXX";
	char *apt, *link;

	(void)state;
	iolab_quiet = true;
	real_cache = xstrdup(cache_root());
	assert_non_null(mkdtemp(tmpl));
	tmp_cache = xstrdup(tmpl);
	cache_set_root(tmp_cache);
	/*
	 * Share the user's apt lists (45 MB from trixie and sid) rather than
	 * fetch them again for every run; images and debs stay private.
	 */
	apt = path_join(real_cache, "apt");
	link = path_join(tmp_cache, "apt");
	if (is_dir(apt) && symlink(apt, link) < 0)
		return -1;
	free(apt);
	free(link);
	return 0;
}

static int teardown(void **state)
{
	char *link = path_join(tmp_cache, "apt");

	(void)state;
	/* Unlinked first: rm_rf would chmod the shared directory through it. */
	unlink(link);
	rm_rf(tmp_cache);
	free(link);
	free(tmp_cache);
	free(real_cache);
	free(test_agent);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_key_derivation),  cmocka_unit_test(test_package_table),
	        cmocka_unit_test(test_meta_round_trip), cmocka_unit_test(test_bad_input),
	        cmocka_unit_test(test_real_build),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
