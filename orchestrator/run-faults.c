/*
 * run-faults.c - the fault journal of a run, fault windows and reverts.
 *
 * Before a fault is injected its revert spec is journaled (committed),
 * and the runner keeps the fault in memory too. Every revert, at the end
 * of a duration, in the rollbacks or in `havoc recover`, is rebuilt from
 * that spec (fault.h): one revert path, exercised by every run. What was
 * reverted is known from memory, so a journal that cannot be updated
 * (a full disk) never makes a revert run twice within a run.
 *
 * A window's reverts start from the loop when its duration is over,
 * whatever the run's sequential code is waiting for (a step stuck on a
 * host that went away): a revert is due at its time on every host that
 * can be reached. Windows due at one moment start newest first.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "loop.h"
#include "run-int.h"
#include "store.h"

static void	window_wait(struct runner *, struct window *);

static const char *const state_names[] = {
	[RF_PENDING] = HV_FAULT_PENDING,
	[RF_ACTIVE] = HV_FAULT_ACTIVE,
	[RF_INJECT_FAILED] = HV_FAULT_INJECT_FAILED,
	[RF_REVERTING] = "reverting",
	[RF_REVERTED] = HV_FAULT_REVERTED,
	[RF_REVERT_FAILED] = HV_FAULT_REVERT_FAILED,
};

void
run_faults_add(struct run_faults *l, struct run_fault *f)
{
	l->v = hv_xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = f;
}

void
run_fault_free(struct run_fault *f)
{
	if (f == NULL)
		return;
	free(f->spec);
	free(f->driver);
	free(f->target);
	free(f->tag);
	free(f);
}

void
run_faults_release(struct run_faults *l, int free_items)
{
	size_t	i;

	for (i = 0; free_items && i < l->n; i++)
		run_fault_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The tag in a spec, or NULL: a new string. */
static char *
spec_tag(const char *spec)
{
	json_t		*j = json_loads(spec != NULL ? spec : "", 0, NULL);
	const char	*t = json_string_value(json_object_get(j, "tag"));
	char		*out = t != NULL ? hv_xstrdup(t) : NULL;

	json_decref(j);
	return out;
}

int
run_same_step(const char *a, const char *b)
{
	char	*ta = spec_tag(a), *tb = spec_tag(b);
	int	 same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;

	free(ta);
	free(tb);
	return same;
}

struct run_fault *
run_fault_from_row(const struct hv_fault_row *row)
{
	struct run_fault	*f;

	f = hv_xcalloc(1, sizeof *f);
	f->id = row->id;
	f->run = row->run;
	/* A row without a spec cannot be rebuilt: it fails as a bad spec. */
	f->spec = hv_xstrdup(row->revert_spec != NULL ? row->revert_spec :
	    "");
	f->driver = hv_xstrdup(row->driver);
	f->target = row->target != NULL ? hv_xstrdup(row->target) : NULL;
	f->tag = spec_tag(f->spec);
	f->state = strcmp(row->state, HV_FAULT_ACTIVE) == 0 ? RF_ACTIVE :
	    strcmp(row->state, HV_FAULT_PENDING) == 0 ? RF_PENDING :
	    strcmp(row->state, HV_FAULT_REVERT_FAILED) == 0 ?
	    RF_REVERT_FAILED : RF_INJECT_FAILED;
	return f;
}

/* Records a fault's new state, in memory and in the journal. */
static void
fault_set(struct runner *r, struct run_fault *f, enum run_fault_state to,
    const char *error)
{
	struct hv_buf	err = HV_BUF_INIT, text = HV_BUF_INIT;
	struct hv_event	ev;

	f->state = to;
	if (f->id > 0)
		run_store_check(r, hv_store_fault_set(r->st, f->id,
		    state_names[to], error, hv_wall_ms(), &err), &err);
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_FAULT;
	ev.driver = f->driver;
	ev.target = f->target;
	ev.state = state_names[to];
	ev.ok = to == RF_ACTIVE || to == RF_REVERTED;
	ev.ms = -1;
	hv_buf_printf(&text, "fault %lld%s%s: %s", (long long)f->id,
	    f->target != NULL ? " on " : "", f->target != NULL ? f->target :
	    "", state_names[to]);
	ev.text = text.s;
	run_event(r, &ev);
	hv_buf_release(&text);
	hv_buf_release(&err);
}

/*
 * Writes the fault journal entry (committed) before a fault is injected.
 * Returns -1 when it could not be written: the fault must not be made.
 */
