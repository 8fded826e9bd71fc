/*
 * test-report.c - the report model from a store filled row by row, its
 * figures checked against values worked out by hand from those rows, and
 * the formats: escaping, JUnit counts, JSON version, downsampling that
 * keeps the extremes, and the lookup of formats by name and file name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "store.h"
#include "util.h"

#define DAY	INT64_C(86400000)
/* 2026-03-02 00:00:00 UTC: a Monday, the start of the test period. */
#define T0	INT64_C(1772409600000)

static struct hv_store *
open_mem(void)
{
	struct hv_store	*s = NULL;
	struct hv_buf	 err = HV_BUF_INIT;

	if (hv_store_open(":memory:", &s, &err) != 0)
		fail_msg("open: %s", err.s);
	hv_buf_release(&err);
	return s;
}

/* A finished run; returns its id. */
static int64_t
run(struct hv_store *s, const char *title, const char *tags,
    int64_t started, int64_t took, const char *status, const char *reason,
    int64_t gameday)
{
	struct hv_run_info	ri;
	struct hv_buf		err = HV_BUF_INIT;
	int64_t			id;

	memset(&ri, 0, sizeof ri);
	ri.experiment = title;
	ri.file = "experiments/x.yaml";
	ri.file_hash = "00";
	ri.seed = 7;
	ri.gameday = gameday;
	ri.controller = "ctl";
	ri.pid = 1;
	ri.started_at = started;
	ri.tags_json = tags;
	id = hv_store_run_begin(s, &ri, &err);
	assert_true(id > 0);
	if (status != NULL)
		assert_int_equal(hv_store_run_end(s, id, status,
		    strcmp(status, "deviated") == 0, 0, reason, started + took,
		    &err), 0);
	hv_buf_release(&err);
	return id;
}

static void
alert(struct hv_store *s, int64_t id, const char *name, int64_t injected,
    int64_t fired, const char *state)
{
	struct hv_alert_rec	a;
	struct hv_buf		err = HV_BUF_INIT;

	memset(&a, 0, sizeof a);
	a.run = id;
	a.name = name;
	a.probe = "alertmanager";
	a.within_ms = 30000;
	a.injected_at = injected;
	a.fired_at = fired;
	a.state = state;
	assert_int_equal(hv_store_alert(s, &a, &err), 0);
	hv_buf_release(&err);
}

static void
figure(struct hv_store *s, int64_t id, const char *probe, int64_t ttr)
{
	struct hv_figure_rec	f;
	struct hv_buf		err = HV_BUF_INIT;

	memset(&f, 0, sizeof f);
	f.run = id;
	f.probe = probe;
	f.samples = 20;
	f.failures = ttr < 0 ? 20 : 4;
	f.first_failure_at = 1;
	f.recovered_at = ttr < 0 ? 0 : 1 + ttr;
	f.ttr_ms = ttr;
	f.state = ttr < 0 ? "not_recovered" : "recovered";
	assert_int_equal(hv_store_figure(s, &f, &err), 0);
	hv_buf_release(&err);
}

static struct hv_report *
build(struct hv_store *s, const struct hv_report_query *q)
{
	struct hv_report	*r = NULL;
	struct hv_buf		 err = HV_BUF_INIT;

	if (hv_report_build(s, q, &r, &err) != 0)
		fail_msg("build: %s", err.s);
	hv_buf_release(&err);
	return r;
}

static const struct hv_report_finding *
finding(const struct hv_report *r, const char *kind)
{
	size_t	i;

	for (i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].kind, kind) == 0)
			return &r->findings[i];
	return NULL;
}

/*
 * Six runs in one week, by hand:
 *   A held      alert 4000 ms, homepage recovered in 3000 ms   [web]
 *   B deviated  alert missed, homepage not recovered           [web]
 *   C held      alert 10000 ms, homepage recovered in 7000 ms  [db]
 *   D rollback_failed, homepage recovered in 1000 ms
 *   E aborted (not steady before)
 *   F still running (not finished: not in the score)
 * Finished 5, held 2: score 40%. Time to detect: 4000 and 10000, median
 * (4000 + 10000) / 2 = 7000, worst 10000. Time to recover: 1000, 3000,
 * 7000: median 3000, worst 7000; one probe did not recover.
 */
