/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_CACHE_H
#define IOLAB_CACHE_H

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

#endif
