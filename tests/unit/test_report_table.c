// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "paths.h"
#include "report.h"
#include "report_fixture.h"
#include "util.h"

/*
 * The report's tables from fixture runs written through the real store
 * (report_fixture.h).  Layouts are held against stored text in
 * tests/fixtures/report/; IOLAB_UPDATE_FIXTURES=1 rewrites them after a
 * deliberate change (review the diff).  IOLAB_TEST_KEEP=1 keeps the scratch
 * directory (the database, plots).
 *
 *   test_report_table --write-fixtures DB   writes every fixture run into DB
 *                                           (for tests/integration/4*-report-*.sh)
 */

struct env {
	char *dir;
	char *db;
	struct store *st;
};

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));
	char tmpl[] = "/tmp/iolab-test-report-XXXXXX";

	iolab_quiet = true;
	if (!mkdtemp(tmpl)) {
		free(e);
		return -1;
	}
	e->dir = xstrdup(tmpl);
	e->db = path_join(e->dir, "iolab.db");
	if (fixture_write_all(e->db) < 0 || store_open(e->db, &e->st) < 0) {
		print_error("cannot write the fixture runs into %s\n", e->db);
		return -1;
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	const char *keep = getenv("IOLAB_TEST_KEEP");

	store_close(e->st);
	if (keep && !strcmp(keep, "1"))
		print_message("scratch kept in %s\n", e->dir);
	else
		rm_rf(e->dir);
	free(e->db);
	free(e->dir);
	free(e);
	return 0;
}

struct loaded {
	struct report_run run;
	struct reference *ref;
	struct report_model m;
};

static void load(struct env *e, const char *run_id, bool with_ref, struct loaded *l)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(report_run_load(e->st, run_id, &l->run), 0);
	if (with_ref) {
		char *dir = reference_dir();

		assert_non_null(dir);
		l->ref = reference_load(dir, REFERENCE_DEFAULT);
		assert_non_null(l->ref);
		free(dir);
	}
	report_model_build(&l->run, l->ref, &l->m);
}

static void unload(struct loaded *l)
{
	report_model_free(&l->m);
	report_run_free(&l->run);
	reference_free(l->ref);
}

static char *render(const struct report_model *m, enum report_format f)
{
	struct strbuf sb = STRBUF_INIT;

	report_render(m, f, &sb);
	return sb_detach(&sb);
}

/* Compares text with tests/fixtures/report/name, or rewrites it under IOLAB_UPDATE_FIXTURES=1. */
static void expect_fixture(const char *name, const char *text)
{
	const char *update = getenv("IOLAB_UPDATE_FIXTURES");
	char *dir = data_path("tests/fixtures/report");
	char *path, *want;

	assert_non_null(dir);
	path = path_join(dir, name);
	if (update && !strcmp(update, "1")) {
		assert_int_equal(write_str(path, text), 0);
		print_message("rewrote %s\n", path);
	}
	want = read_file(path, NULL);
	if (!want)
		fail_msg("%s is missing; IOLAB_UPDATE_FIXTURES=1 writes it", path);
	if (strcmp(want, text)) {
		/* Beside the build's test logs, not in the source tree. */
		char *got = xasprintf("/tmp/iolab-report-%s.got", name);

		write_str(got, text);
		fail_msg("the rendered text differs from %s; see diff -u %s %s", path, path, got);
	}
	free(want);
	free(path);
	free(dir);
}

/* A JSON value by a dotted path: "groups.0.tables.1.title". */
static json_t *jget(json_t *j, const char *path)
{
	struct strvec parts = STRVEC_INIT;

	sv_split(&parts, path, ".");
	for (size_t i = 0; i < parts.n && j; i++)
		j = json_is_array(j) ? json_array_get(j, strtoul(parts.v[i], NULL, 10))
		                     : json_object_get(j, parts.v[i]);
	sv_clear(&parts);
	return j;
}

/* ---- layouts against stored text ---- */

static void test_text_layout(void **state)
{
	struct loaded l;
	char *text;

	load(*state, "20261121-203015-cover-letter", false, &l);
	text = render(&l.m, REPORT_TEXT);
	expect_fixture("cover-letter.txt", text);
	free(text);
	unload(&l);
}

