// SPDX-License-Identifier: GPL-2.0
/*
 * fstests for the guest: Debian carries no fstests package, so a checkout
 * is built in a chroot of the guest suite's own userland (the image
 * stage's "fstests-build" package set) and the built tree goes into an
 * image of the "fstests" set at /opt/fstests.
 */
#include "fstests.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "image.h"
#include "run_command.h"

/* Bump when the build steps change what a build holds. */
#define FSTESTS_BUILD_VERSION 1

void fstests_tree_free(struct fstests_tree *t)
{
	free(t->dir);
	free(t->id);
	free(t->commit);
	memset(t, 0, sizeof(*t));
}

/* The files a build uses: what git tracks (or would, untracked but not ignored). */
static int git_files(const char *dir, struct strvec *files)
{
	const char *argv[] = {"git", "-C",       dir,        "ls-files",
	                      "-z",  "--cached", "--others", "--exclude-standard",
	                      NULL};
	struct child c = {0};
	int ret;

	c.argv = argv;
	c.capture = true;
	c.log_path = "/dev/null";
	ret = run_command(&c);
	for (size_t off = 0; ret == 0 && off < c.out.len;) {
		const char *name = c.out.buf + off;
		size_t n = strnlen(name, c.out.len - off);
		char *p = path_join(dir, name);
		struct stat st;

		/* A tracked file deleted in the work tree is not part of it. */
		if (n && lstat(p, &st) == 0 && !S_ISDIR(st.st_mode))
			sv_push(files, name);
		free(p);
		off += n + 1;
	}
	sb_release(&c.out);
	return ret == 0 ? 0 : -1;
}

/* Outside git: everything but .git, which no build reads. */
static void walk(const char *root, const char *rel, struct strvec *files)
{
	char *path = rel ? path_join(root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *r, *p;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (!rel && !strcmp(de->d_name, ".git")))
			continue;
		r = rel ? path_join(rel, de->d_name) : xstrdup(de->d_name);
		p = path_join(root, r);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			walk(root, r, files);
		else
			sv_push(files, r);
		free(r);
		free(p);
	}
	if (d)
		closedir(d);
	free(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names, executable bits, link targets and contents: all a build can depend on. */
static int hash_files(const char *dir, const struct strvec *files, char out[65])
{
	struct hasher *h = hasher_new();

	for (size_t i = 0; i < files->n; i++) {
		char *p = path_join(dir, files->v[i]);
		struct stat st;
		int ret = lstat(p, &st);

		hasher_field(h, "file", files->v[i]);
		if (ret == 0 && S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(p, target, sizeof(target) - 1);

			target[n > 0 ? n : 0] = '\0';
			hasher_field(h, "link", target);
		} else if (ret == 0) {
			hasher_field(h, "mode", st.st_mode & 0111 ? "x" : "-");
			ret = hasher_add_file(h, p);
		}
		if (ret < 0) {
			error("cannot read %s: %s", p, strerror(errno));
			free(p);
			hasher_final(h, out);
			return -1;
		}
		free(p);
	}
	hasher_final(h, out);
	return 0;
}

static int write_file_list(const char *path, const struct strvec *files)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	for (size_t i = 0; i < files->n; i++) {
		sb_adds(&sb, files->v[i]);
		sb_addc(&sb, '\0');
	}
	ret = write_file(path, sb.buf ? sb.buf : "", sb.len);
	sb_release(&sb);
	return ret;
}

static int tree_files(const struct fstests_tree *t, struct strvec *files)
{
	if (t->commit)
		return git_files(t->dir, files);
	walk(t->dir, NULL, files);
	if (files->n)
		qsort(files->v, files->n, sizeof(*files->v), cmp_str);
	return 0;
}

