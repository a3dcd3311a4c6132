// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "commands.h"
#include "kernel.h"
#include "opts.h"

static const struct opt build_opts[] = {
        {"source", OPT_STR, offsetof(struct kernel_opts, source), "SPEC",
         "debian:linux-source-X.Y, a kernel tree (plain or git), or a .tar.xz/.tar.gz",
         KERNEL_DEFAULT_SOURCE, NULL},
        {"series", OPT_STR, offsetof(struct kernel_opts, series), "NAME[@vN]",
         "a series under kernel-patches/: the newest version fitting the source, from a "
         "drop-in, the patch store or b4 ('iolab kernel series' shows which)",
         NULL, NULL},
        {"patches", OPT_LIST, offsetof(struct kernel_opts, patches), "FILE|DIR",
         "more patches: an mbox, a directory of patches, or one patch", NULL, NULL},
        {"config", OPT_LIST, offsetof(struct kernel_opts, configs), "FILE",
         "an extra Kconfig fragment merged after vm/kconfig/*.config", NULL, NULL},
        {"upto", OPT_INT, offsetof(struct kernel_opts, series_upto), "N",
         "apply only the series' first N patches (a point of a series walk; 0: all)", "0",
         "0..9999"},
        {"jobs", OPT_INT, offsetof(struct kernel_opts, jobs), "N",
         "parallel make jobs (0: one per CPU)", "0", "0..1024"},
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
        "  iolab --patch-store ../shared/series kernel build --series ext4-iomap-buffered-io\n"
        "  iolab kernel build --source ~/linux --patches fix.patch --config debug.config"};

static int kernel_build_cmd(int argc, char **argv)
{
	struct kernel_opts o = {0};
	char *key = NULL;
	int r = opts_parse(&build_usage, build_opts, &o, argc, argv, 1, NULL);

	if (r) {
		opts_free(build_opts, &o);
		return r < 0 ? 2 : 0;
	}
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

struct series_args {
	char *source;
};

static const struct opt series_opts[] = {
        {"source", OPT_STR, offsetof(struct series_args, source), "SPEC",
         "the kernel source whose base the series must fit", KERNEL_DEFAULT_SOURCE, NULL},
        OPT_END,
};

static const struct cmd_usage series_usage = {
        "iolab kernel series [--source SPEC] NAME[@vN[-on-BASE]]",
        "Says which version (or port) of a series 'kernel build --series' would apply to the\n"
        "source's base, where its patches come from (drop-in, patch store, b4), and each\n"
        "patch's subject and sha256.  Builds nothing.",
        "examples:\n"
        "  iolab --patch-store ../shared/series kernel series ext4-iomap-buffered-io\n"
        "  iolab kernel series ext4-iomap-buffered-io@v7"};

static int kernel_series_cmd(int argc, char **argv)
{
	struct series_args a = {0};
	struct ksource src = {0};
	struct series_pick p = {0};
	struct patch_list pl = {0};
	int rest, ret = 1, r = opts_parse(&series_usage, series_opts, &a, argc, argv, 1, &rest);

	if (r)
		return r < 0 ? 2 : 0;
	if (rest != argc - 1) {
		error("iolab kernel series takes one series NAME[@vN[-on-BASE]]");
		opts_free(series_opts, &a);
		return 2;
	}
	if (ksource_resolve(a.source, &src) < 0 || series_pick(argv[rest], src.base, &p) < 0)
		goto out;
	if (!p.patches_path) {
		error("%s", p.missing);
		goto out;
	}
	{
		char *id = series_pick_id(&p);
		char *split = cache_dir("series/%s/show-%ld", p.s.name, (long)getpid());

		printf("series   %s (%s)\n", id, p.s.title);
		printf("base     %s (source %s)\n", src.base, src.identity);
		printf("version  %s, made for %s%s%s\n", p.v->name, p.v->base ? p.v->base : "?",
		       p.port ? ", ported onto " : "", p.port ? p.port : "");
		printf("origin   %s: %s\n", p.origin, p.patches_path);
		if (p.port_notes)
			printf("notes    %s\n", p.port_notes);
		if (patches_load(p.patches_path, split, &pl) == 0) {
			printf("patches  %zu\n", pl.n);
			for (size_t i = 0; i < pl.n; i++)
				printf("  %2zu %.12s %s\n", i + 1, pl.v[i].sha256, pl.v[i].subject);
			ret = 0;
		}
		rm_rf(split);
		free(split);
		free(id);
	}
out:
	patches_free(&pl);
	series_pick_free(&p);
	ksource_free(&src);
	opts_free(series_opts, &a);
	return ret;
}

int cmd_kernel(int argc, char **argv)
{
	static const struct subcmd subs[] = {
	        {"build", kernel_build_cmd, "build (or find in the cache) a guest kernel"},
	        {"info", kernel_info_cmd, "print a cached kernel's metadata"},
	        {"series", kernel_series_cmd, "say which version of a series fits a source"},
	        {NULL, NULL, NULL},
	};

	return run_subcmd("kernel", subs, argc, argv);
}
