/*
 * json.c - the report model as JSON, for tools (docs/report-json.md).
 *
 * Times are milliseconds since the epoch (UTC) and durations are
 * milliseconds, as in the store; a value the model does not have is null.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

static const char *const kinds[] = { "run", "gameday", "period" };

static json_t *
str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* A time or count that is 0 when unknown. */
static json_t *
opt_time(int64_t t)
{
	return t != 0 ? json_integer(t) : json_null();
}

/* A duration that is negative when unknown. */
static json_t *
opt_ms(int64_t ms)
{
	return ms >= 0 ? json_integer(ms) : json_null();
}

static json_t *
opt_real(double v)
{
	return v >= 0 ? json_real(v) : json_null();
}

static json_t *
strings(char **v, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
stat_json(const struct hv_report_stat *s)
{
	return json_pack("{s:I, s:o, s:o}", "count", (json_int_t)s->n,
	    "median", opt_ms(s->median), "worst", opt_ms(s->worst));
}

static json_t *
timeline_json(const struct hv_report_run *x)
{
	json_t	*probes = json_array(), *p, *b, *w;
	size_t	 i, j;

	for (i = 0; i < x->nseries; i++) {
		const struct hv_report_series	*s = &x->series[i];

		b = json_array();
		for (j = 0; j < HV_REPORT_BUCKETS; j++) {
			const struct hv_report_bucket	*k = &s->b[j];

			if (k->n == 0)
				continue;
			json_array_append_new(b, json_pack("[I, i, i, o, o]",
			    (json_int_t)k->at, (int)k->n, (int)k->failed,
			    opt_real(k->lo), opt_real(k->hi)));
		}
		w = json_array();
		for (j = 0; j < s->nwindows; j++) {
			const struct hv_report_window	*v = &s->windows[j];

			json_array_append_new(w, json_pack("{s:I, s:I, s:I, "
			    "s:o, s:o}", "from", (json_int_t)v->from, "to",
			    (json_int_t)v->to, "samples", (json_int_t)v->n,
			    "target", str(v->target), "error",
			    str(v->error)));
		}
		p = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:I}",
		    "probe", s->probe, "samples", (json_int_t)s->samples,
		    "failed", (json_int_t)s->failed, "latency_min_ms",
		    opt_real(s->lo), "latency_max_ms", opt_real(s->hi),
		    "buckets", b, "failing", w, "failing_not_listed",
		    (json_int_t)s->more_windows);
		json_array_append_new(probes, p);
	}
	return json_pack("{s:I, s:I, s:i, s:I, s:o}", "from",
	    (json_int_t)x->chart_from, "to", (json_int_t)x->chart_to,
	    "buckets", HV_REPORT_BUCKETS, "bucket_ms", (json_int_t)(
	    (x->chart_to - x->chart_from) / HV_REPORT_BUCKETS), "probes",
	    probes);
}

static json_t *
run_json(const struct hv_report_run *x)
{
	json_t	*o, *a;
	size_t	 i;

	o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:b, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:I, s:o}",
	    "id", (json_int_t)x->id, "experiment", x->experiment,
	    "file", str(x->file), "outcome", x->outcome, "status", x->status,
	    "deviated", x->deviated, "exit_code", x->exit_code >= 0 ?
	    json_integer(x->exit_code) : json_null(), "reason", str(x->reason),
	    "seed", str(x->seed), "controller", str(x->controller),
	    "tags", strings(x->tags, x->ntags), "gameday",
	    opt_time(x->gameday), "started_at", (json_int_t)x->started_at,
	    "ended_at", opt_time(x->ended_at));
	a = json_array();
	for (i = 0; i < x->nalerts; i++) {
		const struct hv_report_alert	*l = &x->alerts[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, "
		    "s:I, s:o, s:o, s:o}", "name", l->name, "probe", l->probe,
		    "state", l->state, "detail", str(l->detail), "within_ms",
		    (json_int_t)l->within_ms, "injected_at",
		    opt_time(l->injected_at), "fired_at", opt_time(l->fired_at),
		    "ttd_ms", opt_ms(l->ttd_ms)));
	}
	json_object_set_new(o, "alerts", a);
	a = json_array();
	for (i = 0; i < x->nfigures; i++) {
		const struct hv_report_figure	*g = &x->figures[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:o, "
		    "s:o, s:o}", "probe", g->probe, "state", g->state,
		    "samples", (json_int_t)g->samples, "failures",
		    (json_int_t)g->failures, "first_failure_at",
		    opt_time(g->first_failure_at), "recovered_at",
		    opt_time(g->recovered_at), "ttr_ms", opt_ms(g->ttr_ms)));
	}
	json_object_set_new(o, "figures", a);
	json_object_set_new(o, "detailed", json_boolean(x->detailed));
	if (!x->detailed)
		return o;
	a = json_array();
	for (i = 0; i < x->nsteps; i++) {
		const struct hv_report_step	*p = &x->steps[i];

		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:o, "
		    "s:o, s:o, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "seq",
		    (json_int_t)p->seq, "phase", p->phase, "kind", p->kind,
		    "name", p->name, "driver", str(p->driver), "target",
		    str(p->target), "detail", str(p->detail), "status",
		    p->status, "started_at", (json_int_t)p->started_at,
		    "ended_at", opt_time(p->ended_at), "latency_ms",
		    opt_real(p->latency_ms), "output", str(p->output),
		    "error", str(p->error), "batch", p->batch > 0 ?
		    json_integer(p->batch) : json_null()));
	}
	json_object_set_new(o, "steps", a);
	a = json_array();
	for (i = 0; i < x->nfaults; i++) {
		const struct hv_report_fault	*f = &x->faults[i];

		json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:s, s:s, "
		    "s:s, s:s, s:o, s:I, s:o, s:o}", "id", (json_int_t)f->id,
		    "step", opt_time(f->step), "target", str(f->target),
		    "driver", f->driver, "inject", f->inject, "revert",
		    f->revert, "state", f->state, "error", str(f->error),
		    "created_at", (json_int_t)f->created_at, "injected_at",
		    opt_time(f->injected_at), "reverted_at",
		    opt_time(f->reverted_at)));
	}
	json_object_set_new(o, "faults", a);
	json_object_set_new(o, "timeline", timeline_json(x));
	return o;
}

