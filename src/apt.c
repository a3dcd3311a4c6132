// SPDX-License-Identifier: GPL-2.0
#include "apt.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "run_command.h"

#define KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"

static const char *const suites[] = {"trixie", "trixie-backports", "sid", "experimental"};

static const char *mirror(void)
{
	const char *m = getenv("IOLAB_DEBIAN_MIRROR");

	return m && *m ? m : "http://deb.debian.org/debian";
}

static int write_sources(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	sb_adds(&sb, "# Written by iolab: the lab's private sources, never the system's.\n");
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		sb_addf(&sb, "deb [signed-by=%s] %s %s main\n", KEYRING, mirror(), suites[i]);
	ret = write_str(path, sb.buf);
	sb_release(&sb);
	return ret;
}

int apt_open(struct apt *apt, const char *release)
{
	char *etc, *src, *status;

	memset(apt, 0, sizeof(*apt));
	if (!path_exists(KEYRING))
		return error("%s is missing: install debian-archive-keyring", KEYRING);
	apt->dir = cache_dir("apt");
	etc = cache_dir("apt/etc");
	free(cache_dir("apt/state/lists/partial"));
	free(cache_dir("apt/cache/archives/partial"));
	src = path_join(etc, "sources.list");
	status = xasprintf("%s/state/status", apt->dir);
	if (write_sources(src) < 0 || (!path_exists(status) && write_str(status, "") < 0)) {
		free(etc);
		free(src);
		free(status);
		return error("cannot write the private apt configuration in %s", apt->dir);
	}
	sv_pushf(&apt->opts, "-oDir::Etc::SourceList=%s", src);
	sv_push(&apt->opts, "-oDir::Etc::SourceParts=/dev/null");
	sv_push(&apt->opts, "-oDir::Etc::Preferences=/dev/null");
	sv_push(&apt->opts, "-oDir::Etc::PreferencesParts=/dev/null");
	sv_pushf(&apt->opts, "-oDir::State=%s/state", apt->dir);
	sv_pushf(&apt->opts, "-oDir::State::status=%s", status);
	sv_pushf(&apt->opts, "-oDir::Cache=%s/cache", apt->dir);
	sv_push(&apt->opts, "-oAPT::Architecture=amd64");
	sv_push(&apt->opts, "-oAPT::Architectures::=amd64");
	sv_push(&apt->opts, "-oDebug::NoLocking=1");
	/* The cache is owned by whoever runs the lab, not by _apt. */
	sv_push(&apt->opts, "-oAPT::Sandbox::User=root");
	sv_push(&apt->opts, "-oAcquire::Languages=none");
	sv_push(&apt->opts, "-oAPT::Install-Recommends=false");
	if (release) {
		apt->release = xstrdup(release);
		sv_pushf(&apt->opts, "-oAPT::Default-Release=%s", release);
	}
	free(etc);
	free(src);
	free(status);
	return 0;
}

void apt_close(struct apt *apt)
{
	free(apt->dir);
	free(apt->release);
	sv_clear(&apt->opts);
	memset(apt, 0, sizeof(*apt));
}

static void base_argv(struct apt *apt, struct strvec *argv, const char *tool)
{
	sv_push(argv, tool);
	for (size_t i = 0; i < apt->opts.n; i++)
		sv_push(argv, apt->opts.v[i]);
}

static int run_apt(struct apt *apt, struct strvec *argv, const char *dir, struct strbuf *out)
{
	struct child c = {0};
	char *log = path_join(apt->dir, "apt.log");
	int ret;

	c.argv = (const char *const *)argv->v;
	c.dir = dir;
	c.log_path = log;
	c.capture = out != NULL;
	ret = run_command(&c);
	if (out)
		sb_add(out, c.out.buf ? c.out.buf : "", c.out.len);
	sb_release(&c.out);
	free(log);
	return ret;
}

int apt_update(struct apt *apt, int force)
{
	char *stamp = path_join(apt->dir, "updated");
	struct stat st;
	struct strvec argv = STRVEC_INIT;
	int ret = 0, lock;

	if (!force && stat(stamp, &st) == 0 && time(NULL) - st.st_mtime < 24 * 3600) {
		free(stamp);
		return 0;
	}
	/* Two labs refreshing the same lists at once break each other's partial/ files. */
	lock = cache_lock("apt-update");
	if (!force && stat(stamp, &st) == 0 && time(NULL) - st.st_mtime < 24 * 3600)
		goto out;
	info("refreshing the lab's private package lists (%s)", mirror());
	base_argv(apt, &argv, "apt-get");
	sv_push(&argv, "-q");
	sv_push(&argv, "update");
	if (run_apt(apt, &argv, NULL, NULL) != 0) {
		ret = error("apt-get update failed for the lab's private sources; see %s/apt.log "
		            "(is %s reachable?)",
		            apt->dir, mirror());
		goto out;
	}
	write_str(stamp, "");
out:
	if (lock >= 0)
		close(lock);
	sv_clear(&argv);
	free(stamp);
	return ret;
}

