/*
 * aws-asg-replace.c - the aws.asg.replace action: the rotation. The
 * picked instances are replaced batch by batch by fresh ones that their
 * Auto Scaling group launches from its launch template (the current
 * golden image).
 *
 * One batch (batch: instances of one group at a time):
 *   1. DescribeAutoScalingGroups: replacing the batch must leave at least
 *      min_healthy instances InService and Healthy (a count, or a
 *      percentage of the desired capacity; by default every instance
 *      outside the batch); else wait for them, within wait_healthy.
 *   2. TerminateInstanceInAutoScalingGroup for each, with
 *      ShouldDecrementDesiredCapacity=false: the group launches one
 *      replacement for each.
 *   3. Until wait_healthy has passed since the terminations: look every
 *      second for new members that are InService and Healthy, then at
 *      their EC2 state (running, an address), then run healthy_when on
 *      each replacement as a host (${target.address} is the
 *      replacement's): Auto Scaling's InService can come long before the
 *      host serves.
 * A batch that does not come up in time stops the rotation: its calls
 * fail, the later batches' calls are skipped (those instances untouched),
 * and the step fails (the run stops, exit 2). Every call says its batch;
 * a replaced one hands its replacement to the runner, which puts it in
 * the old instance's place in every target group for the steps after.
 * Not a fault: there is no going back to the old instances.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "check.h"
#include "driver.h"
#include "expand.h"
#include "experiment.h"
#include "inventory.h"
#include "loop.h"
#include "node.h"

static const struct hv_param replace_params[] = {
	{ "batch", HV_T_INT, 0, "1", NULL,
	  "instances replaced at once (of one Auto Scaling group)" },
	{ "min_healthy", HV_T_STR, 0, NULL, NULL,
	  "instances of the group that must stay InService and Healthy "
	  "while a batch is replaced: a count or a percentage of the "
	  "desired capacity (\"66%\"); default: all but the batch" },
	{ "wait_healthy", HV_T_DURATION, 0, "5m", NULL,
	  "how long a batch's replacements may take to be InService, "
	  "Healthy and pass healthy_when" },
	{ "healthy_when", HV_T_PROBE, 0, NULL, NULL,
	  "a probe that must pass on each replacement (as a host: "
	  "${target.address} is its address): {probe, with, expect}" },
	{ "timeout", HV_T_DURATION, 0, "6h", NULL,
	  "the longest the whole rotation may take" },
	{ NULL }
};

struct repl {
	char		*id;
	char		*address;
	char		*image;
	char		**tags;
	size_t		 ntags;
	int		 ready;		/* running, with an address */
	int		 healthy;	/* passed healthy_when */
	struct hv_host	*host;		/* for healthy_when */
	struct probe_run *probe;	/* in flight */
	struct hv_buf	 why;		/* the last look that said no */
};

struct rotation;

/* A healthy_when probe in flight; orphaned when the rotation stops. */
struct probe_run {
	struct hv_call	 call;
	struct hv_node	*with;
	struct hv_node	*expect;
	struct rotation	*rot;		/* NULL: orphaned */
	struct repl	*r;
	struct hv_host	*host;		/* orphaned: its host, now its own */
};

struct rotation {
	struct hv_aws_gather *g;
	struct hv_ctx	*ctx;
	/* The step's parameters, copied: its calls end batch by batch. */
	long		 batch;
	int64_t		 wait_ms;
	char		*min_healthy;
	struct hv_node	*healthy_when;
	char		*dir;
	char		*tag;
	int		 public_address;

	size_t		*order;		/* g->calls indices, batch order */
	int		*batch_of;	/* by g index */
	size_t		 norder;
	size_t		 pos;		/* the current batch's first */
	size_t		 span;		/* its entries in order */
	size_t		 nbatch;	/* those terminated */
	int		 batchno;
	const char	*asg;		/* the current batch's group */
	char		**known;	/* members before the terminations */
	size_t		 nknown;
	size_t		 terms_left;
	int64_t		 deadline;	/* monotonic ms */
	struct repl	*repls;
	size_t		 nrepls;
	size_t		 probes_left;
};

static void	next_batch(struct rotation *);
static void	look(struct hv_aws_gather *);

static const char *
orq(const char *s)
{
	return s != NULL ? s : "?";
}

