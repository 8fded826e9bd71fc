/*
 * cmd-gameday.c - havoc gameday: run one game day now, or print the
 * next slots of its schedule.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "gameday.h"
#include "loop.h"
#include "node.h"
#include "runner.h"
#include "store.h"

static const char help[] =
"  --now              run the game day now (the default)\n"
"  --next N           print the next N slots, one a line, RFC 3339 with\n"
"                     the zone's offset; after schedule, window and\n"
"                     blackout, before jitter; nothing is run\n"
"  --from TIME        with --next: slots strictly after TIME (default\n"
"                     now): RFC 3339 (2026-03-29T03:00:00+02:00, ...Z),\n"
"                     a local YYYY-MM-DD[THH:MM[:SS]] in the game day's\n"
"                     time zone, @SECONDS or now\n"
"  --db PATH          the database (else $HAVOC_DB, else ./havoc.db)\n"
"  --quiet            print the verdict only\n"
"  --verbose          print every sample and debug detail\n"
"\nexit: 0 every run held, 1 one deviated, 2 one aborted, 3 a rollback\n"
"failed (run havoc recover), 64 usage, 65 invalid file or no slot\n";

struct hv_gameday *
hv_cmd_load_gameday(const char *path, int flags)
{
	struct hv_gameday	*g;
	struct hv_diag		 d;

	hv_diag_init(&d);
	g = hv_gameday_load(path, flags, &d);
	if (d.count > 0) {
		fputs(d.text.s, stderr);
		fprintf(stderr, "havoc: %d problem%s in %s\n", d.count,
		    d.count == 1 ? "" : "s", path);
	}
	hv_diag_release(&d);
	return g;
}

int
hv_cmd_print_next(struct hv_gameday *g, int64_t from, long n, FILE *f,
    const char *indent)
{
	const struct hv_node	*w = g->where_schedule;
	struct hv_buf		 err = HV_BUF_INIT;
	int64_t			 slots[1024], t = from;
	long			 done = 0;
	int			 got, i, want;
	char			 buf[64];

	while (done < n) {
		want = n - done < 1024 ? (int)(n - done) : 1024;
		got = hv_schedule_list(&g->sched, t, slots, (size_t)want,
		    &err);
		for (i = 0; f != NULL && i < got; i++)
			fprintf(f, "%s%s\n", indent, hv_schedule_format(
			    &g->sched, slots[i], buf, sizeof buf));
		done += got;
		if (got < want) {
			if (f != NULL)
				fflush(f);
			if (w != NULL)
				fprintf(stderr, "%s:%d:%d: schedule: %s\n",
				    w->file, w->line, w->col, err.s);
			else
				fprintf(stderr, "%s: schedule: %s\n", g->path,
				    err.s);
			hv_buf_release(&err);
			return -1;
		}
		t = slots[got - 1];
	}
	return 0;
}

static int
run_now(struct hv_gameday *g, const char *db)
{
	struct hv_gameday_opts	 o;
	struct hv_gameday_result res;
	struct hv_store		*st;
	struct hv_loop		*loop;
	int			 rc;

	if ((st = hv_cmd_open_store(db)) == NULL)
		return HV_EXIT_ABORTED;
	memset(&o, 0, sizeof o);
	loop = hv_loop_new();
	hv_loop_catch_signals(loop);
	rc = hv_gameday_run(g, st, loop, &o, &res);
	printf("%s: game day %s, %d run%s, %d skipped (game day %lld)\n",
	    res.status, g->name, res.runs, res.runs == 1 ? "" : "s",
	    res.skipped, (long long)res.gameday);
	hv_loop_free(loop);
	hv_store_close(st);
	return rc;
}

static int
cmd_gameday(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "now", no_argument, NULL, 'N' },
		{ "next", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_gameday	*g = NULL;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*db = NULL, *from = NULL;
	long long		 next = 0;
	int64_t			 t;
	int			 c, now = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "Nn:f:d:qvh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'N':
			now = 1;
			break;
		case 'n':
			if (hv_parse_int(optarg, &next) == -1 || next < 1 ||
			    next > 100000)
				return hv_cmd_usage_error(cmd, "--next needs a "
				    "number from 1 to 100000, not \"%s\"",
				    optarg);
			break;
		case 'f':
			from = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'q':
			hv_log_level = HV_LOG_QUIET;
			break;
		case 'v':
			hv_log_level = HV_LOG_VERBOSE;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			return 0;
		default:
			return hv_cmd_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc - 1)
		return hv_cmd_usage_error(cmd, "one game-day file expected");
	if (now && next > 0)
		return hv_cmd_usage_error(cmd, "--now and --next do not go "
		    "together");
	if (from != NULL && next == 0)
		return hv_cmd_usage_error(cmd, "--from goes with --next");
	if (next > 0) {
		if ((g = hv_cmd_load_gameday(argv[optind],
		    HV_GD_SCHEDULE_ONLY)) == NULL)
			return HV_EXIT_DATAERR;
		t = hv_wall_ms();
		if (from != NULL && hv_schedule_parse_time(&g->sched, from, &t,
		    &err) == -1) {
			rc = hv_cmd_usage_error(cmd, "--from: %s", err.s);
			goto out;
		}
		rc = hv_cmd_print_next(g, t, (long)next, stdout, "") == -1 ?
		    HV_EXIT_DATAERR : 0;
		goto out;
	}
	if ((g = hv_cmd_load_gameday(argv[optind], 0)) == NULL)
		return HV_EXIT_DATAERR;
	rc = run_now(g, db);
out:
	hv_buf_release(&err);
	hv_gameday_free(g);
	return rc;
}

const struct hv_cmd hv_cmd_gameday = {
	.name = "gameday",
	.args = "FILE [--now] [--db PATH] [--quiet|--verbose]\n"
	    "       havoc gameday FILE --next N [--from TIME]",
	.summary = "run one game day now, or print its next slots",
	.help = help,
	.exec = cmd_gameday,
};
