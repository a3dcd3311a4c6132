// SPDX-License-Identifier: GPL-2.0
/*
 * The host's agent client against a small responder in a child process,
 * the guest agent's op handlers run on the host, and the real agent binary
 * (--stdio) driven through the client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "util.h"
#include "vm_agent.h"

/* ---- a scripted responder, speaking the protocol over a socketpair ---- */

/*
 * No cmocka asserts here: this also runs in forked children, where a failed
 * assert would resume the test runner inside the child.  A child whose peer
 * is gone just exits.
 */
static void send_raw(int fd, uint8_t type, uint32_t seq, const char *text)
{
	unsigned char *frame;
	size_t len = vmp_encode(type, seq, text, strlen(text), &frame);
	bool sent = len && write(fd, frame, len) == (ssize_t)len;

	free(frame);
	if (!sent)
		_exit(3);
}

static void send_json(int fd, uint8_t type, uint32_t seq, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);

	send_raw(fd, type, seq, text);
	free(text);
	json_decref(j);
}

static void responder(int fd)
{
	struct vmp_decoder d;
	unsigned char buf[4096];
	ssize_t n;

	vmp_decoder_init(&d);
	send_json(fd, VMP_EVENT, 0, json_pack("{s:s}", "event", "booting"));
	send_json(fd, VMP_EVENT, 0, json_pack("{s:s, s:s}", "event", "ready", "agent", "fake"));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		struct vmp_frame f;

		vmp_feed(&d, buf, n);
		while (vmp_next(&d, &f)) {
			json_t *req = json_loads(f.payload, 0, NULL);
			const char *op = json_string_value(json_object_get(req, "op"));

			if (!strcmp(op, "slow")) {
				long ms = json_integer_value(json_object_get(req, "ms"));
				struct timespec ts = {ms / 1000, ms % 1000 * 1000 * 1000};

				nanosleep(&ts, NULL);
			} else if (!strcmp(op, "die")) {
				_exit(0);
			} else if (!strcmp(op, "stale")) {
				send_raw(fd, VMP_RESPONSE, f.seq - 1, "{\"ok\":true,\"stale\":1}");
				send_raw(fd, VMP_EVENT, 0, "{\"event\":\"note\"}");
			} else if (!strcmp(op, "noise")) {
				if (write(fd, "IOLB garbage\r\n", 14) != 14)
					_exit(3);
			} else if (!strcmp(op, "garbage")) {
				send_raw(fd, VMP_RESPONSE, f.seq, "not json");
				goto next;
			}
			send_json(fd, VMP_RESPONSE, f.seq,
			          json_pack("{s:b, s:O}", "ok", 1, "echo", req));
		next:
			json_decref(req);
			free(f.payload);
		}
	}
	_exit(0);
}

struct fake {
	struct agent_conn c;
	pid_t pid;
};

static void fake_start(struct fake *fk)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fk->pid = fork();
	assert_true(fk->pid >= 0);
	if (fk->pid == 0) {
		close(sv[0]);
		responder(sv[1]);
	}
	close(sv[1]);
	agent_open_fd(&fk->c, sv[0]);
}

static void fake_stop(struct fake *fk)
{
	agent_close(&fk->c);
	waitpid(fk->pid, NULL, 0);
}

static json_t *op(const char *name)
{
	return json_pack("{s:s}", "op", name);
}

static void test_ready_and_echo(void **state)
{
	struct fake fk;
	json_t *ready, *resp, *ev;

	fake_start(&fk);
	assert_int_equal(agent_wait_ready(&fk.c, 5, NULL, NULL, &ready), 0);
	assert_string_equal(json_string_value(json_object_get(ready, "agent")), "fake");
	json_decref(ready);
	/* The event before "ready" was kept aside. */
	ev = agent_take_event(&fk.c);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "booting");
	json_decref(ev);
	assert_null(agent_take_event(&fk.c));

	for (int i = 0; i < 3; i++) {
		json_t *req = json_pack("{s:s, s:i}", "op", "echo", "i", i);

		assert_int_equal(agent_call(&fk.c, req, 5, NULL, NULL, &resp), 0);
		assert_true(json_is_true(json_object_get(resp, "ok")));
		assert_int_equal(
		        json_integer_value(json_object_get(json_object_get(resp, "echo"), "i")), i);
		json_decref(resp);
	}
	fake_stop(&fk);
}

