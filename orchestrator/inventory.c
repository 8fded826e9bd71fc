/*
 * inventory.c - hosts and their SSH settings, from inventory files,
 * inline hosts: maps and cloud instances.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "expand.h"
#include "inventory.h"
#include "node.h"

const char *const hv_ssh_keys[] = {
	"user", "identity", "agent", "known_hosts", "connect_timeout",
	"command_timeout", "keepalive", "port", "passphrase_env",
	"trust_on_first_use", "max_parallel", NULL
};
static const char *const host_keys[] = {
	"address", "tags", "port", "user", "identity", "passphrase_env",
	"known_hosts", "agent", "connect_timeout", NULL
};
static const char *const file_keys[] = { "hosts", "ssh", NULL };

void
hv_ssh_opts_init(struct hv_ssh_opts *o)
{
	memset(o, 0, sizeof *o);
	o->agent = -1;
	o->tofu = -1;
}

void
hv_ssh_opts_release(struct hv_ssh_opts *o)
{
	free(o->user);
	free(o->identity);
	free(o->passphrase_env);
	free(o->known_hosts);
	hv_ssh_opts_init(o);
}

/*
 * Sets in dst every setting that dst lacks and src has; strings are
 * copied (copy) or borrowed.
 */
static void
merge(struct hv_ssh_opts *dst, const struct hv_ssh_opts *src, int copy)
{
#define TAKE(f) do {							\
	if (dst->f == NULL && src->f != NULL)				\
		dst->f = copy ? hv_xstrdup(src->f) : src->f;		\
} while (0)
	TAKE(user);
	TAKE(identity);
	TAKE(known_hosts);
	TAKE(passphrase_env);
#undef TAKE
	if (dst->agent == -1)
		dst->agent = src->agent;
	if (dst->tofu == -1)
		dst->tofu = src->tofu;
	if (dst->port == 0)
		dst->port = src->port;
	if (dst->connect_timeout_ms == 0)
		dst->connect_timeout_ms = src->connect_timeout_ms;
	if (dst->command_timeout_ms == 0)
		dst->command_timeout_ms = src->command_timeout_ms;
	if (dst->keepalive_ms == 0)
		dst->keepalive_ms = src->keepalive_ms;
	if (dst->max_parallel == 0)
		dst->max_parallel = src->max_parallel;
}

void
hv_ssh_opts_fill(struct hv_ssh_opts *dst, const struct hv_ssh_opts *src)
{
	merge(dst, src, 1);
}

void
hv_ssh_opts_load(struct hv_diag *d, const struct hv_node *map,
    struct hv_ssh_opts *o, const char *what)
{
	int64_t	ms;

	if (map == NULL)
		return;
	if (hv_node_get(map, "user") != NULL)
		o->user = hv_ck_dup(d, map, "user", what);
	if (hv_node_get(map, "identity") != NULL)
		o->identity = hv_ck_dup(d, map, "identity", what);
	if (hv_node_get(map, "known_hosts") != NULL)
		o->known_hosts = hv_ck_dup(d, map, "known_hosts", what);
	if (hv_node_get(map, "passphrase_env") != NULL)
		o->passphrase_env = hv_ck_dup(d, map, "passphrase_env", what);
	if (hv_node_get(map, "agent") != NULL)
		o->agent = hv_ck_bool(d, map, "agent", what, 0);
	if (hv_node_get(map, "trust_on_first_use") != NULL)
		o->tofu = hv_ck_bool(d, map, "trust_on_first_use", what, 0);
	o->port = (int)hv_ck_int(d, map, "port", what, 1, 65535, o->port);
	o->max_parallel = (int)hv_ck_int(d, map, "max_parallel", what, 1,
	    100000, o->max_parallel);
	if ((ms = hv_ck_ms(d, map, "connect_timeout", what)) > 0)
		o->connect_timeout_ms = ms;
	if ((ms = hv_ck_ms(d, map, "command_timeout", what)) > 0)
		o->command_timeout_ms = ms;
	if ((ms = hv_ck_ms(d, map, "keepalive", what)) > 0)
		o->keepalive_ms = ms;
}

struct hv_inventory *
hv_inventory_new(struct hv_inventory *base)
{
	struct hv_inventory	*inv;
	size_t			 i;

	inv = hv_xcalloc(1, sizeof *inv);
	hv_ssh_opts_init(&inv->ssh);
	inv->refs = 1;
	if (base != NULL) {
		inv->base = hv_inventory_ref(base);
		inv->hosts = hv_xcalloc(base->nhosts + 1, sizeof *inv->hosts);
		for (i = 0; i < base->nhosts; i++)
			inv->hosts[inv->nhosts++] = base->hosts[i];
	}
	return inv;
}

