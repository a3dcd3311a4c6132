// SPDX-License-Identifier: GPL-2.0
/*
 * The op table and the ops that are a few system calls each: mounts, files,
 * sysctls, memory and disk facts, the kernel log, power.
 */
#include "guest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

bool guest_poweroff_requested;

static const char *str_arg(json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

static json_t *op_hello(json_t *req)
{
	char *up = guest_read("/proc/uptime", 256, NULL, NULL);
	json_t *r = json_pack("{s:s, s:o, s:f}", "agent", GUEST_AGENT_NAME, "uname", guest_uname(),
	                      "uptime", up ? strtod(up, NULL) : 0.0);

	free(up);
	return r;
}

/* Mount flags that the kernel takes as flags, not in the data string. */
static const struct {
	const char *name;
	unsigned long flag;
} mount_flags[] = {
        {"ro", MS_RDONLY},         {"rw", 0},
        {"noatime", MS_NOATIME},   {"nodiratime", MS_NODIRATIME},
        {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME},
        {"lazytime", MS_LAZYTIME}, {"nosuid", MS_NOSUID},
        {"nodev", MS_NODEV},       {"noexec", MS_NOEXEC},
        {"sync", MS_SYNCHRONOUS},  {"dirsync", MS_DIRSYNC},
};

/* Splits "ro,noatime,buffered_iomap" into flags and the data string (in place). */
static unsigned long mount_options(char *opts)
{
	unsigned long flags = 0;
	char *data = opts, *tok, *save;

	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++)
			if (!strcmp(tok, mount_flags[i].name))
				break;
		if (i < sizeof(mount_flags) / sizeof(mount_flags[0])) {
			flags |= mount_flags[i].flag;
			continue;
		}
		if (data != opts)
			*data++ = ',';
		memmove(data, tok, strlen(tok));
		data += strlen(tok);
	}
	*data = '\0';
	return flags;
}

/* The /proc/mounts line of the file system mounted (last) on dir. */
static json_t *proc_mounts_line(const char *dir)
{
	char *text = guest_read("/proc/mounts", 1 << 20, NULL, NULL);
	json_t *found = json_null();
	char *save;

	if (!text)
		return found;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		size_t n = strlen(dir);

		if (sp && !strncmp(sp + 1, dir, n) && sp[1 + n] == ' ') {
			json_decref(found);
			found = json_string(line);
		}
	}
	free(text);
	return found ? found : json_null();
}

static json_t *device_facts(json_t *r, const char *dev)
{
	char real[PATH_MAX], path[PATH_MAX + 32];
	struct stat st;
	char *opts;

	json_object_set_new(r, "ext4_options", json_null());
	json_object_set_new(r, "dev_t", json_null());
	if (stat(dev, &st) < 0 || !S_ISBLK(st.st_mode) || !realpath(dev, real))
		return r;
	/* The kernel's own dev_t encoding is what trace event filters compare with. */
	json_object_set_new(r, "dev_t",
	                    json_pack("{s:i, s:i, s:I}", "major", major(st.st_rdev), "minor",
	                              minor(st.st_rdev), "kdev",
	                              (json_int_t)major(st.st_rdev) << 20 | minor(st.st_rdev)));
	snprintf(path, sizeof(path), "/proc/fs/ext4/%s/options", strrchr(real, '/') + 1);
	opts = guest_read(path, 65536, NULL, NULL);
	if (opts) {
		json_object_set_new(r, "ext4_options", json_string(opts));
		free(opts);
	}
	return r;
}

static json_t *op_mount(json_t *req)
{
	const char *dev = str_arg(req, "dev"), *dir = str_arg(req, "dir");
	const char *fstype = str_arg(req, "fstype"), *options = str_arg(req, "options");
	char real[PATH_MAX], *data;
	unsigned long flags;
	json_t *r;
	int err;

	if (!dev || !dir || !fstype)
		return guest_fail("mount: \"dev\", \"dir\" and \"fstype\" are required strings");
	if (guest_mkdir_p(dir, 0755) < 0 || !realpath(dir, real))
		return guest_fail_errno(errno, "mount: cannot create %s", dir);
	data = strdup(options ? options : "");
	if (!data)
		return guest_fail("mount: out of memory");
	flags = mount_options(data);
	if (mount(dev, real, fstype, flags, *data ? data : NULL) < 0) {
		err = errno;
		r = guest_fail_errno(err, "mount %s on %s (%s, %s) failed", dev, real, fstype,
		                     options ? options : "defaults");
		/* The kernel log says which option it refused, and why. */
		json_object_set_new(r, "kmsg", guest_klog(20));
		free(data);
		return r;
	}
	free(data);
	r = json_pack("{s:o}", "proc_mounts", proc_mounts_line(real));
	return device_facts(r, dev);
}

