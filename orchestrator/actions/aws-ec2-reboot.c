/*
 * aws-ec2-reboot.c - the aws.ec2.reboot action: the instances of a step
 * reboot (RebootInstances, one request). The instance keeps its id,
 * address and disk, so there is nothing to revert; what it breaks for
 * the time of a boot is for the probes to see.
 */
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "driver.h"
#include "inventory.h"

static const struct hv_param reboot_params[] = {
	{ "timeout", HV_T_DURATION, 0, "2m", NULL,
	  "for the whole step: its request to AWS and its retries" },
	{ NULL }
};

static void
on_rebooted(struct hv_aws_gather *g, const struct hv_aws_res *res, void *arg)
{
	const struct hv_instance	*in;
	size_t				 i;

	(void)arg;
	if (!res->ok) {
		hv_aws_gather_fail_all(g, "%s", res->error.s);
		hv_aws_gather_end(g);
		return;
	}
	/* EC2 answers true for the whole request, or an error. */
	for (i = 0; i < g->n; i++) {
		if ((in = hv_aws_gather_instance(g, i)) == NULL)
			continue;
		hv_buf_printf(&g->calls[i]->out, "%s: reboot requested",
		    in->id);
		hv_aws_gather_done(g, i, 1);
	}
	hv_aws_gather_end(g);
}

static void
reboot_run(struct hv_aws_gather *g)
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
	else if (hv_aws_gather_send(g, HV_AWS_EC2, "RebootInstances", form.s,
	    0, on_rebooted, NULL, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", err.s);
		hv_aws_gather_end(g);
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static int
reboot_start(struct hv_call *call)
{
	return hv_aws_gather(call, reboot_run);
}

static int
reboot_check(const struct hv_call *call, struct hv_buf *err)
{
	return hv_aws_check_instance(call, err);
}

static void
reboot_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	const struct hv_instance	*in;

	in = call->host != NULL ? call->host->instance : NULL;
	if (revert)
		hv_buf_puts(out, "nothing to revert");
	else
		hv_buf_printf(out, "reboot instance %s (RebootInstances)",
		    in != NULL ? in->id : "(each of the group)");
}

const struct hv_driver hv_action_aws_ec2_reboot = {
	.name = "aws.ec2.reboot",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_aws,
	.summary = "reboot EC2 instances (RebootInstances)",
	.params = reboot_params,
	.start = reboot_start,
	.check = reboot_check,
	.describe = reboot_describe,
	.cancel = hv_aws_gather_cancel,
};
