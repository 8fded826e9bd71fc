/*
 * driver.h - actions and probes, and the one table that lists them.
 *
 * Each driver lives in its own file (orchestrator/actions/NAME.c,
 * probes/NAME.c) and exports one const struct hv_driver. Its parameters
 * are declared in the driver's own table, so that validation, `havoc
 * drivers` and the docs come from one place. The registry is looked up by
 * exact name only: a name that selects a destructive action never matches
 * by prefix or by case.
 *
 * One use of a driver on one target is a struct hv_call. The runner fills
 * it in, calls start (or revert), and the driver calls hv_call_done() once
 * when the work is over, either from start itself or later from a loop
 * callback. A driver never blocks: it hands descriptors and timers to the
 * loop (directly or through proc.h, http.h, ssh.h).
 */
#ifndef HV_DRIVER_H
#define HV_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct hv_node;
struct hv_host;
struct hv_loop;
struct hv_ssh;
struct hv_experiment;

enum hv_type {
	HV_T_STR = 1,
	HV_T_INT,
	HV_T_NUM,
	HV_T_BOOL,
	HV_T_DURATION,
	HV_T_SIZE,
	HV_T_LIST,	/* of strings */
	HV_T_MAP,	/* of strings */
	HV_T_SHELL,	/* a shell command: ${...} values are quoted */
	HV_T_TARGETS,	/* a target group's name, or a list of addresses
			   and CIDRs; a group becomes its hosts' addresses
			   (a list) when the step runs */
	HV_T_ANY,	/* a scalar, list or map, checked by the driver */
	HV_T_PROBE	/* a probe to run: {probe, with, expect}, checked
			   as a step's are (aws.asg.replace's healthy_when) */
};

struct hv_param {
	const char	*name;
	enum hv_type	 type;
	unsigned	 required;
	const char	*def;		/* the default as YAML would say it */
	const char	*choices;	/* "a|b|c": a closed set, or NULL */
	const char	*help;
};

enum hv_driver_kind { HV_ACTION, HV_PROBE };

enum hv_target_mode {
	HV_TARGET_NONE,		/* on: is forbidden */
	HV_TARGET_REQUIRED	/* on: names a target group (SSH drivers) */
};

struct hv_call;
struct hv_ctx;

/*
 * A transport: how a driver reaches what it acts on, as curl's protocol
 * handlers are for its transfers. The runner asks a driver for its
 * transport and calls the transport's hooks; it never tests what kind of
 * driver it has. SSH (remote.c), HTTP APIs (http-call.c) and the
 * controller itself (local, driver.c) are transports; cloud APIs are
 * next.
 */
struct hv_transport {
	const char	*name;
	/*
	 * Optional: before anything is injected, reaches every host that
	 * the run's steps will use through this transport (keys checked,
	 * authenticated), waiting on ctx->loop. Returns the number that
	 * failed, each reason appended to err.
	 */
	int	(*connect)(struct hv_ctx *, const struct hv_host **,
		    size_t n, struct hv_buf *err);
	/*
	 * Optional: the longest one call may take, its timeout and what
	 * must come first (a connection). NULL: the "timeout" parameter.
	 */
	int64_t	(*budget)(const struct hv_call *);
	/*
	 * Its faults arm a dead-man timer on their target before they are
	 * injected (the journal records when it fires).
	 */
	unsigned	 dead_man;
	/*
	 * The hooks of a driver that leaves its own NULL (driver.h's
	 * contracts): an SSH action is then its parameter table, its check
	 * and its command builder. A revert is always the driver's own
	 * declaration (.revert), as the revert of a fault is part of it.
	 */
	int	(*start)(struct hv_call *);
	void	(*describe)(const struct hv_call *, int revert,
		    struct hv_buf *out);
	void	(*cancel)(struct hv_call *);
};

/* Every transport, NULL-terminated; and each by name. */
extern const struct hv_transport *const hv_transports[];
extern const struct hv_transport hv_transport_local;
extern const struct hv_transport hv_transport_http;
extern const struct hv_transport hv_transport_ssh;
extern const struct hv_transport hv_transport_aws;

struct hv_driver {
	const char	*name;
	enum hv_driver_kind kind;
	enum hv_target_mode target;
	const char	*summary;	/* one line for `havoc drivers` */
	/* How it reaches what it acts on; NULL: the controller (local). */
	const struct hv_transport *transport;
	const struct hv_param *params;	/* required; ends with { NULL } */
	const struct hv_param *expect;	/* probes; ends with { NULL } */