static json_t *op_umount(json_t *req)
{
	const char *dir = str_arg(req, "dir");

	if (!dir)
		return guest_fail("umount: \"dir\" is required");
	if (umount2(dir, 0) < 0)
		return guest_fail_errno(errno, "umount %s failed", dir);
	return json_object();
}

static json_t *op_write_file(json_t *req)
{
	const char *path = str_arg(req, "path"), *data = str_arg(req, "data");
	json_t *mode = json_object_get(req, "mode");
	size_t len = json_string_length(json_object_get(req, "data")), off = 0;
	int fd, err = 0;

	if (!path || !data || (mode && !json_is_integer(mode)))
		return guest_fail("write_file: \"path\" and \"data\" strings are required, "
		                  "\"mode\" is an integer");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	          mode ? (mode_t)json_integer_value(mode) : 0644);
	if (fd < 0)
		return guest_fail_errno(errno, "write_file: cannot open %s", path);
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		off += n;
	}
	/* An existing file keeps its mode through open(): set it explicitly. */
	if (!err && mode && fchmod(fd, (mode_t)json_integer_value(mode)) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (err)
		return guest_fail_errno(err, "write_file: cannot write %s", path);
	return json_pack("{s:I}", "size", (json_int_t)len);
}

/* A file removed in-process: under emulation, starting rm costs a tenth of a second. */
static json_t *op_unlink(json_t *req)
{
	const char *path = str_arg(req, "path");

	if (!path)
		return guest_fail("unlink: \"path\" is required");
	if (unlink(path) < 0 && errno != ENOENT)
		return guest_fail_errno(errno, "unlink: cannot remove %s", path);
	return json_object();
}

static json_t *op_read_file(json_t *req)
{
	const char *path = str_arg(req, "path");
	json_t *jmax = json_object_get(req, "max");
	size_t max = GUEST_OUTPUT_CAP, len;
	bool truncated;
	char *data;
	json_t *r;

	if (!path || (jmax && (!json_is_integer(jmax) || json_integer_value(jmax) < 0)))
		return guest_fail("read_file: \"path\" is required, \"max\" is a byte count");
	if (jmax && (size_t)json_integer_value(jmax) < max)
		max = json_integer_value(jmax);
	data = guest_read(path, max, &len, &truncated);
	if (!data)
		return guest_fail_errno(errno, "read_file: cannot read %s", path);
	r = json_pack("{s:o, s:I, s:b}", "data", guest_text(data, len), "size", (json_int_t)len,
	              "truncated", truncated);
	free(data);
	return r;
}

static json_t *op_drop_caches(json_t *req)
{
	json_t *v = json_object_get(req, "value");
	char buf[4];

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 3)
		return guest_fail("drop_caches: \"value\" must be 1, 2 or 3");
	/* Dirty pages are not dropped: write them back first. */
	sync();
	snprintf(buf, sizeof(buf), "%d", (int)json_integer_value(v));
	if (guest_write("/proc/sys/vm/drop_caches", buf) < 0)
		return guest_fail_errno(errno,
		                        "drop_caches: cannot write /proc/sys/vm/drop_caches");
	return json_object();
}

static char *sysctl_read(const char *path)
{
	char *s = guest_read(path, 65536, NULL, NULL);
	size_t n;

	if (s) {
		n = strlen(s);
		while (n && s[n - 1] == '\n')
			s[--n] = '\0';
	}
	return s;
}

static json_t *op_sysctl_get(json_t *req)
{
	const char *name = str_arg(req, "name");
	char path[512], *value;
	json_t *r;

	if (!name || guest_sysctl_path(name, path, sizeof(path)) < 0)
		return guest_fail("sysctl_get: \"name\" must be a sysctl such as vm.dirty_ratio");
	value = sysctl_read(path);
	if (!value)
		return guest_fail_errno(errno, "sysctl_get: cannot read %s", path);
	r = json_pack("{s:o}", "value", guest_text(value, strlen(value)));
	free(value);
	return r;
}

static json_t *op_sysctl_set(json_t *req)
{
	const char *name = str_arg(req, "name");
	json_t *v = json_object_get(req, "value");
	char path[512], buf[64], *old, *now;
	const char *value = json_string_value(v);
	json_t *r;

	if (!name || guest_sysctl_path(name, path, sizeof(path)) < 0)
		return guest_fail("sysctl_set: \"name\" must be a sysctl such as vm.dirty_ratio");
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		value = buf;
	}
	if (!value)
		return guest_fail("sysctl_set: \"value\" must be a string or an integer");
	old = sysctl_read(path);
	if (!old)
		return guest_fail_errno(errno, "sysctl_set: cannot read %s", path);
	if (guest_write(path, value) < 0) {
		free(old);
		return guest_fail_errno(errno, "sysctl_set: %s = %s refused", name, value);
	}
	now = sysctl_read(path);
	r = json_pack("{s:o, s:o}", "old", guest_text(old, strlen(old)), "value",
	              now ? guest_text(now, strlen(now)) : json_null());
	free(old);
	free(now);
	return r;
}

