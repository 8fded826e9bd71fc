/*
 * cloud.c - cloud target groups to hosts at plan time (every group's
 * instances asked at once, on the loop), the launch templates a rotation
 * will use, and the hosts that replace others during a run.
 */
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "aws.h"
#include "check.h"
#include "cloud.h"
#include "driver.h"
#include "experiment.h"
#include "loop.h"
#include "plan.h"

/* Plan time asks AWS for at most this long in all. */
#define RESOLVE_DEADLINE_MS	(4 * HV_AWS_DEADLINE)

struct pending {
	struct hv_group		*g;
	struct hv_aws_resolve	*r;
	int			 done;
};

struct resolving {
	struct pending	*v;
	size_t		 n;
	size_t		 left;
};

int
hv_cloud_used(const struct hv_experiment *x)
{
	size_t	i;

	for (i = 0; i < x->ngroups; i++) {
		if (x->groups[i].aws != NULL)
			return 1;
	}
	return 0;
}

const struct hv_asg_info *
hv_cloud_asg(const struct hv_experiment *x, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < x->nasgs; i++) {
		if (strcmp(x->asgs[i]->name, name) == 0)
			return x->asgs[i];
	}
	return NULL;
}

static void
on_resolved(struct hv_aws_resolve *r, void *arg)
{
	struct pending	*p = arg;

	(void)r;
	p->done = 1;
}

static int
all_done(void *arg)
{
	struct resolving	*rs = arg;
	size_t			 i;

	for (i = 0; i < rs->n; i++) {
		if (rs->v[i].r != NULL && !rs->v[i].done)
			return 0;
	}
	return 1;
}

/* Waits on the loop until cond holds; -1 with a message otherwise. */
static int
wait_for(struct hv_loop *loop, hv_cond_cb cond, void *arg, int64_t deadline,
    struct hv_buf *err)
{
	switch (hv_loop_run(loop, cond, arg, deadline)) {
	case 0:
		return 0;
	case 2:
		return hv_error(err, "aws: interrupted while resolving cloud "
		    "targets");
	default:
		return hv_error(err, "aws: no answer within %d s while "
		    "resolving cloud targets", RESOLVE_DEADLINE_MS / 1000);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An instance as a host of x: found again, or added. */
static const struct hv_host *
instance_host(struct hv_experiment *x, const struct hv_group *g,
    const struct hv_aws_instance *in, struct hv_buf *err)
{
	const struct hv_host	*old;
	struct hv_host		*h;
	const char		*addr;
	char			**tags;
	size_t			 i;

	if ((old = hv_inventory_find(x->inv, in->id)) != NULL) {
		if (old->instance == NULL)
			return hv_error(err, "target group %s: instance %s "
			    "has the name of a host of the inventory",
			    g->name, in->id), NULL;
		/* Known from another group or an earlier run: what AWS
		 * says now. */
		free(old->instance->asg);
		old->instance->asg = in->asg != NULL ? hv_xstrdup(in->asg) :
		    NULL;
		free(old->instance->image_id);
		old->instance->image_id = in->image_id != NULL ?
		    hv_xstrdup(in->image_id) : NULL;
		return old;
	}
	addr = g->aws->public_address ? in->public_ip : in->private_ip;
	if (addr == NULL || *addr == '\0')
		return hv_error(err, "target group %s: instance %s has no "
		    "%s address", g->name, in->id, g->aws->public_address ?
		    "public" : "private"), NULL;
	tags = hv_xcalloc(in->ntags + 1, sizeof *tags);
	for (i = 0; i < in->ntags; i++)
		tags[i] = hv_xasprintf("%s=%s", in->tags[i].key,
		    in->tags[i].value != NULL ? in->tags[i].value : "");
	h = hv_inventory_add(x->inv, in->id, addr, (const char *const *)tags,
	    in->ntags);
	hv_strlist_free(tags, in->ntags);
	h->instance = hv_instance_new(in->id, &x->aws, in->asg,
	    in->image_id);
	h->instance->public_address = g->aws->public_address;
	return h;
}

/* A resolved group's instances become hosts and its members. */
static int
take_group(struct hv_experiment *x, struct pending *p, struct hv_buf *err)
{
	const struct hv_aws_instances	*l;
	struct hv_aws_target		*t = p->g->aws;
	struct hv_buf			 why = HV_BUF_INIT;
	size_t				 i;

	if ((l = hv_aws_resolved(p->r, &why)) == NULL) {
		hv_error(err, "target group %s: %s", p->g->name, why.s);
		hv_buf_release(&why);
		return -1;
	}
	hv_strlist_free(t->members, t->nmembers);
	t->members = hv_xcalloc(l->n + 1, sizeof *t->members);
	t->nmembers = 0;
	for (i = 0; i < l->n; i++) {
		/* Running only: the filter said so, and so does this. */
		if (l->v[i].state != NULL &&
		    strcmp(l->v[i].state, "running") != 0)
			continue;
		if (instance_host(x, p->g, &l->v[i], err) == NULL)
			return -1;
		t->members[t->nmembers++] = hv_xstrdup(l->v[i].id);
	}
	qsort(t->members, t->nmembers, sizeof *t->members, cmp_str);
	t->resolved = 1;
	return 0;
}

/* Whether a step of s uses driver d. */
static int
steps_use(const struct hv_step *s, size_t n, const struct hv_driver *d)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i].driver == d)
			return 1;
	}
	return 0;
}

