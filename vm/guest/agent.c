// SPDX-License-Identifier: GPL-2.0
/*
 * iolab-agent: the guest's init.  It mounts the kernel file systems over a
 * read-only root, finds its virtio-serial port, says "ready" and then serves
 * the host's requests one at a time (the ops live in ops.c, run.c, trace.c).
 *
 *   iolab-agent            as PID 1 in the guest (init=/sbin/iolab-agent)
 *   iolab-agent --stdio    serve on stdin/stdout, no setup (tests on the host)
 *
 * The protocol is described in vm/README.md.
 */
#include "guest.h"
#include "vm_proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long to look for the port before powering off: the host then sees QEMU exit. */
#define PORT_WAIT_S 15

static const struct {
	const char *source, *dir, *fstype, *data;
	unsigned long flags;
	unsigned int mode; /* of a directory created first, or 0 */
} mounts[] = {
        {"proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0},
        {"sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0},
        {"devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID, 0},
        {"devpts", "/dev/pts", "devpts", "mode=0620,ptmxmode=0666", MS_NOSUID | MS_NOEXEC, 0755},
        /* fio's shared memory (SysV and POSIX) lives here. */
        {"tmpfs", "/dev/shm", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, 01777},
        {"tmpfs", "/tmp", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, 0},
        {"tmpfs", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV, 0},
        {"tmpfs", "/var/tmp", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, 0},
        {"tmpfs", "/root", "tmpfs", "mode=0700", 0, 0},
        {"tmpfs", "/mnt", "tmpfs", "mode=0755", 0, 0},
        {"tracefs", "/sys/kernel/tracing", "tracefs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0},
        {"debugfs", "/sys/kernel/debug", "debugfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0},
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line: the console is shared with the kernel's messages. */
	dprintf(STDERR_FILENO, "iolab-agent: %s\n", buf);
}

/* Whether something is mounted on dir (the kernel may have mounted /dev itself). */
static bool mounted(const char *dir)
{
	char *text = guest_read("/proc/mounts", 1 << 20, NULL, NULL), *save;
	bool found = false;

	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && !found;
	     l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');

		found = sp && !strncmp(sp + 1, dir, strlen(dir)) && sp[1 + strlen(dir)] == ' ';
	}
	free(text);
	return found;
}

static json_t *mount_all(void)
{
	json_t *errors = json_array();
	char msg[256];

	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		if (mounts[i].mode)
			mkdir(mounts[i].dir, mounts[i].mode);
		if (i > 0 && mounted(mounts[i].dir))
			continue;
		if (mount(mounts[i].source, mounts[i].dir, mounts[i].fstype, mounts[i].flags,
		          mounts[i].data) == 0)
			continue;
		snprintf(msg, sizeof(msg), "%s on %s: %s", mounts[i].fstype, mounts[i].dir,
		         strerror(errno));
		say("cannot mount %s", msg);
		json_array_append_new(errors, json_string(msg));
	}
	/* What bash and scripts expect of /dev beyond the device nodes. */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	return errors;
}

/* PID 1 may start without fds 0-2; pipes must not land there. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = open("/dev/console", O_RDWR);

		if (n < 0)
			n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

static void setup_init(json_t **mount_errors)
{
	*mount_errors = mount_all();
	ensure_stdio();
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	if (sethostname("iolab", 5) < 0)
		say("cannot set the host name: %s", strerror(errno));
	if (chdir("/root") < 0)
		say("cannot enter /root: %s", strerror(errno));
}

/* Opens /dev/<port> for the port named name, making the node if devtmpfs has none. */
static int open_port_once(const char *name)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *de;
	int fd = -1;

	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		char path[512], node[300], *s;
		unsigned int maj, min;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
		s = guest_read_line(path);
		if (!s || strcmp(s, name)) {
			free(s);
			continue;
		}
		free(s);
		snprintf(node, sizeof(node), "/dev/%s", de->d_name);
		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/dev", de->d_name);
		s = guest_read_line(path);
		if (s && sscanf(s, "%u:%u", &maj, &min) == 2 &&
		    mknod(node, S_IFCHR | 0600, makedev(maj, min)) == 0)
			fd = open(node, O_RDWR | O_CLOEXEC);
		free(s);
	}
	closedir(d);
	return fd;
}

/* Ports appear (and get their names) asynchronously during boot: wait a little. */
static int open_port(const char *name)
{
	struct timespec tick = {0, 50 * 1000 * 1000};

	for (int i = 0; i < PORT_WAIT_S * 20; i++) {
		int fd = open_port_once(name);

		if (fd >= 0)
			return fd;
		nanosleep(&tick, NULL);
	}
	return -1;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int send_frame(int fd, uint8_t type, uint32_t seq, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	unsigned char *frame = NULL;
	size_t len = text ? vmp_encode(type, seq, text, strlen(text), &frame) : 0;
	int ret;

	if (!len) {
		/* Too large (or no memory): the host still gets an answer for this seq. */
		json_t *err = guest_fail("reply too large for one frame (%zu bytes)",
		                         text ? strlen(text) : 0);

		free(text);
		text = json_dumps(err, JSON_COMPACT);
		json_decref(err);
		len = text ? vmp_encode(type, seq, text, strlen(text), &frame) : 0;
		if (!len) {
			free(text);
			return -1;
		}
	}
	ret = write_all(fd, frame, len);
	free(frame);
	free(text);
	return ret;
}

static int send_ready(int fd, json_t *mount_errors)
{
	char *cmdline = guest_read_line("/proc/cmdline");
	json_t *ev = json_pack("{s:s, s:s, s:o, s:o, s:O}", "event", "ready", "agent",
	                       GUEST_AGENT_NAME, "uname", guest_uname(), "cmdline",
	                       cmdline ? guest_text(cmdline, strlen(cmdline)) : json_null(),
	                       "mount_errors", mount_errors);
	int ret = send_frame(fd, VMP_EVENT, 0, ev);

	json_decref(ev);
	free(cmdline);
	return ret;
}

static void handle(int fd, const struct vmp_frame *f)
{
	json_error_t jerr;
	json_t *req, *reply;

	if (f->type != VMP_REQUEST) {
		say("ignoring a frame of type %u", f->type);
		return;
	}
	req = json_loadb(f->payload, f->len, 0, &jerr);
	if (!req)
		reply = guest_fail("the request is not valid JSON: %s", jerr.text);
	else
		reply = guest_dispatch(req);
	if (send_frame(fd, VMP_RESPONSE, f->seq, reply) < 0)
		say("cannot send the reply to request %u: %s", f->seq, strerror(errno));
	json_decref(req);
	json_decref(reply);
}

/* As PID 1, every orphan in the guest becomes our child. */
static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void power_off(bool init)
{
	say("powering off");
	sync();
	if (init)
		reboot(RB_POWER_OFF);
	exit(0);
}

/*
 * Without a host on the other end, a virtio port reads EOF and polls as
 * hung up until one connects again; sleep rather than spin, then greet the
 * new host with "ready" so it need not know the guest was already up.
 */
static void wait_for_host(int fd, json_t *mount_errors)
{
	struct timespec tick = {0, 100 * 1000 * 1000};

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		reap_orphans();
		if (poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP))
			break;
		nanosleep(&tick, NULL);
	}
	send_ready(fd, mount_errors);
}