static void test_timeout_then_stale_dropped(void **state)
{
	struct fake fk;
	json_t *resp;
	double t0;

	fake_start(&fk);
	assert_int_equal(agent_wait_ready(&fk.c, 5, NULL, NULL, NULL), 0);
	t0 = now_seconds();
	assert_int_equal(agent_call(&fk.c, json_pack("{s:s, s:i}", "op", "slow", "ms", 600), 0.2,
	                            NULL, NULL, &resp),
	                 AGENT_TIMEOUT);
	assert_null(resp);
	assert_true(now_seconds() - t0 < 0.5);
	/* The late answer to the slow call arrives first and must not be taken for this one. */
	assert_int_equal(agent_call(&fk.c, op("echo"), 5, NULL, NULL, &resp), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(resp, "echo"), "op")),
	                    "echo");
	assert_int_equal(fk.c.stale, 1);
	json_decref(resp);
	fake_stop(&fk);
}

static void test_eof(void **state)
{
	struct fake fk;
	json_t *resp;

	fake_start(&fk);
	assert_int_equal(agent_wait_ready(&fk.c, 5, NULL, NULL, NULL), 0);
	assert_int_equal(agent_call(&fk.c, op("die"), 5, NULL, NULL, &resp), AGENT_EOF);
	assert_null(resp);
	assert_int_equal(agent_call(&fk.c, op("echo"), 5, NULL, NULL, &resp), AGENT_EOF);
	assert_int_equal(agent_wait_ready(&fk.c, 5, NULL, NULL, NULL), AGENT_EOF);
	assert_non_null(strstr(agent_strerror(AGENT_EOF), "closed"));
	fake_stop(&fk);
}

struct ticks {
	int calls;
	int stop_after;
};

static int count_tick(void *arg)
{
	struct ticks *t = arg;

	return ++t->calls == t->stop_after ? 42 : 0;
}

static void test_tick(void **state)
{
	struct ticks t = {0, 0};
	struct fake fk;
	json_t *resp;

	fake_start(&fk);
	assert_int_equal(agent_wait_ready(&fk.c, 5, NULL, NULL, NULL), 0);
	assert_int_equal(agent_call(&fk.c, json_pack("{s:s, s:i}", "op", "slow", "ms", 550), 5,
	                            count_tick, &t, &resp),
	                 0);
	json_decref(resp);
	/* At least every 100 ms: 5 or more calls in 550 ms. */
	assert_true(t.calls >= 4);
	t = (struct ticks){0, 2};
	assert_int_equal(agent_call(&fk.c, json_pack("{s:s, s:i}", "op", "slow", "ms", 2000), 5,
	                            count_tick, &t, &resp),
	                 42);
	assert_null(resp);
	fake_stop(&fk);
}

static void test_stale_event_noise_garbage(void **state)
{
	struct fake fk;
	json_t *resp, *ev;

	fake_start(&fk);
	assert_int_equal(agent_wait_ready(&fk.c, 5, NULL, NULL, NULL), 0);
	json_decref(agent_take_event(&fk.c));

	assert_int_equal(agent_call(&fk.c, op("stale"), 5, NULL, NULL, &resp), 0);
	assert_null(json_object_get(resp, "stale"));
	assert_int_equal(fk.c.stale, 1);
	json_decref(resp);
	ev = agent_take_event(&fk.c);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "note");
	json_decref(ev);

	assert_int_equal(agent_call(&fk.c, op("noise"), 5, NULL, NULL, &resp), 0);
	assert_true(fk.c.dec.skipped >= 14);
	json_decref(resp);

	assert_int_equal(agent_call(&fk.c, op("garbage"), 5, NULL, NULL, &resp), AGENT_PROTO);
	assert_null(resp);
	fake_stop(&fk);
}

