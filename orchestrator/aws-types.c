/*
 * aws-types.c - the typed view of AWS's answers that havoc's drivers
 * use: instances, Auto Scaling groups, state changes, images and launch
 * template versions, read from every page of a result.
 *
 * EC2 lists are <xxxSet><item>, Auto Scaling lists <Xxx><member>; the
 * element names follow the API references (EC2 2016-11-15, Auto Scaling
 * 2011-01-01).
 */
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "util.h"
#include "xml.h"

/* A new copy of a child element's text, or NULL. */
static char *
dup_get(const struct hv_xml_node *n, const char *path)
{
	const char	*s = hv_xml_get(n, path);

	return s != NULL ? hv_xstrdup(s) : NULL;
}

/* Whether an element is called name. */
static int
is(const struct hv_xml_node *n, const char *name)
{
	return strcmp(n->name, name) == 0;
}

/* The root of page i, checked to be the response to action. */
static const struct hv_xml_node *
page_root(const struct hv_aws_res *res, size_t i, const char *action,
    struct hv_buf *err)
{
	const struct hv_xml_node	*root = hv_xml_root(res->pages[i]);
	char				*want;
	int				 ok;

	want = hv_xasprintf("%sResponse", action);
	ok = is(root, want);
	free(want);
	if (!ok) {
		hv_error(err, "aws %s: the answer is a %s, not a %sResponse",
		    action, root->name, action);
		return NULL;
	}
	return root;
}

static void
tags_read(const struct hv_xml_node *set, struct hv_aws_tag **tags,
    size_t *n)
{
	size_t	i;

	for (i = 0; set != NULL && i < set->n; i++) {
		if (!is(set->kids[i], "item") && !is(set->kids[i], "member"))
			continue;
		*tags = hv_xreallocarray(*tags, *n + 1, sizeof **tags);
		(*tags)[*n].key = dup_get(set->kids[i], "key");
		if ((*tags)[*n].key == NULL)
			(*tags)[*n].key = dup_get(set->kids[i], "Key");
		(*tags)[*n].value = dup_get(set->kids[i], "value");
		if ((*tags)[*n].value == NULL)
			(*tags)[*n].value = dup_get(set->kids[i], "Value");
		if ((*tags)[*n].key == NULL) {
			free((*tags)[*n].value);
			continue;
		}
		(*n)++;
	}
}

static void
tags_free(struct hv_aws_tag *tags, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(tags[i].key);
		free(tags[i].value);
	}
	free(tags);
}

const char *
hv_aws_tag_get(const struct hv_aws_tag *tags, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(tags[i].key, key) == 0)
			return tags[i].value != NULL ? tags[i].value : "";
	}
	return NULL;
}

static struct hv_aws_instance *
instance_add(struct hv_aws_instances *l)
{
	l->v = hv_xreallocarray(l->v, l->n + 1, sizeof *l->v);
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	return &l->v[l->n++];
}

static void
instance_release(struct hv_aws_instance *in)
{
	free(in->id);
	free(in->state);
	free(in->private_ip);
	free(in->public_ip);
	free(in->image_id);
	free(in->type);
	free(in->az);
	free(in->launch_time);
	free(in->name);
	free(in->asg);
	free(in->lifecycle);
	free(in->health);
	free(in->lt_id);
	free(in->lt_name);
	free(in->lt_version);
	tags_free(in->tags, in->ntags);
}

void
hv_aws_instances_release(struct hv_aws_instances *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		instance_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct hv_aws_instance *
hv_aws_instance_find(const struct hv_aws_instances *l, const char *id)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].id != NULL && strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	}
	return NULL;
}

int
hv_aws_parse_instances(const struct hv_aws_res *res,
    struct hv_aws_instances *out, struct hv_buf *err)
{
	const struct hv_xml_node	*root, *rs, *is_set, *it;
	struct hv_aws_instance		*in;
	const char			*v;
	size_t				 p, i, j;

	for (p = 0; p < res->npages; p++) {
		if ((root = page_root(res, p, "DescribeInstances", err)) ==
		    NULL)
			return -1;
		if ((rs = hv_xml_child(root, "reservationSet")) == NULL)
			return hv_error(err, "aws DescribeInstances: no "
			    "reservationSet");
		for (i = 0; i < rs->n; i++) {
			is_set = hv_xml_child(rs->kids[i], "instancesSet");
			for (j = 0; is_set != NULL && j < is_set->n; j++) {
				it = is_set->kids[j];
				if ((v = hv_xml_get(it, "instanceId")) == NULL)
					return hv_error(err, "aws "
					    "DescribeInstances: an instance "
					    "without instanceId");
				in = instance_add(out);
				in->id = hv_xstrdup(v);
				in->state = dup_get(it, "instanceState/name");
				in->private_ip = dup_get(it,
				    "privateIpAddress");
				in->public_ip = dup_get(it, "ipAddress");
				in->image_id = dup_get(it, "imageId");
				in->type = dup_get(it, "instanceType");
				in->az = dup_get(it,
				    "placement/availabilityZone");
				in->launch_time = dup_get(it, "launchTime");
				tags_read(hv_xml_child(it, "tagSet"),
				    &in->tags, &in->ntags);
				if ((v = hv_aws_tag_get(in->tags, in->ntags,
				    "Name")) != NULL)
					in->name = hv_xstrdup(v);
				if ((v = hv_aws_tag_get(in->tags, in->ntags,
				    "aws:autoscaling:groupName")) != NULL)
					in->asg = hv_xstrdup(v);
			}
		}
	}
	return 0;
}