	/*
	 * Required (of the driver or its transport). Starts the work;
	 * calls hv_call_done() exactly once, now or from a loop callback.
	 * Returns -1 only when it has not called hv_call_done() and cannot
	 * start (the message in call->err).
	 */
	int	(*start)(struct hv_call *);

	/* Fault-injecting actions: undoes start. Same contract as start. */
	int	(*revert)(struct hv_call *);

	/*
	 * Optional: whether these parameters make the action a fault that
	 * must be reverted. Without it, an action with revert is a fault.
	 */
	int	(*is_fault)(const struct hv_call *);

	/*
	 * Optional: checks between parameters that the table cannot say.
	 * Runs at load time (where values are known) and before each call.
	 */
	int	(*check)(const struct hv_call *, struct hv_buf *err);

	/*
	 * Optional: what start (revert 0) or revert (revert 1) will do on
	 * this target, as one line for plans, the journal and the store.
	 * Called on a call with shown set, so secrets stay references.
	 */
	void	(*describe)(const struct hv_call *, int revert,
		    struct hv_buf *out);

	/* Optional: stops work in flight; hv_call_done() follows. */
	void	(*cancel)(struct hv_call *);

	/* Optional: the longest a call may take; else its transport's. */
	int64_t	(*budget)(const struct hv_call *);

	/*
	 * SSH actions (remote.h): the shell command that does (revert 0) or
	 * undoes (revert 1) the work on the target, built from parameters
	 * that check() has passed. Every value in it is
	 * quoted with hv_shell_quote(). The generic hooks of remote.h run
	 * it, arm the host's dead-man timer and describe it.
	 */
	int	(*command)(const struct hv_call *, int revert,
		    struct hv_buf *out, struct hv_buf *err);
};

/* Shared engines and run identity a call may use. */
struct hv_ctx {
	struct hv_loop	*loop;
	struct hv_ssh	*ssh;		/* NULL until an SSH driver needs it */
	const struct hv_experiment *exp;	/* NULL in havoc recover */
	int64_t		 run_id;
	int64_t		 dead_man_ms;
};

struct hv_call {
	const struct hv_driver *driver;
	struct hv_ctx	*ctx;
	const struct hv_node *with;	/* parameters, resolved for host */
	const struct hv_node *expect;	/* probes: expectations, or NULL */
	const struct hv_host *host;	/* NULL for untargeted drivers */
	char		*tag;		/* "havoc-r12-s3": marks what we add */
	const char	*dir;		/* the experiment's folder */
	int		 shown;		/* accessors give secret references */
	int		 reverting;
	/*
	 * This call's place among the calls of its step (one per target,
	 * in the plan's order): index from 0, of count. The runner and the
	 * plan set them; drivers that act on a step's targets together
	 * (aws-call.h) use them. count 0: unknown.
	 */
	size_t		 index;
	size_t		 count;

	void		(*done)(struct hv_call *);
	void		*arg;

	/* Results, filled by the driver before hv_call_done(). */
	int		 ok;		/* the action worked, the probe held */
	/*
	 * Probes: the probe could not look (no answer, or not the answer
	 * of what it asks: a URL that is not Alertmanager), as opposed to
	 * a look that said no. Set with ok 0.
	 */
	int		 broken;
	/*
	 * Actions: it could not be done yet and should be tried again a
	 * little later (a revert that found its fault's inject still
	 * running on the host). Set with ok 0.
	 */
	int		 again;
	struct hv_buf	 out;		/* output worth keeping (bounded) */
	struct hv_buf	 err;		/* why it failed */
	double		 latency_ms;	/* probes: the measured latency */
	double		 value;		/* probes: a measured number */
	int		 has_value;
	/*
	 * A probe's own word for what it found, e.g. alertmanager's
	 * active, silenced, inhibited; empty when it has none.
	 */
	char		 state[16];
	int64_t		 started;	/* monotonic ms */
	int64_t		 ended;
	int		 finished;
	/*
	 * Actions that work in batches (aws.asg.replace): the batch this
	 * call belonged to (1, 2, ...), 0 for none; skipped when it did
	 * nothing because an earlier batch stopped the work (set with ok 0).
	 */
	int		 batch;
	int		 skipped;
	/*
	 * Actions that replace their target by a new host (a new cloud
	 * instance): the new host (owned by the call until the runner
	 * adopts it; hv_call_release frees it otherwise). It takes the old
	 * one's place in every target group for the steps after.
	 */
	struct hv_host	*replacement;

	void		*priv;		/* the driver's own state */
};

/* The registry: every driver, NULL-terminated. */
extern const struct hv_driver *const hv_drivers[];

