// SPDX-License-Identifier: GPL-2.0
/*
 * The five workloads of the cover letter as fio jobs, the guest settings
 * they run under, and the numbers read back from fio's JSON.
 *
 * The seed's method: ioengine=psync, direct=0, iodepth=1, numjobs=1,
 * fallocate=none, one file per job, bs is the size of each I/O, and the
 * runtime bounds a sample (not time_based: a sample ends at the end of the
 * file or at the runtime, whichever comes first).
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* One table drives matrix parsing, the job files, the README and the report's columns. */
const struct bench_workload bench_workloads[] = {
        {
                .name = "write_cache",
                .title = "write cache",
                .table = "Buffered write",
                .help = "appending writes to a new file, kept in the page cache: writeback "
                        "is held off and nothing is synced",
                .prepare = BENCH_PREP_NONE,
                .hold_writeback = true,
                .ioengine = "psync",
                .rw = "write",
                .fio = {"end_fsync=0"},
        },
        {
                .name = "uncached_write",
                .title = "uncached write",
                .table = "Buffered write",
                .help = "the same writes with RWF_DONTCACHE: each write starts its own "
                        "writeback and its folios are dropped when it completes",
                .prepare = BENCH_PREP_NONE,
                .hold_writeback = true,
                .ioengine = "pvsync2",
                .rw = "write",
                .fio = {"uncached=1", "end_fsync=0"},
                /* Older fio sends RWF_UNCACHED (0x40), which kernels since 6.11 read as RWF_ATOMIC.
                 */
                .needs = "fio 3.40, or Debian's 3.39-1, where uncached=1 sets RWF_DONTCACHE",
        },
        {
                .name = "read_hole",
                .title = "read hole",
                .table = "Buffered read",
                .help = "reads of a sparse file: the path maps holes and fills folios with "
                        "zeroes, no disk I/O",
                .prepare = BENCH_PREP_SPARSE,
                .ioengine = "psync",
                .rw = "read",
                .fio = {"invalidate=1"},
        },
        {
                .name = "read_precache",
                .title = "read pre-cache",
                .table = "Buffered read",
                .help = "reads of a written file already in the page cache (fio pre-reads it "
                        "before the measured window)",
                .prepare = BENCH_PREP_WRITTEN,
                .ioengine = "psync",
                .rw = "read",
                /* fio drops invalidate itself when pre_read is set; said here for the reader. */
                .fio = {"pre_read=1", "invalidate=0"},
        },
        {
                .name = "read_ondisk",
                .title = "read ondisk data",
                .table = "Buffered read",
                .help = "reads of a written file after the caches were dropped: every "
                        "byte comes from the disk",
                .prepare = BENCH_PREP_WRITTEN,
                .drop_caches = true,
                .ioengine = "psync",
                .rw = "read",
                .fio = {"pre_read=0", "invalidate=1"},
        },
};
const size_t bench_nworkloads = ARRAY_SIZE(bench_workloads);

const struct bench_workload *bench_workload_find(const char *name)
{
	for (size_t i = 0; i < bench_nworkloads; i++)
		if (!strcmp(bench_workloads[i].name, name))
			return &bench_workloads[i];
	return NULL;
}

/*
 * "write cache" is meant to measure copying into the page cache, so
 * nothing may start writeback during the sample.  The kernel halves the
 * background threshold when it is not below dirty_ratio, so background
 * writeback still starts at half of memory: the file (a quarter of it)
 * stays below.
 */
const struct bench_sysctl bench_writeback_sysctls[] = {
        {"vm.dirty_writeback_centisecs", "/proc/sys/vm/dirty_writeback_centisecs", "0",
         "no periodic flusher wake-ups"},
        {"vm.dirty_background_ratio", "/proc/sys/vm/dirty_background_ratio", "100",
         "no background writeback below half of memory"},
        {"vm.dirty_ratio", "/proc/sys/vm/dirty_ratio", "100", "writers are never throttled"},
};
const size_t bench_nwriteback_sysctls = ARRAY_SIZE(bench_writeback_sysctls);

/* fio takes ':' in filename= as a list separator, and a line ends the value. */
static int check_file(const char *file)
{
	if (!file || !*file || strpbrk(file, ": \t\n\r"))
		return error("fio cannot take '%s' as its file: give a path without ':' or blanks",
		             file ? file : "");
	return 0;
}

static void add_global(struct strbuf *sb, const char *ioengine)
{
	sb_adds(sb, "[global]\nname=iolab\n");
	sb_addf(sb, "ioengine=%s\n", ioengine);
	sb_adds(sb, "direct=0\niodepth=1\nnumjobs=1\nfallocate=none\n");
}

