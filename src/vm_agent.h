/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_VM_AGENT_H
#define IOLAB_VM_AGENT_H

/*
 * The host side of the guest agent protocol (vm/README.md): requests go
 * out as frames over a stream (QEMU's unix socket for the agent's
 * virtio-serial port), replies are matched by sequence number.
 */
#include <jansson.h>
#include <stdint.h>

#include "vm_proto.h"

/* Return codes of the waits; a positive code is the tick function's own. */
#define AGENT_TIMEOUT -1 /* no answer in time: the guest is hung or busy */
#define AGENT_EOF     -2 /* the stream ended: the agent, the guest or QEMU is gone */
#define AGENT_PROTO   -3 /* a verified frame that is not a JSON object: an agent bug */

#define AGENT_MAX_EVENTS 16

struct agent_conn {
	int fd;
	struct vmp_decoder dec;
	uint32_t next_seq;
	/* Events that arrived while waiting for something else, oldest first. */
	json_t *events;
	/* Replies whose seq matched no pending call (answers to timed-out calls). */
	unsigned long stale;
};

/*
 * Called at least every 100 ms while waiting; a nonzero return ends the
 * wait and becomes its result (the launcher watches the console for oopses
 * and QEMU for dying).
 */
typedef int (*agent_tick_fn)(void *arg);

/* Takes over a connected stream fd (made non-blocking). */
void agent_open_fd(struct agent_conn *c, int fd);
/* Connects to a unix socket, retrying until it exists and accepts; 0 or -1 (reported). */
int agent_connect_unix(struct agent_conn *c, const char *path, double timeout_s);

/*
 * Waits for the "ready" event.  0 and *ready (caller frees; ready may be
 * NULL), AGENT_TIMEOUT, AGENT_EOF or the tick's code.  timeout_s <= 0 waits
 * for ever.
 */
int agent_wait_ready(struct agent_conn *c, double timeout_s, agent_tick_fn tick, void *arg,
                     json_t **ready);
/*
 * Sends request (its reference is stolen) and waits for the reply with the
 * same seq.  0 and *response (caller frees; it may hold "ok": false), or
 * AGENT_TIMEOUT, AGENT_EOF, AGENT_PROTO or the tick's code.  timeout_s <= 0
 * waits for ever (the shell op).
 */
int agent_call(struct agent_conn *c, json_t *request, double timeout_s, agent_tick_fn tick,
               void *arg, json_t **response);
/* The oldest event kept aside during calls, or NULL; caller frees. */
json_t *agent_take_event(struct agent_conn *c);
/* "timeout", "connection closed", ... for a negative return code. */
const char *agent_strerror(int code);
void agent_close(struct agent_conn *c);

#endif
