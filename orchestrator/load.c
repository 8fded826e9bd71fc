/*
 * load.c - YAML text to a struct hv_node tree; the only user of libyaml.
 *
 * One document per file. Anchors and aliases are resolved by copying,
 * with a cap so that a file cannot expand into gigabytes ("billion
 * laughs"); merge keys (<<: *base) are honoured. Duplicate keys are
 * errors, as silently taking the last one hides mistakes; they are found
 * with a hash, so that a map of many keys loads in linear time. A node
 * an anchor names is never freed before the parse ends (see bury()). A
 * UTF-8 byte order mark at the start is skipped.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "node.h"

#define MAX_NODES	200000	/* after alias expansion */
#define MAX_DEPTH	64

struct anchor {
	char		*name;
	struct hv_node	*node;		/* borrowed from the tree */
};

struct parser {
	yaml_parser_t	 yp;
	const char	*file;
	struct hv_diag	*diag;
	struct anchor	*anchors;
	size_t		 nanchors;
	size_t		 anchors_cap;
	size_t		*anchor_slots;	/* hash: anchor index + 1 */
	size_t		 anchor_slots_cap;
	size_t		 nodes;
	int		 failed;	/* a syntax error: stop */
	struct hv_node	*graveyard;	/* dropped nodes anchors may name */
};

/*
 * Keeps a dropped node alive until the parse ends: an anchor may name it
 * (even a merge key: "? &a <<"), and a later alias copies it.
 */
static void
bury(struct parser *p, struct hv_node *n)
{
	if (p->graveyard == NULL)
		p->graveyard = hv_node_new(HV_NODE_SEQ, p->file, 0, 0);
	hv_node_append(p->graveyard, NULL, n);
}

static struct hv_node	*parse_node(struct parser *, yaml_event_t *, int);

static void
syntax_error(struct parser *p)
{
	const yaml_mark_t	*m = &p->yp.problem_mark;

	if (p->failed)
		return;
	p->failed = 1;
	if (p->yp.context != NULL)
		hv_diag_at(p->diag, p->file, (int)m->line + 1,
		    (int)m->column + 1,
		    "yaml: %s %s", p->yp.problem != NULL ? p->yp.problem :
		    "syntax error", p->yp.context);
	else
		hv_diag_at(p->diag, p->file, (int)m->line + 1,
		    (int)m->column + 1,
		    "yaml: %s", p->yp.problem != NULL ? p->yp.problem :
		    "syntax error");
}

/* Reads the next event; 0 on success, -1 after reporting the error. */
static int
next_event(struct parser *p, yaml_event_t *ev)
{
	if (p->failed)
		return -1;
	if (!yaml_parser_parse(&p->yp, ev)) {
		syntax_error(p);
		return -1;
	}
	return 0;
}

static int
is_null_scalar(const yaml_event_t *ev)
{
	const char	*v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	if (ev->data.scalar.tag != NULL)
		return 0;
	return strcmp(v, "") == 0 || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0;
}

static size_t	key_hash(const char *);

/* Indexes anchor i by name; a later anchor of the same name wins. */
static void
anchor_index(struct parser *p, size_t i)
{
	size_t	h, j;

	h = key_hash(p->anchors[i].name) & (p->anchor_slots_cap - 1);
	while ((j = p->anchor_slots[h]) != 0) {
		if (strcmp(p->anchors[j - 1].name, p->anchors[i].name) == 0)
			break;
		h = (h + 1) & (p->anchor_slots_cap - 1);
	}
	p->anchor_slots[h] = i + 1;
}

static void
add_anchor(struct parser *p, const yaml_char_t *name, struct hv_node *n)
{
	size_t	i;

	if (name == NULL)
		return;
	if (p->nanchors == p->anchors_cap) {
		p->anchors_cap = p->anchors_cap == 0 ? 16 : p->anchors_cap * 2;
		p->anchors = hv_xreallocarray(p->anchors, p->anchors_cap,
		    sizeof *p->anchors);
	}
	p->anchors[p->nanchors].name = hv_xstrdup((const char *)name);
	p->anchors[p->nanchors].node = n;
	p->nanchors++;
	if (p->nanchors * 2 > p->anchor_slots_cap) {
		free(p->anchor_slots);
		p->anchor_slots_cap = p->anchors_cap * 4;
		p->anchor_slots = hv_xcalloc(p->anchor_slots_cap,
		    sizeof *p->anchor_slots);
		for (i = 0; i < p->nanchors; i++)
			anchor_index(p, i);
	} else
		anchor_index(p, p->nanchors - 1);
}

