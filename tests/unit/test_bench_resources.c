// SPDX-License-Identifier: GPL-2.0
/* What a run needs from the host: the estimates, every refusal, an accepted run, no VM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench.h"
#include "bench_resources.h"
#include "fstests.h"
#include "paths.h"
#include "util.h"

#define MiB (1LL << 20)
#define GiB (1LL << 30)

static void assert_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s ? s : "(null)", part);
}

static void assert_lacks(const char *s, const char *part)
{
	if (strstr(s, part))
		fail_msg("'%s' contains '%s'", s, part);
}

/* ---- mkfs.ext4's metadata ---- */

static void test_mkfs_metadata(void **state)
{
	const char *lab = " -E lazy_itable_init=0,lazy_journal_init=0";
	char *a;

	(void)state;
	/* 2G, 4k blocks: a 64 MiB journal, 131072 inodes of 256 bytes, 64 MiB + 1 %. */
	a = xasprintf("-b 4096%s", lab);
	assert_int_equal(res_mkfs_metadata(2 * GiB, a), 64 * MiB + 32 * MiB + 64 * MiB + 21474836);
	free(a);
	/* mke2fs counts the journal in blocks: with 64k blocks it is 16 times larger. */
	assert_int_equal(res_mkfs_metadata(2 * GiB, "-b 65536"),
	                 256 * MiB + 8 * MiB + 64 * MiB + 21474836);
	/* bigalloc raises the inode ratio to the cluster size. */
	assert_int_equal(res_mkfs_metadata(2 * GiB, "-b 4096 -O bigalloc -C 65536"),
	                 64 * MiB + 8 * MiB + 64 * MiB + 21474836);
	/* ... whose default is 16 blocks. */
	assert_int_equal(res_mkfs_metadata(2 * GiB, "-b 4096 -O bigalloc"),
	                 res_mkfs_metadata(2 * GiB, "-b 4096 -O bigalloc -C 65536"));
	/* No journal, a journal size of one's own (MiB), inodes counted or sized by hand. */
	assert_int_equal(res_mkfs_metadata(2 * GiB, "-b 4096 -O ^has_journal"),
	                 32 * MiB + 64 * MiB + 21474836);
	assert_int_equal(res_mkfs_metadata(2 * GiB, "-b 4096 -J size=16"),
	                 16 * MiB + 32 * MiB + 64 * MiB + 21474836);
	assert_int_equal(res_mkfs_metadata(2 * GiB, "-N 1000 -I 1024"),
	                 64 * MiB + 1024000 + 64 * MiB + 21474836);
	/* Options glued to their values, as getopt takes them. */
	assert_int_equal(res_mkfs_metadata(2 * GiB, "-b1024 -i4096"),
	                 16 * MiB + 128 * MiB + 64 * MiB + 21474836);
	/* Under 512M mke2fs.conf's "small" type gives an inode per 4k. */
	assert_int_equal(res_mkfs_metadata(256 * MiB, "-b 4096"),
	                 16 * MiB + 16 * MiB + 64 * MiB + 2684354);
	/* Never more than the disk. */
	assert_int_equal(res_mkfs_metadata(64 * MiB, "-b 4096"), 64 * MiB);
	/*
	 * At least what mke2fs 1.47.0 left allocated in a sparse file (where it
	 * punches the inode tables instead of writing them: a lower bound).
	 */
	assert_true(res_mkfs_metadata(2 * GiB, "-b 4096") >= 66716 * 1024LL);
	assert_true(res_mkfs_metadata(2 * GiB, "-b 65536") >= 262728 * 1024LL);
	assert_true(res_mkfs_metadata(16 * GiB, "-b 4096") >= 135440 * 1024LL);
	assert_true(res_mkfs_metadata(16 * GiB, "-b 4096 -O bigalloc -C 65536") >= 131732 * 1024LL);
}

/* ---- the bench's need ---- */

static struct bench_fs fs_4k = {"4k", "-b 4096 -E lazy_itable_init=0,lazy_journal_init=0", "",
                                true};

static void small_matrix(struct matrix *m, const struct bench_workload **w, size_t nw)
{
	memset(m, 0, sizeof(*m));
	m->name = "t";
	m->fs = &fs_4k;
	m->nfs = 1;
	m->workloads = w;
	m->nworkloads = nw;
	m->file_size = 512 * MiB;
	m->disk_size = 1536 * MiB;
	m->guest_mem = 2 * GiB;
	m->backing = "memory";
}

