/*
 * aws-resolve.c - from a target selector (an Auto Scaling group, tags or
 * instance ids) to the instances, with what EC2 and Auto Scaling each
 * know of them.
 *
 * The steps, each one call (or one call per batch) on the loop:
 *   asg:  DescribeAutoScalingGroups -> DescribeInstances of its members
 *         (filter instance-id, 200 a call);
 *   tags, ids: DescribeInstances (filters, or InstanceId.N) ->
 *         DescribeAutoScalingInstances (50 a call), so that the group an
 *         instance belongs to is Auto Scaling's word, not a tag's.
 */
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "util.h"

#define DESCRIBE_BATCH	200	/* values of one EC2 filter */
#define ASG_BATCH	50	/* ids of DescribeAutoScalingInstances */
#define IDS_MAX		1000

enum phase { PH_GROUP, PH_DESCRIBE, PH_ASGINFO, PH_DONE };

struct hv_aws_resolve {
	struct hv_aws		*aws;
	char			*asg;
	struct hv_aws_tag	*tags;
	size_t			 ntags;
	char			**ids;		/* asked, or the group's */
	size_t			 nids;
	int			 running_only;
	hv_aws_resolve_cb	 done;
	void			*arg;
	enum phase		 phase;
	struct hv_aws_call	*call;
	size_t			 pos;		/* of the next batch */
	struct hv_aws_groups	 groups;
	struct hv_aws_instances	 found;
	struct hv_aws_instances	 info;
	struct hv_buf		 error;
	int			 failed;
};

static void	step(struct hv_aws_resolve *);

static void
finish(struct hv_aws_resolve *r, int ok)
{
	r->failed = !ok;
	r->phase = PH_DONE;
	if (r->done != NULL)
		r->done(r, r->arg);
}

/* The call is over: its result into the lists, or the error. */
static void
on_call(struct hv_aws_call *c, void *arg)
{
	struct hv_aws_resolve		*r = arg;
	const struct hv_aws_res		*res = hv_aws_result(c);
	int				 rc = 0;

	r->call = NULL;
	if (!res->ok) {
		hv_buf_puts(&r->error, res->error.s);
		hv_aws_call_free(c);
		finish(r, 0);
		return;
	}
	if (r->phase == PH_GROUP)
		rc = hv_aws_parse_groups(res, &r->groups, &r->error);
	else if (r->phase == PH_DESCRIBE)
		rc = hv_aws_parse_instances(res, &r->found, &r->error);
	else
		rc = hv_aws_parse_asg_instances(res, &r->info, &r->error);
	hv_aws_call_free(c);
	if (rc == -1) {
		finish(r, 0);
		return;
	}
	step(r);
}