static void
repls_clear(struct rotation *rot)
{
	struct repl	*r;
	size_t		 i;

	for (i = 0; i < rot->nrepls; i++) {
		r = &rot->repls[i];
		if (r->probe != NULL) {
			/* Its done frees it, now or later, and the host it
			 * may still be using. */
			r->probe->rot = NULL;
			r->probe->r = NULL;
			r->probe->host = r->host;
			r->host = NULL;
			hv_call_cancel(&r->probe->call);
		}
		free(r->id);
		free(r->address);
		free(r->image);
		hv_strlist_free(r->tags, r->ntags);
		hv_host_free(r->host);
		hv_buf_release(&r->why);
	}
	free(rot->repls);
	rot->repls = NULL;
	rot->nrepls = 0;
	rot->probes_left = 0;
}

static void
rotation_free(struct hv_aws_gather *g)
{
	struct rotation	*rot = g->priv;

	if (rot == NULL)
		return;
	repls_clear(rot);
	hv_strlist_free(rot->known, rot->nknown);
	free(rot->order);
	free(rot->batch_of);
	free(rot->min_healthy);
	hv_node_free(rot->healthy_when);
	free(rot->dir);
	free(rot->tag);
	free(rot);
	g->priv = NULL;
}

/* min_healthy as a count, for a group of desired; -1 when not given. */
static long
min_healthy(const char *s, long desired)
{
	long long	 v;
	size_t		 n;
	char		*num;

	if (s == NULL)
		return -1;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '%') {
		num = hv_xstrndup(s, n - 1);
		if (hv_parse_int(num, &v) == -1)
			v = 100;
		free(num);
		/* Rounded up: 66% of 3 is 2. */
		return (long)((desired * v + 99) / 100);
	}
	if (hv_parse_int(s, &v) == -1)
		return -1;
	return (long)v;
}

/* Ends the batch's calls with a failure and skips every later one. */
static void
stop_rotation(struct rotation *rot, const char *fmt, ...) HV_PRINTF(2, 3);
static void
stop_rotation(struct rotation *rot, const char *fmt, ...)
{
	struct hv_aws_gather	*g = rot->g;
	struct hv_buf		 msg = HV_BUF_INIT;
	va_list			 ap;
	size_t			 i, k;

	va_start(ap, fmt);
	hv_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	for (i = rot->pos; i < rot->norder; i++) {
		k = rot->order[i];
		if (g->calls[k] == NULL)
			continue;
		g->calls[k]->batch = rot->batch_of[k];
		if (i < rot->pos + rot->span) {
			hv_aws_gather_fail(g, k, "batch %d: %s",
			    rot->batch_of[k], msg.s);
			continue;
		}
		g->calls[k]->skipped = 1;
		hv_aws_gather_fail(g, k, "not replaced: the rotation stopped "
		    "at batch %d", rot->batchno);
	}
	hv_buf_release(&msg);
	hv_aws_gather_end(g);
}

/*
 * Looks again at fn's time, or says no (0) when the batch's time is up:
 * the last look is at the deadline itself.
 */
static int
again(struct rotation *rot, hv_aws_gather_fn fn)
{
	int64_t	left = rot->deadline - hv_mono_ms();

	if (left <= 0)
		return 0;
	hv_aws_gather_after(rot->g, left < HV_AWS_POLL_MS ? left :
	    HV_AWS_POLL_MS, fn);
	return 1;
}

/* Whether id is one of the current batch's instances. */
static int
in_batch(const struct rotation *rot, const char *id)
{
	const struct hv_instance	*in;
	size_t				 i;

	for (i = rot->pos; i < rot->pos + rot->span; i++) {
		in = hv_aws_gather_instance(rot->g, rot->order[i]);
		if (in != NULL && strcmp(in->id, id) == 0)
			return 1;
	}
	return 0;
}

static int
was_known(const struct rotation *rot, const char *id)
{
	size_t	i;

	for (i = 0; i < rot->nknown; i++) {
		if (strcmp(rot->known[i], id) == 0)
			return 1;
	}
	return 0;
}

static int
healthy(const struct hv_aws_instance *m)
{
	return m->lifecycle != NULL && strcmp(m->lifecycle, "InService") ==
	    0 && m->health != NULL && strcmp(m->health, "Healthy") == 0;
}