int fstests_tree_scan(const char *dir, struct fstests_tree *t)
{
	struct strvec files = STRVEC_INIT;
	char id[65];
	char *check, *rc, *top;

	memset(t, 0, sizeof(*t));
	t->dir = realpath(dir, NULL);
	if (!t->dir)
		return error("--fstests %s: %s", dir, strerror(errno));
	check = path_join(t->dir, "check");
	rc = path_join(t->dir, "common/rc");
	if (!is_executable(check) || !path_exists(rc)) {
		error("%s is not an fstests checkout (no ./check and common/rc); clone "
		      "git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git or pass --fstests-git "
		      "URL",
		      t->dir);
		free(check);
		free(rc);
		fstests_tree_free(t);
		return -1;
	}
	free(check);
	free(rc);
	/* Only a checkout at the top of its own repository is identified by git. */
	top = run_capture(t->dir, "git", "rev-parse", "--show-toplevel", NULL);
	if (top && !strcmp(top, t->dir)) {
		char *st = run_capture(t->dir, "git", "status", "--porcelain",
		                       "--untracked-files=no", NULL);

		t->commit = run_capture(t->dir, "git", "rev-parse", "HEAD", NULL);
		t->dirty = st && *st;
		free(st);
	}
	free(top);
	if (tree_files(t, &files) < 0) {
		error("git ls-files failed in %s", t->dir);
		goto fail;
	}
	if (hash_files(t->dir, &files, id) < 0)
		goto fail;
	t->id = xstrdup(id);
	t->nfiles = files.n;
	sv_clear(&files);
	return 0;
fail:
	sv_clear(&files);
	fstests_tree_free(t);
	return -1;
}

int fstests_clone(const char *url, char **dir_out)
{
	char id[65];
	char *base = cache_dir("fstests/src"), *dir, *log, *git;
	int ret = 0;

	sha256_hex(url, strlen(url), id);
	dir = xasprintf("%s/%.16s", base, id);
	log = xasprintf("%s.log", dir);
	git = path_join(dir, ".git");
	*dir_out = NULL;
	if (!is_dir(git)) {
		rm_rf(dir);
		info("fstests: cloning %s into %s", url, dir);
		if (run_simple(NULL, log, "git", "clone", "--depth", "1", url, dir, NULL) != 0)
			ret = error("git clone %s failed (offline? give a checkout with --fstests "
			            "DIR); see %s",
			            url, log);
	} else {
		info("fstests: updating %s from %s", dir, url);
		if (run_simple(dir, log, "git", "pull", "--ff-only", "-q", NULL) != 0)
			warn("could not update %s from %s (see %s); using the checkout as it is",
			     dir, url, log);
	}
	if (ret == 0)
		*dir_out = xstrdup(dir);
	free(base);
	free(dir);
	free(log);
	free(git);
	return ret;
}

/*
 * Links update-alternatives would make in gcc's and automake's postinst,
 * which an unpacked root does not run: fstests' Makefile calls aclocal,
 * and configure looks for cc.  The newest match of the pattern wins.
 */
static const struct {
	const char *link, *pattern;
} alternatives[] = {
        {"usr/bin/cc", "usr/bin/gcc"},
        {"usr/bin/c++", "usr/bin/g++"},
        {"usr/bin/aclocal", "usr/bin/aclocal-1.*"},
        {"usr/bin/automake", "usr/bin/automake-1.*"},
};

static int make_alternatives(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(alternatives); i++) {
		char *link = path_join(root, alternatives[i].link);
		char *pat = path_join(root, alternatives[i].pattern);
		glob_t g;
		int ret = 0;

		if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc) {
			const char *target = strrchr(g.gl_pathv[g.gl_pathc - 1], '/') + 1;
			struct stat st;

			if (lstat(link, &st) < 0 && symlink(target, link) < 0)
				ret = error("cannot link %s -> %s: %s", link, target,
				            strerror(errno));
		}
		globfree(&g);
		free(link);
		free(pat);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int copy_tree(const struct fstests_tree *t, const char *dst, const char *stage,
                     const char *log)
{
	struct strvec files = STRVEC_INIT;
	char *list = path_join(stage, "files.list");
	int ret = -1;

	if (tree_files(t, &files) < 0 || write_file_list(list, &files) < 0 || mkdir_p(dst) < 0) {
		error("cannot list or stage the files of %s", t->dir);
		goto out;
	}
	if (run_simple(
	            NULL, log, "bash", "-c",
	            "set -o pipefail; tar -C \"$1\" --null -T \"$2\" -cf - | tar -C \"$3\" -xf -",
	            "copy", t->dir, list, dst, NULL) != 0) {
		error("cannot copy %s into the build root; see %s", t->dir, log);
		goto out;
	}
	ret = 0;
out:
	sv_clear(&files);
	free(list);
	return ret;
}

