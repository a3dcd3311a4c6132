// SPDX-License-Identifier: GPL-2.0
/*
 * Child processes: the run and mkfs ops (captured output, a hard timeout)
 * and the shell op (an interactive bash on a console).
 */
#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After SIGKILL, how long to wait for a child stuck in the kernel (D state). */
#define KILL_GRACE_S 5.0

struct run {
	const char **argv;
	const char **env;
	const char *cwd;
	const char *in;
	size_t in_len;
	double timeout;
};

struct output {
	int fd;
	char *buf;
	size_t len;
	bool truncated;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* In the child: wires up stdio and execs; failures go back through report. */
static void child_exec(const struct run *r, int in, int out, int err, int report)
{
	sigset_t none;
	char msg[512];

	setpgid(0, 0);
	/* The agent ignores SIGPIPE; exec keeps ignored signals, so restore it. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in < 0)
		in = open("/dev/null", O_RDONLY);
	dup2(in, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	if (r->cwd && chdir(r->cwd) < 0) {
		snprintf(msg, sizeof(msg), "cannot enter %s: %s", r->cwd, strerror(errno));
		goto fail;
	}
	for (const char **e = r->env; e && *e; e++)
		putenv((char *)*e);
	execvp(r->argv[0], (char *const *)r->argv);
	snprintf(msg, sizeof(msg), "cannot run %s: %s", r->argv[0], strerror(errno));
fail:
	if (write(report, msg, strlen(msg)) < 0) {
		/* The parent then sees exit 127 without a reason. */
	}
	_exit(127);
}

/* Bytes read (beyond the cap they are dropped), 0 when none are ready, -1 at EOF. */
static ssize_t output_read(struct output *o)
{
	char chunk[65536];
	ssize_t n = read(o->fd, chunk, sizeof(chunk));
	size_t keep;
	char *p;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		close(o->fd);
		o->fd = -1;
		return -1;
	}
	/* Keep reading past the cap: a child blocked on a full pipe would never finish. */
	keep = GUEST_OUTPUT_CAP - o->len < (size_t)n ? GUEST_OUTPUT_CAP - o->len : (size_t)n;
	if (keep < (size_t)n)
		o->truncated = true;
	if (!keep)
		return n;
	p = realloc(o->buf, o->len + keep);
	if (!p) {
		o->truncated = true;
		return n;
	}
	o->buf = p;
	memcpy(o->buf + o->len, chunk, keep);
	o->len += keep;
	return n;
}

/*
 * Takes what the child left in a pipe.  A background grandchild may hold the
 * pipe open and keep writing, so this neither waits for EOF nor reads forever.
 */
