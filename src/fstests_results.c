// SPDX-License-Identifier: GPL-2.0
/*
 * fstests' xunit report (result.xml, written by common/report): parsed
 * with libxml2, summarized in kvm-xfstests' words, compared between two
 * sections, and merged when a crash split a section over several boots.
 */
#include "fstests.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static char *prop(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *out = v ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return out;
}

static double prop_double(const xmlNode *n, const char *name, bool *present)
{
	char *v = prop(n, name), *end;
	double d = 0;

	*present = false;
	if (v && *v) {
		d = strtod(v, &end);
		*present = end != v;
	}
	free(v);
	return *present ? d : 0;
}

/* The value of <property name=name> under <properties>, or NULL. */
static char *property(const xmlNode *suite, const char *name)
{
	for (const xmlNode *p = suite->children; p; p = p->next) {
		if (!is_elem(p, "properties"))
			continue;
		for (const xmlNode *q = p->children; q; q = q->next) {
			char *n = is_elem(q, "property") ? prop(q, "name") : NULL;
			bool hit = n && !strcmp(n, name);

			free(n);
			if (hit)
				return prop(q, "value");
		}
	}
	return NULL;
}

static void parse_case(const xmlNode *tc, struct fstests_case *c)
{
	bool present;

	memset(c, 0, sizeof(*c));
	c->name = prop(tc, "name");
	c->time = prop_double(tc, "time", &present);
	c->status = FST_PASS;
	for (const xmlNode *k = tc->children; k; k = k->next) {
		if (is_elem(k, "failure"))
			c->status = FST_FAIL;
		else if (is_elem(k, "error"))
			c->status = FST_ERROR;
		else if (is_elem(k, "skipped") && c->status == FST_PASS)
			c->status = FST_SKIP;
		else
			continue;
		free(c->message);
		c->message = prop(k, "message");
	}
}

/* The one testsuite of a report: fstests writes it as the root; collections wrap it. */
static const xmlNode *the_suite(const xmlNode *root, const char *what, int *err)
{
	const xmlNode *found = NULL;
	int n = 0;

	*err = 0;
	if (is_elem(root, "testsuite"))
		return root;
	if (!is_elem(root, "testsuites")) {
		*err = error("%s: not an xunit report (its root is <%s>, not <testsuite>)", what,
		             (const char *)root->name);
		return NULL;
	}
	for (const xmlNode *k = root->children; k; k = k->next)
		if (is_elem(k, "testsuite")) {
			found = k;
			n++;
		}
	if (n != 1)
		*err = error("%s holds %d testsuites; give the result.xml of one section", what, n);
	return n == 1 ? found : NULL;
}

static xmlDoc *read_doc(const char *xml, size_t len, const char *what)
{
	xmlDoc *doc;

	if (len > (size_t)0x7fffffff) {
		error("%s: too large for an xunit report", what);
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)len, what, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
	                            XML_PARSE_NOWARNING | XML_PARSE_HUGE);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		error("%s: not well-formed XML%s%s (line %d)", what, e && e->message ? ": " : "",
		      e && e->message ? trim(e->message) : "", e ? e->line : 0);
	}
	return doc;
}

int fstests_result_parse(const char *xml, size_t len, const char *what, struct fstests_result *r)
{
	xmlDoc *doc = read_doc(xml, len, what);
	const xmlNode *suite;
	double sum = 0;
	bool has_time;
	int err;

	memset(r, 0, sizeof(*r));
	if (!doc)
		return -1;
	suite = the_suite(xmlDocGetRootElement(doc), what, &err);
	if (!suite) {
		xmlFreeDoc(doc);
		return -1;
	}
	r->section = property(suite, "SECTION");
	r->kernel = property(suite, "KERNEL");
	for (const xmlNode *k = suite->children; k; k = k->next) {
		if (!is_elem(k, "testcase"))
			continue;
		r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
		parse_case(k, &r->v[r->n]);
		if (!r->v[r->n].name) {
			fstests_result_free(r);
			xmlFreeDoc(doc);
			return error("%s: a <testcase> without a name", what);
		}
		sum += r->v[r->n].time;
		if (!r->section) {
			/* classname="xfstests.<section>" */
			char *cls = prop(k, "classname");

			if (cls && starts_with(cls, "xfstests."))
				r->section = xstrdup(cls + strlen("xfstests."));
			free(cls);
		}
		r->n++;
	}
	r->time = prop_double(suite, "time", &has_time);
	if (!has_time)
		r->time = sum;
	if (!r->section)
		r->section = xstrdup("global");
	xmlFreeDoc(doc);
	return 0;
}

