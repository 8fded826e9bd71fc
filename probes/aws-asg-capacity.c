/*
 * aws-asg-capacity.c - the aws.asg.capacity probe: an Auto Scaling
 * group has its desired count of instances InService and Healthy
 * (DescribeAutoScalingGroups), in the experiment's cloud. Its value is
 * that count, so that a watch shows capacity dip and come back.
 */
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "driver.h"

static const struct hv_param capacity_params[] = {
	{ "asg", HV_T_STR, 1, NULL, NULL, "the Auto Scaling group's name" },
	{ "timeout", HV_T_DURATION, 0, "1m", NULL,
	  "for the request to AWS and its retries" },
	{ NULL }
};

static const struct hv_param capacity_expect[] = {
	{ NULL }
};

static void
on_group(struct hv_aws_gather *g, const struct hv_aws_res *res, void *arg)
{
	struct hv_aws_groups		 gs;
	const struct hv_aws_instance	*m;
	struct hv_buf			 err = HV_BUF_INIT, out = HV_BUF_INIT;
	struct hv_call			*c;
	size_t				 i, j, up;
	long				 desired;

	(void)arg;
	memset(&gs, 0, sizeof gs);
	if (!res->ok || hv_aws_parse_groups(res, &gs, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", !res->ok ? res->error.s :
		    err.s);
		goto out;
	}
	for (i = 0; i < g->n; i++) {
		if ((c = g->calls[i]) == NULL)
			continue;
		for (j = 0; j < gs.n && strcmp(gs.v[j].name,
		    hv_arg_str(c, "asg")) != 0; j++)
			;
		if (j == gs.n) {
			hv_aws_gather_fail(g, i, "no Auto Scaling group %s",
			    hv_arg_str(c, "asg"));
			continue;
		}
		up = 0;
		for (m = gs.v[j].members.v; m < gs.v[j].members.v +
		    gs.v[j].members.n; m++) {
			if (m->lifecycle != NULL && m->health != NULL &&
			    strcmp(m->lifecycle, "InService") == 0 &&
			    strcmp(m->health, "Healthy") == 0)
				up++;
		}
		desired = gs.v[j].desired;
		c->value = (double)up;
		c->has_value = 1;
		hv_buf_reset(&out);
		hv_buf_printf(&out, "%s: %zu of %ld desired InService and "
		    "Healthy (%zu members)", gs.v[j].name, up, desired,
		    gs.v[j].members.n);
		hv_buf_puts(&c->out, out.s);
		if ((long)up >= desired)
			hv_aws_gather_done(g, i, 1);
		else
			hv_aws_gather_fail(g, i, "%s", out.s);
	}
out:
	hv_aws_groups_release(&gs);
	hv_buf_release(&err);
	hv_buf_release(&out);
	hv_aws_gather_end(g);
}

static void
capacity_run(struct hv_aws_gather *g)
{
	struct hv_buf	form = HV_BUF_INIT, err = HV_BUF_INIT;
	size_t		i, j, k = 0;

	for (i = 0; i < g->n; i++) {
		if (g->calls[i] == NULL)
			continue;
		for (j = 0; j < i && (g->calls[j] == NULL ||
		    strcmp(hv_arg_str(g->calls[j], "asg"),
		    hv_arg_str(g->calls[i], "asg")) != 0); j++)
			;
		if (j == i)
			hv_aws_paramf(&form, hv_arg_str(g->calls[i], "asg"),
			    "AutoScalingGroupNames.member.%zu", ++k);
	}
	if (k == 0 || hv_aws_gather_send(g, HV_AWS_ASG,
	    "DescribeAutoScalingGroups", form.s, HV_AWS_ALL_PAGES, on_group,
	    NULL, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", err.len > 0 ? err.s :
		    "no group");
		hv_aws_gather_end(g);
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static int
capacity_start(struct hv_call *call)
{
	return hv_aws_gather(call, capacity_run);
}

static int
capacity_check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*asg = hv_arg_str(call, "asg");

	if (asg != NULL && *asg == '\0')
		return hv_error(err, "asg must not be empty");
	return 0;
}

static void
capacity_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	(void)revert;
	hv_buf_printf(out, "Auto Scaling group %s has its desired count "
	    "InService and Healthy", hv_arg_str(call, "asg"));
}

const struct hv_driver hv_probe_aws_asg_capacity = {
	.name = "aws.asg.capacity",
	.kind = HV_PROBE,
	.target = HV_TARGET_NONE,
	.transport = &hv_transport_aws,
	.summary = "an Auto Scaling group has its desired count InService "
	    "and Healthy",
	.params = capacity_params,
	.expect = capacity_expect,
	.start = capacity_start,
	.check = capacity_check,
	.describe = capacity_describe,
	.cancel = hv_aws_gather_cancel,
};