static void test_connect_unix(void **state)
{
	char dir[] = "/tmp/iolab-agent-test-XXXXXX";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct agent_conn c;
	double t0;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/agent.sock", dir);
	iolab_quiet = true;
	t0 = now_seconds();
	assert_int_equal(agent_connect_unix(&c, sa.sun_path, 0.2), -1);
	assert_true(now_seconds() - t0 >= 0.2);
	agent_close(&c);

	/* The listener appears only after a while, as QEMU's does. */
	pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, 300 * 1000 * 1000};
		int l = socket(AF_UNIX, SOCK_STREAM, 0), a;

		nanosleep(&ts, NULL);
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
			_exit(1);
		a = accept(l, NULL, NULL);
		send_raw(a, VMP_EVENT, 0, "{\"event\":\"ready\"}");
		_exit(0);
	}
	assert_int_equal(agent_connect_unix(&c, sa.sun_path, 5), 0);
	assert_int_equal(agent_wait_ready(&c, 5, NULL, NULL, NULL), 0);
	agent_close(&c);
	waitpid(pid, NULL, 0);
	unlink(sa.sun_path);
	rmdir(dir);
}

/* ---- the guest agent's op handlers, run on the host ---- */

static json_t *call(const char *fmt, ...)
{
	json_error_t err;
	va_list ap;
	json_t *req, *resp;

	va_start(ap, fmt);
	req = json_vpack_ex(&err, 0, fmt, ap);
	va_end(ap);
	if (!req)
		fail_msg("bad test request: %s", err.text);
	resp = guest_dispatch(req);
	json_decref(req);
	assert_non_null(resp);
	return resp;
}

static bool ok(json_t *resp)
{
	return json_is_true(json_object_get(resp, "ok"));
}

#define assert_ok(r)                                                                               \
	do {                                                                                       \
		if (!ok(r))                                                                        \
			fail_msg("reply: %s", json_string_value(json_object_get(r, "error")));     \
	} while (0)

static const char *str(json_t *resp, const char *key)
{
	return json_string_value(json_object_get(resp, key));
}

static json_int_t num(json_t *resp, const char *key)
{
	return json_integer_value(json_object_get(resp, key));
}

static void test_guest_hello_and_bad_requests(void **state)
{
	json_t *r = call("{s:s}", "op", "hello");
	json_t *s = json_string("hello");

	assert_ok(r);
	assert_string_equal(str(r, "agent"), GUEST_AGENT_NAME);
	assert_non_null(json_object_get(json_object_get(r, "uname"), "release"));
	assert_true(json_real_value(json_object_get(r, "uptime")) > 0);
	json_decref(r);

	r = guest_dispatch(s);
	assert_false(ok(r));
	assert_non_null(strstr(str(r, "error"), "not a JSON object"));
	json_decref(r);
	json_decref(s);

	r = call("{s:s}", "op", "frobnicate");
	assert_false(ok(r));
	assert_non_null(strstr(str(r, "error"), "unknown op \"frobnicate\""));
	assert_non_null(strstr(str(r, "error"), "trace_start"));
	json_decref(r);

	r = call("{s:i}", "op", 3);
	assert_false(ok(r));
	json_decref(r);

	/* Refused outside a test guest; otherwise this test would die here. */
	r = call("{s:s, s:s}", "op", "crash_test", "mode", "exit");
	assert_false(ok(r));
	assert_non_null(strstr(str(r, "error"), "iolab.test=1"));
	json_decref(r);
}

static void test_guest_run(void **state)
{
	json_t *r;

	r = call("{s:s, s:[s, s], s:i}", "op", "run", "argv", "echo", "hi", "timeout", 10);
	assert_ok(r);
	assert_string_equal(str(r, "stdout"), "hi\n");
	assert_string_equal(str(r, "stderr"), "");
	assert_int_equal(num(r, "exit"), 0);
	assert_true(json_is_null(json_object_get(r, "signal")));
	assert_false(json_is_true(json_object_get(r, "timed_out")));
	assert_false(json_is_true(json_object_get(r, "truncated")));
	json_decref(r);

	r = call("{s:s, s:[s, s, s], s:f, s:[s], s:s}", "op", "run", "argv", "sh", "-c",
	         "echo $IOLAB_X; pwd; echo err >&2; exit 3", "timeout", 10.5, "env", "IOLAB_X=42",
	         "cwd", "/tmp");
	assert_ok(r);
	assert_string_equal(str(r, "stdout"), "42\n/tmp\n");
	assert_string_equal(str(r, "stderr"), "err\n");
	assert_int_equal(num(r, "exit"), 3);
	json_decref(r);

	r = call("{s:s, s:[s, s, s], s:i}", "op", "run", "argv", "sh", "-c", "kill -TERM $$",
	         "timeout", 10);
	assert_ok(r);
	assert_true(json_is_null(json_object_get(r, "exit")));
	assert_int_equal(num(r, "signal"), SIGTERM);
	json_decref(r);
}