int fstests_result_load(const char *path, struct fstests_result *r)
{
	char *file = is_dir(path) ? path_join(path, "result.xml") : xstrdup(path);
	size_t len;
	char *xml = read_file(file, &len);
	int ret;

	memset(r, 0, sizeof(*r));
	if (!xml)
		ret = error("cannot read %s: %s", file, strerror(errno));
	else
		ret = fstests_result_parse(xml, len, file, r);
	free(xml);
	free(file);
	return ret;
}

void fstests_result_free(struct fstests_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].message);
	}
	free(r->v);
	free(r->section);
	free(r->kernel);
	memset(r, 0, sizeof(*r));
}

const struct fstests_case *fstests_result_find(const struct fstests_result *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}

void fstests_result_count(const struct fstests_result *r, struct fstests_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->tests = r->n;
	for (size_t i = 0; i < r->n; i++) {
		c->failures += r->v[i].status == FST_FAIL;
		c->errors += r->v[i].status == FST_ERROR;
		c->skipped += r->v[i].status == FST_SKIP;
	}
}

/* "  Failures: a b c", wrapped at 78 columns the way kvm-xfstests' summaries are. */
static void print_wrapped(FILE *f, const char *label, const struct strvec *names)
{
	size_t col;

	if (!names->n)
		return;
	col = (size_t)fprintf(f, "  %s:", label);
	for (size_t i = 0; i < names->n; i++) {
		size_t w = strlen(names->v[i]) + 1;

		if (col + w > 78 && col > 4) {
			fprintf(f, "\n   ");
			col = 3;
		}
		col += (size_t)fprintf(f, " %s", names->v[i]);
	}
	fprintf(f, "\n");
}

void fstests_summary_print(FILE *f, const char *label, const struct fstests_result *r)
{
	struct fstests_counts c;
	struct strvec fails = STRVEC_INIT, errors = STRVEC_INIT;

	fstests_result_count(r, &c);
	fprintf(f, "%s: %zu tests, %zu failures, ", label, c.tests, c.failures);
	if (c.errors)
		fprintf(f, "%zu errors, ", c.errors);
	fprintf(f, "%zu skipped, %.0f seconds\n", c.skipped, r->time);
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].status == FST_FAIL)
			sv_push(&fails, r->v[i].name);
		else if (r->v[i].status == FST_ERROR)
			sv_push(&errors, r->v[i].name);
	}
	print_wrapped(f, "Failures", &fails);
	print_wrapped(f, "Errors", &errors);
	sv_clear(&fails);
	sv_clear(&errors);
}

static bool failed(const struct fstests_case *c)
{
	return c && (c->status == FST_FAIL || c->status == FST_ERROR);
}

static bool passed(const struct fstests_case *c)
{
	return c && c->status == FST_PASS;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void sort(struct strvec *sv)
{
	if (sv->n)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
}

void fstests_diff(const struct fstests_result *a, const struct fstests_result *b,
                  struct fstests_diff *d)
{
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < b->n; i++) {
		const struct fstests_case *cb = &b->v[i];
		const struct fstests_case *ca = fstests_result_find(a, cb->name);

		if (!failed(cb) || sv_contains(&d->both, cb->name) ||
		    sv_contains(&d->only_b, cb->name) || sv_contains(&d->unmatched, cb->name))
			continue;
		if (passed(ca))
			sv_push(&d->only_b, cb->name);
		else if (failed(ca))
			sv_push(&d->both, cb->name);
		else
			sv_push(&d->unmatched, cb->name);
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct fstests_case *ca = &a->v[i];
		const struct fstests_case *cb = fstests_result_find(b, ca->name);

		if (!failed(ca) || failed(cb) || sv_contains(&d->only_a, ca->name) ||
		    sv_contains(&d->unmatched, ca->name))
			continue;
		if (passed(cb))
			sv_push(&d->only_a, ca->name);
		else
			sv_push(&d->unmatched, ca->name);
	}
	sort(&d->only_b);
	sort(&d->only_a);
	sort(&d->both);
	sort(&d->unmatched);
}

void fstests_diff_free(struct fstests_diff *d)
{
	sv_clear(&d->only_b);
	sv_clear(&d->only_a);
	sv_clear(&d->both);
	sv_clear(&d->unmatched);
}

static void print_list(FILE *f, const char *what, const struct strvec *sv)
{
	fprintf(f, "%s (%zu):", what, sv->n);
	for (size_t i = 0; i < sv->n; i++)
		fprintf(f, " %s", sv->v[i]);
	fprintf(f, "\n");
}

void fstests_diff_print(FILE *f, const char *a_label, const char *b_label,
                        const struct fstests_diff *d)
{
	char *what = xasprintf("fail only with %s", b_label);

	print_list(f, what, &d->only_b);
	free(what);
	what = xasprintf("fail only with %s", a_label);
	print_list(f, what, &d->only_a);
	free(what);
	print_list(f, "fail with both", &d->both);
	print_list(f, "fail in one, not run in the other", &d->unmatched);
	if (d->only_b.n)
		fprintf(f, "%zu new failure%s with %s against %s\n", d->only_b.n,
		        d->only_b.n == 1 ? "" : "s", b_label, a_label);
	else
		fprintf(f, "no new failures with %s against %s\n", b_label, a_label);
}