struct hv_inventory *
hv_inventory_ref(struct hv_inventory *inv)
{
	inv->refs++;
	return inv;
}

void
hv_cloud_aws_release(struct hv_cloud_aws *a)
{
	free(a->region);
	free(a->profile);
	free(a->endpoint);
	free(a->region_shown);
	free(a->profile_shown);
	free(a->endpoint_shown);
	memset(a, 0, sizeof *a);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? hv_xstrdup(s) : NULL;
}

struct hv_instance *
hv_instance_new(const char *id, const struct hv_cloud_aws *aws,
    const char *asg, const char *image_id)
{
	struct hv_instance	*in;

	in = hv_xcalloc(1, sizeof *in);
	in->id = hv_xstrdup(id);
	in->aws = aws;
	in->asg = dup_or_null(asg);
	in->image_id = dup_or_null(image_id);
	return in;
}

void
hv_instance_free(struct hv_instance *in)
{
	if (in == NULL)
		return;
	free(in->id);
	free(in->asg);
	free(in->image_id);
	free(in);
}

void
hv_asg_info_free(struct hv_asg_info *a)
{
	if (a == NULL)
		return;
	free(a->name);
	free(a->lt_name);
	free(a->lt_version);
	free(a->image_id);
	free(a->image_name);
	free(a);
}

void
hv_host_free(struct hv_host *h)
{
	if (h == NULL)
		return;
	free(h->name);
	free(h->address);
	hv_strlist_free(h->tags, h->ntags);
	hv_ssh_opts_release(&h->ssh);
	hv_instance_free(h->instance);
	free(h);
}

struct hv_host *
hv_host_new(const char *name, const char *address, const char *const *tags,
    size_t ntags)
{
	struct hv_host	*h;
	size_t		 i;

	h = hv_xcalloc(1, sizeof *h);
	hv_ssh_opts_init(&h->ssh);
	h->name = hv_xstrdup(name);
	h->address = hv_xstrdup(address);
	h->tags = hv_xcalloc(ntags + 1, sizeof *h->tags);
	for (i = 0; i < ntags; i++)
		h->tags[i] = hv_xstrdup(tags[i]);
	h->ntags = ntags;
	return h;
}

void
hv_inventory_free(struct hv_inventory *inv)
{
	size_t	i;

	if (inv == NULL || --inv->refs > 0)
		return;
	for (i = 0; i < inv->nown; i++)
		hv_host_free(inv->own[i]);
	free(inv->own);
	free(inv->hosts);
	hv_ssh_opts_release(&inv->ssh);
	hv_node_free(inv->doc);
	free(inv->path);
	hv_inventory_free(inv->base);
	free(inv);
}

const struct hv_host *
hv_inventory_find(const struct hv_inventory *inv, const char *name)
{
	size_t	i;

	for (i = 0; i < inv->nhosts; i++) {
		if (strcmp(inv->hosts[i]->name, name) == 0)
			return inv->hosts[i];
	}
	return NULL;
}

/* Takes h as the inventory's own. */
static void
add_own(struct hv_inventory *inv, struct hv_host *h)
{
	inv->own = hv_xreallocarray(inv->own, inv->nown + 1,
	    sizeof *inv->own);
	inv->own[inv->nown++] = h;
	inv->hosts = hv_xreallocarray(inv->hosts, inv->nhosts + 1,
	    sizeof *inv->hosts);
	inv->hosts[inv->nhosts++] = h;
}

struct hv_host *
hv_inventory_add(struct hv_inventory *inv, const char *name,
    const char *address, const char *const *tags, size_t ntags)
{
	struct hv_host	*h;

	if (hv_inventory_find(inv, name) != NULL)
		return NULL;
	h = hv_host_new(name, address, tags, ntags);
	add_own(inv, h);
	return h;
}

int
hv_inventory_adopt(struct hv_inventory *inv, struct hv_host *h)
{
	if (hv_inventory_find(inv, h->name) != NULL)
		return -1;
	add_own(inv, h);
	return 0;
}

void
hv_inventory_load_hosts(struct hv_inventory *inv, const struct hv_node *hosts,
    struct hv_diag *d)
{
	const struct hv_node	*n, *key;
	const struct hv_host	*old;
	struct hv_host		*h;
	size_t			 i;