static void
fill_week(struct hv_store *s, int64_t ids[6])
{
	ids[0] = run(s, "web node loss", "[\"web\"]", T0 + 1 * DAY, 60000,
	    "completed", "the hypothesis held", 0);
	alert(s, ids[0], "NodeDown", T0 + DAY + 1000, T0 + DAY + 5000,
	    "fired");
	figure(s, ids[0], "homepage", 3000);
	ids[1] = run(s, "web node loss", "[\"web\"]", T0 + 2 * DAY, 60000,
	    "deviated", "alert \"NodeDown\" did not fire within 30.0s "
	    "(monitoring gap)", 0);
	alert(s, ids[1], "NodeDown", T0 + 2 * DAY + 1000, 0, "missed");
	figure(s, ids[1], "homepage", -1);
	ids[2] = run(s, "db latency", "[\"db\"]", T0 + 3 * DAY, 30000,
	    "completed", "the hypothesis held", 0);
	alert(s, ids[2], "DBSlow", T0 + 3 * DAY + 2000, T0 + 3 * DAY + 12000,
	    "fired");
	figure(s, ids[2], "homepage", 7000);
	ids[3] = run(s, "db latency", "[\"db\"]", T0 + 4 * DAY, 30000,
	    "rollback_failed", "revert of fault 3 failed", 0);
	figure(s, ids[3], "homepage", 1000);
	ids[4] = run(s, "cache loss", NULL, T0 + 5 * DAY, 1000, "aborted",
	    "steady state before: homepage failed", 0);
	ids[5] = run(s, "cache loss", NULL, T0 + 6 * DAY, 0, NULL, NULL, 0);
}

static void
test_period_figures(void **state)
{
	struct hv_store			*s = open_mem();
	struct hv_report_query		 q;
	struct hv_report		*r;
	const struct hv_report_finding	*f;
	int64_t				 ids[6];

	(void)state;
	fill_week(s, ids);
	memset(&q, 0, sizeof q);
	q.from = T0;
	q.to = T0 + 7 * DAY;
	q.now = T0 + 7 * DAY;
	r = build(s, &q);
	assert_int_equal(r->kind, HV_REPORT_PERIOD);
	assert_int_equal(r->nruns, 6);
	assert_int_equal(r->nfinished, 5);
	assert_int_equal(r->held, 2);
	assert_int_equal(r->running, 1);
	assert_true(fabs(r->score - 40.0) < 1e-9);
	assert_int_equal(r->ttd.n, 2);
	assert_int_equal(r->ttd.median, 7000);
	assert_int_equal(r->ttd.worst, 10000);
	assert_int_equal(r->ttr.n, 3);
	assert_int_equal(r->ttr.median, 3000);
	assert_int_equal(r->ttr.worst, 7000);
	assert_int_equal(r->not_recovered, 1);
	assert_int_equal(r->missed_alerts, 1);
	assert_int_equal(r->level, HV_LEVEL_BAD);
	assert_string_equal(r->verdict, "2 of 5 runs held; to fix: 1 failed "
	    "rollback (run havoc recover), 1 monitoring gap, 3 other "
	    "findings");

	/* What to fix: newest first; a gap is not also a deviation. */
	assert_int_equal(r->nfindings, 4);
	assert_string_equal(r->findings[0].kind, "aborted");
	assert_int_equal(r->findings[0].last_run, ids[4]);
	assert_string_equal(r->findings[1].kind, "rollback_failed");
	assert_non_null(f = finding(r, "monitoring_gap"));
	assert_int_equal(f->last_run, ids[1]);
	assert_string_equal(f->text, "The alert \"NodeDown\" did not fire "
	    "within 30.0s");
	assert_non_null(finding(r, "not_recovered"));
	assert_null(finding(r, "deviation"));

	/* The trend: one point a day, the score of that day's runs. */
	assert_string_equal(r->trend_by, "day");
	assert_int_equal(r->ntrend, 7);
	assert_true(r->trend[0].score < 0);		/* no run */
	assert_true(fabs(r->trend[1].score - 100) < 1e-9);
	assert_true(fabs(r->trend[2].score) < 1e-9);
	assert_int_equal(r->trend[1].ttd_median, 4000);
	assert_int_equal(r->trend[3].ttr_median, 7000);
	/* The week before had no run. */
	assert_true(r->score_before < 0);

	/* Detail: the runs that did not hold (and the one running). */
	assert_int_equal(r->ndetailed, 4);
	assert_false(r->runs[0].detailed);
	assert_true(r->runs[1].detailed);
	hv_report_free(r);
	hv_store_close(s);
}

