/*
 * experiment.c - from a YAML tree to the experiment model, checking
 * everything on the way: keys, types, durations, drivers and their
 * parameters, target groups, probe names. Every problem is reported at
 * its FILE:LINE:COLUMN and checking goes on, so that one run of `havoc
 * validate` shows them all.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "driver.h"
#include "expand.h"
#include "experiment.h"
#include "http.h"
#include "node.h"

struct ck {
	struct hv_experiment	*x;
	struct hv_diag		*d;
	struct hv_expand	 ex;
};

static const char *const top_keys[] = {
	"version", "title", "description", "tags", "inventory", "hosts",
	"ssh", "vars", "targets", "steady_state", "method", "watch",
	"alerts", "rollbacks", "safety", "cloud", NULL
};
static const char *const group_keys[] = {
	"tags", "hosts", "aws", "pick", NULL
};
static const char *const cloud_keys[] = { "aws", NULL };
static const char *const cloud_aws_keys[] = {
	"region", "profile", "endpoint", NULL
};
static const char *const aws_target_keys[] = {
	"asg", "tags", "ids", "address", NULL
};
static const char *const step_keys[] = {
	"name", "action", "probe", "pause", "on", "with", "expect",
	"duration", "background", NULL
};
static const char *const alert_keys[] = {
	"name", "probe", "with", "expect", "within", "every", "silence", NULL
};
static const char *const watch_keys[] = { "every", "probes", "after", NULL };
static const char *const safety_keys[] = {
	"max_targets", "abort_when", "dead_man", "preflight", NULL
};
static const char *const abort_keys[] = { "probe", "failing_for", NULL };

/* The value of --var NAME=VALUE for name, or NULL. */
static const char *
var_override(const struct hv_load_opts *o, const char *name)
{
	const char	*eq, *val = NULL;
	size_t		 i;

	for (i = 0; o != NULL && i < o->nvars; i++) {
		eq = strchr(o->vars[i], '=');
		if (eq != NULL && (size_t)(eq - o->vars[i]) == strlen(name) &&
		    strncmp(o->vars[i], name, strlen(name)) == 0)
			val = eq + 1;	/* the last one wins */
	}
	return val;
}

static void
add_var(struct hv_experiment *x, const char *name, size_t namelen,
    char *str, char *shown, int secret)
{
	x->vars[x->nvars].name = hv_xstrndup(name, namelen);
	x->vars[x->nvars].str = str;
	x->vars[x->nvars].shown = shown;
	x->vars[x->nvars].secret = secret;
	x->nvars++;
}

/*
 * --var (or --var-env) entry i as a variable; -1 after reporting it.
 * A --var value is literal; a --var-env one is a secret, as ${env.VAR}.
 */
static int
add_override(struct ck *c, const struct hv_load_opts *o, size_t i)
{
	const char	*arg = o->vars[i], *eq, *val;
	const char	*opt = o->env != NULL && o->env[i] ? "--var-env" :
			    "--var";
	char		*ref;

	if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
		hv_diag_at(c->d, opt, 1, 1, "expected NAME=%s, not \"%s\"",
		    o->env != NULL && o->env[i] ? "VARIABLE" : "VALUE", arg);
		return -1;
	}
	if (o->env == NULL || !o->env[i]) {
		add_var(c->x, arg, (size_t)(eq - arg), hv_xstrdup(eq + 1),
		    hv_expand_literal(eq + 1), 0);
		return 0;
	}
	if ((val = getenv(eq + 1)) == NULL) {
		hv_diag_at(c->d, opt, 1, 1, "environment variable %s is not "
		    "set", eq + 1);
		/* Reported once: its uses say nothing more. */
		add_var(c->x, arg, (size_t)(eq - arg), hv_xstrdup(""),
		    hv_xstrdup(""), 0);
		c->x->vars[c->x->nvars - 1].broken = 1;
		return -1;
	}
	ref = hv_xasprintf("${env.%s}", eq + 1);
	hv_secret_add(val, ref);
	add_var(c->x, arg, (size_t)(eq - arg), hv_xstrdup(val), ref, 1);
	return 0;
}

/*
 * vars: in order, then the --var names the file does not have. A value
 * may use ${env.*}, ${file:*}, the variables before it and any --var;
 * --var values are literal and replace the file's. Values are bounded
 * in size and in how deep variables use variables (expand.h).
 */
static void
load_vars(struct ck *c, const struct hv_node *vars,
    const struct hv_load_opts *o)
{
	struct hv_experiment	*x = c->x;
	struct hv_buf		 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*over;
	unsigned		 flags;
	size_t			 i, n = 0;
	int			 depth;

	if (hv_ck_map(c->d, vars, "vars"))
		n = vars->n;
	x->vars = hv_xcalloc(n + (o != NULL ? o->nvars : 0) + 1,
	    sizeof *x->vars);
	/* --var names first, so values in the file can use them. */
	for (i = 0; o != NULL && i < o->nvars; i++)
		(void)add_override(c, o, i);
	c->ex.vars = x->vars;
	for (i = 0; i < n; i++) {
		if ((over = var_override(o, vars->keys[i]->str)) != NULL)
			continue;
		if (vars->items[i]->kind != HV_NODE_SCALAR) {
			hv_diag_node(c->d, vars->items[i], "vars.%s must be a "
			    "string, not %s", vars->keys[i]->str,
			    hv_node_kind_name(vars->items[i]));
			continue;
		}
		flags = 0;
		c->ex.nvars = x->nvars;
		depth = hv_expand_depth(&c->ex, vars->items[i]->raw);
		if (hv_expand(&c->ex, vars->items[i]->raw, &str, &shown, &flags,
		    &err) == -1) {
			hv_diag_node(c->d, vars->items[i], "vars.%s: %s",
			    vars->keys[i]->str, err.s);
			hv_buf_reset(&err);
			hv_buf_reset(&str);
			hv_buf_reset(&shown);
			add_var(x, vars->keys[i]->str,
			    strlen(vars->keys[i]->str), hv_xstrdup(""),
			    hv_xstrdup(""), 0);
			x->vars[x->nvars - 1].broken = 1;
			continue;
		}
		add_var(x, vars->keys[i]->str, strlen(vars->keys[i]->str),
		    hv_buf_detach(&str), hv_buf_detach(&shown),
		    (flags & HV_EXP_SECRET) != 0);
		x->vars[x->nvars - 1].depth = depth;
	}
	hv_buf_release(&str);
	hv_buf_release(&shown);
	hv_buf_release(&err);
	c->ex.vars = x->vars;
	c->ex.nvars = x->nvars;
}

