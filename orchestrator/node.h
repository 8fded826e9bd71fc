/*
 * node.h - a YAML document as havoc's own tree, with positions.
 *
 * load.c turns a file into this tree (it is the only user of libyaml);
 * everything after works on nodes. Every node knows the file, line and
 * column it came from, so that any later check can say FILE:LINE:COLUMN.
 *
 * Scalars carry three spellings:
 *   raw    what the file said, before ${...} expansion;
 *   str    the real value, after expansion (secrets included);
 *   shown  the value with every secret left as its reference
 *          (${env.TOKEN}, ${file:/run/token}): what may be printed and
 *          stored, and what hv_expand() in secrets_only mode turns back
 *          into str when `havoc recover` needs the real value. It is
 *          written in the file's own syntax, so that this round trip is
 *          exact: a literal "$" that could be misread there (before "{"
 *          or "$", or before a reference) is written "$$", so the text
 *          "${env.HOME}" that the file spelled $${env.HOME} stays text.
 *          hv_shown_text() gives it for people, without those escapes.
 * References to ${target.*} are kept as written in str and shown until a
 * step runs on a target (hv_node_for_target()).
 */
#ifndef HV_NODE_H
#define HV_NODE_H

#include <stddef.h>

#include "util.h"

enum hv_node_kind {
	HV_NODE_NULL,
	HV_NODE_SCALAR,
	HV_NODE_SEQ,
	HV_NODE_MAP
};

struct hv_node {
	enum hv_node_kind kind;
	const char	*file;		/* borrowed from the document */
	int		 line;		/* 1-based */
	int		 col;		/* 1-based */

	char		*raw;		/* scalars only */
	char		*str;
	char		*shown;
	unsigned	 quoted:1;	/* written in quotes: always a string */
	unsigned	 secret:1;	/* str came (partly) from a secret */
	unsigned	 deferred:1;	/* holds ${target.*} */
	unsigned	 owns_file:1;	/* the root of a document frees file */
	unsigned	 shell:1;	/* a shell command (see expand.h) */
	unsigned	 failed:1;	/* its expansion was reported bad */

	size_t		 n;		/* items of a sequence or map */
	size_t		 cap;		/* room in items (and keys) */
	struct hv_node	**items;	/* values */
	struct hv_node	**keys;		/* maps: scalar key nodes */
};

/* A new node of the given kind at a position; file is borrowed. */
struct hv_node	*hv_node_new(enum hv_node_kind, const char *file, int line,
		    int col);
/* A scalar whose raw, str and shown are all s. */
struct hv_node	*hv_node_scalar(const char *s, const char *file, int line,
		    int col);
void		 hv_node_free(struct hv_node *);
/* A deep copy (new). */
struct hv_node	*hv_node_dup(const struct hv_node *);
/* Appends to a sequence (key NULL) or a map (key a scalar node); owns. */
void		 hv_node_append(struct hv_node *, struct hv_node *key,
		    struct hv_node *value);

/* The value of key in a map (borrowed), or NULL. */
struct hv_node	*hv_node_get(const struct hv_node *, const char *key);
/* The key node of key in a map (borrowed), or NULL. */
struct hv_node	*hv_node_key(const struct hv_node *, const char *key);
/* Scalar text (str, or shown when shown is set), or NULL for others. */
const char	*hv_node_text(const struct hv_node *, int shown);
/*
 * A shown spelling as people read it (a new string): "$$" is "$" again;
 * secret references stay as they are.
 */
char		*hv_shown_text(const char *shown);
/* A plain-scalar null (~, null, empty) counts as null. */
int		 hv_node_is_null(const struct hv_node *);
/* The kind for messages: "a string", "a list", "a map", "null". */
const char	*hv_node_kind_name(const struct hv_node *);

/*
 * Loads a YAML file (one document) into a new tree. Parse errors are
 * reported as FILE:LINE:COLUMN lines into diag and return NULL.
 */
struct hv_diag;
struct hv_node	*hv_yaml_load(const char *path, struct hv_diag *);
/* The same from memory; name is used in messages. */
struct hv_node	*hv_yaml_parse(const char *name, const char *data, size_t len,
		    struct hv_diag *);

/*
 * Diagnostics: every problem in the input, each as FILE:LINE:COLUMN:
 * message, collected so the user can fix a whole file in one pass.
 */
struct hv_diag {
	struct hv_buf	 text;		/* one message per line */
	int		 count;
};

void	 hv_diag_init(struct hv_diag *);
void	 hv_diag_release(struct hv_diag *);
void	 hv_diag_at(struct hv_diag *, const char *file, int line, int col,
	    const char *, ...) HV_PRINTF(5, 6);
/* At a node's position. */
void	 hv_diag_node(struct hv_diag *, const struct hv_node *,
	    const char *, ...) HV_PRINTF(3, 4);

#endif
