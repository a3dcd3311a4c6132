// SPDX-License-Identifier: GPL-2.0
/*
 * Running fstests sections in VMs.  check runs in the background in the
 * guest while the host watches: the console says which test runs ("run
 * fstests generic/013 at ..."), the report is copied out as each test ends,
 * and a guest that crashes or hangs costs only the test it was running,
 * which is marked as an error; a new VM goes on with the rest, as
 * kvm-xfstests does.
 */
#include "fstests.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_util.h"
#include "kernel.h"

#define GUEST_WORK    "/tmp/iolab-fstests"
#define GUEST_RESULTS GUEST_WORK "/results"
/*
 * check runs in a copy on the guest's /tmp: tests write into the tree
 * (_link_out_file links tests/ext4/001.out), and the image is read-only.
 */
#define GUEST_TREE  GUEST_WORK "/fstests"
#define TEST_DIR    "/mnt/test"
#define SCRATCH_MNT "/mnt/scratch"
/* Seconds between looks at the guest while check runs. */
#define POLL_SECONDS 2.0
/* An agent busy under a loaded TCG guest can be slow; longer than this is a hung guest. */
#define AGENT_PATIENCE 90.0

/* The files fstests leaves for a failed test, copied out beside result.xml. */
static const char *const failure_files[] = {".out.bad", ".full", ".dmesg", ".hints"};

struct section_run {
	const struct fstests_run_opts *o;
	const struct fstests_section *s;
	char *dir;          /* <run>/<section> */
	const char *drop;   /* the option left out, when the kernel lacks the series */
	bool series;        /* the kernel knows the series' options */
	struct strvec todo; /* tests to run, from check -n */
	struct strvec next; /* what the next boot runs */
	bool listed;
	struct strvec parts;   /* boot-N/result.xml */
	struct strvec crashed; /* tests the guest did not come back from */
	struct strvec crash_msgs;
	struct strvec have;    /* tests with a result in some part */
	struct strvec fetched; /* failures whose files are copied */
	char *not_run;         /* why the section could not run */
	char *ext4_options;    /* /proc/fs/ext4/<dev>/options of the test fs */
	char *mount_data;      /* what it was mounted with */
	char *dump;            /* dumpe2fs -h of the test fs */
	json_t *problems;      /* console problems while tests ran */
	char *accel;
	int boots;
};

static void set_not_run(struct section_run *sr, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Why the section stopped; the first reason is the one that counts. */
static void set_not_run(struct section_run *sr, const char *fmt, ...)
{
	va_list ap;

	if (sr->not_run)
		return;
	va_start(ap, fmt);
	sr->not_run = xvasprintf(fmt, ap);
	va_end(ap);
}

/* What the console says the guest is doing. */
struct progress {
	char *console;
	long off;
	struct strbuf partial;
	char *current; /* the test running, or NULL before the first */
	double since;  /* when it started (or check did) */
	size_t nproblems;
};

/* Runs argv in the guest: its exit status, or -1 after an error line. */
static int grun(struct vm *vm, double timeout, char **out, const char *const *argv)
{
	json_t *resp = NULL;
	int r = vm_guest_run(vm, vm_argv(argv), timeout, &resp), ret;

	if (r != 0) {
		json_decref(resp);
		return error("%s in the guest: no answer (%s)", argv[0], vm_lost_reason(r));
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		ret = error("%s in the guest: %s", argv[0], jstr(resp, "error"));
	} else if (json_is_true(json_object_get(resp, "timed_out"))) {
		ret = error("%s in the guest took longer than %.0f s and was killed", argv[0],
		            timeout);
	} else {
		ret = (int)json_integer_value(json_object_get(resp, "exit"));
		if (out) {
			struct strbuf sb = STRBUF_INIT;

			sb_adds(&sb, jstr(resp, "stdout"));
			sb_adds(&sb, jstr(resp, "stderr"));
			*out = sb_detach(&sb);
		}
	}
	json_decref(resp);
	return ret;
}

static int gwrite(struct vm *vm, const char *path, const char *data, int mode)
{
	char *why = NULL;
	int ret = 0;

	if (vm_guest_write(vm, path, data, mode, &why) != 0)
		ret = error("cannot write %s in the guest: %s", path, why);
	free(why);
	return ret;
}

/* A guest file, or NULL when it does not exist; *lost is set when the guest is gone. */
static char *gread(struct vm *vm, const char *path, int *lost)
{
	char *data = NULL, *why = NULL;
	int r = vm_guest_read(vm, path, AGENT_PATIENCE, &data, &why);

	*lost = r == VM_REFUSED ? 0 : r;
	free(why);
	return data;
}

/* ---- the console: which test runs ---- */

static void progress_init(struct progress *p, const char *console)
{
	memset(p, 0, sizeof(*p));
	p->console = xstrdup(console);
	p->since = now_seconds();
}

static void progress_free(struct progress *p)
{
	free(p->console);
	free(p->current);
	sb_release(&p->partial);
	memset(p, 0, sizeof(*p));
}

/* check writes "run fstests <test> at <date>" to /dev/kmsg as each test starts. */
static bool progress_line(struct progress *p, const char *line)
{
	const char *m = strstr(line, "run fstests ");
	size_t n;

	if (!m)
		return false;
	m += strlen("run fstests ");
	n = strcspn(m, " \r\n");
	if (!n || !strchr(m, '/'))
		return false;
	free(p->current);
	p->current = xstrndup(m, n);
	p->since = now_seconds();
	return true;
}

/* Reads what the console got since the last call; true when a new test started. */
static bool progress_poll(struct progress *p)
{
	FILE *f = fopen(p->console, "r");
	char buf[8192];
	size_t n;
	bool changed = false;

	if (!f)
		return false;
	if (fseek(f, p->off, SEEK_SET) == 0) {
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			p->off += (long)n;
			sb_add(&p->partial, buf, n);
		}
	}
	fclose(f);
	for (char *nl; p->partial.len && (nl = memchr(p->partial.buf, '\n', p->partial.len));) {
		size_t len = (size_t)(nl - p->partial.buf) + 1;
		char *line = xstrndup(p->partial.buf, len - 1);

		changed |= progress_line(p, line);
		free(line);
		memmove(p->partial.buf, nl + 1, p->partial.len - len);
		p->partial.len -= len;
		p->partial.buf[p->partial.len] = '\0';
	}
	return changed;
}