/* The batch is done: each call gets its replacement; then the next. */
static void
batch_done(struct rotation *rot)
{
	struct hv_aws_gather		*g = rot->g;
	const struct hv_instance	*in;
	struct hv_call			*c;
	struct repl			*r;
	struct hv_host			*h;
	size_t				 i, j = 0, k;

	for (i = rot->pos; i < rot->pos + rot->span; i++) {
		k = rot->order[i];
		if ((c = g->calls[k]) == NULL || j >= rot->nrepls)
			continue;
		in = hv_aws_gather_instance(g, k);
		r = &rot->repls[j++];
		c->batch = rot->batch_of[k];
		hv_buf_printf(&c->out, "%s replaced by %s (%s, ", in->id,
		    r->id, r->address);
		hv_aws_image_label(&c->out, r->image, in->group != NULL &&
		    in->group->image_id != NULL && r->image != NULL &&
		    strcmp(in->group->image_id, r->image) == 0 ?
		    in->group->image_name : NULL);
		hv_buf_puts(&c->out, ")");
		h = hv_host_new(r->id, r->address,
		    (const char *const *)r->tags, r->ntags);
		h->instance = hv_instance_new(r->id, in->aws, in->asg,
		    r->image);
		h->instance->public_address = in->public_address;
		c->replacement = h;
		hv_aws_gather_done(g, k, 1);
	}
	rot->pos += rot->span;
	repls_clear(rot);
	next_batch(rot);
}

/* healthy_when's with: (or expect:) for a replacement: values again. */
static struct hv_node *
params_for(const struct rotation *rot, const struct hv_node *n,
    const struct hv_param *spec, const struct hv_host *h, int shell,
    struct hv_buf *err)
{
	const struct hv_experiment	*x = rot->ctx->exp;
	const struct hv_param		*p;
	struct hv_expand		 ex;
	struct hv_buf			 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	struct hv_node			*copy, *item;
	unsigned			 flags = 0;
	size_t				 i;

	if (n == NULL || hv_node_is_null(n))
		return hv_node_new(HV_NODE_MAP, "healthy_when", 0, 0);
	if (n->kind == HV_NODE_SCALAR) {
		memset(&ex, 0, sizeof ex);
		ex.vars = x != NULL ? x->vars : NULL;
		ex.nvars = x != NULL ? x->nvars : 0;
		ex.dir = rot->dir;
		ex.target = h;
		ex.shell = shell;
		if (hv_expand(&ex, n->raw != NULL ? n->raw : n->str, &str,
		    &shown, &flags, err) == -1) {
			hv_buf_release(&str);
			hv_buf_release(&shown);
			return NULL;
		}
		copy = hv_node_scalar("", n->file, n->line, n->col);
		free(copy->str);
		free(copy->shown);
		copy->str = hv_buf_detach(&str);
		copy->shown = hv_buf_detach(&shown);
		copy->secret = (flags & HV_EXP_SECRET) != 0;
		copy->quoted = n->quoted;
		copy->shell = shell;
		return copy;
	}
	copy = hv_node_new(n->kind, n->file, n->line, n->col);
	for (i = 0; i < n->n; i++) {
		p = n->kind == HV_NODE_MAP ? hv_param_find(spec,
		    n->keys[i]->str) : NULL;
		item = params_for(rot, n->items[i], NULL, h, shell ||
		    (p != NULL && p->type == HV_T_SHELL), err);
		if (item == NULL) {
			hv_node_free(copy);
			return NULL;
		}
		hv_node_append(copy, n->kind == HV_NODE_MAP ?
		    hv_node_dup(n->keys[i]) : NULL, item);
	}
	return copy;
}

static void	probes_over(struct rotation *);

static void
probe_run_free(struct probe_run *pr)
{
	hv_call_release(&pr->call);
	hv_node_free(pr->with);
	hv_node_free(pr->expect);
	hv_host_free(pr->host);
	free(pr);
}

static void
probe_run_free_cb(void *arg)
{
	probe_run_free(arg);
}

