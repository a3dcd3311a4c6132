/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_JSON_UTIL_H
#define IOLAB_JSON_UTIL_H

#include <jansson.h>

/*
 * Reading strings out of the JSON the lab stores and the guest sends, where
 * a field may be missing.  Two answers for two kinds of caller:
 */
/* Text to print or compare: "" when o has no string at key. */
const char *jstr(json_t *o, const char *key);
/* A value that may be unknown: NULL when o has no string at key, or an empty one. */
const char *jstr_nonempty(json_t *o, const char *key);

#endif