/* ---- copying results out ---- */

static void save(const char *path, const char *text)
{
	char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));

	if (mkdir_p(dir) < 0 || write_str(path, text) < 0)
		warn("cannot write %s: %s", path, strerror(errno));
	free(dir);
}

static void fetch_failure(struct section_run *sr, struct vm *vm, const char *test)
{
	for (size_t i = 0; i < ARRAY_SIZE(failure_files); i++) {
		char *g =
		        xasprintf("%s/%s/%s%s", GUEST_RESULTS, sr->s->name, test, failure_files[i]);
		char *h = xasprintf("%s/%s%s", sr->dir, test, failure_files[i]);
		int lost;
		char *text = gread(vm, g, &lost);

		if (text)
			save(h, text);
		free(text);
		free(g);
		free(h);
	}
	sv_push(&sr->fetched, test);
}

/*
 * Copies the report so far (fstests rewrites it before each test), check's
 * output and the files of new failures; at the end also check.log and
 * check.time.  Returns -1 when the guest is gone.
 */
static int sync_results(struct section_run *sr, struct vm *vm, const char *boot_dir, bool final)
{
	char *g = xasprintf("%s/%s/result.xml", GUEST_RESULTS, sr->s->name);
	char *h = path_join(boot_dir, "result.xml");
	struct fstests_result res;
	int lost = 0;
	char *xml = gread(vm, g, &lost);
	char *out;

	if (xml && fstests_result_parse(xml, strlen(xml), g, &res) == 0) {
		save(h, xml);
		if (!sv_contains(&sr->parts, h))
			sv_push(&sr->parts, h);
		for (size_t i = 0; i < res.n; i++) {
			const struct fstests_case *c = &res.v[i];

			if (!sv_contains(&sr->have, c->name))
				sv_push(&sr->have, c->name);
			if ((c->status == FST_FAIL || c->status == FST_ERROR) &&
			    !sv_contains(&sr->fetched, c->name))
				fetch_failure(sr, vm, c->name);
		}
		fstests_result_free(&res);
	}
	free(xml);
	free(g);
	free(h);
	out = lost ? NULL : gread(vm, GUEST_WORK "/check.out", &lost);
	if (out) {
		h = path_join(boot_dir, "check.out");
		save(h, out);
		free(h);
		free(out);
	}
	for (size_t i = 0; final && !lost && i < 2; i++) {
		const char *name = i ? "check.time" : "check.log";
		char *text;

		g = xasprintf("%s/%s/%s", GUEST_RESULTS, sr->s->name, name);
		text = gread(vm, g, &lost);
		if (text) {
			h = path_join(boot_dir, name);
			save(h, text);
			free(h);
		}
		free(text);
		free(g);
	}
	return lost ? -1 : 0;
}

/* ---- one boot ---- */

static void shell_quote(struct strbuf *sb, const char *s)
{
	sb_addc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_addc(sb, *s);
	}
	sb_addc(sb, '\'');
}

/* check's arguments after -s SECTION: exclusions, then groups or tests. */
static void check_args(const struct section_run *sr, struct strbuf *sb, bool listing)
{
	const struct fstests_run_opts *o = sr->o;
	struct strbuf groups = STRBUF_INIT;

	for (size_t i = 0; i < sr->s->exclude_files.n; i++) {
		const char *base = strrchr(sr->s->exclude_files.v[i], '/') + 1;

		sb_addf(sb, " -E %s/exclude/%s", GUEST_WORK, base);
	}
	for (size_t i = 0; i < sr->s->exclude_groups.n; i++)
		sb_addf(&groups, "%s%s", groups.len ? "," : "", sr->s->exclude_groups.v[i]);
	for (size_t i = 0; o->xgroups && i < o->xgroups->n; i++)
		sb_addf(&groups, "%s%s", groups.len ? "," : "", o->xgroups->v[i]);
	if (groups.len)
		sb_addf(sb, " -x %s", groups.buf);
	sb_release(&groups);
	if (!listing) {
		sb_addf(sb, " $(cat %s/tests.list)", GUEST_WORK);
		return;
	}
	for (size_t i = 0; o->groups && i < o->groups->n; i++)
		sb_addf(sb, " -g %s", o->groups->v[i]);
	for (size_t i = 0; o->tests && i < o->tests->n; i++) {
		sb_addc(sb, ' ');
		shell_quote(sb, o->tests->v[i]);
	}
}