/* A LaunchTemplate element of Auto Scaling into the lt_* fields. */
static void
lt_read(const struct hv_xml_node *lt, char **id, char **name, char **ver)
{
	if (lt == NULL)
		return;
	*id = dup_get(lt, "LaunchTemplateId");
	*name = dup_get(lt, "LaunchTemplateName");
	*ver = dup_get(lt, "Version");
}

/* One member of an Auto Scaling list of instances. */
static int
member_read(const struct hv_xml_node *m, struct hv_aws_instances *out,
    struct hv_buf *err)
{
	struct hv_aws_instance	*in;
	const char		*id = hv_xml_get(m, "InstanceId");

	if (id == NULL)
		return hv_error(err, "aws: an Auto Scaling instance without "
		    "InstanceId");
	in = instance_add(out);
	in->id = hv_xstrdup(id);
	in->asg = dup_get(m, "AutoScalingGroupName");
	in->lifecycle = dup_get(m, "LifecycleState");
	in->health = dup_get(m, "HealthStatus");
	in->az = dup_get(m, "AvailabilityZone");
	in->type = dup_get(m, "InstanceType");
	lt_read(hv_xml_child(m, "LaunchTemplate"), &in->lt_id, &in->lt_name,
	    &in->lt_version);
	return 0;
}

/* A number element; -1 when it is missing or not a number. */
static long
num_get(const struct hv_xml_node *n, const char *path)
{
	const char	*s = hv_xml_get(n, path);
	long long	 v;

	if (s == NULL || hv_parse_int(s, &v) == -1)
		return -1;
	return (long)v;
}

static void
group_release(struct hv_aws_group *g)
{
	free(g->name);
	free(g->lt_id);
	free(g->lt_name);
	free(g->lt_version);
	free(g->launch_config);
	hv_aws_instances_release(&g->members);
}

void
hv_aws_groups_release(struct hv_aws_groups *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		group_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
hv_aws_parse_groups(const struct hv_aws_res *res, struct hv_aws_groups *out,
    struct hv_buf *err)
{
	const struct hv_xml_node	*root, *gs, *g, *ins, *lt;
	struct hv_aws_group		*grp;
	size_t				 p, i, j;

	for (p = 0; p < res->npages; p++) {
		if ((root = page_root(res, p, "DescribeAutoScalingGroups",
		    err)) == NULL)
			return -1;
		gs = hv_xml_child(root, "DescribeAutoScalingGroupsResult/"
		    "AutoScalingGroups");
		if (gs == NULL)
			return hv_error(err, "aws DescribeAutoScalingGroups: "
			    "no AutoScalingGroups");
		for (i = 0; i < gs->n; i++) {
			g = gs->kids[i];
			if (hv_xml_get(g, "AutoScalingGroupName") == NULL)
				return hv_error(err, "aws "
				    "DescribeAutoScalingGroups: a group "
				    "without AutoScalingGroupName");
			out->v = hv_xreallocarray(out->v, out->n + 1,
			    sizeof *out->v);
			grp = &out->v[out->n++];
			memset(grp, 0, sizeof *grp);
			grp->name = dup_get(g, "AutoScalingGroupName");
			grp->min = num_get(g, "MinSize");
			grp->max = num_get(g, "MaxSize");
			grp->desired = num_get(g, "DesiredCapacity");
			grp->launch_config = dup_get(g,
			    "LaunchConfigurationName");
			lt = hv_xml_child(g, "LaunchTemplate");
			if (lt == NULL)
				lt = hv_xml_child(g, "MixedInstancesPolicy/"
				    "LaunchTemplate/"
				    "LaunchTemplateSpecification");
			lt_read(lt, &grp->lt_id, &grp->lt_name,
			    &grp->lt_version);
			ins = hv_xml_child(g, "Instances");
			for (j = 0; ins != NULL && j < ins->n; j++) {
				if (member_read(ins->kids[j], &grp->members,
				    err) == -1)
					return -1;
				free(grp->members.v[grp->members.n - 1].asg);
				grp->members.v[grp->members.n - 1].asg =
				    hv_xstrdup(grp->name);
			}
		}
	}
	return 0;
}

int
hv_aws_parse_asg_instances(const struct hv_aws_res *res,
    struct hv_aws_instances *out, struct hv_buf *err)
{
	const struct hv_xml_node	*root, *l;
	size_t				 p, i;

	for (p = 0; p < res->npages; p++) {
		if ((root = page_root(res, p, "DescribeAutoScalingInstances",
		    err)) == NULL)
			return -1;
		l = hv_xml_child(root, "DescribeAutoScalingInstancesResult/"
		    "AutoScalingInstances");
		if (l == NULL)
			return hv_error(err, "aws DescribeAutoScalingInstances:"
			    " no AutoScalingInstances");
		for (i = 0; i < l->n; i++) {
			if (member_read(l->kids[i], out, err) == -1)
				return -1;
		}
	}
	return 0;
}

void
hv_aws_state_changes_release(struct hv_aws_state_changes *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].previous);
		free(l->v[i].current);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
