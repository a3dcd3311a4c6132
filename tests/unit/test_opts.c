// SPDX-License-Identifier: GPL-2.0
/*
 * The option tables: defaults and ranges the parser enforces, rows shared
 * between commands, and modes given as subcommands or as their old flags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "commands.h"
#include "opts.h"
#include "stderr_capture.h"
#include "util.h"
#include "vm.h"

struct args {
	long n;
	long open;
	int64_t size;
	char *name;
};

static const struct opt table[] = {
        {"n", OPT_INT, offsetof(struct args, n), "N", "a count", "5", "1..10"},
        {"open", OPT_INT, offsetof(struct args, open), "N", "no upper end", NULL, "0.."},
        {"size", OPT_SIZE, offsetof(struct args, size), "SIZE", "a size", "1M", "64k..1G"},
        {"name", OPT_STR, offsetof(struct args, name), "NAME", "a name", "x", NULL},
        OPT_END,
};

static const struct cmd_usage usage = {"iolab test [options]", "A table to test.", NULL};

/* Parses the words given after argv[0]; the result of opts_parse(). */
static int parse(struct args *a, ...)
{
	char *argv[16] = {"test"};
	int argc = 1;
	va_list ap;
	char *w;

	memset(a, 0, sizeof(*a));
	va_start(ap, a);
	while ((w = va_arg(ap, char *)) && argc < 15)
		argv[argc++] = w;
	va_end(ap);
	return opts_parse(&usage, table, a, argc, argv, 1, NULL);
}

static void refused(const char *option, const char *value)
{
	struct args a;

	assert_int_equal(parse(&a, option, value, NULL), -1);
	opts_free(table, &a);
}

static void test_defaults_and_ranges(void **state)
{
	struct args a;

	(void)state;
	assert_int_equal(parse(&a, NULL), 0);
	assert_int_equal(a.n, 5);
	assert_int_equal(a.size, 1 << 20);
	assert_string_equal(a.name, "x");
	opts_free(table, &a);

	assert_int_equal(parse(&a, "--n", "10", "--size=64k", "--open", "123456", NULL), 0);
	assert_int_equal(a.n, 10);
	assert_int_equal(a.size, 64 << 10);
	assert_int_equal(a.open, 123456);
	opts_free(table, &a);
	assert_int_equal(parse(&a, "--n=1", "--size", "1G", NULL), 0);
	opts_free(table, &a);

	/* Out of range, either end, or not a number at all: refused, not ignored. */
	refused("--n", "-5");
	refused("--n", "0");
	refused("--n", "11");
	refused("--n", "3x");
	refused("--open", "-1");
	refused("--size", "4k");
	refused("--size", "2G");
}

static void test_help_shows_default_and_range(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	opts_help(&usage, table, f);
	fclose(f);
	assert_non_null(strstr(buf, "a count [default: 5; from 1 to 10]"));
	assert_non_null(strstr(buf, "no upper end [at least 0]"));
	assert_non_null(strstr(buf, "a size [default: 1M; from 64k to 1G]"));
	assert_non_null(strstr(buf, "a name [default: x]\n"));
	free(buf);
}

/* A bad default is a table bug, caught on every parse rather than shipped. */
static void test_bad_default(void **state)
{
	static const struct opt bad[] = {
	        {"n", OPT_INT, offsetof(struct args, n), "N", "a count", "0", "1..10"},
	        OPT_END,
	};
	struct args a = {0};

	(void)state;
	assert_int_equal(opts_defaults(bad, &a), -1);
}

struct joined {
	long own;
	struct vm_args vm;
};

static void test_vm_options_shared(void **state)
{
	static const struct opt own[] = {
	        {"own", OPT_INT, offsetof(struct joined, own), "N", "its own", "1", "1..2"},
	        OPT_END,
	};
	struct opt *t = opts_join(own, vm_options, offsetof(struct joined, vm), "accel mem");
	char *ok[] = {"x", "--accel", "tcg", "--mem", "512M", "--own", "2"};
	char *hidden[] = {"x", "--kernel", "abc"};
	struct joined j = {0};
	struct vm_config c, d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(opts_parse(&usage, t, &j, 7, ok, 1, NULL), 0);
	assert_int_equal(j.own, 2);
	vm_config_from_args(&j.vm, &c);
	assert_string_equal(c.accel, "tcg");
	assert_int_equal(c.mem, 512 << 20);
	/* The options not offered keep the one declaration's defaults. */
	vm_config_defaults(&d);
	assert_string_equal(c.kernel, "latest");
	assert_string_equal(d.kernel, "latest");
	assert_int_equal(c.cpus, d.cpus);
	assert_int_equal(c.disks, 1);
	assert_int_equal(c.disk_size, d.disk_size);
	assert_string_equal(c.backing, VM_DEFAULT_BACKING);
	assert_int_equal(d.mem, 2LL << 30);
	assert_int_equal(d.boot_timeout, 60);
	opts_free(t, &j);
	memset(&j, 0, sizeof(j));
	assert_int_equal(opts_parse(&usage, t, &j, 3, hidden, 1, NULL), -1);
	opts_free(t, &j);

	f = open_memstream(&buf, &len);
	opts_help(&usage, t, f);
	fclose(f);
	assert_non_null(strstr(buf, "--accel"));
	assert_null(strstr(buf, "--kernel"));
	free(buf);
	free(t);
}

