/*
 * aws-ec2-image.c - the aws.ec2.image probe: every instance of a target
 * group runs the expected AMI, by id (image_id: ami-...) or the one its
 * Auto Scaling group's launch template gives a new instance now
 * (launch_template: current). One look for the whole step:
 * DescribeInstances; with launch_template, Auto Scaling's view of the
 * instances, their groups, the launch template versions; then
 * DescribeImages for the names a person reads.
 */
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "driver.h"
#include "inventory.h"

static const struct hv_param image_params[] = {
	{ "image_id", HV_T_STR, 0, NULL, NULL,
	  "the AMI every instance must run (ami-...)" },
	{ "launch_template", HV_T_STR, 0, NULL, "current",
	  "current: the AMI of the current version of the launch "
	  "template of each instance's Auto Scaling group" },
	{ "timeout", HV_T_DURATION, 0, "2m", NULL,
	  "for the whole look: its requests to AWS and their retries" },
	{ NULL }
};

static const struct hv_param image_expect[] = {
	{ NULL }
};

/* What a group's launch template gives now. */
struct lt_now {
	char	*asg;
	char	*lt_id;
	char	*lt_name;
	char	*version;	/* as the group says */
	long	 number;
	char	*image;
};

struct look {
	struct hv_aws_instances	 ec2;
	struct hv_aws_instances	 asg;	/* Auto Scaling's view */
	struct lt_now		*lts;
	size_t			 nlts;
	size_t			 pos;	/* the next to ask */
	struct hv_aws_images	 images;
};

static void	ask_lt(struct hv_aws_gather *);

static void
look_free(struct hv_aws_gather *g)
{
	struct look	*lk = g->priv;
	size_t		 i;

	if (lk == NULL)
		return;
	hv_aws_instances_release(&lk->ec2);
	hv_aws_instances_release(&lk->asg);
	for (i = 0; i < lk->nlts; i++) {
		free(lk->lts[i].asg);
		free(lk->lts[i].lt_id);
		free(lk->lts[i].lt_name);
		free(lk->lts[i].version);
		free(lk->lts[i].image);
	}
	free(lk->lts);
	hv_aws_images_release(&lk->images);
	free(lk);
	g->priv = NULL;
}

static const char *
image_name(const struct look *lk, const char *id)
{
	size_t	i;

	for (i = 0; id != NULL && i < lk->images.n; i++) {
		if (strcmp(lk->images.v[i].id, id) == 0)
			return lk->images.v[i].name;
	}
	return NULL;
}

static const struct lt_now *
lt_of(const struct look *lk, const char *asg)
{
	size_t	i;

	for (i = 0; asg != NULL && i < lk->nlts; i++) {
		if (strcmp(lk->lts[i].asg, asg) == 0)
			return &lk->lts[i];
	}
	return NULL;
}

/* Every answer is in: each instance, against what it should run. */
static void
judge(struct hv_aws_gather *g)
{
	struct look			*lk = g->priv;
	const struct hv_instance	*mine;
	const struct hv_aws_instance	*in, *am;
	const struct lt_now		*lt = NULL;
	const char			*want;
	struct hv_call			*c;
	size_t				 i;

	for (i = 0; i < g->n; i++) {
		if ((mine = hv_aws_gather_instance(g, i)) == NULL)
			continue;
		c = g->calls[i];
		lt = NULL;
		if ((in = hv_aws_instance_find(&lk->ec2, mine->id)) == NULL ||
		    in->state == NULL || strcmp(in->state, "terminated") ==
		    0) {
			hv_aws_gather_fail(g, i, "%s: %s", mine->id, in ==
			    NULL ? "no such instance" : "terminated");
			continue;
		}
		want = hv_arg_str(c, "image_id");
		if (want == NULL) {
			am = hv_aws_instance_find(&lk->asg, mine->id);
			lt = lt_of(lk, am != NULL ? am->asg : NULL);
			if (am == NULL) {
				hv_aws_gather_fail(g, i, "%s is in no Auto "
				    "Scaling group: no launch template to "
				    "compare with", mine->id);
				continue;
			}
			if (lt == NULL || lt->image == NULL) {
				hv_aws_gather_fail(g, i, "group %s of %s has "
				    "no launch template with an image",
				    am->asg, mine->id);
				continue;
			}
			want = lt->image;
		}
		hv_buf_printf(&c->out, "%s runs ", mine->id);
		hv_aws_image_label(&c->out, in->image_id, image_name(lk,
		    in->image_id));
		if (lt != NULL && hv_arg_str(c, "image_id") == NULL)
			hv_buf_printf(&c->out, "; launch template %s %s "
			    "(version %ld) gives ", lt->lt_name != NULL ?
			    lt->lt_name : lt->lt_id, lt->version, lt->number);
		else
			hv_buf_puts(&c->out, "; expected ");
		hv_aws_image_label(&c->out, want, image_name(lk, want));
		if (in->image_id != NULL && strcmp(in->image_id, want) == 0) {
			hv_aws_gather_done(g, i, 1);
			continue;
		}
		hv_buf_puts(&c->err, "another image: ");
		hv_buf_add(&c->err, c->out.s, c->out.len);
		hv_aws_gather_done(g, i, 0);
	}
	hv_aws_gather_end(g);
}

