/*
 * plan.c - target groups to hosts, seeded picks, the blast radius, and
 * the printed plan of `havoc plan` and `havoc run --dry-run`.
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "driver.h"
#include "expand.h"
#include "experiment.h"
#include "node.h"
#include "plan.h"

/* splitmix64: small, well mixed, and the same on every platform. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t	z;

	z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
hv_plan_random_seed(void)
{
	uint32_t	v = 0;

	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		v = (uint32_t)hv_wall_ms() ^ (uint32_t)getpid();
	return v;
}

static int
by_name(const void *a, const void *b)
{
	const struct hv_host	*ha = *(const struct hv_host *const *)a;
	const struct hv_host	*hb = *(const struct hv_host *const *)b;

	return strcmp(ha->name, hb->name);
}

static int
has_tag(const struct hv_host *h, const char *tag)
{
	size_t	i;

	for (i = 0; i < h->ntags; i++) {
		if (strcmp(h->tags[i], tag) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether h belongs to g: named by it, or carrying all of its tags; for
 * a cloud group, one of the instances it resolved to (cloud.h).
 */
static int
in_group(const struct hv_group *g, const struct hv_host *h)
{
	size_t	i;

	if (g->aws != NULL) {
		if (h->instance == NULL)
			return 0;
		for (i = 0; i < g->aws->nmembers; i++) {
			if (strcmp(g->aws->members[i], h->name) == 0)
				return 1;
		}
		return 0;
	}
	for (i = 0; i < g->nnames; i++) {
		if (strcmp(g->names[i], h->name) == 0)
			return 1;
	}
	if (g->ntags == 0)
		return 0;
	for (i = 0; i < g->ntags; i++) {
		if (!has_tag(h, g->tags[i]))
			return 0;
	}
	return 1;
}

/* FNV-1a: a group's name as a number, the same on every platform. */
static uint64_t
name_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* How many of n candidates a group picks (pick: N may ask for more). */
static size_t
pick_count(const struct hv_group *g, size_t n)
{
	switch (g->pick) {
	case HV_PICK_COUNT:
		return (size_t)g->pick_n;
	case HV_PICK_PERCENT:
		/* Rounded up: 30% of 3 hosts is one host, never none. */
		return (n * (size_t)g->pick_n + 99) / 100;
	default:
		return n;
	}
}

/* The hosts of the inventory that belong to g, sorted by name; new. */
static const struct hv_host **
candidates(const struct hv_experiment *x, const struct hv_group *g,
    size_t *count)
{
	const struct hv_host	**v;
	size_t			  i, n = 0;

	v = hv_xcalloc(x->inv->nhosts + 1, sizeof *v);
	for (i = 0; i < x->inv->nhosts; i++) {
		if (in_group(g, x->inv->hosts[i]))
			v[n++] = x->inv->hosts[i];
	}
	qsort(v, n, sizeof *v, by_name);
	*count = n;
	return v;
}

/*
 * Candidates sorted by name, then a seeded partial shuffle picks k. A
 * pick of more hosts than there are is an error, never "all of them".
 */
static int
resolve_group(const struct hv_experiment *x, const struct hv_group *g,
    uint64_t seed, struct hv_targets *t, struct hv_buf *err)
{
	const struct hv_host	*tmp;
	uint64_t		 state;
	size_t			 i, j, n, k;

	t->hosts = candidates(x, g, &n);
	k = pick_count(g, n);
	/* An empty group is refused where a step uses it. */
	if (n == 0)
		k = 0;
	if (k > n) {
		t->n = 0;
		return hv_error(err, "target group %s: pick %zu, but only %zu "
		    "host%s match", g->name, k, n, n == 1 ? "" : "s");
	}
	/* Each group draws from its own stream, keyed by its name rather
	 * than its place, so adding a group anywhere in an experiment does
	 * not change the picks of the others. */
	state = seed ^ name_hash(g->name);
	if (k < n) {
		for (i = 0; i < k; i++) {
			j = i + (size_t)(next_random(&state) % (n - i));
			tmp = t->hosts[i];
			t->hosts[i] = t->hosts[j];
			t->hosts[j] = tmp;
		}
		qsort(t->hosts, k, sizeof *t->hosts, by_name);
	}
	t->n = k;
	return 0;
}