/* SSH settings from a map (ssh: or a host entry) into o. */
/* inventory: FILE, relative to the experiment; loaded once per cache. */
static struct hv_inventory *
load_inventory(struct ck *c, const struct hv_node *inv,
    const struct hv_load_opts *o)
{
	struct hv_experiment	*x = c->x;
	struct hv_inventory	*base;
	struct hv_buf		 key = HV_BUF_INIT;
	char			*path, *real;
	size_t			 i;

	if (inv->kind != HV_NODE_SCALAR) {
		hv_diag_node(c->d, inv, "inventory must be a file name, not %s",
		    hv_node_kind_name(inv));
		return NULL;
	}
	if (inv->str[0] == '/')
		path = hv_xstrdup(inv->str);
	else
		path = hv_xasprintf("%s/%s", x->dir, inv->str);
	/* One file expands the same with the same variables: shared. */
	real = realpath(path, NULL);
	hv_buf_puts(&key, real != NULL ? real : path);
	for (i = 0; i < x->nvars; i++)
		hv_buf_printf(&key, "\n%s=%s", x->vars[i].name,
		    x->vars[i].str != NULL ? x->vars[i].str : "");
	free(real);
	if (o == NULL || (base = hv_inventory_cache_get(o->inventories,
	    key.s)) == NULL) {
		base = hv_inventory_load(path, &c->ex, c->d);
		if (base != NULL && o != NULL && o->inventories != NULL)
			hv_inventory_cache_put(o->inventories, key.s, base);
	}
	hv_buf_release(&key);
	free(path);
	return base;
}

/* pick: all | N | "P%". */
static void
load_pick(struct ck *c, const struct hv_node *n, struct hv_group *g)
{
	long long	v;
	size_t		len;
	char		*num;

	g->pick = HV_PICK_ALL;
	if (hv_node_is_null(n))
		return;
	if (n->kind != HV_NODE_SCALAR) {
		hv_diag_node(c->d, n, "pick must be all, a count or a "
		    "percentage, not %s", hv_node_kind_name(n));
		return;
	}
	if (strcmp(n->str, "all") == 0)
		return;
	len = strlen(n->str);
	if (len > 1 && n->str[len - 1] == '%') {
		num = hv_xstrndup(n->str, len - 1);
		if (hv_parse_int(num, &v) == 0 && v >= 1 && v <= 100) {
			g->pick = HV_PICK_PERCENT;
			g->pick_n = (int)v;
		} else
			hv_diag_node(c->d, n, "pick: \"%s\" is not a "
			    "percentage "
			    "from 1%% to 100%%", n->str);
		free(num);
		return;
	}
	if (hv_parse_int(n->str, &v) == 0 && v >= 1 && v <= 1000000) {
		g->pick = HV_PICK_COUNT;
		g->pick_n = (int)v;
		return;
	}
	hv_diag_node(c->d, n, "pick: \"%s\" is not all, a count (1 or more) or "
	    "a percentage like \"30%%\"", n->str);
}

/* One setting of cloud.aws: its real and shown spellings, or none. */
static void
aws_setting(struct ck *c, const struct hv_node *map, const char *key,
    char **str, char **shown)
{
	const struct hv_node	*n = hv_node_get(map, key);

	if (hv_ck_str(c->d, map, key, "cloud.aws") == NULL)
		return;
	if (*n->str == '\0') {
		hv_diag_node(c->d, n, "cloud.aws.%s must not be empty", key);
		return;
	}
	*str = hv_xstrdup(n->str);
	*shown = hv_xstrdup(n->shown);
}

/* Whether s is a word of [a-z0-9-], as AWS regions are. */
static int
is_region(const char *s)
{
	return *s != '\0' && s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789-")] == '\0';
}

/*
 * cloud: {aws: {region, profile, endpoint}}: where AWS targets live.
 * Nothing is asked of AWS here: validate works offline.
 */
static void
load_cloud(struct ck *c, const struct hv_node *cloud)
{
	struct hv_experiment	*x = c->x;
	const struct hv_node	*aws;
	struct hv_buf		 why = HV_BUF_INIT;

	if (hv_node_is_null(cloud) || !hv_ck_map(c->d, cloud, "cloud"))
		return;
	hv_ck_keys(c->d, cloud, cloud_keys, "cloud");
	aws = hv_node_get(cloud, "aws");
	if (hv_node_is_null(aws)) {
		hv_diag_node(c->d, cloud, "cloud needs aws: (region:, "
		    "profile:, endpoint:)");
		return;
	}
	if (!hv_ck_map(c->d, aws, "cloud.aws"))
		return;
	x->has_aws = 1;
	hv_ck_keys(c->d, aws, cloud_aws_keys, "cloud.aws");
	aws_setting(c, aws, "region", &x->aws.region, &x->aws.region_shown);
	aws_setting(c, aws, "profile", &x->aws.profile,
	    &x->aws.profile_shown);
	aws_setting(c, aws, "endpoint", &x->aws.endpoint,
	    &x->aws.endpoint_shown);
	if (x->aws.region != NULL && !is_region(x->aws.region))
		hv_diag_node(c->d, hv_node_get(aws, "region"), "cloud.aws."
		    "region: \"%s\" is not a region (like eu-west-1)",
		    x->aws.region_shown);
	if (x->aws.profile != NULL && strpbrk(x->aws.profile, "[]\n") !=
	    NULL)
		hv_diag_node(c->d, hv_node_get(aws, "profile"), "cloud.aws."
		    "profile: not a profile name");
	if (x->aws.endpoint != NULL && hv_http_check_url(x->aws.endpoint,
	    &why) == -1)
		hv_diag_node(c->d, hv_node_get(aws, "endpoint"), "cloud.aws."
		    "endpoint: %s", why.s);
	hv_buf_release(&why);
}

/* Whether s is an EC2 instance id: i- and 8 or 17 hex digits. */
static int
is_instance_id(const char *s)
{
	size_t	n;

	if (strncmp(s, "i-", 2) != 0)
		return 0;
	n = strspn(s + 2, "0123456789abcdef");
	return s[2 + n] == '\0' && (n == 8 || n == 17);
}

