/*
 * html.c - the report as one self-contained HTML page: inline CSS and SVG,
 * no script, no network, printable, readable on a phone.
 *
 * The first screen is for management: the verdict in one line, the
 * resilience score with its formula and trend, time to detect and time to
 * recover (median and worst, with their trends), what to fix in plain
 * words (newest first) and the experiments not run lately. Then the
 * detail for engineers: the runs in order, and per run its timelines,
 * alerts, probes, steps (targets, timings, outcomes) and faults with
 * their reverts.
 *
 * Every string from the model goes through hv_report_put_html(); only
 * this file's own literals are markup. The page also forbids every
 * script and every load through its Content-Security-Policy, so that a
 * mistake in escaping could not run anything either.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* static const char style_css[], made from reports/style.css. */
#include "style-css.h"

static const char *const kinds[] = { "run", "game day", "period" };

#define E(b, s)	hv_report_put_html((b), (s))

static const char *
icon(enum hv_report_level l)
{
	switch (l) {
	case HV_LEVEL_OK:
		return "\xe2\x9c\x93";		/* check mark */
	case HV_LEVEL_WARN:
		return "!";
	case HV_LEVEL_BAD:
		return "\xe2\x9c\x97";		/* ballot x */
	default:
		return "\xe2\x80\x93";		/* en dash */
	}
}

static enum hv_report_level
outcome_level(const char *outcome)
{
	if (strcmp(outcome, "held") == 0)
		return HV_LEVEL_OK;
	if (strcmp(outcome, "aborted") == 0 ||
	    strcmp(outcome, "interrupted") == 0)
		return HV_LEVEL_WARN;
	if (strcmp(outcome, "running") == 0)
		return HV_LEVEL_NONE;
	return HV_LEVEL_BAD;
}

static void
badge(struct hv_buf *b, const char *outcome)
{
	hv_buf_printf(b, "<span class=\"badge %s\">",
	    hv_report_level_name(outcome_level(outcome)));
	E(b, hv_report_outcome_words(outcome));
	hv_buf_puts(b, "</span>");
}

/* A table cell of text from the outside world. */
static void
td(struct hv_buf *b, const char *cls, const char *s)
{
	if (cls != NULL)
		hv_buf_printf(b, "<td class=\"%s\">", cls);
	else
		hv_buf_puts(b, "<td>");
	E(b, s != NULL ? s : "-");
	hv_buf_puts(b, "</td>");
}

static void
head(struct hv_buf *b, const struct hv_report *r)
{
	size_t	i;
	char	t1[40], t2[40];

	hv_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<meta name=\"generator\" content=\"havoc\">\n<title>");
	E(b, r->title);
	hv_buf_puts(b, " \xe2\x80\x94 havoc</title>\n<style>\n");
	hv_buf_puts(b, style_css);
	hv_buf_puts(b, "</style>\n</head>\n<body>\n<header>\n"
	    "<p class=\"brand\">havoc resilience report</p>\n<h1>");
	E(b, r->title);
	hv_buf_printf(b, "</h1>\n<p class=\"meta\">%s", kinds[r->kind]);
	if (r->kind != HV_REPORT_RUN || r->nruns > 0)
		hv_buf_printf(b, " \xc2\xb7 %s to %s",
		    hv_report_time(r->from, t1, sizeof t1),
		    hv_report_time(r->to, t2, sizeof t2));
	if (r->ntags > 0) {
		hv_buf_puts(b, " \xc2\xb7 tags: ");
		for (i = 0; i < r->ntags; i++) {
			if (i > 0)
				hv_buf_puts(b, ", ");
			E(b, r->tags[i]);
		}
	}
	hv_buf_printf(b, " \xc2\xb7 generated %s</p>\n</header>\n",
	    hv_report_time(r->generated_at, t1, sizeof t1));
}

static void
verdict(struct hv_buf *b, const struct hv_report *r)
{
	const char	*lv = hv_report_level_name(r->level);

	hv_buf_printf(b, "<section class=\"verdict %s\" aria-label=\"verdict\">"
	    "<span class=\"icon %s\" aria-hidden=\"true\">%s</span><p>", lv,
	    lv, icon(r->level));
	E(b, r->verdict);
	hv_buf_puts(b, "</p></section>\n");
}