/* Adds a group's hosts to a set of hosts (of *n), once each. */
static void
touch(const struct hv_host **set, size_t *n, const struct hv_targets *t)
{
	size_t	i, j;

	for (i = 0; i < t->n; i++) {
		for (j = 0; j < *n; j++) {
			if (set[j] == t->hosts[i])
				break;
		}
		if (j == *n)
			set[(*n)++] = t->hosts[i];
	}
}

/* Counts an address that an action reaches. */
static void
reach_address(struct hv_plan *p, const struct hv_experiment *x,
    const char *a)
{
	const char	*slash = strchr(a, '/');
	size_t		 i;

	for (i = 0; i < x->inv->nhosts; i++) {
		if (strcmp(x->inv->hosts[i]->address, a) == 0) {
			struct hv_targets	one = { NULL, 1 };
			const struct hv_host	*h = x->inv->hosts[i];

			one.hosts = &h;
			touch(p->reached, &p->nreached, &one);
			return;
		}
	}
	if (slash != NULL && strcmp(slash, "/32") != 0 &&
	    strcmp(slash, "/128") != 0)
		p->ranges++;
	else
		p->addresses++;
}

/*
 * What an action reaches besides its own targets: the hosts and
 * addresses of its target-group parameters (peers:, destination:). The
 * plan shows them; max_targets does not count them, as nothing runs on
 * them (cutting web-2 off from lb is a fault of web-2's).
 */
static void
reach_params(struct hv_plan *p, const struct hv_experiment *x,
    const struct hv_step *s)
{
	const struct hv_param	*spec;
	const struct hv_node	*v;
	size_t			 i, j;
	int			 g;

	for (i = 0; s->with != NULL && i < s->with->n; i++) {
		spec = hv_param_find(s->driver->params, s->with->keys[i]->str);
		v = s->with->items[i];
		if (spec == NULL || spec->type != HV_T_TARGETS)
			continue;
		if (v->kind == HV_NODE_SCALAR) {
			if ((g = hv_experiment_group(x, v->str)) >= 0)
				touch(p->reached, &p->nreached,
				    &p->groups[g]);
			else
				reach_address(p, x, v->str);
			continue;
		}
		for (j = 0; v->kind == HV_NODE_SEQ && j < v->n; j++)
			reach_address(p, x, v->items[j]->str);
	}
}

/* Two hosts of one group at one address would share what havoc adds. */
static int
check_addresses(const struct hv_experiment *x, const struct hv_plan *p,
    const struct hv_step *s, struct hv_buf *err)
{
	const struct hv_targets	*t = &p->groups[s->group];
	size_t			 i, j;

	for (i = 0; i < t->n; i++) {
		for (j = i + 1; j < t->n; j++) {
			if (strcmp(t->hosts[i]->address,
			    t->hosts[j]->address) == 0 &&
			    t->hosts[i]->ssh.port == t->hosts[j]->ssh.port)
				return hv_error(err, "target group %s: "
				    "hosts %s and %s have the same address "
				    "%s (step \"%s\")",
				    x->groups[s->group].name,
				    t->hosts[i]->name, t->hosts[j]->name,
				    t->hosts[i]->address, s->name);
		}
	}
	return 0;
}