static void
probe_done(struct hv_call *call)
{
	struct probe_run	*pr = call->arg;
	struct rotation		*rot = pr->rot;
	struct hv_aws_gather	*g;
	struct repl		*r = pr->r;

	/* The probe's own code may still be on the stack. */
	hv_aws_free_later(call->ctx->loop, probe_run_free_cb, pr);
	if (rot == NULL)
		return;		/* orphaned: the rotation is gone */
	g = rot->g;
	r->probe = NULL;
	if (call->ok)
		r->healthy = 1;
	else {
		hv_buf_reset(&r->why);
		hv_buf_printf(&r->why, "healthy_when: %s", call->err.len > 0 ?
		    call->err.s : "failed");
	}
	hv_aws_gather_enter(g);
	if (--rot->probes_left == 0)
		probes_over(rot);
	(void)hv_aws_gather_leave(g);
}

/* Runs healthy_when on a replacement; -1 with the reason in r->why. */
static int
probe_start(struct rotation *rot, struct repl *r)
{
	const struct hv_node	*hw = rot->healthy_when;
	const struct hv_driver	*d;
	struct probe_run	*pr;
	struct hv_buf		 err = HV_BUF_INIT;

	d = hv_driver_find(hv_node_get(hw, "probe")->str);
	if (r->host == NULL)
		r->host = hv_host_new(r->id, r->address,
		    (const char *const *)r->tags, r->ntags);
	pr = hv_xcalloc(1, sizeof *pr);
	pr->rot = rot;
	pr->r = r;
	pr->with = params_for(rot, hv_node_get(hw, "with"), d->params, r->host,
	    0, &err);
	if (pr->with != NULL && !hv_node_is_null(hv_node_get(hw, "expect")))
		pr->expect = params_for(rot, hv_node_get(hw, "expect"),
		    d->expect, r->host, 0, &err);
	if (pr->with == NULL || (pr->expect == NULL &&
	    !hv_node_is_null(hv_node_get(hw, "expect")))) {
		hv_buf_reset(&r->why);
		hv_buf_printf(&r->why, "healthy_when: %s", err.s);
		hv_buf_release(&err);
		hv_node_free(pr->with);
		free(pr);
		return -1;
	}
	hv_buf_release(&err);
	hv_call_init(&pr->call, d, rot->ctx);
	pr->call.with = pr->with;
	pr->call.expect = pr->expect;
	pr->call.host = r->host;
	pr->call.dir = rot->dir;
	pr->call.tag = hv_xstrdup(rot->tag);
	pr->call.done = probe_done;
	pr->call.arg = pr;
	pr->call.started = hv_mono_ms();
	r->probe = pr;
	rot->probes_left++;
	if (hv_call_start(&pr->call) == -1 && !pr->call.finished)
		hv_call_done(&pr->call, 0);
	return 0;
}

/* Every replacement looked at: done, wait more, or give up. */
static void
probes_over(struct rotation *rot)
{
	struct hv_buf	msg = HV_BUF_INIT;
	size_t		i, ok = 0;
	char		d[32];

	for (i = 0; i < rot->nrepls; i++)
		ok += rot->repls[i].healthy;
	if (ok == rot->nrepls && rot->nrepls == rot->nbatch) {
		batch_done(rot);
		return;
	}
	if (again(rot, look))
		return;
	for (i = 0; i < rot->nrepls; i++) {
		if (!rot->repls[i].healthy)
			hv_buf_printf(&msg, "%sreplacement %s (%s): %s",
			    msg.len > 0 ? "; " : "", rot->repls[i].id,
			    rot->repls[i].address != NULL ?
			    rot->repls[i].address : "no address yet",
			    rot->repls[i].why.s);
	}
	stop_rotation(rot, "not healthy within wait_healthy %s: %s",
	    hv_format_duration(rot->wait_ms, d, sizeof d), msg.s);
	hv_buf_release(&msg);
}

/* The replacements are running with an address: probe them, or done. */
static void
check_health(struct rotation *rot)
{
	size_t	i;

	if (rot->healthy_when == NULL) {
		for (i = 0; i < rot->nrepls; i++)
			rot->repls[i].healthy = 1;
		probes_over(rot);
		return;
	}
	hv_aws_gather_enter(rot->g);
	rot->probes_left++;	/* none ends the round before all started */
	for (i = 0; i < rot->nrepls; i++) {
		if (!rot->repls[i].healthy)
			(void)probe_start(rot, &rot->repls[i]);
	}
	if (--rot->probes_left == 0)
		probes_over(rot);
	(void)hv_aws_gather_leave(rot->g);
}

