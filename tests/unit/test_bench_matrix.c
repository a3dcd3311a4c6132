// SPDX-License-Identifier: GPL-2.0
/* Matrix files: the shipped ones, every refusal, cells and the run order. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench.h"
#include "paths.h"
#include "util.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/iolab-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

static void load_shipped(const char *name, struct matrix *m)
{
	char *rel = xasprintf("bench/%s.conf", name);
	char *path = data_path(rel);

	assert_non_null(path);
	assert_int_equal(matrix_load(path, m), 0);
	free(path);
	free(rel);
}

/* ---- the shipped matrices ---- */

static void test_cover_letter(void **state)
{
	struct matrix m;
	struct cell *cells;
	size_t n;
	char sha[65];
	static const char *const titles[] = {"write cache", "uncached write", "read hole",
	                                     "read pre-cache", "read ondisk data"};

	(void)state;
	load_shipped("cover-letter", &m);
	assert_string_equal(m.name, "cover-letter");
	assert_string_equal(m.series, "ext4-iomap-buffered-io");
	assert_int_equal(m.nkernels, 1);
	assert_string_equal(m.kernels[0].name, "default");
	assert_string_equal(m.kernels[0].source, "debian:linux-source-7.3");
	assert_true(m.kernels[0].allow_missing_series);
	assert_int_equal(m.paths.n, 2);
	/* bh is the series' disable option, iomap its enable option. */
	assert_string_equal(m.path_options.v[0], "nobuffered_iomap");
	assert_string_equal(m.path_options.v[1], "buffered_iomap");
	assert_int_equal(m.devices.n, 1);
	assert_string_equal(m.devices.v[0], "virtio-blk");
	assert_int_equal(m.nfs, 1);
	assert_string_equal(m.fs[0].mkfs, "-b 4096 -E lazy_itable_init=0,lazy_journal_init=0");
	assert_int_equal(m.nworkloads, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(m.workloads[i]->title, titles[i]);
	assert_string_equal(m.workloads[0]->table, "Buffered write");
	assert_string_equal(m.workloads[4]->table, "Buffered read");
	assert_int_equal(m.nblock_sizes, 4);
	assert_int_equal(m.block_sizes[0], 1024);
	assert_int_equal(m.block_sizes[3], 1 << 20);
	assert_int_equal(m.repetitions, 3);
	assert_int_equal(m.runtime, 3);
	assert_int_equal(m.guest_mem, 2LL << 30);
	/* auto: a quarter of 2G, and twice that plus 512M of disk. */
	assert_true(m.file_size_auto);
	assert_int_equal(m.file_size, 512LL << 20);
	assert_true(m.disk_size_auto);
	assert_int_equal(m.disk_size, (1536LL) << 20);
	assert_string_equal(m.backing, "memory");
	assert_int_equal(sha256_file_hex(m.path, sha), 0);
	assert_string_equal(m.sha256, sha);

	n = matrix_expand(&m, &cells);
	assert_int_equal(n, 5 * 4 * 2);
	assert_string_equal(cells[0].id, "default/virtio-blk/4k/write_cache/1k/bh");
	assert_string_equal(cells[1].id, "default/virtio-blk/4k/write_cache/1k/iomap");
	assert_string_equal(cells[7].id, "default/virtio-blk/4k/write_cache/1M/iomap");
	assert_string_equal(cells[39].id, "default/virtio-blk/4k/read_ondisk/1M/iomap");
	assert_string_equal(cells[39].group_id, "default/virtio-blk/4k");
	assert_int_equal(cells_find(cells, n, "default/virtio-blk/4k/read_hole/64k/bh"), 2 * 8 + 4);
	assert_int_equal(cells_find(cells, n, "nope"), -1);
	cells_free(cells, n);
	matrix_free(&m);
}

/* Every (cell, rep) is scheduled exactly once, in its own group. */
static void check_schedule_covers(const struct matrix *m, const struct cell *cells, size_t n,
                                  const struct bench_group *g, size_t ng)
{
	unsigned char *seen = xcalloc(n * (size_t)m->repetitions, 1);
	size_t total = 0;

	for (size_t i = 0; i < ng; i++) {
		for (size_t s = 0; s < g[i].nsteps; s++) {
			const struct bench_step *st = &g[i].steps[s];

			assert_true(st->cell < n);
			assert_true(st->rep >= 0 && st->rep < m->repetitions);
			assert_string_equal(cells[st->cell].group_id, g[i].id);
			assert_int_equal(seen[st->cell * m->repetitions + st->rep], 0);
			seen[st->cell * m->repetitions + st->rep] = 1;
			total++;
		}
	}
	assert_int_equal(total, n * (size_t)m->repetitions);
	free(seen);
}

static void test_schedule_interleaves(void **state)
{
	struct matrix m;
	struct cell *cells;
	struct bench_group *g;
	size_t n, ng;
	/* bh r0, iomap r0, bh r1, iomap r1, bh r2, iomap r2, then the next block size. */
	static const struct {
		size_t cell;
		int rep;
	} want[] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}, {2, 0}, {3, 0}};

	(void)state;
	load_shipped("cover-letter", &m);
	n = matrix_expand(&m, &cells);
	ng = bench_schedule(&m, cells, n, &g);
	assert_int_equal(ng, 1);
	assert_string_equal(g[0].id, "default/virtio-blk/4k");
	assert_string_equal(g[0].kernel, "default");
	assert_int_equal(g[0].nsteps, 40 * 3);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(g[0].steps[i].cell, want[i].cell);
		assert_int_equal(g[0].steps[i].rep, want[i].rep);
	}
	check_schedule_covers(&m, cells, n, g, ng);
	bench_groups_free(g, ng);
	cells_free(cells, n);
	matrix_free(&m);
}

