/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_FSTESTS_H
#define IOLAB_FSTESTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"
#include "vm.h"

/*
 * fstests (xfstests) in the lab: ext4 sections in fstests' own local.config
 * format (fstests-configs/), fstests built for the guest's userland, run in
 * a VM with TEST_DEV and SCRATCH_DEV, and its JUnit results summarized and
 * compared, bh against iomap.
 */

#define FSTESTS_CONFIGS_DEFAULT "fstests-configs/ext4.config"
#define FSTESTS_GUEST_DIR       "/opt/fstests"

/* ---- configurations (fstests_config.c) ---- */

struct fstests_section {
	char *name;         /* "4k-iomap" */
	int line;           /* of its [header] */
	struct strvec vars; /* "KEY=value" in file order, quotes removed */
	/* What the lab reads from it (all checked at load). */
	const char *mkfs_options;       /* MKFS_OPTIONS */
	const char *test_mount_options; /* TEST_FS_MOUNT_OPTS, "-o a,b -o c" */
	const char *path;               /* IOLAB_PATH: "bh" or "iomap" */
	struct strvec exclude_files;    /* IOLAB_EXCLUDE, absolute paths */
	struct strvec exclude_groups;   /* IOLAB_EXCLUDE_GROUPS */
	int64_t disk_size;              /* IOLAB_DISK_SIZE */
};

struct fstests_configs {
	char *path;
	struct fstests_section *v;
	size_t n;
};

/* Loads and checks every section; -1 after one error line naming file:line. */
int fstests_configs_load(const char *path, struct fstests_configs *c);
void fstests_configs_free(struct fstests_configs *c);
/* The section called name, or NULL after an error listing the names there are. */
const struct fstests_section *fstests_section_find(const struct fstests_configs *c,
                                                   const char *name);
/* A variable of the section, or NULL. */
const char *fstests_var(const struct fstests_section *s, const char *key);

/* "-o acl,user_xattr -o block_validity,x" -> "acl,user_xattr,block_validity,x" (mount data). */
char *fstests_mount_data(const char *mount_options);
/* The same "-o ..." string without the option opt (an exact, whole option). */
char *fstests_drop_mount_option(const char *mount_options, const char *opt);

/* Where the guest's devices and directories are. */
struct fstests_devices {
	const char *test_dev, *test_dir, *scratch_dev, *scratch_mnt, *result_base;
};
/*
 * The guest's local.config: the section alone, after the devices; when
 * drop_option is set, it is taken out of every mount option variable.
 */
char *fstests_local_config(const struct fstests_section *s, const struct fstests_devices *d,
                           const char *drop_option);

/* What a mkfs.ext4 command line promises about the file system it makes. */
struct mkfs_expect {
	long block_size;                         /* -b; 0 when not asked */
	long cluster_size;                       /* -C */
	long inode_size;                         /* -I */
	struct strvec features_on, features_off; /* -O a,^b */
};
int fstests_mkfs_expect(const char *mkfs_options, struct mkfs_expect *e);
void mkfs_expect_free(struct mkfs_expect *e);
/* The value after "Field:" on its own line of dumpe2fs -h output, or NULL. */
char *fstests_dumpe2fs_field(const char *dump, const char *field);
/* NULL when dumpe2fs -h output shows what e promises, else one line saying what differs. */
char *fstests_mkfs_verify(const struct mkfs_expect *e, const char *dumpe2fs);

/* ---- building fstests for the guest (fstests_build.c) ---- */

struct fstests_tree {
	char *dir;    /* the checkout, absolute */
	char *id;     /* SHA-256 over the files a build uses */
	char *commit; /* git HEAD, or NULL outside git */
	bool dirty;   /* tracked files differ from HEAD */
	size_t nfiles;
};
/* Identifies a checkout; -1 after one error line when it is not fstests. */
int fstests_tree_scan(const char *dir, struct fstests_tree *t);
void fstests_tree_free(struct fstests_tree *t);
/* Clones (or updates) url into the cache; *dir_out gets the checkout. */
int fstests_clone(const char *url, char **dir_out);
/*
 * Builds the checkout in a chroot of suite's userland (cached by the tree's
 * id and the suite) and the guest image with it at /opt/fstests.
 */