/* aws: {tags: {K: V}}: every tag a string, with a key. */
static void
load_aws_tags(struct ck *c, struct hv_aws_target *t, const struct hv_node *m)
{
	size_t	i;

	if (!hv_ck_map(c->d, m, "aws.tags"))
		return;
	if (m->n == 0)
		hv_diag_node(c->d, m, "aws.tags: name at least one tag");
	t->tag_keys = hv_xcalloc(m->n + 1, sizeof *t->tag_keys);
	t->tag_values = hv_xcalloc(m->n + 1, sizeof *t->tag_values);
	for (i = 0; i < m->n; i++) {
		if (m->items[i]->kind != HV_NODE_SCALAR ||
		    hv_node_is_null(m->items[i])) {
			hv_diag_node(c->d, m->items[i], "aws.tags.%s must be "
			    "a string, not %s", m->keys[i]->str,
			    hv_node_kind_name(m->items[i]));
			continue;
		}
		if (*m->keys[i]->str == '\0') {
			hv_diag_node(c->d, m->keys[i], "aws.tags: a tag needs "
			    "a key");
			continue;
		}
		t->tag_keys[t->ntags] = hv_xstrdup(m->keys[i]->str);
		t->tag_values[t->ntags++] = hv_xstrdup(m->items[i]->str);
	}
}

/* A group's aws: selector; exactly one of asg, tags or ids. */
static struct hv_aws_target *
load_aws_target(struct ck *c, const struct hv_group *g,
    const struct hv_node *n)
{
	struct hv_aws_target	*t;
	const struct hv_node	*ids, *asg, *tags, *addr;
	size_t			 i;
	int			 kinds;

	t = hv_xcalloc(1, sizeof *t);
	if (!hv_ck_map(c->d, n, "aws"))
		return t;
	hv_ck_keys(c->d, n, aws_target_keys, "aws");
	asg = hv_node_get(n, "asg");
	tags = hv_node_get(n, "tags");
	ids = hv_node_get(n, "ids");
	kinds = !hv_node_is_null(asg) + !hv_node_is_null(tags) +
	    !hv_node_is_null(ids);
	if (kinds != 1)
		hv_diag_node(c->d, n, "target group \"%s\": aws: needs "
		    "exactly one of asg: (an Auto Scaling group), tags: (EC2 "
		    "tags) or ids: (instance ids)", g->name);
	if (!hv_node_is_null(asg)) {
		t->asg = hv_ck_dup(c->d, n, "asg", "aws");
		if (t->asg != NULL && *t->asg == '\0')
			hv_diag_node(c->d, asg, "aws.asg must not be empty");
	}
	if (!hv_node_is_null(tags))
		load_aws_tags(c, t, tags);
	if (!hv_node_is_null(ids)) {
		t->ids = hv_ck_strlist(c->d, n, "ids", "aws", &t->nids);
		for (i = 0; i < t->nids; i++) {
			if (is_instance_id(t->ids[i]))
				continue;
			hv_diag_node(c->d, ids->kind == HV_NODE_SEQ &&
			    i < ids->n ? ids->items[i] : ids, "aws.ids: \"%s\" "
			    "is not an instance id (like i-0123456789abcdef0)",
			    t->ids[i]);
		}
		if (t->nids == 0 && ids->kind == HV_NODE_SEQ)
			hv_diag_node(c->d, ids, "aws.ids: name at least one "
			    "instance");
	}
	addr = hv_node_get(n, "address");
	if (!hv_node_is_null(addr)) {
		if (addr->kind == HV_NODE_SCALAR &&
		    strcmp(addr->str, "public") == 0)
			t->public_address = 1;
		else if (addr->kind != HV_NODE_SCALAR ||
		    strcmp(addr->str, "private") != 0)
			hv_diag_node(c->d, addr, "aws.address must be private "
			    "or public");
	}
	return t;
}

static void
aws_target_free(struct hv_aws_target *t)
{
	if (t == NULL)
		return;
	free(t->asg);
	hv_strlist_free(t->tag_keys, t->ntags);
	hv_strlist_free(t->tag_values, t->ntags);
	hv_strlist_free(t->ids, t->nids);
	hv_strlist_free(t->members, t->nmembers);
	free(t);
}

static void
load_targets(struct ck *c, const struct hv_node *targets)
{
	struct hv_experiment	*x = c->x;
	const struct hv_node	*t, *names;
	struct hv_group		*g;
	size_t			 i, j;

	if (!hv_ck_map(c->d, targets, "targets"))
		return;
	x->groups = hv_xcalloc(targets->n, sizeof *x->groups);
	for (i = 0; i < targets->n; i++) {
		t = targets->items[i];
		g = &x->groups[x->ngroups];
		g->name = hv_xstrdup(targets->keys[i]->str);
		g->where = targets->keys[i];
		x->ngroups++;
		if (!hv_ck_map(c->d, t, "a target group")) {
			if (hv_node_is_null(t))
				hv_diag_node(c->d, targets->keys[i], "target "
				    "group \"%s\" needs tags:, hosts: or aws:",
				    g->name);
			continue;
		}
		hv_ck_keys(c->d, t, group_keys, "a target group");
		g->tags = hv_ck_strlist(c->d, t, "tags", "targets", &g->ntags);
		g->names = hv_ck_strlist(c->d, t, "hosts", "targets",
		    &g->nnames);
		load_pick(c, hv_node_get(t, "pick"), g);
		if (!hv_node_is_null(hv_node_get(t, "aws"))) {
			g->aws = load_aws_target(c, g, hv_node_get(t, "aws"));
			if (g->ntags > 0 || g->nnames > 0)
				hv_diag_node(c->d, hv_node_key(t, "aws"),
				    "target group \"%s\": aws: selects "
				    "instances on its own, without tags: or "
				    "hosts:", g->name);
		} else if (g->ntags == 0 && g->nnames == 0)
			hv_diag_node(c->d, t, "target group \"%s\" needs "
			    "tags:, hosts: or aws:", g->name);
		names = hv_node_get(t, "hosts");
		for (j = 0; j < g->nnames; j++) {
			if (hv_inventory_find(x->inv, g->names[j]) != NULL)
				continue;
			hv_diag_node(c->d, names->kind == HV_NODE_SEQ &&
			    j < names->n ? names->items[j] : names,
			    "target group \"%s\": no host \"%s\" in the "
			    "inventory", g->name, g->names[j]);
		}
	}
}