static json_t *op_meminfo(json_t *req)
{
	char *text = guest_read("/proc/meminfo", 65536, NULL, NULL), *save;
	json_t *m;

	if (!text)
		return guest_fail_errno(errno, "meminfo: cannot read /proc/meminfo");
	m = json_object();
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		json_object_set_new(m, line, json_integer(strtoll(colon + 1, NULL, 10)));
	}
	free(text);
	return json_pack("{s:o}", "meminfo", m);
}

/* A trimmed attribute, or JSON null when it is missing or empty. */
static json_t *sysfs_attr(const char *dev, const char *const *names)
{
	char path[512];

	for (; *names; names++) {
		char *s, *p;

		snprintf(path, sizeof(path), "/sys/block/%s/%s", dev, *names);
		s = guest_read_line(path);
		if (!s)
			continue;
		for (p = s; *p == ' ' || *p == '\t'; p++)
			;
		if (*p) {
			json_t *j = guest_text(p, strlen(p));

			free(s);
			return j;
		}
		free(s);
	}
	return json_null();
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_t *op_blockdevs(json_t *req)
{
	static const char *const serial[] = {"serial", "device/serial", NULL};
	static const char *const model[] = {"device/model", NULL};
	DIR *d = opendir("/sys/block");
	char *names[256], path[512];
	size_t n = 0;
	struct dirent *de;
	json_t *list;

	if (!d)
		return guest_fail_errno(errno, "blockdevs: cannot list /sys/block");
	while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0])) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "loop", 4) ||
		    !strncmp(de->d_name, "ram", 3))
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		char *size;

		snprintf(path, sizeof(path), "/sys/block/%s/size", names[i]);
		size = guest_read_line(path);
		/* The size file counts 512-byte sectors whatever the logical block size. */
		json_array_append_new(
		        list, json_pack("{s:s, s:I, s:o, s:o}", "name", names[i], "size_bytes",
		                        (json_int_t)(size ? strtoll(size, NULL, 10) : 0) * 512,
		                        "serial", sysfs_attr(names[i], serial), "model",
		                        sysfs_attr(names[i], model)));
		free(size);
		free(names[i]);
	}
	return json_pack("{s:o}", "blockdevs", list);
}

static json_t *op_kmsg(json_t *req)
{
	return json_pack("{s:o}", "lines", guest_klog(0));
}

static json_t *op_poweroff(json_t *req)
{
	guest_poweroff_requested = true;
	return json_object();
}

static json_t *op_crash_test(json_t *req)
{
	const char *mode = str_arg(req, "mode");

	if (!guest_cmdline_has("iolab.test=1"))
		return guest_fail(
		        "crash_test: refused, the kernel command line lacks iolab.test=1");
	if (!mode || strcmp(mode, "exit"))
		return guest_fail("crash_test: \"mode\" must be \"exit\"");
	dprintf(STDERR_FILENO, "iolab-agent: crash_test: exiting without a reply, as asked\n");
	exit(1);
}

static const struct {
	const char *name;
	json_t *(*fn)(json_t *req);
} ops[] = {
        {"hello", op_hello},
        {"run", op_run},
        {"mkfs", op_mkfs},
        {"mount", op_mount},
        {"umount", op_umount},
        {"write_file", op_write_file},
        {"unlink", op_unlink},
        {"read_file", op_read_file},
        {"drop_caches", op_drop_caches},
        {"sysctl_get", op_sysctl_get},
        {"sysctl_set", op_sysctl_set},
        {"meminfo", op_meminfo},
        {"blockdevs", op_blockdevs},
        {"trace_start", op_trace_start},
        {"trace_stop", op_trace_stop},
        {"kmsg", op_kmsg},
        {"shell", op_shell},
        {"poweroff", op_poweroff},
        {"crash_test", op_crash_test},
};

json_t *guest_dispatch(json_t *req)
{
	const char *op = str_arg(req, "op");
	char known[512] = "";
	json_t *r;

	if (!json_is_object(req))
		return guest_fail("the request is not a JSON object");
	if (!op)
		return guest_fail("the request has no \"op\" string");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(op, ops[i].name))
			continue;
		r = ops[i].fn(req);
		if (!r)
			return guest_fail("%s: out of memory", op);
		if (!json_object_get(r, "ok"))
			json_object_set_new(r, "ok", json_true());
		return r;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
		         i ? ", " : "", ops[i].name);
	return guest_fail("unknown op \"%s\" (known: %s)", op, known);
}