static void
on_images(struct hv_aws_gather *g, const struct hv_aws_res *res, void *arg)
{
	struct look	*lk = g->priv;
	struct hv_buf	 err = HV_BUF_INIT;

	(void)arg;
	/* Names are for people: without them, ids are judged alike. */
	if (res->ok)
		(void)hv_aws_parse_images(res, &lk->images, &err);
	hv_buf_release(&err);
	judge(g);
}

/* Adds an image id to a form once. */
static void
add_image(struct hv_buf *form, const char **seen, size_t *n, const char *id)
{
	size_t	i;

	if (id == NULL)
		return;
	for (i = 0; i < *n; i++) {
		if (strcmp(seen[i], id) == 0)
			return;
	}
	seen[(*n)++] = id;
	hv_aws_paramf(form, id, "ImageId.%zu", *n);
}

static void
ask_images(struct hv_aws_gather *g)
{
	struct look	*lk = g->priv;
	struct hv_buf	 form = HV_BUF_INIT, err = HV_BUF_INIT;
	const char	**seen;
	size_t		 i, n = 0;

	seen = hv_xcalloc(lk->ec2.n + lk->nlts + g->n + 1, sizeof *seen);
	for (i = 0; i < lk->ec2.n; i++)
		add_image(&form, seen, &n, lk->ec2.v[i].image_id);
	for (i = 0; i < lk->nlts; i++)
		add_image(&form, seen, &n, lk->lts[i].image);
	for (i = 0; i < g->n; i++) {
		if (g->calls[i] != NULL)
			add_image(&form, seen, &n, hv_arg_str(g->calls[i],
			    "image_id"));
	}
	free(seen);
	if (n == 0 || hv_aws_gather_send(g, HV_AWS_EC2, "DescribeImages",
	    form.s, 0, on_images, NULL, &err) == -1)
		judge(g);
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static void
on_lt(struct hv_aws_gather *g, const struct hv_aws_res *res, void *arg)
{
	struct lt_now		*lt = arg;
	struct hv_aws_lt_versions lv;
	struct hv_buf		 err = HV_BUF_INIT;

	memset(&lv, 0, sizeof lv);
	if (!res->ok) {
		hv_aws_gather_fail_all(g, "%s", res->error.s);
		hv_aws_gather_end(g);
		return;
	}
	if (hv_aws_parse_lt_versions(res, &lv, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", err.s);
		hv_aws_gather_end(g);
	} else {
		if (lv.n > 0 && lv.v[0].image_id != NULL) {
			lt->image = hv_xstrdup(lv.v[0].image_id);
			lt->number = lv.v[0].version;
		}
		ask_lt(g);
	}
	hv_aws_lt_versions_release(&lv);
	hv_buf_release(&err);
}

/* The launch template version of each group, one at a time. */
static void
ask_lt(struct hv_aws_gather *g)
{
	struct look	*lk = g->priv;
	struct lt_now	*lt;
	struct hv_buf	 form = HV_BUF_INIT, err = HV_BUF_INIT;

	while (lk->pos < lk->nlts && lk->lts[lk->pos].lt_id == NULL &&
	    lk->lts[lk->pos].lt_name == NULL)
		lk->pos++;
	if (lk->pos >= lk->nlts) {
		ask_images(g);
		return;
	}
	lt = &lk->lts[lk->pos++];
	if (lt->lt_id != NULL)
		hv_aws_param(&form, "LaunchTemplateId", lt->lt_id);
	else
		hv_aws_param(&form, "LaunchTemplateName", lt->lt_name);
	hv_aws_param(&form, "LaunchTemplateVersion.1", lt->version);
	if (hv_aws_gather_send(g, HV_AWS_EC2, "DescribeLaunchTemplateVersions",
	    form.s, 0, on_lt, lt, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", err.s);
		hv_aws_gather_end(g);
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static void
on_groups(struct hv_aws_gather *g, const struct hv_aws_res *res, void *arg)
{
	struct look		*lk = g->priv;
	struct hv_aws_groups	 gs;
	struct hv_buf		 err = HV_BUF_INIT;
	struct lt_now		*lt;
	size_t			 i;

	(void)arg;
	memset(&gs, 0, sizeof gs);
	if (!res->ok || hv_aws_parse_groups(res, &gs, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", !res->ok ? res->error.s :
		    err.s);
		hv_aws_gather_end(g);
		goto out;
	}
	lk->lts = hv_xcalloc(gs.n + 1, sizeof *lk->lts);
	for (i = 0; i < gs.n; i++) {
		lt = &lk->lts[lk->nlts++];
		lt->asg = hv_xstrdup(gs.v[i].name);
		if (gs.v[i].lt_id != NULL)
			lt->lt_id = hv_xstrdup(gs.v[i].lt_id);
		if (gs.v[i].lt_name != NULL)
			lt->lt_name = hv_xstrdup(gs.v[i].lt_name);
		lt->version = hv_xstrdup(gs.v[i].lt_version != NULL ?
		    gs.v[i].lt_version : "$Default");
	}
	ask_lt(g);
out:
	hv_aws_groups_release(&gs);
	hv_buf_release(&err);
}

static void
on_asg_view(struct hv_aws_gather *g, const struct hv_aws_instances *l,
    const char *error)
{
	struct look	*lk = g->priv;
	struct hv_buf	 form = HV_BUF_INIT, err = HV_BUF_INIT;
	size_t		 i, j, k = 0;

	if (l == NULL) {
		hv_aws_gather_fail_all(g, "%s", error);
		hv_aws_gather_end(g);
		return;
	}
	for (i = 0; i < l->n; i++) {
		struct hv_aws_instance	*in;

		in = &l->v[i];
		lk->asg.v = hv_xreallocarray(lk->asg.v, lk->asg.n + 1,
		    sizeof *lk->asg.v);
		memset(&lk->asg.v[lk->asg.n], 0, sizeof *lk->asg.v);
		lk->asg.v[lk->asg.n].id = hv_xstrdup(in->id);
		lk->asg.v[lk->asg.n++].asg = in->asg != NULL ?
		    hv_xstrdup(in->asg) : NULL;
		for (j = 0; j < i && (in->asg == NULL || l->v[j].asg == NULL ||
		    strcmp(l->v[j].asg, in->asg) != 0); j++)
			;
		if (in->asg != NULL && j == i)
			hv_aws_paramf(&form, in->asg,
			    "AutoScalingGroupNames.member.%zu", ++k);
	}
	if (k == 0)
		ask_images(g);
	else if (hv_aws_gather_send(g, HV_AWS_ASG,
	    "DescribeAutoScalingGroups", form.s, HV_AWS_ALL_PAGES, on_groups,
	    NULL, &err) == -1) {
		hv_aws_gather_fail_all(g, "%s", err.s);
		hv_aws_gather_end(g);
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static void
on_ec2_view(struct hv_aws_gather *g, const struct hv_aws_instances *l,
    const char *error)
{
	struct look	*lk = g->priv;
	size_t		 i, lt = 0;

	if (l == NULL) {
		hv_aws_gather_fail_all(g, "%s", error);
		hv_aws_gather_end(g);
		return;
	}
	/* Keep the list: move it out of the borrowed one. */
	lk->ec2 = *l;
	((struct hv_aws_instances *)l)->v = NULL;
	((struct hv_aws_instances *)l)->n = 0;
	for (i = 0; i < g->n; i++) {
		if (g->calls[i] != NULL &&
		    hv_arg_str(g->calls[i], "image_id") == NULL)
			lt = 1;
	}
	if (lt)
		hv_aws_gather_describe(g, HV_AWS_VIEW_ASG, on_asg_view);
	else
		ask_images(g);
}

static void
image_run(struct hv_aws_gather *g)
{
	g->priv = hv_xcalloc(1, sizeof(struct look));
	g->stop = look_free;
	hv_aws_gather_describe(g, HV_AWS_VIEW_EC2, on_ec2_view);
}

static int
image_start(struct hv_call *call)
{
	return hv_aws_gather(call, image_run);
}

static int
image_check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*id = hv_arg_str(call, "image_id");

	if (hv_arg_has(call, "image_id") == hv_arg_has(call,
	    "launch_template"))
		return hv_error(err, "give one of image_id: (an AMI) or "
		    "launch_template: current");
	if (id != NULL && strncmp(id, "ami-", 4) != 0)
		return hv_error(err, "image_id: \"%s\" is not an AMI id "
		    "(ami-...)", id);
	return hv_aws_check_instance(call, err);
}

static void
image_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	const struct hv_instance	*in;

	(void)revert;
	in = call->host != NULL ? call->host->instance : NULL;
	hv_buf_printf(out, "%s %s", in != NULL ? "runs" : "each instance runs",
	    hv_arg_has(call, "image_id") ? hv_arg_str(call, "image_id") :
	    "its Auto Scaling group's launch template's current image");
}

const struct hv_driver hv_probe_aws_ec2_image = {
	.name = "aws.ec2.image",
	.kind = HV_PROBE,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_aws,
	.summary = "every instance runs the expected AMI (by id, or its "
	    "group's launch template's current version)",
	.params = image_params,
	.expect = image_expect,
	.start = image_start,
	.check = image_check,
	.describe = image_describe,
	.cancel = hv_aws_gather_cancel,
};
