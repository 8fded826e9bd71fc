/*
 * remote.c - SSH command actions and the dead-man switch on hosts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/hostcmd.h"
#include "experiment.h"
#include "loop.h"
#include "remote.h"
#include "ssh.h"

#define DEFAULT_TIMEOUT_MS	30000

struct remote {
	struct hv_ssh_exec	*exec;
	hv_remote_judge		 judge;
};

void
hv_remote_target(const struct hv_ctx *ctx, const struct hv_host *h,
    struct hv_ssh_target *t)
{
	struct hv_ssh_opts	o;

	if (ctx->exp != NULL)
		hv_experiment_ssh_for(ctx->exp, h, &o);
	else
		o = h->ssh;
	memset(t, 0, sizeof *t);
	t->name = h->name;
	t->address = h->address;
	t->port = o.port;
	t->user = o.user;
	t->identity = o.identity;
	t->passphrase_env = o.passphrase_env;
	t->known_hosts = o.known_hosts;
	t->agent = o.agent == 1;
	t->tofu = o.tofu == 1;
	t->connect_timeout_ms = o.connect_timeout_ms;
	t->keepalive_ms = o.keepalive_ms;
}

int64_t
hv_remote_timeout(const struct hv_call *call)
{
	struct hv_ssh_opts	o;
	int64_t			t;

	if (!hv_arg_has(call, "timeout") && call->host != NULL) {
		if (call->ctx != NULL && call->ctx->exp != NULL)
			hv_experiment_ssh_for(call->ctx->exp, call->host, &o);
		else
			o = call->host->ssh;
		if (o.command_timeout_ms > 0)
			return o.command_timeout_ms;
	}
	t = hv_arg_ms(call, "timeout");
	return t > 0 ? t : DEFAULT_TIMEOUT_MS;
}

static struct hv_ssh *
engine(struct hv_ctx *ctx)
{
	if (ctx->ssh == NULL) {
		ctx->ssh = hv_ssh_get(ctx->loop);
		if (ctx->exp != NULL && ctx->exp->ssh.max_parallel > 0)
			hv_ssh_set_parallel(ctx->ssh,
			    ctx->exp->ssh.max_parallel);
	}
	return ctx->ssh;
}

static void
on_exec(struct hv_ssh_exec *e, void *arg)
{
	struct hv_call		*call = arg;
	struct remote		*rm = call->priv;
	const struct hv_ssh_res	*res = hv_ssh_result(e);

	call->latency_ms = (double)res->elapsed_ms;
	rm->judge(call, res);
	/* The judge ended the call; the exec goes with it. */
	hv_ssh_exec_free(e);
	free(rm);
}

int
hv_remote_exec(struct hv_call *call, const char *command,
    hv_remote_judge judge)
{
	struct hv_ssh_target	 t;
	struct remote		*rm;
	int64_t			 timeout = hv_remote_timeout(call);

	if (call->host == NULL)
		return hv_error(&call->err, "%s needs a target host",
		    call->driver->name);
	hv_remote_target(call->ctx, call->host, &t);
	rm = hv_xcalloc(1, sizeof *rm);
	rm->judge = judge;
	call->priv = rm;
	rm->exec = hv_ssh_run(engine(call->ctx), &t, command, NULL,
	    timeout, on_exec, call,
	    &call->err);
	if (rm->exec == NULL) {
		call->priv = NULL;
		free(rm);
		return -1;
	}
	return 0;
}

/* An action worked when its command exited 0. */
static void
judge_action(struct hv_call *call, const struct hv_ssh_res *res)
{
	struct hv_buf	*err = &call->err;

	call->priv = NULL;
	hv_buf_add(&call->out, res->out.s, res->out.len < 4096 ?
	    res->out.len : 4096);
	hv_buf_rtrim(&call->out);
	if (res->error.len > 0) {
		hv_buf_add(err, res->error.s, res->error.len);
		hv_call_done(call, 0);
		return;
	}
	if (res->timed_out)
		hv_error(err, "timed out after %lld ms",
		    (long long)res->elapsed_ms);
	else if (res->exit_signal != NULL)
		hv_error(err, "killed by SIG%s", res->exit_signal);
	else if (res->exit_status != 0) {
		hv_error(err, "exit status %d", res->exit_status);
		call->again = res->exit_status == HV_REMOTE_NOT_YET;
	} else {
		hv_call_done(call, 1);
		return;
	}
	if (res->err.len > 0) {
		hv_buf_puts(err, ": ");
		hv_buf_add(err, res->err.s, res->err.len < 512 ?
		    res->err.len : 512);
		hv_buf_rtrim(err);
	}
	hv_call_done(call, 0);
}

