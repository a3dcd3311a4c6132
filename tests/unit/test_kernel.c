// SPDX-License-Identifier: GPL-2.0
/* The kernel stage's pure parts: manifests, fragments, keys, patches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel.h"
#include "paths.h"
#include "run_command.h"
#include "util.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/iolab-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

static char *fixture(const char *rel)
{
	char *p = data_path("tests/fixtures");

	assert_non_null(p);
	char *full = path_join(p, rel);

	free(p);
	return full;
}

static void test_series_manifest(void **state)
{
	struct series s;
	char *root = series_root();
	char *dir = path_join(root, "ext4-iomap-buffered-io");
	const struct series_version *v3;

	(void)state;
	assert_int_equal(series_load(dir, &s), 0);
	assert_string_equal(s.enable_option, "buffered_iomap");
	assert_string_equal(s.disable_option, "nobuffered_iomap");
	assert_string_equal(s.evidence_events, "iomap");
	v3 = series_find_version(&s, "v3");
	assert_non_null(v3);
	assert_string_equal(v3->message_id, "20260422021042.4157510-1-yi.zhang@huaweicloud.com");
	assert_string_equal(v3->patchwork, "500911");
	assert_int_equal(v3->patches, 22);
	assert_null(series_find_version(&s, "v4"));
	assert_string_equal(series_find_version(&s, "v2")->ports, "7.3.4");
	assert_non_null(strstr(s.own_events, "ext4/ext4_iomap_buffered_write_begin"));
	series_free(&s);
	free(dir);
	free(root);
}

static int load_text(const char *text)
{
	char *d = tmpdir();
	char *f = path_join(d, "series.ini");
	struct series s;
	int r;

	write_str(f, text);
	r = series_load(d, &s);
	if (r == 0)
		series_free(&s);
	rm_rf(d);
	free(d);
	free(f);
	return r;
}

static void test_series_refusals(void **state)
{
	(void)state;
	/* Each bad manifest is refused; the good one is taken. */
	assert_int_equal(load_text("[series]\ntitle=t\nenable_option=a\ndisable_option=b\n"
	                           "[v1]\nmessage_id=x@y\n"),
	                 0);
	assert_int_equal(load_text("[series]\ntitle=t\nenable_option=a\ndisable_option=b\n"
	                           "[v1]\nmessage_id=x@y\nbogus=1\n"),
	                 -1);
	assert_int_equal(load_text("[series]\ntitle=t\nenable_option=a\n[v1]\nmessage_id=x\n"), -1);
	assert_int_equal(load_text("[series]\ntitle=t\nenable_option=a\ndisable_option=b\n"), -1);
	assert_int_equal(load_text("[series]\ntitle=t\nenable_option=a\ndisable_option=b\n"
	                           "[v1]\npatches=3\n"),
	                 -1);
	assert_int_equal(load_text("[series]\ntitle=t\nenable_option=a\ndisable_option=b\n"
	                           "default_version=v9\n[v1]\nmessage_id=x\n"),
	                 -1);
	assert_int_equal(load_text("[other]\nx=1\n"), -1);
}

static void test_fragment_verify(void **state)
{
	char *d = tmpdir();
	char *frag = path_join(d, "a.config");
	struct kconfig_frag f = {0};
	struct strbuf report = STRBUF_INIT;
	const char *dotconfig = "CONFIG_EXT4_FS=y\nCONFIG_SYSCTL=y\n# CONFIG_QUOTA is not set\n"
	                        "CONFIG_PANIC_TIMEOUT=-1\nCONFIG_CMDLINE=\"x\"\n";

	(void)state;
	write_str(frag, "# comment\nCONFIG_EXT4_FS=y\nCONFIG_BLK_DEV_PMEM=y\n"
	                "# CONFIG_QUOTA is not set\nCONFIG_PANIC_TIMEOUT=-1\nCONFIG_CMDLINE=\"x\"\n"
	                "CONFIG_XFS_FS=n\n");
	assert_int_equal(kconfig_parse(frag, &f), 0);
	assert_int_equal(f.n, 6);
	/* PMEM asked for but absent; XFS=n matches an absent symbol. */
	assert_int_equal(kconfig_verify(dotconfig, &f, &report), 1);
	assert_non_null(strstr(report.buf, "CONFIG_BLK_DEV_PMEM=y (got n) [a.config:3]"));
	kconfig_free(&f);

	write_str(frag, "CONFIG_OK=y\nthis is not kconfig\n");
	assert_int_equal(kconfig_parse(frag, &f), -1);
	kconfig_free(&f);
	sb_release(&report);
	rm_rf(d);
	free(d);
	free(frag);
}