static char *script(const struct section_run *sr, bool listing)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb,
	        "# Written by iolab.\n[ -d %s ] || cp -a %s %s || exit 1\ncd %s || exit 1\n"
	        "export HOST_OPTIONS=%s/local.config\n",
	        GUEST_TREE, FSTESTS_GUEST_DIR, GUEST_TREE, GUEST_TREE, GUEST_WORK);
	if (listing) {
		sb_addf(&sb, "exec ./check -n -s %s", sr->s->name);
		check_args(sr, &sb, true);
		sb_adds(&sb, "\n");
	} else {
		/*
		 * xunit-quiet, as kvm-xfstests does where check has it: the report
		 * then leaves out each failure's .full and diff (copied out as files
		 * instead), so it stays far below what one agent reply carries.
		 */
		sb_adds(&sb, "fmt=xunit\n./check --help 2>&1 | grep -q xunit-quiet && "
		             "fmt=xunit-quiet\n");
		sb_addf(&sb, "./check -s %s -R $fmt", sr->s->name);
		check_args(sr, &sb, false);
		sb_addf(&sb,
		        " > %s/check.out 2>&1\necho $? > %s/status.tmp && mv %s/status.tmp "
		        "%s/status\n",
		        GUEST_WORK, GUEST_WORK, GUEST_WORK, GUEST_WORK);
	}
	return sb_detach(&sb);
}

/* The kernel lacks the series: ext4's one buffered path is buffer_head. */
static bool kernel_lacks_series(const struct fstests_run_opts *o)
{
	json_t *meta = kernel_meta(o->vm.kernel);
	json_t *f = json_object_get(json_object_get(meta, "features"), "buffered_iomap");
	bool lacks = json_is_false(f);

	json_decref(meta);
	return lacks;
}

/* mkfs as the section says, and dumpe2fs must agree; the file system must mount as it says. */
static int prepare_test_fs(struct section_run *sr, struct vm *vm)
{
	const char *dev = vm->disks[0].guest_path;
	const char *argv[] = {"dumpe2fs", "-h", dev, NULL};
	char *data = NULL, *dump = NULL, *why;
	struct mkfs_expect e;
	struct mount_result mr = {0};
	int ret = -1;

	if (vm_mkfs(vm, "ext4", dev, sr->s->mkfs_options) < 0) {
		set_not_run(sr, "mkfs.ext4 %s failed", sr->s->mkfs_options);
		return -1;
	}
	free(sr->dump);
	sr->dump = NULL;
	if (grun(vm, 120, &dump, argv) != 0) {
		set_not_run(sr, "dumpe2fs -h failed on the new file system");
		goto out;
	}
	{
		char *p = path_join(sr->dir, "dumpe2fs.txt");

		save(p, dump);
		free(p);
	}
	fstests_mkfs_expect(sr->s->mkfs_options, &e);
	why = fstests_mkfs_verify(&e, dump);
	mkfs_expect_free(&e);
	if (why) {
		error("[%s] mkfs.ext4 %s did not make what it asks for: %s", sr->s->name,
		      sr->s->mkfs_options, why);
		set_not_run(sr, "mkfs.ext4 %s: %s", sr->s->mkfs_options, why);
		free(why);
		goto out;
	}
	{
		char *opts =
		        sr->drop ? fstests_drop_mount_option(sr->s->test_mount_options, sr->drop)
		                 : xstrdup(sr->s->test_mount_options);

		data = fstests_mount_data(opts);
		free(opts);
		free(sr->mount_data);
		sr->mount_data = xstrdup(data);
		sr->dump = xstrdup(dump);
	}
	if (vm_mount(vm, dev, TEST_DIR, "ext4", data, &mr) < 0) {
		const char *opt = !strcmp(sr->s->path, "iomap") ? "buffered_iomap" : NULL;

		if (!sr->series && opt && strstr(data, opt))
			set_not_run(sr, "kernel does not support %s", opt);
		else
			set_not_run(sr, "TEST_DEV does not mount with -o %s", data);
		goto out;
	}
	free(sr->ext4_options);
	sr->ext4_options = NULL;
	if (mr.ext4_options) {
		/* One option a line in /proc; one line here. */
		struct strvec opts = STRVEC_INIT;
		struct strbuf sb = STRBUF_INIT;

		sv_split(&opts, mr.ext4_options, "\n");
		for (size_t i = 0; i < opts.n; i++)
			sb_addf(&sb, "%s%s", i ? "," : "", opts.v[i]);
		sr->ext4_options = sb_detach(&sb);
		sv_clear(&opts);
	}
	mount_result_free(&mr);
	if (vm_umount(vm, TEST_DIR) < 0) {
		set_not_run(sr, "the test file system did not unmount");
		goto out;
	}
	ret = 0;
out:
	free(data);
	free(dump);
	return ret;
}

