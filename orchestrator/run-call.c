/*
 * run-call.c - driver calls on their targets: slots, batches and steps.
 *
 * Every call gets a watchdog: its own timeout (the driver's promise) plus
 * a grace period, after which it is cancelled, so that no wait of the
 * runner is unbounded. A step's calls on all of its targets start
 * together; faults are journaled before they are injected.
 */
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "loop.h"
#include "run-int.h"
#include "store.h"

/* Extra time a call gets past its own timeout before it is cancelled. */
#define WATCHDOG_GRACE_MS	5000

static void
on_watchdog(void *arg)
{
	struct slot	*s = arg;

	s->watchdog = NULL;
	if (s->call.finished)
		return;
	hv_error(&s->call.err, "no answer within its timeout");
	hv_call_cancel(&s->call);
}

/* The time a call may take (its transport says), plus a grace period. */
static int64_t
call_budget(const struct hv_call *c)
{
	return hv_call_budget(c) + WATCHDOG_GRACE_MS;
}

/* The callback of every call: hands the slot to its owner. */
static void
slot_done(struct hv_call *call)
{
	struct slot	*s = call->arg;

	if (s->watchdog != NULL)
		hv_loop_cancel(s->r->loop, s->watchdog);
	s->watchdog = NULL;
	s->busy = 0;
	s->on_done(s);
}

/*
 * Starts a prepared slot's call (or its revert). A driver that cannot
 * start fails the call at once, so callers see one path.
 */
void
run_slot_start(struct slot *s, int revert)
{
	int	rc;

	s->busy = 1;
	s->started_wall = hv_wall_ms();
	s->call.started = hv_mono_ms();
	s->call.done = slot_done;
	s->call.arg = s;
	s->watchdog = hv_loop_timer(s->r->loop, call_budget(&s->call),
	    on_watchdog, s);
	rc = revert ? hv_call_revert(&s->call) : hv_call_start(&s->call);
	if (rc == -1 && !s->call.finished)
		hv_call_done(&s->call, 0);
}

void
run_slot_launch(struct runner *r, struct slot *s)
{
	if (s->change)
		run_note_change(r);
	if (s->fault != NULL && s->window != NULL)
		run_faults_add(s->window, s->fault);
	run_slot_start(s, 0);
}

void
run_slot_abandon(struct slot *s, const char *why)
{
	s->busy = 1;
	s->call.done = slot_done;
	s->call.arg = s;
	hv_buf_puts(&s->call.err, why);
	hv_call_done(&s->call, 0);
}

void
run_slot_release(struct slot *s)
{
	if (s->watchdog != NULL)
		hv_loop_cancel(s->r->loop, s->watchdog);
	s->watchdog = NULL;
	hv_call_release(&s->call);
	hv_revert_free(s->rev);
	hv_node_free(s->with);
	hv_node_free(s->expect);
	s->with = s->expect = NULL;
	s->rev = NULL;
}

/*
 * Prepares one slot for a step on a target: parameters resolved for the
 * host and checked again, the driver's own check. -1 with the reason in
 * err; the slot is then released.
 */
int
run_slot_prepare(struct runner *r, struct slot *s, const struct hv_step *step,
    const struct hv_host *host, struct hv_buf *err)
{
	memset(s, 0, sizeof *s);
	s->r = r;
	hv_call_init(&s->call, step->driver, &r->ctx);
	s->call.host = host;
	s->call.dir = r->x->dir;
	s->call.tag = hv_xasprintf("havoc-r%lld-%s-s%d", (long long)r->run,
	    r->token, r->seq);
	if ((s->with = hv_plan_params(r->x, step, step->with, host, err)) ==
	    NULL)
		goto fail;
	hv_plan_resolve_groups(r->x, &r->plan, step, s->with);
	if (step->expect != NULL && (s->expect = hv_plan_params(r->x, step,
	    step->expect, host, err)) == NULL)
		goto fail;
	s->call.with = s->with;
	s->call.expect = s->expect;
	if (step->driver->check != NULL &&
	    step->driver->check(&s->call, err) == -1)
		goto fail;
	return 0;
fail:
	run_slot_release(s);
	return -1;
}

static const char *
kind_name(const struct hv_step *s)
{
	return s->kind == HV_STEP_ACTION ? "action" : "probe";
}

