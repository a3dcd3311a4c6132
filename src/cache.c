// SPDX-License-Identifier: GPL-2.0
#include "cache.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char *root;

void cache_set_root(const char *dir)
{
	free(root);
	root = abs_path(dir);
}

const char *cache_root(void)
{
	const char *env;

	if (root)
		return root;
	if ((env = getenv("IOLAB_CACHE")) && *env)
		root = abs_path(env);
	else if ((env = getenv("XDG_CACHE_HOME")) && *env)
		root = xasprintf("%s/iolab", env);
	else if ((env = getenv("HOME")) && *env)
		root = xasprintf("%s/.cache/iolab", env);
	else
		root = xstrdup("/var/tmp/iolab-cache");
	return root;
}

char *cache_dir(const char *fmt, ...)
{
	va_list ap;
	char *sub, *path;

	va_start(ap, fmt);
	sub = xvasprintf(fmt, ap);
	va_end(ap);
	path = path_join(cache_root(), sub);
	free(sub);
	if (mkdir_p(path) < 0)
		die("cannot create cache directory %s: %s (set --cache DIR or IOLAB_CACHE)", path,
		    strerror(errno));
	return path;
}

int cache_lock(const char *name)
{
	char *dir = cache_dir("locks");
	char *path = path_join(dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		die("cannot open lock %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		info("waiting for another iolab holding %s", path);
		if (flock(fd, LOCK_EX) < 0)
			die("cannot lock %s: %s", path, strerror(errno));
	}
	free(dir);
	free(path);
	return fd;
}

static bool hex_lower(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n == max || !isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return false;
	return n > 0;
}

bool cache_is_key(const char *s)
{
	return hex_lower(s, 64) && strlen(s) == 64;
}

/* Later mtime wins; the key breaks a tie, so "latest" never depends on readdir's order. */
static bool newer(const struct stat *st, const char *key, const struct timespec *best,
                  const char *best_key)
{
	if (!best_key)
		return true;
	if (st->st_mtim.tv_sec != best->tv_sec)
		return st->st_mtim.tv_sec > best->tv_sec;
	if (st->st_mtim.tv_nsec != best->tv_nsec)
		return st->st_mtim.tv_nsec > best->tv_nsec;
	return strcmp(key, best_key) > 0;
}

char *cache_entry(const char *kind, const char *name, bool (*take)(const char *dir, bool latest))
{
	bool latest = !strcmp(name, "latest");
	char *dir_of_kind, *found = NULL, *found_key = NULL;
	struct timespec best = {0};
	size_t matches = 0;
	struct dirent *de;
	DIR *d;

	if (!latest && !hex_lower(name, 64))
		return NULL;
	dir_of_kind = cache_dir("%s", kind);
	d = opendir(dir_of_kind);
	while (d && (de = readdir(d))) {
		char *dir, *meta;
		struct stat st;
		bool ok;

		if (!cache_is_key(de->d_name) || (!latest && !starts_with(de->d_name, name)))
			continue;
		dir = path_join(dir_of_kind, de->d_name);
		meta = path_join(dir, "meta.json");
		ok = stat(meta, &st) == 0 && (!take || take(dir, latest));
		free(meta);
		if (ok && (latest ? newer(&st, de->d_name, &best, found_key) : ++matches == 1)) {
			best = st.st_mtim;
			free(found);
			free(found_key);
			found = dir;
			found_key = xstrdup(de->d_name);
		} else {
			free(dir);
		}
	}
	if (d)
		closedir(d);
	if (matches > 1) {
		error("key prefix '%s' matches %zu entries in %s; give more of it", name, matches,
		      dir_of_kind);
		free(found);
		found = NULL;
	}
	free(found_key);
	free(dir_of_kind);
	return found;
}
