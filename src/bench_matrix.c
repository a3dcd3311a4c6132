// SPDX-License-Identifier: GPL-2.0
/*
 * Matrix files (bench/NAME.conf): which kernels, devices, file-system configs,
 * workloads, block sizes and I/O paths to measure, read with inih and
 * refused line by line before anything boots.  Also the cells they expand
 * to and the order the runner measures them in.
 */
#include "bench.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ini_line.h"
#include "kernel.h"
#include "vm.h"

const struct bench_path bench_paths[] = {
        {"bh", false, "the buffer_head path: the series' disable_option (nobuffered_iomap)"},
        {"iomap", true, "the iomap path: the series' enable_option (buffered_iomap)"},
};
const size_t bench_npaths = ARRAY_SIZE(bench_paths);

static const struct {
	const char *name;
	const char *mkfs;
	const char *why;
} builtin_fs[] = {
        /* The letter does not name its block size; 4k is ext4's default on a VM's disk. */
        {"4k", "-b 4096", "ext4's default; what the cover letter is taken to have used"},
        /*
         * Blocks larger than the 4k page: ext4 then needs large folios, which
         * only the iomap path brings, so bh cells may fail to mount.
         */
        {"64k", "-b 65536", "blocks above the page size"},
        /* The series claims bigalloc support: 4k blocks allocated in 64k clusters. */
        {"bigalloc", "-b 4096 -O bigalloc -C 65536", "4k blocks, 64k clusters"},
};

static bool path_enables(const char *name)
{
	for (size_t i = 0; i < bench_npaths; i++)
		if (!strcmp(bench_paths[i].name, name))
			return bench_paths[i].enable;
	return false;
}

/* ---- the keys, one table per section kind ---- */

enum mkey_type {
	MK_STR,
	MK_LIST,      /* space-separated; an indented next line continues it */
	MK_SIZE,      /* 64M, 2G */
	MK_AUTO_SIZE, /* "auto" or a size */
	MK_COUNT,     /* a whole number */
	MK_BOOL,
};

struct mkey {
	const char *name;
	enum mkey_type type;
	/* As it would be typed; NULL: required; "": optional, empty. */
	const char *def;
	const char *example;
	const char *help;
};

static const struct mkey matrix_keys[] = {
        {"name", MK_STR, "", "cover-letter", "names the run (default: the file name)"},
        {"description", MK_STR, "", "virtio-blk, memory-backed, 4k ext4", "free text"},
        {"series", MK_STR, NULL, "ext4-iomap-buffered-io",
         "kernel-patches/ series whose mount options select the paths"},
        {"kernels", MK_LIST, NULL, "default",
         "[kernel.NAME] sections: 1, 2 for an A/B, or one per point of a walk"},
        {"walk", MK_STR, "", "ext4-iomap-buffered-io@v2-on-7.3.4",
         "the series a walk's matrix walks (iolab walk writes it); kernels are its points"},
        {"paths", MK_LIST, NULL, "bh iomap", "I/O paths"},
        {"devices", MK_LIST, NULL, "virtio-blk", "virtio-blk nvme pmem"},
        {"fs_configs", MK_LIST, NULL, "4k", "4k 64k bigalloc, or [fs.NAME] sections"},
        {"workloads", MK_LIST, NULL, "write_cache read_ondisk", "the cover letter's columns"},
        {"block_sizes", MK_LIST, NULL, "1k 4k 64k 1M", "I/O sizes: powers of two, 512 to 16M"},
        {"file_size", MK_AUTO_SIZE, "auto", "512M",
         "auto: guest_mem / 4, rounded down to a multiple of 1M and of the largest block size"},
        {"runtime", MK_COUNT, "5", "5", "seconds per sample, an upper bound (fio's runtime)"},
        {"repetitions", MK_COUNT, "3", "3", "samples per cell"},
        {"guest_mem", MK_SIZE, VM_DEFAULT_MEM, "2G", "guest memory"},
        {"guest_cpus", MK_COUNT, VM_DEFAULT_CPUS, "2", "guest CPUs"},
        {"disk_size", MK_AUTO_SIZE, "auto", "2G", "auto: 2 * file_size + 512M"},
        {"backing", MK_STR, VM_DEFAULT_BACKING, "memory", "memory (/dev/shm) or a host directory"},
};

