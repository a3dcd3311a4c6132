// SPDX-License-Identifier: GPL-2.0
#include "paths.h"
#include "report_reference.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct parse_state {
	struct reference *r;
	/* The first problem; inih only reports its line number. */
	char *err;
};

static bool is_word(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static ssize_t sv_index(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return (ssize_t)i;
	return -1;
}

static void sv_set(struct strvec *sv, size_t i, const char *s)
{
	free(sv->v[i]);
	sv->v[i] = xstrdup(s);
}

/* Keeps one spelling per size, smallest first, so tables and plots read left to right. */
static const char *add_block_size(struct reference *r, const char *bs, int64_t bytes)
{
	char *added;
	size_t i;

	for (i = 0; i < r->block_sizes.n; i++) {
		int64_t have = parse_size(r->block_sizes.v[i]);

		if (have == bytes)
			return r->block_sizes.v[i];
		if (have > bytes)
			break;
	}
	sv_push(&r->block_sizes, bs);
	added = r->block_sizes.v[r->block_sizes.n - 1];
	memmove(&r->block_sizes.v[i + 1], &r->block_sizes.v[i],
	        (r->block_sizes.n - 1 - i) * sizeof(char *));
	r->block_sizes.v[i] = added;
	return added;
}

static const char *intern(struct strvec *sv, const char *s)
{
	ssize_t i = sv_index(sv, s);

	if (i >= 0)
		return sv->v[i];
	sv_push(sv, s);
	return sv->v[sv->n - 1];
}

static int parse_source(struct parse_state *st, const char *name, const char *value)
{
	struct reference *r = st->r;
	ssize_t i = sv_index(&r->source_keys, name);

	if (i < 0) {
		sv_push(&r->source_keys, name);
		sv_push(&r->source_values, value);
		return 1;
	}
	/* inih hands over an indented continuation line as the same key again. */
	char *joined = xasprintf("%s %s", r->source_values.v[i], value);

	free(r->source_values.v[i]);
	r->source_values.v[i] = joined;
	return 1;
}

static int parse_value(struct parse_state *st, const char *workload, const char *name,
                       const char *value)
{
	struct reference *r = st->r;
	const char *dot = strchr(name, '.');
	char *bs, *end;
	int64_t bytes;
	double mibs;

	if (!dot || dot == name || !is_word(dot + 1, "_-")) {
		st->err = xasprintf("[%s] key '%s': expected <block size>.<path>, e.g. 4k.iomap",
		                    workload, name);
		return 0;
	}
	bs = xstrndup(name, (size_t)(dot - name));
	bytes = parse_size(bs);
	if (bytes <= 0) {
		st->err = xasprintf("[%s] key '%s': '%s' is not a block size like 4k or 1M",
		                    workload, name, bs);
		free(bs);
		return 0;
	}
	errno = 0;
	mibs = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(mibs) || mibs < 0) {
		st->err = xasprintf("[%s] %s = '%s': expected a MiB/s figure like 423 or 36.3",
		                    workload, name, value);
		free(bs);
		return 0;
	}
	for (size_t i = 0; i < r->nvalues; i++) {
		const struct reference_value *v = &r->values[i];

		if (!strcmp(v->workload, workload) && v->bs_bytes == bytes &&
		    !strcmp(v->path, dot + 1)) {
			st->err = xasprintf("[%s] %s is given twice", workload, name);
			free(bs);
			return 0;
		}
	}
	if (r->nvalues == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 64;
		r->values = xrealloc(r->values, r->alloc * sizeof(*r->values));
	}
	r->values[r->nvalues++] = (struct reference_value){
	        .workload = intern(&r->workloads, workload),
	        .bs = add_block_size(r, bs, bytes),
	        .bs_bytes = bytes,
	        .path = intern(&r->paths, dot + 1),
	        .mibs = mibs,
	};
	free(bs);
	return 1;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	struct reference *r = st->r;
	ssize_t w;

	if (st->err)
		return 0;
	if (!strcmp(section, "source"))
		return parse_source(st, name, value);
	if (!is_word(section, "_")) {
		st->err = xasprintf("section [%s]: a workload name is letters, digits and '_'",
		                    section);
		return 0;
	}
	w = sv_index(&r->workloads, section);
	if (w < 0) {
		sv_push(&r->workloads, section);
		sv_push(&r->titles, "");
		sv_push(&r->tables, "");
		w = (ssize_t)r->workloads.n - 1;
	}
	if (!strcmp(name, "title")) {
		sv_set(&r->titles, (size_t)w, value);
		return 1;
	}
	if (!strcmp(name, "table")) {
		sv_set(&r->tables, (size_t)w, value);
		return 1;
	}
	return parse_value(st, section, name, value);
}

