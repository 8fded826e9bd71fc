/*
 * cmd-run.c - havoc run: one experiment, now.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloud.h"
#include "cmd.h"
#include "experiment.h"
#include "loop.h"
#include "plan.h"
#include "report.h"
#include "runner.h"
#include "store.h"

static const char help[] =
"  --dry-run          plan only: print every step, host and revert\n"
"  --db PATH          the database (else $HAVOC_DB, else ./havoc.db)\n"
"  --var NAME=VALUE   set or override a variable (repeatable)\n"
"  --seed N           the seed for target picks (replays a run)\n"
"  --export PATH      write the run's record from the store as JSON\n"
"                     (--journal PATH, its old name, still works)\n"
"  --junit PATH       write the run as JUnit XML to PATH, for CI\n"
"  --quiet            print the verdict only\n"
"  --verbose          print every sample and debug detail\n"
"\nexit: 0 held, 1 deviated, 2 aborted, 3 rollback failed (run havoc\n"
"recover), 64 usage, 65 invalid file\n";

/* Prints the verdict and the figures of a finished run. */
static void
print_verdict(struct hv_store *st, const struct hv_run_result *res,
    const char *db)
{
	struct hv_buf	 err = HV_BUF_INIT;
	json_t		*run, *f, *a;
	size_t		 i;
	char		 d[32];
	int64_t		 ms;

	printf("%s: %s (run %lld)\n", res->status, res->reason,
	    (long long)res->run);
	if (hv_log_level < HV_LOG_INFO || res->run == 0)
		return;
	if ((run = hv_store_run_json(st, res->run, &err)) == NULL) {
		hv_buf_release(&err);
		return;
	}
	json_array_foreach(json_object_get(run, "figures"), i, f) {
		const char	*state = json_string_value(json_object_get(f,
				    "state"));

		ms = json_integer_value(json_object_get(f, "ttr_ms"));
		if (state != NULL && strcmp(state, "recovered") == 0)
			printf("  %s: time to recover %s (%lld of %lld samples "
			    "failed)\n", json_string_value(json_object_get(f,
			    "probe")), hv_format_duration(ms, d, sizeof d),
			    json_integer_value(json_object_get(f, "failures")),
			    json_integer_value(json_object_get(f, "samples")));
		else
			printf("  %s: %s (%lld samples)\n",
			    json_string_value(json_object_get(f, "probe")),
			    state != NULL && strcmp(state, "steady") == 0 ?
			    "never failed" : "did not recover",
			    json_integer_value(json_object_get(f, "samples")));
	}
	json_array_foreach(json_object_get(run, "alerts"), i, a) {
		if (json_is_integer(json_object_get(a, "ttd_ms")) &&
		    strcmp(json_string_value(json_object_get(a, "state")),
		    "missed") != 0)
			printf("  alert %s: time to detect %s\n",
			    json_string_value(json_object_get(a, "name")),
			    hv_format_duration(json_integer_value(
			    json_object_get(a, "ttd_ms")), d, sizeof d));
		else
			printf("  alert %s: not seen (monitoring gap)\n",
			    json_string_value(json_object_get(a, "name")));
	}
	printf("  database: %s (havoc show %lld)\n", db, (long long)res->run);
	json_decref(run);
}

/* --export: the run's record from the store, as JSON. */
static int
write_export(struct hv_store *st, int64_t run, const char *path)
{
	struct hv_buf	 err = HV_BUF_INIT;
	json_t		*j;
	int		 rc = 0;

	if ((j = hv_store_run_json(st, run, &err)) == NULL) {
		fprintf(stderr, "havoc: export: %s\n", err.s);
		hv_buf_release(&err);
		return -1;
	}
	if (json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS) == -1) {
		fprintf(stderr, "havoc: export: cannot write %s\n", path);
		rc = -1;
	}
	json_decref(j);
	return rc;
}

/* --junit: the run's report as JUnit XML. */
static int
write_junit(struct hv_store *st, int64_t run, const char *path)
{
	struct hv_report_query	 q;
	struct hv_report	*r = NULL;
	struct hv_buf		 err = HV_BUF_INIT;
	int			 rc;

	memset(&q, 0, sizeof q);
	q.run = run;
	rc = hv_report_build(st, &q, &r, &err);
	if (rc == 0)
		rc = hv_report_write(r, &hv_report_junit, path, &err);
	if (rc == -1)
		fprintf(stderr, "havoc: junit: %s\n", err.s);
	hv_report_free(r);
	hv_buf_release(&err);
	return rc;
}

