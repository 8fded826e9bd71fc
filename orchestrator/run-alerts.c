/*
 * run-alerts.c - expected alerts: does the monitoring notice, and how
 * fast?
 *
 * Time to detect counts from the first step that changed a target,
 * revertible or not (a process.kill with KILL, a reboot, an instance
 * terminated): every action of the method counts, silences do not. From
 * that moment every expected alert is polled until it is seen or its
 * `within` is over, and recorded as fired, silenced, inhibited or
 * missed. A run that changed nothing records its alerts as not
 * evaluated, with the reason, and no alert makes such a run deviate.
 *
 * Before the method, each alert's probe must be able to look: a URL that
 * does not answer as Alertmanager (or Prometheus) stops the run before
 * anything is injected, and so does an alert that already fires, whose
 * time to detect could not be told from zero.
 */
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "run-int.h"
#include "store.h"

static void	alert_poll(void *);
static void	alert_call_done(struct slot *);

static void
alerts_start(struct runner *r)
{
	size_t	i;

	if (r->alerts_timer != NULL)
		hv_loop_cancel(r->loop, r->alerts_timer);
	r->alerts_timer = NULL;
	if (r->alerts_started || r->alerts_closed || r->x->nalerts == 0)
		return;
	r->alerts_started = 1;
	r->alerts = hv_xcalloc(r->x->nalerts, sizeof *r->alerts);
	r->nalerts = r->x->nalerts;
	r->seq++;
	for (i = 0; i < r->nalerts; i++) {
		struct alertw	*a = &r->alerts[i];

		a->r = r;
		a->step = &r->x->alerts[i];
		hv_buf_init(&a->last);
		a->deadline = r->changed_mono + a->step->within_ms;
		a->slots = run_probe_slots(r, a->step, a, alert_call_done,
		    &a->n);
		if (a->n == 0) {
			a->state = ALERT_MISSED;
			hv_buf_puts(&a->last, "the probe could not be set up");
			continue;
		}
		a->timer = hv_loop_timer(r->loop, 0, alert_poll, a);
	}
}

static void
on_change(void *arg)
{
	struct runner	*r = arg;

	r->alerts_timer = NULL;
	alerts_start(r);
}

void
run_note_change(struct runner *r)
{
	if (r->changed_wall != 0 || r->in_silences)
		return;
	r->changed_wall = hv_wall_ms();
	r->changed_mono = hv_mono_ms();
	/* The polls start from the loop, while the step is under way. */
	if (r->x->nalerts > 0)
		r->alerts_timer = hv_loop_timer(r->loop, 0, on_change, r);
}

static void
alert_poll(void *arg)
{
	struct alertw	*a = arg;
	size_t		 j;

	a->timer = NULL;
	if (a->state != ALERT_PENDING)
		return;
	a->round_ok = 1;
	a->round_error = 0;
	a->round_at = hv_wall_ms();
	a->inflight = a->n;
	for (j = 0; j < a->n; j++) {
		hv_call_reset(&a->slots[j].call);
		run_slot_start(&a->slots[j], 0);
	}
}

static void
alert_settled(struct runner *r, struct alertw *a)
{
	struct hv_event	ev;
	struct hv_buf	text = HV_BUF_INIT;
	char		d[32];

	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_ALERT;
	ev.step = a->step->name;
	ev.driver = a->step->driver->name;
	ev.ms = -1;
	if (a->state == ALERT_FIRED) {
		ev.ms = (double)(a->fired_at - r->changed_wall);
		ev.ok = 1;
		ev.state = a->seen[0] != '\0' && (strcmp(a->seen,
		    HV_ALERT_SILENCED) == 0 || strcmp(a->seen,
		    HV_ALERT_INHIBITED) == 0) ? a->seen : HV_ALERT_FIRED;
		hv_buf_printf(&text, "alert \"%s\" seen after %s",
		    a->step->name, hv_format_duration(a->fired_at -
		    r->changed_wall, d, sizeof d));
	} else {
		ev.state = HV_ALERT_MISSED;
		hv_buf_printf(&text, "alert \"%s\" not seen within %s",
		    a->step->name, hv_format_duration(a->step->within_ms, d,
		    sizeof d));
	}
	ev.text = text.s;
	run_event(r, &ev);
	hv_buf_release(&text);
}

