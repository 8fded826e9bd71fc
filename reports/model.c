/*
 * model.c - the report model (report.h), built from the store.
 *
 * Choices report.h leaves to this file:
 *
 *   - Resilience score: the percentage of finished runs (every verdict
 *     but "running") whose hypothesis held. It is simple on purpose: a
 *     manager can check it against the list of runs.
 *   - Time to detect: the alerts that fired (also silenced or inhibited:
 *     the monitoring saw the fault). Time to recover: the watched probes
 *     that failed and recovered; one that never recovered is counted
 *     apart (not_recovered), never as a number. The median of an even
 *     count is the mean of the two middle values, rounded down to the
 *     millisecond.
 *   - The trend: per day (per week past 62 days) over a period; over the
 *     last game days of the same name for a game day; over the last runs
 *     of the same experiment for a run. score_before is the period of the
 *     same length just before, the game day before, or the run before.
 *   - Findings are grouped by kind, experiment and subject, newest first.
 *   - A period report details the runs that did not hold, newest first,
 *     at most query.details of them; a run or game day details every run.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "store-report.h"
#include "store.h"

#define DAY_MS		86400000LL
#define HISTORY		10	/* game days or runs in a trend */

/* What building a report carries along. */
struct build {
	struct hv_store			*st;
	const struct hv_report_query	*q;
	struct hv_report		*r;
	struct hv_buf			*err;
};

/* A list of runs, sorted by id for the lookups of their rows. */
struct runlist {
	struct hv_report_run	*v;
	size_t			 n;
	const struct hv_report_query *q;
	struct hv_report_run	**byid;
};

static char *
dup(const char *s)
{
	return hv_report_strdup(s);
}

/* Tags from a JSON array (new strings), for filtering and display. */
static void
parse_tags(const char *json, char ***tags, size_t *n)
{
	json_t	*a, *v;
	size_t	 i;

	*tags = NULL;
	*n = 0;
	if (json == NULL || (a = json_loads(json, 0, NULL)) == NULL)
		return;
	if (json_is_array(a)) {
		*tags = hv_xcalloc(json_array_size(a) + 1, sizeof **tags);
		json_array_foreach(a, i, v) {
			if (json_is_string(v))
				(*tags)[(*n)++] = dup(json_string_value(v));
		}
	}
	json_decref(a);
}

static int
has_tags(char **tags, size_t n, const struct hv_report_query *q)
{
	size_t	i, j;

	for (i = 0; i < q->ntags; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(tags[j], q->tags[i]) == 0)
				break;
		if (j == n)
			return 0;
	}
	return 1;
}

static const char *
outcome_of(const char *status)
{
	static const struct {
		const char	*status, *outcome;
	} map[] = {
		{ HV_RUN_COMPLETED, "held" },
		{ HV_RUN_DEVIATED, "deviated" },
		{ HV_RUN_ABORTED, "aborted" },
		{ HV_RUN_FAILED_ROLLBACK, "rollback_failed" },
		{ HV_RUN_INTERRUPTED, "interrupted" },
		{ HV_RUN_RUNNING, "running" },
	};
	size_t	i;

	for (i = 0; status != NULL && i < HV_ARRAY_LEN(map); i++)
		if (strcmp(map[i].status, status) == 0)
			return map[i].outcome;
	return NULL;
}

/* Runs, filtered by tags; planned (dry) runs are never part of a report. */
static int
add_run(const struct hv_rrun_row *row, void *arg)
{
	struct runlist		*l = arg;
	struct hv_report_run	*x;
	const char		*outcome;
	char			**tags;
	size_t			 ntags, i;

	if ((outcome = outcome_of(row->status)) == NULL)
		return 0;
	parse_tags(row->tags_json, &tags, &ntags);
	if (!has_tags(tags, ntags, l->q)) {
		for (i = 0; i < ntags; i++)
			free(tags[i]);
		free(tags);
		return 0;
	}
	l->v = hv_xreallocarray(l->v, l->n + 1, sizeof *l->v);
	x = &l->v[l->n++];
	memset(x, 0, sizeof *x);
	x->id = row->id;
	x->experiment = dup(row->experiment);
	x->file = dup(row->file);
	x->status = dup(row->status);
	x->reason = dup(row->reason);
	x->seed = dup(row->seed);
	x->controller = dup(row->controller);
	x->tags = tags;
	x->ntags = ntags;
	x->outcome = outcome;
	x->deviated = row->deviated;
	x->exit_code = row->exit_code;
	x->gameday = row->gameday;
	x->started_at = row->started_at;
	x->ended_at = row->ended_at;
	return 0;
}