static void
test_tags_filter(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	const char		*web[] = { "web" }, *both[] = { "web", "db" };
	int64_t			 ids[6];

	(void)state;
	fill_week(s, ids);
	memset(&q, 0, sizeof q);
	q.from = T0;
	q.to = T0 + 7 * DAY;
	q.tags = web;
	q.ntags = 1;
	r = build(s, &q);
	/* A and B: 1 of 2 held. */
	assert_int_equal(r->nruns, 2);
	assert_true(fabs(r->score - 50.0) < 1e-9);
	assert_int_equal(r->ttd.n, 1);
	assert_int_equal(r->ttd.median, 4000);
	hv_report_free(r);
	q.tags = both;
	q.ntags = 2;
	r = build(s, &q);
	assert_int_equal(r->nruns, 0);
	assert_int_equal(r->level, HV_LEVEL_NONE);
	hv_report_free(r);
	hv_store_close(s);
}

/* The previous period of the same length gives score_before. */
static void
test_score_before(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	int64_t			 ids[6];

	(void)state;
	fill_week(s, ids);
	run(s, "web node loss", "[\"web\"]", T0 - 3 * DAY, 1000, "completed",
	    NULL, 0);
	run(s, "web node loss", "[\"web\"]", T0 - 2 * DAY, 1000, "deviated",
	    "x", 0);
	run(s, "web node loss", "[\"web\"]", T0 - 1 * DAY, 1000, "deviated",
	    "x", 0);
	run(s, "web node loss", "[\"web\"]", T0 - 8 * DAY, 1000, "completed",
	    NULL, 0);
	memset(&q, 0, sizeof q);
	q.from = T0;
	q.to = T0 + 7 * DAY;
	r = build(s, &q);
	/* The week before: 1 of 3 held (the one 8 days before is out). */
	assert_true(fabs(r->score_before - 100.0 / 3) < 1e-9);
	assert_string_equal(r->before_label, "the 7 days before");
	hv_report_free(r);
	hv_store_close(s);
}

static void
test_one_run(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	int64_t			 ids[6];

	(void)state;
	fill_week(s, ids);
	memset(&q, 0, sizeof q);
	q.run = ids[1];
	r = build(s, &q);
	assert_int_equal(r->kind, HV_REPORT_RUN);
	assert_int_equal(r->nruns, 1);
	assert_true(r->runs[0].detailed);
	assert_string_equal(r->title, "web node loss, run 2");
	assert_int_equal(r->level, HV_LEVEL_BAD);
	assert_string_equal(r->verdict, "Deviated: alert \"NodeDown\" did "
	    "not fire within 30.0s (monitoring gap)");
	/* The trend: the runs of the same experiment up to this one. */
	assert_string_equal(r->trend_by, "run");
	assert_int_equal(r->ntrend, 2);
	assert_true(fabs(r->score_before - 100) < 1e-9);
	hv_report_free(r);

	q.run = 99;
	assert_int_equal(hv_report_build(s, &q, &r, &err), -1);
	assert_null(r);
	assert_string_equal(err.s, "no run 99");
	hv_buf_release(&err);
	hv_store_close(s);
}