struct one_call {
	struct hv_aws_call	*c;
	int			 done;
};

static void
on_one(struct hv_aws_call *c, void *arg)
{
	struct one_call	*oc = arg;

	(void)c;
	oc->done = 1;
}

static int
one_done(void *arg)
{
	return ((struct one_call *)arg)->done;
}

/* One call, waited for; its result in *res (the call to free in oc). */
static int
call_wait(struct hv_loop *loop, struct hv_aws *aws, enum hv_aws_service svc,
    const char *action, const char *form, struct one_call *oc,
    int64_t deadline, struct hv_buf *err)
{
	memset(oc, 0, sizeof *oc);
	if ((oc->c = hv_aws_call(aws, svc, action, form, HV_AWS_ALL_PAGES,
	    on_one, oc, err)) == NULL)
		return -1;
	if (wait_for(loop, one_done, oc, deadline, err) == -1)
		return -1;
	if (!hv_aws_result(oc->c)->ok)
		return hv_error(err, "%s", hv_aws_result(oc->c)->error.s);
	return 0;
}

static struct hv_asg_info *
asg_add(struct hv_experiment *x, const struct hv_aws_group *g)
{
	struct hv_asg_info	*a;

	a = hv_xcalloc(1, sizeof *a);
	a->name = hv_xstrdup(g->name);
	a->desired = g->desired;
	if (g->lt_name != NULL || g->lt_id != NULL)
		a->lt_name = hv_xstrdup(g->lt_name != NULL ? g->lt_name :
		    g->lt_id);
	a->lt_version = hv_xstrdup(g->lt_version != NULL ? g->lt_version :
	    "$Default");
	x->asgs = hv_xreallocarray(x->asgs, x->nasgs + 1, sizeof *x->asgs);
	x->asgs[x->nasgs++] = a;
	return a;
}

