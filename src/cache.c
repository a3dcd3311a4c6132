// SPDX-License-Identifier: GPL-2.0
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
