// SPDX-License-Identifier: GPL-2.0
/*
 * A stored run read back for reporting: its cells with their samples and
 * summaries, which run a user means by "latest" or a prefix, and the
 * provenance every table carries.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_evidence.h"
#include "json_util.h"

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF are refused. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Failure lines may quote a guest console byte for byte: JSON, XML and HTML
 * need valid UTF-8, a terminal must not get escape sequences, and a table
 * note must stay one line.  So every stored string is cleaned once, here:
 * invalid bytes become '?', control characters a space.
 */
static char *clean_dup(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;

	if (!s)
		return NULL;
	while (*p) {
		size_t n = utf8_seq(p);

		if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
			sb_addc(&sb, ' ');
			p++;
		} else if (n) {
			sb_add(&sb, p, n);
			p += n;
		} else {
			sb_addc(&sb, '?');
			p++;
		}
	}
	return sb_detach(&sb);
}

int report_store_open(const char *path, struct store **st)
{
	*st = NULL;
	if (!is_dir(path) && path_exists(path))
		return store_open(path, st);
	if (is_dir(path))
		return error("results store %s is a directory; give --db the iolab.db file", path);
	return error("no results store at %s: run 'iolab bench' first, or give --db PATH", path);
}

static void list_ids(struct strbuf *sb, const struct run_info *runs, size_t n, const char *prefix)
{
	size_t shown = 0;

	for (size_t i = 0; i < n; i++) {
		if (prefix && !starts_with(runs[i].run_id, prefix))
			continue;
		if (shown == 8) {
			sb_adds(sb, ", ...");
			break;
		}
		sb_addf(sb, "%s%s", shown++ ? ", " : "", runs[i].run_id);
	}
}

int report_resolve_run(struct store *st, const char *db, const char *spec, char **run_id)
{
	struct run_info *runs;
	struct strbuf sb = STRBUF_INIT;
	size_t n, hits = 0, hit = 0;
	int ret = -1;

	*run_id = NULL;
	if (!spec || !*spec)
		return error("no run given: name one by id, unique prefix or 'latest' "
		             "('iolab report --list' shows them)");
	if (store_list_runs(st, &runs, &n) < 0)
		return -1;
	if (n == 0) {
		error("results store %s holds no runs yet: 'iolab bench' makes one", db);
		goto out;
	}
	if (!strcmp(spec, "latest")) {
		*run_id = xstrdup(runs[0].run_id);
		ret = 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(runs[i].run_id, spec)) {
			*run_id = xstrdup(spec);
			ret = 0;
			goto out;
		}
		if (starts_with(runs[i].run_id, spec)) {
			hits++;
			hit = i;
		}
	}
	if (hits == 1) {
		*run_id = xstrdup(runs[hit].run_id);
		ret = 0;
	} else if (hits > 1) {
		list_ids(&sb, runs, n, spec);
		error("run '%s' is ambiguous in %s: %s; give more of the id", spec, db, sb.buf);
	} else {
		list_ids(&sb, runs, n, NULL);
		error("no run '%s' in %s; runs there: %s ('latest' is the newest)", spec, db,
		      sb.buf);
	}
out:
	sb_release(&sb);
	run_infos_free(runs, n);
	return ret;
}

/* ---- loading ---- */

static int add_cell(const struct stored_cell *sc, void *arg)
{
	struct report_run *r = arg;
	struct report_cell *c;

	r->cells = xrealloc(r->cells, (r->ncells + 1) * sizeof(*r->cells));
	c = &r->cells[r->ncells++];
	memset(c, 0, sizeof(*c));
	c->id = clean_dup(sc->cell_id);
	c->kernel = clean_dup(sc->kernel);
	c->device = clean_dup(sc->device);
	c->fs = clean_dup(sc->fs_config);
	c->workload = clean_dup(sc->workload);
	c->bs = sc->bs;
	c->path = clean_dup(sc->path);
	c->status = clean_dup(sc->status ? sc->status : "pending");
	c->reason = clean_dup(sc->reason);
	return 0;
}

struct sample_load {
	struct report_run *r;
	size_t cursor; /* samples come in cell order: the search starts where the last one was */
};

static struct report_cell *cell_for(struct sample_load *l, const char *id)
{
	struct report_run *r = l->r;

