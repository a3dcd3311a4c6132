/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_BENCH_EVIDENCE_H
#define IOLAB_BENCH_EVIDENCE_H

/*
 * The checks that make a number trustworthy: the path's mount option was
 * in effect, iomap's buffered-I/O tracepoints fired exactly on iomap cells,
 * and an uncached write left the page cache flat.  Pure functions over what
 * the guest reported, so they are tested without a VM.  Each check records
 * what it saw in evidence and returns NULL, or the reason it failed
 * (caller frees).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Whether a comma/newline-separated option list holds exactly this option. */
bool evidence_has_option(const char *options, const char *option);
/*
 * want_iomap: the cell's path.  effective: /proc/fs/ext4/<dev>/options (or
 * the /proc/mounts line).  enable_option: the series' option selecting iomap.
 */
char *evidence_check_path(json_t *evidence, bool want_iomap, const char *effective,
                          const char *enable_option);
/* Tracepoint hits of iomap's buffered I/O (direct I/O excluded) in a trace_stop reply. */
int64_t evidence_buffered_iomap_events(json_t *trace_counts);
char *evidence_check_trace(json_t *evidence, bool want_iomap, json_t *trace_counts);
/* Hits of anything else traced: the series' own ext4 tracepoints. */
int64_t evidence_own_events(json_t *trace_counts);

/* How a cell that asked for iomap but ran on buffer_head is reported. */
#define EVIDENCE_FALLBACK "fell back to buffer_head"
/* Why an fs config keeps files on buffer_head whatever the mount asks, or NULL. */
const char *evidence_fallback_reason(const char *mkfs, const char *mount);
/*
 * The path probe's verdict: iomap cells need iomap's buffered tracepoints
 * and (own_expected) the series' own; buffer_head cells neither.  An iomap
 * cell with none of them fell back: "fell back to buffer_head (reason)".
 */
char *evidence_check_probe(json_t *evidence, bool want_iomap, json_t *trace_counts,
                           bool own_expected, const char *fallback_reason);
/*
 * A kernel without the path option (a series walked part-way, or one that
 * merged it as the default) picks the path itself: the probe names the
 * path it saw, "iomap" or "bh", rather than holding it to the cell's, and
 * records it as evidence "observed_path" with "chosen_by": "kernel".
 * Fails only when no tracepoint counts came back.
 */
#define EVIDENCE_CHOSEN_BY_KERNEL "kernel"
char *evidence_observe_path(json_t *evidence, json_t *trace_counts);
/* before/after in KiB of the page cache ("Cached"), file size in bytes. */
char *evidence_check_uncached(json_t *evidence, int64_t before_kb, int64_t after_kb,
                              int64_t file_size);

#endif