static int write_guest_files(struct section_run *sr, struct vm *vm)
{
	struct fstests_devices d = {vm->disks[0].guest_path, TEST_DIR, vm->disks[1].guest_path,
	                            SCRATCH_MNT, GUEST_RESULTS};
	/* /mnt is a tmpfs the agent mounts: the image's mount points are under it. */
	const char *mk[] = {"mkdir",  "-p",        GUEST_RESULTS, GUEST_WORK "/exclude",
	                    TEST_DIR, SCRATCH_MNT, NULL};
	char *cfg = fstests_local_config(sr->s, &d, sr->drop);
	char *run = script(sr, false), *list = script(sr, true);
	struct strbuf tests = STRBUF_INIT;
	int ret = grun(vm, 60, NULL, mk) == 0 ? 0 : -1;

	{
		char *p = path_join(sr->dir, "local.config"), *q = path_join(sr->dir, "run.sh");

		save(p, cfg);
		save(q, run);
		free(p);
		free(q);
	}
	ret = ret < 0 || gwrite(vm, GUEST_WORK "/local.config", cfg, 0644) < 0 ||
	                      gwrite(vm, GUEST_WORK "/run.sh", run, 0755) < 0 ||
	                      gwrite(vm, GUEST_WORK "/list.sh", list, 0755) < 0
	              ? -1
	              : 0;
	for (size_t i = 0; ret == 0 && i < sr->s->exclude_files.n; i++) {
		const char *src = sr->s->exclude_files.v[i];
		char *text = read_file(src, NULL);
		char *dst = xasprintf("%s/exclude/%s", GUEST_WORK, strrchr(src, '/') + 1);

		ret = text ? gwrite(vm, dst, text, 0644) : error("cannot read %s", src);
		free(text);
		free(dst);
	}
	for (size_t i = 0; i < sr->next.n; i++)
		sb_addf(&tests, "%s\n", sr->next.v[i]);
	if (ret == 0 && sr->listed)
		ret = gwrite(vm, GUEST_WORK "/tests.list", tests.buf ? tests.buf : "", 0644);
	sb_release(&tests);
	free(cfg);
	free(run);
	free(list);
	return ret;
}

/* "generic/001" lines of check -n; "[expunged]" ones are excluded by -E. */
static void parse_listing(const char *out, struct strvec *tests, struct strvec *expunged)
{
	struct strvec lines = STRVEC_INIT;

	sv_split(&lines, out, "\n");
	for (size_t i = 0; i < lines.n; i++) {
		char *l = lines.v[i];
		size_t n = strcspn(l, " \t");
		const char *slash = strchr(l, '/');

		if (!slash || (size_t)(slash - l) >= n || strstr(l, " -- "))
			continue;
		if (strstr(l, "[expunged]")) {
			l[n] = '\0';
			sv_push(expunged, l);
			continue;
		}
		if (l[n] && strspn(l + n, " \t") != strlen(l + n))
			continue;
		l[n] = '\0';
		sv_push(tests, l);
	}
	sv_clear(&lines);
}

static int list_tests(struct section_run *sr, struct vm *vm)
{
	const char *argv[] = {"bash", GUEST_WORK "/list.sh", NULL};
	struct strvec expunged = STRVEC_INIT;
	char *out = NULL, *p;
	int rc = grun(vm, 1800, &out, argv);

	p = path_join(sr->dir, "check-n.out");
	if (out)
		save(p, out);
	free(p);
	if (rc != 0) {
		if (rc > 0)
			error("[%s] ./check -n failed (exit %d); its output is in %s/check-n.out",
			      sr->s->name, rc, sr->dir);
		set_not_run(sr, "./check -n failed");
		free(out);
		return -1;
	}
	parse_listing(out, &sr->todo, &expunged);
	free(out);
	sr->listed = true;
	if (expunged.n) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < expunged.n; i++)
			sb_addf(&sb, "%s\n", expunged.v[i]);
		p = path_join(sr->dir, "tests-excluded");
		save(p, sb.buf);
		free(p);
		sb_release(&sb);
		/* Named on the command line, left out by the section: say so. */
		for (size_t i = 0; sr->o->tests && i < expunged.n; i++)
			if (sv_contains(sr->o->tests, expunged.v[i]))
				warn("[%s] %s is in the section's exclusion files and does not run",
				     sr->s->name, expunged.v[i]);
		info("[%s] %zu tests excluded by the section's exclusion files (tests-excluded)",
		     sr->s->name, expunged.n);
	}
	sv_clear(&expunged);
	{
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < sr->todo.n; i++)
			sb_addf(&sb, "%s\n", sr->todo.v[i]);
		p = path_join(sr->dir, "tests-to-run");
		save(p, sb.buf ? sb.buf : "");
		free(p);
		sb_release(&sb);
	}
	return 0;
}

static void record_problems(struct section_run *sr, struct vm *vm, struct progress *p, int boot)
{
	json_t *probs = vm->console.problems;

	for (size_t i = p->nproblems; i < json_array_size(probs); i++) {
		json_t *x = json_array_get(probs, i);

		json_array_append_new(sr->problems,
		                      json_pack("{s:i, s:s?, s:s, s:s, s:s}", "boot", boot, "test",
		                                p->current, "kind", jstr(x, "kind"), "line",
		                                jstr(x, "line"), "excerpt", jstr(x, "excerpt")));
	}
	p->nproblems = json_array_size(probs);
}

