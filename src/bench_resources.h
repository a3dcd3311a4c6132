/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_BENCH_RESOURCES_H
#define IOLAB_BENCH_RESOURCES_H

/*
 * What a run will take from the host, held against what the host has,
 * before anything is built or booted: the bytes the VMs' disks will hold
 * (in /dev/shm for memory-backed disks, else in their directory) and the
 * memory the VMs take.  The arithmetic is pure (numbers in, NULL or a
 * one-line reason out) so every refusal is tested without a VM; only
 * res_probe() looks at the host.  The estimates and why they are safe:
 * bench/README.md, "What a run needs from the host".
 */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"

/* QEMU's own memory beyond the guest's (code, device state, I/O buffers), per VM. */
#define RES_QEMU_OVERHEAD (256LL << 20)
/* A kernel object tree built from scratch: objects, vmlinux and what links it (issue 11). */
#define RES_KERNEL_TREE (3LL << 29)
/* Rebuilding in an existing object tree: what patches touch, the relink, the stored kernel. */
#define RES_KERNEL_REBUILD (256LL << 20)

/* Test-only: pretend every checked directory has SIZE free (and SIZE in all). */
#define RES_ENV_FAKE_DISK_FREE "IOLAB_FAKE_DISK_FREE"
/* Test-only: pretend /proc/meminfo's MemAvailable is SIZE. */
#define RES_ENV_FAKE_MEM_AVAILABLE "IOLAB_FAKE_MEM_AVAILABLE"

/* What the host has; res_probe() fills it. */
struct res_host {
	int64_t dir_free;      /* statvfs: bytes an unprivileged writer may still use */
	int64_t dir_total;     /* statvfs: the file system's size */
	bool dir_in_memory;    /* tmpfs or ramfs: what is written there takes host memory */
	int64_t mem_available; /* /proc/meminfo MemAvailable */
};

/* What VMs run at once will take. */
struct res_need {
	const char *dir;    /* where their disks live ("/dev/shm") */
	long vms;           /* VMs at once */
	int ndisks;         /* disks per VM */
	int64_t disk_size;  /* one disk's size: sparse, so not all of it is written */
	int64_t fill;       /* bytes one VM writes into its disks, at most */
	char fill_what[96]; /* how fill is made up, for messages: "file_size 512M + ..." */
	int64_t guest_mem;  /* one VM's memory */
	/* What to change, in the command's own words, when a check fails. */
	const char *fix_fill; /* the disks' bytes do not fit the directory */
	const char *fix_mem;  /* the memory does not fit */
	const char *fix_size; /* one disk is larger than the whole file system */
};

/* a * b, or INT64_MAX instead of overflowing: absurd sizes must still be refused. */
int64_t res_mul(int64_t a, int64_t b);
int64_t res_add(int64_t a, int64_t b);
/* "1.5 GiB", "180 MiB" (rounded up, so a need never reads smaller than it is); caller frees. */
char *res_human(int64_t bytes);

/*
 * The bytes mkfs.ext4 writes on a disk of disk_size, with the lab's -E
 * lazy_itable_init=0,lazy_journal_init=0 (which make it write everything
 * at once): mke2fs's default journal for the disk and block size (or -J
 * size=), the inode tables (-i, -I, -N or mke2fs's defaults), and 64 MiB +
 * 1 % of the disk for bitmaps, group descriptors, reserved GDT blocks and
 * superblock backups.
 */
int64_t res_mkfs_metadata(int64_t disk_size, const char *mkfs_args);

/*
 * The bytes one VM of a matrix writes into its disk, at most: the test file
 * (file_size, when a workload writes data: every one but read_hole; one
 * file at a time, since each sample deletes its file and the next reuses
 * the freed blocks) plus the largest fs config's mkfs metadata, never more
 * than disk_size.
 */
int64_t bench_disk_fill(const struct matrix *m);
/* The bench's need for vms VMs at once whose disks live in dir. */
void bench_resources_need(const struct matrix *m, long vms, const char *dir, struct res_need *n);

/*
 * fstests: its sections run one after the other, one VM each, so the
 * largest is what the host must hold.  A run (full) counts TEST_DEV and
 * SCRATCH_DEV in full: fstests fills devices on purpose (ENOSPC tests) and
 * TEST_DEV keeps what tests leave on it.  --check-configs and --list only
 * make file systems: their mkfs metadata.  disk_size > 0 overrides the
 * sections' IOLAB_DISK_SIZE, as --disk-size does.
 */
struct fstests_configs;
void fstests_resources_need(const struct fstests_configs *c, const struct strvec *sections,
                            int64_t disk_size, int64_t guest_mem, bool full, const char *dir,
                            struct res_need *n);

int64_t res_disk_bytes(const struct res_need *n);
/* Guest memory, QEMU's overhead, and the disks' bytes too when they live in memory. */
int64_t res_mem_bytes(const struct res_need *n, const struct res_host *h);

/*
 * NULL when the need fits the host, else one line naming the numbers and
 * what to change (caller frees).  In order: the disks' bytes against the
 * directory's free space, the memory against MemAvailable, and one disk's
 * full size against the directory's total size (a guest may fill its disk,
 * and a host that cannot hold it turns that into I/O errors in the guest).
 */
char *res_check(const struct res_need *n, const struct res_host *h);
/* "needs: /dev/shm 1.2 GiB of 11.7 GiB free, memory 2.5 GiB of 20.1 GiB available". */
char *res_summary(const struct res_need *n, const struct res_host *h);
/* NULL when need fits free, else one line: "<what> needs X in DIR, which has Y free: FIX". */
char *res_check_space(const char *what, const char *dir, int64_t need, int64_t free,
                      const char *fix);

/*
 * Reads the host: statvfs(dir) and /proc/meminfo, or the test-only
 * IOLAB_FAKE_DISK_FREE / IOLAB_FAKE_MEM_AVAILABLE.  -1 after one error line.
 */
int res_probe(const char *dir, struct res_host *h);
/* The directory memory-backed disks live in ("memory" -> /dev/shm), else backing itself. */
const char *res_backing_dir(const char *backing);

/* The numbers, for run and plan metadata. */
json_t *res_json(const struct res_need *n, const struct res_host *h);

/*
 * vms VMs of m at once on this host: 0 with *summary (res_summary) and
 * *why (res_check: NULL when they fit), both for the caller to free; -1
 * after one error line when the host cannot be read.  With json, also the
 * numbers (res_json).
 */
int bench_resources_eval(const struct matrix *m, long vms, char **summary, char **why,
                         json_t **json);
/* The same, refusing: -1 after one error line when they do not fit. */
int bench_resources_check(const struct matrix *m, long vms, char **summary);

#endif
