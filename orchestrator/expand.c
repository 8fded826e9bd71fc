/*
 * expand.c - ${...} expansion with real and shown spellings.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "experiment.h"
#include "node.h"

/* Appends s to a spelling, quoted for sh when the value is a shell one. */
static void
put(struct hv_buf *b, const char *s, int quote)
{
	if (b == NULL)
		return;
	if (quote)
		hv_shell_quote(b, s);
	else
		hv_buf_puts(b, s);
}

/*
 * Appends a secret variable's shown spelling to a shell value: its
 * ${env.*} and ${file:*} references as they are, the text around them
 * quoted. Expanded again (each reference quoted as one word), the words
 * join into the one word that the real value was quoted as.
 */
static void
put_secret_shown(struct hv_buf *b, const char *s)
{
	const char	*ref, *end;
	char		*text;

	while (b != NULL && *s != '\0') {
		for (ref = strchr(s, '$'); ref != NULL; ref = strchr(ref + 1,
		    '$')) {
			if ((strncmp(ref, "${env.", 6) == 0 ||
			    strncmp(ref, "${file:", 7) == 0) &&
			    strchr(ref, '}') != NULL)
				break;
		}
		end = ref != NULL ? ref : s + strlen(s);
		if (end > s) {
			text = hv_xstrndup(s, (size_t)(end - s));
			hv_shell_quote(b, text);
			free(text);
		}
		if (ref == NULL)
			break;
		end = strchr(ref, '}') + 1;
		hv_buf_add(b, ref, (size_t)(end - ref));
		s = end;
	}
}

/* Appends literal text to both spellings. */
static void
put_literal(struct hv_buf *str, struct hv_buf *shown, const char *s,
    size_t n)
{
	if (str != NULL)
		hv_buf_add(str, s, n);
	if (shown != NULL)
		hv_buf_add(shown, s, n);
}

static const struct hv_var *
find_var(const struct hv_expand *x, const char *name)
{
	size_t	i;

	/* The last one wins: --var entries come after vars:. */
	for (i = x->nvars; i > 0; i--) {
		if (strcmp(x->vars[i - 1].name, name) == 0)
			return &x->vars[i - 1];
	}
	return NULL;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	}
	return 1;
}

/* Reads a secret file: its content without the final newline. */
static int
read_secret(const struct hv_expand *x, const char *path, struct hv_buf *out,
    struct hv_buf *err)
{
	struct hv_buf	full = HV_BUF_INIT, e = HV_BUF_INIT;
	int		rc;

	if (path[0] != '/' && x->dir != NULL)
		hv_buf_printf(&full, "%s/%s", x->dir, path);
	else
		hv_buf_puts(&full, path);
	/* The message names the path, never the content. */
	rc = hv_read_file(full.s, out, &e);
	if (rc == -1)
		hv_error(err, "${file:%s}: %s", path, e.s);
	/* The final newline only, as $(cat file) would not keep it either. */
	if (rc == 0 && out->len > 0 && out->s[out->len - 1] == '\n') {
		out->s[--out->len] = '\0';
		if (out->len > 0 && out->s[out->len - 1] == '\r')
			out->s[--out->len] = '\0';
	}
	hv_buf_release(&full);
	hv_buf_release(&e);
	return rc;
}

/* Expands one ${ref} (ref without the braces). */
static int
expand_ref(const struct hv_expand *x, const char *ref, struct hv_buf *str,
    struct hv_buf *shown, unsigned *flags, struct hv_buf *err)
{
	const struct hv_var	*v;
	const char		*val;
	struct hv_buf		 tmp = HV_BUF_INIT;
	size_t			 i;
	int			 rc = 0;

	if (strncmp(ref, "env.", 4) == 0) {
		if (!valid_name(ref + 4))
			return hv_error(err, "bad variable name \"%s\"", ref);
		if ((val = getenv(ref + 4)) == NULL)
			return hv_error(err, "environment variable %s is not "
			    "set",
			    ref + 4);
		put(str, val, x->shell);
		if (shown != NULL)
			hv_buf_printf(shown, "${%s}", ref);
		*flags |= HV_EXP_SECRET;
		return 0;
	}
	if (strncmp(ref, "file:", 5) == 0) {
		if (ref[5] == '\0')
			return hv_error(err, "${file:} needs a path");
		if (read_secret(x, ref + 5, &tmp, err) == -1) {
			hv_buf_release(&tmp);
			return -1;
		}
		put(str, tmp.s, x->shell);
		if (shown != NULL)
			hv_buf_printf(shown, "${%s}", ref);
		*flags |= HV_EXP_SECRET;
		hv_buf_release(&tmp);
		return 0;
	}
	if (strncmp(ref, "target.", 7) == 0) {
		if (strcmp(ref + 7, "name") != 0 &&
		    strcmp(ref + 7, "address") != 0 &&
		    strcmp(ref + 7, "tags") != 0)
			return hv_error(err, "unknown ${%s} (a target has "
			    "name, "
			    "address and tags)", ref);
		if (x->target == NULL) {
			put_literal(str, NULL, "${", 2);
			put_literal(str, NULL, ref, strlen(ref));
			put_literal(str, NULL, "}", 1);
			if (shown != NULL)
				hv_buf_printf(shown, "${%s}", ref);
			*flags |= HV_EXP_DEFERRED;
			return 0;
		}
		if (strcmp(ref + 7, "name") == 0)
			hv_buf_puts(&tmp, x->target->name);
		else if (strcmp(ref + 7, "address") == 0)
			hv_buf_puts(&tmp, x->target->address);
		else {
			for (i = 0; i < x->target->ntags; i++) {
				if (i > 0)
					hv_buf_putc(&tmp, ',');
				hv_buf_puts(&tmp, x->target->tags[i]);
			}
		}
		put(str, tmp.s, x->shell);
		put(shown, tmp.s, x->shell);
		hv_buf_release(&tmp);
		return 0;
	}
	if (!valid_name(ref))
		return hv_error(err, "bad variable name \"%s\"", ref);
	if ((v = find_var(x, ref)) == NULL)
		return hv_error(err, "unknown variable ${%s}", ref);
	/* Its own error was reported where it is defined; once is enough. */
	if (v->broken)
		return 0;
	put(str, v->str, x->shell);
	/* A secret's shown spelling holds references: quoting them would
	 * stop a later expansion of them from being quoted as words. */
	if (x->shell && v->secret)
		put_secret_shown(shown, v->shown);
	else
		put(shown, v->shown, x->shell);
	if (v->secret)
		*flags |= HV_EXP_SECRET;
	return rc;
}

