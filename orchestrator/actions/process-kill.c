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
	    "the exact process name (pgrep -x)" },
	{ "pattern", HV_T_STR, 0, NULL, NULL,
	    "an extended regex on the full command line (pgrep -f)" },
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
 * pgrep -f matches whole command lines, and the shell that runs this
 * command carries the pattern on its own command line: it would match
 * itself. So the pattern is written in octal escapes that printf
 * decodes: it is on no command line but pgrep's own, which pgrep skips.
 * (This shell, its parent and havoc's marked processes are left out
 * too, for what else their command lines hold.) Plans and the journal
 * show it plainly.
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

/* The process selection of pgrep: "-x NAME" or "-f PATTERN". */
static void
selection(struct hv_buf *b, const struct hv_call *call)
{
	const char	*name = hv_arg_str(call, "name");

	hv_buf_puts(b, name != NULL ? "-x " : "-f ");
	if (name != NULL)
		hv_shell_quote(b, name);
	else
		pattern_arg(b, call, hv_arg_str(call, "pattern"));
}

/*
 * Signals the matching processes; for STOP, only those not stopped
 * already, with their pids kept in the state file F. Never havoc's own:
 * not this shell, not its parent (the SSH session), not a process that
 * carries a HAVOC_JOB mark (a dead-man timer of this or another fault,
 * whose "sleep" a pattern may match, a background fault).
 *   [STATE DIR;] p=; for q in $(pgrep SEL); do
 *     [ $q = $$ ] || [ $q = $PPID ] || MARKED q && continue
 *     [for STOP: case STATE OF q in [Tt]*) continue;; esac]
 *     p="$p $q"; done
 *   [oldest: p=$(ps -o pid= --sort=start_time -p LIST | head -n 1)]
 *   [ -n "$p" ] || { no match; exit 1; }
 *   [for STOP: echo $p >F &&] n=; for q in $p; do
 *     kill -SIG $q 2>/dev/null && n=1; done; [ -n "$n" ]
 */
static void
signal_cmd(struct hv_buf *b, const struct hv_call *call, const char *sig,
    const char *state)
{
	int	stop = strcmp(sig, "STOP") == 0;

	hv_hc_need(b, call, "pgrep");
	if (stop) {
		hv_hc_state_dir(b);
		hv_buf_puts(b, "; ");
	}
	hv_buf_puts(b, "p=; for q in $(pgrep ");
	selection(b, call);
	hv_buf_puts(b, "); do { [ \"$q\" = $$ ] || [ \"$q\" = \"$PPID\" ] || "
	    "tr '\\0' '\\n' 2>/dev/null <\"/proc/$q/environ\" | "
	    "grep -q '^HAVOC_JOB='; } && continue; ");
	if (stop)
		hv_buf_puts(b, "case $(sed 's/.*) //' \"/proc/$q/stat\" "
		    "2>/dev/null) in [Tt]*) continue;; esac; ");
	hv_buf_puts(b, "p=\"$p $q\"; done; ");
	if (hv_arg_bool(call, "oldest"))
		hv_buf_puts(b, "[ -z \"$p\" ] || p=$(ps -o pid= "
		    "--sort=start_time -p \"$(echo $p | tr ' ' ,)\" | "
		    "head -n 1); ");
	hv_buf_printf(b, "[ -n \"$p\" ] || { echo 'no %sprocess matched' "
	    ">&2; exit 1; }; ", stop ? "running " : "");
	if (stop) {
		hv_buf_puts(b, "echo $p >");
		hv_shell_quote(b, state);
		hv_buf_puts(b, " && ");
	}
	hv_buf_printf(b, "n=; for q in $p; do kill -%s \"$q\" 2>/dev/null "
	    "&& n=1; done; [ -n \"$n\" ] || { echo 'every process "
	    "matched is gone' >&2; exit 1; }", sig);
}

/* CONT to exactly the pids STOP kept, when the state file is ours. */
static void
cont_cmd(struct hv_buf *b, const char *state)
{
	hv_buf_puts(b, "if [ ! -h ");
	hv_shell_quote(b, state);
	hv_buf_puts(b, " ] && [ -O ");
	hv_shell_quote(b, state);
	hv_buf_puts(b, " ]; then for p in $(cat ");
	hv_shell_quote(b, state);
	hv_buf_puts(b, "); do kill -CONT \"$p\" 2>/dev/null; done; rm -f ");
	hv_shell_quote(b, state);
	hv_buf_puts(b, "; fi");
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	struct hv_buf	state = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	hv_hc_state_path(&state, call, "stopped");
	if (revert)
		cont_cmd(b, state.s);
	else
		signal_cmd(b, call, hv_arg_str(call, "signal"), state.s);
	hv_buf_release(&state);
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
