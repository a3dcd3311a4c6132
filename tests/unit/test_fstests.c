// SPDX-License-Identifier: GPL-2.0
/*
 * fstests in the lab: the sections of fstests-configs/ checked against
 * xfstests-bld's definitions (transcribed here a second time), their mkfs
 * promises against dumpe2fs output a guest really produced, and the
 * summary, --diff and merge logic on result files of a real fstests run
 * (tests/fixtures/fstests/README.md says how they were made).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fstests.h"
#include "paths.h"
#include "stderr_capture.h"
#include "util.h"

static char *fixture(const char *name)
{
	char *dir = data_path("tests/fixtures/fstests");
	char *p;

	assert_non_null(dir);
	p = path_join(dir, name);
	free(dir);
	return p;
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/iolab-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

/* ---- the sections against xfstests-bld ---- */

/*
 * tytso/xfstests-bld test-appliance/files/root/fs/ext4/cfg/<name>:
 * EXT_MKFS_OPTIONS, and the tests of <name>.exclude.
 */
static const struct {
	const char *name;
	const char *ext_mkfs_options;
	const char *exclude_file;
	const char *excluded[12];
	const char *size;
} bld[] = {
        {"4k", "-b 4096", NULL, {NULL}, "5G"},
        {"1k",
         "-b 1024",
         "1k.exclude",
         {"ext4/033", "generic/273", "generic/454", "generic/051", "generic/475", "generic/476"},
         "5G"},
        {"64k", "-b 65536", "64k.exclude", {"ext4/033", "generic/435", "generic/620"}, "5G"},
        {"bigalloc_4k",
         "-b 4096 -O bigalloc",
         "bigalloc_4k.exclude",
         {"ext4/004", "ext4/033", "ext4/044", "generic/027", "generic/204", "generic/219",
          "generic/273", "generic/500", "generic/681", "generic/682"},
         "20G"},
        {"fast_commit",
         "-b 4096 -I 256 -O fast_commit,64bit",
         "fast_commit.exclude",
         {"generic/027"},
         "5G"},
};

/* fs/ext4/exclude: applied to every configuration. */
static const char *const ext4_excluded[] = {"generic/042", "generic/392", "generic/044",
                                            "generic/045", "generic/046", "generic/223",
                                            "generic/388"};

static int load_default(void **state)
{
	char *path = data_path(FSTESTS_CONFIGS_DEFAULT);
	struct fstests_configs *c = xcalloc(1, sizeof(*c));

	assert_non_null(path);
	assert_int_equal(fstests_configs_load(path, c), 0);
	free(path);
	*state = c;
	return 0;
}

static int free_default(void **state)
{
	fstests_configs_free(*state);
	free(*state);
	return 0;
}

