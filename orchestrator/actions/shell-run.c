/*
 * shell-run.c - shell.run: the escape hatch. A shell command on targets
 * and, optionally, the command that undoes it. ${...} values inside
 * them are quoted as single words.
 */
#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "command", HV_T_SHELL, 1, NULL, NULL, "the shell command to run" },
	{ "revert", HV_T_SHELL, 0, NULL, NULL,
	    "the command that undoes it; makes the action a fault" },
	{ "timeout", HV_T_DURATION, 0, "60s", NULL, "for each command" },
	{ NULL }
};

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*c = hv_arg_str(call, revert ? "revert" : "command");

	if (c == NULL)
		return hv_error(err, "no %s command", revert ? "revert" :
		    "command");
	hv_buf_puts(b, c);
	return 0;
}

static int
is_fault(const struct hv_call *call)
{
	return hv_arg_has(call, "revert");
}

const struct hv_driver hv_action_shell_run = {
	.name = "shell.run",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "run a shell command on targets (and its revert)",
	.params = params,
	.command = command,
	.is_fault = is_fault,
	.revert = hv_remote_revert,
};
