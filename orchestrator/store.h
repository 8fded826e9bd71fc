/*
 * store.h - the SQLite history: runs, steps, samples, the fault journal,
 * alerts, figures and game days. store.c is the only user of sqlite3.
 *
 * One file in WAL mode, schema versioned with PRAGMA user_version and
 * migrated forward on open (never backward: a newer file is refused).
 * Only prepared statements. Every write is its own transaction unless the
 * caller wraps several in hv_store_begin()/hv_store_commit(); a fault
 * record is committed (synchronous=FULL) before the fault is injected.
 *
 * Times are wall-clock milliseconds since the epoch; durations are
 * milliseconds. Text the store is given must already be free of secrets:
 * callers pass shown spellings (see node.h), never real ones.
 *
 * Reads return jansson values (new references, caller decrefs), the
 * vocabulary shared with `havoc show`, the journal and the reports.
 */
#ifndef HV_STORE_H
#define HV_STORE_H

#include <stdint.h>

#include "util.h"

struct hv_store;
struct json_t;

#define HV_STORE_SCHEMA	5

/* How to open a store. */
#define HV_STORE_CREATE		0x1	/* make the file if it is missing */
#define HV_STORE_READONLY	0x2	/* never write (reads only) */

/* hv_store_open_mode(): no file at the path, and CREATE not asked. */
#define HV_STORE_NOFILE		(-2)

/*
 * Opens the database at path, migrating it forward (a read-only open of
 * an older file opens it for writing to migrate it first). A SQLite file
 * that is not havoc's (another PRAGMA application_id, or tables of its
 * own) is refused and left as it is. -1 with a message in err; without
 * HV_STORE_CREATE, HV_STORE_NOFILE and "no database at PATH" when there
 * is no file.
 */
int	 hv_store_open_mode(const char *path, int mode, struct hv_store **out,
	    struct hv_buf *err);
/* hv_store_open_mode(path, HV_STORE_CREATE, ...). */
int	 hv_store_open(const char *path, struct hv_store **out,
	    struct hv_buf *err);
/* Accepts NULL. */
void	 hv_store_close(struct hv_store *);
/* The schema version of the open file. */
int	 hv_store_schema(struct hv_store *);

/*
 * Non-blocking mode, for a run and for recover: a write that finds the
 * database locked by another process waits in memory, in order, instead
 * of holding up the caller, and on_busy(arg) is called so that the
 * caller comes back (hv_store_flush) from its loop. A step's id may then
 * be provisional: pass it back as it is, it is mapped when written. The
 * fault journal never waits in memory: hv_store_fault_add() answers
 * HV_STORE_BUSY and the fault is not to be injected yet. on_busy NULL
 * goes back to blocking writes (a 5 s busy timeout, then an error).
 */
void	 hv_store_nonblocking(struct hv_store *, void (*on_busy)(void *),
	    void *arg);
#define HV_STORE_BUSY	(-3)
/*
 * Writes what waits: returns how many writes still wait (0: all are
 * written), or -1 with err when some failed for good since the last call
 * (the others went on).
 */
int	 hv_store_flush(struct hv_store *, struct hv_buf *err);
size_t	 hv_store_waiting(const struct hv_store *);

int	 hv_store_begin(struct hv_store *, struct hv_buf *err);
int	 hv_store_commit(struct hv_store *, struct hv_buf *err);

/* Run status strings. */
#define HV_RUN_RUNNING		"running"
#define HV_RUN_COMPLETED	"completed"	/* hypothesis held */
#define HV_RUN_DEVIATED		"deviated"
#define HV_RUN_ABORTED		"aborted"
#define HV_RUN_FAILED_ROLLBACK	"rollback_failed"
#define HV_RUN_INTERRUPTED	"interrupted"	/* died; found by recover */
#define HV_RUN_PLANNED		"planned"	/* --dry-run */

