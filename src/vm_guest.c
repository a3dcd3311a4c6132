// SPDX-License-Identifier: GPL-2.0
/*
 * What every builtin asks of a running guest (a bench sample, an fstests
 * run, `iolab vm run`): run a command, read a file, write a file.  One
 * request each, the agent's grace on top of a command's own time limit, and
 * one way to say why a guest stopped answering, so that a crash reads the
 * same in a sample's failure, an fstests log and a terminal.
 */
#include "vm.h"

#include <string.h>

#include "json_util.h"
#include "util.h"

const char *vm_lost_reason(int rc)
{
	return rc == VM_KERNEL_FATAL  ? "the kernel crashed"
	       : rc == VM_QEMU_EXITED ? "QEMU exited"
	                              : agent_strerror(rc);
}

int vm_guest_run(struct vm *vm, json_t *argv, double timeout, json_t **resp)
{
	/* The agent kills the command at timeout; the grace covers its reply. */
	return vm_op(vm, timeout + VM_RUN_GRACE, resp, "run", "{s:o, s:f}", "argv", argv, "timeout",
	             timeout);
}

json_t *vm_argv(const char *const *argv)
{
	json_t *a = json_array();

	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

/* 0 when the agent did it; else the lost code, or VM_REFUSED, with *why. */
static int settle(int rc, json_t *resp, char **why)
{
	if (rc != 0) {
		*why = xstrdup(vm_lost_reason(rc));
		return rc;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *e = jstr_nonempty(resp, "error");

		*why = xstrdup(e ? e : "the agent refused without saying why");
		return VM_REFUSED;
	}
	return 0;
}

int vm_guest_read(struct vm *vm, const char *path, double timeout, char **data, char **why)
{
	json_t *resp = NULL;
	int r = vm_op(vm, timeout, &resp, "read_file", "{s:s}", "path", path);

	/* Apart from the call: resp is set by it, and C leaves argument order open. */
	r = settle(r, resp, why);

	*data = NULL;
	if (r == 0) {
		struct strbuf sb = STRBUF_INIT;

		*why = NULL;
		sb_adds(&sb, jstr(resp, "data"));
		if (json_is_true(json_object_get(resp, "truncated")))
			sb_addf(&sb, "\n[iolab: the guest's file was larger; cut at %zu bytes]\n",
			        sb.len);
		*data = sb_detach(&sb);
	}
	json_decref(resp);
	return r;
}

int vm_guest_write(struct vm *vm, const char *path, const char *data, int mode, char **why)
{
	json_t *resp = NULL;
	int r = vm_op(vm, 60, &resp, "write_file", "{s:s, s:s, s:i}", "path", path, "data", data,
	              "mode", mode);

	r = settle(r, resp, why);

	if (r == 0)
		*why = NULL;
	json_decref(resp);
	return r;
}