/* The launch template version a group launches now, and its image. */
static int
asg_image(struct hv_loop *loop, struct hv_aws *aws, struct hv_asg_info *a,
    const struct hv_aws_group *g, int64_t deadline, struct hv_buf *err)
{
	struct hv_aws_lt_versions	 lv;
	struct hv_aws_images		 im;
	struct one_call			 oc;
	struct hv_buf			 form = HV_BUF_INIT;
	int				 rc = -1;

	memset(&lv, 0, sizeof lv);
	memset(&im, 0, sizeof im);
	if (a->lt_name == NULL)
		return 0;	/* a launch configuration: not shown */
	if (g->lt_id != NULL)
		hv_aws_param(&form, "LaunchTemplateId", g->lt_id);
	else
		hv_aws_param(&form, "LaunchTemplateName", g->lt_name);
	hv_aws_param(&form, "LaunchTemplateVersion.1", a->lt_version);
	if (call_wait(loop, aws, HV_AWS_EC2, "DescribeLaunchTemplateVersions",
	    form.s, &oc, deadline, err) == -1 ||
	    hv_aws_parse_lt_versions(hv_aws_result(oc.c), &lv, err) == -1)
		goto out;
	hv_aws_call_free(oc.c);
	oc.c = NULL;
	if (lv.n == 0 || lv.v[0].image_id == NULL) {
		rc = 0;
		goto out;
	}
	a->lt_number = lv.v[0].version;
	a->image_id = hv_xstrdup(lv.v[0].image_id);
	hv_buf_reset(&form);
	hv_aws_param(&form, "ImageId.1", a->image_id);
	if (call_wait(loop, aws, HV_AWS_EC2, "DescribeImages", form.s, &oc,
	    deadline, err) == -1 ||
	    hv_aws_parse_images(hv_aws_result(oc.c), &im, err) == -1)
		goto out;
	if (im.n > 0 && im.v[0].name != NULL)
		a->image_name = hv_xstrdup(im.v[0].name);
	rc = 0;
out:
	hv_aws_call_free(oc.c);
	hv_aws_lt_versions_release(&lv);
	hv_aws_images_release(&im);
	hv_buf_release(&form);
	return rc;
}

/*
 * The Auto Scaling groups of the resolved instances: capacity and the
 * image their launch template gives now (for a rotation's plan).
 */
static int
read_asgs(struct hv_experiment *x, struct hv_loop *loop, struct hv_aws *aws,
    int64_t deadline, struct hv_buf *err)
{
	struct hv_aws_groups	 gs;
	struct hv_buf		 form = HV_BUF_INIT;
	struct one_call		 oc;
	const struct hv_host	*h;
	struct hv_asg_info	*a;
	const char		**names;
	size_t			 i, j, k = 0;
	int			 rc = -1;

	memset(&gs, 0, sizeof gs);
	memset(&oc, 0, sizeof oc);
	names = hv_xcalloc(x->inv->nhosts + 1, sizeof *names);
	for (i = 0; i < x->inv->nhosts; i++) {
		h = x->inv->hosts[i];
		if (h->instance == NULL || h->instance->asg == NULL)
			continue;
		for (j = 0; j < k && strcmp(names[j], h->instance->asg) != 0;
		    j++)
			;
		if (j < k)
			continue;
		names[k++] = h->instance->asg;
		hv_aws_paramf(&form, h->instance->asg,
		    "AutoScalingGroupNames.member.%zu", k);
	}
	free(names);
	if (k == 0)
		return 0;
	if (call_wait(loop, aws, HV_AWS_ASG, "DescribeAutoScalingGroups",
	    form.s, &oc, deadline, err) == -1 ||
	    hv_aws_parse_groups(hv_aws_result(oc.c), &gs, err) == -1)
		goto out;
	for (i = 0; i < gs.n; i++) {
		if (hv_cloud_asg(x, gs.v[i].name) != NULL)
			continue;
		a = asg_add(x, &gs.v[i]);
		if (asg_image(loop, aws, a, &gs.v[i], deadline, err) == -1)
			goto out;
	}
	rc = 0;
out:
	hv_aws_call_free(oc.c);
	hv_aws_groups_release(&gs);
	hv_buf_release(&form);
	return rc;
}

