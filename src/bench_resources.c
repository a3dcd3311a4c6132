// SPDX-License-Identifier: GPL-2.0
/*
 * What a run takes from the host, checked before anything is built or
 * booted.  A memory-backed disk that outgrows /dev/shm, or guests that
 * outgrow the host's memory, fail late and confusingly (I/O errors in the
 * guest, the OOM killer on the host); the same numbers known up front turn
 * that into one line saying what to change.
 */
#include "bench_resources.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "fstests.h"
#include "vm.h"

#define MiB (1LL << 20)
#define GiB (1LL << 30)

int64_t res_mul(int64_t a, int64_t b)
{
	if (a <= 0 || b <= 0)
		return 0;
	if (a > INT64_MAX / b)
		return INT64_MAX;
	return a * b;
}

int64_t res_add(int64_t a, int64_t b)
{
	if (a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

char *res_human(int64_t bytes)
{
	if (bytes < GiB)
		return xasprintf("%lld MiB", (long long)((bytes + MiB - 1) / MiB));
	if (bytes < 1024 * GiB)
		return xasprintf("%.1f GiB", ceil((double)bytes * 10 / (double)GiB) / 10);
	return xasprintf("%.1f TiB", ceil((double)bytes * 10 / (double)(1024 * GiB)) / 10);
}

/* ---- mkfs.ext4's metadata ---- */

/* mke2fs's ext2fs_default_journal_size(), in blocks of the file system's size. */
static int64_t default_journal_blocks(int64_t blocks)
{
	if (blocks < 2048)
		return 0;
	if (blocks < 32768)
		return 1024;
	if (blocks < 256 * 1024)
		return 4096;
	if (blocks < 512 * 1024)
		return 8192;
	if (blocks < 4096 * 1024)
		return 16384;
	if (blocks < 8192 * 1024)
		return 32768;
	if (blocks < 16384 * 1024)
		return 65536;
	if (blocks < 32768 * 1024)
		return 131072;
	return 262144;
}

/* -O a,^b: whether the list turns feature on (1), off (0), or does not name it (-1). */
static int feature_in(const char *list, const char *feature)
{
	struct strvec v = STRVEC_INIT;
	int on = -1;

	sv_split(&v, list, ",");
	for (size_t i = 0; i < v.n; i++) {
		if (!strcmp(v.v[i], feature))
			on = 1;
		else if (v.v[i][0] == '^' && !strcmp(v.v[i] + 1, feature))
			on = 0;
	}
	sv_clear(&v);
	return on;
}

int64_t res_mkfs_metadata(int64_t disk_size, const char *mkfs_args)
{
	struct strvec a = STRVEC_INIT;
	int64_t bs = 4096, cluster = 0, ratio = 0, isize = 256, inodes = 0, journal = -1;
	bool bigalloc = false, has_journal = true;
	int64_t itable, jbytes, slack, total;

	sv_split(&a, mkfs_args ? mkfs_args : "", " \t");
	for (size_t i = 0; i < a.n; i++) {
		const char *opt = a.v[i], *val;
		int on;

		if (opt[0] != '-' || !opt[1] || !strchr("bCiINJO", opt[1]))
			continue;
		/* "-b 4096" and "-b4096" alike, as getopt takes them. */
		if (opt[2])
			val = opt + 2;
		else if (i + 1 < a.n)
			val = a.v[++i];
		else
			break;
		switch (opt[1]) {
		case 'b':
			bs = parse_size(val) > 0 ? parse_size(val) : bs;
			break;
		case 'C':
			cluster = parse_size(val) > 0 ? parse_size(val) : cluster;
			break;
		case 'i':
			ratio = parse_size(val) > 0 ? parse_size(val) : ratio;
			break;
		case 'I':
			isize = parse_size(val) > 0 ? parse_size(val) : isize;
			break;
		case 'N':
			inodes = parse_size(val) > 0 ? parse_size(val) : inodes;
			break;
		case 'J': {
			const char *sz = strstr(val, "size=");

			/* mke2fs takes the journal size in MiB. */
			if (sz && parse_size(sz + 5) > 0)
				journal = res_mul(parse_size(sz + 5), MiB);
			break;
		}
		case 'O':
			if ((on = feature_in(val, "bigalloc")) >= 0)
				bigalloc = on;
			if ((on = feature_in(val, "has_journal")) >= 0)
				has_journal = on;
			break;
		}
	}
	sv_clear(&a);

	/* mke2fs.conf: file systems under 512M are "small", with an inode per 4k. */
	if (!ratio)
		ratio = disk_size < 512 * MiB ? 4096 : 16384;
	if (bigalloc && !cluster)
		cluster = 16 * bs;
	/* mke2fs raises the ratio to the block size, and to the cluster size with bigalloc. */
	if (ratio < bs)
		ratio = bs;
	if (bigalloc && ratio < cluster)
		ratio = cluster;
	itable = res_mul(inodes ? inodes : disk_size / ratio, isize);
	jbytes = !has_journal   ? 0
	         : journal >= 0 ? journal
	                        : res_mul(default_journal_blocks(disk_size / bs), bs);
	slack = 64 * MiB + disk_size / 100;
	total = res_add(res_add(itable, jbytes), slack);
	return total < disk_size ? total : disk_size;
}

/* ---- the bench ---- */

static bool writes_data(const struct bench_workload *w)
{
	return w->prepare == BENCH_PREP_WRITTEN || strstr(w->rw, "write");
}

static int64_t bench_metadata(const struct matrix *m)
{
	int64_t meta = 0;

	for (size_t i = 0; i < m->nfs; i++) {
		int64_t x = res_mkfs_metadata(m->disk_size, m->fs[i].mkfs);

		if (x > meta)
			meta = x;
	}
	return meta;
}

static int64_t bench_file_bytes(const struct matrix *m)
{
	for (size_t i = 0; i < m->nworkloads; i++)
		if (writes_data(m->workloads[i]))
			return m->file_size;
	return 0;
}

int64_t bench_disk_fill(const struct matrix *m)
{
	int64_t fill = res_add(bench_file_bytes(m), bench_metadata(m));

	return fill < m->disk_size ? fill : m->disk_size;
}

void bench_resources_need(const struct matrix *m, long vms, const char *dir, struct res_need *n)
{
	char *file = format_size(bench_file_bytes(m)), *meta = res_human(bench_metadata(m));

	memset(n, 0, sizeof(*n));
	n->dir = dir;
	n->vms = vms > 0 ? vms : 1;
	n->ndisks = 1;
	n->disk_size = m->disk_size;
	n->fill = bench_disk_fill(m);
	n->guest_mem = m->guest_mem;
	snprintf(n->fill_what, sizeof(n->fill_what), "file_size %s + %s mkfs metadata", file, meta);
	/* Fewer VMs at once is a way out only when there are several. */
	n->fix_fill = n->vms > 1 ? "a smaller file_size, fewer parallel VMs (-j N), or backing = "
	                           "DIR on a disk with room"
	                         : "a smaller file_size, or backing = DIR on a disk with room";
	n->fix_mem = n->vms > 1
	                     ? "a smaller guest_mem or file_size, fewer parallel VMs (-j N), "
	                       "or backing = DIR for the disks"
	                     : "a smaller guest_mem or file_size, or backing = DIR for the disks";
	n->fix_size = "a smaller disk_size (auto is 2 * file_size + 512M), or backing = DIR on a "
	              "larger file system";
	free(file);
	free(meta);
}

/* ---- fstests ---- */

void fstests_resources_need(const struct fstests_configs *c, const struct strvec *sections,
                            int64_t disk_size, int64_t guest_mem, bool full, const char *dir,
                            struct res_need *n)
{
	const char *biggest = "";

	memset(n, 0, sizeof(*n));
	n->dir = dir;
	n->vms = 1;
	n->ndisks = full ? 2 : 1;
	n->guest_mem = guest_mem;
	for (size_t i = 0; i < sections->n; i++) {
		const struct fstests_section *s = NULL;
		int64_t size, fill;

		for (size_t j = 0; j < c->n && !s; j++)
			if (!strcmp(c->v[j].name, sections->v[i]))
				s = &c->v[j];
		if (!s)
			continue;
		size = disk_size > 0 ? disk_size : s->disk_size;
		fill = full ? res_mul(2, size) : res_mkfs_metadata(size, s->mkfs_options);
		if (size > n->disk_size)
			n->disk_size = size;
		if (fill > n->fill) {
			n->fill = fill;
			biggest = s->name;
		}
	}
	{
		char *size = format_size(n->disk_size);

		if (full)
			snprintf(n->fill_what, sizeof(n->fill_what),
			         "TEST_DEV and SCRATCH_DEV of %s, which fstests may fill; section "
			         "%s",
			         size, biggest);
		else
			snprintf(n->fill_what, sizeof(n->fill_what),
			         "mkfs metadata on a %s disk; section %s", size, biggest);
		free(size);
	}
	n->fix_fill = "a smaller --disk-size, or --backing DIR on a disk with room";
	n->fix_mem = "a smaller --mem, or --backing DIR for the disks (the default is "
	             "<cache>/fstests/disks)";
	n->fix_size = "a smaller --disk-size, or --backing DIR on a larger file system";
}

/* ---- the check ---- */

int64_t res_disk_bytes(const struct res_need *n)
{
	return res_mul(n->vms, n->fill);
}

static int64_t per_vm_mem(const struct res_need *n, const struct res_host *h)
{
	int64_t m = res_add(n->guest_mem, RES_QEMU_OVERHEAD);

	return h->dir_in_memory ? res_add(m, n->fill) : m;
}

int64_t res_mem_bytes(const struct res_need *n, const struct res_host *h)
{
	return res_mul(n->vms, per_vm_mem(n, h));
}

static const char *vms_word(long vms)
{
	return vms == 1 ? "VM" : "VMs";
}

char *res_check(const struct res_need *n, const struct res_host *h)
{
	int64_t disk = res_disk_bytes(n), mem = res_mem_bytes(n, h);
	char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *why = NULL;

	if (disk > h->dir_free) {
		a = res_human(disk);
		b = res_human(n->fill);
		c = res_human(h->dir_free);
		if (n->vms == 1)
			why = xasprintf(
			        "%s: the VM's disks would take %s there (%s), but it has %s "
			        "free; use %s",
			        n->dir, a, n->fill_what, c, n->fix_fill);
		else
			why = xasprintf(
			        "%s: %ld VMs at once would take %s there (%s each: %s), but "
			        "it has %s free; use %s",
			        n->dir, n->vms, a, b, n->fill_what, c, n->fix_fill);
	} else if (mem > h->mem_available) {
		a = res_human(mem);
		b = res_human(n->guest_mem);
		c = res_human(h->mem_available);
		d = res_human(n->fill);
		char *who = n->vms == 1 ? xstrdup("the VM needs")
		                        : xasprintf("%ld VMs at once need", n->vms);

		why = xasprintf("memory: %s %s (%s%s guest + %lld MiB QEMU%s%s%s), but the host "
		                "has %s available (MemAvailable); use %s",
		                who, a, n->vms == 1 ? "" : "each: ", b,
		                (long long)(RES_QEMU_OVERHEAD / MiB), h->dir_in_memory ? " + " : "",
		                h->dir_in_memory ? d : "",
		                h->dir_in_memory ? " of memory-backed disk" : "", c, n->fix_mem);
		free(who);
	} else if (n->disk_size > h->dir_total) {
		a = res_human(n->disk_size);
		b = res_human(h->dir_total);
		why = xasprintf("%s: a %s disk is larger than the whole file system there (%s): a "
		                "guest that fills it would see I/O errors; use %s",
		                n->dir, a, b, n->fix_size);
	}
	free(a);
	free(b);
	free(c);
	free(d);
	return why;
}

char *res_summary(const struct res_need *n, const struct res_host *h)
{
	char *a = res_human(res_disk_bytes(n)), *b = res_human(h->dir_free);
	char *c = res_human(res_mem_bytes(n, h)), *d = res_human(h->mem_available);
	char *s = xasprintf("needs: %s %s of %s free, memory %s of %s available (%ld %s at once)",
	                    n->dir, a, b, c, d, n->vms, vms_word(n->vms));

	free(a);
	free(b);
	free(c);
	free(d);
	return s;
}

char *res_check_space(const char *what, const char *dir, int64_t need, int64_t free_bytes,
                      const char *fix)
{
	char *a, *b, *why;

	if (need <= free_bytes)
		return NULL;
	a = res_human(need);
	b = res_human(free_bytes);
	why = xasprintf("%s needs %s in %s, which has %s free; %s", what, a, dir, b, fix);
	free(a);
	free(b);
	return why;
}

/* ---- the host ---- */

const char *res_backing_dir(const char *backing)
{
	return !backing || !strcmp(backing, "memory") ? VM_MEMORY_DIR : backing;
}

static int fake_size(const char *var, int64_t *out)
{
	const char *v = getenv(var);

	if (!v || !*v)
		return 0;
	*out = parse_size(v);
	if (*out < 0)
		return error("%s=%s is not a size (like 8G); unset it", var, v);
	return 1;
}

static int64_t mem_available(void)
{
	char *text = read_file("/proc/meminfo", NULL);
	char *p = text ? strstr(text, "MemAvailable:") : NULL;
	int64_t kb = -1;

	if (p)
		kb = strtoll(p + strlen("MemAvailable:"), NULL, 10);
	free(text);
	return kb < 0 ? -1 : kb * 1024;
}

int res_probe(const char *dir, struct res_host *h)
{
	struct statvfs sv;
	struct statfs sf;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = fake_size(RES_ENV_FAKE_DISK_FREE, &h->dir_free)) < 0)
		return -1;
	if (r) {
		h->dir_total = h->dir_free;
	} else if (statvfs(dir, &sv) < 0) {
		return error("cannot see how much room %s has: %s", dir, strerror(errno));
	} else {
		h->dir_free = res_mul((int64_t)sv.f_bavail, (int64_t)sv.f_frsize);
		h->dir_total = res_mul((int64_t)sv.f_blocks, (int64_t)sv.f_frsize);
	}
	/* What is written to a tmpfs stays in the host's memory. */
	if (statfs(dir, &sf) == 0)
		h->dir_in_memory = sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
	if ((r = fake_size(RES_ENV_FAKE_MEM_AVAILABLE, &h->mem_available)) < 0)
		return -1;
	if (!r && (h->mem_available = mem_available()) < 0)
		return error("cannot read MemAvailable from /proc/meminfo (Linux 3.14 or later has "
		             "it)");
	return 0;
}

