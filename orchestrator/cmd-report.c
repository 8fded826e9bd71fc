/*
 * cmd-report.c - havoc report: one run, one game day or a period, as
 * text, HTML, JSON or JUnit XML.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "report.h"
#include "runner.h"
#include "store.h"

#define DEFAULT_PERIOD_MS	(30 * 86400000LL)

static const char help[] =
"  --run ID          one run\n"
"  --gameday NAME    one game day: its latest, or with --at the one\n"
"                    under way (or last started) at TIME\n"
"  --at TIME         with --gameday\n"
"  --since DURATION  the runs started in the last DURATION (30d, 12h);\n"
"                    the default is --since 30d\n"
"  --from TIME       the runs started from TIME (to --to, else now)\n"
"  --to TIME\n"
"  --tag TAG         only runs of experiments with this tag (repeatable:\n"
"                    all of them)\n"
"  --stale DURATION  list experiments not run for this long (30d)\n"
"  -o, --output FILE write to FILE (written whole, then renamed into\n"
"                    place) instead of stdout\n"
"  --format FORMAT   text, html, json or junit; the default comes from\n"
"                    the ending of FILE (.txt, .html, .json, .xml), and\n"
"                    is text without one\n"
"  --db PATH         the database\n"
"\nTIME is RFC 3339 (2026-03-03T10:30:00Z, 2026-03-03T11:30:00+01:00) or a\n"
"date (2026-03-03, midnight UTC). exit: 0 written, 1 nothing to report (no\n"
"such run or game day) or the report cannot be written, 2 the database\n"
"cannot be read, 64 usage, 66 no database at the path\n";

/* Reads n digits at *s into *v. */
static int
digits(const char **s, int n, int *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < n; i++, (*s)++) {
		if (!isdigit((unsigned char)**s))
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

/*
 * RFC 3339 (seconds and fraction optional, Z or an offset) or a plain
 * date; wall milliseconds, -1 when malformed.
 */
static int64_t
parse_time(const char *s)
{
	struct tm	tm;
	int		y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign, ms = 0;
	int		n;
	time_t		t;
	int64_t		off = 0;

	memset(&tm, 0, sizeof tm);
	if (digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    digits(&s, 2, &d) == -1)
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (digits(&s, 2, &h) == -1 || *s++ != ':' ||
		    digits(&s, 2, &mi) == -1)
			return -1;
		if (*s == ':') {
			s++;
			if (digits(&s, 2, &sec) == -1)
				return -1;
			if (*s == '.') {
				for (s++, n = 0; isdigit((unsigned char)*s);
				    s++, n++)
					if (n < 3)
						ms = ms * 10 + (*s - '0');
				if (n == 0)
					return -1;
				for (; n < 3; n++)
					ms *= 10;
			}
		}
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (digits(&s, 2, &oh) == -1 || *s++ != ':' ||
			    digits(&s, 2, &om) == -1 || oh > 23 || om > 59)
				return -1;
			off = sign * ((int64_t)oh * 3600 + om * 60);
		} else
			return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != d)
		return -1;
	return ((int64_t)t - off) * 1000 + ms;
}

