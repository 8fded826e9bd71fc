/*
 * cmd-validate.c - havoc validate: check files without touching anything.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "experiment.h"
#include "node.h"
#include "plan.h"
#include "runner.h"
#include "util.h"

static int
cmd_validate(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_experiment	*x;
	struct hv_diag		 d;
	int			 c, i, bad = 0, quiet = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			return 0;
		default:
			return hv_cmd_usage_error(cmd, "unknown option");
		}
	}
	if (optind >= argc)
		return hv_cmd_usage_error(cmd, "no file given");
	for (i = optind; i < argc; i++) {
		if ((x = hv_cmd_load(argv[i], NULL)) == NULL) {
			bad++;
			continue;
		}
		/* What plan would refuse is a problem of the file too. */
		hv_diag_init(&d);
		if (hv_plan_check(x, &d) > 0) {
			fputs(d.text.s, stderr);
			fprintf(stderr, "havoc: %d problem%s in %s\n", d.count,
			    d.count == 1 ? "" : "s", argv[i]);
			hv_diag_release(&d);
			hv_experiment_free(x);
			bad++;
			continue;
		}
		hv_diag_release(&d);
		if (!quiet)
			printf("%s: ok (%zu steps, %zu hosts)\n", argv[i],
			    x->nmethod, x->inv->nhosts);
		hv_experiment_free(x);
	}
	return bad > 0 ? HV_EXIT_DATAERR : 0;
}

const struct hv_cmd hv_cmd_validate = {
	.name = "validate",
	.args = "FILE...",
	.summary = "check experiment files",
	.help = "  --quiet   print problems only\n\n"
	    "Every problem is printed as FILE:LINE:COLUMN: message; the exit\n"
	    "status is 65 when there was any.\n",
	.exec = cmd_validate,
};
