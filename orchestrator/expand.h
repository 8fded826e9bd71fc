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
 * shown one, in which secrets stay as their references. The shown one is
 * in this same syntax, so that expanding it again in secrets_only mode
 * gives the real value exactly (a revert rebuilt from the journal runs
 * what the fault's own revert would have run).
 *
 * Shell commands (HV_T_SHELL parameters; x->shell): no value is ever
 * spliced into a command's text. Each ${...} becomes a shell variable,
 * set by a prefix havoc writes before the command with the value quoted
 * as one word, and the command reads it as "$hv_NAME":
 *
 *   command: systemctl restart ${svc} && echo ${env.TOKEN} >/run/t
 *   runs:    hv_svc=nginx hv_env_TOKEN='...'; systemctl restart
 *            "$hv_svc" && echo "$hv_env_TOKEN" >/run/t
 *   shown:   hv_svc=nginx hv_env_TOKEN=${env.TOKEN}; systemctl ...
 *
 * So a value reaches the command intact, as one word, and is never read
 * as shell by it. A ${...} must therefore stand where a word of the
 * command does; where the value could not arrive that way, or where it
 * would be handed to another interpreter as code, the command is refused
 * with a message that says what to write instead:
 *
 *   - inside quotes ('...', "...", $'...'), after a backslash, or in a
 *     word that has quoted parts ('echo '${x}): another shell, awk or
 *     the like may read such a string as code, and inside single quotes
 *     the value would not even be there;
 *   - inside a here-document, $((...)), $[...], ((...)), [[...]], the
 *     shell's own ${...}, or an array subscript (name[${x}]): bash reads
 *     arithmetic operands as code;
 *   - as the code of sh -c (and bash, dash, ksh, zsh, busybox, su,
 *     runuser, flock, script with -c), or anywhere in a command run by
 *     eval, ssh, watch or let, which join their words into code. Values
 *     go to another shell as arguments: sh -c '... "$1"' sh ${x}.
 *
 * Nothing above limits a command written without ${...}.
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
	int		 shell;		/* a shell command: see above */
	int		 secrets_only;	/* recover: input is a shown spelling */
	/*
	 * Bytes the expansions may still produce (a file's whole budget),
	 * or NULL for no bound beyond HV_EXPAND_MAX per value.
	 */
	size_t		*budget;
};

#define HV_EXP_SECRET	0x1
#define HV_EXP_DEFERRED	0x2

/*
 * Bounds: one value expands to HV_EXPAND_MAX bytes at most (a ${file:}
 * secret is read up to that size), a file's values to HV_EXPAND_BUDGET
 * in all, and a variable may use variables that use variables ... down
 * to HV_EXPAND_DEPTH levels. Ten nested variables that each repeat the
 * one before would otherwise make gigabytes from a few hundred bytes.
 */
#define HV_EXPAND_MAX		(1024 * 1024)
#define HV_EXPAND_BUDGET	(64 * 1024 * 1024)
#define HV_EXPAND_DEPTH		16

/*
 * Expands in into str and shown (both appended; either may be NULL) and
 * ors HV_EXP_* into *flags. -1 with a message in err on an unknown
 * variable, an unset environment variable, an unreadable file, a value
 * over the bounds, or (shell) a ${...} where it cannot be passed safely.
 * Every secret read is registered with hv_secret_add().
 */
int	 hv_expand(const struct hv_expand *, const char *in,
	    struct hv_buf *str, struct hv_buf *shown, unsigned *flags,
	    struct hv_buf *err);

/* The shown spelling of a literal text (new): "$" escaped as need be. */
char	*hv_expand_literal(const char *);

/*
 * How deep in variables in goes: 0 when it uses none, else one more than
 * the deepest variable it uses (struct hv_var's depth).
 */
int	 hv_expand_depth(const struct hv_expand *, const char *in);

/*
 * Expands every scalar of a tree in place from its raw text. Problems go
 * to diag at each scalar (which is then marked failed); returns their
 * count.
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
