/*
 * aws-call.c - the AWS transport: clients per loop, gatherings of a
 * step's calls, and the budget of AWS calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws-call.h"
#include "check.h"
#include "experiment.h"
#include "loop.h"
#include "node.h"

struct client {
	char		*key;
	struct hv_aws	*aws;
};

struct later {
	void		(*fn)(void *);
	void		*arg;
};

/* What the transport keeps on a loop (its HV_SLOT_AWS). */
struct aws_state {
	struct hv_loop		*loop;
	struct client		*clients;
	size_t			 nclients;
	struct hv_aws_gather	*gatherings;
	struct later		*later;		/* to free on the next turn */
	size_t			 nlater;
	struct hv_timer		*later_timer;
};

struct aws_inflight {
	struct hv_aws_gather	*g;
	struct hv_aws_call	*call;
	hv_aws_res_fn		 cb;
	void			*arg;
	void			(*free_arg)(void *);	/* if never called */
};

static void	gather_free(struct hv_aws_gather *);

static void
later_run(struct aws_state *st)
{
	struct later	*v = st->later;
	size_t		 i, n = st->nlater;

	st->later = NULL;
	st->nlater = 0;
	for (i = 0; i < n; i++)
		v[i].fn(v[i].arg);
	free(v);
}

static void
on_later(void *arg)
{
	struct aws_state	*st = arg;

	st->later_timer = NULL;
	later_run(st);
}

static void
state_free(void *arg)
{
	struct aws_state	*st = arg;
	size_t			 i;

	hv_loop_cancel(st->loop, st->later_timer);
	later_run(st);
	while (st->gatherings != NULL)
		gather_free(st->gatherings);
	for (i = 0; i < st->nclients; i++) {
		hv_aws_free(st->clients[i].aws);
		free(st->clients[i].key);
	}
	free(st->clients);
	*hv_loop_slot(st->loop, HV_SLOT_AWS) = NULL;
	free(st);
}

static struct aws_state *
state_get(struct hv_loop *loop)
{
	void			**slot = hv_loop_slot(loop, HV_SLOT_AWS);
	struct aws_state	 *st;

	if (*slot != NULL)
		return *slot;
	st = hv_xcalloc(1, sizeof *st);
	st->loop = loop;
	*slot = st;
	hv_loop_atfree(loop, state_free, st);
	return st;
}