/* An exclusion file lists the test on a line of its own (a comment may follow). */
static bool excludes(const char *file, const char *test)
{
	char *text = read_file(file, NULL);
	bool found = false;
	size_t n = strlen(test);

	assert_non_null(text);
	for (const char *p = text; p && !found; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		found = !strncmp(p, test, n) && strchr(" \t#\n", p[n]);
	free(text);
	return found;
}

static void test_sections_match_xfstests_bld(void **state)
{
	const struct fstests_configs *c = *state;

	assert_int_equal(c->n, 2 * ARRAY_SIZE(bld));
	for (size_t i = 0; i < ARRAY_SIZE(bld); i++) {
		for (int iomap = 0; iomap < 2; iomap++) {
			char *name = xasprintf("%s%s", bld[i].name, iomap ? "-iomap" : "");
			const struct fstests_section *s = fstests_section_find(c, name);
			const char *opt = iomap ? "buffered_iomap" : "nobuffered_iomap";
			char *mkfs = xasprintf("-q %s", bld[i].ext_mkfs_options);
			char *ext = xasprintf("-o block_validity,%s", opt);
			char *mnt = xasprintf("-o acl,user_xattr -o block_validity,%s", opt);

			assert_non_null(s);
			assert_string_equal(fstests_var(s, "FSTYP"), "ext4");
			assert_string_equal(s->mkfs_options, mkfs);
			assert_string_equal(fstests_var(s, "EXT_MOUNT_OPTIONS"), ext);
			assert_string_equal(fstests_var(s, "MOUNT_OPTIONS"), mnt);
			assert_string_equal(s->test_mount_options, mnt);
			assert_string_equal(s->path, iomap ? "iomap" : "bh");
			assert_true(s->disk_size == parse_size(bld[i].size));
			/* ext4/exclude-opt: ext4 has no reflink. */
			assert_true(sv_contains(&s->exclude_groups, "clone"));
			assert_int_equal(s->exclude_files.n, bld[i].exclude_file ? 2 : 1);
			assert_true(ends_with(s->exclude_files.v[0], "/ext4.exclude"));
			for (size_t k = 0; k < ARRAY_SIZE(ext4_excluded); k++)
				assert_true(excludes(s->exclude_files.v[0], ext4_excluded[k]));
			if (bld[i].exclude_file) {
				assert_true(ends_with(s->exclude_files.v[1], bld[i].exclude_file));
				for (size_t k = 0; bld[i].excluded[k]; k++)
					assert_true(excludes(s->exclude_files.v[1],
					                     bld[i].excluded[k]));
			}
			free(name);
			free(mkfs);
			free(ext);
			free(mnt);
		}
	}
}

static void test_bigalloc_avoids(void **state)
{
	const struct fstests_configs *c = *state;

	for (int iomap = 0; iomap < 2; iomap++) {
		const struct fstests_section *s =
		        fstests_section_find(c, iomap ? "bigalloc_4k-iomap" : "bigalloc_4k");

		/* cfg/bigalloc_4k: FSX_AVOID, FSSTRESS_AVOID, XFS_IO_AVOID, TEST_SET_EXCLUDE. */
		assert_string_equal(fstests_var(s, "FSX_AVOID"), "-C -I");
		assert_string_equal(fstests_var(s, "FSSTRESS_AVOID"), "-f collapse=0 -f insert=0");
		assert_string_equal(fstests_var(s, "XFS_IO_AVOID"), "fcollapse finsert");
		assert_true(sv_contains(&s->exclude_groups, "collapse"));
		assert_true(sv_contains(&s->exclude_groups, "insert"));
	}
	assert_null(fstests_var(fstests_section_find(c, "4k"), "FSX_AVOID"));
}

/* ---- bad files: one line naming file:line and the problem ---- */

struct bad_case {
	const char *text;
	const char *message;
	int line;
};

static const char *bad_text;

static int load_text(void *arg)
{
	struct fstests_configs c;
	int ret;

	write_str(arg, bad_text);
	ret = fstests_configs_load(arg, &c);
	if (ret == 0)
		fstests_configs_free(&c);
	return ret;
}

static const struct fstests_configs *find_configs;

static int find_nope(void *arg)
{
	return fstests_section_find(find_configs, arg) ? 0 : -1;
}

static void test_bad_configs(void **state)
{
	static const char good[] = "FSTYP=ext4\nMKFS_OPTIONS=\"-q -b 4096\"\n"
	                           "MOUNT_OPTIONS=\"-o acl\"\nTEST_FS_MOUNT_OPTS=\"-o acl\"\n"
	                           "IOLAB_PATH=bh\n";
	const struct bad_case cases[] = {
	        {"FSTYP=ext4\n[a]\nMKFS_OPTIONS=x\n", "comes before any [section]", 1},
	        {"[a]\nTEST_DEV=/dev/sda\n", "TEST_DEV is set by the lab", 2},
	        {"[a]\nMKFS_OPTIONS=\"-q \"x\" -b 1k\"\n", "quotes only around a whole value", 2},
	        {"[a b]\nFSTYP=ext4\n", "letters, digits", 1},
	        {"[a]\nFSTYP=xfs\nMKFS_OPTIONS=-q\n", "knows only ext4", 1},
	        {"[a]\nFSTYP=ext4\n", "[a] has no MKFS_OPTIONS", 1},
	        {"[a]\nFSTYP=ext4\nMKFS_OPTIONS=\"-q -Z 3\"\nMOUNT_OPTIONS=\"-o acl\"\n"
	         "TEST_FS_MOUNT_OPTS=\"-o acl\"\nIOLAB_PATH=bh\n",
	         "not a mkfs.ext4 command line", 1},
	        {"[a]\nFSTYP=ext4\nMKFS_OPTIONS=-q\nMOUNT_OPTIONS=\"acl\"\n"
	         "TEST_FS_MOUNT_OPTS=\"-o acl\"\nIOLAB_PATH=bh\n",
	         "not of the form", 1},
	        {"[a]\nFSTYP=ext4\nMKFS_OPTIONS=-q\nMOUNT_OPTIONS=\"-o acl\"\n"
	         "TEST_FS_MOUNT_OPTS=\"-o acl\"\nIOLAB_PATH=dax\n",
	         "IOLAB_PATH=dax", 1},
	        {"[a]\nFSTYP=ext4\nMKFS_OPTIONS=-q\nMOUNT_OPTIONS=\"-o acl\"\n"
	         "TEST_FS_MOUNT_OPTS=\"-o acl\"\nIOLAB_PATH=bh\nIOLAB_EXCLUDE=nowhere.exclude\n",
	         "nowhere.exclude, which does not exist", 1},
	        {"[a]\nFSTYP=ext4\n[b]\nFSTYP=ext4\n[a]\nMKFS_OPTIONS=-q\n", "[a] appears twice",
	         1},
	        {"[a]\nFSTYP=ext4\nFSTYP=ext4\n", "FSTYP is set twice", 2},
	};
	char *dir = tmpdir();
	char *path = path_join(dir, "x.config");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *want = xasprintf("%s:%d: ", path, cases[i].line);
		char *err;
		int ret;

		bad_text = cases[i].text;
		err = stderr_of(load_text, path, &ret);
		if (ret != -1 || !strstr(err, want) || !strstr(err, cases[i].message))
			fail_msg("case %zu: want '%s' and '%s', got (%d) %s", i, want,
			         cases[i].message, ret, err);
		assert_non_null(strstr(err, "iolab: error: "));
		/* One line. */
		assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
		free(want);
		free(err);
	}
	/* The good part alone loads, and an unknown section is named with the ones there are. */
	{
		char *text = xasprintf("[only]\n%s", good);
		struct fstests_configs c;
		char *err;
		int ret;

		write_str(path, text);
		assert_int_equal(fstests_configs_load(path, &c), 0);
		find_configs = &c;
		err = stderr_of(find_nope, "nope", &ret);
		assert_int_equal(ret, -1);
		assert_non_null(strstr(err, "no section [nope]"));
		assert_non_null(strstr(err, "it has: only"));
		free(err);
		fstests_configs_free(&c);
		free(text);
	}
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* ---- what the guest gets ---- */

static void test_mount_options(void **state)
{
	char *s;

	(void)state;
	s = fstests_mount_data("-o acl,user_xattr -o block_validity,buffered_iomap");
	assert_string_equal(s, "acl,user_xattr,block_validity,buffered_iomap");
	free(s);
	s = fstests_mount_data("-oacl");
	assert_string_equal(s, "acl");
	free(s);
	assert_null(fstests_mount_data("-o acl block_validity"));
	assert_null(fstests_mount_data("-o"));
	s = fstests_drop_mount_option("-o acl,user_xattr -o block_validity,nobuffered_iomap",
	                              "nobuffered_iomap");
	assert_string_equal(s, "-o acl,user_xattr -o block_validity");
	free(s);
	/* A whole option only, and an -o left empty goes. */
	s = fstests_drop_mount_option("-o buffered_iomap -o nobuffered_iomap", "buffered_iomap");
	assert_string_equal(s, "-o nobuffered_iomap");
	free(s);
}

static void test_local_config(void **state)
{
	const struct fstests_configs *c = *state;
	const struct fstests_section *s = fstests_section_find(c, "bigalloc_4k");
	struct fstests_devices d = {"/dev/vdb", "/mnt/test", "/dev/vdc", "/mnt/scratch", "/tmp/r"};
	char *text = fstests_local_config(s, &d, NULL), *dropped;
	const char *want[] = {"[bigalloc_4k]\n",
	                      "TEST_DEV=/dev/vdb\n",
	                      "TEST_DIR=/mnt/test\n",
	                      "SCRATCH_DEV=/dev/vdc\n",
	                      "SCRATCH_MNT=/mnt/scratch\n",
	                      "RESULT_BASE=/tmp/r\n",
	                      "FSTYP=\"ext4\"\n",
	                      "MKFS_OPTIONS=\"-q -b 4096 -O bigalloc\"\n",
	                      "FSX_AVOID=\"-C -I\"\n",
	                      "TEST_FS_MOUNT_OPTS=\"-o acl,user_xattr -o "
	                      "block_validity,nobuffered_iomap\"\n"};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(text, want[i]))
			fail_msg("no '%s' in:\n%s", want[i], text);
	/* Only this section: fstests carries variables from one section into the next. */
	assert_null(strstr(text, "[bigalloc_4k-iomap]"));
	assert_null(strstr(text, "[4k]"));
	/* The devices come first, before anything of the section. */
	assert_true(strstr(text, "RESULT_BASE=") < strstr(text, "FSTYP="));
	dropped = fstests_local_config(s, &d, "nobuffered_iomap");
	assert_null(strstr(dropped, "=\"-o acl,user_xattr -o block_validity,nobuffered_iomap\""));
	assert_non_null(strstr(dropped, "MOUNT_OPTIONS=\"-o acl,user_xattr -o block_validity\"\n"));
	assert_non_null(strstr(dropped, "EXT_MOUNT_OPTIONS=\"-o block_validity\"\n"));
	free(text);
	free(dropped);
}

