/*
 * cloud.h - an experiment's cloud targets: resolved at plan time into
 * hosts of its own inventory, and replaced during a run.
 *
 * hv_cloud_resolve() asks AWS (on the loop, waiting for the answers) for
 * the running instances of every target group with aws:, and adds each
 * as a host of the experiment's own inventory: name = the instance id,
 * address = its private IP (its public one with `address: public`), tags
 * = its EC2 tags as "KEY=VALUE", and the instance itself (struct
 * hv_instance: its Auto Scaling group, as Auto Scaling says, its AMI).
 * The group's members are those hosts: hv_plan_make() then picks from
 * them with the seed and checks max_targets as for any hosts. When a step
 * rotates a group (aws.asg.replace), the Auto Scaling groups' launch
 * templates are read too, so that the plan shows the image the
 * replacements will run.
 */
#ifndef HV_CLOUD_H
#define HV_CLOUD_H

#include "util.h"

struct hv_experiment;
struct hv_host;
struct hv_loop;
struct hv_plan;

/* Whether an experiment has target groups with aws:. */
int	 hv_cloud_used(const struct hv_experiment *);

/*
 * Resolves every cloud target group of x (a no-op without any), waiting
 * on loop. -1 with "target group NAME: " and AWS's code and message in
 * err (credentials, AccessDenied, no such group): nothing was added then.
 */
int	 hv_cloud_resolve(struct hv_experiment *x, struct hv_loop *loop,
	    struct hv_buf *err);

/* What plan time learnt of an Auto Scaling group (borrowed), or NULL. */
const struct hv_asg_info *hv_cloud_asg(const struct hv_experiment *,
	    const char *name);

/*
 * A call replaced old by *repl (aws.asg.replace): the new host joins the
 * experiment's inventory (it takes *repl, which becomes NULL) and takes
 * old's place in every target group of plan, for the steps that follow.
 * -1 with a message when its name is taken (*repl is then untouched).
 */
int	 hv_cloud_adopt(struct hv_experiment *, struct hv_plan *,
	    const struct hv_host *old, struct hv_host **repl,
	    struct hv_buf *err);

#endif
