/*
 * cmd.h - the command layer: one file per subcommand (cmd-*.c), one table
 * in main.c. Only this layer prints results and decides exit codes.
 */
#ifndef HV_CMD_H
#define HV_CMD_H

#include <stdint.h>
#include <stdio.h>

struct hv_experiment;
struct hv_load_opts;
struct hv_store;

struct hv_cmd {
	const char	*name;
	const char	*args;		/* usage after the name */
	const char	*summary;
	const char	*help;		/* the options, one per line */
	int		(*exec)(const struct hv_cmd *, int, char **);
};

extern const struct hv_cmd hv_cmd_run;
extern const struct hv_cmd hv_cmd_validate;
extern const struct hv_cmd hv_cmd_plan;
extern const struct hv_cmd hv_cmd_runs;
extern const struct hv_cmd hv_cmd_show;
extern const struct hv_cmd hv_cmd_report;
extern const struct hv_cmd hv_cmd_recover;
extern const struct hv_cmd hv_cmd_halt;
extern const struct hv_cmd hv_cmd_drivers;
extern const struct hv_cmd hv_cmd_gameday;
extern const struct hv_cmd hv_cmd_daemon;
extern const struct hv_cmd hv_cmd_status;

/* Prints "usage: havoc NAME ARGS" and the help to f. */
void	 hv_cmd_usage(const struct hv_cmd *, FILE *);
/* Prints a usage error and returns 64. */
int	 hv_cmd_usage_error(const struct hv_cmd *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* The database path: --db, else $HAVOC_DB, else ./havoc.db. */
const char *hv_cmd_db_path(const char *opt);
/* Opens the store, creating it; prints the error and returns NULL. */
struct hv_store *hv_cmd_open_store(const char *opt);
/*
 * Opens the store with a mode of store.h (HV_STORE_READONLY for commands
 * that only read, 0 for those that repair but must not create); prints
 * the error and returns NULL with *exit_code set: 66 when there is no
 * database at the path, 2 otherwise.
 */
struct hv_store *hv_cmd_store(const char *opt, int mode, int *exit_code);

/*
 * Resolves (cloud targets first) and prints the plan of x with seed (a
 * random one unless have_seed), then the command that runs exactly that
 * plan: the file, the seed and the --var and --var-env options as typed
 * (they hold no secret values, only what the user wrote). Returns 0, or
 * 2 after printing the error.
 */
int	 hv_cmd_show_plan(const char *path, struct hv_experiment *,
	    const struct hv_load_opts *, uint64_t seed, int have_seed);
/*
 * Checks a --var NAME=VALUE (env 0) or --var-env NAME=VAR (env 1): a name,
 * UTF-8 text the journal can keep, a variable that is set. 0, or 64 after
 * printing the usage error.
 */
int	 hv_cmd_check_var(const struct hv_cmd *, const char *arg, int env);

/*
 * Loads an experiment, printing every FILE:LINE:COLUMN problem to stderr.
 * NULL when there was any.
 */
struct hv_experiment *hv_cmd_load(const char *path,
		    const struct hv_load_opts *);

/*
 * Game days (cmd-gameday.c): loads a game-day file (flags as for
 * hv_gameday_load()), printing every problem; NULL when there was any.
 * Prints the next n slots after from, each after indent; -1 (with the
 * schedule's FILE:LINE:COLUMN on stderr) when the schedule has no more.
 */
struct hv_gameday;
struct hv_gameday *hv_cmd_load_gameday(const char *path, int flags);
int	 hv_cmd_print_next(struct hv_gameday *, int64_t from, long n,
	    FILE *, const char *indent);

#endif
