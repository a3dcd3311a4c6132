// SPDX-License-Identifier: GPL-2.0
/*
 * Where a kernel tree comes from: a Debian linux-source package, a user's
 * tree (plain or git), or a tarball.  Whatever the origin, the result is a
 * pristine tree the lab only ever reads, and an identity string that
 * changes whenever its content does.
 */
#include "kernel.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apt.h"
#include "cache.h"
#include "run_command.h"

void ksource_free(struct ksource *src)
{
	free(src->spec);
	free(src->kind);
	free(src->identity);
	free(src->location);
	free(src->tree);
	free(src->base);
	memset(src, 0, sizeof(*src));
}

static bool looks_like_kernel(const char *dir)
{
	char *mk = path_join(dir, "Makefile"), *ext4 = path_join(dir, "fs/ext4");
	bool ok = path_exists(mk) && is_dir(ext4);

	free(mk);
	free(ext4);
	return ok;
}

/* The single top-level directory a tarball unpacked into, or dir itself. */
static char *unpacked_top(const char *dir)
{
	char *out = run_capture(dir, "sh", "-c", "ls -1 | head -n 2", NULL);
	char *top = NULL;

	if (out && *out && !strchr(out, '\n'))
		top = path_join(dir, out);
	free(out);
	if (top && looks_like_kernel(top))
		return top;
	free(top);
	return looks_like_kernel(dir) ? xstrdup(dir) : NULL;
}

