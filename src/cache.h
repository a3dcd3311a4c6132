/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_CACHE_H
#define IOLAB_CACHE_H

#include <stdbool.h>

/*
 * The lab's cache: downloaded packages, unpacked sources, kernel builds and
 * guest images, each under a key derived from its inputs.  Lives in
 * --cache DIR, else $IOLAB_CACHE, else $XDG_CACHE_HOME/iolab, else
 * ~/.cache/iolab.
 */
void cache_set_root(const char *dir);
const char *cache_root(void);
/* cache_root()/<formatted>, created as a directory. Caller frees. */
char *cache_dir(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Takes an exclusive lock on cache_root()/locks/<name>; returns an fd to close. */
int cache_lock(const char *name);

/*
 * The keyed entries, kernels/<key>/ and images/<key>/, each whole once its
 * meta.json is there, are named the same way for both kinds: a full key, a
 * unique key prefix, or "latest": the whole entry whose meta.json was
 * written last.  take, when not NULL, narrows what may be found (images: a
 * root.sqfs; for "latest", the default suite's).  Returns the entry's
 * directory; NULL when nothing matches, after one error line when a prefix
 * matches more than one.
 */
char *cache_entry(const char *kind, const char *name, bool (*take)(const char *dir, bool latest));
/* 64 lowercase hex digits: an entry's name (build directories and old links are not). */
bool cache_is_key(const char *s);

#endif