	for (size_t k = 0; k < r->ncells; k++) {
		size_t i = (l->cursor + k) % r->ncells;

		if (!strcmp(r->cells[i].id, id)) {
			l->cursor = i;
			return &r->cells[i];
		}
	}
	return NULL;
}

static int add_sample(const struct stored_cell *sc, const struct sample *x, void *arg)
{
	struct sample_load *l = arg;
	struct report_cell *c = cell_for(l, sc->cell_id);
	struct report_sample *s;

	if (!c)
		return 0;
	c->samples = xrealloc(c->samples, (c->nsamples + 1) * sizeof(*c->samples));
	s = &c->samples[c->nsamples++];
	memset(s, 0, sizeof(*s));
	s->rep = x->rep;
	s->ok = x->ok && isfinite(x->mib_s);
	s->failure = clean_dup(x->failure);
	s->mib_s = x->mib_s;
	s->fio_version = clean_dup(x->fio_version);
	s->job_path = clean_dup(x->job_path);
	s->json_path = clean_dup(x->json_path);
	s->host = clean_dup(x->host);
	s->accel = clean_dup(x->accel);
	s->created = clean_dup(x->created);
	s->overhead_s = x->overhead_s;
	s->evidence = x->evidence ? json_incref(x->evidence) : NULL;
	if (s->ok) {
		c->mibs = xrealloc(c->mibs, (c->nok + 1) * sizeof(*c->mibs));
		c->mibs[c->nok++] = s->mib_s;
	}
	return 0;
}

/* The path every good sample's probe saw the kernel choose, or NULL. */
static const char *observed_path(const struct report_sample *s)
{
	json_t *ev = json_object_get(json_object_get(s->evidence, "path_probe"), "evidence");

	if (!jstr_nonempty(ev, "chosen_by") ||
	    strcmp(jstr(ev, "chosen_by"), EVIDENCE_CHOSEN_BY_KERNEL))
		return NULL;
	return jstr_nonempty(ev, "observed_path");
}

void report_cell_settle_path(struct report_cell *c)
{
	const char *seen = NULL;

	for (size_t i = 0; i < c->nsamples; i++) {
		const char *p;

		if (!c->samples[i].ok)
			continue;
		p = observed_path(&c->samples[i]);
		if (!p || (seen && strcmp(seen, p)))
			return; /* mixed or unknown: the cell keeps the matrix's label */
		seen = p;
	}
	if (seen && strcmp(seen, c->path)) {
		free(c->path);
		c->path = xstrdup(seen);
		c->by_default = true;
	}
}

int report_run_load(struct store *st, const char *run_id, struct report_run *r)
{
	struct sample_load l = {r, 0};

	memset(r, 0, sizeof(*r));
	if (store_run_info(st, run_id, &r->info) < 0)
		return -1;
	if (store_load_cells(st, run_id, add_cell, r) < 0 ||
	    store_load_samples(st, run_id, add_sample, &l) < 0) {
		report_run_free(r);
		return -1;
	}
	for (size_t i = 0; i < r->ncells; i++) {
		struct report_cell *c = &r->cells[i];

		if (c->nok && stats_summarize(c->mibs, c->nok, &c->sum) < 0)
			c->nok = 0;
		report_cell_settle_path(c);
	}
	return 0;
}

void report_run_free(struct report_run *r)
{
	for (size_t i = 0; i < r->ncells; i++) {
		struct report_cell *c = &r->cells[i];

		for (size_t j = 0; j < c->nsamples; j++) {
			struct report_sample *s = &c->samples[j];

			free(s->failure);
			free(s->fio_version);
			free(s->job_path);
			free(s->json_path);
			free(s->host);
			free(s->accel);
			free(s->created);
			json_decref(s->evidence);
		}
		free(c->samples);
		free(c->mibs);
		free(c->id);
		free(c->kernel);
		free(c->device);
		free(c->fs);
		free(c->workload);
		free(c->path);
		free(c->status);
		free(c->reason);
	}
	free(r->cells);
	run_info_free(&r->info);
	memset(r, 0, sizeof(*r));
}

ssize_t report_run_find(const struct report_run *r, const char *cell_id)
{
	for (size_t i = 0; i < r->ncells; i++)
		if (!strcmp(r->cells[i].id, cell_id))
			return (ssize_t)i;
	return -1;
}

bool report_cell_measured(const struct report_cell *c)
{
	return c && !strcmp(c->status, "ok") && c->nok > 0;
}