static void mark_crash(struct section_run *sr, struct vm *vm, const char *test, const char *why)
{
	char *tail = console_tail(&vm->console, 60);
	char *p = xasprintf("%s/%s.console", sr->dir, test);

	save(p, tail);
	free(p);
	free(tail);
	sv_push(&sr->crashed, test);
	sv_pushf(&sr->crash_msgs, "Machine rebooted (crash or test timeout): %s", why);
	error("[%s] %s: %s; it is marked as an error and the run goes on with the next test",
	      sr->s->name, test, why);
}

/* The first console problem that ended the guest, for the error message. */
static char *fatal_line(struct vm *vm)
{
	json_t *probs = vm->console.problems, *x;
	size_t i;

	console_poll(&vm->console);
	json_array_foreach(probs, i, x)
	{
		if (!strcmp(jstr(x, "severity"), "fatal"))
			return xasprintf("the kernel crashed (%s)", jstr(x, "line"));
	}
	return xstrdup("the kernel crashed");
}

/*
 * Watches check until it ends (0) or the guest is lost (1); the test it
 * was running then, if it has no result, is marked as an error.
 */
static int watch(struct section_run *sr, struct vm *vm, const char *boot_dir, int boot)
{
	char *console = path_join(boot_dir, "console.log");
	struct progress p;
	char *why = NULL;
	int ret = 1;

	progress_init(&p, console);
	free(console);
	for (;;) {
		struct timespec ts = {(time_t)POLL_SECONDS, 0};
		int lost = 0;
		char *status;

		nanosleep(&ts, NULL);
		status = gread(vm, GUEST_WORK "/status", &lost);
		if (progress_poll(&p) && !lost)
			lost = sync_results(sr, vm, boot_dir, false) < 0 ? VM_QEMU_EXITED : 0;
		record_problems(sr, vm, &p, boot);
		if (lost) {
			why = lost == VM_KERNEL_FATAL ? fatal_line(vm)
			      : lost == AGENT_TIMEOUT
			              ? xasprintf("the guest stopped answering for %.0f s",
			                          AGENT_PATIENCE)
			              : xstrdup(vm_lost_reason(lost));
			break;
		}
		if (status) {
			free(status);
			sync_results(sr, vm, boot_dir, true);
			ret = 0;
			goto out;
		}
		if (now_seconds() - p.since > sr->o->test_timeout) {
			why = xasprintf("no progress for %.0f s (--test-timeout)",
			                sr->o->test_timeout);
			break;
		}
	}
	/* The last lines may have arrived with the crash. */
	progress_poll(&p);
	record_problems(sr, vm, &p, boot);
	if (p.current && !sv_contains(&sr->have, p.current))
		mark_crash(sr, vm, p.current, why);
	else
		error("[%s] boot %d: the guest was lost %s: %s; see %s/console.log", sr->s->name,
		      boot, p.current ? "between tests" : "before the first test", why, boot_dir);
out:
	free(why);
	progress_free(&p);
	return ret;
}

/* Tests that still need a run: listed, without a result, and not the ones that crashed. */
static void remaining(struct section_run *sr, struct strvec *left)
{
	for (size_t i = 0; i < sr->todo.n; i++)
		if (!sv_contains(&sr->have, sr->todo.v[i]) &&
		    !sv_contains(&sr->crashed, sr->todo.v[i]))
			sv_push(left, sr->todo.v[i]);
}

/* One VM: set up, check, watch.  0: done; 1: lost during a test (go on); -1: give up. */
static int one_boot(struct section_run *sr, int boot)
{
	const struct fstests_run_opts *o = sr->o;
	struct vm_config cfg = o->vm;
	struct vm vm;
	char *boot_dir = xasprintf("%s/boot-%d", sr->dir, boot);
	const char *start[] = {
	        "sh", "-c", "setsid bash " GUEST_WORK "/run.sh </dev/null >/dev/null 2>&1 &", NULL};
	int ret = -1;

	cfg.image = o->image;
	cfg.disks = 2;
	cfg.disk_size = o->disk_size ? o->disk_size : sr->s->disk_size;
	cfg.run_dir = boot_dir;
	if (vm_start(&cfg, &vm) < 0) {
		/*
		 * Not a test result: multi-threaded TCG guests of this kernel now and
		 * then take an int3 Oops in ktime_get while booting.  A second boot
		 * tells a flake from a kernel that cannot boot.
		 */
		char *con = path_join(boot_dir, "console.log");
		char *keep = path_join(boot_dir, "console.failed-boot.log");

		rename(con, keep);
		free(con);
		free(keep);
		info("[%s] boot %d failed before any test; booting once more", sr->s->name, boot);
		if (vm_start(&cfg, &vm) < 0) {
			set_not_run(sr, "the VM did not boot, twice");
			free(boot_dir);
			return -1;
		}
	}
	free(sr->accel);
	sr->accel = xstrdup(vm.accel);
	info("[%s] boot %d: guest up in %.1f s under %s; TEST_DEV %s, SCRATCH_DEV %s", sr->s->name,
	     boot, vm.boot_seconds, vm.accel, vm.disks[0].guest_path, vm.disks[1].guest_path);
	if (prepare_test_fs(sr, &vm) < 0)
		goto out;
	if (write_guest_files(sr, &vm) < 0) {
		set_not_run(sr, "check's files could not be written in the guest");
		goto out;
	}
	if (!sr->listed) {
		if (list_tests(sr, &vm) < 0)
			goto out;
		info("[%s] %zu test%s to run", sr->s->name, sr->todo.n, sr->todo.n == 1 ? "" : "s");
		for (size_t i = 0; i < sr->todo.n; i++)
			sv_push(&sr->next, sr->todo.v[i]);
		if (o->list_only || !sr->todo.n) {
			ret = 0;
			goto out;
		}
		if (write_guest_files(sr, &vm) < 0) {
			set_not_run(sr, "check's files could not be written in the guest");
			goto out;
		}
	}
	if (grun(&vm, 60, NULL, start) != 0) {
		set_not_run(sr, "check did not start");
		goto out;
	}
	ret = watch(sr, &vm, boot_dir, boot);
out:
	vm_stop(&vm);
	free(boot_dir);
	return ret;
}

