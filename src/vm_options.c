// SPDX-License-Identifier: GPL-2.0
/*
 * The options of a guest, declared once: 'iolab vm' offers them all,
 * 'iolab fstests' and 'iolab bench' the few they let a user change (see
 * opts_join).  Their defaults are vm_config_defaults() too.
 */
#include <stddef.h>
#include <string.h>

#include "vm.h"

const struct opt vm_options[] = {
        {"kernel", OPT_STR, offsetof(struct vm_args, kernel), "KEY",
         "cached kernel: key, key prefix, directory or 'latest'", "latest", NULL},
        {"image", OPT_STR, offsetof(struct vm_args, image), "KEY",
         "guest image: key, prefix, path or 'latest'", "latest", NULL},
        {"device", OPT_CHOICE, offsetof(struct vm_args, device), NULL,
         "the kind of disk under test", "virtio-blk", "virtio-blk|nvme|pmem"},
        {"disks", OPT_INT, offsetof(struct vm_args, disks), "N",
         "how many such disks (fstests wants 2)", "1", "0..8"},
        {"disk-size", OPT_SIZE, offsetof(struct vm_args, disk_size), "SIZE", "size of each disk",
         "2G", "16M..4T"},
        {"backing", OPT_STR, offsetof(struct vm_args, backing), "memory|DIR",
         "where disk files live: /dev/shm, or a directory", VM_DEFAULT_BACKING, NULL},
        {"mem", OPT_SIZE, offsetof(struct vm_args, mem), "SIZE", "guest memory", VM_DEFAULT_MEM,
         "256M..1T"},
        {"cpus", OPT_INT, offsetof(struct vm_args, cpus), "N", "guest CPUs", VM_DEFAULT_CPUS,
         "1..64"},
        {"accel", OPT_CHOICE, offsetof(struct vm_args, accel), NULL,
         "KVM when it works (auto), or force one", "auto", "auto|kvm|tcg"},
        {"run-dir", OPT_STR, offsetof(struct vm_args, run_dir), "DIR",
         "where the console log, QEMU command line and vm.json go (default: results/vm/<time>)",
         NULL, NULL},
        {"boot-timeout", OPT_INT, offsetof(struct vm_args, boot_timeout), "SECONDS",
         "give up when the agent is not up by then", "60", "1..3600"},
        {"cmdline", OPT_STR, offsetof(struct vm_args, cmdline), "ARGS", "extra kernel command line",
         NULL, NULL},
        {"mkfs", OPT_STR, offsetof(struct vm_args, mkfs), "FSTYPE[:ARGS]",
         "make a file system on the first disk, e.g. 'ext4:-b 65536'", NULL, NULL},
        {"mount", OPT_STR, offsetof(struct vm_args, mount), "OPTIONS",
         "mount the first disk on /mnt/test with these options (after --mkfs)", NULL, NULL},
        OPT_END,
};

void vm_config_from_args(const struct vm_args *a, struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->kernel = a->kernel;
	c->image = a->image;
	/* The table allows only names vm_device_parse() knows. */
	vm_device_parse(a->device, &c->device);
	c->disks = (int)a->disks;
	c->disk_size = a->disk_size;
	c->backing = a->backing;
	c->mem = a->mem;
	c->cpus = (int)a->cpus;
	c->accel = a->accel;
	c->run_dir = a->run_dir;
	c->boot_timeout = (double)a->boot_timeout;
	c->extra_cmdline = a->cmdline;
}

void vm_config_defaults(struct vm_config *cfg)
{
	/* Parsed from the table once and kept for the process: cfg points into it. */
	static struct vm_args defaults;
	static bool parsed;

	if (!parsed && opts_defaults(vm_options, &defaults) < 0)
		die("internal: a default in vm_options is out of its own range");
	parsed = true;
	vm_config_from_args(&defaults, cfg);
}
