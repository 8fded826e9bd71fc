/*
 * hostcmd.h - pieces of the shell commands that SSH actions run on
 * hosts. Every value from an experiment goes through hv_shell_quote();
 * what havoc adds to a host is marked with the step's tag, so that a
 * revert removes exactly what havoc added and nothing of the host's own.
 */
#ifndef HV_HOSTCMD_H
#define HV_HOSTCMD_H

#include "driver.h"


/*
 * Fails the command early, with a clear message, when tool is missing.
 * Left out of the shown spelling (plans, the journal): it is noise there.
 */
void	 hv_hc_need(struct hv_buf *, const struct hv_call *,
	    const char *tool);

/*
 * The tc handles of a call's qdiscs: a major number of its own, derived
 * from the tag (in 4000-7ffe, even), and the next one for a child. Two
 * faults on one interface never take each other's qdisc for their own.
 */
void	 hv_hc_tc_handles(const struct hv_call *, char root[8],
	    char child[8]);

/* Removes the call's root qdisc from iface, if it is there (idempotent). */
void	 hv_hc_tc_revert(struct hv_buf *, const struct hv_call *,
	    const char *iface);

/*
 * iptables rules: spec is what follows the chain ("-s 10.0.0.1 -j DROP"),
 * to which the tag comment is added. add inserts it at the top; del
 * removes every copy of it (bounded), and is idempotent. A revert made of
 * dels starts with hv_hc_rules_begin() and ends with hv_hc_rules_end():
 * it fails, after every del was tried, when a rule is still there (or
 * iptables could not tell), unless iptables is not installed at all.
 */
void	 hv_hc_rules_begin(struct hv_buf *);
void	 hv_hc_rules_end(struct hv_buf *);
void	 hv_hc_rule_add(struct hv_buf *, const struct hv_call *,
	    const char *chain, const char *spec, int ipv6);
void	 hv_hc_rule_del(struct hv_buf *, const struct hv_call *,
	    const char *chain, const char *spec, int ipv6);

/*
 * Makes HV_REMOTE_DIR (mode 700) for a call's state files; exits 1 when
 * it is a link or another user's folder (it is in a folder that everyone
 * writes to: they would choose what the state files say). A state file is
 * trusted only when it is this user's and not a link ([ -O F ] && [ ! -h
 * F ]).
 */
void	 hv_hc_state_dir(struct hv_buf *);
/* The same for another folder dir (a shell word, quoted if need be). */
void	 hv_hc_own_dir(struct hv_buf *, const char *dir);

/*
 * Starts a shell script detached from the SSH session (its own session
 * and process group) that first writes its pid to pidfile; waits (5 s at
 * most) for that file. The command fails when it did not appear, and
 * before anything when HV_REMOTE_DIR is a link or another user's folder.
 */
void	 hv_hc_detach(struct hv_buf *, const char *pidfile,
	    const char *script);
/*
 * Ends what hv_hc_detach() started with pidfile, and its whole process
 * group (TERM, then KILL after 5 s), and removes pidfile; a pid file or
 * a group that is not that start's own is left alone. Never fails.
 */
void	 hv_hc_stop(struct hv_buf *, const char *pidfile);

/*
 * A background process that outlives the SSH session, with a pid file
 * named after the call's tag and what (stress, listener, ...). The
 * command is a shell command; stop ends its whole process group (TERM,
 * then KILL after 5 s) and returns when it is gone. Stop trusts only a
 * pid file of this user's that is not a link.
 */
void	 hv_hc_bg_start(struct hv_buf *, const struct hv_call *,
	    const char *what, const char *command);
void	 hv_hc_bg_stop(struct hv_buf *, const struct hv_call *,
	    const char *what);

/* A file of havoc's on the host, named after the tag: DIR/TAG.what */
void	 hv_hc_state_path(struct hv_buf *, const struct hv_call *,
	    const char *what);

/* The list parameter name as "a,b,c" (values checked by the caller). */
void	 hv_hc_join(struct hv_buf *, const struct hv_node *, const char *sep,
	    int shown);

/* Whether s holds only the characters in set (and is not empty). */
int	 hv_hc_only(const char *s, const char *set);

#endif