void
run_record_begin(struct runner *r, struct slot *s, const char *phase,
    const char *kind, const char *name)
{
	struct hv_step_rec	rec;
	struct hv_buf		detail = HV_BUF_INIT, err = HV_BUF_INIT;

	hv_call_describe(&s->call, s->rev != NULL, &detail);
	memset(&rec, 0, sizeof rec);
	rec.run = r->run;
	rec.phase = phase;
	rec.kind = kind;
	rec.name = name;
	rec.driver = s->call.driver->name;
	rec.target = s->call.host != NULL ? s->call.host->name : NULL;
	rec.detail = detail.s;
	rec.started_at = hv_wall_ms();
	s->step_id = hv_store_step_begin(r->st, &rec, &err);
	run_store_check(r, s->step_id == -1 ? -1 : 0, &err);
	hv_buf_release(&detail);
	hv_buf_release(&err);
}

/* A batch nobody waits for ends from the loop, never inside a call. */
static void
batch_end(void *arg)
{
	struct batch	*b = arg;

	b->on_end(b);
}

void
run_batch_call_done(struct slot *s)
{
	struct runner	*r = s->r;
	struct batch	*b = s->b;
	struct hv_buf	 err = HV_BUF_INIT;
	struct hv_event	 ev;
	const char	*who = s->call.host != NULL ? s->call.host->name : "";
	const char	*what = s->rev != NULL ? "revert" : b->step->name;
	double		 ms = (double)(s->call.ended - s->call.started);
	int		 short_out = s->call.out.len > 0 &&
		    s->call.out.len < 80 && strchr(s->call.out.s, '\n') == NULL;
	struct hv_buf	 text = HV_BUF_INIT;

	if (s->step_id > 0 && s->call.batch > 0)
		run_store_check(r, hv_store_step_batch(r->st, s->step_id,
		    s->call.batch, &err), &err);
	if (s->step_id > 0)
		run_store_check(r, hv_store_step_end(r->st, s->step_id,
		    s->call.ok ? "ok" : s->call.skipped ? "skipped" : "failed",
		    s->call.out.s, s->call.err.len ? s->call.err.s : NULL,
		    s->call.latency_ms >= 0 ? s->call.latency_ms : ms,
		    hv_wall_ms(), &err), &err);
	/*
	 * A new instance took the target's place: the next steps and the
	 * watch use it.
	 */
	if (s->call.ok && s->call.replacement != NULL && s->call.host != NULL) {
		const struct hv_host *h = s->call.replacement;

		if (hv_cloud_adopt(r->x, &r->plan, s->call.host,
		    &s->call.replacement, &err) == -1) {
			run_note(r, "  %s", err.s);
			hv_buf_reset(&err);
		} else
			run_watch_adopt(r, s->call.host, h);
	}
	if (s->fault != NULL)
		run_fault_injected(r, s);
	if (s->call.ok)
		hv_buf_printf(&text, "  %s%s%s ok (%.0f ms)%s%s", who,
		    *who ? ": " : "", what, ms, short_out ? ": " : "",
		    short_out ? s->call.out.s : "");
	else if (s->call.skipped)
		hv_buf_printf(&text, "  %s%s%s skipped: %s", who, *who ? ": " :
		    "", what, s->call.err.s);
	else {
		hv_buf_printf(&text, "  %s%s%s failed: %s", who, *who ? ": " :
		    "", what, s->call.err.s);
		b->failed++;
	}
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_CALL;
	ev.phase = b->phase;
	ev.step = what;
	ev.driver = s->call.driver->name;
	ev.target = s->call.host != NULL ? s->call.host->name : NULL;
	ev.state = s->call.ok ? "ok" : "failed";
	ev.ok = s->call.ok;
	ev.ms = ms;
	ev.text = text.s;
	run_event(r, &ev);
	hv_buf_release(&text);
	hv_buf_release(&err);
	if (--b->pending == 0 && b->on_end != NULL)
		run_batch_end_later(b);
}

void
run_batch_end_later(struct batch *b)
{
	hv_loop_timer(b->r->loop, 0, batch_end, b);
}

struct batch *
run_batch_new(struct runner *r, const struct hv_step *step, const char *phase,
    size_t n)
{
	struct batch	*b;

	b = hv_xcalloc(1, sizeof *b);
	b->r = r;
	b->step = step;
	b->phase = phase;
	b->slots = hv_xcalloc(n > 0 ? n : 1, sizeof *b->slots);
	return b;
}

void
run_batch_free(struct batch *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		run_slot_release(&b->slots[i]);
	free(b->slots);
	free(b);
}

static int
batch_idle(void *arg)
{
	struct batch	*b = arg;

	return b->pending == 0;
}

/* Idle, or stopping while the batch may still be cancelled. */
static int
batch_idle_or_stop(void *arg)
{
	struct batch	*b = arg;

	return b->pending == 0 || run_stopping(b->r);
}

/* Cancels the calls of a batch still in flight. */
static void
batch_cancel(struct batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		if (b->slots[i].busy && !b->slots[i].call.finished)
			hv_call_cancel(&b->slots[i].call);
	}
}