/* Whole seconds, at least 1, from milliseconds. */
static void
secs(char buf[24], int64_t ms)
{
	snprintf(buf, 24, "%lld", (long long)(ms >= 1000 ? ms / 1000 : 1));
}

/*
 * A fault's inject: the driver's inject, run by hv_inject (hostlib.sh)
 * in turn with its revert: under the fault's lock (waited for half the
 * command's timeout), only when no revert of it has begun, after the
 * dead-man timer was armed. The timer waits for the lock 10 minutes at
 * most, then reverts all the same: nothing else would.
 *   hv_inject WAIT DEAD_MAN TIMER_WAIT REVERT INJECT
 */
static void
inject(const struct hv_call *call, const char *revert, const char *do_,
    struct hv_buf *out)
{
	int64_t	timeout = hv_remote_timeout(call);
	int64_t	dead = call->ctx != NULL ? call->ctx->dead_man_ms : 0;
	char	wait[24], dm[24], twait[24];

	secs(wait, timeout / 2);
	if (dead > 0)
		snprintf(dm, sizeof dm, "%lld", (long long)((dead + 999) /
		    1000));
	else
		snprintf(dm, sizeof dm, "0");
	secs(twait, timeout * 2 > 600000 ? timeout * 2 : 600000);
	hv_hc_words(out, "hv_inject", wait, dm, twait, revert, do_,
	    (char *)NULL);
}

/*
 * A fault's revert: the driver's revert, run by hv_undo (hostlib.sh):
 * in turn with the inject and the dead-man timer (the lock, waited for
 * half the command's timeout), once (a fault reverted already, by havoc
 * or by its timer, is not reverted again), then the timer is disarmed.
 * A revert that fails leaves the timer armed.
 *   hv_undo WAIT REVERT
 */
static void
undo(const struct hv_call *call, const char *revert, struct hv_buf *out)
{
	char	wait[24];

	secs(wait, hv_remote_timeout(call) / 2);
	hv_hc_words(out, "hv_undo", wait, revert, (char *)NULL);
}

int
hv_remote_command(struct hv_call *call, int revert, struct hv_buf *out)
{
	struct hv_buf	do_ = HV_BUF_INIT, undo_ = HV_BUF_INIT;
	struct hv_buf	text = HV_BUF_INIT, cmd = HV_BUF_INIT;
	int		fault = hv_call_is_fault(call), rc = 0;

	if (call->driver->command == NULL)
		return hv_error(&call->err, "%s has no command",
		    call->driver->name);
	if (call->driver->command(call, revert, &do_, &call->err) == -1) {
		rc = -1;
		goto out;
	}
	if (fault && call->driver->command(call, !revert, &undo_,
	    &call->err) == -1) {
		rc = -1;
		goto out;
	}
	if (!fault)
		hv_buf_add(&text, do_.s, do_.len);
	else if (revert)
		undo(call, do_.s, &text);
	else
		inject(call, undo_.s, do_.s, &text);
	hv_hc_script(&cmd, call, text.s);
	/* sshd hands it to the shell as one argument: 128 KiB at most. */
	if (cmd.len > HV_REMOTE_MAX)
		rc = hv_error(&call->err, "the command is %zu bytes, more than "
		    "a host's shell takes (%d): shorten the values",
		    cmd.len, HV_REMOTE_MAX);
	else
		hv_buf_add(out, cmd.s, cmd.len);
out:
	hv_buf_release(&cmd);
	hv_buf_release(&do_);
	hv_buf_release(&undo_);
	hv_buf_release(&text);
	return rc;
}

static int
start_or_revert(struct hv_call *call, int revert)
{
	struct hv_buf	cmd = HV_BUF_INIT;
	int		rc;

	if ((rc = hv_remote_command(call, revert, &cmd)) == 0)
		rc = hv_remote_exec(call, cmd.s, judge_action);
	hv_buf_release(&cmd);
	return rc;
}

