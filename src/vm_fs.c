// SPDX-License-Identifier: GPL-2.0
/* mkfs and mount in the guest, with errors in the words a kernel developer expects. */
#include "vm.h"

#include <stdlib.h>
#include <string.h>

#include "json_util.h"

void mount_result_free(struct mount_result *r)
{
	free(r->proc_mounts);
	free(r->ext4_options);
	memset(r, 0, sizeof(*r));
}

/* The last line of text, for one-line error messages. */
static char *last_line(const char *text)
{
	char *copy = xstrdup(text ? text : "");
	char *t = trim(copy), *nl = strrchr(t, '\n');
	char *out = xstrdup(nl ? nl + 1 : t);

	free(copy);
	return out;
}

int vm_mkfs(struct vm *vm, const char *fstype, const char *dev, const char *args)
{
	json_t *argv = json_array(), *resp = NULL;
	struct strvec sv = STRVEC_INIT;
	int r, ret = 0;

	sv_split(&sv, args ? args : "", " ");
	for (size_t i = 0; i < sv.n; i++)
		json_array_append_new(argv, json_string(sv.v[i]));
	sv_clear(&sv);
	r = vm_op(vm, 600, &resp, "mkfs", "{s:s, s:s, s:o}", "fstype", fstype, "dev", dev, "args",
	          argv);
	if (r != 0) {
		ret = error("mkfs.%s %s: the guest did not answer (%s)", fstype, dev,
		            agent_strerror(r));
	} else if (!json_is_true(json_object_get(resp, "ok")) ||
	           json_integer_value(json_object_get(resp, "exit")) != 0) {
		char *why = last_line(*jstr(resp, "stderr") ? jstr(resp, "stderr")
		                                            : jstr(resp, "error"));

		ret = error("mkfs.%s %s %s failed: %s", fstype, args ? args : "", dev, why);
		free(why);
	}
	json_decref(resp);
	return ret;
}

/* "ext4: Unknown parameter 'buffered_iomap'" and friends, from the kernel log. */
static const char *rejected_option(json_t *kmsg, const char *options)
{
	static const char *const forms[] = {"Unknown parameter '", "Unrecognized mount option \""};
	static char opt[128];

	for (size_t i = json_array_size(kmsg); i > 0; i--) {
		const char *line = json_string_value(json_array_get(kmsg, i - 1));

		for (size_t f = 0; line && f < ARRAY_SIZE(forms); f++) {
			const char *q = strstr(line, forms[f]);

			if (!q)
				continue;
			q += strlen(forms[f]);
			snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(q, "'\"="), q);
			if (options && strstr(options, opt))
				return opt;
		}
	}
	return NULL;
}

int vm_mount(struct vm *vm, const char *dev, const char *dir, const char *fstype,
             const char *options, struct mount_result *res)
{
	json_t *resp = NULL;
	int r, ret = 0;

	r = vm_op(vm, 120, &resp, "mount", "{s:s, s:s, s:s, s:s}", "dev", dev, "dir", dir, "fstype",
	          fstype, "options", options ? options : "");
	if (r != 0) {
		ret = error("mount %s: the guest did not answer (%s)", dev, agent_strerror(r));
	} else if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *opt = rejected_option(json_object_get(resp, "kmsg"), options);

		if (opt)
			ret = error("kernel does not support %s: %s refused the mount option '%s' "
			            "(build a kernel with the series that adds it)",
			            opt, fstype, opt);
		else
			ret = error("mount -t %s -o %s %s %s failed: %s", fstype,
			            options && *options ? options : "defaults", dev, dir,
			            jstr(resp, "error"));
	} else if (res) {
		json_t *devt = json_object_get(resp, "dev_t");

		res->proc_mounts = xstrdup(jstr(resp, "proc_mounts"));
		if (json_is_string(json_object_get(resp, "ext4_options")))
			res->ext4_options = xstrdup(jstr(resp, "ext4_options"));
		res->major = (unsigned)json_integer_value(json_object_get(devt, "major"));
		res->minor = (unsigned)json_integer_value(json_object_get(devt, "minor"));
	}
	json_decref(resp);
	return ret;
}

int vm_umount(struct vm *vm, const char *dir)
{
	json_t *resp = NULL;
	int r = vm_op(vm, 300, &resp, "umount", "{s:s}", "dir", dir), ret = 0;

	if (r != 0 || !json_is_true(json_object_get(resp, "ok")))
		ret = error("umount %s failed: %s", dir,
		            r ? agent_strerror(r) : jstr(resp, "error"));
	json_decref(resp);
	return ret;
}
