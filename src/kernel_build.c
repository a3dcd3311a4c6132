// SPDX-License-Identifier: GPL-2.0
/*
 * source + patches + fragments -> a cached bzImage with metadata.  The key
 * covers every input; the object directory is kept per "slot" (same place,
 * same series, same fragments) so that editing one file under fs/ext4
 * recompiles only what changed.
 */
#include "kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_resources.h"
#include "cache.h"
#include "paths.h"
#include "run_command.h"

/* Bump when the way a kernel is built changes what comes out. */
#define KERNEL_RECIPE "1"

void kernel_key(const struct kernel_inputs *in, char out[65])
{
	struct hasher *h = hasher_new();

	hasher_field(h, "recipe", KERNEL_RECIPE);
	hasher_field(h, "source", in->source_identity);
	hasher_field(h, "series", in->series ? in->series : "");
	for (size_t i = 0; in->patches && i < in->patches->n; i++)
		hasher_field(h, "patch", in->patches->v[i].sha256);
	for (size_t i = 0; in->fragments && i < in->fragments->n; i++) {
		char sha[65];
		const char *base = strrchr(in->fragments->v[i], '/');

		if (sha256_file_hex(in->fragments->v[i], sha) < 0)
			memset(sha, '0', 64), sha[64] = '\0';
		hasher_field(h, "fragment", base ? base + 1 : in->fragments->v[i]);
		hasher_field(h, "fragment-sha", sha);
	}
	hasher_field(h, "compiler", in->compiler ? in->compiler : "");
	hasher_final(h, out);
}

static char *kernels_root(void)
{
	return cache_dir("kernels");
}

char *kernel_dir(const char *key_or_path)
{
	if (strchr(key_or_path, '/') || is_dir(key_or_path)) {
		char *meta = path_join(key_or_path, "meta.json");
		bool ok = path_exists(meta);

		free(meta);
		return ok ? abs_path(key_or_path) : NULL;
	}
	return cache_entry("kernels", key_or_path, NULL);
}

json_t *kernel_meta(const char *key_or_path)
{
	char *dir = kernel_dir(key_or_path);
	char *meta;
	json_t *j;
	json_error_t err;

	if (!dir)
		return NULL;
	meta = path_join(dir, "meta.json");
	j = json_load_file(meta, 0, &err);
	if (!j)
		error("%s: %s", meta, err.text);
	free(dir);
	free(meta);
	return j;
}

/* ---- the series: local mbox or directory, else b4 ---- */

/* ---- the build itself ---- */

static char *compiler_version(void)
{
	char *v = run_capture(NULL, "sh", "-c", "${CC:-gcc} --version | head -n 1", NULL);

	return v ? v : xstrdup("unknown");
}

/*
 * The slot's copy of the source, synced with rsync by content (--checksum):
 * a file whose content already matches only gets the source's mtime back,
 * so its objects stay valid, while a file rsync rewrites (one a patch had
 * changed) gets a fresh mtime, so that the file restored to its unpatched
 * content looks newer than the object built from the patched one.  By
 * mtime alone, every file touched once would be rewritten and touched on
 * every build, and every build would be a full one.
 */
static int prepare_worktree(const char *src, const char *work, const char *log)
{
	char *from = xasprintf("%s/", src), *to = xasprintf("%s/", work);
	const char *argv[] = {"rsync",           "-a", "--checksum", "--delete", "--exclude=/.git",
	                      "--out-format=%n", from, to,           NULL};
	struct child c = {0};
	int ret = 0;

	mkdir_p(work);
	c.argv = argv;
	c.capture = true;
	c.log_path = log;
	if (run_command(&c) != 0) {
		ret = error("cannot copy %s to %s (see %s)", src, work, log);
		goto out;
	}
	if (c.out.len) {
		struct strvec files = STRVEC_INIT;

		sv_split(&files, c.out.buf, "\n");
		for (size_t i = 0; i < files.n; i++) {
			char *p = path_join(work, files.v[i]);
			struct stat st;

			if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
				utimensat(AT_FDCWD, p, NULL, 0);
			free(p);
		}
		sv_clear(&files);
	}
out:
	sb_release(&c.out);
	free(from);
	free(to);
	return ret;
}