static char *apt_candidate_uncached(struct apt *apt, const char *pkg)
{
	struct strvec argv = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT;
	char *ver = NULL;

	base_argv(apt, &argv, "apt-cache");
	sv_push(&argv, "policy");
	sv_push(&argv, pkg);
	if (run_apt(apt, &argv, NULL, &out) == 0 && out.buf) {
		char *p = strstr(out.buf, "Candidate:");

		if (p) {
			p += strlen("Candidate:");
			p += strspn(p, " ");
			ver = xstrndup(p, strcspn(p, "\n"));
			if (!strcmp(ver, "(none)")) {
				free(ver);
				ver = NULL;
			}
		}
	}
	sv_clear(&argv);
	sb_release(&out);
	return ver;
}

/*
 * apt-cache reads every suite's list (sid's alone is 10 MB) each time; the
 * answer only changes when the lists do, so it is kept beside them.
 */
char *apt_candidate(struct apt *apt, const char *pkg)
{
	char *dir = xasprintf("%s/candidates", apt->dir);
	char *file = xasprintf("%s/%s%s%s", dir, pkg, apt->release ? "@" : "",
	                       apt->release ? apt->release : "");
	char *stamp = path_join(apt->dir, "updated");
	struct stat fst, sst;
	char *ver = NULL;

	if (stat(file, &fst) == 0 && stat(stamp, &sst) == 0 && fst.st_mtime >= sst.st_mtime) {
		ver = read_file(file, NULL);
		if (ver && !*trim(ver)) {
			free(ver);
			ver = NULL;
		}
	} else {
		ver = apt_candidate_uncached(apt, pkg);
		mkdir_p(dir);
		write_str(file, ver ? ver : "");
	}
	if (ver) {
		char *t = xstrdup(trim(ver));

		free(ver);
		ver = t;
	}
	free(dir);
	free(file);
	free(stamp);
	return ver;
}

/* Newest file in dir whose name starts with "<pkg>_" and ends in ".deb". */
static char *find_deb(const char *dir, const char *pkg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *prefix = xasprintf("%s_", pkg);
	char *found = NULL;

	while (d && (de = readdir(d))) {
		if (starts_with(de->d_name, prefix) && ends_with(de->d_name, ".deb")) {
			free(found);
			found = path_join(dir, de->d_name);
		}
	}
	if (d)
		closedir(d);
	free(prefix);
	return found;
}

char *apt_download(struct apt *apt, const char *pkg, const char *destdir)
{
	struct strvec argv = STRVEC_INIT;
	char *ver = apt_candidate(apt, pkg);
	char *found = NULL;

	if (!ver) {
		error("no Debian suite the lab reads (trixie, trixie-backports, sid, experimental) "
		      "serves %s; check the name (apt-cache policy) or pass --source PATH",
		      pkg);
		goto out;
	}
	if (mkdir_p(destdir) < 0) {
		error("cannot create %s: %s", destdir, strerror(errno));
		goto out;
	}
	base_argv(apt, &argv, "apt-get");
	sv_push(&argv, "-q");
	sv_push(&argv, "download");
	sv_pushf(&argv, "%s=%s", pkg, ver);
	if (run_apt(apt, &argv, destdir, NULL) != 0) {
		error("apt-get download %s=%s failed; see %s/apt.log", pkg, ver, apt->dir);
		goto out;
	}
	found = find_deb(destdir, pkg);
	if (!found)
		error("apt-get download %s left no .deb in %s", pkg, destdir);
out:
	free(ver);
	sv_clear(&argv);
	return found;
}