/* Marks shell parameters and expands them again with quoting. */
static void
mark_shell(struct ck *c, const struct hv_driver *d, const struct hv_node *with)
{
	const struct hv_param	*p;
	size_t			 i;

	if (with == NULL || with->kind != HV_NODE_MAP)
		return;
	for (i = 0; i < with->n; i++) {
		p = hv_param_find(d->params, with->keys[i]->str);
		if (p == NULL || p->type != HV_T_SHELL ||
		    with->items[i]->kind != HV_NODE_SCALAR ||
		    with->items[i]->failed)
			continue;
		with->items[i]->shell = 1;
		hv_expand_tree(&c->ex, with->items[i], c->d);
	}
}

/* Whether s looks like an IPv4 or IPv6 address or CIDR. */
static int
is_address(const char *s)
{
	size_t	n = strspn(s, "0123456789abcdefABCDEF.:/");

	return *s != '\0' && s[n] == '\0' && strpbrk(s, ".:") != NULL;
}

/* A target-group parameter names a group, or lists addresses. */
static void
check_target_params(struct ck *c, const struct hv_driver *d,
    const struct hv_node *with)
{
	const struct hv_param	*p;
	const struct hv_node	*v;
	size_t			 i, j;

	if (with == NULL || with->kind != HV_NODE_MAP)
		return;
	for (i = 0; i < with->n; i++) {
		p = hv_param_find(d->params, with->keys[i]->str);
		v = with->items[i];
		if (p == NULL || p->type != HV_T_TARGETS || v->deferred)
			continue;
		if (v->kind == HV_NODE_SCALAR) {
			if (hv_experiment_group(c->x, v->str) == -1 &&
			    !is_address(v->str))
				hv_diag_node(c->d, v, "%s: \"%s\" is neither a "
				    "target group nor an address", p->name,
				    v->str);
			continue;
		}
		for (j = 0; v->kind == HV_NODE_SEQ && j < v->n; j++) {
			if (v->items[j]->kind == HV_NODE_SCALAR &&
			    !is_address(v->items[j]->str))
				hv_diag_node(c->d, v->items[j], "%s: \"%s\" is "
				    "not an address or CIDR", p->name,
				    v->items[j]->str);
		}
	}
}

static int
tree_deferred(const struct hv_node *n)
{
	size_t	i;

	if (n == NULL)
		return 0;
	if (n->deferred)
		return 1;
	for (i = 0; i < n->n; i++) {
		if (tree_deferred(n->items[i]))
			return 1;
	}
	return 0;
}

/*
 * Whether a step's with: waits for its target. A probe parameter's
 * ${target.*} is for the host that probe runs on (a rotation's
 * replacement), not the step's: it does not count.
 */
static int
with_deferred(const struct hv_driver *d, const struct hv_node *with)
{
	const struct hv_param	*p;
	size_t			 i;

	if (with == NULL || with->kind != HV_NODE_MAP)
		return tree_deferred(with);
	for (i = 0; i < with->n; i++) {
		p = hv_param_find(d->params, with->keys[i]->str);
		if (p != NULL && p->type == HV_T_PROBE)
			continue;
		if (tree_deferred(with->items[i]))
			return 1;
	}
	return 0;
}

/* Runs a driver's own check hook over values known at load time. */
static void
driver_check(struct ck *c, struct hv_step *s, const struct hv_node *where)
{
	struct hv_call	call;
	struct hv_buf	err = HV_BUF_INIT;

	if (s->driver->check == NULL || with_deferred(s->driver, s->with) ||
	    tree_deferred(s->expect))
		return;
	hv_call_init(&call, s->driver, NULL);
	call.with = s->with;
	call.expect = s->expect;
	if (s->driver->check(&call, &err) == -1)
		hv_diag_node(c->d, where, "%s: %s", s->driver->name, err.s);
	hv_buf_release(&err);
	hv_call_release(&call);
}

/* The driver a step names, checked for kind. */
static const struct hv_driver *
step_driver(struct ck *c, const struct hv_node *n, enum hv_driver_kind kind)
{
	const struct hv_driver	*d;
	const char		*hint;
	const char		*word = kind == HV_ACTION ? "action" : "probe";

	if (n->kind != HV_NODE_SCALAR) {
		hv_diag_node(c->d, n, "%s must be a driver name, not %s", word,
		    hv_node_kind_name(n));
		return NULL;
	}
	d = hv_driver_find(n->str);
	if (d != NULL && d->kind == kind)
		return d;
	if (d != NULL) {
		hv_diag_node(c->d, n, "%s is a%s, not a%s", n->str,
		    d->kind == HV_ACTION ? "n action" : " probe",
		    kind == HV_ACTION ? "n action" : " probe");
		return NULL;
	}
	if ((hint = hv_driver_suggest(n->str, kind)) != NULL)
		hv_diag_node(c->d, n, "unknown %s \"%s\" (did you mean "
		    "\"%s\"?)",
		    word, n->str, hint);
	else
		hv_diag_node(c->d, n, "unknown %s \"%s\" (havoc drivers lists "
		    "them)", word, n->str);
	return NULL;
}

static const struct hv_node empty_map = { .kind = HV_NODE_MAP };

