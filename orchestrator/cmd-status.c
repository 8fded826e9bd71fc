/*
 * cmd-status.c - havoc status: the daemons on this database, what runs
 * now (game day, experiment, phase, open faults), the next start of each
 * game day and the last result of each.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "runner.h"
#include "schedule.h"
#include "store.h"
#include "store-gameday.h"

/* Text from the store, shown on one line: control characters as "?". */
static void
put(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar((unsigned char)*s < ' ' || *s == 0x7f ? '?' : *s);
}

static const char *
str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static long long
num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* A wall time in UTC, or "-". */
static const char *
utc(json_t *o, const char *key, char *buf, size_t len)
{
	if (!json_is_integer(json_object_get(o, key)))
		return "-";
	return hv_format_time(num(o, key), buf, len);
}

/* A wall time in a game day's zone. */
static const char *
local(json_t *o, const char *key, const char *tz, char *buf, size_t len)
{
	struct hv_schedule	s;

	if (!json_is_integer(json_object_get(o, key)))
		return "-";
	memset(&s, 0, sizeof s);
	s.tz = (char *)(tz != NULL && *tz != '\0' ? tz : "UTC");
	return hv_schedule_format(&s, num(o, key), buf, len);
}

static void
print_status(json_t *s)
{
	json_t		*d, *g, *r, *f, *sc, *l, *k;
	size_t		 i, j, m;
	char		 t1[40], t2[40];
	int		 any;
	long long	 now = hv_wall_ms();

	printf("daemons:\n");
	any = 0;
	json_array_foreach(json_object_get(s, "daemons"), i, d) {
		if (strcmp(str(d, "status"), "running") != 0)
			continue;
		any = 1;
		printf("  daemon %lld on ", num(d, "id"));
		put(str(d, "controller"));
		printf(" (pid %lld), since %s, ", num(d, "pid"),
		    utc(d, "started_at", t1, sizeof t1));
		if (json_is_integer(json_object_get(d, "lease_until")) &&
		    num(d, "lease_until") > now)
			printf("lease until %s", utc(d, "lease_until", t2,
			    sizeof t2));
		else
			printf("no live lease: stopped or dead (last seen %s)",
			    utc(d, "heartbeat_at", t2, sizeof t2));
		printf("\n    files: ");
		put(str(d, "files"));
		printf("\n");
	}
	if (!any)
		printf("  none running\n");

	printf("running now:\n");
	any = 0;
	json_array_foreach(json_object_get(s, "running"), i, g) {
		any = 1;
		printf("  game day ");
		put(str(g, "name"));
		printf(" (id %lld, pid %lld), started %s\n", num(g, "id"),
		    num(g, "pid"), utc(g, "started_at", t1, sizeof t1));
		json_array_foreach(json_object_get(g, "runs"), j, r) {
			printf("    run %lld: ", num(r, "id"));
			put(str(r, "experiment"));
			printf(" (");
			put(str(r, "file"));
			printf("), phase %s\n", json_is_string(
			    json_object_get(r, "phase")) ? str(r, "phase") :
			    "starting");
			json_array_foreach(json_object_get(r, "faults"), m, f) {
				printf("      fault %lld: ", num(f, "id"));
				put(str(f, "driver"));
				if (json_is_string(json_object_get(f,
				    "target"))) {
					printf(" on ");
					put(str(f, "target"));
				}
				printf(", %s\n", str(f, "state"));
			}
		}
	}
	json_array_foreach(json_object_get(s, "runs"), i, r) {
		if (json_is_integer(json_object_get(r, "gameday")))
			continue;
		any = 1;
		printf("  run %lld: ", num(r, "id"));
		put(str(r, "experiment"));
		printf(" (pid %lld, no game day), phase %s, %zu open "
		    "fault%s\n", num(r, "pid"), json_is_string(
		    json_object_get(r, "phase")) ? str(r, "phase") :
		    "starting", json_array_size(json_object_get(r, "faults")),
		    json_array_size(json_object_get(r, "faults")) == 1 ? "" :
		    "s");
	}
	if (!any)
		printf("  nothing\n");

	printf("game days:\n");
	any = 0;
	json_array_foreach(json_object_get(s, "schedules"), i, sc) {
		any = 1;
		printf("  ");
		put(str(sc, "name"));
		printf(": \"");
		put(str(sc, "schedule"));
		printf("\" in ");
		put(str(sc, "timezone"));
		printf("\n    next start %s", local(sc, "next_start_at",
		    str(sc, "timezone"), t1, sizeof t1));
		if (num(sc, "next_start_at") != num(sc, "next_slot_at"))
			printf(" (slot %s)", local(sc, "next_slot_at",
			    str(sc, "timezone"), t2, sizeof t2));
		printf("\n");
		l = NULL;
		json_array_foreach(json_object_get(s, "last"), j, l)
			if (strcmp(str(l, "name"), str(sc, "name")) == 0)
				break;
		if (l == NULL || j == json_array_size(json_object_get(s,
		    "last"))) {
			printf("    last result: none yet\n");
			continue;
		}
		printf("    last result: %s, exit %lld, %lld run%s, ended %s",
		    str(l, "status"), num(l, "exit_code"), num(l, "runs"),
		    num(l, "runs") == 1 ? "" : "s", utc(l, "ended_at", t1,
		    sizeof t1));
		if (json_is_string(json_object_get(l, "notify"))) {
			printf("; webhook ");
			put(str(l, "notify"));
		}
		printf("\n");
	}
	/* Game days run with --now only, never scheduled here. */
	json_array_foreach(json_object_get(s, "last"), i, l) {
		json_array_foreach(json_object_get(s, "schedules"), j, sc)
			if (strcmp(str(l, "name"), str(sc, "name")) == 0)
				break;
		if (j < json_array_size(json_object_get(s, "schedules")))
			continue;
		any = 1;
		printf("  ");
		put(str(l, "name"));
		printf(": not scheduled by a daemon\n    last result: %s, exit "
		    "%lld, %lld run%s, ended %s\n", str(l, "status"),
		    num(l, "exit_code"), num(l, "runs"), num(l, "runs") == 1 ?
		    "" : "s", utc(l, "ended_at", t1, sizeof t1));
	}
	if (!any)
		printf("  none\n");
	if (json_array_size(json_object_get(s, "skips")) > 0) {
		printf("recent skips:\n");
		json_array_foreach(json_object_get(s, "skips"), i, k) {
			printf("  ");
			put(str(k, "name"));
			printf(" %s: %s: ", utc(k, "scheduled_at", t1,
			    sizeof t1), str(k, "reason"));
			put(str(k, "detail"));
			printf("\n");
		}
	}
}

static int
cmd_status(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_store	*st;
	struct hv_buf	 err = HV_BUF_INIT;
	const char	*db = NULL;
	json_t		*s;
	int		 c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
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
		return hv_cmd_usage_error(cmd, "no argument expected");
	if ((st = hv_cmd_store(db, HV_STORE_READONLY, &c)) == NULL)
		return c;
	if ((s = hv_store_status_json(st, &err)) == NULL) {
		fprintf(stderr, "havoc: %s\n", err.s);
		hv_buf_release(&err);
		hv_store_close(st);
		return HV_EXIT_ABORTED;
	}
	if (json) {
		json_dumpf(s, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else
		print_status(s);
	json_decref(s);
	hv_store_close(st);
	return 0;
}

const struct hv_cmd hv_cmd_status = {
	.name = "status",
	.args = "[--db PATH] [--json]",
	.summary = "show daemons, what runs now and the game days",
	.help = "  --db PATH   the database\n"
	    "  --json      the same as JSON\n",
	.exec = cmd_status,
};