static void test_bench_fill(void **state)
{
	const struct bench_workload *hole[] = {bench_workload_find("read_hole")};
	const struct bench_workload *mixed[] = {bench_workload_find("read_hole"),
	                                        bench_workload_find("read_ondisk")};
	const struct bench_workload *write[] = {bench_workload_find("write_cache")};
	int64_t meta = res_mkfs_metadata(1536 * MiB, fs_4k.mkfs);
	struct matrix m;
	struct res_need n;

	(void)state;
	assert_int_equal(meta, 32 * MiB + 24 * MiB + 64 * MiB + 16106127);
	/* A file of holes writes nothing: only mkfs's metadata. */
	small_matrix(&m, hole, 1);
	assert_int_equal(bench_disk_fill(&m), meta);
	/* A read workload writes its file in full first; a write workload up to file_size. */
	small_matrix(&m, mixed, 2);
	assert_int_equal(bench_disk_fill(&m), 512 * MiB + meta);
	small_matrix(&m, write, 1);
	assert_int_equal(bench_disk_fill(&m), 512 * MiB + meta);
	/* Never more than the disk holds. */
	m.disk_size = 600 * MiB;
	assert_int_equal(bench_disk_fill(&m), 600 * MiB);

	small_matrix(&m, write, 1);
	bench_resources_need(&m, 3, "/dev/shm", &n);
	assert_int_equal(n.vms, 3);
	assert_int_equal(n.fill, 512 * MiB + meta);
	assert_int_equal(res_disk_bytes(&n), 3 * (512 * MiB + meta));
	assert_string_equal(n.fill_what, "file_size 512M + 136 MiB mkfs metadata");
	assert_contains(n.fix_fill, "fewer parallel VMs (-j N)");
	/* One VM: fewer at once is no way out, so it is not offered. */
	bench_resources_need(&m, 1, "/dev/shm", &n);
	assert_lacks(n.fix_fill, "-j");
	assert_lacks(n.fix_mem, "-j");
}

/* ---- the checks ---- */

static const struct res_host roomy = {.dir_free = 20 * GiB,
                                      .dir_total = 24 * GiB,
                                      .dir_in_memory = true,
                                      .mem_available = 22 * GiB};

static void need_of(struct res_need *n, long vms, int64_t fill, int64_t disk, int64_t mem)
{
	memset(n, 0, sizeof(*n));
	n->dir = "/dev/shm";
	n->vms = vms;
	n->ndisks = 1;
	n->fill = fill;
	n->disk_size = disk;
	n->guest_mem = mem;
	snprintf(n->fill_what, sizeof(n->fill_what), "file_size X + Y mkfs metadata");
	n->fix_fill = "FIX-FILL";
	n->fix_mem = "FIX-MEM";
	n->fix_size = "FIX-SIZE";
}

static void test_accepted(void **state)
{
	struct res_need n;
	char *s;

	(void)state;
	need_of(&n, 2, 1 * GiB, 3 * GiB, 2 * GiB);
	assert_null(res_check(&n, &roomy));
	/* Memory: guest, QEMU's overhead and the memory-backed disk, per VM. */
	assert_int_equal(res_mem_bytes(&n, &roomy), 2 * (2 * GiB + RES_QEMU_OVERHEAD + 1 * GiB));
	s = res_summary(&n, &roomy);
	assert_string_equal(s, "needs: /dev/shm 2.0 GiB of 20.0 GiB free, memory 6.5 GiB of 22.0 "
	                       "GiB available (2 VMs at once)");
	free(s);
	/* Exactly full fits. */
	need_of(&n, 1, 20 * GiB, 24 * GiB, 1 * GiB);
	{
		struct res_host h = roomy;

		h.dir_in_memory = false;
		assert_null(res_check(&n, &h));
	}
}