static void test_text_reference(void **state)
{
	struct loaded l;
	char *text;

	load(*state, "20261121-203015-cover-letter", true, &l);
	text = render(&l.m, REPORT_TEXT);
	expect_fixture("cover-letter-reference.txt", text);
	/* The fixture follows the published numbers: every significant change agrees. */
	assert_null(strstr(text, " no\n"));
	assert_non_null(strstr(text, "published"));
	free(text);
	unload(&l);
}

static void test_md_layout(void **state)
{
	struct loaded l;
	char *text;

	load(*state, "20261121-203015-cover-letter", false, &l);
	text = render(&l.m, REPORT_MD);
	expect_fixture("cover-letter.md", text);
	free(text);
	unload(&l);
}

static void test_not_measured_layout(void **state)
{
	struct loaded l;
	char *text;

	load(*state, "20261122-101500-no-iomap", false, &l);
	text = render(&l.m, REPORT_TEXT);
	expect_fixture("no-iomap.txt", text);
	free(text);
	unload(&l);
}

/* ---- the model ---- */

static void test_model_shape(void **state)
{
	struct loaded l;
	const struct report_group *g;

	load(*state, "20261121-203015-cover-letter", false, &l);
	assert_int_equal(l.m.paths.n, 2);
	assert_string_equal(l.m.paths.v[0], "bh");
	assert_int_equal(l.m.ngroups, 1);
	g = &l.m.groups[0];
	assert_int_equal(g->ntables, 2);
	assert_string_equal(g->tables[0].title, "Buffered write");
	assert_string_equal(g->tables[1].title, "Buffered read");
	assert_int_equal(g->tables[0].workloads.n, 2);
	assert_int_equal(g->tables[1].workloads.n, 3);
	assert_string_equal(g->tables[1].wtitles.v[0], "read hole");
	assert_string_equal(g->tables[1].wtitles.v[1], "read pre-cache");
	assert_string_equal(g->tables[1].wtitles.v[2], "read ondisk data");
	assert_int_equal(g->tables[0].nbs, 4);
	assert_int_equal(g->tables[0].bs[3], 1048576);
	{
		/* write cache 64k: +50 %, significant; read hole 1k: +1.3 %, noise. */
		const struct report_entry *e = report_table_entry(&g->tables[0], 0, 2);
		const struct report_entry *r = report_table_entry(&g->tables[1], 0, 0);

		assert_true(e->changes[1].have);
		assert_int_equal(e->changes[1].cmp.verdict, STATS_SIGNIFICANT);
		assert_true(fabs(e->changes[1].cmp.change_pct - 50.15) < 0.1);
		assert_int_equal(r->changes[1].cmp.verdict, STATS_NOISE);
		assert_int_equal(e->cells[1]->nok, 3);
	}
	assert_int_equal(g->tables[0].notes.n, 0);
	unload(&l);
}

/*
 * A failed cell never shows a number, even with ok samples among its
 * repetitions; not-measured cells say so and why, beneath the table.
 */