/* Every step with on: must hit at least one host. */
static int
check_steps(const struct hv_experiment *x, struct hv_plan *p,
    const struct hv_step *s, size_t n, struct hv_buf *err)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < n; i++) {
		if (s[i].kind == HV_STEP_ACTION && s[i].driver != NULL)
			reach_params(p, x, &s[i]);
		if (s[i].group < 0)
			continue;
		if (p->groups[s[i].group].n == 0 &&
		    x->groups[s[i].group].aws != NULL)
			rc = hv_error(err, "target group %s: %s (step \"%s\")",
			    x->groups[s[i].group].name,
			    x->groups[s[i].group].aws->resolved ? "no running "
			    "instance" : "not resolved (ask AWS first)",
			    s[i].name);
		else if (p->groups[s[i].group].n == 0)
			rc = hv_error(err, "target group %s matches no host "
			    "(step \"%s\")", x->groups[s[i].group].name,
			    s[i].name);
		else if (check_addresses(x, p, &s[i], err) == -1)
			rc = -1;
		else if (s[i].kind == HV_STEP_ACTION)
			touch(p->touched, &p->ntouched,
			    &p->groups[s[i].group]);
	}
	return rc;
}

int
hv_plan_make(const struct hv_experiment *x, uint64_t seed, struct hv_plan *p,
    struct hv_buf *err)
{
	struct hv_buf	names = HV_BUF_INIT;
	size_t		i;
	int		rc = 0;

	memset(p, 0, sizeof *p);
	p->seed = seed;
	p->ngroups = x->ngroups;
	p->groups = hv_xcalloc(x->ngroups, sizeof *p->groups);
	p->touched = hv_xcalloc(x->inv->nhosts + 1, sizeof *p->touched);
	p->reached = hv_xcalloc(x->inv->nhosts + 1, sizeof *p->reached);
	for (i = 0; i < x->ngroups; i++) {
		if (resolve_group(x, &x->groups[i], seed, &p->groups[i],
		    err) == -1)
			rc = -1;
	}

	if (check_steps(x, p, x->steady, x->nsteady, err) == -1)
		rc = -1;
	if (check_steps(x, p, x->method, x->nmethod, err) == -1)
		rc = -1;
	if (check_steps(x, p, x->rollbacks, x->nrollbacks, err) == -1)
		rc = -1;
	if (check_steps(x, p, x->alerts, x->nalerts, err) == -1)
		rc = -1;
	if (check_steps(x, p, x->preflight, x->npreflight, err) == -1)
		rc = -1;
	if (x->max_targets > 0 && p->ntouched > (size_t)x->max_targets) {
		for (i = 0; i < p->ntouched; i++)
			hv_buf_printf(&names, "%s%s", i > 0 ? ", " : "",
			    p->touched[i]->name);
		rc = hv_error(err, "safety: actions would touch %zu hosts, "
		    "more than max_targets %d (%s)", p->ntouched,
		    x->max_targets, names.s);
	}
	hv_buf_release(&names);
	if (rc == -1)
		hv_plan_release(p);
	return rc;
}

void
hv_plan_release(struct hv_plan *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ngroups; i++)
		free(p->groups[i].hosts);
	free(p->groups);
	free(p->touched);
	free(p->reached);
	memset(p, 0, sizeof *p);
}

void
hv_plan_replace(struct hv_plan *p, const struct hv_host *old,
    const struct hv_host *repl)
{
	size_t	i, j;

	for (i = 0; i < p->ngroups; i++) {
		for (j = 0; j < p->groups[i].n; j++) {
			if (p->groups[i].hosts[j] == old)
				p->groups[i].hosts[j] = repl;
		}
	}
}

const struct hv_targets *
hv_plan_targets(const struct hv_plan *p, const struct hv_step *s)
{
	static const struct hv_targets	none;

	if (s->group < 0 || (size_t)s->group >= p->ngroups)
		return &none;
	return &p->groups[s->group];
}

/* Re-checks values that were only known once the target was. */
static int
recheck(const struct hv_param *spec, const struct hv_node *orig,
    const struct hv_node *map, struct hv_buf *err)
{
	const struct hv_param	*p;
	size_t			 i;

	for (i = 0; map != NULL && map->kind == HV_NODE_MAP && i < map->n;
	    i++) {
		if (orig->items[i]->kind != HV_NODE_SCALAR ||
		    !orig->items[i]->deferred)
			continue;
		if ((p = hv_param_find(spec, map->keys[i]->str)) == NULL)
			continue;
		if (hv_param_value_check(p, map->items[i], err) == -1)
			return -1;
	}
	return 0;
}

