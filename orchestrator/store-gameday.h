/*
 * store-gameday.h - the game days in the store: their rows, their skipped
 * slots, the daemons on a database and the lease that lets only one of
 * them schedule, and what `havoc status` reads. store-gameday.c, with
 * statements of its own, through store-int.h.
 *
 * Tables (migration 2 in store.c): gamedays gains the slot's jitter and
 * seed, the daemon and process that ran it, its exit code, reason,
 * summary (JSON) and the webhook's outcome; daemons (one row per daemon
 * started); leases (name "daemon": who may schedule, until when);
 * gameday_schedules (per game day: its schedule, its next start, and the
 * time up to which a daemon has accounted for its slots); gameday_skips
 * (slots that were not run, and why).
 *
 * Times are wall-clock milliseconds. Strings must be free of secrets.
 */
#ifndef HV_STORE_GAMEDAY_H
#define HV_STORE_GAMEDAY_H

#include <stdint.h>

#include "util.h"

struct hv_store;
struct json_t;

/* Why a slot was not run (gameday_skips.reason). */
#define HV_SKIP_MISSED		"missed"	/* no daemon was up, or late */
#define HV_SKIP_CONCURRENCY	"concurrency"	/* another game day ran */
#define HV_SKIP_ERROR		"error"		/* it could not be started */

struct hv_gd_row {
	const char	*name;
	const char	*file;
	const char	*file_hash;
	int64_t		 scheduled_at;	/* the slot, or 0 (--now) */
	int64_t		 jitter_ms;
	uint64_t	 jitter_seed;
	int64_t		 daemon;	/* daemons.id, or 0 */
	const char	*controller;
	int		 pid;
	int64_t		 started_at;
};

/* A new game day, running; its id, or -1. */
int64_t	 hv_store_gd_begin(struct hv_store *, const struct hv_gd_row *,
	    struct hv_buf *err);
int	 hv_store_gd_set_pid(struct hv_store *, int64_t gameday, int pid,
	    struct hv_buf *err);
/* The end: status, exit code, reason and summary (JSON text). */
int	 hv_store_gd_end(struct hv_store *, int64_t gameday,
	    const char *status, int exit_code, const char *reason,
	    const char *summary, int64_t ended_at, struct hv_buf *err);
/* What became of the webhook, one line. */
int	 hv_store_gd_notify(struct hv_store *, int64_t gameday,
	    const char *outcome, struct hv_buf *err);
/* The status of a game day row, into out (new), or NULL if none. */
char	*hv_store_gd_status(struct hv_store *, int64_t gameday,
	    struct hv_buf *err);
/*
 * The runs of a game day, oldest first: {id, experiment, file, status,
 * deviated, exit_code, reason, started_at, ended_at} (new).
 */
struct json_t	*hv_store_gd_runs_json(struct hv_store *, int64_t gameday,
		    struct hv_buf *err);
/*
 * Game days still marked running on this controller whose process is
 * gone become interrupted. Returns how many, or -1.
 */
int	 hv_store_gd_close_dead(struct hv_store *, const char *controller,
	    int (*alive)(int pid), struct hv_buf *err);

/* A skipped slot; recording the same slot twice keeps the first. */
int	 hv_store_skip(struct hv_store *, const char *name, const char *file,
	    int64_t scheduled_at, const char *reason, const char *detail,
	    int64_t daemon, struct hv_buf *err);

/* Daemons. */
int64_t	 hv_store_daemon_add(struct hv_store *, const char *controller,
	    int pid, const char *proc_start, const char *files_json,
	    struct hv_buf *err);
/* status: stopped (a clean exit) or lost (its lease was taken). */
int	 hv_store_daemon_end(struct hv_store *, int64_t daemon,
	    const char *status, struct hv_buf *err);

/* Who holds the lease, when hv_store_lease_take() finds it taken. */
struct hv_lease_holder {
	int64_t		 daemon;
	char		 controller[256];
	int		 pid;
	int64_t		 expires_at;
};

/*
 * Takes the daemon lease for ttl_ms, in one transaction: returns 0 when
 * it was free, expired or already ours (a previous holder whose lease
 * expired is marked lost); 1 when another daemon holds it (who, in h);
 * -1 on a store error.
 */
int	 hv_store_lease_take(struct hv_store *, int64_t daemon, int64_t ttl_ms,
	    struct hv_lease_holder *h, struct hv_buf *err);
/* Extends our lease: 0, 1 when it is no longer ours, -1 on error. */
int	 hv_store_lease_renew(struct hv_store *, int64_t daemon,
	    int64_t ttl_ms, struct hv_buf *err);
int	 hv_store_lease_release(struct hv_store *, int64_t daemon,
	    struct hv_buf *err);

/*
 * A game day as a daemon schedules it: its next slot and start, and the
 * time up to which its slots are accounted for (run or skipped).
 */
int	 hv_store_sched_put(struct hv_store *, const char *name,
	    const char *file, const char *schedule, const char *tz,
	    int64_t daemon, int64_t next_slot, int64_t next_start,
	    int64_t accounted, struct hv_buf *err);
/* The accounted time of a game day: 0 and *at set, 1 when unknown. */
int	 hv_store_sched_accounted(struct hv_store *, const char *name,
	    int64_t *at, struct hv_buf *err);
int	 hv_store_sched_drop(struct hv_store *, const char *name,
	    struct hv_buf *err);

/*
 * Everything `havoc status` shows, from one snapshot (new): {daemons,
 * lease, running: [game days with their runs, phases and open faults],
 * schedules, last: [the last finished game day of each name], skips}.
 */
struct json_t	*hv_store_status_json(struct hv_store *, struct hv_buf *err);

#endif
