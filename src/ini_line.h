/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_INI_LINE_H
#define IOLAB_INI_LINE_H

/*
 * Debian's inih is built without INI_HANDLER_LINENO, so handlers are not
 * told the line they are on.  Error messages must name it all the same:
 * this finds the line of key in [section] (or of the section header when
 * key is NULL); 0 when not found.
 */
int ini_line_of(const char *path, const char *section, const char *key);

#endif
