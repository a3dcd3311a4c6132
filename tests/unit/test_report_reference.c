// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report_reference.h"
#include "util.h"

/*
 * The cover letter's tables, transcribed a second time from the seed so the
 * INI file is checked against something it was not copied into.
 */
static const struct {
	const char *workload;
	const char *bs;
	double bh, iomap;
} letter[] = {
        {"write_cache", "1k", 423, 403},      {"write_cache", "4k", 1067, 1093},
        {"write_cache", "64k", 4321, 6488},   {"write_cache", "1M", 4640, 7378},
        {"uncached_write", "1k", 36.3, 57},   {"uncached_write", "4k", 58.4, 61},
        {"uncached_write", "64k", 869, 1206}, {"uncached_write", "1M", 3158, 4818},
        {"read_hole", "1k", 635, 643},        {"read_hole", "4k", 1987, 2075},
        {"read_hole", "64k", 6068, 6267},     {"read_hole", "1M", 5471, 6072},
        {"read_precache", "1k", 661, 653},    {"read_precache", "4k", 2128, 2159},
        {"read_precache", "64k", 9472, 9545}, {"read_precache", "1M", 8657, 9191},
        {"read_ondisk", "1k", 605, 602},      {"read_ondisk", "4k", 1761, 1716},
        {"read_ondisk", "64k", 4475, 4451},   {"read_ondisk", "1M", 4405, 4467},
};

static int load_letter(void **state)
{
	char *dir = reference_dir();

	if (!dir) {
		print_error("bench/reference not found beside the test binary; set %s\n",
		            REFERENCE_ENV);
		return -1;
	}
	*state = reference_load(dir, REFERENCE_DEFAULT);
	free(dir);
	return *state ? 0 : -1;
}

static int free_letter(void **state)
{
	reference_free(*state);
	return 0;
}

static void test_all_numbers(void **state)
{
	const struct reference *r = *state;
	double v;

	assert_int_equal(r->nvalues, 2 * ARRAY_SIZE(letter));
	assert_int_equal(r->nvalues, 40);
	for (size_t i = 0; i < ARRAY_SIZE(letter); i++) {
		assert_int_equal(reference_lookup(r, letter[i].workload, letter[i].bs, "bh", &v),
		                 0);
		assert_true(v == letter[i].bh);
		assert_int_equal(reference_lookup(r, letter[i].workload, letter[i].bs, "iomap", &v),
		                 0);
		assert_true(v == letter[i].iomap);
	}
}

static void test_ratio(void **state)
{
	double ratio;

	assert_int_equal(reference_ratio(*state, "write_cache", "1M", &ratio), 0);
	assert_true(ratio == 7378.0 / 4640.0);
	assert_int_equal(reference_ratio(*state, "uncached_write", "1k", &ratio), 0);
	assert_true(ratio == 57 / 36.3);
}

static void test_shape_and_source(void **state)
{
	const struct reference *r = *state;
	const char *order[] = {"1k", "4k", "64k", "1M"};
	const char *workloads[] = {"write_cache", "uncached_write", "read_hole", "read_precache",
	                           "read_ondisk"};

	assert_string_equal(r->name, "cover-letter-v3");
	assert_int_equal(r->block_sizes.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(r->block_sizes.v[i], order[i]);
	assert_int_equal(r->workloads.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(r->workloads.v[i], workloads[i]);
	assert_int_equal(r->paths.n, 2);
	assert_string_equal(r->paths.v[0], "bh");
	assert_string_equal(r->paths.v[1], "iomap");
	assert_string_equal(reference_source(r, "message_id"),
	                    "20260422021042.4157510-1-yi.zhang@huaweicloud.com");
	assert_string_equal(reference_source(r, "machine"), "150 GB memory-backed VM");
	assert_string_equal(reference_source(r, "tool"), "fio");
	assert_string_equal(reference_source(r, "fs"), "ext4");
	assert_non_null(strstr(reference_source(r, "subject"), "[PATCH v3 00/22] ext4: use iomap"));
	assert_null(reference_source(r, "nonesuch"));
	assert_string_equal(reference_title(r, "read_ondisk"), "read ondisk data");
}

static void test_lookup_spellings(void **state)
{
	double v;

	/* Block sizes compare by value, as fio and the matrix may spell them differently. */
	assert_int_equal(reference_lookup(*state, "write_cache", "1024k", "iomap", &v), 0);
	assert_true(v == 7378);
	assert_int_equal(reference_lookup(*state, "write_cache", "64K", "bh", &v), 0);
	assert_true(v == 4321);
	assert_int_equal(reference_lookup(*state, "write_cache", "2M", "bh", &v), -1);
	assert_int_equal(reference_lookup(*state, "write_back", "1M", "bh", &v), -1);
	assert_int_equal(reference_lookup(*state, "write_cache", "1M", "dax", &v), -1);
}

static struct reference *load_text(const char *text)
{
	char path[] = "/tmp/iolab-test-ref-XXXXXX.ini";
	int fd = mkstemps(path, 4);
	struct reference *r;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(write_str(path, text), 0);
	r = reference_load_file(path);
	unlink(path);
	return r;
}

static void test_bad_files(void **state)
{
	struct reference *r;

	r = load_text("[w]\n4k.bh = 12\n4k.iomap = 13.5\n");
	assert_non_null(r);
	assert_int_equal(r->nvalues, 2);
	reference_free(r);

	assert_null(load_text("[w]\n4k.bh = fast\n"));
	assert_null(load_text("[w]\n4k.bh = -3\n"));
	assert_null(load_text("[w]\nfour.bh = 3\n"));
	assert_null(load_text("[w]\n4k = 3\n"));
	assert_null(load_text("[w]\n4k.bh = 3\n4096.bh = 4\n"));
	assert_null(load_text("[w x]\n4k.bh = 3\n"));
	assert_null(load_text("[source]\ntool = fio\n"));
	assert_null(load_text("[w]\nthis is not ini\n"));
}

static void test_bad_names(void **state)
{
	char *dir = reference_dir();

	assert_non_null(dir);
	assert_null(reference_load(dir, "../../etc/passwd"));
	assert_null(reference_load(dir, "no-such-letter"));
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_all_numbers, load_letter, free_letter),
	        cmocka_unit_test_setup_teardown(test_ratio, load_letter, free_letter),
	        cmocka_unit_test_setup_teardown(test_shape_and_source, load_letter, free_letter),
	        cmocka_unit_test_setup_teardown(test_lookup_spellings, load_letter, free_letter),
	        cmocka_unit_test(test_bad_files),
	        cmocka_unit_test(test_bad_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