/*
 * The first line of a log that names a compiler, assembler or linker error:
 * what a reader of "does not build" needs, without scrolling a 10 MB log.
 */
static bool error_line(const char *l)
{
	static const char *const marks[] = {
	        ": error: ", ": fatal error: ", ": Error: ", "undefined reference to "};

	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (strstr(l, marks[i]))
			return true;
	return false;
}

/* gcc colours its diagnostics even into a file (the kernel asks it to). */
static void strip_escapes(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\033' && r[1] == '[') {
			r += 2;
			while (*r && !(*r >= 0x40 && *r <= 0x7e))
				r++;
			if (*r)
				r++;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

char *kernel_log_first_error(const char *log_text, const char *tree)
{
	struct strvec lines = STRVEC_INIT;
	char *found = NULL, *make_line = NULL;

	if (!log_text)
		return NULL;
	sv_split(&lines, log_text, "\n");
	for (size_t i = 0; i < lines.n && !found; i++) {
		char *l = lines.v[i];

		strip_escapes(l);
		if (error_line(l))
			found = xstrdup(trim(l));
		else if (!make_line && strstr(l, "***") && starts_with(l, "make") &&
		         !strstr(l, "Waiting for unfinished jobs"))
			make_line = xstrdup(trim(l));
	}
	sv_clear(&lines);
	if (!found) {
		found = make_line;
		make_line = NULL;
	}
	free(make_line);
	if (found && tree && *tree) {
		char *prefix = xasprintf("%s/", tree);
		struct strbuf sb = STRBUF_INIT;
		const char *p = found, *hit;

		/* Paths relative to the tree read the same for every slot and cache. */
		while ((hit = strstr(p, prefix))) {
			sb_add(&sb, p, (size_t)(hit - p));
			p = hit + strlen(prefix);
		}
		sb_adds(&sb, p);
		free(found);
		found = sb_detach(&sb);
		free(prefix);
	}
	return found;
}

struct kbuild {
	const struct kernel_opts *o;
	struct ksource src;
	struct series_pick pick;
	bool have_series;
	struct patch_list patches;
	struct strvec fragments;
	char *compiler;
	char key[65];
	char slot[65];
	char *kdir, *bdir, *srctree, *log, *patch_log;
	char *config;          /* the verified .config, made in a scratch directory */
	size_t series_total;   /* the series' patch count, before --upto */
	size_t series_applied; /* how many of them this build applies */
	double t0;
	double wait;       /* for the slot's lock: another build's time, not this one's */
	char *first_error; /* of the make step that failed */
};

static int make_step(struct kbuild *b, const char *what, const char *target, long jobs)
{
	struct strvec argv = STRVEC_INIT;
	struct child c = {0};
	const char *env[] = {"KBUILD_BUILD_USER=iolab", "KBUILD_BUILD_HOST=iolab", NULL};
	char *ccache = which("ccache");
	int ret;

	sv_push(&argv, "make");
	sv_pushf(&argv, "-C%s", b->srctree);
	sv_pushf(&argv, "O=%s", b->bdir);
	sv_push(&argv, "ARCH=x86_64");
	if (jobs > 1)
		sv_pushf(&argv, "-j%ld", jobs);
	if (ccache)
		sv_push(&argv, "CC=ccache gcc");
	sv_push(&argv, target);
	c.argv = (const char *const *)argv.v;
	c.env = env;
	c.log_path = b->log;
	info("kernel: %s", what);
	ret = run_command(&c);
	if (ret != 0) {
		char *text = read_file(b->log, NULL);

		free(b->first_error);
		b->first_error = kernel_log_first_error(text, b->srctree);
		free(text);
		if (b->first_error)
			error("kernel: %s failed (make %s exited %d): %s; the full log is %s", what,
			      target, ret, b->first_error, b->log);
		else
			error("kernel: %s failed (make %s exited %d); the full log is %s", what,
			      target, ret, b->log);
	}
	sb_release(&c.out);
	sv_clear(&argv);
	free(ccache);
	return ret == 0 ? 0 : -1;
}

static int configure(struct kbuild *b)
{
	struct strvec argv = STRVEC_INIT;
	struct kconfig_frag want = {0};
	struct strbuf report = STRBUF_INIT;
	char *dotconfig = path_join(b->bdir, ".config"), *text = NULL;
	char *merge = path_join(b->srctree, "scripts/kconfig/merge_config.sh");
	int ret = -1, bad;

	if (make_step(b, "base config (tinyconfig)", "tinyconfig", 1) < 0)
		goto out;
	sv_push(&argv, "sh");
	sv_push(&argv, merge);
	sv_push(&argv, "-m");
	sv_push(&argv, "-O");
	sv_push(&argv, b->bdir);
	sv_push(&argv, dotconfig);
	for (size_t i = 0; i < b->fragments.n; i++) {
		sv_push(&argv, b->fragments.v[i]);
		if (kconfig_parse(b->fragments.v[i], &want) < 0)
			goto out;
	}
	{
		struct child c = {0};
		const char *env[] = {"ARCH=x86_64", NULL};

		c.argv = (const char *const *)argv.v;
		c.env = env;
		c.dir = b->srctree;
		c.log_path = b->log;
		info("kernel: merging %zu config fragments", b->fragments.n);
		if (run_command(&c) != 0) {
			error("merge_config.sh failed; see %s", b->log);
			goto out;
		}
	}
	if (make_step(b, "olddefconfig", "olddefconfig", 1) < 0)
		goto out;
	text = read_file(dotconfig, NULL);
	if (!text) {
		error("no .config in %s after olddefconfig", b->bdir);
		goto out;
	}
	bad = kconfig_verify(text, &want, &report);
	if (bad) {
		error("kernel config: %d symbol%s did not get the value a fragment asked for "
		      "(unmet dependencies?):\n%s",
		      bad, bad == 1 ? "" : "s", report.buf);
		goto out;
	}
	ret = 0;
out:
	sv_clear(&argv);
	kconfig_free(&want);
	sb_release(&report);
	free(dotconfig);
	free(text);
	free(merge);
	return ret;
}

static json_t *patches_json(const struct patch_list *pl)
{
	json_t *a = json_array();

	for (size_t i = 0; i < pl->n; i++)
		json_array_append_new(a,
		                      json_pack("{s:s, s:s, s:s}", "subject", pl->v[i].subject,
		                                "sha256", pl->v[i].sha256, "file", pl->v[i].path));
	return a;
}

static json_t *fragments_json(const struct strvec *frags)
{
	json_t *a = json_array();

	for (size_t i = 0; i < frags->n; i++) {
		char sha[65];
		const char *base = strrchr(frags->v[i], '/');

		sha256_file_hex(frags->v[i], sha);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name",
		                                   base ? base + 1 : frags->v[i], "path",
		                                   frags->v[i], "sha256", sha));
	}
	return a;
}