static void output_drain(struct output *o)
{
	for (int i = 0; i < 256 && o->fd >= 0; i++)
		if (output_read(o) <= 0)
			break;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static json_t *run_child(const struct run *r)
{
	int inp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, rep[2] = {-1, -1};
	struct output out = {.fd = -1}, err = {.fd = -1};
	size_t in_off = 0;
	double start, end = 0, deadline;
	bool exited = false, timed_out = false, unkillable = false;
	int status = 0, save;
	char msg[512];
	ssize_t n;
	pid_t pid;
	json_t *reply;

	if ((r->in && pipe2(inp, O_CLOEXEC) < 0) || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		save = errno;
		reply = guest_fail_errno(save, "cannot create pipes for %s", r->argv[0]);
		goto out;
	}
	start = mono_now();
	deadline = start + r->timeout;
	pid = fork();
	if (pid < 0) {
		save = errno;
		reply = guest_fail_errno(save, "cannot fork for %s", r->argv[0]);
		goto out;
	}
	if (pid == 0)
		child_exec(r, inp[0], outp[1], errp[1], rep[1]);
	/* Also here: a timeout may kill the group before the child ran setpgid. */
	setpgid(pid, pid);
	close(rep[1]);
	rep[1] = -1;
	/* Returns at exec (close-on-exec) or with the reason it failed. */
	while ((n = read(rep[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	if (n > 0) {
		msg[n] = '\0';
		waitpid(pid, NULL, 0);
		reply = guest_fail("%s", msg);
		goto out;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (inp[0] >= 0) {
		close(inp[0]);
		inp[0] = -1;
		set_nonblock(inp[1]);
	}
	out.fd = outp[0];
	err.fd = errp[0];
	outp[0] = errp[0] = -1;
	set_nonblock(out.fd);
	set_nonblock(err.fd);

	for (;;) {
		struct pollfd pfd[3];
		nfds_t nfd = 0;
		double now;
		int ms;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			end = mono_now();
			exited = true;
			break;
		}
		now = mono_now();
		if (!timed_out && now >= deadline) {
			kill(-pid, SIGKILL);
			timed_out = true;
		}
		if (timed_out && now >= deadline + KILL_GRACE_S) {
			end = now;
			unkillable = true;
			break;
		}
		if (out.fd >= 0)
			pfd[nfd++] = (struct pollfd){.fd = out.fd, .events = POLLIN};
		if (err.fd >= 0)
			pfd[nfd++] = (struct pollfd){.fd = err.fd, .events = POLLIN};
		if (inp[1] >= 0)
			pfd[nfd++] = (struct pollfd){.fd = inp[1], .events = POLLOUT};
		/*
		 * Pipes hang up as the child exits; only then is a short tick needed to
		 * catch the exit itself without a SIGCHLD handler.
		 */
		ms = out.fd < 0 && err.fd < 0 ? 1 : 20;
		poll(pfd, nfd, ms);
		if (out.fd >= 0)
			output_read(&out);
		if (err.fd >= 0)
			output_read(&err);
		if (inp[1] >= 0) {
			n = in_off < r->in_len ? write(inp[1], r->in + in_off, r->in_len - in_off)
			                       : 0;
			if (n > 0)
				in_off += n;
			if (in_off == r->in_len || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
	}
	if (out.fd >= 0)
		output_drain(&out);
	if (err.fd >= 0)
		output_drain(&err);

	reply = json_object();
	json_object_set_new(reply, "exit",
	                    exited && WIFEXITED(status) ? json_integer(WEXITSTATUS(status))
	                                                : json_null());
	json_object_set_new(reply, "signal",
	                    exited && WIFSIGNALED(status) ? json_integer(WTERMSIG(status))
	                                                  : json_null());
	json_object_set_new(reply, "timed_out", json_boolean(timed_out));
	if (unkillable)
		json_object_set_new(reply, "unkillable", json_true());
	json_object_set_new(reply, "elapsed", json_real(end - start));
	json_object_set_new(reply, "stdout", guest_text(out.buf ? out.buf : "", out.len));
	json_object_set_new(reply, "stderr", guest_text(err.buf ? err.buf : "", err.len));
	json_object_set_new(reply, "truncated", json_boolean(out.truncated || err.truncated));
out:
	for (int i = 0; i < 2; i++) {
		int *fds[] = {inp, outp, errp, rep};

		for (size_t k = 0; k < 4; k++)
			if (fds[k][i] >= 0)
				close(fds[k][i]);
	}
	if (out.fd >= 0)
		close(out.fd);
	if (err.fd >= 0)
		close(err.fd);
	free(out.buf);
	free(err.buf);
	return reply;
}

/* Runs r with SIGPIPE ignored, so a child that stops reading stdin cannot kill us. */
static json_t *run_guarded(const struct run *r)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	json_t *reply;

	sigaction(SIGPIPE, &ign, &old);
	reply = run_child(r);
	sigaction(SIGPIPE, &old, NULL);
	return reply;
}

/* A NULL-terminated copy of a JSON array of strings, or NULL when it is not one. */
static const char **string_array(json_t *a, size_t extra_front, size_t extra_back)
{
	size_t n = json_array_size(a);
	const char **v;

	if (a && !json_is_array(a))
		return NULL;
	v = calloc(extra_front + n + extra_back + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s) {
			free(v);
			return NULL;
		}
		v[extra_front + i] = s;
	}
	return v;
}

static json_t *parse_timeout(json_t *req, double dflt, double *timeout)
{
	json_t *t = json_object_get(req, "timeout");

	if (!t && dflt > 0) {
		*timeout = dflt;
		return NULL;
	}
	if (!json_is_number(t) || json_number_value(t) <= 0)
		return guest_fail("%s: \"timeout\" (seconds, > 0) is required",
		                  json_string_value(json_object_get(req, "op")));
	*timeout = json_number_value(t);
	return NULL;
}

json_t *op_run(json_t *req)
{
	json_t *argv = json_object_get(req, "argv");
	json_t *in = json_object_get(req, "stdin");
	json_t *cwd = json_object_get(req, "cwd");
	json_t *reply;
	struct run r = {0};

	if (!json_is_array(argv) || !json_array_size(argv))
		return guest_fail("run: \"argv\" must be a non-empty array of strings");
	reply = parse_timeout(req, 0, &r.timeout);
	if (reply)
		return reply;
	if ((in && !json_is_string(in)) || (cwd && !json_is_string(cwd)))
		return guest_fail("run: \"stdin\" and \"cwd\" must be strings");
	r.argv = string_array(argv, 0, 0);
	r.env = string_array(json_object_get(req, "env"), 0, 0);
	if (!r.argv || !r.env) {
		reply = guest_fail("run: \"argv\" and \"env\" must be arrays of strings");
		goto out;
	}
	for (const char **e = r.env; *e; e++) {
		if (!strchr(*e, '=')) {
			reply = guest_fail("run: env entry \"%s\" is not KEY=VALUE", *e);
			goto out;
		}
	}
	r.cwd = json_string_value(cwd);
	r.in = json_string_value(in);
	r.in_len = json_string_length(in);
	reply = run_guarded(&r);
out:
	free(r.argv);
	free(r.env);
	return reply;
}

json_t *op_mkfs(json_t *req)
{
	const char *fstype = json_string_value(json_object_get(req, "fstype"));
	const char *dev = json_string_value(json_object_get(req, "dev"));
	json_t *args = json_object_get(req, "args");
	size_t nargs = json_array_size(args);
	char prog[32];
	struct run r = {0};
	json_t *reply;

	if (!fstype || (strcmp(fstype, "ext4") && strcmp(fstype, "xfs")))
		return guest_fail("mkfs: \"fstype\" must be \"ext4\" or \"xfs\"");
	if (!dev)
		return guest_fail("mkfs: \"dev\" (the block device) is required");
	reply = parse_timeout(req, 600, &r.timeout);
	if (reply)
		return reply;
	r.argv = string_array(args, 2, 1);
	if (!r.argv)
		return guest_fail("mkfs: \"args\" must be an array of strings");
	snprintf(prog, sizeof(prog), "mkfs.%s", fstype);
	r.argv[0] = prog;
	/* Force: the disks are scratch and may hold a previous run's file system. */
	r.argv[1] = strcmp(fstype, "xfs") ? "-F" : "-f";
	r.argv[2 + nargs] = dev;
	reply = run_guarded(&r);
	free(r.argv);
	return reply;
}

json_t *op_shell(json_t *req)
{
	const char *tty = json_string_value(json_object_get(req, "tty"));
	int status;
	pid_t pid;

	if (!tty || strncmp(tty, "/dev/", 5))
		return guest_fail("shell: \"tty\" must be a /dev path such as /dev/hvc0");
	if (access(tty, R_OK | W_OK) < 0)
		return guest_fail_errno(errno, "shell: cannot open %s", tty);
	pid = fork();
	if (pid < 0)
		return guest_fail_errno(errno, "shell: cannot fork");
	if (pid == 0) {
		int fd;

		setsid();
		fd = open(tty, O_RDWR);
		if (fd < 0)
			_exit(127);
		/* Take the console even when it is some other session's terminal. */
		ioctl(fd, TIOCSCTTY, 1);
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
		signal(SIGPIPE, SIG_DFL);
		setenv("TERM", "linux", 1);
		execl("/bin/bash", "bash", "-i", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return guest_fail_errno(errno, "shell: waitpid");
	return json_pack("{s:i}", "exit",
	                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
