// SPDX-License-Identifier: GPL-2.0
/*
 * Config fragments and their verification.  Kconfig silently drops a
 * symbol whose dependencies are not met, so a fragment asking for
 * CONFIG_BLK_DEV_PMEM=y proves nothing until the final .config is read back.
 */
#include "kernel.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"

void kconfig_free(struct kconfig_frag *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
		free(f->v[i].where);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static void kconfig_set(struct kconfig_frag *f, const char *name, const char *value,
                        const char *where)
{
	/* A later line for the same symbol wins, as in merge_config.sh. */
	for (size_t i = 0; i < f->n; i++) {
		if (!strcmp(f->v[i].name, name)) {
			free(f->v[i].value);
			free(f->v[i].where);
			f->v[i].value = xstrdup(value);
			f->v[i].where = xstrdup(where);
			return;
		}
	}
	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	f->v[f->n].name = xstrdup(name);
	f->v[f->n].value = xstrdup(value);
	f->v[f->n].where = xstrdup(where);
	f->n++;
}

static bool valid_symbol(const char *s, size_t n)
{
	if (n <= 7 || strncmp(s, "CONFIG_", 7))
		return false;
	for (size_t i = 7; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

int kconfig_parse(const char *path, struct kconfig_frag *f)
{
	char *text = read_file(path, NULL);
	char *save = NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int lineno = 0, ret = 0;

	if (!text)
		return error("cannot read config fragment %s: %s", path, strerror(errno));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line), *eq;
		char where[256];

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", base, lineno);
		if (starts_with(l, "# CONFIG_") && ends_with(l, " is not set")) {
			char *name = l + 2;

			name[strlen(name) - strlen(" is not set")] = '\0';
			kconfig_set(f, name, "n", where);
			continue;
		}
		if (!*l || *l == '#')
			continue;
		eq = strchr(l, '=');
		if (!eq || !valid_symbol(l, (size_t)(eq - l))) {
			ret = error("%s:%d: not a Kconfig line: '%s' (expected CONFIG_FOO=y or "
			            "'# CONFIG_FOO is not set')",
			            path, lineno, l);
			break;
		}
		*eq = '\0';
		kconfig_set(f, l, eq + 1, where);
	}
	free(text);
	return ret;
}

char *kconfig_value(const char *dotconfig, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = dotconfig; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > n && !strncmp(p, name, n) && p[n] == '=')
			return xstrndup(p + n + 1, len - n - 1);
		p = eol ? eol + 1 : p + len;
	}
	return xstrdup("n");
}

int kconfig_verify(const char *dotconfig, const struct kconfig_frag *wanted, struct strbuf *report)
{
	int bad = 0;

	for (size_t i = 0; i < wanted->n; i++) {
		const struct kconfig_sym *s = &wanted->v[i];
		char *have = kconfig_value(dotconfig, s->name);

		if (strcmp(have, s->value)) {
			sb_addf(report, "  %s=%s (got %s) [%s]\n", s->name, s->value, have,
			        s->where);
			bad++;
		}
		free(have);
	}
	return bad;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kconfig_default_fragments(struct strvec *paths)
{
	char *dir = data_path("vm/kconfig");
	DIR *d;
	struct dirent *de;
	size_t first = paths->n;

	if (!dir)
		return error("cannot find vm/kconfig/ (set IOLAB_HOME to the iolab checkout)");
	d = opendir(dir);
	if (!d) {
		error("cannot read %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(d)))
		if (ends_with(de->d_name, ".config"))
			sv_pushf(paths, "%s/%s", dir, de->d_name);
	closedir(d);
	free(dir);
	qsort(paths->v + first, paths->n - first, sizeof(*paths->v), cmp_str);
	return 0;
}