hv_aws_parse_state_changes(const struct hv_aws_res *res,
    struct hv_aws_state_changes *out, struct hv_buf *err)
{
	const struct hv_xml_node	*root, *set, *it;
	struct hv_aws_state_change	*sc;
	size_t				 p, i;

	for (p = 0; p < res->npages; p++) {
		root = hv_xml_root(res->pages[p]);
		if ((set = hv_xml_child(root, "instancesSet")) == NULL)
			return hv_error(err, "aws: %s has no instancesSet",
			    root->name);
		for (i = 0; i < set->n; i++) {
			it = set->kids[i];
			if (hv_xml_get(it, "instanceId") == NULL)
				return hv_error(err, "aws: a state change "
				    "without instanceId");
			out->v = hv_xreallocarray(out->v, out->n + 1,
			    sizeof *out->v);
			sc = &out->v[out->n++];
			sc->id = dup_get(it, "instanceId");
			sc->previous = dup_get(it, "previousState/name");
			sc->current = dup_get(it, "currentState/name");
		}
	}
	return 0;
}

void
hv_aws_images_release(struct hv_aws_images *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].name);
		free(l->v[i].state);
		free(l->v[i].description);
		tags_free(l->v[i].tags, l->v[i].ntags);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
hv_aws_parse_images(const struct hv_aws_res *res, struct hv_aws_images *out,
    struct hv_buf *err)
{
	const struct hv_xml_node	*root, *set, *it;
	struct hv_aws_image		*im;
	size_t				 p, i;

	for (p = 0; p < res->npages; p++) {
		if ((root = page_root(res, p, "DescribeImages", err)) == NULL)
			return -1;
		if ((set = hv_xml_child(root, "imagesSet")) == NULL)
			return hv_error(err, "aws DescribeImages: no "
			    "imagesSet");
		for (i = 0; i < set->n; i++) {
			it = set->kids[i];
			if (hv_xml_get(it, "imageId") == NULL)
				return hv_error(err, "aws DescribeImages: an "
				    "image without imageId");
			out->v = hv_xreallocarray(out->v, out->n + 1,
			    sizeof *out->v);
			im = &out->v[out->n++];
			memset(im, 0, sizeof *im);
			im->id = dup_get(it, "imageId");
			im->name = dup_get(it, "name");
			im->state = dup_get(it, "imageState");
			im->description = dup_get(it, "description");
			tags_read(hv_xml_child(it, "tagSet"), &im->tags,
			    &im->ntags);
		}
	}
	return 0;
}

void
hv_aws_lt_versions_release(struct hv_aws_lt_versions *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].lt_id);
		free(l->v[i].lt_name);
		free(l->v[i].image_id);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
hv_aws_parse_lt_versions(const struct hv_aws_res *res,
    struct hv_aws_lt_versions *out, struct hv_buf *err)
{
	const struct hv_xml_node	*root, *set, *it;
	struct hv_aws_lt_version	*v;
	const char			*d;
	size_t				 p, i;

	for (p = 0; p < res->npages; p++) {
		if ((root = page_root(res, p, "DescribeLaunchTemplateVersions",
		    err)) == NULL)
			return -1;
		if ((set = hv_xml_child(root, "launchTemplateVersionSet")) ==
		    NULL)
			return hv_error(err, "aws "
			    "DescribeLaunchTemplateVersions: no "
			    "launchTemplateVersionSet");
		for (i = 0; i < set->n; i++) {
			it = set->kids[i];
			out->v = hv_xreallocarray(out->v, out->n + 1,
			    sizeof *out->v);
			v = &out->v[out->n++];
			memset(v, 0, sizeof *v);
			v->lt_id = dup_get(it, "launchTemplateId");
			v->lt_name = dup_get(it, "launchTemplateName");
			v->version = num_get(it, "versionNumber");
			d = hv_xml_get(it, "defaultVersion");
			v->is_default = d != NULL && strcmp(d, "true") == 0;
			v->image_id = dup_get(it, "launchTemplateData/imageId");
		}
	}
	return 0;
}
