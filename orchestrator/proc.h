/*
 * proc.h - local child processes on the loop.
 *
 * A child runs in its own process group with stdin from /dev/null (or a
 * given string), its stdout and stderr captured up to HV_OUTPUT_MAX each,
 * and a timeout after which the whole group gets SIGTERM and, two seconds
 * later, SIGKILL (what is left of it gets SIGKILL as soon as the child
 * itself has ended). Exit is noticed through a pidfd: no SIGCHLD handler.
 * Commands are argv vectors handed to execvp: no shell is involved unless
 * the caller runs one on purpose.
 */
#ifndef HV_PROC_H
#define HV_PROC_H

#include <stdint.h>

#include "util.h"

struct hv_loop;
struct hv_proc;

struct hv_proc_res {
	int		 exited;	/* 1 when it exited on its own */
	int		 status;	/* exit code when exited */
	int		 signal;	/* the signal that ended it, or 0 */
	int		 timed_out;
	struct hv_buf	 out;
	struct hv_buf	 err;
	int64_t		 elapsed_ms;
};

typedef void (*hv_proc_cb)(struct hv_proc *, void *);

/*
 * Starts argv[0] (looked up in PATH, or relative to cwd when it has a
 * slash) in cwd (NULL: havoc's own) with the given arguments. cb runs
 * from the loop once the child has ended and its output is read. Returns
 * NULL with a message in err when the process could not be started.
 */
struct hv_proc	*hv_proc_start(struct hv_loop *, char *const argv[],
		    const char *cwd, const char *input, int64_t timeout_ms,
		    hv_proc_cb, void *, struct hv_buf *err);
/* Borrowed; valid until hv_proc_free(). */
const struct hv_proc_res *hv_proc_result(const struct hv_proc *);
/* Ends the child now (SIGTERM, then SIGKILL); cb still runs. */
void		 hv_proc_kill(struct hv_proc *);
/* Frees; a child still running is killed and reaped. Accepts NULL. */
void		 hv_proc_free(struct hv_proc *);

/*
 * Starts a child that outlives havoc: detached (own session, stdio on
 * /dev/null), not tracked by the loop. Returns its pid, or -1.
 */
int		 hv_proc_spawn_detached(char *const argv[], struct hv_buf *err);

#endif
