// SPDX-License-Identifier: GPL-2.0
/* The evidence checks, both ways, on replies shaped like the guest agent's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench_evidence.h"
#include "util.h"

static const char *ext4_bh = "rw\nbsddf\nnobuffered_iomap\ndelalloc\ndata=ordered\n";
static const char *ext4_iomap = "rw\nbsddf\nbuffered_iomap\ndelalloc\n";

static void test_option_tokens(void **state)
{
	(void)state;
	assert_true(evidence_has_option(ext4_iomap, "buffered_iomap"));
	/* The disable option contains the enable option's name: whole tokens only. */
	assert_false(evidence_has_option(ext4_bh, "buffered_iomap"));
	assert_true(evidence_has_option("rw,relatime,buffered_iomap", "buffered_iomap"));
	assert_false(evidence_has_option(NULL, "buffered_iomap"));
}

static void test_path_check(void **state)
{
	json_t *ev = json_object();
	char *why;

	(void)state;
	assert_null(evidence_check_path(ev, true, ext4_iomap, "buffered_iomap"));
	assert_null(evidence_check_path(ev, false, ext4_bh, "buffered_iomap"));
	why = evidence_check_path(ev, true, ext4_bh, "buffered_iomap");
	assert_non_null(why);
	assert_non_null(strstr(why, "iomap path"));
	assert_true(json_is_false(json_object_get(ev, "path_option_in_effect")));
	free(why);
	why = evidence_check_path(ev, false, ext4_iomap, "buffered_iomap");
	assert_non_null(why);
	free(why);
	json_decref(ev);
}

static void test_trace_check(void **state)
{
	json_t *ev = json_object();
	json_t *none = json_pack("{s:i, s:{s:i}}", "total", 5, "by_event", "iomap_dio_rw_begin", 5);
	json_t *fired = json_pack("{s:i, s:{s:i, s:i}}", "total", 130, "by_event", "iomap_iter",
	                          100, "iomap_writeback_folio", 30);
	char *why;

	(void)state;
	/* Direct I/O events do not count as buffered I/O through iomap. */
	assert_int_equal(evidence_buffered_iomap_events(none), 0);
	assert_int_equal(evidence_buffered_iomap_events(fired), 130);
	assert_null(evidence_check_trace(ev, false, none));
	assert_null(evidence_check_trace(ev, true, fired));
	assert_int_equal(json_integer_value(
	                         json_object_get(json_object_get(ev, "iomap_events"), "buffered")),
	                 130);
	why = evidence_check_trace(ev, true, none);
	assert_non_null(why);
	assert_non_null(strstr(why, "not in effect"));
	free(why);
	why = evidence_check_trace(ev, false, fired);
	assert_non_null(why);
	assert_non_null(strstr(why, "buffer_head cell"));
	free(why);
	why = evidence_check_trace(ev, true, NULL);
	assert_non_null(why);
	free(why);
	json_decref(none);
	json_decref(fired);
	json_decref(ev);
}

static void test_uncached_check(void **state)
{
	json_t *ev = json_object();
	char *why;

	(void)state;
	/* 64 MiB written, 1 MiB of growth: flat. */
	assert_null(evidence_check_uncached(ev, 100000, 101024, 64 << 20));
	/* 64 MiB written, 60 MiB of growth: the cache was used. */
	why = evidence_check_uncached(ev, 100000, 100000 + 60 * 1024, 64 << 20);
	assert_non_null(why);
	assert_non_null(strstr(why, "RWF_DONTCACHE"));
	free(why);
	why = evidence_check_uncached(ev, -1, 5, 64 << 20);
	assert_non_null(why);
	free(why);
	json_decref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_option_tokens),
	        cmocka_unit_test(test_path_check),
	        cmocka_unit_test(test_trace_check),
	        cmocka_unit_test(test_uncached_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