int
hv_expand(const struct hv_expand *x, const char *in, struct hv_buf *str,
    struct hv_buf *shown, unsigned *flags, struct hv_buf *err)
{
	const char	*p = in, *start, *end;
	char		*ref;
	unsigned	 dummy = 0;
	int		 rc = 0;

	if (flags == NULL)
		flags = &dummy;
	while (*p != '\0') {
		start = strchr(p, '$');
		if (start == NULL) {
			put_literal(str, shown, p, strlen(p));
			break;
		}
		put_literal(str, shown, p, (size_t)(start - p));
		/* A shown spelling is literal but for its secret references. */
		if (x->secrets_only && strncmp(start, "${env.", 6) != 0 &&
		    strncmp(start, "${file:", 7) != 0) {
			put_literal(str, shown, "$", 1);
			p = start + 1;
			continue;
		}
		if (start[1] == '$') {
			put_literal(str, shown, "$", 1);
			p = start + 2;
			continue;
		}
		if (start[1] != '{') {
			put_literal(str, shown, "$", 1);
			p = start + 1;
			continue;
		}
		if ((end = strchr(start + 2, '}')) == NULL) {
			rc = hv_error(err, "unterminated ${ in \"%s\"", in);
			break;
		}
		ref = hv_xstrndup(start + 2, (size_t)(end - start - 2));
		if (expand_ref(x, ref, str, shown, flags, err) == -1)
			rc = -1;
		free(ref);
		if (rc == -1)
			break;
		p = end + 1;
	}
	return rc;
}

/* Expands one scalar from its raw text into str and shown. */
static int
expand_scalar(const struct hv_expand *x, struct hv_node *n, struct hv_buf *err)
{
	struct hv_expand	 xs = *x;
	struct hv_buf		 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	unsigned		 flags = 0;

	xs.shell = n->shell;
	if (hv_expand(&xs, n->raw, &str, &shown, &flags, err) == -1) {
		hv_buf_release(&str);
		hv_buf_release(&shown);
		return -1;
	}
	free(n->str);
	free(n->shown);
	n->str = hv_buf_detach(&str);
	n->shown = hv_buf_detach(&shown);
	n->secret = (flags & HV_EXP_SECRET) != 0;
	n->deferred = (flags & HV_EXP_DEFERRED) != 0;
	return 0;
}

int
hv_expand_tree(const struct hv_expand *x, struct hv_node *n,
    struct hv_diag *diag)
{
	struct hv_buf	err = HV_BUF_INIT;
	size_t		i;
	int		count = 0;

	if (n == NULL)
		return 0;
	if (n->kind == HV_NODE_SCALAR && n->raw != NULL) {
		if (expand_scalar(x, n, &err) == -1) {
			hv_diag_node(diag, n, "%s", err.s);
			count++;
		}
		hv_buf_release(&err);
		return count;
	}
	for (i = 0; i < n->n; i++)
		count += hv_expand_tree(x, n->items[i], diag);
	return count;
}

/* Re-expands deferred scalars of a copy for the target. */
static int
resolve(const struct hv_expand *x, struct hv_node *n, struct hv_buf *err)
{
	size_t	i;

	if (n->kind == HV_NODE_SCALAR && n->deferred)
		return expand_scalar(x, n, err);
	for (i = 0; i < n->n; i++) {
		if (resolve(x, n->items[i], err) == -1)
			return -1;
	}
	return 0;
}

struct hv_node *
hv_node_for_target(const struct hv_expand *x, const struct hv_node *n,
    struct hv_buf *err)
{
	struct hv_node	*copy;

	copy = hv_node_dup(n);
	if (copy != NULL && resolve(x, copy, err) == -1) {
		hv_node_free(copy);
		return NULL;
	}
	return copy;
}