/* "up from 60% in the 30d before", or nothing to compare with. */
static void
score_delta(struct hv_buf *b, const struct hv_report *r)
{
	const char	*dir;

	if (r->score < 0 || r->score_before < 0 || r->before_label == NULL) {
		hv_buf_puts(b, "<p class=\"sub\">nothing earlier to compare "
		    "with</p>");
		return;
	}
	if (r->score > r->score_before + 0.5)
		dir = "<span class=\"ok\">\xe2\x96\xb2 up</span> from";
	else if (r->score < r->score_before - 0.5)
		dir = "<span class=\"bad\">\xe2\x96\xbc down</span> from";
	else
		dir = "same as";
	hv_buf_printf(b, "<p class=\"sub\">%s %.0f%% in ", dir,
	    r->score_before);
	E(b, r->before_label);
	hv_buf_puts(b, "</p>");
}

/* The trend of one figure as a sparkline. */
static void
spark(struct hv_buf *b, const struct hv_report *r, int which,
    const char *what)
{
	double	*v, max = 0;
	size_t	 i, n = 0;
	char	*label;

	if (r->ntrend < 2)
		return;
	v = hv_xcalloc(r->ntrend, sizeof *v);
	for (i = 0; i < r->ntrend; i++) {
		const struct hv_report_point	*p = &r->trend[i];

		v[i] = which == 0 ? p->score : which == 1 ?
		    (double)p->ttd_median : (double)p->ttr_median;
		if (v[i] >= 0)
			n++;
		if (v[i] > max)
			max = v[i];
	}
	if (which == 0)
		max = 100;
	label = hv_xasprintf("%s per %s, %s to %s", what, r->trend_by,
	    r->trend[0].label, r->trend[r->ntrend - 1].label);
	if (n > 0) {
		hv_report_svg_spark(b, v, r->ntrend, max, label);
		hv_buf_printf(b, "<p class=\"sub\">trend per %s, oldest to "
		    "newest</p>", r->trend_by);
	}
	free(label);
	free(v);
}

static void
cards(struct hv_buf *b, const struct hv_report *r)
{
	char	d[32], d2[32];

	hv_buf_puts(b, "<section class=\"cards\">\n<div class=\"card\">"
	    "<h2>Resilience score</h2>");
	if (r->score >= 0)
		hv_buf_printf(b, "<p class=\"big\">%.0f%% <small>%zu of %zu "
		    "runs held</small></p>", r->score, r->held, r->nfinished);
	else
		hv_buf_puts(b, "<p class=\"big\">\xe2\x80\x93 <small>no "
		    "finished run</small></p>");
	score_delta(b, r);
	spark(b, r, 0, "resilience score");
	hv_buf_puts(b, "<p class=\"formula\">Score: " HV_REPORT_SCORE_FORMULA
	    ".</p></div>\n");

	hv_buf_puts(b, "<div class=\"card\"><h2>Time to detect</h2>");
	if (r->ttd.n == 0 && r->missed_alerts == 0)
		hv_buf_puts(b, "<p class=\"big\">\xe2\x80\x93 <small>no alert "
		    "was expected</small></p><p class=\"sub\">add "
		    "<code>alerts:</code> to an experiment to measure "
		    "it</p>");
	else
		hv_buf_printf(b, "<p class=\"big\">%s <small>median</small></p>"
	    "<p class=\"sub\">worst %s \xc2\xb7 %zu alert%s seen", hv_report_ms(
	    r->ttd.median, d, sizeof d), hv_report_ms(r->ttd.worst, d2,
	    sizeof d2), r->ttd.n, r->ttd.n == 1 ? "" : "s");
	if (r->missed_alerts > 0)
		hv_buf_printf(b, " \xc2\xb7 <span class=\"bad\">%zu never "
		    "fired</span>", r->missed_alerts);
	hv_buf_puts(b, "</p>");
	spark(b, r, 1, "median time to detect");
	hv_buf_puts(b, "<p class=\"formula\">From the first change to a "
	    "target to the expected alert firing.</p></div>\n");

	hv_buf_puts(b, "<div class=\"card\"><h2>Time to recover</h2>");
	hv_buf_printf(b, "<p class=\"big\">%s <small>median</small></p>"
	    "<p class=\"sub\">worst %s \xc2\xb7 %zu recover%s", hv_report_ms(
	    r->ttr.median, d, sizeof d), hv_report_ms(r->ttr.worst, d2,
	    sizeof d2), r->ttr.n, r->ttr.n == 1 ? "y" : "ies");
	if (r->not_recovered > 0)
		hv_buf_printf(b, " \xc2\xb7 <span class=\"bad\">%zu did not "
		    "recover</span>", r->not_recovered);
	hv_buf_puts(b, "</p>");
	spark(b, r, 2, "median time to recover");
	hv_buf_puts(b, "<p class=\"formula\">From a probe's first failure to "
	    "the moment it passed for good.</p></div>\n</section>\n");
}


