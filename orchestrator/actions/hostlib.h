/*
 * hostlib.h - the shell function library that host commands call
 * (hostlib.sh), built into havoc: the Makefile makes C of it with
 * hostlib.awk, into the build folder.
 *
 * One entry per function, in the file's order, ending with { NULL }.
 * hostcmd.h sends, with each command, the functions it calls.
 */
#ifndef HV_HOSTLIB_H
#define HV_HOSTLIB_H

struct hv_hostfn {
	const char	*name;		/* "hv_rule_add" */
	const char	*text;		/* "hv_rule_add() {\n...}\n" */
};

extern const struct hv_hostfn hv_hostlib[];

#endif
