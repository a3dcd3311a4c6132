/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_PATHS_H
#define IOLAB_PATHS_H

/*
 * The lab's own files (kernel-patches/, vm/kconfig/, bench/, plots/, ...)
 * are found in the checkout the binary was built in: $IOLAB_HOME/rel, else
 * rel in the executable's directory or up to three levels above it, as
 * binaries live in build/, build/san/ and build/san/tests/.  Canonical path,
 * caller frees; NULL when none holds rel.
 */
char *data_path(const char *rel);
/* The same, but $envvar (when set) names the directory itself (IOLAB_PLOTS). */
char *find_data_dir(const char *envvar, const char *rel);
/* The directory holding the iolab binary (for build/iolab-agent). */
char *exe_dir(void);

#endif