static bool tree_has(const char *tree, const char *file, const char *needle)
{
	char *p = path_join(tree, file);
	char *text = read_file(p, NULL);
	bool has = text && strstr(text, needle);

	free(p);
	free(text);
	return has;
}

/* What a reader of a figure needs to trace the patches to their origin. */
static json_t *series_json(const struct kbuild *b)
{
	const struct series_pick *p = &b->pick;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s*, s:s*, s:s*, s:s*, s:s*, s:s, "
	                      "s:s}",
	                      "name", p->s.name, "version", p->v->name, "title", p->s.title,
	                      "message_id", p->v->message_id, "enable_option", p->s.enable_option,
	                      "disable_option", p->s.disable_option, "evidence_events",
	                      p->s.evidence_events, "own_events", p->s.own_events, "base",
	                      p->v->base, "port", p->port, "applies_to", p->applies_to, "origin",
	                      p->origin, "path", p->patches_path);

	json_object_set_new(j, "applied",
	                    json_pack("{s:I, s:I}", "patches", (json_int_t)b->series_applied, "of",
	                              (json_int_t)b->series_total));
	if (p->port_notes) {
		char sha[65];

		sha256_file_hex(p->port_notes, sha);
		json_object_set_new(j, "port_notes",
		                    json_pack("{s:s, s:s}", "file", p->port_notes, "sha256", sha));
	}
	return j;
}

