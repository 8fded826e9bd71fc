/*
 * local.c - the local probe: run a command on the controller and judge
 * its exit status and output.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "node.h"
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

static const struct hv_param expect[] = {
	{ "exit_code", HV_T_INT, 0, "0", NULL, "the expected exit status" },
	{ "output_matches", HV_T_STR, 0, NULL, NULL,
	    "an extended regex stdout must match" },
	{ "output_not_matches", HV_T_STR, 0, NULL, NULL,
	    "an extended regex stdout must not match" },
	{ "stderr_matches", HV_T_STR, 0, NULL, NULL,
	    "an extended regex stderr must match" },
	{ "latency_below", HV_T_DURATION, 0, NULL, NULL,
	    "the command must finish sooner than this" },
	{ NULL }
};

/* Whether text matches the regex re; -1 when re does not compile. */
static int
matches(const char *re, const char *text, struct hv_buf *err)
{
	regex_t	rx;
	int	rc;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return hv_error(err, "bad regular expression \"%s\"", re);
	rc = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return rc;
}

/* Judges the result against expect:; -1 with the reason in call->err. */
static int
judge(struct hv_call *call, const struct hv_proc_res *r)
{
	const char	*re;
	long long	 want = hv_exp_int(call, "exit_code");
	int64_t		 bound;

	if (r->timed_out)
		return hv_error(&call->err, "timed out after %lld ms",
		    (long long)r->elapsed_ms);
	if (!r->exited)
		return hv_error(&call->err, "killed by signal %d", r->signal);
	if (r->status != want)
		return hv_error(&call->err, "exit status %d, expected %lld",
		    r->status, want);
	if ((re = hv_exp_str(call, "output_matches")) != NULL &&
	    matches(re, r->out.s, &call->err) != 1)
		return hv_error(&call->err, "output does not match \"%s\"", re);
	if ((re = hv_exp_str(call, "output_not_matches")) != NULL &&
	    matches(re, r->out.s, &call->err) != 0)
		return hv_error(&call->err, "output matches \"%s\"", re);
	if ((re = hv_exp_str(call, "stderr_matches")) != NULL &&
	    matches(re, r->err.s, &call->err) != 1)
		return hv_error(&call->err, "stderr does not match \"%s\"", re);
	bound = hv_exp_ms(call, "latency_below");
	if (bound > 0 && r->elapsed_ms >= bound)
		return hv_error(&call->err, "took %lld ms, more than %lld ms",
		    (long long)r->elapsed_ms, (long long)bound);
	return 0;
}

static void
on_exit_(struct hv_proc *p, void *arg)
{
	struct hv_call			*call = arg;
	const struct hv_proc_res	*r = hv_proc_result(p);
	int				 ok;

	call->latency_ms = (double)r->elapsed_ms;
	hv_buf_add(&call->out, r->out.s, r->out.len < 4096 ? r->out.len : 4096);
	hv_buf_rtrim(&call->out);
	ok = judge(call, r) == 0;
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
	static const char *const res[] = { "output_matches",
	    "output_not_matches", "stderr_matches" };
	const struct hv_node	*cmd = hv_arg_node(call, "command");
	const char		*re;
	size_t			 i;

	if (cmd != NULL && cmd->n == 0)
		return hv_error(err, "command is an empty list");
	for (i = 0; i < HV_ARRAY_LEN(res); i++) {
		if ((re = hv_exp_str(call, res[i])) != NULL &&
		    matches(re, "", err) == -1)
			return -1;
	}
	return 0;
}

const struct hv_driver hv_probe_local = {
	.name = "local",
	.kind = HV_PROBE,
	.target = HV_TARGET_NONE,
	.summary = "run a command on the controller; judge exit and output",
	.params = params,
	.expect = expect,
	.start = local_start,
	.check = local_check,
	.describe = local_describe,
	.cancel = local_cancel,
};
