/*
 * aws-ec2-stop.c - the aws.ec2.stop action: the instances of a step are
 * stopped (StopInstances, one request), a fault like any other: its
 * revert (StartInstances) is journalled first, with the instance's id and
 * where it lives, so that `havoc recover` starts it after a crash with
 * credentials from the chain.
 *
 * Both ways wait (wait: true) until EC2 says every instance got there,
 * looking every second, for at most timeout.
 */
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "driver.h"
#include "inventory.h"
#include "loop.h"

static const struct hv_param stop_params[] = {
	{ "wait", HV_T_BOOL, 0, "true", NULL,
	  "wait until every instance is stopped (the revert: running)" },
	{ "timeout", HV_T_DURATION, 0, "5m", NULL,
	  "how long to wait for that" },
	{ "force", HV_T_BOOL, 0, "false", NULL,
	  "stop without a clean shutdown (StopInstances Force)" },
	{ NULL }
};

struct stopping {
	int64_t		 deadline;	/* monotonic ms */
	const char	*want;		/* stopped, running */
};

static void	poll_states(struct hv_aws_gather *);

static void
stopping_free(struct hv_aws_gather *g)
{
	free(g->priv);
	g->priv = NULL;
}

/* EC2's states now: calls whose instance got there end well. */
static void
on_states(struct hv_aws_gather *g, const struct hv_aws_instances *l,
    const char *error)
{
	struct stopping			*st = g->priv;
	const struct hv_aws_instance	*in;
	const struct hv_instance	*mine;
	size_t				 i;

	if (l == NULL) {
		hv_aws_gather_fail_all(g, "%s", error);
		hv_aws_gather_end(g);
		return;
	}
	for (i = 0; i < g->n; i++) {
		if ((mine = hv_aws_gather_instance(g, i)) == NULL ||
		    (in = hv_aws_instance_find(l, mine->id)) == NULL ||
		    in->state == NULL || strcmp(in->state, st->want) != 0)
			continue;
		hv_buf_printf(&g->calls[i]->out, "; %s", in->state);
		hv_aws_gather_done(g, i, 1);
	}
	if (g->open == 0) {
		hv_aws_gather_end(g);
		return;
	}
	if (hv_mono_ms() >= st->deadline) {
		for (i = 0; i < g->n; i++) {
			if ((mine = hv_aws_gather_instance(g, i)) == NULL)
				continue;
			in = hv_aws_instance_find(l, mine->id);
			hv_aws_gather_fail(g, i, "%s is %s, not %s, after the "
			    "timeout", mine->id, in != NULL && in->state !=
			    NULL ? in->state : "unknown", st->want);
		}
		hv_aws_gather_end(g);
		return;
	}
	hv_aws_gather_after(g, st->deadline - hv_mono_ms() < HV_AWS_POLL_MS ?
	    st->deadline - hv_mono_ms() : HV_AWS_POLL_MS, poll_states);
}

static void
poll_states(struct hv_aws_gather *g)
{
	hv_aws_gather_describe(g, HV_AWS_VIEW_EC2, on_states);
}

static void
on_changed(struct hv_aws_gather *g, const struct hv_aws_res *res, void *arg)
{
	struct hv_aws_state_changes	 sc;
	struct hv_buf			 err = HV_BUF_INIT;
	size_t				 i, k;

	(void)arg;
	memset(&sc, 0, sizeof sc);
	if (!res->ok)
		hv_aws_gather_fail_all(g, "%s", res->error.s);
	else if (hv_aws_parse_state_changes(res, &sc, &err) == -1)
		hv_aws_gather_fail_all(g, "%s", err.s);
	for (i = 0; i < sc.n; i++) {
		if ((k = hv_aws_gather_find(g, sc.v[i].id)) == g->n)
			continue;
		hv_buf_printf(&g->calls[k]->out, "%s: %s -> %s", sc.v[i].id,
		    sc.v[i].previous != NULL ? sc.v[i].previous : "?",
		    sc.v[i].current != NULL ? sc.v[i].current : "?");
		if (!hv_arg_bool(g->calls[k], "wait"))
			hv_aws_gather_done(g, k, 1);
	}
	hv_aws_state_changes_release(&sc);
	hv_buf_release(&err);
	for (i = 0; i < g->n; i++) {
		if (g->calls[i] != NULL && g->calls[i]->out.len == 0)
			hv_aws_gather_fail(g, i, "not in %s's answer",
			    g->reverting ? "StartInstances" : "StopInstances");
	}
	if (g->open == 0)
		hv_aws_gather_end(g);
	else
		hv_aws_gather_after(g, HV_AWS_POLL_MS, poll_states);
}

static void
stop_run(struct hv_aws_gather *g)
{
	const struct hv_instance	*in;
	struct stopping			*st;
	struct hv_buf			 form = HV_BUF_INIT, err = HV_BUF_INIT;
	size_t				 i, k = 0;
	int				 force = 0;

	st = hv_xcalloc(1, sizeof *st);
	st->want = g->reverting ? "running" : "stopped";
	st->deadline = hv_mono_ms() + 5 * 60 * 1000;
	g->priv = st;
	g->stop = stopping_free;
	for (i = 0; i < g->n; i++) {
		if ((in = hv_aws_gather_instance(g, i)) == NULL)
			continue;
		hv_aws_paramf(&form, in->id, "InstanceId.%zu", ++k);
		st->deadline = hv_mono_ms() + hv_arg_ms(g->calls[i],
		    "timeout");
		force |= hv_arg_bool(g->calls[i], "force");
	}
	if (force && !g->reverting)
		hv_aws_param(&form, "Force", "true");
	if (k == 0)
		hv_aws_gather_end(g);
	else if (hv_aws_gather_send(g, HV_AWS_EC2, g->reverting ?
	    "StartInstances" : "StopInstances", form.s, 0, on_changed, NULL,
	    &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", err.s);
		hv_aws_gather_end(g);
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static int
stop_start(struct hv_call *call)
{
	return hv_aws_gather(call, stop_run);
}

static int
stop_check(const struct hv_call *call, struct hv_buf *err)
{
	return hv_aws_check_instance(call, err);
}

static void
stop_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	const struct hv_instance	*in;

	in = call->host != NULL ? call->host->instance : NULL;
	hv_buf_printf(out, "%s instance %s (%s)", revert ? "start" : "stop",
	    in != NULL ? in->id : "(each of the group)", revert ?
	    "StartInstances" : hv_arg_bool(call, "force") ?
	    "StopInstances, forced" : "StopInstances");
	if (hv_arg_bool(call, "wait"))
		hv_buf_printf(out, ", waiting until it is %s",
		    revert ? "running" : "stopped");
}

const struct hv_driver hv_action_aws_ec2_stop = {
	.name = "aws.ec2.stop",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_aws,
	.summary = "stop EC2 instances; reverted by starting them (also by "
	    "havoc recover)",
	.params = stop_params,
	.start = stop_start,
	.revert = stop_start,
	.check = stop_check,
	.describe = stop_describe,
	.cancel = hv_aws_gather_cancel,
};