static int store(struct kbuild *b)
{
	char *tmp = xasprintf("%s.tmp", b->kdir);
	char *release = NULL, *config_sha = NULL;
	const char *files[][2] = {{"arch/x86/boot/bzImage", "bzImage"},
	                          {"System.map", "System.map"},
	                          {".config", "config"}};
	json_t *meta;
	char sha[65];
	char *now = iso_time_now();
	int ret = -1;

	rm_rf(tmp);
	mkdir_p(tmp);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *from = path_join(b->bdir, files[i][0]), *to = path_join(tmp, files[i][1]);
		int r = copy_file(from, to);

		if (r < 0)
			error("kernel build left no %s (see %s)", from, b->log);
		free(from);
		free(to);
		if (r < 0)
			goto out;
	}
	{
		char *rel = path_join(b->bdir, "include/config/kernel.release");
		char *text = read_file(rel, NULL);

		release = xstrdup(text ? trim(text) : "unknown");
		free(text);
		free(rel);
	}
	{
		char *cfg = path_join(tmp, "config");

		sha256_file_hex(cfg, sha);
		config_sha = xstrdup(sha);
		free(cfg);
	}
	meta = json_pack("{s:s, s:s, s:s, s:f, s:{s:s, s:s, s:s, s:s}, s:o, s:o, s:s, s:o, s:s, "
	                 "s:b, s:{s:b}, s:s}",
	                 "key", b->key, "release", release, "created", now, "build_seconds",
	                 now_seconds() - b->t0 - b->wait, "source", "spec", b->src.spec, "kind",
	                 b->src.kind, "identity", b->src.identity, "location", b->src.location,
	                 "series", b->have_series ? series_json(b) : json_null(), "patches",
	                 patches_json(&b->patches), "config_sha256", config_sha, "fragments",
	                 fragments_json(&b->fragments), "compiler", b->compiler, "ccache",
	                 path_exists("/usr/bin/ccache"), "features", "buffered_iomap",
	                 tree_has(b->srctree, "fs/ext4/super.c", "\"buffered_iomap\""), "build_dir",
	                 b->bdir);
	if (!meta) {
		error("cannot assemble the kernel metadata");
		goto out;
	}
	{
		char *mpath = path_join(tmp, "meta.json");
		char *text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);

		ret = write_str(mpath, text);
		free(text);
		free(mpath);
		json_decref(meta);
	}
	if (ret == 0) {
		char *blog = path_join(tmp, "build.log");

		copy_file(b->log, blog);
		free(blog);
		rm_rf(b->kdir);
		if (rename(tmp, b->kdir) < 0)
			ret = error("cannot move %s to %s: %s", tmp, b->kdir, strerror(errno));
	}
out:
	if (ret < 0)
		rm_rf(tmp);
	free(tmp);
	free(release);
	free(config_sha);
	free(now);
	return ret;
}

/*
 * One object tree per source location and resulting .config: builds that
 * differ only by patches share it, so a patched kernel after the unpatched
 * one recompiles what the patches touch.  Hashing the .config rather than
 * the fragment files lets two fragment sets that mean the same thing share.
 */
