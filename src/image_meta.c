// SPDX-License-Identifier: GPL-2.0
/*
 * Finding images in the cache and the meta.json that describes each one.
 */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

void image_list_keys(struct strvec *keys)
{
	char *images = cache_dir("images");
	DIR *d = opendir(images);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *sqfs, *meta;

		if (!cache_is_key(de->d_name))
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

/* A whole image; for "latest", one a plain build of the default suite and set made. */
static bool take_image(const char *dir, bool latest)
{
	char *sqfs = path_join(dir, "root.sqfs");
	bool ok = path_exists(sqfs);

	free(sqfs);
	if (ok && latest) {
		char *path = path_join(dir, "meta.json");
		json_t *meta = json_load_file(path, 0, NULL);
		const char *suite = json_string_value(json_object_get(meta, "suite"));
		const char *set = json_string_value(json_object_get(meta, "set"));

		ok = suite && set && !strcmp(suite, IMAGE_DEFAULT_SUITE) &&
		     !strcmp(set, IMAGE_DEFAULT_SET) && !json_object_get(meta, "overlay_id");
		json_decref(meta);
		free(path);
	}
	return ok;
}

char *image_path(const char *arg)
{
	char *dir, *found;

	if (!arg || !*arg)
		return NULL;
	if (strchr(arg, '/') || ends_with(arg, ".sqfs"))
		return path_image(arg);
	dir = cache_entry("images", arg, take_image);
	found = dir ? path_join(dir, "root.sqfs") : NULL;
	free(dir);
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

char *image_default_key(void)
{
	char *dir = cache_entry("images", "latest", take_image);
	char *key = dir ? xstrdup(strrchr(dir, '/') + 1) : NULL;

	free(dir);
	return key;
}
