// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a matrix: builds (or finds) its kernels and the image, boots one VM
 * per (kernel, device, fs config), and measures every cell's samples in the
 * schedule's interleaved order.  Each sample is stored the moment it is
 * done, with the evidence that it ran on the path its cell names; a sample
 * whose evidence fails is stored as failed, never as a number.
 */
#include "bench_run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_evidence.h"
#include "bench_resources.h"
#include "image.h"
#include "json_util.h"
#include "kernel.h"
#include "run_command.h"
#include "vm.h"

#define GUEST_DIR  "/mnt/test"
#define GUEST_JOB  "/tmp/iolab-job.fio"
#define GUEST_PREP "/tmp/iolab-prep.fio"
#define GUEST_OUT  "/tmp/iolab-out.json"
/* ext4's journal inode (EXT4_JOURNAL_INO in fs/ext4/ext4.h). */
#define EXT4_JOURNAL_INO 8
/* A VM that dies this often in one group is not worth rebooting again. */
#define MAX_RESTARTS 3

struct group_vm {
	struct vm vm;
	bool up;
	int restarts;
	const struct bench_fs *fs;
	const struct kctx *k;
	const char *dir; /* host directory of this group */
	bool fio_uncached_ok;
	char *fio_version;
	size_t problems_seen;
	json_t *probes; /* cell id -> the path probe of this boot */
};

/* Big enough to take every step of a workload, small enough to cost seconds. */
#define PROBE_FILE_SIZE (16LL << 20)

/* ---- small helpers ---- */

static char *flat(const char *id)
{
	char *s = xstrdup(id);

	for (char *p = s; *p; p++)
		if (*p == '/')
			*p = '_';
	return s;
}

char *runner_host_model(void)
{
	char *text = read_file("/proc/cpuinfo", NULL);
	char *p = text ? strstr(text, "model name") : NULL;
	char *model;

	if (!p) {
		free(text);
		return xstrdup("unknown");
	}
	p = strchr(p, ':');
	p = p ? p + 2 : p;
	model = p ? xstrndup(p, strcspn(p, "\n")) : xstrdup("unknown");
	free(text);
	return model;
}

static json_t *host_json(void)
{
	char name[256] = "unknown";
	char *cpu = runner_host_model();
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	json_t *j;

	gethostname(name, sizeof(name) - 1);
	j = json_pack("{s:s, s:s, s:I, s:i}", "hostname", name, "cpu_model", cpu, "mem_bytes",
	              (json_int_t)pages * psize, "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN));
	free(cpu);
	return j;
}

/* ---- progress ---- */

static void progress(struct runner *r, const char *what)
{
	double el = now_seconds() - r->t0;
	double eta = r->done ? el / (double)r->done * (double)(r->total - r->done) : 0;
	char line[512];

	snprintf(line, sizeof(line), "[%zu/%zu] %s  elapsed %dm%02ds  ETA %s%dm%02ds%s", r->done,
	         r->total, what, (int)el / 60, (int)el % 60, r->done ? "" : "~", (int)eta / 60,
	         (int)eta % 60, r->failed ? "  (failures so far: see the end)" : "");
	if (iolab_quiet)
		return;
	if (r->tty)
		fprintf(stderr, "\r\033[K%s", line);
	else
		fprintf(stderr, "iolab: %s\n", line);
}

static void progress_end(struct runner *r)
{
	if (r->tty && !iolab_quiet)
		fprintf(stderr, "\r\033[K");
}

/* ---- inputs: kernels and image ---- */

int runner_prepare_kernels(struct runner *r)
{
	r->kernels = xcalloc(r->m.nkernels, sizeof(*r->kernels));
	for (size_t i = 0; i < r->m.nkernels; i++) {
		const struct bench_kernel *bk = &r->m.kernels[i];
		struct kernel_opts ko = {0};
		struct kctx *k = &r->kernels[i];

		ko.source = bk->source;
		ko.series = bk->series;
		ko.configs = bk->configs;
		ko.no_series_ok = bk->allow_missing_series;
		ko.series_upto = bk->upto;
		k->bk = bk;
		if (kernel_build(&ko, &k->key) < 0)
			return error("kernel '%s' of %s could not be built (see above)", bk->name,
			             r->m.path);
		k->meta = kernel_meta(k->key);
		if (!k->meta)
			return -1;
		k->has_series = json_is_true(
		        json_object_get(json_object_get(k->meta, "features"), "buffered_iomap"));
		if (!k->has_series)
			info("kernel '%s' (%s) has no buffered_iomap: iomap cells will read "
			     "\"not measured\"",
			     bk->name, jstr(k->meta, "release"));
	}
	return 0;
}

const struct kctx *runner_kernel_of(const struct runner *r, const char *name)
{
	for (size_t i = 0; i < r->m.nkernels; i++)
		if (!strcmp(r->kernels[i].bk->name, name))
			return &r->kernels[i];
	return NULL;
}

int runner_prepare_image(struct runner *r)
{
	struct image_opts io = {0};

	if (image_build(&io, &r->image_key) < 0)
		return error("the guest image could not be built (see above)");
	r->image_meta = image_meta(r->image_key);
	return r->image_meta ? 0 : -1;
}

/* ---- the run's metadata ---- */

json_t *runner_run_meta(struct runner *r)
{
	json_t *kernels = json_object();
	char *qv = vm_qemu_version();
	char *now = iso_time_now();
	char *ver = xstrdup(IOLAB_VERSION);
	json_t *j;

	/* A walk's points that did not build (or a bisect has not reached) have no meta. */
	for (size_t i = 0; i < r->m.nkernels; i++)
		if (r->kernels[i].meta)
			json_object_set(kernels, r->kernels[i].bk->name, r->kernels[i].meta);
	j = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:O, s:s, s:o, s:{s:s?}, s:s?}", "run_id",
	              r->run_id, "created", now, "iolab_version", ver ? ver : "unknown", "matrix",
	              matrix_to_json(&r->m), "matrix_file", r->m.path, "kernels", kernels, "image",
	              r->image_meta, "qemu_version", qv, "host", host_json(), "vm", "accel",
	              r->accel, "series", r->m.series);
	free(qv);
	free(now);
	free(ver);
	return j;
}

