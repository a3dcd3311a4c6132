/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_IMAGE_H
#define IOLAB_IMAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

/*
 * The guest userland: Debian packages of one suite unpacked into a root
 * tree, the guest agent as its init, packed as a read-only squashfs that the
 * VM stage attaches as root=/dev/vda.  Each image lives in
 * cache/images/<key>/{root.sqfs,meta.json}, keyed by everything that went
 * into it.  "latest" is the newest default one (see image_default_key).
 */

/* Bump when the assembly steps change what an image holds. */
#define IMAGE_RECIPE_VERSION 1
#define IMAGE_DEFAULT_SUITE  "trixie"
#define IMAGE_DEFAULT_SET    "default"

struct image_opts {
	const char *suite;          /* NULL: IMAGE_DEFAULT_SUITE */
	const char *set;            /* package set of the table; NULL: IMAGE_DEFAULT_SET */
	const struct strvec *extra; /* more packages; may be NULL */
	const char *agent;          /* NULL: iolab-agent next to the iolab binary */
	bool force;                 /* rebuild even when cached */
	/*
	 * A directory copied onto the root after the packages (a built test
	 * suite at opt/...), and its identity for the key; both NULL or both set.
	 */
	const char *overlay;
	const char *overlay_id;
};

/* Builds the image or finds it in the cache; *key_out gets its key. */
int image_build(const struct image_opts *o, char **key_out);
/*
 * Assembles the root tree image_build would pack (packages, agent, /etc
 * files) into dir, which must not exist, without packing it: a chroot to
 * build software for the guest's userland in.  *key_out gets the key the
 * packed image would have.
 */
int image_build_root(const struct image_opts *o, const char *dir, char **key_out);
/*
 * root.sqfs of a key, a unique key prefix, "latest" (image_default_key) or a
 * path (the file or an image directory); NULL if unknown.  Keys, prefixes
 * and "latest" are looked up by cache_entry(), as kernels are.
 */
char *image_path(const char *key_or_path);
/* The image's meta.json, or NULL after one error line. */
json_t *image_meta(const char *key_or_path);
/*
 * Key of the default image, or NULL: of the images a plain build made for the
 * default suite and set (any extra packages, no overlay), the one whose
 * meta.json was written last.
 */
char *image_default_key(void);

/* The package table (image_recipe.c). */
struct image_pkg {
	const char *name;
	const char *set;
	const char *why;
};
extern const struct image_pkg image_packages[];
extern const size_t image_packages_count;
/* Appends the packages of a set; -1 after an error line when no row names it. */
int image_set_packages(const char *set, struct strvec *out);

/* Everything an image's key is derived from. */
struct image_recipe {
	const char *suite;
	const char *set;
	const struct strvec *extra;    /* requested extra packages; may be NULL */
	const struct strvec *resolved; /* "name=version", any order */
	const char *agent_sha256;
	const char *overlay_id; /* may be NULL */
};
void image_key(const struct image_recipe *r, char out[65]);
/* The version part of the "name=version" entry for name in resolved, or NULL. */
const char *image_pkg_version(const struct strvec *resolved, const char *name);

/* What meta.json records about a finished image (image_meta.c). */
struct image_info {
	const char *key;
	const struct image_recipe *recipe;
	const char *created;
	long long size_bytes;
	double build_seconds;
};
json_t *image_meta_encode(const struct image_info *info);
/* Writes dir/meta.json atomically. */
int image_meta_write(const char *dir, json_t *meta);
/* cache/images/<key>; caller frees. */
char *image_dir(const char *key);
/* Keys of all complete images in the cache, sorted. */
void image_list_keys(struct strvec *keys);

#endif