char *report_bs_label(int64_t bs)
{
	return bs > 0 ? format_size(bs) : xasprintf("%lld", (long long)bs);
}

int report_write_output(const char *path, const char *buf, size_t len)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	/* --html results/2026-11/report.html just works. */
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir_p(dir);
	}
	free(dir);
	if (write_file(path, buf, len) < 0)
		return error("cannot write %s: %s", path, strerror(errno));
	return 0;
}

char *report_fmt_mibs(double v)
{
	if (!isfinite(v))
		return xstrdup("-");
	if (fabs(v) >= 100)
		return xasprintf("%.0f", v);
	if (fabs(v) >= 10)
		return xasprintf("%.1f", v);
	return xasprintf("%.2f", v);
}

/* ---- provenance ---- */

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "unknown";
}

static void add(struct report_prov *p, const char *key, const char *value)
{
	char *v = clean_dup(or_unknown(value));

	sv_push(&p->keys, key);
	sv_push(&p->values, v);
	free(v);
}

static bool in_scope(const struct report_cell *c, const char *kernel, const char *device,
                     const char *fs)
{
	return (!kernel || !strcmp(c->kernel, kernel)) && (!device || !strcmp(c->device, device)) &&
	       (!fs || !strcmp(c->fs, fs));
}

static char *join(const struct strvec *sv, const char *sep)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < sv->n; i++)
		sb_addf(&sb, "%s%s", i ? sep : "", sv->v[i]);
	return sb_detach(&sb);
}

enum sample_field { F_ACCEL, F_FIO, F_HOST };

static const char *field_of(const struct report_sample *s, enum sample_field f)
{
	return f == F_ACCEL ? s->accel : f == F_FIO ? s->fio_version : s->host;
}

/*
 * The distinct values the samples in scope carry, ", "-joined: a table whose
 * samples came from two accelerators must say so.  NULL when none carry one.
 */
static char *distinct(const struct report_run *r, const char *kernel, const char *device,
                      const char *fs, enum sample_field f)
{
	struct strvec seen = STRVEC_INIT;
	char *joined;

	for (size_t i = 0; i < r->ncells; i++) {
		const struct report_cell *c = &r->cells[i];

		if (!in_scope(c, kernel, device, fs))
			continue;
		for (size_t j = 0; j < c->nsamples; j++) {
			const char *v = field_of(&c->samples[j], f);

			if (v && *v && !sv_contains(&seen, v))
				sv_push(&seen, v);
		}
	}
	joined = seen.n ? join(&seen, ", ") : NULL;
	sv_clear(&seen);
	return joined;
}

/* The distinct kernels (devices, fs configs) of the cells in scope, in cell order. */
static void axis_values(const struct report_run *r, const char *kernel, const char *device,
                        const char *fs, int axis, struct strvec *out)
{
	for (size_t i = 0; i < r->ncells; i++) {
		const struct report_cell *c = &r->cells[i];
		const char *v = axis == 0 ? c->kernel : axis == 1 ? c->device : c->fs;

		if (in_scope(c, kernel, device, fs) && !sv_contains(out, v))
			sv_push(out, v);
	}
}

static json_t *kernel_meta(const struct report_run *r, const char *kernel)
{
	return json_object_get(json_object_get(r->info.meta, "kernels"), kernel);
}

