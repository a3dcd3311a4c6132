// SPDX-License-Identifier: GPL-2.0
/*
 * The files of fstests-configs/: sections in fstests' own local.config
 * format, read with inih, checked the way fstests' common/config would read
 * them, turned back into the guest's local.config, and the mkfs options of
 * a section turned into what dumpe2fs must show.
 */
#include "fstests.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "ini_line.h"

/* The lab sets these from the VM it boots; a section must not. */
static const char *const lab_owned[] = {"TEST_DEV", "TEST_DIR", "SCRATCH_DEV", "SCRATCH_MNT",
                                        "RESULT_BASE"};

struct load_state {
	struct fstests_configs *c;
	char *why_key; /* the key an error is about */
	char *why_section;
	char *why;
	struct strvec finished; /* sections left behind, to catch a repeated header */
	char *current;
};

static void fail(struct load_state *st, const char *section, const char *key, char *why)
{
	if (st->why) {
		free(why);
		return;
	}
	st->why = why;
	st->why_section = xstrdup(section);
	/* inih's line buffer is gone by the time the error is printed. */
	st->why_key = key ? xstrdup(key) : NULL;
}

/* get_config_sections() in fstests' common/config: [[:alnum:]_-]+. */
static bool valid_section_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* parse_config_section() allows quotes only around a value, and no blanks in a name. */
static char *unquote(const char *v, bool *ok)
{
	size_t n = strlen(v);
	char *out;

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		out = xstrndup(v + 1, n - 2);
	else
		out = xstrdup(v);
	*ok = !strpbrk(out, "\"'");
	return out;
}

static struct fstests_section *section_named(struct fstests_configs *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	struct fstests_section *s;
	bool ok;
	char *v;

	if (!*section) {
		fail(st, section, name,
		     xasprintf("'%s' comes before any [section]; fstests would apply it to "
		               "every section, the lab wants each section complete",
		               name));
		return 1;
	}
	if (!st->current || strcmp(st->current, section)) {
		if (sv_contains(&st->finished, section)) {
			fail(st, section, NULL,
			     xasprintf("[%s] appears twice; fstests would read only the first",
			               section));
			return 1;
		}
		if (st->current)
			sv_push(&st->finished, st->current);
		free(st->current);
		st->current = xstrdup(section);
	}
	if (!valid_section_name(section)) {
		fail(st, section, NULL,
		     xasprintf("[%s]: fstests only knows section names of letters, digits, '_' "
		               "and '-'",
		               section));
		return 1;
	}
	if (strpbrk(name, " \t")) {
		fail(st, section, name, xasprintf("'%s': a variable name has no blanks", name));
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(lab_owned); i++)
		if (!strcmp(name, lab_owned[i])) {
			fail(st, section, name,
			     xasprintf("%s is set by the lab from the VM it boots; remove it",
			               name));
			return 1;
		}
	s = section_named(st->c, section);
	if (!s) {
		st->c->v = xrealloc(st->c->v, (st->c->n + 1) * sizeof(*st->c->v));
		s = &st->c->v[st->c->n++];
		memset(s, 0, sizeof(*s));
		s->name = xstrdup(section);
	}
	v = unquote(value, &ok);
	if (!ok) {
		fail(st, section, name,
		     xasprintf("%s: fstests allows quotes only around a whole value", name));
		free(v);
		return 1;
	}
	if (fstests_var(s, name)) {
		fail(st, section, name, xasprintf("%s is set twice in [%s]", name, section));
		free(v);
		return 1;
	}
	sv_pushf(&s->vars, "%s=%s", name, v);
	free(v);
	return 1;
}

const char *fstests_var(const struct fstests_section *s, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < s->vars.n; i++)
		if (!strncmp(s->vars.v[i], key, n) && s->vars.v[i][n] == '=')
			return s->vars.v[i] + n + 1;
	return NULL;
}

static const char *need(struct fstests_section *s, const char *key, char **why)
{
	const char *v = fstests_var(s, key);

	if (!v || !*v)
		*why = xasprintf("[%s] has no %s", s->name, key);
	return v;
}

