// SPDX-License-Identifier: GPL-2.0
#include "run_command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void child_exec(struct child *c, int out_fd, int log_fd)
{
	int in = open(c->stdin_path ? c->stdin_path : "/dev/null", O_RDONLY);

	/* Own process group: a timeout kills make's whole tree, not only make. */
	setpgid(0, 0);
	if (!c->inherit_stdio) {
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		else if (log_fd >= 0)
			dup2(log_fd, STDOUT_FILENO);
		if (out_fd >= 0 && c->capture_stderr)
			dup2(out_fd, STDERR_FILENO);
		else if (log_fd >= 0)
			dup2(log_fd, STDERR_FILENO);
	}
	if (c->dir && chdir(c->dir) < 0) {
		dprintf(STDERR_FILENO, "iolab: error: cannot enter %s: %s\n", c->dir,
		        strerror(errno));
		_exit(127);
	}
	for (const char *const *e = c->env; e && *e; e++)
		putenv((char *)*e);
	signal(SIGPIPE, SIG_DFL);
	execvp(c->argv[0], (char *const *)c->argv);
	dprintf(STDERR_FILENO, "iolab: error: cannot run %s: %s\n", c->argv[0], strerror(errno));
	_exit(127);
}

static int wait_child(struct child *c, int out_rd)
{
	double deadline = c->timeout_sec > 0 ? now_seconds() + c->timeout_sec : 0;
	int status = 0;

	for (;;) {
		if (out_rd >= 0) {
			struct pollfd p = {.fd = out_rd, .events = POLLIN};
			int ms = deadline ? (int)((deadline - now_seconds()) * 1000) : -1;

			if (deadline && ms < 0)
				ms = 0;
			int r = poll(&p, 1, ms);

			if (r > 0) {
				char buf[8192];
				ssize_t n = read(out_rd, buf, sizeof(buf));

				if (n > 0) {
					sb_add(&c->out, buf, (size_t)n);
					continue;
				}
				if (n < 0 && errno == EINTR)
					continue;
				close(out_rd);
				out_rd = -1;
			}
		} else {
			pid_t r = waitpid(c->pid, &status, deadline ? WNOHANG : 0);

			if (r == c->pid)
				break;
			if (r < 0 && errno != EINTR)
				return -1;
			if (deadline) {
				struct timespec ts = {0, 20 * 1000 * 1000};

				nanosleep(&ts, NULL);
			}
		}
		if (deadline && now_seconds() > deadline && !c->timed_out) {
			c->timed_out = true;
			kill(-c->pid, SIGKILL);
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int run_command(struct child *c)
{
	int pipefd[2] = {-1, -1};
	int log_fd = -1;
	int ret;

	c->timed_out = false;
	if (c->log_path) {
		log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0)
			return error("cannot open log %s: %s", c->log_path, strerror(errno));
	}
	if (c->capture && pipe2(pipefd, O_CLOEXEC) < 0) {
		if (log_fd >= 0)
			close(log_fd);
		return -1;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		ret = -1;
		goto out;
	}
	if (c->pid == 0)
		child_exec(c, pipefd[1], log_fd);
	/* Also set here: the parent may signal the group before the child runs. */
	setpgid(c->pid, c->pid);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	pipefd[1] = -1;
	ret = wait_child(c, pipefd[0]);
	pipefd[0] = -1;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (log_fd >= 0)
		close(log_fd);
	return ret;
}

static void collect_args(struct strvec *sv, const char *arg0, va_list ap)
{
	for (const char *a = arg0; a; a = va_arg(ap, const char *))
		sv_push(sv, a);
}

int run_simple(const char *dir, const char *log_path, const char *arg0, ...)
{
	struct strvec sv = STRVEC_INIT;
	struct child c = {0};
	va_list ap;
	int ret;

	va_start(ap, arg0);
	collect_args(&sv, arg0, ap);
	va_end(ap);
	c.argv = (const char *const *)sv.v;
	c.dir = dir;
	c.log_path = log_path;
	ret = run_command(&c);
	sb_release(&c.out);
	sv_clear(&sv);
	return ret;
}

char *run_capture(const char *dir, const char *arg0, ...)
{
	struct strvec sv = STRVEC_INIT;
	struct child c = {0};
	va_list ap;
	char *out = NULL;

	va_start(ap, arg0);
	collect_args(&sv, arg0, ap);
	va_end(ap);
	c.argv = (const char *const *)sv.v;
	c.dir = dir;
	c.capture = true;
	c.log_path = "/dev/null";
	if (run_command(&c) == 0) {
		char *s = sb_detach(&c.out);

		out = xstrdup(trim(s));
		free(s);
	}
	sb_release(&c.out);
	sv_clear(&sv);
	return out;
}

char *argv_to_shell(const char *const *argv)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a != '\0';

		for (const char *p = a; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			            "0123456789-_./=:,+@%",
			            *p))
				plain = false;
		if (i)
			sb_addc(&sb, ' ');
		if (plain) {
			sb_adds(&sb, a);
			continue;
		}
		sb_addc(&sb, '\'');
		for (const char *p = a; *p; p++) {
			if (*p == '\'')
				sb_adds(&sb, "'\\''");
			else
				sb_addc(&sb, *p);
		}
		sb_addc(&sb, '\'');
	}
	return sb_detach(&sb);
}