static void test_failed_and_not_measured(void **state)
{
	struct loaded l;
	const struct report_group *g;
	const struct report_entry *e;
	char *text, *md, *csv;
	json_t *j;

	load(*state, "20261122-101500-no-iomap", false, &l);
	g = &l.m.groups[0];
	e = report_table_entry(&g->tables[0], 0, 2); /* write cache 64k */
	assert_string_equal(e->cells[0]->status, "failed");
	assert_int_equal(e->cells[0]->nok, 2);
	assert_false(report_cell_measured(e->cells[0]));
	assert_string_equal(report_cell_word(e->cells[0]), "failed");
	assert_false(e->changes[1].have);
	for (size_t t = 0; t < g->ntables; t++)
		for (size_t w = 0; w < g->tables[t].workloads.n; w++)
			for (size_t b = 0; b < g->tables[t].nbs; b++) {
				const struct report_cell *c =
				        report_table_entry(&g->tables[t], w, b)->cells[1];

				assert_false(report_cell_measured(c));
				assert_string_equal(report_cell_word(c), "not measured");
			}

	text = render(&l.m, REPORT_TEXT);
	assert_non_null(strstr(text, "\n64k      failed  not measured"));
	assert_non_null(strstr(text, "\nfailed: no iomap buffered-I/O tracepoint fired: the iomap "
	                             "path was not in effect (write cache bh at 64k)\n"));
	assert_non_null(strstr(text, "\nnot measured: kernel has no buffered_iomap (write cache "
	                             "iomap at 1k, 4k, 64k, 1M; uncached write iomap at 1k, 4k, "
	                             "64k, 1M)\n"));
	assert_non_null(strstr(text, "  patch series    none\n"));
	assert_non_null(strstr(text, "  buffered_iomap  no\n"));
	/* The failed cell's ok repetitions (4278..4356 MiB/s) appear nowhere. */
	assert_null(strstr(text, "4338"));
	assert_null(strstr(text, "4278"));

	md = render(&l.m, REPORT_MD);
	assert_non_null(strstr(md, "|           failed | not measured |      - |"));
	assert_non_null(strstr(md, "- not measured: kernel has no buffered_iomap (read hole"));
	assert_null(strstr(md, "4338"));

	csv = render(&l.m, REPORT_CSV);
	assert_non_null(strstr(csv, ",write_cache,write cache,64k,65536,bh,failed,no iomap "
	                            "buffered-I/O tracepoint fired: the iomap path was not in "
	                            "effect,2,1,,,,,,,,"));
	assert_non_null(strstr(csv, ",read_ondisk,read ondisk data,1M,1048576,iomap,not-measured,"
	                            "kernel has no buffered_iomap,0,0,,,,,,,,bh,"));

	{
		struct strbuf html = STRBUF_INIT;

		assert_int_equal(report_render_html(&l.m, NULL, "/tmp/r.html", &html), 0);
		assert_non_null(
		        strstr(html.buf, "<td class=\"failed\"><a href=\"#cell-4\">failed</a>"));
		assert_non_null(strstr(html.buf, "not shown: the cell is failed"));
		assert_null(strstr(html.buf, "4338"));
		assert_null(strstr(html.buf, "4277"));
		sb_release(&html);
	}
	j = report_model_json(&l.m);
	{
		json_t *cell = jget(j, "groups.0.tables.0.rows.2.entries.0.paths.bh");

		assert_string_equal(json_string_value(json_object_get(cell, "status")), "failed");
		assert_null(json_object_get(cell, "median"));
		assert_null(json_object_get(cell, "mib_s"));
		assert_string_equal(json_string_value(json_object_get(cell, "shown")), "failed");
	}
	json_decref(j);
	free(text);
	free(md);
	free(csv);
	unload(&l);
}

/* ---- formats: shape ---- */

/* Splits one CSV record (RFC 4180 quoting) into fields; returns the end of the record. */
static const char *csv_record(const char *p, struct strvec *fields)
{
	struct strbuf f = STRBUF_INIT;

	for (;;) {
		sb_reset(&f);
		sb_adds(&f, "");
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				sb_addc(&f, *p);
			}
			assert_true(*p == '"');
			p++;
		} else {
			while (*p && *p != ',' && *p != '\r' && *p != '\n')
				sb_addc(&f, *p++);
		}
		sv_push(fields, f.buf);
		if (*p != ',')
			break;
		p++;
	}
	sb_release(&f);
	assert_true(*p == '\r' && p[1] == '\n');
	return p + 2;
}

static void test_csv_shape(void **state)
{
	struct loaded l;
	char *csv;
	const char *p;
	size_t rows = 0, ncols = 0, median_col = 0;

	load(*state, "20261121-203015-cover-letter", false, &l);
	csv = render(&l.m, REPORT_CSV);
	for (p = csv; *p; rows++) {
		struct strvec f = STRVEC_INIT;

		p = csv_record(p, &f);
		if (rows == 0) {
			ncols = f.n;
			assert_string_equal(f.v[0], "run_id");
			for (size_t i = 0; i < f.n; i++)
				if (!strcmp(f.v[i], "median_mib_s"))
					median_col = i;
			assert_true(median_col > 0);
		} else {
			assert_int_equal(f.n, ncols);
			assert_string_equal(f.v[0], "20261121-203015-cover-letter");
			assert_string_equal(f.v[10], "ok");
			assert_true(strtod(f.v[median_col], NULL) > 30);
			if (!strcmp(f.v[5], "write_cache") && !strcmp(f.v[7], "64k") &&
			    !strcmp(f.v[9], "iomap")) {
				assert_string_equal(f.v[median_col], "6513.95");
				assert_string_equal(f.v[median_col + 11], "significant");
			}
		}
		sv_clear(&f);
	}
	assert_int_equal(rows, 1 + 5 * 4 * 2);
	free(csv);
	unload(&l);
}

