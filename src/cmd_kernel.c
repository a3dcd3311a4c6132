// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kernel.h"
#include "opts.h"

static const struct opt build_opts[] = {
        {"source", OPT_STR, offsetof(struct kernel_opts, source), "SPEC",
         "debian:linux-source-X.Y, a kernel tree (plain or git), or a .tar.xz/.tar.gz",
         KERNEL_DEFAULT_SOURCE, NULL},
        {"series", OPT_STR, offsetof(struct kernel_opts, series), "NAME[@vN]",
         "a series under kernel-patches/ (its mbox dropped there, or b4 when online)", NULL, NULL},
        {"patches", OPT_LIST, offsetof(struct kernel_opts, patches), "FILE|DIR",
         "more patches: an mbox, a directory of patches, or one patch", NULL, NULL},
        {"config", OPT_LIST, offsetof(struct kernel_opts, configs), "FILE",
         "an extra Kconfig fragment merged after vm/kconfig/*.config", NULL, NULL},
        {"jobs", OPT_INT, offsetof(struct kernel_opts, jobs), "N", "parallel make jobs", "0", NULL},
        {"force", OPT_BOOL, offsetof(struct kernel_opts, force), NULL,
         "rebuild even when the cache holds this kernel", NULL, NULL},
        {"allow-missing-series", OPT_BOOL, offsetof(struct kernel_opts, no_series_ok), NULL,
         "when the series' patches cannot be had, build without them (and say so)", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage build_usage = {
        "iolab kernel build [options]",
        "Builds a guest kernel: source, patch series, tinyconfig + vm/kconfig fragments\n"
        "(verified), out-of-tree make.  The result is cached under a key derived from every\n"
        "input; the same inputs again return at once.  Prints the key on stdout.",
        "examples:\n"
        "  iolab kernel build                                   # Debian's linux-source-7.3\n"
        "  iolab kernel build --series ext4-iomap-buffered-io@v7\n"
        "  iolab kernel build --source ~/linux --patches fix.patch --config debug.config"};

static int kernel_build_cmd(int argc, char **argv)
{
	struct kernel_opts o = {0};
	char *key = NULL;
	int r = opts_parse(&build_usage, build_opts, &o, argc, argv, 1, NULL);

	if (r)
		return r < 0 ? 2 : 0;
	r = kernel_build(&o, &key);
	if (r == 0)
		printf("%s\n", key);
	free(key);
	opts_free(build_opts, &o);
	return r == 0 ? 0 : 1;
}

struct info_args {
	bool path_only;
};

static const struct opt info_opts[] = {
        {"path", OPT_BOOL, offsetof(struct info_args, path_only), NULL,
         "print only the kernel's cache directory", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage info_usage = {
        "iolab kernel info [--path] KEY|PATH|latest",
        "Prints a cached kernel's metadata: release, source identity, config hash, series\n"
        "and version, applied patches, compiler.",
        NULL};

static int kernel_info_cmd(int argc, char **argv)
{
	struct info_args a = {0};
	int rest, r = opts_parse(&info_usage, info_opts, &a, argc, argv, 1, &rest);
	json_t *meta;
	char *dir;

	if (r)
		return r < 0 ? 2 : 0;
	if (rest != argc - 1) {
		error("iolab kernel info takes one KEY, key prefix, PATH or 'latest'");
		return 2;
	}
	dir = kernel_dir(argv[rest]);
	if (!dir) {
		error("no cached kernel matches '%s' ('iolab kernel build' makes one)", argv[rest]);
		return 1;
	}
	if (a.path_only) {
		printf("%s\n", dir);
		free(dir);
		return 0;
	}
	meta = kernel_meta(dir);
	free(dir);
	if (!meta)
		return 1;
	json_dumpf(meta, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("\n");
	json_decref(meta);
	return 0;
}

int cmd_kernel(int argc, char **argv)
{
	static const struct subcmd subs[] = {
	        {"build", kernel_build_cmd, "build (or find in the cache) a guest kernel"},
	        {"info", kernel_info_cmd, "print a cached kernel's metadata"},
	        {NULL, NULL, NULL},
	};

	return run_subcmd("kernel", subs, argc, argv);
}
