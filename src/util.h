/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_UTIL_H
#define IOLAB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Messages: every line the lab prints about itself starts with "iolab:" so a
 * user can tell them apart from the tools it drives.  error() returns -1 so a
 * caller can write "return error(...)".
 */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The text of the newest error() (without "iolab: error: "), or NULL: a caller
 * that goes on after a failure (a walk over a series) can record why.
 */
const char *last_error(void);
/* Silences info() (tests, --quiet). */
extern bool iolab_quiet;

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A growable string; buf is always NUL-terminated once anything was added. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_addc(struct strbuf *sb, char c);
void sb_reset(struct strbuf *sb);
void sb_release(struct strbuf *sb);
/* Hands the buffer over (never NULL) and leaves sb empty. */
char *sb_detach(struct strbuf *sb);

/* A NULL-terminated growable vector of owned strings (argv, lists). */
struct strvec {
	char **v;
	size_t n;
	size_t alloc;
};
#define STRVEC_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void sv_push(struct strvec *sv, const char *s);
void sv_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sv_clear(struct strvec *sv);
/* Splits s on any of seps, dropping empty fields and trimming blanks. */
void sv_split(struct strvec *sv, const char *s, const char *seps);
bool sv_contains(const struct strvec *sv, const char *s);

/* Files. */
char *read_file(const char *path, size_t *len);
/* Writes through a temporary and rename(), so readers never see half a file. */
int write_file(const char *path, const void *buf, size_t len);
int write_str(const char *path, const char *s);
int mkdir_p(const char *path);
int rm_rf(const char *path);
int copy_file(const char *src, const char *dst);
bool path_exists(const char *path);
bool is_dir(const char *path);
bool is_executable(const char *path);
char *path_join(const char *a, const char *b);
/* Absolute form of path (which need not exist); caller frees. */
char *abs_path(const char *path);
/* The first program called name on PATH, or NULL. */
char *which(const char *name);
char *trim(char *s);
bool starts_with(const char *s, const char *prefix);
bool ends_with(const char *s, const char *suffix);

/* Sizes like "4k", "64K", "1M", "2g" (binary units); -1 on bad input. */
int64_t parse_size(const char *s);
/* "1k", "64k", "1M": the shortest exact binary-unit spelling. */
char *format_size(int64_t bytes);

/* SHA-256, hex-encoded; used for cache keys and provenance. */
struct hasher;
struct hasher *hasher_new(void);
void hasher_add(struct hasher *h, const void *data, size_t len);
void hasher_adds(struct hasher *h, const char *s);
/* Adds a labelled field, so that ("ab","c") and ("a","bc") hash apart. */
void hasher_field(struct hasher *h, const char *name, const char *value);
int hasher_add_file(struct hasher *h, const char *path);
/* Writes 64 hex digits and a NUL, frees h. */
void hasher_final(struct hasher *h, char out[65]);
int sha256_file_hex(const char *path, char out[65]);
void sha256_hex(const void *data, size_t len, char out[65]);

double now_seconds(void);
/* UTC "20261121-201503": run ids and run directories, which sort by it. */
char *stamp_now(void);
/* UTC "2026-11-21T20:15:03Z". */
char *iso_time_now(void);

#endif