int apt_download_closure(struct apt *apt, const struct strvec *pkgs, const char *destdir,
                         struct strvec *debs)
{
	struct strvec argv = STRVEC_INIT;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (mkdir_p(destdir) < 0)
		return error("cannot create %s: %s", destdir, strerror(errno));
	base_argv(apt, &argv, "apt-get");
	sv_pushf(&argv, "-oDir::Cache::archives=%s", destdir);
	sv_push(&argv, "-q");
	sv_push(&argv, "-y");
	sv_push(&argv, "--download-only");
	sv_push(&argv, "install");
	for (size_t i = 0; i < pkgs->n; i++)
		sv_push(&argv, pkgs->v[i]);
	{
		char *partial = path_join(destdir, "partial");

		mkdir_p(partial);
		free(partial);
	}
	if (run_apt(apt, &argv, NULL, NULL) != 0) {
		ret = error("apt-get could not resolve or download the guest packages; see "
		            "%s/apt.log",
		            apt->dir);
		goto out;
	}
	d = opendir(destdir);
	while (d && (de = readdir(d)))
		if (ends_with(de->d_name, ".deb"))
			sv_pushf(debs, "%s/%s", destdir, de->d_name);
	if (d)
		closedir(d);
out:
	sv_clear(&argv);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void append_log(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

bool apt_known_suite(const char *suite)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		if (!strcmp(suites[i], suite))
			return true;
	return false;
}

/*
 * The memo key for a resolution: apt's options, the request and the signed
 * Release files.  The Packages lists are verified against those, so equal
 * Release files mean equal lists and hence an equal answer.
 */
static void resolve_memo_key(struct apt *apt, const struct strvec *pkgs, char out[65])
{
	struct hasher *h = hasher_new();
	char *lists = xasprintf("%s/state/lists", apt->dir);
	struct strvec names = STRVEC_INIT;
	DIR *d = opendir(lists);
	struct dirent *de;

	for (size_t i = 0; i < apt->opts.n; i++)
		hasher_field(h, "opt", apt->opts.v[i]);
	for (size_t i = 0; i < pkgs->n; i++)
		hasher_field(h, "pkg", pkgs->v[i]);
	while (d && (de = readdir(d)))
		if (ends_with(de->d_name, "Release"))
			sv_push(&names, de->d_name);
	if (d)
		closedir(d);
	qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		char *path = path_join(lists, names.v[i]);

		hasher_field(h, "release", names.v[i]);
		hasher_add_file(h, path);
		free(path);
	}
	hasher_final(h, out);
	sv_clear(&names);
	free(lists);
}

/* "Inst libgmp10 (2:6.3.0+dfsg-3 Debian:13/stable [amd64])" -> "libgmp10=2:6.3.0+dfsg-3". */
static void parse_simulation(const char *out, struct strvec *resolved)
{
	struct strvec lines = STRVEC_INIT;

	sv_split(&lines, out, "\n");
	for (size_t i = 0; i < lines.n; i++) {
		const char *l = lines.v[i], *name, *ver;
		size_t nlen;

		if (!starts_with(l, "Inst "))
			continue;
		name = l + strlen("Inst ");
		nlen = strcspn(name, " ");
		ver = strchr(name + nlen, '(');
		if (!ver)
			continue;
		ver++;
		sv_pushf(resolved, "%.*s=%.*s", (int)nlen, name, (int)strcspn(ver, " )"), ver);
	}
	sv_clear(&lines);
}

/* Turns apt-get's first "E: " line into one sentence a user can act on. */
static void report_resolve_error(struct apt *apt, const char *out)
{
	const char *e = out ? strstr(out, "E: ") : NULL;
	const char *missing = "E: Unable to locate package ";
	const char *rel = apt->release ? apt->release : "any suite";

	if (e && starts_with(e, missing)) {
		e += strlen(missing);
		error("package %.*s is not in Debian %s (nor in the other suites the lab reads); "
		      "check the name with apt-cache policy",
		      (int)strcspn(e, "\n"), e, rel);
	} else if (e) {
		error("apt-get cannot resolve the packages for %s: %.*s (see %s/apt.log)", rel,
		      (int)strcspn(e + 3, "\n"), e + 3, apt->dir);
	} else {
		error("apt-get cannot resolve the packages for %s; see %s/apt.log", rel, apt->dir);
	}
}

int apt_resolve(struct apt *apt, const struct strvec *pkgs, struct strvec *resolved)
{
	char key[65];
	char *memo_dir, *memo;
	char *text;
	struct strvec argv = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT;
	struct child c = {0};
	char *log = path_join(apt->dir, "apt.log");
	int ret = 0;

	/* apt-get -s takes seconds; a memo makes a cached image a quick hit. */
	resolve_memo_key(apt, pkgs, key);
	memo_dir = cache_dir("apt/resolved");
	memo = path_join(memo_dir, key);
	if ((text = read_file(memo, NULL))) {
		sv_split(resolved, text, "\n");
		free(text);
		goto out;
	}
	base_argv(apt, &argv, "apt-get");
	sv_push(&argv, "-q");
	sv_push(&argv, "-s");
	sv_push(&argv, "install");
	for (size_t i = 0; i < pkgs->n; i++)
		sv_push(&argv, pkgs->v[i]);
	c.argv = (const char *const *)argv.v;
	c.capture = true;
	c.capture_stderr = true;
	if (run_command(&c) != 0) {
		if (c.out.buf)
			append_log(log, c.out.buf);
		report_resolve_error(apt, c.out.buf);
		ret = -1;
		goto out;
	}
	parse_simulation(c.out.buf ? c.out.buf : "", resolved);
	if (!resolved->n) {
		ret = error("apt-get resolved nothing for %s; see %s/apt.log", pkgs->v[0],
		            apt->dir);
		goto out;
	}
	for (size_t i = 0; i < resolved->n; i++)
		sb_addf(&out, "%s\n", resolved->v[i]);
	write_str(memo, out.buf);
out:
	sb_release(&c.out);
	sb_release(&out);
	sv_clear(&argv);
	free(memo_dir);
	free(memo);
	free(log);
	return ret;
}
