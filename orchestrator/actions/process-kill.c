/*
 * process-kill.c - process.kill: signal processes on targets by name or
 * command line. SIGSTOP is a fault: the pids it stopped are kept in a
 * state file, and its revert sends SIGCONT to those and no others (not to
 * a process of that name that was stopped before, by someone else); a
 * stopped process that is gone since is no failure. Other signals cannot
 * be undone, so bring the service back with a rollback.
 */
#include <regex.h>
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

#define SIGNALS	"KILL|TERM|INT|HUP|QUIT|STOP|CONT|USR1|USR2"

static const struct hv_param params[] = {
	{ "name", HV_T_STR, 0, NULL, NULL,
	    "the exact process name (as in ps -o comm: 15 bytes at most)" },
	{ "pattern", HV_T_STR, 0, NULL, NULL,
	    "an extended regex on the full command line (pgrep -f)" },
	{ "signal", HV_T_STR, 0, "KILL", SIGNALS, "the signal to send" },
	{ "oldest", HV_T_BOOL, 0, "false", NULL,
	    "only the oldest matching process" },
	{ "timeout", HV_T_DURATION, 0, "15s", NULL, "for the command" },
	{ NULL }
};

/* Whether sig is one of SIGNALS. */
static int
is_signal(const char *sig)
{
	const char	*p = SIGNALS;
	size_t		 n = strlen(sig);

	for (;;) {
		if (strncmp(p, sig, n) == 0 && (p[n] == '|' || p[n] == '\0'))
			return n > 0;
		if ((p = strchr(p, '|')) == NULL)
			return 0;
		p++;
	}
}

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*pat = hv_arg_str(call, "pattern");
	const char	*sig = hv_arg_str(call, "signal");
	regex_t		 re;
	int		 rc;

	if (hv_arg_has(call, "name") == hv_arg_has(call, "pattern"))
		return hv_error(err, "give exactly one of name and pattern");
	/* A name as the kernel keeps it (comm): 15 bytes at most. */
	if (hv_hc_check_name("name", hv_arg_str(call, "name"),
	    "a process name", NULL, 15, 0, err) == -1)
		return -1;
	if (sig != NULL && !is_signal(sig))
		return hv_hc_bad(err, "signal", sig, "is not one of "
		    SIGNALS);
	if (pat == NULL)
		return 0;
	if (*pat == '\0' || strlen(pat) > 1024 ||
	    strcspn(pat, "\n\r") != strlen(pat))
		return hv_hc_bad(err, "pattern", pat, "is not a pattern (one "
		    "line, 1024 bytes at most)");
	/* pgrep's own regular expressions: extended, as it compiles them. */
	if ((rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB)) != 0) {
		char	msg[128];

		regerror(rc, &re, msg, sizeof msg);
		return hv_hc_bad(err, "pattern", pat, "is not an extended "
		    "regular expression: %s", msg);
	}
	regfree(&re);
	return 0;
}

/*
 * pgrep -f matches whole command lines, and the shell that runs this
 * command carries the pattern on its own command line: it would match
 * itself, as would any other shell of havoc's on the host. So the
 * pattern is written in octal escapes that printf (a shell builtin)
 * decodes: it is on no command line but pgrep's own, which pgrep skips.
 * Plans and the journal show it plainly.
 */
static void
pattern_arg(struct hv_buf *b, const struct hv_call *call, const char *pat)
{
	const unsigned char	*p;

	if (call->shown) {
		hv_shell_quote(b, pat);
		return;
	}
	hv_buf_puts(b, "\"$(printf '");
	for (p = (const unsigned char *)pat; *p != '\0'; p++)
		hv_buf_printf(b, "\\%03o", *p);
	hv_buf_puts(b, "')\"");
}

/*
 * hv_signal SIGNAL name NAME | pattern ERE [oldest]: never havoc's own
 * processes; for STOP, only those not stopped already, with their pids
 * kept for the revert, hv_cont (SIGCONT to exactly those).
 */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*name = hv_arg_str(call, "name");

	if (check(call, err) == -1)
		return -1;
	if (revert) {
		hv_buf_puts(b, "hv_cont");
		return 0;
	}
	hv_hc_words(b, "hv_signal", hv_arg_str(call, "signal"), (char *)NULL);
	if (name != NULL) {
		hv_buf_puts(b, " name ");
		hv_shell_quote(b, name);
	} else {
		hv_buf_puts(b, " pattern ");
		pattern_arg(b, call, hv_arg_str(call, "pattern"));
	}
	if (hv_arg_bool(call, "oldest"))
		hv_buf_puts(b, " oldest");
	return 0;
}

static int
is_fault(const struct hv_call *call)
{
	return strcmp(hv_arg_str(call, "signal"), "STOP") == 0;
}

const struct hv_driver hv_action_process_kill = {
	.name = "process.kill",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "signal processes by name or command line (STOP is "
	    "reverted with CONT)",
	.params = params,
	.check = check,
	.command = command,
	.is_fault = is_fault,
	.revert = hv_remote_revert,
};