/* The node the last anchor called name names, or NULL. */
static struct hv_node *
find_anchor(const struct parser *p, const char *name)
{
	size_t	h, j;

	if (p->anchor_slots_cap == 0)
		return NULL;
	h = key_hash(name) & (p->anchor_slots_cap - 1);
	while ((j = p->anchor_slots[h]) != 0) {
		if (strcmp(p->anchors[j - 1].name, name) == 0)
			return p->anchors[j - 1].node;
		h = (h + 1) & (p->anchor_slots_cap - 1);
	}
	return NULL;
}

/*
 * The keys of one map being built, hashed: slots hold an item index + 1,
 * 0 for empty. Maps of a few keys are searched without it.
 */
struct keyset {
	size_t	*slots;
	size_t	 cap;		/* a power of two, or 0 */
};

#define KEYSET_MIN	8	/* keys before a map gets a hash */

static size_t
key_hash(const char *s)
{
	size_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
keyset_put(struct keyset *ks, const struct hv_node *map, size_t idx)
{
	size_t	i;

	i = key_hash(map->keys[idx]->str) & (ks->cap - 1);
	while (ks->slots[i] != 0)
		i = (i + 1) & (ks->cap - 1);
	ks->slots[i] = idx + 1;
}

/* Makes room for map's keys and one more, at most half full. */
static void
keyset_grow(struct keyset *ks, const struct hv_node *map)
{
	size_t	i;

	if (map->n + 1 < KEYSET_MIN || (map->n + 1) * 2 <= ks->cap)
		return;
	free(ks->slots);
	ks->cap = ks->cap == 0 ? 32 : ks->cap;
	while ((map->n + 1) * 2 > ks->cap)
		ks->cap *= 2;
	ks->slots = hv_xcalloc(ks->cap, sizeof *ks->slots);
	for (i = 0; i < map->n; i++)
		keyset_put(ks, map, i);
}

/* The key node of name in map, or NULL. */
static struct hv_node *
keyset_find(const struct keyset *ks, const struct hv_node *map,
    const char *name)
{
	size_t	i, idx;

	if (ks->cap == 0)
		return hv_node_key(map, name);
	i = key_hash(name) & (ks->cap - 1);
	while ((idx = ks->slots[i]) != 0) {
		if (strcmp(map->keys[idx - 1]->str, name) == 0)
			return map->keys[idx - 1];
		i = (i + 1) & (ks->cap - 1);
	}
	return NULL;
}

/* Appends key: value to map and to its key set. */
static void
keyset_append(struct keyset *ks, struct hv_node *map, struct hv_node *key,
    struct hv_node *val)
{
	keyset_grow(ks, map);
	hv_node_append(map, key, val);
	if (ks->cap != 0)
		keyset_put(ks, map, map->n - 1);
}

static size_t
count_nodes(const struct hv_node *n)
{
	size_t	c = 1, i;

	for (i = 0; i < n->n; i++)
		c += count_nodes(n->items[i]) + 1;
	return c;
}

/* A copy of an anchored node, at the alias's position for messages. */
static struct hv_node *
resolve_alias(struct parser *p, const yaml_event_t *ev)
{
	const char	*name = (const char *)ev->data.alias.anchor;
	struct hv_node	*copy, *n;
	int		 line = (int)ev->start_mark.line + 1;
	int		 col = (int)ev->start_mark.column + 1;

	if ((n = find_anchor(p, name)) != NULL) {
		p->nodes += count_nodes(n);
		if (p->nodes > MAX_NODES) {
			hv_diag_at(p->diag, p->file, line, col,
			    "yaml: aliases expand to more than %d nodes",
			    MAX_NODES);
			p->failed = 1;
			return NULL;
		}
		copy = hv_node_dup(n);
		copy->line = line;
		copy->col = col;
		return copy;
	}
	hv_diag_at(p->diag, p->file, line, col, "yaml: unknown anchor *%s",
	    name);
	return hv_node_new(HV_NODE_NULL, p->file, line, col);
}

static struct hv_node *
make_scalar(struct parser *p, const yaml_event_t *ev)
{
	struct hv_node	*n;
	const char	*tag = (const char *)ev->data.scalar.tag;
	int		 line = (int)ev->start_mark.line + 1;
	int		 col = (int)ev->start_mark.column + 1;

	if (is_null_scalar(ev))
		return hv_node_new(HV_NODE_NULL, p->file, line, col);
	n = hv_node_scalar((const char *)ev->data.scalar.value, p->file,
	    line, col);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0))
		n->quoted = 1;
	if (strlen(n->raw) != ev->data.scalar.length)
		hv_diag_at(p->diag, p->file, line, col,
		    "a NUL character is not allowed in a value");
	return n;
}