/*
 * Waits for every call of a batch. A stop (a signal, the safety abort, a
 * failed journal) cancels the calls of a step in flight, so that no
 * inject lands after it; reverts and rollbacks are never cancelled. The
 * wait goes on until every call has ended (each is bounded by its
 * watchdog). A cancelled inject may still finish on its host: its fault
 * stays in the journal as pending and the rollbacks revert it (the
 * host's lock makes that revert wait for the inject).
 */
void
run_batch_wait(struct runner *r, struct batch *b)
{
	int	cancellable = b->step != NULL && !r->in_rollback;
	int	cancelled = 0;

	while (b->pending > 0) {
		run_wait(r, cancellable && !cancelled ? batch_idle_or_stop :
		    batch_idle, b, -1);
		if (cancellable && !cancelled && run_stopping(r)) {
			run_journal_cancel(r, "the run stopped before the "
			    "journal entry was written; not injected");
			batch_cancel(b);
			cancelled = 1;
		}
	}
}

size_t
run_step(struct runner *r, const struct hv_step *step, const char *phase,
    struct run_faults *faults)
{
	const struct hv_targets	*t = hv_plan_targets(&r->plan, step);
	struct batch		*b;
	struct slot		*s;
	struct hv_event		 ev;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, n = t->n > 0 ? t->n : 1, failed;
	int			 fault, change, rc;

	r->seq++;
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_STEP;
	ev.phase = phase;
	ev.step = step->name;
	ev.driver = step->driver->name;
	ev.ms = -1;
	run_event(r, &ev);
	change = step->kind == HV_STEP_ACTION &&
	    strcmp(phase, HV_PHASE_METHOD) == 0 && !r->in_silences;
	b = run_batch_new(r, step, phase, n);
	for (i = 0; i < n; i++) {
		const struct hv_host	*h = t->n > 0 ? t->hosts[i] : NULL;

		/* A stop starts nothing new; a rollback always goes on. */
		if (!r->in_rollback && run_stopping(r))
			break;
		s = &b->slots[b->n];
		if (run_slot_prepare(r, s, step, h, &err) == -1) {
			run_note(r, "  %s%s%s: %s", h != NULL ? h->name : "",
			    h != NULL ? ": " : "", step->name, err.s);
			hv_buf_reset(&err);
			b->failed++;
			continue;
		}
		s->b = b;
		s->on_done = run_batch_call_done;
		s->call.index = i;
		s->call.count = t->n;
		b->n++;
		run_record_begin(r, s, phase, kind_name(step), step->name);
		fault = step->kind == HV_STEP_ACTION &&
		    hv_call_is_fault(&s->call);
		rc = fault ? run_fault_record(r, s, &err) : 0;
		if (rc == -1) {
			/* No journal entry, no fault; and no run goes on
			 * without its journal. */
			run_note(r, "  %s%s%s: cannot journal the fault, not "
			    "injected: %s", h != NULL ? h->name : "",
			    h != NULL ? ": " : "", step->name, err.s);
			if (s->step_id > 0)
				run_store_check(r, hv_store_step_end(r->st,
				    s->step_id, "error", NULL, "cannot journal "
				    "the fault; not injected", -1, hv_wall_ms(),
				    &err), &err);
			run_stop(r, "the fault journal cannot be written");
			hv_buf_reset(&err);
			b->failed++;
			continue;
		}
		b->pending++;
		s->change = change;
		s->window = fault ? faults : NULL;
		if (rc == 1)
			run_journal_wait(r, s);
		else
			run_slot_launch(r, s);
	}
	run_batch_wait(r, b);
	failed = b->failed;
	run_batch_free(b);
	hv_buf_release(&err);
	return failed;
}

struct slot *
run_probe_slots(struct runner *r, const struct hv_step *step, void *owner,
    void (*on_done)(struct slot *), size_t *count)
{
	const struct hv_targets	*t = hv_plan_targets(&r->plan, step);
	struct slot		*slots;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, n = t->n > 0 ? t->n : 1, k = 0;

	slots = hv_xcalloc(n, sizeof *slots);
	for (i = 0; i < n; i++) {
		if (run_slot_prepare(r, &slots[k], step, t->n > 0 ?
		    t->hosts[i] : NULL, &err) == -1) {
			run_note(r, "%s: %s", step->name, err.s);
			hv_buf_reset(&err);
			continue;
		}
		slots[k].owner = owner;
		slots[k].on_done = on_done;
		slots[k].call.index = i;
		slots[k].call.count = t->n;
		k++;
	}
	hv_buf_release(&err);
	*count = k;
	return slots;
}