/* Whether run id is shown in detail, so that a link can point at it. */
static int
detailed(const struct hv_report *r, int64_t id)
{
	size_t	i;

	for (i = 0; i < r->nruns; i++)
		if (r->runs[i].id == id)
			return r->runs[i].detailed;
	return 0;
}

static void
run_ref(struct hv_buf *b, const struct hv_report *r, int64_t id)
{
	if (detailed(r, id))
		hv_buf_printf(b, "<a href=\"#run-%" PRId64 "\">run %" PRId64
		    "</a>", id, id);
	else
		hv_buf_printf(b, "run %" PRId64, id);
}

static void
fix(struct hv_buf *b, const struct hv_report *r)
{
	size_t	i;
	char	t[40], d[32];

	hv_buf_puts(b, "<section class=\"fix\"><h2>What to fix, newest "
	    "first</h2>\n");
	if (r->nfindings == 0)
		hv_buf_printf(b, "<p class=\"allgood\">Nothing: %s</p>\n",
		    r->nruns == 0 ? "no experiment ran" : "no monitoring gap, "
		    "deviation, failed rollback or drift was found.");
	else
		hv_buf_puts(b, "<ol>\n");
	for (i = 0; i < r->nfindings; i++) {
		const struct hv_report_finding	*f = &r->findings[i];

		hv_buf_printf(b, "<li class=\"%s\"><span class=\"badge %s\">"
		    "%s</span> <span class=\"what\">",
		    hv_report_level_name(f->level),
		    hv_report_level_name(f->level),
		    hv_report_kind_words(f->kind));
		E(b, f->text);
		hv_buf_puts(b, "</span><span class=\"where\">");
		E(b, f->experiment);
		if (f->count > 1)
			hv_buf_printf(b, " \xc2\xb7 %zu times", f->count);
		if (f->last_run > 0) {
			hv_buf_puts(b, f->count > 1 ? ", last in " :
			    " \xc2\xb7 ");
			run_ref(b, r, f->last_run);
		}
		hv_buf_printf(b, " \xc2\xb7 %s</span></li>\n",
		    hv_report_time(f->last_at, t, sizeof t));
	}
	if (r->nfindings > 0)
		hv_buf_puts(b, "</ol>\n");
	hv_buf_puts(b, "</section>\n");
	if (r->nstale == 0)
		return;
	hv_buf_printf(b, "<section class=\"stale\"><h2>Experiments not run in "
	    "the last %s</h2>\n<ul>\n", hv_report_span(r->stale_ms, d,
	    sizeof d));
	for (i = 0; i < r->nstale; i++) {
		hv_buf_puts(b, "<li><span class=\"what\">");
		E(b, r->stale[i].experiment);
		hv_buf_printf(b, "</span> \xe2\x80\x94 last run %s (",
		    hv_report_date(r->stale[i].last_at, t, sizeof t));
		E(b, r->stale[i].file);
		hv_buf_puts(b, ")</li>\n");
	}
	hv_buf_puts(b, "</ul></section>\n");
}

