/*
 * hostcmd.h - the shell commands that SSH actions run on hosts.
 *
 * A driver's command hook (driver.h) writes its command as calls of the
 * shell function library (hostlib.sh), so that plans and the journal
 * read like "hv_rule_del INPUT -s 10.99.0.10 -j DROP": every value in it
 * goes through hv_shell_quote(), as one word. What havoc adds to a host
 * is marked with the step's tag (HV_TAG on the host), so that a revert
 * removes exactly what havoc added and nothing of the host's own.
 *
 * hv_hc_script() makes of such a text the command that is sent: the
 * library functions it calls come first, so that it runs on its own.
 *
 * Every value is checked for what it is in the driver's check() (at load
 * time and before each call), with the hv_hc_check_* helpers: a name
 * that could be taken for an option, a relative path, a path with "..",
 * a control character never reach a host.
 */
#ifndef HV_HOSTCMD_H
#define HV_HOSTCMD_H

#include "driver.h"

/*
 * The whole command for text: when text calls functions of the library,
 * their definitions (and those of the functions they call) as hv_lib,
 * defined, then HV_DIR, HV_KEEP and HV_TAG (the call's tag), then text.
 * A text that calls none is sent as it is.
 */
void	 hv_hc_script(struct hv_buf *out, const struct hv_call *,
	    const char *text);
/*
 * The definitions of the library functions that text calls, with the
 * ones they call, in the library's order; nothing when it calls none.
 */
void	 hv_hc_lib(struct hv_buf *out, const char *text);

/* Appends the words (NULL ends them), each quoted, space-separated. */
void	 hv_hc_words(struct hv_buf *, const char *, ...);

/*
 * The tc handles of a call's qdiscs: a major number of its own, derived
 * from the tag (in 4000-7ffe, even), and the next one for a child. Two
 * faults on one interface never take each other's qdisc for their own.
 */
void	 hv_hc_tc_handles(const struct hv_call *, char root[8],
	    char child[8]);
/* "hv_tc_del IFACE HANDLE": the call's root qdisc goes (idempotent). */
void	 hv_hc_tc_revert(struct hv_buf *, const struct hv_call *,
	    const char *iface);

/*
 * iptables rules: spec is what follows the chain, as shell words ("-s
 * 10.0.0.1 -j DROP"); on the host the tag comment is added. add:
 * "hv_rule_add [-6] CHAIN SPEC" inserts it at the top. del: "hv_rule_del
 * [-6] CHAIN SPEC" removes every copy (bounded), idempotent. A revert of
 * dels ends with hv_hc_rules_end() ("hv_rules_gone"): it fails, after
 * every del was tried, when a rule is still there (or iptables could not
 * tell), unless iptables is not installed at all.
 */
void	 hv_hc_rule_add(struct hv_buf *, const char *chain, const char *spec,
	    int ipv6);
void	 hv_hc_rule_del(struct hv_buf *, const char *chain, const char *spec,
	    int ipv6);
void	 hv_hc_rules_end(struct hv_buf *);

/*
 * A background process that outlives the SSH session: "hv_bg_start WHAT
 * WORDS" (words: the program and its arguments, quoted), with the pid
 * file HV_DIR/TAG.WHAT; "hv_bg_stop WHAT" ends its whole process group
 * (TERM, then KILL after 5 s) and returns when it is gone.
 */
void	 hv_hc_bg_start(struct hv_buf *, const char *what, const char *words);
void	 hv_hc_bg_stop(struct hv_buf *, const char *what);

/* A file of havoc's on the host, named after the tag: DIR/TAG.what */
void	 hv_hc_state_path(struct hv_buf *, const struct hv_call *,
	    const char *what);

/* The list parameter name as "a,b,c" (values checked by the caller). */
void	 hv_hc_join(struct hv_buf *, const struct hv_node *, const char *sep,
	    int shown);

/* Whether s holds only the characters in set (and is not empty). */
int	 hv_hc_only(const char *s, const char *set);

/*
 * Checks of values, each -1 with a message naming param (NULL: none) in
 * err. A NULL value passes (absent; the table says when it is required).
 *
 * name: what a tool takes as a name (a process, a service, a user): not
 * empty, at most max bytes, only characters of set (NULL: any but
 * control characters), and never a leading "-" (an option) or "." (when
 * nodot is set: ".", "..", a hidden file). what names the kind in the
 * message, with its article: "a process name".
 */
int	 hv_hc_check_name(const char *param, const char *value,
	    const char *what, const char *set, size_t max, int nodot,
	    struct hv_buf *err);
/* An absolute path with no "." or ".." part, no control character. */
int	 hv_hc_check_path(const char *param, const char *value,
	    struct hv_buf *err);
/* An IPv4 or IPv6 address; with cidr, a /prefix may follow. */
int	 hv_hc_check_addr(const char *param, const char *value, int cidr,
	    struct hv_buf *err);
/* Appends a value for a message: escaped, and cut after 64 bytes. */
void	 hv_hc_show(struct hv_buf *, const char *value);
/* The message "param: "value" FMT..." (hv_hc_show) in err, and -1. */
int	 hv_hc_bad(struct hv_buf *err, const char *param, const char *value,
	    const char *, ...) HV_PRINTF(4, 5);

#endif