/* ---- mkfs promises against dumpe2fs -h of file systems a guest made ---- */

static char *dump_of(const char *section)
{
	char *name = xasprintf("dumpe2fs/%s.txt", section);
	char *p = fixture(name);
	char *text = read_file(p, NULL);

	assert_non_null(text);
	free(name);
	free(p);
	return text;
}

static void test_mkfs_verified(void **state)
{
	const struct fstests_configs *c = *state;
	const char *const sections[] = {"4k", "1k", "64k", "bigalloc_4k", "fast_commit"};

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct fstests_section *s = fstests_section_find(c, sections[i]);
		char *dump = dump_of(sections[i]);
		struct mkfs_expect e;
		char *why;

		assert_int_equal(fstests_mkfs_expect(s->mkfs_options, &e), 0);
		why = fstests_mkfs_verify(&e, dump);
		if (why)
			fail_msg("[%s]: %s", sections[i], why);
		/* And each dump refutes the others' block sizes. */
		for (size_t k = 0; k < ARRAY_SIZE(sections); k++) {
			const struct fstests_section *o = fstests_section_find(c, sections[k]);
			struct mkfs_expect oe;

			fstests_mkfs_expect(o->mkfs_options, &oe);
			why = fstests_mkfs_verify(&oe, dump);
			if (oe.block_size != e.block_size)
				assert_non_null(strstr(why, "Block size is"));
			free(why);
			mkfs_expect_free(&oe);
		}
		mkfs_expect_free(&e);
		free(dump);
	}
}