/* Starts resolving group g (running instances only). */
static int
start_group(struct hv_aws *aws, struct pending *p, struct hv_buf *err)
{
	struct hv_aws_selector	 sel;
	struct hv_aws_tag	*tags;
	struct hv_aws_target	*t = p->g->aws;
	struct hv_buf		 why = HV_BUF_INIT;
	size_t			 i;
	int			 rc = 0;

	memset(&sel, 0, sizeof sel);
	tags = hv_xcalloc(t->ntags + 1, sizeof *tags);
	for (i = 0; i < t->ntags; i++) {
		tags[i].key = t->tag_keys[i];
		tags[i].value = t->tag_values[i];
	}
	sel.asg = t->asg;
	sel.tags = tags;
	sel.ntags = t->ntags;
	sel.ids = (const char *const *)t->ids;
	sel.nids = t->nids;
	sel.running_only = 1;
	p->r = hv_aws_resolve_start(aws, &sel, on_resolved, p, &why);
	free(tags);
	if (p->r == NULL)
		rc = hv_error(err, "target group %s: %s", p->g->name, why.s);
	hv_buf_release(&why);
	return rc;
}

int
hv_cloud_resolve(struct hv_experiment *x, struct hv_loop *loop,
    struct hv_buf *err)
{
	struct resolving	 rs;
	struct hv_aws		*aws;
	struct hv_buf		 why = HV_BUF_INIT;
	int64_t			 deadline = hv_mono_ms() + RESOLVE_DEADLINE_MS;
	size_t			 i;
	int			 rc = -1;

	if (!hv_cloud_used(x))
		return 0;
	/* A second resolve (a daemon's next game day) starts afresh. */
	for (i = 0; i < x->inv->nhosts; i++) {
		if (x->inv->hosts[i]->instance != NULL)
			x->inv->hosts[i]->instance->group = NULL;
	}
	for (i = 0; i < x->nasgs; i++)
		hv_asg_info_free(x->asgs[i]);
	free(x->asgs);
	x->asgs = NULL;
	x->nasgs = 0;
	memset(&rs, 0, sizeof rs);
	if ((aws = hv_aws_client(loop, &x->aws, &why)) == NULL) {
		hv_error(err, "%s", why.s);
		hv_buf_release(&why);
		return -1;
	}
	rs.v = hv_xcalloc(x->ngroups, sizeof *rs.v);
	for (i = 0; i < x->ngroups; i++) {
		if (x->groups[i].aws == NULL)
			continue;
		rs.v[rs.n].g = &x->groups[i];
		if (start_group(aws, &rs.v[rs.n++], err) == -1)
			goto out;
	}
	if (wait_for(loop, all_done, &rs, deadline, err) == -1)
		goto out;
	for (i = 0; i < rs.n; i++) {
		if (take_group(x, &rs.v[i], err) == -1)
			goto out;
	}
	/* Hosts know their group's record once it exists. */
	if (steps_use(x->method, x->nmethod,
	    hv_driver_find("aws.asg.replace")) &&
	    read_asgs(x, loop, aws, deadline, err) == -1)
		goto out;
	for (i = 0; i < x->inv->nhosts; i++) {
		struct hv_instance	*in = x->inv->hosts[i]->instance;

		if (in != NULL)
			in->group = hv_cloud_asg(x, in->asg);
	}
	rc = 0;
out:
	for (i = 0; i < rs.n; i++)
		hv_aws_resolve_free(rs.v[i].r);
	free(rs.v);
	hv_buf_release(&why);
	return rc;
}

int
hv_cloud_adopt(struct hv_experiment *x, struct hv_plan *p,
    const struct hv_host *old, struct hv_host **repl, struct hv_buf *err)
{
	struct hv_host	*h = *repl;

	if (h->instance != NULL && h->instance->aws == NULL)
		h->instance->aws = &x->aws;
	if (h->instance != NULL && h->instance->group == NULL)
		h->instance->group = hv_cloud_asg(x, h->instance->asg);
	if (hv_inventory_adopt(x->inv, h) == -1)
		return hv_error(err, "replacement %s: a host has that name",
		    h->name);
	*repl = NULL;
	hv_plan_replace(p, old, h);
	return 0;
}
