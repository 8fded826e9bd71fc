/*
 * report.h - the report model and its formats.
 *
 * hv_report_build() reads the store once (one snapshot) into a struct
 * hv_report: the runs of one run, one game day or one period, with the
 * figures management reads first (verdict, resilience score and its
 * trend, time to detect and time to recover, what to fix, experiments
 * not run lately) and the detail an engineer digs into (steps, targets,
 * faults and their reverts, alerts, and per watched probe a timeline of
 * samples downsampled into buckets that keep the extremes).
 *
 * Every format (text, json, junit, html) writes the same model; they are
 * one table, hv_report_formats[]. Strings in the model are valid UTF-8
 * (bytes that were not are U+FFFD) but are otherwise as the outside world
 * wrote them: each format escapes for its own syntax.
 *
 * Memory does not grow with the number of samples: they are streamed
 * from the store into HV_REPORT_BUCKETS buckets per probe.
 */
#ifndef HV_REPORT_H
#define HV_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct hv_store;

/* The JSON model's version (docs/report-json.md); bump on a change. */
#define HV_REPORT_VERSION	1
/* Buckets of a run's timeline: enough for a chart 960 pixels wide. */
#define HV_REPORT_BUCKETS	240
/* Failing stretches kept per probe; the rest are counted. */
#define HV_REPORT_WINDOWS	100
/* Runs shown in detail in a period report (every one for a run or day). */
#define HV_REPORT_DETAILS	20
/* An experiment not run for this long is listed as not run lately. */
#define HV_REPORT_STALE_MS	(30 * 86400000LL)

/* The resilience score in one sentence, as every format states it. */
#define HV_REPORT_SCORE_FORMULA "the share of finished runs whose " \
	"hypothesis held: the service stayed healthy, every expected alert " \
	"fired in time and every fault was reverted"

enum hv_report_kind {
	HV_REPORT_RUN,
	HV_REPORT_GAMEDAY,
	HV_REPORT_PERIOD,
};

/* How a verdict or a finding reads at a glance. */
enum hv_report_level {
	HV_LEVEL_NONE,		/* nothing to judge */
	HV_LEVEL_OK,
	HV_LEVEL_WARN,
	HV_LEVEL_BAD,
};

/*
 * What to report on: one run (run > 0), one game day (gameday: its
 * latest, or the one under way or last started at time at; or the game
 * day gameday_id, as a scheduler that just ran it knows it), else the
 * runs started in [from, to). Runs must carry every tag in tags.
 */
struct hv_report_query {
	int64_t		 run;
	const char	*gameday;
	int64_t		 gameday_id;
	int64_t		 at;
	int64_t		 from;
	int64_t		 to;
	const char	*const *tags;
	size_t		 ntags;
	int64_t		 now;		/* 0: the clock */
	int64_t		 stale_ms;	/* 0: HV_REPORT_STALE_MS */
	int		 details;	/* 0: HV_REPORT_DETAILS */
};

/* One stretch of a timeline: the samples that fell in it. */
struct hv_report_bucket {
	int64_t		 at;		/* start of the bucket */
	int32_t		 n;
	int32_t		 failed;
	double		 lo, hi;	/* latency extremes, -1: none */
};

/* A run of consecutive failing samples of one probe on one target. */
struct hv_report_window {
	int64_t		 from, to;
	int64_t		 n;
	char		*target;	/* or NULL */
	char		*error;		/* of the first, or NULL */
	int		 open;
};

struct hv_report_series {
	char			*probe;
	int64_t			 samples, failed;
	double			 lo, hi;	/* -1: no latency */
	struct hv_report_bucket	 b[HV_REPORT_BUCKETS];
	struct hv_report_window	*windows;
	size_t			 nwindows;
	int64_t			 more_windows;
};

struct hv_report_step {
	int64_t		 id, seq;
	char		*phase, *kind, *name, *driver, *target, *detail;
	char		*status, *output, *error;
	int64_t		 started_at, ended_at;
	double		 latency_ms;	/* -1: none */
	int		 batch;		/* a rotation's batch; 0: none */
};

struct hv_report_fault {
	int64_t		 id, step;
	char		*target, *driver, *inject, *revert, *state, *error;
	int64_t		 created_at, injected_at, reverted_at;
};

struct hv_report_alert {
	char		*name, *probe, *state, *detail;
	int64_t		 within_ms, injected_at, fired_at;
	int64_t		 ttd_ms;	/* -1: none */
};

struct hv_report_figure {
	char		*probe, *state;
	int64_t		 samples, failures, first_failure_at, recovered_at;
	int64_t		 ttr_ms;	/* -1: none */
};

struct hv_report_run {
	int64_t			 id;
	char			*experiment, *file, *status, *reason;
	char			*seed, *controller;
	char			*why;	/* the first probe that failed */
	char			**tags;
	size_t			 ntags;
	/* held, deviated, aborted, rollback_failed, interrupted, running */
	const char		*outcome;
	int			 deviated, exit_code;
	int64_t			 gameday, started_at, ended_at;
	struct hv_report_alert	*alerts;
	size_t			 nalerts;
	struct hv_report_figure	*figures;
	size_t			 nfigures;

	/* The detail, read for the runs shown in full. */
	int			 detailed;
	struct hv_report_step	*steps;
	size_t			 nsteps;
	struct hv_report_fault	*faults;
	size_t			 nfaults;
	struct hv_report_series	*series;
	size_t			 nseries;
	int64_t			 chart_from, chart_to;
};

/* A median and a worst value over n measurements (-1 when n is 0). */
struct hv_report_stat {
	size_t		 n;
	int64_t		 median, worst;
};