/* ---- a section, over as many boots as crashes make it take ---- */

static void section_run_free(struct section_run *sr)
{
	free(sr->dir);
	sv_clear(&sr->todo);
	sv_clear(&sr->next);
	sv_clear(&sr->parts);
	sv_clear(&sr->crashed);
	sv_clear(&sr->crash_msgs);
	sv_clear(&sr->have);
	sv_clear(&sr->fetched);
	free(sr->not_run);
	free(sr->ext4_options);
	free(sr->mount_data);
	free(sr->dump);
	json_decref(sr->problems);
	free(sr->accel);
}

/* check.log and check.out of the boots, one after the other; crashes said where they happened. */
static void concat_logs(struct section_run *sr, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char *out = path_join(sr->dir, name);

	for (int b = 1; b <= sr->boots; b++) {
		char *p = xasprintf("%s/boot-%d/%s", sr->dir, b, name);
		char *text = read_file(p, NULL);

		if (sr->boots > 1)
			sb_addf(&sb, "%s# iolab: boot %d%s\n", sb.len ? "\n" : "", b,
			        text ? "" : ": none, the guest was lost before check wrote it");
		if (text)
			sb_adds(&sb, text);
		free(text);
		free(p);
	}
	for (size_t i = 0; i < sr->crashed.n && !strcmp(name, "check.log"); i++)
		sb_addf(&sb, "Error: %s: %s\n", sr->crashed.v[i], sr->crash_msgs.v[i]);
	if (sb.len)
		save(out, sb.buf);
	sb_release(&sb);
	free(out);
}

static void write_section_meta(struct section_run *sr, const struct strvec *left)
{
	json_t *crashes = json_array(), *unrun = json_array();
	char *p = path_join(sr->dir, "section.json"), *text;
	json_t *m;

	for (size_t i = 0; i < sr->crashed.n; i++)
		json_array_append_new(crashes, json_pack("{s:s, s:s}", "test", sr->crashed.v[i],
		                                         "message", sr->crash_msgs.v[i]));
	for (size_t i = 0; left && i < left->n; i++)
		json_array_append_new(unrun, json_string(left->v[i]));
	m = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:i, s:s?, s:I, s:o, s:o, s:O, s:s?}",
	              "section", sr->s->name, "path", sr->s->path, "mkfs_options",
	              sr->s->mkfs_options, "test_mount_options", sr->s->test_mount_options,
	              "left_out_option", sr->drop, "ext4_options", sr->ext4_options, "boots",
	              sr->boots, "accel", sr->accel, "tests_listed", (json_int_t)sr->todo.n,
	              "crashes", crashes, "never_run", unrun, "console_problems", sr->problems,
	              "not_run", sr->not_run);
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	save(p, text);
	free(text);
	json_decref(m);
	free(p);
}

static void merge_section(struct section_run *sr)
{
	struct fstests_error *errs = xcalloc(sr->crashed.n + 1, sizeof(*errs));
	char *out = path_join(sr->dir, "result.xml");

	for (size_t i = 0; i < sr->crashed.n; i++)
		errs[i] = (struct fstests_error){sr->crashed.v[i], sr->crash_msgs.v[i]};
	if (fstests_results_merge(&sr->parts, errs, sr->crashed.n, sr->s->name, out) < 0)
		error("[%s] the results of its boots could not be merged into %s", sr->s->name,
		      out);
	concat_logs(sr, "check.log");
	concat_logs(sr, "check.out");
	free(errs);
	free(out);
}

