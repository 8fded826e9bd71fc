/*
 * test-gameday.c - game-day files from disk to the model (gameday.c):
 * every field, every problem as the exact FILE:LINE:COLUMN: message line,
 * the experiments it names loaded with their vars; the webhook's retries
 * against a real HTTP server on 127.0.0.1 (hv_notify_post); the store's
 * lease between two daemons (store-gameday.c) on a real SQLite file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "experiment.h"
#include "gameday.h"
#include "httpd.h"
#include "loop.h"
#include "node.h"
#include "store.h"
#include "store-gameday.h"
#include "util.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* Loads name; returns the model, the problems in *text (new). */
static struct hv_gameday *
load(const char *name, int flags, char **text)
{
	struct hv_gameday	*g;
	struct hv_diag		 d;
	char			 path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	hv_diag_init(&d);
	g = hv_gameday_load(path, flags, &d);
	*text = hv_xstrdup(d.text.s);
	hv_diag_release(&d);
	return g;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/havoc-gd-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	put("exp.yaml", "version: 1\ntitle: probe only\nvars: {delay: 1s}\n"
	    "steady_state:\n  - {name: ok, probe: local, with: {command: "
	    "[echo, \"${delay}\"]}}\nmethod:\n  - pause: 10ms\n");
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_full(void **state)
{
	struct hv_gameday	*g;
	char			*text;

	(void)state;
	setenv("HV_TEST_HOOK", "secret-part", 1);
	put("full.yaml",
	    "gameday: weekly-web\n"
	    "schedule: \"30 10 * * TUE\"\n"
	    "timezone: Europe/Berlin\n"
	    "window: {days: mon-fri, hours: \"09:00-16:00\"}\n"
	    "blackout: [\"2026-12-20..2027-01-03\", 2027-04-02]\n"
	    "jitter: 15m\n"
	    "concurrency: allow\n"
	    "experiments:\n"
	    "  - exp.yaml\n"
	    "  - {file: exp.yaml, vars: {delay: 300ms}}\n"
	    "on_deviation: stop\n"
	    "report: out/weekly.html\n"
	    "catch_up: true\n"
	    "notify: \"http://127.0.0.1:9/h?k=${env.HV_TEST_HOOK}\"\n");
	g = load("full.yaml", 0, &text);
	if (g == NULL)
		fail_msg("%s", text);
	assert_string_equal(g->name, "weekly-web");
	assert_string_equal(g->sched.tz, "Europe/Berlin");
	assert_int_equal(g->sched.nwindows, 1);
	assert_int_equal(g->sched.windows[0].start, 540);
	assert_int_equal(g->sched.nblackouts, 2);
	assert_int_equal(g->jitter_ms, 900000);
	assert_int_equal(g->concurrency, HV_CONC_ALLOW);
	assert_int_equal(g->nexps, 2);
	assert_non_null(g->exps[0].x);
	/* The game day's vars reach the experiment, like --var. */
	assert_int_equal(g->exps[1].nvars, 1);
	assert_string_equal(g->exps[1].vars[0], "delay=300ms");
	assert_string_equal(g->exps[1].x->steady[0].with->items[0]->items[1]
	    ->str, "300ms");
	assert_string_equal(g->exps[0].x->steady[0].with->items[0]->items[1]
	    ->str, "1s");
	assert_true(g->stop_on_deviation);
	assert_true(g->catch_up);
	assert_non_null(strstr(g->report, "/out/weekly.html"));
	assert_string_equal(g->notify, "http://127.0.0.1:9/h?k=secret-part");
	assert_string_equal(g->notify_shown,
	    "http://127.0.0.1:9/h?k=${env.HV_TEST_HOOK}");
	free(text);
	hv_gameday_free(g);
}

static void
test_defaults(void **state)
{
	struct hv_gameday	*g;
	char			*text;

	(void)state;
	put("min.yaml", "gameday: min\nschedule: \"@daily\"\n"
	    "experiments: [exp.yaml]\n");
	g = load("min.yaml", 0, &text);
	if (g == NULL)
		fail_msg("%s", text);
	assert_string_equal(g->sched.tz, "UTC");
	assert_int_equal(g->concurrency, HV_CONC_FORBID);
	assert_int_equal(g->jitter_ms, 0);
	assert_false(g->stop_on_deviation);
	assert_false(g->catch_up);
	assert_null(g->notify);
	assert_null(g->report);
	free(text);
	hv_gameday_free(g);
}

/* Every problem, each at its place, in one pass. */
static void
test_problems(void **state)
{
	struct hv_gameday	*g;
	char			*text;

	(void)state;
	put("bad.yaml",
	    "shedule: \"* * * * *\"\n"
	    "window: {days: xyz}\n"
	    "blackout: 2026-01-01--2026-01-02\n"
	    "jitter: soon\n"
	    "experiments:\n"
	    "  - {vars: {}}\n");
	g = load("bad.yaml", 0, &text);
	assert_null(g);
	assert_non_null(strstr(text, "bad.yaml:1:1: unknown key \"shedule\" "
	    "in a game-day file (did you mean \"schedule\"?)\n"));
	assert_non_null(strstr(text, "bad.yaml:1:1: gameday: a name is "
	    "required"));
	assert_non_null(strstr(text, "bad.yaml:1:1: schedule: required"));
	assert_non_null(strstr(text, "bad.yaml:2:16: window.days: expected "
	    "a day"));
	assert_non_null(strstr(text, "bad.yaml:3:21: blackout: expected "
	    "\"..\" and the last date\n"));
	assert_non_null(strstr(text, "bad.yaml:4:9: jitter: \"soon\" is not "
	    "a duration"));
	assert_non_null(strstr(text, "bad.yaml:6:5: experiments: file is "
	    "required\n"));
	free(text);
}

static void
test_experiment_problems(void **state)
{
	struct hv_gameday	*g;
	char			*text;

	(void)state;
	put("broken.yaml", "version: 1\ntitle: broken\nmethod:\n"
	    "  - {name: x, action: no.such.action}\n");
	put("gd.yaml", "gameday: g\nschedule: \"0 9 * * *\"\n"
	    "experiments:\n  - broken.yaml\n  - nothere.yaml\n");
	g = load("gd.yaml", 0, &text);
	assert_null(g);
	/* The experiment's own problem, at its own place. */
	assert_non_null(strstr(text, "broken.yaml:4:"));
	assert_non_null(strstr(text, "gd.yaml:4:5: experiment broken.yaml "
	    "has 1 problem (above)\n"));
	assert_non_null(strstr(text, "nothere.yaml:1:1: cannot read"));
	assert_non_null(strstr(text, "gd.yaml:5:5: experiment nothere.yaml "
	    "has 1 problem (above)\n"));
	free(text);
	/* --next needs the schedule only. */
	g = load("gd.yaml", HV_GD_SCHEDULE_ONLY, &text);
	if (g == NULL)
		fail_msg("%s", text);
	assert_int_equal(g->nexps, 0);
	free(text);
	hv_gameday_free(g);
}

static void
test_field_errors(void **state)
{
	static const struct {
		const char	*yaml;
		const char	*want;
	} c[] = {
		{ "schedule: \"0 9 30 2 *\"\n", ":2:11: schedule: the schedule "
		  "never runs" },
		{ "schedule: 0 9 * * 8\n", ":2:19: schedule: day of week: 8 "
		  "is not in 0-7" },
		{ "schedule: \"0 9 * * *\"\ntimezone: Europe/Nowhere\n",
		  ":3:11: timezone: unknown time zone" },
		{ "schedule: \"0 9 * * *\"\ntimezone: ../etc/passwd\n",
		  ":3:11: timezone: \"../etc/passwd\" is not an IANA" },
		{ "schedule: \"0 9 * * *\"\nconcurrency: replace\n",
		  ":3:14: concurrency: \"replace\" is not forbid or allow" },
		{ "schedule: \"0 9 * * *\"\non_deviation: abort\n",
		  ":3:15: on_deviation: \"abort\" is not continue or stop" },
		{ "schedule: \"0 9 * * *\"\nnotify: file:///etc/passwd\n",
		  ":3:9: notify: scheme file is not http or https" },
		{ "schedule: \"0 9 * * *\"\nnotify: \"${env.HV_NOT_SET_X}\"\n",
		  ":3:9: notify: environment variable HV_NOT_SET_X is not set" },
		{ "schedule: \"0 9 * * *\"\njitter: 2d\n",
		  ":3:9: jitter: 2d is more than a day" },
		{ "schedule: \"0 9 * * *\"\nwindow: []\n",
		  ":3:9: window: an empty list" },
		{ "schedule: \"0 9 * * *\"\nwindow: {hours: \"9-17\"}\n",
		  ":3:18: window.hours: expected HH:MM-HH:MM" },
		{ "schedule: \"0 9 * * *\"\nwindow: {hourz: \"09:00-10:00\"}\n",
		  ":3:10: unknown key \"hourz\" in window (did you mean "
		  "\"hours\"?)" },
		{ "schedule: \"0 9 * * *\"\nblackout: [\"2026-02-29\"]\n",
		  ":3:13: blackout: expected a date" },
		{ "schedule: \"0 9 * * *\"\ncatch_up: sometimes\n",
		  ":3:11: catch_up: \"sometimes\" is not true or false" },
	};
	struct hv_gameday	*g;
	struct hv_buf		 y = HV_BUF_INIT;
	char			*text;
	size_t			 i;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(c); i++) {
		hv_buf_reset(&y);
		hv_buf_printf(&y, "gameday: g\n%sexperiments: [exp.yaml]\n",
		    c[i].yaml);
		put("f.yaml", y.s);
		g = load("f.yaml", 0, &text);
		if (g != NULL)
			fail_msg("accepted: %s", c[i].yaml);
		if (strstr(text, c[i].want) == NULL)
			fail_msg("%s: got %s, want %s", c[i].yaml, text,
			    c[i].want);
		free(text);
	}
	hv_buf_release(&y);
}

