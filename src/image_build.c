// SPDX-License-Identifier: GPL-2.0
/*
 * Assembling a guest image: resolve the package closure, unpack the .debs
 * into a root tree (no maintainer scripts run), add what those scripts or an
 * installer would have made, and pack the tree as a squashfs.
 */
#include "image.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt.h"
#include "cache.h"
#include "paths.h"
#include "run_command.h"

/* Host tools an image build cannot do without, and where Debian ships them. */
static const struct {
	const char *tool, *package;
} needed_tools[] = {
        {"mksquashfs", "squashfs-tools"},
        {"dpkg-deb", "dpkg"},
        {"tar", "tar"},
        {"bash", "bash"},
};

/*
 * Debian's merged /usr: trixie packages ship /usr/bin etc., and the
 * top-level names are symlinks that the usrmerge transition (not any
 * package) used to create.
 */
static const char *const usr_links[] = {"bin", "sbin", "lib", "lib64"};

/* Where the agent, tests and tools mount things; the root itself is read-only. */
static const struct {
	const char *path;
	mode_t mode;
} mountpoints[] = {
        {"proc", 0555},
        {"sys", 0555},
        {"dev", 0755},
        {"dev/shm", 01777},
        {"tmp", 01777},
        {"run", 0755},
        {"var/tmp", 01777},
        {"root", 0700},
        {"mnt", 0755},
        {"mnt/test", 0755},
        {"mnt/scratch", 0755},
        /* fstests' _require_user runs commands as fsgqa from its home. */
        {"home/fsgqa", 0755},
};

/*
 * Files an installer or postinst would have written.  fio and fstests look
 * users and groups up (fstests wants fsgqa, fsgqa2 and 123456-fsgqa), and
 * nsswitch.conf keeps glibc from loading NSS modules the image lacks.
 */
static const struct {
	const char *path;
	const char *text;
	bool keep_shipped; /* leave a file a package already ships alone */
} etc_files[] = {
        {"etc/passwd",
         "root:x:0:0:root:/root:/bin/bash\n"
         "fsgqa:x:1000:1000:fstests:/home/fsgqa:/bin/bash\n"
         "fsgqa2:x:1001:1001:fstests:/home/fsgqa:/bin/bash\n"
         "123456-fsgqa:x:1002:1002:fstests:/home/fsgqa:/bin/bash\n"
         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
         false},
        {"etc/group",
         "root:x:0:\ntty:x:5:\ndisk:x:6:\nfsgqa:x:1000:\nfsgqa2:x:1001:\n"
         "123456-fsgqa:x:1002:\nnogroup:x:65534:\n",
         false},
        {"etc/hostname", "iolab\n", false},
        {"etc/hosts", "127.0.0.1\tlocalhost iolab\n::1\tlocalhost ip6-localhost\n", false},
        {"etc/fstab", "", false},
        {"etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n", false},
        {"etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", true},
};

/*
 * Commands that update-alternatives or a package's postinst would have
 * linked: link -> the first target that exists in the tree.  sh is bash
 * because dash is not in the image; init is the agent, so a kernel finds it
 * even without init=.
 */
static const struct {
	const char *link;
	const char *targets[3];
} cmd_links[] = {
        {"usr/bin/sh", {"bash", "dash", "busybox"}},
        {"usr/bin/awk", {"gawk", "mawk", "busybox"}},
        {"usr/bin/which", {"which.debianutils", NULL, NULL}},
        {"usr/sbin/init", {"iolab-agent", NULL, NULL}},
        {"etc/mtab", {"/proc/self/mounts", NULL, NULL}},
};

/* Nothing in the guest reads these, and they are 65 of the 238 MB the default set unpacks to. */
static const char *const pruned[] = {
        "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
};

static int check_tools(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(needed_tools); i++) {
		char *p = which(needed_tools[i].tool);

		if (!p)
			return error("%s is missing: install %s (or run scripts/install-deps)",
			             needed_tools[i].tool, needed_tools[i].package);
		free(p);
	}
	return 0;
}

static char *find_agent(void)
{
	char *dir = exe_dir();
	const char *cands[] = {"iolab-agent", "../iolab-agent"};
	char *found = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cands) && !found; i++) {
		char *p = path_join(dir, cands[i]);
		char *real = realpath(p, NULL);

		if (real && is_executable(real))
			found = real;
		else
			free(real);
		free(p);
	}
	free(dir);
	return found;
}