static void test_guest_run_timeout(void **state)
{
	double t0 = now_seconds();
	/* The shell's child sleeps too: the whole process group must go. */
	json_t *r = call("{s:s, s:[s, s, s], s:f}", "op", "run", "argv", "sh", "-c",
	                 "sleep 10; echo never", "timeout", 0.5);

	assert_ok(r);
	assert_true(json_is_true(json_object_get(r, "timed_out")));
	assert_int_equal(num(r, "signal"), SIGKILL);
	assert_true(json_real_value(json_object_get(r, "elapsed")) >= 0.5);
	assert_true(now_seconds() - t0 < 2);
	assert_string_equal(str(r, "stdout"), "");
	json_decref(r);
}

static void test_guest_run_stdin_and_output(void **state)
{
	size_t n = 1 << 20;
	char *in = malloc(n + 1);
	json_t *r, *req;

	/* More than a pipe holds both ways: writing stdin and reading stdout must interleave. */
	for (size_t i = 0; i < n; i++)
		in[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
	in[n] = '\0';
	req = json_pack("{s:s, s:[s], s:i, s:s}", "op", "run", "argv", "cat", "timeout", 20,
	                "stdin", in);
	r = guest_dispatch(req);
	assert_ok(r);
	assert_int_equal(json_string_length(json_object_get(r, "stdout")), n);
	assert_string_equal(str(r, "stdout"), in);
	json_decref(r);
	json_decref(req);
	free(in);

	r = call("{s:s, s:[s, s], s:i}", "op", "run", "argv", "printf", "\\377\\376A\\000B\\303",
	         "timeout", 10);
	assert_ok(r);
	assert_string_equal(str(r, "stdout"), "??A?B?");
	json_decref(r);

	r = call("{s:s, s:[s, s, s], s:i}", "op", "run", "argv", "sh", "-c",
	         "head -c 9437184 /dev/zero | tr '\\0' x; echo done >&2", "timeout", 30);
	assert_ok(r);
	assert_true(json_is_true(json_object_get(r, "truncated")));
	assert_int_equal(json_string_length(json_object_get(r, "stdout")), GUEST_OUTPUT_CAP);
	assert_string_equal(str(r, "stderr"), "done\n");
	assert_int_equal(num(r, "exit"), 0);
	json_decref(r);
}

static void test_guest_run_errors(void **state)
{
	json_t *r;

	r = call("{s:s, s:[s], s:i}", "op", "run", "argv", "/nonexistent/prog", "timeout", 5);
	assert_false(ok(r));
	assert_string_equal(str(r, "error"),
	                    "cannot run /nonexistent/prog: No such file or directory");
	json_decref(r);

	r = call("{s:s, s:[s], s:i, s:s}", "op", "run", "argv", "true", "timeout", 5, "cwd",
	         "/nonexistent");
	assert_false(ok(r));
	assert_non_null(strstr(str(r, "error"), "cannot enter /nonexistent"));
	json_decref(r);

	r = call("{s:s, s:[s]}", "op", "run", "argv", "true");
	assert_false(ok(r));
	assert_non_null(strstr(str(r, "error"), "\"timeout\""));
	json_decref(r);

	r = call("{s:s, s:[], s:i}", "op", "run", "argv", "timeout", 5);
	assert_false(ok(r));
	json_decref(r);

	r = call("{s:s, s:[s], s:i, s:[s]}", "op", "run", "argv", "true", "timeout", 5, "env",
	         "NOEQUALS");
	assert_false(ok(r));
	assert_non_null(strstr(str(r, "error"), "KEY=VALUE"));
	json_decref(r);
}

static char *scratch_file(const char *dir, const char *name, off_t size)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
	return path;
}

