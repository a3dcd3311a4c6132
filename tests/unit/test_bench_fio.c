// SPDX-License-Identifier: GPL-2.0
/*
 * fio jobs and results: every generated job run by the real fio on this
 * host, and the JSON parser fed fio's own output.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench.h"
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

static char *fixture(const char *name)
{
	char *dir = data_path("tests/fixtures/fio");
	char *p;

	assert_non_null(dir);
	p = path_join(dir, name);
	free(dir);
	return p;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* ---- job text ---- */

static void test_job_text(void **state)
{
	static const char *const common[] = {"[global]",
	                                     "name=iolab",
	                                     "direct=0",
	                                     "iodepth=1",
	                                     "numjobs=1",
	                                     "fallocate=none",
	                                     "filename=/mnt/t/f.dat",
	                                     "bs=64k",
	                                     "size=512M",
	                                     "runtime=3"};

	(void)state;
	assert_int_equal(bench_nworkloads, 5);
	for (size_t i = 0; i < bench_nworkloads; i++) {
		const struct bench_workload *w = &bench_workloads[i];
		char *job = bench_fio_job(w, 64 << 10, 512 << 20, 3, "/mnt/t/f.dat");
		char *section = xasprintf("[%s]", w->name);
		char *title = xasprintf("\"%s\"", w->title);

		assert_non_null(job);
		for (size_t j = 0; j < ARRAY_SIZE(common); j++)
			if (!has_line(job, common[j]))
				fail_msg("%s job lacks %s:\n%s", w->name, common[j], job);
		assert_true(has_line(job, section));
		/* The header names the cover letter's column. */
		assert_true(starts_with(job, "; "));
		assert_non_null(strstr(job, title));
		/* Bounded by runtime, not driven by it. */
		assert_null(strstr(job, "time_based"));
		free(job);
		free(section);
		free(title);
	}
	{
		char *wc =
		        bench_fio_job(bench_workload_find("write_cache"), 4096, 1 << 20, 1, "/f");
		char *uw = bench_fio_job(bench_workload_find("uncached_write"), 4096, 1 << 20, 1,
		                         "/f");
		char *rp =
		        bench_fio_job(bench_workload_find("read_precache"), 4096, 1 << 20, 1, "/f");
		char *rd =
		        bench_fio_job(bench_workload_find("read_ondisk"), 4096, 1 << 20, 1, "/f");

		assert_true(has_line(wc, "ioengine=psync") && has_line(wc, "rw=write") &&
		            has_line(wc, "end_fsync=0") && has_line(wc, "bs=4k"));
		assert_true(has_line(uw, "ioengine=pvsync2") && has_line(uw, "uncached=1"));
		assert_true(has_line(rp, "rw=read") && has_line(rp, "pre_read=1"));
		assert_true(has_line(rd, "pre_read=0") && has_line(rd, "invalidate=1"));
		free(wc);
		free(uw);
		free(rp);
		free(rd);
	}
	assert_int_equal(bench_workload_find("read_ondisk")->prepare, BENCH_PREP_WRITTEN);
	assert_true(bench_workload_find("read_ondisk")->drop_caches);
	assert_int_equal(bench_workload_find("read_hole")->prepare, BENCH_PREP_SPARSE);
	assert_int_equal(bench_workload_find("write_cache")->prepare, BENCH_PREP_NONE);
	assert_true(bench_workload_find("write_cache")->hold_writeback);
	assert_null(bench_workload_find("read_cold"));

	/* fio splits filename= on ':'. */
	iolab_quiet = true;
	assert_null(bench_fio_job(&bench_workloads[0], 4096, 1 << 20, 1, "/mnt/a:b"));
	assert_null(bench_fio_job(&bench_workloads[0], 4096, 1 << 20, 1, "/mnt/a b"));
	assert_null(bench_fio_job(&bench_workloads[0], 1 << 20, 4096, 1, "/f"));
	assert_null(bench_fio_prepare_job(1 << 20, ""));
}