static void test_json_shape(void **state)
{
	struct loaded l;
	char *text;
	json_t *j, *tables, *rows;
	json_error_t err;

	load(*state, "20261121-203015-cover-letter", true, &l);
	text = render(&l.m, REPORT_JSON);
	j = json_loads(text, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "run_id")),
	                    "20261121-203015-cover-letter");
	assert_string_equal(json_string_value(json_object_get(j, "baseline")), "bh");
	assert_string_equal(json_string_value(json_object_get(j, "reference")), "cover-letter-v3");
	tables = jget(j, "groups.0.tables");
	assert_int_equal(json_array_size(tables), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(tables, 1), "title")),
	                    "Buffered read");
	rows = json_object_get(json_array_get(tables, 1), "rows");
	assert_int_equal(json_array_size(rows), 4);
	for (size_t b = 0; b < 4; b++) {
		json_t *entries = json_object_get(json_array_get(rows, b), "entries");

		assert_int_equal(json_array_size(entries), 3);
		for (size_t w = 0; w < 3; w++) {
			json_t *e = json_array_get(entries, w);
			json_t *ch = json_object_get(json_object_get(e, "changes"), "iomap");
			const char *v = json_string_value(json_object_get(ch, "verdict"));

			assert_non_null(v);
			assert_true(!strcmp(v, "significant") || !strcmp(v, "noise"));
			assert_true(json_is_real(json_object_get(ch, "published_ratio")));
			assert_int_equal(json_array_size(jget(e, "paths.bh.mib_s")), 3);
		}
	}
	assert_string_equal(json_string_value(jget(j, "groups.0.provenance.fio")), "fio-3.39");
	json_decref(j);
	free(text);
	unload(&l);
}

static void test_md_shape(void **state)
{
	struct loaded l;
	char *md;
	struct strvec lines = STRVEC_INIT;
	long pipes = -1;
	size_t tables = 0;

	load(*state, "20261121-203015-cover-letter", true, &l);
	md = render(&l.m, REPORT_MD);
	assert_non_null(strstr(md, "| bs  |   write cache bh |"));
	assert_non_null(strstr(md, "| uncached write bh |"));
	assert_non_null(strstr(md, "read hole bh"));
	assert_non_null(strstr(md, "read pre-cache bh"));
	assert_non_null(strstr(md, "read ondisk data bh"));
	sv_split(&lines, md, "\n");
	for (size_t i = 0; i < lines.n; i++) {
		const char *s = lines.v[i];
		long n = 0;

		if (s[0] != '|') {
			pipes = -1;
			continue;
		}
		assert_true(s[strlen(s) - 1] == '|');
		for (const char *p = s; *p; p++)
			n += *p == '|' && (p == s || p[-1] != '\\');
		if (pipes < 0) {
			tables++;
			pipes = n;
			/* The line under the header: bs left-aligned, numbers right-aligned. */
			assert_true(i + 1 < lines.n);
			assert_true(starts_with(lines.v[i + 1], "| --- | "));
			assert_non_null(strstr(lines.v[i + 1], ": |"));
		}
		assert_int_equal(n, pipes);
	}
	assert_int_equal(tables, 2);
	sv_clear(&lines);
	free(md);
	unload(&l);
}

/* ---- runs: resolution, missing metadata, odd bytes ---- */

/*
 * A kernel without the option that took iomap by itself: the bh cell's
 * figure stands under iomap, said beneath the table and in the CSV.
 */
static void test_default_path_table(void **state)
{
	struct loaded l;
	const struct report_entry *e;
	char *text, *csv;

	memset(&l, 0, sizeof(l));
	assert_int_equal(
	        report_run_load(((struct env *)*state)->st, "20261122-101500-no-iomap", &l.run), 0);
	for (size_t i = 0; i < l.run.ncells; i++) {
		struct report_cell *c = &l.run.cells[i];

		if (ends_with(c->id, "/write_cache/4k/bh")) {
			free(c->path);
			c->path = xstrdup("iomap");
			c->by_default = true;
		}
	}
	report_model_build(&l.run, NULL, &l.m);
	e = report_table_entry(&l.m.groups[0].tables[0], 0, 1); /* write cache 4k */
	assert_null(e->cells[0]);
	assert_true(report_cell_measured(e->cells[1]));
	assert_true(e->cells[1]->by_default);
	text = render(&l.m, REPORT_TEXT);
	assert_non_null(strstr(text, "\ndefault path: " REPORT_BY_DEFAULT_NOTE
	                             " (write cache iomap at 4k)\n"));
	csv = render(&l.m, REPORT_CSV);
	assert_non_null(strstr(csv, ",iomap,ok," REPORT_BY_DEFAULT_NOTE ","));
	free(text);
	free(csv);
	unload(&l);
}