struct hv_node *
hv_plan_params(const struct hv_experiment *x, const struct hv_step *s,
    const struct hv_node *params, const struct hv_host *host,
    struct hv_buf *err)
{
	struct hv_expand	 ex;
	struct hv_node		*n;
	const struct hv_param	*spec;

	memset(&ex, 0, sizeof ex);
	ex.vars = x->vars;
	ex.nvars = x->nvars;
	ex.dir = x->dir;
	ex.target = host;
	if (params == NULL)
		return NULL;
	if ((n = hv_node_for_target(&ex, params, err)) == NULL)
		return NULL;
	spec = params == s->expect ? s->driver->expect : s->driver->params;
	if (host != NULL && recheck(spec, params, n, err) == -1) {
		hv_node_free(n);
		return NULL;
	}
	return n;
}

void
hv_plan_resolve_groups(const struct hv_experiment *x, const struct hv_plan *p,
    const struct hv_step *s, struct hv_node *with)
{
	const struct hv_param	*spec;
	const struct hv_targets	*t;
	struct hv_node		*old, *list;
	size_t			 i, j;
	int			 g;

	if (with == NULL || with->kind != HV_NODE_MAP || s->driver == NULL)
		return;
	for (i = 0; i < with->n; i++) {
		spec = hv_param_find(s->driver->params, with->keys[i]->str);
		old = with->items[i];
		if (spec == NULL || spec->type != HV_T_TARGETS ||
		    old->kind != HV_NODE_SCALAR)
			continue;
		list = hv_node_new(HV_NODE_SEQ, old->file, old->line, old->col);
		if ((g = hv_experiment_group(x, old->str)) == -1) {
			/* One address is a list of one, never "everything". */
			hv_node_append(list, NULL, hv_node_dup(old));
			with->items[i] = list;
			hv_node_free(old);
			continue;
		}
		t = &p->groups[g];
		for (j = 0; j < t->n; j++)
			hv_node_append(list, NULL, hv_node_scalar(
			    t->hosts[j]->address, old->file, old->line,
			    old->col));
		with->items[i] = list;
		hv_node_free(old);
	}
}

/* Prints one driver step: each host with what it does and its revert. */
static void
print_step(const struct hv_experiment *x, const struct hv_plan *p,
    const struct hv_step *s, FILE *f)
{
	const struct hv_targets	*t = hv_plan_targets(p, s);
	struct hv_call		 call;
	struct hv_buf		 line = HV_BUF_INIT, err = HV_BUF_INIT;
	struct hv_node		*with;
	size_t			 i, n = t->n > 0 ? t->n : 1;
	char			 d[32];

	for (i = 0; i < n; i++) {
		const struct hv_host	*h = t->n > 0 ? t->hosts[i] : NULL;

		with = hv_plan_params(x, s, s->with, h, &err);
		if (with == NULL) {
			fprintf(f, "      %s: %s\n", h != NULL ? h->name : "-",
			    err.s);
			hv_buf_reset(&err);
			continue;
		}
		hv_plan_resolve_groups(x, p, s, with);
		hv_call_init(&call, s->driver, NULL);
		call.with = with;
		call.host = h;
		call.index = i;
		call.count = t->n;
		call.tag = hv_xstrdup("havoc-rN-sN");
		hv_buf_reset(&line);
		hv_call_describe(&call, 0, &line);
		fprintf(f, "      %s%s%s\n", h != NULL ? h->name : "",
		    h != NULL ? ": " : "", line.s);
		if (s->kind == HV_STEP_ACTION && hv_call_is_fault(&call)) {
			hv_buf_reset(&line);
			hv_call_describe(&call, 1, &line);
			if (s->duration_ms > 0)
				fprintf(f, "        revert after %s: %s\n",
				    hv_format_duration(s->duration_ms, d,
				    sizeof d), line.s);
			else
				fprintf(f, "        revert at rollback: %s\n",
				    line.s);
		}
		hv_call_release(&call);
		hv_node_free(with);
	}
	hv_buf_release(&line);
	hv_buf_release(&err);
}

