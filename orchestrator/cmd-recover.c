/*
 * cmd-recover.c - havoc recover: revert faults left active by a run that
 * did not finish (killed, crashed, lost its host).
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "loop.h"
#include "runner.h"
#include "store.h"

static int
cmd_recover(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "run", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_store	*st;
	struct hv_loop	*loop;
	struct hv_buf	 err = HV_BUF_INIT;
	const char	*db = NULL;
	long long	 run = 0;
	int		 c, rc, force = 0, left;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:r:fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'r':
			if (hv_parse_int(optarg, &run) == -1 || run < 1)
				return hv_cmd_usage_error(cmd, "--run needs a "
				    "run id");
			break;
		case 'f':
			force = 1;
			break;
		case 'q':
			hv_log_level = HV_LOG_QUIET;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			return 0;
		default:
			return hv_cmd_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return hv_cmd_usage_error(cmd, "unexpected argument");
	if ((st = hv_cmd_store(db, 0, &rc)) == NULL)
		return rc;
	loop = hv_loop_new();
	/* SIGINT and SIGTERM wait for the reverts under way. */
	hv_loop_catch_signals(loop);
	left = hv_recover(st, loop, run, force, &err);
	if (left == -1)
		fprintf(stderr, "havoc: recover: %s\n", err.s);
	else if (left > 0)
		printf("%d fault%s could not be reverted; see havoc show\n",
		    left, left == 1 ? "" : "s");
	else
		printf("no fault is active\n");
	hv_buf_release(&err);
	hv_loop_free(loop);
	hv_store_close(st);
	return left == 0 ? 0 : HV_EXIT_ROLLBACK;
}

const struct hv_cmd hv_cmd_recover = {
	.name = "recover",
	.args = "[--db PATH] [--run ID] [--force]",
	.summary = "revert faults left active by an interrupted run",
	.help = "  --db PATH   the database\n"
	    "  --run ID    only this run's faults\n"
	    "  --force     also faults of runs whose havoc still seems alive\n"
	    "\nexit: 0 when no fault is left active, 3 otherwise\n",
	.exec = cmd_recover,
};
