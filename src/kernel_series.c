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

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "ini_line.h"
#include "paths.h"
#include "run_command.h"

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
	if (!strcmp(key, "own_events"))
		return &s->own_events;
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
	if (!strcmp(key, "ports"))
		return &v->ports;
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
		free(v->ports);
	}
	free(s->versions);
	free(s->name);
	free(s->dir);
	free(s->title);
	free(s->enable_option);
	free(s->disable_option);
	free(s->evidence_events);
	free(s->own_events);
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

char *patch_store(void)
{
	const char *env = getenv("IOLAB_PATCH_STORE");

	return env && *env ? abs_path(env) : NULL;
}

/* ---- picking a version for a base ---- */

/* "7.3.4", "v7.3-rc4" and "7.3" share the release line "7.3"; next-* has none. */
static char *release_line(const char *base)
{
	const char *b = base[0] == 'v' ? base + 1 : base;
	size_t n = strspn(b, "0123456789");

	if (!n || b[n] != '.')
		return NULL;
	n += 1 + strspn(b + n + 1, "0123456789");
	return xstrndup(b, n);
}

/*
 * Patches made for a base fit a tree of the same base, or of the same
 * release line (a series on v7.3-rc4 is expected to apply to 7.3.4; the
 * patch check says so for certain).  An unknown base is given a try.
 */
static bool base_fits(const char *made_for, const char *tree)
{
	char *a, *b;
	bool fits;

	if (!made_for || !tree || !strcmp(tree, "unknown"))
		return true;
	if (!strcmp(made_for, tree))
		return true;
	a = release_line(made_for);
	b = release_line(tree);
	fits = a && b && !strcmp(a, b);
	free(a);
	free(b);
	return fits;
}

static bool patch_file_name(const char *n)
{
	return ends_with(n, ".mbx") || ends_with(n, ".mbox") || ends_with(n, ".patch");
}

/*
 * In dir: version's own patches ("v2.mbx", "v2/", "v2-foo.patch"; "v2" must
 * not match "v20") when port is NULL, else its port ("v2-on-7.3.4/" or
 * "v2-on-7.3.4.mbx").
 */
static char *find_in(const char *dir, const char *version, const char *port)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *found = NULL, *want = port ? xasprintf("%s-on-%s", version, port) : NULL;

	while (d && (de = readdir(d)) && !found) {
		const char *n = de->d_name;
		char *full;
		size_t len;

		if (want) {
			len = strlen(want);
			if (strncmp(n, want, len) || (n[len] && n[len] != '.'))
				continue;
		} else {
			len = strlen(version);
			if (strncmp(n, version, len) || (n[len] >= '0' && n[len] <= '9') ||
			    strstr(n + len, "-on-"))
				continue;
		}
		full = path_join(dir, n);
		if (is_dir(full) || patch_file_name(n))
			found = full;
		else
			free(full);
	}
	if (d)
		closedir(d);
	free(want);
	return found;
}

/* The ports of version present in dir, appended to out (no duplicates). */
static void ports_in(const char *dir, const char *version, struct strvec *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *prefix = xasprintf("%s-on-", version);

	while (d && (de = readdir(d))) {
		char *base;

		if (!starts_with(de->d_name, prefix))
			continue;
		base = xstrdup(de->d_name + strlen(prefix));
		if (ends_with(base, ".mbx") || ends_with(base, ".mbox"))
			*strrchr(base, '.') = '\0';
		if (*base && !sv_contains(out, base))
			sv_push(out, base);
		free(base);
	}
	if (d)
		closedir(d);
	free(prefix);
}

/* b4 writes one .mbx per series into outdir; online only. */
static char *b4_fetch(const struct series *s, const struct series_version *v)
{
	char *b4 = which("b4");
	char *outdir, *log, *failed, *found = NULL;
	struct child c = {0};
	struct stat st;

	if (!b4)
		return NULL;
	outdir = cache_dir("series/%s/%s", s->name, v->name);
	log = path_join(outdir, "b4.log");
	failed = path_join(outdir, "b4-failed");
	/* Offline machines: one failed try an hour is enough. */
	if (stat(failed, &st) == 0 && time(NULL) - st.st_mtime < 3600)
		goto out;
	{
		const char *argv[] = {b4, "-q", "am", "-o", outdir, v->message_id, NULL};

		c.argv = argv;
		c.log_path = log;
		c.timeout_sec = 120;
		info("fetching %s %s with b4 (%s)", s->name, v->name, v->message_id);
		if (run_command(&c) == 0) {
			DIR *d = opendir(outdir);
			struct dirent *de;

			while (d && (de = readdir(d)))
				if (ends_with(de->d_name, ".mbx") &&
				    !strstr(de->d_name, ".cover")) {
					free(found);
					found = path_join(outdir, de->d_name);
				}
			if (d)
				closedir(d);
		}
	}
	if (!found)
		write_str(failed, "");
out:
	sb_release(&c.out);
	free(b4);
	free(outdir);
	free(log);
	free(failed);
	return found;
}