static void serve(int in, int out, bool init, bool stdio, json_t *mount_errors)
{
	struct vmp_decoder dec;
	unsigned char buf[65536];

	vmp_decoder_init(&dec);
	for (;;) {
		struct pollfd p = {.fd = in, .events = POLLIN};
		struct vmp_frame f;
		ssize_t n;

		reap_orphans();
		if (poll(&p, 1, 1000) == 0)
			continue;
		n = read(in, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (stdio)
				break;
			/* A half-received request of the old connection is worthless. */
			vmp_decoder_free(&dec);
			wait_for_host(in, mount_errors);
			continue;
		}
		if (vmp_feed(&dec, buf, n) < 0) {
			say("out of memory buffering a request; dropping it");
			vmp_decoder_free(&dec);
			continue;
		}
		while (vmp_next(&dec, &f)) {
			handle(out, &f);
			free(f.payload);
			if (guest_poweroff_requested)
				power_off(init);
		}
	}
	vmp_decoder_free(&dec);
}

int main(int argc, char **argv)
{
	bool init = getpid() == 1;
	bool stdio = argc > 1 && !strcmp(argv[1], "--stdio");
	json_t *mount_errors = NULL;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if (init)
		setup_init(&mount_errors);
	if (!mount_errors)
		mount_errors = json_array();
	if (stdio) {
		send_ready(STDOUT_FILENO, mount_errors);
		serve(STDIN_FILENO, STDOUT_FILENO, init, true, mount_errors);
		json_decref(mount_errors);
		return 0;
	}
	fd = open_port(VMP_PORT_NAME);
	if (fd < 0) {
		say("error: no virtio-serial port named %s; start QEMU with "
		    "-device virtserialport,name=%s",
		    VMP_PORT_NAME, VMP_PORT_NAME);
		if (init)
			power_off(init);
		return 1;
	}
	say("serving on the virtio port %s", VMP_PORT_NAME);
	/* Blocks until the host has connected to the port's socket. */
	send_ready(fd, mount_errors);
	serve(fd, fd, init, false, mount_errors);
	return 0;
}
