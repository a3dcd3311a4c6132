// SPDX-License-Identifier: GPL-2.0
#include "bench_evidence.h"

#include <string.h>

#include "util.h"

bool evidence_has_option(const char *options, const char *option)
{
	struct strvec sv = STRVEC_INIT;
	bool has;

	sv_split(&sv, options ? options : "", ", \n");
	has = sv_contains(&sv, option);
	sv_clear(&sv);
	return has;
}

char *evidence_check_path(json_t *evidence, bool want_iomap, const char *effective,
                          const char *enable_option)
{
	/* "nobuffered_iomap" must not count as "buffered_iomap": whole options only. */
	bool iomap_on = evidence_has_option(effective, enable_option);

	json_object_set_new(evidence, "path_option_in_effect",
	                    json_boolean(iomap_on == want_iomap));
	if (iomap_on == want_iomap)
		return NULL;
	return xasprintf("the effective mount options do not select the %s path (%s %s)",
	                 want_iomap ? "iomap" : "bh", enable_option, iomap_on ? "on" : "off");
}

int64_t evidence_buffered_iomap_events(json_t *trace_counts)
{
	json_t *by = json_object_get(trace_counts, "by_event");
	const char *name;
	json_t *v;
	int64_t n = 0;

	json_object_foreach(by, name, v)
	{
		/* ext4 sends direct I/O through iomap on either path: it proves nothing. */
		if (!starts_with(name, "iomap_") || strstr(name, "iomap_dio"))
			continue;
		n += json_integer_value(v);
	}
	return n;
}

int64_t evidence_own_events(json_t *trace_counts)
{
	json_t *by = json_object_get(trace_counts, "by_event");
	const char *name;
	json_t *v;
	int64_t n = 0;

	json_object_foreach(by, name, v) n +=
	        starts_with(name, "iomap_") ? 0 : json_integer_value(v);
	return n;
}

/* A feature switched on in mkfs arguments: "inline_data", not "^inline_data". */
static bool has_feature(const char *mkfs, const char *feature)
{
	size_t n = strlen(feature);

	for (const char *p = mkfs; p && (p = strstr(p, feature)); p += n) {
		char after = p[n];

		if ((p == mkfs || p[-1] != '^') && (after == '\0' || after == ',' || after == ' '))
			return true;
	}
	return false;
}

const char *evidence_fallback_reason(const char *mkfs, const char *mount)
{
	/* The series' ext4_enable_buffered_iomap() keeps these on buffer_head. */
	if (has_feature(mkfs, "inline_data"))
		return "inline_data";
	if (has_feature(mkfs, "verity"))
		return "verity";
	if (has_feature(mkfs, "encrypt"))
		return "encrypt";
	if (mkfs && (strstr(mkfs, "^extent") || strstr(mkfs, "-t ext3") || strstr(mkfs, "-t ext2")))
		return "no extents";
	if (mount && strstr(mount, "data=journal"))
		return "data=journal";
	return NULL;
}

char *evidence_check_probe(json_t *evidence, bool want_iomap, json_t *trace_counts,
                           bool own_expected, const char *fallback_reason)
{
	int64_t own = evidence_own_events(trace_counts);
	char *why = evidence_check_trace(evidence, want_iomap, trace_counts);

	json_object_set_new(evidence, "own_events", json_integer(own));
	if (!trace_counts || !json_is_object(json_object_get(trace_counts, "by_event")))
		return why;
	if (want_iomap && evidence_buffered_iomap_events(trace_counts) == 0 && own == 0) {
		free(why);
		json_object_set_new(evidence, "fell_back", json_true());
		return xasprintf("%s (%s)", EVIDENCE_FALLBACK,
		                 fallback_reason ? fallback_reason : "reason unknown");
	}
	if (!why && want_iomap && own_expected && own == 0)
		return xstrdup("iomap's tracepoints fired but none of the series' own ext4 iomap "
		               "tracepoints did");
	if (!why && !want_iomap && own > 0)
		return xasprintf("%lld of the series' ext4 iomap tracepoints fired on a "
		                 "buffer_head cell",
		                 (long long)own);
	return why;
}

char *evidence_observe_path(json_t *evidence, json_t *trace_counts)
{
	/* Only the counts are wanted: either verdict would hold the path to a label. */
	char *why = evidence_check_trace(evidence, false, trace_counts);
	int64_t own = evidence_own_events(trace_counts);
	bool iomap = evidence_buffered_iomap_events(trace_counts) > 0 || own > 0;

	free(why);
	json_object_set_new(evidence, "own_events", json_integer(own));
	json_object_set_new(evidence, "chosen_by", json_string(EVIDENCE_CHOSEN_BY_KERNEL));
	json_object_set_new(evidence, "observed_path", json_string(iomap ? "iomap" : "bh"));
	json_object_del(evidence, "iomap_expected");
	if (!trace_counts || !json_is_object(json_object_get(trace_counts, "by_event")))
		return xstrdup("no tracepoint counts came back from the guest");
	return NULL;
}

char *evidence_check_trace(json_t *evidence, bool want_iomap, json_t *trace_counts)
{
	json_t *by = json_object_get(trace_counts, "by_event");
	int64_t buffered = evidence_buffered_iomap_events(trace_counts);

	json_object_set_new(evidence, "iomap_events",
	                    json_pack("{s:I, s:I, s:o}", "total",
	                              json_integer_value(json_object_get(trace_counts, "total")),
	                              "buffered", (json_int_t)buffered, "by_event",
	                              by ? json_incref(by) : json_object()));
	json_object_set_new(evidence, "iomap_expected", json_string(want_iomap ? "fired" : "none"));
	if (!trace_counts || !json_is_object(by))
		return xstrdup("no tracepoint counts came back from the guest");
	if (want_iomap && buffered == 0)
		return xstrdup("no iomap buffered-I/O tracepoint fired: the iomap path was not in "
		               "effect");
	if (!want_iomap && buffered > 0)
		return xasprintf("%lld iomap buffered-I/O tracepoints fired on a buffer_head cell",
		                 (long long)buffered);
	return NULL;
}

char *evidence_check_uncached(json_t *evidence, int64_t before_kb, int64_t after_kb,
                              int64_t file_size)
{
	/* Roughly flat: the page cache grew by less than a quarter of what was written. */
	bool flat =
	        before_kb >= 0 && after_kb >= 0 && (after_kb - before_kb) * 1024 < file_size / 4;

	json_object_set_new(evidence, "page_cache_flat", json_boolean(flat));
	if (before_kb < 0 || after_kb < 0)
		return xstrdup("the guest's meminfo could not be read around the uncached write");
	if (!flat)
		return xasprintf(
		        "page cache grew by %lld KiB during an uncached write of %lld KiB: "
		        "RWF_DONTCACHE was not in effect",
		        (long long)(after_kb - before_kb), (long long)(file_size / 1024));
	return NULL;
}
