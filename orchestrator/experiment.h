/*
 * experiment.h - the model of an experiment, as check.c builds it from a
 * loaded YAML tree, and what plan.c and the runner read.
 *
 * The model owns its tree: node pointers in it (with:, expect:) are
 * borrowed from x->doc and live as long as the experiment.
 */
#ifndef HV_EXPERIMENT_H
#define HV_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "node.h"

struct hv_driver;

enum hv_pick { HV_PICK_ALL, HV_PICK_COUNT, HV_PICK_PERCENT };

/*
 * A cloud target group's selector (targets: NAME: {aws: ...}): exactly
 * one of an Auto Scaling group, EC2 tags (all must match) or instance
 * ids. At plan time (cloud.h) its running instances become hosts of the
 * experiment's inventory and the group's members; pick, the seed and
 * max_targets then work on them as on any hosts.
 */
struct hv_aws_target {
	char		*asg;
	char		**tag_keys;
	char		**tag_values;
	size_t		 ntags;
	char		**ids;
	size_t		 nids;
	int		 public_address;	/* address: public */
	/* Filled by hv_cloud_resolve(): the instance ids, sorted. */
	int		 resolved;
	char		**members;
	size_t		 nmembers;
};

struct hv_group {
	char		*name;
	char		**tags;		/* a host must carry all of them */
	size_t		 ntags;
	char		**names;	/* or be one of these hosts */
	size_t		 nnames;
	struct hv_aws_target *aws;	/* owned; or a cloud group */
	enum hv_pick	 pick;
	int		 pick_n;	/* count, or percent */
	const struct hv_node *where;
};

enum hv_step_kind { HV_STEP_ACTION, HV_STEP_PROBE, HV_STEP_PAUSE };

struct hv_step {
	char		*name;
	enum hv_step_kind kind;
	const struct hv_driver *driver;	/* NULL for a pause */
	const struct hv_node *with;	/* a map; never NULL for drivers */
	const struct hv_node *expect;	/* a map or NULL */
	int		 group;		/* index into groups, or -1 */
	int64_t		 pause_ms;
	int64_t		 duration_ms;	/* 0: stays until the rollbacks */
	int		 background;	/* do not wait for duration */
	int64_t		 within_ms;	/* alerts only */
	int64_t		 poll_ms;	/* alerts only: how often to look */
	/*
	 * Alerts only: the parameters of the alertmanager.silence action
	 * that keeps on-call from being paged while the alert is verified
	 * (the probe's own parameters and the silence: map), or NULL.
	 */
	struct hv_node	*silence;	/* owned */
	const struct hv_node *where;
};

struct hv_var {
	char		*name;
	char		*str;		/* real */
	char		*shown;		/* secrets as references */
	int		 secret;
	int		 broken;	/* its value had an error (reported) */
	int		 depth;		/* variables within it: 0 for none */
};

struct hv_experiment {
	char		*path;
	char		*dir;		/* for relative paths */
	char		 sha256[65];	/* of the file's bytes */
	struct hv_node	*doc;		/* owned */

	int		 version;
	char		*title;
	char		*description;
	char		**tags;
	size_t		 ntags;

	struct hv_var	*vars;
	size_t		 nvars;

	struct hv_ssh_opts ssh;		/* defaults for every host */
	struct hv_inventory *inv;	/* owned: every host (inventory.h) */
	/* cloud: {aws: ...}; has_aws when the file says it. */
	struct hv_cloud_aws aws;
	int		 has_aws;
	/* What plan time learnt of Auto Scaling groups (cloud.h). */
	struct hv_asg_info **asgs;	/* owned */
	size_t		 nasgs;
	struct hv_group	*groups;
	size_t		 ngroups;

	struct hv_step	*steady;	/* named probes */
	size_t		 nsteady;
	struct hv_step	*method;
	size_t		 nmethod;
	struct hv_step	*rollbacks;
	size_t		 nrollbacks;
	struct hv_step	*alerts;
	size_t		 nalerts;

	int64_t		 watch_every_ms;	/* 0: no watch */
	int		*watch;			/* indices into steady */
	size_t		 nwatch;
	int64_t		 watch_after_ms;	/* sample after the rollbacks */

	int		 max_targets;		/* 0: unlimited */
	int		 abort_probe;		/* index into steady, or -1 */
	int64_t		 abort_failing_ms;
	int64_t		 dead_man_ms;		/* 0: default */
	struct hv_step	*preflight;	/* probes that must pass first */
	size_t		 npreflight;
};

/*
 * --var NAME=VALUE overrides, in order; the last one of a name wins.
 * With env set, entry i whose env[i] is set is --var-env NAME=VAR: the
 * value of the environment variable VAR, a secret shown as ${env.VAR}.
 */
struct hv_load_opts {
	const char	**vars;
	size_t		 nvars;
	/* Inventory files loaded once for several experiments, or NULL. */
	struct hv_inventory_cache *inventories;
	const unsigned char *env;	/* NULL, or one flag per vars entry */
};

/*
 * Loads and checks an experiment file, its inventory and every driver's
 * parameters. Returns a new experiment, or NULL with every problem in
 * diag as FILE:LINE:COLUMN: message.
 */
struct hv_experiment *hv_experiment_load(const char *path,
		    const struct hv_load_opts *, struct hv_diag *);
/* The same for a tree already parsed (tests); owns doc on success too. */
struct hv_experiment *hv_experiment_from_tree(const char *path,
		    struct hv_node *doc, const struct hv_load_opts *,
		    struct hv_diag *);
void		 hv_experiment_free(struct hv_experiment *);

/* A named steady-state probe, or -1. */
int		 hv_experiment_probe(const struct hv_experiment *,
		    const char *name);
/* A target group by name, or -1. */
int		 hv_experiment_group(const struct hv_experiment *,
		    const char *name);
/* The effective SSH settings of host h: its own, else the defaults. */
void		 hv_experiment_ssh_for(const struct hv_experiment *,
		    const struct hv_host *, struct hv_ssh_opts *out);

#define HV_DEAD_MAN_DEFAULT_MS	(10 * 60 * 1000)
/* A fault's duration must end this long before the dead-man fires. */
#define HV_DEAD_MAN_MARGIN_MS	5000

#endif