struct search {
	const char *dirs[2];
	const char *origins[2];
	const char *base;
};

/* Every port of v: declared in series.ini or present in a search directory. */
static void all_ports(const struct search *sr, const struct series_version *v, struct strvec *out)
{
	if (v->ports)
		sv_split(out, v->ports, " ,");
	for (size_t i = 0; i < 2; i++)
		if (sr->dirs[i])
			ports_in(sr->dirs[i], v->name, out);
}

/* Fills p from the first place that has v (or its port) for the base; why says what failed. */
static bool obtain(struct search *sr, struct series_pick *p, const struct series_version *v,
                   const char *only_port, struct strbuf *why)
{
	struct strvec ports = STRVEC_INIT;
	bool ok = false;

	all_ports(sr, v, &ports);
	for (size_t i = 0; i < ports.n && !ok; i++) {
		if (only_port && strcmp(only_port, ports.v[i]))
			continue;
		if (!base_fits(ports.v[i], sr->base))
			continue;
		for (size_t d = 0; d < 2 && !ok; d++) {
			char *path = sr->dirs[d] ? find_in(sr->dirs[d], v->name, ports.v[i]) : NULL;

			if (!path)
				continue;
			p->patches_path = path;
			p->origin = xstrdup(sr->origins[d]);
			p->port = xstrdup(ports.v[i]);
			p->applies_to = xstrdup(ports.v[i]);
			ok = true;
		}
		if (!ok)
			sb_addf(why, "%s's port onto %s is declared but not in %s%s%s; ", v->name,
			        ports.v[i], sr->dirs[0],
			        sr->dirs[1] ? " or " : " (no patch store set)",
			        sr->dirs[1] ? sr->dirs[1] : "");
	}
	if (!ok && only_port)
		sb_addf(why, "%s has no port onto %s here; ", v->name, only_port);
	if (!ok && !only_port && base_fits(v->base, sr->base)) {
		for (size_t d = 0; d < 2 && !ok; d++) {
			char *path = sr->dirs[d] ? find_in(sr->dirs[d], v->name, NULL) : NULL;

			if (!path)
				continue;
			p->patches_path = path;
			p->origin = xstrdup(sr->origins[d]);
			ok = true;
		}
		if (!ok) {
			p->patches_path = b4_fetch(&p->s, v);
			if (p->patches_path) {
				p->origin = xstrdup("b4");
				ok = true;
			} else {
				sb_addf(why, "%s needs b4 (offline, or b4 is missing); ", v->name);
			}
		}
		if (ok)
			p->applies_to = v->base ? xstrdup(v->base) : NULL;
	} else if (!ok && !only_port) {
		sb_addf(why, "%s applies to %s", v->name, v->base);
		for (size_t i = 0; i < ports.n; i++)
			sb_addf(why, "%s%s", i ? ", " : " (ports: ", ports.v[i]);
		sb_addf(why, "%s; ", ports.n ? ")" : "");
	}
	if (ok)
		p->v = v;
	sv_clear(&ports);
	return ok;
}

static void trim_why(struct strbuf *why)
{
	while (why->len && (why->buf[why->len - 1] == ' ' || why->buf[why->len - 1] == ';'))
		why->buf[--why->len] = '\0';
}

static char *port_notes_of(const char *patches_path)
{
	char *notes = is_dir(patches_path) ? path_join(patches_path, "PORT.md") : NULL;

	if (notes && !path_exists(notes)) {
		free(notes);
		notes = NULL;
	}
	return notes;
}

