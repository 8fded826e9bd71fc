/*
 * cmd-plan.c - havoc plan: resolve targets, print what would be done.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "cmd.h"
#include "experiment.h"
#include "loop.h"
#include "plan.h"
#include "runner.h"

static int
cmd_plan(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "var", required_argument, NULL, 'V' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_load_opts	 lo;
	struct hv_experiment	*x = NULL;
	struct hv_loop		*loop = NULL;
	struct hv_plan		 plan;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		**vars;
	uint64_t		 seed = 0;
	int			 c, have_seed = 0, rc = 0;

	memset(&lo, 0, sizeof lo);
	vars = calloc((size_t)argc, sizeof *vars);
	optind = 1;
	while ((c = getopt_long(argc, argv, "V:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'V':
			if (strchr(optarg, '=') == NULL || *optarg == '=') {
				rc = hv_cmd_usage_error(cmd, "--var needs "
				    "NAME=VALUE");
				goto out;
			}
			vars[lo.nvars++] = optarg;
			break;
		case 's':
			if (hv_parse_u64(optarg, &seed) == -1) {
				rc = hv_cmd_usage_error(cmd, "--seed needs a "
				    "number from 0 to %llu, not \"%s\"",
				    (unsigned long long)UINT64_MAX, optarg);
				goto out;
			}
			have_seed = 1;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			goto out;
		default:
			rc = hv_cmd_usage_error(cmd, "unknown option");
			goto out;
		}
	}
	if (optind != argc - 1) {
		rc = hv_cmd_usage_error(cmd, "one experiment file expected");
		goto out;
	}
	lo.vars = vars;
	if ((x = hv_cmd_load(argv[optind], &lo)) == NULL) {
		rc = HV_EXIT_DATAERR;
		goto out;
	}
	if (!have_seed)
		seed = hv_plan_random_seed();
	/* Cloud targets are asked of AWS (read-only calls) first. */
	if (hv_cloud_used(x))
		loop = hv_loop_new();
	if ((loop != NULL && hv_cloud_resolve(x, loop, &err) == -1) ||
	    hv_plan_make(x, seed, &plan, &err) == -1) {
		fprintf(stderr, "havoc: %s\n", err.s);
		rc = HV_EXIT_ABORTED;
		goto out;
	}
	hv_plan_print(x, &plan, stdout);
	hv_cmd_print_replay(stdout, argv[optind], vars, lo.nvars, seed);
	hv_plan_release(&plan);
out:
	hv_experiment_free(x);
	hv_loop_free(loop);
	hv_buf_release(&err);
	free(vars);
	return rc;
}

const struct hv_cmd hv_cmd_plan = {
	.name = "plan",
	.args = "FILE [--var NAME=VALUE]... [--seed N]",
	.summary = "resolve targets and print what would be done",
	.help = "  --var NAME=VALUE   set or override a variable\n"
	    "  --seed N           the seed for target picks\n",
	.exec = cmd_plan,
};