struct reference *reference_load_file(const char *file)
{
	struct reference *r = xcalloc(1, sizeof(*r));
	struct parse_state st = {.r = r};
	const char *base = strrchr(file, '/');
	FILE *f = fopen(file, "r");
	int line;

	base = base ? base + 1 : file;
	r->file = xstrdup(file);
	r->name = ends_with(base, ".ini") ? xstrndup(base, strlen(base) - 4) : xstrdup(base);
	if (!f) {
		error("cannot read reference %s: %s", file, strerror(errno));
		reference_free(r);
		return NULL;
	}
	line = ini_parse_file(f, on_entry, &st);
	fclose(f);
	if (line != 0) {
		error("%s:%d: %s", file, line,
		      st.err ? st.err : "not an INI line (or longer than 200 characters)");
		free(st.err);
		reference_free(r);
		return NULL;
	}
	if (!r->nvalues) {
		error("reference %s holds no '<bs>.<path> = MiB/s' numbers", file);
		reference_free(r);
		return NULL;
	}
	return r;
}

static void list_references(const char *dir, struct strbuf *sb)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!ends_with(de->d_name, ".ini"))
			continue;
		sb_addf(sb, "%s%.*s", sb->len ? ", " : "", (int)strlen(de->d_name) - 4, de->d_name);
	}
	closedir(d);
}

struct reference *reference_load(const char *dir, const char *name)
{
	struct reference *r;
	char *file, *base;

	if (!is_word(name, "._-") || name[0] == '.') {
		error("reference name '%s': use letters, digits, '.', '-' and '_' (a file in %s)",
		      name, dir);
		return NULL;
	}
	base = xasprintf("%s.ini", name);
	file = path_join(dir, base);
	free(base);
	if (!path_exists(file)) {
		struct strbuf have = STRBUF_INIT;

		list_references(dir, &have);
		error("no reference called %s in %s (there: %s)", name, dir,
		      have.len ? have.buf : "none");
		sb_release(&have);
		free(file);
		return NULL;
	}
	r = reference_load_file(file);
	free(file);
	return r;
}

char *reference_dir(void)
{
	return find_data_dir(REFERENCE_ENV, REFERENCE_SUBDIR);
}

void reference_free(struct reference *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->file);
	sv_clear(&r->source_keys);
	sv_clear(&r->source_values);
	sv_clear(&r->workloads);
	sv_clear(&r->titles);
	sv_clear(&r->tables);
	sv_clear(&r->block_sizes);
	sv_clear(&r->paths);
	free(r->values);
	free(r);
}

const struct reference_value *reference_find(const struct reference *r, const char *workload,
                                             const char *bs, const char *path)
{
	int64_t bytes = parse_size(bs);

	for (size_t i = 0; i < r->nvalues; i++) {
		const struct reference_value *v = &r->values[i];

		if (v->bs_bytes == bytes && !strcmp(v->workload, workload) &&
		    !strcmp(v->path, path))
			return v;
	}
	return NULL;
}

int reference_lookup(const struct reference *r, const char *workload, const char *bs,
                     const char *path, double *mibs)
{
	const struct reference_value *v = reference_find(r, workload, bs, path);

	if (!v)
		return error("reference %s has no %s %s %s figure", r->name, workload, bs, path);
	*mibs = v->mibs;
	return 0;
}

int reference_ratio(const struct reference *r, const char *workload, const char *bs, double *ratio)
{
	double bh = 0, iomap = 0;

	if (reference_lookup(r, workload, bs, "bh", &bh) < 0 ||
	    reference_lookup(r, workload, bs, "iomap", &iomap) < 0)
		return -1;
	if (bh == 0)
		return error("reference %s: %s %s bh is 0 MiB/s, no ratio", r->name, workload, bs);
	*ratio = iomap / bh;
	return 0;
}

const char *reference_source(const struct reference *r, const char *key)
{
	ssize_t i = sv_index(&r->source_keys, key);

	return i < 0 ? NULL : r->source_values.v[i];
}

const char *reference_title(const struct reference *r, const char *workload)
{
	ssize_t i = sv_index(&r->workloads, workload);

	if (i < 0 || !*r->titles.v[i])
		return workload;
	return r->titles.v[i];
}