static void
alert_call_done(struct slot *s)
{
	struct alertw	*a = s->owner;
	struct runner	*r = a->r;
	int64_t		 next;

	if (!s->call.ok) {
		a->round_ok = 0;
		a->round_error |= s->call.broken;
		hv_buf_reset(&a->last);
		hv_buf_add(&a->last, s->call.err.s, s->call.err.len);
	}
	if (--a->inflight > 0 || a->state != ALERT_PENDING)
		return;
	if (a->round_ok && a->round_at - r->changed_wall <=
	    a->step->within_ms) {
		a->state = ALERT_FIRED;
		a->fired_at = a->round_at;
		memcpy(a->seen, s->call.state, sizeof a->seen);
		hv_buf_reset(&a->last);
		hv_buf_add(&a->last, s->call.out.s, s->call.out.len);
		alert_settled(r, a);
		return;
	}
	if (hv_mono_ms() >= a->deadline) {
		a->state = ALERT_MISSED;
		alert_settled(r, a);
		return;
	}
	if (r->alerts_closed)
		return;
	next = a->step->poll_ms;
	if (hv_mono_ms() + next > a->deadline)
		next = a->deadline - hv_mono_ms();
	a->timer = hv_loop_timer(r->loop, next, alert_poll, a);
}

/* The pre-method look of one alert. */
struct look {
	struct slot	*slots;
	size_t		 n;
	size_t		 pending;
};

static void
look_done(struct slot *s)
{
	struct look	*l = s->owner;

	l->pending--;
}

static int
look_idle(void *arg)
{
	struct look	*l = arg;

	return l->pending == 0;
}

void
run_alerts_check(struct runner *r)
{
	struct look	 l;
	size_t		 i, j;

	for (i = 0; i < r->x->nalerts && !run_stopping(r); i++) {
		const struct hv_step	*step = &r->x->alerts[i];

		memset(&l, 0, sizeof l);
		l.slots = run_probe_slots(r, step, &l, look_done, &l.n);
		if (l.n == 0)
			run_stop(r, "alert \"%s\": its probe cannot be set up",
			    step->name);
		for (j = 0; j < l.n; j++) {
			l.pending++;
			run_slot_start(&l.slots[j], 0);
		}
		while (l.pending > 0)
			run_wait(r, look_idle, &l, -1);
		for (j = 0; j < l.n; j++) {
			struct hv_call	*c = &l.slots[j].call;

			if (c->ok && !run_stopping(r))
				run_stop(r, "alert \"%s\" already fires before "
				    "anything was changed: its time to detect "
				    "cannot be measured (%s)", step->name,
				    c->out.len > 0 ? c->out.s : "seen");
			else if (!c->ok && c->broken && !run_stopping(r))
				run_stop(r, "alert \"%s\" cannot be checked: "
				    "%s", step->name, c->err.s);
			run_slot_release(&l.slots[j]);
		}
		free(l.slots);
	}
}

static int
alerts_settled(void *arg)
{
	struct runner	*r = arg;
	size_t		 i;

	if (run_stopping(r))
		return 1;
	for (i = 0; i < r->nalerts; i++) {
		if (r->alerts[i].state == ALERT_PENDING ||
		    r->alerts[i].inflight > 0)
			return 0;
	}
	return 1;
}

static int
alerts_idle(void *arg)
{
	struct runner	*r = arg;
	size_t		 i;

	for (i = 0; i < r->nalerts; i++) {
		if (r->alerts[i].inflight > 0)
			return 0;
	}
	return 1;
}

void
run_alerts_wait(struct runner *r)
{
	/* The polls may not have begun: their timer is still pending. */
	if (r->alerts_timer != NULL)
		alerts_start(r);
	if (r->nalerts > 0 && !alerts_settled(r))
		run_note(r, "waiting for %zu expected alert%s", r->nalerts,
		    r->nalerts == 1 ? "" : "s");
	while (!alerts_settled(r))
		run_wait(r, alerts_settled, r, -1);
}