static const struct mkey kernel_keys[] = {
        {"source", MK_STR, KERNEL_DEFAULT_SOURCE, KERNEL_DEFAULT_SOURCE,
         "debian:PACKAGE, a kernel tree or a tarball"},
        {"series", MK_STR, "", "ext4-iomap-buffered-io@v3",
         "NAME[@vN[-on-BASE]]; none: an unpatched kernel"},
        {"config", MK_LIST, "", "extra.config", "config fragments, relative to this file"},
        {"allow_missing_series", MK_BOOL, "no", "yes",
         "build without the series when its patches are not at hand"},
        {"upto", MK_COUNT, "", "9", "only the series' first N patches: a point of a walk"},
};

static const struct mkey fs_keys[] = {
        {"mkfs", MK_STR, NULL, "-b 4096 -O ^has_journal", "mkfs.ext4 arguments"},
        {"mount", MK_STR, "", "noatime", "extra mount options; the lab adds the path's"},
};

static const struct section_kind {
	const char *prefix; /* "matrix" exactly, or "kernel." + NAME */
	bool named;
	const struct mkey *keys;
	size_t nkeys;
} kinds[] = {
        {"matrix", false, matrix_keys, ARRAY_SIZE(matrix_keys)},
        {"kernel.", true, kernel_keys, ARRAY_SIZE(kernel_keys)},
        {"fs.", true, fs_keys, ARRAY_SIZE(fs_keys)},
};

void matrix_describe_keys(struct strbuf *sb)
{
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		sb_addf(sb, "[%s%s]\n", kinds[k].prefix, kinds[k].named ? "NAME" : "");
		for (size_t i = 0; i < kinds[k].nkeys; i++) {
			const struct mkey *key = &kinds[k].keys[i];

			sb_addf(sb, "  %-21s %s", key->name, key->help);
			if (!key->def)
				sb_adds(sb, " (required)");
			else if (*key->def)
				sb_addf(sb, " (default %s)", key->def);
			sb_addf(sb, "; e.g. %s\n", key->example);
		}
	}
}

/* ---- raw parse: sections and their key = value pairs ---- */

struct raw_section {
	char *name;
	const struct section_kind *kind;
	struct strvec keys;
	struct strvec values;
};

struct load {
	const char *file;
	struct raw_section *secs;
	size_t nsecs;
	/* The first problem; inih only says which line failed to parse. */
	char *why;
	int line;
};

static const struct section_kind *kind_of(const char *section)
{
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		if (!kinds[k].named && !strcmp(section, kinds[k].prefix))
			return &kinds[k];
		if (kinds[k].named && starts_with(section, kinds[k].prefix) &&
		    section[strlen(kinds[k].prefix)])
			return &kinds[k];
	}
	return NULL;
}

static const struct mkey *key_of(const struct section_kind *k, const char *key)
{
	for (size_t i = 0; i < k->nkeys; i++)
		if (!strcmp(k->keys[i].name, key))
			return &k->keys[i];
	return NULL;
}

static char *key_names(const struct section_kind *k)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < k->nkeys; i++)
		sb_addf(&sb, "%s%s", i ? " " : "", k->keys[i].name);
	return sb_detach(&sb);
}

static struct raw_section *raw_section(struct load *l, const char *name)
{
	for (size_t i = 0; i < l->nsecs; i++)
		if (!strcmp(l->secs[i].name, name))
			return &l->secs[i];
	return NULL;
}

static ssize_t raw_index(const struct raw_section *s, const char *key)
{
	for (size_t i = 0; s && i < s->keys.n; i++)
		if (!strcmp(s->keys.v[i], key))
			return (ssize_t)i;
	return -1;
}