/* Debian policy: lower-case letters, digits, "+-."; at least two characters. */
static bool valid_pkg_name(const char *s)
{
	if (!isalnum((unsigned char)s[0]) || !s[1])
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      strchr("+-.", *s)))
			return false;
	return true;
}

/* "libgmp10_2%3a6.3.0+dfsg-3_amd64.deb" -> "libgmp10=2:6.3.0+dfsg-3". */
static char *deb_id(const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	const char *u1 = strchr(base, '_');
	const char *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
	struct strbuf sb = STRBUF_INIT;

	if (!u2)
		return NULL;
	sb_add(&sb, base, (size_t)(u1 - base));
	sb_addc(&sb, '=');
	for (const char *p = u1 + 1; p < u2; p++) {
		unsigned int c;

		if (*p == '%' && p + 2 < u2 && sscanf(p + 1, "%2x", &c) == 1) {
			sb_addc(&sb, (char)c);
			p += 2;
		} else {
			sb_addc(&sb, *p);
		}
	}
	return sb_detach(&sb);
}

/* The pool holds every image's packages; pick exactly the resolved ones. */
static int select_debs(const struct strvec *pool, const struct strvec *resolved,
                       struct strvec *debs)
{
	for (size_t i = 0; i < resolved->n; i++) {
		const char *hit = NULL;

		for (size_t j = 0; j < pool->n && !hit; j++) {
			char *id = deb_id(pool->v[j]);

			if (id && !strcmp(id, resolved->v[i]))
				hit = pool->v[j];
			free(id);
		}
		if (!hit)
			return error("apt-get left no .deb for %s; see %s/apt/apt.log",
			             resolved->v[i], cache_root());
		sv_push(debs, hit);
	}
	return 0;
}

static int make_usr_links(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(usr_links); i++) {
		char *target = xasprintf("%s/usr/%s", root, usr_links[i]);
		char *link = path_join(root, usr_links[i]);
		char *rel = xasprintf("usr/%s", usr_links[i]);
		int ret = mkdir_p(target) < 0 || symlink(rel, link) < 0 ? -1 : 0;

		if (ret < 0)
			error("cannot create %s -> %s: %s", link, rel, strerror(errno));
		free(target);
		free(link);
		free(rel);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* A package that still ships a directory /bin must not turn the link back into one. */
static int check_usr_links(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(usr_links); i++) {
		char *link = path_join(root, usr_links[i]);
		struct stat st;
		bool ok = lstat(link, &st) == 0 && S_ISLNK(st.st_mode);

		free(link);
		if (!ok)
			return error("a package replaced the merged-/usr link /%s by a directory",
			             usr_links[i]);
	}
	return 0;
}

static int extract_deb(const char *deb, const char *root, const char *log)
{
	/*
	 * Not dpkg-deb -x: its tar would replace the /bin -> usr/bin link by a
	 * directory when a package still ships /bin; --keep-directory-symlink
	 * writes through the link instead.
	 */
	int ret = run_simple(NULL, log, "bash", "-c",
	                     "set -o pipefail; dpkg-deb --fsys-tarfile \"$1\" | "
	                     "tar -x --keep-directory-symlink -f - -C \"$2\"",
	                     "extract", deb, root, NULL);

	if (ret != 0)
		return error("cannot unpack %s into %s; see %s", deb, root, log);
	return 0;
}