/* 0 when the section ran (failures are results), 1 when it could not. */
static int run_section(const struct fstests_run_opts *o, const struct fstests_section *s,
                       const char *run_dir, bool series)
{
	struct section_run sr = {.o = o, .s = s, .series = series};
	struct strvec left = STRVEC_INIT;
	int ret = 0;

	sr.dir = path_join(run_dir, s->name);
	sr.problems = json_array();
	if (mkdir_p(sr.dir) < 0) {
		error("cannot create %s: %s", sr.dir, strerror(errno));
		section_run_free(&sr);
		return 1;
	}
	if (!series && !strcmp(s->path, "bh") &&
	    strstr(s->test_mount_options, "nobuffered_iomap")) {
		sr.drop = "nobuffered_iomap";
		info("[%s] the kernel lacks the series: mounting without nobuffered_iomap, on "
		     "ext4's only buffered path (buffer_head)",
		     s->name);
	}
	for (int boot = 1;; boot++) {
		size_t before = sr.have.n + sr.crashed.n;
		int r = one_boot(&sr, boot);

		sr.boots = boot;
		if (r <= 0)
			break;
		sv_clear(&left);
		remaining(&sr, &left);
		if (!left.n)
			break;
		if (sr.have.n + sr.crashed.n == before) {
			error("[%s] boot %d got no test done; %zu tests are left unrun", s->name,
			      boot, left.n);
			set_not_run(&sr,
			            "boot %d was lost before a test ended; %zu tests left unrun",
			            boot, left.n);
			break;
		}
		info("[%s] going on with the %zu test%s left, in a new VM", s->name, left.n,
		     left.n == 1 ? "" : "s");
		sv_clear(&sr.next);
		for (size_t i = 0; i < left.n; i++)
			sv_push(&sr.next, left.v[i]);
		sv_clear(&left);
	}
	sv_clear(&left);
	if (sr.listed && !o->list_only)
		remaining(&sr, &left);
	if (!o->list_only && (sr.parts.n || sr.crashed.n))
		merge_section(&sr);
	if (o->list_only && sr.listed) {
		for (size_t i = 0; i < sr.todo.n; i++)
			printf("%s\n", sr.todo.v[i]);
		fflush(stdout);
	}
	if (sr.not_run || !sr.listed || left.n)
		ret = 1;
	write_section_meta(&sr, &left);
	sv_clear(&left);
	section_run_free(&sr);
	return ret;
}

static char *new_run_dir(const char *results)
{
	char *stamp = stamp_now();
	char *dir = xasprintf("%s/%s", results, stamp);

	if (path_exists(dir)) {
		free(dir);
		dir = xasprintf("%s/%s-%ld", results, stamp, (long)getpid());
	}
	free(stamp);
	return dir;
}

static void write_run_meta(const struct fstests_run_opts *o, const char *dir, bool series)
{
	json_t *secs = json_array(), *groups = json_array(), *tests = json_array();
	const struct fstests_tree *t = o->tree;
	char *created = iso_time_now(), *p = path_join(dir, "run.json"), *text;
	json_t *kmeta = kernel_meta(o->vm.kernel), *m;

	for (size_t i = 0; i < o->sections->n; i++)
		json_array_append_new(secs, json_string(o->sections->v[i]));
	for (size_t i = 0; o->groups && i < o->groups->n; i++)
		json_array_append_new(groups, json_string(o->groups->v[i]));
	for (size_t i = 0; o->tests && i < o->tests->n; i++)
		json_array_append_new(tests, json_string(o->tests->v[i]));
	m = json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:s, s:s?, s:{s:s, s:s?, s:b, s:s}, s:s, "
	              "s:o, s:o, s:o, s:f}",
	              "created", created, "configs", o->configs->path, "kernel",
	              json_string_value(json_object_get(kmeta, "key")), "kernel_release",
	              json_string_value(json_object_get(kmeta, "release")), "kernel_has_series",
	              series, "image", o->image, "fstests_build", o->build_key, "fstests", "dir",
	              t->dir, "commit", t->commit, "dirty", t->dirty, "tree_id", t->id, "accel",
	              o->vm.accel, "sections", secs, "groups", groups, "tests", tests,
	              "test_timeout", o->test_timeout);
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	save(p, text);
	free(text);
	json_decref(m);
	json_decref(kmeta);
	free(created);
	free(p);
}

/* One summary line per section, then which tests fail only with iomap for each pair run. */
static void print_run_summary(const struct fstests_run_opts *o, const char *dir)
{
	for (size_t i = 0; i < o->sections->n; i++) {
		const char *name = o->sections->v[i];
		char *sdir = path_join(dir, name), *meta = path_join(sdir, "section.json");
		char *xml = path_join(sdir, "result.xml");
		json_t *m = json_load_file(meta, 0, NULL);
		const char *why = json_string_value(json_object_get(m, "not_run"));
		struct fstests_result r;

		if (path_exists(xml) && fstests_result_load(xml, &r) == 0) {
			fstests_summary_print(stdout, name, &r);
			fstests_result_free(&r);
		}
		if (why)
			printf("%s: not run%s: %s\n", name, path_exists(xml) ? " to the end" : "",
			       why);
		json_decref(m);
		free(sdir);
		free(meta);
		free(xml);
	}
	for (size_t i = 0; i < o->sections->n; i++) {
		char *iomap = xasprintf("%s-iomap", o->sections->v[i]);
		char *a = xasprintf("%s/%s/result.xml", dir, o->sections->v[i]);
		char *b = xasprintf("%s/%s/result.xml", dir, iomap);
		struct fstests_result ra, rb;

		if (sv_contains(o->sections, iomap) && path_exists(a) && path_exists(b) &&
		    fstests_result_load(a, &ra) == 0) {
			if (fstests_result_load(b, &rb) == 0) {
				struct fstests_diff d;

				fstests_diff(&ra, &rb, &d);
				fstests_diff_print(stdout, o->sections->v[i], iomap, &d);
				fstests_diff_free(&d);
				fstests_result_free(&rb);
			}
			fstests_result_free(&ra);
		}
		free(iomap);
		free(a);
		free(b);
	}
}

