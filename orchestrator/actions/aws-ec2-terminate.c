/*
 * aws-ec2-terminate.c - the aws.ec2.terminate action: the instances of a
 * step die (TerminateInstances), as one request.
 *
 * Nothing brings back an instance that is in no Auto Scaling group, so
 * such an instance is refused unless the step says outside_asg: true.
 * Membership is Auto Scaling's word, asked again just before (a tag says
 * nothing: anyone may set it), and a refusal of one instance refuses the
 * whole step: nothing is terminated. Not a fault: there is no revert.
 */
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "driver.h"
#include "inventory.h"

static const struct hv_param terminate_params[] = {
	{ "outside_asg", HV_T_BOOL, 0, "false", NULL,
	  "also terminate instances in no Auto Scaling group (nothing "
	  "will bring them back)" },
	{ "timeout", HV_T_DURATION, 0, "3m", NULL,
	  "for the whole step: its requests to AWS and their retries" },
	{ NULL }
};

static void	terminate_send(struct hv_aws_gather *);

static void
on_terminated(struct hv_aws_gather *g, const struct hv_aws_res *res,
    void *arg)
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
		hv_aws_gather_done(g, k, 1);
	}
	for (i = 0; i < g->n; i++)
		hv_aws_gather_fail(g, i, "not in TerminateInstances' answer");
	hv_aws_state_changes_release(&sc);
	hv_buf_release(&err);
	hv_aws_gather_end(g);
}

/* Auto Scaling said which instances are in a group: refuse, or go on. */
static void
on_members(struct hv_aws_gather *g, const struct hv_aws_instances *l,
    const char *error)
{
	const struct hv_instance	*in;
	struct hv_buf			 who = HV_BUF_INIT;
	size_t				 i, outside = 0;

	if (l == NULL) {
		hv_aws_gather_fail_all(g, "%s", error);
		hv_aws_gather_end(g);
		return;
	}
	for (i = 0; i < g->n; i++) {
		if ((in = hv_aws_gather_instance(g, i)) == NULL ||
		    hv_arg_bool(g->calls[i], "outside_asg") ||
		    hv_aws_instance_find(l, in->id) != NULL)
			continue;
		hv_buf_printf(&who, "%s%s", outside++ > 0 ? ", " : "", in->id);
	}
	if (outside > 0) {
		for (i = 0; i < g->n; i++) {
			in = hv_aws_gather_instance(g, i);
			if (in != NULL && hv_aws_instance_find(l, in->id) ==
			    NULL && !hv_arg_bool(g->calls[i], "outside_asg"))
				hv_aws_gather_fail(g, i, "refused: %s is in no "
				    "Auto Scaling group, so nothing would "
				    "bring it back (outside_asg: true "
				    "terminates it anyway); nothing "
				    "terminated", in->id);
		}
		hv_aws_gather_fail_all(g, "not terminated: %s of the same "
		    "step is in no Auto Scaling group; nothing terminated",
		    who.s);
		hv_aws_gather_end(g);
	} else
		terminate_send(g);
	hv_buf_release(&who);
}

static void
terminate_send(struct hv_aws_gather *g)
{
	const struct hv_instance	*in;
	struct hv_buf			 form = HV_BUF_INIT, err = HV_BUF_INIT;
	size_t				 i, k = 0;

	for (i = 0; i < g->n; i++) {
		if ((in = hv_aws_gather_instance(g, i)) != NULL)
			hv_aws_paramf(&form, in->id, "InstanceId.%zu", ++k);
	}
	if (k == 0)
		hv_aws_gather_end(g);
	else if (hv_aws_gather_send(g, HV_AWS_EC2, "TerminateInstances",
	    form.s, 0, on_terminated, NULL, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", err.s);
		hv_aws_gather_end(g);
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

/* Every call of the step is here: check membership, then terminate. */
static void
terminate_run(struct hv_aws_gather *g)
{
	size_t	i, need = 0;

	/* A target whose call did not start is a reason to do nothing. */
	if (g->n > 0 && g->calls[0] != NULL && g->calls[0]->count > g->n) {
		hv_aws_gather_fail_all(g, "not terminated: only %zu of the "
		    "step's %zu targets started; nothing terminated", g->n,
		    g->calls[0]->count);
		hv_aws_gather_end(g);
		return;
	}
	for (i = 0; i < g->n; i++) {
		if (g->calls[i] != NULL &&
		    !hv_arg_bool(g->calls[i], "outside_asg"))
			need = 1;
	}
	if (need)
		hv_aws_gather_describe(g, HV_AWS_VIEW_ASG, on_members);
	else
		terminate_send(g);
}

static int
terminate_start(struct hv_call *call)
{
	return hv_aws_gather(call, terminate_run);
}

/* What plan time knows refuses at once; the run asks again. */
static int
terminate_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_instance	*in;

	if (hv_aws_check_instance(call, err) == -1)
		return -1;
	in = call->host != NULL ? call->host->instance : NULL;
	if (in != NULL && in->asg == NULL && !call->reverting &&
	    !hv_arg_bool(call, "outside_asg"))
		return hv_error(err, "%s is in no Auto Scaling group: nothing "
		    "would bring it back (outside_asg: true terminates it "
		    "anyway)", in->id);
	return 0;
}

static void
terminate_describe(const struct hv_call *call, int revert,
    struct hv_buf *out)
{
	const struct hv_instance	*in;

	in = call->host != NULL ? call->host->instance : NULL;
	if (revert) {
		hv_buf_puts(out, "nothing to revert");
		return;
	}
	hv_buf_printf(out, "terminate instance %s", in != NULL ? in->id :
	    "(each of the group)");
	if (in != NULL && in->asg != NULL)
		hv_buf_printf(out, " (Auto Scaling group %s replaces it)",
		    in->asg);
	else if (in != NULL)
		hv_buf_puts(out, " (in no Auto Scaling group)");
}

const struct hv_driver hv_action_aws_ec2_terminate = {
	.name = "aws.ec2.terminate",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_aws,
	.summary = "terminate EC2 instances (refused outside an Auto Scaling "
	    "group unless outside_asg: true)",
	.params = terminate_params,
	.start = terminate_start,
	.check = terminate_check,
	.describe = terminate_describe,
	.cancel = hv_aws_gather_cancel,
};