/* A cell moves to the path its probes saw only when every good sample's probe agrees. */
static void test_settle_path(void **state)
{
	struct report_sample smp[3] = {0};
	struct report_cell c = {0};
	const char *seen[] = {"iomap", "iomap", "bh"};

	(void)state;
	for (int i = 0; i < 3; i++) {
		smp[i].ok = i < 2;
		smp[i].evidence = json_pack("{s:{s:{s:s, s:s}}}", "path_probe", "evidence",
		                            "chosen_by", "kernel", "observed_path", seen[i]);
	}
	c.path = xstrdup("bh");
	c.samples = smp;
	c.nsamples = 3;
	report_cell_settle_path(&c);
	assert_string_equal(c.path, "iomap");
	assert_true(c.by_default);
	/* One good sample saw bh: mixed, so the matrix's label stays. */
	free(c.path);
	c.path = xstrdup("bh");
	c.by_default = false;
	smp[2].ok = true;
	report_cell_settle_path(&c);
	assert_string_equal(c.path, "bh");
	assert_false(c.by_default);
	/* A probe that judged the path (a kernel with the option) moves nothing. */
	json_decref(smp[0].evidence);
	smp[0].evidence =
	        json_pack("{s:{s:{s:s}}}", "path_probe", "evidence", "iomap_expected", "none");
	smp[2].ok = false;
	report_cell_settle_path(&c);
	assert_string_equal(c.path, "bh");
	for (int i = 0; i < 3; i++)
		json_decref(smp[i].evidence);
	free(c.path);
}

/* A fallback is told by the probe's verdict, not by the failure's wording. */
static void test_fallback_word(void **state)
{
	struct report_sample smp = {0};
	struct report_cell c = {.status = "failed", .samples = &smp, .nsamples = 1};

	(void)state;
	smp.failure = "fell back to buffer_head (inline_data)";
	assert_string_equal(report_cell_word(&c), "failed");
	smp.evidence = json_pack("{s:{s:{s:b}}}", "path_probe", "evidence", "fell_back", 1);
	assert_string_equal(report_cell_word(&c), "fell back");
	json_decref(smp.evidence);
	smp.evidence = json_pack("{s:b}", "fell_back", 1);
	assert_string_equal(report_cell_word(&c), "fell back");
	json_decref(smp.evidence);
}

/* One patch a line; a "; " inside a subject does not start a new one. */
static void test_prov_text_patches(void **state)
{
	struct report_prov p = {STRVEC_INIT, STRVEC_INIT};
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	sv_push(&p.keys, "kernel");
	sv_push(&p.values, "7.3.4");
	sv_push(&p.keys, "patches");
	sv_push(&p.values, "a: 0123456789ab ext4: one; two halves; b: unknown ext4: three; "
	                   "fedcba987654 ext4: four");
	report_prov_text(&p, &sb);
	assert_string_equal(sb.buf, "  kernel   7.3.4\n"
	                            "  patches  a: 0123456789ab ext4: one; two halves\n"
	                            "           b: unknown ext4: three\n"
	                            "           fedcba987654 ext4: four\n");
	sb_release(&sb);
	report_prov_free(&p);
}

static void test_resolve_run(void **state)
{
	struct env *e = *state;
	char *id = NULL;

	assert_int_equal(report_resolve_run(e->st, e->db, "latest", &id), 0);
	assert_string_equal(id, "20261122-101500-no-iomap");
	free(id);
	assert_int_equal(report_resolve_run(e->st, e->db, "20261121", &id), 0);
	assert_string_equal(id, "20261121-203015-cover-letter");
	free(id);
	/* An exact id wins over being a prefix of another one. */
	assert_int_equal(report_resolve_run(e->st, e->db, "fx-no-iomap", &id), 0);
	assert_string_equal(id, "fx-no-iomap");
	free(id);
	assert_int_equal(report_resolve_run(e->st, e->db, "2026112", &id), -1);
	assert_null(id);
	assert_int_equal(report_resolve_run(e->st, e->db, "fx-no", &id), -1);
	assert_int_equal(report_resolve_run(e->st, e->db, "nosuchrun", &id), -1);
	assert_int_equal(report_resolve_run(e->st, e->db, "", &id), -1);
}

