// SPDX-License-Identifier: GPL-2.0
#include "vm_agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The longest a wait goes without calling the tick function. */
#define TICK_S 0.1

void agent_open_fd(struct agent_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	vmp_decoder_init(&c->dec);
	c->next_seq = 1;
	c->events = json_array();
	/* Waits are poll()-driven with deadlines; no read or write may block. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int agent_connect_unix(struct agent_conn *c, const char *path, double timeout_s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	double deadline = now_seconds() + timeout_s;
	struct timespec pause = {0, 20 * 1000 * 1000};

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return error("agent socket path is longer than %zu bytes: %s; use a shorter cache "
		             "or run directory",
		             sizeof(sa.sun_path) - 1, path);
	strcpy(sa.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int err;

		if (fd < 0)
			return error("cannot create a unix socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			agent_open_fd(c, fd);
			return 0;
		}
		err = errno;
		close(fd);
		/* QEMU creates and listens on the socket shortly after it starts. */
		if ((err != ENOENT && err != ECONNREFUSED) || now_seconds() >= deadline)
			return error("cannot connect to the agent socket %s: %s", path,
			             strerror(err));
		nanosleep(&pause, NULL);
	}
}

/* Milliseconds poll() may sleep: until the next tick or the deadline. */
static int wait_ms(double now, double last_tick, double deadline)
{
	double until = last_tick + TICK_S;

	if (deadline > 0 && deadline < until)
		until = deadline;
	return until <= now ? 0 : (int)((until - now) * 1000) + 1;
}

/*
 * The common wait: calls tick when due, honours the deadline, and sleeps
 * until fd may be ready.  0 means "try the I/O now", else a return code.
 */
static int wait_fd(struct agent_conn *c, short events, double deadline, double *last_tick,
                   agent_tick_fn tick, void *arg)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	double now = now_seconds();

	if (tick && now - *last_tick >= TICK_S) {
		int r = tick(arg);

		*last_tick = now;
		if (r)
			return r;
	}
	if (deadline > 0 && now >= deadline)
		return AGENT_TIMEOUT;
	if (poll(&p, 1, wait_ms(now, *last_tick, deadline)) < 0 && errno != EINTR)
		return AGENT_EOF;
	return 0;
}

static int send_all(struct agent_conn *c, const unsigned char *p, size_t len, double deadline,
                    agent_tick_fn tick, void *arg)
{
	double last_tick = now_seconds();

	while (len) {
		/* MSG_NOSIGNAL: a dead QEMU must be a return code, not SIGPIPE. */
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		int r;

		if (n < 0 && errno == ENOTSOCK)
			n = write(c->fd, p, len);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return AGENT_EOF;
		r = wait_fd(c, POLLOUT, deadline, &last_tick, tick, arg);
		if (r)
			return r;
	}
	return 0;
}

/* The next verified frame (0, f filled) or a return code. */
static int next_frame(struct agent_conn *c, double deadline, agent_tick_fn tick, void *arg,
                      struct vmp_frame *f)
{
	double last_tick = now_seconds();
	unsigned char buf[65536];

	for (;;) {
		ssize_t n;
		int r;

		if (vmp_next(&c->dec, f))
			return 0;
		if (c->fd < 0)
			return AGENT_EOF;
		r = wait_fd(c, POLLIN, deadline, &last_tick, tick, arg);
		if (r)
			return r;
		n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			if (vmp_feed(&c->dec, buf, n) < 0) {
				error("out of memory buffering the guest agent's reply");
				return AGENT_PROTO;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* Closed: what is buffered may still hold frames, nothing more will come. */
		close(c->fd);
		c->fd = -1;
	}
}

static json_t *parse_payload(const struct vmp_frame *f)
{
	json_error_t err;
	json_t *j = json_loadb(f->payload, f->len, 0, &err);

	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	if (!j)
		error("the guest agent sent a frame that is not a JSON object (seq %u): %s", f->seq,
		      err.text);
	return j;
}

/* Keeps a parsed event (reference taken) for agent_take_event(). */
static void keep_event(struct agent_conn *c, json_t *ev)
{
	if (!ev)
		return;
	json_array_append_new(c->events, ev);
	while (json_array_size(c->events) > AGENT_MAX_EVENTS)
		json_array_remove(c->events, 0);
}

static double deadline_of(double timeout_s)
{
	return timeout_s > 0 ? now_seconds() + timeout_s : 0;
}

static bool is_ready(json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));

	return name && !strcmp(name, "ready");
}