static void test_guest_mkfs_and_mount_failure(void **state)
{
	char dir[] = "/tmp/iolab-guest-test-XXXXXX";
	char *ext4, *xfs, *mnt, *want;
	json_t *r, *kmsg;

	assert_non_null(mkdtemp(dir));
	ext4 = scratch_file(dir, "ext4.img", 64 << 20);
	xfs = scratch_file(dir, "xfs.img", 320 << 20);
	mnt = xasprintf("%s/mnt/a", dir);

	r = call("{s:s, s:s, s:s, s:[s, s]}", "op", "mkfs", "fstype", "ext4", "dev", ext4, "args",
	         "-L", "iolab");
	assert_ok(r);
	assert_int_equal(num(r, "exit"), 0);
	json_decref(r);

	r = call("{s:s, s:s, s:s}", "op", "mkfs", "fstype", "xfs", "dev", xfs);
	assert_ok(r);
	assert_int_equal(num(r, "exit"), 0);
	json_decref(r);

	r = call("{s:s, s:s, s:s}", "op", "mkfs", "fstype", "btrfs", "dev", xfs);
	assert_false(ok(r));
	json_decref(r);

	/* A regular file is no block device: the kernel refuses, the reply says why. */
	r = call("{s:s, s:s, s:s, s:s, s:s}", "op", "mount", "dev", ext4, "dir", mnt, "fstype",
	         "ext4", "options", "ro,noatime");
	assert_false(ok(r));
	assert_int_equal(num(r, "errno"), ENOTBLK);
	want = xasprintf("mount %s on %s (ext4, ro,noatime) failed: Block device required", ext4,
	                 mnt);
	assert_string_equal(str(r, "error"), want);
	free(want);
	kmsg = json_object_get(r, "kmsg");
	assert_true(json_is_array(kmsg));
	assert_true(json_array_size(kmsg) <= 20);
	json_decref(r);

	/* An option the kernel lacks: it names it in the log, which the reply carries. */
	r = call("{s:s, s:s, s:s, s:s, s:s}", "op", "mount", "dev", ext4, "dir", mnt, "fstype",
	         "ext4", "options", "noatime,iolab_no_such_option");
	assert_false(ok(r));
	assert_int_equal(num(r, "errno"), EINVAL);
	kmsg = json_object_get(r, "kmsg");
	assert_int_equal(json_array_size(kmsg), 20);
	assert_non_null(
	        strstr(json_string_value(json_array_get(kmsg, 19)), "iolab_no_such_option"));
	json_decref(r);
	/* The mount point was made on the way. */
	assert_true(is_dir(mnt));

	r = call("{s:s, s:s}", "op", "umount", "dir", mnt);
	assert_false(ok(r));
	assert_non_null(json_object_get(r, "errno"));
	json_decref(r);

	free(ext4);
	free(xfs);
	free(mnt);
	assert_int_equal(rm_rf(dir), 0);
}

static void test_guest_files(void **state)
{
	char dir[] = "/tmp/iolab-guest-test-XXXXXX";
	char *path;
	struct stat st;
	json_t *r;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/f", dir);
	r = call("{s:s, s:s, s:s, s:i}", "op", "write_file", "path", path, "data", "hello\n",
	         "mode", 0600);
	assert_ok(r);
	assert_int_equal(num(r, "size"), 6);
	json_decref(r);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	r = call("{s:s, s:s}", "op", "read_file", "path", path);
	assert_ok(r);
	assert_string_equal(str(r, "data"), "hello\n");
	assert_false(json_is_true(json_object_get(r, "truncated")));
	json_decref(r);

	r = call("{s:s, s:s, s:i}", "op", "read_file", "path", path, "max", 3);
	assert_ok(r);
	assert_string_equal(str(r, "data"), "hel");
	assert_true(json_is_true(json_object_get(r, "truncated")));
	json_decref(r);

	assert_int_equal(write_file(path,
	                            "a\xff"
	                            "b",
	                            3),
	                 0);
	r = call("{s:s, s:s}", "op", "read_file", "path", path);
	assert_string_equal(str(r, "data"), "a?b");
	json_decref(r);

	r = call("{s:s, s:s}", "op", "read_file", "path", "/nonexistent/x");
	assert_false(ok(r));
	assert_int_equal(num(r, "errno"), ENOENT);
	assert_string_equal(str(r, "error"),
	                    "read_file: cannot read /nonexistent/x: No such file or directory");
	json_decref(r);

	free(path);
	assert_int_equal(rm_rf(dir), 0);
}