static void test_store_missing(void **state)
{
	struct env *e = *state;
	struct store *st = NULL;
	char *missing = path_join(e->dir, "none/iolab.db");

	assert_int_equal(report_store_open(missing, &st), -1);
	assert_null(st);
	/* Refusing must not leave an empty store (or its directory) behind. */
	assert_false(path_exists(missing));
	assert_int_equal(report_store_open(e->dir, &st), -1);
	free(missing);
}

static void test_missing_meta(void **state)
{
	struct loaded l;
	char *text;
	const struct report_prov *p;

	load(*state, "fx-no-meta", false, &l);
	p = &l.m.groups[0].prov;
	assert_string_equal(report_prov_get(p, "kernel"), "unknown");
	assert_string_equal(report_prov_get(p, "kernel config"), "unknown");
	assert_string_equal(report_prov_get(p, "patch series"), "unknown");
	assert_string_equal(report_prov_get(p, "host"), "labhost");
	/* What the samples carry is still known. */
	assert_string_equal(report_prov_get(p, "accelerator"), "kvm");
	assert_string_equal(report_prov_get(p, "fio"), "fio-3.39");
	assert_string_equal(report_prov_get(p, "iolab"), "unknown");
	text = render(&l.m, REPORT_TEXT);
	assert_non_null(strstr(text, "  kernel          unknown\n"));
	assert_non_null(
	        strstr(text, "  repetitions     unknown; ok samples per measured cell: 3\n"));
	free(text);
	text = report_caption(&l.run, NULL, NULL, NULL);
	assert_string_equal(text, "run fx-no-meta | kernel unknown | kvm | fio-3.39");
	free(text);
	unload(&l);
}

/* A reason quoting a guest console byte for byte still gives valid JSON and escaped HTML. */
static void test_odd_bytes(void **state)
{
	struct env *e = *state;
	struct loaded l;
	char *text;
	json_t *j;
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(store_set_cell_status(e->st, "fx-no-iomap",
	                                       "default/virtio-blk/4k/read_hole/1k/bh", "failed",
	                                       "console: \xff\xfe <b>&\"'\x01 \xe2\x82\xac"),
	                 0);
	load(e, "fx-no-iomap", false, &l);
	text = render(&l.m, REPORT_JSON);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_non_null(strstr(text, "console: ?? <b>&\\\"'  \xe2\x82\xac"));
	json_decref(j);
	free(text);
	assert_int_equal(report_render_html(&l.m, NULL, "/tmp/r.html", &sb), 0);
	assert_non_null(strstr(sb.buf, "console: ?? &lt;b&gt;&amp;&quot;&apos;"));
	assert_null(strstr(sb.buf, "<b>&"));
	sb_release(&sb);
	unload(&l);
}

static void test_html_escape(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	html_escape(&sb, "<a href='x'>&\"</a>");
	assert_string_equal(sb.buf, "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;");
	sb_release(&sb);
}

/* ---- sweeps: several devices, plots ---- */

static void test_sweep_tables(void **state)
{
	struct loaded l;
	char *text;

	load(*state, "fx-sweep", false, &l);
	assert_int_equal(l.m.ngroups, 2);
	assert_string_equal(l.m.groups[1].device, "nvme");
	text = render(&l.m, REPORT_TEXT);
	assert_non_null(
	        strstr(text, "Buffered write (MiB/s): kernel default, virtio-blk, fs 4k\n"));
	assert_non_null(strstr(text, "Buffered read (MiB/s): kernel default, nvme, fs 4k\n"));
	assert_non_null(strstr(text, "  device          nvme\n"));
	free(text);
	unload(&l);
}

static size_t count_kind(const struct report_figures *f, const char *kind)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].kind, kind);
	return n;
}

static void check_files(const struct report_figures *f)
{
	for (size_t i = 0; i < f->n; i++) {
		char *svg = xasprintf("%s.svg", f->v[i].base),
		     *png = xasprintf("%s.png", f->v[i].base);

		assert_true(path_exists(svg));
		assert_true(path_exists(png));
		free(svg);
		free(png);
	}
}