static void slot_of(struct kbuild *b, const char *config_sha)
{
	struct hasher *h = hasher_new();

	hasher_field(h, "location", b->src.location);
	hasher_field(h, "config", config_sha);
	hasher_final(h, b->slot);
}

static int gather_inputs(struct kbuild *b)
{
	const struct kernel_opts *o = b->o;

	if (ksource_resolve(o->source ? o->source : KERNEL_DEFAULT_SOURCE, &b->src) < 0)
		return -1;
	if (o->series) {
		if (series_pick(o->series, b->src.base, &b->pick) < 0)
			return -1;
		if (b->pick.patches_path) {
			char *split = cache_dir("series/%s/%s%s%s/split", b->pick.s.name,
			                        b->pick.v->name, b->pick.port ? "-on-" : "",
			                        b->pick.port ? b->pick.port : "");

			rm_rf(split);
			if (patches_load(b->pick.patches_path, split, &b->patches) < 0) {
				free(split);
				return -1;
			}
			free(split);
			b->have_series = true;
			b->series_total = b->patches.n;
			if (o->series_upto > 0) {
				if ((size_t)o->series_upto > b->patches.n)
					return error("--upto %ld: %s has only %zu patches",
					             o->series_upto, b->pick.s.name, b->patches.n);
				patches_truncate(&b->patches, (size_t)o->series_upto);
			}
			b->series_applied = b->patches.n;
		} else if (o->no_series_ok) {
			warn("%s: building WITHOUT the series, so the kernel has no %s. To supply "
			     "it: drop its patches in %s/ as <version>.mbx or "
			     "<version>-on-<base>/, point --patch-store (IOLAB_PATCH_STORE) at a "
			     "store holding %s/, or build online so b4 can fetch it",
			     b->pick.missing, b->pick.s.enable_option, b->pick.s.dir,
			     b->pick.s.name);
		} else {
			return error(
			        "%s: drop its patches in %s/ (<version>.mbx or "
			        "<version>-on-<base>/), use --patch-store DIR, or build online "
			        "for b4",
			        b->pick.missing, b->pick.s.dir);
		}
	}
	for (size_t i = 0; i < o->patches.n; i++) {
		char *split = cache_dir("series/user/%zu", i);
		int r = patches_load(o->patches.v[i], split, &b->patches);

		free(split);
		if (r < 0)
			return -1;
	}
	if (kconfig_default_fragments(&b->fragments) < 0)
		return -1;
	for (size_t i = 0; i < o->configs.n; i++) {
		if (!path_exists(o->configs.v[i]))
			return error("--config %s: no such file", o->configs.v[i]);
		char *abs = abs_path(o->configs.v[i]);

		sv_push(&b->fragments, abs);
		free(abs);
	}
	b->compiler = compiler_version();
	return 0;
}

static void kbuild_free(struct kbuild *b)
{
	ksource_free(&b->src);
	series_pick_free(&b->pick);
	patches_free(&b->patches);
	sv_clear(&b->fragments);
	free(b->compiler);
	free(b->kdir);
	free(b->bdir);
	free(b->srctree);
	free(b->log);
	free(b->patch_log);
	free(b->first_error);
	if (b->config)
		unlink(b->config);
	free(b->config);
}

/*
 * A patch that does not apply is found without the build lock, on a copy of
 * only the files the patches touch, so the refusal never waits for a build.
 */
static int check_patches(struct kbuild *b)
{
	char *scratch = cache_dir("scratch/patch-check-%ld", (long)getpid());
	char *logs = cache_dir("logs");
	char *log = xasprintf("%s/patch-check-%ld.log", logs, (long)getpid());
	int ret;

	ret = patches_check(&b->patches, b->src.tree, scratch, log);
	if (ret == 0)
		unlink(log);
	rm_rf(scratch);
	free(scratch);
	free(logs);
	free(log);
	return ret;
}