	if (!hv_ck_map(d, hosts, "hosts"))
		return;
	for (i = 0; i < hosts->n; i++) {
		n = hosts->items[i];
		key = hosts->keys[i];
		if ((old = hv_inventory_find(inv, key->str)) != NULL) {
			if (old->where != NULL)
				hv_diag_node(d, key, "host \"%s\" is defined "
				    "twice (first at %s:%d)", key->str,
				    old->where->file, old->where->line);
			else
				hv_diag_node(d, key, "host \"%s\" is defined "
				    "twice", key->str);
			continue;
		}
		if (n->kind != HV_NODE_SCALAR && !hv_ck_map(d, n, "a host")) {
			if (hv_node_is_null(n))
				hv_diag_node(d, key, "host \"%s\" needs an "
				    "address", key->str);
			continue;
		}
		h = hv_xcalloc(1, sizeof *h);
		hv_ssh_opts_init(&h->ssh);
		h->where = key;
		h->name = hv_xstrdup(key->str);
		if (n->kind == HV_NODE_SCALAR) {
			/* name: address */
			h->address = hv_xstrdup(n->str);
			add_own(inv, h);
			continue;
		}
		hv_ck_keys(d, n, host_keys, "a host");
		h->address = hv_ck_dup(d, n, "address", "host");
		if (h->address == NULL) {
			hv_diag_node(d, n, "host \"%s\" needs an address",
			    h->name);
			h->address = hv_xstrdup("");
		}
		h->tags = hv_ck_strlist(d, n, "tags", "host", &h->ntags);
		hv_ssh_opts_load(d, n, &h->ssh, "host");
		add_own(inv, h);
	}
}

struct hv_inventory *
hv_inventory_load(const char *path, const struct hv_expand *ex,
    struct hv_diag *d)
{
	struct hv_inventory	*inv;
	struct hv_node		*doc;
	const struct hv_node	*ssh;

	if ((doc = hv_yaml_load(path, d)) == NULL)
		return NULL;
	inv = hv_inventory_new(NULL);
	inv->path = hv_xstrdup(path);
	inv->doc = doc;
	if (!hv_ck_map(d, doc, "an inventory")) {
		if (hv_node_is_null(doc))
			hv_diag_node(d, doc, "an inventory needs a hosts: map");
		return inv;
	}
	hv_expand_tree(ex, doc, d);
	hv_ck_keys(d, doc, file_keys, "an inventory");
	ssh = hv_node_get(doc, "ssh");
	if (hv_ck_map(d, ssh, "ssh")) {
		hv_ck_keys(d, ssh, hv_ssh_keys, "ssh");
		hv_ssh_opts_load(d, ssh, &inv->ssh, "ssh");
	}
	if (hv_node_get(doc, "hosts") == NULL)
		hv_diag_node(d, doc, "an inventory needs a hosts: map");
	hv_inventory_load_hosts(inv, hv_node_get(doc, "hosts"), d);
	return inv;
}

void
hv_inventory_ssh_for(const struct hv_inventory *inv,
    const struct hv_ssh_opts *defaults, const struct hv_host *h,
    struct hv_ssh_opts *out)
{
	const struct hv_inventory	*file;
	const struct hv_ssh_opts	*layers[3];
	size_t				 i;

	for (file = inv; file != NULL && file->path == NULL;
	    file = file->base)
		;
	layers[0] = &h->ssh;
	layers[1] = defaults;
	layers[2] = file != NULL ? &file->ssh : NULL;
	hv_ssh_opts_init(out);
	/* Borrowed strings: the first layer that has one. */
	for (i = 0; i < 3; i++) {
		if (layers[i] != NULL)
			merge(out, layers[i], 0);
	}
}

struct hv_inventory *
hv_inventory_cache_get(struct hv_inventory_cache *c, const char *key)
{
	size_t	i;

	for (i = 0; c != NULL && i < c->n; i++) {
		if (strcmp(c->keys[i], key) == 0)
			return hv_inventory_ref(c->v[i]);
	}
	return NULL;
}

void
hv_inventory_cache_put(struct hv_inventory_cache *c, const char *key,
    struct hv_inventory *inv)
{
	c->v = hv_xreallocarray(c->v, c->n + 1, sizeof *c->v);
	c->keys = hv_xreallocarray(c->keys, c->n + 1, sizeof *c->keys);
	c->v[c->n] = hv_inventory_ref(inv);
	c->keys[c->n++] = hv_xstrdup(key);
}

void
hv_inventory_cache_release(struct hv_inventory_cache *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		hv_inventory_free(c->v[i]);
		free(c->keys[i]);
	}
	free(c->v);
	free(c->keys);
	memset(c, 0, sizeof *c);
}