static void test_plots_and_html(void **state)
{
	struct env *e = *state;
	struct loaded l;
	struct report_figures f;
	char *dir = path_join(e->dir, "plots"), *html = path_join(e->dir, "report.html");
	struct strbuf sb = STRBUF_INIT;

	load(e, "20261121-203015-cover-letter", true, &l);
	assert_int_equal(report_plots(&l.m, dir, &f), 0);
	assert_int_equal(count_kind(&f, "bars"), 5);
	assert_int_equal(count_kind(&f, "ratio"), 1);
	assert_int_equal(count_kind(&f, "sweep"), 0);
	check_files(&f);
	assert_string_equal(f.v[0].caption, "run 20261121-203015-cover-letter | kernel "
	                                    "7.3.0-iomap-v3 | kvm | fio-3.39");
	assert_int_equal(report_render_html(&l.m, &f, html, &sb), 0);
	assert_non_null(strstr(sb.buf, "<!DOCTYPE html>"));
	assert_null(strstr(sb.buf, "<?xml"));
	assert_null(strstr(sb.buf, "<script"));
	assert_null(strstr(sb.buf, "id='gpPt0'"));
	assert_non_null(strstr(sb.buf, "id='f0-gpPt0'"));
	assert_non_null(strstr(sb.buf, "<svg class=\"plot\""));
	assert_non_null(strstr(sb.buf, "<h3>Buffered write (MiB/s)</h3>"));
	assert_non_null(strstr(sb.buf, "<th colspan=\"6\">read ondisk data</th>"));
	/* Evidence per cell, and the raw JSON linked relative to the page. */
	assert_non_null(strstr(sb.buf, "<dt>iomap_events</dt>"));
	{
		/*
		 * The page is in /tmp/iolab-test-report-X and the samples' paths are
		 * relative to the working directory: the link must be relative to the
		 * page and end in the sample's own path.
		 */
		const char *tail = "/results/20261121-203015-cover-letter/default_virtio-blk_4k/"
		                   "samples/write_cache-1024-bh-r0.json\"";
		char *hit = strstr(sb.buf, tail), *href = NULL;

		assert_non_null(hit);
		for (char *p = sb.buf; (p = strstr(p, "href=\"")) && p < hit; p++)
			href = p;
		assert_non_null(href);
		assert_true(href[6] == '.');
		assert_null(memchr(href, '\n', (size_t)(hit - href)));
	}
	sb_release(&sb);
	report_figures_free(&f);
	unload(&l);

	/* Without iomap numbers there is no ratio to draw, and bars hold bh alone. */
	load(e, "20261122-101500-no-iomap", false, &l);
	assert_int_equal(report_plots(&l.m, dir, &f), 0);
	assert_int_equal(count_kind(&f, "bars"), 5);
	assert_int_equal(count_kind(&f, "ratio"), 0);
	report_figures_free(&f);
	unload(&l);

	load(e, "fx-sweep", false, &l);
	assert_int_equal(report_plots(&l.m, dir, &f), 0);
	assert_int_equal(count_kind(&f, "bars"), 10);
	assert_int_equal(count_kind(&f, "ratio"), 2);
	assert_int_equal(count_kind(&f, "sweep"), 5);
	check_files(&f);
	{
		char *tsv = xasprintf("%s.tsv", f.v[f.n - 1].base);
		char *data = read_file(tsv, NULL);

		assert_non_null(data);
		assert_non_null(strstr(data, "iomap nvme 4k"));
		free(data);
		free(tsv);
	}
	report_figures_free(&f);
	unload(&l);
	free(dir);
	free(html);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_text_layout),
	        cmocka_unit_test(test_text_reference),
	        cmocka_unit_test(test_md_layout),
	        cmocka_unit_test(test_not_measured_layout),
	        cmocka_unit_test(test_model_shape),
	        cmocka_unit_test(test_failed_and_not_measured),
	        cmocka_unit_test(test_csv_shape),
	        cmocka_unit_test(test_json_shape),
	        cmocka_unit_test(test_md_shape),
	        cmocka_unit_test(test_resolve_run),
	        cmocka_unit_test(test_settle_path),
	        cmocka_unit_test(test_default_path_table),
	        cmocka_unit_test(test_fallback_word),
	        cmocka_unit_test(test_prov_text_patches),
	        cmocka_unit_test(test_store_missing),
	        cmocka_unit_test(test_missing_meta),
	        cmocka_unit_test(test_odd_bytes),
	        cmocka_unit_test(test_html_escape),
	        cmocka_unit_test(test_sweep_tables),
	        cmocka_unit_test(test_plots_and_html),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-fixtures"))
		return fixture_write_all(argv[2]) < 0 ? 1 : 0;
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--write-fixtures DB]\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
