/*
 * runner.c - the run state machine, written top to bottom.
 *
 * The phases are plain sequential code; what happens concurrently (the
 * calls of one step on all of its targets, watch samples, alert polls,
 * fault windows) is started on the loop, and the code then waits with
 * hv_loop_run() for what it needs. A stop (safety abort, action error,
 * SIGINT or SIGTERM) skips ahead to the rollbacks, which always run.
 *
 * Faults are reverted from the journal: every revert, whether at the end
 * of a duration, in the rollbacks or in `havoc recover`, is rebuilt from
 * the spec stored before the fault was injected (fault.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "driver.h"
#include "experiment.h"
#include "fault.h"
#include "loop.h"
#include "node.h"
#include "plan.h"
#include "remote.h"
#include "runner.h"
#include "store.h"

/* Extra time a call gets past its own timeout before it is cancelled. */
#define WATCHDOG_GRACE_MS	5000

struct runner;
struct batch;

/* One driver call: a step on one target, a sample, a poll, a revert. */
struct slot {
	struct hv_call	 call;
	struct runner	*r;
	void		(*on_done)(struct slot *);
	struct batch	*b;		/* batch slots */
	void		*owner;		/* the watcher or alert */
	struct hv_node	*with;		/* owned, resolved for the target */
	struct hv_node	*expect;
	struct hv_revert *rev;		/* revert slots */
	int64_t		 step_id;
	int64_t		 fault_id;
	int64_t		 started_wall;
	struct hv_timer	*watchdog;
	int		 busy;
};

/* The calls of one step, started together and awaited together. */
struct batch {
	struct runner	*r;
	const struct hv_step *step;	/* NULL for a batch of reverts */
	const char	*phase;
	struct slot	*slots;
	size_t		 n;
	size_t		 pending;
	size_t		 failed;
};

struct round {
	int64_t		 at;		/* wall ms when the round started */
	int		 ok;
};

/* A watched probe, sampled on every target each watch interval. */
struct watcher {
	const struct hv_step *step;
	struct slot	*slots;
	size_t		 n;
	size_t		 inflight;
	int		 round_ok;
	int64_t		 round_at;
	int64_t		 failing_since;	/* mono ms of the first failing round */
	struct round	*rounds;
	size_t		 nrounds;
	int		 failures;
	int		 stored;	/* samples stored */
};

enum alert_state { ALERT_PENDING, ALERT_FIRED, ALERT_MISSED };

/* An expected alert, polled from the first injection until it fires. */
struct alertw {
	const struct hv_step *step;
	struct slot	*slots;
	size_t		 n;
	size_t		 inflight;
	int		 round_ok;
	int64_t		 round_at;
	int64_t		 deadline;	/* mono */
	int64_t		 fired_at;	/* wall */
	enum alert_state state;
	struct hv_timer	*timer;
	struct hv_buf	 last;		/* why the last poll said no */
	char		 seen[16];	/* the probe's word: silenced, ... */
};

/* A fault window: a duration after which a step's faults are reverted. */
struct ids {
	int64_t		*v;
	size_t		 n;
};

struct window {
	struct runner	*r;
	struct ids	 ids;		/* the faults it made */
	struct hv_timer	*timer;
	int		 done;
};

struct runner {
	struct hv_experiment *x;
	struct hv_store	*st;
	struct hv_loop	*loop;
	struct hv_ctx	 ctx;
	struct hv_plan	 plan;
	int64_t		 run;
	int64_t		 t0;		/* mono at the start */
	int		 seq;		/* steps numbered for tags */
	char		 token[8];	/* random: tags differ across stores */

	int		 stopping;	/* skip to the rollbacks */
	int		 in_rollback;
	char		*stop_reason;
	int		 deviated;
	char		*deviation;	/* the first reason */
	int		 rollback_failed;
	int		 store_failed;

	int64_t		 injected_wall;	/* first injection, or 0 */
	int64_t		 injected_mono;

	struct watcher	*watchers;
	size_t		 nwatchers;
	struct hv_timer	*watch_timer;
	int		 watching;

	struct alertw	*alerts;
	size_t		 nalerts;
	int		 alerts_started;
	int		 alerts_closed;	/* no more polls */
	int		 in_silences;	/* setting silences: not a fault */
	struct hv_timer	*alerts_timer;	/* starts the polls */

	struct window	**windows;
	size_t		 nwindows;
	int		 windows_due;	/* a window's duration is over */
};

static void	slot_done(struct hv_call *);

/* Progress on stderr, prefixed with the time since the start. */
static void HV_PRINTF(2, 3)
say(struct runner *r, const char *fmt, ...)
{
	struct hv_buf	b = HV_BUF_INIT;
	va_list		ap;

	if (hv_log_level < HV_LOG_INFO)
		return;
	hv_buf_printf(&b, "[%6.1fs] ", (double)(hv_mono_ms() - r->t0) / 1000);
	va_start(ap, fmt);
	hv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	hv_log("%s", b.s);
	hv_buf_release(&b);
}

/* Asks the run to skip to the rollbacks; the first reason is kept. */
static void
stop(struct runner *r, const char *fmt, ...)
{
	struct hv_buf	b = HV_BUF_INIT;
	va_list		ap;

	if (r->stopping)
		return;
	va_start(ap, fmt);
	hv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->stopping = 1;
	r->stop_reason = hv_buf_detach(&b);
	say(r, "stopping: %s", r->stop_reason);
}

static void
deviate(struct runner *r, const char *fmt, ...)
{
	struct hv_buf	b = HV_BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	hv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->deviated = 1;
	say(r, "deviation: %s", b.s);
	if (r->deviation == NULL)
		r->deviation = hv_buf_detach(&b);
	hv_buf_release(&b);
}

/* A store error is logged, never fatal to the reverts. */
static void
store_check(struct runner *r, int rc, struct hv_buf *err)
{
	if (rc != -1)
		return;
	r->store_failed = 1;
	hv_warn("%s", err->s);
	hv_buf_reset(err);
}

/* Turns SIGINT and SIGTERM into a stop; during rollbacks they wait. */
static void
check_signal(struct runner *r)
{
	int	sig = hv_loop_signal(r->loop);

	if (sig == 0)
		return;
	hv_loop_clear_signal(r->loop);
	if (r->in_rollback) {
		say(r, "%s: rolling back; havoc exits when the rollbacks are "
		    "done", strsignal(sig));
		return;
	}
	stop(r, "interrupted by %s", sig == SIGINT ? "SIGINT" :
	    sig == SIGTERM ? "SIGTERM" : strsignal(sig));
}

static void
on_watchdog(void *arg)
{
	struct slot	*s = arg;

	s->watchdog = NULL;
	if (s->call.finished)
		return;
	hv_error(&s->call.err, "no answer within its timeout");
	if (s->call.driver->cancel != NULL)
		s->call.driver->cancel(&s->call);
}

/* The timeout a call promises to keep, plus a grace period. */
static int64_t
call_budget(const struct hv_call *c)
{
	int64_t	t, connect;

	t = c->driver->ssh ? hv_remote_timeout(c) : hv_arg_ms(c, "timeout");
	if (t <= 0)
		t = 60000;
	/* An SSH command may first wait for its session to be set up. */
	if (c->driver->ssh) {
		connect = c->host != NULL && c->host->ssh.connect_timeout_ms >
		    0 ? c->host->ssh.connect_timeout_ms : 10000;
		if (c->ctx != NULL && c->ctx->exp != NULL &&
		    c->ctx->exp->ssh.connect_timeout_ms > connect)
			connect = c->ctx->exp->ssh.connect_timeout_ms;
		t += connect;
	}
	return t + WATCHDOG_GRACE_MS;
}

