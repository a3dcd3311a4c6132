/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_OPTS_H
#define IOLAB_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/*
 * One declarative table per command drives parsing, --help and validation,
 * the way fio's options.c does: adding an option is adding a row.  A row
 * says its default and, for numbers, its range; the parser applies both,
 * so a builtin never checks a value the table could have.
 */
enum opt_type {
	OPT_STR,   /* char *                        --name VALUE */
	OPT_LIST,  /* struct strvec, repeatable     --name A --name B */
	OPT_BOOL,  /* bool                          --name */
	OPT_INT,   /* long                          --name 3 */
	OPT_SIZE,  /* int64_t bytes                 --name 64k */
	OPT_CHOICE /* char *, one of allowed        --name kvm */
};

struct opt {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *metavar;
	/* NULL: a row this command does not offer (see opts_join); its default still applies. */
	const char *help;
	/* Default value as it would be typed; NULL = none (the field stays zero). */
	const char *def;
	/*
	 * What the parser accepts beyond the type, written the way values are:
	 * OPT_CHOICE "a|b|c"; OPT_INT and OPT_SIZE "MIN..MAX", where an end left
	 * empty is open ("1.."); NULL: anything of the type.
	 */
	const char *allowed;
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
/* Sets every row's default, as opts_parse() does first; -1 after one error line. */
int opts_defaults(const struct opt *table, void *dst);
/* Releases OPT_STR/OPT_LIST/OPT_CHOICE values. */
void opts_free(const struct opt *table, void *dst);
/*
 * Rows several commands share, declared once (the VM options): a table of
 * own's rows, then shared's, for a struct holding shared's struct at offset
 * at.  Of shared's rows only those named in only (space-separated; NULL: all)
 * are offered; the others keep their defaults, so that the shared struct is
 * always complete.  As git's parse_options_concat(); free() the result.
 */
struct opt *opts_join(const struct opt *own, const struct opt *shared, size_t at, const char *only);

/*
 * Commands whose modes are subcommands ("iolab bench plan"), modes[0] being
 * what the command does without one, that still take their old mode flags
 * ("--plan") as aliases.  opts_mode_word() is the mode argv[1] names, or -1
 * when it names none.  opts_mode() settles the mode from that word and the
 * flags given (flags[i] for modes[i]; modes[0] has none): the mode, or -1
 * after one error line when they name two.
 */
int opts_mode_word(const char *const *modes, int argc, char **argv);
int opts_mode(const char *cmd, const char *const *modes, int word, const bool *flags);

#endif
