/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_COMMANDS_H
#define IOLAB_COMMANDS_H

/*
 * One builtin per subcommand (cmd_<name>.c), as in git's builtin/.  Each
 * gets argv with argv[0] = its own name and returns the process exit code.
 */
int cmd_kernel(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_fstests(int argc, char **argv);
int cmd_walk(int argc, char **argv);

/* Sub-subcommand dispatch shared by the builtins ("iolab kernel build"). */
struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};
int run_subcmd(const char *cmd, const struct subcmd *table, int argc, char **argv);

#endif