/*
 * Starts a prepared slot's call (or its revert). A driver that cannot
 * start fails the call at once, so callers see one path.
 */
static void
slot_start(struct slot *s, int revert)
{
	int	rc;

	s->busy = 1;
	s->started_wall = hv_wall_ms();
	s->call.started = hv_mono_ms();
	s->call.done = slot_done;
	s->call.arg = s;
	s->watchdog = hv_loop_timer(s->r->loop, call_budget(&s->call),
	    on_watchdog, s);
	rc = revert ? s->call.driver->revert(&s->call) :
	    s->call.driver->start(&s->call);
	if (rc == -1 && !s->call.finished)
		hv_call_done(&s->call, 0);
}

static void
slot_release(struct slot *s)
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
static int
slot_prepare(struct runner *r, struct slot *s, const struct hv_step *step,
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
	slot_release(s);
	return -1;
}

static const char *
phase_name(const struct hv_step *s)
{
	return s->kind == HV_STEP_ACTION ? "action" : "probe";
}

/* Records the start of a batch call in the store. */
static void
record_begin(struct runner *r, struct slot *s, const char *phase,
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
	store_check(r, s->step_id == -1 ? -1 : 0, &err);
	hv_buf_release(&detail);
	hv_buf_release(&err);
}

/*
 * Writes the fault journal entry (committed) before a fault is injected.
 * Returns -1 when it could not be written: the fault must not be made.
 */
static int
record_fault(struct runner *r, struct slot *s, struct hv_buf *err)
{
	struct hv_fault_rec	 rec;
	struct hv_buf		 inject = HV_BUF_INIT, revert = HV_BUF_INIT;
	char			*spec;

	hv_call_describe(&s->call, 0, &inject);
	hv_call_describe(&s->call, 1, &revert);
	spec = hv_fault_spec(r->x, &s->call);
	memset(&rec, 0, sizeof rec);
	rec.run = r->run;
	rec.step = s->step_id > 0 ? s->step_id : 0;
	rec.target = s->call.host != NULL ? s->call.host->name : NULL;
	rec.driver = s->call.driver->name;
	rec.inject = inject.s;
	rec.revert = revert.s;
	rec.revert_spec = spec;
	rec.created_at = hv_wall_ms();
	/* SSH actions arm a dead-man timer on the host with the fault. */
	if (s->call.driver->ssh && s->call.driver->command != NULL &&
	    s->call.host != NULL)
		rec.dead_man_at = rec.created_at + r->ctx.dead_man_ms;
	s->fault_id = hv_store_fault_add(r->st, &rec, err);
	free(spec);
	hv_buf_release(&inject);
	hv_buf_release(&revert);
	return s->fault_id > 0 ? 0 : -1;
}

static void	alerts_start(struct runner *);

static void
on_first_injection(void *arg)
{
	struct runner	*r = arg;

	r->alerts_timer = NULL;
	alerts_start(r);
}

/*
 * The first fault: the time alerts are measured from. Their polls start
 * from the loop, while the step's calls are under way.
 */
static void
note_injection(struct runner *r)
{
	if (r->injected_wall != 0)
		return;
	r->injected_wall = hv_wall_ms();
	r->injected_mono = hv_mono_ms();
	if (!r->in_silences)
		r->alerts_timer = hv_loop_timer(r->loop, 0, on_first_injection,
		    r);
}

/* The end of a batch call: store, journal, progress. */
static void
batch_call_done(struct slot *s)
{
	struct runner	*r = s->r;
	struct batch	*b = s->b;
	struct hv_buf	 err = HV_BUF_INIT;
	const char	*who = s->call.host != NULL ? s->call.host->name : "";
	const char	*status = s->call.ok ? "ok" : "failed";
	const char	*what = s->rev != NULL ? "revert" : b->step->name;
	double		 ms = (double)(s->call.ended - s->call.started);
	int		 short_out = s->call.out.len > 0 &&
		    s->call.out.len < 80 && strchr(s->call.out.s, '\n') == NULL;

	if (s->step_id > 0)
		store_check(r, hv_store_step_end(r->st, s->step_id, status,
		    s->call.out.s, s->call.err.len ? s->call.err.s : NULL,
		    s->call.latency_ms >= 0 ? s->call.latency_ms : ms,
		    hv_wall_ms(), &err), &err);
	if (s->fault_id > 0 && s->rev == NULL)
		store_check(r, hv_store_fault_set(r->st, s->fault_id,
		    s->call.ok ? HV_FAULT_ACTIVE : HV_FAULT_INJECT_FAILED,
		    s->call.ok ? NULL : s->call.err.s, hv_wall_ms(), &err),
		    &err);
	if (s->fault_id > 0 && s->rev != NULL)
		store_check(r, hv_store_fault_set(r->st, s->fault_id,
		    s->call.ok ? HV_FAULT_REVERTED : HV_FAULT_REVERT_FAILED,
		    s->call.ok ? NULL : s->call.err.s, hv_wall_ms(), &err),
		    &err);
	if (s->call.ok)
		say(r, "  %s%s%s ok (%.0f ms)%s%s", who, *who ? ": " : "", what,
		    ms, short_out ? ": " : "", short_out ? s->call.out.s : "");
	else {
		say(r, "  %s%s%s failed: %s", who, *who ? ": " : "", what,
		    s->call.err.s);
		b->failed++;
	}
	hv_buf_release(&err);
	b->pending--;
}

static struct batch *
batch_new(struct runner *r, const struct hv_step *step, const char *phase,
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

static void
batch_free(struct batch *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		slot_release(&b->slots[i]);
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

	return b->pending == 0 || b->r->stopping;
}

/* Cancels the calls of a batch still in flight. */
static void
batch_cancel(struct batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		if (b->slots[i].busy && !b->slots[i].call.finished &&
		    b->slots[i].call.driver->cancel != NULL)
			b->slots[i].call.driver->cancel(&b->slots[i].call);
	}
}

/*
 * Waits for every call of a batch. A stop (a signal, the safety abort, a
 * failed journal) cancels the calls of a step in flight, so that no
 * inject lands after it; reverts and rollbacks are never cancelled. The
 * wait goes on until every call has ended (each is bounded by its
 * watchdog).
 */
static void
batch_wait(struct runner *r, struct batch *b)
{
	int	cancellable = b->step != NULL && !r->in_rollback;
	int	cancelled = 0;

	while (b->pending > 0) {
		if (hv_loop_run(r->loop, cancellable && !cancelled ?
		    batch_idle_or_stop : batch_idle, b, -1) == 2)
			check_signal(r);
		if (cancellable && !cancelled && r->stopping) {
			batch_cancel(b);
			cancelled = 1;
		}
	}
}

/*
 * Runs one action or probe step on all of its targets at once, and
 * waits. Faults are journaled before they are injected. Returns the
 * number of calls that failed.
 */
static void
ids_add(struct ids *l, int64_t id)
{
	l->v = hv_xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = id;
}

static size_t
run_step(struct runner *r, const struct hv_step *step, const char *phase,
    struct ids *faults)
{
	const struct hv_targets	*t = hv_plan_targets(&r->plan, step);
	struct batch		*b;
	struct slot		*s;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, n = t->n > 0 ? t->n : 1, failed;
	int			 fault;

