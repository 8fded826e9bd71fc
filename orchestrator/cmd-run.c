/*
 * cmd-run.c - havoc run: one experiment, now.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "experiment.h"
#include "loop.h"
#include "report.h"
#include "runner.h"
#include "store.h"

static const char help[] =
"  --dry-run          plan only: print every step, host and revert\n"
"  --db PATH          the database (else $HAVOC_DB, else ./havoc.db)\n"
"  --var NAME=VALUE   set or override a variable (repeatable)\n"
"  --var-env NAME=VAR set or override a variable with the value of the\n"
"                     environment variable VAR: a secret, shown as\n"
"                     ${env.VAR} in plans, logs, the journal and the\n"
"                     database, and read again by havoc recover\n"
"  --seed N           the seed for target picks (replays a run)\n"
"  --export PATH      write the run's record from the store as JSON\n"
"                     (--journal PATH, its old name, still works)\n"
"  --junit PATH       write the run as JUnit XML to PATH, for CI\n"
"                     (both paths are checked before the run starts)\n"
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

/*
 * Checks before anything runs that path can be written (--export,
 * --junit), so that a bad one stops the run at once, not after its
 * faults: it is opened for writing, made if need be (*created then says
 * so, for it to go again if no run comes), and closed. Opening does not
 * wait for a FIFO's reader. -1 with the reason in err.
 */
static int
check_output(const char *path, int *created, struct hv_buf *err)
{
	struct stat	st;
	int		fd, isdir;

	*created = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NONBLOCK,
	    0644);
	if (fd != -1)
		*created = 1;
	else if (errno == EEXIST)
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return hv_error(err, "%s: %s", path, errno == ENXIO ?
		    "no process reads it" : strerror(errno));
	isdir = fstat(fd, &st) == -1 || S_ISDIR(st.st_mode);
	close(fd);
	if (isdir)
		return hv_error(err, "%s: %s", path, strerror(EISDIR));
	return 0;
}

static int
cmd_run(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "db", required_argument, NULL, 'd' },
		{ "var", required_argument, NULL, 'V' },
		{ "var-env", required_argument, NULL, 'E' },
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
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*db = NULL, *export = NULL, *junit = NULL;
	const char		**vars = NULL;
	unsigned char		*env = NULL;
	int			 c, dry = 0, rc, new_export = 0, new_junit = 0;

	memset(&lo, 0, sizeof lo);
	memset(&ro, 0, sizeof ro);
	vars = hv_xcalloc((size_t)argc, sizeof *vars);
	env = hv_xcalloc((size_t)argc, sizeof *env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "nd:V:E:s:j:qvh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'n':
			dry = 1;
			break;
		case 'd':
			db = optarg;
			break;
		case 'V':
		case 'E':
			if ((rc = hv_cmd_check_var(cmd, optarg,
			    c == 'E')) != 0)
				goto out;
			env[lo.nvars] = c == 'E';
			vars[lo.nvars++] = optarg;
			break;
		case 's':
			/* 99999999999999999999 was clamped, silently. */
			if (hv_parse_u64(optarg, &ro.seed) == -1) {
				rc = hv_cmd_usage_error(cmd, "--seed needs a "
				    "number from 0 to %llu, not \"%s\"",
				    (unsigned long long)UINT64_MAX, optarg);
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
	if ((export != NULL && check_output(export, &new_export,
	    &err) == -1) || (junit != NULL && check_output(junit,
	    &new_junit, &err) == -1)) {
		rc = hv_cmd_usage_error(cmd, "cannot write %s", err.s);
		goto out;
	}
	lo.vars = vars;
	lo.env = env;
	if ((x = hv_cmd_load(argv[optind], &lo)) == NULL) {
		rc = HV_EXIT_DATAERR;
		goto out;
	}
	if (dry) {
		rc = hv_cmd_show_plan(argv[optind], x, &lo, ro.seed,
		    ro.have_seed);
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
	if (res.run != 0)
		new_export = new_junit = 0;	/* written: they stay */
	print_verdict(st, &res, hv_cmd_db_path(db));
	hv_run_result_release(&res);
out:
	/* No run, no record: a file made only for the check goes again. */
	if (new_export)
		(void)unlink(export);
	if (new_junit)
		(void)unlink(junit);
	hv_loop_free(loop);
	hv_store_close(st);
	hv_experiment_free(x);
	hv_buf_release(&err);
	free(vars);
	free(env);
	return rc;
}

const struct hv_cmd hv_cmd_run = {
	.name = "run",
	.args = "FILE [--dry-run] [--db PATH] [--var NAME=VALUE]... "
	    "[--var-env NAME=VAR]... [--seed N] [--export PATH] "
	    "[--junit PATH] [--quiet|--verbose]",
	.summary = "run one experiment now",
	.help = help,
	.exec = cmd_run,
};
