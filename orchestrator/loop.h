/*
 * loop.h - the one event loop: file descriptors, timers and signals.
 *
 * Everything havoc does concurrently (HTTP through libcurl's multi
 * interface, child processes through pidfds, SSH sessions through
 * libssh2's non-blocking sockets) is a file descriptor or a timer here.
 * There are no threads. Callbacks run from hv_loop_run() only, one at a
 * time; a callback may add or remove descriptors and timers, including
 * its own.
 *
 * Code that reads top to bottom (the runner) starts work, then calls
 * hv_loop_run() with a condition; the loop returns when the condition
 * holds, at a deadline, or when SIGINT or SIGTERM arrived.
 */
#ifndef HV_LOOP_H
#define HV_LOOP_H

#include <stdint.h>

struct hv_loop;
struct hv_timer;

typedef void (*hv_fd_cb)(int fd, short revents, void *arg);
typedef void (*hv_timer_cb)(void *arg);
/* A condition for hv_loop_run(): nonzero when the caller may go on. */
typedef int (*hv_cond_cb)(void *arg);

/* Slots where a library seam keeps its per-loop state (curl, ssh, aws). */
enum hv_loop_slot {
	HV_SLOT_HTTP,
	HV_SLOT_SSH,
	HV_SLOT_AWS,
	HV_SLOT_MAX
};

/* A new loop; hv_loop_free() accepts NULL and runs the atfree hooks. */
struct hv_loop	*hv_loop_new(void);
void		 hv_loop_free(struct hv_loop *);

/*
 * Watches fd for events (POLLIN, POLLOUT); events 0 stops watching. A
 * second call for the same fd replaces the events, callback and argument.
 */
void	 hv_loop_fd(struct hv_loop *, int fd, short events, hv_fd_cb, void *);

/*
 * A one-shot timer after delay_ms (0 runs on the next turn). The returned
 * pointer is borrowed: it is valid until the timer fires or is cancelled.
 */
struct hv_timer	*hv_loop_timer(struct hv_loop *, int64_t delay_ms,
		    hv_timer_cb, void *);
/* Cancels a pending timer; accepts NULL. Must not be called after fire. */
void	 hv_loop_cancel(struct hv_loop *, struct hv_timer *);

/*
 * Runs callbacks until cond(arg) is nonzero (returns 0), the monotonic
 * deadline passes (returns 1; deadline < 0 means none) or a signal that
 * hv_loop_catch_signals() watches arrived (returns 2). cond may be NULL
 * to run until the deadline. The condition is checked before waiting.
 */
int	 hv_loop_run(struct hv_loop *, hv_cond_cb, void *, int64_t deadline);

/*
 * Catches SIGINT, SIGTERM and SIGHUP through a self-pipe. After one
 * arrived, hv_loop_signal() returns its number until cleared, and
 * hv_loop_run() returns 2 at once; code that must finish its work anyway
 * (rollbacks) calls hv_loop_clear_signal() and goes on.
 */
int	 hv_loop_catch_signals(struct hv_loop *);
int	 hv_loop_signal(struct hv_loop *);
void	 hv_loop_clear_signal(struct hv_loop *);
/* Makes hv_loop_run() return 2 as if a signal came; for tests and halt. */
void	 hv_loop_raise(struct hv_loop *, int sig);

/* A borrowed per-loop slot for a library seam's state. */
void	**hv_loop_slot(struct hv_loop *, enum hv_loop_slot);
/* Runs fn(arg) when the loop is freed, in reverse order of registration. */
void	 hv_loop_atfree(struct hv_loop *, void (*)(void *), void *);

#endif