int fstests_image(const struct fstests_tree *t, const char *suite, char **image_key_out,
                  char **build_key_out);

/* ---- results (fstests_results.c) ---- */

enum fstests_status {
	FST_PASS,
	FST_FAIL,
	FST_SKIP,
	FST_ERROR, /* the machine crashed or hung during the test */
};

struct fstests_case {
	char *name;
	enum fstests_status status;
	double time;
	char *message;
};

struct fstests_result {
	char *section;
	char *kernel; /* the KERNEL property, when present */
	struct fstests_case *v;
	size_t n;
	double time; /* the testsuite's time; the cases' sum when it has none */
};

/* Parses fstests' xunit report (result.xml); -1 after one error line. */
int fstests_result_parse(const char *xml, size_t len, const char *what, struct fstests_result *r);
/* A result.xml, or a directory holding one. */
int fstests_result_load(const char *path, struct fstests_result *r);
void fstests_result_free(struct fstests_result *r);
const struct fstests_case *fstests_result_find(const struct fstests_result *r, const char *name);

struct fstests_counts {
	size_t tests, failures, errors, skipped;
};
void fstests_result_count(const struct fstests_result *r, struct fstests_counts *c);
/* kvm-xfstests' lines: "4k: 12 tests, 1 failures, 3 skipped, 250 seconds", then the failures. */
void fstests_summary_print(FILE *f, const char *label, const struct fstests_result *r);

/* Tests compared between two sections. */
struct fstests_diff {
	struct strvec only_b;    /* fail (or error) in b, pass in a: b's regressions */
	struct strvec only_a;    /* fail in a, pass in b */
	struct strvec both;      /* fail in both */
	struct strvec unmatched; /* fail in one, skipped or absent in the other */
};
void fstests_diff(const struct fstests_result *a, const struct fstests_result *b,
                  struct fstests_diff *d);
void fstests_diff_free(struct fstests_diff *d);
void fstests_diff_print(FILE *f, const char *a_label, const char *b_label,
                        const struct fstests_diff *d);

/* A test the machine did not come back from. */
struct fstests_error {
	const char *test;
	const char *message;
};
/*
 * Writes one xunit testsuite to out: the testcases of the parts (result.xml
 * of successive boots; missing ones are skipped) in order, plus an error
 * testcase per crash, with the counts recomputed.
 */
int fstests_results_merge(const struct strvec *parts, const struct fstests_error *errors,
                          size_t nerrors, const char *section, const char *out);

/* ---- running (fstests_run.c) ---- */

struct fstests_run_opts {
	const struct fstests_configs *configs;
	const struct strvec *sections;
	const struct strvec *groups;  /* check -g */
	const struct strvec *xgroups; /* check -x, beyond the sections' own */
	const struct strvec *tests;   /* explicit tests */
	const char *image;            /* the fstests image key */
	const struct fstests_tree *tree;
	const char *build_key;
	struct vm_config vm; /* kernel, accel, mem, cpus, backing */
	int64_t disk_size;   /* 0: the section's IOLAB_DISK_SIZE */
	double test_timeout; /* a test running longer is a hung machine */
	const char *results; /* results/fstests */
	bool list_only;      /* check -n: say which tests would run */
};

/*
 * Runs the sections one after the other, each in VMs of its own, and stores
 * results/fstests/<run-id>/<section>/.  Returns 0 when every section ran
 * (failures are results), 1 when one could not; *run_dir_out gets the run's
 * directory.
 */
int fstests_run(const struct fstests_run_opts *o, char **run_dir_out);

/*
 * Boots one guest (any image) and checks each section's mkfs against
 * dumpe2fs and its mount options against the kernel; no fstests needed.
 * Returns 1 when one does not make what it says.
 */
int fstests_check_configs(const struct fstests_run_opts *o, char **run_dir_out);

#endif
