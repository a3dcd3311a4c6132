// SPDX-License-Identifier: GPL-2.0
#include "ini_line.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int ini_line_of(const char *path, const char *section, const char *key)
{
	char *text = read_file(path, NULL);
	bool in_section = section == NULL || !*section;
	int lineno = 0, found = 0;

	if (!text)
		return 0;
	for (char *p = text; p && !found;) {
		char *eol = strchr(p, '\n');
		char *l;

		if (eol)
			*eol = '\0';
		lineno++;
		l = trim(p);
		if (*l == '[') {
			char *close = strchr(l, ']');

			if (close) {
				*close = '\0';
				in_section = section && !strcmp(trim(l + 1), section);
				if (in_section && !key)
					found = lineno;
			}
		} else if (in_section && key && *l && *l != ';' && *l != '#') {
			size_t n = strcspn(l, "=:");
			char *name = xstrndup(l, n);

			if (!strcmp(trim(name), key))
				found = lineno;
			free(name);
		}
		p = eol ? eol + 1 : NULL;
	}
	free(text);
	return found;
}