/* ---- one VM group ---- */

static int group_boot(struct runner *r, struct group_vm *g, const struct bench_group *grp)
{
	struct vm_config cfg;
	json_t *resp = NULL;
	char *gdir;

	vm_config_defaults(&cfg);
	cfg.kernel = g->k->key;
	cfg.image = r->image_key;
	vm_device_parse(grp->device, &cfg.device);
	cfg.disks = 1;
	cfg.disk_size = r->m.disk_size;
	cfg.backing = r->m.backing;
	cfg.mem = r->m.guest_mem;
	cfg.cpus = (int)r->m.guest_cpus;
	cfg.accel = r->accel ? r->accel : (r->o->accel ? r->o->accel : "auto");
	gdir = xasprintf("%s/vm%s%d", g->dir, g->restarts ? "-restart" : "", g->restarts);
	cfg.run_dir = gdir;
	if (vm_start(&cfg, &g->vm) < 0) {
		free(gdir);
		return -1;
	}
	free(gdir);
	g->up = true;
	g->problems_seen = 0;
	/* A new boot is a new kernel instance: its cells are probed again. */
	if (!g->probes)
		g->probes = json_object();
	json_object_clear(g->probes);
	if (!r->accel) {
		r->accel = xstrdup(g->vm.accel);
		store_set_run_status(r->st, r->run_id, "running");
	}
	if (vm_mkfs(&g->vm, "ext4", g->vm.disks[0].guest_path, g->fs->mkfs) < 0)
		return -1;
	/* Whether this fio passes RWF_DONTCACHE for uncached=1 decides the uncached cells. */
	if (vm_guest_run(&g->vm, json_pack("[s,s]", "fio", "--enghelp=pvsync2"), 20, &resp) == 0)
		g->fio_uncached_ok = bench_fio_uncached_ok(jstr(resp, "stdout"));
	json_decref(resp);
	resp = NULL;
	if (vm_guest_run(&g->vm, json_pack("[s,s]", "fio", "--version"), 20, &resp) == 0) {
		free(g->fio_version);
		g->fio_version = xstrdup(trim((char *)jstr(resp, "stdout")));
	}
	json_decref(resp);
	{
		json_t *meta = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s?, s:b}", "kernel",
		                         g->k->bk->name, "kernel_key", g->k->key, "image_key",
		                         r->image_key, "device", grp->device, "fs_config",
		                         g->fs->name, "vm", vm_describe(&g->vm), "fio_version",
		                         g->fio_version, "fio_uncached_ok", g->fio_uncached_ok);

		store_set_group(r->st, r->run_id, grp->id, meta);
		json_decref(meta);
	}
	return 0;
}

static void group_down(struct group_vm *g)
{
	if (g->up)
		vm_stop(&g->vm);
	g->up = false;
}

/* ---- one sample ---- */

struct sample_ctx {
	struct runner *r;
	struct group_vm *g;
	const struct cell *c;
	int rep;
	json_t *evidence;
	struct strbuf why; /* the first failure, one line */
	bool vm_lost;
	struct fio_result fio;
	bool have_fio;
	/* Writing the file a read workload reads: the workload's own I/O, not overhead. */
	double prepare_s;
	/*
	 * The unmeasured path probe: traced from the mount on, so that even a
	 * read of cached data shows the path its file was written through.
	 */
	bool probe;
	bool trace; /* tracing on: the probe, or --trace-measured */
	bool own_traced;
	int64_t file_size;
	long runtime;
};

static void fail(struct sample_ctx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct sample_ctx *s, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (s->why.len)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	sb_adds(&s->why, msg);
	free(msg);
}

/*
 * A request the guest did not do: refused (VM_REFUSED, the agent's why), or
 * lost (a vm_call code), which marks the VM for a reboot as well.
 */
static void guest_failed(struct sample_ctx *s, const char *name, int rc, const char *why)
{
	if (rc == VM_REFUSED) {
		fail(s, "%s failed in the guest: %s", name, why);
		return;
	}
	/* A guest that does not answer in time is as good as lost: reboot it. */
	s->vm_lost = true;
	fail(s, "the guest did not answer %s (%s)", name, vm_lost_reason(rc));
}

/* The agent's reply, or NULL after guest_failed(). */
static json_t *settle_reply(struct sample_ctx *s, const char *name, int rc, json_t *resp)
{
	if (rc != 0) {
		json_decref(resp);
		guest_failed(s, name, rc, vm_lost_reason(rc));
		return NULL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		guest_failed(s, name, VM_REFUSED, jstr(resp, "error"));
		json_decref(resp);
		return NULL;
	}
	return resp;
}