static int
cmd_report(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "gameday", required_argument, NULL, 'g' },
		{ "at", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "tag", required_argument, NULL, 't' },
		{ "stale", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct hv_report_format	*fmt = NULL;
	struct hv_report_query		 q;
	struct hv_report		*r = NULL;
	struct hv_store			*st = NULL;
	struct hv_buf			 err = HV_BUF_INIT;
	const char			*db = NULL, *out = NULL, *at = NULL;
	const char			**tags;
	long long			 id;
	int64_t				 since = 0, ms;
	int				 c, scopes = 0, rc = HV_EXIT_USAGE;

	memset(&q, 0, sizeof q);
	tags = hv_xcalloc((size_t)argc + 1, sizeof *tags);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (hv_parse_int(optarg, &id) == -1 || id < 1) {
				hv_cmd_usage_error(cmd, "--run needs a run id, "
				    "not \"%s\"", optarg);
				goto out;
			}
			q.run = id;
			scopes++;
			break;
		case 'g':
			q.gameday = optarg;
			scopes++;
			break;
		case 'a':
			at = optarg;
			if ((q.at = parse_time(optarg)) < 0) {
				hv_cmd_usage_error(cmd, "--at needs a time "
				    "(RFC 3339), not \"%s\"", optarg);
				goto out;
			}
			break;
		case 's':
			if (hv_parse_duration(optarg, &since) == -1 ||
			    since <= 0) {
				hv_cmd_usage_error(cmd, "--since needs a "
				    "duration (30d, 12h), not \"%s\"", optarg);
				goto out;
			}
			scopes++;
			break;
		case 'F':
		case 'T':
			if ((ms = parse_time(optarg)) < 0) {
				hv_cmd_usage_error(cmd, "--%s needs a time "
				    "(RFC 3339), not \"%s\"", c == 'F' ?
				    "from" : "to", optarg);
				goto out;
			}
			if (c == 'F') {
				q.from = ms;
				scopes++;
			} else
				q.to = ms;
			break;
		case 't':
			tags[q.ntags++] = optarg;
			break;
		case 'S':
			if (hv_parse_duration(optarg, &q.stale_ms) == -1 ||
			    q.stale_ms <= 0) {
				hv_cmd_usage_error(cmd, "--stale needs a "
				    "duration, not \"%s\"", optarg);
				goto out;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			if ((fmt = hv_report_format_named(optarg)) == NULL) {
				hv_cmd_usage_error(cmd, "unknown format \"%s\" "
				    "(text, html, json, junit)", optarg);
				goto out;
			}
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			rc = 0;
			goto out;
		default:
			hv_cmd_usage_error(cmd, "unknown option");
			goto out;
		}
	}
	if (optind != argc) {
		hv_cmd_usage_error(cmd, "unexpected argument \"%s\"",
		    argv[optind]);
		goto out;
	}
	if (scopes > 1) {
		hv_cmd_usage_error(cmd, "one of --run, --gameday, --since or "
		    "--from");
		goto out;
	}
	if (at != NULL && q.gameday == NULL) {
		hv_cmd_usage_error(cmd, "--at goes with --gameday");
		goto out;
	}
	if (q.to != 0 && q.from == 0) {
		hv_cmd_usage_error(cmd, "--to goes with --from");
		goto out;
	}
	if (q.to != 0 && q.to <= q.from) {
		hv_cmd_usage_error(cmd, "--to must come after --from");
		goto out;
	}
	q.now = hv_wall_ms();
	if (scopes == 0 || since > 0)
		q.from = q.now - (since > 0 ? since : DEFAULT_PERIOD_MS);
	if (fmt == NULL && out != NULL && strcmp(out, "-") != 0 &&
	    (fmt = hv_report_format_for(out)) == NULL) {
		hv_cmd_usage_error(cmd, "cannot tell the format from \"%s\": "
		    "use --format", out);
		goto out;
	}
	if (fmt == NULL)
		fmt = &hv_report_text;
	q.tags = tags;
	if ((st = hv_cmd_store(db, HV_STORE_READONLY, &rc)) == NULL)
		goto out;
	rc = 1;
	if (hv_report_build(st, &q, &r, &err) == -1 ||
	    hv_report_write(r, fmt, out != NULL ? out : "-", &err) == -1) {
		fprintf(stderr, "havoc: %s\n", err.s);
		goto out;
	}
	rc = 0;
out:
	hv_report_free(r);
	hv_store_close(st);
	hv_buf_release(&err);
	free(tags);
	return rc;
}

const struct hv_cmd hv_cmd_report = {
	.name = "report",
	.args = "[--run ID | --gameday NAME [--at TIME] | --since 30d | "
	    "--from TIME [--to TIME]] [--tag TAG]... [-o FILE] "
	    "[--format html|json|junit|text] [--db PATH]",
	.summary = "a resilience report of a run, a game day or a period",
	.help = help,
	.exec = cmd_report,
};