/* --- the webhook --------------------------------------------------------- */

/* Answers with the statuses in arg (an array in shared memory). */
struct script {
	int	statuses[8];
	int	calls;
	char	body[4096];
};

static void
serve(int fd, const struct httpd_req *req, void *arg)
{
	struct script	*s = arg;
	int		 st = s->statuses[s->calls < 8 ? s->calls : 7];

	if (s->calls == 0)
		snprintf(s->body, sizeof s->body, "%s %s %.*s", req->method,
		    req->target, (int)req->body_len, req->body);
	s->calls++;
	httpd_respond(fd, st, NULL, "", 0);
}

static void
test_notify(void **state)
{
	static const struct {
		int	 statuses[4];
		int	 ret, tries;
	} c[] = {
		{ { 200 }, 0, 1 },
		{ { 500, 503, 200 }, 0, 3 },
		{ { 429, 200 }, 0, 2 },
		{ { 404 }, -1, 1 },		/* will not change: no retry */
		{ { 500, 500, 500, 500 }, -1, 4 },
	};
	struct script	*s;
	struct httpd	 srv;
	struct hv_loop	*loop;
	struct hv_buf	 err = HV_BUF_INIT;
	char		*url;
	size_t		 i;
	int		 tries, rc;

	(void)state;
	s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	for (i = 0; i < HV_ARRAY_LEN(c); i++) {
		memset(s, 0, sizeof *s);
		memcpy(s->statuses, c[i].statuses, sizeof c[i].statuses);
		assert_int_equal(httpd_start(&srv, HTTPD_SERIAL, serve, s), 0);
		url = httpd_url(&srv, "/hook?token=abc");
		loop = hv_loop_new();
		rc = hv_notify_post(loop, url, "{\"a\":1}", &tries, &err);
		hv_loop_free(loop);
		httpd_stop(&srv);
		assert_int_equal(rc, c[i].ret);
		assert_int_equal(tries, c[i].tries);
		assert_int_equal(s->calls, c[i].tries);
		assert_string_equal(s->body, "POST /hook?token=abc {\"a\":1}");
		if (rc == -1) {
			/* Says what failed, never the URL and its token. */
			assert_non_null(strstr(err.s, "HTTP"));
			assert_null(strstr(err.s, "token"));
		}
		hv_buf_reset(&err);
		free(url);
	}
	munmap(s, sizeof *s);
	hv_buf_release(&err);
}