/* One agent op; a lost guest marks the sample and the VM. */
static json_t *op(struct sample_ctx *s, double timeout, const char *name, const char *fmt, ...)
{
	json_t *req, *resp = NULL;
	json_error_t err;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	req = fmt ? json_vpack_ex(&err, 0, fmt, ap) : json_object();
	va_end(ap);
	if (!req)
		die("internal: bad request for %s: %s", name, err.text);
	json_object_set_new(req, "op", json_string(name));
	/* Two statements: resp is set by the call, and C leaves argument order open. */
	rc = vm_call(&s->g->vm, req, timeout, &resp);
	return settle_reply(s, name, rc, resp);
}

/* Runs argv in the guest; 0 when it exited 0. */
static int guest_run(struct sample_ctx *s, double timeout, json_t *argv, const char *what)
{
	json_t *resp = NULL;
	int ret = -1, rc = vm_guest_run(&s->g->vm, argv, timeout, &resp);

	resp = settle_reply(s, "run", rc, resp);
	if (!resp)
		return -1;
	if (json_is_true(json_object_get(resp, "timed_out")))
		fail(s, "%s exceeded %.0f s", what, timeout);
	else if (json_integer_value(json_object_get(resp, "exit")) != 0) {
		char *err = xstrdup(jstr(resp, "stderr"));
		char *t = trim(err);
		char *nl = strrchr(t, '\n');

		fail(s, "%s exited %lld: %s", what,
		     json_integer_value(json_object_get(resp, "exit")), nl ? nl + 1 : t);
		free(err);
	} else {
		ret = 0;
	}
	json_decref(resp);
	return ret;
}

static int64_t cached_kb(struct sample_ctx *s)
{
	json_t *resp = op(s, 30, "meminfo", NULL);
	int64_t kb = -1;

	if (resp) {
		kb = json_integer_value(
		        json_object_get(json_object_get(resp, "meminfo"), "Cached"));
		json_decref(resp);
	}
	return kb;
}

/*
 * The path's own mount option, or NULL: on a kernel without the series the
 * buffer_head path is simply the default and its option does not exist.
 */
static const char *path_option(const struct runner *r, const struct kctx *k, const char *path)
{
	if (!k->has_series || !r->have_series_manifest)
		return NULL;
	return !strcmp(path, "iomap") ? r->series.enable_option : r->series.disable_option;
}

static char *mount_options(const struct runner *r, const struct group_vm *g, const char *path)
{
	const char *popt = path_option(r, g->k, path);
	const char *extra = g->fs->mount ? g->fs->mount : "";

	if (!popt)
		return xstrdup(extra);
	return xasprintf("%s%s%s", extra, *extra ? "," : "", popt);
}

static void fail_with(struct sample_ctx *s, char *why)
{
	if (why)
		fail(s, "%s", why);
	free(why);
}

static void check_path_option(struct sample_ctx *s, const struct mount_result *mr)
{
	const struct runner *r = s->r;
	const char *popt = path_option(r, s->g->k, s->c->path);
	const char *eff = mr->ext4_options ? mr->ext4_options : mr->proc_mounts;

	json_object_set_new(s->evidence, "mount", json_string(mr->proc_mounts));
	json_object_set_new(s->evidence, "ext4_options",
	                    mr->ext4_options ? json_string(mr->ext4_options) : json_null());
	json_object_set_new(s->evidence, "path_option", popt ? json_string(popt) : json_null());
	fail_with(s, evidence_check_path(s->evidence, !strcmp(s->c->path, "iomap"), eff,
	                                 r->have_series_manifest ? r->series.enable_option
	                                                         : "buffered_iomap"));
}

static void save_text(const char *path, const char *text)
{
	if (write_str(path, text ? text : "") < 0)
		warn("cannot save %s: %s", path, strerror(errno));
}

/*
 * The iomap tracepoints (and the series' own) on this disk only: the
 * kernel's dev_t encoding is major << 20 | minor.  Not on ext4's journal
 * inode (8): every mount maps its first block with bmap(), which ext4 sends
 * through iomap_bmap() on either path, so a read workload's remount would
 * otherwise show iomap events on a buffer_head cell.  Every iomap event and
 * the series' own carry the inode number.
 */
static int trace_start(struct sample_ctx *s, const struct mount_result *mr)
{
	const struct runner *r = s->r;
	json_t *events = json_array(), *resp;
	struct strvec names = STRVEC_INIT;
	char filter[64];
	size_t nbase;
	bool ok;

	sv_split(&names,
	         r->have_series_manifest && r->series.evidence_events ? r->series.evidence_events
	                                                              : "iomap",
	         " ,");
	nbase = names.n;
	if (r->have_series_manifest && r->series.own_events)
		sv_split(&names, r->series.own_events, " ,");
	for (size_t i = 0; i < names.n; i++)
		json_array_append_new(events, json_string(names.v[i]));
	snprintf(filter, sizeof(filter), "dev == %u && ino != %d", (mr->major << 20) | mr->minor,
	         EXT4_JOURNAL_INO);
	resp = op(s, 30, "trace_start", "{s:o, s:s}", "events", events, "filter", filter);
	ok = resp != NULL;
	if (resp) {
		json_t *missing = json_object_get(resp, "missing");

		/* A kernel without the series' own tracepoints proves its path by iomap's alone. */
		s->own_traced = names.n > nbase && json_array_size(missing) < names.n - nbase;
		json_object_set(s->evidence, "events_missing", missing ? missing : json_null());
	}
	json_decref(resp);
	sv_clear(&names);
	return ok ? 0 : -1;
}

