// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "opts.h"
#include "bench_evidence.h"
#include "report_stats.h"
#include "vm.h"

/* What the subcommands parse: the guest's options, then their own. */
struct vm_cmd_args {
	struct vm_args vm;
	long timeout;
	char *trace;
	char *agent_op;
	long boots;
	long calls;
};

static const struct opt run_opts[] = {
        {"timeout", OPT_INT, offsetof(struct vm_cmd_args, timeout), "SECONDS",
         "kill the command after this long", "600", "1..86400"},
        {"trace", OPT_STR, offsetof(struct vm_cmd_args, trace), "EVENTS",
         "count these tracepoints (a subsystem like 'iomap', or sys/event) during the command",
         NULL, NULL},
        {"agent-op", OPT_STR, offsetof(struct vm_cmd_args, agent_op), "JSON",
         "send this raw request to the guest agent instead of a command (see vm/README.md)", NULL,
         NULL},
        OPT_END,
};

static const struct opt shell_opts[] = {
        OPT_END,
};

/* A subcommand's rows joined to every guest option; *table goes back to done_args(). */
static int parse_args(const struct cmd_usage *u, const struct opt *own, struct vm_cmd_args *a,
                      int argc, char **argv, int *rest, struct opt **table)
{
	*table = opts_join(own, vm_options, offsetof(struct vm_cmd_args, vm), NULL);
	return opts_parse(u, *table, a, argc, argv, 1, rest);
}

static void done_args(struct opt *table, struct vm_cmd_args *a)
{
	opts_free(table, a);
	free(table);
}

static const struct cmd_usage run_usage = {
        "iolab vm run [options] -- COMMAND [ARGS...]",
        "Boots a cached kernel with the guest image and the disks asked for, runs COMMAND\n"
        "in the guest through the agent, prints its output and exits with its status.\n"
        "Kernel problems on the console (oops, BUG, WARNING, hung task...) are reported and\n"
        "make the run fail even when the command succeeded.",
        "examples:\n"
        "  iolab vm run --device nvme -- cat /proc/partitions\n"
        "  iolab vm run --mkfs 'ext4:-b 65536' -- dumpe2fs -h /dev/vdb\n"
        "  iolab vm run --mkfs ext4 --mount buffered_iomap -- cat /proc/fs/ext4/vdb/options"};

static const struct cmd_usage shell_usage = {
        "iolab vm shell [options]",
        "Boots like 'vm run' and gives an interactive shell in the guest on this terminal\n"
        "(exit the shell to power the guest off).",
        NULL};

/* --mkfs and --mount on the first disk, so a command can start on a file system. */
static int prepare_fs(struct vm *vm, const struct vm_args *a)
{
	char *fstype = NULL, *args = NULL;
	int ret = 0;

	if (!a->mkfs && !a->mount)
		return 0;
	if (vm->ndisks < 1)
		return error("--mkfs/--mount need at least one disk");
	fstype = xstrdup(a->mkfs ? a->mkfs : "ext4");
	args = strchr(fstype, ':');
	if (args)
		*args++ = '\0';
	if (a->mkfs && vm_mkfs(vm, fstype, vm->disks[0].guest_path, args) < 0)
		ret = -1;
	if (ret == 0 && a->mount) {
		struct mount_result mr = {0};

		ret = vm_mount(vm, vm->disks[0].guest_path, "/mnt/test", fstype, a->mount, &mr);
		if (ret == 0)
			info("mounted %s", mr.proc_mounts);
		mount_result_free(&mr);
	}
	free(fstype);
	return ret;
}

/* Problems the console showed; a WARNING counts even when the command succeeded. */
static int report_problems(struct vm *vm)
{
	json_t *p;
	size_t i;

	console_poll(&vm->console);
	json_array_foreach(vm->console.problems, i, p)
	{
		error("kernel %s on the console: %s", json_string_value(json_object_get(p, "kind")),
		      json_string_value(json_object_get(p, "line")));
		fprintf(stderr, "%s\n", json_string_value(json_object_get(p, "excerpt")));
	}
	return (int)json_array_size(vm->console.problems);
}

static int start_trace(struct vm *vm, const char *events)
{
	struct strvec sv = STRVEC_INIT;
	json_t *list = json_array(), *resp = NULL;
	int r, ret = 0;

	sv_split(&sv, events, ", ");
	for (size_t i = 0; i < sv.n; i++)
		json_array_append_new(list, json_string(sv.v[i]));
	sv_clear(&sv);
	r = vm_op(vm, 30, &resp, "trace_start", "{s:o}", "events", list);
	if (r != 0 || !json_is_true(json_object_get(resp, "ok")))
		ret = error("--trace %s: %s", events,
		            r ? vm_lost_reason(r)
		              : json_string_value(json_object_get(resp, "error")));
	json_decref(resp);
	return ret;
}