/* Records an alert that was never polled, with the reason. */
static void
not_evaluated(struct runner *r, const struct hv_step *step,
    const char *why)
{
	struct hv_alert_rec	rec;
	struct hv_buf		err = HV_BUF_INIT;
	struct hv_event		ev;

	memset(&rec, 0, sizeof rec);
	rec.run = r->run;
	rec.name = step->name;
	rec.probe = step->driver->name;
	rec.within_ms = step->within_ms;
	rec.state = HV_ALERT_NOT_EVALUATED;
	rec.detail = why;
	run_store_check(r, hv_store_alert(r->st, &rec, &err), &err);
	hv_buf_release(&err);
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_ALERT;
	ev.step = step->name;
	ev.driver = step->driver->name;
	ev.state = HV_ALERT_NOT_EVALUATED;
	ev.ms = -1;
	ev.text = why;
	run_event(r, &ev);
}

void
run_alerts_finish(struct runner *r)
{
	struct hv_alert_rec	 rec;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, j;
	char			 d[32];

	r->alerts_closed = 1;
	if (r->alerts_timer != NULL)
		hv_loop_cancel(r->loop, r->alerts_timer);
	r->alerts_timer = NULL;
	if (!r->alerts_started) {
		const char	*why = "not evaluated: the run stopped first";

		if (r->changed_wall == 0)
			why = r->stopping ? "not evaluated: the run stopped "
			    "before it changed anything" : "not evaluated: "
			    "the run changed nothing (no action ran)";
		for (i = 0; i < r->x->nalerts; i++)
			not_evaluated(r, &r->x->alerts[i], why);
		return;
	}
	for (i = 0; i < r->nalerts; i++) {
		struct alertw	*a = &r->alerts[i];

		if (a->timer != NULL)
			hv_loop_cancel(r->loop, a->timer);
		a->timer = NULL;
		for (j = 0; j < a->n; j++) {
			if (a->slots[j].busy)
				hv_call_cancel(&a->slots[j].call);
		}
	}
	/* Polls in flight end (cancelled, or by their watchdog). */
	while (!alerts_idle(r))
		run_wait(r, alerts_idle, r, -1);
	for (i = 0; i < r->nalerts; i++) {
		struct alertw	*a = &r->alerts[i];

		memset(&rec, 0, sizeof rec);
		rec.run = r->run;
		rec.name = a->step->name;
		rec.probe = a->step->driver->name;
		rec.within_ms = a->step->within_ms;
		rec.injected_at = r->changed_wall;
		rec.fired_at = a->state == ALERT_FIRED ? a->fired_at : 0;
		rec.state = a->state == ALERT_FIRED ? HV_ALERT_FIRED :
		    HV_ALERT_MISSED;
		/* Silenced or inhibited: the alert fired, pages did not. */
		if (a->state == ALERT_FIRED && (strcmp(a->seen,
		    HV_ALERT_SILENCED) == 0 || strcmp(a->seen,
		    HV_ALERT_INHIBITED) == 0))
			rec.state = a->seen;
		rec.detail = a->last.len > 0 ? a->last.s : NULL;
		if (a->state == ALERT_PENDING) {
			rec.state = HV_ALERT_NOT_EVALUATED;
			rec.fired_at = 0;
			rec.detail = "not evaluated: the run stopped before "
			    "its time was over";
		} else if (a->state == ALERT_MISSED)
			run_deviate(r, "alert \"%s\" did not fire within %s "
			    "(monitoring gap)", a->step->name,
			    hv_format_duration(a->step->within_ms, d,
			    sizeof d));
		run_store_check(r, hv_store_alert(r->st, &rec, &err), &err);
	}
	hv_buf_release(&err);
}

void
run_alerts_free(struct runner *r)
{
	size_t	i, j;

	for (i = 0; i < r->nalerts; i++) {
		for (j = 0; j < r->alerts[i].n; j++)
			run_slot_release(&r->alerts[i].slots[j]);
		free(r->alerts[i].slots);
		hv_buf_release(&r->alerts[i].last);
	}
	free(r->alerts);
	r->alerts = NULL;
	r->nalerts = 0;
}