static int
cmp_byid(const void *a, const void *b)
{
	const struct hv_report_run	*x = *(struct hv_report_run *const *)a;
	const struct hv_report_run	*y = *(struct hv_report_run *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct hv_report_run *
find_run(struct runlist *l, int64_t id)
{
	size_t	lo = 0, hi = l->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->byid[mid]->id == id)
			return l->byid[mid];
		if (l->byid[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
add_alert(const struct hv_ralert_row *row, void *arg)
{
	struct hv_report_run	*x;
	struct hv_report_alert	*a;

	if ((x = find_run(arg, row->run)) == NULL)
		return 0;
	x->alerts = hv_xreallocarray(x->alerts, x->nalerts + 1,
	    sizeof *x->alerts);
	a = &x->alerts[x->nalerts++];
	a->name = dup(row->name);
	a->probe = dup(row->probe);
	a->state = dup(row->state);
	a->detail = dup(row->detail);
	a->within_ms = row->within_ms;
	a->injected_at = row->injected_at;
	a->fired_at = row->fired_at;
	a->ttd_ms = row->ttd_ms;
	return 0;
}

static int
add_figure(const struct hv_rfigure_row *row, void *arg)
{
	struct hv_report_run	*x;
	struct hv_report_figure	*g;

	if ((x = find_run(arg, row->run)) == NULL)
		return 0;
	x->figures = hv_xreallocarray(x->figures, x->nfigures + 1,
	    sizeof *x->figures);
	g = &x->figures[x->nfigures++];
	g->probe = dup(row->probe);
	g->state = dup(row->state);
	g->samples = row->samples;
	g->failures = row->failures;
	g->first_failure_at = row->first_failure_at;
	g->recovered_at = row->recovered_at;
	g->ttr_ms = row->ttr_ms;
	return 0;
}

/* Loads a scope's runs (tag-filtered) with their alerts and figures. */
static int
load_runs(struct hv_store *st, const struct hv_store_scope *sc,
    const struct hv_report_query *q, struct runlist *l, struct hv_buf *err)
{
	size_t	i;

	memset(l, 0, sizeof *l);
	l->q = q;
	if (hv_store_report_runs(st, sc, add_run, l, err) == -1)
		return -1;
	l->byid = hv_xcalloc(l->n + 1, sizeof *l->byid);
	for (i = 0; i < l->n; i++)
		l->byid[i] = &l->v[i];
	qsort(l->byid, l->n, sizeof *l->byid, cmp_byid);
	if (l->n == 0)
		return 0;
	if (hv_store_report_alerts(st, sc, add_alert, l, err) == -1 ||
	    hv_store_report_figures(st, sc, add_figure, l, err) == -1)
		return -1;
	return 0;
}

static void
series_release(struct hv_report_series *s)
{
	size_t	i;

	free(s->probe);
	for (i = 0; i < s->nwindows; i++) {
		free(s->windows[i].target);
		free(s->windows[i].error);
	}
	free(s->windows);
}

static void
run_release(struct hv_report_run *x)
{
	size_t	i;

	free(x->experiment);
	free(x->file);
	free(x->status);
	free(x->reason);
	free(x->seed);
	free(x->controller);
	free(x->why);
	for (i = 0; i < x->ntags; i++)
		free(x->tags[i]);
	free(x->tags);
	for (i = 0; i < x->nalerts; i++) {
		free(x->alerts[i].name);
		free(x->alerts[i].probe);
		free(x->alerts[i].state);
		free(x->alerts[i].detail);
	}
	free(x->alerts);
	for (i = 0; i < x->nfigures; i++) {
		free(x->figures[i].probe);
		free(x->figures[i].state);
	}
	free(x->figures);
	for (i = 0; i < x->nsteps; i++) {
		struct hv_report_step	*p = &x->steps[i];

		free(p->phase);
		free(p->kind);
		free(p->name);
		free(p->driver);
		free(p->target);
		free(p->detail);
		free(p->status);
		free(p->output);
		free(p->error);
	}
	free(x->steps);
	for (i = 0; i < x->nfaults; i++) {
		struct hv_report_fault	*f = &x->faults[i];

		free(f->target);
		free(f->driver);
		free(f->inject);
		free(f->revert);
		free(f->state);
		free(f->error);
	}
	free(x->faults);
	for (i = 0; i < x->nseries; i++)
		series_release(&x->series[i]);
	free(x->series);
}

static void
runlist_release(struct runlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		run_release(&l->v[i]);
	free(l->v);
	free(l->byid);
	memset(l, 0, sizeof *l);
}

/* Statistics. */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median (mean of the middle two, rounded down) and worst of v[n]. */
static struct hv_report_stat
stat_of(int64_t *v, size_t n)
{
	struct hv_report_stat	s;

	s.n = n;
	s.median = s.worst = -1;
	if (n == 0)
		return s;
	qsort(v, n, sizeof *v, cmp_i64);
	s.worst = v[n - 1];
	if (n % 2 == 1)
		s.median = v[n / 2];
	else
		s.median = v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
	return s;
}

/* What a set of runs adds up to. */
struct agg {
	size_t			 finished, held, deviated, aborted;
	size_t			 rollback_failed, interrupted, running;
	size_t			 not_recovered, missed;
	struct hv_report_stat	 ttd, ttr;
	double			 score;
};

static int
alert_detected(const struct hv_report_alert *a)
{
	return a->ttd_ms >= 0 && strcmp(a->state, "missed") != 0;
}

/* Adds up runs v[0..n) whose start is in [from, to) (to 0: any). */
static void
aggregate(const struct hv_report_run *v, size_t n, int64_t from,
    int64_t to, struct agg *g)
{
	int64_t	*ttd = NULL, *ttr = NULL;
	size_t	 nttd = 0, nttr = 0, i, j;

	memset(g, 0, sizeof *g);
	for (i = 0; i < n; i++) {
		const struct hv_report_run	*x = &v[i];

		if (x->started_at < from || (to > 0 && x->started_at >= to))
			continue;
		if (strcmp(x->outcome, "running") == 0) {
			g->running++;
			continue;
		}
		g->finished++;
		if (strcmp(x->outcome, "held") == 0)
			g->held++;
		else if (strcmp(x->outcome, "deviated") == 0)
			g->deviated++;
		else if (strcmp(x->outcome, "aborted") == 0)
			g->aborted++;
		else if (strcmp(x->outcome, "rollback_failed") == 0)
			g->rollback_failed++;
		else
			g->interrupted++;
		for (j = 0; j < x->nalerts; j++) {
			if (alert_detected(&x->alerts[j])) {
				ttd = hv_xreallocarray(ttd, nttd + 1,
				    sizeof *ttd);
				ttd[nttd++] = x->alerts[j].ttd_ms;
			} else if (strcmp(x->alerts[j].state, "missed") == 0)
				g->missed++;
		}
		for (j = 0; j < x->nfigures; j++) {
			if (strcmp(x->figures[j].state, "recovered") == 0 &&
			    x->figures[j].ttr_ms >= 0) {
				ttr = hv_xreallocarray(ttr, nttr + 1,
				    sizeof *ttr);
				ttr[nttr++] = x->figures[j].ttr_ms;
			} else if (strcmp(x->figures[j].state,
			    "not_recovered") == 0)
				g->not_recovered++;
		}
	}
	g->ttd = stat_of(ttd, nttd);
	g->ttr = stat_of(ttr, nttr);
	g->score = g->finished > 0 ? 100.0 * (double)g->held /
	    (double)g->finished : -1;
	free(ttd);
	free(ttr);
}

static void
add_point(struct hv_report *r, const char *label, int64_t from, int64_t to,
    const struct agg *g, size_t runs)
{
	struct hv_report_point	*p;

	r->trend = hv_xreallocarray(r->trend, r->ntrend + 1,
	    sizeof *r->trend);
	p = &r->trend[r->ntrend++];
	p->label = hv_xstrdup(label);
	p->from = from;
	p->to = to;
	p->runs = runs;
	p->finished = g->finished;
	p->held = g->held;
	p->score = g->score;
	p->ttd_median = g->ttd.median;
	p->ttr_median = g->ttr.median;
}

/* Findings. */

static void
find(struct hv_report *r, const char *kind, enum hv_report_level level,
    const struct hv_report_run *x, const char *subject, int64_t at,
    const char *fmt, ...) HV_PRINTF(7, 8);

/* Adds a finding, or counts it again in the group it belongs to. */
static void
find(struct hv_report *r, const char *kind, enum hv_report_level level,
    const struct hv_report_run *x, const char *subject, int64_t at,
    const char *fmt, ...)
{
	struct hv_report_finding	*f;
	struct hv_buf			 b = HV_BUF_INIT;
	va_list				 ap;
	size_t				 i;

	if (subject == NULL)
		subject = "";
	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		if (strcmp(f->kind, kind) == 0 &&
		    strcmp(f->experiment, x->experiment) == 0 &&
		    strcmp(f->subject, subject) == 0)
			break;
	}
	if (i == r->nfindings) {
		r->findings = hv_xreallocarray(r->findings, r->nfindings + 1,
		    sizeof *r->findings);
		f = &r->findings[r->nfindings++];
		memset(f, 0, sizeof *f);
		f->kind = kind;
		f->level = level;
		f->experiment = hv_xstrdup(x->experiment);
		f->subject = hv_xstrdup(subject);
	}
	f->count++;
	if (f->text != NULL && at < f->last_at)
		return;
	va_start(ap, fmt);
	hv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(f->text);
	f->text = hv_buf_detach(&b);
	f->last_at = at;
	f->last_run = x->id;
}

/* What a run says needs fixing. */
static void
run_findings(struct hv_report *r, const struct hv_report_run *x)
{
	const struct hv_report_alert	*a;
	const struct hv_report_figure	*g;
	size_t				 i, gaps = 0;
	char				 d[32];
	int64_t				 at = x->ended_at ? x->ended_at :
					    x->started_at;

	for (i = 0; i < x->nalerts; i++) {
		a = &x->alerts[i];
		if (strcmp(a->state, "missed") == 0) {
			gaps++;
			find(r, "monitoring_gap", HV_LEVEL_BAD, x, a->name,
			    at, "The alert \"%s\" did not "
			    "fire within %s", a->name, hv_report_ms(
			    a->within_ms, d, sizeof d));
		} else if (strcmp(a->state, "silenced") == 0 ||
		    strcmp(a->state, "inhibited") == 0)
			find(r, "alert_not_paged", HV_LEVEL_WARN, x, a->name,
			    at, "The alert \"%s\" fired but was %s: nobody "
			    "was paged", a->name, a->state);
	}
	for (i = 0; i < x->nfigures; i++) {
		g = &x->figures[i];
		if (strcmp(g->state, "not_recovered") == 0)
			find(r, "not_recovered", HV_LEVEL_BAD, x, g->probe,
			    at, "\"%s\" failed and did not recover by the "
			    "end of the run", g->probe);
	}
	if (strcmp(x->outcome, "rollback_failed") == 0)
		find(r, "rollback_failed", HV_LEVEL_BAD, x, "", at,
		    "A revert failed, so faults may still be active (run "
		    "havoc recover): %s", x->reason ? x->reason : "");
	else if (strcmp(x->outcome, "deviated") == 0 && gaps == 0)
		find(r, "deviation", HV_LEVEL_BAD, x, x->reason, at,
		    "%s%s%s", x->reason ? x->reason :
		    "the hypothesis did not hold", x->why ? ": " : "",
		    x->why ? x->why : "");
	else if (strcmp(x->outcome, "aborted") == 0)
		find(r, "aborted", HV_LEVEL_WARN, x, x->reason, at,
		    "%s%s%s", x->reason ? x->reason : "no reason recorded",
		    x->why ? ": " : "", x->why ? x->why : "");
	else if (strcmp(x->outcome, "interrupted") == 0)
		find(r, "interrupted", HV_LEVEL_WARN, x, "", at,
		    "havoc stopped during the run%s%s",
		    x->reason ? ": " : "", x->reason ? x->reason : "");
}

/* Drift and other failed checks, from the probe steps that failed. */
struct drift {
	struct hv_report	*r;
	struct runlist		*l;
};

static int
add_drift(const struct hv_rstep_row *row, void *arg)
{
	struct drift		*d = arg;
	struct hv_report_run	*x;
	char			*subject, *err;

	if ((x = find_run(d->l, row->run)) == NULL)
		return 0;
	/* The first probe that failed says why a run deviated or stopped. */
	if (x->why == NULL && row->phase != NULL &&
	    (strcmp(row->phase, HV_PHASE_AFTER) == 0 ||
	    strcmp(row->phase, HV_PHASE_BEFORE) == 0 ||
	    strcmp(row->phase, HV_PHASE_PREFLIGHT) == 0))
		x->why = hv_xasprintf("%s%s%s: %s", row->name, row->target ?
		    " on " : "", row->target ? row->target : "",
		    row->error != NULL ? row->error : "failed");
	if (row->driver == NULL || (strcmp(row->driver, "image") != 0 &&
	    strcmp(row->driver, "aws.ec2.image") != 0))
		return 0;
	subject = hv_xasprintf("%s %s", row->name, row->target ?
	    row->target : "");
	err = dup(row->error != NULL ? row->error : row->output);
	find(d->r, "drift", HV_LEVEL_WARN, x, subject, row->started_at,
	    "Not on the golden image%s%s: %s", row->target ? " on " :
	    "", row->target ? row->target : "", err ? err : row->name);
	free(subject);
	free(err);
	return 0;
}

static int
cmp_finding(const void *a, const void *b)
{
	const struct hv_report_finding	*x = a, *y = b;

	if (x->last_at != y->last_at)
		return x->last_at > y->last_at ? -1 : 1;
	return x->last_run > y->last_run ? -1 : x->last_run < y->last_run;
}

/* Detail: steps, faults and the timeline of each watched probe. */

static int
add_step(const struct hv_rstep_row *row, void *arg)
{
	struct hv_report_run	*x = arg;
	struct hv_report_step	*p;

	x->steps = hv_xreallocarray(x->steps, x->nsteps + 1,
	    sizeof *x->steps);
	p = &x->steps[x->nsteps++];
	p->id = row->id;
	p->seq = row->seq;
	p->phase = dup(row->phase);
	p->kind = dup(row->kind);
	p->name = dup(row->name);
	p->driver = dup(row->driver);
	p->target = dup(row->target);
	p->detail = dup(row->detail);
	p->status = dup(row->status);
	p->output = dup(row->output);
	p->error = dup(row->error);
	p->started_at = row->started_at;
	p->ended_at = row->ended_at;
	p->latency_ms = row->latency_ms;
	p->batch = row->batch;
	return 0;
}

static int
add_fault(const struct hv_rfault_row *row, void *arg)
{
	struct hv_report_run	*x = arg;
	struct hv_report_fault	*f;

	x->faults = hv_xreallocarray(x->faults, x->nfaults + 1,
	    sizeof *x->faults);
	f = &x->faults[x->nfaults++];
	f->id = row->id;
	f->step = row->step;
	f->target = dup(row->target);
	f->driver = dup(row->driver);
	f->inject = dup(row->inject);
	f->revert = dup(row->revert);
	f->state = dup(row->state);
	f->error = dup(row->error);
	f->created_at = row->created_at;
	f->injected_at = row->injected_at;
	f->reverted_at = row->reverted_at;
	return 0;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The series of a probe, made on its first sample. */
static struct hv_report_series *
series_for(struct hv_report_run *x, const char *probe)
{
	struct hv_report_series	*s;
	size_t			 i;

	for (i = 0; i < x->nseries; i++)
		if (strcmp(x->series[i].probe, probe) == 0)
			return &x->series[i];
	x->series = hv_xreallocarray(x->series, x->nseries + 1,
	    sizeof *x->series);
	s = &x->series[x->nseries++];
	memset(s, 0, sizeof *s);
	s->probe = dup(probe);
	s->lo = s->hi = -1;
	for (i = 0; i < HV_REPORT_BUCKETS; i++) {
		s->b[i].at = x->chart_from + (int64_t)i *
		    (x->chart_to - x->chart_from) / HV_REPORT_BUCKETS;
		s->b[i].lo = s->b[i].hi = -1;
	}
	return s;
}

static void
extremes(double *lo, double *hi, double v)
{
	if (v < 0)
		return;
	if (*lo < 0 || v < *lo)
		*lo = v;
	if (*hi < 0 || v > *hi)
		*hi = v;
}

/* Opens or extends the failing stretch of the sample's target. */
static void
track_window(struct hv_report_series *s, const struct hv_rsample_row *m)
{
	struct hv_report_window	*w = NULL;
	size_t			 i;

	for (i = s->nwindows; i-- > 0;) {
		if (s->windows[i].open && same(s->windows[i].target,
		    m->target)) {
			w = &s->windows[i];
			break;
		}
	}
	if (m->ok) {
		if (w != NULL)
			w->open = 0;
		return;
	}
	if (w != NULL) {
		w->to = m->at;
		w->n++;
		return;
	}
	if (s->nwindows == HV_REPORT_WINDOWS) {
		s->more_windows++;
		return;
	}
	s->windows = hv_xreallocarray(s->windows, s->nwindows + 1,
	    sizeof *s->windows);
	w = &s->windows[s->nwindows++];
	w->from = w->to = m->at;
	w->n = 1;
	w->target = dup(m->target);
	w->error = dup(m->error);
	w->open = 1;
}

static int
add_sample(const struct hv_rsample_row *m, void *arg)
{
	struct hv_report_run	*x = arg;
	struct hv_report_series	*s;
	struct hv_report_bucket	*b;
	int64_t			 span = x->chart_to - x->chart_from + 1;
	int64_t			 at = m->at, i;

	s = series_for(x, m->probe != NULL ? m->probe : "?");
	if (at < x->chart_from)
		at = x->chart_from;
	if (at > x->chart_to)
		at = x->chart_to;
	i = (at - x->chart_from) * HV_REPORT_BUCKETS / span;
	b = &s->b[i];
	b->n++;
	s->samples++;
	if (!m->ok) {
		b->failed++;
		s->failed++;
	}
	extremes(&b->lo, &b->hi, m->latency_ms);
	extremes(&s->lo, &s->hi, m->latency_ms);
	track_window(s, m);
	return 0;
}

/* Reads the detail of one run: steps, faults, and its samples streamed. */
static int
detail_run(struct hv_store *st, struct hv_report_run *x, int64_t now,
    struct hv_buf *err)
{
	struct hv_store_scope	sc;
	int64_t			first, last;

	memset(&sc, 0, sizeof sc);
	sc.run = x->id;
	x->detailed = 1;
	if (hv_store_report_steps(st, &sc, 0, add_step, x, err) == -1 ||
	    hv_store_report_faults(st, &sc, add_fault, x, err) == -1 ||
	    hv_store_report_sample_span(st, x->id, &first, &last, err) == -1)
		return -1;
	x->chart_from = x->started_at;
	x->chart_to = x->ended_at ? x->ended_at : (last ? last : now);
	if (first != 0 && first < x->chart_from)
		x->chart_from = first;
	if (last > x->chart_to)
		x->chart_to = last;
	if (x->chart_to <= x->chart_from)
		x->chart_to = x->chart_from + 1;
	return hv_store_report_samples(st, x->id, add_sample, x, err);
}

/* Game days. */

struct gdfind {
	struct hv_report_gameday	*g;
	int64_t				 at;
	size_t				 seen;
	int64_t				 ids[HISTORY];
	size_t				 nids;
};

static int
take_gameday(const struct hv_rgameday_row *row, void *arg)
{
	struct gdfind			*f = arg;
	struct hv_report_gameday	*g;

	if (f->nids < HISTORY)
		f->ids[f->nids++] = row->id;
	if (f->g != NULL)
		return f->nids == HISTORY;
	/* Newest first: the first that had not ended by at, or the first. */
	g = f->g = hv_xcalloc(1, sizeof *g);
	g->id = row->id;
	g->name = dup(row->name);
	g->file = dup(row->file);
	g->status = dup(row->status);
	g->scheduled_at = row->scheduled_at;
	g->started_at = row->started_at;
	g->ended_at = row->ended_at;
	return 0;
}

static void
gameday_free(struct hv_report_gameday *g)
{
	if (g == NULL)
		return;
	free(g->name);
	free(g->file);
	free(g->status);
	free(g);
}

/* Trends. */

static int
period_trend(struct build *b, struct runlist *l)
{
	struct hv_report	*r = b->r;
	struct agg		 g;
	int64_t			 step, t;
	size_t			 runs, i;
	char			 label[32];

	step = r->to - r->from > 62 * DAY_MS ? 7 * DAY_MS : DAY_MS;
	r->trend_by = step == DAY_MS ? "day" : "week";
	/* Buckets are whole UTC days from the first day of the period. */
	for (t = r->from - r->from % DAY_MS; t < r->to; t += step) {
		aggregate(l->v, l->n, t, t + step, &g);
		for (runs = 0, i = 0; i < l->n; i++)
			runs += l->v[i].started_at >= t &&
			    l->v[i].started_at < t + step;
		hv_report_date(t, label, sizeof label);
		add_point(r, label, t, t + step, &g, runs);
	}
	return 0;
}

/* The last game days of the same name, oldest first, ending at this one. */
static int
gameday_trend(struct build *b, struct gdfind *f)
{
	struct hv_report	*r = b->r;
	struct hv_store_scope	 sc;
	struct runlist		 l;
	struct agg		 g;
	size_t			 i;
	char			 label[32];
	int			 rc = 0;

	r->trend_by = "gameday";
	for (i = f->nids; i-- > 0 && rc == 0;) {
		memset(&sc, 0, sizeof sc);
		sc.gameday = f->ids[i];
		if ((rc = load_runs(b->st, &sc, b->q, &l, b->err)) == 0) {
			aggregate(l.v, l.n, 0, 0, &g);
			hv_report_date(l.n > 0 ? l.v[0].started_at : 0, label,
			    sizeof label);
			add_point(r, label, l.n > 0 ? l.v[0].started_at : 0,
			    l.n > 0 ? l.v[l.n - 1].started_at : 0, &g, l.n);
		}
		runlist_release(&l);
	}
	return rc;
}

/* The last runs of the same experiment, oldest first, ending at this one. */
static int
run_trend(struct build *b, const struct hv_report_run *x)
{
	struct hv_report	*r = b->r;
	struct hv_store_scope	 sc;
	struct runlist		 l;
	struct agg		 g;
	size_t			 i, start;
	char			 label[32];

	r->trend_by = "run";
	memset(&sc, 0, sizeof sc);
	sc.experiment = x->experiment;
	sc.to = x->started_at + 1;
	if (load_runs(b->st, &sc, b->q, &l, b->err) == -1) {
		runlist_release(&l);
		return -1;
	}
	start = l.n > HISTORY ? l.n - HISTORY : 0;
	for (i = start; i < l.n; i++) {
		if (l.v[i].started_at == x->started_at && l.v[i].id > x->id)
			continue;
		aggregate(&l.v[i], 1, 0, 0, &g);
		snprintf(label, sizeof label, "run %" PRId64, l.v[i].id);
		add_point(r, label, l.v[i].started_at, l.v[i].ended_at, &g,
		    1);
	}
	runlist_release(&l);
	return 0;
}

/* Skipped game-day slots. */

static int
add_skip(const struct hv_rskip_row *row, void *arg)
{
	struct hv_report	*r = arg;
	struct hv_report_skip	*k;

	r->skips = hv_xreallocarray(r->skips, r->nskips + 1,
	    sizeof *r->skips);
	k = &r->skips[r->nskips++];
	k->name = dup(row->name);
	k->file = dup(row->file);
	k->reason = dup(row->reason);
	k->detail = dup(row->detail);
	k->scheduled_at = row->scheduled_at;
	return 0;
}

/* The slots skipped since the game day before, or in the period. */
static int
skips(struct build *b, const struct gdfind *gd)
{
	struct hv_report	*r = b->r;
	int64_t			 from = r->from, to = r->to;
	size_t			 i;
	char			 t[40];

	if (r->kind == HV_REPORT_RUN)
		return 0;
	if (r->kind == HV_REPORT_GAMEDAY) {
		/* The trend's points are the game days, oldest first. */
		from = r->ntrend >= 2 ? r->trend[r->ntrend - 2].from + 1 : 0;
		to = r->to + 1;
	}
	if (hv_store_report_skips(b->st, r->kind == HV_REPORT_GAMEDAY ?
	    gd->g->name : NULL, from, to, add_skip, r, b->err) == -1)
		return -1;
	for (i = 0; i < r->nskips; i++) {
		struct hv_report_skip	*k = &r->skips[i];
		struct hv_report_run	 x;

		/* A finding needs a run; a skip has none, so it stands in. */
		memset(&x, 0, sizeof x);
		x.experiment = k->name;
		find(r, "skipped", HV_LEVEL_WARN, &x, k->reason,
		    k->scheduled_at, "The game day %s did not run at %s "
		    "(%s)%s%s", k->name, hv_report_time(k->scheduled_at, t,
		    sizeof t), k->reason, k->detail ? ": " : "",
		    k->detail ? k->detail : "");
	}
	return 0;
}

/* Experiments not run lately. */

struct stale_walk {
	struct build	*b;
	int64_t		 before;
};

static int
add_stale(const struct hv_rexperiment_row *row, void *arg)
{
	struct stale_walk	*w = arg;
	struct hv_report	*r = w->b->r;
	struct hv_report_stale	*s;
	char			**tags;
	size_t			 ntags, i;
	int			 keep;

	if (row->last_at >= w->before || row->experiment == NULL)
		return 0;
	parse_tags(row->tags_json, &tags, &ntags);
	keep = has_tags(tags, ntags, w->b->q);
	for (i = 0; i < ntags; i++)
		free(tags[i]);
	free(tags);
	if (!keep)
		return 0;
	r->stale = hv_xreallocarray(r->stale, r->nstale + 1,
	    sizeof *r->stale);
	s = &r->stale[r->nstale++];
	s->experiment = dup(row->experiment);
	s->file = dup(row->file);
	s->last_at = row->last_at;
	s->runs = row->runs;
	return 0;
}

/* The verdict line. */

static void
verdict(struct hv_report *r)
{
	struct hv_buf			 b = HV_BUF_INIT;
	const struct hv_report_run	*x;
	size_t				 i, gaps = 0, devs = 0, other = 0;

	if (r->kind == HV_REPORT_RUN) {
		x = &r->runs[0];
		if (strcmp(x->outcome, "held") == 0) {
			r->level = HV_LEVEL_OK;
			hv_buf_puts(&b, "Held: the service stayed healthy");
			if (x->nalerts > 0)
				hv_buf_puts(&b, " and every expected alert "
				    "fired in time");
		} else if (strcmp(x->outcome, "running") == 0) {
			r->level = HV_LEVEL_NONE;
			hv_buf_puts(&b, "Still running");
		} else {
			r->level = strcmp(x->outcome, "aborted") == 0 ||
			    strcmp(x->outcome, "interrupted") == 0 ?
			    HV_LEVEL_WARN : HV_LEVEL_BAD;
			hv_buf_printf(&b, "%s: %s", hv_report_outcome_words(
			    x->outcome), x->reason ? x->reason :
			    "no reason recorded");
			if (strcmp(x->outcome, "rollback_failed") == 0)
				hv_buf_puts(&b, " (faults may still be active: "
				    "run havoc recover)");
		}
		r->verdict = hv_buf_detach(&b);
		return;
	}
	if (r->nfinished == 0) {
		r->level = HV_LEVEL_NONE;
		r->verdict = hv_xstrdup(r->running > 0 ? "Still running" :
		    "No experiment ran");
		return;
	}
	for (i = 0; i < r->nfindings; i++) {
		if (strcmp(r->findings[i].kind, "monitoring_gap") == 0)
			gaps += r->findings[i].count;
		else if (strcmp(r->findings[i].kind, "deviation") == 0)
			devs += r->findings[i].count;
		else
			other += r->findings[i].count;
	}
	if (r->rollback_failed > 0 || r->deviated > 0)
		r->level = HV_LEVEL_BAD;
	else if (r->held < r->nfinished || r->nfindings > 0)
		r->level = HV_LEVEL_WARN;
	else
		r->level = HV_LEVEL_OK;
	hv_buf_printf(&b, "%zu of %zu run%s held", r->held, r->nfinished,
	    r->nfinished == 1 ? "" : "s");
	if (r->level == HV_LEVEL_OK) {
		hv_buf_puts(&b, ": nothing to fix");
		r->verdict = hv_buf_detach(&b);
		return;
	}
	hv_buf_puts(&b, "; to fix:");
	if (r->rollback_failed > 0)
		hv_buf_printf(&b, " %zu failed rollback%s (run havoc "
		    "recover),", r->rollback_failed,
		    r->rollback_failed == 1 ? "" : "s");
	if (gaps > 0)
		hv_buf_printf(&b, " %zu monitoring gap%s,", gaps,
		    gaps == 1 ? "" : "s");
	if (devs > 0)
		hv_buf_printf(&b, " %zu deviation%s,", devs,
		    devs == 1 ? "" : "s");
	if (other > 0)
		hv_buf_printf(&b, " %zu other finding%s,", other,
		    other == 1 ? "" : "s");
	b.s[--b.len] = '\0';
	r->verdict = hv_buf_detach(&b);
}

/* Chooses the scope of the report; fills in its title and span. */
static int
choose(struct build *b, struct hv_store_scope *sc, struct gdfind *gd)
{
	const struct hv_report_query	*q = b->q;
	struct hv_report		*r = b->r;
	struct gdfind			 one;
	const char			*name = q->gameday;
	int64_t				 at = q->at;
	char				 t1[32], t2[32];
	int				 rc;

	memset(sc, 0, sizeof *sc);
	memset(&one, 0, sizeof one);
	if (q->run > 0) {
		r->kind = HV_REPORT_RUN;
		sc->run = q->run;
		return 0;
	}
	if (q->gameday_id > 0 && q->gameday == NULL) {
		/* One game day by id: then as by its name, at its start. */
		if (hv_store_report_gamedays(b->st, NULL, q->gameday_id, 0,
		    take_gameday, &one, b->err) == -1)
			return -1;
		if (one.g == NULL)
			return hv_error(b->err, "no game day %" PRId64,
			    q->gameday_id);
		name = one.g->name;
		at = one.g->started_at;
	}
	if (name != NULL) {
		r->kind = HV_REPORT_GAMEDAY;
		rc = hv_store_report_gamedays(b->st, name, 0, at,
		    take_gameday, gd, b->err);
		if (rc == 0 && gd->g == NULL) {
			if (at > 0)
				rc = hv_error(b->err, "no game day %s "
				    "started by %s", name,
				    hv_report_time(at, t1, sizeof t1));
			else
				rc = hv_error(b->err, "no game day %s", name);
		}
		gameday_free(one.g);
		if (rc == -1)
			return -1;
		r->gameday = gd->g;
		sc->gameday = gd->g->id;
		r->title = hv_xasprintf("Game day %s, %s", gd->g->name,
		    hv_report_date(gd->g->started_at, t1, sizeof t1));
		r->from = gd->g->started_at;
		r->to = gd->g->ended_at;
		return 0;
	}
	r->kind = HV_REPORT_PERIOD;
	r->from = q->from;
	r->to = q->to > 0 ? q->to : r->generated_at;
	sc->from = r->from;
	sc->to = r->to;
	r->title = hv_xasprintf("Resilience, %s to %s",
	    hv_report_date(r->from, t1, sizeof t1),
	    hv_report_date(r->to - 1, t2, sizeof t2));
	return 0;
}

static int
cmp_detail(const void *a, const void *b)
{
	const struct hv_report_run	*x = *(struct hv_report_run *const *)a;
	const struct hv_report_run	*y = *(struct hv_report_run *const *)b;

	if (x->started_at != y->started_at)
		return x->started_at > y->started_at ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* Reads the detail of the runs shown in full. */
static int
details(struct build *b, struct runlist *l)
{
	struct hv_report	 *r = b->r;
	struct hv_report_run	**pick;
	size_t			  i, n = 0, max;
	int			  rc = 0;

	max = b->q->details > 0 ? (size_t)b->q->details : HV_REPORT_DETAILS;
	pick = hv_xcalloc(l->n + 1, sizeof *pick);
	for (i = 0; i < l->n; i++) {
		if (r->kind != HV_REPORT_PERIOD ||
		    strcmp(l->v[i].outcome, "held") != 0)
			pick[n++] = &l->v[i];
	}
	if (r->kind == HV_REPORT_PERIOD) {
		qsort(pick, n, sizeof *pick, cmp_detail);
		if (n > max)
			n = max;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = detail_run(b->st, pick[i], r->generated_at, b->err);
	r->ndetailed = n;
	free(pick);
	return rc;
}

/* Builds the report inside one read snapshot. */
static int
build(struct build *b)
{
	struct hv_report	*r = b->r;
	struct hv_store_scope	 sc, prev;
	struct gdfind		 gd;
	struct runlist		 l, before;
	struct stale_walk	 sw;
	struct drift		 dr;
	struct agg		 g, gb;
	size_t			 i;
	char			 t[32];
	int			 ret = -1;

	memset(&gd, 0, sizeof gd);
	memset(&l, 0, sizeof l);
	memset(&before, 0, sizeof before);
	if (choose(b, &sc, &gd) == -1)
		goto done;
	if (load_runs(b->st, &sc, b->q, &l, b->err) == -1)
		goto done;
	if (r->kind == HV_REPORT_RUN) {
		if (l.n == 0) {
			hv_error(b->err, "no run %" PRId64 "%s", b->q->run,
			    b->q->ntags > 0 ? " with those tags" : "");
			goto done;
		}
		r->title = hv_xasprintf("%s, run %" PRId64,
		    l.v[0].experiment, l.v[0].id);
		r->from = l.v[0].started_at;
		r->to = l.v[0].ended_at;
	}
	if (r->kind == HV_REPORT_GAMEDAY && r->to == 0)
		r->to = l.n > 0 && l.v[l.n - 1].ended_at ?
		    l.v[l.n - 1].ended_at : r->generated_at;

	aggregate(l.v, l.n, 0, 0, &g);
	r->nfinished = g.finished;
	r->held = g.held;
	r->deviated = g.deviated;
	r->aborted = g.aborted;
	r->rollback_failed = g.rollback_failed;
	r->interrupted = g.interrupted;
	r->running = g.running;
	r->score = g.score;
	r->ttd = g.ttd;
	r->ttr = g.ttr;
	r->not_recovered = g.not_recovered;
	r->missed_alerts = g.missed;

	dr.r = r;
	dr.l = &l;
	if (l.n > 0 && hv_store_report_steps(b->st, &sc, 1, add_drift, &dr,
	    b->err) == -1)
		goto done;
	for (i = 0; i < l.n; i++)
		run_findings(r, &l.v[i]);

	/* The trend, and the figure to compare the score with. */
	r->score_before = -1;
	if (r->kind == HV_REPORT_PERIOD) {
		period_trend(b, &l);
		prev = sc;
		prev.to = sc.from;
		prev.from = sc.from - (sc.to - sc.from);
		if (load_runs(b->st, &prev, b->q, &before, b->err) == -1)
			goto done;
		aggregate(before.v, before.n, 0, 0, &gb);
		r->score_before = gb.score;
		r->before_label = hv_xasprintf("the %s before",
		    hv_report_span(sc.to - sc.from, t, sizeof t));
	} else if (r->kind == HV_REPORT_GAMEDAY) {
		if (gameday_trend(b, &gd) == -1)
			goto done;
		if (r->ntrend >= 2) {
			r->score_before = r->trend[r->ntrend - 2].score;
			r->before_label = hv_xasprintf("the game day of %s",
			    r->trend[r->ntrend - 2].label);
		}
	} else {
		if (run_trend(b, &l.v[0]) == -1)
			goto done;
		if (r->ntrend >= 2) {
			r->score_before = r->trend[r->ntrend - 2].score;
			r->before_label = hv_xasprintf("%s",
			    r->trend[r->ntrend - 2].label);
		}
	}

	if (skips(b, &gd) == -1)
		goto done;
	if (r->nfindings > 0)
		qsort(r->findings, r->nfindings, sizeof *r->findings,
		    cmp_finding);

	sw.b = b;
	sw.before = (r->to ? r->to : r->generated_at) - r->stale_ms;
	if (hv_store_report_experiments(b->st, add_stale, &sw, b->err) == -1)
		goto done;
	if (details(b, &l) == -1)
		goto done;

	/* The runs move into the report. */
	r->runs = l.v;
	r->nruns = l.n;
	l.v = NULL;
	l.n = 0;
	verdict(r);
	ret = 0;
done:
	if (r->gameday == NULL)
		gameday_free(gd.g);
	runlist_release(&l);
	runlist_release(&before);
	return ret;
}

int
hv_report_build(struct hv_store *st, const struct hv_report_query *q,
    struct hv_report **out, struct hv_buf *err)
{
	struct hv_report	*r;
	struct build		 b;
	size_t			 i;
	int			 own, ret;

	*out = NULL;
	r = hv_xcalloc(1, sizeof *r);
	r->version = HV_REPORT_VERSION;
	r->generated_at = q->now > 0 ? q->now : hv_wall_ms();
	r->stale_ms = q->stale_ms > 0 ? q->stale_ms : HV_REPORT_STALE_MS;
	r->score = r->score_before = -1;
	r->ttd.median = r->ttd.worst = r->ttr.median = r->ttr.worst = -1;
	if (q->ntags > 0) {
		r->tags = hv_xcalloc(q->ntags, sizeof *r->tags);
		for (i = 0; i < q->ntags; i++)
			r->tags[i] = dup(q->tags[i]);
		r->ntags = q->ntags;
	}
	b.st = st;
	b.q = q;
	b.r = r;
	b.err = err;
	if (hv_store_report_begin(st, &own, err) == -1) {
		hv_report_free(r);
		return -1;
	}
	ret = build(&b);
	hv_store_report_end(st, own);
	if (ret == -1) {
		hv_report_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void
hv_report_free(struct hv_report *r)
{
	size_t	i;

	if (r == NULL)
		return;
	free(r->title);
	for (i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	free(r->verdict);
	free(r->before_label);
	for (i = 0; i < r->ntrend; i++)
		free(r->trend[i].label);
	free(r->trend);
	for (i = 0; i < r->nfindings; i++) {
		free(r->findings[i].experiment);
		free(r->findings[i].subject);
		free(r->findings[i].text);
	}
	free(r->findings);
	for (i = 0; i < r->nstale; i++) {
		free(r->stale[i].experiment);
		free(r->stale[i].file);
	}
	free(r->stale);
	gameday_free(r->gameday);
	for (i = 0; i < r->nskips; i++) {
		free(r->skips[i].name);
		free(r->skips[i].file);
		free(r->skips[i].reason);
		free(r->skips[i].detail);
	}
	free(r->skips);
	for (i = 0; i < r->nruns; i++)
		run_release(&r->runs[i]);
	free(r->runs);
	free(r);
}

/* Streams a run's samples for `havoc show --samples`. */
struct each {
	int	(*fn)(const char *, const char *, int64_t, int, double,
		    const char *, void *);
	void	*arg;
};

static int
each_sample(const struct hv_rsample_row *m, void *arg)
{
	struct each	*e = arg;

	return e->fn(m->probe, m->target, m->at, m->ok, m->latency_ms,
	    m->error, e->arg);
}

int
hv_report_each_sample(struct hv_store *st, int64_t run,
    int (*fn)(const char *, const char *, int64_t, int, double,
    const char *, void *), void *arg, struct hv_buf *err)
{
	struct each	e;

	e.fn = fn;
	e.arg = arg;
	return hv_store_report_samples(st, run, each_sample, &e, err);
}