static void test_default_fragments(void **state)
{
	struct strvec v = STRVEC_INIT;
	struct kconfig_frag f = {0};
	bool fio = false, pmem = false, nvme = false, trace = false;

	(void)state;
	assert_int_equal(kconfig_default_fragments(&v), 0);
	assert_true(v.n >= 5);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(kconfig_parse(v.v[i], &f), 0);
	for (size_t i = 0; i < f.n; i++) {
		fio |= !strcmp(f.v[i].name, "CONFIG_SYSVIPC");
		pmem |= !strcmp(f.v[i].name, "CONFIG_BLK_DEV_PMEM");
		nvme |= !strcmp(f.v[i].name, "CONFIG_BLK_DEV_NVME");
		trace |= !strcmp(f.v[i].name, "CONFIG_FTRACE");
	}
	assert_true(fio && pmem && nvme && trace);
	kconfig_free(&f);
	sv_clear(&v);
}

static void test_cache_key(void **state)
{
	char *d = tmpdir();
	char *frag = path_join(d, "x.config");
	struct strvec frags = STRVEC_INIT;
	struct patch p = {.subject = "s", .path = "p"};
	struct patch_list pl = {&p, 1};
	struct kernel_inputs in = {"debian:linux-source-7.3=7.3.4-1", &pl, &frags, "gcc 12", NULL};
	char k1[65], k2[65], k3[65], k4[65], k5[65];

	(void)state;
	strcpy(p.sha256, "aa");
	write_str(frag, "CONFIG_A=y\n");
	sv_push(&frags, frag);
	kernel_key(&in, k1);
	kernel_key(&in, k2);
	assert_string_equal(k1, k2);

	strcpy(p.sha256, "bb");
	kernel_key(&in, k3);
	assert_string_not_equal(k1, k3);

	strcpy(p.sha256, "aa");
	write_str(frag, "CONFIG_A=n\n");
	kernel_key(&in, k4);
	assert_string_not_equal(k1, k4);

	write_str(frag, "CONFIG_A=y\n");
	in.source_identity = "debian:linux-source-7.3=7.3.5-1";
	kernel_key(&in, k5);
	assert_string_not_equal(k1, k5);
	in.source_identity = "debian:linux-source-7.3=7.3.4-1";
	kernel_key(&in, k5);
	assert_string_equal(k1, k5);

	sv_clear(&frags);
	rm_rf(d);
	free(d);
	free(frag);
}

static char *copy_tree(const char *d)
{
	char *src = fixture("kernel-tree");
	char *dst = path_join(d, "tree");

	assert_int_equal(run_simple(NULL, NULL, "cp", "-a", src, dst, NULL), 0);
	free(src);
	return dst;
}

static void test_mbox_split_and_apply(void **state)
{
	char *d = tmpdir();
	char *tree = copy_tree(d);
	char *mbox = fixture("patches/series.mbox");
	char *split = path_join(d, "split");
	char *log = path_join(d, "patch.log");
	struct patch_list pl = {0};
	char *text;

	(void)state;
	assert_int_equal(patches_load(mbox, split, &pl), 0);
	/* The cover letter has no diff and is skipped. */
	assert_int_equal(pl.n, 2);
	assert_string_equal(pl.v[0].subject,
	                    "ext4: add a fixture mount option for the buffered iomap path");
	assert_string_equal(pl.v[1].subject, "ext4: return one from the fixture");
	assert_int_equal(strlen(pl.v[0].sha256), 64);
	assert_int_equal(patches_apply(&pl, tree, log), 0);
	{
		char *super = path_join(tree, "fs/ext4/super.c");

		text = read_file(super, NULL);
		assert_non_null(strstr(text, "\"buffered_iomap\""));
		free(text);
		free(super);
	}
	patches_free(&pl);
	rm_rf(d);
	free(d);
	free(tree);
	free(mbox);
	free(split);
	free(log);
}

static void test_conflict_leaves_tree_untouched(void **state)
{
	char *d = tmpdir();
	char *tree = copy_tree(d);
	char *bad = fixture("patches/conflict.patch");
	char *log = path_join(d, "patch.log");
	char *inode = path_join(tree, "fs/ext4/inode.c");
	struct patch_list pl = {0};
	char before[65], after[65];
	char *out;

	(void)state;
	sha256_file_hex(inode, before);
	assert_int_equal(patches_load(bad, d, &pl), 0);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.v[0].subject, "ext4: change a line the tree does not have");
	{
		/* The one error line must name the patch and the file. */
		char *errf = path_join(d, "stderr");
		int saved = dup(2);
		FILE *f = freopen(errf, "w", stderr);
		char *msg;

		assert_non_null(f);
		iolab_quiet = true;
		assert_int_equal(patches_apply(&pl, tree, log), -1);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		msg = read_file(errf, NULL);
		assert_non_null(strstr(msg, "\"ext4: change a line the tree does not have\""));
		assert_non_null(strstr(msg, "fs/ext4/inode.c"));
		free(msg);
		free(errf);
	}
	sha256_file_hex(inode, after);
	assert_string_equal(before, after);
	/* No reject or backup files left behind. */
	out = run_capture(tree, "sh", "-c", "find . -name '*.rej' -o -name '*.orig' | wc -l", NULL);
	assert_string_equal(out, "0");
	free(out);
	patches_free(&pl);
	rm_rf(d);
	free(d);
	free(tree);
	free(bad);
	free(log);
	free(inode);
}

