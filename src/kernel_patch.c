// SPDX-License-Identifier: GPL-2.0
/*
 * Patch series as they arrive from lore or b4: an mbox of mails, a
 * directory of git-format-patch files, or a single diff.  Each patch keeps
 * its subject and hash so the build metadata says exactly what went in.
 */
#include "kernel.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run_command.h"

void patches_free(struct patch_list *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->v[i].subject);
		free(pl->v[i].path);
	}
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}

void patches_truncate(struct patch_list *pl, size_t n)
{
	for (size_t i = n; i < pl->n; i++) {
		free(pl->v[i].subject);
		free(pl->v[i].path);
	}
	if (n < pl->n)
		pl->n = n;
}

/* "Subject: [PATCH v3 04/22] ext4: add ..." (possibly folded) -> "ext4: add ...". */
static char *mail_subject(const char *text)
{
	const char *p = strstr(text, "\nSubject: ");
	struct strbuf sb = STRBUF_INIT;
	char *s;

	if (!starts_with(text, "Subject: ") && !p)
		return NULL;
	p = starts_with(text, "Subject: ") ? text + 9 : p + 10;
	for (;;) {
		size_t n = strcspn(p, "\n");

		sb_add(&sb, p, n);
		p += n;
		/* RFC 5322 folding: a continuation line starts with white space. */
		if (p[0] == '\n' && (p[1] == ' ' || p[1] == '\t')) {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			sb_addc(&sb, ' ');
			continue;
		}
		break;
	}
	s = sb_detach(&sb);
	while (s[0] == '[') {
		char *close = strchr(s, ']');

		if (!close)
			break;
		memmove(s, close + 1, strlen(close + 1) + 1);
		memmove(s, s + strspn(s, " "), strlen(s + strspn(s, " ")) + 1);
	}
	return s;
}

static bool has_diff(const char *text)
{
	/* A plain `diff -u` starts with its "--- " line; a mail has it further down. */
	bool minus = starts_with(text, "--- ") || strstr(text, "\n--- ");

	return minus && strstr(text, "\n+++ ") && strstr(text, "\n@@ ");
}

static void add_patch(struct patch_list *pl, const char *path, const char *text,
                      const char *fallback_subject)
{
	struct patch *p;
	char *subj = mail_subject(text);

	pl->v = xrealloc(pl->v, (pl->n + 1) * sizeof(*pl->v));
	p = &pl->v[pl->n++];
	p->subject = subj ? subj : xstrdup(fallback_subject);
	p->path = xstrdup(path);
	sha256_hex(text, strlen(text), p->sha256);
}

/* Splits an mbox at "From " separator lines; skips mails without a diff (cover letters). */
static int load_mbox(const char *path, const char *text, const char *split_dir,
                     struct patch_list *pl)
{
	const char *p = text;
	int idx = 0;

	if (mkdir_p(split_dir) < 0)
		return error("cannot create %s: %s", split_dir, strerror(errno));
	while (*p) {
		const char *next = strstr(p + 1, "\nFrom ");
		size_t len = next ? (size_t)(next + 1 - p) : strlen(p);
		char *mail = xstrndup(p, len);

		if (has_diff(mail)) {
			char *out = xasprintf("%s/%04d.patch", split_dir, ++idx);

			if (write_str(out, mail) < 0) {
				error("cannot write %s: %s", out, strerror(errno));
				free(out);
				free(mail);
				return -1;
			}
			add_patch(pl, out, mail, path);
			free(out);
		}
		free(mail);
		p += len;
	}
	if (!pl->n)
		return error("%s holds no patches (no mail with a diff in it)", path);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(const char *dir, const char *split_dir, struct patch_list *pl)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strvec names = STRVEC_INIT;
	int ret = 0;

	if (!d)
		return error("cannot read %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (ends_with(de->d_name, ".patch") || ends_with(de->d_name, ".diff") ||
		    ends_with(de->d_name, ".mbx") || ends_with(de->d_name, ".mbox"))
			sv_push(&names, de->d_name);
	closedir(d);
	qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n && ret == 0; i++) {
		char *path = path_join(dir, names.v[i]);
		char *sub = xasprintf("%s/%zu", split_dir, i);

		ret = patches_load(path, sub, pl);
		free(path);
		free(sub);
	}
	if (ret == 0 && !pl->n)
		ret = error("%s holds no *.patch, *.diff, *.mbx or *.mbox files", dir);
	sv_clear(&names);
	return ret;
}

int patches_load(const char *path, const char *split_dir, struct patch_list *pl)
{
	char *text;
	int ret = 0;

	if (is_dir(path))
		return load_dir(path, split_dir, pl);
	text = read_file(path, NULL);
	if (!text)
		return error("cannot read patch %s: %s", path, strerror(errno));
	if (starts_with(text, "From ") && strstr(text + 5, "\nFrom ") && strstr(text, "Subject: "))
		ret = load_mbox(path, text, split_dir, pl);
	else if (has_diff(text) || strstr(text, "\ndiff --git ") || starts_with(text, "diff "))
		add_patch(pl, path, text, path);
	else
		ret = error("%s is not a patch (no diff in it)", path);
	free(text);
	return ret;
}

