/*
 * run-int.h - what the files of the runner share (runner.h is the
 * library's face; this is its inside). Nothing outside runner.c and the
 * run-*.c files and recover.c includes it.
 *
 * One run is one struct runner. The phases are sequential code in
 * runner.c that starts work on the loop and then waits (hv_loop_run with
 * a condition) for what it needs. What happens meanwhile is driven by
 * the loop: the calls of a step on its targets, watch samples, alert
 * polls, and the end of fault windows, whose reverts start from the
 * loop at their time, whatever the sequential code is waiting for.
 *
 * A driver call on one target is a slot; the calls of one step (or the
 * reverts of one step's faults) are a batch. A batch is awaited by the
 * code that started it, or (reverts at the end of a window) ends on its
 * own and calls its on_end.
 */
#ifndef HV_RUN_INT_H
#define HV_RUN_INT_H

#include <stdint.h>

#include "driver.h"
#include "experiment.h"
#include "fault.h"
#include "plan.h"
#include "runner.h"

struct hv_loop;
struct hv_store;
struct hv_timer;
struct runner;
struct batch;
struct hv_fault_row;

/* One driver call: a step on one target, a sample, a poll, a revert. */
struct slot {
	struct hv_call	 call;
	struct runner	*r;
	void		(*on_done)(struct slot *);
	struct batch	*b;		/* batch slots */
	void		*owner;		/* the watcher or alert */
	struct hv_node	*with;		/* owned, resolved for the target */
	struct hv_node	*expect;
	struct hv_revert *rev;		/* revert slots */
	struct run_fault *fault;	/* the fault it injects or reverts */
	int64_t		 step_id;
	int64_t		 started_wall;
	struct hv_timer	*watchdog;
	/* Watch slots: the instance that replaced this one's host. */
	const struct hv_host *next_host;
	int		 busy;
	/* An action's inject, once its journal entry is written: */
	int		 change;	/* it changes a target (alerts) */
	struct run_faults *window;	/* its window's faults, or NULL */
	int64_t		 journal_since;	/* mono: waiting for the journal */
};

/* The calls of one step, started together and ended together. */
struct batch {
	struct runner	*r;
	const struct hv_step *step;	/* NULL for a batch of reverts */
	const char	*phase;
	struct slot	*slots;
	size_t		 n;
	size_t		 pending;
	size_t		 failed;
	/* A batch nobody waits for: called once its last call ended. */
	void		(*on_end)(struct batch *);
	void		*arg;
};

/* Where a fault of this run stands, as the runner knows it. */
enum run_fault_state {
	RF_PENDING,		/* journaled; the inject is under way */
	RF_ACTIVE,
	RF_INJECT_FAILED,	/* may be half done: reverted all the same */
	RF_REVERTING,
	RF_REVERTED,
	RF_REVERT_FAILED
};

/*
 * A fault, kept in memory as well as in the journal: what the rollbacks
 * revert comes from here, so that a journal that cannot be updated (a
 * full disk) never makes a revert run twice. The spec is the journal's
 * (fault.h): every revert is rebuilt from it, in a run and in recover.
 */
struct run_fault {
	int64_t		 id;		/* faults.id */
	int64_t		 run;
	char		*spec;
	char		*driver;
	char		*target;	/* host name, or NULL */
	char		*tag;		/* the step's: one step's faults
					   revert together */
	enum run_fault_state state;
	int		 again;		/* its last revert said: not yet */
};

struct run_faults {
	struct run_fault **v;
	size_t		 n;
};

/* A fault window: a duration after which a step's faults are reverted. */
struct window {
	struct runner	*r;
	const struct hv_step *step;
	struct run_faults faults;	/* borrowed from runner.faults */
	struct hv_timer	*timer;
	int		 due;		/* its time has come */
	int		 reverting;	/* its reverts are under way */
	int		 closed;	/* nothing left to revert */
};

struct round {
	int64_t		 at;		/* wall ms when the round started */
	int		 ok;
};