static void trace_stop(struct sample_ctx *s)
{
	const struct group_vm *g = s->g;
	bool iomap = !strcmp(s->c->path, "iomap");
	json_t *resp = op(s, 60, "trace_stop", NULL);

	if (!resp)
		return;
	if (!g->k->has_series)
		fail_with(s, evidence_observe_path(s->evidence, resp));
	else
		fail_with(s, evidence_check_probe(
		                     s->evidence, iomap, resp, s->own_traced,
		                     evidence_fallback_reason(g->fs->mkfs, g->fs->mount)));
	json_decref(resp);
}

/* What a sample set up in the guest, so that its cleanup undoes exactly that. */
struct sample_state {
	char *file; /* the test file in the guest */
	char *opts; /* mount options: the fs config's and the path's */
	char *job;  /* the fio job text */
	struct mount_result mr;
	bool mounted;
	bool tracing;
	json_t *old_sysctls; /* name -> value before the writeback hold */
	int64_t cached_before;
};

static int check_preconditions(struct sample_ctx *s, struct sample_state *st)
{
	const struct group_vm *g = s->g;
	const struct bench_workload *w = s->c->workload;

	json_object_set_new(s->evidence, "fio_version",
	                    g->fio_version ? json_string(g->fio_version) : json_null());
	json_object_set_new(s->evidence, "file_size", json_integer(s->file_size));
	if (!st->job) {
		fail(s, "no fio job for %s", w->name);
		return -1;
	}
	if (!strcmp(w->name, "uncached_write") && !g->fio_uncached_ok) {
		fail(s, "the guest's fio (%s) does not map uncached=1 to RWF_DONTCACHE",
		     g->fio_version ? g->fio_version : "?");
		return -1;
	}
	return 0;
}

static int mount_test_fs(struct sample_ctx *s, struct sample_state *st)
{
	struct group_vm *g = s->g;

	if (vm_mount(&g->vm, g->vm.disks[0].guest_path, GUEST_DIR, "ext4", st->opts, &st->mr) < 0) {
		fail(s, "mount -o %s failed (see above)", *st->opts ? st->opts : "defaults");
		return -1;
	}
	st->mounted = true;
	check_path_option(s, &st->mr);
	return s->why.len ? -1 : 0;
}

/* The file a read workload reads, laid out by the path under test. */
static int prepare_file(struct sample_ctx *s, struct sample_state *st)
{
	const struct bench_workload *w = s->c->workload;

	s->prepare_s = now_seconds();
	if (w->prepare == BENCH_PREP_SPARSE) {
		char size[32];

		snprintf(size, sizeof(size), "%lld", (long long)s->file_size);
		guest_run(s, 60, json_pack("[s,s,s,s]", "truncate", "-s", size, st->file),
		          "truncate");
	} else if (w->prepare == BENCH_PREP_WRITTEN) {
		/*
		 * xfs_io rather than a second fio: under TCG, fio's start-up (a hundred
		 * shared libraries) costs a second, xfs_io's a tenth of that.
		 */
		char *pw = xasprintf("pwrite -q -b 1m 0 %lld", (long long)s->file_size);

		guest_run(s, 1800,
		          json_pack("[s,s,s,s,s,s,s]", "xfs_io", "-f", "-c", pw, "-c", "fsync",
		                    st->file),
		          "writing the test file");
		free(pw);
	}
	s->prepare_s = now_seconds() - s->prepare_s;
	json_object_set_new(s->evidence, "prepare_seconds", json_real(s->prepare_s));
	return s->why.len ? -1 : 0;
}

/*
 * A remount empties this file system's page cache and nothing else;
 * drop_caches would also evict fio's own libraries, and reading them back
 * would be charged to the sample.
 */
static int remount_cold(struct sample_ctx *s, struct sample_state *st)
{
	struct group_vm *g = s->g;

	mount_result_free(&st->mr);
	st->mounted = false;
	if (vm_umount(&g->vm, GUEST_DIR) < 0 ||
	    vm_mount(&g->vm, g->vm.disks[0].guest_path, GUEST_DIR, "ext4", st->opts, &st->mr) < 0) {
		fail(s, "the remount before reading from disk failed (see above)");
		return -1;
	}
	st->mounted = true;
	return 0;
}

static int hold_writeback(struct sample_ctx *s, struct sample_state *st)
{
	for (size_t i = 0; i < bench_nwriteback_sysctls; i++) {
		const struct bench_sysctl *sc = &bench_writeback_sysctls[i];
		json_t *resp =
		        op(s, 30, "sysctl_set", "{s:s, s:s}", "name", sc->name, "value", sc->value);

		if (!resp)
			return -1;
		json_object_set(st->old_sysctls, sc->name, json_object_get(resp, "old"));
		json_decref(resp);
	}
	return 0;
}

static void restore_writeback(struct sample_ctx *s, struct sample_state *st)
{
	const char *name;
	json_t *v;

	json_object_foreach(st->old_sysctls, name, v)
	{
		json_t *rr = NULL;

		if (json_is_string(v))
			vm_op(&s->g->vm, 30, &rr, "sysctl_set", "{s:s, s:s}", "name", name, "value",
			      json_string_value(v));
		json_decref(rr);
	}
}

