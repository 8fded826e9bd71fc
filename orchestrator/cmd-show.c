/*
 * cmd-show.c - havoc show RUN: one run's steps, samples, faults, alerts
 * and verdict.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "runner.h"
#include "store.h"

/* A value from the outside world, made safe for a terminal. */
static const char *
clean(json_t *v, struct hv_buf *b)
{
	const char	*s = json_string_value(v);

	hv_buf_reset(b);
	if (s == NULL)
		return "-";
	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\t')
			hv_buf_putc(b, ' ');
		else if (iscntrl((unsigned char)*s))
			hv_buf_putc(b, '?');
		else
			hv_buf_putc(b, *s);
	}
	if (b->len > 200) {
		b->len = 197;
		hv_buf_puts(b, "...");
	}
	return b->s;
}

static const char *
when(json_t *o, const char *key, char *buf, size_t len)
{
	json_t	*v = json_object_get(o, key);

	if (!json_is_integer(v))
		return "-";
	hv_format_time(json_integer_value(v), buf, len);
	return buf + 11;	/* the time of day is enough within a run */
}

static const char *
ms(json_t *o, const char *key, char *buf, size_t len)
{
	json_t	*v = json_object_get(o, key);

	if (json_is_integer(v))
		return hv_format_duration(json_integer_value(v), buf, len);
	if (json_is_real(v))
		return hv_format_duration((int64_t)json_real_value(v), buf,
		    len);
	return "-";
}

static void
print_run(json_t *j, int all_samples)
{
	struct hv_buf	 b = HV_BUF_INIT, b2 = HV_BUF_INIT, b3 = HV_BUF_INIT;
	json_t		*run = json_object_get(j, "run"), *e;
	size_t		 i, nsamples, failed = 0;
	char		 t[40], d[32];

	printf("run %lld: %s\n", json_integer_value(json_object_get(run, "id")),
	    clean(json_object_get(run, "experiment"), &b));
	printf("  file:     %s (sha256 %.12s)\n",
	    clean(json_object_get(run, "file"), &b),
	    json_string_value(json_object_get(run, "file_hash")));
	printf("  seed:     %s\n", clean(json_object_get(run, "seed"), &b));
	hv_format_time(json_integer_value(json_object_get(run, "started_at")),
	    t, sizeof t);
	printf("  started:  %s\n", t);
	printf("  status:   %s%s\n", clean(json_object_get(run, "status"), &b),
	    json_is_true(json_object_get(run, "deviated")) ? " (deviated)" :
	    "");
	printf("  reason:   %s\n", clean(json_object_get(run, "reason"), &b));

	printf("\nsteps:\n");
	json_array_foreach(json_object_get(j, "steps"), i, e) {
		printf("  %-12s %-13s %-7s %-24s %-10s %-8s %s\n",
		    when(e, "started_at", t, sizeof t),
		    clean(json_object_get(e, "phase"), &b3),
		    json_string_value(json_object_get(e, "status")),
		    clean(json_object_get(e, "name"), &b2),
		    json_is_string(json_object_get(e, "target")) ?
		    json_string_value(json_object_get(e, "target")) : "-",
		    ms(e, "latency_ms", d, sizeof d),
		    json_is_string(json_object_get(e, "error")) ?
		    clean(json_object_get(e, "error"), &b) :
		    clean(json_object_get(e, "detail"), &b));
	}
	nsamples = json_array_size(json_object_get(j, "samples"));
	json_array_foreach(json_object_get(j, "samples"), i, e)
		failed += !json_is_true(json_object_get(e, "ok"));
	printf("\nsamples: %zu (%zu failed)\n", nsamples, failed);
	json_array_foreach(json_object_get(j, "samples"), i, e) {
		/* Failures, and the first and last, unless all are wanted. */
		if (!all_samples && json_is_true(json_object_get(e, "ok")) &&
		    i != 0 && i + 1 != nsamples)
			continue;
		printf("  %-12s %-16s %-4s %-8s %s\n",
		    when(e, "at", t, sizeof t),
		    clean(json_object_get(e, "probe"), &b),
		    json_is_true(json_object_get(e, "ok")) ? "ok" : "FAIL",
		    ms(e, "latency_ms", d, sizeof d),
		    clean(json_object_get(e, "error"), &b2));
	}
	if (json_array_size(json_object_get(j, "figures")) > 0)
		printf("\nfigures:\n");
	json_array_foreach(json_object_get(j, "figures"), i, e)
		printf("  %-16s %-14s time to recover %-8s (%lld of %lld "
		    "failed)\n", clean(json_object_get(e, "probe"), &b),
		    json_string_value(json_object_get(e, "state")),
		    ms(e, "ttr_ms", d, sizeof d),
		    json_integer_value(json_object_get(e, "failures")),
		    json_integer_value(json_object_get(e, "samples")));
	if (json_array_size(json_object_get(j, "faults")) > 0)
		printf("\nfaults:\n");
	json_array_foreach(json_object_get(j, "faults"), i, e)
		printf("  #%-4lld %-14s %-10s %s\n        revert: %s\n",
		    json_integer_value(json_object_get(e, "id")),
		    json_string_value(json_object_get(e, "state")),
		    json_is_string(json_object_get(e, "target")) ?
		    json_string_value(json_object_get(e, "target")) : "-",
		    clean(json_object_get(e, "inject"), &b),
		    clean(json_object_get(e, "revert"), &b2));
	if (json_array_size(json_object_get(j, "alerts")) > 0)
		printf("\nalerts:\n");
	json_array_foreach(json_object_get(j, "alerts"), i, e)
		printf("  %-24s %-8s time to detect %-8s within %s\n",
		    clean(json_object_get(e, "name"), &b),
		    json_string_value(json_object_get(e, "state")),
		    ms(e, "ttd_ms", d, sizeof d),
		    ms(e, "within_ms", t, sizeof t));
	hv_buf_release(&b);
	hv_buf_release(&b2);
	hv_buf_release(&b3);
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
	struct hv_store	*st;
	struct hv_buf	 err = HV_BUF_INIT;
	const char	*db = NULL;
	long long	 id;
	json_t		*j;
	int		 c, rc, json = 0, all = 0;

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
	if (optind != argc - 1 || hv_parse_int(argv[optind], &id) == -1)
		return hv_cmd_usage_error(cmd, "one run id expected");
	if ((st = hv_cmd_store(db, HV_STORE_READONLY, &rc)) == NULL)
		return rc;
	if ((j = hv_store_run_json(st, id, &err)) == NULL) {
		fprintf(stderr, "havoc: %s\n", err.s);
		hv_buf_release(&err);
		hv_store_close(st);
		return 1;
	}
	if (json) {
		json_dumpf(j, stdout, JSON_INDENT(2));
		printf("\n");
	} else
		print_run(j, all);
	json_decref(j);
	hv_store_close(st);
	return 0;
}

const struct hv_cmd hv_cmd_show = {
	.name = "show",
	.args = "RUN [--db PATH] [--json] [--samples]",
	.summary = "one run: steps, samples, faults, alerts, verdict",
	.help = "  --db PATH   the database\n"
	    "  --json      everything as JSON\n"
	    "  --samples   every watch sample, not just the failures\n",
	.exec = cmd_show,
};