static void test_modes(void **state)
{
	static const char *const modes[] = {"run", "plan", "collect", NULL};
	char *plain[] = {"bench", "--plan"};
	char *word[] = {"bench", "collect", "x"};
	bool none[] = {false, false, false};
	bool plan[] = {false, true, false};
	bool both[] = {false, true, true};

	(void)state;
	assert_int_equal(opts_mode_word(modes, 2, plain), -1);
	assert_int_equal(opts_mode_word(modes, 3, word), 2);
	assert_int_equal(opts_mode_word(modes, 1, word), -1);
	assert_int_equal(opts_mode("iolab bench", modes, -1, none), 0);
	assert_int_equal(opts_mode("iolab bench", modes, -1, plan), 1);
	assert_int_equal(opts_mode("iolab bench", modes, 1, plan), 1);
	assert_int_equal(opts_mode("iolab bench", modes, 2, none), 2);
	/* Two modes, however given, are refused. */
	assert_int_equal(opts_mode("iolab bench", modes, -1, both), -1);
	assert_int_equal(opts_mode("iolab bench", modes, 2, plan), -1);
	assert_int_equal(opts_mode("iolab bench", modes, 0, plan), -1);
}

struct call {
	int (*fn)(int, char **);
	struct strvec argv;
};

static int call(void *arg)
{
	struct call *c = arg;

	return c->fn((int)c->argv.n, c->argv.v);
}

/* The builtins refuse with one line, exit 2, and start nothing. */
static void expect_refusal(int (*fn)(int, char **), const char *words, const char *says)
{
	struct call c = {fn, STRVEC_INIT};
	char *text;
	int ret;

	sv_split(&c.argv, words, " ");
	text = stderr_of(call, &c, &ret);
	assert_int_equal(ret, 2);
	if (!strstr(text, says) || strchr(text, '\n') != text + strlen(text) - 1)
		fail_msg("'%s' said:\n%s\nwanted one line with: %s", words, text, says);
	free(text);
	sv_clear(&c.argv);
}

static void test_builtin_refusals(void **state)
{
	(void)state;
	expect_refusal(cmd_bench, "bench --plan --collect plan/",
	               "--plan and --collect are two modes; give one");
	expect_refusal(cmd_bench, "bench plan --run-job j --out o",
	               "plan and --run-job are two modes; give one");
	expect_refusal(cmd_bench, "bench --runtime -5 m.conf",
	               "--runtime takes a whole number from 1 to 3600, not '-5'");
	expect_refusal(cmd_bench, "bench --reps 0 m.conf",
	               "--reps takes a whole number from 1 to 1000, not '0'");
	expect_refusal(cmd_bench, "bench --jobs 0 m.conf",
	               "--jobs takes a whole number from 1 to 64");
	expect_refusal(cmd_bench, "bench --mem 1G m.conf", "unknown option '--mem'");
	expect_refusal(cmd_fstests, "fstests --summary --diff 4k 4k-iomap",
	               "--diff and --summary are two modes; give one");
	expect_refusal(cmd_fstests, "fstests list --check-configs", "two modes");
	expect_refusal(cmd_fstests, "fstests --cpus 0", "--cpus takes a whole number from 1 to 64");
	expect_refusal(cmd_fstests, "fstests --test-timeout 0",
	               "--test-timeout takes a whole number from 1 to 86400");
	expect_refusal(cmd_fstests, "fstests summary generic/001", "summary takes no tests");
	expect_refusal(cmd_vm, "vm bench --boots 0", "--boots takes a whole number from 1 to 1000");
	expect_refusal(cmd_vm, "vm run --disks 9 -- true",
	               "--disks takes a whole number from 0 to 8");
	expect_refusal(cmd_vm, "vm run --mem 64M -- true", "--mem takes a size from 256M to 1T");
	expect_refusal(cmd_kernel, "kernel build --upto -1", "--upto takes a whole number from 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults_and_ranges),
	        cmocka_unit_test(test_help_shows_default_and_range),
	        cmocka_unit_test(test_bad_default),
	        cmocka_unit_test(test_vm_options_shared),
	        cmocka_unit_test(test_modes),
	        cmocka_unit_test(test_builtin_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