/*
 * make in the chroot.  A private mount namespace holds /dev and /proc, so
 * nothing stays mounted whatever happens; without root, a user namespace
 * maps us to root in it.  The environment is the guest's, not the host's.
 */
static int make_in_chroot(const char *root, const char *log)
{
	char jobs[24];
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	const char *script =
	        "mount --rbind /dev \"$1/dev\" && mount -t proc proc \"$1/proc\" && "
	        "exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C "
	        "chroot \"$1\" /bin/sh -c 'cd /opt/fstests && exec make -j\"$0\"' \"$2\"";
	int ret;

	snprintf(jobs, sizeof(jobs), "%ld", n > 0 ? n : 1);
	if (geteuid() == 0)
		ret = run_simple(NULL, log, "unshare", "--mount", "--pid", "--fork", "--kill-child",
		                 "sh", "-c", script, "make", root, jobs, NULL);
	else
		ret = run_simple(NULL, log, "unshare", "--user", "--map-root-user", "--mount",
		                 "--pid", "--fork", "--kill-child", "sh", "-c", script, "make",
		                 root, jobs, NULL);
	if (ret != 0)
		return error("building fstests failed (make, in a chroot of the guest's userland; "
		             "it needs root or unprivileged user namespaces); see %s",
		             log);
	return 0;
}

static void build_key(const struct fstests_tree *t, const char *suite, char out[65])
{
	struct hasher *h = hasher_new();
	char ver[16];

	snprintf(ver, sizeof(ver), "%d", FSTESTS_BUILD_VERSION);
	hasher_field(h, "version", ver);
	hasher_field(h, "tree", t->id);
	hasher_field(h, "suite", suite);
	hasher_final(h, out);
}

static int write_meta(const char *stage, const struct fstests_tree *t, const char *suite,
                      const char *key, const char *root_key, double secs)
{
	char *path = path_join(stage, "meta.json");
	char *created = iso_time_now();
	json_t *m =
	        json_pack("{s:s, s:s, s:s, s:s?, s:b, s:s, s:I, s:s, s:s, s:f}", "key", key,
	                  "suite", suite, "tree_id", t->id, "commit", t->commit, "dirty", t->dirty,
	                  "source", t->dir, "files", (json_int_t)t->nfiles, "build_root_image_key",
	                  root_key, "created", created, "build_seconds", secs);
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int ret = write_str(path, text);

	if (ret < 0)
		error("cannot write %s: %s", path, strerror(errno));
	free(text);
	json_decref(m);
	free(created);
	free(path);
	return ret;
}

/* Builds the tree into builds/<key>/overlay/opt/fstests, through a stage directory. */
static int build_new(const struct fstests_tree *t, const char *suite, const char *key,
                     const char *final)
{
	char *base = cache_dir("fstests/builds");
	char *stage = xasprintf("%s/.build-%s", base, key);
	char *root = path_join(stage, "chroot");
	char *log = path_join(stage, "build.log");
	char *src = path_join(root, "opt/fstests");
	char *overlay = path_join(stage, "overlay/opt");
	char *built = path_join(overlay, "fstests");
	char *fsx = path_join(built, "ltp/fsx");
	struct image_opts io = {.suite = suite, .set = "fstests-build"};
	char *root_key = NULL;
	double t0 = now_seconds();
	int ret = -1;

	rm_rf(stage);
	if (mkdir_p(stage) < 0) {
		error("cannot create %s: %s", stage, strerror(errno));
		goto out;
	}
	info("fstests: assembling a %s build root (package set fstests-build)", suite);
	if (image_build_root(&io, root, &root_key) < 0 || make_alternatives(root) < 0)
		goto out;
	if (copy_tree(t, src, stage, log) < 0)
		goto out;
	info("fstests: building %s in the chroot; log %s", t->dir, log);
	if (make_in_chroot(root, log) < 0)
		goto out;
	if (!is_dir(src) || mkdir_p(overlay) < 0 || rename(src, built) < 0 || !is_executable(fsx)) {
		error("the fstests build left no ltp/fsx; see %s", log);
		goto out;
	}
	rm_rf(root);
	if (write_meta(stage, t, suite, key, root_key, now_seconds() - t0) < 0)
		goto out;
	rm_rf(final);
	if (rename(stage, final) < 0) {
		error("cannot move %s to %s: %s", stage, final, strerror(errno));
		goto out;
	}
	info("fstests: built in %.0f s", now_seconds() - t0);
	ret = 0;
out:
	if (ret < 0)
		rm_rf(root);
	free(base);
	free(stage);
	free(root);
	free(log);
	free(src);
	free(overlay);
	free(built);
	free(fsx);
	free(root_key);
	return ret;
}