static void test_sweep_and_smoke(void **state)
{
	struct matrix m;
	struct cell *cells;
	struct bench_group *g;
	size_t n, ng;

	(void)state;
	load_shipped("sweep", &m);
	assert_int_equal(m.nblock_sizes, 11);
	for (size_t i = 0; i < m.nblock_sizes; i++)
		assert_int_equal(m.block_sizes[i], 1024LL << i);
	assert_int_equal(m.devices.n, 3);
	assert_int_equal(m.nfs, 3);
	assert_string_equal(
	        matrix_fs(&m, "bigalloc")->mkfs,
	        "-b 4096 -O bigalloc -C 65536 -E lazy_itable_init=0,lazy_journal_init=0");
	assert_string_equal(matrix_fs(&m, "64k")->mkfs,
	                    "-b 65536 -E lazy_itable_init=0,lazy_journal_init=0");
	n = matrix_expand(&m, &cells);
	assert_int_equal(n, 11 * 5 * 3 * 3 * 2);
	ng = bench_schedule(&m, cells, n, &g);
	assert_int_equal(ng, 9);
	assert_string_equal(g[0].id, "default/virtio-blk/4k");
	assert_string_equal(g[1].id, "default/virtio-blk/64k");
	assert_string_equal(g[8].id, "default/pmem/bigalloc");
	for (size_t i = 0; i < ng; i++)
		assert_int_equal(g[i].nsteps, 11 * 5 * 2 * 3);
	check_schedule_covers(&m, cells, n, g, ng);
	bench_groups_free(g, ng);
	cells_free(cells, n);
	matrix_free(&m);

	load_shipped("smoke", &m);
	assert_int_equal(m.file_size, 64LL << 20);
	assert_false(m.file_size_auto);
	assert_int_equal(m.disk_size, 640LL << 20);
	assert_int_equal(m.guest_mem, 1LL << 30);
	assert_int_equal(m.runtime, 1);
	assert_int_equal(m.nworkloads, 3);
	assert_string_equal(m.workloads[2]->name, "read_ondisk");
	n = matrix_expand(&m, &cells);
	assert_int_equal(n, 3 * 2 * 2);
	cells_free(cells, n);
	matrix_free(&m);
}

/* ---- a written matrix ---- */

static const char *const good = "; a comment\n"
                                "[matrix]\n"                                  /* 2 */
                                "name = t\n"                                  /* 3 */
                                "series = ext4-iomap-buffered-io\n"           /* 4 */
                                "kernels = base\n"                            /* 5 */
                                "paths = bh iomap\n"                          /* 6 */
                                "devices = virtio-blk nvme\n"                 /* 7 */
                                "fs_configs = mine 4k\n"                      /* 8 */
                                "workloads = write_cache read_ondisk\n"       /* 9 */
                                "block_sizes = 4k 64k\n"                      /* 10 */
                                "file_size = auto\n"                          /* 11 */
                                "runtime = 2\n"                               /* 12 */
                                "repetitions = 2\n"                           /* 13 */
                                "guest_mem = 1000M\n"                         /* 14 */
                                "\n"                                          /* 15 */
                                "[kernel.base]\n"                             /* 16 */
                                "series = ext4-iomap-buffered-io@v3\n"        /* 17 */
                                "\n"                                          /* 18 */
                                "[fs.mine]\n"                                 /* 19 */
                                "mkfs = -b 1024 -E stride=4\n"                /* 20 */
                                "mount = noatime,data=ordered   ; why not\n"; /* 21 */

