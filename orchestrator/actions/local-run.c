/*
 * local-run.c - local.run: run a command on the controller, and its
 * revert. Commands are argv lists run without a shell; to use one, say so:
 * [sh, -c, "..."].
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "node.h"
#include "proc.h"

static const struct hv_param params[] = {
	{ "command", HV_T_LIST, 1, NULL, NULL,
	    "the command as an argv list, run without a shell" },
	{ "revert", HV_T_LIST, 0, NULL, NULL,
	    "the command that undoes it; makes the action a fault" },
	{ "input", HV_T_STR, 0, NULL, NULL, "text for the command's stdin" },
	{ "cwd", HV_T_STR, 0, NULL, NULL,
	    "the folder to run in (default: the experiment's)" },
	{ "timeout", HV_T_DURATION, 0, "60s", NULL,
	    "how long the command (or the revert) may run" },
	{ NULL }
};

static void
on_exit_(struct hv_proc *p, void *arg)
{
	struct hv_call			*call = arg;
	const struct hv_proc_res	*r = hv_proc_result(p);
	int				 ok;

	hv_buf_add(&call->out, r->out.s, r->out.len);
	hv_buf_rtrim(&call->out);
	ok = r->exited && r->status == 0;
	if (r->timed_out)
		hv_error(&call->err, "timed out after %lld ms",
		    (long long)r->elapsed_ms);
	else if (r->signal != 0)
		hv_error(&call->err, "killed by signal %d", r->signal);
	else if (!ok)
		hv_error(&call->err, "exit status %d", r->status);
	if (!ok && r->err.len > 0) {
		hv_buf_puts(&call->err, ": ");
		hv_buf_add(&call->err, r->err.s, r->err.len < 512 ?
		    r->err.len : 512);
		hv_buf_rtrim(&call->err);
	}
	hv_proc_free(p);
	call->priv = NULL;
	hv_call_done(call, ok);
}

/* Runs the list parameter called which. */
static int
run(struct hv_call *call, const char *which)
{
	struct hv_proc	*p;
	char		**argv, *cwd;

	if ((argv = hv_arg_argv(call, which)) == NULL)
		return hv_error(&call->err, "no %s command", which);
	cwd = hv_arg_path(call, "cwd");
	p = hv_proc_start(call->ctx->loop, argv, cwd,
	    hv_arg_str(call, "input"),
	    hv_arg_ms(call, "timeout"), on_exit_, call, &call->err);
	free(argv);
	free(cwd);
	if (p == NULL)
		return -1;
	call->priv = p;
	return 0;
}

static int
local_run_start(struct hv_call *call)
{
	return run(call, "command");
}

static int
local_run_revert(struct hv_call *call)
{
	return run(call, "revert");
}

static int
local_run_is_fault(const struct hv_call *call)
{
	return hv_arg_has(call, "revert");
}

static void
local_run_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	char	**argv;

	argv = hv_arg_argv(call, revert ? "revert" : "command");
	hv_buf_puts(out, "run ");
	hv_argv_show(out, argv);
	free(argv);
}

static void
local_run_cancel(struct hv_call *call)
{
	hv_proc_kill(call->priv);
}

static int
local_run_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*cmd = hv_arg_node(call, "command");
	const struct hv_node	*rev = hv_arg_node(call, "revert");

	if (cmd != NULL && cmd->n == 0)
		return hv_error(err, "command is an empty list");
	if (rev != NULL && rev->n == 0)
		return hv_error(err, "revert is an empty list");
	return 0;
}

const struct hv_driver hv_action_local_run = {
	.name = "local.run",
	.kind = HV_ACTION,
	.target = HV_TARGET_NONE,
	.summary = "run a command on the controller (and its revert)",
	.params = params,
	.start = local_run_start,
	.revert = local_run_revert,
	.is_fault = local_run_is_fault,
	.check = local_run_check,
	.describe = local_run_describe,
	.cancel = local_run_cancel,
};