/*
 * The configuration is made on the pristine tree in a scratch directory
 * (kconfig writes nothing into a tree built with O=), before the slot is
 * known: the slot is named by the .config it produces.
 */
/*
 * What the configuration depends on.  It is made on the pristine tree, so
 * patches play no part: every point of a walk, and every patched kernel of
 * a source, shares one, and a minute of tinyconfig and olddefconfig per
 * build is saved.
 */
static char *config_cache_path(const struct kbuild *b)
{
	struct hasher *h = hasher_new();
	char key[65], *dir, *path;

	hasher_field(h, "recipe", KERNEL_RECIPE);
	hasher_field(h, "source", b->src.identity);
	for (size_t i = 0; i < b->fragments.n; i++) {
		char sha[65];
		const char *base = strrchr(b->fragments.v[i], '/');

		if (sha256_file_hex(b->fragments.v[i], sha) < 0)
			memset(sha, '0', 64), sha[64] = '\0';
		hasher_field(h, "fragment", base ? base + 1 : b->fragments.v[i]);
		hasher_field(h, "fragment-sha", sha);
	}
	hasher_field(h, "compiler", b->compiler);
	hasher_final(h, key);
	dir = cache_dir("configs");
	path = xasprintf("%s/%.32s.config", dir, key);
	free(dir);
	return path;
}

static int configure_scratch(struct kbuild *b)
{
	char *dir = cache_dir("scratch/config-%ld", (long)getpid());
	char *dotconfig = path_join(dir, ".config");
	char *cached = config_cache_path(b);
	char sha[65];
	int ret = -1;

	{
		char *root = cache_dir("scratch");

		b->config = xasprintf("%s/config-%ld.config", root, (long)getpid());
		free(root);
	}
	if (path_exists(cached) && copy_file(cached, b->config) == 0 &&
	    sha256_file_hex(b->config, sha) == 0) {
		info("kernel: configuration as before (%s)", cached);
		slot_of(b, sha);
		free(dir);
		free(dotconfig);
		free(cached);
		return 0;
	}
	rm_rf(dir);
	mkdir_p(dir);
	b->bdir = dir;
	b->srctree = xstrdup(b->src.tree);
	b->log = path_join(dir, "config.log");
	if (configure(b) < 0) {
		char *keep = cache_dir("logs"), *to = path_join(keep, "config.log");

		copy_file(b->log, to);
		error("the kernel configuration failed; its log is %s", to);
		free(keep);
		free(to);
		goto out;
	}
	if (copy_file(dotconfig, b->config) < 0 || sha256_file_hex(b->config, sha) < 0) {
		error("cannot keep the .config made in %s", dir);
		goto out;
	}
	slot_of(b, sha);
	{
		/* Through a temporary: a reader never sees half a .config. */
		char *tmp = xasprintf("%s.%ld", cached, (long)getpid());

		if (copy_file(b->config, tmp) < 0 || rename(tmp, cached) < 0)
			unlink(tmp);
		free(tmp);
	}
	ret = 0;
out:
	rm_rf(dir);
	free(dir);
	free(dotconfig);
	free(cached);
	free(b->srctree);
	free(b->log);
	b->bdir = b->srctree = b->log = NULL;
	return ret;
}

/*
 * Copied only when it differs: an unchanged .config must leave the object
 * tree's configuration untouched, or make would recompile what it covers.
 */
/* Whether a patch of the list touches a Kconfig file (it may add a symbol). */
static bool patches_touch_kconfig(const struct patch_list *pl)
{
	bool touch = false;

	for (size_t i = 0; i < pl->n && !touch; i++) {
		char *text = read_file(pl->v[i].path, NULL);

		for (const char *p = text; p && (p = strstr(p, "\n+++ ")) && !touch; p++) {
			size_t n = strcspn(p + 5, "\n");
			char *line = xstrndup(p + 5, n);

			touch = strstr(line, "Kconfig") != NULL;
			free(line);
		}
		free(text);
	}
	return touch;
}

