// SPDX-License-Identifier: GPL-2.0
/* Console watching: which lines are problems, how bad, and what excerpt goes with them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm.h"

static void feed(struct console_watch *w, const char *text)
{
	console_feed(w, text, strlen(text));
}

static void test_classify(void **state)
{
	enum console_severity sev;

	(void)state;
	assert_string_equal(console_classify("[    3.1] Kernel panic - not syncing: VFS", &sev),
	                    "panic");
	assert_int_equal(sev, CONSOLE_FATAL);
	assert_string_equal(console_classify("[ 9.2] Oops: general protection fault", &sev),
	                    "oops");
	assert_string_equal(
	        console_classify("[ 1.0] WARNING: CPU: 0 PID: 1 at fs/ext4/inode.c:1", &sev),
	        "warning");
	assert_int_equal(sev, CONSOLE_NOTE);
	assert_string_equal(
	        console_classify("INFO: task fio:123 blocked for more than 120 seconds.", &sev),
	        "hung-task");
	assert_string_equal(console_classify("watchdog: BUG: soft lockup - CPU#0 stuck", &sev),
	                    "soft-lockup");
	assert_int_equal(sev, CONSOLE_NOTE);
	assert_string_equal(console_classify("BUG: KASAN: use-after-free in ext4_foo", &sev),
	                    "kasan");
	assert_string_equal(console_classify("UBSAN: shift-out-of-bounds in fs/ext4/super.c", &sev),
	                    "ubsan");
	assert_string_equal(console_classify("EXT4-fs error (device vdb): ext4_lookup", &sev),
	                    "ext4-error");
	assert_string_equal(console_classify("XFS (vdb): Corruption detected.", &sev), "xfs-error");
	assert_null(console_classify("XFS (vdb): Mounting V5 Filesystem", &sev));
	assert_null(
	        console_classify("EXT4-fs (vdb): mounted filesystem with ordered data mode", &sev));
	assert_null(console_classify("iolab-marker: built by the iolab kernel test", &sev));
}

static void test_excerpt_and_fatal(void **state)
{
	struct console_watch w;
	json_t *p;

	(void)state;
	console_init(&w, NULL);
	feed(&w,
	     "[ 1.0] booting\n[ 2.0] WARNING: CPU: 1 PID: 7 at mm/x.c:5 f+0x1\n[ 2.1] Call Trace:\n"
	     "[ 2.2]  <TASK>\n[ 2.3] ---[ end trace 0000000000000000 ]---\n[ 2.4] after\n");
	assert_false(w.fatal);
	assert_int_equal(json_array_size(w.problems), 1);
	p = json_array_get(w.problems, 0);
	assert_string_equal(json_string_value(json_object_get(p, "kind")), "warning");
	/* The trace follows the line, up to its end marker, and nothing after it. */
	assert_non_null(strstr(json_string_value(json_object_get(p, "excerpt")), "Call Trace:"));
	assert_non_null(strstr(json_string_value(json_object_get(p, "excerpt")), "end trace"));
	assert_null(strstr(json_string_value(json_object_get(p, "excerpt")), "after"));
	/* A line split across two reads is one line. */
	feed(&w, "[ 3.0] Kernel pan");
	assert_false(w.fatal);
	feed(&w, "ic - not syncing: Attempted to kill init!\n");
	assert_true(w.fatal);
	assert_int_equal(json_array_size(w.problems), 2);
	{
		char *tail = console_tail(&w, 2);

		assert_non_null(strstr(tail, "Attempted to kill init"));
		assert_non_null(strstr(tail, "after"));
		free(tail);
	}
	console_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_classify),
	        cmocka_unit_test(test_excerpt_and_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