/* A game day, its runs in order, and the game day of the same name before. */
static void
test_gameday(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	int64_t			 g1, g2;

	(void)state;
	g1 = hv_store_gameday_begin(s, "weekly-web", "gd.yaml", 0, T0, &err);
	run(s, "web node loss", NULL, T0 + 1000, 1000, "deviated", "x", g1);
	assert_int_equal(hv_store_gameday_end(s, g1, "completed", T0 + 5000,
	    &err), 0);
	g2 = hv_store_gameday_begin(s, "weekly-web", "gd.yaml", T0 + 7 * DAY,
	    T0 + 7 * DAY, &err);
	run(s, "web node loss", NULL, T0 + 7 * DAY + 1000, 1000, "completed",
	    NULL, g2);
	run(s, "db latency", NULL, T0 + 7 * DAY + 3000, 1000, "completed",
	    NULL, g2);
	run(s, "outside", NULL, T0 + 7 * DAY + 4000, 1000, "deviated", "y",
	    0);
	assert_int_equal(hv_store_gameday_end(s, g2, "completed",
	    T0 + 7 * DAY + 9000, &err), 0);

	memset(&q, 0, sizeof q);
	q.gameday = "weekly-web";
	r = build(s, &q);
	assert_int_equal(r->kind, HV_REPORT_GAMEDAY);
	assert_non_null(r->gameday);
	assert_int_equal(r->gameday->id, g2);
	assert_string_equal(r->title, "Game day weekly-web, 2026-03-09");
	assert_int_equal(r->nruns, 2);
	assert_string_equal(r->runs[0].experiment, "web node loss");
	assert_string_equal(r->runs[1].experiment, "db latency");
	assert_int_equal(r->ndetailed, 2);
	assert_int_equal(r->level, HV_LEVEL_OK);
	assert_string_equal(r->verdict, "2 of 2 runs held: nothing to fix");
	assert_int_equal(r->ntrend, 2);
	assert_true(fabs(r->score_before) < 1e-9);
	hv_report_free(r);

	/* --at: the game day that had started by then. */
	q.at = T0 + 2 * DAY;
	r = build(s, &q);
	assert_int_equal(r->gameday->id, g1);
	assert_int_equal(r->nruns, 1);
	hv_report_free(r);

	/* By id, as the scheduler asks for the game day it just ran. */
	q.gameday = NULL;
	q.at = 0;
	q.gameday_id = g1;
	r = build(s, &q);
	assert_int_equal(r->gameday->id, g1);
	assert_int_equal(r->ntrend, 1);
	hv_report_free(r);
	q.gameday_id = g2;
	r = build(s, &q);
	assert_int_equal(r->gameday->id, g2);
	assert_int_equal(r->ntrend, 2);
	hv_report_free(r);
	q.gameday_id = 77;
	assert_int_equal(hv_report_build(s, &q, &r, &err), -1);
	assert_string_equal(err.s, "no game day 77");
	hv_buf_reset(&err);
	q.gameday_id = 0;

	q.gameday = "nightly";
	q.at = 0;
	assert_int_equal(hv_report_build(s, &q, &r, &err), -1);
	assert_string_equal(err.s, "no game day nightly");
	hv_buf_release(&err);
	hv_store_close(s);
}

/* Experiments whose latest run is older than the stale time. */
static void
test_stale(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;

	(void)state;
	run(s, "old one", NULL, T0 - 40 * DAY, 1000, "completed", NULL, 0);
	run(s, "recent", NULL, T0 - 40 * DAY, 1000, "completed", NULL, 0);
	run(s, "recent", NULL, T0 + DAY, 1000, "completed", NULL, 0);
	memset(&q, 0, sizeof q);
	q.from = T0;
	q.to = T0 + 7 * DAY;
	r = build(s, &q);
	assert_int_equal(r->nstale, 1);
	assert_string_equal(r->stale[0].experiment, "old one");
	assert_int_equal(r->stale[0].last_at, T0 - 40 * DAY);
	hv_report_free(r);
	hv_store_close(s);
}

/*
 * 10,000 samples over 100 s; one spike of 5000 ms and one dip of 0.5 ms
 * among 10 ms samples, and 7 failures. Downsampled into buckets, the
 * extremes and the counts survive exactly.
 */