static void test_guest_sysctl_meminfo_blockdevs_kmsg(void **state)
{
	char path[64], *want;
	json_t *r, *m, *dev;
	size_t i;

	assert_int_equal(guest_sysctl_path("vm.dirty_ratio", path, sizeof(path)), 0);
	assert_string_equal(path, "/proc/sys/vm/dirty_ratio");
	assert_int_equal(guest_sysctl_path("net.ipv4.tcp_rmem", path, sizeof(path)), 0);
	assert_string_equal(path, "/proc/sys/net/ipv4/tcp_rmem");
	assert_int_equal(guest_sysctl_path("vm..x", path, sizeof(path)), -1);
	assert_int_equal(guest_sysctl_path("../etc/passwd", path, sizeof(path)), -1);
	assert_int_equal(guest_sysctl_path("vm/dirty_ratio", path, sizeof(path)), -1);
	assert_int_equal(guest_sysctl_path("", path, sizeof(path)), -1);
	assert_int_equal(
	        guest_sysctl_path("vm.a_name_that_is_far_too_long_for_the_sixty_four_byte_buffer",
	                          path, sizeof(path)),
	        -1);

	want = read_file("/proc/sys/vm/dirty_ratio", NULL);
	r = call("{s:s, s:s}", "op", "sysctl_get", "name", "vm.dirty_ratio");
	assert_ok(r);
	assert_int_equal(atoi(str(r, "value")), atoi(want));
	assert_null(strchr(str(r, "value"), '\n'));
	json_decref(r);
	free(want);

	r = call("{s:s, s:s}", "op", "sysctl_get", "name", "vm.no_such_knob");
	assert_false(ok(r));
	assert_int_equal(num(r, "errno"), ENOENT);
	json_decref(r);

	r = call("{s:s}", "op", "meminfo");
	assert_ok(r);
	m = json_object_get(r, "meminfo");
	assert_true(num(m, "MemTotal") > 1024);
	assert_true(json_is_integer(json_object_get(m, "Dirty")));
	assert_true(num(m, "MemFree") <= num(m, "MemTotal"));
	json_decref(r);

	r = call("{s:s}", "op", "blockdevs");
	assert_ok(r);
	json_array_foreach(json_object_get(r, "blockdevs"), i, dev)
	{
		assert_non_null(str(dev, "name"));
		assert_true(strncmp(str(dev, "name"), "loop", 4));
		assert_true(json_is_integer(json_object_get(dev, "size_bytes")));
		assert_true(json_is_string(json_object_get(dev, "serial")) ||
		            json_is_null(json_object_get(dev, "serial")));
	}
	json_decref(r);

	r = call("{s:s}", "op", "kmsg");
	assert_ok(r);
	assert_true(json_is_array(json_object_get(r, "lines")));
	json_decref(r);
}

