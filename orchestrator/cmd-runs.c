/*
 * cmd-runs.c - havoc runs: the most recent runs, newest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cmd.h"
#include "runner.h"
#include "store.h"

static int
cmd_runs(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_store	*st;
	struct hv_buf	 err = HV_BUF_INIT;
	const char	*db = NULL;
	json_t		*runs, *r;
	long long	 limit = 20;
	size_t		 i;
	int		 c, rc, json = 0;
	char		 t[40], d[32];
	int64_t		 started, ended;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:n:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'n':
			if (hv_parse_int(optarg, &limit) == -1 || limit < 1)
				return hv_cmd_usage_error(cmd, "--limit needs "
				    "a "
				    "positive number");
			break;
		case 'j':
			json = 1;
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
	if ((st = hv_cmd_store(db, HV_STORE_READONLY, &rc)) == NULL)
		return rc;
	if ((runs = hv_store_runs_json(st, (int)limit, &err)) == NULL) {
		fprintf(stderr, "havoc: %s\n", err.s);
		hv_buf_release(&err);
		hv_store_close(st);
		return 1;
	}
	if (json) {
		json_dumpf(runs, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		printf("%-6s %-24s %-16s %-9s %s\n", "RUN", "STARTED (UTC)",
		    "STATUS", "TOOK", "EXPERIMENT");
		json_array_foreach(runs, i, r) {
			started = json_integer_value(json_object_get(r,
			    "started_at"));
			ended = json_integer_value(json_object_get(r,
			    "ended_at"));
			hv_format_time(started, t, sizeof t);
			t[19] = '\0';
			printf("%-6lld %-24s %-16s %-9s %s\n",
			    json_integer_value(json_object_get(r, "id")), t,
			    json_string_value(json_object_get(r, "status")),
			    ended > 0 ? hv_format_duration(ended - started, d,
			    sizeof d) : "-",
			    json_string_value(json_object_get(r,
			    "experiment")));
		}
	}
	json_decref(runs);
	hv_store_close(st);
	return 0;
}

const struct hv_cmd hv_cmd_runs = {
	.name = "runs",
	.args = "[--limit N] [--db PATH] [--json]",
	.summary = "list recent runs",
	.help = "  --limit N   how many (20)\n"
	    "  --db PATH   the database\n"
	    "  --json      as JSON\n",
	.exec = cmd_runs,
};
