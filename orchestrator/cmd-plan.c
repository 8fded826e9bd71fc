/*
 * cmd-plan.c - havoc plan: resolve targets, print what would be done.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "experiment.h"
#include "runner.h"
#include "util.h"

static int
cmd_plan(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "var", required_argument, NULL, 'V' },
		{ "var-env", required_argument, NULL, 'E' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_load_opts	 lo;
	struct hv_experiment	*x = NULL;
	const char		**vars;
	unsigned char		*env;
	uint64_t		 seed = 0;
	int			 c, have_seed = 0, rc = 0;

	memset(&lo, 0, sizeof lo);
	vars = hv_xcalloc((size_t)argc, sizeof *vars);
	env = hv_xcalloc((size_t)argc, sizeof *env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "V:E:s:h", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'V':
		case 'E':
			if ((rc = hv_cmd_check_var(cmd, optarg,
			    c == 'E')) != 0)
				goto out;
			env[lo.nvars] = c == 'E';
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
	lo.env = env;
	if ((x = hv_cmd_load(argv[optind], &lo)) == NULL) {
		rc = HV_EXIT_DATAERR;
		goto out;
	}
	rc = hv_cmd_show_plan(argv[optind], x, &lo, seed, have_seed);
out:
	hv_experiment_free(x);
	free(vars);
	free(env);
	return rc;
}

const struct hv_cmd hv_cmd_plan = {
	.name = "plan",
	.args = "FILE [--var NAME=VALUE]... [--var-env NAME=VAR]... "
	    "[--seed N]",
	.summary = "resolve targets and print what would be done",
	.help = "  --var NAME=VALUE   set or override a variable\n"
	    "  --var-env NAME=VAR set or override a variable with the value of "
	    "the\n"
	    "                     environment variable VAR (a secret: shown "
	    "as\n"
	    "                     ${env.VAR})\n"
	    "  --seed N           the seed for target picks\n",
	.exec = cmd_plan,
};
