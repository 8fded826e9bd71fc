/*
 * expand.h - ${...} in experiment values.
 *
 *   ${name}            a variable: --var NAME=VALUE, else vars:
 *   ${env.NAME}        the environment (a secret)
 *   ${file:PATH}       a file's content without its final newline (a
 *                      secret); PATH relative to the experiment's folder
 *   ${target.name}     the host a step runs on; also .address, .tags
 *   $$                 a literal '$' (a '$' not followed by '{' is too)
 *
 * Expansion writes two spellings (see node.h): the real value and the
 * shown one, in which secrets stay as their references. In a shell
 * command (node->shell) every substituted value is quoted as one word, so
 * no variable can add a command.
 */
#ifndef HV_EXPAND_H
#define HV_EXPAND_H

#include "util.h"

struct hv_var;
struct hv_host;
struct hv_node;

struct hv_expand {
	const struct hv_var *vars;
	size_t		 nvars;
	const char	*dir;		/* for relative ${file:...} */
	const struct hv_host *target;	/* NULL: keep ${target.*} */
	int		 shell;		/* quote substituted values */
	int		 secrets_only;	/* recover: input is a shown spelling */
};

#define HV_EXP_SECRET	0x1
#define HV_EXP_DEFERRED	0x2

/*
 * Expands in into str and shown (both appended; either may be NULL) and
 * ors HV_EXP_* into *flags. -1 with a message in err on an unknown
 * variable, an unset environment variable or an unreadable file.
 */
int	 hv_expand(const struct hv_expand *, const char *in,
	    struct hv_buf *str, struct hv_buf *shown, unsigned *flags,
	    struct hv_buf *err);

/*
 * Expands every scalar of a tree in place from its raw text. Problems go
 * to diag at each scalar; returns their count.
 */
struct hv_diag;
int	 hv_expand_tree(const struct hv_expand *, struct hv_node *,
	    struct hv_diag *);

/*
 * A copy of a tree for one target: scalars holding ${target.*} are
 * expanded again from their raw text. NULL with a message in err.
 */
struct hv_node	*hv_node_for_target(const struct hv_expand *,
		    const struct hv_node *, struct hv_buf *err);

#endif
