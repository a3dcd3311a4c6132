/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_OPTS_H
#define IOLAB_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/*
 * One declarative table per command drives parsing, --help and validation,
 * the way fio's options.c does: adding an option is adding a row.
 */
enum opt_type {
	OPT_STR,   /* char *                        --name VALUE */
	OPT_LIST,  /* struct strvec, repeatable     --name A --name B */
	OPT_BOOL,  /* bool                          --name */
	OPT_INT,   /* long                          --name 3 */
	OPT_SIZE,  /* int64_t bytes                 --name 64k */
	OPT_CHOICE /* char *, one of choices        --name kvm */
};

struct opt {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *metavar;
	const char *help;
	/* Default value as it would be typed; NULL = none. */
	const char *def;
	/* For OPT_CHOICE: "a|b|c". */
	const char *choices;
};

#define OPT_END                                                                                    \
	{                                                                                          \
		NULL, 0, 0, NULL, NULL, NULL, NULL                                                 \
	}

struct cmd_usage {
	const char *usage;    /* "iolab kernel build [options]" */
	const char *summary;  /* one line */
	const char *epilogue; /* examples, may be NULL */
};

/*
 * Parses argv[first..] into dst.  Stops at "--" or the first non-option
 * argument; *rest is set to the index of the first unparsed argument.
 * Returns 0, 1 when --help was printed, or -1 after one clear error line.
 */
int opts_parse(const struct cmd_usage *u, const struct opt *table, void *dst, int argc, char **argv,
               int first, int *rest);
/*
 * As opts_parse(), but arguments may come before, between and after the
 * options ("iolab report RUN --html FILE"), the way GNU getopt permutes;
 * they go to args in order.  Everything after "--" is an argument.
 */
int opts_parse_args(const struct cmd_usage *u, const struct opt *table, void *dst, int argc,
                    char **argv, int first, struct strvec *args);
void opts_help(const struct cmd_usage *u, const struct opt *table, FILE *f);
/* Releases OPT_STR/OPT_LIST/OPT_CHOICE values. */
void opts_free(const struct opt *table, void *dst);

#endif
