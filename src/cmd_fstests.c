// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bench_resources.h"
#include "cache.h"
#include "commands.h"
#include "fstests.h"
#include "image.h"
#include "opts.h"
#include "paths.h"

struct fstests_args {
	struct vm_args vm;
	char *fstests;
	char *fstests_git;
	char *configs;
	char *config;
	struct strvec groups;
	struct strvec xgroups;
	char *suite;
	int64_t disk_size;
	char *backing;
	long test_timeout;
	char *results;
	char *run;
	bool diff;
	bool summary;
	bool check_configs;
	bool list;
};

static const struct opt fstests_opts[] = {
        {"fstests", OPT_STR, offsetof(struct fstests_args, fstests), "DIR",
         "an fstests checkout (fstests is not in Debian) [default: $IOLAB_FSTESTS]", NULL, NULL},
        {"fstests-git", OPT_STR, offsetof(struct fstests_args, fstests_git), "URL",
         "clone fstests from URL into the cache instead (online machines)", NULL, NULL},
        {"config", OPT_STR, offsetof(struct fstests_args, config), "SECTIONS",
         "comma-separated sections of the configs file, e.g. 4k,4k-iomap", "4k", NULL},
        {"configs", OPT_STR, offsetof(struct fstests_args, configs), "FILE",
         "the sections file [default: iolab's fstests-configs/ext4.config]", NULL, NULL},
        {"group", OPT_LIST, offsetof(struct fstests_args, groups), "GROUP",
         "run the tests of a group (-g GROUP, as check takes it)", NULL, NULL},
        {"exclude-group", OPT_LIST, offsetof(struct fstests_args, xgroups), "GROUP",
         "leave a group out (-x GROUP), beyond the section's own", NULL, NULL},
        {"suite", OPT_CHOICE, offsetof(struct fstests_args, suite), "SUITE",
         "the Debian suite fstests is built against and runs on", IMAGE_DEFAULT_SUITE,
         "trixie|trixie-backports|sid|experimental"},
        /* Not the guest's --disk-size and --backing: fstests' disks have defaults of their own. */
        {"disk-size", OPT_SIZE, offsetof(struct fstests_args, disk_size), "SIZE",
         "size of TEST_DEV and SCRATCH_DEV [default: the section's IOLAB_DISK_SIZE]", NULL,
         "16M..4T"},
        {"backing", OPT_STR, offsetof(struct fstests_args, backing), "memory|DIR",
         "where the disk files live [default: <cache>/fstests/disks, sparse]", NULL, NULL},
        {"test-timeout", OPT_INT, offsetof(struct fstests_args, test_timeout), "SECONDS",
         "a test running longer is a hung guest: marked as an error, the run goes on", "3600",
         "1..86400"},
        {"results", OPT_STR, offsetof(struct fstests_args, results), "DIR", "where runs are stored",
         "results/fstests", NULL},
        {"run", OPT_STR, offsetof(struct fstests_args, run), "RUN",
         "for summary and diff: a run id or directory [default: the newest]", NULL, NULL},
        /* The modes' old flags, kept for a release. */
        {"list", OPT_BOOL, offsetof(struct fstests_args, list), NULL,
         "deprecated: 'iolab fstests list'", NULL, NULL},
        {"summary", OPT_BOOL, offsetof(struct fstests_args, summary), NULL,
         "deprecated: 'iolab fstests summary'", NULL, NULL},
        {"diff", OPT_BOOL, offsetof(struct fstests_args, diff), NULL,
         "deprecated: 'iolab fstests diff'", NULL, NULL},
        {"check-configs", OPT_BOOL, offsetof(struct fstests_args, check_configs), NULL,
         "deprecated: 'iolab fstests check-configs'", NULL, NULL},
        OPT_END,
};