/* A watched probe, sampled on every target each watch interval. */
struct watcher {
	const struct hv_step *step;
	struct slot	*slots;
	size_t		 n;
	size_t		 inflight;
	int		 round_ok;
	int64_t		 round_at;
	int64_t		 failing_since;	/* mono ms of the first failing round */
	struct round	*rounds;
	size_t		 nrounds;
	int		 failures;
};

enum alert_state { ALERT_PENDING, ALERT_FIRED, ALERT_MISSED };

/* An expected alert, polled from the first change until it fires. */
struct alertw {
	struct runner	*r;
	const struct hv_step *step;
	struct slot	*slots;
	size_t		 n;
	size_t		 inflight;
	int		 round_ok;
	int		 round_error;	/* a poll failed, not just "no" */
	int64_t		 round_at;
	int64_t		 deadline;	/* mono */
	int64_t		 fired_at;	/* wall */
	enum alert_state state;
	struct hv_timer	*timer;
	struct hv_buf	 last;		/* why the last poll said no */
	char		 seen[16];	/* the probe's word: silenced, ... */
};

struct runner {
	struct hv_experiment *x;
	struct hv_store	*st;
	struct hv_loop	*loop;
	const struct hv_run_opts *o;
	struct hv_ctx	 ctx;
	struct hv_plan	 plan;
	int64_t		 run;
	int64_t		 t0;		/* mono at the start */
	int		 seq;		/* steps numbered for tags */
	char		 token[8];	/* random: tags differ across stores */
	const char	*phase;		/* HV_PHASE_* now */

	int		 stopping;	/* skip to the rollbacks */
	int		 in_rollback;
	char		*stop_reason;
	int		 deviated;
	char		*deviation;	/* the first reason */
	int		 rollback_failed;
	int		 store_failed;

	int64_t		 changed_wall;	/* first change to a target, or 0 */
	int64_t		 changed_mono;
	int		 in_silences;	/* setting silences: not a change */

	struct run_faults faults;	/* owned: every fault of the run */

	struct watcher	*watchers;
	size_t		 nwatchers;
	struct hv_timer	*watch_timer;
	int		 watching;

	struct alertw	*alerts;
	size_t		 nalerts;
	int		 alerts_started;
	int		 alerts_closed;	/* no more polls */
	struct hv_timer	*alerts_timer;	/* starts the polls */

	struct window	**windows;
	size_t		 nwindows;
	size_t		 reverts_inflight;	/* window batches under way */

	/* Writes waiting for another process's database lock. */
	struct hv_timer	*store_timer;
	int64_t		 store_backoff;
	struct slot	**journal_wait;	/* injects waiting for the journal */
	size_t		 njournal_wait;
};

/* runner.c: progress, stops and deviations, events. */
void	 run_note(struct runner *, const char *, ...) HV_PRINTF(2, 3);
void	 run_stop(struct runner *, const char *, ...) HV_PRINTF(2, 3);
void	 run_deviate(struct runner *, const char *, ...) HV_PRINTF(2, 3);
/* Sends an event, with run, times and (if unset) phase filled in. */
void	 run_event(struct runner *, struct hv_event *);
/* Logs a store error; the run goes on, but cannot end "held". */
void	 run_store_check(struct runner *, int rc, struct hv_buf *err);
/* Turns a signal the loop caught into a stop (or not: hv_run_opts). */
void	 run_check_signal(struct runner *);
/* Whether the run is stopping; folds in a stop asked through the ctl. */
int	 run_stopping(struct runner *);
/* hv_loop_run() that hands signals to run_check_signal(). */
void	 run_wait(struct runner *, int (*cond)(void *), void *arg,
	    int64_t deadline);

/* run-store.c: the store never holds up the loop. */
void	 run_store_start(struct runner *);
/* Writes what waits, waiting on the loop (bounded); then blocking again. */
void	 run_store_end(struct runner *);
/* An inject waits for its journal entry (the database is locked). */
void	 run_journal_wait(struct runner *, struct slot *);
/* A stop: injects still waiting for the journal are not made. */
void	 run_journal_cancel(struct runner *, const char *why);

