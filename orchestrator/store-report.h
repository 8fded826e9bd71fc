/*
 * store-report.h - the reads that reports need: runs chosen by a scope,
 * their alerts, figures, steps and faults, game days, and the watch
 * samples of one run, streamed.
 *
 * Every read calls fn once per row, in order, while its statement is
 * still stepping: the row's strings are borrowed for the call only, and
 * fn must not use the store. fn returns 0 to go on, nonzero to stop (the
 * read then returns 0). A database error returns -1 with a message.
 * Nothing is collected in memory here, so a read of a million samples
 * costs what one row costs.
 *
 * Times are wall-clock milliseconds; a time or duration the store does
 * not have is 0 (times) or -1 (durations, latencies).
 */
#ifndef HV_STORE_REPORT_H
#define HV_STORE_REPORT_H

#include <stdint.h>

#include "util.h"

struct hv_store;

/*
 * Which runs a read is about: one run (run > 0), the runs of one game
 * day (gameday > 0), the runs of one experiment title (experiment), and
 * the runs started in [from, to) (to 0: no end). Conditions add up.
 */
struct hv_store_scope {
	int64_t		 run;
	int64_t		 gameday;
	const char	*experiment;
	int64_t		 from;
	int64_t		 to;
};

struct hv_rrun_row {
	int64_t		 id;
	const char	*experiment;
	const char	*file;
	const char	*status;
	const char	*reason;	/* or NULL */
	const char	*seed;
	const char	*tags_json;	/* a JSON array, or NULL */
	const char	*controller;
	int		 deviated;
	int		 exit_code;	/* -1 while running */
	int64_t		 gameday;	/* 0: none */
	int64_t		 started_at;
	int64_t		 ended_at;
};

struct hv_ralert_row {
	int64_t		 run;
	const char	*name;
	const char	*probe;
	const char	*state;		/* fired, silenced, inhibited, missed */
	const char	*detail;
	int64_t		 within_ms;
	int64_t		 injected_at;
	int64_t		 fired_at;
	int64_t		 ttd_ms;	/* -1: none */
};

struct hv_rfigure_row {
	int64_t		 run;
	const char	*probe;
	const char	*state;		/* steady, recovered, not_recovered */
	int64_t		 samples;
	int64_t		 failures;
	int64_t		 first_failure_at;
	int64_t		 recovered_at;
	int64_t		 ttr_ms;	/* -1: none */
};

struct hv_rstep_row {
	int64_t		 run;
	int64_t		 id;
	int64_t		 seq;
	const char	*phase;
	const char	*kind;
	const char	*name;
	const char	*driver;
	const char	*target;
	const char	*detail;
	const char	*status;
	const char	*output;
	const char	*error;
	int64_t		 started_at;
	int64_t		 ended_at;
	double		 latency_ms;	/* -1: none */
	int		 batch;		/* a rotation's batch; 0: none */
};

struct hv_rfault_row {
	int64_t		 run;
	int64_t		 id;
	int64_t		 step;		/* 0: none */
	const char	*target;
	const char	*driver;
	const char	*inject;
	const char	*revert;
	const char	*state;
	const char	*error;
	int64_t		 created_at;
	int64_t		 injected_at;
	int64_t		 reverted_at;
};

struct hv_rsample_row {
	const char	*probe;
	const char	*target;
	const char	*error;
	int64_t		 at;
	int		 ok;
	double		 latency_ms;	/* -1: none */
};

struct hv_rgameday_row {
	int64_t		 id;
	const char	*name;
	const char	*file;
	const char	*status;
	int64_t		 scheduled_at;
	int64_t		 started_at;
	int64_t		 ended_at;
};

/* A game-day slot the scheduler did not run. */
struct hv_rskip_row {
	const char	*name;
	const char	*file;
	const char	*reason;	/* missed, concurrency, error */
	const char	*detail;
	int64_t		 scheduled_at;
};

struct hv_rexperiment_row {
	const char	*experiment;
	const char	*file;		/* of its latest run */
	const char	*tags_json;	/* of its latest run */
	int64_t		 last_at;	/* started_at of its latest run */
	int64_t		 runs;
};

/* Reads a scope's runs, oldest first. */
int	 hv_store_report_runs(struct hv_store *, const struct hv_store_scope *,
	    int (*fn)(const struct hv_rrun_row *, void *), void *,
	    struct hv_buf *err);
/* The alerts, figures, steps and faults of a scope's runs, by run. */
int	 hv_store_report_alerts(struct hv_store *,
	    const struct hv_store_scope *,
	    int (*fn)(const struct hv_ralert_row *, void *), void *,
	    struct hv_buf *err);
int	 hv_store_report_figures(struct hv_store *,
	    const struct hv_store_scope *,
	    int (*fn)(const struct hv_rfigure_row *, void *), void *,
	    struct hv_buf *err);
/* failed_probes: only probe steps that failed (what broke, and drift). */
int	 hv_store_report_steps(struct hv_store *,
	    const struct hv_store_scope *, int failed_probes,
	    int (*fn)(const struct hv_rstep_row *, void *), void *,
	    struct hv_buf *err);
int	 hv_store_report_faults(struct hv_store *,
	    const struct hv_store_scope *,
	    int (*fn)(const struct hv_rfault_row *, void *), void *,
	    struct hv_buf *err);

/* The first and last sample times of a run (0 and 0 if it has none). */
int	 hv_store_report_sample_span(struct hv_store *, int64_t run,
	    int64_t *first, int64_t *last, struct hv_buf *err);
/* Streams the watch samples of one run in time order. */
int	 hv_store_report_samples(struct hv_store *, int64_t run,
	    int (*fn)(const struct hv_rsample_row *, void *), void *,
	    struct hv_buf *err);

/*
 * Game days named name that started at or before before (0: any time),
 * newest first; id > 0 reads that one game day only.
 */
int	 hv_store_report_gamedays(struct hv_store *, const char *name,
	    int64_t id, int64_t before,
	    int (*fn)(const struct hv_rgameday_row *, void *), void *,
	    struct hv_buf *err);

/*
 * The skipped slots of the game day name (NULL: of every game day)
 * scheduled in [from, to), oldest first. A store that has no skips (made
 * before game days kept them) has none.
 */
int	 hv_store_report_skips(struct hv_store *, const char *name,
	    int64_t from, int64_t to,
	    int (*fn)(const struct hv_rskip_row *, void *), void *,
	    struct hv_buf *err);

/* Every experiment title ever run, with its latest run, oldest first. */
int	 hv_store_report_experiments(struct hv_store *,
	    int (*fn)(const struct hv_rexperiment_row *, void *), void *,
	    struct hv_buf *err);

/*
 * One read snapshot around the reads of a report, so that a live run is
 * seen in one state. begin does nothing inside a caller's transaction;
 * end only ends what begin started.
 */
int	 hv_store_report_begin(struct hv_store *, int *own,
	    struct hv_buf *err);
void	 hv_store_report_end(struct hv_store *, int own);

#endif