	r->seq++;
	b = batch_new(r, step, phase, n);
	for (i = 0; i < n; i++) {
		const struct hv_host	*h = t->n > 0 ? t->hosts[i] : NULL;

		s = &b->slots[b->n];
		if (slot_prepare(r, s, step, h, &err) == -1) {
			say(r, "  %s%s%s: %s", h != NULL ? h->name : "",
			    h != NULL ? ": " : "", step->name, err.s);
			hv_buf_reset(&err);
			b->failed++;
			continue;
		}
		s->b = b;
		s->on_done = batch_call_done;
		b->n++;
		record_begin(r, s, phase, phase_name(step), step->name);
		fault = step->kind == HV_STEP_ACTION &&
		    hv_call_is_fault(&s->call);
		if (fault && record_fault(r, s, &err) == -1) {
			/* No journal entry, no fault; and no run goes on
			 * without its journal. */
			say(r, "  %s%s%s: cannot journal the fault, not "
			    "injected: %s", h != NULL ? h->name : "",
			    h != NULL ? ": " : "", step->name, err.s);
			if (s->step_id > 0)
				store_check(r, hv_store_step_end(r->st,
				    s->step_id, "error", NULL, "cannot journal "
				    "the fault; not injected", -1, hv_wall_ms(),
				    &err), &err);
			stop(r, "the fault journal cannot be written");
			hv_buf_reset(&err);
			b->failed++;
			continue;
		}
		b->pending++;
		if (fault) {
			note_injection(r);
			if (faults != NULL)
				ids_add(faults, s->fault_id);
		}
		slot_start(s, 0);
	}
	batch_wait(r, b);
	failed = b->failed;
	batch_free(b);
	hv_buf_release(&err);
	return failed;
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

/* Reverts, from the journal, the faults of a list of ids, and waits. */
static size_t
revert_faults(struct runner *r, const struct hv_fault_row *rows, size_t n,
    const char *phase)
{
	struct batch	*b;
	struct slot	*s;
	struct hv_buf	 err = HV_BUF_INIT;
	size_t		 i, failed;
	char		*name;

	b = batch_new(r, NULL, phase, n);
	for (i = 0; i < n; i++) {
		s = &b->slots[b->n];
		memset(s, 0, sizeof *s);
		s->r = r;
		s->b = b;
		s->fault_id = rows[i].id;
		s->rev = hv_revert_new(&r->ctx, rows[i].revert_spec, &err);
		if (s->rev == NULL) {
			say(r, "  fault %lld: %s", (long long)rows[i].id,
			    err.s);
			store_check(r, hv_store_fault_set(r->st, rows[i].id,
			    HV_FAULT_REVERT_FAILED, err.s, hv_wall_ms(), &err),
			    &err);
			hv_buf_reset(&err);
			b->failed++;
			continue;
		}
		s->rev->fault = rows[i].id;
		/* The slot takes the call; the revert keeps its strings. */
		s->call = s->rev->call;
		hv_call_init(&s->rev->call, s->call.driver, NULL);
		s->on_done = batch_call_done;
		b->n++;
		name = hv_xasprintf("revert %s", rows[i].driver);
		record_begin(r, s, phase, "revert", name);
		free(name);
		b->pending++;
		slot_start(s, 1);
	}
	batch_wait(r, b);
	failed = b->failed;
	batch_free(b);
	hv_buf_release(&err);
	return failed;
}

/* Collects open fault rows of this run (or of one id list). */
struct row_list {
	struct hv_fault_row	*rows;
	size_t			 n;
	const int64_t		*only;	/* restrict to these ids, or NULL */
	size_t			 nonly;
};

static int
collect_row(const struct hv_fault_row *row, void *arg)
{
	struct row_list	*l = arg;
	size_t		 i;

	if (l->only != NULL) {
		for (i = 0; i < l->nonly; i++) {
			if (l->only[i] == row->id)
				break;
		}
		if (i == l->nonly)
			return 0;
	}
	l->rows = hv_xreallocarray(l->rows, l->n + 1, sizeof *l->rows);
	l->rows[l->n] = *row;
	l->rows[l->n].target = row->target != NULL ?
	    hv_xstrdup(row->target) : NULL;
	l->rows[l->n].driver = hv_xstrdup(row->driver);
	l->rows[l->n].state = hv_xstrdup(row->state);
	l->rows[l->n].revert = row->revert != NULL ?
	    hv_xstrdup(row->revert) : NULL;
	/* A row without a spec cannot be rebuilt: it fails as a bad spec. */
	l->rows[l->n].revert_spec = hv_xstrdup(row->revert_spec != NULL ?
	    row->revert_spec : "");
	l->rows[l->n].run_status = NULL;
	l->rows[l->n].run_controller = NULL;
	l->n++;
	return 0;
}

static void
row_list_release(struct row_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free((char *)l->rows[i].target);
		free((char *)l->rows[i].driver);
		free((char *)l->rows[i].state);
		free((char *)l->rows[i].revert);
		free((char *)l->rows[i].revert_spec);
	}
	free(l->rows);
	memset(l, 0, sizeof *l);
}

/* The end of a fault window's duration. */
static void
on_window(void *arg)
{
	struct window	*w = arg;

	w->timer = NULL;
	w->done = 1;
	w->r->windows_due = 1;
}

static int
window_over(void *arg)
{
	struct window	*w = arg;

	return w->done || w->r->stopping;
}

/* Reverts a window's faults that are still open, from the journal. */
static void
close_window(struct runner *r, struct window *w)
{
	struct row_list	l;
	struct hv_buf	err = HV_BUF_INIT;

	if (w->timer != NULL)
		hv_loop_cancel(r->loop, w->timer);
	w->timer = NULL;
	w->done = 1;
	if (w->ids.n == 0)
		return;
	memset(&l, 0, sizeof l);
	l.only = w->ids.v;
	l.nonly = w->ids.n;
	store_check(r, hv_store_faults_open(r->st, r->run, collect_row, &l,
	    &err), &err);
	if (l.n > 0) {
		say(r, "reverting %zu fault%s after the duration", l.n,
		    l.n == 1 ? "" : "s");
		if (revert_faults(r, l.rows, l.n, HV_PHASE_REVERT) > 0)
			say(r, "  some reverts failed; the rollbacks try "
			    "again");
	}
	row_list_release(&l);
	w->ids.n = 0;
	hv_buf_release(&err);
}

static void	close_due_windows(struct runner *);

/* An action step with a duration: inject, hold, revert. */
static void
run_fault_window(struct runner *r, const struct hv_step *step)
{
	struct window	*w;
	size_t		 failed;
	char		 d[32];

	w = hv_xcalloc(1, sizeof *w);
	w->r = r;
	r->windows = hv_xreallocarray(r->windows, r->nwindows + 1,
	    sizeof *r->windows);
	r->windows[r->nwindows++] = w;
	failed = run_step(r, step, HV_PHASE_METHOD, &w->ids);
	if (failed > 0) {
		stop(r, "action \"%s\" failed on %zu target%s", step->name,
		    failed, failed == 1 ? "" : "s");
		return;
	}
	w->timer = hv_loop_timer(r->loop, step->duration_ms, on_window, w);
	say(r, "  holding for %s%s", hv_format_duration(step->duration_ms, d,
	    sizeof d), step->background ? " in the background" : "");
	if (step->background)
		return;
	while (!r->stopping && !w->done) {
		if (hv_loop_run(r->loop, window_over, w, -1) == 2)
			check_signal(r);
		/* Background windows that end meanwhile are reverted now. */
		if (r->windows_due && !w->done)
			close_due_windows(r);
	}
	close_due_windows(r);
}