static void add_kernel(struct report_prov *p, const struct report_run *r, const struct strvec *ks)
{
	struct strbuf rel = STRBUF_INIT, cfg = STRBUF_INIT, ser = STRBUF_INIT, opt = STRBUF_INIT;
	struct strbuf pat = STRBUF_INIT;

	for (size_t i = 0; i < ks->n; i++) {
		json_t *km = kernel_meta(r, ks->v[i]);
		json_t *series = json_object_get(km, "series");
		json_t *feat = json_object_get(json_object_get(km, "features"), "buffered_iomap");
		const char *pre = ks->n > 1 ? ks->v[i] : NULL;
		const char *sep = i ? "; " : "";

		sb_addf(&rel, "%s%s%s%s", sep, pre ? pre : "", pre ? ": " : "",
		        or_unknown(jstr_nonempty(km, "release")));
		if (jstr_nonempty(km, "key"))
			sb_addf(&rel, " (%s, cache key %s)", ks->v[i], jstr_nonempty(km, "key"));
		sb_addf(&cfg, "%s%s%s%s", sep, pre ? pre : "", pre ? ": " : "",
		        jstr_nonempty(km, "config_sha256") ? jstr_nonempty(km, "config_sha256")
		                                           : "unknown");
		sb_addf(&ser, "%s%s%s", sep, pre ? pre : "", pre ? ": " : "");
		if (!km) {
			sb_adds(&ser, "unknown");
		} else if (!json_is_object(series)) {
			sb_adds(&ser, "none");
		} else {
			const char *v = or_unknown(jstr_nonempty(series, "version"));
			size_t np = json_array_size(json_object_get(km, "patches"));

			sb_addf(&ser, "%s %s%s", or_unknown(jstr_nonempty(series, "name")),
			        v[0] == 'v' || !strcmp(v, "unknown") ? "" : "v", v);
			if (jstr_nonempty(series, "message_id"))
				sb_addf(&ser, " <%s>", jstr_nonempty(series, "message_id"));
			if (jstr_nonempty(series, "base"))
				sb_addf(&ser, ", made for %s", jstr_nonempty(series, "base"));
			if (jstr_nonempty(series, "port"))
				sb_addf(&ser, ", ported onto %s", jstr_nonempty(series, "port"));
			if (jstr_nonempty(series, "origin"))
				sb_addf(&ser, ", from %s %s", jstr_nonempty(series, "origin"),
				        or_unknown(jstr_nonempty(series, "path")));
			if (np)
				sb_addf(&ser, ", %zu patch%s", np, np == 1 ? "" : "es");
		}
		{
			json_t *pa = json_object_get(km, "patches");

			for (size_t j = 0; j < json_array_size(pa); j++) {
				json_t *e = json_array_get(pa, j);

				sb_addf(&pat, "%s%s%s%.12s %s", pat.len ? "; " : "",
				        j == 0 && pre ? pre : "", j == 0 && pre ? ": " : "",
				        or_unknown(jstr_nonempty(e, "sha256")),
				        or_unknown(jstr_nonempty(e, "subject")));
			}
		}
		sb_addf(&opt, "%s%s%s%s", sep, pre ? pre : "", pre ? ": " : "",
		        json_is_boolean(feat) ? (json_is_true(feat) ? "yes" : "no") : "unknown");
	}
	add(p, "kernel", rel.buf);
	add(p, "kernel config", cfg.buf);
	add(p, "patch series", ser.buf);
	if (pat.len)
		add(p, "patches", pat.buf);
	add(p, "buffered_iomap", opt.buf);
	sb_release(&rel);
	sb_release(&cfg);
	sb_release(&ser);
	sb_release(&opt);
	sb_release(&pat);
}

static void add_accel(struct report_prov *p, const struct report_run *r, const char *kernel,
                      const char *device, const char *fs)
{
	json_t *meta = r->info.meta, *vm = json_object_get(meta, "vm");
	char *seen = distinct(r, kernel, device, fs, F_ACCEL);
	const char *qemu = jstr_nonempty(vm, "qemu_version") ? jstr_nonempty(vm, "qemu_version")
	                                                     : jstr_nonempty(meta, "qemu_version");
	const char *accel = seen ? seen : jstr_nonempty(vm, "accel");
	char *v;

	if (qemu)
		v = xasprintf("%s (%s%s)", or_unknown(accel), strstr(qemu, "QEMU") ? "" : "QEMU ",
		              qemu);
	else
		v = xstrdup(or_unknown(accel));
	add(p, "accelerator", v);
	free(v);
	free(seen);
}

static void add_fs(struct report_prov *p, const struct report_run *r, const struct strvec *fs)
{
	json_t *fsc = json_object_get(json_object_get(r->info.meta, "matrix"), "fs_configs");
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < fs->n; i++) {
		json_t *e, *found = NULL;
		size_t j;

		json_array_foreach(fsc, j, e)
		{
			if (jstr_nonempty(e, "name") && !strcmp(jstr_nonempty(e, "name"), fs->v[i]))
				found = e;
		}
		sb_addf(&sb, "%s%s", i ? "; " : "", fs->v[i]);
		if (found)
			sb_addf(&sb, " (mkfs.ext4 %s; mount options: %s)",
			        or_unknown(jstr_nonempty(found, "mkfs")),
			        jstr_nonempty(found, "mount") ? jstr_nonempty(found, "mount")
			                                      : "default");
	}
	add(p, "fs config", sb.buf);
	sb_release(&sb);
}