static void test_mkfs_expect(void **state)
{
	struct mkfs_expect e;
	char *dump = dump_of("bigalloc_4k"), *why;

	(void)state;
	assert_int_equal(fstests_mkfs_expect("-q -F -b 4k -C 64k -I 256 -O bigalloc,^has_journal "
	                                     "-E lazy_itable_init=0",
	                                     &e),
	                 0);
	assert_int_equal(e.block_size, 4096);
	assert_int_equal(e.cluster_size, 65536);
	assert_int_equal(e.inode_size, 256);
	assert_true(sv_contains(&e.features_on, "bigalloc"));
	assert_true(sv_contains(&e.features_off, "has_journal"));
	why = fstests_mkfs_verify(&e, dump);
	/* The guest's bigalloc_4k has a journal. */
	assert_non_null(why);
	assert_non_null(strstr(why, "has_journal was turned off but is on"));
	free(why);
	mkfs_expect_free(&e);
	assert_int_equal(fstests_mkfs_expect("-q -Y 1", &e), -1);
	assert_int_equal(fstests_mkfs_expect("-b", &e), -1);
	assert_int_equal(fstests_mkfs_expect("4096", &e), -1);
	assert_int_equal(fstests_mkfs_expect("-I 256x", &e), -1);
	/* A feature that was asked for and is not there. */
	assert_int_equal(fstests_mkfs_expect("-O fast_commit", &e), 0);
	why = fstests_mkfs_verify(&e, dump);
	assert_non_null(strstr(why, "feature fast_commit was asked for but is not on"));
	free(why);
	mkfs_expect_free(&e);
	free(dump);
	/* The cluster size is fixture data, as dumpe2fs printed it. */
	dump = dump_of("bigalloc_4k");
	why = fstests_dumpe2fs_field(dump, "Cluster size");
	assert_string_equal(why, "65536");
	free(why);
	free(dump);
}

