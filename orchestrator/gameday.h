/*
 * gameday.h - a game-day file (SPEC.md, "Game day file"): its model, as
 * gameday.c checks it from a YAML tree, and one game day run from it
 * (gameday-run.c), which `havoc gameday --now` and the daemon share.
 *
 * Relative paths in a game-day file (experiments, report) are taken
 * from the folder of the game-day file. The experiments it names are
 * loaded and checked with it; the model owns them.
 */
#ifndef HV_GAMEDAY_H
#define HV_GAMEDAY_H

#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

struct hv_diag;
struct hv_experiment;
struct hv_loop;
struct hv_node;
struct hv_store;

enum hv_concurrency {
	HV_CONC_FORBID,		/* never alongside another game day */
	HV_CONC_ALLOW		/* alongside other "allow" game days */
};

struct hv_gd_exp {
	char		*file;		/* as written */
	char		*path;		/* resolved */
	char		**vars;		/* NAME=VALUE, literal, like --var */
	size_t		 nvars;
	struct hv_experiment *x;	/* loaded and checked */
	const struct hv_node *where;
};

struct hv_gameday {
	char		*path;
	char		*dir;
	char		 sha256[65];
	struct hv_node	*doc;		/* owned */

	char		*name;
	char		*schedule_text;
	struct hv_schedule sched;
	int64_t		 jitter_ms;
	enum hv_concurrency concurrency;
	struct hv_gd_exp *exps;
	size_t		 nexps;
	int		 stop_on_deviation;
	char		*report;	/* resolved path, or NULL */
	int		 catch_up;
	char		*notify;	/* the real URL (may hold a secret) */
	char		*notify_shown;	/* secrets as their references */
	const struct hv_node *where_schedule;
};

/*
 * Loads and checks a game-day file and the experiments it names. Returns
 * a new model, or NULL with every problem in diag as FILE:LINE:COLUMN.
 * With HV_GD_SCHEDULE_ONLY the experiments are neither required nor
 * loaded, nor is the name required: what --next needs.
 */
#define HV_GD_SCHEDULE_ONLY	0x1
struct hv_gameday *hv_gameday_load(const char *path, int flags,
		    struct hv_diag *);
/* Whether a YAML tree's top level is a game day (has "gameday:"). */
int		 hv_gameday_is(const struct hv_node *doc);
void		 hv_gameday_free(struct hv_gameday *);

/* What a game day's run is asked to do. */
struct hv_gameday_opts {
	int64_t		 scheduled_at;	/* the slot, wall ms; 0: --now */
	int64_t		 jitter_ms;	/* the delay drawn for it */
	uint64_t	 jitter_seed;
	int64_t		 daemon;	/* daemons.id, or 0 */
	int64_t		 gameday;	/* a gamedays row made already, or 0 */
	int		 logfmt;	/* log events as logfmt lines */
};

struct hv_gameday_result {
	int64_t		 gameday;	/* gamedays.id, or 0 */
	int		 exit_code;	/* the worst of the runs */
	const char	*status;	/* HV_GD_* */
	int		 runs;		/* experiments run */
	int		 skipped;	/* experiments not run */
};

/* Game-day statuses in the store. */
#define HV_GD_RUNNING		"running"
#define HV_GD_COMPLETED		"completed"	/* every run held */
#define HV_GD_DEVIATED		"deviated"
#define HV_GD_ABORTED		"aborted"
#define HV_GD_ROLLBACK_FAILED	"rollback_failed"
#define HV_GD_INTERRUPTED	"interrupted"	/* its process died */

/*
 * Runs one game day: its experiments in order, each run tied to the
 * game day's row; the row's status and summary; the report; the webhook.
 * A signal on the loop (SIGINT, SIGTERM) ends the run in flight (its
 * rollbacks finish) and no experiment starts after it. Returns the exit
 * code, also in res.
 */
int	 hv_gameday_run(struct hv_gameday *, struct hv_store *,
	    struct hv_loop *, const struct hv_gameday_opts *,
	    struct hv_gameday_result *res);

/*
 * Posts body (JSON) to url, retrying failures with backoff: at most
 * HV_NOTIFY_TRIES attempts. Returns 0 once a 2xx came back, else -1
 * with the last failure in err; the message never holds the URL. Runs
 * the loop until done.
 */
#define HV_NOTIFY_TRIES		4
int	 hv_notify_post(struct hv_loop *, const char *url, const char *body,
	    int *tries, struct hv_buf *err);

/*
 * A logfmt line on stderr: ts=... level=... event=... then the key and
 * value pairs (NULL-terminated; a NULL value is skipped). Values are
 * quoted when they need it; control characters are escaped.
 */
void	 hv_logfmt(const char *level, const char *event, ...);
#define HV_LOGEND	((const char *)NULL)	/* ends hv_logfmt()'s pairs */

#endif