static int install_config(struct kbuild *b)
{
	char *dst = path_join(b->bdir, ".config");
	char a[65], c[65];
	bool same = path_exists(dst) && sha256_file_hex(dst, a) == 0 &&
	            sha256_file_hex(b->config, c) == 0 && !strcmp(a, c);
	int ret = 0;

	if (!same)
		ret = copy_file(b->config, dst);
	if (ret < 0)
		error("cannot install the kernel config into %s", b->bdir);
	free(dst);
	/*
	 * The object tree's .config is the one its last build settled: make
	 * itself syncs what depends on it.  Only new Kconfig symbols (from a
	 * patch) need olddefconfig to take their defaults without a prompt.
	 */
	if (ret == 0 && (!same || patches_touch_kconfig(&b->patches)))
		ret = make_step(b, "olddefconfig", "olddefconfig", 1);
	return ret;
}

/* nftw() passes no argument through: the walk below is the only user. */
static int64_t tree_bytes_sum;
static const char *tree_bytes_git;

static int add_bytes(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	/* rsync leaves .git out of the copy; a git tree's history is no build's need. */
	if (flag == FTW_D && !strcmp(path, tree_bytes_git))
		return FTW_SKIP_SUBTREE;
	if (flag == FTW_F)
		tree_bytes_sum = res_add(tree_bytes_sum, (int64_t)st->st_blocks * 512);
	return FTW_CONTINUE;
}

/* What a copy of the tree takes on disk, .git left out. */
static int64_t tree_bytes(const char *tree)
{
	char *git = path_join(tree, ".git");

	tree_bytes_sum = 0;
	tree_bytes_git = git;
	nftw(tree, add_bytes, 64, FTW_PHYS | FTW_ACTIONRETVAL);
	tree_bytes_git = NULL;
	free(git);
	return tree_bytes_sum;
}

/*
 * Refused before the lock and the copy: a build that runs out of room
 * fails half-way through with a compiler's "No space left on device", its
 * object tree left broken for the next build of the slot.  A slot built
 * before needs only what the patches touch; a new one a whole object tree,
 * and the source's copy unless the slot has one.
 */
static int check_build_space(struct kbuild *b)
{
	char *bdir = xasprintf("%s/build/%.16s/vmlinux", cache_root(), b->slot);
	char *work = xasprintf("%s/work/%.16s/Makefile", cache_root(), b->slot);
	bool built = path_exists(bdir), copied = path_exists(work);
	int64_t need = built ? RES_KERNEL_REBUILD : RES_KERNEL_TREE;
	struct res_host h;
	char *what, *why = NULL;
	int ret = -1;

	if (!copied)
		need = res_add(need, tree_bytes(b->src.tree));
	if (res_probe(cache_root(), &h) < 0)
		goto out;
	what = xasprintf("building kernel %.12s (%s%s)", b->key,
	                 built ? "in its slot's object tree" : "a new object tree",
	                 copied ? "" : " and a copy of the source");
	why = res_check_space(what, cache_root(), need, h.dir_free,
	                      "free space there, or put the cache on a larger disk with --cache "
	                      "DIR (or IOLAB_CACHE)");
	free(what);
	if (why)
		error("%s", why);
	else
		ret = 0;
out:
	free(why);
	free(bdir);
	free(work);
	return ret;
}

void kernel_build_result_free(struct kernel_build_result *res)
{
	free(res->error);
	free(res->log);
	memset(res, 0, sizeof(*res));
}

int kernel_build(const struct kernel_opts *o, char **key)
{
	return kernel_build_ex(o, key, NULL);
}