static void fail_at(struct load *l, const char *section, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void fail_at(struct load *l, const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (l->why)
		return;
	va_start(ap, fmt);
	l->why = xvasprintf(fmt, ap);
	va_end(ap);
	l->line = key ? ini_line_of(l->file, section, key) : 0;
	/* A key left to its default has no line: point at its section instead. */
	if (!l->line)
		l->line = ini_line_of(l->file, section, NULL);
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct load *l = user;
	const struct section_kind *kind = kind_of(section);
	const struct mkey *mk;
	struct raw_section *s;
	ssize_t at;

	if (l->why)
		return 1;
	if (!kind) {
		fail_at(l, section, NULL,
		        "unknown section [%s] (expected [matrix], [kernel.NAME] or [fs.NAME])",
		        section);
		return 1;
	}
	mk = key_of(kind, key);
	if (!mk) {
		char *known = key_names(kind);

		fail_at(l, section, key, "unknown key '%s' in [%s] (known: %s)", key, section,
		        known);
		free(known);
		return 1;
	}
	s = raw_section(l, section);
	if (!s) {
		l->secs = xrealloc(l->secs, (l->nsecs + 1) * sizeof(*l->secs));
		s = &l->secs[l->nsecs++];
		memset(s, 0, sizeof(*s));
		s->name = xstrdup(section);
		s->kind = kind;
	}
	at = raw_index(s, key);
	if (at < 0) {
		sv_push(&s->keys, key);
		sv_push(&s->values, value);
	} else if (mk->type == MK_LIST) {
		/* inih hands an indented continuation line over as the same key again. */
		char *joined = xasprintf("%s %s", s->values.v[at], value);

		free(s->values.v[at]);
		s->values.v[at] = joined;
	} else {
		fail_at(l, section, key, "'%s' is set twice in [%s]", key, section);
	}
	return 1;
}

static void raw_free(struct load *l)
{
	for (size_t i = 0; i < l->nsecs; i++) {
		free(l->secs[i].name);
		sv_clear(&l->secs[i].keys);
		sv_clear(&l->secs[i].values);
	}
	free(l->secs);
	free(l->why);
}

/* ---- typed access with the table's defaults and syntax checks ---- */

static const char *value_of(struct load *l, const char *section, const char *key)
{
	const struct section_kind *kind = kind_of(section);
	const struct mkey *mk = key_of(kind, key);
	struct raw_section *s = raw_section(l, section);
	ssize_t at = raw_index(s, key);

	if (at >= 0)
		return s->values.v[at];
	if (!mk->def)
		fail_at(l, section, NULL, "[%s] needs %s (e.g. %s = %s)", section, key, key,
		        mk->example);
	return mk->def;
}

static char *get_str(struct load *l, const char *section, const char *key)
{
	const char *v = value_of(l, section, key);
	const struct mkey *mk = key_of(kind_of(section), key);

	if (v && !*v && !mk->def)
		fail_at(l, section, key, "%s is empty (e.g. %s = %s)", key, key, mk->example);
	return v && *v ? xstrdup(v) : NULL;
}

static void get_list(struct load *l, const char *section, const char *key, struct strvec *out)
{
	const char *v = value_of(l, section, key);
	const struct mkey *mk = key_of(kind_of(section), key);

	if (!v)
		return;
	sv_split(out, v, " \t,");
	if (!out->n && !mk->def)
		fail_at(l, section, key, "empty axis: %s lists nothing (e.g. %s = %s)", key, key,
		        mk->example);
	for (size_t i = 0; i < out->n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(out->v[i], out->v[j]))
				fail_at(l, section, key, "'%s' is listed twice in %s", out->v[i],
				        key);
}

static int64_t get_size(struct load *l, const char *section, const char *key, bool *is_auto)
{
	const char *v = value_of(l, section, key);
	int64_t n;

	if (!v)
		return -1;
	if (is_auto) {
		*is_auto = !strcmp(v, "auto");
		if (*is_auto)
			return 0;
	}
	n = parse_size(v);
	if (n <= 0)
		fail_at(l, section, key, "bad size '%s' for %s (like 512M or 2G%s)", v, key,
		        is_auto ? ", or auto" : "");
	return n;
}

static long get_count(struct load *l, const char *section, const char *key)
{
	const char *v = value_of(l, section, key);
	char *end;
	long n;

	if (!v)
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end || errno) {
		fail_at(l, section, key, "bad number '%s' for %s (a whole number)", v, key);
		return -1;
	}
	return n;
}

static bool get_bool(struct load *l, const char *section, const char *key)
{
	const char *v = value_of(l, section, key);
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; v && i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return true;
		if (!strcasecmp(v, no[i]))
			return false;
	}
	fail_at(l, section, key, "bad value '%s' for %s (yes or no)", v ? v : "", key);
	return false;
}

/* ---- semantic checks ---- */

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static char *dir_names(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			sb_addf(&sb, "%s%s", sb.len ? " " : "", e->d_name);
	if (d)
		closedir(d);
	return sb_detach(&sb);
}

/* A series NAME[@vN] under kernel-patches/, checked now rather than after a build. */
static void check_series(struct load *l, const char *section, const char *spec, struct series *out)
{
	char *root = series_root(), *name = xstrdup(spec), *at = strchr(name, '@');
	char *dir = NULL;
	struct series s;

	if (at) {
		/* NAME@v2-on-7.3.4 pins a port of v2: the manifest knows v2. */
		char *port = strstr(at, "-on-");

		*at++ = '\0';
		if (port)
			*port = '\0';
	}
	if (!root) {
		fail_at(l, section, "series", "cannot find kernel-patches/ (set IOLAB_PATCHES)");
		goto out;
	}
	dir = path_join(root, name);
	if (!is_name(name) || !is_dir(dir)) {
		char *have = dir_names(root);

		fail_at(l, section, "series", "unknown series '%s' (%s has: %s)", name, root, have);
		free(have);
		goto out;
	}
	if (series_load(dir, &s) < 0) {
		fail_at(l, section, "series", "series '%s' does not load (see above)", name);
		goto out;
	}
	if (at && !series_find_version(&s, at))
		fail_at(l, section, "series", "series %s has no version %s (see %s/series.ini)",
		        name, at, dir);
	if (out)
		*out = s;
	else
		series_free(&s);
out:
	free(dir);
	free(name);
	free(root);
}