static int make_mountpoints(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(mountpoints); i++) {
		char *p = path_join(root, mountpoints[i].path);
		int ret = mkdir_p(p) < 0 || chmod(p, mountpoints[i].mode) < 0 ? -1 : 0;

		if (ret < 0)
			error("cannot create %s: %s", p, strerror(errno));
		free(p);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int write_etc_files(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(etc_files); i++) {
		char *p = path_join(root, etc_files[i].path);
		int ret = 0;

		if (!(etc_files[i].keep_shipped && path_exists(p))) {
			char *dir = xstrndup(p, (size_t)(strrchr(p, '/') - p));

			ret = mkdir_p(dir) < 0 ? -1 : write_str(p, etc_files[i].text);
			free(dir);
			if (ret < 0)
				error("cannot write %s: %s", p, strerror(errno));
		}
		free(p);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int make_cmd_links(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_links); i++) {
		char *link = path_join(root, cmd_links[i].link);
		char *dir = xstrndup(link, (size_t)(strrchr(link, '/') - link));
		const char *target = NULL;
		struct stat st;
		int ret = 0;

		for (size_t t = 0; t < 3 && cmd_links[i].targets[t] && !target; t++) {
			const char *cand = cmd_links[i].targets[t];
			char *p = path_join(dir, cand);

			/* An absolute target points into the running guest (/proc). */
			if (cand[0] == '/' || lstat(p, &st) == 0)
				target = cand;
			free(p);
		}
		if (target && lstat(link, &st) < 0 && symlink(target, link) < 0)
			ret = error("cannot link %s -> %s: %s", link, target, strerror(errno));
		free(link);
		free(dir);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int install_agent(const char *root, const char *agent)
{
	char *dst = path_join(root, "usr/sbin/iolab-agent");
	int ret = 0;

	if (copy_file(agent, dst) < 0 || chmod(dst, 0755) < 0)
		ret = error("cannot install the agent %s as %s: %s", agent, dst, strerror(errno));
	free(dst);
	return ret;
}

/* Saves every dynamic program a directory walk at start-up; boots work without it. */
static void make_ld_cache(const char *root, const char *log)
{
	char *ldconfig = which("ldconfig");
	char *aux = path_join(root, "var/cache/ldconfig/aux-cache");

	/* Not on a user's PATH when /usr/sbin is not. */
	if (!ldconfig && is_executable("/usr/sbin/ldconfig"))
		ldconfig = xstrdup("/usr/sbin/ldconfig");
	if (!ldconfig || run_simple(NULL, log, ldconfig, "-X", "-r", root, NULL) != 0)
		warn("no /etc/ld.so.cache in the image (ldconfig -r needs root); "
		     "programs still load, a little slower");
	/* Only ldconfig reads it, and its inode numbers would make each build differ. */
	unlink(aux);
	free(aux);
	free(ldconfig);
}

static void prune(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(pruned); i++) {
		char *p = path_join(root, pruned[i]);

		rm_rf(p);
		free(p);
	}
}

static int pack(const char *root, const char *out, const char *log)
{
	/*
	 * Uncompressed (-noI -noD -noF -noX): the guest runs under TCG, where
	 * decompression is emulated.  Booting the lab kernel (its squashfs has
	 * zlib only) with init=/bin/sh, the first fio --version; mkfs.ext4 -V
	 * took 1.4 s from this image against 2.2 s from a gzip one, and reading
	 * every binary and library 2.0 s against 3.3 s; a benchmark that drops
	 * caches would pay that inside its window.  The price is host disk
	 * (171 MB against 65 MB), and packing takes 0.2 s instead of 21 s.  It
	 * also needs no CONFIG_SQUASHFS_<compressor> in the guest kernel.
	 * Fixed times make the same key produce the same bytes.  The two device
	 * nodes let a debugging boot with init=/bin/sh work without devtmpfs.
	 */
	int ret = run_simple(NULL, log, "mksquashfs", root, out, "-noappend", "-all-root",
	                     "-no-xattrs", "-noI", "-noD", "-noF", "-noX", "-no-progress",
	                     "-mkfs-time", "0", "-all-time", "0", "-p",
	                     "dev/console c 0600 0 0 5 1", "-p", "dev/null c 0666 0 0 1 3", NULL);

	if (ret != 0)
		return error("mksquashfs failed for %s; see %s", root, log);
	return 0;
}

static int assemble_root(const char *root, const struct strvec *debs, const char *agent,
                         const char *log)
{
	if (make_usr_links(root) < 0)
		return -1;
	info("image: extracting %zu packages", debs->n);
	for (size_t i = 0; i < debs->n; i++)
		if (extract_deb(debs->v[i], root, log) < 0)
			return -1;
	if (check_usr_links(root) < 0 || make_mountpoints(root) < 0 || write_etc_files(root) < 0 ||
	    install_agent(root, agent) < 0 || make_cmd_links(root) < 0)
		return -1;
	info("image: pruning documentation, manuals and translations");
	prune(root);
	make_ld_cache(root, log);
	return 0;
}

/* Leftovers of builds that were killed; the image lock says none is running. */
static void remove_stale_builds(void)
{
	char *images = cache_dir("images");
	DIR *d = opendir(images);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (starts_with(de->d_name, ".build-")) {
			char *p = path_join(images, de->d_name);

			rm_rf(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(images);
}

/* Builds into images/.build-<key> and renames it into place, so a key's directory is always whole.
 */
/* The overlay's files go over the packages': it is what the caller built for this image. */
static int copy_overlay(const char *overlay, const char *root, const char *log)
{
	char *src = xasprintf("%s/.", overlay);
	int ret = run_simple(NULL, log, "cp", "-a", "--no-preserve=ownership", src, root, NULL);

	free(src);
	if (ret != 0)
		return error("cannot copy %s into the image root %s; see %s", overlay, root, log);
	return 0;
}

static int build_new(struct apt *apt, const struct image_recipe *r, const char *key,
                     const char *agent, const char *overlay, double t0)
{
	char *stage_name = xasprintf(".build-%s", key);
	char *stage = image_dir(stage_name);
	char *root = path_join(stage, "root");
	char *log = path_join(stage, "build.log");
	char *sqfs = path_join(stage, "root.sqfs");
	char *final = image_dir(key);
	char *pool = cache_dir("images/debs");
	struct strvec all = STRVEC_INIT, debs = STRVEC_INIT;
	struct image_info done = {0};
	json_t *meta = NULL;
	struct stat st;
	int ret = -1;

	remove_stale_builds();
	if (mkdir_p(root) < 0) {
		error("cannot create %s: %s", root, strerror(errno));
		goto out;
	}
	info("image: downloading %zu packages (cached ones are reused)", r->resolved->n);
	if (apt_download_closure(apt, r->resolved, pool, &all) < 0 ||
	    select_debs(&all, r->resolved, &debs) < 0)
		goto out;
	if (assemble_root(root, &debs, agent, log) < 0)
		goto out;
	if (overlay && copy_overlay(overlay, root, log) < 0)
		goto out;
	info("image: packing %s", sqfs);
	if (pack(root, sqfs, log) < 0)
		goto out;
	rm_rf(root);
	if (stat(sqfs, &st) < 0) {
		error("mksquashfs left no %s", sqfs);
		goto out;
	}
	done.key = key;
	done.recipe = r;
	done.created = iso_time_now();
	done.size_bytes = st.st_size;
	done.build_seconds = now_seconds() - t0;
	meta = image_meta_encode(&done);
	free((char *)done.created);
	if (image_meta_write(stage, meta) < 0)
		goto out;
	rm_rf(final);
	if (rename(stage, final) < 0) {
		error("cannot move %s to %s: %s", stage, final, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		rm_rf(root);
	json_decref(meta);
	sv_clear(&all);
	sv_clear(&debs);
	free(stage_name);
	free(stage);
	free(root);
	free(log);
	free(sqfs);
	free(final);
	free(pool);
	return ret;
}

static bool is_complete(const char *key)
{
	char *dir = image_dir(key);
	char *sqfs = path_join(dir, "root.sqfs");
	char *meta = path_join(dir, "meta.json");
	bool ok = path_exists(sqfs) && path_exists(meta);

	free(dir);
	free(sqfs);
	free(meta);
	return ok;
}

/*
 * The set's packages plus the extra ones into request; extras the set
 * already has or that repeat are dropped from norm_extra, so that asking
 * for them does not change the key.
 */
static int collect_request(const char *set, const struct strvec *extra, struct strvec *request,
                           struct strvec *norm_extra)
{
	if (image_set_packages(set, request) < 0)
		return -1;
	for (size_t i = 0; extra && i < extra->n; i++) {
		if (!valid_pkg_name(extra->v[i]))
			return error("'%s' is not a Debian package name (lower-case letters, "
			             "digits, '+', '-', '.')",
			             extra->v[i]);
		if (sv_contains(request, extra->v[i]))
			continue;
		sv_push(request, extra->v[i]);
		sv_push(norm_extra, extra->v[i]);
	}
	return 0;
}

static void report_built(const char *key, const struct strvec *resolved, double t0)
{
	char *sqfs = image_path(key);
	struct stat st;
	const char *fio = image_pkg_version(resolved, "fio");

	if (sqfs && stat(sqfs, &st) == 0)
		info("image: built %.12s in %.1fs: %zu packages, %.1f MiB, fio %s", key,
		     now_seconds() - t0, resolved->n, (double)st.st_size / (1 << 20),
		     fio ? fio : "(none)");
	free(sqfs);
}

/* What image_build and image_build_root both settle first: the recipe and its key. */
struct resolution {
	struct strvec request, resolved, extra;
	struct image_recipe recipe;
	struct apt apt;
	bool apt_opened;
	char *agent;
	char agent_sha[65];
	char key[65];
	int lock;
};

static void resolution_release(struct resolution *rs)
{
	if (rs->apt_opened)
		apt_close(&rs->apt);
	if (rs->lock >= 0)
		close(rs->lock);
	sv_clear(&rs->request);
	sv_clear(&rs->resolved);
	sv_clear(&rs->extra);
	free(rs->agent);
}

static int resolve(const struct image_opts *o, struct resolution *rs)
{
	const char *suite = o->suite ? o->suite : IMAGE_DEFAULT_SUITE;
	const char *set = o->set ? o->set : IMAGE_DEFAULT_SET;

	memset(rs, 0, sizeof(*rs));
	rs->lock = -1;
	if (!apt_known_suite(suite))
		return error("suite '%s' is not one the lab reads; use trixie, trixie-backports, "
		             "sid or experimental",
		             suite);
	if (check_tools() < 0 || collect_request(set, o->extra, &rs->request, &rs->extra) < 0)
		return -1;
	rs->agent = o->agent ? realpath(o->agent, NULL) : find_agent();
	if (!rs->agent || !is_executable(rs->agent))
		return error("guest agent %s not found: run make (it builds build/iolab-agent) or "
		             "pass --agent PATH",
		             o->agent ? o->agent : "iolab-agent");
	if (sha256_file_hex(rs->agent, rs->agent_sha) < 0)
		return error("cannot read the agent %s: %s", rs->agent, strerror(errno));
	rs->lock = cache_lock("image");
	if (apt_open(&rs->apt, suite) < 0)
		return -1;
	rs->apt_opened = true;
	/* Offline, the lists already here still name the cached images. */
	if (apt_update(&rs->apt, 0) < 0)
		warn("continuing with the package lists the cache already holds");
	info("image: resolving %zu packages and their dependencies in Debian %s", rs->request.n,
	     suite);
	if (apt_resolve(&rs->apt, &rs->request, &rs->resolved) < 0)
		return -1;
	rs->recipe = (struct image_recipe){suite,         set,           &rs->extra,
	                                   &rs->resolved, rs->agent_sha, o->overlay_id};
	image_key(&rs->recipe, rs->key);
	return 0;
}

int image_build(const struct image_opts *o, char **key_out)
{
	double t0 = now_seconds();
	struct resolution rs;
	int ret = -1;

	*key_out = NULL;
	if (!o->overlay != !o->overlay_id)
		die("internal: an image overlay needs both a directory and an identity");
	if (resolve(o, &rs) < 0)
		goto out;
	if (!o->force && is_complete(rs.key)) {
		info("image: %.12s is cached", rs.key);
	} else {
		if (build_new(&rs.apt, &rs.recipe, rs.key, rs.agent, o->overlay, t0) < 0)
			goto out;
		report_built(rs.key, &rs.resolved, t0);
	}
	*key_out = xstrdup(rs.key);
	ret = 0;
out:
	resolution_release(&rs);
	return ret;
}

int image_build_root(const struct image_opts *o, const char *dir, char **key_out)
{
	char *pool = cache_dir("images/debs");
	char *log = xasprintf("%s.log", dir);
	struct strvec all = STRVEC_INIT, debs = STRVEC_INIT;
	struct resolution rs;
	int ret = -1;

	*key_out = NULL;
	if (resolve(o, &rs) < 0)
		goto out;
	if (path_exists(dir)) {
		error("internal: %s exists; a root is assembled into a new directory", dir);
		goto out;
	}
	if (mkdir_p(dir) < 0) {
		error("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	unlink(log);
	info("image: downloading %zu packages (cached ones are reused)", rs.resolved.n);
	if (apt_download_closure(&rs.apt, &rs.resolved, pool, &all) < 0 ||
	    select_debs(&all, &rs.resolved, &debs) < 0 ||
	    assemble_root(dir, &debs, rs.agent, log) < 0)
		goto out;
	*key_out = xstrdup(rs.key);
	ret = 0;
out:
	resolution_release(&rs);
	sv_clear(&all);
	sv_clear(&debs);
	free(pool);
	free(log);
	return ret;
}
