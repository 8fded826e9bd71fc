/*
 * remote.h - SSH actions and probes: a driver's shell command run on its
 * target host through the SSH engine, with the host's dead-man switch.
 *
 * An SSH action file declares its parameters and a command hook
 * (driver.h) that writes the shell command doing or undoing the work,
 * and points start, revert, describe and cancel at the hooks below.
 *
 * The dead-man switch: when a fault is injected, the same SSH command
 * first arms a timer on the host itself, a detached shell that sleeps for
 * safety.dead_man and then runs the revert. It is armed before the
 * fault, so it also fires when the fault cuts the host off from havoc, or
 * when havoc dies. A revert runs the revert command and, if that worked,
 * disarms the timer. The timer's revert and havoc's take turns (flock on
 * a lock file of the fault's own), so that neither runs over the other
 * and havoc never stops a timer in the middle of its revert.
 */
#ifndef HV_REMOTE_H
#define HV_REMOTE_H

#include "driver.h"
#include "ssh.h"

struct hv_host;

/* Where the dead-man timers keep their pid files on a host. */
#define HV_REMOTE_DIR	"/tmp/havoc"

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
 * the host: the driver's command, for a fault with the dead-man timer
 * armed before it or disarmed after it. Appended to out; -1 with
 * call->err set when the driver cannot make it.
 */
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