static const struct cmd_usage fstests_usage = {
        "iolab fstests [run] --fstests DIR [--config 4k,4k-iomap] [-g GROUP | TESTS...] [options]\n"
        "       iolab fstests list --fstests DIR [--config SECTIONS] [-g GROUP | TESTS...]\n"
        "       iolab fstests diff SECTION_A SECTION_B [--run RUN]\n"
        "       iolab fstests summary [--run RUN]\n"
        "       iolab fstests check-configs [--config SECTIONS]",
        "Builds the fstests checkout for the guest's Debian userland, boots a VM per\n"
        "section with TEST_DEV and SCRATCH_DEV, makes and verifies the file system the\n"
        "section describes, and runs ./check -s SECTION.  check.log, result.xml and the\n"
        "files of failed tests go to results/fstests/<run>/<section>/.  A crashed or hung\n"
        "guest marks the running test as an error and the run goes on with the next one\n"
        "in a new VM.  The summary is kvm-xfstests': 'SECTION: N tests, F failures,\n"
        "S skipped, T seconds'.  Exit status of a run: 0 when every section ran\n"
        "(failures are results), 1 when one could not.\n"
        "  list           which tests each section would run (check -n)\n"
        "  diff A B       the tests that fail only with B (sections of a stored run, or\n"
        "                 result.xml paths); exit 1 when there is one\n"
        "  summary        the summary of a stored run again\n"
        "  check-configs  each section's mkfs and mount options in a guest (no fstests)\n"
        "--image is the guest image of check-configs; runs build their own.",
        "examples:\n"
        "  iolab fstests --fstests ~/src/xfstests-dev --config 4k,4k-iomap -g quick\n"
        "  iolab fstests run --fstests ~/src/xfstests-dev generic/001 ext4/001\n"
        "  iolab fstests diff 4k 4k-iomap               # the newest run holding both\n"
        "  iolab fstests check-configs --config 4k,64k,bigalloc_4k"};

/* check's own short options, -g and -x, as the long ones of the table. */
static char **translate_short(int argc, char **argv)
{
	char **out = xcalloc((size_t)argc + 1, sizeof(*out));

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-g"))
			out[i] = "--group";
		else if (!strcmp(argv[i], "-x"))
			out[i] = "--exclude-group";
		else
			out[i] = argv[i];
	}
	return out;
}

static int load_configs(const struct fstests_args *a, struct fstests_configs *c,
                        struct strvec *sections)
{
	char *path = a->configs ? xstrdup(a->configs) : data_path(FSTESTS_CONFIGS_DEFAULT);

	if (!path)
		return error("cannot find %s next to the iolab binary; pass --configs FILE",
		             FSTESTS_CONFIGS_DEFAULT);
	if (fstests_configs_load(path, c) < 0) {
		free(path);
		return -1;
	}
	free(path);
	sv_split(sections, a->config, ",");
	if (!sections->n)
		return error("--config names no section");
	for (size_t i = 0; i < sections->n; i++)
		if (!fstests_section_find(c, sections->v[i]))
			return -1;
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Runs under results, newest first (their names are timestamps). */
static void list_runs(const char *results, struct strvec *runs)
{
	DIR *d = opendir(results);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *p = path_join(results, de->d_name);
		char *meta = path_join(p, "run.json");

		if (de->d_name[0] != '.' && path_exists(meta))
			sv_push(runs, p);
		free(p);
		free(meta);
	}
	if (d)
		closedir(d);
	if (runs->n)
		qsort(runs->v, runs->n, sizeof(*runs->v), cmp_str);
	for (size_t i = 0; i < runs->n / 2; i++) {
		char *t = runs->v[i];

		runs->v[i] = runs->v[runs->n - 1 - i];
		runs->v[runs->n - 1 - i] = t;
	}
}

static char *find_run(const struct fstests_args *a)
{
	struct strvec runs = STRVEC_INIT;
	char *found = NULL;

	if (a->run && is_dir(a->run))
		return xstrdup(a->run);
	if (a->run) {
		char *p = path_join(a->results, a->run);

		if (is_dir(p))
			return p;
		free(p);
		error("no fstests run '%s' in %s", a->run, a->results);
		return NULL;
	}
	list_runs(a->results, &runs);
	if (runs.n)
		found = xstrdup(runs.v[0]);
	else
		error("no fstests runs in %s yet", a->results);
	sv_clear(&runs);
	return found;
}