int
hv_remote_start(struct hv_call *call)
{
	return start_or_revert(call, 0);
}

int
hv_remote_revert(struct hv_call *call)
{
	return start_or_revert(call, 1);
}

void
hv_remote_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	struct hv_buf	err = HV_BUF_INIT;

	if (call->driver->command(call, revert, out, &err) == -1)
		hv_buf_printf(out, "(%s)", err.s);
	hv_buf_release(&err);
}

void
hv_remote_cancel(struct hv_call *call)
{
	struct remote	*rm = call->priv;

	if (rm != NULL && rm->exec != NULL)
		hv_ssh_cancel(rm->exec);
}

struct check {
	struct hv_ssh_exec	*exec;
	const struct hv_host	*host;
	int			 done;
	int			 ok;
};

static void
on_check(struct hv_ssh_exec *e, void *arg)
{
	struct check		*c = arg;
	const struct hv_ssh_res	*res = hv_ssh_result(e);

	c->done = 1;
	c->ok = res->connected && res->exit_status == 0;
}

struct checks {
	struct check	*v;
	size_t		 n;
};

static int
checks_done(void *arg)
{
	struct checks	*cs = arg;
	size_t		 i;

	for (i = 0; i < cs->n; i++) {
		if (!cs->v[i].done)
			return 0;
	}
	return 1;
}

int
hv_remote_check_hosts(struct hv_ctx *ctx, const struct hv_host **hosts,
    size_t n, struct hv_buf *err)
{
	struct hv_ssh_target	 t;
	struct checks		 cs;
	const struct hv_ssh_res	*res;
	size_t			 i;
	int			 failed = 0, sig = 0;

	cs.v = hv_xcalloc(n, sizeof *cs.v);
	cs.n = n;
	for (i = 0; i < n; i++) {
		cs.v[i].host = hosts[i];
		hv_remote_target(ctx, hosts[i], &t);
		cs.v[i].exec = hv_ssh_run(engine(ctx), &t, "true", NULL,
		    DEFAULT_TIMEOUT_MS, on_check, &cs.v[i], err);
		if (cs.v[i].exec == NULL)
			cs.v[i].done = 1;
	}
	/*
	 * Every check is bounded by its connect and command timeouts. A
	 * signal cancels them; it is raised again for the caller to see.
	 */
	while (!checks_done(&cs)) {
		if (hv_loop_run(ctx->loop, checks_done, &cs, -1) != 2)
			continue;
		sig = hv_loop_signal(ctx->loop);
		hv_loop_clear_signal(ctx->loop);
		for (i = 0; i < n; i++) {
			if (!cs.v[i].done)
				hv_ssh_cancel(cs.v[i].exec);
		}
	}
	if (sig != 0)
		hv_loop_raise(ctx->loop, sig);
	for (i = 0; i < n; i++) {
		if (cs.v[i].exec == NULL) {
			failed++;
			continue;
		}
		res = hv_ssh_result(cs.v[i].exec);
		if (!cs.v[i].ok) {
			failed++;
			if (res->error.len > 0)
				hv_error(err, "%s", res->error.s);
			else
				hv_error(err, "%s: `true` exited %d",
				    hosts[i]->name, res->exit_status);
		}
		hv_ssh_exec_free(cs.v[i].exec);
	}
	free(cs.v);
	return failed;
}

/* What an SSH call may take: its command's timeout, and a connection. */
static int64_t
ssh_budget(const struct hv_call *c)
{
	struct hv_ssh_opts	o;
	int64_t			connect = 10000;

	if (c->host != NULL) {
		if (c->ctx != NULL && c->ctx->exp != NULL)
			hv_experiment_ssh_for(c->ctx->exp, c->host, &o);
		else
			o = c->host->ssh;
		if (o.connect_timeout_ms > 0)
			connect = o.connect_timeout_ms;
	}
	return hv_remote_timeout(c) + connect;
}

const struct hv_transport hv_transport_ssh = {
	.name = "ssh",
	.connect = hv_remote_check_hosts,
	.budget = ssh_budget,
	.dead_man = 1,
	.start = hv_remote_start,
	.describe = hv_remote_describe,
	.cancel = hv_remote_cancel,
};
