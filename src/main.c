// SPDX-License-Identifier: GPL-2.0
/*
 * iolab: a QEMU lab for Linux file-system I/O paths.  This file only
 * dispatches; each stage of the pipeline lives in its own builtin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "commands.h"
#include "util.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
        {"kernel", cmd_kernel, "build guest kernels (source, patch series, config) into the cache"},
        {"image", cmd_image, "build the guest userland image (Debian packages + agent)"},
        {"vm", cmd_vm, "boot a cached kernel with virtio-blk, NVMe or pmem disks"},
        {"bench", cmd_bench, "run a bh-vs-iomap fio matrix and store the samples"},
        {"report", cmd_report, "print tables, plots and an HTML report of a run"},
        {"compare", cmd_compare, "compare two runs; exit 1 on a significant regression"},
        {"walk", cmd_walk, "walk a series patch by patch: which patch moves which cell; bisect"},
        {"fstests", cmd_fstests, "run fstests sections (bh and iomap) in VMs; compare them"},
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: iolab [--cache DIR] [--patch-store DIR] [--quiet] <command> [options]\n\n"
	        "A QEMU lab for Linux file-system I/O paths (first subject: ext4 buffered "
	        "I/O through iomap).\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'iolab <command> --help' says more about each.\n"
	           "The cache lives in --cache DIR, $IOLAB_CACHE, or $XDG_CACHE_HOME/iolab.\n"
	           "Series patches are found beside kernel-patches/<series>/series.ini, in the\n"
	           "patch store (--patch-store DIR or $IOLAB_PATCH_STORE: <series>/<version>.mbx,\n"
	           "<series>/<version>-on-<base>/), or fetched with b4 when online.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			iolab_quiet = true;
		} else if (!strcmp(argv[i], "--cache") && i + 1 < argc) {
			cache_set_root(argv[++i]);
		} else if (starts_with(argv[i], "--cache=")) {
			cache_set_root(argv[i] + strlen("--cache="));
		} else if (!strcmp(argv[i], "--patch-store") && i + 1 < argc) {
			/* The environment carries it to every process the lab starts. */
			setenv("IOLAB_PATCH_STORE", argv[++i], 1);
		} else if (starts_with(argv[i], "--patch-store=")) {
			setenv("IOLAB_PATCH_STORE", argv[i] + strlen("--patch-store="), 1);
		} else {
			error("unknown option '%s'; 'iolab --help' lists the options", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
		if (!strcmp(commands[c].name, argv[i]))
			return commands[c].fn(argc - i, argv + i);
	error("unknown command '%s'; 'iolab --help' lists the commands", argv[i]);
	return 2;
}