/* The worst time to detect and to recover of a run, for the table. */
static void
run_worst(const struct hv_report_run *x, int64_t *ttd, int64_t *ttr,
    int *gap, int *stuck)
{
	size_t	i;

	*ttd = *ttr = -1;
	*gap = *stuck = 0;
	for (i = 0; i < x->nalerts; i++) {
		if (strcmp(x->alerts[i].state, "missed") == 0)
			*gap = 1;
		else if (x->alerts[i].ttd_ms > *ttd)
			*ttd = x->alerts[i].ttd_ms;
	}
	for (i = 0; i < x->nfigures; i++) {
		if (strcmp(x->figures[i].state, "not_recovered") == 0)
			*stuck = 1;
		else if (x->figures[i].ttr_ms > *ttr)
			*ttr = x->figures[i].ttr_ms;
	}
}

static void
runs_table(struct hv_buf *b, const struct hv_report *r)
{
	const struct hv_report_gameday	*g = r->gameday;
	size_t				 i;
	int64_t				 ttd, ttr;
	char				 t[40], d[32];
	int				 gap, stuck;

	hv_buf_puts(b, "<section class=\"runs\">");
	if (g != NULL) {
		hv_buf_puts(b, "<h2>The game day's runs, in order</h2>\n"
		    "<p class=\"sub\">");
		E(b, g->name);
		hv_buf_puts(b, " (");
		E(b, g->file);
		hv_buf_puts(b, ") \xc2\xb7 ");
		E(b, g->status);
		if (g->scheduled_at != 0)
			hv_buf_printf(b, " \xc2\xb7 scheduled %s",
			    hv_report_time(g->scheduled_at, t, sizeof t));
		hv_buf_printf(b, " \xc2\xb7 started %s",
		    hv_report_time(g->started_at, t, sizeof t));
		if (g->ended_at != 0)
			hv_buf_printf(b, " \xc2\xb7 took %s", hv_report_ms(
			    g->ended_at - g->started_at, d, sizeof d));
		hv_buf_puts(b, "</p>\n");
	} else
		hv_buf_printf(b, "<h2>Runs (%zu)</h2>\n", r->nruns);
	if (r->kind == HV_REPORT_PERIOD && r->nruns > r->ndetailed)
		hv_buf_printf(b, "<p class=\"sub\">Shown in detail below: %zu "
		    "run%s that did not hold, newest first. <code>havoc report "
		    "--run ID</code> gives any run in full.</p>\n",
		    r->ndetailed, r->ndetailed == 1 ? "" : "s");
	hv_buf_puts(b, "<div class=\"scroll\"><table>\n<thead><tr><th>Run</th>"
	    "<th>Started (UTC)</th><th>Experiment</th><th>Outcome</th>"
	    "<th>Detect</th><th>Recover</th><th>Reason</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < r->nruns; i++) {
		const struct hv_report_run	*x = &r->runs[i];

		run_worst(x, &ttd, &ttr, &gap, &stuck);
		hv_buf_puts(b, "<tr><td class=\"num\">");
		if (x->detailed)
			hv_buf_printf(b, "<a href=\"#run-%" PRId64 "\">%"
			    PRId64 "</a>", x->id, x->id);
		else
			hv_buf_printf(b, "%" PRId64, x->id);
		hv_buf_printf(b, "</td><td class=\"num\">%s</td>",
		    hv_report_time(x->started_at, t, sizeof t));
		td(b, "wrap", x->experiment);
		hv_buf_puts(b, "<td>");
		badge(b, x->outcome);
		hv_buf_puts(b, "</td><td class=\"num\">");
		hv_buf_puts(b, gap ? "<span class=\"bad\">missed</span>" :
		    hv_report_ms(ttd, d, sizeof d));
		hv_buf_puts(b, "</td><td class=\"num\">");
		hv_buf_puts(b, stuck ? "<span class=\"bad\">not "
		    "recovered</span>" : hv_report_ms(ttr, d, sizeof d));
		hv_buf_puts(b, "</td>");
		td(b, "wrap", x->reason);
		hv_buf_puts(b, "</tr>\n");
	}
	hv_buf_puts(b, "</tbody></table></div>\n");
	if (r->nskips > 0)
		hv_buf_printf(b, "<h4>Skipped %s</h4><ul>\n", r->kind ==
		    HV_REPORT_GAMEDAY ? "since the game day before" :
		    "game days");
	for (i = 0; i < r->nskips; i++) {
		const struct hv_report_skip	*k = &r->skips[i];

		hv_buf_printf(b, "<li>%s: ", hv_report_time(k->scheduled_at,
		    t, sizeof t));
		E(b, k->name);
		hv_buf_puts(b, " did not run (");
		E(b, k->reason);
		hv_buf_puts(b, ")");
		if (k->detail != NULL) {
			hv_buf_puts(b, ": ");
			E(b, k->detail);
		}
		hv_buf_puts(b, "</li>\n");
	}
	if (r->nskips > 0)
		hv_buf_puts(b, "</ul>\n");
	hv_buf_puts(b, "</section>\n");
}