static void
print_steps(const struct hv_experiment *x, const struct hv_plan *p,
    const char *title, const struct hv_step *s, size_t n, FILE *f)
{
	size_t	i;
	char	d[32];

	if (n == 0)
		return;
	fprintf(f, "%s:\n", title);
	for (i = 0; i < n; i++) {
		if (s[i].kind == HV_STEP_PAUSE) {
			fprintf(f, "  %zu. pause %s\n", i + 1,
			    hv_format_duration(s[i].pause_ms, d, sizeof d));
			continue;
		}
		fprintf(f, "  %zu. %s (%s %s", i + 1, s[i].name,
		    s[i].kind == HV_STEP_ACTION ? "action" : "probe",
		    s[i].driver->name);
		if (s[i].group >= 0)
			fprintf(f, " on %s: %zu host%s",
			    x->groups[s[i].group].name,
			    p->groups[s[i].group].n,
			    p->groups[s[i].group].n == 1 ? "" : "s");
		if (s[i].duration_ms > 0)
			fprintf(f, ", for %s%s", hv_format_duration(
			    s[i].duration_ms, d, sizeof d),
			    s[i].background ? " in the background" : "");
		if (s[i].within_ms > 0)
			fprintf(f, ", must fire within %s",
			    hv_format_duration(s[i].within_ms, d, sizeof d));
		fprintf(f, ")\n");
		print_step(x, p, &s[i], f);
	}
}

void
hv_plan_print(const struct hv_experiment *x, const struct hv_plan *p,
    FILE *f)
{
	size_t	i, j;
	char	d[32];

	fprintf(f, "experiment: %s\n", x->title);
	fprintf(f, "file: %s (sha256 %.12s)\n", x->path, x->sha256);
	fprintf(f, "seed: %llu\n", (unsigned long long)p->seed);
	for (i = 0; i < x->ngroups; i++) {
		fprintf(f, "target %s:", x->groups[i].name);
		for (j = 0; j < p->groups[i].n; j++) {
			const struct hv_host	*h = p->groups[i].hosts[j];

			if (h->instance != NULL && h->instance->asg != NULL)
				fprintf(f, " %s (%s, group %s)", h->name,
				    h->address, h->instance->asg);
			else
				fprintf(f, " %s (%s)", h->name, h->address);
		}
		fprintf(f, "%s\n", p->groups[i].n == 0 ? " (none)" : "");
		if (x->groups[i].aws != NULL)
			fprintf(f, "  from AWS: %zu running instance%s\n",
			    x->groups[i].aws->nmembers,
			    x->groups[i].aws->nmembers == 1 ? "" : "s");
	}
	fprintf(f, "blast radius: %zu host%s", p->ntouched,
	    p->ntouched == 1 ? "" : "s");
	if (x->max_targets > 0)
		fprintf(f, " (max_targets %d)", x->max_targets);
	fprintf(f, "\n");
	if (p->nreached > 0 || p->addresses > 0 || p->ranges > 0) {
		fprintf(f, "also reaches:");
		for (i = 0; i < p->nreached; i++)
			fprintf(f, "%s %s", i > 0 ? "," : "",
			    p->reached[i]->name);
		if (p->addresses > 0)
			fprintf(f, "%s %zu other address%s",
			    p->nreached > 0 ? "," : "", p->addresses,
			    p->addresses == 1 ? "" : "es");
		if (p->ranges > 0)
			fprintf(f, "%s %zu address range%s",
			    p->nreached + p->addresses > 0 ? "," : "",
			    p->ranges, p->ranges == 1 ? "" : "s");
		fprintf(f, "\n");
	}
	print_steps(x, p, "pre-flight", x->preflight, x->npreflight, f);
	print_steps(x, p, "steady state", x->steady, x->nsteady, f);
	print_steps(x, p, "method", x->method, x->nmethod, f);
	if (x->nwatch > 0) {
		fprintf(f, "watch every %s:", hv_format_duration(
		    x->watch_every_ms, d, sizeof d));
		for (i = 0; i < x->nwatch; i++)
			fprintf(f, " %s", x->steady[x->watch[i]].name);
		fprintf(f, "\n");
	}
	print_steps(x, p, "alerts", x->alerts, x->nalerts, f);
	fprintf(f, "rollbacks: every fault still active is reverted first\n");
	print_steps(x, p, "rollback steps", x->rollbacks, x->nrollbacks, f);
	if (x->abort_probe >= 0)
		fprintf(f, "abort when %s fails for %s\n",
		    x->steady[x->abort_probe].name,
		    hv_format_duration(x->abort_failing_ms, d, sizeof d));
}

