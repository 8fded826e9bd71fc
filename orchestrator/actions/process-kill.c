/*
 * process-kill.c - process.kill: signal processes on targets by name or
 * command line. SIGSTOP is a fault: the pids it stopped are kept in a
 * state file, and its revert sends SIGCONT to those and no others (not to
 * a process of that name that was stopped before, by someone else); a
 * stopped process that is gone since is no failure. Other signals cannot
 * be undone, so bring the service back with a rollback.
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

#define SIGNALS	"KILL|TERM|INT|HUP|QUIT|STOP|CONT|USR1|USR2"

static const struct hv_param params[] = {
	{ "name", HV_T_STR, 0, NULL, NULL,
	    "the exact process name (pkill -x)" },
	{ "pattern", HV_T_STR, 0, NULL, NULL,
	    "an extended regex on the full command line (pkill -f)" },
	{ "signal", HV_T_STR, 0, "KILL", SIGNALS, "the signal to send" },
	{ "oldest", HV_T_BOOL, 0, "false", NULL,
	    "only the oldest matching process" },
	{ "timeout", HV_T_DURATION, 0, "15s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	if (hv_arg_has(call, "name") == hv_arg_has(call, "pattern"))
		return hv_error(err, "give exactly one of name and pattern");
	return 0;
}

/*
 * pkill -f matches whole command lines, and the shell that runs this
 * command carries the pattern on its own command line, as does the
 * dead-man timer whose revert signals the same pattern: pkill would
 * signal them too (the action then "fails", killed by its own signal, or
 * hangs, stopped). So the pattern is written in octal escapes that printf
 * decodes: it is on no command line but pkill's own, which pkill skips.
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

/* The process selection: "-x NAME" or "-f PATTERN", with -o. */
static void
selection(struct hv_buf *b, const struct hv_call *call)
{
	const char	*name = hv_arg_str(call, "name");

	hv_buf_printf(b, "%s%s ", hv_arg_bool(call, "oldest") ? "-o " : "",
	    name != NULL ? "-x" : "-f");
	if (name != NULL)
		hv_shell_quote(b, name);
	else
		pattern_arg(b, call, hv_arg_str(call, "pattern"));
}

/*
 * STOP of the matching processes not stopped already, and their pids
 * in the state file:
 *   STATE DIR; p=; for q in $(pgrep SEL); do
 *     case STATE OF q in [Tt]*) ;; *) p="$p $q";; esac; done
 *   [ -n "$p" ] || { no match; exit 1; }; echo $p >F; kill -STOP $p
 * CONT to exactly those, when the file is ours:
 *   if [ ! -h F ] && [ -O F ]; then kill -CONT $(cat F); rm -f F; fi
 */
static void
stop_cont(struct hv_buf *b, const struct hv_call *call, int revert)
{
	struct hv_buf	f = HV_BUF_INIT;

	hv_hc_state_path(&f, call, "stopped");
	if (revert) {
		hv_buf_puts(b, "if [ ! -h ");
		hv_shell_quote(b, f.s);
		hv_buf_puts(b, " ] && [ -O ");
		hv_shell_quote(b, f.s);
		hv_buf_puts(b, " ]; then for p in $(cat ");
		hv_shell_quote(b, f.s);
		hv_buf_puts(b, "); do kill -CONT \"$p\" 2>/dev/null; done; "
		    "rm -f ");
		hv_shell_quote(b, f.s);
		hv_buf_puts(b, "; fi");
	} else {
		hv_hc_need(b, call, "pgrep");
		hv_hc_state_dir(b);
		hv_buf_puts(b, "; p=; for q in $(pgrep ");
		selection(b, call);
		hv_buf_puts(b, "); do case $(sed 's/.*) //' \"/proc/$q/stat\" "
		    "2>/dev/null) in [Tt]*) ;; *) p=\"$p $q\";; esac; done; "
		    "[ -n \"$p\" ] || { echo 'no running process matched' "
		    ">&2; exit 1; }; echo $p >");
		hv_shell_quote(b, f.s);
		hv_buf_puts(b, " && kill -STOP $p");
	}
	hv_buf_release(&f);
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*sig = hv_arg_str(call, "signal");

	if (check(call, err) == -1)
		return -1;
	if (revert || strcmp(sig, "STOP") == 0) {
		stop_cont(b, call, revert);
		return 0;
	}
	hv_hc_need(b, call, "pkill");
	hv_buf_printf(b, "pkill -%s ", sig);
	selection(b, call);
	/* pkill says nothing when nothing matched: say it. */
	hv_buf_puts(b, "; rc=$?; [ $rc != 1 ] || echo 'no process matched' "
	    ">&2; [ $rc = 0 ]");
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
	.ssh = 1,
	.summary = "signal processes by name or command line (STOP is "
	    "reverted with CONT)",
	.params = params,
	.check = check,
	.command = command,
	.is_fault = is_fault,
	.start = hv_remote_start,
	.revert = hv_remote_revert,
	.describe = hv_remote_describe,
	.cancel = hv_remote_cancel,
};
