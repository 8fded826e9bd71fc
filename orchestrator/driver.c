/*
 * driver.c - the registry of drivers, parameter checks and accessors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "experiment.h"
#include "node.h"

extern const struct hv_driver hv_action_process_kill;
extern const struct hv_driver hv_action_service_stop;
extern const struct hv_driver hv_action_service_start;
extern const struct hv_driver hv_action_service_restart;
extern const struct hv_driver hv_action_host_reboot;
extern const struct hv_driver hv_action_host_shutdown;
extern const struct hv_driver hv_action_network_delay;
extern const struct hv_driver hv_action_network_loss;
extern const struct hv_driver hv_action_network_partition;
extern const struct hv_driver hv_action_network_bandwidth;
extern const struct hv_driver hv_action_stress_cpu;
extern const struct hv_driver hv_action_stress_memory;
extern const struct hv_driver hv_action_stress_io;
extern const struct hv_driver hv_action_disk_fill;
extern const struct hv_driver hv_action_security_add_user;
extern const struct hv_driver hv_action_security_open_port;
extern const struct hv_driver hv_action_security_tamper_file;
extern const struct hv_driver hv_action_shell_run;
extern const struct hv_driver hv_action_local_run;
extern const struct hv_driver hv_action_http_request;
extern const struct hv_driver hv_action_alertmanager_silence;
extern const struct hv_driver hv_action_aws_ec2_terminate;
extern const struct hv_driver hv_action_aws_ec2_stop;
extern const struct hv_driver hv_action_aws_ec2_reboot;
extern const struct hv_driver hv_action_aws_asg_replace;
extern const struct hv_driver hv_probe_http;
extern const struct hv_driver hv_probe_tcp;
extern const struct hv_driver hv_probe_ssh;
extern const struct hv_driver hv_probe_image;
extern const struct hv_driver hv_probe_local;
extern const struct hv_driver hv_probe_prometheus;
extern const struct hv_driver hv_probe_alertmanager;
extern const struct hv_driver hv_probe_aws_ec2_image;
extern const struct hv_driver hv_probe_aws_asg_capacity;

/* Every driver havoc has, in the order `havoc drivers` lists them. */
const struct hv_driver *const hv_drivers[] = {
	&hv_action_process_kill,
	&hv_action_service_stop,
	&hv_action_service_start,
	&hv_action_service_restart,
	&hv_action_host_reboot,
	&hv_action_host_shutdown,
	&hv_action_network_delay,
	&hv_action_network_loss,
	&hv_action_network_partition,
	&hv_action_network_bandwidth,
	&hv_action_stress_cpu,
	&hv_action_stress_memory,
	&hv_action_stress_io,
	&hv_action_disk_fill,
	&hv_action_security_add_user,
	&hv_action_security_open_port,
	&hv_action_security_tamper_file,
	&hv_action_shell_run,
	&hv_action_local_run,
	&hv_action_http_request,
	&hv_action_alertmanager_silence,
	&hv_action_aws_ec2_terminate,
	&hv_action_aws_ec2_stop,
	&hv_action_aws_ec2_reboot,
	&hv_action_aws_asg_replace,
	&hv_probe_http,
	&hv_probe_tcp,
	&hv_probe_ssh,
	&hv_probe_image,
	&hv_probe_local,
	&hv_probe_prometheus,
	&hv_probe_alertmanager,
	&hv_probe_aws_ec2_image,
	&hv_probe_aws_asg_capacity,
	NULL
};

const struct hv_driver *
hv_driver_find(const char *name)
{
	size_t	i;

	if (name == NULL)
		return NULL;
	for (i = 0; hv_drivers[i] != NULL; i++) {
		if (strcmp(hv_drivers[i]->name, name) == 0)
			return hv_drivers[i];
	}
	return NULL;
}