static void test_plain_diff(void **state)
{
	char *d = tmpdir();
	char *tree = copy_tree(d);
	char *f = path_join(d, "plain.diff");
	struct patch_list pl = {0};

	(void)state;
	/* diff -u output with nothing before its first line is a patch too. */
	write_str(f, "--- a/fs/ext4/inode.c\n+++ b/fs/ext4/inode.c\n@@ -1,5 +1,5 @@\n"
	             " /* fixture: inode.c */\n int ext4_fixture(void)\n {\n-\treturn 0;\n"
	             "+\treturn 2;\n }\n");
	assert_int_equal(patches_load(f, d, &pl), 0);
	assert_int_equal(pl.n, 1);
	assert_int_equal(patches_apply(&pl, tree, NULL), 0);
	patches_free(&pl);
	rm_rf(d);
	free(d);
	free(tree);
	free(f);
}

static void test_not_a_patch(void **state)
{
	char *d = tmpdir();
	char *f = path_join(d, "notes.patch");
	struct patch_list pl = {0};

	(void)state;
	write_str(f, "just some text\n");
	assert_int_equal(patches_load(f, d, &pl), -1);
	assert_int_equal(patches_load("/nonexistent/x.patch", d, &pl), -1);
	patches_free(&pl);
	rm_rf(d);
	free(d);
	free(f);
}

static void test_source_spec_refused(void **state)
{
	struct ksource src;

	(void)state;
	assert_int_equal(ksource_resolve("/nonexistent/linux", &src), -1);
	/* A directory that is not a kernel tree. */
	assert_int_equal(ksource_resolve("/tmp", &src), -1);
}

static void test_tree_source_identity(void **state)
{
	char *d = tmpdir();
	char *tree = copy_tree(d);
	char *f = path_join(tree, "fs/ext4/inode.c");
	struct ksource a, b;

	(void)state;
	assert_int_equal(ksource_resolve(tree, &a), 0);
	assert_string_equal(a.kind, "tree");
	write_str(f, "/* changed */\n");
	assert_int_equal(ksource_resolve(tree, &b), 0);
	assert_string_not_equal(a.identity, b.identity);
	ksource_free(&a);
	ksource_free(&b);
	rm_rf(d);
	free(d);
	free(tree);
	free(f);
}

static void test_tree_base(void **state)
{
	char *d = tmpdir();
	char *mk = path_join(d, "Makefile"), *next = path_join(d, "localversion-next");
	char *b;

	(void)state;
	write_str(mk, "VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\nEXTRAVERSION =\nNAME = x\n");
	b = tree_base(d);
	assert_string_equal(b, "7.3.4");
	free(b);
	write_str(mk, "VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 0\nEXTRAVERSION = -rc4\n");
	b = tree_base(d);
	assert_string_equal(b, "v7.3-rc4");
	free(b);
	write_str(next, "-next-20260122\n");
	b = tree_base(d);
	assert_string_equal(b, "next-20260122");
	free(b);
	rm_rf(d);
	free(d);
	free(mk);
	free(next);
}

/*
 * A manifest with two versions, neither made for 7.3.4; v1 has a port onto
 * 7.3.4 in the patch store, v2 a drop-in mbox beside series.ini.
 */