/* run-call.c: slots and batches. */
int	 run_slot_prepare(struct runner *, struct slot *,
	    const struct hv_step *, const struct hv_host *, struct hv_buf *);
void	 run_slot_start(struct slot *, int revert);
/* An inject whose journal entry is written: starts it. */
void	 run_slot_launch(struct runner *, struct slot *);
/* Ends a slot that was never started (its fault was not injected). */
void	 run_slot_abandon(struct slot *, const char *why);
void	 run_slot_release(struct slot *);
struct batch *run_batch_new(struct runner *, const struct hv_step *,
	    const char *phase, size_t n);
void	 run_batch_free(struct batch *);
/* Waits for every call of a batch (see run-call.c on cancelling). */
void	 run_batch_wait(struct runner *, struct batch *);
/* The end of a call in a batch: store, journal, progress. */
void	 run_batch_call_done(struct slot *);
/* Calls a batch's on_end from the loop (its calls have all ended). */
void	 run_batch_end_later(struct batch *);
/* Records the start of a call as a step row. */
void	 run_record_begin(struct runner *, struct slot *, const char *phase,
	    const char *kind, const char *name);
/* Runs a step on all its targets and waits; the number that failed.
 * The faults it made are added to faults (if not NULL). */
size_t	 run_step(struct runner *, const struct hv_step *, const char *phase,
	    struct run_faults *faults);
/* A slot per target of a probe step, for watch and alerts. */
struct slot *run_probe_slots(struct runner *, const struct hv_step *,
	    void *owner, void (*on_done)(struct slot *), size_t *count);

/* run-faults.c: the journal, windows and reverts. */
/*
 * Journals a fault about to be injected: 0 written, 1 the database is
 * locked (try again later), -1 it cannot be (the fault must not be made).
 */
int	 run_fault_record(struct runner *, struct slot *, struct hv_buf *);
/* The inject of a slot ended (ok or not). */
void	 run_fault_injected(struct runner *, struct slot *);
void	 run_faults_add(struct run_faults *, struct run_fault *);
void	 run_faults_release(struct run_faults *, int free_items);
struct run_fault *run_fault_from_row(const struct hv_fault_row *);
void	 run_fault_free(struct run_fault *);
/*
 * Starts the reverts of faults (one batch, all at once) and waits for
 * them; the number that failed.
 */
size_t	 run_revert_faults(struct runner *, struct run_fault **, size_t n,
	    const char *phase);
/* An action step with a duration: inject, hold, revert at its time. */
void	 run_fault_window(struct runner *, const struct hv_step *);
/* After the method: waits until every window has been reverted. */
void	 run_windows_wait(struct runner *);
/* At the rollbacks: stops the windows' timers, waits for their reverts. */
void	 run_windows_close(struct runner *);
/* Reverts every fault of the run not yet reverted, newest step first. */
void	 run_revert_all(struct runner *);
void	 run_windows_free(struct runner *);
/* Whether two faults came from one step (they revert together). */
int	 run_same_step(const char *spec_a, const char *spec_b);

/* run-watch.c */
void	 run_watch_start(struct runner *);
/* Old was replaced by h (a rotation): watchers sample h from now on. */
void	 run_watch_adopt(struct runner *, const struct hv_host *old,
	    const struct hv_host *h);
void	 run_watch_stop(struct runner *);
void	 run_watch_figures(struct runner *);
void	 run_watch_free(struct runner *);

/* run-alerts.c */
/* A step changed a target: alerts are timed (and polled) from the first. */
void	 run_note_change(struct runner *);
/* Before the method: every alert's probe answers (a "no" is fine). */
void	 run_alerts_check(struct runner *);
void	 run_alerts_wait(struct runner *);
void	 run_alerts_finish(struct runner *);
void	 run_alerts_free(struct runner *);

#endif