int fstests_run(const struct fstests_run_opts *o, char **run_dir_out)
{
	bool series = !kernel_lacks_series(o);
	char *dir = new_run_dir(o->results);
	int ret = 0;

	*run_dir_out = NULL;
	if (mkdir_p(dir) < 0) {
		error("cannot create %s: %s", dir, strerror(errno));
		free(dir);
		return 1;
	}
	info("fstests: results go to %s", dir);
	write_run_meta(o, dir, series);
	for (size_t i = 0; i < o->sections->n; i++) {
		const struct fstests_section *s =
		        fstests_section_find(o->configs, o->sections->v[i]);

		ret |= s ? run_section(o, s, dir, series) : 1;
	}
	if (!o->list_only)
		print_run_summary(o, dir);
	*run_dir_out = dir;
	return ret;
}

/* ---- checking the sections without fstests ---- */

/* What dumpe2fs showed of what the options ask for: "block size 4096, cluster size 65536,
 * bigalloc". */
static void describe_made(const struct mkfs_expect *e, const char *dump, struct strbuf *sb)
{
	static const char *const fields[] = {"Block size", "Cluster size", "Inode size"};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		bool asked =
		        i == 0 ||
		        (i == 1 && (e->cluster_size || sv_contains(&e->features_on, "bigalloc"))) ||
		        (i == 2 && e->inode_size);
		char *v = asked ? fstests_dumpe2fs_field(dump, fields[i]) : NULL;

		if (v)
			sb_addf(sb, "%s%s %s", sb->len ? ", " : "", fields[i], v);
		free(v);
	}
	for (size_t i = 0; i < e->features_on.n; i++)
		sb_addf(sb, "%s%s", sb->len ? ", " : "", e->features_on.v[i]);
	for (size_t i = 0; i < e->features_off.n; i++)
		sb_addf(sb, "%sno %s", sb->len ? ", " : "", e->features_off.v[i]);
}

int fstests_check_configs(const struct fstests_run_opts *o, char **run_dir_out)
{
	bool series = !kernel_lacks_series(o);
	char *dir = new_run_dir(o->results);
	char *vmdir = path_join(dir, "vm");
	struct vm_config cfg = o->vm;
	struct vm vm;
	int ret = 0;

	*run_dir_out = dir;
	cfg.disks = 1;
	cfg.run_dir = vmdir;
	cfg.disk_size = o->disk_size;
	for (size_t i = 0; !o->disk_size && i < o->sections->n; i++) {
		const struct fstests_section *s =
		        fstests_section_find(o->configs, o->sections->v[i]);

		if (!s) {
			free(vmdir);
			return 1;
		}
		if (s->disk_size > cfg.disk_size)
			cfg.disk_size = s->disk_size;
	}
	if (mkdir_p(dir) < 0 || vm_start(&cfg, &vm) < 0) {
		free(vmdir);
		return 1;
	}
	for (size_t i = 0; i < o->sections->n; i++) {
		const struct fstests_section *s =
		        fstests_section_find(o->configs, o->sections->v[i]);
		struct section_run sr = {.o = o, .s = s, .series = series};
		struct mkfs_expect e;
		struct strbuf made = STRBUF_INIT;
		int r;

		sr.dir = path_join(dir, s->name);
		if (!series && !strcmp(s->path, "bh"))
			sr.drop = "nobuffered_iomap";
		r = prepare_test_fs(&sr, &vm);
		fstests_mkfs_expect(s->mkfs_options, &e);
		if (sr.dump)
			describe_made(&e, sr.dump, &made);
		mkfs_expect_free(&e);
		if (r == 0) {
			printf("%s: mkfs.ext4 %s made %s (dumpe2fs -h); mounts with -o %s%s%s%s\n",
			       s->name, s->mkfs_options, made.buf, sr.mount_data,
			       sr.drop ? " (" : "", sr.drop ? sr.drop : "",
			       sr.drop ? " left out: the kernel lacks the series)" : "");
		} else if (sr.dump && sr.not_run &&
		           starts_with(sr.not_run, "kernel does not support")) {
			printf("%s: mkfs.ext4 %s made %s (dumpe2fs -h); cannot run on this kernel: "
			       "%s\n",
			       s->name, s->mkfs_options, made.buf, sr.not_run);
		} else {
			printf("%s: FAILED: %s\n", s->name, sr.not_run ? sr.not_run : "see above");
			ret = 1;
		}
		sb_release(&made);
		fflush(stdout);
		section_run_free(&sr);
		if (vm.qemu_exited) {
			ret = 1;
			break;
		}
	}
	vm_stop(&vm);
	free(vmdir);
	return ret;
}