/* ---- results of a real run ---- */

static struct fstests_result load_fixture(const char *name)
{
	struct fstests_result r;
	char *p = fixture(name);

	assert_int_equal(fstests_result_load(p, &r), 0);
	free(p);
	return r;
}

/* The names on check.log's "<label>: a b c" line, the last one of the file. */
static void check_log_line(const char *log, const char *label, struct strvec *out)
{
	size_t n = strlen(label);
	const char *last = NULL;

	for (const char *p = log; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, label, n) && p[n] == ':')
			last = p + n + 1;
	if (last) {
		char *line = xstrndup(last, strcspn(last, "\n"));

		sv_split(out, line, " ");
		free(line);
	}
}

/* fstests wrote both: its xunit report and its check.log must tell the same story. */
static void test_report_agrees_with_check_log(void **state)
{
	const char *const runs[][2] = {{"64k/result.xml", "64k/check.log"},
	                               {"4k/boot-3.result.xml", "4k/boot-3.check.log"}};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(runs); k++) {
		struct fstests_result r = load_fixture(runs[k][0]);
		char *p = fixture(runs[k][1]);
		char *log = read_file(p, NULL);
		struct strvec ran = STRVEC_INIT, notrun = STRVEC_INIT, fails = STRVEC_INIT;

		assert_non_null(log);
		check_log_line(log, "Ran", &ran);
		check_log_line(log, "Not run", &notrun);
		check_log_line(log, "Failures", &fails);
		assert_int_equal(r.n, ran.n);
		for (size_t i = 0; i < ran.n; i++) {
			const struct fstests_case *c = fstests_result_find(&r, ran.v[i]);
			enum fstests_status want = sv_contains(&fails, ran.v[i])    ? FST_FAIL
			                           : sv_contains(&notrun, ran.v[i]) ? FST_SKIP
			                                                            : FST_PASS;

			assert_non_null(c);
			if (c->status != want)
				fail_msg("%s %s: status %d, check.log says %d", runs[k][0],
				         ran.v[i], c->status, want);
		}
		sv_clear(&ran);
		sv_clear(&notrun);
		sv_clear(&fails);
		free(log);
		free(p);
		fstests_result_free(&r);
	}
}

static char *summary_of(const struct fstests_result *r, const char *label)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fstests_summary_print(f, label, r);
	fclose(f);
	return buf;
}