/* EC2's view of the replacements: running, with an address? */
static void
on_repl_described(struct hv_aws_gather *g, const struct hv_aws_res *res,
    void *arg)
{
	struct rotation			*rot = g->priv;
	struct hv_aws_instances		 l;
	const struct hv_aws_instance	*in;
	struct hv_buf			 err = HV_BUF_INIT;
	struct repl			*r;
	size_t				 i, j, ready = 0;
	int				 public = rot->public_address;

	(void)arg;
	memset(&l, 0, sizeof l);
	if (!res->ok) {
		stop_rotation(rot, "%s", res->error.s);
		return;
	}
	if (hv_aws_parse_instances(res, &l, &err) == -1) {
		stop_rotation(rot, "%s", err.s);
		goto out;
	}
	for (i = 0; i < rot->nrepls; i++) {
		r = &rot->repls[i];
		in = hv_aws_instance_find(&l, r->id);
		if (in == NULL || in->state == NULL ||
		    strcmp(in->state, "running") != 0 ||
		    (public ? in->public_ip : in->private_ip) == NULL) {
			hv_buf_reset(&r->why);
			hv_buf_printf(&r->why, "%s is %s", r->id, in != NULL &&
			    in->state != NULL ? in->state : "not described");
			continue;
		}
		if (r->address == NULL) {
			r->address = hv_xstrdup(public ? in->public_ip :
			    in->private_ip);
			r->image = in->image_id != NULL ?
			    hv_xstrdup(in->image_id) : NULL;
			r->tags = hv_xcalloc(in->ntags + 1, sizeof *r->tags);
			for (j = 0; j < in->ntags; j++)
				r->tags[j] = hv_xasprintf("%s=%s",
				    in->tags[j].key, in->tags[j].value !=
				    NULL ? in->tags[j].value : "");
			r->ntags = in->ntags;
		}
		r->ready = 1;
		ready++;
	}
	if (ready == rot->nrepls)
		check_health(rot);
	else
		probes_over(rot);
out:
	hv_aws_instances_release(&l);
	hv_buf_release(&err);
}

/* EC2's view of the replacements found. */
static void
describe_repls(struct rotation *rot)
{
	struct hv_buf	form = HV_BUF_INIT, err = HV_BUF_INIT;
	size_t		i;

	hv_aws_param(&form, "Filter.1.Name", "instance-id");
	for (i = 0; i < rot->nrepls; i++)
		hv_aws_paramf(&form, rot->repls[i].id, "Filter.1.Value.%zu",
		    i + 1);
	if (hv_aws_gather_send(rot->g, HV_AWS_EC2, "DescribeInstances",
	    form.s, HV_AWS_ALL_PAGES, on_repl_described, NULL, &err) == -1)
		stop_rotation(rot, "%s", err.s);
	hv_buf_release(&form);
	hv_buf_release(&err);
}

/* Whether m is a replacement: new since the terminations, up. */
static int
is_fresh(const struct rotation *rot, const struct hv_aws_instance *m)
{
	return !was_known(rot, m->id) && !in_batch(rot, m->id) && healthy(m);
}

/* The group after the terminations: new members InService, Healthy? */
static void
on_group_after(struct hv_aws_gather *g, const struct hv_aws_res *res,
    void *arg)
{
	struct rotation			*rot = g->priv;
	struct hv_aws_groups		 gs;
	const struct hv_aws_group	*grp;
	struct hv_buf			 err = HV_BUF_INIT;
	size_t				 i, fresh = 0;
	char				 d[32];

	(void)arg;
	memset(&gs, 0, sizeof gs);
	if (!res->ok) {
		stop_rotation(rot, "%s", res->error.s);
		return;
	}
	if (hv_aws_parse_groups(res, &gs, &err) == -1 || gs.n == 0) {
		stop_rotation(rot, "%s", gs.n == 0 && err.len == 0 ?
		    "the Auto Scaling group is gone" : err.s);
		goto out;
	}
	grp = &gs.v[0];
	for (i = 0; i < grp->members.n; i++)
		fresh += is_fresh(rot, &grp->members.v[i]);
	if (fresh < rot->nbatch) {
		if (!again(rot, look))
			stop_rotation(rot, "no replacement InService and "
			    "Healthy in group %s within wait_healthy %s (%zu "
			    "of %zu)", rot->asg, hv_format_duration(
			    rot->wait_ms, d, sizeof d), fresh, rot->nbatch);
		goto out;
	}
	rot->repls = hv_xcalloc(rot->nbatch, sizeof *rot->repls);
	for (i = 0; i < grp->members.n && rot->nrepls < rot->nbatch; i++) {
		if (!is_fresh(rot, &grp->members.v[i]))
			continue;
		hv_buf_init(&rot->repls[rot->nrepls].why);
		rot->repls[rot->nrepls++].id =
		    hv_xstrdup(grp->members.v[i].id);
	}
	describe_repls(rot);
out:
	hv_aws_groups_release(&gs);
	hv_buf_release(&err);
}

