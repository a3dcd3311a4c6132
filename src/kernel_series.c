// SPDX-License-Identifier: GPL-2.0
/*
 * kernel-patches/<series>/series.ini: what a person needs to know about a
 * patch series at a glance (title, versions with their lore Message-IDs,
 * the mount options that switch the path under test), read with inih.
 */
#include "kernel.h"

#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "ini_line.h"
#include "paths.h"

struct series_parse {
	struct series *s;
	const char *file;
	int bad_line;
	char *why;
};

static char **series_field(struct series *s, const char *key)
{
	if (!strcmp(key, "title"))
		return &s->title;
	if (!strcmp(key, "enable_option"))
		return &s->enable_option;
	if (!strcmp(key, "disable_option"))
		return &s->disable_option;
	if (!strcmp(key, "evidence_events"))
		return &s->evidence_events;
	if (!strcmp(key, "default_version"))
		return &s->default_version;
	return NULL;
}

static char **version_field(struct series_version *v, const char *key)
{
	if (!strcmp(key, "message_id"))
		return &v->message_id;
	if (!strcmp(key, "patchwork"))
		return &v->patchwork;
	if (!strcmp(key, "base"))
		return &v->base;
	if (!strcmp(key, "date"))
		return &v->date;
	if (!strcmp(key, "source"))
		return &v->source;
	return NULL;
}

static struct series_version *version_for(struct series *s, const char *section)
{
	for (size_t i = 0; i < s->nversions; i++)
		if (!strcmp(s->versions[i].name, section))
			return &s->versions[i];
	s->versions = xrealloc(s->versions, (s->nversions + 1) * sizeof(*s->versions));
	memset(&s->versions[s->nversions], 0, sizeof(*s->versions));
	s->versions[s->nversions].name = xstrdup(section);
	return &s->versions[s->nversions++];
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct series_parse *p = user;
	char **field = NULL;

	if (p->why)
		return 1;
	if (!strcmp(section, "series")) {
		field = series_field(p->s, key);
	} else if (section[0] == 'v' && section[1] >= '0' && section[1] <= '9') {
		struct series_version *v = version_for(p->s, section);

		if (!strcmp(key, "patches")) {
			v->patches = atoi(value);
			return 1;
		}
		field = version_field(v, key);
	} else {
		p->why = xasprintf("unknown section [%s] (expected [series] or [vN])", section);
		p->bad_line = ini_line_of(p->file, section, NULL);
		return 1;
	}
	if (!field) {
		p->why = xasprintf("unknown key '%s' in [%s]", key, section);
		p->bad_line = ini_line_of(p->file, section, key);
		return 1;
	}
	free(*field);
	*field = xstrdup(value);
	return 1;
}

int series_load(const char *dir, struct series *s)
{
	char *file = path_join(dir, "series.ini");
	struct series_parse p = {.s = s, .file = file};
	const char *slash;
	int rc, ret = 0;

	memset(s, 0, sizeof(*s));
	slash = strrchr(dir, '/');
	s->name = xstrdup(slash ? slash + 1 : dir);
	s->dir = xstrdup(dir);
	rc = ini_parse(file, on_entry, &p);
	if (rc < 0)
		ret = error("cannot read %s: is '%s' a series under kernel-patches/?", file,
		            s->name);
	else if (rc > 0 && !p.why)
		ret = error("%s:%d: not INI syntax", file, rc);
	else if (p.why)
		ret = error("%s:%d: %s", file, p.bad_line, p.why);
	else if (!s->title || !s->enable_option || !s->disable_option)
		ret = error("%s: [series] needs title, enable_option and disable_option", file);
	else if (!s->nversions)
		ret = error("%s: no [vN] version sections", file);
	for (size_t i = 0; ret == 0 && i < s->nversions; i++)
		if (!s->versions[i].message_id)
			ret = error("%s: [%s] has no message_id", file, s->versions[i].name);
	if (ret == 0 && s->default_version && !series_find_version(s, s->default_version))
		ret = error("%s: default_version %s has no [%s] section", file, s->default_version,
		            s->default_version);
	free(p.why);
	free(file);
	if (ret < 0)
		series_free(s);
	return ret;
}

void series_free(struct series *s)
{
	for (size_t i = 0; i < s->nversions; i++) {
		struct series_version *v = &s->versions[i];

		free(v->name);
		free(v->message_id);
		free(v->patchwork);
		free(v->base);
		free(v->date);
		free(v->source);
	}
	free(s->versions);
	free(s->name);
	free(s->dir);
	free(s->title);
	free(s->enable_option);
	free(s->disable_option);
	free(s->evidence_events);
	free(s->default_version);
	memset(s, 0, sizeof(*s));
}

const struct series_version *series_find_version(const struct series *s, const char *v)
{
	for (size_t i = 0; i < s->nversions; i++)
		if (!strcmp(s->versions[i].name, v))
			return &s->versions[i];
	return NULL;
}

char *series_root(void)
{
	const char *env = getenv("IOLAB_PATCHES");

	if (env && *env)
		return xstrdup(env);
	return data_path("kernel-patches");
}