static void
dd(struct hv_buf *b, const char *term, const char *s)
{
	hv_buf_printf(b, "<dt>%s</dt><dd>", term);
	E(b, s != NULL ? s : "-");
	hv_buf_puts(b, "</dd>");
}

static void
run_alerts(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i;
	char	d[32], d2[32];

	if (x->nalerts == 0)
		return;
	hv_buf_puts(b, "<h4>Alerts</h4><div class=\"scroll\"><table><thead>"
	    "<tr><th>Alert</th><th>Probe</th><th>State</th><th>Time to "
	    "detect</th><th>Within</th><th>Detail</th></tr></thead><tbody>\n");
	for (i = 0; i < x->nalerts; i++) {
		const struct hv_report_alert	*a = &x->alerts[i];

		hv_buf_puts(b, "<tr>");
		td(b, "wrap", a->name);
		td(b, NULL, a->probe);
		hv_buf_printf(b, "<td class=\"%s\">", strcmp(a->state,
		    "fired") == 0 ? "ok" : strcmp(a->state, "missed") == 0 ||
		    strcmp(a->state, "silenced") == 0 ||
		    strcmp(a->state, "inhibited") == 0 ? "bad" : "none");
		E(b, a->state);
		hv_buf_printf(b, "</td><td class=\"num\">%s</td>"
		    "<td class=\"num\">%s</td>", hv_report_ms(a->ttd_ms, d,
		    sizeof d), hv_report_ms(a->within_ms, d2, sizeof d2));
		td(b, "out", a->detail);
		hv_buf_puts(b, "</tr>\n");
	}
	hv_buf_puts(b, "</tbody></table></div>\n");
}

static void
run_figures(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i;
	char	d[32];

	if (x->nfigures == 0)
		return;
	hv_buf_puts(b, "<h4>Watched probes</h4><div class=\"scroll\"><table>"
	    "<thead><tr><th>Probe</th><th>State</th><th>Time to recover</th>"
	    "<th>Failed samples</th></tr></thead><tbody>\n");
	for (i = 0; i < x->nfigures; i++) {
		const struct hv_report_figure	*g = &x->figures[i];

		hv_buf_puts(b, "<tr>");
		td(b, "wrap", g->probe);
		hv_buf_printf(b, "<td class=\"%s\">", strcmp(g->state,
		    "not_recovered") == 0 ? "bad" : "ok");
		E(b, g->state);
		hv_buf_printf(b, "</td><td class=\"num\">%s</td>"
		    "<td class=\"num\">%" PRId64 " of %" PRId64 "</td></tr>\n",
		    hv_report_ms(g->ttr_ms, d, sizeof d), g->failures,
		    g->samples);
	}
	hv_buf_puts(b, "</tbody></table></div>\n");
}