/* A section's result.xml: a path as given, else in --run, else in the newest run holding it. */
static char *find_section(const struct fstests_args *a, const char *name, const char *other)
{
	struct strvec runs = STRVEC_INIT;
	char *found = NULL;

	if (strchr(name, '/') || path_exists(name))
		return xstrdup(name);
	if (a->run) {
		char *run = find_run(a);

		if (run)
			found = xasprintf("%s/%s/result.xml", run, name);
		free(run);
		if (found && !path_exists(found)) {
			error("%s has no result for section %s", found, name);
			free(found);
			found = NULL;
		}
		return found;
	}
	list_runs(a->results, &runs);
	for (size_t i = 0; i < runs.n && !found; i++) {
		char *p = xasprintf("%s/%s/result.xml", runs.v[i], name);
		char *q = xasprintf("%s/%s/result.xml", runs.v[i], other);

		if (path_exists(p) && (!other || path_exists(q)))
			found = xstrdup(p);
		free(p);
		free(q);
	}
	if (!found)
		error("no run in %s has results for section %s%s%s", a->results, name,
		      other ? " and " : "", other ? other : "");
	sv_clear(&runs);
	return found;
}

static int do_diff(const struct fstests_args *a, const struct strvec *args)
{
	char *pa, *pb;
	struct fstests_result ra, rb;
	struct fstests_diff d;
	int ret;

	if (args->n != 2) {
		error("iolab fstests diff takes two sections (or result.xml paths): the baseline, "
		      "then the one to check, e.g. 'iolab fstests diff 4k 4k-iomap'");
		return 2;
	}
	pa = find_section(a, args->v[0], args->v[1]);
	pb = pa ? find_section(a, args->v[1], args->v[0]) : NULL;
	if (!pa || !pb || fstests_result_load(pa, &ra) < 0) {
		free(pa);
		free(pb);
		return 2;
	}
	if (fstests_result_load(pb, &rb) < 0) {
		fstests_result_free(&ra);
		free(pa);
		free(pb);
		return 2;
	}
	info("comparing %s with %s", pa, pb);
	fstests_diff(&ra, &rb, &d);
	/* Paths say less than the sections they hold, unless both hold the same one. */
	if (strcmp(ra.section, rb.section))
		fstests_diff_print(stdout, ra.section, rb.section, &d);
	else
		fstests_diff_print(stdout, args->v[0], args->v[1], &d);
	ret = d.only_b.n ? 1 : 0;
	fstests_diff_free(&d);
	fstests_result_free(&ra);
	fstests_result_free(&rb);
	free(pa);
	free(pb);
	return ret;
}

static int do_summary(const struct fstests_args *a)
{
	char *run = find_run(a);
	DIR *d;
	struct dirent *de;
	struct strvec secs = STRVEC_INIT;

	if (!run)
		return 2;
	printf("%s\n", run);
	d = opendir(run);
	while (d && (de = readdir(d))) {
		char *xml = xasprintf("%s/%s/result.xml", run, de->d_name);

		if (de->d_name[0] != '.' && path_exists(xml))
			sv_push(&secs, de->d_name);
		free(xml);
	}
	if (d)
		closedir(d);
	if (secs.n)
		qsort(secs.v, secs.n, sizeof(*secs.v), cmp_str);
	for (size_t i = 0; i < secs.n; i++) {
		char *xml = xasprintf("%s/%s/result.xml", run, secs.v[i]);
		struct fstests_result r;

		if (fstests_result_load(xml, &r) == 0) {
			fstests_summary_print(stdout, secs.v[i], &r);
			fstests_result_free(&r);
		}
		free(xml);
	}
	sv_clear(&secs);
	free(run);
	return 0;
}

/* Before fstests is built or anything boots: the disks and the guest must fit this host. */
static int check_resources(const struct fstests_args *a, const struct fstests_configs *c,
                           const struct strvec *sections, bool full)
{
	const char *dir = res_backing_dir(a->backing);
	struct res_need n;
	struct res_host h;
	char *why;

	if (res_probe(dir, &h) < 0)
		return -1;
	fstests_resources_need(c, sections, a->disk_size, a->vm.mem, full, dir, &n);
	why = res_check(&n, &h);
	if (why) {
		error("%s", why);
		free(why);
		return -1;
	}
	why = res_summary(&n, &h);
	info("fstests %s", why);
	free(why);
	return 0;
}