static void load_kernel(struct load *l, const char *name, struct bench_kernel *k)
{
	char *section = xasprintf("kernel.%s", name);
	struct strvec cfg = STRVEC_INIT;
	char *base = xstrdup(l->file), *slash = strrchr(base, '/');

	if (slash)
		*slash = '\0';
	k->name = xstrdup(name);
	if (!raw_section(l, section) && !ini_line_of(l->file, section, NULL)) {
		fail_at(l, "matrix", "kernels", "kernel '%s' has no [%s] section", name, section);
		goto out;
	}
	k->source = get_str(l, section, "source");
	k->series = get_str(l, section, "series");
	if (k->series)
		check_series(l, section, k->series, NULL);
	get_list(l, section, "config", &cfg);
	for (size_t i = 0; i < cfg.n; i++) {
		char *p = cfg.v[i][0] == '/' ? xstrdup(cfg.v[i]) : path_join(base, cfg.v[i]);

		if (!path_exists(p))
			fail_at(l, section, "config", "config fragment %s not found", p);
		sv_push(&k->configs, p);
		free(p);
	}
	k->allow_missing_series = get_bool(l, section, "allow_missing_series");
	if (raw_index(raw_section(l, section), "upto") >= 0) {
		k->upto = get_count(l, section, "upto");
		if (!l->why && k->upto < 1)
			fail_at(l, section, "upto",
			        "upto must be at least 1 (a kernel without the series has no "
			        "series)");
		else if (!l->why && !k->series)
			fail_at(l, section, "upto", "upto needs a series in [%s]", section);
	}
out:
	sv_clear(&cfg);
	free(base);
	free(section);
}

/*
 * mke2fs keeps only the last -E it is given, so the lab's options join the
 * user's -E rather than follow it.
 */
static char *mkfs_args(const char *user)
{
	struct strvec sv = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	bool merged = false;

	sv_split(&sv, user, " \t");
	for (size_t i = 0; i < sv.n; i++) {
		sb_addf(&sb, "%s%s", i ? " " : "", sv.v[i]);
		if (!merged && !strcmp(sv.v[i], "-E") && i + 1 < sv.n) {
			sb_addf(&sb, " %s,%s", sv.v[++i], BENCH_MKFS_EXTENDED);
			merged = true;
		} else if (!merged && starts_with(sv.v[i], "-E") && sv.v[i][2]) {
			sb_addf(&sb, ",%s", BENCH_MKFS_EXTENDED);
			merged = true;
		}
	}
	/*
	 * Without these, ext4lazyinit zeroes inode tables and the journal in
	 * the background after mount, writing to the disk under measurement.
	 */
	if (!merged)
		sb_addf(&sb, "%s-E %s", sb.len ? " " : "", BENCH_MKFS_EXTENDED);
	sv_clear(&sv);
	return sb_detach(&sb);
}

static void load_fs(struct load *l, const char *name, struct bench_fs *fs)
{
	char *section = xasprintf("fs.%s", name);

	fs->name = xstrdup(name);
	for (size_t i = 0; i < ARRAY_SIZE(builtin_fs); i++) {
		if (strcmp(builtin_fs[i].name, name))
			continue;
		if (ini_line_of(l->file, section, NULL))
			fail_at(l, section, NULL,
			        "fs config %s is built in; give yours another name", name);
		fs->mkfs = mkfs_args(builtin_fs[i].mkfs);
		fs->mount = xstrdup("");
		fs->builtin = true;
		goto out;
	}
	if (!raw_section(l, section) && !ini_line_of(l->file, section, NULL)) {
		fail_at(l, "matrix", "fs_configs",
		        "unknown fs config '%s' (built in: 4k 64k bigalloc; or add an [%s] "
		        "section)",
		        name, section);
		goto out;
	}
	{
		char *user = get_str(l, section, "mkfs"), *mount = get_str(l, section, "mount");

		fs->mkfs = mkfs_args(user ? user : "");
		fs->mount = mount ? mount : xstrdup("");
		free(user);
	}
out:
	free(section);
}