/* Unpacks a tarball into dest once; a marker file says it completed. */
static int unpack_tarball(const char *tarball, const char *dest, const char *log)
{
	char *done = path_join(dest, ".iolab-unpacked");
	char *tmp = xasprintf("%s.tmp", dest);
	int ret = 0;

	if (path_exists(done))
		goto out;
	info("unpacking %s", tarball);
	rm_rf(tmp);
	rm_rf(dest);
	if (mkdir_p(tmp) < 0) {
		ret = error("cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (run_simple(tmp, log, "tar", "-xf", tarball, NULL) != 0) {
		ret = error("cannot unpack %s (see %s)", tarball, log);
		rm_rf(tmp);
		goto out;
	}
	if (rename(tmp, dest) < 0) {
		ret = error("cannot move %s to %s: %s", tmp, dest, strerror(errno));
		goto out;
	}
	write_str(done, "");
out:
	free(done);
	free(tmp);
	return ret;
}

static int resolve_debian(const char *pkg, struct ksource *src)
{
	struct apt apt;
	char *debs = NULL, *deb = NULL, *ver = NULL, *dest = NULL, *xdir = NULL, *tarball = NULL;
	char *log = NULL;
	int ret = -1;

	if (apt_open(&apt, NULL) < 0)
		return -1;
	if (apt_update(&apt, 0) < 0)
		goto out;
	ver = apt_candidate(&apt, pkg);
	if (!ver) {
		error("no Debian suite serves %s (try 'debian:linux-source-7.3', or --source PATH "
		      "for your own tree)",
		      pkg);
		goto out;
	}
	src->identity = xasprintf("debian:%s=%s", pkg, ver);
	src->location = xasprintf("debian:%s", pkg);
	dest = cache_dir("src");
	free(dest);
	dest = xasprintf("%s/src/%s_%s", cache_root(), pkg, ver);
	{
		char *marker = path_join(dest, ".iolab-unpacked");
		bool have = path_exists(marker);

		free(marker);
		if (have) {
			src->tree = unpacked_top(dest);
			ret = src->tree ? 0 : error("cached source %s holds no kernel tree", dest);
			goto out;
		}
	}
	debs = cache_dir("debs");
	log = path_join(debs, "unpack.log");
	info("fetching %s %s from Debian", pkg, ver);
	deb = apt_download(&apt, pkg, debs);
	if (!deb)
		goto out;
	xdir = xasprintf("%s/x-%s", debs, pkg);
	rm_rf(xdir);
	mkdir_p(xdir);
	if (run_simple(NULL, log, "dpkg-deb", "-x", deb, xdir, NULL) != 0) {
		error("cannot unpack %s (see %s)", deb, log);
		goto out;
	}
	tarball =
	        run_capture(xdir, "sh", "-c", "ls usr/src/linux-source-*.tar.* | head -n 1", NULL);
	if (!tarball || !*tarball) {
		error("%s holds no usr/src/linux-source-*.tar.*: not a kernel source package", deb);
		goto out;
	}
	{
		char *full = path_join(xdir, tarball);

		free(tarball);
		tarball = full;
	}
	if (unpack_tarball(tarball, dest, log) < 0)
		goto out;
	rm_rf(xdir);
	src->tree = unpacked_top(dest);
	ret = src->tree ? 0 : error("%s unpacked into %s, but no kernel tree is there", deb, dest);
out:
	apt_close(&apt);
	free(debs);
	free(deb);
	free(ver);
	free(dest);
	free(xdir);
	free(tarball);
	free(log);
	return ret;
}

static int resolve_tarball(const char *path, struct ksource *src)
{
	char sha[65];
	char *dest, *log;
	int ret;

	if (sha256_file_hex(path, sha) < 0)
		return error("cannot read %s: %s", path, strerror(errno));
	src->identity = xasprintf("tarball:%s", sha);
	src->location = abs_path(path);
	dest = xasprintf("%s/src/tar-%.16s", cache_root(), sha);
	free(cache_dir("src"));
	log = xasprintf("%s.log", dest);
	ret = unpack_tarball(path, dest, log);
	if (ret == 0) {
		src->tree = unpacked_top(dest);
		if (!src->tree)
			ret = error("%s holds no kernel tree (no Makefile and fs/ext4 at its top)",
			            path);
	}
	free(dest);
	free(log);
	return ret;
}

/* nftw offers no user pointer. */
static struct hasher *tree_hasher;
static size_t tree_prefix;

static int hash_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + tree_prefix;
	char line[64];

	(void)ftw;
	if (type == FTW_D && (ends_with(rel, "/.git") || !strcmp(rel, ".git")))
		return FTW_SKIP_SUBTREE;
	if (type != FTW_F && type != FTW_SL)
		return 0;
	snprintf(line, sizeof(line), " %lld %lld.%09ld\n", (long long)st->st_size,
	         (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	hasher_adds(tree_hasher, rel);
	hasher_adds(tree_hasher, line);
	return 0;
}

/*
 * A plain tree has no commit id; its names, sizes and mtimes stand in for its
 * content, which is what make itself trusts.
 */
static int tree_identity(const char *dir, char out[65])
{
	int ret;

	tree_hasher = hasher_new();
	tree_prefix = strlen(dir) + 1;
	ret = nftw(dir, hash_entry, 64, FTW_PHYS | FTW_ACTIONRETVAL);
	hasher_final(tree_hasher, out);
	tree_hasher = NULL;
	return ret < 0 ? -1 : 0;
}

static int resolve_tree(const char *path, struct ksource *src)
{
	char *gitdir = path_join(path, ".git");
	char *head = NULL;
	int ret = 0;

	src->tree = abs_path(path);
	src->location = xstrdup(src->tree);
	if (!looks_like_kernel(src->tree)) {
		ret = error("%s is not a kernel tree (no Makefile and fs/ext4)", path);
		goto out;
	}
	if (path_exists(gitdir) &&
	    (head = run_capture(src->tree, "git", "rev-parse", "HEAD", NULL))) {
		char *dirty = run_capture(src->tree, "sh", "-c",
		                          "{ git status --porcelain --untracked-files=normal; "
		                          "git diff HEAD; } | sha256sum | cut -c1-16",
		                          NULL);
		char *st = run_capture(src->tree, "git", "status", "--porcelain", NULL);

		free(src->kind);
		src->kind = xstrdup("git");
		if (st && *st)
			src->identity = xasprintf("git:%s+dirty:%s", head, dirty ? dirty : "?");
		else
			src->identity = xasprintf("git:%s", head);
		free(dirty);
		free(st);
	} else {
		char sha[65];

		free(src->kind);
		src->kind = xstrdup("tree");
		if (tree_identity(src->tree, sha) < 0) {
			ret = error("cannot read the tree %s: %s", path, strerror(errno));
			goto out;
		}
		src->identity = xasprintf("tree:%s", sha);
	}
out:
	free(gitdir);
	free(head);
	return ret;
}

int ksource_resolve(const char *spec, struct ksource *src)
{
	int ret;

	memset(src, 0, sizeof(*src));
	src->spec = xstrdup(spec);
	if (starts_with(spec, "debian:")) {
		src->kind = xstrdup("debian");
		ret = resolve_debian(spec + strlen("debian:"), src);
	} else if (is_dir(spec)) {
		src->kind = xstrdup("tree");
		ret = resolve_tree(spec, src);
	} else if (path_exists(spec) && (strstr(spec, ".tar") || ends_with(spec, ".tgz"))) {
		src->kind = xstrdup("tarball");
		ret = resolve_tarball(spec, src);
	} else {
		ret = error("--source '%s' is neither debian:PACKAGE, a kernel tree, nor a "
		            ".tar.xz/.tar.gz tarball",
		            spec);
	}
	if (ret == 0)
		src->base = tree_base(src->tree);
	if (ret < 0)
		ksource_free(src);
	return ret;
}

static char *makefile_var(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');

		if (!strncmp(l, name, n)) {
			const char *v = l + n;

			v += strspn(v, " \t");
			if (*v == '=') {
				v++;
				v += strspn(v, " \t");
				return xstrndup(v, eol ? (size_t)(eol - v) : strlen(v));
			}
		}
		l = eol ? eol + 1 : NULL;
	}
	return xstrdup("");
}

/*
 * Releases are named as their Makefile says ("7.3.4"; "v7.3-rc4" for a
 * release candidate, as a series' base line writes it); a linux-next tree
 * is named by its localversion-next ("next-20260122").
 */
char *tree_base(const char *tree)
{
	char *mk = path_join(tree, "Makefile"), *nextf = path_join(tree, "localversion-next");
	char *text = read_file(mk, NULL), *next = read_file(nextf, NULL), *out;
	char *ver, *patch, *sub, *extra;

	free(mk);
	free(nextf);
	if (next && starts_with(trim(next), "-next-")) {
		out = xstrdup(trim(next) + 1);
		free(next);
		free(text);
		return out;
	}
	free(next);
	if (!text)
		return xstrdup("unknown");
	ver = makefile_var(text, "VERSION");
	patch = makefile_var(text, "PATCHLEVEL");
	sub = makefile_var(text, "SUBLEVEL");
	extra = makefile_var(text, "EXTRAVERSION");
	if (*extra)
		out = xasprintf("v%s.%s%s", ver, patch, trim(extra));
	else if (*sub && strcmp(sub, "0"))
		out = xasprintf("%s.%s.%s", ver, patch, sub);
	else
		out = xasprintf("v%s.%s", ver, patch);
	free(ver);
	free(patch);
	free(sub);
	free(extra);
	free(text);
	return out;
}
