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

static void test_probe_check(void **state)
{
	json_t *ev = json_object();
	json_t *none = json_pack("{s:i, s:{}}", "total", 0, "by_event");
	json_t *both = json_pack("{s:i, s:{s:i, s:i}}", "total", 40, "by_event", "iomap_iter", 30,
	                         "ext4_iomap_buffered_write_begin", 10);
	json_t *generic = json_pack("{s:i, s:{s:i}}", "total", 30, "by_event", "iomap_iter", 30);
	json_t *own = json_pack("{s:i, s:{s:i}}", "total", 3, "by_event",
	                        "ext4_iomap_buffered_read_begin", 3);
	char *why;

	(void)state;
	assert_int_equal(evidence_own_events(both), 10);
	assert_int_equal(evidence_buffered_iomap_events(both), 30);
	assert_null(evidence_check_probe(ev, true, both, true, NULL));
	assert_null(evidence_check_probe(ev, false, none, true, NULL));
	/* Without the series' own tracepoints in the kernel, iomap's alone prove the path. */
	assert_null(evidence_check_probe(ev, true, generic, false, NULL));
	why = evidence_check_probe(ev, true, generic, true, NULL);
	assert_non_null(why);
	assert_non_null(strstr(why, "own ext4"));
	free(why);
	/* Nothing fired on an iomap mount: the series kept the file on buffer_head. */
	why = evidence_check_probe(ev, true, none, true, "inline_data");
	assert_string_equal(why, "fell back to buffer_head (inline_data)");
	assert_true(json_is_true(json_object_get(ev, "fell_back")));
	free(why);
	why = evidence_check_probe(ev, true, none, true, NULL);
	assert_string_equal(why, "fell back to buffer_head (reason unknown)");
	free(why);
	why = evidence_check_probe(ev, false, own, true, NULL);
	assert_non_null(why);
	assert_non_null(strstr(why, "buffer_head cell"));
	free(why);
	json_decref(none);
	json_decref(both);
	json_decref(generic);
	json_decref(own);
	json_decref(ev);
}

/* A kernel without the path option: the probe names the path, it does not judge it. */
static void test_observe_path(void **state)
{
	json_t *ev = json_object();
	json_t *none = json_pack("{s:i, s:{}}", "total", 0, "by_event");
	json_t *iomap = json_pack("{s:i, s:{s:i}}", "total", 30, "by_event", "iomap_iter", 30);
	json_t *own = json_pack("{s:i, s:{s:i}}", "total", 3, "by_event",
	                        "ext4_iomap_buffered_read_begin", 3);
	char *why;

	(void)state;
	assert_null(evidence_observe_path(ev, iomap));
	assert_string_equal(json_string_value(json_object_get(ev, "observed_path")), "iomap");
	assert_string_equal(json_string_value(json_object_get(ev, "chosen_by")), "kernel");
	assert_null(json_object_get(ev, "iomap_expected"));
	assert_null(evidence_observe_path(ev, own));
	assert_string_equal(json_string_value(json_object_get(ev, "observed_path")), "iomap");
	assert_null(evidence_observe_path(ev, none));
	assert_string_equal(json_string_value(json_object_get(ev, "observed_path")), "bh");
	why = evidence_observe_path(ev, NULL);
	assert_non_null(why);
	assert_non_null(strstr(why, "no tracepoint counts"));
	free(why);
	json_decref(none);
	json_decref(iomap);
	json_decref(own);
	json_decref(ev);
}

static void test_fallback_reason(void **state)
{
	(void)state;
	assert_string_equal(evidence_fallback_reason("-b 4096 -O inline_data", ""), "inline_data");
	assert_null(evidence_fallback_reason("-b 4096 -O ^inline_data", ""));
	assert_string_equal(evidence_fallback_reason("-b 4096", "data=journal"), "data=journal");
	assert_string_equal(evidence_fallback_reason("-O ^extent", NULL), "no extents");
	assert_string_equal(evidence_fallback_reason("-O verity,metadata_csum", NULL), "verity");
	assert_null(evidence_fallback_reason("-b 65536", "noatime"));
	assert_null(evidence_fallback_reason(NULL, NULL));
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
	        cmocka_unit_test(test_option_tokens),   cmocka_unit_test(test_path_check),
	        cmocka_unit_test(test_trace_check),     cmocka_unit_test(test_probe_check),
	        cmocka_unit_test(test_fallback_reason), cmocka_unit_test(test_observe_path),
	        cmocka_unit_test(test_uncached_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