static void test_refuse_fill(void **state)
{
	struct res_need n;
	char *why;

	(void)state;
	/* One VM whose file does not fit /dev/shm. */
	need_of(&n, 1, 21 * GiB, 42 * GiB, 2 * GiB);
	why = res_check(&n, &roomy);
	assert_non_null(why);
	assert_string_equal(why,
	                    "/dev/shm: the VM's disks would take 21.0 GiB there (file_size X + "
	                    "Y mkfs metadata), but it has 20.0 GiB free; use FIX-FILL");
	assert_null(strchr(why, '\n'));
	free(why);
	/* Too many at once: each fits, together they do not. */
	need_of(&n, 8, 3 * GiB, 6 * GiB, 256 * MiB);
	why = res_check(&n, &roomy);
	assert_contains(why, "/dev/shm: 8 VMs at once would take 24.0 GiB there (3.0 GiB each: ");
	assert_contains(why, "but it has 20.0 GiB free; use FIX-FILL");
	free(why);
	/* A size no host has: saturates instead of wrapping around to "fits". */
	need_of(&n, 1000000, INT64_MAX / 2, INT64_MAX / 2, 2 * GiB);
	assert_int_equal(res_disk_bytes(&n), INT64_MAX);
	why = res_check(&n, &roomy);
	assert_contains(why, "1000000 VMs at once would take");
	free(why);
}

static void test_refuse_memory(void **state)
{
	struct res_need n;
	struct res_host h = roomy;
	char *why;

	(void)state;
	/* The disks fit /dev/shm, but they and the guests are more memory than there is. */
	need_of(&n, 4, 2 * GiB, 4 * GiB, 4 * GiB);
	why = res_check(&n, &h);
	assert_string_equal(why, "memory: 4 VMs at once need 25.0 GiB (each: 4.0 GiB guest + 256 "
	                         "MiB QEMU + 2.0 GiB of memory-backed disk), but the host has 22.0 "
	                         "GiB available (MemAvailable); use FIX-MEM");
	free(why);
	/* Disks on a real disk take no memory: the same VMs fit. */
	h.dir_in_memory = false;
	assert_null(res_check(&n, &h));
	/* One guest larger than the host. */
	need_of(&n, 1, 1 * GiB, 4 * GiB, 32 * GiB);
	why = res_check(&n, &h);
	assert_contains(why, "memory: the VM needs 32.3 GiB (32.0 GiB guest + 256 MiB QEMU)");
	free(why);
}

static void test_refuse_disk_size(void **state)
{
	struct res_need n;
	char *why;

	(void)state;
	/*
	 * Issue 11's 40G memory-backed disk on a 24 GiB host: what the run
	 * writes fits, but the disk is larger than /dev/shm could ever hold.
	 */
	need_of(&n, 1, 1 * GiB, 40 * GiB, 2 * GiB);
	why = res_check(&n, &roomy);
	assert_string_equal(why,
	                    "/dev/shm: a 40.0 GiB disk is larger than the whole file system "
	                    "there (24.0 GiB): a guest that fills it would see I/O errors; use "
	                    "FIX-SIZE");
	free(why);
	/* Sparse: several disks of 10G on a 24G tmpfs are fine when what they hold fits. */
	need_of(&n, 3, 1 * GiB, 10 * GiB, 1 * GiB);
	assert_null(res_check(&n, &roomy));
}

static void test_space(void **state)
{
	char *why;

	(void)state;
	assert_null(res_check_space("building", "/c", RES_KERNEL_TREE, 2 * GiB, "FIX"));
	why = res_check_space("building kernel abc (a new object tree)", "/c", RES_KERNEL_TREE,
	                      1 * GiB, "FIX");
	assert_string_equal(why, "building kernel abc (a new object tree) needs 1.5 GiB in /c, "
	                         "which has 1.0 GiB free; FIX");
	free(why);
}

static void test_human(void **state)
{
	char *s;

	(void)state;
	s = res_human(1);
	assert_string_equal(s, "1 MiB"); /* rounded up: a need never reads as nothing */
	free(s);
	s = res_human(GiB + 1);
	assert_string_equal(s, "1.1 GiB");
	free(s);
	s = res_human(64LL << 40);
	assert_string_equal(s, "64.0 TiB");
	free(s);
	assert_int_equal(res_mul(INT64_MAX / 2, 3), INT64_MAX);
	assert_int_equal(res_add(INT64_MAX, 1), INT64_MAX);
}

/* ---- fstests ---- */

