// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers the agent's ops share: replies, text that is safe in JSON, small
 * kernel files (proc, sysfs, tracefs) and the kernel log.
 */
#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* From the kernel's include/linux/syslog.h; glibc does not export them. */
#define SYSLOG_ACTION_READ_ALL    3
#define SYSLOG_ACTION_SIZE_BUFFER 10

static json_t *fail_v(int err, const char *fmt, va_list ap)
{
	char msg[1024];
	json_t *r;
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (err && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	/* One line, whatever the arguments held. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	r = json_pack("{s:b, s:o}", "ok", 0, "error", guest_text(msg, strlen(msg)));
	if (err)
		json_object_set_new(r, "errno", json_integer(err));
	return r;
}

json_t *guest_fail(const char *fmt, ...)
{
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = fail_v(0, fmt, ap);
	va_end(ap);
	return r;
}

json_t *guest_fail_errno(int err, const char *fmt, ...)
{
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = fail_v(err, fmt, ap);
	va_end(ap);
	return r;
}

/* Length of the valid UTF-8 sequence at s, or 0; the rules jansson checks. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t len;

	if (c < 0x80)
		return c ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	return len;
}

json_t *guest_text(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	char *copy = NULL;
	json_t *j;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(s + i, len - i);

		if (n) {
			i += n;
			continue;
		}
		/* Copy only when needed: most output is plain ASCII. */
		if (!copy) {
			copy = malloc(len);
			if (!copy)
				return json_string("?");
			memcpy(copy, buf, len);
		}
		copy[i++] = '?';
	}
	j = json_stringn_nocheck(copy ? copy : buf, len);
	free(copy);
	return j;
}

char *guest_read(const char *path, size_t max, size_t *len, bool *truncated)
{
	size_t n = 0, alloc = 0;
	char *buf = malloc(1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = ENOMEM;

	if (truncated)
		*truncated = false;
	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		ssize_t r;

		if (n == alloc) {
			char *p, c;

			if (n == max) {
				if (truncated)
					*truncated = read(fd, &c, 1) > 0;
				break;
			}
			/* Proc and sysfs files report size 0: grow as they are read. */
			alloc = alloc ? alloc * 2 : 4096;
			if (alloc > max)
				alloc = max;
			p = realloc(buf, alloc + 1);
			if (!p)
				goto fail;
			buf = p;
		}
		r = read(fd, buf + n, alloc - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	if (fd < 0)
		err = errno;
	else
		close(fd);
	free(buf);
	errno = err;
	return NULL;
}

int guest_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t n;
	int err;

	if (fd < 0)
		return -1;
	/* Kernel files take one write; a short write means the value was refused. */
	n = write(fd, s, len);
	err = errno;
	close(fd);
	if (n == (ssize_t)len)
		return 0;
	errno = n < 0 ? err : EIO;
	return -1;
}

char *guest_read_line(const char *path)
{
	char *s = guest_read(path, 4096, NULL, NULL);
	size_t n;

	if (!s)
		return NULL;
	s[strcspn(s, "\n")] = '\0';
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

int guest_mkdir_p(const char *path, unsigned int mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

json_t *guest_klog(size_t max)
{
	json_t *lines = json_array();
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *buf, *p, *end;
	int n;

	if (size <= 0)
		return lines;
	buf = malloc(size);
	if (!buf)
		return lines;
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	end = buf + (n > 0 ? n : 0);
	for (p = buf; p < end;) {
		char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		json_array_append_new(lines, guest_text(p, len));
		p += len + 1;
	}
	free(buf);
	if (max)
		while (json_array_size(lines) > max)
			json_array_remove(lines, 0);
	return lines;
}

json_t *guest_uname(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:s}", "sysname", u.sysname, "release", u.release,
	                 "version", u.version, "machine", u.machine);
}

bool guest_cmdline_has(const char *word)
{
	char *s = guest_read("/proc/cmdline", 65536, NULL, NULL);
	bool found = false;

	if (!s)
		return false;
	for (char *tok = strtok(s, " \t\n"); tok && !found; tok = strtok(NULL, " \t\n"))
		found = !strcmp(tok, word);
	free(s);
	return found;
}

int guest_sysctl_path(const char *name, char *buf, size_t size)
{
	size_t len = strlen(name);
	int n;

	/* A name made of dotted words cannot climb out of /proc/sys. */
	if (!len || strchr(name, '/') || name[0] == '.' || name[len - 1] == '.' ||
	    strstr(name, ".."))
		return -1;
	n = snprintf(buf, size, "/proc/sys/%s", name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (char *p = buf + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}
