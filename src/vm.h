/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_VM_H
#define IOLAB_VM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "opts.h"
#include "util.h"
#include "vm_agent.h"

/* ---- console: the guest's serial log, watched while it runs ---- */

enum console_severity {
	CONSOLE_NOTE,  /* worth reporting, run goes on: WARNING, hung task, ext4 error */
	CONSOLE_FATAL, /* the guest is gone or going: panic, Oops, BUG */
};

struct console_watch {
	char *path;
	off_t offset;
	struct strbuf partial; /* an unfinished last line */
	/* The last lines seen, for error messages. */
	char *ring[40];
	size_t ring_next;
	/* Problems found: [{"kind","severity","line","excerpt"}]. */
	json_t *problems;
	/* Lines still to append to the excerpt of the newest problem. */
	int excerpt_left;
	bool fatal;
	size_t lines;
};

void console_init(struct console_watch *w, const char *path);
void console_free(struct console_watch *w);
/* Reads what the guest printed since the last call; returns true on a new fatal problem. */
bool console_poll(struct console_watch *w);
/* Feeds text directly (tests, and console_poll's reader). */
void console_feed(struct console_watch *w, const char *data, size_t len);
/* The last n lines seen, joined; caller frees. */
char *console_tail(const struct console_watch *w, size_t n);
/* Classifies one console line; NULL when it is no problem. */
const char *console_classify(const char *line, enum console_severity *sev);

/* ---- the VM ---- */

enum vm_device {
	VM_DEV_VIRTIO_BLK,
	VM_DEV_NVME,
	VM_DEV_PMEM,
};
const char *vm_device_name(enum vm_device d);
int vm_device_parse(const char *s, enum vm_device *d);

/* Where memory-backed disks live: a tmpfs, so their bytes are host memory. */
#define VM_MEMORY_DIR "/dev/shm"

struct vm_config {
	const char *kernel; /* key, prefix, path or "latest" */
	const char *image;  /* key, prefix, path or NULL for the newest default image */
	enum vm_device device;
	int disks;
	int64_t disk_size;
	const char *backing; /* "memory" (VM_MEMORY_DIR) or a directory */
	int64_t mem;
	int cpus;
	const char *accel;   /* "auto", "kvm", "tcg" */
	const char *run_dir; /* where console.log, qemu.cmdline... go; NULL: results/vm/<id> */
	double boot_timeout;
	const char *extra_cmdline;
	bool shell; /* attach a virtconsole to the terminal for an interactive shell */
};

struct vm_disk {
	char *backing;    /* host file */
	char *serial;     /* iolabN */
	char *guest_path; /* /dev/vdb, /dev/nvme0n1, /dev/pmem0 */
};

struct vm {
	struct vm_config cfg;
	pid_t qemu;
	char *run_dir;
	char *sock;
	char *qemu_log;
	char *cmdline; /* the exact QEMU command line */
	char *kernel_dir;
	char *image_path;
	char *accel;        /* what this VM runs on: "kvm" or "tcg" */
	char *accel_reason; /* why, when auto chose TCG */
	struct vm_disk *disks;
	int ndisks;
	struct console_watch console;
	struct agent_conn agent;
	json_t *ready;
	double boot_seconds;
	bool qemu_exited;
	int qemu_status;
	bool boot_retried; /* a crash in early boot gets one more boot */
	/* Why the VM failed, one line, when it did. */
	char *failure;
};

/* Exit-style codes of vm_call beyond agent.h's (positive, from the tick). */
#define VM_KERNEL_FATAL 1 /* panic/Oops/BUG on the console */
#define VM_QEMU_EXITED  2 /* QEMU went away */
#define VM_ACCEL_FAILED 3 /* KVM cannot run this guest */
#define VM_REFUSED      4 /* vm_guest_*: the agent answered that it could not (no such file) */

/*
 * Boots to agent-ready.  With accel auto, tries KVM only when /dev/kvm opens
 * and falls back to TCG (saying why) when the guest cannot reach the agent
 * under it.  On failure: one error with the last console lines; nothing left
 * running.
 */
