// SPDX-License-Identifier: GPL-2.0
/*
 * Finding images in the cache and the meta.json that describes each one.
 */
#include "image.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

char *image_dir(const char *key)
{
	char *images = cache_dir("images");
	char *dir = path_join(images, key);

	free(images);
	return dir;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *image_meta_encode(const struct image_info *info)
{
	const struct image_recipe *r = info->recipe;
	json_t *pkgs = json_array(), *extra = json_array();
	struct strvec sorted = STRVEC_INIT;
	const char *names[] = {"fio", "e2fsprogs", "xfsprogs"};
	json_t *meta;

	for (size_t i = 0; i < r->resolved->n; i++)
		sv_push(&sorted, r->resolved->v[i]);
	if (sorted.n)
		qsort(sorted.v, sorted.n, sizeof(*sorted.v), cmp_str);
	for (size_t i = 0; i < sorted.n; i++) {
		const char *eq = strchr(sorted.v[i], '=');

		if (!eq)
			continue;
		json_array_append_new(pkgs,
		                      json_pack("{s:s%,s:s}", "name", sorted.v[i],
		                                (size_t)(eq - sorted.v[i]), "version", eq + 1));
	}
	for (size_t i = 0; r->extra && i < r->extra->n; i++)
		json_array_append_new(extra, json_string(r->extra->v[i]));
	meta = json_pack("{s:s,s:i,s:s,s:s,s:o,s:s,s:o,s:s,s:I,s:f,s:s}", "key", info->key,
	                 "recipe_version", IMAGE_RECIPE_VERSION, "suite", r->suite, "set", r->set,
	                 "extra_packages", extra, "created", info->created, "packages", pkgs,
	                 "agent_sha256", r->agent_sha256, "size_bytes",
	                 (json_int_t)info->size_bytes, "build_seconds", info->build_seconds,
	                 "compression", "none");
	if (r->overlay_id)
		json_object_set_new(meta, "overlay_id", json_string(r->overlay_id));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *v = image_pkg_version(r->resolved, names[i]);
		char *field = xasprintf("%s_version", names[i]);

		json_object_set_new(meta, field, v ? json_string(v) : json_null());
		free(field);
	}
	sv_clear(&sorted);
	return meta;
}

int image_meta_write(const char *dir, json_t *meta)
{
	char *path = path_join(dir, "meta.json");
	char *text = json_dumps(meta, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int ret = 0;

	if (!text || write_str(path, text) < 0)
		ret = error("cannot write %s: %s", path, strerror(errno));
	free(text);
	free(path);
	return ret;
}

static bool is_key(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return false;
	return n == 64;
}

static bool is_key_prefix(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
	return true;
}

void image_list_keys(struct strvec *keys)
{
	char *images = cache_dir("images");
	DIR *d = opendir(images);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *sqfs, *meta;

		if (!is_key(de->d_name))
			continue;
		sqfs = xasprintf("%s/%s/root.sqfs", images, de->d_name);
		meta = xasprintf("%s/%s/meta.json", images, de->d_name);
		if (path_exists(sqfs) && path_exists(meta))
			sv_push(keys, de->d_name);
		free(sqfs);
		free(meta);
	}
	if (d)
		closedir(d);
	if (keys->n)
		qsort(keys->v, keys->n, sizeof(*keys->v), cmp_str);
	free(images);
}

/* root.sqfs for something given as a path: the file itself, its directory or its meta.json. */
static char *path_image(const char *arg)
{
	char *abs = abs_path(arg);
	char *found = NULL;

	if (is_dir(abs)) {
		found = path_join(abs, "root.sqfs");
	} else if (ends_with(abs, "/meta.json")) {
		found = xasprintf("%.*sroot.sqfs", (int)(strlen(abs) - strlen("meta.json")), abs);
	} else {
		found = xstrdup(abs);
	}
	free(abs);
	if (!path_exists(found)) {
		free(found);
		return NULL;
	}
	return found;
}

char *image_path(const char *arg)
{
	struct strvec keys = STRVEC_INIT;
	char *found = NULL, *dir;

	if (!arg || !*arg)
		return NULL;
	if (!strcmp(arg, "latest")) {
		char *key = image_default_key();

		found = key ? image_path(key) : NULL;
		free(key);
		return found;
	}
	if (strchr(arg, '/') || ends_with(arg, ".sqfs"))
		return path_image(arg);
	/* A full key or a latest-<suite> link. */
	dir = image_dir(arg);
	found = path_join(dir, "root.sqfs");
	free(dir);
	if (path_exists(found)) {
		char *real = realpath(found, NULL);

		free(found);
		return real;
	}
	free(found);
	found = NULL;
	if (!is_key_prefix(arg))
		return NULL;
	image_list_keys(&keys);
	for (size_t i = 0; i < keys.n; i++) {
		if (!starts_with(keys.v[i], arg))
			continue;
		if (found) {
			error("image key prefix '%s' is ambiguous; give more digits "
			      "('iolab image list' shows the keys)",
			      arg);
			free(found);
			found = NULL;
			break;
		}
		dir = image_dir(keys.v[i]);
		found = path_join(dir, "root.sqfs");
		free(dir);
	}
	sv_clear(&keys);
	return found;
}

json_t *image_meta(const char *arg)
{
	char *sqfs = image_path(arg);
	char *meta_path;
	json_t *meta;
	json_error_t err;

	if (!sqfs) {
		error("no image '%s': not a key in %s/images nor an image path; "
		      "'iolab image list' shows the built ones",
		      arg, cache_root());
		return NULL;
	}
	meta_path = xasprintf("%.*s/meta.json", (int)(strrchr(sqfs, '/') - sqfs), sqfs);
	meta = json_load_file(meta_path, 0, &err);
	if (!meta)
		error("cannot read %s: %s (line %d); rebuild with 'iolab image build --force'",
		      meta_path, err.text, err.line);
	free(meta_path);
	free(sqfs);
	return meta;
}

static char *latest_name(const char *suite, const char *set)
{
	if (!strcmp(set, IMAGE_DEFAULT_SET))
		return xasprintf("latest-%s", suite);
	return xasprintf("latest-%s-%s", suite, set);
}

int image_set_latest(const char *suite, const char *set, const char *key)
{
	char *name = latest_name(suite, set);
	char *link = image_dir(name);
	char *tmp = xasprintf("%s.tmp.%ld", link, (long)getpid());
	int ret = 0;

	unlink(tmp);
	/* Relative, so the cache can move; rename() swaps it in atomically. */
	if (symlink(key, tmp) < 0 || rename(tmp, link) < 0) {
		ret = error("cannot point %s at %s: %s", link, key, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(link);
	free(name);
	return ret;
}

char *image_default_key(void)
{
	char *name = latest_name(IMAGE_DEFAULT_SUITE, IMAGE_DEFAULT_SET);
	char *link = image_dir(name);
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	char *key = NULL;

	if (n > 0) {
		char *sqfs;

		target[n] = '\0';
		sqfs = xasprintf("%s/root.sqfs", link);
		if (is_key(target) && path_exists(sqfs))
			key = xstrdup(target);
		free(sqfs);
	}
	free(link);
	free(name);
	return key;
}
