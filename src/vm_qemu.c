// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU: q35, direct kernel boot, the image as a read-only virtio-blk root,
 * the agent on a virtio-serial port, and the disks under test on
 * virtio-blk, NVMe or nvdimm (pmem).  Whatever happens, the lab comes back
 * with either the guest's answer or an account of what went wrong, and
 * leaves no QEMU and no backing file behind.
 */
#include "vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "image.h"
#include "kernel.h"
#include "run_command.h"

#define QEMU "qemu-system-x86_64"

/* Every VM of this process, so a signal or exit can tear them all down. */
static struct vm *live[16];

/*
 * Once per VM however often it boots: a KVM attempt and its TCG fallback, or
 * a boot retried after an early crash, fork QEMU twice, and a second entry
 * would outlive the VM for the exit handler to kill a stale pid.
 */
static void track(struct vm *vm, bool on)
{
	struct vm **free_slot = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(live); i++) {
		if (live[i] == vm) {
			if (!on)
				live[i] = NULL;
			return;
		}
		if (!live[i] && !free_slot)
			free_slot = &live[i];
	}
	if (on && free_slot)
		*free_slot = vm;
}

/*
 * Lab VMs on one host disturb each other's figures.  Each running VM leaves
 * a file named after its QEMU's pid here, so a sample can say how many
 * others ran beside it, whichever iolab process started them.
 */
#define REGISTRY "/tmp/iolab-vms"

static char *registry_entry(const struct vm *vm)
{
	return xasprintf("%s/%ld", REGISTRY, (long)vm->qemu);
}

static void registry_add(const struct vm *vm)
{
	char *e;

	mkdir_p(REGISTRY);
	e = registry_entry(vm);
	write_str(e, "");
	free(e);
}

static void registry_remove(const struct vm *vm)
{
	char *e;

	if (vm->qemu <= 0)
		return;
	e = registry_entry(vm);
	unlink(e);
	free(e);
}