static void test_sysctls_and_argv(void **state)
{
	struct strvec argv = STRVEC_INIT;

	(void)state;
	assert_int_equal(bench_nwriteback_sysctls, 3);
	for (size_t i = 0; i < bench_nwriteback_sysctls; i++) {
		const struct bench_sysctl *s = &bench_writeback_sysctls[i];
		char *path = xasprintf("/proc/sys/%s", s->name);

		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		assert_string_equal(s->path, path);
		/* The knobs exist on a Linux host, so the guest has them too. */
		assert_true(path_exists(s->path));
		free(path);
	}
	assert_string_equal(bench_writeback_sysctls[0].value, "0");
	assert_string_equal(bench_writeback_sysctls[1].value, "100");
	assert_string_equal(bench_writeback_sysctls[2].value, "100");
	assert_true(path_exists(BENCH_DROP_CACHES_PATH));

	bench_fio_argv(&argv, "/r/job.fio", "/r/out.json");
	assert_int_equal(argv.n, 5);
	assert_string_equal(argv.v[0], "fio");
	assert_string_equal(argv.v[2], "--output-format=json");
	assert_string_equal(argv.v[3], "--output=/r/out.json");
	assert_string_equal(argv.v[4], "/r/job.fio");
	sv_clear(&argv);
}

/* The README's jobs are the generator's, byte for byte. */
static void test_readme_jobs(void **state)
{
	char *path = data_path("bench/README.md");
	char *readme = path ? read_file(path, NULL) : NULL;
	char *prep = bench_fio_prepare_job(512 << 20, "/mnt/test/iolab.dat");

	(void)state;
	assert_non_null(readme);
	for (size_t i = 0; i < bench_nworkloads; i++) {
		char *job = bench_fio_job(&bench_workloads[i], 64 << 10, 512 << 20, 3,
		                          "/mnt/test/iolab.dat");
		char *row = xasprintf("| `%s` | %s |", bench_workloads[i].name,
		                      bench_workloads[i].title);

		if (!strstr(readme, job))
			fail_msg("bench/README.md lacks the current %s job:\n%s",
			         bench_workloads[i].name, job);
		assert_non_null(strstr(readme, row));
		free(job);
		free(row);
	}
	assert_non_null(strstr(readme, prep));
	for (size_t i = 0; i < bench_nwriteback_sysctls; i++)
		assert_non_null(strstr(readme, bench_writeback_sysctls[i].name));
	free(prep);
	free(readme);
	free(path);
}

/* ---- the real fio ---- */

static char *fio_path;

static int find_fio(void **state)
{
	(void)state;
	fio_path = which("fio");
	if (!fio_path)
		printf("[  SKIP    ] fio is not installed on this host (apt-get install fio): "
		       "the jobs are not run\n");
	return 0;
}

static int drop_fio(void **state)
{
	(void)state;
	free(fio_path);
	return 0;
}

static int run_fio(const char *dir, const char *job_text, const char *name, char **json_path)
{
	char *job = xasprintf("%s/%s.fio", dir, name);
	char *log = xasprintf("%s/%s.log", dir, name);
	struct strvec argv = STRVEC_INIT;
	struct child c = {0};
	int rc;

	*json_path = xasprintf("%s/%s.json", dir, name);
	write_str(job, job_text);
	bench_fio_argv(&argv, job, *json_path);
	c.argv = (const char *const *)argv.v;
	c.log_path = log;
	c.timeout_sec = 60;
	rc = run_command(&c);
	if (rc != 0) {
		char *text = read_file(log, NULL);

		print_error("fio %s failed (%d):\n%s\n", name, rc, text ? text : "");
		free(text);
	}
	sb_release(&c.out);
	sv_clear(&argv);
	free(job);
	free(log);
	return rc;
}