/* 4k: a run the selftests crashed (selftest/005) and hung (selftest/006), merged by the lab. */
static void test_summary_of_crashed_run(void **state)
{
	struct fstests_result r = load_fixture("4k");
	struct fstests_counts c;
	char *text;

	(void)state;
	assert_string_equal(r.section, "4k");
	assert_string_equal(r.kernel, "7.3.4");
	fstests_result_count(&r, &c);
	assert_int_equal(c.tests, 10);
	assert_int_equal(c.failures, 2);
	assert_int_equal(c.errors, 2);
	assert_int_equal(c.skipped, 2);
	assert_int_equal(fstests_result_find(&r, "selftest/004")->status, FST_SKIP);
	assert_string_equal(fstests_result_find(&r, "selftest/004")->message, "Always skip me");
	assert_int_equal(fstests_result_find(&r, "selftest/003")->status, FST_FAIL);
	assert_int_equal(fstests_result_find(&r, "ext4/001")->status, FST_PASS);
	assert_true(fstests_result_find(&r, "ext4/001")->time == 30);
	assert_int_equal(fstests_result_find(&r, "selftest/005")->status, FST_ERROR);
	assert_non_null(strstr(fstests_result_find(&r, "selftest/005")->message,
	                       "Kernel panic - not syncing: sysrq triggered crash"));
	assert_null(fstests_result_find(&r, "selftest/008"));
	text = summary_of(&r, "4k");
	assert_string_equal(text, "4k: 10 tests, 2 failures, 2 errors, 2 skipped, 74 seconds\n"
	                          "  Failures: selftest/002 selftest/003\n"
	                          "  Errors: selftest/005 selftest/006\n");
	free(text);
	fstests_result_free(&r);
}

/* 64k: fstests' own result.xml of one boot, no crash: no "errors" in kvm-xfstests' line. */
static void test_summary_of_clean_run(void **state)
{
	struct fstests_result r = load_fixture("64k/result.xml");
	struct fstests_counts c;
	char *text, *want;

	(void)state;
	fstests_result_count(&r, &c);
	assert_int_equal(c.errors, 0);
	want = xasprintf("64k: %zu tests, %zu failures, %zu skipped, %.0f seconds\n", c.tests,
	                 c.failures, c.skipped, r.time);
	text = summary_of(&r, "64k");
	assert_true(starts_with(text, want));
	assert_non_null(strstr(text, "\n  Failures: selftest/002 selftest/003"));
	assert_null(strstr(text, "Errors"));
	free(text);
	free(want);
	fstests_result_free(&r);
}

/* The lab's merge of the boots' reports, done again from the parts, is the stored one. */
static void test_merge_reproduces_the_run(void **state)
{
	struct strvec parts = STRVEC_INIT;
	const struct fstests_error errs[] = {
	        {"selftest/005", "Machine rebooted (crash or test timeout): the kernel crashed"},
	        {"selftest/006", "Machine rebooted (crash or test timeout): no progress for 120 s"},
	};
	char *dir = tmpdir(), *out = path_join(dir, "result.xml");
	struct fstests_result merged, stored = load_fixture("4k/result.xml");

	(void)state;
	/* Boot 2 hung at its first test, before fstests wrote a report: no part. */
	for (int b = 1; b <= 3; b++) {
		char *name = xasprintf("4k/boot-%d.result.xml", b), *p = fixture(name);

		sv_push(&parts, p);
		free(p);
		free(name);
	}
	assert_int_equal(fstests_results_merge(&parts, errs, 2, "4k", out), 0);
	assert_int_equal(fstests_result_load(out, &merged), 0);
	assert_int_equal(merged.n, stored.n);
	for (size_t i = 0; i < stored.n; i++) {
		const struct fstests_case *c = fstests_result_find(&merged, stored.v[i].name);

		assert_non_null(c);
		assert_int_equal(c->status, stored.v[i].status);
		assert_true(c->time == stored.v[i].time);
	}
	assert_true(merged.time == stored.time);
	assert_string_equal(merged.kernel, "7.3.4");
	fstests_result_free(&merged);
	/* No parts at all: the errors alone still make a report. */
	sv_clear(&parts);
	assert_int_equal(fstests_results_merge(&parts, errs, 1, "4k", out), 0);
	assert_int_equal(fstests_result_load(out, &merged), 0);
	assert_int_equal(merged.n, 1);
	assert_int_equal(merged.v[0].status, FST_ERROR);
	assert_string_equal(merged.section, "4k");
	fstests_result_free(&merged);
	fstests_result_free(&stored);
	unlink(out);
	rmdir(dir);
	free(out);
	free(dir);
}