/* The fio run itself, with the page cache read on either side of it. */
static int run_fio(struct sample_ctx *s, struct sample_state *st)
{
	struct strvec fa = STRVEC_INIT;
	json_t *argv = json_array();
	char *why = NULL;
	int rc = vm_guest_write(&s->g->vm, GUEST_JOB, st->job, 0644, &why);

	if (rc != 0) {
		/* Nothing more to ask of a guest that refused or is gone. */
		guest_failed(s, "write_file", rc, why);
		free(why);
		json_decref(argv);
		return -1;
	}
	st->cached_before = cached_kb(s);
	if (s->why.len) {
		json_decref(argv);
		return -1;
	}
	bench_fio_argv(&fa, GUEST_JOB, GUEST_OUT);
	for (size_t i = 0; i < fa.n; i++)
		json_array_append_new(argv, json_string(fa.v[i]));
	guest_run(s, (double)s->runtime + 300, argv, "fio");
	sv_clear(&fa);
	return s->why.len ? -1 : 0;
}

static void check_page_cache(struct sample_ctx *s, struct sample_state *st)
{
	int64_t after = cached_kb(s), before = st->cached_before;

	json_object_set_new(s->evidence, "page_cache_kb",
	                    json_pack("{s:I, s:I, s:I}", "before", (json_int_t)before, "after",
	                              (json_int_t)after, "delta", (json_int_t)(after - before)));
	if (!strcmp(s->c->workload->name, "uncached_write"))
		fail_with(s, evidence_check_uncached(s->evidence, before, after, s->file_size));
}

static void read_fio_result(struct sample_ctx *s, const char *json_path)
{
	char *data = NULL, *why = NULL;
	int rc = vm_guest_read(&s->g->vm, GUEST_OUT, 60, &data, &why);

	if (rc != 0) {
		guest_failed(s, "read_file", rc, why);
		free(why);
		return;
	}
	save_text(json_path, data);
	if (fio_parse_json(data, s->c->workload, json_path, &s->fio) == 0)
		s->have_fio = true;
	else
		fail(s, "fio's JSON output could not be read (%s)", json_path);
	free(data);
}

/* The mirror of the set-up: whatever was started is undone, in reverse. */
static void sample_cleanup(struct sample_ctx *s, struct sample_state *st)
{
	struct group_vm *g = s->g;

	if (st->tracing && !s->vm_lost) {
		json_t *rr = NULL;

		/* A probe that failed half-way must not leave the next sample traced. */
		vm_op(&g->vm, 60, &rr, "trace_stop", NULL);
		json_decref(rr);
	}
	if (!s->vm_lost)
		restore_writeback(s, st);
	if (st->mounted && !s->vm_lost) {
		json_t *rr = NULL;

		vm_op(&g->vm, 120, &rr, "unlink", "{s:s}", "path", st->file);
		json_decref(rr);
		if (vm_umount(&g->vm, GUEST_DIR) < 0)
			fail(s, "umount failed after the sample");
	}
	mount_result_free(&st->mr);
	json_decref(st->old_sysctls);
	free(st->file);
	free(st->opts);
	free(st->job);
}

/*
 * One sample, as the list of its steps: a fresh mount with the path's
 * option, the file the workload needs, a cold remount for reads from disk,
 * writeback held off for writes to cache, fio, then its result.
 */
static void run_sample(struct sample_ctx *s, const char *sample_base)
{
	const struct bench_workload *w = s->c->workload;
	struct sample_state st = {.old_sysctls = json_object(), .cached_before = -1};
	char *job_path = xasprintf("%s.fio", sample_base);
	char *json_path = xasprintf("%s.json", sample_base);

	st.file = xasprintf("%s/iolab-%s.dat", GUEST_DIR, w->name);
	st.opts = mount_options(s->r, s->g, s->c->path);
	st.job = bench_fio_job(w, s->c->bs, s->file_size, s->runtime, st.file);
	save_text(job_path, st.job);
	if (check_preconditions(s, &st) < 0 || mount_test_fs(s, &st) < 0)
		goto out;
	if (s->trace && trace_start(s, &st.mr) == 0)
		st.tracing = true;
	if (prepare_file(s, &st) < 0 || (w->drop_caches && remount_cold(s, &st) < 0))
		goto out;
	if (w->hold_writeback && hold_writeback(s, &st) < 0)
		goto out;
	if (run_fio(s, &st) < 0)
		goto out;
	if (st.tracing) {
		st.tracing = false;
		trace_stop(s);
	}
	check_page_cache(s, &st);
	read_fio_result(s, json_path);
out:
	sample_cleanup(s, &st);
	free(job_path);
	free(json_path);
}

/* New console problems since the last sample belong to this one. */
static void check_console(struct sample_ctx *s)
{
	struct group_vm *g = s->g;
	json_t *probs = g->vm.console.problems;
	size_t n;

	console_poll(&g->vm.console);
	n = json_array_size(probs);
	if (n > g->problems_seen) {
		json_t *p = json_array_get(probs, g->problems_seen);

		json_object_set(s->evidence, "console_problem", p);
		fail(s, "kernel %s during the sample: %s", jstr(p, "kind"), jstr(p, "line"));
	}
	g->problems_seen = n;
}