/* The parts every driver step shares: driver, on:, with:, expect:. */
static void
load_driver_step(struct ck *c, const struct hv_node *n, struct hv_step *s,
    const struct hv_node *drv, enum hv_driver_kind kind)
{
	const struct hv_node	*on = hv_node_get(n, "on");
	const struct hv_node	*expect = hv_node_get(n, "expect");
	char			 what[160];
	int			 bad;

	s->kind = kind == HV_ACTION ? HV_STEP_ACTION : HV_STEP_PROBE;
	s->driver = step_driver(c, drv, kind);
	s->with = hv_node_get(n, "with");
	if (hv_node_is_null(s->with))
		s->with = &empty_map;
	if (s->name == NULL && drv->kind == HV_NODE_SCALAR)
		s->name = hv_xstrdup(drv->str);
	if (!hv_node_is_null(on)) {
		if (on->kind != HV_NODE_SCALAR)
			hv_diag_node(c->d, on, "on must name a target group, "
			    "not "
			    "%s", hv_node_kind_name(on));
		else if ((s->group = hv_experiment_group(c->x, on->str)) == -1)
			hv_diag_node(c->d, on, "on: no target group \"%s\" in "
			    "targets", on->str);
	}
	if (s->driver == NULL)
		return;
	snprintf(what, sizeof what, "%s", s->driver->name);
	if (hv_driver_transport(s->driver) == &hv_transport_aws &&
	    s->group >= 0 && c->x->groups[s->group].aws == NULL)
		hv_diag_node(c->d, on, "%s acts on cloud instances: on: must "
		    "name a target group with aws:", s->driver->name);
	if (s->driver->target == HV_TARGET_REQUIRED && hv_node_is_null(on))
		hv_diag_node(c->d, n, "%s needs on: (a target group)",
		    s->driver->name);
	if (s->driver->target == HV_TARGET_NONE && !hv_node_is_null(on))
		hv_diag_node(c->d, hv_node_key(n, "on"), "on: is not allowed "
		    "for %s, which takes no target", s->driver->name);
	if (s->driver->target == HV_TARGET_NONE && tree_deferred(s->with))
		hv_diag_node(c->d, s->with, "${target.*} needs a step with "
		    "on:");
	if (s->driver->target == HV_TARGET_NONE && kind == HV_PROBE &&
	    tree_deferred(expect))
		hv_diag_node(c->d, expect, "${target.*} needs a step with on:");
	mark_shell(c, s->driver, s->with);
	check_target_params(c, s->driver, s->with);
	/* The file's with: (absent: NULL), so problems point at the step. */
	bad = hv_params_check(s->driver->params, hv_node_get(n, "with"), n,
	    what, c->d);
	if (!hv_node_is_null(expect)) {
		if (kind != HV_PROBE)
			hv_diag_node(c->d, hv_node_key(n, "expect"), "expect: "
			    "belongs to a probe, not an action");
		else {
			s->expect = expect;
			bad += hv_params_check(s->driver->expect, expect, n,
			    what, c->d);
		}
	}
	/* A check hook may trust the types; they are reported already. */
	if (bad == 0)
		driver_check(c, s, n);
}

/*
 * Whether an action step injects a fault with the parameters it has (the
 * driver's is_fault); assumed so while they wait for a target.
 */
static int
step_is_fault(const struct hv_step *s)
{
	struct hv_call	call;
	int		fault;

	if (tree_deferred(s->with))
		return 1;
	hv_call_init(&call, s->driver, NULL);
	call.with = s->with;
	fault = hv_call_is_fault(&call);
	hv_call_release(&call);
	return fault;
}

/* One step of the method or the rollbacks (or a steady-state probe). */
static void
load_step(struct ck *c, const struct hv_node *n, struct hv_step *s,
    const char *section)
{
	const struct hv_node	*action, *probe, *pause;
	int			 kinds, before;
	int64_t			 ms;

	memset(s, 0, sizeof *s);
	s->group = -1;
	s->where = n;
	if (!hv_ck_map(c->d, n, "a step")) {
		if (hv_node_is_null(n))
			hv_diag_node(c->d, n, "an empty step in %s", section);
		return;
	}
	hv_ck_keys(c->d, n, step_keys, "a step");
	s->name = hv_ck_text(c->d, n, "name", "step");
	action = hv_node_get(n, "action");
	probe = hv_node_get(n, "probe");
	pause = hv_node_get(n, "pause");
	kinds = !hv_node_is_null(action) + !hv_node_is_null(probe) +
	    !hv_node_is_null(pause);
	if (kinds != 1) {
		hv_diag_node(c->d, n, "a step needs exactly one of action:, "
		    "probe: or pause:");
		return;
	}
	if (pause != NULL && !hv_node_is_null(pause)) {
		s->kind = HV_STEP_PAUSE;
		if ((ms = hv_ck_ms(c->d, n, "pause", "step")) >= 0)
			s->pause_ms = ms;
		if (s->name == NULL && pause->kind == HV_NODE_SCALAR)
			s->name = hv_xasprintf("pause %s", pause->shown);
		if (hv_node_get(n, "on") != NULL ||
		    hv_node_get(n, "with") != NULL ||
		    hv_node_get(n, "expect") != NULL ||
		    hv_node_get(n, "duration") != NULL ||
		    hv_node_get(n, "background") != NULL)
			hv_diag_node(c->d, n, "a pause takes no on:, with:, "
			    "expect:, duration: or background:");
		return;
	}
	before = c->d->count;
	if (!hv_node_is_null(action))
		load_driver_step(c, n, s, action, HV_ACTION);
	else
		load_driver_step(c, n, s, probe, HV_PROBE);
	if ((ms = hv_ck_ms(c->d, n, "duration", "step")) > 0) {
		s->duration_ms = ms;
		if (s->kind != HV_STEP_ACTION)
			hv_diag_node(c->d, hv_node_get(n, "duration"),
			    "duration: belongs to an action");
		else if (s->driver != NULL && c->d->count == before &&
		    !step_is_fault(s))
			hv_diag_node(c->d, hv_node_get(n, "duration"),
			    "%s cannot be reverted with these parameters, "
			    "so it takes no duration: (add a rollback "
			    "instead)", s->driver->name);
	}
	s->background = hv_ck_bool(c->d, n, "background", "step", 0);
	if (s->background && s->duration_ms == 0)
		hv_diag_node(c->d, hv_node_get(n, "background"),
		    "background: needs a duration:");
}

static struct hv_step *
load_steps(struct ck *c, const struct hv_node *list, const char *section,
    size_t *count)
{
	struct hv_step	*steps;
	size_t		 i;

	*count = 0;
	if (!hv_ck_seq(c->d, list, section))
		return NULL;
	steps = hv_xcalloc(list->n, sizeof *steps);
	for (i = 0; i < list->n; i++)
		load_step(c, list->items[i], &steps[i], section);
	*count = list->n;
	return steps;
}