static void test_series_pick(void **state)
{
	char *root = tmpdir(), *store = tmpdir();
	char *sdir = path_join(root, "demo"), *port = NULL, *mbox = fixture("patches/series.mbox");
	char *ini = path_join(sdir, "series.ini"), *drop = path_join(sdir, "v2.mbx");
	struct series_pick p;

	(void)state;
	mkdir_p(sdir);
	write_str(ini, "[series]\ntitle = demo\nenable_option = on\ndisable_option = off\n"
	               "[v1]\nmessage_id = a@b\nbase = next-20260101\nports = 7.3.4\n"
	               "[v2]\nmessage_id = c@d\nbase = next-20260201\n");
	copy_file(mbox, drop);
	port = xasprintf("%s/demo/v1-on-7.3.4", store);
	mkdir_p(port);
	setenv("IOLAB_PATCHES", root, 1);
	setenv("IOLAB_PATCH_STORE", store, 1);

	/* Unpinned: the newest version that fits the base, here v1's port. */
	assert_int_equal(series_pick("demo", "7.3.4", &p), 0);
	assert_string_equal(p.v->name, "v1");
	assert_string_equal(p.port, "7.3.4");
	assert_string_equal(p.origin, "patch store");
	assert_string_equal(p.patches_path, port);
	{
		char *id = series_pick_id(&p);

		assert_string_equal(id, "demo@v1-on-7.3.4");
		free(id);
	}
	series_pick_free(&p);
	/* Pinned to a version made for another base: refused (one error line). */
	assert_int_equal(series_pick("demo@v2", "7.3.4", &p), -1);
	assert_int_equal(series_pick("demo@v1-on-7.2.9", "7.3.4", &p), -1);
	/* On v2's own base its drop-in is taken. */
	assert_int_equal(series_pick("demo", "next-20260201", &p), 0);
	assert_string_equal(p.v->name, "v2");
	assert_null(p.port);
	assert_string_equal(p.origin, "drop-in");
	series_pick_free(&p);
	/* Without the store, nothing fits 7.3.4: picked with no patches, and said why. */
	unsetenv("IOLAB_PATCH_STORE");
	assert_int_equal(series_pick("demo", "7.3.4", &p), 0);
	assert_null(p.patches_path);
	assert_non_null(strstr(p.missing, "port onto 7.3.4 is declared"));
	series_pick_free(&p);

	unsetenv("IOLAB_PATCHES");
	rm_rf(root);
	rm_rf(store);
	free(root);
	free(store);
	free(sdir);
	free(port);
	free(mbox);
	free(ini);
	free(drop);
}

/* A build that fails is reported by its first compiler error, as a walk records it. */
static void test_first_error(void **state)
{
	const char *tree = "/cache/work/95a4d916e0b87a13";
	/* gcc colours its diagnostics even into the log (the kernel asks it to). */
	const char *log =
	        "  CC      fs/ext4/dir.o\n"
	        "  CC      fs/ext4/file.o\n"
	        "/cache/work/95a4d916e0b87a13/fs/ext4/file.c: In function "
	        "'ext4_buffered_write_iter':\n"
	        "\033[01m\033[K/cache/work/95a4d916e0b87a13/fs/ext4/file.c:340:9:\033[m\033[K "
	        "\033[01;31m\033[Kerror: \033[m\033[K'iolab_walk_delay_us' undeclared (first "
	        "use in this function)\n"
	        "/cache/work/95a4d916e0b87a13/fs/ext4/file.c:341:2: error: second one\n"
	        "make[4]: *** [scripts/Makefile.build:287: fs/ext4/file.o] Error 1\n";
	const char *link = "  LD      vmlinux.o\n"
	                   "ld: vmlinux.o: in function `ext4_init_fs':\n"
	                   "super.c:(.init.text+0x1a): undefined reference to `iolab_knob'\n"
	                   "make[2]: *** [scripts/Makefile.vmlinux:34: vmlinux] Error 1\n";
	const char *make_only = "make[1]: *** Waiting for unfinished jobs....\n"
	                        "make[1]: *** No rule to make target 'bzImage'.  Stop.\n";
	char *e;

	(void)state;
	e = kernel_log_first_error(log, tree);
	assert_string_equal(e, "fs/ext4/file.c:340:9: error: 'iolab_walk_delay_us' undeclared "
	                       "(first use in this function)");
	free(e);
	e = kernel_log_first_error(link, tree);
	assert_string_equal(e, "super.c:(.init.text+0x1a): undefined reference to `iolab_knob'");
	free(e);
	e = kernel_log_first_error(make_only, NULL);
	assert_string_equal(e, "make[1]: *** No rule to make target 'bzImage'.  Stop.");
	free(e);
	assert_null(kernel_log_first_error("  CC      init/main.o\n", tree));
	assert_null(kernel_log_first_error(NULL, tree));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_series_manifest),
	        cmocka_unit_test(test_first_error),
	        cmocka_unit_test(test_series_refusals),
	        cmocka_unit_test(test_tree_base),
	        cmocka_unit_test(test_series_pick),
	        cmocka_unit_test(test_fragment_verify),
	        cmocka_unit_test(test_default_fragments),
	        cmocka_unit_test(test_cache_key),
	        cmocka_unit_test(test_mbox_split_and_apply),
	        cmocka_unit_test(test_conflict_leaves_tree_untouched),
	        cmocka_unit_test(test_plain_diff),
	        cmocka_unit_test(test_not_a_patch),
	        cmocka_unit_test(test_source_spec_refused),
	        cmocka_unit_test(test_tree_source_identity),
	};

	iolab_quiet = true;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
