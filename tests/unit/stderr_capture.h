/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_TEST_STDERR_CAPTURE_H
#define IOLAB_TEST_STDERR_CAPTURE_H

/* What a refusal prints is part of what the tests check: one line, naming the problem. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

/* Runs fn with stderr going to a file; returns what it printed. */
static char *stderr_of(int (*fn)(void *), void *arg, int *ret)
{
	char path[] = "/tmp/iolab-test-err-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *text;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	*ret = fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	text = read_file(path, NULL);
	unlink(path);
	return text ? text : xstrdup("");
}

#endif