static void
test_downsample(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	const struct hv_report_series *se;
	int64_t			 id, n = 0, failed = 0;
	double			 hi = 0, lo = 1e9;
	int			 i;

	(void)state;
	id = run(s, "many samples", NULL, T0, 100000, "completed", NULL, 0);
	assert_int_equal(hv_store_begin(s, &err), 0);
	for (i = 0; i < 10000; i++) {
		double	lat = i == 4321 ? 5000 : i == 777 ? 0.5 : 10;

		assert_int_equal(hv_store_sample(s, id, "homepage", NULL,
		    T0 + i * 10, i % 1500 != 3, lat, i % 1500 != 3 ? NULL :
		    "<b>refused</b>", &err), 0);
	}
	assert_int_equal(hv_store_commit(s, &err), 0);
	memset(&q, 0, sizeof q);
	q.run = id;
	r = build(s, &q);
	assert_int_equal(r->runs[0].nseries, 1);
	se = &r->runs[0].series[0];
	assert_int_equal(se->samples, 10000);
	assert_int_equal(se->failed, 7);
	assert_true(fabs(se->hi - 5000) < 1e-9);
	assert_true(fabs(se->lo - 0.5) < 1e-9);
	for (i = 0; i < HV_REPORT_BUCKETS; i++) {
		n += se->b[i].n;
		failed += se->b[i].failed;
		if (se->b[i].hi > hi)
			hi = se->b[i].hi;
		if (se->b[i].lo >= 0 && se->b[i].lo < lo)
			lo = se->b[i].lo;
	}
	assert_int_equal(n, 10000);
	assert_int_equal(failed, 7);
	assert_true(fabs(hi - 5000) < 1e-9);
	assert_true(fabs(lo - 0.5) < 1e-9);
	/* Seven failing stretches of one sample each, with their error. */
	assert_int_equal(se->nwindows, 7);
	assert_int_equal(se->windows[0].n, 1);
	assert_int_equal(se->windows[0].from, T0 + 30);
	assert_string_equal(se->windows[0].error, "<b>refused</b>");
	hv_report_free(r);
	hv_buf_release(&err);
	hv_store_close(s);
}

static void
test_escape(void **state)
{
	struct hv_buf	 b = HV_BUF_INIT;
	char		*s;

	(void)state;
	hv_report_put_html(&b, "<script>alert('x')</script>&\"");
	assert_string_equal(b.s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script"
	    "&gt;&amp;&quot;");
	hv_buf_reset(&b);
	hv_report_put_xml(&b, "a\x01" "b\x1b[2Jc\td\r");
	assert_string_equal(b.s, "a?b?[2Jc\td&#13;");
	hv_buf_release(&b);
	s = hv_report_strdup("ok \xff\xfe bad \xc3\xa9");
	assert_string_equal(s, "ok \xef\xbf\xbd\xef\xbf\xbd bad \xc3\xa9");
	free(s);
	assert_null(hv_report_strdup(NULL));
}

/* Markup in every string the outside world writes stays text in HTML. */
static void
test_html_hostile(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	struct hv_buf		 out = HV_BUF_INIT, err = HV_BUF_INIT;
	struct hv_step_rec	 sr;
	int64_t			 id, step;

	(void)state;
	id = run(s, "<script>document.title='pwned'</script>",
	    "[\"<img src=x onerror=alert(1)>\"]", T0, 5000, "deviated",
	    "<iframe src=javascript:alert(2)>", 0);
	memset(&sr, 0, sizeof sr);
	sr.run = id;
	sr.phase = "method";
	sr.kind = "action";
	sr.name = "<svg onload=alert(3)>";
	sr.driver = "local.run";
	sr.target = "<b>web-1</b>";
	sr.started_at = T0 + 10;
	step = hv_store_step_begin(s, &sr, &err);
	assert_int_equal(hv_store_step_end(s, step, "failed",
	    "<script>alert(4)</script>", "</td><script>alert(5)</script>", 1,
	    T0 + 20, &err), 0);
	assert_int_equal(hv_store_sample(s, id, "<i>probe</i>", "<u>h</u>",
	    T0 + 100, 0, 3, "<marquee>x</marquee>", &err), 0);
	memset(&q, 0, sizeof q);
	q.run = id;
	r = build(s, &q);
	assert_int_equal(hv_report_html.write(r, &out, &err), 0);
	assert_null(strstr(out.s, "<script"));
	assert_null(strstr(out.s, "<img"));
	assert_null(strstr(out.s, "<iframe"));
	assert_null(strstr(out.s, "<svg onload"));
	assert_null(strstr(out.s, "<b>"));
	assert_null(strstr(out.s, "<marquee"));
	assert_null(strstr(out.s, "<i>probe"));
	assert_non_null(strstr(out.s, "&lt;script&gt;document.title="
	    "&#39;pwned&#39;&lt;/script&gt;"));
	assert_non_null(strstr(out.s, "&lt;b&gt;web-1&lt;/b&gt;"));
	assert_non_null(strstr(out.s, "Content-Security-Policy"));
	hv_report_free(r);
	hv_buf_release(&out);
	hv_buf_release(&err);
	hv_store_close(s);
}