static void test_diff(void **state)
{
	struct fstests_result a = load_fixture("4k"), b = load_fixture("64k");
	struct fstests_diff d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	fstests_diff(&a, &b, &d);
	/* Both sections fail fstests' two deliberately failing selftests. */
	assert_true(sv_contains(&d.both, "selftest/002"));
	assert_true(sv_contains(&d.both, "selftest/003"));
	/* The crash and the hang of the 4k run have no counterpart in the 64k one. */
	assert_true(sv_contains(&d.unmatched, "selftest/005"));
	assert_true(sv_contains(&d.unmatched, "selftest/006"));
	/* fstests' deliberately flaky selftest passed on 4k and failed on 64k. */
	assert_int_equal(d.only_b.n, 1);
	assert_string_equal(d.only_b.v[0], "selftest/007");
	assert_int_equal(d.only_a.n, 0);
	f = open_memstream(&buf, &len);
	fstests_diff_print(f, "4k", "64k", &d);
	fclose(f);
	assert_true(starts_with(buf, "fail only with 64k (1): selftest/007\n"
	                             "fail only with 4k (0):\n"
	                             "fail with both (2): selftest/002 selftest/003\n"));
	assert_non_null(strstr(buf, "\n1 new failure with 64k against 4k\n"));
	assert_non_null(
	        strstr(buf, "fail in one, not run in the other (2): selftest/005 selftest/006\n"));
	free(buf);
	fstests_diff_free(&d);
	/* A section against itself: nothing fails only on one side. */
	fstests_diff(&a, &a, &d);
	assert_int_equal(d.only_a.n + d.only_b.n + d.unmatched.n, 0);
	assert_int_equal(d.both.n, 4);
	fstests_diff_free(&d);
	fstests_result_free(&a);
	fstests_result_free(&b);
}

static int parse_text(void *arg)
{
	struct fstests_result r;
	int ret = fstests_result_parse(arg, strlen(arg), "x.xml", &r);

	if (ret == 0)
		fstests_result_free(&r);
	return ret;
}

static void test_parse_errors(void **state)
{
	const char *const cases[][2] = {
	        {"not xml at all", "x.xml: not well-formed XML"},
	        {"<testsuite><testcase name='a'>", "x.xml: not well-formed XML"},
	        {"<html/>", "not an xunit report (its root is <html>"},
	        {"<testsuites><testsuite/><testsuite/></testsuites>", "holds 2 testsuites"},
	        {"<testsuite><testcase time='1'/></testsuite>", "a <testcase> without a name"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret;
		char *err = stderr_of(parse_text, (void *)cases[i][0], &ret);

		if (ret != -1 || !strstr(err, cases[i][1]))
			fail_msg("case %zu: want '%s', got (%d) %s", i, cases[i][1], ret, err);
		free(err);
	}
	/* A collection of one testsuite is that testsuite. */
	{
		int ret;
		char *err = stderr_of(parse_text,
		                      "<testsuites><testsuite><testcase name='generic/001' "
		                      "classname='xfstests.1k'/></testsuite></testsuites>",
		                      &ret);

		assert_int_equal(ret, 0);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sections_match_xfstests_bld, load_default,
	                                        free_default),
	        cmocka_unit_test_setup_teardown(test_bigalloc_avoids, load_default, free_default),
	        cmocka_unit_test(test_bad_configs),
	        cmocka_unit_test(test_mount_options),
	        cmocka_unit_test_setup_teardown(test_local_config, load_default, free_default),
	        cmocka_unit_test_setup_teardown(test_mkfs_verified, load_default, free_default),
	        cmocka_unit_test(test_mkfs_expect),
	        cmocka_unit_test(test_report_agrees_with_check_log),
	        cmocka_unit_test(test_summary_of_crashed_run),
	        cmocka_unit_test(test_summary_of_clean_run),
	        cmocka_unit_test(test_merge_reproduces_the_run),
	        cmocka_unit_test(test_diff),
	        cmocka_unit_test(test_parse_errors),
	};

	iolab_quiet = true;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