/* How many ok samples the measured cells in scope have: "3", or "2-3" when they differ. */
static char *ok_counts(const struct report_run *r, const char *kernel, const char *device,
                       const char *fs)
{
	size_t lo = SIZE_MAX, hi = 0;

	for (size_t i = 0; i < r->ncells; i++) {
		const struct report_cell *c = &r->cells[i];

		if (!in_scope(c, kernel, device, fs) || !report_cell_measured(c))
			continue;
		lo = c->nok < lo ? c->nok : lo;
		hi = c->nok > hi ? c->nok : hi;
	}
	if (hi == 0)
		return NULL;
	return lo == hi ? xasprintf("%zu", lo) : xasprintf("%zu-%zu", lo, hi);
}

static void add_reps(struct report_prov *p, const struct report_run *r, const char *kernel,
                     const char *device, const char *fs)
{
	json_t *reps = json_object_get(json_object_get(r->info.meta, "matrix"), "repetitions");
	char *ok = ok_counts(r, kernel, device, fs);
	char *v;

	if (json_is_integer(reps))
		v = xasprintf("%lld per cell; ok samples per measured cell: %s",
		              (long long)json_integer_value(reps), ok ? ok : "none");
	else
		v = xasprintf("unknown; ok samples per measured cell: %s", ok ? ok : "none");
	add(p, "repetitions", v);
	free(v);
	free(ok);
}

static void add_host(struct report_prov *p, const struct report_run *r, const char *kernel,
                     const char *device, const char *fs)
{
	json_t *h = json_object_get(r->info.meta, "host");
	char *seen = distinct(r, kernel, device, fs, F_HOST);
	struct strbuf sb = STRBUF_INIT;
	json_t *mem = json_object_get(h, "mem_bytes"), *cpus = json_object_get(h, "cpus");

	sb_adds(&sb, or_unknown(seen ? seen : jstr_nonempty(h, "hostname")));
	if (json_is_object(h)) {
		sb_addf(&sb, " (%s", or_unknown(jstr_nonempty(h, "cpu_model")));
		if (json_is_integer(cpus))
			sb_addf(&sb, ", %lld CPUs", (long long)json_integer_value(cpus));
		if (json_is_number(mem))
			sb_addf(&sb, ", %.1f GiB", json_number_value(mem) / (1024.0 * 1024 * 1024));
		sb_addc(&sb, ')');
	}
	add(p, "host", sb.buf);
	sb_release(&sb);
	free(seen);
}

static void add_guest(struct report_prov *p, const struct report_run *r)
{
	json_t *m = json_object_get(r->info.meta, "matrix");
	json_t *mem = json_object_get(m, "guest_mem"), *cpus = json_object_get(m, "guest_cpus");
	json_t *file = json_object_get(m, "file_size"), *rt = json_object_get(m, "runtime");
	char *smem = json_is_integer(mem) ? format_size(json_integer_value(mem)) : NULL;
	char *sfile = json_is_integer(file) ? format_size(json_integer_value(file)) : NULL;
	char *scpus = json_is_integer(cpus) ? xasprintf("%lld", (long long)json_integer_value(cpus))
	                                    : NULL;
	char *srt =
	        json_is_integer(rt) ? xasprintf("%lld s", (long long)json_integer_value(rt)) : NULL;
	char *v;

	if (!json_is_object(m))
		v = NULL;
	else
		v = xasprintf("%s memory, %s CPUs, %s backing; test file %s, runtime up to %s",
		              or_unknown(smem), or_unknown(scpus),
		              or_unknown(jstr_nonempty(m, "backing")), or_unknown(sfile),
		              or_unknown(srt));
	add(p, "guest", v);
	free(v);
	free(smem);
	free(sfile);
	free(scpus);
	free(srt);
}

