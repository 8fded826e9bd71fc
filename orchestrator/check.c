/*
 * check.c - typed getters and key checks over YAML trees, every problem
 * reported at its position (check.h).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "node.h"
#include "util.h"

/* The closest of names to word, for "did you mean". */
const char *
hv_ck_closest(const char *const *names, const char *word)
{
	const char	*best = NULL;
	size_t		 d, bestd = 3;

	for (; *names != NULL; names++) {
		d = hv_edit_distance(word, *names, 2);
		if (d < bestd) {
			bestd = d;
			best = *names;
		}
	}
	return best;
}

/* Reports every key of map that is not in allowed. */
void
hv_ck_keys(struct hv_diag *d, const struct hv_node *map,
    const char *const *allowed, const char *what)
{
	const char *const	*a;
	const char		*hint;
	size_t			 i;

	for (i = 0; i < map->n; i++) {
		for (a = allowed; *a != NULL; a++) {
			if (strcmp(*a, map->keys[i]->str) == 0)
				break;
		}
		if (*a != NULL)
			continue;
		if ((hint = hv_ck_closest(allowed, map->keys[i]->str)) != NULL)
			hv_diag_node(d, map->keys[i], "unknown key \"%s\" "
			    "in "
			    "%s (did you mean \"%s\"?)", map->keys[i]->str,
			    what,
			    hint);
		else
			hv_diag_node(d, map->keys[i], "unknown key \"%s\" "
			    "in "
			    "%s", map->keys[i]->str, what);
	}
}

/* Whether n is a map; reports it otherwise. Null counts as absent. */
int
hv_ck_map(struct hv_diag *d, const struct hv_node *n, const char *what)
{
	if (hv_node_is_null(n))
		return 0;
	if (n->kind != HV_NODE_MAP) {
		hv_diag_node(d, n, "%s must be a map, not %s", what,
		    hv_node_kind_name(n));
		return 0;
	}
	return 1;
}

int
hv_ck_seq(struct hv_diag *d, const struct hv_node *n, const char *what)
{
	if (hv_node_is_null(n))
		return 0;
	if (n->kind != HV_NODE_SEQ) {
		hv_diag_node(d, n, "%s must be a list, not %s", what,
		    hv_node_kind_name(n));
		return 0;
	}
	return 1;
}

/* A string field; NULL when absent. Reports non-scalars. */
const char *
hv_ck_str(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what)
{
	const struct hv_node	*n = hv_node_get(map, key);

	if (hv_node_is_null(n))
		return NULL;
	if (n->kind != HV_NODE_SCALAR) {
		hv_diag_node(d, n, "%s.%s must be a string, not %s", what,
		    key,
		    hv_node_kind_name(n));
		return NULL;
	}
	if (n->deferred)
		hv_diag_node(d, n, "${target.*} is only known in a step's "
		    "with: or expect:");
	return n->str;
}

char *
hv_ck_dup(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what)
{
	const char	*s = hv_ck_str(d, map, key, what);

	return s != NULL ? hv_xstrdup(s) : NULL;
}

char *
hv_ck_text(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what)
{
	if (hv_ck_str(d, map, key, what) == NULL)
		return NULL;
	return hv_shown_text(hv_node_get(map, key)->shown);
}

/* A duration field; 0 when absent, -1 after reporting a bad one. */
int64_t
hv_ck_ms(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what)
{
	const char	*s = hv_ck_str(d, map, key, what);
	int64_t		 ms;

	if (s == NULL)
		return 0;
	if (hv_parse_duration(s, &ms) == -1) {
		if (hv_duration_too_long(s))
			hv_diag_node(d, hv_node_get(map, key), "%s.%s: \"%s\" "
			    "is longer than 3650d", what, key, s);
		else
			hv_diag_node(d, hv_node_get(map, key), "%s.%s: \"%s\" "
			    "is not a duration (like 250ms, 5s, 2m, 1h)", what,
			    key, s);
		return -1;
	}
	return ms;
}

/* An integer field in [min, max]; def when absent or bad. */
long long
hv_ck_int(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what, long long min, long long max, long long def)
{
	const char	*s = hv_ck_str(d, map, key, what);
	long long	 v;

	if (s == NULL)
		return def;
	if (hv_parse_int(s, &v) == -1 || v < min || v > max) {
		hv_diag_node(d, hv_node_get(map, key), "%s.%s: \"%s\" is "
		    "not "
		    "an integer from %lld to %lld", what, key, s, min, max);
		return def;
	}
	return v;
}

/* A boolean field; def when absent or bad. */
int
hv_ck_bool(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what, int def)
{
	const char	*s = hv_ck_str(d, map, key, what);
	int		 v;

	if (s == NULL)
		return def;
	if (hv_parse_bool(s, &v) == -1) {
		hv_diag_node(d, hv_node_get(map, key), "%s.%s: \"%s\" is "
		    "not "
		    "true or false", what, key, s);
		return def;
	}
	return v;
}

/* A string or a list of them; their texts for people if shown is set. */
static char **
strlist(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what, size_t *count, int shown)
{
	const struct hv_node	*n = hv_node_get(map, key);
	char			**out = NULL;
	size_t			 i;

	*count = 0;
	if (hv_node_is_null(n))
		return NULL;
	if (n->kind == HV_NODE_SCALAR) {
		out = hv_xcalloc(1, sizeof *out);
		out[0] = shown ? hv_shown_text(n->shown) : hv_xstrdup(n->str);
		*count = 1;
		return out;
	}
	if (n->kind != HV_NODE_SEQ) {
		hv_diag_node(d, n, "%s.%s must be a list of strings, not %s",
		    what, key, hv_node_kind_name(n));
		return NULL;
	}
	out = hv_xcalloc(n->n, sizeof *out);
	for (i = 0; i < n->n; i++) {
		if (n->items[i]->kind != HV_NODE_SCALAR) {
			hv_diag_node(d, n->items[i], "%s.%s: item %zu must "
			    "be "
			    "a string, not %s", what, key, i + 1,
			    hv_node_kind_name(n->items[i]));
			continue;
		}
		out[(*count)++] = shown ? hv_shown_text(n->items[i]->shown) :
		    hv_xstrdup(n->items[i]->str);
	}
	return out;
}

char **
hv_ck_strlist(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what, size_t *count)
{
	return strlist(d, map, key, what, count, 0);
}

char **
hv_ck_textlist(struct hv_diag *d, const struct hv_node *map, const char *key,
    const char *what, size_t *count)
{
	return strlist(d, map, key, what, count, 1);
}

void
hv_strlist_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

