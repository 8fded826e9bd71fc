/*
 * run-watch.c - watch: the probes sampled on their targets every
 * interval from the method to the end, the safety abort, and the time to
 * recover of each watched probe.
 */
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "run-int.h"
#include "store.h"

static void	watch_tick(void *);
static void	watch_call_done(struct slot *);

void
run_watch_start(struct runner *r)
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
		w->slots = run_probe_slots(r, w->step, w, watch_call_done,
		    &w->n);
		/* A safety check that cannot run is no safety check. */
		if (w->n == 0 && idx == x->abort_probe)
			run_stop(r, "safety: the abort probe %s cannot run",
			    w->step->name);
	}
	r->nwatchers = n;
	r->watching = 1;
	r->seq++;
	watch_tick(r);
}

void
run_watch_adopt(struct runner *r, const struct hv_host *old,
    const struct hv_host *h)
{
	size_t	i, j;

	for (i = 0; i < r->nwatchers; i++) {
		for (j = 0; j < r->watchers[i].n; j++) {
			if (r->watchers[i].slots[j].call.host == old)
				r->watchers[i].slots[j].next_host = h;
		}
	}
}

/*
 * Between rounds (no sample out), the slots of replaced hosts are made
 * again for their replacements; one that cannot be is dropped, said.
 */
static void
watch_retarget(struct runner *r, struct watcher *w)
{
	struct slot		*s;
	const struct hv_host	*h;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 j = 0, index, count;

	while (j < w->n) {
		s = &w->slots[j];
		if ((h = s->next_host) == NULL) {
			j++;
			continue;
		}
		index = s->call.index;
		count = s->call.count;
		run_slot_release(s);
		if (run_slot_prepare(r, s, w->step, h, &err) == -1) {
			run_note(r, "watch %s: %s", w->step->name, err.s);
			hv_buf_reset(&err);
			w->slots[j] = w->slots[--w->n];
			continue;
		}
		s->owner = w;
		s->on_done = watch_call_done;
		s->call.index = index;
		s->call.count = count;
		j++;
	}
	hv_buf_release(&err);
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
		if (w->inflight > 0)
			continue;
		watch_retarget(r, w);
		if (w->n == 0)
			continue;
		w->round_ok = 1;
		w->round_at = hv_wall_ms();
		w->inflight = w->n;
		for (j = 0; j < w->n; j++) {
			hv_call_reset(&w->slots[j].call);
			run_slot_start(&w->slots[j], 0);
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
		run_stop(r, "safety: %s failing for %s", w->step->name,
		    hv_format_duration(hv_mono_ms() - w->failing_since, d,
		    sizeof d));
}

static void
sample_event(struct runner *r, struct watcher *w, struct slot *s)
{
	struct hv_event	ev;
	struct hv_buf	text = HV_BUF_INIT;

	hv_buf_printf(&text, "watch %s%s%s: %s", w->step->name,
	    s->call.host != NULL ? " on " : "", s->call.host != NULL ?
	    s->call.host->name : "", s->call.ok ? "ok" : s->call.err.s);
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_SAMPLE;
	ev.step = w->step->name;
	ev.driver = w->step->driver->name;
	ev.target = s->call.host != NULL ? s->call.host->name : NULL;
	ev.state = s->call.ok ? "ok" : "failed";
	ev.ok = s->call.ok;
	ev.ms = s->call.latency_ms;
	ev.text = text.s;
	run_event(r, &ev);
	hv_buf_release(&text);
}

static void
watch_call_done(struct slot *s)
{
	struct runner	*r = s->r;
	struct watcher	*w = s->owner;
	struct hv_buf	 err = HV_BUF_INIT;

	run_store_check(r, hv_store_sample(r->st, r->run, w->step->name,
	    s->call.host != NULL ? s->call.host->name : NULL, s->started_wall,
	    s->call.ok, s->call.latency_ms, s->call.ok ? NULL : s->call.err.s,
	    &err), &err);
	hv_buf_release(&err);
	sample_event(r, w, s);
	if (!s->call.ok)
		w->round_ok = 0;
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
			run_note(r, "watch: %s failing", w->step->name);
		}
	} else if (w->failing_since != 0) {
		w->failing_since = 0;
		run_note(r, "watch: %s passing again", w->step->name);
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
	while (!watchers_idle(r))
		run_wait(r, watchers_idle, r, -1);
}

/*
 * Stops sampling, with one last round once the rollbacks are done: a
 * probe that failed during a fault is seen recovering (or not) after the
 * fault is gone, and its time to recover is measured.
 */
void
run_watch_stop(struct runner *r)
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
 * Time to recover: from the first failing round after the first change
 * to the first passing round after which it stays passing.
 */
void
run_watch_figures(struct runner *r)
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
		f.state = HV_FIGURE_STEADY;
		first = last = w->nrounds;
		for (j = 0; j < w->nrounds; j++) {
			if (w->rounds[j].ok || (r->changed_wall != 0 &&
			    w->rounds[j].at < r->changed_wall))
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
				f.state = HV_FIGURE_RECOVERED;
				run_note(r, "%s: recovered in %s (%d of %d "
				    "samples failed)", f.probe,
				    hv_format_duration(f.ttr_ms, d, sizeof d),
				    f.failures, f.samples);
			} else {
				f.ttr_ms = -1;
				f.state = HV_FIGURE_NOT_RECOVERED;
				run_note(r, "%s: not recovered by the end of "
				    "the run", f.probe);
			}
		}
		run_store_check(r, hv_store_figure(r->st, &f, &err), &err);
	}
	hv_buf_release(&err);
}

void
run_watch_free(struct runner *r)
{
	size_t	i, j;

	for (i = 0; i < r->nwatchers; i++) {
		for (j = 0; j < r->watchers[i].n; j++)
			run_slot_release(&r->watchers[i].slots[j]);
		free(r->watchers[i].slots);
		free(r->watchers[i].rounds);
	}
	free(r->watchers);
	r->watchers = NULL;
	r->nwatchers = 0;
}