/* What the lab itself reads from a section, checked once so a run never starts on a bad one. */
static char *check_section(const char *dir, struct fstests_section *s)
{
	const char *fstyp, *v;
	char *why = NULL, *data;
	struct mkfs_expect e;
	struct strvec files = STRVEC_INIT;

	fstyp = need(s, "FSTYP", &why);
	if (why)
		return why;
	if (strcmp(fstyp, "ext4"))
		return xasprintf("[%s]: FSTYP=%s; the lab verifies mkfs with dumpe2fs and knows "
		                 "only ext4",
		                 s->name, fstyp);
	s->mkfs_options = need(s, "MKFS_OPTIONS", &why);
	if (!why)
		need(s, "MOUNT_OPTIONS", &why);
	if (!why)
		s->test_mount_options = need(s, "TEST_FS_MOUNT_OPTS", &why);
	if (!why)
		s->path = need(s, "IOLAB_PATH", &why);
	if (why)
		return why;
	if (strcmp(s->path, "bh") && strcmp(s->path, "iomap"))
		return xasprintf("[%s]: IOLAB_PATH=%s; it is bh or iomap", s->name, s->path);
	if (fstests_mkfs_expect(s->mkfs_options, &e) < 0)
		return xasprintf("[%s]: MKFS_OPTIONS=\"%s\" is not a mkfs.ext4 command line the "
		                 "lab can verify",
		                 s->name, s->mkfs_options);
	mkfs_expect_free(&e);
	static const char *const mount_vars[] = {"MOUNT_OPTIONS", "TEST_FS_MOUNT_OPTS",
	                                         "EXT_MOUNT_OPTIONS"};
	for (size_t i = 0; i < ARRAY_SIZE(mount_vars); i++) {
		v = fstests_var(s, mount_vars[i]);
		if (!v)
			continue;
		data = fstests_mount_data(v);
		if (!data)
			return xasprintf("[%s]: %s=\"%s\" is not of the form \"-o a,b -o c\"",
			                 s->name, mount_vars[i], v);
		free(data);
	}
	v = fstests_var(s, "IOLAB_EXCLUDE");
	sv_split(&files, v ? v : "", " \t");
	for (size_t i = 0; i < files.n && !why; i++) {
		char *p = files.v[i][0] == '/' ? xstrdup(files.v[i]) : path_join(dir, files.v[i]);

		if (!path_exists(p))
			why = xasprintf("[%s]: IOLAB_EXCLUDE names %s, which does not exist",
			                s->name, p);
		else
			sv_push(&s->exclude_files, p);
		free(p);
	}
	sv_clear(&files);
	if (why)
		return why;
	v = fstests_var(s, "IOLAB_EXCLUDE_GROUPS");
	sv_split(&s->exclude_groups, v ? v : "", " \t,");
	v = fstests_var(s, "IOLAB_DISK_SIZE");
	s->disk_size = parse_size(v ? v : "5G");
	if (s->disk_size < (64 << 20))
		return xasprintf("[%s]: IOLAB_DISK_SIZE=%s; give a size of at least 64M, like 5G",
		                 s->name, v);
	return NULL;
}

int fstests_configs_load(const char *path, struct fstests_configs *c)
{
	struct load_state st = {.c = c};
	char *dir;
	int rc, ret = 0;

	memset(c, 0, sizeof(*c));
	c->path = abs_path(path);
	dir = xstrndup(c->path, (size_t)(strrchr(c->path, '/') - c->path));
	rc = ini_parse(c->path, on_entry, &st);
	if (rc < 0) {
		ret = error("cannot read %s: %s", c->path, strerror(errno));
	} else if (st.why) {
		int line = ini_line_of(c->path, st.why_section, st.why_key);

		ret = error("%s:%d: %s", c->path, line, st.why);
	} else if (rc > 0) {
		ret = error("%s:%d: not fstests' config syntax (KEY=value lines under [section] "
		            "headers)",
		            c->path, rc);
	} else if (!c->n) {
		ret = error("%s has no [section] with variables", c->path);
	}
	for (size_t i = 0; ret == 0 && i < c->n; i++) {
		char *why = check_section(dir, &c->v[i]);

		c->v[i].line = ini_line_of(c->path, c->v[i].name, NULL);
		if (why) {
			ret = error("%s:%d: %s", c->path, c->v[i].line, why);
			free(why);
		}
	}
	free(st.why);
	free(st.why_section);
	free(st.why_key);
	free(st.current);
	sv_clear(&st.finished);
	free(dir);
	if (ret < 0)
		fstests_configs_free(c);
	return ret;
}

void fstests_configs_free(struct fstests_configs *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		sv_clear(&c->v[i].vars);
		sv_clear(&c->v[i].exclude_files);
		sv_clear(&c->v[i].exclude_groups);
	}
	free(c->v);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

const struct fstests_section *fstests_section_find(const struct fstests_configs *c,
                                                   const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	for (size_t i = 0; i < c->n; i++)
		sb_addf(&sb, "%s%s", i ? " " : "", c->v[i].name);
	error("no section [%s] in %s; it has: %s", name, c->path, sb.buf);
	sb_release(&sb);
	return NULL;
}