/* One line a person can read: which tracepoints fired, and how often. */
static void stop_trace(struct vm *vm)
{
	json_t *resp = NULL, *v;
	const char *name;
	struct strbuf sb = STRBUF_INIT;

	if (vm_op(vm, 60, &resp, "trace_stop", NULL) != 0) {
		error("--trace: the guest did not return the counts");
		return;
	}
	json_object_foreach(json_object_get(resp, "by_event"), name, v)
	        sb_addf(&sb, " %s=%lld", name, (long long)json_integer_value(v));
	fprintf(stderr, "iolab: trace: %lld events, %lld of them iomap buffered I/O:%s\n",
	        (long long)json_integer_value(json_object_get(resp, "total")),
	        (long long)evidence_buffered_iomap_events(resp), sb.len ? sb.buf : " none");
	sb_release(&sb);
	json_decref(resp);
}

static int vm_run_cmd(int argc, char **argv)
{
	struct vm_cmd_args a = {0};
	struct opt *table;
	struct vm_config cfg;
	struct vm vm;
	json_t *args, *resp = NULL;
	int rest, r, ret = 1;

	r = parse_args(&run_usage, run_opts, &a, argc, argv, &rest, &table);
	if (r || (rest >= argc && !a.agent_op)) {
		if (!r)
			error("iolab vm run needs a command after '--' (see --help)");
		done_args(table, &a);
		return r > 0 ? 0 : 2;
	}
	vm_config_from_args(&a.vm, &cfg);
	if (vm_start(&cfg, &vm) < 0) {
		done_args(table, &a);
		return 1;
	}
	info("guest up in %.2f s under %s (run dir %s)", vm.boot_seconds, vm.accel, vm.run_dir);
	if (prepare_fs(&vm, &a.vm) < 0)
		goto out;
	if (a.agent_op) {
		json_error_t jerr;
		json_t *req = json_loads(a.agent_op, 0, &jerr);

		if (!req || !json_is_object(req)) {
			error("--agent-op: not a JSON object: %s", req ? "" : jerr.text);
			json_decref(req);
			goto out;
		}
		r = vm_call(&vm, req, (double)a.timeout + VM_RUN_GRACE, &resp);
	} else {
		if (a.trace && start_trace(&vm, a.trace) < 0)
			goto out;
		args = json_array();
		for (int i = rest; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		r = vm_guest_run(&vm, args, (double)a.timeout, &resp);
		if (r == 0 && a.trace)
			stop_trace(&vm);
	}
	if (r != 0) {
		char *tail = console_tail(&vm.console, 20);

		error("%s: the guest did not answer (%s); last console lines:\n%s",
		      a.agent_op ? "agent request" : argv[rest], vm_lost_reason(r), tail);
		free(tail);
		goto out;
	}
	if (a.agent_op) {
		json_dumpf(resp, stdout, JSON_INDENT(2));
		printf("\n");
		ret = json_is_true(json_object_get(resp, "ok")) ? 0 : 1;
		goto out;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		error("%s: %s", argv[rest], json_string_value(json_object_get(resp, "error")));
		goto out;
	}
	fputs(json_string_value(json_object_get(resp, "stdout")), stdout);
	fputs(json_string_value(json_object_get(resp, "stderr")), stderr);
	fflush(stdout);
	if (json_is_true(json_object_get(resp, "timed_out"))) {
		error("%s exceeded its time limit of %ld s and was killed", argv[rest], a.timeout);
		ret = 124;
	} else {
		ret = (int)json_integer_value(json_object_get(resp, "exit"));
	}
out:
	if (report_problems(&vm) && ret == 0)
		ret = 1;
	json_decref(resp);
	vm_stop(&vm);
	done_args(table, &a);
	return ret;
}

static int vm_shell_cmd(int argc, char **argv)
{
	struct vm_cmd_args a = {0};
	struct opt *table;
	struct vm_config cfg;
	struct vm vm;
	json_t *resp = NULL;
	int r;

	r = parse_args(&shell_usage, shell_opts, &a, argc, argv, NULL, &table);
	if (r || !isatty(STDIN_FILENO)) {
		if (!r)
			error("iolab vm shell needs a terminal; use 'iolab vm run -- COMMAND' in "
			      "scripts");
		done_args(table, &a);
		return r > 0 ? 0 : 2;
	}
	vm_config_from_args(&a.vm, &cfg);
	cfg.shell = true;
	if (vm_start(&cfg, &vm) < 0) {
		done_args(table, &a);
		return 1;
	}
	if (prepare_fs(&vm, &a.vm) == 0) {
		info("guest up under %s; disks: %s...; exit the shell to power off", vm.accel,
		     vm.ndisks ? vm.disks[0].guest_path : "none");
		r = vm_op(&vm, 0, &resp, "shell", "{s:s}", "tty", "/dev/hvc0");
		json_decref(resp);
	}
	r = report_problems(&vm) ? 1 : 0;
	vm_stop(&vm);
	done_args(table, &a);
	return r;
}

static const struct opt bench_opts[] = {
        {"boots", OPT_INT, offsetof(struct vm_cmd_args, boots), "N", "boots to time", "5",
         "1..1000"},
        {"calls", OPT_INT, offsetof(struct vm_cmd_args, calls), "N", "agent round trips to time",
         "200", "1..100000"},
        OPT_END,
};

static const struct cmd_usage bench_usage = {
        "iolab vm bench [options]",
        "Prints the VM stage's performance figures: boot to agent-ready (median of --boots)\n"
        "and the agent's command round trip (median of --calls), with the accelerator used.\n"
        "Targets: boot <= 3 s under TCG (<= 1 s under KVM), round trip <= 50 ms.",
        NULL};

static void print_figure(const char *what, const char *unit, double scale, double *x, size_t n,
                         double target, const char *accel)
{
	struct stats_summary s;

	stats_summarize(x, n, &s);
	printf("%-28s median %8.3f %s  (min %.3f, max %.3f, n=%zu, %s)  target <= %g %s: %s\n",
	       what, s.median * scale, unit, s.min * scale, s.max * scale, n, accel, target, unit,
	       s.median * scale <= target ? "met" : "MISSED");
}

static int vm_bench_cmd(int argc, char **argv)
{
	struct vm_cmd_args a = {0};
	struct opt *table;
	struct vm_config cfg;
	double *boot, *rt;
	char *accel = NULL;
	int r, ret = 0;

	r = parse_args(&bench_usage, bench_opts, &a, argc, argv, NULL, &table);
	if (r) {
		done_args(table, &a);
		return r < 0 ? 2 : 0;
	}
	boot = xcalloc((size_t)a.boots, sizeof(*boot));
	rt = xcalloc((size_t)a.calls, sizeof(*rt));
	vm_config_from_args(&a.vm, &cfg);
	for (long i = 0; i < a.boots && ret == 0; i++) {
		struct vm vm;

		if (vm_start(&cfg, &vm) < 0) {
			ret = 1;
			break;
		}
		boot[i] = vm.boot_seconds;
		free(accel);
		accel = xstrdup(vm.accel);
		/* Later boots need no second KVM probe. */
		cfg.accel = accel;
		if (i == a.boots - 1) {
			for (long c = 0; c < a.calls && ret == 0; c++) {
				json_t *resp = NULL;
				double t0 = now_seconds();

				if (vm_op(&vm, 10, &resp, "hello", NULL) != 0)
					ret = error("the agent did not answer hello");
				rt[c] = now_seconds() - t0;
				json_decref(resp);
			}
		}
		vm_stop(&vm);
	}
	if (ret == 0 && accel) {
		char *qv = vm_qemu_version();

		printf("iolab vm bench: %s, accel %s, %ld boots, %ld round trips\n", qv, accel,
		       a.boots, a.calls);
		print_figure("boot to agent-ready", "s", 1, boot, (size_t)a.boots,
		             !strcmp(accel, "kvm") ? 1 : 3, accel);
		print_figure("agent round trip", "ms", 1000, rt, (size_t)a.calls, 50, accel);
		free(qv);
	}
	free(boot);
	free(rt);
	free(accel);
	done_args(table, &a);
	return ret;
}

int cmd_vm(int argc, char **argv)
{
	static const struct subcmd subs[] = {
	        {"run", vm_run_cmd, "boot a kernel and run one command in the guest"},
	        {"shell", vm_shell_cmd, "boot a kernel and open a shell in the guest"},
	        {"bench", vm_bench_cmd, "time boots and agent round trips"},
	        {NULL, NULL, NULL},
	};

	return run_subcmd("vm", subs, argc, argv);
}