/* --- the lease ----------------------------------------------------------- */

static void
test_lease(void **state)
{
	struct hv_store		*a, *b;
	struct hv_lease_holder	 h;
	struct hv_buf		 err = HV_BUF_INIT;
	char			 path[128];
	int64_t			 da, db_;

	(void)state;
	snprintf(path, sizeof path, "%s/lease.db", dir);
	assert_int_equal(hv_store_open(path, &a, &err), 0);
	assert_int_equal(hv_store_open(path, &b, &err), 0);
	da = hv_store_daemon_add(a, "host-a", 100, "1", "[]", &err);
	db_ = hv_store_daemon_add(b, "host-b", 200, "2", "[]", &err);
	assert_true(da > 0 && db_ > da);
	assert_int_equal(hv_store_lease_take(a, da, 60000, &h, &err), 0);
	/* Taking it again is renewing it. */
	assert_int_equal(hv_store_lease_take(a, da, 60000, &h, &err), 0);
	assert_int_equal(hv_store_lease_take(b, db_, 60000, &h, &err), 1);
	assert_int_equal(h.daemon, da);
	assert_string_equal(h.controller, "host-a");
	assert_int_equal(h.pid, 100);
	assert_true(h.expires_at > hv_wall_ms());
	assert_int_equal(hv_store_lease_renew(a, da, 60000, &err), 0);
	assert_int_equal(hv_store_lease_renew(b, db_, 60000, &err), 1);
	/* Expired: the other daemon takes it, and the first is lost. */
	assert_int_equal(hv_store_lease_take(a, da, -1000, &h, &err), 0);
	assert_int_equal(hv_store_lease_take(b, db_, 60000, &h, &err), 0);
	assert_int_equal(hv_store_lease_renew(a, da, 60000, &err), 1);
	/* Released: free for the next. */
	assert_int_equal(hv_store_lease_release(b, db_, &err), 0);
	assert_int_equal(hv_store_lease_take(a, da, 60000, &h, &err), 0);
	hv_store_close(a);
	hv_store_close(b);
	hv_buf_release(&err);
}