/* Splits "-o a,b -o c" into its options; -1 when a word is not part of an -o. */
static int mount_options_split(const char *s, struct strvec *out)
{
	struct strvec words = STRVEC_INIT;
	int ret = 0;

	sv_split(&words, s, " \t");
	for (size_t i = 0; i < words.n && ret == 0; i++) {
		const char *list;

		if (!strcmp(words.v[i], "-o") && i + 1 < words.n)
			list = words.v[++i];
		else if (starts_with(words.v[i], "-o") && words.v[i][2])
			list = words.v[i] + 2;
		else
			ret = -1;
		if (ret == 0)
			sv_split(out, list, ",");
	}
	sv_clear(&words);
	return ret;
}

char *fstests_mount_data(const char *mount_options)
{
	struct strvec opts = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;

	if (mount_options_split(mount_options, &opts) == 0) {
		for (size_t i = 0; i < opts.n; i++)
			sb_addf(&sb, "%s%s", i ? "," : "", opts.v[i]);
		out = sb_detach(&sb);
	}
	sv_clear(&opts);
	return out;
}

char *fstests_drop_mount_option(const char *mount_options, const char *opt)
{
	struct strvec words = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;

	sv_split(&words, mount_options, " \t");
	for (size_t i = 0; i < words.n; i++) {
		struct strvec list = STRVEC_INIT;
		struct strbuf kept = STRBUF_INIT;
		const char *l = NULL;

		if (!strcmp(words.v[i], "-o") && i + 1 < words.n)
			l = words.v[++i];
		else if (starts_with(words.v[i], "-o") && words.v[i][2])
			l = words.v[i] + 2;
		if (!l) {
			sb_addf(&sb, "%s%s", sb.len ? " " : "", words.v[i]);
			continue;
		}
		sv_split(&list, l, ",");
		for (size_t k = 0; k < list.n; k++)
			if (strcmp(list.v[k], opt))
				sb_addf(&kept, "%s%s", kept.len ? "," : "", list.v[k]);
		if (kept.len)
			sb_addf(&sb, "%s-o %s", sb.len ? " " : "", kept.buf);
		sb_release(&kept);
		sv_clear(&list);
	}
	sv_clear(&words);
	return sb_detach(&sb);
}

static bool is_mount_var(const char *kv)
{
	return starts_with(kv, "MOUNT_OPTIONS=") || starts_with(kv, "TEST_FS_MOUNT_OPTS=") ||
	       starts_with(kv, "EXT_MOUNT_OPTIONS=");
}

char *fstests_local_config(const struct fstests_section *s, const struct fstests_devices *d,
                           const char *drop_option)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb,
	        "# Written by iolab: section [%s] of its fstests-configs, after the VM's "
	        "devices.\n",
	        s->name);
	if (drop_option)
		sb_addf(&sb,
		        "# The kernel lacks the series, so '%s' is left out: ext4's only buffered "
		        "path is buffer_head.\n",
		        drop_option);
	sb_addf(&sb, "[%s]\n", s->name);
	sb_addf(&sb, "TEST_DEV=%s\nTEST_DIR=%s\nSCRATCH_DEV=%s\nSCRATCH_MNT=%s\nRESULT_BASE=%s\n",
	        d->test_dev, d->test_dir, d->scratch_dev, d->scratch_mnt, d->result_base);
	for (size_t i = 0; i < s->vars.n; i++) {
		const char *kv = s->vars.v[i];
		const char *eq = strchr(kv, '=');

		if (drop_option && is_mount_var(kv)) {
			char *v = fstests_drop_mount_option(eq + 1, drop_option);

			sb_addf(&sb, "%.*s=\"%s\"\n", (int)(eq - kv), kv, v);
			free(v);
		} else {
			sb_addf(&sb, "%.*s=\"%s\"\n", (int)(eq - kv), kv, eq + 1);
		}
	}
	return sb_detach(&sb);
}

/* mke2fs's options that take an argument, from its getopt string. */
static const char mkfs_with_arg[] = "bCdeEgGiIJlLmMNoOrtTUz";
static const char mkfs_flags[] = "cDFjKnqSvV";

static int parse_long(const char *v, long *out, bool sizes)
{
	char *end;
	long n;

	if (sizes) {
		int64_t s = parse_size(v);

		if (s <= 0)
			return -1;
		*out = (long)s;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n <= 0)
		return -1;
	*out = n;
	return 0;
}