/*
 * Reverts the faults of every window whose duration is over, the newest
 * first: a later fault may stand on an earlier one (two changes to one
 * file), so they are undone in the reverse order they were made.
 */
static void
close_due_windows(struct runner *r)
{
	size_t	i;

	r->windows_due = 0;
	for (i = r->nwindows; i > 0 && !r->stopping; i--) {
		if (r->windows[i - 1]->done && r->windows[i - 1]->ids.n > 0)
			close_window(r, r->windows[i - 1]);
	}
}

static int
windows_open(struct runner *r)
{
	size_t	i;

	for (i = 0; i < r->nwindows; i++) {
		if (r->windows[i]->ids.n > 0)
			return 1;
	}
	return 0;
}

static int
due_or_stopping(void *arg)
{
	struct runner	*r = arg;

	return r->windows_due || r->stopping;
}

/*
 * After the method: waits for the windows still open and reverts each
 * when its time comes (wait 1); at the rollbacks, just stops their
 * timers, as every fault left is reverted there (wait 0).
 */
static void
close_windows(struct runner *r, int wait)
{
	size_t	i;

	while (wait && !r->stopping && windows_open(r)) {
		if (!r->windows_due &&
		    hv_loop_run(r->loop, due_or_stopping, r, -1) == 2)
			check_signal(r);
		close_due_windows(r);
	}
	for (i = 0; i < r->nwindows; i++) {
		if (r->windows[i]->timer != NULL)
			hv_loop_cancel(r->loop, r->windows[i]->timer);
		r->windows[i]->timer = NULL;
	}
}

/* A pause that a stop cuts short. */
static void
run_pause(struct runner *r, int64_t ms)
{
	int64_t	deadline = hv_mono_ms() + ms;

	while (!r->stopping && hv_mono_ms() < deadline) {
		if (hv_loop_run(r->loop, due_or_stopping, r, deadline) == 2)
			check_signal(r);
		if (r->windows_due)
			close_due_windows(r);
	}
}

/* Watch: every interval, each watched probe on each of its targets. */
static void	watch_tick(void *);
static void	watch_call_done(struct slot *);
static void	alert_call_done(struct slot *);

static struct slot *
probe_slots(struct runner *r, const struct hv_step *step, void *owner,
    void (*on_done)(struct slot *), size_t *count)
{
	const struct hv_targets	*t = hv_plan_targets(&r->plan, step);
	struct slot		*slots;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, n = t->n > 0 ? t->n : 1, k = 0;

	slots = hv_xcalloc(n, sizeof *slots);
	for (i = 0; i < n; i++) {
		if (slot_prepare(r, &slots[k], step, t->n > 0 ? t->hosts[i] :
		    NULL, &err) == -1) {
			say(r, "%s: %s", step->name, err.s);
			hv_buf_reset(&err);
			continue;
		}
		slots[k].owner = owner;
		slots[k].on_done = on_done;
		k++;
	}
	hv_buf_release(&err);
	*count = k;
	return slots;
}

static void
watch_start(struct runner *r)
{
	struct hv_experiment	*x = r->x;
	size_t			 i, n = x->nwatch;
	int			 abort_watched = 0;

	if (x->abort_probe >= 0) {
		for (i = 0; i < x->nwatch; i++)
			abort_watched |= x->watch[i] == x->abort_probe;
		if (!abort_watched)
			n++;
	}
	if (n == 0)
		return;
	r->watchers = hv_xcalloc(n, sizeof *r->watchers);
	for (i = 0; i < n; i++) {
		struct watcher	*w = &r->watchers[i];
		int		 idx = i < x->nwatch ? x->watch[i] :
			    x->abort_probe;

		w->step = &x->steady[idx];
		w->slots = probe_slots(r, w->step, w, watch_call_done, &w->n);
		/* A safety check that cannot run is no safety check. */
		if (w->n == 0 && idx == x->abort_probe)
			stop(r, "safety: the abort probe %s cannot run",
			    w->step->name);
	}
	r->nwatchers = n;
	r->watching = 1;
	r->seq++;
	watch_tick(r);
}

/* One round: each watched probe on each of its targets. */
static void
watch_round(struct runner *r)
{
	struct watcher	*w;
	size_t		 i, j;

	for (i = 0; i < r->nwatchers; i++) {
		w = &r->watchers[i];
		/* A sample still out is not doubled up. */
		if (w->inflight > 0 || w->n == 0)
			continue;
		w->round_ok = 1;
		w->round_at = hv_wall_ms();
		w->inflight = w->n;
		for (j = 0; j < w->n; j++) {
			hv_call_reset(&w->slots[j].call);
			slot_start(&w->slots[j], 0);
		}
	}
}

static void
watch_tick(void *arg)
{
	struct runner	*r = arg;
	int64_t		 every = r->x->watch_every_ms > 0 ?
		    r->x->watch_every_ms : 1000;

	r->watch_timer = NULL;
	if (!r->watching)
		return;
	watch_round(r);
	r->watch_timer = hv_loop_timer(r->loop, every, watch_tick, r);
}

/* Whether the abort probe has failed for long enough. */
static void
check_abort(struct runner *r, struct watcher *w)
{
	char	d[32];

	if (r->x->abort_probe < 0 ||
	    w->step != &r->x->steady[r->x->abort_probe])
		return;
	if (w->failing_since == 0 || r->in_rollback)
		return;
	if (hv_mono_ms() - w->failing_since >= r->x->abort_failing_ms)
		stop(r, "safety: %s failing for %s", w->step->name,
		    hv_format_duration(hv_mono_ms() - w->failing_since, d,
		    sizeof d));
}

static void
watch_call_done(struct slot *s)
{
	struct runner	*r = s->r;
	struct watcher	*w = s->owner;
	struct hv_buf	 err = HV_BUF_INIT;

	store_check(r, hv_store_sample(r->st, r->run, w->step->name,
	    s->call.host != NULL ? s->call.host->name : NULL, s->started_wall,
	    s->call.ok, s->call.latency_ms, s->call.ok ? NULL : s->call.err.s,
	    &err), &err);
	hv_buf_release(&err);
	w->stored++;
	if (!s->call.ok) {
		w->round_ok = 0;
		hv_debug("watch %s%s%s: %s", w->step->name, s->call.host ?
		    " on " : "", s->call.host ? s->call.host->name : "",
		    s->call.err.s);
	}
	if (--w->inflight > 0)
		return;
	w->rounds = hv_xreallocarray(w->rounds, w->nrounds + 1,
	    sizeof *w->rounds);
	w->rounds[w->nrounds].at = w->round_at;
	w->rounds[w->nrounds].ok = w->round_ok;
	w->nrounds++;
	if (!w->round_ok) {
		w->failures++;
		if (w->failing_since == 0) {
			w->failing_since = hv_mono_ms();
			say(r, "watch: %s failing", w->step->name);
		}
	} else if (w->failing_since != 0) {
		w->failing_since = 0;
		say(r, "watch: %s passing again", w->step->name);
	}
	check_abort(r, w);
}

static int
watchers_idle(void *arg)
{
	struct runner	*r = arg;
	size_t		 i;

	for (i = 0; i < r->nwatchers; i++) {
		if (r->watchers[i].inflight > 0)
			return 0;
	}
	return 1;
}

/* Waits for the samples in flight; they are stored as they end. */
static void
watch_drain(struct runner *r)
{
	while (!watchers_idle(r)) {
		if (hv_loop_run(r->loop, watchers_idle, r, -1) == 2)
			check_signal(r);
	}
}

