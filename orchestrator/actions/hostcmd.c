/*
 * hostcmd.c - building blocks of host commands for SSH actions.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hostcmd.h"
#include "node.h"
#include "remote.h"

void
hv_hc_need(struct hv_buf *b, const struct hv_call *call, const char *tool)
{
	if (call->shown)
		return;
	hv_buf_puts(b, "command -v ");
	hv_shell_quote(b, tool);
	hv_buf_puts(b, " >/dev/null 2>&1 || { echo ");
	hv_shell_quote(b, tool);
	hv_buf_puts(b, "' is not installed on this host' >&2; exit 127; }; ");
}

void
hv_hc_tc_handles(const struct hv_call *call, char root[8], char child[8])
{
	const char	*t = call->tag != NULL ? call->tag : "havoc";
	uint32_t	 h = 2166136261u;	/* FNV-1a */
	unsigned	 major;

	for (; *t != '\0'; t++)
		h = (h ^ (unsigned char)*t) * 16777619u;
	major = 0x4000 + (h % 0x1fff) * 2;
	snprintf(root, 8, "%x:", major);
	snprintf(child, 8, "%x:", major + 1);
}

void
hv_hc_tc_revert(struct hv_buf *b, const struct hv_call *call,
    const char *iface)
{
	char	root[8], child[8];

	hv_hc_tc_handles(call, root, child);
	hv_buf_puts(b, "if tc qdisc show dev ");
	hv_shell_quote(b, iface);
	hv_buf_printf(b, " | grep -q '^qdisc [a-z_]* %s root'; "
	    "then tc qdisc del dev ", root);
	hv_shell_quote(b, iface);
	hv_buf_printf(b, " root handle %s; fi", root);
}

static void
rule(struct hv_buf *b, const struct hv_call *call, const char *op,
    const char *chain, const char *spec, int ipv6)
{
	hv_buf_printf(b, "%s -w %s %s %s -m comment --comment ",
	    ipv6 ? "ip6tables" : "iptables", op, chain, spec);
	hv_shell_quote(b, call->tag != NULL ? call->tag : "havoc");
}

void
hv_hc_rule_add(struct hv_buf *b, const struct hv_call *call,
    const char *chain, const char *spec, int ipv6)
{
	rule(b, call, "-I", chain, spec, ipv6);
	hv_buf_puts(b, "; ");
}

void
hv_hc_rules_begin(struct hv_buf *b)
{
	hv_buf_puts(b, "hv_left=0; ");
}

void
hv_hc_rules_end(struct hv_buf *b)
{
	hv_buf_puts(b, "[ \"$hv_left\" = 0 ]");
}

void
hv_hc_rule_del(struct hv_buf *b, const struct hv_call *call,
    const char *chain, const char *spec, int ipv6)
{
	const char	*tool = ipv6 ? "ip6tables" : "iptables";

	/* A rule added twice is removed twice; 16 is plenty, and bounded. */
	hv_buf_puts(b, "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do ");
	rule(b, call, "-D", chain, spec, ipv6);
	hv_buf_puts(b, " 2>/dev/null || break; done; ");
	/*
	 * The loop ends at the first failure, whatever its cause (the
	 * xtables lock, a module): -C then says whether the rule is gone
	 * (1; 2, a rule iptables cannot even parse here, as when the
	 * inject failed for a missing module, cannot be there), still there
	 * (0) or cannot be told (else: not root, no IPv6).
	 */
	hv_buf_printf(b, "if command -v %s >/dev/null 2>&1; then ", tool);
	rule(b, call, "-C", chain, spec, ipv6);
	hv_buf_printf(b, " 2>/dev/null; case $? in 0) echo '%s: a rule in "
	    "%s is still there' >&2; hv_left=1;; 1|2) ;; *) echo '%s: "
	    "cannot tell whether a rule in %s is still there' >&2; "
	    "hv_left=1;; esac; fi; ", tool, chain, tool, chain);
}

void
hv_hc_state_path(struct hv_buf *b, const struct hv_call *call,
    const char *what)
{
	hv_buf_printf(b, "%s/%s.%s", HV_REMOTE_DIR, call->tag != NULL ?
	    call->tag : "havoc", what);
}

void
hv_hc_own_dir(struct hv_buf *b, const char *dir)
{
	/* mkdir -p -m 700 D && [ ! -h D ] && [ -O D ] && chmod 700 D ||
	 * { echo 'D: a link, or a folder of another user' >&2; exit 1; } */
	hv_buf_printf(b, "mkdir -p -m 700 %s && [ ! -h %s ] && [ -O %s ] && "
	    "chmod 700 %s || { echo '%s: a link, or a folder of another "
	    "user' >&2; exit 1; }", dir, dir, dir, dir, dir);
}