int fstests_mkfs_expect(const char *mkfs_options, struct mkfs_expect *e)
{
	struct strvec w = STRVEC_INIT;
	int ret = 0;

	memset(e, 0, sizeof(*e));
	sv_split(&w, mkfs_options, " \t");
	for (size_t i = 0; i < w.n && ret == 0; i++) {
		const char *a = w.v[i], *arg;
		char opt;

		if (a[0] != '-' || !a[1]) {
			ret = -1;
			break;
		}
		for (const char *f = a + 1; *f && strchr(mkfs_flags, *f); f++)
			if (!f[1])
				goto next;
		opt = a[1];
		if (!strchr(mkfs_with_arg, opt)) {
			ret = -1;
			break;
		}
		if (a[2])
			arg = a + 2;
		else if (i + 1 < w.n)
			arg = w.v[++i];
		else {
			ret = -1;
			break;
		}
		if (opt == 'b')
			ret = parse_long(arg, &e->block_size, true);
		else if (opt == 'C')
			ret = parse_long(arg, &e->cluster_size, true);
		else if (opt == 'I')
			ret = parse_long(arg, &e->inode_size, false);
		else if (opt == 'O') {
			struct strvec feats = STRVEC_INIT;

			sv_split(&feats, arg, ",");
			for (size_t k = 0; k < feats.n; k++) {
				if (feats.v[k][0] == '^')
					sv_push(&e->features_off, feats.v[k] + 1);
				else
					sv_push(&e->features_on, feats.v[k]);
			}
			sv_clear(&feats);
		}
	next:;
	}
	sv_clear(&w);
	if (ret < 0)
		mkfs_expect_free(e);
	return ret;
}

void mkfs_expect_free(struct mkfs_expect *e)
{
	sv_clear(&e->features_on);
	sv_clear(&e->features_off);
	memset(e, 0, sizeof(*e));
}

char *fstests_dumpe2fs_field(const char *text, const char *field)
{
	size_t n = strlen(field);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, field, n) && p[n] == ':') {
			const char *v = p + n + 1;
			char *out;

			while (*v == ' ' || *v == '\t')
				v++;
			out = xstrndup(v, strcspn(v, "\n"));
			trim(out);
			return out;
		}
	}
	return NULL;
}

static char *check_number(const char *dump, const char *field, long want)
{
	char *v = fstests_dumpe2fs_field(dump, field);
	char *why = NULL;

	if (!v)
		why = xasprintf("dumpe2fs shows no '%s'", field);
	else if (strtol(v, NULL, 10) != want)
		why = xasprintf("%s is %s, the options ask for %ld", field, v, want);
	free(v);
	return why;
}

char *fstests_mkfs_verify(const struct mkfs_expect *e, const char *dump)
{
	struct strvec have = STRVEC_INIT;
	char *why = NULL, *feats;

	if (e->block_size)
		why = check_number(dump, "Block size", e->block_size);
	if (!why && e->cluster_size)
		why = check_number(dump, "Cluster size", e->cluster_size);
	if (!why && e->inode_size)
		why = check_number(dump, "Inode size", e->inode_size);
	if (why)
		return why;
	feats = fstests_dumpe2fs_field(dump, "Filesystem features");
	if (!feats)
		return xstrdup("dumpe2fs shows no 'Filesystem features'");
	sv_split(&have, feats, " ");
	for (size_t i = 0; i < e->features_on.n && !why; i++)
		if (!sv_contains(&have, e->features_on.v[i]))
			why = xasprintf("feature %s was asked for but is not on (features: %s)",
			                e->features_on.v[i], feats);
	for (size_t i = 0; i < e->features_off.n && !why; i++)
		if (sv_contains(&have, e->features_off.v[i]))
			why = xasprintf("feature %s was turned off but is on",
			                e->features_off.v[i]);
	/* bigalloc without -C: mke2fs picks the cluster; it must at least exceed a block. */
	if (!why && sv_contains(&e->features_on, "bigalloc") && !e->cluster_size) {
		char *bs = fstests_dumpe2fs_field(dump, "Block size");
		char *cs = fstests_dumpe2fs_field(dump, "Cluster size");

		if (!bs || !cs || strtol(cs, NULL, 10) <= strtol(bs, NULL, 10))
			why = xasprintf(
			        "bigalloc is on but the cluster size (%s) is not larger than "
			        "a block (%s)",
			        cs ? cs : "none", bs ? bs : "none");
		free(bs);
		free(cs);
	}
	free(feats);
	sv_clear(&have);
	return why;
}