struct loaded {
	int rc;
	char *msg; /* what error() printed */
};

static struct loaded load_text(const char *text, struct matrix *m)
{
	char *d = tmpdir();
	char *f = path_join(d, "matrix.conf");
	char *errf = path_join(d, "stderr");
	struct loaded r;
	int saved, fd;

	write_str(f, text);
	fflush(stderr);
	saved = dup(2);
	fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	close(fd);
	r.rc = matrix_load(f, m);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	r.msg = read_file(errf, NULL);
	rm_rf(d);
	free(d);
	free(f);
	free(errf);
	return r;
}

static void test_written_matrix(void **state)
{
	struct matrix m;
	struct loaded r = load_text(good, &m);
	struct cell *cells;
	struct bench_group *g;
	size_t n, ng;
	char *opts;
	json_t *j;

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.msg, "");
	free(r.msg);
	assert_string_equal(m.kernels[0].source, "debian:linux-source-7.3");
	assert_string_equal(m.kernels[0].series, "ext4-iomap-buffered-io@v3");
	assert_false(m.kernels[0].allow_missing_series);
	/* The user's -E is kept and the lab's options join it (mke2fs keeps one -E). */
	assert_string_equal(matrix_fs(&m, "mine")->mkfs,
	                    "-b 1024 -E stride=4,lazy_itable_init=0,lazy_journal_init=0");
	assert_false(matrix_fs(&m, "mine")->builtin);
	opts = matrix_mount_options(&m, matrix_fs(&m, "mine"), "iomap");
	assert_string_equal(opts, "noatime,data=ordered,buffered_iomap");
	free(opts);
	opts = matrix_mount_options(&m, matrix_fs(&m, "4k"), "bh");
	assert_string_equal(opts, "nobuffered_iomap");
	free(opts);
	assert_null(matrix_mount_options(&m, matrix_fs(&m, "4k"), "dax"));
	/* 1000M / 4 = 250M, rounded down to whole MiB (the largest bs is 64k). */
	assert_int_equal(m.file_size, 250LL << 20);
	assert_int_equal(m.disk_size, (500LL + 512) << 20);

	j = matrix_to_json(&m);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "file_size")), 250LL << 20);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "workloads"), 1)),
	                    "read_ondisk");
	json_decref(j);

	n = matrix_expand(&m, &cells);
	assert_int_equal(n, 2 * 2 * 2 * 2 * 2);
	assert_string_equal(cells[0].id, "base/virtio-blk/mine/write_cache/4k/bh");
	ng = bench_schedule(&m, cells, n, &g);
	assert_int_equal(ng, 4);
	assert_string_equal(g[0].id, "base/virtio-blk/mine");
	assert_string_equal(g[1].id, "base/virtio-blk/4k");
	assert_string_equal(g[3].id, "base/nvme/4k");
	check_schedule_covers(&m, cells, n, g, ng);
	bench_groups_free(g, ng);
	cells_free(cells, n);
	matrix_free(&m);
}

static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/* An A/B: two kernels, measured one after the other for each configuration. */
static void test_two_kernels(void **state)
{
	char *t = replace(good, "kernels = base\n", "kernels = base patched\n");
	char *t2 = xasprintf("%s[kernel.patched]\nsource = debian:linux-source-7.3\n"
	                     "series = ext4-iomap-buffered-io\nallow_missing_series = yes\n",
	                     t);
	struct matrix m;
	struct loaded r = load_text(t2, &m);
	struct cell *cells;
	struct bench_group *g;
	size_t n, ng;

	(void)state;
	assert_int_equal(r.rc, 0);
	free(r.msg);
	assert_int_equal(m.nkernels, 2);
	assert_true(matrix_kernel(&m, "patched")->allow_missing_series);
	n = matrix_expand(&m, &cells);
	ng = bench_schedule(&m, cells, n, &g);
	assert_int_equal(ng, 8);
	assert_string_equal(g[0].id, "base/virtio-blk/mine");
	assert_string_equal(g[1].id, "patched/virtio-blk/mine");
	assert_string_equal(g[2].id, "base/virtio-blk/4k");
	check_schedule_covers(&m, cells, n, g, ng);
	bench_groups_free(g, ng);
	cells_free(cells, n);
	matrix_free(&m);
	free(t);
	free(t2);
}