/* Exact lookup by name; NULL when there is none. */
const struct hv_driver *hv_driver_find(const char *name);
/* The driver whose name is closest to name, for "did you mean". */
const char	*hv_driver_suggest(const char *name, enum hv_driver_kind);
/* The parameter spec called name, or NULL. */
const struct hv_param *hv_param_find(const struct hv_param *, const char *);
const char	*hv_type_name(enum hv_type);

/*
 * Checks a with: (or expect:) map against a parameter table: unknown
 * names (with a suggestion), missing required ones, types and choices.
 * Values that still hold ${target.*} are type-checked per target later.
 * Problems go to diag at the node's position (a missing map's at where);
 * returns their count.
 */
struct hv_diag;
int	 hv_params_check(const struct hv_param *, const struct hv_node *map,
	    const struct hv_node *where, const char *what, struct hv_diag *);
/* Checks one value against its spec; -1 with a message in err. */
int	 hv_param_value_check(const struct hv_param *,
	    const struct hv_node *, struct hv_buf *err);

/* Whether this call injects a fault that has to be reverted. */
int	 hv_call_is_fault(const struct hv_call *);

/* The driver's transport (hv_transport_local when it names none). */
const struct hv_transport *hv_driver_transport(const struct hv_driver *);

/*
 * A call's hooks, the driver's own else its transport's. start and
 * revert run the driver's check() first: no command is built from a
 * value it refuses (the call then fails with its message). The budget
 * is what hv_transport.budget says.
 */
int	 hv_call_start(struct hv_call *);
int	 hv_call_revert(struct hv_call *);
void	 hv_call_cancel(struct hv_call *);
int64_t	 hv_call_budget(const struct hv_call *);

/*
 * Parameter accessors. They return the value given, else the table's
 * default; typed ones return 0 when neither is there. Values were checked
 * before the call started, so they cannot fail. With call->shown set,
 * strings are the shown spelling (secrets as references).
 */
const char	*hv_arg_str(const struct hv_call *, const char *name);
long long	 hv_arg_int(const struct hv_call *, const char *name);
double		 hv_arg_num(const struct hv_call *, const char *name);
int		 hv_arg_bool(const struct hv_call *, const char *name);
int64_t		 hv_arg_ms(const struct hv_call *, const char *name);
uint64_t	 hv_arg_size(const struct hv_call *, const char *name);
/* Whether the parameter was given (defaults do not count). */
int		 hv_arg_has(const struct hv_call *, const char *name);
/* A list or map node as given (borrowed), or NULL. */
const struct hv_node *hv_arg_node(const struct hv_call *, const char *name);

/*
 * A list parameter as a NULL-terminated argv (new array of borrowed
 * strings, caller frees the array only), or NULL when absent.
 */
char		**hv_arg_argv(const struct hv_call *, const char *name);
/*
 * A path parameter resolved against the experiment's folder (new string,
 * caller frees); the folder itself when the parameter is absent.
 */
char		*hv_arg_path(const struct hv_call *, const char *name);
/* Appends argv as one line of shell words, for messages. */
void		 hv_argv_show(struct hv_buf *, char *const *argv);

/* The same over call->expect and the driver's expect table. */
const char	*hv_exp_str(const struct hv_call *, const char *name);
long long	 hv_exp_int(const struct hv_call *, const char *name);
double		 hv_exp_num(const struct hv_call *, const char *name);
int		 hv_exp_bool(const struct hv_call *, const char *name);
int64_t		 hv_exp_ms(const struct hv_call *, const char *name);
int		 hv_exp_has(const struct hv_call *, const char *name);
const struct hv_node *hv_exp_node(const struct hv_call *, const char *name);

/* Initialises a call for a driver; hv_call_release() frees results. */
void	 hv_call_init(struct hv_call *, const struct hv_driver *,
	    struct hv_ctx *);
void	 hv_call_release(struct hv_call *);
/* Clears results so the call can be started again (a watch sample). */
void	 hv_call_reset(struct hv_call *);
/*
 * Records the end of the work and calls call->done. ok is the verdict;
 * a failing call should have put its reason in call->err first.
 */
void	 hv_call_done(struct hv_call *, int ok);
/* Records a failure reason and ends the call: hv_call_done(call, 0). */
void	 hv_call_fail(struct hv_call *, const char *, ...) HV_PRINTF(2, 3);
/* One line describing the call (driver's describe, else a default). */
void	 hv_call_describe(const struct hv_call *, int revert,
	    struct hv_buf *out);

/* Caps on what a call keeps of output. */
#define HV_OUTPUT_MAX	(64 * 1024)

#endif