/* What the runner does before a sample, on the host instead of in the guest. */
static void prepare_file(const char *dir, const struct bench_workload *w, const char *file,
                         int64_t size)
{
	char *json, *prep;
	struct fio_result r;
	struct stat st;

	unlink(file);
	if (w->prepare == BENCH_PREP_SPARSE) {
		int fd = creat(file, 0644);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, size), 0);
		close(fd);
	} else if (w->prepare == BENCH_PREP_WRITTEN) {
		prep = bench_fio_prepare_job(size, file);
		assert_int_equal(run_fio(dir, prep, "prepare", &json), 0);
		/* The prepare job is a write job as far as the parser goes. */
		assert_int_equal(fio_parse_json_file(json, bench_workload_find("write_cache"), &r),
		                 0);
		assert_int_equal(r.io_bytes, size);
		fio_result_free(&r);
		assert_int_equal(stat(file, &st), 0);
		assert_int_equal(st.st_size, size);
		free(prep);
		free(json);
	}
	/* drop_caches is the guest's business: on this shared host it would slow others. */
}

static void test_jobs_run_in_fio(void **state)
{
	char *dir, *file, *help;
	const int64_t size = 8 << 20;

	(void)state;
	if (!fio_path) {
		skip();
		return;
	}
	dir = tmpdir();
	file = path_join(dir, "test.dat");
	help = run_capture(NULL, "fio", "--enghelp=pvsync2", NULL);
	for (size_t i = 0; i < bench_nworkloads; i++) {
		const struct bench_workload *w = &bench_workloads[i];
		char *job = bench_fio_job(w, 4096, size, 1, file);
		char *json, *jobfile = xasprintf("%s/%s-parse.fio", dir, w->name);
		struct fio_result r;
		struct stat st;

		/* Every job is valid fio syntax. */
		write_str(jobfile, job);
		assert_int_equal(run_simple(NULL, NULL, "fio", "--parse-only", jobfile, NULL), 0);
		if (!strcmp(w->name, "uncached_write") && !bench_fio_uncached_ok(help)) {
			/* This fio would send 0x40 (RWF_ATOMIC to this kernel): parse only. */
			printf("[  NOTE    ] %s: this host's fio does not map uncached=1 to "
			       "RWF_DONTCACHE; its job was parsed, not run\n",
			       w->name);
			free(job);
			free(jobfile);
			continue;
		}
		prepare_file(dir, w, file, size);
		assert_int_equal(run_fio(dir, job, w->name, &json), 0);
		assert_int_equal(fio_parse_json_file(json, w, &r), 0);
		assert_true(starts_with(r.version, "fio-"));
		assert_string_equal(r.ddir, w->rw);
		assert_true(r.io_bytes > 0 && r.io_bytes <= size);
		assert_true(r.mib_s > 0);
		assert_true(r.runtime_ms >= 0 && r.runtime_ms <= 1500);
		assert_int_equal(stat(file, &st), 0);
		/* fio read the holes as they were: it did not lay the file out itself. */
		if (w->prepare == BENCH_PREP_SPARSE)
			assert_int_equal(st.st_blocks, 0);
		fio_result_free(&r);
		free(json);
		free(job);
		free(jobfile);
	}
	free(help);
	rm_rf(dir);
	free(dir);
	free(file);
}

static void test_uncached_detection(void **state)
{
	char *help;

	(void)state;
	/* The help line of fio 3.40 and of Debian's 3.39-1. */
	assert_true(bench_fio_uncached_ok(
	        "hipri                   : Set RWF_HIPRI for pwritev2/preadv2\n"
	        "uncached                : Use RWF_DONTCACHE for buffered read/writes\n"));
	assert_false(bench_fio_uncached_ok(NULL));
	if (!fio_path) {
		skip();
		return;
	}
	help = run_capture(NULL, "fio", "--enghelp=pvsync2", NULL);
	assert_non_null(help);
	/* Debian 12's fio 3.33 says RWF_UNCACHED: not the flag the kernel knows. */
	if (strstr(help, "RWF_UNCACHED"))
		assert_false(bench_fio_uncached_ok(help));
	free(help);
}

/* ---- JSON ---- */