int
run_fault_record(struct runner *r, struct slot *s, struct hv_buf *err)
{
	struct hv_fault_rec	 rec;
	struct hv_buf		 inject = HV_BUF_INIT, revert = HV_BUF_INIT;
	struct run_fault	*f;
	char			*spec;
	int64_t			 id;

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
	/* Its transport may arm a dead-man timer on the host first. */
	if (hv_driver_transport(s->call.driver)->dead_man &&
	    s->call.host != NULL)
		rec.dead_man_at = rec.created_at + r->ctx.dead_man_ms;
	id = hv_store_fault_add(r->st, &rec, err);
	hv_buf_release(&inject);
	hv_buf_release(&revert);
	if (id == HV_STORE_BUSY) {
		free(spec);
		return 1;
	}
	if (id <= 0) {
		free(spec);
		return -1;
	}
	f = hv_xcalloc(1, sizeof *f);
	f->id = id;
	f->run = r->run;
	f->spec = spec;
	f->driver = hv_xstrdup(s->call.driver->name);
	f->target = rec.target != NULL ? hv_xstrdup(rec.target) : NULL;
	f->tag = hv_xstrdup(s->call.tag);
	f->state = RF_PENDING;
	run_faults_add(&r->faults, f);
	s->fault = f;
	return 0;
}

void
run_fault_injected(struct runner *r, struct slot *s)
{
	struct run_fault	*f = s->fault;

	if (s->rev != NULL) {
		f->again = !s->call.ok && s->call.again;
		fault_set(r, f, s->call.ok ? RF_REVERTED : RF_REVERT_FAILED,
		    s->call.ok ? NULL : s->call.err.s);
		return;
	}
	/* A revert that began meanwhile has the last word. */
	if (f->state != RF_PENDING)
		return;
	fault_set(r, f, s->call.ok ? RF_ACTIVE : RF_INJECT_FAILED,
	    s->call.ok ? NULL : s->call.err.s);
}

/*
 * Makes a batch of reverts for faults (marked reverting); its calls are
 * started by the caller. A spec that cannot be rebuilt fails at once.
 */
static struct batch *
revert_batch(struct runner *r, struct run_fault **faults, size_t n,
    const char *phase)
{
	struct batch	*b;
	struct slot	*s;
	struct hv_buf	 err = HV_BUF_INIT;
	size_t		 i;
	char		*name;

	b = run_batch_new(r, NULL, phase, n);
	for (i = 0; i < n; i++) {
		s = &b->slots[b->n];
		memset(s, 0, sizeof *s);
		s->r = r;
		s->b = b;
		s->fault = faults[i];
		faults[i]->state = RF_REVERTING;
		s->rev = hv_revert_new(&r->ctx, faults[i]->spec, &err);
		if (s->rev == NULL) {
			run_note(r, "  fault %lld: %s",
			    (long long)faults[i]->id, err.s);
			fault_set(r, faults[i], RF_REVERT_FAILED, err.s);
			hv_buf_reset(&err);
			b->failed++;
			continue;
		}
		s->rev->fault = faults[i]->id;
		/* The slot takes the call; the revert keeps its strings. */
		s->call = s->rev->call;
		hv_call_init(&s->rev->call, s->call.driver, NULL);
		s->on_done = run_batch_call_done;
		b->n++;
		b->pending++;
		name = hv_xasprintf("revert %s", faults[i]->driver);
		run_record_begin(r, s, phase, "revert", name);
		free(name);
	}
	hv_buf_release(&err);
	return b;
}

static void
batch_start(struct batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		run_slot_start(&b->slots[i], 1);
}

size_t
run_revert_faults(struct runner *r, struct run_fault **faults, size_t n,
    const char *phase)
{
	struct batch	*b;
	size_t		 failed;

	b = revert_batch(r, faults, n, phase);
	batch_start(b);
	run_batch_wait(r, b);
	failed = b->failed;
	run_batch_free(b);
	return failed;
}

/* Faults of l that are still to be reverted (not reverting, not done). */
static size_t
open_faults(const struct run_faults *l, struct run_fault **out)
{
	size_t	i, n = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i]->state != RF_REVERTED &&
		    l->v[i]->state != RF_REVERTING)
			out[n++] = l->v[i];
	}
	return n;
}

static void
window_reverted(struct batch *b)
{
	struct window	*w = b->arg;
	struct runner	*r = w->r;

	if (b->failed > 0)
		run_note(r, "  some reverts failed; the rollbacks try again");
	w->reverting = 0;
	w->closed = 1;
	r->reverts_inflight--;
	run_batch_free(b);
}

/* Starts a window's reverts on the loop; nobody waits for them here. */
static void
window_revert(struct runner *r, struct window *w)
{
	struct run_fault	**open;
	struct batch		 *b;
	size_t			  n;

	if (w->closed || w->reverting)
		return;
	open = hv_xcalloc(w->faults.n + 1, sizeof *open);
	n = open_faults(&w->faults, open);
	if (n == 0) {
		w->closed = 1;
		free(open);
		return;
	}
	run_note(r, "reverting %zu fault%s of \"%s\" after its duration", n,
	    n == 1 ? "" : "s", w->step->name);
	b = revert_batch(r, open, n, HV_PHASE_REVERT);
	free(open);
	b->on_end = window_reverted;
	b->arg = w;
	w->reverting = 1;
	r->reverts_inflight++;
	/* A batch whose every spec failed ends at once, from the loop. */
	if (b->pending == 0)
		run_batch_end_later(b);
	else
		batch_start(b);
}

/*
 * A window's duration is over: every window due now reverts, the
 * newest first (a later fault may stand on an earlier one). The run
 * does not revert while it stops: the rollbacks take every fault then.
 */
