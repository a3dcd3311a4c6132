/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_KERNEL_H
#define IOLAB_KERNEL_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

/* The default source: the newest 7.x the lab is known to work with. */
#define KERNEL_DEFAULT_SOURCE "debian:linux-source-7.3"

/* ---- source: where the pristine tree comes from ---- */
struct ksource {
	char *spec;     /* as the user gave it: debian:linux-source-7.3, a path, a tarball */
	char *kind;     /* "debian", "git", "tree", "tarball" */
	char *identity; /* exact identity: package=version, git HEAD (+dirty hash), tarball sha */
	char *location; /* stable name of the place (package name, absolute path) */
	char *tree;     /* the pristine tree, read-only from here on */
	char *base; /* what it is, as series name their bases: "7.3.4", "v7.3-rc4", "next-20260122"
	             */
};
int ksource_resolve(const char *spec, struct ksource *src);
void ksource_free(struct ksource *src);
/* The base a tree's Makefile (and localversion-next) says it is; caller frees. */
char *tree_base(const char *tree);

/* ---- series: kernel-patches/<name>/series.ini ---- */
struct series_version {
	char *name;       /* "v3" */
	char *message_id; /* lore Message-ID of the cover letter */
	char *patchwork;  /* patchwork series id, may be NULL */
	char *base;       /* kernel it applies to */
	char *date;
	char *source; /* where the Message-ID was confirmed */
	char *ports;  /* bases it was ported onto, space-separated ("7.3.4"), may be NULL */
	int patches;
};

struct series {
	char *name; /* directory name */
	char *dir;  /* kernel-patches/<name> */
	char *title;
	char *enable_option;   /* mount option selecting the path under test */
	char *disable_option;  /* mount option selecting the baseline path */
	char *evidence_events; /* tracepoint subsystem proving the path ran */
	char *own_events;      /* the series' own tracepoints of the new path, may be NULL */
	char *default_version;
	struct series_version *versions;
	size_t nversions;
};
/* Parses <dir>/series.ini; returns -1 after one error line naming file and line. */
int series_load(const char *dir, struct series *s);
void series_free(struct series *s);
const struct series_version *series_find_version(const struct series *s, const char *v);
/* The directory kernel-patches/ of this checkout (next to the binary, or $IOLAB_PATCHES). */
char *series_root(void);
/* The user's patch store ($IOLAB_PATCH_STORE, set by --patch-store), or NULL. */
char *patch_store(void);

/*
 * The version (and port) of a series that fits a tree's base, and where its
 * patches are: a drop-in beside series.ini, the patch store, or b4 (online).
 */
struct series_pick {
	struct series s;
	const struct series_version *v;
	char *port;         /* "7.3.4" when the patches are a port of v, else NULL */
	char *applies_to;   /* the base the picked patches were made for, may be NULL */
	char *patches_path; /* where they are; NULL when none could be obtained */
	char *origin;       /* "drop-in", "patch store" or "b4" */
	char *port_notes;   /* the port's PORT.md, or NULL */
	char *missing;      /* why patches_path is NULL, one line */
};
/*
 * spec is "name", "name@v2" or "name@v2-on-7.3.4".  Unpinned: the newest
 * version that fits base and can be obtained.  Returns -1 after one error
 * line for a bad spec or a pinned version that does not fit base; a fitting
 * version whose patches are nowhere returns 0 with patches_path NULL.
 */
int series_pick(const char *spec, const char *base, struct series_pick *p);
void series_pick_free(struct series_pick *p);
/* "name@v2" or "name@v2-on-7.3.4"; caller frees. */
char *series_pick_id(const struct series_pick *p);

/* ---- patches: a list of mails or diffs, applied in order ---- */
struct patch {
	char *subject; /* "ext4: add iomap address space operations for buffered I/O" */
	char *path;    /* the single-patch file the lab wrote or was given */
	char sha256[65];
};

struct patch_list {
	struct patch *v;
	size_t n;
};
/* Loads an mbox, a directory of *.patch / *.diff / *.mbx, or one patch file. */
int patches_load(const char *path, const char *split_dir, struct patch_list *pl);
void patches_free(struct patch_list *pl);
/* Keeps the first n patches. */
void patches_truncate(struct patch_list *pl, size_t n);
/*
 * Applies pl to tree in order, each after a dry run.  On the first failure:
 * one error naming the patch subject and the file that failed; returns -1.
 * log receives patch(1)'s output.
 */
int patches_apply(const struct patch_list *pl, const char *tree, const char *log);
/* Applies the list to copies of the files it touches, under scratch. */
int patches_check(const struct patch_list *pl, const char *tree, const char *scratch,
                  const char *log);

/* ---- config: tinyconfig + fragments, verified ---- */
struct kconfig_sym {
	char *name;  /* CONFIG_FOO */
	char *value; /* "y", "m", "n" (from "is not set"), a number or a "string" */
	char *where; /* fragment:line */
};

struct kconfig_frag {
	struct kconfig_sym *v;
	size_t n;
};
int kconfig_parse(const char *path, struct kconfig_frag *f);
void kconfig_free(struct kconfig_frag *f);
/* Value of name in a .config text, "n" when unset or absent; caller frees. */
char *kconfig_value(const char *dotconfig, const char *name);
/*
 * Compares what fragments asked for with the final .config.  Returns the
 * number of mismatches and appends "CONFIG_X=want (got have) [frag:line]"
 * lines to report.
 */
int kconfig_verify(const char *dotconfig, const struct kconfig_frag *wanted, struct strbuf *report);
/* The lab's fragments: the .config files of vm/kconfig, in name order. */
int kconfig_default_fragments(struct strvec *paths);

/* ---- build ---- */
struct kernel_opts {
	char *source;
	char *series; /* "name" or "name@v3", may be NULL */
	struct strvec patches;
	struct strvec configs;
	long jobs;
	bool force;
	bool no_series_ok; /* missing series patches: warn and build without */
	long series_upto;  /* > 0: only the series' first N patches (a point of a walk) */
};

/* Builds (or finds in the cache) a kernel; returns its key. */
int kernel_build(const struct kernel_opts *o, char **key);

/* What one build cost and, when it failed, why: a walk reports both per point. */
struct kernel_build_result {
	bool cache_hit;
	double seconds;      /* from taking the slot's lock to the kernel stored */
	double wait_seconds; /* waiting for another build of the same slot */
	char *error;         /* one line: the first compiler error, or the step that failed */
	char *log;           /* a failed build's log, kept under <cache>/logs; may be NULL */
};
/* kernel_build(), filling res (may be NULL); free it with kernel_build_result_free(). */
int kernel_build_ex(const struct kernel_opts *o, char **key, struct kernel_build_result *res);
void kernel_build_result_free(struct kernel_build_result *res);
/*
 * The first line of a build log that names a compiler or linker error, with
 * colour escapes and the tree's path prefix (may be NULL) removed, or NULL.
 */
char *kernel_log_first_error(const char *log_text, const char *tree);
/* Cache directory of a kernel given a path, or a key, unique key prefix or 'latest' (cache_entry).
 */
char *kernel_dir(const char *key_or_path);
json_t *kernel_meta(const char *key_or_path);
/* The key derived from all inputs; exposed for tests. */
struct kernel_inputs {
	const char *source_identity;
	const struct patch_list *patches;
	const struct strvec *fragments; /* paths, in merge order */
	const char *compiler;
	const char *series; /* "name@version" or NULL */
};
void kernel_key(const struct kernel_inputs *in, char out[65]);

#endif