char *bench_fio_job(const struct bench_workload *w, int64_t bs, int64_t file_size, long runtime,
                    const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	char *b, *size;

	if (check_file(file) < 0)
		return NULL;
	if (bs <= 0 || file_size < bs || runtime <= 0) {
		error("fio job for %s: needs bs > 0, a file of at least bs and a runtime", w->name);
		return NULL;
	}
	b = format_size(bs);
	size = format_size(file_size);
	sb_addf(&sb, "; iolab workload %s: \"%s\" in the cover letter's\n", w->name, w->title);
	sb_addf(&sb, "; \"%s (MiB/s)\" table; %s I/Os over a %s file, at most %ld s.\n", w->table,
	        b, size, runtime);
	if (w->needs)
		sb_addf(&sb, "; Needs %s.\n", w->needs);
	add_global(&sb, w->ioengine);
	sb_addf(&sb, "\n[%s]\nfilename=%s\nrw=%s\nbs=%s\nsize=%s\nruntime=%ld\n", w->name, file,
	        w->rw, b, size, runtime);
	for (size_t i = 0; i < ARRAY_SIZE(w->fio) && w->fio[i]; i++)
		sb_addf(&sb, "%s\n", w->fio[i]);
	free(b);
	free(size);
	return sb_detach(&sb);
}

char *bench_fio_prepare_job(int64_t file_size, const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	char *size;

	if (check_file(file) < 0)
		return NULL;
	size = format_size(file_size);
	sb_addf(&sb,
	        "; iolab: writes the %s test file in full before a read workload, and syncs "
	        "it.\n",
	        size);
	add_global(&sb, "psync");
	sb_addf(&sb, "\n[prepare]\nfilename=%s\nrw=write\nbs=1M\nsize=%s\nend_fsync=1\n", file,
	        size);
	free(size);
	return sb_detach(&sb);
}

void bench_fio_argv(struct strvec *argv, const char *job, const char *json_out)
{
	sv_push(argv, "fio");
	/* No progress lines: the log stays readable and the JSON file clean. */
	sv_push(argv, "--eta=never");
	sv_push(argv, "--output-format=json");
	sv_pushf(argv, "--output=%s", json_out);
	sv_push(argv, job);
}

bool bench_fio_uncached_ok(const char *enghelp)
{
	return enghelp && strstr(enghelp, "RWF_DONTCACHE");
}

/* ---- results ---- */

static int64_t int_at(json_t *o, const char *key, bool *missing)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v)) {
		*missing = true;
		return 0;
	}
	return json_integer_value(v);
}

int fio_parse_json(const char *text, const struct bench_workload *w, const char *what,
                   struct fio_result *r)
{
	const char *start = text;
	json_error_t err;
	json_t *root, *job, *side, *version;
	bool missing = false;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	/*
	 * With --output, fio's own notices ("fio: ...") go to the same file,
	 * ahead of the JSON: it starts at the first line opening an object.
	 */
	while (start && *start && *start != '{') {
		start = strchr(start, '\n');
		if (start)
			start++;
	}
	if (!start || !*start)
		return error("%s holds no fio JSON: did fio run with --output-format=json?", what);
	root = json_loads(start, JSON_DISABLE_EOF_CHECK, &err);
	if (!root)
		return error("%s: fio JSON is cut short or invalid (line %d: %s)", what, err.line,
		             err.text);
	version = json_object_get(root, "fio version");
	job = json_array_get(json_object_get(root, "jobs"), 0);
	if (!json_is_object(root) || !job) {
		ret = error("%s: fio JSON without jobs: the job did not start", what);
		goto out;
	}
	if (json_integer_value(json_object_get(job, "error"))) {
		int e = (int)json_integer_value(json_object_get(job, "error"));

		ret = error("%s: fio job failed with error %d (%s)", what, e, strerror(e));
		goto out;
	}
	side = json_object_get(job, w->rw);
	r->bw_bytes = int_at(side, "bw_bytes", &missing);
	r->io_bytes = int_at(side, "io_bytes", &missing);
	r->runtime_ms = int_at(side, "runtime", &missing);
	if (missing || !json_is_string(version)) {
		ret = error("%s: fio JSON lacks 'fio version' or jobs[0].%s bw_bytes, io_bytes, "
		            "runtime",
		            what, w->rw);
		goto out;
	}
	if (r->io_bytes <= 0 || r->bw_bytes <= 0) {
		ret = error("%s: fio %s no data (io_bytes %lld): not a measurement", what,
		            !strcmp(w->rw, "read") ? "read" : "wrote", (long long)r->io_bytes);
		goto out;
	}
	r->version = xstrdup(json_string_value(version));
	r->ddir = xstrdup(w->rw);
	r->mib_s = (double)r->bw_bytes / 1048576.0;
out:
	json_decref(root);
	return ret;
}

int fio_parse_json_file(const char *path, const struct bench_workload *w, struct fio_result *r)
{
	char *text = read_file(path, NULL);
	int ret;

	memset(r, 0, sizeof(*r));
	if (!text)
		return error("cannot read fio output %s", path);
	ret = fio_parse_json(text, w, path, r);
	free(text);
	return ret;
}

void fio_result_free(struct fio_result *r)
{
	free(r->version);
	free(r->ddir);
	memset(r, 0, sizeof(*r));
}
