// SPDX-License-Identifier: GPL-2.0
#include "opts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void *field(void *dst, const struct opt *o)
{
	return (char *)dst + o->offset;
}

static bool choice_ok(const char *choices, const char *v)
{
	struct strvec sv = STRVEC_INIT;
	bool ok;

	sv_split(&sv, choices, "|");
	ok = sv_contains(&sv, v);
	sv_clear(&sv);
	return ok;
}

static int set_value(const struct cmd_usage *u, const struct opt *o, void *dst, const char *v)
{
	char *end;

	switch (o->type) {
	case OPT_STR:
		free(*(char **)field(dst, o));
		*(char **)field(dst, o) = xstrdup(v);
		return 0;
	case OPT_CHOICE:
		if (!choice_ok(o->choices, v))
			return error("%s: --%s takes one of %s, not '%s'", u->usage, o->name,
			             o->choices, v);
		free(*(char **)field(dst, o));
		*(char **)field(dst, o) = xstrdup(v);
		return 0;
	case OPT_LIST:
		sv_push((struct strvec *)field(dst, o), v);
		return 0;
	case OPT_BOOL:
		*(bool *)field(dst, o) = !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true");
		return 0;
	case OPT_INT:
		errno = 0;
		long n = strtol(v, &end, 10);

		if (errno || *end || end == v)
			return error("%s: --%s takes a whole number, not '%s'", u->usage, o->name,
			             v);
		*(long *)field(dst, o) = n;
		return 0;
	case OPT_SIZE: {
		int64_t s = parse_size(v);

		if (s < 0)
			return error("%s: --%s takes a size such as 4k, 64k or 1M, not '%s'",
			             u->usage, o->name, v);
		*(int64_t *)field(dst, o) = s;
		return 0;
	}
	}
	return -1;
}

static const struct opt *find(const struct opt *table, const char *name, size_t len)
{
	for (const struct opt *o = table; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

int opts_parse(const struct cmd_usage *u, const struct opt *table, void *dst, int argc, char **argv,
               int first, int *rest)
{
	int i;

	for (const struct opt *o = table; o->name; o++)
		if (o->def && o->type != OPT_BOOL && set_value(u, o, dst, o->def) < 0)
			return -1;
	for (i = first; i < argc; i++) {
		const char *a = argv[i];
		const char *eq;
		const struct opt *o;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			opts_help(u, table, stdout);
			return 1;
		}
		if (strncmp(a, "--", 2)) {
			if (a[0] == '-' && a[1])
				return error("%s: unknown option '%s' (see --help)", u->usage, a);
			break;
		}
		a += 2;
		eq = strchr(a, '=');
		o = find(table, a, eq ? (size_t)(eq - a) : strlen(a));
		if (!o && !eq && starts_with(a, "no-") && (o = find(table, a + 3, strlen(a + 3))) &&
		    o->type == OPT_BOOL) {
			*(bool *)field(dst, o) = false;
			continue;
		}
		if (!o)
			return error("%s: unknown option '--%.*s' (see --help)", u->usage,
			             eq ? (int)(eq - a) : (int)strlen(a), a);
		if (o->type == OPT_BOOL) {
			if (set_value(u, o, dst, eq ? eq + 1 : "1") < 0)
				return -1;
			continue;
		}
		if (!eq && i + 1 >= argc)
			return error("%s: --%s needs a value (%s)", u->usage, o->name,
			             o->metavar ? o->metavar : "VALUE");
		if (set_value(u, o, dst, eq ? eq + 1 : argv[++i]) < 0)
			return -1;
	}
	if (rest)
		*rest = i;
	else if (i < argc)
		return error("%s: unexpected argument '%s' (see --help)", u->usage, argv[i]);
	return 0;
}

int opts_parse_args(const struct cmd_usage *u, const struct opt *table, void *dst, int argc,
                    char **argv, int first, struct strvec *args)
{
	char **opts = xcalloc((size_t)argc + 1, sizeof(*opts));
	int n = 0, rest, ret;

	/* Options first, in their order, then opts_parse() on them alone. */
	for (int i = 0; i < first && i < argc; i++)
		opts[n++] = argv[i];
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o;

		if (!strcmp(a, "--")) {
			while (++i < argc)
				sv_push(args, argv[i]);
			break;
		}
		if (a[0] != '-' || !a[1]) {
			sv_push(args, a);
			continue;
		}
		opts[n++] = argv[i];
		o = starts_with(a, "--") && !strchr(a, '=') ? find(table, a + 2, strlen(a + 2))
		                                            : NULL;
		if (o && o->type != OPT_BOOL && i + 1 < argc)
			opts[n++] = argv[++i];
	}
	ret = opts_parse(u, table, dst, n, opts, first, &rest);
	free(opts);
	return ret;
}

void opts_help(const struct cmd_usage *u, const struct opt *table, FILE *f)
{
	fprintf(f, "usage: %s\n\n%s\n", u->usage, u->summary);
	if (table->name)
		fprintf(f, "\noptions:\n");
	for (const struct opt *o = table; o->name; o++) {
		char lhs[64];
		const char *mv = o->metavar ? o->metavar : "VALUE";

		if (o->type == OPT_BOOL)
			snprintf(lhs, sizeof(lhs), "--%s", o->name);
		else if (o->type == OPT_CHOICE)
			snprintf(lhs, sizeof(lhs), "--%s %s", o->name, o->choices);
		else
			snprintf(lhs, sizeof(lhs), "--%s %s", o->name, mv);
		fprintf(f, "  %-30s %s", lhs, o->help);
		if (o->type == OPT_LIST)
			fprintf(f, " (repeatable)");
		if (o->def)
			fprintf(f, " [default: %s]", o->def);
		fprintf(f, "\n");
	}
	if (u->epilogue)
		fprintf(f, "\n%s\n", u->epilogue);
}

void opts_free(const struct opt *table, void *dst)
{
	for (const struct opt *o = table; o->name; o++) {
		switch (o->type) {
		case OPT_STR:
		case OPT_CHOICE:
			free(*(char **)field(dst, o));
			*(char **)field(dst, o) = NULL;
			break;
		case OPT_LIST:
			sv_clear((struct strvec *)field(dst, o));
			break;
		default:
			break;
		}
	}
}