const char *
hv_driver_suggest(const char *name, enum hv_driver_kind kind)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = 4;

	for (i = 0; hv_drivers[i] != NULL; i++) {
		if (hv_drivers[i]->kind != kind)
			continue;
		d = hv_edit_distance(name, hv_drivers[i]->name, 3);
		if (d < bestd) {
			bestd = d;
			best = hv_drivers[i]->name;
		}
	}
	return best;
}

const struct hv_param *
hv_param_find(const struct hv_param *p, const char *name)
{
	if (p == NULL)
		return NULL;
	for (; p->name != NULL; p++) {
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

const char *
hv_type_name(enum hv_type t)
{
	switch (t) {
	case HV_T_STR:
		return "string";
	case HV_T_INT:
		return "integer";
	case HV_T_NUM:
		return "number";
	case HV_T_BOOL:
		return "boolean";
	case HV_T_DURATION:
		return "duration";
	case HV_T_SIZE:
		return "size";
	case HV_T_LIST:
		return "list";
	case HV_T_MAP:
		return "map";
	case HV_T_SHELL:
		return "shell command";
	case HV_T_TARGETS:
		return "targets";
	case HV_T_ANY:
		return "any";
	case HV_T_PROBE:
		return "probe";
	}
	return "?";
}

/* Whether word is one of "a|b|c". */
static int
in_choices(const char *choices, const char *word)
{
	const char	*p = choices, *bar;
	size_t		 n = strlen(word);

	for (;;) {
		bar = strchr(p, '|');
		if ((bar != NULL ? (size_t)(bar - p) : strlen(p)) == n &&
		    strncmp(p, word, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/* Checks a scalar's text against a scalar type. */
static int
scalar_check(enum hv_type t, const char *s, struct hv_buf *err)
{
	long long	i;
	double		d;
	int64_t		ms;
	uint64_t	sz;
	int		b;

	switch (t) {
	case HV_T_INT:
		if (hv_parse_int(s, &i) == -1)
			return hv_error(err, "\"%s\" is not an integer", s);
		break;
	case HV_T_NUM:
		if (hv_parse_num(s, &d) == -1)
			return hv_error(err, "\"%s\" is not a number", s);
		break;
	case HV_T_BOOL:
		if (hv_parse_bool(s, &b) == -1)
			return hv_error(err, "\"%s\" is not true or false", s);
		break;
	case HV_T_DURATION:
		if (hv_parse_duration(s, &ms) == -1)
			return hv_error(err, "\"%s\" is not a duration (like "
			    "250ms, 5s, 2m, 1h)", s);
		break;
	case HV_T_SIZE:
		if (hv_parse_size(s, &sz) == -1)
			return hv_error(err, "\"%s\" is not a size (like 512M, "
			    "2G)", s);
		break;
	default:
		break;
	}
	return 0;
}

/* A probe parameter's shape: {probe: NAME, with: {...}, expect: {...}}. */
static int
probe_shape_check(const struct hv_param *p, const struct hv_node *v,
    struct hv_buf *err)
{
	const struct hv_driver	*d;
	const struct hv_node	*n;
	size_t			 i;

	if (v->kind != HV_NODE_MAP)
		return hv_error(err, "%s must be a map (probe:, with:, "
		    "expect:), not %s", p->name, hv_node_kind_name(v));
	for (i = 0; i < v->n; i++) {
		if (strcmp(v->keys[i]->str, "probe") != 0 &&
		    strcmp(v->keys[i]->str, "with") != 0 &&
		    strcmp(v->keys[i]->str, "expect") != 0)
			return hv_error(err, "%s: unknown key \"%s\" (probe:, "
			    "with:, expect:)", p->name, v->keys[i]->str);
	}
	n = hv_node_get(v, "probe");
	if (hv_node_is_null(n) || n->kind != HV_NODE_SCALAR)
		return hv_error(err, "%s needs probe: (a probe's name)",
		    p->name);
	if ((d = hv_driver_find(n->str)) == NULL || d->kind != HV_PROBE)
		return hv_error(err, "%s: no probe \"%s\"", p->name, n->str);
	if (d->transport == &hv_transport_aws)
		return hv_error(err, "%s: %s does not run on a host", p->name,
		    n->str);
	n = hv_node_get(v, "with");
	if (!hv_node_is_null(n) && n->kind != HV_NODE_MAP)
		return hv_error(err, "%s.with must be a map", p->name);
	n = hv_node_get(v, "expect");
	if (!hv_node_is_null(n) && n->kind != HV_NODE_MAP)
		return hv_error(err, "%s.expect must be a map", p->name);
	return 0;
}

/* A probe parameter, with the probe's own parameters checked in place. */
static int
probe_param_check(const struct hv_param *p, const struct hv_node *v,
    const char *what, struct hv_diag *diag)
{
	const struct hv_driver	*d;
	struct hv_buf		 err = HV_BUF_INIT;
	char			 sub[160];
	int			 count;

	if (probe_shape_check(p, v, &err) == -1) {
		hv_diag_node(diag, v, "%s: %s", what, err.s);
		hv_buf_release(&err);
		return 1;
	}
	d = hv_driver_find(hv_node_get(v, "probe")->str);
	snprintf(sub, sizeof sub, "%s: %s (%s)", what, p->name, d->name);
	count = hv_params_check(d->params, hv_node_get(v, "with"), v, sub,
	    diag);
	if (!hv_node_is_null(hv_node_get(v, "expect")))
		count += hv_params_check(d->expect, hv_node_get(v, "expect"),
		    v, sub, diag);
	return count;
}

int
hv_param_value_check(const struct hv_param *p, const struct hv_node *v,
    struct hv_buf *err)
{
	struct hv_buf	why = HV_BUF_INIT;
	size_t		i;

	switch (p->type) {
	case HV_T_ANY:
		return 0;
	case HV_T_PROBE:
		return probe_shape_check(p, v, err);
	case HV_T_TARGETS:
		if (v->kind == HV_NODE_SCALAR)
			return 0;
		/* FALLTHROUGH */
	case HV_T_LIST:
		if (v->kind != HV_NODE_SEQ)
			return hv_error(err, "%s must be a list, not %s",
			    p->name,
			    hv_node_kind_name(v));
		for (i = 0; i < v->n; i++) {
			if (v->items[i]->kind != HV_NODE_SCALAR)
				return hv_error(err, "%s: item %zu must be a "
				    "string, not %s", p->name, i + 1,
				    hv_node_kind_name(v->items[i]));
		}
		return 0;
	case HV_T_MAP:
		if (v->kind != HV_NODE_MAP)
			return hv_error(err, "%s must be a map, not %s",
			    p->name,
			    hv_node_kind_name(v));
		for (i = 0; i < v->n; i++) {
			if (v->items[i]->kind != HV_NODE_SCALAR)
				return hv_error(err, "%s.%s must be a string, "
				    "not %s", p->name, v->keys[i]->str,
				    hv_node_kind_name(v->items[i]));
		}
		return 0;
	default:
		break;
	}
	if (v->kind != HV_NODE_SCALAR)
		return hv_error(err, "%s must be a %s, not %s", p->name,
		    hv_type_name(p->type), hv_node_kind_name(v));
	if (v->deferred)
		return 0;
	if (p->choices != NULL && !in_choices(p->choices, v->str))
		return hv_error(err, "%s: \"%s\" is not one of %s", p->name,
		    v->str, p->choices);
	if (scalar_check(p->type, v->str, &why) == -1) {
		/* One message, "name: why", chained after what err holds. */
		hv_error(err, "%s: %s", p->name, why.s);
		hv_buf_release(&why);
		return -1;
	}
	return 0;
}

/* The closest name in a table, for "did you mean". */
static const char *
suggest_param(const struct hv_param *p, const char *name)
{
	const char	*best = NULL;
	size_t		 d, bestd = 3;

	for (; p != NULL && p->name != NULL; p++) {
		d = hv_edit_distance(name, p->name, 2);
		if (d < bestd) {
			bestd = d;
			best = p->name;
		}
	}
	return best;
}

int
hv_params_check(const struct hv_param *spec, const struct hv_node *map,
    const struct hv_node *where, const char *what, struct hv_diag *diag)
{
	const struct hv_param	*p;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*hint;
	size_t			 i;
	int			 count = 0;

	if (hv_node_is_null(map))
		map = NULL;
	else if (map->kind != HV_NODE_MAP) {
		hv_diag_node(diag, map, "%s: expected a map of parameters, not "
		    "%s", what, hv_node_kind_name(map));
		return 1;
	}
	for (i = 0; map != NULL && i < map->n; i++) {
		p = hv_param_find(spec, map->keys[i]->str);
		if (p == NULL) {
			hint = suggest_param(spec, map->keys[i]->str);
			if (hint != NULL)
				hv_diag_node(diag, map->keys[i],
				    "%s: unknown parameter \"%s\" (did you "
				    "mean "
				    "\"%s\"?)", what, map->keys[i]->str, hint);
			else
				hv_diag_node(diag, map->keys[i],
				    "%s: unknown parameter \"%s\"", what,
				    map->keys[i]->str);
			count++;
			continue;
		}
		/* Null is absent; a required one is reported once, below. */
		if (hv_node_is_null(map->items[i]))
			continue;
		if (p->type == HV_T_PROBE) {
			count += probe_param_check(p, map->items[i], what,
			    diag);
			continue;
		}
		if (hv_param_value_check(p, map->items[i], &err) == -1) {
			hv_diag_node(diag, map->items[i], "%s: %s", what,
			    err.s);
			hv_buf_reset(&err);
			count++;
		}
	}
	for (p = spec; p != NULL && p->name != NULL; p++) {
		if (!p->required)
			continue;
		if (map == NULL || hv_node_is_null(hv_node_get(map, p->name))) {
			hv_diag_node(diag, map != NULL ? map : where,
			    "%s: missing required parameter \"%s\"", what,
			    p->name);
			count++;
		}
	}
	hv_buf_release(&err);
	return count;
}

/* The node for name in map, or NULL when absent or null. */
static const struct hv_node *
lookup(const struct hv_node *map, const char *name)
{
	const struct hv_node	*n = hv_node_get(map, name);

	return hv_node_is_null(n) ? NULL : n;
}

/* The text of a parameter: given, else its default. */
static const char *
text_of(const struct hv_node *map, const struct hv_param *spec,
    const char *name, int shown)
{
	const struct hv_node	*n = lookup(map, name);
	const struct hv_param	*p;

	if (n != NULL)
		return hv_node_text(n, shown);
	p = hv_param_find(spec, name);
	return p != NULL ? p->def : NULL;
}

static long long
int_of(const char *s)
{
	long long	v = 0;

	if (s != NULL)
		(void)hv_parse_int(s, &v);
	return v;
}

static double
num_of(const char *s)
{
	double	v = 0;

	if (s != NULL)
		(void)hv_parse_num(s, &v);
	return v;
}

static int
bool_of(const char *s)
{
	int	v = 0;

	if (s != NULL)
		(void)hv_parse_bool(s, &v);
	return v;
}

static int64_t
ms_of(const char *s)
{
	int64_t	v = 0;

	if (s != NULL)
		(void)hv_parse_duration(s, &v);
	return v;
}

const char *
hv_arg_str(const struct hv_call *c, const char *name)
{
	return text_of(c->with, c->driver->params, name, c->shown);
}

long long
hv_arg_int(const struct hv_call *c, const char *name)
{
	return int_of(text_of(c->with, c->driver->params, name, 0));
}

double
hv_arg_num(const struct hv_call *c, const char *name)
{
	return num_of(text_of(c->with, c->driver->params, name, 0));
}

int
hv_arg_bool(const struct hv_call *c, const char *name)
{
	return bool_of(text_of(c->with, c->driver->params, name, 0));
}

int64_t
hv_arg_ms(const struct hv_call *c, const char *name)
{
	return ms_of(text_of(c->with, c->driver->params, name, 0));
}

uint64_t
hv_arg_size(const struct hv_call *c, const char *name)
{
	const char	*s = text_of(c->with, c->driver->params, name, 0);
	uint64_t	 v = 0;

	if (s != NULL)
		(void)hv_parse_size(s, &v);
	return v;
}

int
hv_arg_has(const struct hv_call *c, const char *name)
{
	return lookup(c->with, name) != NULL;
}

const struct hv_node *
hv_arg_node(const struct hv_call *c, const char *name)
{
	return lookup(c->with, name);
}

char **
hv_arg_argv(const struct hv_call *c, const char *name)
{
	const struct hv_node	*n = lookup(c->with, name);
	char			**argv;
	size_t			 i;

	if (n == NULL || n->kind != HV_NODE_SEQ)
		return NULL;
	argv = hv_xcalloc(n->n + 1, sizeof *argv);
	for (i = 0; i < n->n; i++)
		argv[i] = (char *)hv_node_text(n->items[i], c->shown);
	return argv;
}

char *
hv_arg_path(const struct hv_call *c, const char *name)
{
	const char	*p = hv_arg_str(c, name);

	if (p == NULL)
		return c->dir != NULL ? hv_xstrdup(c->dir) : NULL;
	if (p[0] == '/' || c->dir == NULL)
		return hv_xstrdup(p);
	return hv_xasprintf("%s/%s", c->dir, p);
}

void
hv_argv_show(struct hv_buf *b, char *const *argv)
{
	size_t	i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		if (i > 0)
			hv_buf_putc(b, ' ');
		hv_shell_quote(b, argv[i]);
	}
}

const char *
hv_exp_str(const struct hv_call *c, const char *name)
{
	return text_of(c->expect, c->driver->expect, name, c->shown);
}

long long
hv_exp_int(const struct hv_call *c, const char *name)
{
	return int_of(text_of(c->expect, c->driver->expect, name, 0));
}

double
hv_exp_num(const struct hv_call *c, const char *name)
{
	return num_of(text_of(c->expect, c->driver->expect, name, 0));
}

int
hv_exp_bool(const struct hv_call *c, const char *name)
{
	return bool_of(text_of(c->expect, c->driver->expect, name, 0));
}

int64_t
hv_exp_ms(const struct hv_call *c, const char *name)
{
	return ms_of(text_of(c->expect, c->driver->expect, name, 0));
}

int
hv_exp_has(const struct hv_call *c, const char *name)
{
	return lookup(c->expect, name) != NULL;
}

const struct hv_node *
hv_exp_node(const struct hv_call *c, const char *name)
{
	return lookup(c->expect, name);
}

const struct hv_transport hv_transport_local = {
	.name = "local",
};

const struct hv_transport *const hv_transports[] = {
	&hv_transport_ssh,
	&hv_transport_http,
	&hv_transport_aws,
	&hv_transport_local,
	NULL
};

const struct hv_transport *
hv_driver_transport(const struct hv_driver *d)
{
	return d->transport != NULL ? d->transport : &hv_transport_local;
}

int
hv_call_is_fault(const struct hv_call *c)
{
	if (c->driver->kind != HV_ACTION || c->driver->revert == NULL)
		return 0;
	return c->driver->is_fault == NULL || c->driver->is_fault(c);
}

/* The driver's check, once, before any command is built. */
static int
precheck(struct hv_call *c)
{
	if (c->driver->check == NULL || c->driver->check(c, &c->err) == 0)
		return 0;
	return -1;
}

int
hv_call_start(struct hv_call *c)
{
	const struct hv_transport	*t = hv_driver_transport(c->driver);

	if (precheck(c) == -1)
		return -1;
	if (c->driver->start != NULL)
		return c->driver->start(c);
	if (t->start != NULL)
		return t->start(c);
	return hv_error(&c->err, "%s cannot start", c->driver->name);
}

int
hv_call_revert(struct hv_call *c)
{
	if (precheck(c) == -1)
		return -1;
	if (c->driver->revert != NULL)
		return c->driver->revert(c);
	return hv_error(&c->err, "%s cannot revert", c->driver->name);
}

void
hv_call_cancel(struct hv_call *c)
{
	const struct hv_transport	*t = hv_driver_transport(c->driver);

	if (c->driver->cancel != NULL)
		c->driver->cancel(c);
	else if (t->cancel != NULL)
		t->cancel(c);
}

int64_t
hv_call_budget(const struct hv_call *c)
{
	const struct hv_transport	*t = hv_driver_transport(c->driver);
	int64_t				 ms;

	if (c->driver->budget != NULL)
		return c->driver->budget(c);
	if (t->budget != NULL)
		return t->budget(c);
	ms = hv_arg_ms(c, "timeout");
	return ms > 0 ? ms : 60000;
}

void
hv_call_init(struct hv_call *c, const struct hv_driver *d, struct hv_ctx *ctx)
{
	memset(c, 0, sizeof *c);
	c->driver = d;
	c->ctx = ctx;
	hv_buf_init(&c->out);
	hv_buf_init(&c->err);
	c->latency_ms = -1;
}

void
hv_call_release(struct hv_call *c)
{
	if (c == NULL)
		return;
	hv_buf_release(&c->out);
	hv_buf_release(&c->err);
	free(c->tag);
	c->tag = NULL;
	hv_host_free(c->replacement);
	c->replacement = NULL;
}

void
hv_call_reset(struct hv_call *c)
{
	hv_buf_reset(&c->out);
	hv_buf_reset(&c->err);
	c->ok = 0;
	c->latency_ms = -1;
	c->value = 0;
	c->has_value = 0;
	c->broken = 0;
	c->again = 0;
	c->state[0] = '\0';
	c->started = hv_mono_ms();
	c->ended = 0;
	c->finished = 0;
	c->batch = 0;
	c->skipped = 0;
	hv_host_free(c->replacement);
	c->replacement = NULL;
	c->priv = NULL;
}

void
hv_call_done(struct hv_call *c, int ok)
{
	if (c->finished)
		return;
	c->finished = 1;
	c->ok = ok;
	c->ended = hv_mono_ms();
	/* Whatever a driver kept, a secret in it leaves as its reference. */
	hv_redact(&c->out);
	hv_redact(&c->err);
	if (c->done != NULL)
		c->done(c);
}

void
hv_call_fail(struct hv_call *c, const char *fmt, ...)
{
	va_list	ap;

	if (c->err.len != 0)
		hv_buf_puts(&c->err, "; ");
	va_start(ap, fmt);
	hv_buf_vprintf(&c->err, fmt, ap);
	va_end(ap);
	hv_call_done(c, 0);
}

void
hv_call_describe(const struct hv_call *c, int revert, struct hv_buf *out)
{
	struct hv_call	shown = *c;
	size_t		i;

	shown.shown = 1;
	if (c->driver->check != NULL && c->with != NULL) {
		struct hv_buf	err = HV_BUF_INIT;

		/* A command is never built from a value check refuses. */
		if (c->driver->check(c, &err) == -1) {
			hv_buf_printf(out, "(%s)", err.s);
			hv_buf_release(&err);
			return;
		}
		hv_buf_release(&err);
	}
	if (c->driver->describe != NULL) {
		c->driver->describe(&shown, revert, out);
		return;
	}
	if (hv_driver_transport(c->driver)->describe != NULL) {
		hv_driver_transport(c->driver)->describe(&shown, revert, out);
		return;
	}
	/* Without a describe hook: the driver and its parameters. */
	hv_buf_printf(out, "%s%s", c->driver->name, revert ? " (revert)" : "");
	for (i = 0; c->with != NULL && i < c->with->n; i++) {
		if (c->with->items[i]->kind != HV_NODE_SCALAR)
			continue;
		hv_buf_printf(out, " %s=%s", c->with->keys[i]->str,
		    c->with->items[i]->shown);
	}
}