/* A long list continues on an indented line (inih's multi-line values). */
static void test_continued_list(void **state)
{
	char *t = replace(good, "workloads = write_cache read_ondisk\n",
	                  "workloads = write_cache\n    read_hole read_ondisk\n");
	struct matrix m;
	struct loaded r = load_text(t, &m);

	(void)state;
	assert_int_equal(r.rc, 0);
	free(r.msg);
	assert_int_equal(m.nworkloads, 3);
	assert_string_equal(m.workloads[1]->name, "read_hole");
	matrix_free(&m);
	free(t);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *from, *to;
		int line;
		const char *says;
	} cases[] = {
	        {"[fs.mine]\n", "[fs.mine]\n[oops]\nx = 1\n", 20, "unknown section [oops]"},
	        {"runtime = 2\n", "colour = red\n", 12, "unknown key 'colour' in [matrix]"},
	        {"mount = noatime", "mnt = noatime", 21, "unknown key 'mnt' in [fs.mine]"},
	        {"[kernel.base]\n", "[kernel.base]\ncofnig = x\n", 17, "unknown key 'cofnig'"},
	        {"workloads = write_cache read_ondisk", "workloads = write_cache read_cold", 9,
	         "unknown workload 'read_cold' (known: write_cache uncached_write read_hole "
	         "read_precache read_ondisk)"},
	        {"devices = virtio-blk nvme", "devices = virtio-blk scsi", 7,
	         "unknown device 'scsi' (known: virtio-blk nvme pmem)"},
	        {"paths = bh iomap", "paths = bh dax", 6, "unknown path 'dax' (known: bh iomap)"},
	        {"fs_configs = mine 4k", "fs_configs = mine 16k", 8,
	         "unknown fs config '16k' (built in: 4k 64k bigalloc; or add an [fs.16k] section)"},
	        {"paths = bh iomap", "paths =", 6, "empty axis: paths lists nothing"},
	        {"block_sizes = 4k 64k", "block_sizes =   ", 10, "empty axis: block_sizes"},
	        {"file_size = auto", "file_size = 12Q", 11, "bad size '12Q' for file_size"},
	        {"guest_mem = 1000M", "guest_mem = lots", 14, "bad size 'lots' for guest_mem"},
	        {"runtime = 2", "runtime = five", 12, "bad number 'five' for runtime"},
	        {"repetitions = 2", "repetitions = 2.5", 13, "bad number '2.5'"},
	        {"block_sizes = 4k 64k", "block_sizes = 4k 3k", 10, "3k is not a power of two"},
	        {"block_sizes = 4k 64k", "block_sizes = 256 4k", 10, "256 is outside 512 to 16M"},
	        {"block_sizes = 4k 64k", "block_sizes = 4k 32M", 10, "32M is outside 512 to 16M"},
	        {"block_sizes = 4k 64k", "block_sizes = 4k 4096", 10, "4k and 4096 are the same"},
	        {"repetitions = 2", "repetitions = 0", 13, "repetitions must be at least 1"},
	        {"runtime = 2", "runtime = 0", 12, "runtime must be at least 1 second"},
	        {"kernels = base", "kernels = base a b", 5,
	         "kernels lists 3 kernels; give 1, or 2 for an A/B comparison (a walk's matrix, "
	         "with walk = SERIES, takes one per point)"},
	        {"[kernel.base]\n", "[kernel.base]\nupto = 0\n", 17, "upto must be at least 1"},
	        {"series = ext4-iomap-buffered-io@v3\n", "upto = 2\n", 17,
	         "upto needs a series in [kernel.base]"},
	        {"[kernel.base]\n", "[kernel.base]\nupto = two\n", 17, "bad number 'two' for upto"},
	        {"kernels = base", "kernels = base other", 5,
	         "kernel 'other' has no [kernel.other] section"},
	        {"paths = bh iomap", "paths = bh iomap bh", 6, "'bh' is listed twice in paths"},
	        {"runtime = 2\n", "runtime = 2\nruntime = 3\n", 12, "'runtime' is set twice"},
	        {"series = ext4-iomap-buffered-io\n", "", 2,
	         "[matrix] needs series (e.g. series = ext4-iomap-buffered-io)"},
	        {"series = ext4-iomap-buffered-io\n", "series = ext5-magic\n", 4,
	         "unknown series 'ext5-magic'"},
	        {"series = ext4-iomap-buffered-io\n", "series = ext4-iomap-buffered-io@v3\n", 4,
	         "drop '@...'"},
	        {"series = ext4-iomap-buffered-io@v3", "series = ext4-iomap-buffered-io@v99", 17,
	         "series ext4-iomap-buffered-io has no version v99"},
	        {"series = ext4-iomap-buffered-io@v3",
	         "series = ext4-iomap-buffered-io@v99-on-7.3.4", 17,
	         "series ext4-iomap-buffered-io has no version v99"},
	        {"[fs.mine]", "[fs.4k]\nmkfs = -b 4096\n[fs.mine]", 19, "fs config 4k is built in"},
	        {"[kernel.base]\n", "[kernel.base]\nconfig = no-such.config\n", 17,
	         "no-such.config not found"},
	        {"[kernel.base]\n", "[kernel.base]\nallow_missing_series = maybe\n", 17,
	         "bad value 'maybe' for allow_missing_series (yes or no)"},
	        {"mkfs = -b 1024 -E stride=4\n", "", 19, "[fs.mine] needs mkfs"},
	        {"file_size = auto", "file_size = 100M\nblock_sizes2 = x", 12, "unknown key"},
	        {"file_size = auto", "file_size = 1536k", 11, "file_size is not a multiple of 1M"},
	        {"file_size = auto", "file_size = 64M\ndisk_size = 64M", 12,
	         "disk_size must be larger than file_size"},
	        {"guest_mem = 1000M", "guest_mem = 1000M\nbacking = /no/such/dir", 15,
	         "backing '/no/such/dir' is neither 'memory' nor an existing directory"},
	        {"guest_mem = 1000M", "guest_mem = 100M", 14, "guest_mem must be at least 256M"},
	        {"name = t", "name = a/b", 3, "bad name 'a/b'"},
	        {"[matrix]\n", "[matrx]\n", 2, "unknown section [matrx]"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *t = replace(good, cases[i].from, cases[i].to);
		struct matrix m;
		struct loaded r = load_text(t, &m);
		char *where = xasprintf("matrix.conf:%d: ", cases[i].line);

		if (r.rc != -1 || !strstr(r.msg, where) || !strstr(r.msg, cases[i].says))
			fail_msg("case %zu (%s): rc %d, said: %s", i, cases[i].says, r.rc, r.msg);
		/* One line, prefixed by the lab. */
		assert_true(starts_with(r.msg, "iolab: error: "));
		assert_ptr_equal(strchr(r.msg, '\n'), r.msg + strlen(r.msg) - 1);
		free(where);
		free(r.msg);
		free(t);
	}
}

