/*
 * local.c - the local probe: run a command on the controller and judge
 * its exit status and output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "node.h"
#include "output.h"
#include "proc.h"

static const struct hv_param params[] = {
	{ "command", HV_T_LIST, 1, NULL, NULL,
	    "the command as an argv list, run without a shell" },
	{ "input", HV_T_STR, 0, NULL, NULL, "text for the command's stdin" },
	{ "cwd", HV_T_STR, 0, NULL, NULL,
	    "the folder to run in (default: the experiment's)" },
	{ "timeout", HV_T_DURATION, 0, "10s", NULL,
	    "how long the command may run" },
	{ NULL }
};

static void
on_exit_(struct hv_proc *p, void *arg)
{
	struct hv_call			*call = arg;
	const struct hv_proc_res	*r = hv_proc_result(p);
	struct hv_output		 o;
	char				 sig[16];
	int				 ok;

	call->latency_ms = (double)r->elapsed_ms;
	hv_buf_add(&call->out, r->out.s, r->out.len < 4096 ? r->out.len : 4096);
	hv_buf_rtrim(&call->out);
	snprintf(sig, sizeof sig, "%s", sigabbrev_np(r->signal) != NULL ?
	    sigabbrev_np(r->signal) : "?");
	o.exited = r->exited;
	o.status = r->status;
	o.signal = sig;
	o.timed_out = r->timed_out;
	o.out = r->out.s;
	o.err = r->err.s;
	o.elapsed_ms = r->elapsed_ms;
	ok = hv_output_judge(call, &o) == 0;
	hv_proc_free(p);
	call->priv = NULL;
	hv_call_done(call, ok);
}

static int
local_start(struct hv_call *call)
{
	struct hv_proc	*p;
	char		**argv, *cwd;

	argv = hv_arg_argv(call, "command");
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

static void
local_cancel(struct hv_call *call)
{
	hv_proc_kill(call->priv);
}

static void
local_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	char	**argv = hv_arg_argv(call, "command");

	(void)revert;
	hv_buf_puts(out, "run ");
	hv_argv_show(out, argv);
	free(argv);
}

static int
local_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*cmd = hv_arg_node(call, "command");

	if (cmd != NULL && cmd->n == 0)
		return hv_error(err, "command is an empty list");
	return hv_output_check(call, err);
}

const struct hv_driver hv_probe_local = {
	.name = "local",
	.kind = HV_PROBE,
	.target = HV_TARGET_NONE,
	.summary = "run a command on the controller; judge exit and output",
	.params = params,
	.expect = hv_output_expect,
	.start = local_start,
	.check = local_check,
	.describe = local_describe,
	.cancel = local_cancel,
};