void
hv_aws_free_later(struct hv_loop *loop, void (*fn)(void *), void *arg)
{
	struct aws_state	*st = state_get(loop);

	st->later = hv_xreallocarray(st->later, st->nlater + 1,
	    sizeof *st->later);
	st->later[st->nlater].fn = fn;
	st->later[st->nlater++].arg = arg;
	if (st->later_timer == NULL)
		st->later_timer = hv_loop_timer(loop, 0, on_later, st);
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* One line per setting: two settings that read alike share a client. */
static char *
cloud_key(const struct hv_cloud_aws *c)
{
	return hv_xasprintf("%s\n%s\n%s", or_dash(c->region),
	    or_dash(c->profile), or_dash(c->endpoint));
}

struct hv_aws *
hv_aws_client(struct hv_loop *loop, const struct hv_cloud_aws *c,
    struct hv_buf *err)
{
	struct aws_state	*st = state_get(loop);
	struct hv_aws_config	 cfg;
	struct hv_aws		*aws;
	char			*key = cloud_key(c);
	size_t			 i;

	for (i = 0; i < st->nclients; i++) {
		if (strcmp(st->clients[i].key, key) == 0) {
			free(key);
			return st->clients[i].aws;
		}
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.region = c->region;
	cfg.profile = c->profile;
	cfg.endpoint = c->endpoint;
	if ((aws = hv_aws_new(loop, &cfg, err)) == NULL) {
		free(key);
		return NULL;
	}
	hv_debug("aws: region %s, credentials from %s", hv_aws_region(aws),
	    hv_aws_source(aws));
	st->clients = hv_xreallocarray(st->clients, st->nclients + 1,
	    sizeof *st->clients);
	st->clients[st->nclients].key = key;
	st->clients[st->nclients++].aws = aws;
	return aws;
}

const struct hv_instance *
hv_aws_gather_instance(const struct hv_aws_gather *g, size_t i)
{
	const struct hv_call	*c = g->calls[i];

	if (c == NULL || c->host == NULL)
		return NULL;
	return c->host->instance;
}

int
hv_aws_check_instance(const struct hv_call *call, struct hv_buf *err)
{
	if (call->host == NULL)
		return 0;
	if (call->host->instance == NULL)
		return hv_error(err, "%s is not a cloud instance (on: must "
		    "name a target group with aws:)", call->host->name);
	return 0;
}

/* The cloud setting of a call: its instance's, else the experiment's. */
static const struct hv_cloud_aws *
call_cloud(const struct hv_call *call)
{
	static const struct hv_cloud_aws	none;

	if (call->host != NULL && call->host->instance != NULL &&
	    call->host->instance->aws != NULL)
		return call->host->instance->aws;
	if (call->ctx != NULL && call->ctx->exp != NULL)
		return &call->ctx->exp->aws;
	return &none;
}

/* Unlinks a gathering from its loop's list. */
static void
unlink_gather(struct hv_aws_gather *g)
{
	struct aws_state	*st = state_get(g->loop);
	struct hv_aws_gather	**pp;

	for (pp = &st->gatherings; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
}

/* Stops what is under way and frees (the calls have ended or left). */
static void
gather_free(struct hv_aws_gather *g)
{
	size_t	i;

	unlink_gather(g);
	if (g->stop != NULL)
		g->stop(g);
	g->stop = NULL;
	hv_loop_cancel(g->loop, g->start_timer);
	hv_loop_cancel(g->loop, g->timer);
	for (i = 0; i < g->ninflight; i++) {
		hv_aws_call_free(g->inflight[i]->call);
		if (g->inflight[i]->free_arg != NULL)
			g->inflight[i]->free_arg(g->inflight[i]->arg);
		free(g->inflight[i]);
	}
	for (i = 0; i < g->n; i++) {
		if (g->calls[i] != NULL)
			g->calls[i]->priv = NULL;
	}
	free(g->inflight);
	free(g->calls);
	free(g->key);
	free(g);
}

static void
hold(struct hv_aws_gather *g)
{
	g->hold++;
}

/* Returns 1 when the gathering was freed. */
static int
unhold(struct hv_aws_gather *g)
{
	if (--g->hold > 0 || !g->dead)
		return 0;
	gather_free(g);
	return 1;
}

void
hv_aws_gather_enter(struct hv_aws_gather *g)
{
	hold(g);
}

int
hv_aws_gather_leave(struct hv_aws_gather *g)
{
	return unhold(g);
}

static void
on_start(void *arg)
{
	struct hv_aws_gather	*g = arg;

	g->start_timer = NULL;
	/* A gathering that lost every call before it started is gone. */
	hold(g);
	g->fn(g);
	(void)unhold(g);
}

/* Keeps the calls in their step's order, whatever order they came in. */
static void
insert_call(struct hv_aws_gather *g, struct hv_call *call)
{
	size_t	i;

	g->calls = hv_xreallocarray(g->calls, g->n + 1, sizeof *g->calls);
	for (i = g->n; i > 0 && g->calls[i - 1]->index > call->index; i--)
		g->calls[i] = g->calls[i - 1];
	g->calls[i] = call;
	g->n++;
	g->open++;
}

int
hv_aws_gather(struct hv_call *call, hv_aws_gather_fn fn)
{
	struct aws_state	*st;
	struct hv_aws_gather	*g;
	struct hv_aws		*aws;
	char			*ck, *key;

	if (call->ctx == NULL || call->ctx->loop == NULL)
		return hv_error(&call->err, "%s: no loop", call->driver->name);
	st = state_get(call->ctx->loop);
	if ((aws = hv_aws_client(call->ctx->loop, call_cloud(call),
	    &call->err)) == NULL)
		return -1;
	ck = cloud_key(call_cloud(call));
	key = hv_xasprintf("%s\n%s\n%d\n%s", call->tag != NULL ? call->tag :
	    "", call->driver->name, call->reverting, ck);
	free(ck);
	for (g = st->gatherings; g != NULL; g = g->next) {
		if (g->start_timer != NULL && strcmp(g->key, key) == 0)
			break;
	}
	if (g == NULL) {
		g = hv_xcalloc(1, sizeof *g);
		g->loop = call->ctx->loop;
		g->aws = aws;
		g->driver = call->driver;
		g->reverting = call->reverting;
		g->key = key;
		g->fn = fn;
		g->start_timer = hv_loop_timer(g->loop, 0, on_start, g);
		g->next = st->gatherings;
		st->gatherings = g;
	} else
		free(key);
	insert_call(g, call);
	call->priv = g;
	return 0;
}

void
hv_aws_gather_done(struct hv_aws_gather *g, size_t i, int ok)
{
	struct hv_call	*c = g->calls[i];

	if (c == NULL)
		return;
	g->calls[i] = NULL;
	g->open--;
	c->priv = NULL;
	hold(g);
	hv_call_done(c, ok);
	(void)unhold(g);
}

void
hv_aws_gather_fail(struct hv_aws_gather *g, size_t i, const char *fmt, ...)
{
	va_list	ap;

	if (g->calls[i] == NULL)
		return;
	if (g->calls[i]->err.len > 0)
		hv_buf_puts(&g->calls[i]->err, "; ");
	va_start(ap, fmt);
	hv_buf_vprintf(&g->calls[i]->err, fmt, ap);
	va_end(ap);
	hv_aws_gather_done(g, i, 0);
}

void
hv_aws_gather_fail_all(struct hv_aws_gather *g, const char *fmt, ...)
{
	struct hv_buf	msg = HV_BUF_INIT;
	va_list		ap;
	size_t		i;

	va_start(ap, fmt);
	hv_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	hold(g);
	for (i = 0; i < g->n; i++)
		hv_aws_gather_fail(g, i, "%s", msg.s);
	(void)unhold(g);
	hv_buf_release(&msg);
}

void
hv_aws_gather_end(struct hv_aws_gather *g)
{
	size_t	i;

	if (g->ended)
		return;
	g->ended = 1;
	hold(g);
	for (i = 0; i < g->n; i++) {
		if (g->calls[i] != NULL && g->calls[i]->err.len == 0)
			hv_buf_puts(&g->calls[i]->err, "no result");
		hv_aws_gather_done(g, i, 0);
	}
	g->dead = 1;
	(void)unhold(g);
}

void
hv_aws_gather_cancel(struct hv_call *call)
{
	struct hv_aws_gather	*g = call->priv;
	size_t			 i;

	if (g == NULL || call->finished)
		return;
	for (i = 0; i < g->n && g->calls[i] != call; i++)
		;
	if (i == g->n)
		return;
	hold(g);
	hv_aws_gather_fail(g, i, "cancelled");
	/* Nobody waits for what is left: stop it. */
	if (g->open == 0 && !g->ended) {
		g->ended = 1;
		g->dead = 1;
	}
	(void)unhold(g);
}

static void
on_response(struct hv_aws_call *c, void *arg)
{
	struct aws_inflight	*f = arg;
	struct hv_aws_gather	*g = f->g;
	size_t			 i;

	for (i = 0; i < g->ninflight && g->inflight[i] != f; i++)
		;
	if (i < g->ninflight) {
		memmove(&g->inflight[i], &g->inflight[i + 1],
		    (g->ninflight - i - 1) * sizeof *g->inflight);
		g->ninflight--;
	}
	hold(g);
	f->cb(g, hv_aws_result(c), f->arg);
	(void)unhold(g);
	/* The result was borrowed for the callback only. */
	hv_aws_call_free(c);
	free(f);
}

static int
gather_send(struct hv_aws_gather *g, enum hv_aws_service svc,
    const char *action, const char *form, int flags, hv_aws_res_fn cb,
    void *arg, void (*free_arg)(void *), struct hv_buf *err)
{
	struct aws_inflight	*f;

	f = hv_xcalloc(1, sizeof *f);
	f->g = g;
	f->cb = cb;
	f->arg = arg;
	f->free_arg = free_arg;
	f->call = hv_aws_call(g->aws, svc, action, form, flags, on_response,
	    f, err);
	if (f->call == NULL) {
		free(f);
		return -1;
	}
	g->inflight = hv_xreallocarray(g->inflight, g->ninflight + 1,
	    sizeof *g->inflight);
	g->inflight[g->ninflight++] = f;
	return 0;
}

int
hv_aws_gather_send(struct hv_aws_gather *g, enum hv_aws_service svc,
    const char *action, const char *form, int flags, hv_aws_res_fn cb,
    void *arg, struct hv_buf *err)
{
	return gather_send(g, svc, action, form, flags, cb, arg, NULL, err);
}

static void
on_timer(void *arg)
{
	struct hv_aws_gather	*g = arg;
	hv_aws_gather_fn	 fn = g->timer_fn;

	g->timer = NULL;
	g->timer_fn = NULL;
	hold(g);
	fn(g);
	(void)unhold(g);
}

void
hv_aws_gather_after(struct hv_aws_gather *g, int64_t ms, hv_aws_gather_fn fn)
{
	hv_loop_cancel(g->loop, g->timer);
	g->timer_fn = fn;
	g->timer = hv_loop_timer(g->loop, ms > 0 ? ms : 0, on_timer, g);
}

size_t
hv_aws_gather_find(const struct hv_aws_gather *g, const char *id)
{
	const struct hv_instance	*in;
	size_t				 i;

	for (i = 0; i < g->n; i++) {
		if ((in = hv_aws_gather_instance(g, i)) != NULL &&
		    strcmp(in->id, id) == 0)
			return i;
	}
	return g->n;
}

/* A describe under way: the ids to ask, in requests of `per`. */
struct describe {
	enum hv_aws_view	 view;
	hv_aws_list_fn		 fn;
	char			**ids;
	size_t			 nids;
	size_t			 pos;
	struct hv_aws_instances	 list;
};

static void	describe_next(struct hv_aws_gather *, struct describe *);

static void
describe_free(void *arg)
{
	struct describe	*d = arg;

	hv_strlist_free(d->ids, d->nids);
	hv_aws_instances_release(&d->list);
	free(d);
}

static void
on_describe(struct hv_aws_gather *g, const struct hv_aws_res *res, void *arg)
{
	struct describe	*d = arg;
	struct hv_buf	 err = HV_BUF_INIT;
	int		 rc;

	if (!res->ok) {
		d->fn(g, NULL, res->error.s);
		describe_free(d);
		return;
	}
	rc = d->view == HV_AWS_VIEW_EC2 ?
	    hv_aws_parse_instances(res, &d->list, &err) :
	    hv_aws_parse_asg_instances(res, &d->list, &err);
	if (rc == -1) {
		d->fn(g, NULL, err.s);
		describe_free(d);
	} else
		describe_next(g, d);
	hv_buf_release(&err);
}

static void
describe_next(struct hv_aws_gather *g, struct describe *d)
{
	struct hv_buf	form = HV_BUF_INIT, err = HV_BUF_INIT;
	size_t		i, per = d->view == HV_AWS_VIEW_EC2 ? 200 : 50;
	int		rc;

	if (d->pos >= d->nids) {
		d->fn(g, &d->list, NULL);
		describe_free(d);
		return;
	}
	if (d->view == HV_AWS_VIEW_EC2)
		hv_aws_param(&form, "Filter.1.Name", "instance-id");
	for (i = 0; i < per && d->pos < d->nids; i++, d->pos++)
		hv_aws_paramf(&form, d->ids[d->pos], d->view ==
		    HV_AWS_VIEW_EC2 ? "Filter.1.Value.%zu" :
		    "InstanceIds.member.%zu", i + 1);
	if (d->view == HV_AWS_VIEW_EC2)
		rc = gather_send(g, HV_AWS_EC2, "DescribeInstances", form.s,
		    HV_AWS_ALL_PAGES, on_describe, d, describe_free, &err);
	else
		rc = gather_send(g, HV_AWS_ASG, "DescribeAutoScalingInstances",
		    form.s, HV_AWS_ALL_PAGES, on_describe, d, describe_free,
		    &err);
	if (rc == -1) {
		d->fn(g, NULL, err.s);
		describe_free(d);
	}
	hv_buf_release(&form);
	hv_buf_release(&err);
}

void
hv_aws_gather_describe(struct hv_aws_gather *g, enum hv_aws_view view,
    hv_aws_list_fn fn)
{
	const struct hv_instance	*in;
	struct describe			*d;
	size_t				 i;

	d = hv_xcalloc(1, sizeof *d);
	d->view = view;
	d->fn = fn;
	d->ids = hv_xcalloc(g->n + 1, sizeof *d->ids);
	for (i = 0; i < g->n; i++) {
		if ((in = hv_aws_gather_instance(g, i)) != NULL)
			d->ids[d->nids++] = hv_xstrdup(in->id);
	}
	describe_next(g, d);
}

void
hv_aws_image_label(struct hv_buf *out, const char *id, const char *name)
{
	if (name != NULL && *name != '\0')
		hv_buf_printf(out, "%s (%s)", id != NULL ? id : "?", name);
	else
		hv_buf_puts(out, id != NULL ? id : "?");
}

/*
 * How long one AWS call may take: its timeout (every AWS driver has
 * one), and one more request's deadline for the answer under way.
 */
static int64_t
aws_budget(const struct hv_call *c)
{
	int64_t	ms = hv_arg_ms(c, "timeout");

	return (ms > 0 ? ms : 3 * (int64_t)HV_AWS_DEADLINE) +
	    HV_AWS_DEADLINE;
}

const struct hv_transport hv_transport_aws = {
	.name = "aws",
	.budget = aws_budget,
	.cancel = hv_aws_gather_cancel,
};
