/*
 * runner.h - one run of an experiment, as SPEC.md's run semantics say:
 * plan, steady state before, method (with watch, alerts and the abort
 * probe sampled alongside), steady state after, alerts, rollbacks that
 * always run, verdict. Everything goes to the store as it happens.
 *
 * The runner is a library: the command line (`havoc run`), the game-day
 * scheduler and the tests call hv_run() and learn what happens through
 * events. The files behind it follow the phases: runner.c (the phases in
 * order and the verdict), run-call.c (driver calls and steps on their
 * targets), run-faults.c (the fault journal, fault windows and reverts),
 * run-watch.c (watch, the abort probe, time to recover), run-alerts.c
 * (expected alerts, time to detect), recover.c (`havoc recover`).
 */
#ifndef HV_RUNNER_H
#define HV_RUNNER_H

#include <stdint.h>

struct hv_buf;
struct hv_experiment;
struct hv_store;
struct hv_loop;

/* Exit codes of run and gameday. */
#define HV_EXIT_OK		0	/* the hypothesis held */
#define HV_EXIT_DEVIATED	1
#define HV_EXIT_ABORTED		2
#define HV_EXIT_ROLLBACK	3	/* faults may still be active */
#define HV_EXIT_USAGE		64
#define HV_EXIT_DATAERR		65
#define HV_EXIT_NOINPUT		66	/* no database, no such file */

enum hv_event_kind {
	HV_EV_RUN,	/* the run is recorded: run, step (the title) */
	HV_EV_PHASE,	/* a phase begins: phase */
	HV_EV_STEP,	/* a step begins: phase, step, driver */
	HV_EV_CALL,	/* one call of a step ended: target, ok, ms */
	HV_EV_SAMPLE,	/* a watch sample: step (the probe), target, ok, ms */
	HV_EV_ALERT,	/* an expected alert settled: step, state, ms (ttd) */
	HV_EV_FAULT,	/* a fault changed state: driver, target, state */
	HV_EV_NOTE,	/* anything else a person should see: text */
	HV_EV_VERDICT	/* the end: state (status), exit_code, text */
};

/*
 * What happens in a run, as it happens. Strings are borrowed for the
 * call only, and are shown spellings: a secret is never in an event.
 * text is always set: one line for a person, such as the command line
 * prints; the other fields are for programs (NULL or 0 where they do not
 * apply).
 */
struct hv_event {
	enum hv_event_kind kind;
	int64_t		 run;		/* runs.id, 0 before it exists */
	int64_t		 at;		/* wall ms */
	int64_t		 elapsed_ms;	/* since the run began */
	const char	*phase;		/* HV_PHASE_* of store.h */
	const char	*step;		/* step, probe or alert name */
	const char	*driver;
	const char	*target;	/* host name */
	const char	*state;		/* call: ok|failed; alert and fault
					   states of store.h; verdict: the
					   run's status */
	int		 ok;
	double		 ms;		/* latency, duration or time to detect
					   (< 0: none) */
	int		 exit_code;	/* verdict only */
	const char	*text;
};

typedef void (*hv_run_event_cb)(const struct hv_event *, void *arg);

/*
 * A handle to stop a run from outside, without a process signal: the
 * caller owns it, passes it in hv_run_opts and may call
 * hv_run_request_stop() from any loop callback while the run goes on
 * (a timer, a signal it handles, a socket). The run then stops its
 * method and rolls back, as for SIGTERM.
 */
struct hv_run_ctl {
	int		 stop;
	char		 reason[128];
};

void	 hv_run_request_stop(struct hv_run_ctl *, const char *reason);

struct hv_run_opts {
	uint64_t	 seed;
	int		 have_seed;
	int64_t		 gameday;	/* gamedays.id, or 0 */
	/* Events; NULL: hv_run_log_event (the command line's lines). */
	hv_run_event_cb	 on_event;
	void		*event_arg;
	struct hv_run_ctl *ctl;		/* or NULL */
	/*
	 * A signal the loop caught (hv_loop_catch_signals) while the run
	 * waits: with on_signal NULL, SIGINT, SIGTERM and SIGHUP stop the
	 * run (during the rollbacks they are noted and the rollbacks
	 * finish). Otherwise on_signal decides: it returns 1 to stop the
	 * run, 0 to go on (a scheduler reloads on SIGHUP and goes on).
	 */
	int		(*on_signal)(int sig, void *arg);
	void		*signal_arg;
};

struct hv_run_result {
	int64_t		 run;		/* runs.id, or 0 if none was made */
	int		 exit_code;
	const char	*status;	/* HV_RUN_* */
	int		 deviated;
	char		*reason;	/* new: one line, or NULL */
	uint64_t	 seed;
};

/*
 * Runs x, recording into st. The loop must have its signals caught
 * (hv_loop_catch_signals) for SIGINT and SIGTERM to roll back cleanly.
 * Returns the exit code, also in res.
 */
int	 hv_run(struct hv_experiment *, struct hv_store *, struct hv_loop *,
	    const struct hv_run_opts *, struct hv_run_result *res);
void	 hv_run_result_release(struct hv_run_result *);

/* The default event handler: progress lines on stderr through hv_log. */
void	 hv_run_log_event(const struct hv_event *, void *arg);

/* Whether pid is a havoc still running on this machine. */
int	 hv_run_alive(int pid);

/*
 * Reverts every fault in the journal not yet reverted: of one run (run >
 * 0), or of every run whose process is gone (run 0). Returns the number
 * of faults that could not be reverted (0: all clean), or -1 on a store
 * error (err says why).
 */
int	 hv_recover(struct hv_store *, struct hv_loop *, int64_t run,
	    int force, struct hv_buf *err);

#endif