static char *table_names(const char *const *names, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%s%s", i ? " " : "", names[i]);
	return sb_detach(&sb);
}

static void load_axes(struct load *l, struct matrix *m)
{
	struct strvec v = STRVEC_INIT;

	get_list(l, "matrix", "kernels", &v);
	/* A walk's points are kernels too: as many as the series has patches, plus its base. */
	if (!l->why && m->walk && (v.n < 1 || v.n > MATRIX_MAX_POINTS))
		fail_at(l, "matrix", "kernels", "kernels lists %zu points; a walk takes 1 to %d",
		        v.n, MATRIX_MAX_POINTS);
	else if (!l->why && !m->walk && (v.n < 1 || v.n > 2))
		fail_at(l, "matrix", "kernels",
		        "kernels lists %zu kernels; give 1, or 2 for an A/B comparison (a walk's "
		        "matrix, with walk = SERIES, takes one per point)",
		        v.n);
	m->kernels = xcalloc(v.n ? v.n : 1, sizeof(*m->kernels));
	for (size_t i = 0; i < v.n && !l->why; i++) {
		if (!is_name(v.v[i]))
			fail_at(l, "matrix", "kernels",
			        "bad kernel name '%s' (letters, digits, _ . -)", v.v[i]);
		load_kernel(l, v.v[i], &m->kernels[m->nkernels++]);
	}
	sv_clear(&v);

	get_list(l, "matrix", "paths", &m->paths);
	for (size_t i = 0; i < m->paths.n; i++) {
		size_t j = 0;

		while (j < bench_npaths && strcmp(bench_paths[j].name, m->paths.v[i]))
			j++;
		if (j == bench_npaths)
			fail_at(l, "matrix", "paths", "unknown path '%s' (known: bh iomap)",
			        m->paths.v[i]);
	}

	get_list(l, "matrix", "devices", &m->devices);
	for (size_t i = 0; i < m->devices.n; i++) {
		const char *names[] = {vm_device_name(VM_DEV_VIRTIO_BLK),
		                       vm_device_name(VM_DEV_NVME), vm_device_name(VM_DEV_PMEM)};
		size_t j = 0;

		while (j < ARRAY_SIZE(names) && strcmp(names[j], m->devices.v[i]))
			j++;
		if (j == ARRAY_SIZE(names)) {
			char *known = table_names(names, ARRAY_SIZE(names));

			fail_at(l, "matrix", "devices", "unknown device '%s' (known: %s)",
			        m->devices.v[i], known);
			free(known);
		}
	}

	get_list(l, "matrix", "fs_configs", &v);
	m->fs = xcalloc(v.n ? v.n : 1, sizeof(*m->fs));
	for (size_t i = 0; i < v.n && !l->why; i++) {
		if (!is_name(v.v[i]))
			fail_at(l, "matrix", "fs_configs",
			        "bad fs config name '%s' (letters, digits, _ . -)", v.v[i]);
		load_fs(l, v.v[i], &m->fs[m->nfs++]);
	}
	sv_clear(&v);

	get_list(l, "matrix", "workloads", &v);
	m->workloads = xcalloc(v.n ? v.n : 1, sizeof(*m->workloads));
	for (size_t i = 0; i < v.n; i++) {
		const struct bench_workload *w = bench_workload_find(v.v[i]);

		if (!w) {
			struct strbuf known = STRBUF_INIT;

			for (size_t j = 0; j < bench_nworkloads; j++)
				sb_addf(&known, "%s%s", j ? " " : "", bench_workloads[j].name);
			fail_at(l, "matrix", "workloads", "unknown workload '%s' (known: %s)",
			        v.v[i], known.buf);
			sb_release(&known);
			continue;
		}
		m->workloads[m->nworkloads++] = w;
	}
	sv_clear(&v);

	get_list(l, "matrix", "block_sizes", &v);
	m->block_sizes = xcalloc(v.n ? v.n : 1, sizeof(*m->block_sizes));
	for (size_t i = 0; i < v.n; i++) {
		int64_t bs = parse_size(v.v[i]);

		if (bs <= 0)
			fail_at(l, "matrix", "block_sizes",
			        "bad size '%s' in block_sizes (like 4k)", v.v[i]);
		else if (bs & (bs - 1))
			fail_at(l, "matrix", "block_sizes", "block size %s is not a power of two",
			        v.v[i]);
		else if (bs < 512 || bs > (16 << 20))
			fail_at(l, "matrix", "block_sizes", "block size %s is outside 512 to 16M",
			        v.v[i]);
		m->block_sizes[m->nblock_sizes++] = bs;
	}
	for (size_t i = 0; i < m->nblock_sizes; i++)
		for (size_t j = 0; j < i; j++)
			if (m->block_sizes[i] == m->block_sizes[j])
				fail_at(l, "matrix", "block_sizes",
				        "block sizes %s and %s are the same size", v.v[j], v.v[i]);
	sv_clear(&v);
}