/* The whole model as a JSON value (new). */
static json_t *
report_json(const struct hv_report *r)
{
	json_t	*o, *a;
	size_t	 i;

	o = json_pack("{s:i, s:s, s:s, s:I, s:o, s:I, s:o}",
	    "version", r->version, "kind", kinds[r->kind], "title", r->title,
	    "from", (json_int_t)r->from, "to", opt_time(r->to),
	    "generated_at", (json_int_t)r->generated_at,
	    "tags", strings(r->tags, r->ntags));
	json_object_set_new(o, "verdict", json_pack("{s:s, s:s}", "level",
	    hv_report_level_name(r->level), "text", r->verdict));
	json_object_set_new(o, "summary", json_pack("{s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:I, s:I}",
	    "runs", (json_int_t)r->nruns,
	    "finished", (json_int_t)r->nfinished,
	    "held", (json_int_t)r->held,
	    "deviated", (json_int_t)r->deviated,
	    "aborted", (json_int_t)r->aborted,
	    "rollback_failed", (json_int_t)r->rollback_failed,
	    "interrupted", (json_int_t)r->interrupted,
	    "running", (json_int_t)r->running,
	    "score", opt_real(r->score),
	    "score_formula", HV_REPORT_SCORE_FORMULA,
	    "score_before", opt_real(r->score_before),
	    "before", str(r->before_label),
	    "time_to_detect_ms", stat_json(&r->ttd),
	    "time_to_recover_ms", stat_json(&r->ttr),
	    "not_recovered", (json_int_t)r->not_recovered,
	    "missed_alerts", (json_int_t)r->missed_alerts));
	a = json_array();
	for (i = 0; i < r->ntrend; i++) {
		const struct hv_report_point	*p = &r->trend[i];

		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:I, s:I, "
		    "s:I, s:o, s:o, s:o}", "label", p->label, "from",
		    opt_time(p->from), "to", opt_time(p->to), "runs",
		    (json_int_t)p->runs, "finished", (json_int_t)p->finished,
		    "held", (json_int_t)p->held, "score", opt_real(p->score),
		    "ttd_median_ms", opt_ms(p->ttd_median), "ttr_median_ms",
		    opt_ms(p->ttr_median)));
	}
	json_object_set_new(o, "trend", json_pack("{s:o, s:o}", "by",
	    str(r->trend_by), "points", a));
	a = json_array();
	for (i = 0; i < r->nfindings; i++) {
		const struct hv_report_finding	*f = &r->findings[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, "
		    "s:I, s:I, s:I}", "kind", f->kind, "level",
		    hv_report_level_name(f->level), "experiment",
		    f->experiment, "subject", f->subject, "text", f->text,
		    "count", (json_int_t)f->count, "last_at",
		    (json_int_t)f->last_at, "last_run",
		    (json_int_t)f->last_run));
	}
	json_object_set_new(o, "findings", a);
	a = json_array();
	for (i = 0; i < r->nstale; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:I, s:I}",
		    "experiment", r->stale[i].experiment, "file",
		    str(r->stale[i].file), "last_at",
		    (json_int_t)r->stale[i].last_at, "runs",
		    (json_int_t)r->stale[i].runs));
	json_object_set_new(o, "not_run_lately", json_pack("{s:I, s:o}",
	    "after_ms", (json_int_t)r->stale_ms, "experiments", a));
	if (r->gameday != NULL)
		json_object_set_new(o, "gameday", json_pack("{s:I, s:s, s:o, "
		    "s:o, s:o, s:I, s:o}", "id", (json_int_t)r->gameday->id,
		    "name", r->gameday->name, "file", str(r->gameday->file),
		    "status", str(r->gameday->status), "scheduled_at",
		    opt_time(r->gameday->scheduled_at), "started_at",
		    (json_int_t)r->gameday->started_at, "ended_at",
		    opt_time(r->gameday->ended_at)));
	else
		json_object_set_new(o, "gameday", json_null());
	a = json_array();
	for (i = 0; i < r->nskips; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:o, s:I}",
		    "name", r->skips[i].name, "file", str(r->skips[i].file),
		    "reason", r->skips[i].reason, "detail",
		    str(r->skips[i].detail), "scheduled_at",
		    (json_int_t)r->skips[i].scheduled_at));
	json_object_set_new(o, "skips", a);
	a = json_array();
	for (i = 0; i < r->nruns; i++)
		json_array_append_new(a, run_json(&r->runs[i]));
	json_object_set_new(o, "runs", a);
	return o;
}

static int
json_write(const struct hv_report *r, struct hv_buf *out,
    struct hv_buf *err)
{
	json_t	*j;
	char	*s;

	if ((j = report_json(r)) == NULL)
		return hv_error(err, "json report: cannot build the document");
	s = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (s == NULL)
		return hv_error(err, "json report: cannot encode the document");
	hv_buf_puts(out, s);
	hv_buf_putc(out, '\n');
	free(s);
	return 0;
}

const struct hv_report_format hv_report_json = {
	.name = "json",
	.exts = ".json",
	.summary = "the report model for tools (docs/report-json.md)",
	.write = json_write,
};