/* steady_state: named probes, usable by watch: and abort_when:. */
static void
load_steady(struct ck *c, const struct hv_node *list)
{
	struct hv_experiment	*x = c->x;
	size_t			 i, j;

	x->steady = load_steps(c, list, "steady_state", &x->nsteady);
	for (i = 0; i < x->nsteady; i++) {
		if (x->steady[i].where == NULL ||
		    x->steady[i].where->kind != HV_NODE_MAP)
			continue;
		/* An unknown action was reported already; a pause was not. */
		if ((x->steady[i].kind == HV_STEP_ACTION &&
		    x->steady[i].driver != NULL) ||
		    x->steady[i].kind == HV_STEP_PAUSE) {
			hv_diag_node(c->d, x->steady[i].where,
			    "steady_state holds probes, not actions or pauses");
			continue;
		}
		if (hv_node_get(x->steady[i].where, "name") == NULL)
			hv_diag_node(c->d, x->steady[i].where, "a steady-state "
			    "probe needs a name: (watch: and abort_when: use "
			    "it)");
		for (j = 0; j < i; j++) {
			if (x->steady[j].name != NULL &&
			    x->steady[i].name != NULL &&
			    strcmp(x->steady[j].name, x->steady[i].name) == 0)
				hv_diag_node(c->d, x->steady[i].where, "probe "
				    "name "
				    "\"%s\" is used twice", x->steady[i].name);
		}
	}
}

/* A probe name that must be one of steady_state's. */
static int
probe_ref(struct ck *c, const struct hv_node *n, const char *what)
{
	const char	*names[64];
	const char	*hint;
	char		*name;
	size_t		 i, k = 0;
	int		 idx;

	if (n->kind != HV_NODE_SCALAR) {
		hv_diag_node(c->d, n, "%s must name a probe, not %s", what,
		    hv_node_kind_name(n));
		return -1;
	}
	/* Probe names are kept in their shown spelling. */
	name = hv_shown_text(n->shown);
	idx = hv_experiment_probe(c->x, name);
	free(name);
	if (idx != -1)
		return idx;
	for (i = 0; i < c->x->nsteady && k + 1 < HV_ARRAY_LEN(names); i++) {
		if (c->x->steady[i].name != NULL)
			names[k++] = c->x->steady[i].name;
	}
	names[k] = NULL;
	if ((hint = hv_ck_closest(names, n->str)) != NULL)
		hv_diag_node(c->d, n, "%s: no probe \"%s\" in steady_state "
		    "(did "
		    "you mean \"%s\"?)", what, n->str, hint);
	else
		hv_diag_node(c->d, n, "%s: no probe \"%s\" in steady_state",
		    what,
		    n->str);
	return -1;
}

static void
load_watch(struct ck *c, const struct hv_node *w)
{
	struct hv_experiment	*x = c->x;
	const struct hv_node	*probes;
	int64_t			 ms;
	size_t			 i;
	int			 idx;

	if (!hv_ck_map(c->d, w, "watch"))
		return;
	hv_ck_keys(c->d, w, watch_keys, "watch");
	x->watch_every_ms = 1000;
	if ((ms = hv_ck_ms(c->d, w, "every", "watch")) > 0)
		x->watch_every_ms = ms;
	else if (ms == 0 && hv_node_get(w, "every") != NULL)
		hv_diag_node(c->d, hv_node_get(w, "every"), "watch.every must "
		    "be "
		    "more than 0");
	if (x->watch_every_ms < 100 && x->watch_every_ms > 0)
		hv_diag_node(c->d, hv_node_get(w, "every"), "watch.every must "
		    "be "
		    "at least 100ms");
	if ((ms = hv_ck_ms(c->d, w, "after", "watch")) > 0)
		x->watch_after_ms = ms;
	probes = hv_node_get(w, "probes");
	if (hv_node_is_null(probes)) {
		hv_diag_node(c->d, w, "watch needs probes: (names from "
		    "steady_state)");
		return;
	}
	if (probes->kind == HV_NODE_SCALAR) {
		if ((idx = probe_ref(c, probes, "watch")) != -1) {
			x->watch = hv_xcalloc(1, sizeof *x->watch);
			x->watch[x->nwatch++] = idx;
		}
		return;
	}
	if (!hv_ck_seq(c->d, probes, "watch.probes"))
		return;
	x->watch = hv_xcalloc(probes->n, sizeof *x->watch);
	for (i = 0; i < probes->n; i++) {
		if ((idx = probe_ref(c, probes->items[i], "watch")) != -1)
			x->watch[x->nwatch++] = idx;
	}
}

/*
 * An alert's silence: the silence action's parameters, taken from the
 * alert probe's (url, alertname, labels, credentials) and the silence:
 * map (duration, comment).
 */
static void
load_silence(struct ck *c, struct hv_step *s, const struct hv_node *map)
{
	const struct hv_driver	*d = hv_driver_find("alertmanager.silence");
	size_t			 i;

	if (hv_node_is_null(map) || !hv_ck_map(c->d, map, "silence"))
		return;
	if (s->driver == NULL)
		return;
	if (d == NULL || strcmp(s->driver->name, "alertmanager") != 0) {
		hv_diag_node(c->d, map, "silence: works with the alertmanager "
		    "probe only");
		return;
	}
	s->silence = hv_node_new(HV_NODE_MAP, map->file, map->line, map->col);
	for (i = 0; s->with != NULL && i < s->with->n; i++) {
		if (hv_param_find(d->params, s->with->keys[i]->str) != NULL &&
		    strcmp(s->with->keys[i]->str, "timeout") != 0)
			hv_node_append(s->silence,
			    hv_node_dup(s->with->keys[i]),
			    hv_node_dup(s->with->items[i]));
	}
	for (i = 0; i < map->n; i++) {
		if (hv_node_get(s->silence, map->keys[i]->str) != NULL) {
			hv_diag_node(c->d, map->keys[i], "silence: %s comes "
			    "from the probe's with:", map->keys[i]->str);
			continue;
		}
		hv_node_append(s->silence, hv_node_dup(map->keys[i]),
		    hv_node_dup(map->items[i]));
	}
	hv_params_check(d->params, s->silence, map, "silence", c->d);
}

