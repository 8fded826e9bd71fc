/*
 * cmd-show.c - havoc show RUN: one run's steps, samples, faults, alerts
 * and verdict; the text format of the report model.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "report.h"
#include "runner.h"
#include "store.h"

/* Prints one sample, made safe for a terminal. */
static int
print_sample(const char *probe, const char *target, int64_t at, int ok,
    double latency_ms, const char *error, void *arg)
{
	struct hv_buf	*b = arg;
	char		 t[40], d[32];
	const char	*p;

	hv_buf_reset(b);
	hv_format_time(at, t, sizeof t);
	hv_buf_printf(b, "  %s  %-16s %-10s %-4s %-8s ", t + 11,
	    probe != NULL ? probe : "-", target != NULL ? target : "-",
	    ok ? "ok" : "FAIL", hv_report_ms((int64_t)latency_ms, d,
	    sizeof d));
	for (p = error; p != NULL && *p != '\0'; p++)
		hv_buf_putc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' :
		    *p);
	for (p = b->s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			b->s[p - b->s] = ' ';
	puts(b->s);
	return 0;
}

static int
cmd_show(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "samples", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_report_query	 q;
	struct hv_report	*r = NULL;
	struct hv_store		*st = NULL;
	struct hv_buf		 err = HV_BUF_INIT, line = HV_BUF_INIT;
	const char		*db = NULL;
	long long		 id;
	int			 c, json = 0, all = 0, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jSh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'S':
			all = 1;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			return 0;
		default:
			return hv_cmd_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc - 1 || hv_parse_int(argv[optind], &id) == -1 ||
	    id < 1)
		return hv_cmd_usage_error(cmd, "one run id expected");
	if ((st = hv_cmd_store(db, HV_STORE_READONLY, &rc)) == NULL)
		return rc;
	rc = 1;
	memset(&q, 0, sizeof q);
	q.run = id;
	if (hv_report_build(st, &q, &r, &err) == -1 ||
	    hv_report_write(r, json ? &hv_report_json : &hv_report_text, "-",
	    &err) == -1)
		goto out;
	if (all && !json) {
		printf("\nevery sample:\n");
		if (hv_report_each_sample(st, id, print_sample, &line,
		    &err) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "havoc: %s\n", err.s);
	hv_report_free(r);
	hv_store_close(st);
	hv_buf_release(&err);
	hv_buf_release(&line);
	return rc;
}

const struct hv_cmd hv_cmd_show = {
	.name = "show",
	.args = "RUN [--db PATH] [--json] [--samples]",
	.summary = "one run: steps, samples, faults, alerts, verdict",
	.help = "  --db PATH   the database\n"
	    "  --json      the report model as JSON (havoc report --run RUN\n"
	    "              --format json)\n"
	    "  --samples   also every watch sample, not just the failing\n"
	    "              stretches\n",
	.exec = cmd_show,
};