int agent_wait_ready(struct agent_conn *c, double timeout_s, agent_tick_fn tick, void *arg,
                     json_t **ready)
{
	double deadline = deadline_of(timeout_s);
	struct vmp_frame f;
	size_t i;
	json_t *ev;

	if (ready)
		*ready = NULL;
	json_array_foreach(c->events, i, ev)
	{
		if (is_ready(ev)) {
			if (ready)
				*ready = json_incref(ev);
			json_array_remove(c->events, i);
			return 0;
		}
	}
	for (;;) {
		int r = next_frame(c, deadline, tick, arg, &f);

		if (r)
			return r;
		if (f.type == VMP_EVENT) {
			ev = parse_payload(&f);
			if (ev && is_ready(ev)) {
				free(f.payload);
				if (ready)
					*ready = ev;
				else
					json_decref(ev);
				return 0;
			}
			keep_event(c, ev);
		} else {
			/* Answers meant for an earlier connection or a timed-out call. */
			c->stale++;
		}
		free(f.payload);
	}
}

int agent_call(struct agent_conn *c, json_t *request, double timeout_s, agent_tick_fn tick,
               void *arg, json_t **response)
{
	double deadline = deadline_of(timeout_s);
	char *text = json_dumps(request, JSON_COMPACT);
	unsigned char *frame = NULL;
	uint32_t seq = c->next_seq++;
	size_t len;
	int r;

	json_decref(request);
	*response = NULL;
	/* Seq 0 is what events carry. */
	if (!c->next_seq)
		c->next_seq = 1;
	if (!text) {
		error("cannot encode a request for the guest agent");
		return AGENT_PROTO;
	}
	len = vmp_encode(VMP_REQUEST, seq, text, strlen(text), &frame);
	free(text);
	if (!len) {
		error("a request for the guest agent exceeds %u bytes", VMP_MAX_PAYLOAD);
		return AGENT_PROTO;
	}
	r = c->fd < 0 ? AGENT_EOF : send_all(c, frame, len, deadline, tick, arg);
	free(frame);
	if (r)
		return r;
	for (;;) {
		struct vmp_frame f;

		r = next_frame(c, deadline, tick, arg, &f);
		if (r)
			return r;
		if (f.type == VMP_RESPONSE && f.seq == seq) {
			*response = parse_payload(&f);
			free(f.payload);
			return *response ? 0 : AGENT_PROTO;
		}
		if (f.type == VMP_EVENT)
			keep_event(c, parse_payload(&f));
		else
			c->stale++;
		free(f.payload);
	}
}

json_t *agent_take_event(struct agent_conn *c)
{
	json_t *ev = json_array_get(c->events, 0);

	if (!ev)
		return NULL;
	json_incref(ev);
	json_array_remove(c->events, 0);
	return ev;
}

const char *agent_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case AGENT_TIMEOUT:
		return "no answer from the guest agent in time";
	case AGENT_EOF:
		return "the connection to the guest agent closed (guest or QEMU gone)";
	case AGENT_PROTO:
		return "the guest agent sent something that is not a reply";
	default:
		return "stopped by the caller";
	}
}

void agent_close(struct agent_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	vmp_decoder_free(&c->dec);
	json_decref(c->events);
	c->events = NULL;
}