/*
 * Every library the built programs link must be in the image: a package
 * the "fstests" set lacks (after a soname change, say) is one clear error
 * here rather than a hundred tests failing in the guest.
 */
static int check_libraries(const char *overlay, const char *image_key)
{
	char *sqfs = image_path(image_key);
	/* readelf fails on the scripts among the programs: its status says nothing. */
	char *needed =
	        run_capture(NULL, "bash", "-c",
	                    "find \"$1\" -type f -perm -u+x -exec readelf "
	                    "-d {} + 2>/dev/null | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p' "
	                    "| sort -u",
	                    "needed", overlay, NULL);
	char *files = sqfs ? run_capture(NULL, "unsquashfs", "-l", sqfs, NULL) : NULL;
	struct strvec libs = STRVEC_INIT, have = STRVEC_INIT, lines = STRVEC_INIT;
	struct strbuf missing = STRBUF_INIT;
	int ret = 0;

	if (!needed || !*needed || !files) {
		warn("could not list the libraries of the fstests build (readelf, unsquashfs); "
		     "not checking them");
		goto out;
	}
	sv_split(&libs, needed, "\n");
	sv_split(&lines, files, "\n");
	for (size_t i = 0; i < lines.n; i++)
		if (strstr(lines.v[i], "/lib/"))
			sv_push(&have, strrchr(lines.v[i], '/') + 1);
	for (size_t i = 0; i < libs.n; i++)
		if (!sv_contains(&have, libs.v[i]))
			sb_addf(&missing, "%s%s", missing.len ? ", " : "", libs.v[i]);
	if (missing.len)
		ret = error("the fstests image lacks %s, which the built programs link; add the "
		            "package(s) to the fstests set in src/image_recipe.c",
		            missing.buf);
out:
	sv_clear(&libs);
	sv_clear(&have);
	sv_clear(&lines);
	sb_release(&missing);
	free(needed);
	free(files);
	free(sqfs);
	return ret;
}

int fstests_image(const struct fstests_tree *t, const char *suite, char **image_key_out,
                  char **build_key_out)
{
	char key[65];
	char *base = cache_dir("fstests/builds");
	char *final, *meta, *overlay;
	struct image_opts io = {.suite = suite, .set = "fstests"};
	int lock, ret = 0;

	*image_key_out = *build_key_out = NULL;
	build_key(t, suite, key);
	final = path_join(base, key);
	meta = path_join(final, "meta.json");
	overlay = path_join(final, "overlay");
	lock = cache_lock("fstests-build");
	if (path_exists(meta))
		info("fstests: build %.12s of %s is cached", key, t->dir);
	else
		ret = build_new(t, suite, key, final);
	if (lock >= 0)
		close(lock);
	if (ret == 0) {
		io.overlay = overlay;
		io.overlay_id = key;
		ret = image_build(&io, image_key_out);
	}
	if (ret == 0)
		ret = check_libraries(overlay, *image_key_out);
	if (ret == 0)
		*build_key_out = xstrdup(key);
	free(base);
	free(final);
	free(meta);
	free(overlay);
	return ret;
}