static void
run_timelines(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i, j;
	char	t[40];

	for (i = 0; i < x->nseries; i++) {
		const struct hv_report_series	*s = &x->series[i];

		hv_buf_puts(b, "<h4>Timeline: ");
		E(b, s->probe);
		hv_buf_puts(b, "</h4>\n");
		hv_report_svg_timeline(b, x, s);
		hv_buf_printf(b, "<p class=\"legend\">from %s \xc2\xb7 %" PRId64
		    " samples, %" PRId64 " failed<i class=\"l-lat\"></i>latency"
		    " (lowest to highest)<i class=\"l-fault\"></i>fault active"
		    "<i class=\"l-fail\"></i>failed samples"
		    "<i class=\"l-alert\"></i>alert</p>\n",
		    hv_report_time(x->chart_from, t, sizeof t), s->samples,
		    s->failed);
		for (j = 0; j < s->nwindows && j < 5; j++) {
			const struct hv_report_window	*w = &s->windows[j];

			if (w->error == NULL)
				continue;
			hv_buf_printf(b, "<p class=\"legend\">failing from %s "
			    "(%" PRId64 " sample%s", hv_report_time(w->from, t,
			    sizeof t), w->n, w->n == 1 ? "" : "s");
			if (w->target != NULL) {
				hv_buf_puts(b, " on ");
				E(b, w->target);
			}
			hv_buf_puts(b, "): <span class=\"out\">");
			E(b, w->error);
			hv_buf_puts(b, "</span></p>\n");
		}
	}
}

static void
run_steps(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i;
	char	t[40], d[32];
	int	batches = 0;

	if (x->nsteps == 0)
		return;
	/* A rotation's steps say their batch; other runs have no column. */
	for (i = 0; i < x->nsteps; i++)
		batches |= x->steps[i].batch > 0;
	hv_buf_puts(b, "<h4>Steps</h4><div class=\"scroll\"><table><thead><tr>"
	    "<th>#</th><th>Phase</th><th>Step</th><th>Driver</th>"
	    "<th>Target</th>");
	if (batches)
		hv_buf_puts(b, "<th>Batch</th>");
	hv_buf_puts(b, "<th>Started</th><th>Took</th><th>Outcome</th>"
	    "<th>Output or error</th></tr></thead><tbody>\n");
	for (i = 0; i < x->nsteps; i++) {
		const struct hv_report_step	*p = &x->steps[i];
		const char			*cls;

		cls = strcmp(p->status, "ok") == 0 ? "ok" : strcmp(p->status,
		    "skipped") == 0 || strcmp(p->status, "cancelled") == 0 ||
		    strcmp(p->status, "running") == 0 ? "none" : "bad";
		hv_buf_printf(b, "<tr><td class=\"num\">%" PRId64 "</td>",
		    p->seq);
		td(b, NULL, p->phase);
		td(b, "wrap", p->name);
		td(b, NULL, p->driver);
		td(b, "wrap", p->target);
		if (batches && p->batch > 0)
			hv_buf_printf(b, "<td class=\"num\">%d</td>",
			    p->batch);
		else if (batches)
			hv_buf_puts(b, "<td></td>");
		hv_buf_printf(b, "<td class=\"num\">%s</td>",
		    hv_report_time(p->started_at, t, sizeof t) + 11);
		hv_buf_printf(b, "<td class=\"num\">%s</td>", p->ended_at ?
		    hv_report_ms(p->ended_at - p->started_at, d, sizeof d) :
		    "-");
		hv_buf_printf(b, "<td class=\"%s\">", cls);
		E(b, p->status);
		hv_buf_puts(b, "</td><td class=\"out\">");
		if (p->error != NULL) {
			hv_buf_puts(b, "<span class=\"bad\">");
			E(b, p->error);
			hv_buf_puts(b, "</span>");
			if (p->output != NULL)
				hv_buf_putc(b, '\n');
		}
		if (p->output != NULL)
			E(b, p->output);
		else if (p->error == NULL)
			E(b, p->detail != NULL ? p->detail : "");
		hv_buf_puts(b, "</td></tr>\n");
	}
	hv_buf_puts(b, "</tbody></table></div>\n");
}

