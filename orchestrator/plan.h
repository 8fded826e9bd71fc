/*
 * plan.h - which hosts each target group means for this run, and the
 * blast-radius check, before anything touches a system.
 *
 * Groups are resolved once per run: a rollback `on: one_web` hits the
 * very host that the fault `on: one_web` hit. `pick` is drawn with a
 * seeded generator over the candidates sorted by name, so a recorded seed
 * replays the same choice on the same inventory.
 */
#ifndef HV_PLAN_H
#define HV_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct hv_experiment;
struct hv_host;
struct hv_node;
struct hv_step;

struct hv_targets {
	const struct hv_host	**hosts;	/* borrowed from the model */
	size_t			 n;
};

struct hv_plan {
	uint64_t		 seed;
	struct hv_targets	*groups;	/* one per experiment group */
	size_t			 ngroups;
	const struct hv_host	**touched;	/* hosts actions run on */
	size_t			 ntouched;
	/*
	 * What actions reach without running on it: the hosts, other
	 * single addresses and ranges of peers: and destination:.
	 */
	const struct hv_host	**reached;
	size_t			 nreached;
	size_t			 addresses;
	size_t			 ranges;
};

/*
 * Resolves every target group with seed and checks the blast radius:
 * safety.max_targets, and that every group a step uses matches a host.
 * -1 with the reason in err (the plan is then released).
 */
int	 hv_plan_make(const struct hv_experiment *, uint64_t seed,
	    struct hv_plan *, struct hv_buf *err);
void	 hv_plan_release(struct hv_plan *);

/*
 * What any plan of x would refuse, whatever the seed, as located
 * problems (for validate): a pick of more hosts than a group has, and
 * actions that may touch more hosts than safety.max_targets. Returns
 * their count.
 */
struct hv_diag;
int	 hv_plan_check(const struct hv_experiment *, struct hv_diag *);

/* A fresh random seed (32 bits, so that people can type it again). */
uint64_t hv_plan_random_seed(void);

/*
 * A host replaced another during the run (aws.asg.replace): repl takes
 * old's place in every group, for the steps that follow.
 */
void	 hv_plan_replace(struct hv_plan *, const struct hv_host *old,
	    const struct hv_host *repl);

/* The hosts a step runs on: its group's, or none (n == 0, hosts NULL). */
const struct hv_targets *hv_plan_targets(const struct hv_plan *,
	    const struct hv_step *);

/*
 * A step's with: (or expect:) for one host: a new tree with ${target.*}
 * expanded and values checked against the driver's table again. NULL with
 * a message in err. host may be NULL for untargeted steps (then a copy).
 */
struct hv_node	*hv_plan_params(const struct hv_experiment *,
		    const struct hv_step *, const struct hv_node *,
		    const struct hv_host *, struct hv_buf *err);

/*
 * Replaces, in a step's resolved with: (from hv_plan_params), every
 * target-group parameter (HV_T_TARGETS) that names a group by the list of
 * that group's addresses, so that what runs (and what the fault journal
 * keeps for a later revert) no longer depends on the plan.
 */
void	 hv_plan_resolve_groups(const struct hv_experiment *,
	    const struct hv_plan *, const struct hv_step *, struct hv_node *);

/* Prints every step, every host it hits and the revert that undoes it. */
void	 hv_plan_print(const struct hv_experiment *, const struct hv_plan *,
	    FILE *);

/* {"seed": N, "groups": {"name": ["host", ...]}} as a new string. */
char	*hv_plan_json(const struct hv_experiment *, const struct hv_plan *);

#endif
