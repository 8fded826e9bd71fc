/*
 * check.h - reading a checked model out of a YAML tree (node.h): typed
 * getters and key checks that report every problem at its
 * FILE:LINE:COLUMN into a struct hv_diag and go on, so that one pass
 * shows the user all of them (OpenBSD's parse.y counts errors the same
 * way). The experiment, the inventory and the game-day loaders share
 * them.
 *
 * what names the place for messages ("a host", "ssh", "targets"). A
 * null value counts as absent everywhere.
 */
#ifndef HV_CHECK_H
#define HV_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct hv_diag;
struct hv_node;

/* The closest of names (NULL-terminated) to word, for "did you mean". */
const char	*hv_ck_closest(const char *const *names, const char *word);
/* Reports every key of map that is not in allowed (NULL-terminated). */
void		 hv_ck_keys(struct hv_diag *, const struct hv_node *map,
		    const char *const *allowed, const char *what);
/* Whether n is a map (a list); reports it otherwise. */
int		 hv_ck_map(struct hv_diag *, const struct hv_node *,
		    const char *what);
int		 hv_ck_seq(struct hv_diag *, const struct hv_node *,
		    const char *what);
/* A string field (borrowed); NULL when absent or not a string. */
const char	*hv_ck_str(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what);
/* The same, new. */
char		*hv_ck_dup(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what);
/*
 * A text for people (a title, a name; new): its shown spelling as
 * people read it (node.h), so that a secret in it is printed and stored
 * as its reference, never its value.
 */
char		*hv_ck_text(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what);
/*
 * A duration field; 0 when absent, -1 after reporting a bad one (or one
 * longer than HV_DURATION_MAX_MS).
 */
int64_t		 hv_ck_ms(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what);
/* An integer field in [min, max]; def when absent or bad. */
long long	 hv_ck_int(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what, long long min,
		    long long max, long long def);
/* A boolean field; def when absent or bad. */
int		 hv_ck_bool(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what, int def);
/* A string or a list of strings, as a new array of new strings. */
char		**hv_ck_strlist(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what, size_t *count);
/* The same, as texts for people (see hv_ck_text()). */
char		**hv_ck_textlist(struct hv_diag *, const struct hv_node *map,
		    const char *key, const char *what, size_t *count);
/* Frees what hv_ck_strlist() returned; accepts NULL. */
void		 hv_strlist_free(char **, size_t);

#endif