static void
load_alerts(struct ck *c, const struct hv_node *list)
{
	struct hv_experiment	*x = c->x;
	const struct hv_node	*n, *probe;
	struct hv_step		*s;
	int64_t			 ms;
	size_t			 i;

	if (!hv_ck_seq(c->d, list, "alerts"))
		return;
	x->alerts = hv_xcalloc(list->n, sizeof *x->alerts);
	for (i = 0; i < list->n; i++) {
		n = list->items[i];
		s = &x->alerts[x->nalerts];
		memset(s, 0, sizeof *s);
		s->group = -1;
		s->where = n;
		if (!hv_ck_map(c->d, n, "an alert"))
			continue;
		x->nalerts++;
		hv_ck_keys(c->d, n, alert_keys, "an alert");
		s->name = hv_ck_text(c->d, n, "name", "alert");
		probe = hv_node_get(n, "probe");
		if (hv_node_is_null(probe)) {
			hv_diag_node(c->d, n, "an alert needs probe: (such as "
			    "alertmanager)");
			continue;
		}
		load_driver_step(c, n, s, probe, HV_PROBE);
		if ((ms = hv_ck_ms(c->d, n, "within", "alert")) > 0)
			s->within_ms = ms;
		else if (ms == 0)
			hv_diag_node(c->d, n, "an alert needs within: (how "
			    "soon it "
			    "must fire)");
		s->poll_ms = 1000;
		if ((ms = hv_ck_ms(c->d, n, "every", "alert")) > 0)
			s->poll_ms = ms;
		load_silence(c, s, hv_node_get(n, "silence"));
	}
}

static void
load_safety(struct ck *c, const struct hv_node *s)
{
	struct hv_experiment	*x = c->x;
	const struct hv_node	*a, *probe;
	int64_t			 ms;
	size_t			 i;

	x->abort_probe = -1;
	if (!hv_ck_map(c->d, s, "safety"))
		return;
	hv_ck_keys(c->d, s, safety_keys, "safety");
	x->max_targets = (int)hv_ck_int(c->d, s, "max_targets", "safety", 1,
	    1000000, 0);
	if ((ms = hv_ck_ms(c->d, s, "dead_man", "safety")) > 0)
		x->dead_man_ms = ms;
	else if (ms == 0 && hv_node_get(s, "dead_man") != NULL)
		hv_diag_node(c->d, hv_node_get(s, "dead_man"),
		    "safety.dead_man "
		    "must be more than 0");
	a = hv_node_get(s, "abort_when");
	if (hv_ck_map(c->d, a, "safety.abort_when")) {
		hv_ck_keys(c->d, a, abort_keys, "abort_when");
		probe = hv_node_get(a, "probe");
		if (hv_node_is_null(probe))
			hv_diag_node(c->d, a, "abort_when needs probe:");
		else
			x->abort_probe = probe_ref(c, probe, "abort_when");
		if ((ms = hv_ck_ms(c->d, a, "failing_for", "abort_when")) >= 0)
			x->abort_failing_ms = ms;
	}
	/* Pre-flight probes: no chaos during an incident, for one. */
	x->preflight = load_steps(c, hv_node_get(s, "preflight"),
	    "safety.preflight", &x->npreflight);
	for (i = 0; i < x->npreflight; i++) {
		if (x->preflight[i].kind != HV_STEP_PROBE &&
		    x->preflight[i].where != NULL &&
		    x->preflight[i].where->kind == HV_NODE_MAP)
			hv_diag_node(c->d, x->preflight[i].where,
			    "safety.preflight holds probes");
	}
}

/*
 * A fault held over SSH for longer than the dead-man time would be
 * reverted by the host on its own while havoc still counts it active;
 * both would revert it at about the same time.
 */
static void
check_dead_man(struct ck *c)
{
	struct hv_experiment	*x = c->x;
	int64_t			 dm = x->dead_man_ms > 0 ? x->dead_man_ms :
				    HV_DEAD_MAN_DEFAULT_MS;
	char			 d1[32], d2[32];
	size_t			 i;

	for (i = 0; i < x->nmethod; i++) {
		const struct hv_step	*s = &x->method[i];

		if (s->duration_ms == 0 || s->driver == NULL ||
		    !hv_driver_transport(s->driver)->dead_man)
			continue;
		if (s->duration_ms + HV_DEAD_MAN_MARGIN_MS <= dm)
			continue;
		hv_diag_node(c->d, hv_node_get(s->where, "duration"),
		    "duration %s leaves no room before safety.dead_man %s: the "
		    "hosts would revert the fault on their own first (make "
		    "dead_man longer)", hv_format_duration(s->duration_ms, d1,
		    sizeof d1), hv_format_duration(dm, d2, sizeof d2));
	}
}

/* Steps that run on a target group need hosts to exist at all. */
static void
check_groups_used(struct ck *c)
{
	struct hv_experiment	*x = c->x;
	size_t			 i;

	if (x->inv->nhosts > 0 || x->ngroups == 0)
		return;
	/* Cloud groups find their hosts at plan time. */
	for (i = 0; i < x->ngroups; i++) {
		if (x->groups[i].aws == NULL)
			hv_diag_node(c->d, x->groups[i].where, "target group "
			    "\"%s\": there are no hosts (add inventory: or "
			    "hosts:)", x->groups[i].name);
	}
}

