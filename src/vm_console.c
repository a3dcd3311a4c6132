// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's serial console, read while the guest runs.  A kernel that
 * oopses or warns in the middle of a benchmark has produced numbers nobody
 * should trust, so every such line is caught, with the trace that follows.
 */
#include "vm.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXCERPT_LINES 40

static const struct {
	const char *needle;
	const char *kind;
	enum console_severity sev;
} patterns[] = {
        {"Kernel panic - not syncing", "panic", CONSOLE_FATAL},
        {"Oops:", "oops", CONSOLE_FATAL},
        {"BUG: kernel NULL pointer", "bug", CONSOLE_FATAL},
        {"BUG: unable to handle", "bug", CONSOLE_FATAL},
        {"kernel BUG at", "bug", CONSOLE_FATAL},
        {"general protection fault", "oops", CONSOLE_FATAL},
        {"BUG: KASAN:", "kasan", CONSOLE_NOTE},
        {"BUG: soft lockup", "soft-lockup", CONSOLE_NOTE},
        {"watchdog: BUG: soft lockup", "soft-lockup", CONSOLE_NOTE},
        {"UBSAN:", "ubsan", CONSOLE_NOTE},
        {"blocked for more than", "hung-task", CONSOLE_NOTE},
        {"WARNING:", "warning", CONSOLE_NOTE},
        {"EXT4-fs error", "ext4-error", CONSOLE_NOTE},
        {"XFS (", NULL, CONSOLE_NOTE}, /* only with "Corruption" below */
        {"BUG:", "bug", CONSOLE_FATAL},
};

const char *console_classify(const char *line, enum console_severity *sev)
{
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		if (!strstr(line, patterns[i].needle))
			continue;
		if (!patterns[i].kind) {
			if (!strstr(line, "Corruption") && !strstr(line, "Internal error"))
				continue;
			*sev = CONSOLE_NOTE;
			return "xfs-error";
		}
		*sev = patterns[i].sev;
		return patterns[i].kind;
	}
	return NULL;
}

void console_init(struct console_watch *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->path = path ? xstrdup(path) : NULL;
	w->problems = json_array();
}

void console_free(struct console_watch *w)
{
	free(w->path);
	sb_release(&w->partial);
	for (size_t i = 0; i < ARRAY_SIZE(w->ring); i++)
		free(w->ring[i]);
	json_decref(w->problems);
	memset(w, 0, sizeof(*w));
}

static void remember(struct console_watch *w, const char *line)
{
	free(w->ring[w->ring_next]);
	w->ring[w->ring_next] = xstrdup(line);
	w->ring_next = (w->ring_next + 1) % ARRAY_SIZE(w->ring);
}

static void on_line(struct console_watch *w, char *line)
{
	enum console_severity sev;
	const char *kind;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		line[--n] = '\0';
	w->lines++;
	remember(w, line);
	kind = console_classify(line, &sev);
	if (kind) {
		json_array_append_new(w->problems,
		                      json_pack("{s:s, s:s, s:s, s:I, s:s}", "kind", kind,
		                                "severity", sev == CONSOLE_FATAL ? "fatal" : "note",
		                                "line", line, "line_number", (json_int_t)w->lines,
		                                "excerpt", line));
		w->excerpt_left = EXCERPT_LINES;
		if (sev == CONSOLE_FATAL)
			w->fatal = true;
		return;
	}
	if (w->excerpt_left > 0) {
		json_t *last = json_array_get(w->problems, json_array_size(w->problems) - 1);
		char *ex = xasprintf("%s\n%s", json_string_value(json_object_get(last, "excerpt")),
		                     line);

		json_object_set_new(last, "excerpt", json_string(ex));
		free(ex);
		w->excerpt_left--;
		if (strstr(line, "---[ end trace") || strstr(line, "---[ end Kernel panic"))
			w->excerpt_left = 0;
	}
}

void console_feed(struct console_watch *w, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			char *line = xstrdup(w->partial.buf ? w->partial.buf : "");

			sb_reset(&w->partial);
			on_line(w, line);
			free(line);
		} else if (data[i] != '\0') {
			sb_addc(&w->partial, data[i]);
		}
	}
}

bool console_poll(struct console_watch *w)
{
	bool was_fatal = w->fatal;
	char buf[65536];
	ssize_t n;
	int fd;

	if (!w->path)
		return false;
	fd = open(w->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while ((n = pread(fd, buf, sizeof(buf), w->offset)) > 0) {
		w->offset += n;
		console_feed(w, buf, (size_t)n);
	}
	close(fd);
	return w->fatal && !was_fatal;
}

char *console_tail(const struct console_watch *w, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t total = ARRAY_SIZE(w->ring);

	if (n > total)
		n = total;
	for (size_t i = 0; i < total; i++) {
		size_t idx = (w->ring_next + i) % total;

		if (!w->ring[idx] || i < total - n)
			continue;
		sb_addf(&sb, "    %s\n", w->ring[idx]);
	}
	if (w->partial.len)
		sb_addf(&sb, "    %s\n", w->partial.buf);
	return sb_detach(&sb);
}
