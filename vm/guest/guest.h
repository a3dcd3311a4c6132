/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_GUEST_H
#define IOLAB_GUEST_H

/*
 * What the guest agent's files share.  Every op handler takes the request
 * object and returns a new reply object; guest_dispatch() adds "ok": true
 * unless the handler failed.  The handlers do not depend on being PID 1, so
 * the unit tests call them on the host.
 */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define GUEST_AGENT_NAME "iolab-agent 1"

/* Output of a command is capped so one reply always fits in a frame. */
#define GUEST_OUTPUT_CAP (8u << 20)

/* Set by the poweroff op: the main loop powers off once the reply is sent. */
extern bool guest_poweroff_requested;

/* Runs one request; never returns NULL and never fails on a bad request. */
json_t *guest_dispatch(json_t *req);

/* {"ok": false, "error": "..."}; the message is one line. */
json_t *guest_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, with "errno": err and ": strerror(err)" appended. */
json_t *guest_fail_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A JSON string of arbitrary bytes: invalid UTF-8 and NUL become '?'. */
json_t *guest_text(const char *buf, size_t len);

/* Whole small file (proc, sysfs) or NULL with errno set; *len may be NULL. */
char *guest_read(const char *path, size_t max, size_t *len, bool *truncated);
/* Writes s in one write(2), as "echo s > path" does; -1 with errno set. */
int guest_write(const char *path, const char *s);
/* First line of a small file with trailing blanks removed, or NULL. */
char *guest_read_line(const char *path);
int guest_mkdir_p(const char *path, unsigned int mode);

/* The kernel log buffer as an array of lines; the last max lines when max > 0. */
json_t *guest_klog(size_t max);
/* {"sysname", "release", "version", "machine"}. */
json_t *guest_uname(void);
/* Whether the kernel command line holds word (e.g. "iolab.test=1"). */
bool guest_cmdline_has(const char *word);

/* "vm.dirty_ratio" -> "/proc/sys/vm/dirty_ratio"; -1 on a name that is no sysctl. */
int guest_sysctl_path(const char *name, char *buf, size_t size);

/* Op handlers that live outside ops.c. */
json_t *op_run(json_t *req);
json_t *op_mkfs(json_t *req);
json_t *op_shell(json_t *req);
json_t *op_trace_start(json_t *req);
json_t *op_trace_stop(json_t *req);

#endif