/* ---- merging the parts of a section that crashed ---- */

static double suite_time(const xmlNode *suite)
{
	bool present;
	double t = prop_double(suite, "time", &present), sum = 0;

	if (present)
		return t;
	/* A report synced in the middle of a run has no section time yet. */
	for (const xmlNode *k = suite->children; k; k = k->next)
		if (is_elem(k, "testcase"))
			sum += prop_double(k, "time", &present);
	return sum;
}

static void set_count(xmlNode *suite, const char *name, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.0f", v);
	xmlSetProp(suite, (const xmlChar *)name, (const xmlChar *)buf);
}

static xmlNode *new_suite(xmlDoc *doc)
{
	xmlNode *suite = xmlNewNode(NULL, (const xmlChar *)"testsuite");

	xmlNewProp(suite, (const xmlChar *)"name", (const xmlChar *)"xfstests");
	xmlDocSetRootElement(doc, suite);
	return suite;
}

int fstests_results_merge(const struct strvec *parts, const struct fstests_error *errors,
                          size_t nerrors, const char *section, const char *out)
{
	xmlDoc *doc = NULL;
	xmlNode *suite = NULL;
	double time = 0;
	size_t tests = 0, failures = 0, skipped = 0, nerr = 0;
	int ret = 0;

	for (size_t i = 0; i < parts->n && ret == 0; i++) {
		size_t len;
		char *xml = read_file(parts->v[i], &len);
		xmlDoc *part;
		const xmlNode *ps;
		int err;

		if (!xml)
			continue;
		part = read_doc(xml, len, parts->v[i]);
		free(xml);
		if (!part) {
			ret = -1;
			break;
		}
		ps = the_suite(xmlDocGetRootElement(part), parts->v[i], &err);
		if (!ps) {
			xmlFreeDoc(part);
			ret = -1;
			break;
		}
		time += suite_time(ps);
		if (!doc) {
			/* The first part's header and properties describe the section. */
			doc = xmlNewDoc((const xmlChar *)"1.0");
			suite = xmlDocCopyNode((xmlNode *)ps, doc, 2);
			xmlDocSetRootElement(doc, suite);
		}
		for (const xmlNode *k = ps->children; k; k = k->next)
			if (is_elem(k, "testcase") ||
			    (is_elem(k, "properties") && !suite->children))
				xmlAddChild(suite, xmlDocCopyNode((xmlNode *)k, doc, 1));
		xmlFreeDoc(part);
	}
	if (ret < 0) {
		xmlFreeDoc(doc);
		return -1;
	}
	if (!doc) {
		doc = xmlNewDoc((const xmlChar *)"1.0");
		suite = new_suite(doc);
	}
	for (size_t i = 0; i < nerrors; i++) {
		xmlNode *tc = xmlNewChild(suite, NULL, (const xmlChar *)"testcase", NULL);
		xmlNode *e;
		char *cls = xasprintf("xfstests.%s", section);

		xmlNewProp(tc, (const xmlChar *)"classname", (const xmlChar *)cls);
		xmlNewProp(tc, (const xmlChar *)"name", (const xmlChar *)errors[i].test);
		xmlNewProp(tc, (const xmlChar *)"time", (const xmlChar *)"0");
		e = xmlNewChild(tc, NULL, (const xmlChar *)"error", NULL);
		xmlNewProp(e, (const xmlChar *)"message", (const xmlChar *)errors[i].message);
		xmlNewProp(e, (const xmlChar *)"type", (const xmlChar *)"TestFail");
		free(cls);
	}
	for (const xmlNode *k = suite->children; k; k = k->next) {
		struct fstests_case c;

		if (!is_elem(k, "testcase"))
			continue;
		parse_case(k, &c);
		tests++;
		failures += c.status == FST_FAIL;
		skipped += c.status == FST_SKIP;
		nerr += c.status == FST_ERROR;
		free(c.name);
		free(c.message);
	}
	set_count(suite, "tests", (double)tests);
	set_count(suite, "failures", (double)failures);
	set_count(suite, "skipped", (double)skipped);
	set_count(suite, "errors", (double)nerr);
	set_count(suite, "time", time);
	{
		/* Through a temporary, so a reader never sees half a report. */
		char *tmp = xasprintf("%s.tmp", out);

		if (xmlSaveFormatFileEnc(tmp, doc, "UTF-8", 1) < 0 || rename(tmp, out) < 0) {
			ret = error("cannot write %s: %s", out, strerror(errno));
			unlink(tmp);
		}
		free(tmp);
	}
	xmlFreeDoc(doc);
	return ret;
}