json_t *res_json(const struct res_need *n, const struct res_host *h)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:I}", "dir",
	                 n->dir, "vms_at_once", (json_int_t)n->vms, "disk_size",
	                 (json_int_t)n->disk_size, "disk_bytes_per_vm", (json_int_t)n->fill,
	                 "disk_bytes_what", n->fill_what, "disk_bytes",
	                 (json_int_t)res_disk_bytes(n), "mem_bytes",
	                 (json_int_t)res_mem_bytes(n, h), "dir_free", (json_int_t)h->dir_free,
	                 "dir_total", (json_int_t)h->dir_total, "mem_available",
	                 (json_int_t)h->mem_available, "dir_in_memory", h->dir_in_memory,
	                 "qemu_overhead_per_vm", (json_int_t)RES_QEMU_OVERHEAD);
}

int bench_resources_eval(const struct matrix *m, long vms, char **summary, char **why,
                         json_t **json)
{
	const char *dir = res_backing_dir(m->backing);
	struct res_host h;
	struct res_need n;

	*summary = *why = NULL;
	if (json)
		*json = NULL;
	if (res_probe(dir, &h) < 0)
		return -1;
	bench_resources_need(m, vms, dir, &n);
	*why = res_check(&n, &h);
	*summary = res_summary(&n, &h);
	if (json)
		*json = res_json(&n, &h);
	return 0;
}

int bench_resources_check(const struct matrix *m, long vms, char **summary)
{
	char *why;

	if (bench_resources_eval(m, vms, summary, &why, NULL) < 0)
		return -1;
	if (why) {
		error("%s", why);
		free(why);
		free(*summary);
		*summary = NULL;
		return -1;
	}
	return 0;
}