static int do_run(struct fstests_args *a, const struct strvec *tests, bool check_only)
{
	struct fstests_configs c;
	struct strvec sections = STRVEC_INIT;
	struct fstests_tree tree = {0};
	struct fstests_run_opts o = {0};
	char *dir = NULL, *image = NULL, *build = NULL, *checkout = NULL;
	char *disks = NULL;
	int ret = 2;

	if (load_configs(a, &c, &sections) < 0) {
		sv_clear(&sections);
		return 2;
	}
	if (!a->backing) {
		disks = cache_dir("fstests/disks");
		a->backing = xstrdup(disks);
	}
	if (check_resources(a, &c, &sections, !check_only && !a->list) < 0)
		goto out;
	o.configs = &c;
	o.sections = &sections;
	o.groups = &a->groups;
	o.xgroups = &a->xgroups;
	o.tests = tests;
	o.disk_size = a->disk_size;
	o.test_timeout = (double)a->test_timeout;
	o.results = a->results;
	o.list_only = a->list;
	vm_config_from_args(&a->vm, &o.vm);
	o.vm.backing = a->backing;
	if (check_only) {
		ret = fstests_check_configs(&o, &dir);
		goto out;
	}
	if (a->fstests_git && fstests_clone(a->fstests_git, &checkout) < 0)
		goto out;
	if (!checkout && !a->fstests && getenv("IOLAB_FSTESTS"))
		checkout = xstrdup(getenv("IOLAB_FSTESTS"));
	if (!checkout && !a->fstests) {
		error("iolab fstests needs an fstests checkout: --fstests DIR (fstests is not in "
		      "Debian), or --fstests-git URL on an online machine");
		goto out;
	}
	if (fstests_tree_scan(checkout ? checkout : a->fstests, &tree) < 0 ||
	    fstests_image(&tree, a->suite, &image, &build) < 0)
		goto out;
	info("fstests %s%s at %s; image %.12s", tree.commit ? tree.commit : "(not git)",
	     tree.dirty ? " (modified)" : "", tree.dir, image);
	o.tree = &tree;
	o.image = image;
	o.build_key = build;
	ret = fstests_run(&o, &dir);
out:
	if (dir)
		info("fstests: %s", dir);
	fstests_configs_free(&c);
	sv_clear(&sections);
	fstests_tree_free(&tree);
	free(dir);
	free(image);
	free(build);
	free(checkout);
	free(disks);
	return ret;
}

enum fstests_mode { FT_RUN, FT_DIFF, FT_SUMMARY, FT_CHECK_CONFIGS, FT_LIST };
static const char *const fstests_modes[] = {"run",           "diff", "summary",
                                            "check-configs", "list", NULL};

int cmd_fstests(int argc, char **argv)
{
	struct fstests_args a = {0};
	struct strvec args = STRVEC_INIT;
	char **av = translate_short(argc, argv);
	int word = opts_mode_word(fstests_modes, argc, argv);
	/* The guest options fstests lets a user change; its disks are its own (see above). */
	struct opt *table = opts_join(fstests_opts, vm_options, offsetof(struct fstests_args, vm),
	                              "kernel image accel mem cpus boot-timeout");
	int mode,
	        r = opts_parse_args(&fstests_usage, table, &a, argc, av, word >= 0 ? 2 : 1, &args);

	free(av);
	if (r) {
		mode = -1;
	} else {
		bool flags[] = {false, a.diff, a.summary, a.check_configs, a.list};

		mode = opts_mode("iolab fstests", fstests_modes, word, flags);
	}
	if (mode < 0) {
		r = r > 0 ? 0 : 2;
	} else if ((mode == FT_SUMMARY || mode == FT_CHECK_CONFIGS) && args.n) {
		error("iolab fstests %s takes no tests", fstests_modes[mode]);
		r = 2;
	} else if (mode == FT_DIFF) {
		r = do_diff(&a, &args);
	} else if (mode == FT_SUMMARY) {
		r = do_summary(&a);
	} else {
		a.list = mode == FT_LIST;
		r = do_run(&a, &args, mode == FT_CHECK_CONFIGS);
	}
	opts_free(table, &a);
	free(table);
	sv_clear(&args);
	return r;
}
