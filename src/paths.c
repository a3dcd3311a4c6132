// SPDX-License-Identifier: GPL-2.0
#include "paths.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return xstrdup(".");
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return xstrdup(buf);
}

char *data_path(const char *rel)
{
	const char *home = getenv("IOLAB_HOME");
	char *dir, *found = NULL;

	if (home && *home) {
		char *cand = path_join(home, rel);

		found = realpath(cand, NULL);
		free(cand);
		return found;
	}
	dir = exe_dir();
	for (int up = 0; up <= 3 && !found; up++) {
		struct strbuf sb = STRBUF_INIT;

		sb_adds(&sb, dir);
		for (int i = 0; i < up; i++)
			sb_adds(&sb, "/..");
		sb_addf(&sb, "/%s", rel);
		found = realpath(sb.buf, NULL);
		sb_release(&sb);
	}
	free(dir);
	return found;
}

char *find_data_dir(const char *envvar, const char *rel)
{
	const char *env = envvar ? getenv(envvar) : NULL;

	if (env && *env)
		return xstrdup(env);
	return data_path(rel);
}