/* A failed build's log outlives the slot's next build, which starts a new one. */
static char *keep_failed_log(const struct kbuild *b)
{
	char *dir = cache_dir("logs");
	char *to = xasprintf("%s/kernel-%.12s-failed.log", dir, b->key);

	free(dir);
	if (!b->log || copy_file(b->log, to) < 0) {
		free(to);
		return NULL;
	}
	return to;
}

int kernel_build_ex(const struct kernel_opts *o, char **key, struct kernel_build_result *res)
{
	struct kbuild b = {.o = o, .t0 = now_seconds()};
	struct kernel_inputs in = {0};
	char *series_id = NULL, *meta = NULL, *root = NULL;
	char *lockname = NULL;
	int lock = -1, ret = -1;
	long jobs = o->jobs > 0 ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN);

	if (gather_inputs(&b) < 0)
		goto out;
	if (b.have_series)
		series_id = series_pick_id(&b.pick);
	if (b.have_series && b.series_applied < b.series_total) {
		char *upto = xasprintf("%s:%zu/%zu", series_id, b.series_applied, b.series_total);

		free(series_id);
		series_id = upto;
	}
	in.source_identity = b.src.identity;
	in.patches = &b.patches;
	in.fragments = &b.fragments;
	in.compiler = b.compiler;
	in.series = series_id;
	kernel_key(&in, b.key);
	root = kernels_root();
	b.kdir = path_join(root, b.key);
	meta = path_join(b.kdir, "meta.json");
	if (!o->force && path_exists(meta)) {
		info("kernel %.12s: cache hit (%s)", b.key, b.kdir);
		ret = 0;
		goto out;
	}
	if (b.patches.n && check_patches(&b) < 0)
		goto out;
	if (configure_scratch(&b) < 0 || check_build_space(&b) < 0)
		goto out;
	/* The lock covers one object tree: other slots and cache hits go on. */
	lockname = xasprintf("kernel-build-%.16s", b.slot);
	{
		double t = now_seconds();

		lock = cache_lock(lockname);
		b.wait = now_seconds() - t;
	}
	b.bdir = cache_dir("build/%.16s", b.slot);
	b.log = xasprintf("%s/build.log", b.bdir);
	unlink(b.log);
	info("kernel %.12s: building from %s%s%s in slot %.16s (log: %s)", b.key, b.src.identity,
	     series_id ? " + " : "", series_id ? series_id : "", b.slot, b.log);
	b.srctree = cache_dir("work/%.16s", b.slot);
	b.patch_log = path_join(b.bdir, "patches.log");
	if (prepare_worktree(b.src.tree, b.srctree, b.log) < 0)
		goto out;
	if (b.patches.n) {
		info("kernel: applying %zu patches", b.patches.n);
		if (patches_apply(&b.patches, b.srctree, b.patch_log) < 0)
			goto out;
	}
	if (install_config(&b) < 0)
		goto out;
	if (make_step(&b, "compiling bzImage", "bzImage", jobs) < 0)
		goto out;
	if (store(&b) < 0)
		goto out;
	info("kernel %.12s: built in %.0f s, stored in %s", b.key, now_seconds() - b.t0 - b.wait,
	     b.kdir);
	ret = 0;
out:
	if (res) {
		memset(res, 0, sizeof(*res));
		res->cache_hit = ret == 0 && lock < 0;
		res->wait_seconds = b.wait;
		res->seconds = res->cache_hit ? 0 : now_seconds() - b.t0 - b.wait;
		if (ret < 0) {
			const char *why = b.first_error ? b.first_error : last_error();

			res->error = xstrdup(why ? why : "the build failed (see above)");
			if (lock >= 0)
				res->log = keep_failed_log(&b);
		}
	}
	if (ret == 0 && key)
		*key = xstrdup(b.key);
	if (lock >= 0)
		close(lock);
	kbuild_free(&b);
	free(lockname);
	free(series_id);
	free(meta);
	free(root);
	return ret;
}