char *
hv_plan_json(const struct hv_experiment *x, const struct hv_plan *p)
{
	json_t	*root, *groups, *hosts;
	char	*s, *out;
	size_t	 i, j;

	root = json_object();
	if (p->seed <= INT64_MAX)
		json_object_set_new(root, "seed",
		    json_integer((json_int_t)p->seed));
	else
		json_object_set_new(root, "seed", json_sprintf("%llu",
		    (unsigned long long)p->seed));
	groups = json_object();
	for (i = 0; i < p->ngroups; i++) {
		hosts = json_array();
		for (j = 0; j < p->groups[i].n; j++)
			json_array_append_new(hosts,
			    json_string(p->groups[i].hosts[j]->name));
		json_object_set_new(groups, x->groups[i].name, hosts);
	}
	json_object_set_new(root, "groups", groups);
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	out = hv_xstrdup(s != NULL ? s : "{}");
	free(s);
	json_decref(root);
	return out;
}

/* Marks the groups that actions of steps run on. */
static void
mark_used(const struct hv_step *s, size_t n, int *used)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i].kind == HV_STEP_ACTION && s[i].group >= 0)
			used[s[i].group] = 1;
	}
}

int
hv_plan_check(const struct hv_experiment *x, struct hv_diag *d)
{
	const struct hv_host	**set, **v;
	const struct hv_node	 *where;
	const struct hv_group	 *g;
	struct hv_targets	  t;
	size_t			  i, n, k, count = 0, sum = 0, most;
	int			 *used, before = d->count;

	used = hv_xcalloc(x->ngroups + 1, sizeof *used);
	mark_used(x->method, x->nmethod, used);
	mark_used(x->rollbacks, x->nrollbacks, used);
	set = hv_xcalloc(x->inv->nhosts + 1, sizeof *set);
	for (i = 0; i < x->ngroups; i++) {
		g = &x->groups[i];
		v = candidates(x, g, &n);
		k = pick_count(g, n);
		if (k > n && n > 0) {
			where = hv_node_get(hv_node_get(hv_node_get(x->doc,
			    "targets"), g->name), "pick");
			hv_diag_node(d, where != NULL ? where : g->where,
			    "target group \"%s\": pick %zu, but only %zu "
			    "host%s match", g->name, k, n, n == 1 ? "" : "s");
		}
		if (used[i] && g->aws != NULL && !g->aws->resolved &&
		    g->pick == HV_PICK_COUNT) {
			/* Instances are known at plan time; a count is not. */
			count += k;
			sum += k;
		} else if (used[i]) {
			t.hosts = v;
			t.n = n;
			touch(set, &count, &t);
			sum += k < n ? k : n;
		}
		free(v);
	}
	free(set);
	free(used);
	/* The most any seed can touch: every candidate, or every pick. */
	most = count < sum ? count : sum;
	if (x->max_targets > 0 && most > (size_t)x->max_targets) {
		where = hv_node_get(hv_node_get(x->doc, "safety"),
		    "max_targets");
		hv_diag_node(d, where != NULL ? where : x->doc, "safety: "
		    "actions may touch %zu hosts, more than max_targets %d",
		    most, x->max_targets);
	}
	return d->count - before;
}
