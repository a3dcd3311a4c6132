// SPDX-License-Identifier: GPL-2.0
/*
 * The trace_start and trace_stop ops: trace events around a benchmark, to
 * show which path (buffer_head or iomap) the I/O took and how often.
 */
#include "guest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EVENTS 64

/* What trace_start enabled, so trace_stop undoes exactly that. */
static char *enabled[MAX_EVENTS];
static size_t nr_enabled;
static bool filtered;

static const char *tracing_root(void)
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char path[256];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/trace", roots[i]);
		if (access(path, F_OK) == 0)
			return roots[i];
	}
	return NULL;
}

static int write_at(const char *dir, const char *file, const char *value)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return guest_write(path, value);
}

static void disable_all(void)
{
	for (size_t i = 0; i < nr_enabled; i++) {
		write_at(enabled[i], "enable", "0");
		if (filtered)
			write_at(enabled[i], "filter", "0");
		free(enabled[i]);
	}
	nr_enabled = 0;
	filtered = false;
}

/* "ext4" or "ext4/ext4_da_write_begin": nothing that could leave events/. */
static bool event_name_ok(const char *s)
{
	int slashes = 0;

	if (!*s || *s == '/')
		return false;
	for (; *s; s++) {
		if (*s == '/' && (++slashes > 1 || s[1] == '\0'))
			return false;
		if (*s != '/' && *s != '_' && !isalnum((unsigned char)*s))
			return false;
	}
	return true;
}

json_t *op_trace_start(json_t *req)
{
	const char *root = tracing_root();
	json_t *events = json_object_get(req, "events");
	json_t *jfilter = json_object_get(req, "filter");
	json_t *jbuf = json_object_get(req, "buffer_kb");
	const char *filter = json_string_value(jfilter);
	json_t *missing = NULL, *reply = NULL, *ev;
	char path[512], val[32];
	size_t i;

	if (!root)
		return guest_fail("trace_start: tracefs is not mounted (no /sys/kernel/tracing)");
	if (!json_is_array(events) || !json_array_size(events) ||
	    json_array_size(events) > MAX_EVENTS)
		return guest_fail("trace_start: \"events\" must be a list of 1 to %d event names",
		                  MAX_EVENTS);
	if ((jfilter && !filter) ||
	    (jbuf && (!json_is_integer(jbuf) || json_integer_value(jbuf) <= 0)))
		return guest_fail("trace_start: \"filter\" must be a string and \"buffer_kb\" a "
		                  "positive integer");
	json_array_foreach(events, i, ev)
	{
		if (!json_is_string(ev) || !event_name_ok(json_string_value(ev)))
			return guest_fail("trace_start: bad event name %s (want \"subsystem\" or "
			                  "\"subsystem/event\")",
			                  json_is_string(ev) ? json_string_value(ev)
			                                     : "(not a string)");
	}

	disable_all();
	write_at(root, "tracing_on", "0");
	/* "echo > trace": opening it truncated empties the ring buffer. */
	if (write_at(root, "trace", "") < 0)
		return guest_fail_errno(errno, "trace_start: cannot clear %s/trace", root);
	if (jbuf) {
		snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(jbuf));
		if (write_at(root, "buffer_size_kb", val) < 0)
			return guest_fail_errno(
			        errno, "trace_start: cannot set buffer_size_kb to %s", val);
	}
	missing = json_array();
	filtered = filter != NULL;
	json_array_foreach(events, i, ev)
	{
		const char *name = json_string_value(ev);
		struct stat st;

		snprintf(path, sizeof(path), "%s/events/%s", root, name);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			json_array_append(missing, ev);
			continue;
		}
		/* Recorded first, so a failure below still gets undone. */
		enabled[nr_enabled++] = strdup(path);
		if (filter && write_at(path, "filter", filter) < 0) {
			reply = guest_fail_errno(errno, "trace_start: filter \"%s\" rejected by %s",
			                         filter, name);
			break;
		}
		if (write_at(path, "enable", "1") < 0) {
			reply = guest_fail_errno(errno, "trace_start: cannot enable %s", name);
			break;
		}
	}
	if (!reply && !nr_enabled) {
		char *list = json_dumps(missing, JSON_COMPACT);

		reply = guest_fail("trace_start: none of the events exist in this kernel: %s",
		                   list ? list : "?");
		free(list);
	}
	if (!reply && write_at(root, "tracing_on", "1") < 0)
		reply = guest_fail_errno(errno, "trace_start: cannot turn tracing on");
	if (reply) {
		disable_all();
		json_decref(missing);
		return reply;
	}
	return json_pack("{s:o}", "missing", missing);
}

/* Sums a field of every per_cpu/cpuN/stats file ("entries: 12", "overrun: 0"). */
static long long sum_stats(const char *root, const char *field)
{
	char path[512];
	long long sum = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/per_cpu", root);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *text, *line;

		if (strncmp(de->d_name, "cpu", 3))
			continue;
		snprintf(path, sizeof(path), "%s/per_cpu/%s/stats", root, de->d_name);
		text = guest_read(path, 65536, NULL, NULL);
		if (!text)
			continue;
		for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			size_t n = strlen(field);

			if (!strncmp(line, field, n) && line[n] == ':')
				sum += strtoll(line + n + 1, NULL, 10);
		}
		free(text);
	}
	closedir(d);
	return sum;
}

/*
 * The event name of one line of the trace file:
 *   "  fio-301  [001] .....  12.345678: ext4_da_write_begin: dev 253,16 ..."
 * The timestamp before ": " anchors it, since a task name may hold anything.
 */
static bool trace_line_event(const char *line, char *name, size_t size)
{
	if (line[0] == '#')
		return false;
	for (const char *p = strstr(line, ": "); p; p = strstr(p + 1, ": ")) {
		const char *t = p;
		bool dot = false;
		size_t n;

		while (t > line && (isdigit((unsigned char)t[-1]) || t[-1] == '.'))
			dot |= *--t == '.';
		if (!dot || t == line || t[-1] != ' ')
			continue;
		n = strcspn(p + 2, ": \n");
		if (!n || n >= size || p[2 + n] != ':')
			return false;
		memcpy(name, p + 2, n);
		name[n] = '\0';
		return true;
	}
	return false;
}

static json_t *count_events(const char *root)
{
	json_t *counts = json_object();
	char path[512], name[128];
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", root);
	f = fopen(path, "re");
	if (!f)
		return counts;
	while (getline(&line, &cap, f) > 0) {
		json_t *c;

		if (!trace_line_event(line, name, sizeof(name)))
			continue;
		c = json_object_get(counts, name);
		if (c)
			json_integer_set(c, json_integer_value(c) + 1);
		else
			json_object_set_new(counts, name, json_integer(1));
	}
	free(line);
	fclose(f);
	return counts;
}

json_t *op_trace_stop(json_t *req)
{
	const char *root = tracing_root();
	long long entries, overrun;

	if (!root)
		return guest_fail("trace_stop: tracefs is not mounted (no /sys/kernel/tracing)");
	write_at(root, "tracing_on", "0");
	disable_all();
	entries = sum_stats(root, "entries");
	overrun = sum_stats(root, "overrun");
	return json_pack("{s:I, s:I, s:o}", "total", (json_int_t)(entries + overrun), "overrun",
	                 (json_int_t)overrun, "by_event", count_events(root));
}