struct hv_experiment *
hv_experiment_from_tree(const char *path, struct hv_node *doc,
    const struct hv_load_opts *o, struct hv_diag *diag)
{
	struct hv_experiment	*x;
	struct hv_inventory	*inv;
	struct ck		 c;
	char			*tmp;
	size_t			 budget = HV_EXPAND_BUDGET;
	int			 before = diag->count;

	x = hv_xcalloc(1, sizeof *x);
	x->path = hv_xstrdup(path);
	/* Absolute, so that a revert rebuilt by recover finds its files. */
	tmp = realpath(path, NULL);
	if (tmp == NULL)
		tmp = hv_xstrdup(path);
	x->dir = hv_xstrdup(dirname(tmp));
	free(tmp);
	x->doc = doc;
	x->version = 1;
	x->abort_probe = -1;
	hv_ssh_opts_init(&x->ssh);
	memset(&c, 0, sizeof c);
	c.x = x;
	c.d = diag;
	c.ex.dir = x->dir;
	c.ex.budget = &budget;

	if (!hv_ck_map(c.d, doc, "an experiment")) {
		if (hv_node_is_null(doc))
			hv_diag_at(diag, path, 1, 1, "the file is empty");
		goto out;
	}
	hv_ck_keys(c.d, doc, top_keys, "an experiment");
	load_vars(&c, hv_node_get(doc, "vars"), o);
	/* Everything but vars: expands with the variables now known. */
	{
		size_t	i;

		for (i = 0; i < doc->n; i++) {
			if (strcmp(doc->keys[i]->str, "vars") != 0)
				hv_expand_tree(&c.ex, doc->items[i], diag);
		}
	}
	x->version = (int)hv_ck_int(c.d, doc, "version", "experiment", 1,
	    1000, 1);
	if (x->version != 1)
		hv_diag_node(diag, hv_node_get(doc, "version"), "version %d is "
		    "not supported (this havoc reads version 1)", x->version);
	x->title = hv_ck_text(c.d, doc, "title", "experiment");
	if (x->title == NULL) {
		tmp = hv_xstrdup(path);
		x->title = hv_xstrdup(basename(tmp));
		free(tmp);
	}
	x->description = hv_ck_text(c.d, doc, "description",
	    "experiment");
	x->tags = hv_ck_textlist(c.d, doc, "tags", "experiment", &x->ntags);
	if (hv_ck_map(c.d, hv_node_get(doc, "ssh"), "ssh")) {
		hv_ck_keys(c.d, hv_node_get(doc, "ssh"), hv_ssh_keys, "ssh");
		hv_ssh_opts_load(c.d, hv_node_get(doc, "ssh"), &x->ssh, "ssh");
	}
	inv = NULL;
	if (!hv_node_is_null(hv_node_get(doc, "inventory")))
		inv = load_inventory(&c, hv_node_get(doc, "inventory"), o);
	/* The experiment's own hosts, on top of the file's (shared). */
	x->inv = hv_inventory_new(inv);
	hv_inventory_free(inv);
	hv_inventory_load_hosts(x->inv, hv_node_get(doc, "hosts"), c.d);
	load_cloud(&c, hv_node_get(doc, "cloud"));
	load_targets(&c, hv_node_get(doc, "targets"));
	check_groups_used(&c);
	load_steady(&c, hv_node_get(doc, "steady_state"));
	x->method = load_steps(&c, hv_node_get(doc, "method"), "method",
	    &x->nmethod);
	x->rollbacks = load_steps(&c, hv_node_get(doc, "rollbacks"),
	    "rollbacks", &x->nrollbacks);
	load_watch(&c, hv_node_get(doc, "watch"));
	load_alerts(&c, hv_node_get(doc, "alerts"));
	load_safety(&c, hv_node_get(doc, "safety"));
	check_dead_man(&c);
	{
		size_t	i;

		for (i = 0; i < x->nrollbacks; i++) {
			if (x->rollbacks[i].kind == HV_STEP_PROBE &&
			    x->rollbacks[i].driver != NULL)
				hv_diag_node(diag, x->rollbacks[i].where,
				    "rollbacks hold actions and pauses, not "
				    "probes");
		}
	}
	if (x->nmethod == 0 && diag->count == before)
		hv_diag_at(diag, path, doc->line, doc->col, "an experiment "
		    "needs "
		    "a method: with at least one step");

out:
	if (diag->count > before) {
		/* The caller keeps doc on failure. */
		x->doc = NULL;
		hv_experiment_free(x);
		return NULL;
	}
	return x;
}

struct hv_experiment *
hv_experiment_load(const char *path, const struct hv_load_opts *o,
    struct hv_diag *diag)
{
	struct hv_experiment	*x;
	struct hv_node		*doc;
	struct hv_buf		 data = HV_BUF_INIT, err = HV_BUF_INIT;
	char			 sha[65];
	int			 before = diag->count;

	if (hv_read_file(path, &data, &err) == -1) {
		hv_diag_at(diag, path, 1, 1, "cannot read the file (%s)",
		    err.s);
		hv_buf_release(&err);
		return NULL;
	}
	hv_sha256_hex(data.s, data.len, sha);
	doc = hv_yaml_parse(path, data.s, data.len, diag);
	hv_buf_release(&data);
	if (doc == NULL)
		return NULL;
	x = hv_experiment_from_tree(path, doc, o, diag);
	if (x == NULL) {
		hv_node_free(doc);
		return NULL;
	}
	/* The parser's soft errors (a duplicate key) fail the file too. */
	if (diag->count > before) {
		hv_experiment_free(x);
		return NULL;
	}
	memcpy(x->sha256, sha, sizeof sha);
	return x;
}

static void
free_steps(struct hv_step *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(s[i].name);
		hv_node_free(s[i].silence);
	}
	free(s);
}

void
hv_experiment_free(struct hv_experiment *x)
{
	size_t	i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nvars; i++) {
		free(x->vars[i].name);
		free(x->vars[i].str);
		free(x->vars[i].shown);
	}
	free(x->vars);
	hv_inventory_free(x->inv);
	hv_cloud_aws_release(&x->aws);
	for (i = 0; i < x->ngroups; i++) {
		free(x->groups[i].name);
		hv_strlist_free(x->groups[i].tags, x->groups[i].ntags);
		hv_strlist_free(x->groups[i].names, x->groups[i].nnames);
		aws_target_free(x->groups[i].aws);
	}
	free(x->groups);
	for (i = 0; i < x->nasgs; i++)
		hv_asg_info_free(x->asgs[i]);
	free(x->asgs);
	free_steps(x->steady, x->nsteady);
	free_steps(x->method, x->nmethod);
	free_steps(x->rollbacks, x->nrollbacks);
	free_steps(x->alerts, x->nalerts);
	free_steps(x->preflight, x->npreflight);
	free(x->watch);
	hv_strlist_free(x->tags, x->ntags);
	hv_ssh_opts_release(&x->ssh);
	free(x->title);
	free(x->description);
	free(x->path);
	free(x->dir);
	hv_node_free(x->doc);
	free(x);
}

int
hv_experiment_probe(const struct hv_experiment *x, const char *name)
{
	size_t	i;

	for (i = 0; i < x->nsteady; i++) {
		if (x->steady[i].name != NULL &&
		    strcmp(x->steady[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

int
hv_experiment_group(const struct hv_experiment *x, const char *name)
{
	size_t	i;

	for (i = 0; i < x->ngroups; i++) {
		if (strcmp(x->groups[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

void
hv_experiment_ssh_for(const struct hv_experiment *x, const struct hv_host *h,
    struct hv_ssh_opts *o)
{
	hv_inventory_ssh_for(x->inv, &x->ssh, h, o);
}