struct hv_run_info {
	const char	*experiment;	/* title */
	const char	*file;		/* path as given */
	const char	*file_hash;	/* sha256 hex of the file */
	uint64_t	 seed;
	int64_t		 gameday;	/* gamedays.id, or 0 */
	const char	*vars_json;	/* shown spellings only, or NULL */
	const char	*plan_json;	/* resolved targets, or NULL */
	const char	*controller;	/* host name where havoc runs */
	int		 pid;
	int64_t		 started_at;
	const char	*tags_json;	/* the experiment's tags, or NULL */
};

/* A new run in state running; returns its id, or -1. */
int64_t	 hv_store_run_begin(struct hv_store *, const struct hv_run_info *,
	    struct hv_buf *err);
/* The phase a run is in now (HV_PHASE_*), for `havoc status`. */
int	 hv_store_run_phase(struct hv_store *, int64_t run, const char *phase,
	    struct hv_buf *err);
/* Final status (HV_RUN_*), deviation, exit code and a one-line reason. */
int	 hv_store_run_end(struct hv_store *, int64_t run, const char *status,
	    int deviated, int exit_code, const char *reason, int64_t ended_at,
	    struct hv_buf *err);

/* Phases and kinds of steps. */
#define HV_PHASE_PREFLIGHT	"preflight"
#define HV_PHASE_BEFORE		"steady_before"
#define HV_PHASE_METHOD		"method"
#define HV_PHASE_AFTER		"steady_after"
#define HV_PHASE_ROLLBACK	"rollback"
#define HV_PHASE_REVERT		"revert"

struct hv_step_rec {
	int64_t		 run;
	const char	*phase;
	const char	*kind;		/* action, probe, pause, revert */
	const char	*name;
	const char	*driver;	/* or NULL */
	const char	*target;	/* host name, or NULL */
	const char	*detail;	/* what it does (shown), or NULL */
	int64_t		 started_at;
};

/* A step (one driver call on one target) starting; returns its id. */
int64_t	 hv_store_step_begin(struct hv_store *, const struct hv_step_rec *,
	    struct hv_buf *err);
/* status: ok, failed, error, skipped, cancelled. */
int	 hv_store_step_end(struct hv_store *, int64_t step, const char *status,
	    const char *output, const char *error, double latency_ms,
	    int64_t ended_at, struct hv_buf *err);

/* The batch (1, 2, ...) of a step that works in batches (a rotation). */
int	 hv_store_step_batch(struct hv_store *, int64_t step, int batch,
	    struct hv_buf *err);

/* One watch sample. latency_ms < 0 when none was measured. */
int	 hv_store_sample(struct hv_store *, int64_t run, const char *probe,
	    const char *target, int64_t at, int ok, double latency_ms,
	    const char *error, struct hv_buf *err);

/* Fault states. */
#define HV_FAULT_PENDING	"pending"	/* recorded, inject under way */
#define HV_FAULT_ACTIVE		"active"
#define HV_FAULT_INJECT_FAILED	"inject_failed"	/* may be half done */
#define HV_FAULT_REVERTED	"reverted"
#define HV_FAULT_REVERT_FAILED	"revert_failed"

struct hv_fault_rec {
	int64_t		 run;
	int64_t		 step;
	const char	*target;	/* host name, or NULL */
	const char	*driver;
	const char	*inject;	/* what was done, shown */
	const char	*revert;	/* what undoes it, shown */
	const char	*revert_spec;	/* JSON for recover, shown */
	int64_t		 dead_man_at;	/* wall ms, or 0 */
	int64_t		 created_at;
};

/*
 * Records a fault as pending and commits it, after every write that
 * waits; returns its id, or -1, or (non-blocking mode) HV_STORE_BUSY.
 */
int64_t	 hv_store_fault_add(struct hv_store *, const struct hv_fault_rec *,
	    struct hv_buf *err);