int vm_start(const struct vm_config *cfg, struct vm *vm);
/* One agent request with console watching; returns 0, an AGENT_ code or a VM_ code. */
int vm_call(struct vm *vm, json_t *request, double timeout_s, json_t **response);
/* Convenience: builds {"op": op, ...} from a jansson pack format. */
int vm_op(struct vm *vm, double timeout_s, json_t **response, const char *op, const char *fmt, ...);
/* Powers the guest off (or kills QEMU), removes backing files, writes vm.json. */
int vm_stop(struct vm *vm);
/* Other lab VMs running on this host right now (any iolab process). */
int vm_other_lab_vms(const struct vm *vm);
/* Kills every VM this process started (signal handlers, atexit). */
void vm_kill_all(void);
/* Metadata of this VM for results: accel, qemu version, command line, devices. */
json_t *vm_describe(const struct vm *vm);
/* "qemu-system-x86_64 --version" first line. */
char *vm_qemu_version(void);

/* ---- what a builtin asks of a running guest (vm_guest.c) ---- */

/* Seconds the agent gets on top of a command's own time limit to reply. */
#define VM_RUN_GRACE 30.0
/* Why a guest stopped answering (a vm_call code): "the kernel crashed", "QEMU exited", ... */
const char *vm_lost_reason(int rc);
/*
 * Runs argv (a JSON array of strings, stolen) in the guest, killed after
 * timeout seconds.  0 with *resp the agent's reply (ok, exit, stdout,
 * stderr, timed_out), or the vm_call code when the guest did not answer.
 */
int vm_guest_run(struct vm *vm, json_t *argv, double timeout, json_t **resp);
/* A NULL-terminated argv as the JSON array vm_guest_run takes. */
json_t *vm_argv(const char *const *argv);
/*
 * A guest file (*data, caller frees; a file cut at the agent's cap says so
 * at its end) / writing one with mode.  0 when done; otherwise *why (caller
 * frees) says why, and the return is VM_REFUSED when the agent answered
 * that it could not, or the vm_call code that lost the guest.
 */
int vm_guest_read(struct vm *vm, const char *path, double timeout, char **data, char **why);
int vm_guest_write(struct vm *vm, const char *path, const char *data, int mode, char **why);

/* ---- the options of a guest, declared once (vm_options.c) ---- */

/*
 * What a command that boots a guest parses: a builtin embeds this struct
 * and joins vm_options to its own rows with opts_join(), offering the ones
 * it lets a user change.
 */
struct vm_args {
	char *kernel;
	char *image;
	char *device;
	long disks;
	int64_t disk_size;
	char *backing;
	int64_t mem;
	long cpus;
	char *accel;
	char *run_dir;
	long boot_timeout;
	char *cmdline;
	/* Not the guest's: what 'iolab vm' makes and mounts on the first disk once it is up. */
	char *mkfs;
	char *mount;
};
extern const struct opt vm_options[];
/* Defaults the bench matrix's guest keys share with vm_options, as typed. */
#define VM_DEFAULT_MEM     "2G"
#define VM_DEFAULT_CPUS    "2"
#define VM_DEFAULT_BACKING "memory"
/* The guest options parsed into a config; c points into a, which must outlive it. */
void vm_config_from_args(const struct vm_args *a, struct vm_config *c);
/* The config of vm_options' defaults. */
void vm_config_defaults(struct vm_config *cfg);

/* ---- file systems in the guest (vm_fs.c) ---- */
struct mount_result {
	char *proc_mounts;
	char *ext4_options;
	unsigned major, minor;
};
/* mkfs on a guest device; returns 0 or -1 after one error line (mkfs's own words). */
int vm_mkfs(struct vm *vm, const char *fstype, const char *dev, const char *args);
/*
 * mount; on failure one error line.  A rejected series option is reported
 * as "kernel does not support <option>" rather than as EINVAL.
 */
int vm_mount(struct vm *vm, const char *dev, const char *dir, const char *fstype,
             const char *options, struct mount_result *res);
int vm_umount(struct vm *vm, const char *dir);
void mount_result_free(struct mount_result *r);

#endif
