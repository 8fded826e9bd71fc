/*
 * fault.c - revert specs: written before injection, rebuilt to revert.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver.h"
#include "expand.h"
#include "fault.h"
#include "node.h"

/* A node tree in its shown spelling as JSON. */
static json_t *
node_json(const struct hv_node *n)
{
	json_t	*j;
	size_t	 i;

	if (n == NULL)
		return json_null();
	switch (n->kind) {
	case HV_NODE_SCALAR:
		return json_string(n->shown);
	case HV_NODE_SEQ:
		j = json_array();
		for (i = 0; i < n->n; i++)
			json_array_append_new(j, node_json(n->items[i]));
		return j;
	case HV_NODE_MAP:
		j = json_object();
		for (i = 0; i < n->n; i++)
			json_object_set_new(j, n->keys[i]->str,
			    node_json(n->items[i]));
		return j;
	default:
		return json_null();
	}
}

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

/*
 * A cloud instance: its id and where it lives, in shown spellings (a
 * setting from ${env.X} stays that reference); never credentials.
 */
static json_t *
instance_json(const struct hv_instance *in)
{
	json_t	*j = json_object();

	set_str(j, "id", in->id);
	set_str(j, "asg", in->asg);
	if (in->aws != NULL) {
		set_str(j, "region", in->aws->region_shown);
		set_str(j, "profile", in->aws->profile_shown);
		set_str(j, "endpoint", in->aws->endpoint_shown);
	}
	return j;
}

char *
hv_fault_spec(const struct hv_experiment *x, const struct hv_call *call)
{
	struct hv_ssh_opts	 o;
	json_t			*root, *h, *tags;
	char			*s, *out;
	size_t			 i;

	root = json_object();
	json_object_set_new(root, "driver", json_string(call->driver->name));
	set_str(root, "tag", call->tag);
	set_str(root, "dir", x->dir);
	json_object_set_new(root, "with", node_json(call->with));
	if (call->host != NULL) {
		hv_experiment_ssh_for(x, call->host, &o);
		h = json_object();
		set_str(h, "name", call->host->name);
		set_str(h, "address", call->host->address);
		tags = json_array();
		for (i = 0; i < call->host->ntags; i++)
			json_array_append_new(tags,
			    json_string(call->host->tags[i]));
		json_object_set_new(h, "tags", tags);
		set_str(h, "user", o.user);
		set_str(h, "identity", o.identity);
		set_str(h, "known_hosts", o.known_hosts);
		set_str(h, "passphrase_env", o.passphrase_env);
		if (o.port != 0)
			json_object_set_new(h, "port", json_integer(o.port));
		if (o.agent != -1)
			json_object_set_new(h, "agent", json_boolean(o.agent));
		if (o.tofu != -1)
			json_object_set_new(h, "tofu", json_boolean(o.tofu));
		if (o.connect_timeout_ms != 0)
			json_object_set_new(h, "connect_timeout_ms",
			    json_integer(o.connect_timeout_ms));
		if (o.command_timeout_ms != 0)
			json_object_set_new(h, "command_timeout_ms",
			    json_integer(o.command_timeout_ms));
		if (o.keepalive_ms != 0)
			json_object_set_new(h, "keepalive_ms",
			    json_integer(o.keepalive_ms));
		if (call->host->instance != NULL)
			json_object_set_new(h, "instance",
			    instance_json(call->host->instance));
		json_object_set_new(root, "host", h);
	}
	s = json_dumps(root, JSON_COMPACT);
	out = hv_xstrdup(s != NULL ? s : "{}");
	free(s);
	json_decref(root);
	return out;
}

/* A tree from JSON; scalars get their real value from the shown one. */
static struct hv_node *
json_node(const struct hv_expand *ex, json_t *j, const struct hv_param *spec,
    struct hv_buf *err)
{
	struct hv_expand	 sx = *ex;
	struct hv_node		*n, *item;
	struct hv_buf		 str = HV_BUF_INIT;
	const struct hv_param	*p;
	const char		*key;
	json_t			*v;
	size_t			 i;

	/* A damaged journal may lack a value: it is a null. */
	switch (j != NULL ? json_typeof(j) : JSON_NULL) {
	case JSON_STRING:
		n = hv_node_scalar(json_string_value(j), "journal", 0, 0);
		if (hv_expand(ex, n->shown, &str, NULL, NULL, err) == -1) {
			hv_buf_release(&str);
			hv_node_free(n);
			return NULL;
		}
		free(n->str);
		n->str = hv_buf_detach(&str);
		n->shell = ex->shell;
		return n;
	case JSON_ARRAY:
		n = hv_node_new(HV_NODE_SEQ, "journal", 0, 0);
		json_array_foreach(j, i, v) {
			if ((item = json_node(ex, v, NULL, err)) == NULL) {
				hv_node_free(n);
				return NULL;
			}
			hv_node_append(n, NULL, item);
		}
		return n;
	case JSON_OBJECT:
		n = hv_node_new(HV_NODE_MAP, "journal", 0, 0);
		json_object_foreach(j, key, v) {
			p = hv_param_find(spec, key);
			sx.shell = p != NULL && p->type == HV_T_SHELL;
			if ((item = json_node(&sx, v, NULL, err)) == NULL) {
				hv_node_free(n);
				return NULL;
			}
			hv_node_append(n, hv_node_scalar(key, "journal", 0, 0),
			    item);
		}
		return n;
	default:
		return hv_node_new(HV_NODE_NULL, "journal", 0, 0);
	}
}

static char *
get_dup(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? hv_xstrdup(s) : NULL;
}