static void store_sample(struct sample_ctx *s, const char *sample_base, double wall)
{
	struct runner *r = s->r;
	char *job_path = xasprintf("%s.fio", sample_base);
	char *json_path = xasprintf("%s.json", sample_base);
	struct sample smp = {0};
	double fio_s = s->have_fio ? (double)s->fio.runtime_ms / 1000.0 : 0;

	smp.run_id = r->run_id;
	smp.cell_id = s->c->id;
	smp.rep = s->rep;
	smp.ok = !s->why.len && s->have_fio;
	smp.failure = s->why.len ? s->why.buf : (s->have_fio ? NULL : "no fio result");
	smp.mib_s = s->have_fio ? s->fio.mib_s : 0;
	smp.bw_bytes = s->have_fio ? s->fio.bw_bytes : 0;
	smp.io_bytes = s->have_fio ? s->fio.io_bytes : 0;
	smp.runtime_ms = s->have_fio ? s->fio.runtime_ms : 0;
	smp.fio_version = s->have_fio ? s->fio.version : s->g->fio_version;
	smp.job_path = job_path;
	smp.json_path = json_path;
	smp.evidence = s->evidence;
	smp.overhead_s = wall - fio_s - s->prepare_s;
	smp.host = r->host;
	smp.accel = s->g->vm.accel;
	if (store_add_sample(r->st, &smp) < 0)
		warn("sample %s r%d could not be stored", s->c->id, s->rep);
	if (smp.ok) {
		r->overheads = xrealloc(r->overheads, (r->noverheads + 1) * sizeof(double));
		r->overheads[r->noverheads++] = smp.overhead_s;
	} else {
		r->failed++;
		store_set_cell_status(r->st, r->run_id, s->c->id, "failed", s->why.buf);
		if (!r->tty || iolab_quiet)
			warn("%s r%d failed: %s", s->c->id, s->rep, smp.failure);
	}
	free(job_path);
	free(json_path);
}

/*
 * The evidence of a cell's path, once per cell per boot: the same mount and
 * workload, short, traced from the mount on.  The measured samples then run
 * untraced, so tracing never costs one path more than the other.
 */
static json_t *probe_cell(struct runner *r, struct group_vm *g, const struct cell *c,
                          const char *sample_base, bool *vm_lost)
{
	struct sample_ctx p = {.r = r, .g = g, .c = c, .rep = -1, .probe = true, .trace = true};
	char *base = xasprintf("%s.probe", sample_base);
	double t0 = now_seconds();
	json_t *out;

	p.evidence = json_object();
	p.file_size = r->m.file_size < PROBE_FILE_SIZE ? r->m.file_size : PROBE_FILE_SIZE;
	p.runtime = 1;
	run_sample(&p, base);
	check_console(&p);
	json_object_set_new(p.evidence, "seconds", json_real(now_seconds() - t0));
	r->probe_seconds += now_seconds() - t0;
	r->nprobes++;
	out = json_pack("{s:b, s:s?, s:O}", "ok", !p.why.len, "why", p.why.len ? p.why.buf : NULL,
	                "evidence", p.evidence);
	*vm_lost = p.vm_lost;
	json_decref(p.evidence);
	fio_result_free(&p.fio);
	sb_release(&p.why);
	free(base);
	return out;
}

/* ---- groups ---- */

int runner_run_group(struct runner *r, const struct bench_group *grp)
{
	struct group_vm g = {0};
	char *fl = flat(grp->id);
	char *gdir = xasprintf("%s/%s", r->run_dir, fl);
	char *sdir = xasprintf("%s/samples", gdir);
	bool booted = false;

	g.k = runner_kernel_of(r, grp->kernel);
	g.fs = matrix_fs(&r->m, grp->fs);
	g.dir = gdir;
	mkdir_p(sdir);
	for (size_t i = 0; i < grp->nsteps; i++) {
		const struct bench_step *st = &grp->steps[i];
		const struct cell *c = &r->cells[st->cell];
		struct sample_ctx s = {.r = r, .g = &g, .c = c, .rep = st->rep};
		char *cf, *base, *label;
		double t0;
		int others;

		if (!strcmp(c->path, "iomap") && !g.k->has_series)
			continue; /* not measured; counted in total already */
		if (store_have_sample(r->st, r->run_id, c->id, st->rep) == 1) {
			r->done++;
			continue;
		}
		label = xasprintf("%s r%d", c->id, st->rep);
		progress(r, label);
		if (!g.up) {
			if (g.restarts > MAX_RESTARTS || (booted && g.restarts == MAX_RESTARTS)) {
				free(label);
				break;
			}
			if (group_boot(r, &g, grp) < 0) {
				group_down(&g);
				g.restarts++;
				error("group %s: boot %d failed; its samples are marked failed",
				      grp->id, g.restarts);
				if (g.restarts > MAX_RESTARTS) {
					free(label);
					break;
				}
				i--;
				free(label);
				continue;
			}
			booted = true;
		}
		cf = flat(c->id);
		base = xasprintf("%s/%s.r%d", sdir, cf, st->rep);
		s.evidence = json_object();
		s.file_size = r->m.file_size;
		s.runtime = r->m.runtime;
		s.trace = r->o->trace_measured;
		if (!json_object_get(g.probes, c->id)) {
			json_t *pr = probe_cell(r, &g, c, base, &s.vm_lost);

			json_object_set_new(g.probes, c->id, pr);
		}
		{
			json_t *pr = json_object_get(g.probes, c->id);

			json_object_set(s.evidence, "path_probe", pr);
			if (!json_is_true(json_object_get(pr, "ok")))
				fail(&s, "%s", jstr(pr, "why"));
		}
		others = vm_other_lab_vms(&g.vm);
		t0 = now_seconds();
		if (!s.why.len)
			run_sample(&s, base);
		check_console(&s);
		{
			/* The figure stays, marked: the report flags it. */
			int after = vm_other_lab_vms(&g.vm);

			if (after > others)
				others = after;
			json_object_set_new(s.evidence, "other_lab_vms", json_integer(others));
			json_object_set_new(s.evidence, "hostname", json_string(r->hostname));
		}
		store_sample(&s, base, now_seconds() - t0);
		r->done++;
		r->taken++;
		if (s.vm_lost) {
			warn("group %s: the guest was lost during %s r%d; rebooting it", grp->id,
			     c->id, st->rep);
			group_down(&g);
			g.restarts++;
		}
		json_decref(s.evidence);
		fio_result_free(&s.fio);
		sb_release(&s.why);
		free(cf);
		free(base);
		free(label);
	}
	if (g.up && json_array_size(g.vm.console.problems))
		warn("group %s: the kernel reported problems; see %s/console.log", grp->id,
		     g.vm.run_dir);
	group_down(&g);
	json_decref(g.probes);
	free(g.fio_version);
	free(fl);
	free(gdir);
	free(sdir);
	return 0;
}

