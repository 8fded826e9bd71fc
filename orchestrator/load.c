/*
 * load.c - YAML text to a struct hv_node tree; the only user of libyaml.
 *
 * One document per file. Anchors and aliases are resolved by copying,
 * with a cap so that a file cannot expand into gigabytes ("billion
 * laughs"); merge keys (<<: *base) are honoured. Duplicate keys are
 * errors, as silently taking the last one hides mistakes.
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
	size_t		 nodes;
	int		 failed;	/* a syntax error: stop */
	struct hv_node	*graveyard;	/* dropped nodes anchors may name */
};

/* Keeps a dropped node alive until the parse ends: an anchor may name it. */
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

static void
add_anchor(struct parser *p, const yaml_char_t *name, struct hv_node *n)
{
	if (name == NULL)
		return;
	p->anchors = hv_xreallocarray(p->anchors, p->nanchors + 1,
	    sizeof *p->anchors);
	p->anchors[p->nanchors].name = hv_xstrdup((const char *)name);
	p->anchors[p->nanchors].node = n;
	p->nanchors++;
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
	struct hv_node	*copy;
	size_t		 i;
	int		 line = (int)ev->start_mark.line + 1;
	int		 col = (int)ev->start_mark.column + 1;

	for (i = p->nanchors; i > 0; i--) {
		if (strcmp(p->anchors[i - 1].name, name) != 0)
			continue;
		p->nodes += count_nodes(p->anchors[i - 1].node);
		if (p->nodes > MAX_NODES) {
			hv_diag_at(p->diag, p->file, line, col,
			    "yaml: aliases expand to more than %d nodes",
			    MAX_NODES);
			p->failed = 1;
			return NULL;
		}
		copy = hv_node_dup(p->anchors[i - 1].node);
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
merge_into(struct hv_node *dst, const struct hv_node *src)
{
	size_t	i;

	for (i = 0; i < src->n; i++) {
		if (hv_node_key(dst, src->keys[i]->str) != NULL)
			continue;
		hv_node_append(dst, hv_node_dup(src->keys[i]),
		    hv_node_dup(src->items[i]));
	}
}

static struct hv_node *
parse_mapping(struct parser *p, yaml_event_t *start, int depth)
{
	struct hv_node	*map, *key, *val, *prev, **merges = NULL;
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
		if (key == NULL || next_event(p, &ev) == -1) {
			hv_node_free(key);
			break;
		}
		val = parse_node(p, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (val == NULL) {
			hv_node_free(key);
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
			hv_node_free(key);
			continue;
		}
		if ((prev = hv_node_key(map, key->str)) != NULL) {
			hv_diag_node(p->diag, key,
			    "duplicate key \"%s\" (first at line %d)", key->str,
			    prev->line);
			bury(p, key);
			bury(p, val);
			continue;
		}
		hv_node_append(map, key, val);
	}
	for (i = 0; i < nmerges; i++) {
		if (merges[i]->kind == HV_NODE_MAP)
			merge_into(map, merges[i]);
		else if (merges[i]->kind == HV_NODE_SEQ) {
			for (j = 0; j < merges[i]->n; j++) {
				if (merges[i]->items[j]->kind == HV_NODE_MAP)
					merge_into(map, merges[i]->items[j]);
			}
		} else
			hv_diag_node(p->diag, merges[i],
			    "<< merges a map or a list of maps, not %s",
			    hv_node_kind_name(merges[i]));
		bury(p, merges[i]);
	}
	free(merges);
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
		hv_node_free(n);
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
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&p.yp, YAML_UTF8_ENCODING);
	root = parse_stream(&p);
	yaml_parser_delete(&p.yp);
	for (i = 0; i < p.nanchors; i++)
		free(p.anchors[i].name);
	free(p.anchors);
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
