/*
 * ssh.c - the ssh probe: a shell command on each target, judged by its
 * exit status and output.
 */
#include "output.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "command", HV_T_SHELL, 1, NULL, NULL,
	    "the shell command to run on each target" },
	{ "timeout", HV_T_DURATION, 0, "10s", NULL, "for the command" },
	{ NULL }
};

static void
judge(struct hv_call *call, const struct hv_ssh_res *res)
{
	struct hv_output	o;

	call->priv = NULL;
	hv_buf_add(&call->out, res->out.s, res->out.len < 4096 ?
	    res->out.len : 4096);
	hv_buf_rtrim(&call->out);
	if (res->error.len > 0) {
		hv_buf_add(&call->err, res->error.s, res->error.len);
		hv_call_done(call, 0);
		return;
	}
	o.exited = res->exit_status >= 0 && res->exit_signal == NULL;
	o.status = res->exit_status;
	o.signal = res->exit_signal;
	o.timed_out = res->timed_out;
	o.out = res->out.s;
	o.err = res->err.s;
	o.elapsed_ms = res->elapsed_ms;
	hv_call_done(call, hv_output_judge(call, &o) == 0);
}

static int
ssh_start(struct hv_call *call)
{
	return hv_remote_exec(call, hv_arg_str(call, "command"), judge);
}

static void
ssh_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	(void)revert;
	hv_buf_puts(out, hv_arg_str(call, "command"));
}

const struct hv_driver hv_probe_ssh = {
	.name = "ssh",
	.kind = HV_PROBE,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "run a command on each target; judge exit and output",
	.params = params,
	.expect = hv_output_expect,
	.check = hv_output_check,
	.start = ssh_start,
	.describe = ssh_describe,
};