/* Copies the entries of src (a map) that dst does not have. */
static void
merge_into(struct parser *p, struct keyset *ks, struct hv_node *dst,
    const struct hv_node *src)
{
	size_t	i;

	for (i = 0; i < src->n; i++) {
		if (keyset_find(ks, dst, src->keys[i]->str) != NULL)
			continue;
		/* The copies count against the cap, as aliases do. */
		p->nodes += count_nodes(src->items[i]) + 1;
		if (p->nodes > MAX_NODES) {
			hv_diag_node(p->diag, src->keys[i], "yaml: merges "
			    "expand to more than %d nodes", MAX_NODES);
			p->failed = 1;
			return;
		}
		keyset_append(ks, dst, hv_node_dup(src->keys[i]),
		    hv_node_dup(src->items[i]));
	}
}

static struct hv_node *
parse_mapping(struct parser *p, yaml_event_t *start, int depth)
{
	struct hv_node	*map, *key, *val, *prev, **merges = NULL;
	struct keyset	 ks = { NULL, 0 };
	yaml_event_t	 ev;
	size_t		 nmerges = 0, i, j;

	map = hv_node_new(HV_NODE_MAP, p->file,
	    (int)start->start_mark.line + 1, (int)start->start_mark.column + 1);
	add_anchor(p, start->data.mapping_start.anchor, map);
	for (;;) {
		if (next_event(p, &ev) == -1)
			break;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		key = parse_node(p, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (key == NULL)
			break;
		if (next_event(p, &ev) == -1) {
			bury(p, key);
			break;
		}
		val = parse_node(p, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (val == NULL) {
			bury(p, key);
			break;
		}
		if (key->kind != HV_NODE_SCALAR) {
			hv_diag_node(p->diag, key, "a key must be a string, "
			    "not %s",
			    hv_node_kind_name(key));
			bury(p, key);
			bury(p, val);
			continue;
		}
		if (strcmp(key->str, "<<") == 0 && !key->quoted) {
			/* A merge: applied after the map's own keys. */
			merges = hv_xreallocarray(merges, nmerges + 1,
			    sizeof *merges);
			merges[nmerges++] = val;
			/* It may carry an anchor that a later alias names. */
			bury(p, key);
			continue;
		}
		if ((prev = keyset_find(&ks, map, key->str)) != NULL) {
			hv_diag_node(p->diag, key,
			    "duplicate key \"%s\" (first at line %d)", key->str,
			    prev->line);
			bury(p, key);
			bury(p, val);
			continue;
		}
		keyset_append(&ks, map, key, val);
	}
	for (i = 0; i < nmerges; i++) {
		if (p->failed)
			;	/* nothing more is built */
		else if (merges[i]->kind == HV_NODE_MAP)
			merge_into(p, &ks, map, merges[i]);
		else if (merges[i]->kind == HV_NODE_SEQ) {
			for (j = 0; j < merges[i]->n && !p->failed; j++) {
				if (merges[i]->items[j]->kind == HV_NODE_MAP)
					merge_into(p, &ks, map,
					    merges[i]->items[j]);
			}
		} else
			hv_diag_node(p->diag, merges[i],
			    "<< merges a map or a list of maps, not %s",
			    hv_node_kind_name(merges[i]));
		bury(p, merges[i]);
	}
	free(merges);
	free(ks.slots);
	return map;
}

static struct hv_node *
parse_sequence(struct parser *p, yaml_event_t *start, int depth)
{
	struct hv_node	*seq, *item;
	yaml_event_t	 ev;

	seq = hv_node_new(HV_NODE_SEQ, p->file,
	    (int)start->start_mark.line + 1, (int)start->start_mark.column + 1);
	add_anchor(p, start->data.sequence_start.anchor, seq);
	for (;;) {
		if (next_event(p, &ev) == -1)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		item = parse_node(p, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (item == NULL)
			break;
		hv_node_append(seq, NULL, item);
	}
	return seq;
}

/* Builds the node that starts with ev (which the caller deletes). */
static struct hv_node *
parse_node(struct parser *p, yaml_event_t *ev, int depth)
{
	struct hv_node	*n;

	if (depth > MAX_DEPTH) {
		hv_diag_at(p->diag, p->file, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "yaml: nested more than %d levels deep", MAX_DEPTH);
		p->failed = 1;
		return NULL;
	}
	if (++p->nodes > MAX_NODES) {
		hv_diag_at(p->diag, p->file, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "yaml: more than %d nodes", MAX_NODES);
		p->failed = 1;
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = make_scalar(p, ev);
		add_anchor(p, ev->data.scalar.anchor, n);
		return n;
	case YAML_ALIAS_EVENT:
		return resolve_alias(p, ev);
	case YAML_MAPPING_START_EVENT:
		n = parse_mapping(p, ev, depth);
		break;
	case YAML_SEQUENCE_START_EVENT:
		n = parse_sequence(p, ev, depth);
		break;
	default:
		hv_diag_at(p->diag, p->file, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1, "yaml: unexpected event");
		p->failed = 1;
		return NULL;
	}
	if (p->failed) {
		bury(p, n);
		return NULL;
	}
	return n;
}

/* Runs the parser over the stream: one document, maybe empty. */
static struct hv_node *
parse_stream(struct parser *p)
{
	struct hv_node	*root = NULL;
	yaml_event_t	 ev;
	int		 docs = 0, done = 0;

	while (!done && next_event(p, &ev) == 0) {
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				hv_diag_at(p->diag, p->file,
				    (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "only one YAML document is allowed");
				done = 1;
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			root = parse_node(p, &ev, 0);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (p->failed) {
		hv_node_free(root);
		return NULL;
	}
	if (root == NULL)
		root = hv_node_new(HV_NODE_NULL, p->file, 1, 1);
	return root;
}

struct hv_node *
hv_yaml_parse(const char *name, const char *data, size_t len,
    struct hv_diag *diag)
{
	struct parser	 p;
	struct hv_node	*root;
	char		*file;
	size_t		 i;

	memset(&p, 0, sizeof p);
	file = hv_xstrdup(name);
	p.file = file;
	p.diag = diag;
	if (!yaml_parser_initialize(&p.yp)) {
		hv_diag_at(diag, file, 1, 1, "yaml: cannot initialise parser");
		free(file);
		return NULL;
	}
	/* A byte order mark says UTF-8, which the file is anyway. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&p.yp, YAML_UTF8_ENCODING);
	root = parse_stream(&p);
	yaml_parser_delete(&p.yp);
	for (i = 0; i < p.nanchors; i++)
		free(p.anchors[i].name);
	free(p.anchors);
	free(p.anchor_slots);
	hv_node_free(p.graveyard);
	/* Soft errors (a duplicate key) still give a tree to check further. */
	if (root == NULL) {
		free(file);
		return NULL;
	}
	root->owns_file = 1;
	return root;
}

struct hv_node *
hv_yaml_load(const char *path, struct hv_diag *diag)
{
	struct hv_buf	 data = HV_BUF_INIT, err = HV_BUF_INIT;
	struct hv_node	*root;

	if (hv_read_file(path, &data, &err) == -1) {
		hv_diag_at(diag, path, 1, 1, "cannot read: %s", err.s +
		    (strncmp(err.s, path, strlen(path)) == 0 ?
		    strlen(path) + 2 : 0));
		hv_buf_release(&err);
		return NULL;
	}
	root = hv_yaml_parse(path, data.s, data.len, diag);
	hv_buf_release(&data);
	return root;
}
