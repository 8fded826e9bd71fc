/*
 * remote.h - SSH actions and probes: a driver's shell command run on its
 * target host through the SSH engine, with the host's dead-man switch.
 *
 * An SSH action file declares its parameters and a command hook
 * (driver.h) that writes the shell command doing or undoing the work,
 * and points start, revert, describe and cancel at the hooks below.
 *
 * A fault's inject and revert take turns on the host, whatever happens
 * to havoc or to the SSH channel (cancelling a call only closes its
 * channel: the command goes on on the host). Both run under a lock of
 * the fault's own (flock on HV_REMOTE_DIR/TAG.lock):
 *
 *   - the inject takes the lock (waiting half its timeout at most), does
 *     nothing when a revert of the fault has begun (the mark TAG.reverting
 *     or TAG.reverted), arms the dead-man timer, then injects, holding
 *     the lock to its end, even when the channel closes meanwhile;
 *   - a revert takes the lock (waiting half its timeout at most, else it
 *     fails and the timer stays armed), marks TAG.reverting (an inject
 *     that comes later does nothing), reverts, and when that worked marks
 *     TAG.reverted and disarms the timer. A fault marked reverted is not
 *     reverted again (a second revert after a lost store update, the
 *     rollbacks after a duration's revert, recover after the timer): it
 *     succeeds at once, so every revert is idempotent.
 *
 * The dead-man switch: the timer is a detached shell on the host that
 * sleeps for safety.dead_man, then runs the revert the same way (the
 * lock, the marks). It is armed before the fault, so it also fires when
 * the fault cuts the host off from havoc, or when havoc dies. Marks are
 * removed by the inject of a later fault once they are a week old.
 *
 * The commands are calls of the shell function library (hostlib.sh,
 * hostcmd.h): hv_inject and hv_undo.
 */
#ifndef HV_REMOTE_H
#define HV_REMOTE_H

#include "driver.h"
#include "ssh.h"

struct hv_host;

/*
 * Where havoc keeps its state on a host: HV_REMOTE_DIR for what lasts as
 * long as the host runs (pid files of dead-man timers and background
 * faults, each fault's lock and marks), HV_KEEP_DIR for what must
 * outlive a reboot (the copy of a tampered file, a stopped service's
 * mark). Both are the SSH user's own (mode 700), never trusted when they
 * are links or another user's.
 */
#define HV_REMOTE_DIR	"/tmp/havoc"
#define HV_KEEP_DIR	"/var/tmp/havoc"

/*
 * The exit status of a host command that could not act yet: an inject
 * whose revert has begun, a revert whose inject (or dead-man timer)
 * still holds the fault's lock. A call that ends so is marked again.
 */
#define HV_REMOTE_NOT_YET	75

/* The hooks of every SSH command action. */
int	 hv_remote_start(struct hv_call *);
int	 hv_remote_revert(struct hv_call *);
void	 hv_remote_describe(const struct hv_call *, int revert,
	    struct hv_buf *);
void	 hv_remote_cancel(struct hv_call *);

/*
 * How long a call's command may run: the step's own timeout:, else the
 * ssh: command_timeout (of the experiment, or the fault journal's host),
 * else the driver's default timeout.
 */
int64_t	 hv_remote_timeout(const struct hv_call *);

/*
 * The whole command that start (revert 0) or revert (revert 1) sends to
 * the host: the driver's command with the library functions it calls,
 * for a fault run by hv_inject or hv_undo (above). Appended to out; -1
 * with call->err set when the driver cannot make it, or when it is
 * longer than HV_REMOTE_MAX (sshd gives it to the shell as one argument,
 * and Linux takes 128 KiB at most).
 */
#define HV_REMOTE_MAX	(120 * 1024)
int	 hv_remote_command(struct hv_call *, int revert, struct hv_buf *out);

/*
 * The SSH destination of a host: its own settings, else the experiment's
 * (ctx->exp may be NULL: then the host's settings are complete, as a
 * revert rebuilt from the journal has them). Strings are borrowed.
 */
void	 hv_remote_target(const struct hv_ctx *, const struct hv_host *,
	    struct hv_ssh_target *);

/*
 * Runs command on the call's host; when it ends, done(call, result)
 * judges the outcome and must end the call. -1 with call->err set when
 * it could not start.
 */
typedef void (*hv_remote_judge)(struct hv_call *, const struct hv_ssh_res *);
int	 hv_remote_exec(struct hv_call *, const char *command,
	    hv_remote_judge done);

/*
 * Connects to every host, checking host keys and authentication, and
 * waits (on the loop) until all have answered. Returns the number that
 * failed, each reason appended to err. Sessions stay open for the run.
 */
int	 hv_remote_check_hosts(struct hv_ctx *, const struct hv_host **,
	    size_t n, struct hv_buf *err);

#endif