/*
 * Stops sampling, with one last round once the rollbacks are done: a
 * probe that failed during a fault is seen recovering (or not) after the
 * fault is gone, and its time to recover is measured.
 */
static void
watch_stop(struct runner *r)
{
	if (!r->watching)
		return;
	r->watching = 0;
	if (r->watch_timer != NULL)
		hv_loop_cancel(r->loop, r->watch_timer);
	r->watch_timer = NULL;
	watch_drain(r);
	watch_round(r);
	watch_drain(r);
}

/*
 * Time to recover: from the first failing round after the first
 * injection to the first passing round after which it stays passing.
 */
static void
watch_figures(struct runner *r)
{
	struct hv_figure_rec	 f;
	struct hv_buf		 err = HV_BUF_INIT;
	struct watcher		*w;
	size_t			 i, j, first, last;
	char			 d[32];

	for (i = 0; i < r->nwatchers; i++) {
		w = &r->watchers[i];
		memset(&f, 0, sizeof f);
		f.run = r->run;
		f.probe = w->step->name;
		f.samples = (int)w->nrounds;
		f.failures = w->failures;
		f.ttr_ms = 0;
		f.state = "steady";
		first = last = w->nrounds;
		for (j = 0; j < w->nrounds; j++) {
			if (w->rounds[j].ok || (r->injected_wall != 0 &&
			    w->rounds[j].at < r->injected_wall))
				continue;
			if (first == w->nrounds)
				first = j;
			last = j;
		}
		if (first < w->nrounds) {
			f.first_failure_at = w->rounds[first].at;
			if (last + 1 < w->nrounds) {
				f.recovered_at = w->rounds[last + 1].at;
				f.ttr_ms = f.recovered_at - f.first_failure_at;
				f.state = "recovered";
				say(r, "%s: recovered in %s (%d of %d samples "
				    "failed)", f.probe, hv_format_duration(
				    f.ttr_ms, d, sizeof d), f.failures,
				    f.samples);
			} else {
				f.ttr_ms = -1;
				f.state = "not_recovered";
				say(r, "%s: not recovered by the end of the "
				    "run", f.probe);
			}
		}
		store_check(r, hv_store_figure(r->st, &f, &err), &err);
	}
	hv_buf_release(&err);
}

/* Alerts: polled from the first injection until seen or too late. */
static void	alert_poll(void *);

static void
alerts_start(struct runner *r)
{
	size_t	i;

	if (r->alerts_started || r->alerts_closed || r->x->nalerts == 0)
		return;
	r->alerts_started = 1;
	r->alerts = hv_xcalloc(r->x->nalerts, sizeof *r->alerts);
	r->nalerts = r->x->nalerts;
	r->seq++;
	for (i = 0; i < r->nalerts; i++) {
		struct alertw	*a = &r->alerts[i];

		a->step = &r->x->alerts[i];
		hv_buf_init(&a->last);
		a->deadline = r->injected_mono + a->step->within_ms;
		a->slots = probe_slots(r, a->step, a, alert_call_done, &a->n);
		if (a->n == 0) {
			a->state = ALERT_MISSED;
			hv_buf_puts(&a->last, "the probe could not be set up");
			continue;
		}
		a->timer = hv_loop_timer(r->loop, 0, alert_poll, a);
	}
}

static struct runner *
alert_runner(struct alertw *a)
{
	return a->slots[0].r;
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
	a->round_at = hv_wall_ms();
	a->inflight = a->n;
	for (j = 0; j < a->n; j++) {
		hv_call_reset(&a->slots[j].call);
		slot_start(&a->slots[j], 0);
	}
}

static void
alert_call_done(struct slot *s)
{
	struct alertw	*a = s->owner;
	struct runner	*r = alert_runner(a);
	int64_t		 next;
	char		 d[32];

	if (!s->call.ok) {
		a->round_ok = 0;
		hv_buf_reset(&a->last);
		hv_buf_add(&a->last, s->call.err.s, s->call.err.len);
	}
	if (--a->inflight > 0 || a->state != ALERT_PENDING)
		return;
	if (a->round_ok && a->round_at - r->injected_wall <=
	    a->step->within_ms) {
		a->state = ALERT_FIRED;
		a->fired_at = a->round_at;
		memcpy(a->seen, s->call.state, sizeof a->seen);
		hv_buf_reset(&a->last);
		hv_buf_add(&a->last, s->call.out.s, s->call.out.len);
		say(r, "alert \"%s\" seen after %s", a->step->name,
		    hv_format_duration(a->fired_at - r->injected_wall, d,
		    sizeof d));
		return;
	}
	if (hv_mono_ms() >= a->deadline) {
		a->state = ALERT_MISSED;
		say(r, "alert \"%s\" not seen within %s", a->step->name,
		    hv_format_duration(a->step->within_ms, d, sizeof d));
		return;
	}
	if (r->alerts_closed)
		return;
	next = a->step->poll_ms;
	if (hv_mono_ms() + next > a->deadline)
		next = a->deadline - hv_mono_ms();
	a->timer = hv_loop_timer(r->loop, next, alert_poll, a);
}