static void load_scalars(struct load *l, struct matrix *m)
{
	int64_t unit = 1 << 20;

	for (size_t i = 0; i < m->nblock_sizes; i++)
		if (m->block_sizes[i] > unit)
			unit = m->block_sizes[i];

	m->runtime = get_count(l, "matrix", "runtime");
	if (!l->why && m->runtime <= 0)
		fail_at(l, "matrix", "runtime", "runtime must be at least 1 second");
	m->repetitions = get_count(l, "matrix", "repetitions");
	if (!l->why && m->repetitions < 1)
		fail_at(l, "matrix", "repetitions", "repetitions must be at least 1");
	m->guest_cpus = get_count(l, "matrix", "guest_cpus");
	if (!l->why && m->guest_cpus < 1)
		fail_at(l, "matrix", "guest_cpus", "guest_cpus must be at least 1");
	m->guest_mem = get_size(l, "matrix", "guest_mem", NULL);
	if (!l->why && m->guest_mem < (256 << 20))
		fail_at(l, "matrix", "guest_mem", "guest_mem must be at least 256M");

	/*
	 * A quarter of the guest's memory: the whole file fits in the page
	 * cache with room to spare, so "write cache" and "read pre-cache"
	 * measure the cache and not reclaim.  Whole units of the largest block
	 * size (and of the prepare job's 1M), so no sample ends on a short I/O.
	 */
	m->file_size = get_size(l, "matrix", "file_size", &m->file_size_auto);
	if (!l->why && m->file_size_auto) {
		/* Never 0: guest_mem is at least 256M and a block at most 16M. */
		m->file_size = m->guest_mem / 4 / unit * unit;
	} else if (!l->why && m->file_size % unit) {
		char *u = format_size(unit);

		fail_at(l, "matrix", "file_size",
		        "file_size is not a multiple of %s (1M and the largest block size)", u);
		free(u);
	}

	/* Room for the file, ext4's journal and metadata, and bigalloc's clusters. */
	m->disk_size = get_size(l, "matrix", "disk_size", &m->disk_size_auto);
	if (!l->why && m->disk_size_auto)
		m->disk_size = 2 * m->file_size + (512 << 20);
	else if (!l->why && m->disk_size <= m->file_size)
		fail_at(l, "matrix", "disk_size",
		        "disk_size must be larger than file_size (auto gives 2 * file_size + "
		        "512M)");

	m->backing = get_str(l, "matrix", "backing");
	if (!l->why && strcmp(m->backing, "memory") && !is_dir(m->backing))
		fail_at(l, "matrix", "backing",
		        "backing '%s' is neither 'memory' nor an existing directory", m->backing);
}

static void load_matrix(struct load *l, struct matrix *m)
{
	struct series s;
	const char *base;

	if (!raw_section(l, "matrix")) {
		fail_at(l, "matrix", NULL, "no [matrix] section (see bench/README.md)");
		return;
	}
	m->name = get_str(l, "matrix", "name");
	if (!m->name) {
		base = strrchr(m->path, '/');
		m->name = xstrdup(base ? base + 1 : m->path);
		if (ends_with(m->name, ".conf"))
			m->name[strlen(m->name) - 5] = '\0';
	}
	if (!is_name(m->name))
		fail_at(l, "matrix", "name", "bad name '%s' (letters, digits, _ . -)", m->name);
	m->description = get_str(l, "matrix", "description");
	m->walk = get_str(l, "matrix", "walk");
	m->series = get_str(l, "matrix", "series");
	memset(&s, 0, sizeof(s));
	if (m->series && strchr(m->series, '@'))
		fail_at(l, "matrix", "series",
		        "the matrix's series names the path options, not a version: drop '@...' "
		        "(a [kernel.NAME] section picks the version)");
	else if (m->series)
		check_series(l, "matrix", m->series, &s);
	if (!l->why)
		load_axes(l, m);
	for (size_t i = 0; !l->why && i < m->paths.n; i++)
		sv_push(&m->path_options,
		        path_enables(m->paths.v[i]) ? s.enable_option : s.disable_option);
	if (s.name)
		series_free(&s);
	if (!l->why)
		load_scalars(l, m);
}