void
hv_hc_state_dir(struct hv_buf *b)
{
	hv_hc_own_dir(b, HV_REMOTE_DIR);
}

void
hv_hc_detach(struct hv_buf *b, const char *pidfile, const char *script)
{
	struct hv_buf	inner = HV_BUF_INIT;

	/*
	 * The child writes its own pid: after setsid it leads its process
	 * group, so kill -TERM -PID ends it and whatever it started, whether
	 * or not setsid had to fork. HV_REMOTE_DIR is in a folder everyone
	 * writes to: one of that name that another user made (or a link)
	 * would let them choose what the pid files say.
	 */
	hv_buf_puts(&inner, "echo $$ >");
	hv_shell_quote(&inner, pidfile);
	hv_buf_printf(&inner, "\n%s", script);
	hv_hc_state_dir(b);
	hv_buf_puts(b, "\nrm -f ");
	hv_shell_quote(b, pidfile);
	/* Its mark: hv_hc_stop() ends only a group that bears it. */
	hv_buf_puts(b, "\nHAVOC_JOB=");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, " setsid sh -c ");
	hv_shell_quote(b, inner.s);
	hv_buf_puts(b, " </dev/null >/dev/null 2>&1 &\n"
	    "i=0; while [ ! -s ");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, " ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n"
	    "[ -s ");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, " ] || { echo 'cannot start in the background' >&2; "
	    "exit 1; }\n");
	hv_buf_release(&inner);
}

void
hv_hc_bg_start(struct hv_buf *b, const struct hv_call *call,
    const char *what, const char *command)
{
	struct hv_buf	pid = HV_BUF_INIT, script = HV_BUF_INIT;

	hv_hc_state_path(&pid, call, what);
	hv_buf_printf(&script, "exec %s", command);
	hv_hc_detach(b, pid.s, script.s);
	/* Whatever it was has to be still running a moment later. */
	hv_buf_puts(b, "sleep 0.3; kill -0 $(cat ");
	hv_shell_quote(b, pid.s);
	hv_buf_puts(b, ") 2>/dev/null || { echo 'it exited at once' >&2; "
	    "rm -f ");
	hv_shell_quote(b, pid.s);
	hv_buf_puts(b, "; exit 1; }");
	hv_buf_release(&pid);
	hv_buf_release(&script);
}

void
hv_hc_stop(struct hv_buf *b, const char *pidfile)
{
	/*
	 * Trusted only: a pid file of this user's that is not a link, and a
	 * group whose leader, or one of its members, bears the mark that
	 * hv_hc_detach() gave it. A pid file that outlived its process (a
	 * reboot, a kill -9) may name a pid that is now someone else's.
	 * The group gets SIGTERM, then 5 s to end (stress-ng takes a moment
	 * to give its memory back), then SIGKILL: when this returns, nothing
	 * of it runs any more.
	 */
	hv_buf_puts(b, "if [ ! -h ");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, " ] && [ -O ");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, " ]; then p=$(cat ");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, "); if [ \"$p\" -gt 1 ] 2>/dev/null; then "
	    "for q in \"$p\" $(pgrep -g \"$p\" 2>/dev/null); do "
	    "tr '\\0' '\\n' 2>/dev/null <\"/proc/$q/environ\" | "
	    "grep -qxF HAVOC_JOB=");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, " && break; q=; done; "
	    "if [ -n \"$q\" ]; then kill -TERM -\"$p\" 2>/dev/null; i=0; "
	    "while kill -0 -\"$p\" 2>/dev/null && [ $i -lt 50 ]; do "
	    "sleep 0.1; i=$((i+1)); done; kill -KILL -\"$p\" 2>/dev/null; "
	    "fi; fi; rm -f ");
	hv_shell_quote(b, pidfile);
	hv_buf_puts(b, "; fi");
}

void
hv_hc_bg_stop(struct hv_buf *b, const struct hv_call *call, const char *what)
{
	struct hv_buf	pid = HV_BUF_INIT;

	hv_hc_state_path(&pid, call, what);
	hv_hc_stop(b, pid.s);
	hv_buf_release(&pid);
}

void
hv_hc_join(struct hv_buf *b, const struct hv_node *list, const char *sep,
    int shown)
{
	size_t	i;

	for (i = 0; list != NULL && i < list->n; i++) {
		if (i > 0)
			hv_buf_puts(b, sep);
		hv_buf_puts(b, hv_node_text(list->items[i], shown));
	}
}

int
hv_hc_only(const char *s, const char *set)
{
	return s != NULL && *s != '\0' && s[strspn(s, set)] == '\0';
}