static void
test_skips_unique(void **state)
{
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT;
	char		 path[128];
	int64_t		 at;

	(void)state;
	snprintf(path, sizeof path, "%s/skips.db", dir);
	assert_int_equal(hv_store_open(path, &s, &err), 0);
	assert_int_equal(hv_store_skip(s, "g", "g.yaml", 60000,
	    HV_SKIP_MISSED, "down", 0, &err), 0);
	assert_int_equal(hv_store_skip(s, "g", "g.yaml", 60000,
	    HV_SKIP_CONCURRENCY, "again", 0, &err), 0);
	assert_int_equal(hv_store_skip(s, "g", "g.yaml", 120000,
	    "made-up", "bad reason", 0, &err), -1);
	hv_buf_reset(&err);
	assert_int_equal(hv_store_sched_accounted(s, "g", &at, &err), 1);
	assert_int_equal(hv_store_sched_put(s, "g", "g.yaml", "* * * * *",
	    "UTC", 0, 180000, 180000, 179999, &err), 0);
	assert_int_equal(hv_store_sched_accounted(s, "g", &at, &err), 0);
	assert_int_equal(at, 179999);
	hv_store_close(s);
	hv_buf_release(&err);
}

/* logfmt: plain values bare, others quoted and escaped; one line. */
static void
test_logfmt(void **state)
{
	char	 buf[1024];
	int	 p[2], saved;
	ssize_t	 n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	hv_logfmt("warn", "skip", "gameday", "weekly-web", "empty", "",
	    "skipped", (const char *)NULL, "msg", "a \"b\" c=d\\e\nf\tg\x01",
	    HV_LOGEND);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_true(strncmp(buf, "ts=", 3) == 0);
	assert_non_null(strstr(buf, "Z level=warn event=skip gameday=weekly-web "
	    "empty=\"\" msg=\"a \\\"b\\\" c=d\\\\e\\nf\\tg\\x01\"\n"));
	assert_null(strstr(buf, "skipped="));
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
}

/* A store of schema 3 gains the game-day tables and keeps its rows. */
static void
test_migrate_from_3(void **state)
{
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT;
	char		 path[128], cmd[1024];
	json_t		*st;

	(void)state;
	snprintf(path, sizeof path, "%s/old.db", dir);
	assert_int_equal(hv_store_open(path, &s, &err), 0);
	hv_store_close(s);
	snprintf(cmd, sizeof cmd, "sqlite3 %s \"DROP TABLE gameday_skips; "
	    "DROP TABLE gameday_schedules; DROP TABLE leases; DROP TABLE "
	    "gamedays; DROP TABLE daemons; CREATE TABLE gamedays (id INTEGER "
	    "PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL, "
	    "scheduled_at INTEGER, started_at INTEGER NOT NULL, ended_at "
	    "INTEGER, status TEXT NOT NULL DEFAULT 'running'); INSERT INTO "
	    "gamedays (name, file, started_at, status) VALUES ('old', "
	    "'old.yaml', 1, 'completed'); ALTER TABLE steps DROP COLUMN "
	    "batch; PRAGMA user_version = 3\"", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hv_store_open(path, &s, &err), 0);
	assert_int_equal(hv_store_schema(s), HV_STORE_SCHEMA);
	assert_non_null(st = hv_store_status_json(s, &err));
	assert_int_equal(json_array_size(json_object_get(st, "last")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(st, "last"), 0), "name")), "old");
	json_decref(st);
	hv_store_close(s);
	hv_buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_experiment_problems),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_skips_unique),
		cmocka_unit_test(test_migrate_from_3),
		cmocka_unit_test(test_logfmt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
