/*
 * runner.h - one run of an experiment, as SPEC.md's run semantics say:
 * plan, steady state before, method (with watch, alerts and the abort
 * probe sampled alongside), steady state after, alerts, rollbacks that
 * always run, verdict. Everything goes to the store as it happens.
 */
#ifndef HV_RUNNER_H
#define HV_RUNNER_H

#include <stdint.h>

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

struct hv_run_opts {
	uint64_t	 seed;
	int		 have_seed;
	int64_t		 gameday;	/* gamedays.id, or 0 */
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

/*
 * Reverts every fault in the journal not yet reverted: of one run (run >
 * 0), or of every run whose process is gone (run 0). Returns the number
 * of faults that could not be reverted (0: all clean), or -1 on a store
 * error (err says why).
 */
struct hv_buf;

/* Whether pid is a havoc still running on this machine. */
int	 hv_run_alive(int pid);

int	 hv_recover(struct hv_store *, struct hv_loop *, int64_t run,
	    int force, struct hv_buf *err);

#endif