static int
cmd_run(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "db", required_argument, NULL, 'd' },
		{ "var", required_argument, NULL, 'V' },
		{ "seed", required_argument, NULL, 's' },
		{ "export", required_argument, NULL, 'j' },
		{ "journal", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_load_opts	 lo;
	struct hv_run_opts	 ro;
	struct hv_run_result	 res;
	struct hv_experiment	*x = NULL;
	struct hv_store		*st = NULL;
	struct hv_loop		*loop = NULL;
	struct hv_plan		 plan;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*db = NULL, *export = NULL, *junit = NULL;
	const char		**vars = NULL;
	char			*end;
	int			 c, dry = 0, rc;

	memset(&lo, 0, sizeof lo);
	memset(&ro, 0, sizeof ro);
	vars = calloc((size_t)argc, sizeof *vars);
	optind = 1;
	while ((c = getopt_long(argc, argv, "nd:V:s:j:qvh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'n':
			dry = 1;
			break;
		case 'd':
			db = optarg;
			break;
		case 'V':
			if (strchr(optarg, '=') == NULL || *optarg == '=') {
				rc = hv_cmd_usage_error(cmd, "--var needs "
				    "NAME=VALUE, not \"%s\"", optarg);
				goto out;
			}
			vars[lo.nvars++] = optarg;
			break;
		case 's':
			ro.seed = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || *optarg == '-') {
				rc = hv_cmd_usage_error(cmd, "--seed needs a "
				    "number, not \"%s\"", optarg);
				goto out;
			}
			ro.have_seed = 1;
			break;
		case 'j':
			export = optarg;
			break;
		case 'J':
			junit = optarg;
			break;
		case 'q':
			hv_log_level = HV_LOG_QUIET;
			break;
		case 'v':
			hv_log_level = HV_LOG_VERBOSE;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			rc = 0;
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
	if (dry) {
		if (!ro.have_seed)
			ro.seed = hv_plan_random_seed();
		/* Cloud targets are asked of AWS (read-only calls) first. */
		if (hv_cloud_used(x))
			loop = hv_loop_new();
		if ((loop != NULL && hv_cloud_resolve(x, loop, &err) == -1) ||
		    hv_plan_make(x, ro.seed, &plan, &err) == -1) {
			fprintf(stderr, "havoc: %s\n", err.s);
			rc = HV_EXIT_ABORTED;
			goto out;
		}
		hv_plan_print(x, &plan, stdout);
		hv_cmd_print_replay(stdout, argv[optind], vars, lo.nvars,
		    (unsigned long long)ro.seed);
		hv_plan_release(&plan);
		rc = 0;
		goto out;
	}
	if ((st = hv_cmd_open_store(db)) == NULL) {
		rc = HV_EXIT_ABORTED;
		goto out;
	}
	loop = hv_loop_new();
	hv_loop_catch_signals(loop);
	rc = hv_run(x, st, loop, &ro, &res);
	if (res.run == 0)
		fprintf(stderr, "havoc: %s\n", res.reason);
	if (export != NULL && res.run != 0 &&
	    write_export(st, res.run, export) == -1 && rc == 0)
		rc = HV_EXIT_ABORTED;
	if (junit != NULL && res.run != 0 &&
	    write_junit(st, res.run, junit) == -1 && rc == 0)
		rc = HV_EXIT_ABORTED;
	print_verdict(st, &res, hv_cmd_db_path(db));
	hv_run_result_release(&res);
out:
	hv_loop_free(loop);
	hv_store_close(st);
	hv_experiment_free(x);
	hv_buf_release(&err);
	free(vars);
	return rc;
}

const struct hv_cmd hv_cmd_run = {
	.name = "run",
	.args = "FILE [--dry-run] [--db PATH] [--var NAME=VALUE]... "
	    "[--seed N] [--export PATH] [--junit PATH] [--quiet|--verbose]",
	.summary = "run one experiment now",
	.help = help,
	.exec = cmd_run,
};