int matrix_load(const char *path, struct matrix *m)
{
	struct load l = {0};
	int rc, ret = 0;

	memset(m, 0, sizeof(*m));
	m->path = abs_path(path);
	l.file = m->path;
	if (sha256_file_hex(m->path, m->sha256) < 0) {
		ret = error("cannot read matrix file %s", path);
		goto out;
	}
	rc = ini_parse(m->path, on_entry, &l);
	if (rc < 0) {
		ret = error("cannot read matrix file %s", path);
		goto out;
	}
	if (rc > 0 && !l.why) {
		ret = error("%s:%d: not INI syntax (key = value, [section]; lines up to 200 chars)",
		            path, rc);
		goto out;
	}
	if (!l.why)
		load_matrix(&l, m);
	if (l.why)
		ret = error("%s:%d: %s", path, l.line, l.why);
out:
	raw_free(&l);
	if (ret < 0)
		matrix_free(m);
	return ret;
}

void matrix_free(struct matrix *m)
{
	for (size_t i = 0; i < m->nkernels; i++) {
		free(m->kernels[i].name);
		free(m->kernels[i].source);
		free(m->kernels[i].series);
		sv_clear(&m->kernels[i].configs);
	}
	free(m->kernels);
	for (size_t i = 0; i < m->nfs; i++) {
		free(m->fs[i].name);
		free(m->fs[i].mkfs);
		free(m->fs[i].mount);
	}
	free(m->fs);
	sv_clear(&m->paths);
	sv_clear(&m->path_options);
	sv_clear(&m->devices);
	free(m->workloads);
	free(m->block_sizes);
	free(m->path);
	free(m->name);
	free(m->description);
	free(m->series);
	free(m->walk);
	free(m->backing);
	memset(m, 0, sizeof(*m));
}

const struct bench_fs *matrix_fs(const struct matrix *m, const char *name)
{
	for (size_t i = 0; i < m->nfs; i++)
		if (!strcmp(m->fs[i].name, name))
			return &m->fs[i];
	return NULL;
}

const struct bench_kernel *matrix_kernel(const struct matrix *m, const char *name)
{
	for (size_t i = 0; i < m->nkernels; i++)
		if (!strcmp(m->kernels[i].name, name))
			return &m->kernels[i];
	return NULL;
}

char *matrix_mount_options(const struct matrix *m, const struct bench_fs *fs, const char *path)
{
	const char *opt = NULL;

	for (size_t i = 0; i < m->paths.n; i++)
		if (!strcmp(m->paths.v[i], path))
			opt = m->path_options.v[i];
	if (!opt)
		return NULL;
	if (fs && fs->mount && *fs->mount)
		return xasprintf("%s,%s", fs->mount, opt);
	return xstrdup(opt);
}

static json_t *strvec_json(const struct strvec *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

json_t *matrix_to_json(const struct matrix *m)
{
	json_t *kernels = json_array(), *fs = json_array(), *workloads = json_array();
	json_t *bs = json_array();

	for (size_t i = 0; i < m->nkernels; i++) {
		const struct bench_kernel *k = &m->kernels[i];

		json_t *jk = json_pack("{s:s, s:s?, s:s?, s:o, s:b}", "name", k->name, "source",
		                       k->source, "series", k->series, "configs",
		                       strvec_json(&k->configs), "allow_missing_series",
		                       k->allow_missing_series);

		if (k->upto > 0)
			json_object_set_new(jk, "upto", json_integer(k->upto));
		json_array_append_new(kernels, jk);
	}
	for (size_t i = 0; i < m->nfs; i++)
		json_array_append_new(fs, json_pack("{s:s, s:s, s:s, s:b}", "name", m->fs[i].name,
		                                    "mkfs", m->fs[i].mkfs, "mount", m->fs[i].mount,
		                                    "builtin", m->fs[i].builtin));
	for (size_t i = 0; i < m->nworkloads; i++)
		json_array_append_new(workloads, json_string(m->workloads[i]->name));
	for (size_t i = 0; i < m->nblock_sizes; i++)
		json_array_append_new(bs, json_integer(m->block_sizes[i]));
	return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, "
	                 "s:b, s:I, s:I, s:I, s:I, s:I, s:b, s:s}",
	                 "name", m->name, "path", m->path, "sha256", m->sha256, "description",
	                 m->description, "series", m->series, "walk", m->walk, "kernels", kernels,
	                 "paths", strvec_json(&m->paths), "path_options",
	                 strvec_json(&m->path_options), "devices", strvec_json(&m->devices),
	                 "fs_configs", fs, "workloads", workloads, "block_sizes", bs, "file_size",
	                 (json_int_t)m->file_size, "file_size_auto", m->file_size_auto, "runtime",
	                 (json_int_t)m->runtime, "repetitions", (json_int_t)m->repetitions,
	                 "guest_mem", (json_int_t)m->guest_mem, "guest_cpus",
	                 (json_int_t)m->guest_cpus, "disk_size", (json_int_t)m->disk_size,
	                 "disk_size_auto", m->disk_size_auto, "backing", m->backing);
}

