/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_APT_H
#define IOLAB_APT_H

#include "util.h"

/*
 * The lab's private apt configuration: its own sources list, state and
 * archive directories under the cache, so that packages from newer Debian
 * suites (trixie, trixie-backports, sid, experimental) can be downloaded on
 * a bookworm host without touching the system's apt set-up.
 */
struct apt {
	char *dir;     /* cache/apt */
	char *release; /* APT::Default-Release, or NULL */
	struct strvec opts;
};

/* Sets up (once) and loads the private configuration; release may be NULL. */
int apt_open(struct apt *apt, const char *release);
void apt_close(struct apt *apt);
/* Refreshes the package lists when older than a day (or when forced). */
int apt_update(struct apt *apt, int force);
/* The candidate version of a package, or NULL when no suite serves it. */
char *apt_candidate(struct apt *apt, const char *pkg);
/* Downloads one package's .deb into destdir; returns its path. */
char *apt_download(struct apt *apt, const char *pkg, const char *destdir);
/*
 * Downloads pkgs and their whole dependency closure (as if installed on an
 * empty system) into destdir; fills debs with the .deb paths.
 */
int apt_download_closure(struct apt *apt, const struct strvec *pkgs, const char *destdir,
                         struct strvec *debs);

/*
 * Resolves pkgs and their dependency closure (as if installed on an empty
 * system) without downloading; fills resolved with "name=version" entries in
 * apt's install order.  A package no suite serves is one clear error.
 */
int apt_resolve(struct apt *apt, const struct strvec *pkgs, struct strvec *resolved);
/* Whether suite is one the private sources list carries. */
bool apt_known_suite(const char *suite);

#endif
