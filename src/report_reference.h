/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_REPORT_REFERENCE_H
#define IOLAB_REPORT_REFERENCE_H

#include <stddef.h>

#include "util.h"

/*
 * Published numbers a run is held against: bench/reference/<name>.ini, one
 * section per workload with "<bs>.<path> = MiB/s" keys, and a [source]
 * section saying where the numbers were published (bench/reference/README.md).
 */

#define REFERENCE_ENV     "IOLAB_REFERENCE"
#define REFERENCE_SUBDIR  "bench/reference"
#define REFERENCE_DEFAULT "cover-letter-v3"

struct reference_value {
	const char *workload;
	/* As spelt in the file: "1k", "64k", "1M". */
	const char *bs;
	int64_t bs_bytes;
	const char *path;
	double mibs;
};

struct reference {
	char *name;
	char *file;
	/* [source] keys and values, in file order. */
	struct strvec source_keys;
	struct strvec source_values;
	/* Workload sections in file order, with their "title" and "table" keys ("" when absent). */
	struct strvec workloads;
	struct strvec titles;
	struct strvec tables;
	/* Every block size seen, smallest first; every path seen, in file order. */
	struct strvec block_sizes;
	struct strvec paths;
	/* Strings point into the vectors above. */
	struct reference_value *values;
	size_t nvalues;
	size_t alloc;
};

/* $IOLAB_REFERENCE, else bench/reference/ found beside the executable; NULL if neither. */
char *reference_dir(void);
/* Loads dir/<name>.ini; NULL after one error line on a bad name, missing file or bad content. */
struct reference *reference_load(const char *dir, const char *name);
struct reference *reference_load_file(const char *file);
void reference_free(struct reference *r);

/* The MiB/s for (workload, bs, path); bs may be spelt any way parse_size() takes. */
const struct reference_value *reference_find(const struct reference *r, const char *workload,
                                             const char *bs, const char *path);
/* As reference_find(), 0 with *mibs set, or -1 after an error line naming what is missing. */
int reference_lookup(const struct reference *r, const char *workload, const char *bs,
                     const char *path, double *mibs);
/* iomap / bh for (workload, bs); -1 after an error line when either is missing. */
int reference_ratio(const struct reference *r, const char *workload, const char *bs, double *ratio);
/* A [source] value, or NULL. */
const char *reference_source(const struct reference *r, const char *key);
/* A workload's "title" key, or the workload's own name. */
const char *reference_title(const struct reference *r, const char *workload);

#endif
