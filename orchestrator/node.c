/*
 * node.c - the YAML tree and the diagnostics collected about it.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

struct hv_node *
hv_node_new(enum hv_node_kind kind, const char *file, int line, int col)
{
	struct hv_node	*n;

	n = hv_xcalloc(1, sizeof *n);
	n->kind = kind;
	n->file = file;
	n->line = line;
	n->col = col;
	return n;
}

struct hv_node *
hv_node_scalar(const char *s, const char *file, int line, int col)
{
	struct hv_node	*n;

	n = hv_node_new(HV_NODE_SCALAR, file, line, col);
	n->raw = hv_xstrdup(s);
	n->str = hv_xstrdup(s);
	n->shown = hv_xstrdup(s);
	return n;
}

void
hv_node_free(struct hv_node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		hv_node_free(n->items[i]);
		if (n->keys != NULL)
			hv_node_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->raw);
	free(n->str);
	free(n->shown);
	if (n->owns_file)
		free((char *)n->file);
	free(n);
}

struct hv_node *
hv_node_dup(const struct hv_node *n)
{
	struct hv_node	*d;
	size_t		 i;

	if (n == NULL)
		return NULL;
	d = hv_node_new(n->kind, n->file, n->line, n->col);
	d->raw = n->raw != NULL ? hv_xstrdup(n->raw) : NULL;
	d->str = n->str != NULL ? hv_xstrdup(n->str) : NULL;
	d->shown = n->shown != NULL ? hv_xstrdup(n->shown) : NULL;
	d->quoted = n->quoted;
	d->secret = n->secret;
	d->deferred = n->deferred;
	d->shell = n->shell;
	d->failed = n->failed;
	for (i = 0; i < n->n; i++)
		hv_node_append(d, n->keys != NULL ? hv_node_dup(n->keys[i]) :
		    NULL, hv_node_dup(n->items[i]));
	return d;
}

void
hv_node_append(struct hv_node *n, struct hv_node *key, struct hv_node *value)
{
	/* Doubling: a map of 40,000 keys is not 40,000 reallocations. */
	if (n->n == n->cap) {
		n->cap = n->cap == 0 ? 4 : n->cap * 2;
		n->items = hv_xreallocarray(n->items, n->cap,
		    sizeof *n->items);
		if (n->kind == HV_NODE_MAP)
			n->keys = hv_xreallocarray(n->keys, n->cap,
			    sizeof *n->keys);
	}
	if (n->kind == HV_NODE_MAP)
		n->keys[n->n] = key;
	n->items[n->n++] = value;
}

struct hv_node *
hv_node_key(const struct hv_node *n, const char *key)
{
	size_t	i;

	if (n == NULL || n->kind != HV_NODE_MAP)
		return NULL;
	for (i = 0; i < n->n; i++) {
		if (n->keys[i]->str != NULL && strcmp(n->keys[i]->str,
		    key) == 0)
			return n->keys[i];
	}
	return NULL;
}

struct hv_node *
hv_node_get(const struct hv_node *n, const char *key)
{
	size_t	i;

	if (n == NULL || n->kind != HV_NODE_MAP)
		return NULL;
	for (i = 0; i < n->n; i++) {
		if (n->keys[i]->str != NULL && strcmp(n->keys[i]->str,
		    key) == 0)
			return n->items[i];
	}
	return NULL;
}

const char *
hv_node_text(const struct hv_node *n, int shown)
{
	if (n == NULL || n->kind != HV_NODE_SCALAR)
		return NULL;
	return shown ? n->shown : n->str;
}

char *
hv_shown_text(const char *shown)
{
	struct hv_buf	b = HV_BUF_INIT;
	const char	*p;

	for (p = shown; *p != '\0'; p++) {
		hv_buf_putc(&b, *p);
		if (p[0] == '$' && p[1] == '$')
			p++;
	}
	return hv_buf_detach(&b);
}

int
hv_node_is_null(const struct hv_node *n)
{
	return n == NULL || n->kind == HV_NODE_NULL;
}

const char *
hv_node_kind_name(const struct hv_node *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->kind) {
	case HV_NODE_NULL:
		return "null";
	case HV_NODE_SCALAR:
		return "a scalar";
	case HV_NODE_SEQ:
		return "a list";
	case HV_NODE_MAP:
		return "a map";
	}
	return "?";
}

void
hv_diag_init(struct hv_diag *d)
{
	hv_buf_init(&d->text);
	d->count = 0;
}

void
hv_diag_release(struct hv_diag *d)
{
	hv_buf_release(&d->text);
	d->count = 0;
}

/* One problem, as one line; a secret in it is shown as its reference. */
static void HV_PRINTF(5, 0)
diag_add(struct hv_diag *d, const char *file, int line, int col,
    const char *fmt, va_list ap)
{
	struct hv_buf	msg = HV_BUF_INIT;

	hv_buf_vprintf(&msg, fmt, ap);
	hv_redact(&msg);
	hv_buf_printf(&d->text, "%s:%d:%d: ", file != NULL ? file : "-",
	    line, col);
	hv_buf_add(&d->text, msg.s, msg.len);
	hv_buf_putc(&d->text, '\n');
	hv_buf_release(&msg);
	d->count++;
}

void
hv_diag_at(struct hv_diag *d, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(d, file, line, col, fmt, ap);
	va_end(ap);
}

void
hv_diag_node(struct hv_diag *d, const struct hv_node *n, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(d, n->file, n->line, n->col, fmt, ap);
	va_end(ap);
}