void runner_mark_cells(struct runner *r)
{
	for (size_t i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		const struct kctx *k = runner_kernel_of(r, c->kernel);

		if (k && k->key && !strcmp(c->path, "iomap") && !k->has_series)
			store_set_cell_status(r->st, r->run_id, c->id, "not-measured",
			                      "kernel has no buffered_iomap");
	}
}

int runner_finish_cells(struct runner *r)
{
	/* Cells with all their samples good are ok; failed ones were marked as they failed. */
	for (size_t i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		int good = 0;

		const struct kctx *k = runner_kernel_of(r, c->kernel);

		if (!k || !k->key || (!strcmp(c->path, "iomap") && !k->has_series))
			continue;
		for (long rep = 0; rep < r->m.repetitions; rep++)
			good += store_have_sample(r->st, r->run_id, c->id, (int)rep) == 1;
		if (good == r->m.repetitions)
			store_set_cell_status(r->st, r->run_id, c->id, "ok", NULL);
		else if (good < r->m.repetitions)
			store_set_cell_status(r->st, r->run_id, c->id, "failed",
			                      "not every repetition produced a good sample");
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void runner_print_overhead(struct runner *r)
{
	double med;

	if (!r->noverheads)
		return;
	qsort(r->overheads, r->noverheads, sizeof(double), cmp_double);
	med = r->noverheads % 2
	              ? r->overheads[r->noverheads / 2]
	              : (r->overheads[r->noverheads / 2 - 1] + r->overheads[r->noverheads / 2]) / 2;
	printf("lab overhead per sample (all but fio's runtime and writing the file a read "
	       "reads): median %.2f s over %zu samples (target <= 1 s)\n",
	       med, r->noverheads);
	if (r->nprobes)
		printf("path probes (traced, outside the measured samples): %zu, %.1f s in all, "
		       "%.2f s each\n",
		       r->nprobes, r->probe_seconds, r->probe_seconds / (double)r->nprobes);
}

void runner_free(struct runner *r)
{
	if (r->kernels) {
		for (size_t i = 0; i < r->m.nkernels; i++) {
			free(r->kernels[i].key);
			json_decref(r->kernels[i].meta);
		}
		free(r->kernels);
	}
	if (r->have_series_manifest)
		series_free(&r->series);
	cells_free(r->cells, r->ncells);
	bench_groups_free(r->groups, r->ngroups);
	matrix_free(&r->m);
	free(r->image_key);
	json_decref(r->image_meta);
	if (r->st)
		store_close(r->st);
	free(r->run_id);
	free(r->run_dir);
	free(r->host);
	free(r->accel);
	free(r->overheads);
}

int runner_load_series(struct runner *r)
{
	char *root, *dir;
	int ret;

	if (!r->m.series)
		return 0;
	root = series_root();
	if (!root)
		return error("cannot find kernel-patches/ (set IOLAB_HOME)");
	dir = path_join(root, r->m.series);
	ret = series_load(dir, &r->series);
	r->have_series_manifest = ret == 0;
	free(root);
	free(dir);
	return ret;
}

int runner_load(struct runner *r)
{
	runner_apply_overrides(r);
	if (runner_load_series(r) < 0)
		return -1;
	r->ncells = matrix_expand(&r->m, &r->cells);
	return 0;
}

void runner_apply_overrides(struct runner *r)
{
	if (r->o->runtime > 0)
		r->m.runtime = r->o->runtime;
	if (r->o->reps > 0)
		r->m.repetitions = r->o->reps;
}

int runner_open_run(struct runner *r)
{
	const struct bench_opts *o = r->o;

	if (store_open(o->db ? o->db : STORE_DEFAULT_PATH, &r->st) < 0)
		return -1;
	if (o->resume) {
		struct run_info ri;

		if (store_run_info(r->st, o->resume, &ri) < 0)
			return error("no run '%s' in %s to resume", o->resume,
			             o->db ? o->db : STORE_DEFAULT_PATH);
		if (strcmp(ri.matrix_sha256, r->m.sha256)) {
			run_info_free(&ri);
			return error(
			        "%s changed since run %s started; resume it with the matrix it "
			        "was started with",
			        r->m.path, o->resume);
		}
		{
			json_t *mm = json_object_get(ri.meta, "matrix");
			json_int_t rt = json_integer_value(json_object_get(mm, "runtime"));
			json_int_t reps = json_integer_value(json_object_get(mm, "repetitions"));

			/* A resumed run keeps the runtime and repetitions it started with. */
			if (rt > 0)
				r->m.runtime = (long)rt;
			if (reps > 0)
				r->m.repetitions = (long)reps;
		}
		r->run_id = xstrdup(ri.run_id);
		run_info_free(&ri);
		info("resuming run %s", r->run_id);
		return 0;
	}
	r->run_id = store_new_run_id(r->st, r->m.name);
	return 0;
}

int runner_start_run(struct runner *r, json_t *meta)
{
	const struct bench_opts *o = r->o;

	r->run_dir = xasprintf("%s/%s", o->results ? o->results : "results", r->run_id);
	if (mkdir_p(r->run_dir) < 0)
		return error("cannot create %s: %s", r->run_dir, strerror(errno));
	if (!o->resume) {
		if (store_create_run(r->st, r->run_id, &r->m, meta) < 0)
			return -1;
		runner_save_run_json(r, meta);
		{
			char *p = xasprintf("%s/matrix.conf", r->run_dir);

			copy_file(r->m.path, p);
			free(p);
		}
	}
	return store_add_cells(r->st, r->run_id, r->cells, r->ncells);
}

void runner_save_run_json(struct runner *r, json_t *meta)
{
	char *p = xasprintf("%s/run.json", r->run_dir);
	char *text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);

	save_text(p, text);
	free(text);
	free(p);
}

void runner_count_steps(struct runner *r, const struct bench_group *g, size_t n)
{
	for (size_t gi = 0; gi < n; gi++)
		for (size_t i = 0; i < g[gi].nsteps; i++) {
			const struct cell *c = &r->cells[g[gi].steps[i].cell];

			if (strcmp(c->path, "iomap") || runner_kernel_of(r, c->kernel)->has_series)
				r->total++;
		}
}

void runner_end_run(struct runner *r)
{
	const char *db = r->o->db ? r->o->db : STORE_DEFAULT_PATH;

	progress_end(r);
	runner_finish_cells(r);
	store_set_run_status(r->st, r->run_id, r->failed ? "done-with-failures" : "done");
	{
		/* run.json was written before the first boot settled the accelerator. */
		char *p = xasprintf("%s/run.json", r->run_dir);
		json_t *rj = json_load_file(p, 0, NULL);

		if (rj && r->accel) {
			json_object_set_new(json_object_get(rj, "vm"), "accel",
			                    json_string(r->accel));
			json_dump_file(rj, p, JSON_INDENT(2) | JSON_SORT_KEYS);
		}
		json_decref(rj);
		free(p);
	}
	printf("run %s: %zu samples taken (%zu already stored), %zu failed, %.0f s; results in %s "
	       "and %s\n",
	       r->run_id, r->taken, r->done - r->taken, r->failed, now_seconds() - r->t0,
	       r->run_dir, db);
	runner_print_overhead(r);
}

int bench_run(const struct bench_opts *o, char **run_id)
{
	struct runner r = {.o = o};
	char *needs = NULL;
	json_t *meta;
	int ret = -1;

	if (matrix_load(o->matrix, &r.m) < 0)
		return -1;
	r.tty = isatty(STDERR_FILENO);
	r.host = runner_host_model();
	gethostname(r.hostname, sizeof(r.hostname) - 1);
	if (runner_load(&r) < 0)
		goto out;
	/*
	 * Before the store, the kernels and the image: a run this host cannot
	 * hold is refused in seconds, not after an hour of building.
	 */
	if (bench_resources_check(&r.m, 1, &needs) < 0)
		goto out;
	printf("matrix %s: %s\n", r.m.name, needs);
	fflush(stdout);
	if (runner_open_run(&r) < 0)
		goto out;
	/* Before the long steps: Ctrl-C from here on leaves a resumable run. */
	if (runner_prepare_kernels(&r) < 0 || runner_prepare_image(&r) < 0)
		goto out;
	meta = runner_run_meta(&r);
	if (runner_start_run(&r, meta) < 0) {
		json_decref(meta);
		goto out;
	}
	json_decref(meta);
	runner_mark_cells(&r);
	r.ngroups = bench_schedule(&r.m, r.cells, r.ncells, &r.groups);
	runner_count_steps(&r, r.groups, r.ngroups);
	printf("run %s: %zu cells, %zu samples to take (%s)\n", r.run_id, r.ncells, r.total,
	       r.m.path);
	fflush(stdout);
	r.t0 = now_seconds();
	for (size_t gi = 0; gi < r.ngroups; gi++)
		runner_run_group(&r, &r.groups[gi]);
	runner_end_run(&r);
	if (run_id)
		*run_id = xstrdup(r.run_id);
	ret = r.failed ? 1 : 0;
out:
	free(needs);
	runner_free(&r);
	return ret;
}