static void
on_window(void *arg)
{
	struct window	*w = arg;
	struct runner	*r = w->r;
	size_t		 i;

	w->timer = NULL;
	w->due = 1;
	if (r->in_rollback)
		return;
	for (i = r->nwindows; i > 0; i--) {
		if (r->windows[i - 1]->due)
			window_revert(r, r->windows[i - 1]);
	}
}

void
run_fault_window(struct runner *r, const struct hv_step *step)
{
	struct window	*w;
	size_t		 failed;
	char		 d[32];

	w = hv_xcalloc(1, sizeof *w);
	w->r = r;
	w->step = step;
	r->windows = hv_xreallocarray(r->windows, r->nwindows + 1,
	    sizeof *r->windows);
	r->windows[r->nwindows++] = w;
	failed = run_step(r, step, HV_PHASE_METHOD, &w->faults);
	if (failed > 0) {
		run_stop(r, "action \"%s\" failed on %zu target%s",
		    step->name, failed, failed == 1 ? "" : "s");
		return;
	}
	if (run_stopping(r))
		return;
	w->timer = hv_loop_timer(r->loop, step->duration_ms, on_window, w);
	run_note(r, "  holding for %s%s", hv_format_duration(step->duration_ms,
	    d, sizeof d), step->background ? " in the background" : "");
	if (step->background)
		return;
	window_wait(r, w);
}

static int
window_over(void *arg)
{
	struct window	*w = arg;

	return w->closed || run_stopping(w->r);
}

/* Waits until a window's faults are reverted, or the run stops. */
static void
window_wait(struct runner *r, struct window *w)
{
	while (!window_over(w))
		run_wait(r, window_over, w, -1);
}

static int
windows_over(void *arg)
{
	struct runner	*r = arg;
	size_t		 i;

	if (run_stopping(r))
		return 1;
	for (i = 0; i < r->nwindows; i++) {
		if (!r->windows[i]->closed)
			return 0;
	}
	return 1;
}

void
run_windows_wait(struct runner *r)
{
	while (!windows_over(r))
		run_wait(r, windows_over, r, -1);
}

static int
reverts_idle(void *arg)
{
	struct runner	*r = arg;

	return r->reverts_inflight == 0;
}

void
run_windows_close(struct runner *r)
{
	size_t	i;

	for (i = 0; i < r->nwindows; i++) {
		if (r->windows[i]->timer != NULL)
			hv_loop_cancel(r->loop, r->windows[i]->timer);
		r->windows[i]->timer = NULL;
	}
	/* Reverts under way are never cut short; the rollbacks wait. */
	while (!reverts_idle(r))
		run_wait(r, reverts_idle, r, -1);
}

void
run_windows_free(struct runner *r)
{
	size_t	i;

	for (i = 0; i < r->nwindows; i++) {
		if (r->windows[i]->timer != NULL)
			hv_loop_cancel(r->loop, r->windows[i]->timer);
		run_faults_release(&r->windows[i]->faults, 0);
		free(r->windows[i]);
	}
	free(r->windows);
	r->windows = NULL;
	r->nwindows = 0;
}

/*
 * Rounds of the rollbacks' reverts: a revert that found its fault's
 * inject still running on the host (it waits there for half its timeout)
 * is tried again, a few times, before the run gives up on it.
 */
#define AGAIN_ROUNDS	3
#define AGAIN_WAIT_MS	5000

/* Reverts the faults of open, one step at a time, newest step first. */
static void
revert_steps(struct runner *r, struct run_fault **open, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && open[i]->tag != NULL &&
		    open[j]->tag != NULL && strcmp(open[i]->tag,
		    open[j]->tag) == 0; j++)
			;
		run_revert_faults(r, open + i, j - i, HV_PHASE_ROLLBACK);
	}
}

void
run_revert_all(struct runner *r)
{
	struct run_fault	**open;
	size_t			  i, n, round;
	int64_t			  until;

	open = hv_xcalloc(r->faults.n + 1, sizeof *open);
	for (round = 0; round <= AGAIN_ROUNDS; round++) {
		/* Newest first: the journal's order, reversed. */
		for (i = r->faults.n, n = 0; i > 0; i--) {
			struct run_fault	*f = r->faults.v[i - 1];

			if (f->state != RF_REVERTED && (round == 0 ||
			    f->again))
				open[n++] = f;
		}
		if (n == 0)
			break;
		if (round == 0)
			run_note(r, "reverting %zu fault%s", n, n == 1 ? "" :
			    "s");
		else {
			run_note(r, "%zu revert%s found %s inject still "
			    "running; trying again in %d s", n, n == 1 ? "" :
			    "s", n == 1 ? "its" : "their",
			    AGAIN_WAIT_MS / 1000);
			until = hv_mono_ms() + AGAIN_WAIT_MS;
			while (hv_mono_ms() < until)
				run_wait(r, NULL, NULL, until);
		}
		revert_steps(r, open, n);
	}
	for (i = 0; i < r->faults.n; i++) {
		if (r->faults.v[i]->state != RF_REVERTED)
			r->rollback_failed = 1;
	}
	free(open);
}