/* One point of a trend: a time bucket, a game day or a run. */
struct hv_report_point {
	char		*label;
	int64_t		 from, to;
	size_t		 runs, finished, held;
	double		 score;		/* -1: no finished run */
	int64_t		 ttd_median, ttr_median;	/* -1: none */
};

/* Something to fix, grouped: the same thing in the same experiment. */
struct hv_report_finding {
	const char		*kind;	/* monitoring_gap, silenced, ... */
	enum hv_report_level	 level;
	char			*experiment;
	char			*subject;
	char			*text;	/* plain words */
	size_t			 count;
	int64_t			 last_at, last_run;
};

struct hv_report_stale {
	char		*experiment, *file;
	int64_t		 last_at, runs;
};

/* A game-day slot the scheduler did not run, and why. */
struct hv_report_skip {
	char		*name, *file, *reason, *detail;
	int64_t		 scheduled_at;
};

struct hv_report_gameday {
	int64_t		 id;
	char		*name, *file, *status;
	int64_t		 scheduled_at, started_at, ended_at;
};

struct hv_report {
	int			 version;
	enum hv_report_kind	 kind;
	char			*title;
	int64_t			 from, to;	/* the runs' time span */
	int64_t			 generated_at;
	char			**tags;
	size_t			 ntags;

	enum hv_report_level	 level;
	char			*verdict;

	size_t			 nfinished, held, deviated, aborted;
	size_t			 rollback_failed, interrupted, running;
	double			 score, score_before;	/* -1: none */
	char			*before_label;		/* or NULL */
	struct hv_report_stat	 ttd, ttr;
	size_t			 not_recovered, missed_alerts;

	struct hv_report_point	*trend;
	size_t			 ntrend;
	const char		*trend_by;	/* day, week, gameday, run */
	struct hv_report_finding *findings;
	size_t			 nfindings;
	struct hv_report_stale	*stale;
	size_t			 nstale;
	int64_t			 stale_ms;
	struct hv_report_gameday *gameday;	/* or NULL */
	/*
	 * Skipped game-day slots: of a game day since the one before it; of
	 * every game day in a period.
	 */
	struct hv_report_skip	*skips;
	size_t			 nskips;

	struct hv_report_run	*runs;		/* oldest first */
	size_t			 nruns;
	size_t			 ndetailed;
};

/*
 * Builds the model (new: *out, free with hv_report_free()). Returns -1
 * with a message when the store cannot be read or nothing matches the
 * query ("no run 7", "no game day weekly-web").
 */
int	 hv_report_build(struct hv_store *, const struct hv_report_query *,
	    struct hv_report **out, struct hv_buf *err);
/* Accepts NULL. */
void	 hv_report_free(struct hv_report *);

/*
 * Streams every watch sample of a run to fn (for `havoc show --samples`);
 * strings are borrowed for the call.
 */
int	 hv_report_each_sample(struct hv_store *, int64_t run,
	    int (*fn)(const char *probe, const char *target, int64_t at,
	    int ok, double latency_ms, const char *error, void *), void *,
	    struct hv_buf *err);

/* A format: writes the model to out, -1 with a message on failure. */
struct hv_report_format {
	const char	*name;
	const char	*exts;	/* file name endings, space separated */
	const char	*summary;
	int		(*write)(const struct hv_report *, struct hv_buf *out,
			    struct hv_buf *err);
};

/* The table of formats, NULL-terminated. */
extern const struct hv_report_format *const hv_report_formats[];

extern const struct hv_report_format hv_report_text;
extern const struct hv_report_format hv_report_json;
extern const struct hv_report_format hv_report_junit;
extern const struct hv_report_format hv_report_html;

/* A format by exact name, or NULL. */
const struct hv_report_format *hv_report_format_named(const char *);
/* The format a file name's ending selects (".html", ".xml"), or NULL. */
const struct hv_report_format *hv_report_format_for(const char *path);

/*
 * Writes the model to path with format f, through a temporary file and
 * a rename, so that a report is never left half written; path "-" is
 * stdout.
 */
int	 hv_report_write(const struct hv_report *,
	    const struct hv_report_format *, const char *path,
	    struct hv_buf *err);

/* Helpers the formats share (reports/escape.c). */

/* A copy of s (new) that is valid UTF-8; NULL for NULL. */
char	*hv_report_strdup(const char *);
/* Appends s escaped for HTML/XML text and attributes. */
void	 hv_report_put_html(struct hv_buf *, const char *);
/*
 * Appends s escaped for XML 1.0: also drops the control characters XML
 * cannot carry.
 */
void	 hv_report_put_xml(struct hv_buf *, const char *);
/* Words for an outcome ("held", "rollback failed") and a level. */
const char *hv_report_outcome_words(const char *outcome);
/* Words for a kind of finding ("Monitoring gap"). */
const char *hv_report_kind_words(const char *kind);
const char *hv_report_level_name(enum hv_report_level);
/* A duration for people ("850ms", "12.3s"), or "-" when ms < 0. */
const char *hv_report_ms(int64_t ms, char *buf, size_t len);
/* A length of time for a sentence: "30 days", "12 hours", "90s". */
const char *hv_report_span(int64_t ms, char *buf, size_t len);
/* "2026-03-03 10:30:05 UTC", or "-" when t is 0. */
const char *hv_report_time(int64_t t, char *buf, size_t len);
/* "2026-03-03", or "-" when t is 0. */
const char *hv_report_date(int64_t t, char *buf, size_t len);

/* The timeline of one probe of one run, as inline SVG (reports/svg.c). */
void	 hv_report_svg_timeline(struct hv_buf *,
	    const struct hv_report_run *, const struct hv_report_series *);
/* A small trend line of values in [0, max] (-1: no value), as SVG. */
void	 hv_report_svg_spark(struct hv_buf *, const double *v, size_t n,
	    double max, const char *label);

#endif