/* Whatever bytes a program prints, the reply stays valid JSON that the host can load. */
static void test_guest_text_is_always_json(void **state)
{
	unsigned int seed = 1;
	char buf[64];

	for (int round = 0; round < 20000; round++) {
		size_t n = rand_r(&seed) % sizeof(buf);
		json_t *s, *back;
		char *text;

		for (size_t i = 0; i < n; i++) {
			/* Mostly high bytes, where the UTF-8 edge cases are. */
			int b = rand_r(&seed) & 0xff;

			buf[i] = (char)(b < 0x40 ? b + 0x80 : b);
		}
		s = guest_text(buf, n);
		assert_non_null(s);
		assert_int_equal(json_string_length(s), n);
		text = json_dumps(s, JSON_ENCODE_ANY);
		back = json_loads(text, JSON_DECODE_ANY, NULL);
		assert_non_null(back);
		assert_true(json_equal(s, back));
		json_decref(back);
		json_decref(s);
		free(text);
	}
	/* Valid multi-byte text is kept as it is. */
	static const char valid[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	static const char invalid[] = "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82";
	json_t *s = guest_text(valid, strlen(valid));

	assert_string_equal(json_string_value(s), valid);
	json_decref(s);
	/* Overlong, surrogate, beyond U+10FFFF, truncated. */
	s = guest_text(invalid, strlen(invalid));
	assert_string_equal(json_string_value(s), "??|???|????|??");
	json_decref(s);
}

/* ---- the real agent binary, serving on a socketpair ---- */

static char *agent_binary(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *p;

	if (getenv("IOLAB_AGENT"))
		return xstrdup(getenv("IOLAB_AGENT"));
	assert_true(n > 0);
	exe[n] = '\0';
	/* build/tests/test_vm_agent or build/san/tests/test_vm_agent -> build/iolab-agent */
	p = strrchr(exe, '/');
	*p = '\0';
	p = strrchr(exe, '/');
	*p = '\0';
	if (ends_with(exe, "/san"))
		exe[strlen(exe) - 4] = '\0';
	return xasprintf("%s/iolab-agent", exe);
}

static pid_t start_agent(struct agent_conn *c)
{
	char *bin = agent_binary();
	int sv[2];
	pid_t pid;

	if (!is_executable(bin))
		fail_msg("%s is missing: run make %s first", bin, bin);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(sv[1], STDIN_FILENO);
		dup2(sv[1], STDOUT_FILENO);
		execl(bin, bin, "--stdio", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	free(bin);
	agent_open_fd(c, sv[0]);
	return pid;
}

static void test_agent_binary(void **state)
{
	struct agent_conn c;
	json_t *ready, *resp;
	int status;
	pid_t pid = start_agent(&c);

	assert_int_equal(agent_wait_ready(&c, 10, NULL, NULL, &ready), 0);
	assert_string_equal(str(ready, "agent"), GUEST_AGENT_NAME);
	assert_true(json_is_array(json_object_get(ready, "mount_errors")));
	assert_non_null(json_object_get(json_object_get(ready, "uname"), "machine"));
	json_decref(ready);

	assert_int_equal(agent_call(&c, op("hello"), 10, NULL, NULL, &resp), 0);
	assert_ok(resp);
	json_decref(resp);

	assert_int_equal(agent_call(&c,
	                            json_pack("{s:s, s:[s, s, s], s:f}", "op", "run", "argv", "sh",
	                                      "-c", "sleep 10", "timeout", 0.3),
	                            10, NULL, NULL, &resp),
	                 0);
	assert_true(json_is_true(json_object_get(resp, "timed_out")));
	json_decref(resp);

	/*
	 * A request that is not JSON still gets a reply with its seq.  The hello
	 * below reuses that seq, so agent_call takes the first reply to arrive:
	 * the broken request's.  Hello's own reply is then dropped as stale.
	 */
	send_raw(c.fd, VMP_REQUEST, 1000, "{\"op\":");
	c.next_seq = 1000;
	assert_int_equal(agent_call(&c, op("hello"), 10, NULL, NULL, &resp), 0);
	assert_false(ok(resp));
	assert_non_null(strstr(str(resp, "error"), "not valid JSON"));
	json_decref(resp);

	assert_int_equal(agent_call(&c, json_pack("{s:s, s:s}", "op", "crash_test", "mode", "exit"),
	                            10, NULL, NULL, &resp),
	                 0);
	assert_false(ok(resp));
	assert_int_equal(c.stale, 1);
	json_decref(resp);

	/* Outside a guest, poweroff answers and then just exits. */
	assert_int_equal(agent_call(&c, op("poweroff"), 10, NULL, NULL, &resp), 0);
	assert_ok(resp);
	json_decref(resp);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(agent_call(&c, op("hello"), 10, NULL, NULL, &resp), AGENT_EOF);
	agent_close(&c);

	/* And when the host hangs up, the agent exits cleanly. */
	pid = start_agent(&c);
	assert_int_equal(agent_wait_ready(&c, 10, NULL, NULL, NULL), 0);
	agent_close(&c);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ready_and_echo),
	        cmocka_unit_test(test_timeout_then_stale_dropped),
	        cmocka_unit_test(test_eof),
	        cmocka_unit_test(test_tick),
	        cmocka_unit_test(test_stale_event_noise_garbage),
	        cmocka_unit_test(test_connect_unix),
	        cmocka_unit_test(test_guest_hello_and_bad_requests),
	        cmocka_unit_test(test_guest_run),
	        cmocka_unit_test(test_guest_run_timeout),
	        cmocka_unit_test(test_guest_run_stdin_and_output),
	        cmocka_unit_test(test_guest_run_errors),
	        cmocka_unit_test(test_guest_mkfs_and_mount_failure),
	        cmocka_unit_test(test_guest_files),
	        cmocka_unit_test(test_guest_sysctl_meminfo_blockdevs_kmsg),
	        cmocka_unit_test(test_guest_text_is_always_json),
	        cmocka_unit_test(test_agent_binary),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