/*
 * Moves a fault to a new state (HV_FAULT_*), with an error or NULL; sets
 * injected_at for active/inject_failed and reverted_at for reverted.
 */
int	 hv_store_fault_set(struct hv_store *, int64_t fault,
	    const char *state, const char *error, int64_t at,
	    struct hv_buf *err);

struct hv_fault_row {
	int64_t		 id;
	int64_t		 run;
	int64_t		 step;		/* steps.id of the injection, or 0 */
	const char	*target;
	const char	*driver;
	const char	*state;
	const char	*revert;
	const char	*revert_spec;
	const char	*run_status;
	int		 run_pid;
	const char	*run_controller;
	int64_t		 dead_man_at;
};

/*
 * Calls fn for every fault not yet reverted (pending, active,
 * inject_failed, revert_failed), newest first, of one run (run > 0) or of
 * all runs (run 0). The row's strings are borrowed for the call only. fn
 * returns 0 to go on, nonzero to stop. Returns -1 on a database error.
 */
int	 hv_store_faults_open(struct hv_store *, int64_t run,
	    int (*fn)(const struct hv_fault_row *, void *), void *,
	    struct hv_buf *err);

/* Expected alert states. */
#define HV_ALERT_FIRED		"fired"
#define HV_ALERT_SILENCED	"silenced"	/* fired; pages held back */
#define HV_ALERT_INHIBITED	"inhibited"
#define HV_ALERT_MISSED		"missed"	/* a monitoring gap */
#define HV_ALERT_NOT_EVALUATED	"not_evaluated"	/* nothing was changed */

struct hv_alert_rec {
	int64_t		 run;
	const char	*name;
	const char	*probe;		/* driver */
	int64_t		 within_ms;
	int64_t		 injected_at;	/* first injection, wall ms */
	int64_t		 fired_at;	/* first seen active, or 0 */
	const char	*state;		/* HV_ALERT_* */
	const char	*detail;
};

/* Records the outcome of one expected alert; time to detect is derived. */
int	 hv_store_alert(struct hv_store *, const struct hv_alert_rec *,
	    struct hv_buf *err);

/* What a watched probe did over a run. */
#define HV_FIGURE_STEADY	"steady"	/* never failed */
#define HV_FIGURE_RECOVERED	"recovered"
#define HV_FIGURE_NOT_RECOVERED	"not_recovered"

struct hv_figure_rec {
	int64_t		 run;
	const char	*probe;
	int		 samples;
	int		 failures;
	int64_t		 first_failure_at;	/* wall ms, or 0 */
	int64_t		 recovered_at;		/* wall ms, or 0 */
	int64_t		 ttr_ms;		/* -1: not recovered */
	const char	*state;		/* HV_FIGURE_* */
};

/* Records a watched probe's figures for a run. */
int	 hv_store_figure(struct hv_store *, const struct hv_figure_rec *,
	    struct hv_buf *err);

/* Game days. */
int64_t	 hv_store_gameday_begin(struct hv_store *, const char *name,
	    const char *file, int64_t scheduled_at, int64_t started_at,
	    struct hv_buf *err);
int	 hv_store_gameday_end(struct hv_store *, int64_t gameday,
	    const char *status, int64_t ended_at, struct hv_buf *err);

/*
 * Reads. hv_store_runs_json: an array of the newest runs (limit > 0),
 * each {id, experiment, file, status, deviated, exit_code, reason, seed,
 * started_at, ended_at, gameday}. hv_store_run_json: one run with all of
 * its steps, samples, faults, alerts and figures, or NULL with "no run N"
 * in err. hv_store_running_json: runs still in state running.
 */
struct json_t	*hv_store_runs_json(struct hv_store *, int limit,
		    struct hv_buf *err);
struct json_t	*hv_store_run_json(struct hv_store *, int64_t run,
		    struct hv_buf *err);
struct json_t	*hv_store_running_json(struct hv_store *, struct hv_buf *err);

#endif
