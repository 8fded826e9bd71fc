/*
 * cmd-validate.c - havoc validate: check files without touching anything.
 * A file whose top level has "gameday:" is a game-day file: it is checked
 * with the experiments it names, and its next five start times are shown.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "experiment.h"
#include "gameday.h"
#include "node.h"
#include "plan.h"
#include "runner.h"
#include "util.h"

/* Whether path holds a game day; a file that does not parse is not. */
static int
is_gameday(const char *path)
{
	struct hv_diag	 d;
	struct hv_node	*doc;
	int		 yes;

	hv_diag_init(&d);
	doc = hv_yaml_load(path, &d);
	yes = hv_gameday_is(doc);
	hv_node_free(doc);
	hv_diag_release(&d);
	return yes;
}

static int
validate_gameday(const char *path, int quiet)
{
	struct hv_gameday	*g;
	char			 d[32];
	int			 rc = 0;

	if ((g = hv_cmd_load_gameday(path, 0)) == NULL)
		return -1;
	if (!quiet) {
		printf("%s: ok (game day %s, %zu experiment%s, %s in %s",
		    path, g->name, g->nexps, g->nexps == 1 ? "" : "s",
		    g->schedule_text, g->sched.tz);
		if (g->jitter_ms > 0)
			printf(", jitter up to %s",
			    hv_format_duration(g->jitter_ms, d, sizeof d));
		/* The times as --next prints them: one a line, alone. */
		printf(")\n%s: next 5 starts%s:\n", path, g->jitter_ms > 0 ?
		    " (before jitter)" : "");
	}
	if (hv_cmd_print_next(g, hv_wall_ms(), 5, quiet ? NULL : stdout,
	    "") == -1)
		rc = -1;
	hv_gameday_free(g);
	return rc;
}

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
		if (is_gameday(argv[i])) {
			bad += validate_gameday(argv[i], quiet) == -1;
			continue;
		}
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
	.summary = "check experiment and game-day files",
	.help = "  --quiet   print problems only\n\n"
	    "Every problem is printed as FILE:LINE:COLUMN: message; the exit\n"
	    "status is 65 when there was any. For a game-day file (one with\n"
	    "gameday: at its top) the experiments it names are checked too,\n"
	    "and its next five start times are printed.\n",
	.exec = cmd_validate,
};