/* ---- cells ---- */

size_t matrix_expand(const struct matrix *m, struct cell **cells)
{
	size_t n =
	        m->nkernels * m->devices.n * m->nfs * m->nworkloads * m->nblock_sizes * m->paths.n;
	struct cell *c = xcalloc(n ? n : 1, sizeof(*c));

	/* Cell i in mixed radix: the path varies fastest, the kernel slowest. */
	for (size_t i = 0; i < n; i++) {
		struct cell *x = &c[i];
		size_t r = i;
		size_t p = r % m->paths.n, b, w, f, d, k;
		char *bs;

		r /= m->paths.n;
		b = r % m->nblock_sizes;
		r /= m->nblock_sizes;
		w = r % m->nworkloads;
		r /= m->nworkloads;
		f = r % m->nfs;
		r /= m->nfs;
		d = r % m->devices.n;
		k = r / m->devices.n;

		x->kernel = m->kernels[k].name;
		x->device = m->devices.v[d];
		x->fs = m->fs[f].name;
		x->workload = m->workloads[w];
		x->bs = m->block_sizes[b];
		x->path = m->paths.v[p];
		bs = format_size(x->bs);
		x->group_id = xasprintf("%s/%s/%s", x->kernel, x->device, x->fs);
		x->id = xasprintf("%s/%s/%s/%s", x->group_id, x->workload->name, bs, x->path);
		free(bs);
	}
	*cells = c;
	return n;
}

void cells_free(struct cell *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cells[i].id);
		free(cells[i].group_id);
	}
	free(cells);
}

ssize_t cells_find(const struct cell *cells, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cells[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* ---- the schedule ---- */

static void add_step(struct bench_group *g, size_t cell, int rep)
{
	g->steps = xrealloc(g->steps, (g->nsteps + 1) * sizeof(*g->steps));
	g->steps[g->nsteps].cell = cell;
	g->steps[g->nsteps].rep = rep;
	g->nsteps++;
}

size_t bench_schedule(const struct matrix *m, const struct cell *cells, size_t ncells,
                      struct bench_group **groups)
{
	size_t ng = m->devices.n * m->nfs * m->nkernels, at = 0;
	struct bench_group *g = xcalloc(ng ? ng : 1, sizeof(*g));

	/*
	 * Groups by device, then fs, then kernel: an A/B's two kernels measure
	 * the same configuration one after the other, so slow drift of the
	 * host (thermal, other tenants) touches both sides alike.
	 */
	for (size_t d = 0; d < m->devices.n; d++)
		for (size_t f = 0; f < m->nfs; f++)
			for (size_t k = 0; k < m->nkernels; k++) {
				struct bench_group *x = &g[at++];

				x->kernel = m->kernels[k].name;
				x->device = m->devices.v[d];
				x->fs = m->fs[f].name;
				x->id = xasprintf("%s/%s/%s", x->kernel, x->device, x->fs);
			}

	for (size_t gi = 0; gi < ng; gi++)
		bench_group_add_steps(&g[gi], g[gi].id, cells, ncells, 0, m->repetitions);
	*groups = g;
	return ng;
}

void bench_group_add_steps(struct bench_group *g, const char *cells_group, const struct cell *cells,
                           size_t ncells, long from, long to)
{
	/*
	 * Within a group the paths alternate sample by sample (bh r0, iomap
	 * r0, bh r1, ...): whatever drifts during a group is spread over both
	 * paths instead of landing on whichever ran last.  matrix_expand()
	 * puts a (workload, bs)'s paths next to each other, so they are found
	 * by walking the cells in order.
	 */
	for (size_t i = 0; i < ncells;) {
		size_t j = i;

		if (strcmp(cells[i].group_id, cells_group)) {
			i++;
			continue;
		}
		while (j < ncells && !strcmp(cells[j].group_id, cells_group) &&
		       cells[j].workload == cells[i].workload && cells[j].bs == cells[i].bs)
			j++;
		for (long rep = from; rep < to; rep++)
			for (size_t c = i; c < j; c++)
				add_step(g, c, (int)rep);
		i = j;
	}
}

void bench_groups_free(struct bench_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].id);
		free(g[i].steps);
	}
	free(g);
}