static void test_fstests(void **state)
{
	struct fstests_section secs[2] = {0};
	struct fstests_configs c = {.v = secs, .n = 2};
	struct strvec names = STRVEC_INIT;
	struct res_need n;

	(void)state;
	secs[0].name = "4k";
	secs[0].mkfs_options = "-q -b 4096";
	secs[0].disk_size = 5 * GiB;
	secs[1].name = "bigalloc_4k";
	secs[1].mkfs_options = "-q -b 4096 -O bigalloc";
	secs[1].disk_size = 20 * GiB;
	sv_push(&names, "4k");
	sv_push(&names, "bigalloc_4k");
	/* A run: both devices in full, of the largest section (they run one after the other). */
	fstests_resources_need(&c, &names, 0, 2 * GiB, true, "/dev/shm", &n);
	assert_int_equal(n.vms, 1);
	assert_int_equal(n.ndisks, 2);
	assert_int_equal(n.fill, 40 * GiB);
	assert_int_equal(n.disk_size, 20 * GiB);
	assert_string_equal(n.fill_what,
	                    "TEST_DEV and SCRATCH_DEV of 20G, which fstests may fill; section "
	                    "bigalloc_4k");
	{
		char *why = res_check(&n, &roomy);

		assert_contains(why, "/dev/shm: the VM's disks would take 40.0 GiB there");
		assert_contains(why, "use a smaller --disk-size, or --backing DIR");
		free(why);
	}
	/* --disk-size overrides the sections'. */
	fstests_resources_need(&c, &names, 2 * GiB, 2 * GiB, true, "/dev/shm", &n);
	assert_int_equal(n.fill, 4 * GiB);
	assert_null(res_check(&n, &roomy));
	/* --check-configs: one disk, mkfs only. */
	fstests_resources_need(&c, &names, 0, 2 * GiB, false, "/dev/shm", &n);
	assert_int_equal(n.ndisks, 1);
	assert_int_equal(n.fill, res_mkfs_metadata(20 * GiB, "-q -b 4096 -O bigalloc"));
	sv_clear(&names);
}

/* ---- the wrapper, on the host's numbers faked by the test-only variables ---- */

static void test_probe_and_check(void **state)
{
	char *path = data_path("bench/smoke.conf"), *summary = NULL;
	struct res_host h;
	struct matrix m;

	(void)state;
	assert_non_null(path);
	setenv(RES_ENV_FAKE_DISK_FREE, "3G", 1);
	setenv(RES_ENV_FAKE_MEM_AVAILABLE, "5G", 1);
	assert_int_equal(res_probe("/", &h), 0);
	assert_int_equal(h.dir_free, 3 * GiB);
	assert_int_equal(h.dir_total, 3 * GiB);
	assert_int_equal(h.mem_available, 5 * GiB);

	/* smoke.conf: a 64M file in a 1G guest, memory-backed. */
	assert_int_equal(matrix_load(path, &m), 0);
	assert_int_equal(bench_resources_check(&m, 1, &summary), 0);
	assert_contains(summary, "needs: /dev/shm ");
	assert_contains(summary, " of 3.0 GiB free, memory ");
	assert_contains(summary, " of 5.0 GiB available (1 VM at once)");
	free(summary);
	/* Four of them: 4 * (1G + 256M + the disk) is more than 5G. */
	iolab_quiet = true;
	assert_int_equal(bench_resources_check(&m, 4, &summary), -1);
	assert_null(summary);
	matrix_free(&m);

	setenv(RES_ENV_FAKE_MEM_AVAILABLE, "lots", 1);
	assert_int_equal(res_probe("/", &h), -1);
	unsetenv(RES_ENV_FAKE_DISK_FREE);
	unsetenv(RES_ENV_FAKE_MEM_AVAILABLE);
	/* The real host: some memory, and the root file system has a size. */
	assert_int_equal(res_probe("/", &h), 0);
	assert_true(h.mem_available > 0);
	assert_true(h.dir_total > 0);
	assert_int_equal(res_probe("/no/such/dir", &h), -1);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mkfs_metadata), cmocka_unit_test(test_bench_fill),
	        cmocka_unit_test(test_accepted),      cmocka_unit_test(test_refuse_fill),
	        cmocka_unit_test(test_refuse_memory), cmocka_unit_test(test_refuse_disk_size),
	        cmocka_unit_test(test_space),         cmocka_unit_test(test_human),
	        cmocka_unit_test(test_fstests),       cmocka_unit_test(test_probe_and_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