static void test_parse_fixtures(void **state)
{
	char *w = fixture("write_cache-4k.json"), *r = fixture("read_precache-64k.json");
	struct fio_result res;

	(void)state;
	assert_int_equal(fio_parse_json_file(w, bench_workload_find("write_cache"), &res), 0);
	assert_string_equal(res.version, "fio-3.33");
	assert_string_equal(res.ddir, "write");
	assert_int_equal(res.bw_bytes, 1198372571);
	assert_int_equal(res.io_bytes, 16777216);
	assert_int_equal(res.runtime_ms, 14);
	assert_float_equal(res.mib_s, 1198372571.0 / 1048576.0, 1e-9);
	fio_result_free(&res);

	assert_int_equal(fio_parse_json_file(r, bench_workload_find("read_precache"), &res), 0);
	assert_string_equal(res.ddir, "read");
	assert_int_equal(res.bw_bytes, 8388608000);
	assert_int_equal(res.io_bytes, 16777216);
	assert_int_equal(res.runtime_ms, 2);
	assert_float_equal(res.mib_s, 8000.0, 1e-9);
	fio_result_free(&res);

	/* A read workload's numbers are not in a write job's output. */
	iolab_quiet = true;
	assert_int_equal(fio_parse_json_file(w, bench_workload_find("read_ondisk"), &res), -1);
	assert_int_equal(fio_parse_json_file("/no/such.json", &bench_workloads[0], &res), -1);
	free(w);
	free(r);
}

static void test_parse_broken(void **state)
{
	char *path = fixture("write_cache-4k.json");
	char *text = read_file(path, NULL);
	const struct bench_workload *wc = bench_workload_find("write_cache");
	struct fio_result res;
	json_t *j;
	char *s;

	(void)state;
	assert_non_null(text);
	/* fio's notices ahead of the JSON are skipped. */
	s = xasprintf("fio: this platform does not support process shared mutexes\n%s", text);
	assert_int_equal(fio_parse_json(s, wc, "preamble", &res), 0);
	assert_int_equal(res.io_bytes, 16777216);
	fio_result_free(&res);
	free(s);

	/* Cut short, at several places. */
	for (size_t cut = 1; cut < strlen(text) - 2; cut += strlen(text) / 7) {
		s = xstrndup(text, cut);
		assert_int_equal(fio_parse_json(s, wc, "truncated", &res), -1);
		free(s);
	}
	assert_int_equal(fio_parse_json("", wc, "empty", &res), -1);
	assert_int_equal(fio_parse_json("fio: engine pvsync2 not loadable\n", wc, "x", &res), -1);

	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	json_object_set_new(j, "jobs", json_array());
	s = json_dumps(j, 0);
	assert_int_equal(fio_parse_json(s, wc, "no jobs", &res), -1);
	free(s);
	json_decref(j);

	j = json_loads(text, 0, NULL);
	json_object_set_new(json_array_get(json_object_get(j, "jobs"), 0), "error",
	                    json_integer(28));
	s = json_dumps(j, 0);
	assert_int_equal(fio_parse_json(s, wc, "ENOSPC", &res), -1);
	free(s);
	json_decref(j);

	j = json_loads(text, 0, NULL);
	json_object_del(json_object_get(json_array_get(json_object_get(j, "jobs"), 0), "write"),
	                "bw_bytes");
	s = json_dumps(j, 0);
	assert_int_equal(fio_parse_json(s, wc, "no bw", &res), -1);
	free(s);
	json_decref(j);

	j = json_loads(text, 0, NULL);
	json_object_set_new(json_object_get(json_array_get(json_object_get(j, "jobs"), 0), "write"),
	                    "io_bytes", json_integer(0));
	s = json_dumps(j, 0);
	assert_int_equal(fio_parse_json(s, wc, "no data", &res), -1);
	free(s);
	json_decref(j);

	free(text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_job_text),           cmocka_unit_test(test_sysctls_and_argv),
	        cmocka_unit_test(test_readme_jobs),        cmocka_unit_test(test_jobs_run_in_fio),
	        cmocka_unit_test(test_uncached_detection), cmocka_unit_test(test_parse_fixtures),
	        cmocka_unit_test(test_parse_broken),
	};

	return cmocka_run_group_tests(tests, find_fio, drop_fio);
}