/* A setting of a spec's instance: the shown and the real spelling. */
static int
aws_setting(json_t *in, const char *key, char **str, char **shown,
    struct hv_buf *err)
{
	struct hv_expand	 ex;
	struct hv_buf		 v = HV_BUF_INIT;
	const char		*s;

	if ((s = json_string_value(json_object_get(in, key))) == NULL)
		return 0;
	memset(&ex, 0, sizeof ex);
	ex.secrets_only = 1;
	if (hv_expand(&ex, s, &v, NULL, NULL, err) == -1) {
		hv_buf_release(&v);
		return -1;
	}
	*shown = hv_xstrdup(s);
	*str = hv_buf_detach(&v);
	return 0;
}

/* The cloud instance of a spec's host, and where it lives. */
static int
load_instance(struct hv_revert *r, json_t *in, struct hv_buf *err)
{
	const char	*id = json_string_value(json_object_get(in, "id"));

	if (id == NULL)
		return hv_error(err, "revert spec: an instance without id");
	if (aws_setting(in, "region", &r->aws.region, &r->aws.region_shown,
	    err) == -1 || aws_setting(in, "profile", &r->aws.profile,
	    &r->aws.profile_shown, err) == -1 || aws_setting(in, "endpoint",
	    &r->aws.endpoint, &r->aws.endpoint_shown, err) == -1)
		return -1;
	r->host.instance = hv_instance_new(id, &r->aws,
	    json_string_value(json_object_get(in, "asg")), NULL);
	return 0;
}

/* The target host of a spec, with its SSH settings as per-host ones. */
static void
load_host(struct hv_revert *r, json_t *h)
{
	struct hv_host	*host = &r->host;
	json_t		*tags, *v;
	size_t		 i;

	r->has_host = 1;
	host->name = get_dup(h, "name");
	host->address = get_dup(h, "address");
	if (host->name == NULL)
		host->name = hv_xstrdup("?");
	if (host->address == NULL)
		host->address = hv_xstrdup("");
	tags = json_object_get(h, "tags");
	host->tags = hv_xcalloc(json_array_size(tags) + 1, sizeof *host->tags);
	json_array_foreach(tags, i, v) {
		if (json_is_string(v))
			host->tags[host->ntags++] =
			    hv_xstrdup(json_string_value(v));
	}
	host->ssh.agent = -1;
	host->ssh.tofu = -1;
	host->ssh.user = get_dup(h, "user");
	host->ssh.identity = get_dup(h, "identity");
	host->ssh.known_hosts = get_dup(h, "known_hosts");
	host->ssh.passphrase_env = get_dup(h, "passphrase_env");
	host->ssh.port = (int)json_integer_value(json_object_get(h, "port"));
	if ((v = json_object_get(h, "agent")) != NULL)
		host->ssh.agent = json_is_true(v);
	if ((v = json_object_get(h, "tofu")) != NULL)
		host->ssh.tofu = json_is_true(v);
	host->ssh.connect_timeout_ms = json_integer_value(json_object_get(h,
	    "connect_timeout_ms"));
	host->ssh.command_timeout_ms = json_integer_value(json_object_get(h,
	    "command_timeout_ms"));
	host->ssh.keepalive_ms = json_integer_value(json_object_get(h,
	    "keepalive_ms"));
	r->target = hv_xstrdup(host->name);
}

struct hv_revert *
hv_revert_new(struct hv_ctx *ctx, const char *spec, struct hv_buf *err)
{
	const struct hv_driver	*d;
	struct hv_revert	*r = NULL;
	struct hv_expand	 ex;
	json_error_t		 jerr;
	json_t			*root, *h;
	const char		*name;

	if ((root = json_loads(spec, 0, &jerr)) == NULL) {
		hv_error(err, "bad revert spec: %s", jerr.text);
		return NULL;
	}
	name = json_string_value(json_object_get(root, "driver"));
	if ((d = hv_driver_find(name)) == NULL || d->revert == NULL) {
		hv_error(err, "revert spec names no driver that can revert "
		    "(\"%s\")", name != NULL ? name : "");
		goto out;
	}
	r = hv_xcalloc(1, sizeof *r);
	hv_call_init(&r->call, d, ctx);
	r->dir = get_dup(root, "dir");
	if ((h = json_object_get(root, "host")) != NULL && json_is_object(h)) {
		load_host(r, h);
		if (json_is_object(json_object_get(h, "instance")) &&
		    load_instance(r, json_object_get(h, "instance"), err) ==
		    -1) {
			hv_revert_free(r);
			r = NULL;
			goto out;
		}
	}
	memset(&ex, 0, sizeof ex);
	ex.secrets_only = 1;
	ex.dir = r->dir;
	r->with = json_node(&ex, json_object_get(root, "with"), d->params, err);
	if (r->with == NULL) {
		hv_revert_free(r);
		r = NULL;
		goto out;
	}
	r->call.with = r->with;
	r->call.host = r->has_host ? &r->host : NULL;
	r->call.tag = get_dup(root, "tag");
	r->call.dir = r->dir;
	r->call.reverting = 1;
out:
	json_decref(root);
	return r;
}

void
hv_revert_free(struct hv_revert *r)
{
	size_t	i;

	if (r == NULL)
		return;
	hv_call_release(&r->call);
	hv_node_free(r->with);
	free(r->host.name);
	free(r->host.address);
	for (i = 0; i < r->host.ntags; i++)
		free(r->host.tags[i]);
	free(r->host.tags);
	free(r->host.ssh.user);
	free(r->host.ssh.identity);
	free(r->host.ssh.known_hosts);
	free(r->host.ssh.passphrase_env);
	hv_instance_free(r->host.instance);
	hv_cloud_aws_release(&r->aws);
	free(r->dir);
	free(r->target);
	free(r);
}