int vm_other_lab_vms(const struct vm *vm)
{
	DIR *d = opendir(REGISTRY);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		long pid = atol(de->d_name);

		if (pid <= 0 || pid == (long)vm->qemu)
			continue;
		/* An entry whose QEMU is gone was left by a killed lab: ignore it. */
		if (kill((pid_t)pid, 0) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void unlink_backing(struct vm *vm)
{
	for (int i = 0; i < vm->ndisks; i++)
		if (vm->disks[i].backing)
			unlink(vm->disks[i].backing);
}

void vm_kill_all(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(live); i++) {
		struct vm *vm = live[i];

		if (!vm)
			continue;
		if (vm->qemu > 0 && !vm->qemu_exited) {
			kill(vm->qemu, SIGKILL);
			waitpid(vm->qemu, NULL, 0);
		}
		registry_remove(vm);
		unlink_backing(vm);
		if (vm->sock)
			unlink(vm->sock);
		live[i] = NULL;
	}
}

static void on_signal(int sig)
{
	vm_kill_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_cleanup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	atexit(vm_kill_all);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

const char *vm_device_name(enum vm_device d)
{
	switch (d) {
	case VM_DEV_VIRTIO_BLK:
		return "virtio-blk";
	case VM_DEV_NVME:
		return "nvme";
	case VM_DEV_PMEM:
		return "pmem";
	}
	return "?";
}

int vm_device_parse(const char *s, enum vm_device *d)
{
	if (!strcmp(s, "virtio-blk") || !strcmp(s, "virtio"))
		*d = VM_DEV_VIRTIO_BLK;
	else if (!strcmp(s, "nvme"))
		*d = VM_DEV_NVME;
	else if (!strcmp(s, "pmem"))
		*d = VM_DEV_PMEM;
	else
		return error("unknown device '%s' (virtio-blk, nvme or pmem)", s);
	return 0;
}

char *vm_qemu_version(void)
{
	char *v = run_capture(NULL, QEMU, "--version", NULL);
	char *nl;

	if (!v)
		return xstrdup("unknown");
	nl = strchr(v, '\n');
	if (nl)
		*nl = '\0';
	return v;
}

/* O_DIRECT (cache=none) is what a real disk gets; tmpfs cannot do it. */
static bool supports_odirect(const char *path)
{
	int fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int create_backing(struct vm *vm, int i, const char *dir, const char *tag)
{
	struct vm_disk *d = &vm->disks[i];
	int fd;

	d->backing = xasprintf("%s/iolab-%ld-%s-%d.img", dir, (long)getpid(), tag, i);
	d->serial = xasprintf("iolab%d", i);
	fd = open(d->backing, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return error("cannot create disk backing %s: %s", d->backing, strerror(errno));
	if (ftruncate(fd, vm->cfg.disk_size) < 0) {
		close(fd);
		return error("cannot size %s to %lld bytes: %s", d->backing,
		             (long long)vm->cfg.disk_size, strerror(errno));
	}
	close(fd);
	return 0;
}

static void add_disks(struct vm *vm, struct strvec *a)
{
	for (int i = 0; i < vm->ndisks; i++) {
		struct vm_disk *d = &vm->disks[i];

		switch (vm->cfg.device) {
		case VM_DEV_VIRTIO_BLK: {
			bool odirect = supports_odirect(d->backing);

			sv_push(a, "-drive");
			sv_pushf(a, "if=none,id=disk%d,file=%s,format=raw,%s", i, d->backing,
			         odirect ? "cache=none,aio=io_uring"
			                 : "cache=writeback,aio=io_uring");
			sv_push(a, "-device");
			sv_pushf(a, "virtio-blk-pci,drive=disk%d,serial=%s", i, d->serial);
			/* vda is the root image. */
			free(d->guest_path);
			d->guest_path = xasprintf("/dev/vd%c", 'b' + i);
			break;
		}
		case VM_DEV_NVME:
			sv_push(a, "-drive");
			sv_pushf(a, "if=none,id=disk%d,file=%s,format=raw,cache=writeback", i,
			         d->backing);
			sv_push(a, "-device");
			sv_pushf(a, "nvme,drive=disk%d,serial=%s", i, d->serial);
			free(d->guest_path);
			d->guest_path = xasprintf("/dev/nvme%dn1", i);
			break;
		case VM_DEV_PMEM:
			sv_push(a, "-object");
			sv_pushf(a, "memory-backend-file,id=pmem%d,share=on,mem-path=%s,size=%lld",
			         i, d->backing, (long long)vm->cfg.disk_size);
			sv_push(a, "-device");
			sv_pushf(a, "nvdimm,id=nvdimm%d,memdev=pmem%d", i, i);
			free(d->guest_path);
			d->guest_path = xasprintf("/dev/pmem%d", i);
			break;
		}
	}
}

static void build_argv(struct vm *vm, const char *accel, struct strvec *a)
{
	const struct vm_config *c = &vm->cfg;
	char *bz = path_join(vm->kernel_dir, "bzImage");
	bool pmem = c->device == VM_DEV_PMEM;

	sv_push(a, QEMU);
	sv_push(a, "-machine");
	sv_pushf(a, "q35%s", pmem ? ",nvdimm=on" : "");
	sv_push(a, "-accel");
	/*
	 * Multi-threaded TCG lets one vCPU run stale code while another patches
	 * kernel text (static keys, tracepoints: "Oops: int3" in __schedule);
	 * one TCG thread for all vCPUs keeps cross-modified code coherent.
	 */
	sv_push(a, !strcmp(accel, "tcg") ? "tcg,thread=single" : accel);
	sv_push(a, "-cpu");
	sv_push(a, !strcmp(accel, "kvm") ? "host" : "max");
	sv_push(a, "-smp");
	sv_pushf(a, "%d", c->cpus);
	sv_push(a, "-m");
	if (pmem)
		sv_pushf(a, "%lldM,slots=%d,maxmem=%lldM", (long long)(c->mem >> 20),
		         vm->ndisks + 1,
		         (long long)((c->mem + (int64_t)vm->ndisks * c->disk_size) >> 20) + 1024);
	else
		sv_pushf(a, "%lldM", (long long)(c->mem >> 20));
	sv_push(a, "-nodefaults");
	sv_push(a, "-no-user-config");
	sv_push(a, "-display");
	sv_push(a, "none");
	sv_push(a, "-no-reboot");
	sv_push(a, "-kernel");
	sv_push(a, bz);
	sv_push(a, "-append");
	sv_pushf(a,
	         "console=ttyS0 root=/dev/vda ro rootfstype=squashfs init=/sbin/iolab-agent "
	         "panic=-1 loglevel=6 printk.time=1%s%s",
	         c->extra_cmdline ? " " : "", c->extra_cmdline ? c->extra_cmdline : "");
	sv_push(a, "-serial");
	sv_pushf(a, "file:%s/console.log", vm->run_dir);
	sv_push(a, "-drive");
	sv_pushf(a, "if=none,id=root,file=%s,format=raw,readonly=on", vm->image_path);
	sv_push(a, "-device");
	sv_push(a, "virtio-blk-pci,drive=root,serial=iolab-root");
	sv_push(a, "-device");
	sv_push(a, "virtio-serial-pci,id=vser");
	sv_push(a, "-chardev");
	sv_pushf(a, "socket,id=agent,path=%s,server=on,wait=off", vm->sock);
	sv_push(a, "-device");
	sv_pushf(a, "virtserialport,chardev=agent,name=%s", VMP_PORT_NAME);
	if (c->shell) {
		sv_push(a, "-chardev");
		sv_push(a, "stdio,id=shell,signal=off");
		sv_push(a, "-device");
		sv_push(a, "virtconsole,chardev=shell");
	}
	add_disks(vm, a);
	free(bz);
}

static int spawn_qemu(struct vm *vm, const char *accel)
{
	struct strvec a = STRVEC_INIT;
	char *con = xasprintf("%s/console.log", vm->run_dir);
	char *cmdfile = xasprintf("%s/qemu.cmdline", vm->run_dir);
	int logfd;

	build_argv(vm, accel, &a);
	free(vm->cmdline);
	vm->cmdline = argv_to_shell((const char *const *)a.v);
	write_file(cmdfile, vm->cmdline, strlen(vm->cmdline));
	/* A fresh console per attempt, so a failed KVM try does not pollute the TCG one. */
	unlink(con);
	unlink(vm->sock);
	console_free(&vm->console);
	console_init(&vm->console, con);
	logfd = open(vm->qemu_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	fflush(NULL);
	vm->qemu = fork();
	if (vm->qemu == 0) {
		int in = open("/dev/null", O_RDONLY);

		/* QEMU must not outlive the lab, even when the lab is SIGKILLed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/*
		 * Its own process group keeps Ctrl-C for the lab to handle; a shell's
		 * QEMU must stay in the terminal's foreground group to read from it.
		 */
		if (!vm->cfg.shell)
			setpgid(0, 0);
		if (!vm->cfg.shell && in >= 0)
			dup2(in, 0);
		if (logfd >= 0) {
			if (!vm->cfg.shell)
				dup2(logfd, 1);
			dup2(logfd, 2);
		}
		execvp(a.v[0], a.v);
		dprintf(2, "cannot run %s: %s\n", a.v[0], strerror(errno));
		_exit(127);
	}
	if (logfd >= 0)
		close(logfd);
	vm->qemu_exited = false;
	sv_clear(&a);
	free(con);
	free(cmdfile);
	if (vm->qemu < 0)
		return error("cannot fork QEMU: %s", strerror(errno));
	track(vm, true);
	return 0;
}

static bool qemu_alive(struct vm *vm)
{
	int st;

	if (vm->qemu_exited || vm->qemu <= 0)
		return false;
	if (waitpid(vm->qemu, &st, WNOHANG) == vm->qemu) {
		vm->qemu_exited = true;
		vm->qemu_status = st;
		return false;
	}
	return true;
}

static bool qemu_log_has(struct vm *vm, const char *needle)
{
	char *log = read_file(vm->qemu_log, NULL);
	bool has = log && strstr(log, needle);

	free(log);
	return has;
}

static int tick(void *arg)
{
	struct vm *vm = arg;

	if (console_poll(&vm->console))
		return VM_KERNEL_FATAL;
	if (!qemu_alive(vm)) {
		console_poll(&vm->console);
		return vm->console.fatal ? VM_KERNEL_FATAL : VM_QEMU_EXITED;
	}
	/* KVM's emulation failure pauses the guest instead of ending QEMU. */
	if (!strcmp(vm->accel, "kvm") && qemu_log_has(vm, "KVM internal error"))
		return VM_ACCEL_FAILED;
	return 0;
}

static void kill_qemu(struct vm *vm)
{
	registry_remove(vm);
	if (vm->qemu > 0 && qemu_alive(vm)) {
		kill(vm->qemu, SIGKILL);
		waitpid(vm->qemu, &vm->qemu_status, 0);
		vm->qemu_exited = true;
	}
	agent_close(&vm->agent);
	vm->agent.fd = -1;
}

static char *first_line_of(const char *path, const char *needle)
{
	char *text = read_file(path, NULL), *p, *out = NULL;

	if (text && (p = strstr(text, needle)))
		out = xstrndup(p, strcspn(p, "\n"));
	free(text);
	return out;
}

/* One boot attempt; 0 when the agent said ready. */
static int boot_once(struct vm *vm, const char *accel, double timeout)
{
	double t0 = now_seconds();
	int r;

	free(vm->accel);
	vm->accel = xstrdup(accel);
	if (spawn_qemu(vm, accel) < 0)
		return -1;
	memset(&vm->agent, 0, sizeof(vm->agent));
	vm->agent.fd = -1;
	/* The socket appears once QEMU has parsed its arguments. */
	while (!path_exists(vm->sock) && qemu_alive(vm) && now_seconds() - t0 < 10) {
		struct timespec ts = {0, 5 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	if (!qemu_alive(vm))
		return VM_QEMU_EXITED;
	if (agent_connect_unix(&vm->agent, vm->sock, 10) < 0)
		return VM_QEMU_EXITED;
	json_decref(vm->ready);
	vm->ready = NULL;
	r = agent_wait_ready(&vm->agent, timeout - (now_seconds() - t0), tick, vm, &vm->ready);
	vm->boot_seconds = now_seconds() - t0;
	return r;
}

static bool kvm_opens(char **why)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		*why = xasprintf("/dev/kvm does not open (%s)", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static char *boot_failure(struct vm *vm, int r)
{
	char *tail;
	char *why;

	console_poll(&vm->console);
	tail = console_tail(&vm->console, 15);
	switch (r) {
	case AGENT_TIMEOUT:
		why = xasprintf("the guest did not reach the agent within %.0f s",
		                vm->cfg.boot_timeout);
		break;
	case VM_KERNEL_FATAL:
		why = xstrdup("the kernel crashed while booting");
		break;
	case VM_QEMU_EXITED:
	case AGENT_EOF: {
		char *qerr = first_line_of(vm->qemu_log, "qemu-system");

		why = qerr ? xasprintf("QEMU exited: %s", qerr)
		           : xstrdup("QEMU exited before the agent was ready (no init? a panic?)");
		free(qerr);
		break;
	}
	default:
		why = xasprintf("boot failed (%s)", agent_strerror(r));
	}
	{
		char *msg = xasprintf("%s; last console lines (%s/console.log):\n%s", why,
		                      vm->run_dir, *tail ? tail : "    (nothing)\n");

		free(why);
		free(tail);
		return msg;
	}
}

static char *new_run_dir(void)
{
	char *stamp = stamp_now();
	char *dir = xasprintf("results/vm/%s-%ld", stamp, (long)getpid());

	free(stamp);
	return dir;
}

static int resolve_inputs(struct vm *vm)
{
	const struct vm_config *c = &vm->cfg;

	vm->kernel_dir = kernel_dir(c->kernel);
	if (!vm->kernel_dir)
		return error("no cached kernel matches '%s' (build one with 'iolab kernel build')",
		             c->kernel);
	vm->image_path = image_path(c->image ? c->image : "latest");
	if (!vm->image_path)
		return error("no guest image matches '%s' (build one with 'iolab image build')",
		             c->image ? c->image : "latest");
	return 0;
}

/*
 * NVMe controllers probe asynchronously, so nvme0n1 need not be the first
 * disk: names come from the serial numbers the guest reports.
 */
static int map_disks(struct vm *vm)
{
	json_t *resp = NULL, *devs, *d;
	size_t i;
	int r;

	if (vm->cfg.device == VM_DEV_PMEM)
		return 0;
	r = vm_op(vm, 30, &resp, "blockdevs", NULL);
	if (r != 0) {
		vm->failure = xasprintf("the agent did not list the disks (%s)", agent_strerror(r));
		return error("%s", vm->failure);
	}
	devs = json_object_get(resp, "blockdevs");
	for (int k = 0; k < vm->ndisks; k++) {
		bool found = false;

		json_array_foreach(devs, i, d)
		{
			const char *serial = json_string_value(json_object_get(d, "serial"));
			const char *name = json_string_value(json_object_get(d, "name"));

			if (serial && name && !strcmp(serial, vm->disks[k].serial)) {
				free(vm->disks[k].guest_path);
				vm->disks[k].guest_path = xasprintf("/dev/%s", name);
				found = true;
			}
		}
		if (!found) {
			vm->failure = xasprintf("disk %s (serial %s) did not appear in the guest",
			                        vm->disks[k].guest_path, vm->disks[k].serial);
			json_decref(resp);
			return error("%s", vm->failure);
		}
	}
	json_decref(resp);
	return 0;
}

int vm_start(const struct vm_config *cfg, struct vm *vm)
{
	char *why = NULL;
	const char *dir;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->agent.fd = -1;
	install_cleanup();
	{
		char *q = which(QEMU);

		if (!q)
			return error("%s is not installed (apt-get install qemu-system-x86)", QEMU);
		free(q);
	}
	if (resolve_inputs(vm) < 0)
		return -1;
	vm->run_dir = cfg->run_dir ? xstrdup(cfg->run_dir) : new_run_dir();
	if (mkdir_p(vm->run_dir) < 0)
		return error("cannot create %s: %s", vm->run_dir, strerror(errno));
	{
		char *abs = abs_path(vm->run_dir);

		free(vm->run_dir);
		vm->run_dir = abs;
	}
	vm->qemu_log = xasprintf("%s/qemu.log", vm->run_dir);
	/* Unix socket paths are short (108 bytes): keep it out of deep result trees. */
	vm->sock = xasprintf("/tmp/iolab-%ld-%p.sock", (long)getpid(), (void *)vm);
	dir = !strcmp(cfg->backing, "memory") ? VM_MEMORY_DIR : cfg->backing;
	if (!is_dir(dir))
		return error("--backing %s: no such directory", dir);
	vm->ndisks = cfg->disks;
	vm->disks = xcalloc((size_t)vm->ndisks, sizeof(*vm->disks));
	for (int i = 0; i < vm->ndisks; i++)
		if (create_backing(vm, i, dir, vm_device_name(cfg->device)) < 0)
			goto fail;

	if (!strcmp(cfg->accel, "tcg")) {
		r = boot_once(vm, "tcg", cfg->boot_timeout);
	} else if (!strcmp(cfg->accel, "kvm") || kvm_opens(&why)) {
		/* Under KVM a healthy guest is up in a second or two. */
		double t = !strcmp(cfg->accel, "kvm") ? cfg->boot_timeout : 20;

		r = boot_once(vm, "kvm", t);
		if (r != 0 && !strcmp(cfg->accel, "auto")) {
			if (r == VM_ACCEL_FAILED) {
				char *k = first_line_of(vm->qemu_log, "KVM internal error");

				why = xasprintf("KVM cannot run this guest (%s)",
				                k ? k : "internal error");
				free(k);
			} else {
				char *f = boot_failure(vm, r);

				why = xasprintf("the guest did not come up under KVM: %.*s",
				                (int)strcspn(f, ";"), f);
				free(f);
			}
			kill_qemu(vm);
			info("accelerator: falling back to TCG: %s", why);
			r = boot_once(vm, "tcg", cfg->boot_timeout);
		}
	} else {
		info("accelerator: TCG, because %s", why);
		r = boot_once(vm, "tcg", cfg->boot_timeout);
	}
	vm->accel_reason = why;
	why = NULL;
	if (r == VM_KERNEL_FATAL && !vm->boot_retried) {
		/*
		 * Under TCG a guest now and then oopses in early boot (an int3 left by
		 * text patching racing another vCPU).  A crash before the agent is up
		 * measured nothing: keep its console log and boot once more.
		 */
		char *tail = console_tail(&vm->console, 3);
		char *con = xasprintf("%s/console.log", vm->run_dir);
		char *kept = xasprintf("%s/console-boot-crash.log", vm->run_dir);

		kill_qemu(vm);
		rename(con, kept);
		warn("the guest crashed while booting (kept in %s); booting once more:\n%s", kept,
		     tail);
		vm->boot_retried = true;
		free(tail);
		free(con);
		free(kept);
		tail = xstrdup(vm->accel);
		r = boot_once(vm, tail, cfg->boot_timeout);
		free(tail);
	}
	if (r != 0) {
		vm->failure = boot_failure(vm, r);
		error("boot failed: %s", vm->failure);
		goto fail;
	}
	if (map_disks(vm) < 0)
		goto fail;
	/* QEMU holds the backing files open now: unlinking them means no file can stray. */
	unlink_backing(vm);
	unlink(vm->sock);
	registry_add(vm);
	return 0;
fail:
	kill_qemu(vm);
	unlink_backing(vm);
	if (vm->sock)
		unlink(vm->sock);
	track(vm, false);
	free(why);
	return -1;
}

int vm_call(struct vm *vm, json_t *request, double timeout_s, json_t **response)
{
	static int timing = -1;
	char *op = NULL;
	double t0 = now_seconds();
	int r;

	if (vm->qemu_exited) {
		json_decref(request);
		return VM_QEMU_EXITED;
	}
	/* IOLAB_TIMING=1 prints each agent op's round trip: where a sample's overhead goes. */
	if (timing < 0)
		timing = getenv("IOLAB_TIMING") != NULL;
	if (timing)
		op = xstrdup(json_string_value(json_object_get(request, "op")) ?: "?");
	r = agent_call(&vm->agent, request, timeout_s, tick, vm, response);
	if (r == AGENT_EOF) {
		/* The stream ends a moment before QEMU is reaped: say which of them went. */
		double t = now_seconds();

		while (qemu_alive(vm) && now_seconds() - t < 2) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			nanosleep(&ts, NULL);
		}
		console_poll(&vm->console);
		if (vm->console.fatal)
			r = VM_KERNEL_FATAL;
		else if (!qemu_alive(vm))
			r = VM_QEMU_EXITED;
	}
	if (timing)
		fprintf(stderr, "iolab: timing: %-12s %7.1f ms\n", op, (now_seconds() - t0) * 1000);
	free(op);
	return r;
}

int vm_op(struct vm *vm, double timeout_s, json_t **response, const char *op, const char *fmt, ...)
{
	json_t *req;
	json_error_t err;
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		req = json_vpack_ex(&err, 0, fmt, ap);
		va_end(ap);
		if (!req)
			die("internal: bad request for %s: %s", op, err.text);
	} else {
		req = json_object();
	}
	json_object_set_new(req, "op", json_string(op));
	return vm_call(vm, req, timeout_s, response);
}

json_t *vm_describe(const struct vm *vm)
{
	json_t *disks = json_array();
	char *qv = vm_qemu_version();
	json_t *j;

	for (int i = 0; i < vm->ndisks; i++)
		json_array_append_new(
		        disks, json_pack("{s:s, s:s}", "serial", vm->disks[i].serial, "guest_path",
		                         vm->disks[i].guest_path ? vm->disks[i].guest_path : ""));
	j = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:s, s:o, s:f, s:O?, s:O}",
	              "accel", vm->accel ? vm->accel : "none", "accel_reason", vm->accel_reason,
	              "qemu_version", qv, "qemu_cmdline", vm->cmdline ? vm->cmdline : "", "device",
	              vm_device_name(vm->cfg.device), "backing", vm->cfg.backing, "mem_bytes",
	              (json_int_t)vm->cfg.mem, "disk_size_bytes", (json_int_t)vm->cfg.disk_size,
	              "cpus", vm->cfg.cpus, "run_dir", vm->run_dir ? vm->run_dir : "", "disks",
	              disks, "boot_seconds", vm->boot_seconds, "ready", vm->ready, "problems",
	              vm->console.problems ? vm->console.problems : json_array());
	free(qv);
	return j;
}

int vm_stop(struct vm *vm)
{
	json_t *resp = NULL;
	int ret = 0;

	if (vm->qemu > 0 && qemu_alive(vm) && vm->agent.fd >= 0) {
		double t0 = now_seconds();

		vm_op(vm, 10, &resp, "poweroff", NULL);
		json_decref(resp);
		while (qemu_alive(vm) && now_seconds() - t0 < 10) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			nanosleep(&ts, NULL);
		}
	}
	kill_qemu(vm);
	console_poll(&vm->console);
	unlink_backing(vm);
	if (vm->sock)
		unlink(vm->sock);
	track(vm, false);
	if (vm->run_dir) {
		json_t *d = vm_describe(vm);
		char *path = xasprintf("%s/vm.json", vm->run_dir);
		char *text = json_dumps(d, JSON_INDENT(2));

		if (write_str(path, text) < 0)
			ret = error("cannot write %s", path);
		free(text);
		free(path);
		json_decref(d);
	}
	for (int i = 0; i < vm->ndisks; i++) {
		free(vm->disks[i].backing);
		free(vm->disks[i].serial);
		free(vm->disks[i].guest_path);
	}
	free(vm->disks);
	console_free(&vm->console);
	json_decref(vm->ready);
	free(vm->run_dir);
	free(vm->sock);
	free(vm->qemu_log);
	free(vm->cmdline);
	free(vm->kernel_dir);
	free(vm->image_path);
	free(vm->accel);
	free(vm->accel_reason);
	free(vm->failure);
	memset(vm, 0, sizeof(*vm));
	return ret;
}