/*
 * The file patch(1) was working on when it failed, from its own output:
 * "checking file X" (dry run) or "patching file X", followed by "FAILED",
 * or "can't find file to patch" with the diff header after it.
 */
static char *failed_file(const char *out)
{
	const char *cur = NULL;

	for (const char *l = out; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);

		if (starts_with(l, "checking file ") || starts_with(l, "patching file ")) {
			cur = l + strlen("checking file ");
		} else if (memmem(l, len, "FAILED", 6) && cur) {
			break;
		} else if (memmem(l, len, "can't find file to patch", 24)) {
			const char *m = strstr(l, "+++ ");

			if (m) {
				m += 4;
				if (starts_with(m, "b/"))
					m += 2;
				return xstrndup(m, strcspn(m, "\t\n"));
			}
		}
		l = eol ? eol + 1 : NULL;
	}
	if (!cur)
		return xstrdup("(unknown file)");
	if (*cur == '\'')
		cur++;
	return xstrndup(cur, strcspn(cur, "'\n"));
}

static int run_patch(const char *tree, const char *patchfile, bool dry, struct strbuf *out)
{
	const char *argv[] = {"patch",
	                      "-p1",
	                      "-f",
	                      "-N",
	                      "--no-backup-if-mismatch",
	                      "-r",
	                      "-",
	                      dry ? "--dry-run" : "-s",
	                      NULL};
	struct child c = {0};
	int ret;

	c.argv = argv;
	c.dir = tree;
	c.stdin_path = patchfile;
	c.capture = true;
	c.capture_stderr = true;
	ret = run_command(&c);
	sb_add(out, c.out.buf ? c.out.buf : "", c.out.len);
	sb_release(&c.out);
	return ret;
}

int patches_apply(const struct patch_list *pl, const char *tree, const char *log)
{
	struct strbuf all = STRBUF_INIT;
	int ret = 0;

	for (size_t i = 0; i < pl->n && ret == 0; i++) {
		const struct patch *p = &pl->v[i];
		struct strbuf out = STRBUF_INIT;

		sb_addf(&all, "=== [%zu/%zu] %s (%s)\n", i + 1, pl->n, p->subject, p->path);
		/* A dry run first, so a patch that fails never leaves half its hunks behind. */
		if (run_patch(tree, p->path, true, &out) != 0) {
			char *file = failed_file(out.buf ? out.buf : "");

			ret = error("patch %zu/%zu \"%s\" does not apply: %s failed (patch output "
			            "in %s)",
			            i + 1, pl->n, p->subject, file, log);
			free(file);
		} else {
			sb_reset(&out);
			if (run_patch(tree, p->path, false, &out) != 0)
				ret = error("patch \"%s\" failed after a clean dry run (see %s)",
				            p->subject, log);
		}
		sb_add(&all, out.buf ? out.buf : "", out.len);
		sb_release(&out);
	}
	if (log)
		write_file(log, all.buf ? all.buf : "", all.len);
	sb_release(&all);
	return ret;
}

/* The tree-relative paths a patch names in its ---/+++ headers. */
static void touched_files(const char *text, struct strvec *out)
{
	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');

		if (starts_with(l, "--- ") || starts_with(l, "+++ ")) {
			const char *p = l + 4;
			size_t n = strcspn(p, "\t\n");
			const char *slash = memchr(p, '/', n);

			if (slash && !starts_with(p, "/dev/null")) {
				char *f = xstrndup(slash + 1, n - (size_t)(slash + 1 - p));

				if (!sv_contains(out, f))
					sv_push(out, f);
				free(f);
			}
		}
		l = eol ? eol + 1 : NULL;
	}
}

int patches_check(const struct patch_list *pl, const char *tree, const char *scratch,
                  const char *log)
{
	struct strvec files = STRVEC_INIT;
	int ret;

	rm_rf(scratch);
	mkdir_p(scratch);
	for (size_t i = 0; i < pl->n; i++) {
		char *text = read_file(pl->v[i].path, NULL);

		if (text)
			touched_files(text, &files);
		free(text);
	}
	for (size_t i = 0; i < files.n; i++) {
		char *from = path_join(tree, files.v[i]), *to = path_join(scratch, files.v[i]);
		char *dir = xstrdup(to);

		*strrchr(dir, '/') = '\0';
		mkdir_p(dir);
		if (path_exists(from))
			copy_file(from, to);
		free(from);
		free(to);
		free(dir);
	}
	ret = patches_apply(pl, scratch, log);
	sv_clear(&files);
	return ret;
}