/* One look after the terminations: the group, or the replacements. */
static void
look(struct hv_aws_gather *g)
{
	struct rotation	*rot = g->priv;
	struct hv_buf	 form = HV_BUF_INIT, err = HV_BUF_INIT;

	if (rot->nrepls > 0) {
		describe_repls(rot);
		return;
	}
	hv_aws_param(&form, "AutoScalingGroupNames.member.1", rot->asg);
	if (hv_aws_gather_send(g, HV_AWS_ASG, "DescribeAutoScalingGroups",
	    form.s, HV_AWS_ALL_PAGES, on_group_after, NULL, &err) == -1)
		stop_rotation(rot, "%s", err.s);
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static void
on_terminated(struct hv_aws_gather *g, const struct hv_aws_res *res,
    void *arg)
{
	struct rotation	*rot = g->priv;
	const char	*id = arg;

	if (!res->ok) {
		/* The others' answers are not waited for: stop now. */
		stop_rotation(rot, "%s: %s", id, res->error.s);
		return;
	}
	if (--rot->terms_left > 0)
		return;
	rot->deadline = hv_mono_ms() + rot->wait_ms;
	hv_aws_gather_after(g, HV_AWS_POLL_MS, look);
}

/* Terminates the batch in its group, keeping the desired capacity. */
static void
terminate_batch(struct rotation *rot)
{
	const struct hv_instance	*in;
	struct hv_buf			 form = HV_BUF_INIT, err = HV_BUF_INIT;
	size_t				 i;

	rot->terms_left = rot->nbatch;
	for (i = rot->pos; i < rot->pos + rot->span; i++) {
		if ((in = hv_aws_gather_instance(rot->g, rot->order[i])) ==
		    NULL)
			continue;
		hv_buf_reset(&form);
		hv_aws_param_terminate_in_asg(&form, in->id, 0);
		if (hv_aws_gather_send(rot->g, HV_AWS_ASG,
		    "TerminateInstanceInAutoScalingGroup", form.s, 0,
		    on_terminated, in->id, &err) == -1) {
			stop_rotation(rot, "%s", err.s);
			break;
		}
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

static void	look_before(struct hv_aws_gather *);

/* The group before a batch: may it lose the batch for a while? */
static void
on_group_before(struct hv_aws_gather *g, const struct hv_aws_res *res,
    void *arg)
{
	struct rotation			*rot = g->priv;
	struct hv_aws_groups		 gs;
	const struct hv_aws_instance	*m;
	struct hv_buf			 err = HV_BUF_INIT;
	size_t				 i, up = 0, up_batch = 0;
	long				 need;

	(void)arg;
	memset(&gs, 0, sizeof gs);
	if (!res->ok) {
		stop_rotation(rot, "%s", res->error.s);
		return;
	}
	if (hv_aws_parse_groups(res, &gs, &err) == -1 || gs.n == 0) {
		stop_rotation(rot, "%s", gs.n == 0 && err.len == 0 ?
		    "no Auto Scaling group" : err.s);
		goto out;
	}
	for (i = 0; i < gs.v[0].members.n; i++) {
		m = &gs.v[0].members.v[i];
		if (!healthy(m))
			continue;
		up++;
		up_batch += in_batch(rot, m->id);
	}
	need = min_healthy(rot->min_healthy, gs.v[0].desired);
	if (need < 0)
		need = gs.v[0].desired - (long)rot->nbatch;
	if ((long)(up - up_batch) < need) {
		if (again(rot, look_before))
			goto out;
		stop_rotation(rot, "group %s has %zu of %ld instances "
		    "InService and Healthy: replacing %zu would leave fewer "
		    "than min_healthy %ld", rot->asg, up, gs.v[0].desired,
		    rot->nbatch, need);
		goto out;
	}
	hv_strlist_free(rot->known, rot->nknown);
	rot->known = hv_xcalloc(gs.v[0].members.n + 1, sizeof *rot->known);
	rot->nknown = 0;
	for (i = 0; i < gs.v[0].members.n; i++)
		rot->known[rot->nknown++] =
		    hv_xstrdup(gs.v[0].members.v[i].id);
	terminate_batch(rot);
out:
	hv_aws_groups_release(&gs);
	hv_buf_release(&err);
}

static void
look_before(struct hv_aws_gather *g)
{
	struct rotation	*rot = g->priv;
	struct hv_buf	 form = HV_BUF_INIT, err = HV_BUF_INIT;

	hv_aws_param(&form, "AutoScalingGroupNames.member.1", rot->asg);
	if (hv_aws_gather_send(g, HV_AWS_ASG, "DescribeAutoScalingGroups",
	    form.s, HV_AWS_ALL_PAGES, on_group_before, NULL, &err) == -1)
		stop_rotation(rot, "%s", err.s);
	hv_buf_release(&form);
	hv_buf_release(&err);
}

/* The next batch: the next instances of one group, up to batch. */
static void
next_batch(struct rotation *rot)
{
	const struct hv_instance	*in;
	size_t				 i;

	/* Calls cancelled meanwhile are not replaced. */
	while (rot->pos < rot->norder && rot->g->calls[rot->order[rot->pos]]
	    == NULL)
		rot->pos++;
	if (rot->pos >= rot->norder) {
		hv_aws_gather_end(rot->g);
		return;
	}
	in = hv_aws_gather_instance(rot->g, rot->order[rot->pos]);
	rot->asg = in->asg;
	rot->batchno = rot->batch_of[rot->order[rot->pos]];
	rot->span = rot->nbatch = 0;
	for (i = rot->pos; i < rot->norder &&
	    rot->batch_of[rot->order[i]] == rot->batchno; i++) {
		rot->span++;
		rot->nbatch += rot->g->calls[rot->order[i]] != NULL;
	}
	rot->deadline = hv_mono_ms() + rot->wait_ms;
	look_before(rot->g);
}

/* Sorts calls by group, then by their step's order. */
static struct hv_aws_gather *sort_g;

static int
by_group(const void *a, const void *b)
{
	const struct hv_instance	*x, *y;
	size_t				 i = *(const size_t *)a;
	size_t				 j = *(const size_t *)b;
	int				 c;

	x = hv_aws_gather_instance(sort_g, i);
	y = hv_aws_gather_instance(sort_g, j);
	if ((c = strcmp(x->asg, y->asg)) != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* What the rotation needs of its step, kept beyond its calls. */
static void
params_copy(struct rotation *rot, const struct hv_call *c)
{
	const char	*mh = hv_arg_str(c, "min_healthy");

	rot->ctx = c->ctx;
	rot->batch = hv_arg_int(c, "batch") > 0 ? hv_arg_int(c, "batch") : 1;
	rot->wait_ms = hv_arg_ms(c, "wait_healthy");
	rot->min_healthy = mh != NULL ? hv_xstrdup(mh) : NULL;
	if (hv_arg_node(c, "healthy_when") != NULL)
		rot->healthy_when = hv_node_dup(hv_arg_node(c,
		    "healthy_when"));
	rot->dir = hv_xstrdup(c->dir != NULL ? c->dir : ".");
	rot->tag = hv_xstrdup(c->tag != NULL ? c->tag : "havoc");
	rot->public_address = c->host->instance->public_address;
}

static void
replace_run(struct hv_aws_gather *g)
{
	const struct hv_instance	*in;
	struct rotation			*rot;
	size_t				 i, inbatch = 0;
	long				 b;
	int				 no = 0;

	rot = hv_xcalloc(1, sizeof *rot);
	rot->g = g;
	g->priv = rot;
	g->stop = rotation_free;
	rot->order = hv_xcalloc(g->n + 1, sizeof *rot->order);
	rot->batch_of = hv_xcalloc(g->n + 1, sizeof *rot->batch_of);
	for (i = 0; i < g->n; i++) {
		if ((in = hv_aws_gather_instance(g, i)) == NULL)
			continue;
		if (in->asg == NULL) {
			hv_aws_gather_fail(g, i, "%s is in no Auto Scaling "
			    "group: nothing would replace it", in->id);
			continue;
		}
		if (rot->ctx == NULL)
			params_copy(rot, g->calls[i]);
		rot->order[rot->norder++] = i;
	}
	if (rot->norder == 0) {
		hv_aws_gather_end(g);
		return;
	}
	sort_g = g;
	qsort(rot->order, rot->norder, sizeof *rot->order, by_group);
	sort_g = NULL;
	b = rot->batch;
	/* Batches never mix groups. */
	for (i = 0; i < rot->norder; i++) {
		in = hv_aws_gather_instance(g, rot->order[i]);
		if (i == 0 || inbatch == (size_t)b || strcmp(in->asg,
		    hv_aws_gather_instance(g, rot->order[i - 1])->asg) != 0) {
			no++;
			inbatch = 0;
		}
		inbatch++;
		rot->batch_of[rot->order[i]] = no;
	}
	next_batch(rot);
}

static int
replace_start(struct hv_call *call)
{
	return hv_aws_gather(call, replace_run);
}

static int
replace_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_instance	*in;
	const char			*mh = hv_arg_str(call, "min_healthy");
	long long			 v;
	size_t				 n;
	char				*num;
	int				 bad = 0;

	if (hv_arg_int(call, "batch") < 1)
		return hv_error(err, "batch must be 1 or more");
	if (hv_arg_has(call, "wait_healthy") &&
	    hv_arg_ms(call, "wait_healthy") <= 0)
		return hv_error(err, "wait_healthy must be more than 0");
	if (mh != NULL) {
		n = strlen(mh);
		if (n > 1 && mh[n - 1] == '%') {
			num = hv_xstrndup(mh, n - 1);
			bad = hv_parse_int(num, &v) == -1 || v < 0 || v > 100;
			free(num);
		} else
			bad = hv_parse_int(mh, &v) == -1 || v < 0;
		if (bad)
			return hv_error(err, "min_healthy: \"%s\" is not a "
			    "count or a percentage like \"66%%\"", mh);
	}
	if (hv_aws_check_instance(call, err) == -1)
		return -1;
	in = call->host != NULL ? call->host->instance : NULL;
	if (in != NULL && in->asg == NULL)
		return hv_error(err, "%s is in no Auto Scaling group: nothing "
		    "would replace it", in->id);
	return 0;
}

static void
replace_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	const struct hv_instance	*in;
	const struct hv_asg_info	*a;
	long long			 b = hv_arg_int(call, "batch");

	if (revert) {
		hv_buf_puts(out, "nothing to revert (the old instance is "
		    "gone)");
		return;
	}
	in = call->host != NULL ? call->host->instance : NULL;
	if (in == NULL) {
		hv_buf_puts(out, "replace each instance of the group in its "
		    "Auto Scaling group");
		return;
	}
	if (b < 1)
		b = 1;
	hv_buf_printf(out, "terminate %s in Auto Scaling group %s, keeping "
	    "its capacity", in->id, orq(in->asg));
	if (call->count > 0)
		hv_buf_printf(out, " (batch %zu of %zu)",
		    call->index / (size_t)b + 1,
		    (call->count + (size_t)b - 1) / (size_t)b);
	if ((a = in->group) != NULL && a->image_id != NULL) {
		hv_buf_puts(out, "; its replacement runs ");
		hv_aws_image_label(out, a->image_id, a->image_name);
		hv_buf_printf(out, " from launch template %s %s",
		    orq(a->lt_name), orq(a->lt_version));
		if (a->lt_number > 0 && strcmp(orq(a->lt_version), "") != 0 &&
		    a->lt_version[0] == '$')
			hv_buf_printf(out, " (version %ld)", a->lt_number);
	} else if (a != NULL && a->lt_name == NULL)
		hv_buf_puts(out, "; the group has no launch template (its "
		    "launch configuration decides the image)");
}

const struct hv_driver hv_action_aws_asg_replace = {
	.name = "aws.asg.replace",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_aws,
	.summary = "replace instances in their Auto Scaling group, batch by "
	    "batch, onto its launch template's image (the rotation)",
	.params = replace_params,
	.start = replace_start,
	.check = replace_check,
	.describe = replace_describe,
	.cancel = hv_aws_gather_cancel,
};