void report_provenance(const struct report_run *r, const char *kernel, const char *device,
                       const char *fs, struct report_prov *p)
{
	json_t *meta = r->info.meta;
	struct strvec kernels = STRVEC_INIT, devices = STRVEC_INIT, fss = STRVEC_INIT;
	char *fio = distinct(r, kernel, device, fs, F_FIO);
	char *v;

	memset(p, 0, sizeof(*p));
	axis_values(r, kernel, device, fs, 0, &kernels);
	axis_values(r, kernel, device, fs, 1, &devices);
	axis_values(r, kernel, device, fs, 2, &fss);
	v = xasprintf("%s (%s, %s)", r->info.run_id, or_unknown(r->info.created),
	              or_unknown(r->info.status));
	add(p, "run", v);
	free(v);
	v = r->info.matrix_sha256 && *r->info.matrix_sha256
	            ? xasprintf("%s (sha256 %s)", or_unknown(r->info.matrix_name),
	                        r->info.matrix_sha256)
	            : xstrdup(or_unknown(r->info.matrix_name));
	add(p, "matrix", v);
	free(v);
	add_kernel(p, r, &kernels);
	add_accel(p, r, kernel, device, fs);
	v = join(&devices, ", ");
	add(p, "device", v);
	free(v);
	add_fs(p, r, &fss);
	add(p, "fio", fio ? fio : jstr_nonempty(json_object_get(meta, "image"), "fio_version"));
	add_reps(p, r, kernel, device, fs);
	add_guest(p, r);
	add_host(p, r, kernel, device, fs);
	add(p, "iolab", jstr_nonempty(meta, "iolab_version"));
	sv_clear(&kernels);
	sv_clear(&devices);
	sv_clear(&fss);
	free(fio);
}

void report_provenance_points(const struct report_run *r, const struct strvec *points,
                              struct report_prov *p)
{
	struct report_prov all, end;
	struct strbuf keys = STRBUF_INIT;
	struct strvec cfgs = STRVEC_INIT;

	report_provenance(r, NULL, NULL, NULL, &all);
	report_provenance(r, points->n ? points->v[points->n - 1] : NULL, NULL, NULL, &end);
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < points->n; i++) {
		json_t *km = kernel_meta(r, points->v[i]);
		const char *cfg = or_unknown(jstr_nonempty(km, "config_sha256"));

		sb_addf(&keys, "%s%s %.12s", keys.len ? ", " : "", points->v[i],
		        or_unknown(jstr_nonempty(km, "key")));
		if (!sv_contains(&cfgs, cfg))
			sv_push(&cfgs, cfg);
	}
	for (size_t i = 0; i < all.keys.n; i++) {
		const char *k = all.keys.v[i];

		if (!strcmp(k, "kernel")) {
			char *release = xstrdup(report_prov_get(&end, "kernel")), *cut;
			char *v;

			if ((cut = strstr(release, " (")))
				*cut = '\0';
			v = xasprintf("%s, one kernel per point (cache keys: %s)", release,
			              keys.buf);
			add(p, k, v);
			free(v);
			free(release);
		} else if (!strcmp(k, "kernel config")) {
			char *v = join(&cfgs, ", ");

			add(p, k, v);
			free(v);
		} else if (!strcmp(k, "patch series") || !strcmp(k, "patches")) {
			add(p, k, report_prov_get(&end, k));
		} else if (strcmp(k, "buffered_iomap")) {
			add(p, k, all.values.v[i]);
		}
	}
	report_prov_free(&all);
	report_prov_free(&end);
	sb_release(&keys);
	sv_clear(&cfgs);
}

void report_prov_free(struct report_prov *p)
{
	sv_clear(&p->keys);
	sv_clear(&p->values);
}

const char *report_prov_get(const struct report_prov *p, const char *key)
{
	for (size_t i = 0; i < p->keys.n; i++)
		if (!strcmp(p->keys.v[i], key))
			return p->values.v[i];
	return "unknown";
}

char *report_caption(const struct report_run *r, const char *kernel, const char *device,
                     const char *fs)
{
	struct report_prov p;
	char *release, *accel, *cut, *s;

	report_provenance(r, kernel, device, fs, &p);
	/* Kernel and accelerator without their details: a caption is one short line. */
	release = xstrdup(report_prov_get(&p, "kernel"));
	accel = xstrdup(report_prov_get(&p, "accelerator"));
	if ((cut = strstr(release, " (")))
		*cut = '\0';
	if ((cut = strstr(accel, " (")))
		*cut = '\0';
	s = xasprintf("run %s | kernel %s | %s | %s", r->info.run_id, release, accel,
	              report_prov_get(&p, "fio"));
	free(release);
	free(accel);
	report_prov_free(&p);
	return s;
}
