// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "image.h"
#include "opts.h"

struct build_args {
	char *suite;
	char *set;
	struct strvec packages;
	char *agent;
	bool force;
};

static const struct opt build_opts[] = {
        {"suite", OPT_CHOICE, offsetof(struct build_args, suite), "SUITE",
         "the Debian suite the packages come from", IMAGE_DEFAULT_SUITE,
         "trixie|trixie-backports|sid|experimental"},
        {"package-set", OPT_STR, offsetof(struct build_args, set), "SET",
         "a package set of 'iolab image packages'", IMAGE_DEFAULT_SET, NULL},
        {"package", OPT_LIST, offsetof(struct build_args, packages), "PKG",
         "one more Debian package (its dependencies come along)", NULL, NULL},
        {"agent", OPT_STR, offsetof(struct build_args, agent), "PATH",
         "the guest agent to install as /sbin/iolab-agent [default: iolab-agent next to iolab]",
         NULL, NULL},
        {"force", OPT_BOOL, offsetof(struct build_args, force), NULL,
         "rebuild even when the cache holds this image", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage build_usage = {
        "iolab image build [options]",
        "Builds the guest root file system: the package set's Debian packages and their\n"
        "dependencies, unpacked with the guest agent as init, packed as an uncompressed\n"
        "read-only squashfs.  Cached under a key derived from the resolved package versions,\n"
        "the suite and the agent; the same inputs again return at once.  Prints the key on\n"
        "stdout; 'iolab image info' gives the path.",
        "examples:\n"
        "  iolab image build                          # trixie: fio 3.39, e2fsprogs 1.47\n"
        "  iolab image build --package strace --package blktrace\n"
        "  iolab image build --package-set minimal    # busybox only, for smoke tests"};

static int image_build_cmd(int argc, char **argv)
{
	struct build_args a = {0};
	struct image_opts o = {0};
	char *key = NULL, *path;
	int r = opts_parse(&build_usage, build_opts, &a, argc, argv, 1, NULL);

	if (r) {
		opts_free(build_opts, &a);
		return r < 0 ? 2 : 0;
	}
	o.suite = a.suite;
	o.set = a.set;
	o.extra = &a.packages;
	o.agent = a.agent;
	o.force = a.force;
	r = image_build(&o, &key);
	if (r == 0) {
		path = image_path(key);
		info("image: %s", path ? path : "(vanished)");
		printf("%s\n", key);
		free(path);
	}
	free(key);
	opts_free(build_opts, &a);
	return r == 0 ? 0 : 1;
}

struct info_args {
	bool path_only;
};

static const struct opt info_opts[] = {
        {"path", OPT_BOOL, offsetof(struct info_args, path_only), NULL,
         "print only the path of the image's root.sqfs", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage info_usage = {
        "iolab image info [--path] [KEY|PATH|latest]",
        "Prints an image's metadata (suite, packages and versions, agent hash, size) as JSON,\n"
        "with the path of its root.sqfs added as \"path\".  Without an argument: the newest\n"
        "default image.",
        NULL};

static char *pick_image(const char *arg)
{
	char *path = image_path(arg ? arg : "latest");

	if (!path && (!arg || !strcmp(arg, "latest")))
		error("no default image yet; 'iolab image build' makes one");
	else if (!path)
		error("no image matches '%s' ('iolab image list' shows the built ones)", arg);
	return path;
}

static int image_info_cmd(int argc, char **argv)
{
	struct info_args a = {0};
	int rest, r = opts_parse(&info_usage, info_opts, &a, argc, argv, 1, &rest);
	char *path;
	json_t *meta;

	if (r)
		return r < 0 ? 2 : 0;
	if (rest < argc - 1) {
		error("iolab image info takes at most one KEY, key prefix, PATH or 'latest'");
		return 2;
	}
	path = pick_image(rest < argc ? argv[rest] : NULL);
	if (!path)
		return 1;
	if (a.path_only) {
		printf("%s\n", path);
		free(path);
		return 0;
	}
	meta = image_meta(path);
	if (!meta) {
		free(path);
		return 1;
	}
	/* The path is where this cache keeps it, so it is added here, not stored. */
	json_object_set_new(meta, "path", json_string(path));
	json_dumpf(meta, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(meta);
	free(path);
	return 0;
}

static const struct cmd_usage list_usage = {
        "iolab image list", "Lists the images in the cache, newest default marked with '*'.", NULL};

static const char *meta_str(json_t *meta, const char *field)
{
	const char *s = json_string_value(json_object_get(meta, field));

	return s ? s : "-";
}

static int image_list_cmd(int argc, char **argv)
{
	struct strvec keys = STRVEC_INIT;
	char *def;
	int r = opts_parse(&list_usage, (const struct opt[]){OPT_END}, NULL, argc, argv, 1, NULL);

	if (r)
		return r < 0 ? 2 : 0;
	image_list_keys(&keys);
	def = image_default_key();
	printf("  %-12s  %-8s  %-8s  %-20s  %9s  %-10s  %-14s  %s\n", "KEY", "SUITE", "SET",
	       "CREATED", "MIB", "FIO", "E2FSPROGS", "EXTRA");
	for (size_t i = 0; i < keys.n; i++) {
		json_t *meta = image_meta(keys.v[i]);
		struct strbuf extra = STRBUF_INIT;
		json_int_t size;
		size_t j;
		json_t *e;

		if (!meta)
			continue;
		size = json_integer_value(json_object_get(meta, "size_bytes"));
		json_array_foreach(json_object_get(meta, "extra_packages"), j, e)
		        sb_addf(&extra, "%s%s", j ? "," : "", json_string_value(e));
		printf("%c %-12.12s  %-8s  %-8s  %-20s  %9.1f  %-10s  %-14s  %s\n",
		       def && !strcmp(def, keys.v[i]) ? '*' : ' ', keys.v[i],
		       meta_str(meta, "suite"), meta_str(meta, "set"), meta_str(meta, "created"),
		       (double)size / (1 << 20), meta_str(meta, "fio_version"),
		       meta_str(meta, "e2fsprogs_version"), extra.buf ? extra.buf : "-");
		sb_release(&extra);
		json_decref(meta);
	}
	free(def);
	sv_clear(&keys);
	return 0;
}

static const struct cmd_usage packages_usage = {
        "iolab image packages",
        "Lists the package table images are built from, with why each is there.", NULL};

static int image_packages_cmd(int argc, char **argv)
{
	int r = opts_parse(&packages_usage, (const struct opt[]){OPT_END}, NULL, argc, argv, 1,
	                   NULL);

	if (r)
		return r < 0 ? 2 : 0;
	printf("%-16s %-8s %s\n", "PACKAGE", "SET", "WHY");
	for (size_t i = 0; i < image_packages_count; i++)
		printf("%-16s %-8s %s\n", image_packages[i].name, image_packages[i].set,
		       image_packages[i].why);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	static const struct subcmd subs[] = {
	        {"build", image_build_cmd, "build (or find in the cache) a guest root image"},
	        {"info", image_info_cmd, "print an image's metadata and path"},
	        {"list", image_list_cmd, "list the cached images"},
	        {"packages", image_packages_cmd, "print the package table with reasons"},
	        {NULL, NULL, NULL},
	};

	return run_subcmd("image", subs, argc, argv);
}