static int
cmp_id(const void *a, const void *b)
{
	const struct hv_aws_instance	*x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* Copies s over *dst when s is set. */
static void
take(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? hv_xstrdup(s) : NULL;
}

/* What Auto Scaling said of each instance, onto the described ones. */
static void
merge(struct hv_aws_resolve *r, const struct hv_aws_instances *from)
{
	struct hv_aws_instance	*in, *m;
	size_t			 i;

	for (i = 0; i < r->found.n; i++) {
		in = &r->found.v[i];
		m = hv_aws_instance_find(from, in->id);
		take(&in->asg, m != NULL ? m->asg : NULL);
		take(&in->lifecycle, m != NULL ? m->lifecycle : NULL);
		take(&in->health, m != NULL ? m->health : NULL);
		take(&in->lt_id, m != NULL ? m->lt_id : NULL);
		take(&in->lt_name, m != NULL ? m->lt_name : NULL);
		take(&in->lt_version, m != NULL ? m->lt_version : NULL);
	}
}

static void
state_filter(struct hv_aws_resolve *r, struct hv_buf *form, size_t k)
{
	if (!r->running_only)
		return;
	hv_aws_paramf(form, "instance-state-name", "Filter.%zu.Name", k);
	hv_aws_paramf(form, "running", "Filter.%zu.Value.1", k);
}

/* Starts a call; -1 with the message in r->error (done not run). */
static int
start(struct hv_aws_resolve *r, enum hv_aws_service svc, const char *action,
    const struct hv_buf *form, int flags)
{
	r->call = hv_aws_call(r->aws, svc, action, form->s, flags, on_call,
	    r, &r->error);
	return r->call != NULL ? 0 : -1;
}

/* Sends the next call, or ends. */
static void
step(struct hv_aws_resolve *r)
{
	struct hv_buf	 form = HV_BUF_INIT;
	size_t		 i, n;

	if (r->phase == PH_GROUP) {
		if (r->groups.n == 0) {
			hv_buf_printf(&r->error, "aws: no Auto Scaling group "
			    "%s", r->asg);
			finish(r, 0);
			return;
		}
		n = r->groups.v[0].members.n;
		r->ids = hv_xcalloc(n + 1, sizeof *r->ids);
		for (i = 0; i < n; i++)
			r->ids[i] = hv_xstrdup(r->groups.v[0].members.v[i].id);
		r->nids = n;
		r->phase = PH_DESCRIBE;
		r->pos = 0;
	}
	if (r->phase == PH_DESCRIBE && r->asg != NULL) {
		if (r->pos >= r->nids) {
			merge(r, &r->groups.v[0].members);
			goto done;
		}
		n = r->nids - r->pos;
		if (n > DESCRIBE_BATCH)
			n = DESCRIBE_BATCH;
		hv_aws_param(&form, "Filter.1.Name", "instance-id");
		for (i = 0; i < n; i++)
			hv_aws_paramf(&form, r->ids[r->pos + i],
			    "Filter.1.Value.%zu", i + 1);
		state_filter(r, &form, 2);
		r->pos += n;
		if (start(r, HV_AWS_EC2, "DescribeInstances", &form,
		    HV_AWS_ALL_PAGES) == -1)
			finish(r, 0);
		goto out;
	}
	if (r->phase == PH_DESCRIBE) {
		/* Tags or ids: one call, every page; then Auto Scaling. */
		r->phase = PH_ASGINFO;
		r->pos = 0;
	} else if (r->phase != PH_ASGINFO) {
		goto out;
	}
	if (r->pos >= r->found.n) {
		merge(r, &r->info);
		goto done;
	}
	n = r->found.n - r->pos;
	if (n > ASG_BATCH)
		n = ASG_BATCH;
	for (i = 0; i < n; i++)
		hv_aws_paramf(&form, r->found.v[r->pos + i].id,
		    "InstanceIds.member.%zu", i + 1);
	r->pos += n;
	if (start(r, HV_AWS_ASG, "DescribeAutoScalingInstances", &form,
	    HV_AWS_ALL_PAGES) == -1)
		finish(r, 0);
	goto out;
done:
	if (r->found.n > 1)
		qsort(r->found.v, r->found.n, sizeof *r->found.v, cmp_id);
	finish(r, 1);
out:
	hv_buf_release(&form);
}

struct hv_aws_resolve *
hv_aws_resolve_start(struct hv_aws *aws, const struct hv_aws_selector *sel,
    hv_aws_resolve_cb done, void *arg, struct hv_buf *err)
{
	struct hv_aws_resolve	*r;
	struct hv_buf		 form = HV_BUF_INIT;
	char			*name;
	size_t			 i, k = 1;
	int			 kinds;

	kinds = (sel->asg != NULL) + (sel->ntags > 0) + (sel->nids > 0);
	if (kinds != 1) {
		hv_error(err, "aws: select instances by one of asg, tags or "
		    "ids");
		return NULL;
	}
	if (sel->nids > IDS_MAX) {
		hv_error(err, "aws: more than %d instance ids", IDS_MAX);
		return NULL;
	}
	r = hv_xcalloc(1, sizeof *r);
	r->aws = aws;
	r->running_only = sel->running_only;
	r->done = done;
	r->arg = arg;
	hv_buf_init(&r->error);
	if (sel->asg != NULL) {
		r->asg = hv_xstrdup(sel->asg);
		r->phase = PH_GROUP;
		hv_aws_param(&form, "AutoScalingGroupNames.member.1", sel->asg);
		(void)start(r, HV_AWS_ASG, "DescribeAutoScalingGroups", &form,
		    HV_AWS_ALL_PAGES);
		goto out;
	}
	r->phase = PH_DESCRIBE;
	if (sel->ntags > 0) {
		r->tags = hv_xcalloc(sel->ntags, sizeof *r->tags);
		for (i = 0; i < sel->ntags; i++, k++) {
			r->tags[i].key = hv_xstrdup(sel->tags[i].key);
			r->tags[i].value = hv_xstrdup(sel->tags[i].value);
			name = hv_xasprintf("tag:%s", sel->tags[i].key);
			hv_aws_paramf(&form, name, "Filter.%zu.Name", k);
			free(name);
			hv_aws_paramf(&form, sel->tags[i].value,
			    "Filter.%zu.Value.1", k);
		}
		r->ntags = sel->ntags;
	} else {
		r->ids = hv_xcalloc(sel->nids + 1, sizeof *r->ids);
		for (i = 0; i < sel->nids; i++) {
			r->ids[i] = hv_xstrdup(sel->ids[i]);
			hv_aws_paramf(&form, sel->ids[i], "InstanceId.%zu",
			    i + 1);
		}
		r->nids = sel->nids;
	}
	state_filter(r, &form, k);
	(void)start(r, HV_AWS_EC2, "DescribeInstances", &form,
	    HV_AWS_ALL_PAGES);
out:
	hv_buf_release(&form);
	if (r->call == NULL) {
		hv_error(err, "%s", r->error.s);
		hv_aws_resolve_free(r);
		return NULL;
	}
	return r;
}

const struct hv_aws_instances *
hv_aws_resolved(const struct hv_aws_resolve *r, struct hv_buf *err)
{
	if (r->phase != PH_DONE) {
		hv_error(err, "aws: not resolved yet");
		return NULL;
	}
	if (r->failed) {
		hv_error(err, "%s", r->error.s);
		return NULL;
	}
	return &r->found;
}

const struct hv_aws_group *
hv_aws_resolved_group(const struct hv_aws_resolve *r)
{
	return r->asg != NULL && r->groups.n > 0 ? &r->groups.v[0] : NULL;
}

void
hv_aws_resolve_free(struct hv_aws_resolve *r)
{
	size_t	i;

	if (r == NULL)
		return;
	hv_aws_call_free(r->call);
	free(r->asg);
	for (i = 0; i < r->ntags; i++) {
		free(r->tags[i].key);
		free(r->tags[i].value);
	}
	free(r->tags);
	for (i = 0; i < r->nids; i++)
		free(r->ids[i]);
	free(r->ids);
	hv_aws_groups_release(&r->groups);
	hv_aws_instances_release(&r->found);
	hv_aws_instances_release(&r->info);
	hv_buf_release(&r->error);
	free(r);
}
