/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_RUN_COMMAND_H
#define IOLAB_RUN_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

/*
 * One helper for every external program the lab drives (make, apt-get,
 * patch, qemu-img, gnuplot...), in the manner of git's run-command.c.
 */
struct child {
	const char *const *argv;
	/* Working directory, or NULL for the current one. */
	const char *dir;
	/* Extra "KEY=VALUE" entries added to the environment; NULL-terminated. */
	const char *const *env;
	/* When set, stdout and stderr are appended to this file. */
	const char *log_path;
	/* When set, stdout is collected into out (stderr still goes to log/stderr). */
	bool capture;
	/* Collect stderr together with stdout into out. */
	bool capture_stderr;
	/* Stdin from this file instead of /dev/null. */
	const char *stdin_path;
	/* Kill the whole process group after this many seconds; 0 = never. */
	int timeout_sec;
	/* Let the child inherit the terminal (interactive use). */
	bool inherit_stdio;

	/* Results. */
	struct strbuf out;
	bool timed_out;
	pid_t pid;
};

/*
 * Runs the child to completion.  Returns its exit status (0-255), 128+N when
 * killed by signal N, or -1 when it could not be started (errno set).
 */
int run_command(struct child *c);
/* Convenience: argv as varargs, NULL-terminated; output goes to log_path or stderr. */
int run_simple(const char *dir, const char *log_path, const char *arg0, ...)
        __attribute__((sentinel));
/* Runs argv and returns its stdout (trimmed), or NULL on failure. */
char *run_capture(const char *dir, const char *arg0, ...) __attribute__((sentinel));
/* Shell-quotes argv into one line, for logs and saved command lines. */
char *argv_to_shell(const char *const *argv);

#endif