static int
alerts_settled(void *arg)
{
	struct runner	*r = arg;
	size_t		 i;

	if (r->stopping)
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

/* Waits until every expected alert fired or its time ran out. */
static void
alerts_wait(struct runner *r)
{
	if (r->nalerts > 0 && !alerts_settled(r))
		say(r, "waiting for %zu expected alert%s", r->nalerts,
		    r->nalerts == 1 ? "" : "s");
	while (!r->stopping && !alerts_settled(r)) {
		if (hv_loop_run(r->loop, alerts_settled, r, -1) == 2)
			check_signal(r);
	}
}

/* Stops polling, records every alert, and deviates on a gap. */
static void
alerts_finish(struct runner *r)
{
	struct hv_alert_rec	 rec;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, j;
	char			 d[32];

	r->alerts_closed = 1;
	for (i = 0; i < r->nalerts; i++) {
		struct alertw	*a = &r->alerts[i];

		if (a->timer != NULL)
			hv_loop_cancel(r->loop, a->timer);
		a->timer = NULL;
		for (j = 0; j < a->n; j++) {
			if (a->slots[j].busy && a->slots[j].call.driver->cancel)
				a->slots[j].call.driver->cancel(
				    &a->slots[j].call);
		}
	}
	/* Polls in flight end (cancelled, or by their watchdog). */
	while (!alerts_idle(r)) {
		if (hv_loop_run(r->loop, alerts_idle, r, -1) == 2)
			check_signal(r);
	}
	for (i = 0; i < r->nalerts; i++) {
		struct alertw	*a = &r->alerts[i];

		memset(&rec, 0, sizeof rec);
		rec.run = r->run;
		rec.name = a->step->name;
		rec.probe = a->step->driver->name;
		rec.within_ms = a->step->within_ms;
		rec.injected_at = r->injected_wall;
		rec.fired_at = a->state == ALERT_FIRED ? a->fired_at : 0;
		rec.state = a->state == ALERT_FIRED ? "fired" : "missed";
		/* Silenced or inhibited: the alert fired, pages did not. */
		if (a->state == ALERT_FIRED && (strcmp(a->seen, "silenced") ==
		    0 || strcmp(a->seen, "inhibited") == 0))
			rec.state = a->seen;
		rec.detail = a->last.len > 0 ? a->last.s : NULL;
		if (a->state == ALERT_PENDING) {
			rec.state = "missed";
			rec.detail = "the run stopped before the alert was "
			    "seen";
		} else if (a->state == ALERT_MISSED)
			deviate(r, "alert \"%s\" did not fire within %s "
			    "(monitoring gap)", a->step->name,
			    hv_format_duration(a->step->within_ms, d,
			    sizeof d));
		store_check(r, hv_store_alert(r->st, &rec, &err), &err);
	}
	hv_buf_release(&err);
}

static void
alerts_free(struct runner *r)
{
	size_t	i, j;

	for (i = 0; i < r->nalerts; i++) {
		for (j = 0; j < r->alerts[i].n; j++)
			slot_release(&r->alerts[i].slots[j]);
		free(r->alerts[i].slots);
		hv_buf_release(&r->alerts[i].last);
	}
	free(r->alerts);
}

/* Pre-flight probes: any failure stops the run before it starts. */
static void
preflight(struct runner *r)
{
	size_t	i;

	if (r->x->npreflight == 0)
		return;
	say(r, "pre-flight");
	for (i = 0; i < r->x->npreflight && !r->stopping; i++) {
		if (run_step(r, &r->x->preflight[i], HV_PHASE_PREFLIGHT,
		    NULL) > 0)
			stop(r, "pre-flight: %s did not pass",
			    r->x->preflight[i].name);
	}
}

/* Adds the hosts of the targeted steps in s to a set. */
static void
add_hosts(struct runner *r, const struct hv_step *s, size_t n,
    const struct hv_host **set, size_t *count)
{
	const struct hv_targets	*t;
	size_t			 i, j, k;

	for (i = 0; i < n; i++) {
		if (s[i].driver == NULL || !s[i].driver->ssh)
			continue;
		t = hv_plan_targets(&r->plan, &s[i]);
		for (j = 0; j < t->n; j++) {
			for (k = 0; k < *count && set[k] != t->hosts[j]; k++)
				;
			if (k == *count)
				set[(*count)++] = t->hosts[j];
		}
	}
}

/*
 * Every host a step will reach over SSH must answer (host key checked,
 * authenticated) before anything is injected anywhere: a host that
 * cannot be reached, or whose key does not match, stops the run here.
 */
static void
connect_targets(struct runner *r)
{
	const struct hv_host	**set;
	struct hv_buf		  err = HV_BUF_INIT;
	size_t			  n = 0;
	int			  failed;

	set = hv_xcalloc(r->x->nhosts + 1, sizeof *set);
	add_hosts(r, r->x->steady, r->x->nsteady, set, &n);
	add_hosts(r, r->x->method, r->x->nmethod, set, &n);
	add_hosts(r, r->x->rollbacks, r->x->nrollbacks, set, &n);
	add_hosts(r, r->x->alerts, r->x->nalerts, set, &n);
	add_hosts(r, r->x->preflight, r->x->npreflight, set, &n);
	if (n > 0) {
		int64_t	t0 = hv_mono_ms();

		say(r, "connecting to %zu host%s", n, n == 1 ? "" : "s");
		failed = hv_remote_check_hosts(&r->ctx, set, n, &err);
		if (failed > 0)
			stop(r, "cannot reach %d of %zu hosts: %s", failed, n,
			    err.s);
		else
			say(r, "  connected to %zu host%s in %lld ms", n,
			    n == 1 ? "" : "s", (long long)(hv_mono_ms() - t0));
		check_signal(r);
	}
	hv_buf_release(&err);
	free(set);
}

/* Steady state: all probes on all targets at once; 0 when all pass. */
static size_t
steady_state(struct runner *r, const char *phase)
{
	size_t	i, failed = 0;

	if (r->x->nsteady == 0)
		return 0;
	say(r, "steady state %s", strcmp(phase, HV_PHASE_BEFORE) == 0 ?
	    "before" : "after");
	for (i = 0; i < r->x->nsteady && !r->stopping; i++)
		failed += run_step(r, &r->x->steady[i], phase, NULL) > 0;
	return failed;
}

static void
method(struct runner *r)
{
	const struct hv_step	*s;
	size_t			 i, failed;

	for (i = 0; i < r->x->nmethod && !r->stopping; i++) {
		s = &r->x->method[i];
		if (s->kind == HV_STEP_PAUSE) {
			say(r, "method %zu/%zu: %s", i + 1, r->x->nmethod,
			    s->name);
			run_pause(r, s->pause_ms);
			continue;
		}
		say(r, "method %zu/%zu: %s (%s%s%s)", i + 1, r->x->nmethod,
		    s->name, s->driver->name, s->group >= 0 ? " on " : "",
		    s->group >= 0 ? r->x->groups[s->group].name : "");
		if (r->windows_due)
			close_due_windows(r);
		if (s->kind == HV_STEP_ACTION && s->duration_ms > 0) {
			run_fault_window(r, s);
		} else if (s->kind == HV_STEP_ACTION) {
			failed = run_step(r, s, HV_PHASE_METHOD, NULL);
			if (failed > 0)
				stop(r, "action \"%s\" failed on %zu target%s",
				    s->name, failed, failed == 1 ? "" : "s");
		} else {
			failed = run_step(r, s, HV_PHASE_METHOD, NULL);
			if (failed > 0)
				deviate(r, "method probe \"%s\" failed",
				    s->name);
		}
	}
}

/*
 * Whether two faults came from one step: one step's calls share a tag
 * (havoc-rR-sS), which every revert spec carries.
 */
static int
same_step(const struct hv_fault_row *a, const struct hv_fault_row *b)
{
	json_t	*ja, *jb;
	int	 same;

	ja = json_loads(a->revert_spec, 0, NULL);
	jb = json_loads(b->revert_spec, 0, NULL);
	same = ja != NULL && jb != NULL &&
	    json_equal(json_object_get(ja, "tag"), json_object_get(jb, "tag"));
	json_decref(ja);
	json_decref(jb);
	return same;
}

/*
 * Silences for the alerts that ask for one, set before the first fault so
 * that on-call is not paged while havoc checks that the alert fires.
 * Each is a fault: journaled, and expired with the other reverts.
 */
static void
silence_alerts(struct runner *r)
{
	struct hv_step	 s;
	size_t		 i;

	r->in_silences = 1;
	for (i = 0; i < r->x->nalerts && !r->stopping; i++) {
		if (r->x->alerts[i].silence == NULL)
			continue;
		memset(&s, 0, sizeof s);
		s.name = hv_xasprintf("silence %s", r->x->alerts[i].name);
		s.kind = HV_STEP_ACTION;
		s.driver = hv_driver_find("alertmanager.silence");
		s.with = r->x->alerts[i].silence;
		s.group = -1;
		say(r, "%s", s.name);
		if (s.driver == NULL || run_step(r, &s, HV_PHASE_METHOD,
		    NULL) > 0)
			stop(r, "cannot set the silence for alert \"%s\"",
			    r->x->alerts[i].name);
		free(s.name);
	}
	/* A silence is not the fault that alerts are timed from. */
	r->injected_wall = 0;
	r->injected_mono = 0;
	r->in_silences = 0;
}

/* Reverts every fault of this run still open, newest step first. */
static void
revert_all(struct runner *r)
{
	struct row_list	l;
	struct hv_buf	err = HV_BUF_INIT;
	size_t		i, j;

	memset(&l, 0, sizeof l);
	if (hv_store_faults_open(r->st, r->run, collect_row, &l, &err) == -1) {
		hv_warn("%s", err.s);
		r->rollback_failed = 1;
		hv_buf_release(&err);
		return;
	}
	if (l.n > 0)
		say(r, "reverting %zu fault%s", l.n, l.n == 1 ? ""
		    : "s");
	/* Faults of one step revert together; steps in reverse order. */
	for (i = 0; i < l.n; i = j) {
		for (j = i + 1; j < l.n && l.rows[j].run == l.rows[i].run &&
		    same_step(&l.rows[i], &l.rows[j]); j++)
			;
		if (revert_faults(r, l.rows + i, j - i, HV_PHASE_ROLLBACK) > 0)
			r->rollback_failed = 1;
	}
	row_list_release(&l);
	hv_buf_release(&err);
}

static void
rollbacks(struct runner *r)
{
	size_t	i;

	r->in_rollback = 1;
	close_windows(r, 0);
	say(r, "rollbacks");
	revert_all(r);
	for (i = 0; i < r->x->nrollbacks; i++) {
		const struct hv_step	*s = &r->x->rollbacks[i];

		if (s->kind == HV_STEP_PAUSE) {
			int64_t	deadline = hv_mono_ms() + s->pause_ms;

			while (hv_loop_run(r->loop, NULL, NULL, deadline) == 2)
				check_signal(r);
			continue;
		}
		say(r, "rollback %zu/%zu: %s", i + 1, r->x->nrollbacks,
		    s->name);
		if (run_step(r, s, HV_PHASE_ROLLBACK, NULL) > 0)
			r->rollback_failed = 1;
	}
	/* Something new may have been journaled by a rollback action. */
	revert_all(r);
}

/* The verdict: exit code, status and reason, written to the store. */
static void
verdict(struct runner *r, struct hv_run_result *res)
{
	struct hv_buf	err = HV_BUF_INIT;
	const char	*reason = NULL;

	if (r->rollback_failed) {
		res->exit_code = HV_EXIT_ROLLBACK;
		res->status = HV_RUN_FAILED_ROLLBACK;
		reason = "a rollback failed; faults may still be active "
		    "(run havoc recover)";
	} else if (r->stopping) {
		res->exit_code = HV_EXIT_ABORTED;
		res->status = HV_RUN_ABORTED;
		reason = r->stop_reason;
	} else if (r->store_failed) {
		/* What the store lacks, no report can show: not "held". */
		res->exit_code = HV_EXIT_ABORTED;
		res->status = HV_RUN_ABORTED;
		reason = "the store could not record the whole run";
	} else if (r->deviated) {
		res->exit_code = HV_EXIT_DEVIATED;
		res->status = HV_RUN_DEVIATED;
		reason = r->deviation;
	} else {
		res->exit_code = HV_EXIT_OK;
		res->status = HV_RUN_COMPLETED;
		reason = "the hypothesis held";
	}
	res->deviated = r->deviated;
	if (r->rollback_failed && r->stop_reason != NULL)
		res->reason = hv_xasprintf("%s; %s", reason, r->stop_reason);
	else
		res->reason = hv_xstrdup(reason != NULL ? reason : "");
	if (hv_store_run_end(r->st, r->run, res->status, r->deviated,
	    res->exit_code, res->reason, hv_wall_ms(), &err) == -1)
		hv_warn("%s", err.s);
	hv_buf_release(&err);
}

static char *
vars_json(const struct hv_experiment *x)
{
	json_t	*o = json_object();
	char	*s, *out;
	size_t	 i;

	for (i = 0; i < x->nvars; i++)
		json_object_set_new(o, x->vars[i].name,
		    json_string(x->vars[i].shown));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	out = hv_xstrdup(s != NULL ? s : "{}");
	free(s);
	json_decref(o);
	return out;
}

/* The experiment's tags as a JSON array, for reports to filter on. */
static char *
tags_json(const struct hv_experiment *x)
{
	json_t	*a = json_array();
	char	*s, *out;
	size_t	 i;

	for (i = 0; i < x->ntags; i++)
		json_array_append_new(a, json_string(x->tags[i]));
	s = json_dumps(a, JSON_COMPACT);
	out = hv_xstrdup(s != NULL ? s : "[]");
	free(s);
	json_decref(a);
	return out;
}

static void
runner_release(struct runner *r)
{
	size_t	i, j;

	for (i = 0; i < r->nwatchers; i++) {
		for (j = 0; j < r->watchers[i].n; j++)
			slot_release(&r->watchers[i].slots[j]);
		free(r->watchers[i].slots);
		free(r->watchers[i].rounds);
	}
	free(r->watchers);
	alerts_free(r);
	for (i = 0; i < r->nwindows; i++) {
		free(r->windows[i]->ids.v);
		free(r->windows[i]);
	}
	free(r->windows);
	if (r->alerts_timer != NULL)
		hv_loop_cancel(r->loop, r->alerts_timer);
	hv_plan_release(&r->plan);
	free(r->stop_reason);
	free(r->deviation);
}

int
hv_run(struct hv_experiment *x, struct hv_store *st, struct hv_loop *loop,
    const struct hv_run_opts *o, struct hv_run_result *res)
{
	struct runner		 r;
	struct hv_run_info	 info;
	struct hv_buf		 err = HV_BUF_INIT;
	char			 host[256], *vj, *pj, *tj;

	memset(res, 0, sizeof *res);
	memset(&r, 0, sizeof r);
	r.x = x;
	r.st = st;
	r.loop = loop;
	r.t0 = hv_mono_ms();
	r.ctx.loop = loop;
	r.ctx.exp = x;
	r.ctx.dead_man_ms = x->dead_man_ms > 0 ? x->dead_man_ms :
	    HV_DEAD_MAN_DEFAULT_MS;
	res->seed = o->have_seed ? o->seed : hv_plan_random_seed();

	/* Plan: targets and blast radius, before anything is touched. */
	if (hv_plan_make(x, res->seed, &r.plan, &err) == -1) {
		res->exit_code = HV_EXIT_ABORTED;
		res->status = HV_RUN_ABORTED;
		res->reason = hv_buf_detach(&err);
		return res->exit_code;
	}
	if (gethostname(host, sizeof host) == -1)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	vj = vars_json(x);
	pj = hv_plan_json(x, &r.plan);
	tj = tags_json(x);
	memset(&info, 0, sizeof info);
	info.experiment = x->title;
	info.file = x->path;
	info.file_hash = x->sha256;
	info.seed = res->seed;
	info.gameday = o->gameday;
	info.vars_json = vj;
	info.plan_json = pj;
	info.controller = host;
	info.pid = (int)getpid();
	info.started_at = hv_wall_ms();
	info.tags_json = tj;
	r.run = hv_store_run_begin(st, &info, &err);
	free(vj);
	free(pj);
	free(tj);
	if (r.run == -1) {
		res->exit_code = HV_EXIT_ABORTED;
		res->status = HV_RUN_ABORTED;
		res->reason = hv_xasprintf("cannot record the run: %s", err.s);
		hv_buf_release(&err);
		runner_release(&r);
		return res->exit_code;
	}
	res->run = r.run;
	r.ctx.run_id = r.run;
	/* Two controllers with their own stores can reach one host; what
	 * each adds there must not look like the other's. */
	snprintf(r.token, sizeof r.token, "%06llx",
	    (unsigned long long)(hv_plan_random_seed() & 0xffffff));
	say(&r, "run %lld: %s (seed %llu)", (long long)r.run, x->title,
	    (unsigned long long)res->seed);

	/* The pre-flight probes pass, every target answers, then the steady
	 * state holds, or nothing is injected. */
	preflight(&r);
	if (!r.stopping)
		connect_targets(&r);
	if (!r.stopping && steady_state(&r, HV_PHASE_BEFORE) > 0)
		stop(&r, "steady state before the method did not hold");
	check_signal(&r);

	if (!r.stopping)
		silence_alerts(&r);
	if (!r.stopping) {
		watch_start(&r);
		method(&r);
		close_windows(&r, 1);
		if (!r.stopping && steady_state(&r, HV_PHASE_AFTER) > 0)
			deviate(&r, "steady state after the method did not "
			    "hold");
		alerts_wait(&r);
	}
	alerts_finish(&r);
	rollbacks(&r);
	if (r.watching && x->watch_after_ms > 0) {
		say(&r, "watching for %lld ms more",
		    (long long)x->watch_after_ms);
		while (hv_loop_run(loop, NULL, NULL, hv_mono_ms() +
		    x->watch_after_ms) == 2)
			check_signal(&r);
	}
	watch_stop(&r);
	watch_figures(&r);
	if (r.ctx.ssh != NULL) {
		struct hv_ssh_stats	ss;

		hv_ssh_stats(r.ctx.ssh, &ss);
		hv_debug("ssh: %d handshakes, %d commands, %d failed "
		    "connections", ss.handshakes, ss.commands, ss.failures);
	}
	verdict(&r, res);
	say(&r, "%s: %s", res->status, res->reason);
	hv_buf_release(&err);
	runner_release(&r);
	return res->exit_code;
}

void
hv_run_result_release(struct hv_run_result *res)
{
	free(res->reason);
	res->reason = NULL;
}

/* Whether pid is a havoc that is still running on this machine. */
int
hv_run_alive(int pid)
{
	char	path[64], exe[4096], *base;
	ssize_t	n;

	if (pid <= 0 || (kill(pid, 0) == -1 && errno != EPERM))
		return 0;
	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	if ((n = readlink(path, exe, sizeof exe - 1)) == -1)
		return 1;	/* cannot tell: assume it is */
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base != NULL ? base + 1 : exe;
	return strncmp(base, "havoc", 5) == 0;
}

/* Open faults that recover may revert, with the runs they belong to. */
struct recover_scan {
	struct row_list	 rows;
	int64_t		*runs;		/* runs still marked running */
	size_t		 nruns;
	int		 skipped;
	int		 force;
	char		 host[256];
};

static int
scan_row(const struct hv_fault_row *row, void *arg)
{
	struct recover_scan	*sc = arg;
	size_t			 i;
	int			 mine, running;

	running = row->run_status != NULL &&
	    strcmp(row->run_status, HV_RUN_RUNNING) == 0;
	mine = row->run_controller != NULL &&
	    strcmp(row->run_controller, sc->host) == 0;
	if (running && !sc->force) {
		if (!mine) {
			hv_warn("fault %lld: run %lld is running on %s; not "
			    "touched (use --force)", (long long)row->id,
			    (long long)row->run, row->run_controller);
			sc->skipped++;
			return 0;
		}
		if (hv_run_alive(row->run_pid)) {
			hv_warn("fault %lld: run %lld is still running (pid "
			    "%d); "
			    "not touched (use --force, or havoc halt)",
			    (long long)row->id, (long long)row->run,
			    row->run_pid);
			sc->skipped++;
			return 0;
		}
	}
	if (running) {
		for (i = 0; i < sc->nruns && sc->runs[i] != row->run; i++)
			;
		if (i == sc->nruns) {
			sc->runs = hv_xreallocarray(sc->runs, sc->nruns + 1,
			    sizeof *sc->runs);
			sc->runs[sc->nruns++] = row->run;
		}
	}
	return collect_row(row, &sc->rows);
}

/*
 * Runs of this controller still marked running whose havoc is gone, and
 * that left no fault open, are over too: marked interrupted, so that
 * halt never signals a process that merely took over their pid.
 */
static void
close_dead_runs(struct hv_store *st, int64_t only, const char *host)
{
	struct hv_buf	 e = HV_BUF_INIT;
	json_t		*runs, *r;
	const char	*ctl;
	int64_t		 id;
	size_t		 i;

	if ((runs = hv_store_running_json(st, &e)) == NULL) {
		hv_warn("%s", e.s);
		hv_buf_release(&e);
		return;
	}
	json_array_foreach(runs, i, r) {
		id = json_integer_value(json_object_get(r, "id"));
		ctl = json_string_value(json_object_get(r, "controller"));
		if ((only > 0 && id != only) || ctl == NULL ||
		    strcmp(ctl, host) != 0 || hv_run_alive((int)
		    json_integer_value(json_object_get(r, "pid"))))
			continue;
		if (hv_store_run_end(st, id, HV_RUN_INTERRUPTED, 0,
		    HV_EXIT_ABORTED, "havoc stopped before the end of the run; "
		    "no fault was left active", hv_wall_ms(), &e) == -1)
			hv_warn("%s", e.s);
		hv_buf_reset(&e);
	}
	json_decref(runs);
	hv_buf_release(&e);
}

static int
count_row(const struct hv_fault_row *row, void *arg)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

int
hv_recover(struct hv_store *st, struct hv_loop *loop, int64_t run,
    int force, struct hv_buf *err)
{
	struct recover_scan	 sc;
	struct runner		 r;
	struct hv_buf		 e = HV_BUF_INIT;
	size_t			 i, j;
	int			 left = 0, n;
	char			*reason;

	memset(&sc, 0, sizeof sc);
	sc.force = force;
	if (gethostname(sc.host, sizeof sc.host) == -1)
		sc.host[0] = '\0';
	sc.host[sizeof sc.host - 1] = '\0';
	if (hv_store_faults_open(st, run, scan_row, &sc, err) == -1)
		return -1;
	memset(&r, 0, sizeof r);
	r.st = st;
	r.loop = loop;
	r.t0 = hv_mono_ms();
	r.ctx.loop = loop;
	r.in_rollback = 1;
	if (sc.rows.n > 0)
		say(&r, "reverting %zu fault%s", sc.rows.n,
		    sc.rows.n == 1 ? "" : "s");
	for (i = 0; i < sc.rows.n; i = j) {
		for (j = i + 1; j < sc.rows.n &&
		    sc.rows.rows[j].run == sc.rows.rows[i].run &&
		    same_step(&sc.rows.rows[i], &sc.rows.rows[j]); j++)
			;
		r.run = sc.rows.rows[i].run;
		r.ctx.run_id = r.run;
		revert_faults(&r, sc.rows.rows + i, j - i, HV_PHASE_REVERT);
	}
	/* A run that died is over now: say so, and how it ended. */
	for (i = 0; i < sc.nruns; i++) {
		n = 0;
		if (hv_store_faults_open(st, sc.runs[i], count_row, &n,
		    &e) == -1)
			n = 1;
		reason = hv_xasprintf("havoc stopped before the end of the "
		    "run; havoc recover %s", n == 0 ? "reverted its faults" :
		    "could not revert all of its faults");
		if (hv_store_run_end(st, sc.runs[i], HV_RUN_INTERRUPTED, 0,
		    n == 0 ? HV_EXIT_ABORTED : HV_EXIT_ROLLBACK, reason,
		    hv_wall_ms(), &e) == -1)
			hv_warn("%s", e.s);
		hv_buf_reset(&e);
		free(reason);
	}
	close_dead_runs(st, run, sc.host);
	/* What is left: faults that failed to revert, and skipped runs. */
	n = 0;
	if (hv_store_faults_open(st, run, count_row, &n, err) == -1)
		left = -1;
	else
		left = n;
	row_list_release(&sc.rows);
	free(sc.runs);
	free(r.stop_reason);
	hv_buf_release(&e);
	return left;
}