static void test_missing_file_and_section(void **state)
{
	struct matrix m;
	struct loaded r = load_text("; nothing\n", &m);

	(void)state;
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.msg, "no [matrix] section"));
	free(r.msg);
	assert_int_equal(matrix_load("/no/such/matrix.conf", &m), -1);
}

static void test_describe_keys(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *readme_path = data_path("bench/README.md");
	char *readme;
	static const char *const keys[] = {
	        "name",      "description", "series",      "kernels",   "walk",
	        "paths",     "devices",     "fs_configs",  "workloads", "block_sizes",
	        "file_size", "runtime",     "repetitions", "guest_mem", "guest_cpus",
	        "disk_size", "backing",     "source",      "config",    "allow_missing_series",
	        "upto",      "mkfs",        "mount"};

	(void)state;
	matrix_describe_keys(&sb);
	assert_non_null(readme_path);
	readme = read_file(readme_path, NULL);
	assert_non_null(readme);
	/* The README documents every key the parser takes. */
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *row = xasprintf("| `%s` |", keys[i]);
		char *line = xasprintf("  %s ", keys[i]);

		if (!strstr(readme, row))
			fail_msg("bench/README.md does not document %s", keys[i]);
		assert_non_null(strstr(sb.buf, line));
		free(row);
		free(line);
	}
	assert_non_null(strstr(sb.buf, "[kernel.NAME]\n"));
	assert_non_null(strstr(sb.buf, "(required)"));
	free(readme);
	free(readme_path);
	sb_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cover_letter),
	        cmocka_unit_test(test_schedule_interleaves),
	        cmocka_unit_test(test_sweep_and_smoke),
	        cmocka_unit_test(test_written_matrix),
	        cmocka_unit_test(test_two_kernels),
	        cmocka_unit_test(test_continued_list),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_missing_file_and_section),
	        cmocka_unit_test(test_describe_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