static void
run_faults(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i;
	char	t[40], t2[40];

	if (x->nfaults == 0)
		return;
	hv_buf_puts(b, "<h4>Faults and their reverts</h4><div class=\"scroll\">"
	    "<table><thead><tr><th>#</th><th>Target</th><th>Fault</th>"
	    "<th>Revert</th><th>Injected</th><th>Reverted</th><th>State</th>"
	    "</tr></thead><tbody>\n");
	for (i = 0; i < x->nfaults; i++) {
		const struct hv_report_fault	*f = &x->faults[i];

		hv_buf_printf(b, "<tr><td class=\"num\">%" PRId64 "</td>",
		    f->id);
		td(b, "wrap", f->target);
		td(b, "out", f->inject);
		td(b, "out", f->revert);
		hv_buf_printf(b, "<td class=\"num\">%s</td><td class=\"num\">"
		    "%s</td>", f->injected_at ? hv_report_time(f->injected_at,
		    t, sizeof t) + 11 : "-", f->reverted_at ? hv_report_time(
		    f->reverted_at, t2, sizeof t2) + 11 : "-");
		hv_buf_printf(b, "<td class=\"%s\">", strcmp(f->state,
		    "reverted") == 0 ? "ok" : "bad");
		E(b, f->state);
		if (f->error != NULL) {
			hv_buf_puts(b, ": ");
			E(b, f->error);
		}
		hv_buf_puts(b, "</td></tr>\n");
	}
	hv_buf_puts(b, "</tbody></table></div>\n");
}

static void
run_detail(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i;
	char	t[40], d[32];

	hv_buf_printf(b, "<article class=\"run\" id=\"run-%" PRId64 "\">"
	    "<h3>Run %" PRId64 ": ", x->id, x->id);
	E(b, x->experiment);
	hv_buf_puts(b, " ");
	badge(b, x->outcome);
	hv_buf_puts(b, "</h3>\n<dl>");
	dd(b, "Reason", x->reason);
	dd(b, "Started", hv_report_time(x->started_at, t, sizeof t));
	dd(b, "Took", x->ended_at ? hv_report_ms(x->ended_at - x->started_at,
	    d, sizeof d) : "still running");
	dd(b, "File", x->file);
	dd(b, "Seed", x->seed);
	dd(b, "Controller", x->controller);
	if (x->ntags > 0) {
		hv_buf_puts(b, "<dt>Tags</dt><dd>");
		for (i = 0; i < x->ntags; i++) {
			if (i > 0)
				hv_buf_puts(b, ", ");
			E(b, x->tags[i]);
		}
		hv_buf_puts(b, "</dd>");
	}
	hv_buf_puts(b, "</dl>\n");
	run_timelines(b, x);
	run_alerts(b, x);
	run_figures(b, x);
	run_steps(b, x);
	run_faults(b, x);
	hv_buf_puts(b, "</article>\n");
}

static int
html_write(const struct hv_report *r, struct hv_buf *out,
    struct hv_buf *err)
{
	size_t	i;

	(void)err;
	head(out, r);
	verdict(out, r);
	cards(out, r);
	fix(out, r);
	runs_table(out, r);
	if (r->ndetailed > 0)
		hv_buf_puts(out, "<section class=\"detail\"><h2>Detail</h2>\n");
	for (i = r->nruns; i-- > 0;)
		if (r->runs[i].detailed && r->kind == HV_REPORT_PERIOD)
			run_detail(out, &r->runs[i]);
	for (i = 0; i < r->nruns; i++)
		if (r->runs[i].detailed && r->kind != HV_REPORT_PERIOD)
			run_detail(out, &r->runs[i]);
	if (r->ndetailed > 0)
		hv_buf_puts(out, "</section>\n");
	hv_buf_printf(out, "<footer>havoc report, model version %d. Times are "
	    "UTC.</footer>\n</body>\n</html>\n", r->version);
	return 0;
}

const struct hv_report_format hv_report_html = {
	.name = "html",
	.exts = ".html .htm",
	.summary = "one self-contained page: management first, then detail",
	.write = html_write,
};