int series_pick(const char *spec, const char *base, struct series_pick *p)
{
	char *name = xstrdup(spec), *at = strchr(name, '@'), *port = NULL;
	char *root = series_root(), *dir = NULL, *store = patch_store(), *store_dir = NULL;
	struct search sr = {.base = base};
	struct strbuf why = STRBUF_INIT;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (at) {
		*at++ = '\0';
		if ((port = strstr(at, "-on-"))) {
			*port = '\0';
			port += 4;
		}
	}
	if (!root) {
		error("cannot find kernel-patches/ (set IOLAB_HOME to the iolab checkout)");
		goto out;
	}
	dir = path_join(root, name);
	if (!is_dir(dir)) {
		error("unknown series '%s': no %s (see kernel-patches/ for the known ones)", name,
		      dir);
		goto out;
	}
	if (series_load(dir, &p->s) < 0)
		goto out;
	if (store) {
		store_dir = path_join(store, name);
		if (!is_dir(store_dir))
			warn("the patch store %s has no %s/", store, name);
	}
	sr.dirs[0] = p->s.dir;
	sr.origins[0] = "drop-in";
	sr.dirs[1] = store_dir && is_dir(store_dir) ? store_dir : NULL;
	sr.origins[1] = "patch store";
	if (at) {
		const struct series_version *v = series_find_version(&p->s, at);

		if (!v) {
			struct strbuf known = STRBUF_INIT;

			for (size_t i = 0; i < p->s.nversions; i++)
				sb_addf(&known, "%s%s", i ? ", " : "", p->s.versions[i].name);
			error("series %s has no version %s (known: %s)", name, at, known.buf);
			sb_release(&known);
			goto out;
		}
		if (obtain(&sr, p, v, port, &why)) {
			ret = 0;
			goto out;
		}
		/* What would work instead, for the one-line refusal. */
		for (size_t i = p->s.nversions; i-- > 0;) {
			struct series_pick alt = {.s = p->s};
			struct strbuf ignore = STRBUF_INIT;
			bool ok = (port || &p->s.versions[i] != v) &&
			          obtain(&sr, &alt, &p->s.versions[i], NULL, &ignore);

			sb_release(&ignore);
			if (ok) {
				trim_why(&why);
				sb_addf(&why, " - use --series %s@%s%s%s", name, alt.v->name,
				        alt.port ? "-on-" : "", alt.port ? alt.port : "");
				alt.s.name = NULL;
				series_pick_free(&alt);
				break;
			}
			alt.s.name = NULL;
			series_pick_free(&alt);
		}
		trim_why(&why);
		error("series %s@%s%s%s cannot be built on %s: %s", name, at, port ? "-on-" : "",
		      port ? port : "", base, why.buf);
		goto out;
	}
	for (size_t i = p->s.nversions; i-- > 0;)
		if (obtain(&sr, p, &p->s.versions[i], NULL, &why))
			break;
	trim_why(&why);
	if (!p->v) {
		p->missing = xasprintf("no version of %s fits %s here (%s)", name, base, why.buf);
		p->v = NULL;
	} else if (why.len) {
		info("series %s: taking %s%s%s (%s, %s); newer: %s", name, p->v->name,
		     p->port ? " ported onto " : "", p->port ? p->port : "", p->origin,
		     p->patches_path, why.buf);
	} else {
		info("series %s: taking %s%s%s (%s, %s)", name, p->v->name,
		     p->port ? " ported onto " : "", p->port ? p->port : "", p->origin,
		     p->patches_path);
	}
	ret = 0;
out:
	if (p->patches_path && p->port)
		p->port_notes = port_notes_of(p->patches_path);
	if (ret < 0 && p->s.name)
		series_free(&p->s);
	sb_release(&why);
	free(name);
	free(root);
	free(dir);
	free(store);
	free(store_dir);
	return ret;
}

void series_pick_free(struct series_pick *p)
{
	if (p->s.name)
		series_free(&p->s);
	free(p->port);
	free(p->applies_to);
	free(p->patches_path);
	free(p->origin);
	free(p->port_notes);
	free(p->missing);
	memset(p, 0, sizeof(*p));
}

char *series_pick_id(const struct series_pick *p)
{
	if (p->port)
		return xasprintf("%s@%s-on-%s", p->s.name, p->v->name, p->port);
	return xasprintf("%s@%s", p->s.name, p->v->name);
}
