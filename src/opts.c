// SPDX-License-Identifier: GPL-2.0
#include "opts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

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

/* A number as the row's type reads it; false when v is not one. */
static bool parse_number(const struct opt *o, const char *v, int64_t *n)
{
	char *end;

	if (o->type == OPT_SIZE) {
		*n = parse_size(v);
		return *n >= 0;
	}
	errno = 0;
	*n = strtol(v, &end, 10);
	return !errno && !*end && end != v;
}

/* The ends of a row's "MIN..MAX"; an end left empty stays open. */
static void range_of(const struct opt *o, int64_t *lo, bool *has_lo, int64_t *hi, bool *has_hi)
{
	const char *dots = o->allowed ? strstr(o->allowed, "..") : NULL;
	char *min;

	*has_lo = *has_hi = false;
	if (!dots)
		return;
	min = xstrndup(o->allowed, (size_t)(dots - o->allowed));
	*has_lo = *min && parse_number(o, min, lo);
	*has_hi = dots[2] && parse_number(o, dots + 2, hi);
	free(min);
}

/* "from 1 to 3600", "at least 1", "at most 8", or "" for an open range. */
static char *range_words(const struct opt *o)
{
	const char *dots = o->allowed ? strstr(o->allowed, "..") : NULL;
	int lo_len = dots ? (int)(dots - o->allowed) : 0;

	if (!dots)
		return xstrdup("");
	if (lo_len && dots[2])
		return xasprintf("from %.*s to %s", lo_len, o->allowed, dots + 2);
	if (lo_len)
		return xasprintf("at least %.*s", lo_len, o->allowed);
	return dots[2] ? xasprintf("at most %s", dots + 2) : xstrdup("");
}

static int set_number(const char *who, const struct opt *o, void *dst, const char *v)
{
	const char *what = o->type == OPT_SIZE ? "a size such as 4k, 64k or 1M" : "a whole number";
	int64_t n, lo, hi;
	bool has_lo, has_hi;

	range_of(o, &lo, &has_lo, &hi, &has_hi);
	if (!parse_number(o, v, &n) || (has_lo && n < lo) || (has_hi && n > hi)) {
		char *range = range_words(o);

		error("%s: --%s takes %s%s%s, not '%s'", who, o->name,
		      o->type == OPT_SIZE && *range ? "a size" : what,
		      !*range                      ? ""
		      : starts_with(range, "from") ? " "
		                                   : ", ",
		      range, v);
		free(range);
		return -1;
	}
	if (o->type == OPT_SIZE)
		*(int64_t *)field(dst, o) = n;
	else
		*(long *)field(dst, o) = (long)n;
	return 0;
}

static int set_value(const char *who, const struct opt *o, void *dst, const char *v)
{
	switch (o->type) {
	case OPT_STR:
		free(*(char **)field(dst, o));
		*(char **)field(dst, o) = xstrdup(v);
		return 0;
	case OPT_CHOICE:
		if (!choice_ok(o->allowed, v))
			return error("%s: --%s takes one of %s, not '%s'", who, o->name, o->allowed,
			             v);
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
	case OPT_SIZE:
		return set_number(who, o, dst, v);
	}
	return -1;
}