static void
test_junit(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	struct hv_buf		 out = HV_BUF_INIT, err = HV_BUF_INIT;
	int64_t			 ids[6];

	(void)state;
	fill_week(s, ids);
	memset(&q, 0, sizeof q);
	q.from = T0;
	q.to = T0 + 7 * DAY;
	r = build(s, &q);
	assert_int_equal(hv_report_junit.write(r, &out, &err), 0);
	/* B deviated: a failure; D and E: errors; F running: skipped. */
	assert_non_null(strstr(out.s, "<testsuites name=\"Resilience, "
	    "2026-03-02 to 2026-03-08\" tests=\"6\" failures=\"1\" "
	    "errors=\"2\""));
	assert_non_null(strstr(out.s, "<failure message=\"alert &quot;"
	    "NodeDown&quot; did not fire within 30.0s (monitoring gap)\" "
	    "type=\"deviated\">"));
	assert_non_null(strstr(out.s, "type=\"rollback_failed\""));
	assert_non_null(strstr(out.s, "<skipped message=\"Running\" "
	    "type=\"running\">"));
	assert_non_null(strstr(out.s, "<testcase name=\"web node loss (run "
	    "1)\" classname=\"havoc.x\" time=\"60.000\"/>"));
	hv_report_free(r);
	hv_buf_release(&out);
	hv_buf_release(&err);
	hv_store_close(s);
}

static void
test_json(void **state)
{
	struct hv_store		*s = open_mem();
	struct hv_report_query	 q;
	struct hv_report	*r;
	struct hv_buf		 out = HV_BUF_INIT, err = HV_BUF_INIT;
	json_t			*j;
	int64_t			 ids[6];

	(void)state;
	fill_week(s, ids);
	memset(&q, 0, sizeof q);
	q.from = T0;
	q.to = T0 + 7 * DAY;
	r = build(s, &q);
	assert_int_equal(hv_report_json.write(r, &out, &err), 0);
	assert_non_null(j = json_loads(out.s, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(j, "version")),
	    HV_REPORT_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
	    "period");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(j, "summary"), "time_to_detect_ms"), "median")),
	    7000);
	assert_int_equal(json_array_size(json_object_get(j, "runs")), 6);
	json_decref(j);
	hv_report_free(r);
	hv_buf_release(&out);
	hv_buf_release(&err);
	hv_store_close(s);
}

static void
test_formats(void **state)
{
	size_t	i, j;

	(void)state;
	assert_ptr_equal(hv_report_format_for("out/r.HTML"), &hv_report_html);
	assert_ptr_equal(hv_report_format_for("r.htm"), &hv_report_html);
	assert_ptr_equal(hv_report_format_for("junit.xml"), &hv_report_junit);
	assert_ptr_equal(hv_report_format_for("r.json"), &hv_report_json);
	assert_ptr_equal(hv_report_format_for("r.txt"), &hv_report_text);
	assert_null(hv_report_format_for("r.pdf"));
	assert_null(hv_report_format_for("html"));
	assert_ptr_equal(hv_report_format_named("junit"), &hv_report_junit);
	assert_null(hv_report_format_named("htm"));
	/* The table: names unique, every hook set. */
	for (i = 0; hv_report_formats[i] != NULL; i++) {
		assert_non_null(hv_report_formats[i]->write);
		assert_non_null(hv_report_formats[i]->exts);
		for (j = 0; j < i; j++)
			assert_string_not_equal(hv_report_formats[i]->name,
			    hv_report_formats[j]->name);
	}
	assert_int_equal(i, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_figures),
		cmocka_unit_test(test_tags_filter),
		cmocka_unit_test(test_score_before),
		cmocka_unit_test(test_one_run),
		cmocka_unit_test(test_gameday),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_downsample),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_html_hostile),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