/* Rows without help are not offered: they cannot be given, only defaulted. */
static const struct opt *find(const struct opt *table, const char *name, size_t len)
{
	for (const struct opt *o = table; o->name; o++)
		if (o->help && strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

int opts_defaults(const struct opt *table, void *dst)
{
	/* A default is checked like a typed value: a row that breaks its own range is a bug. */
	for (const struct opt *o = table; o->name; o++)
		if (o->def && o->type != OPT_BOOL &&
		    set_value("internal: a default", o, dst, o->def) < 0)
			return -1;
	return 0;
}

/* "iolab vm run" of "iolab vm run [options] -- COMMAND": errors name the command, in one line. */
static void command_words(const struct cmd_usage *u, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = u->usage; *p && *p != '\n';) {
		size_t len = strcspn(p, " \n");

		if (strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") < len || *p == '-')
			break;
		if (n + len + 1 < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%.*s", n ? " " : "", (int)len,
			                      p);
		p += len;
		p += strspn(p, " ");
	}
	if (!n)
		snprintf(buf, size, "iolab");
}

int opts_parse(const struct cmd_usage *u, const struct opt *table, void *dst, int argc, char **argv,
               int first, int *rest)
{
	char who[64];
	int i;

	command_words(u, who, sizeof(who));
	if (opts_defaults(table, dst) < 0)
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
				return error("%s: unknown option '%s' (see --help)", who, a);
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
			return error("%s: unknown option '--%.*s' (see --help)", who,
			             eq ? (int)(eq - a) : (int)strlen(a), a);
		if (o->type == OPT_BOOL) {
			if (set_value(who, o, dst, eq ? eq + 1 : "1") < 0)
				return -1;
			continue;
		}
		if (!eq && i + 1 >= argc)
			return error("%s: --%s needs a value (%s)", who, o->name,
			             o->metavar ? o->metavar : "VALUE");
		if (set_value(who, o, dst, eq ? eq + 1 : argv[++i]) < 0)
			return -1;
	}
	if (rest)
		*rest = i;
	else if (i < argc)
		return error("%s: unexpected argument '%s' (see --help)", who, argv[i]);
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
		char *range;

		if (!o->help)
			continue;
		range = o->type == OPT_INT || o->type == OPT_SIZE ? range_words(o) : NULL;
		if (o->type == OPT_BOOL)
			snprintf(lhs, sizeof(lhs), "--%s", o->name);
		else if (o->type == OPT_CHOICE)
			snprintf(lhs, sizeof(lhs), "--%s %s", o->name, o->allowed);
		else
			snprintf(lhs, sizeof(lhs), "--%s %s", o->name, mv);
		fprintf(f, "  %-30s %s", lhs, o->help);
		if (o->type == OPT_LIST)
			fprintf(f, " (repeatable)");
		if (o->def && range && *range)
			fprintf(f, " [default: %s; %s]", o->def, range);
		else if (o->def)
			fprintf(f, " [default: %s]", o->def);
		else if (range && *range)
			fprintf(f, " [%s]", range);
		fprintf(f, "\n");
		free(range);
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

static bool named(const char *only, const char *name)
{
	struct strvec sv = STRVEC_INIT;
	bool yes;

	if (!only)
		return true;
	sv_split(&sv, only, " ");
	yes = sv_contains(&sv, name);
	sv_clear(&sv);
	return yes;
}

struct opt *opts_join(const struct opt *own, const struct opt *shared, size_t at, const char *only)
{
	size_t nown = 0, nshared = 0, n;
	struct opt *t;

	while (own[nown].name)
		nown++;
	while (shared[nshared].name)
		nshared++;
	t = xcalloc(nown + nshared + 1, sizeof(*t));
	memcpy(t, own, nown * sizeof(*t));
	n = nown;
	for (size_t i = 0; i < nshared; i++, n++) {
		t[n] = shared[i];
		t[n].offset += at;
		if (!named(only, shared[i].name))
			t[n].help = NULL;
	}
	/* t[n] stays zeroed: the OPT_END. */
	if (only) {
		struct strvec sv = STRVEC_INIT;

		sv_split(&sv, only, " ");
		for (size_t i = 0; i < sv.n; i++)
			if (!find(t + nown, sv.v[i], strlen(sv.v[i])))
				die("internal: opts_join() offers '%s', which the shared table "
				    "lacks",
				    sv.v[i]);
		sv_clear(&sv);
	}
	return t;
}

int opts_mode_word(const char *const *modes, int argc, char **argv)
{
	for (int i = 0; argc > 1 && modes[i]; i++)
		if (!strcmp(argv[1], modes[i]))
			return i;
	return -1;
}

int opts_mode(const char *cmd, const char *const *modes, int word, const bool *flags)
{
	int mode = word;

	for (int i = 1; modes[i]; i++) {
		if (!flags[i] || i == mode)
			continue;
		/* Two modes at once used to run one of them silently. */
		if (mode >= 0)
			return error("%s: %s%s and --%s are two modes; give one", cmd,
			             mode == word ? "" : "--", modes[mode], modes[i]);
		mode = i;
	}
	return mode < 0 ? 0 : mode;
}

/* In the library rather than main.c, so that tests can call the builtins. */
int run_subcmd(const char *cmd, const struct subcmd *table, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc < 2 ? stderr : stdout;

		fprintf(f, "usage: iolab %s <subcommand> [options]\n\nsubcommands:\n", cmd);
		for (const struct subcmd *s = table; s->name; s++)
			fprintf(f, "  %-10s %s\n", s->name, s->summary);
		return argc < 2 ? 2 : 0;
	}
	for (const struct subcmd *s = table; s->name; s++)
		if (!strcmp(s->name, argv[1]))
			return s->fn(argc - 1, argv + 1);
	error("unknown subcommand 'iolab %s %s'; 'iolab %s --help' lists them", cmd, argv[1], cmd);
	return 2;
}
