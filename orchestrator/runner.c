/*
 * runner.c - the run, phase by phase, written top to bottom.
 *
 * The phases are plain sequential code; what happens concurrently (the
 * calls of one step on all of its targets, watch samples, alert polls,
 * the reverts of fault windows) runs on the loop, and the code waits
 * with run_wait() for what it needs. A stop (the safety abort, an action
 * error, a signal, hv_run_request_stop) skips ahead to the rollbacks,
 * which always run.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cloud.h"
#include "loop.h"
#include "run-int.h"
#include "ssh.h"
#include "store.h"

void
hv_run_request_stop(struct hv_run_ctl *ctl, const char *reason)
{
	if (ctl->stop)
		return;
	ctl->stop = 1;
	snprintf(ctl->reason, sizeof ctl->reason, "%s", reason != NULL ?
	    reason : "stopped");
}

void
hv_run_log_event(const struct hv_event *ev, void *arg)
{
	(void)arg;
	switch (ev->kind) {
	case HV_EV_SAMPLE:
		/* Samples are many: a person sees failures at --verbose. */
		if (!ev->ok)
			hv_debug("%s", ev->text);
		return;
	case HV_EV_FAULT:
		hv_debug("%s", ev->text);
		return;
	case HV_EV_STEP:
		return;		/* the method's own line says it */
	default:
		break;
	}
	if (hv_log_level < HV_LOG_INFO)
		return;
	hv_log("[%6.1fs] %s", (double)ev->elapsed_ms / 1000, ev->text);
}

void
run_event(struct runner *r, struct hv_event *ev)
{
	ev->run = r->run;
	ev->at = hv_wall_ms();
	ev->elapsed_ms = hv_mono_ms() - r->t0;
	if (ev->phase == NULL)
		ev->phase = r->phase;
	if (ev->text == NULL)
		ev->text = "";
	if (r->o->on_event != NULL)
		r->o->on_event(ev, r->o->event_arg);
	else
		hv_run_log_event(ev, NULL);
}

static void
note_v(struct runner *r, const char *fmt, va_list ap)
{
	struct hv_buf	b = HV_BUF_INIT;
	struct hv_event	ev;

	hv_buf_vprintf(&b, fmt, ap);
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_NOTE;
	ev.ms = -1;
	ev.text = b.s;
	run_event(r, &ev);
	hv_buf_release(&b);
}

void
run_note(struct runner *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	note_v(r, fmt, ap);
	va_end(ap);
}

/* Asks the run to skip to the rollbacks; the first reason is kept. */
void
run_stop(struct runner *r, const char *fmt, ...)
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
	run_note(r, "stopping: %s", r->stop_reason);
}

void
run_deviate(struct runner *r, const char *fmt, ...)
{
	struct hv_buf	b = HV_BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	hv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->deviated = 1;
	run_note(r, "deviation: %s", b.s);
	if (r->deviation == NULL)
		r->deviation = hv_buf_detach(&b);
	hv_buf_release(&b);
}

void
run_store_check(struct runner *r, int rc, struct hv_buf *err)
{
	if (rc != -1)
		return;
	r->store_failed = 1;
	hv_warn("%s", err->s);
	hv_buf_reset(err);
}

int
run_stopping(struct runner *r)
{
	if (!r->stopping && r->o->ctl != NULL && r->o->ctl->stop &&
	    !r->in_rollback)
		run_stop(r, "%s", r->o->ctl->reason);
	return r->stopping;
}

void
run_check_signal(struct runner *r)
{
	int	sig = hv_loop_signal(r->loop);
	int	halt;

	if (sig == 0)
		return;
	hv_loop_clear_signal(r->loop);
	if (r->o->on_signal != NULL)
		halt = r->o->on_signal(sig, r->o->signal_arg);
	else
		halt = 1;
	if (!halt)
		return;
	if (r->in_rollback) {
		run_note(r, "%s: rolling back; the run ends when the "
		    "rollbacks are done", strsignal(sig));
		return;
	}
	run_stop(r, "interrupted by %s", sig == SIGINT ? "SIGINT" :
	    sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" :
	    strsignal(sig));
}

void
run_wait(struct runner *r, int (*cond)(void *), void *arg, int64_t deadline)
{
	if (hv_loop_run(r->loop, cond, arg, deadline) == 2)
		run_check_signal(r);
	(void)run_stopping(r);
}

static int
stopping_cond(void *arg)
{
	return run_stopping(arg);
}

/*
 * Lets the loop run for ms; a stop cuts it short when interruptible.
 * Signals that do not stop the run (a scheduler's SIGHUP) do not end it.
 */
static void
sleep_ms(struct runner *r, int64_t ms, int interruptible)
{
	int64_t	deadline = hv_mono_ms() + ms;

	while (hv_mono_ms() < deadline && !(interruptible &&
	    run_stopping(r)))
		run_wait(r, interruptible ? stopping_cond : NULL, r,
		    deadline);
}

/* A phase begins: for the events, and for `havoc status`. */
static void
phase(struct runner *r, const char *name, const char *text)
{
	struct hv_event	ev;
	struct hv_buf	err = HV_BUF_INIT;

	r->phase = name;
	run_store_check(r, hv_store_run_phase(r->st, r->run, name, &err),
	    &err);
	hv_buf_release(&err);
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_PHASE;
	ev.phase = name;
	ev.ms = -1;
	ev.text = text;
	run_event(r, &ev);
}

/* Pre-flight probes: any failure stops the run before it starts. */
static void
preflight(struct runner *r)
{
	size_t	i;

	if (r->x->npreflight == 0)
		return;
	phase(r, HV_PHASE_PREFLIGHT, "pre-flight");
	for (i = 0; i < r->x->npreflight && !run_stopping(r); i++) {
		if (run_step(r, &r->x->preflight[i], HV_PHASE_PREFLIGHT,
		    NULL) > 0)
			run_stop(r, "pre-flight: %s did not pass",
			    r->x->preflight[i].name);
	}
}

/* Adds the hosts of the steps in s that go through t to a set. */
static void
add_hosts(struct runner *r, const struct hv_transport *t,
    const struct hv_step *s, size_t n, const struct hv_host **set,
    size_t *count)
{
	const struct hv_targets	*tg;
	size_t			 i, j, k;

	for (i = 0; i < n; i++) {
		if (s[i].driver == NULL ||
		    hv_driver_transport(s[i].driver) != t)
			continue;
		tg = hv_plan_targets(&r->plan, &s[i]);
		for (j = 0; j < tg->n; j++) {
			for (k = 0; k < *count && set[k] != tg->hosts[j]; k++)
				;
			if (k == *count)
				set[(*count)++] = tg->hosts[j];
		}
	}
}

/*
 * Every host a step will reach must answer through its transport (for
 * SSH: host key checked, authenticated) before anything is injected
 * anywhere: a host that cannot be reached stops the run here.
 */
static void
connect_targets(struct runner *r)
{
	const struct hv_transport *t;
	const struct hv_host	**set;
	struct hv_buf		  err = HV_BUF_INIT;
	size_t			  i, n;
	int			  failed;
	int64_t			  t0;

	set = hv_xcalloc(r->x->inv->nhosts + 1, sizeof *set);
	for (i = 0; hv_transports[i] != NULL && !run_stopping(r); i++) {
		t = hv_transports[i];
		if (t->connect == NULL)
			continue;
		n = 0;
		add_hosts(r, t, r->x->steady, r->x->nsteady, set, &n);
		add_hosts(r, t, r->x->method, r->x->nmethod, set, &n);
		add_hosts(r, t, r->x->rollbacks, r->x->nrollbacks, set, &n);
		add_hosts(r, t, r->x->alerts, r->x->nalerts, set, &n);
		add_hosts(r, t, r->x->preflight, r->x->npreflight, set, &n);
		if (n == 0)
			continue;
		t0 = hv_mono_ms();
		run_note(r, "connecting to %zu host%s (%s)", n, n == 1 ? "" :
		    "s", t->name);
		failed = t->connect(&r->ctx, set, n, &err);
		if (failed > 0)
			run_stop(r, "cannot reach %d of %zu hosts: %s", failed,
			    n, err.s);
		else
			run_note(r, "  connected to %zu host%s in %lld ms", n,
			    n == 1 ? "" : "s", (long long)(hv_mono_ms() - t0));
		run_check_signal(r);
	}
	hv_buf_release(&err);
	free(set);
}

/* Steady state: all probes on all targets at once; 0 when all pass. */
static size_t
steady_state(struct runner *r, const char *when)
{
	size_t	i, failed = 0;
	int	before = strcmp(when, HV_PHASE_BEFORE) == 0;

	if (r->x->nsteady == 0)
		return 0;
	phase(r, when, before ? "steady state before" : "steady state after");
	for (i = 0; i < r->x->nsteady && !run_stopping(r); i++)
		failed += run_step(r, &r->x->steady[i], when, NULL) > 0;
	return failed;
}

static void
method(struct runner *r)
{
	const struct hv_step	*s;
	size_t			 i, failed;

	phase(r, HV_PHASE_METHOD, "method");
	for (i = 0; i < r->x->nmethod && !run_stopping(r); i++) {
		s = &r->x->method[i];
		if (s->kind == HV_STEP_PAUSE) {
			run_note(r, "method %zu/%zu: %s", i + 1,
			    r->x->nmethod, s->name);
			sleep_ms(r, s->pause_ms, 1);
			continue;
		}
		run_note(r, "method %zu/%zu: %s (%s%s%s)", i + 1,
		    r->x->nmethod, s->name, s->driver->name, s->group >= 0 ?
		    " on " : "", s->group >= 0 ? r->x->groups[s->group].name :
		    "");
		if (s->kind == HV_STEP_ACTION && s->duration_ms > 0) {
			run_fault_window(r, s);
		} else if (s->kind == HV_STEP_ACTION) {
			failed = run_step(r, s, HV_PHASE_METHOD, NULL);
			if (failed > 0)
				run_stop(r, "action \"%s\" failed on %zu "
				    "target%s", s->name, failed, failed == 1 ?
				    "" : "s");
		} else {
			failed = run_step(r, s, HV_PHASE_METHOD, NULL);
			if (failed > 0)
				run_deviate(r, "method probe \"%s\" failed",
				    s->name);
		}
	}
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
	for (i = 0; i < r->x->nalerts && !run_stopping(r); i++) {
		if (r->x->alerts[i].silence == NULL)
			continue;
		memset(&s, 0, sizeof s);
		s.name = hv_xasprintf("silence %s", r->x->alerts[i].name);
		s.kind = HV_STEP_ACTION;
		s.driver = hv_driver_find("alertmanager.silence");
		s.with = r->x->alerts[i].silence;
		s.group = -1;
		run_note(r, "%s", s.name);
		if (s.driver == NULL || run_step(r, &s, HV_PHASE_METHOD,
		    NULL) > 0)
			run_stop(r, "cannot set the silence for alert \"%s\"",
			    r->x->alerts[i].name);
		free(s.name);
	}
	r->in_silences = 0;
}

static void
rollbacks(struct runner *r)
{
	size_t	i;

	r->in_rollback = 1;
	phase(r, HV_PHASE_ROLLBACK, "rollbacks");
	run_windows_close(r);
	run_revert_all(r);
	for (i = 0; i < r->x->nrollbacks; i++) {
		const struct hv_step	*s = &r->x->rollbacks[i];

		if (s->kind == HV_STEP_PAUSE) {
			sleep_ms(r, s->pause_ms, 0);
			continue;
		}
		run_note(r, "rollback %zu/%zu: %s", i + 1, r->x->nrollbacks,
		    s->name);
		if (run_step(r, s, HV_PHASE_ROLLBACK, NULL) > 0)
			r->rollback_failed = 1;
	}
	/* Something new may have been journaled by a rollback action. */
	run_revert_all(r);
}

/* The verdict: exit code, status and reason, written to the store. */
static void
verdict(struct runner *r, struct hv_run_result *res)
{
	struct hv_buf	err = HV_BUF_INIT, text = HV_BUF_INIT;
	struct hv_event	ev;
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
	hv_buf_printf(&text, "%s: %s", res->status, res->reason);
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_VERDICT;
	ev.state = res->status;
	ev.ok = res->exit_code == HV_EXIT_OK;
	ev.exit_code = res->exit_code;
	ev.ms = -1;
	ev.text = text.s;
	r->phase = NULL;
	run_event(r, &ev);
	hv_buf_release(&text);
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
	run_watch_free(r);
	run_alerts_free(r);
	run_windows_free(r);
	run_faults_release(&r->faults, 1);
	if (r->alerts_timer != NULL)
		hv_loop_cancel(r->loop, r->alerts_timer);
	r->alerts_timer = NULL;
	hv_plan_release(&r->plan);
	free(r->stop_reason);
	free(r->deviation);
}

/* Records the run; -1 with the reason in res when it cannot be. */
static int
begin(struct runner *r, struct hv_run_result *res)
{
	struct hv_run_info	 info;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_event		 ev;
	char			 host[256], *vj, *pj, *tj, *text;

	if (gethostname(host, sizeof host) == -1)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	vj = vars_json(r->x);
	pj = hv_plan_json(r->x, &r->plan);
	tj = tags_json(r->x);
	memset(&info, 0, sizeof info);
	info.experiment = r->x->title;
	info.file = r->x->path;
	info.file_hash = r->x->sha256;
	info.seed = res->seed;
	info.gameday = r->o->gameday;
	info.vars_json = vj;
	info.plan_json = pj;
	info.controller = host;
	info.pid = (int)getpid();
	info.started_at = hv_wall_ms();
	info.tags_json = tj;
	r->run = hv_store_run_begin(r->st, &info, &err);
	free(vj);
	free(pj);
	free(tj);
	if (r->run == -1) {
		r->run = 0;
		res->exit_code = HV_EXIT_ABORTED;
		res->status = HV_RUN_ABORTED;
		res->reason = hv_xasprintf("cannot record the run: %s", err.s);
		hv_buf_release(&err);
		return -1;
	}
	res->run = r->run;
	r->ctx.run_id = r->run;
	/* Two controllers with their own stores can reach one host; what
	 * each adds there must not look like the other's. */
	snprintf(r->token, sizeof r->token, "%06llx",
	    (unsigned long long)(hv_plan_random_seed() & 0xffffff));
	text = hv_xasprintf("run %lld: %s (seed %llu)", (long long)r->run,
	    r->x->title, (unsigned long long)res->seed);
	memset(&ev, 0, sizeof ev);
	ev.kind = HV_EV_RUN;
	ev.step = r->x->title;
	ev.ms = -1;
	ev.text = text;
	run_event(r, &ev);
	free(text);
	return 0;
}

int
hv_run(struct hv_experiment *x, struct hv_store *st, struct hv_loop *loop,
    const struct hv_run_opts *o, struct hv_run_result *res)
{
	struct runner		r;
	struct hv_buf		err = HV_BUF_INIT;

	memset(res, 0, sizeof *res);
	memset(&r, 0, sizeof r);
	r.x = x;
	r.st = st;
	r.loop = loop;
	r.o = o;
	r.t0 = hv_mono_ms();
	r.ctx.loop = loop;
	r.ctx.exp = x;
	r.ctx.dead_man_ms = x->dead_man_ms > 0 ? x->dead_man_ms :
	    HV_DEAD_MAN_DEFAULT_MS;
	res->seed = o->have_seed ? o->seed : hv_plan_random_seed();

	/* Plan: targets (cloud instances asked of AWS first) and blast
	 * radius, before anything is touched. */
	if (hv_cloud_resolve(x, loop, &err) == -1 ||
	    hv_plan_make(x, res->seed, &r.plan, &err) == -1) {
		res->exit_code = HV_EXIT_ABORTED;
		res->status = HV_RUN_ABORTED;
		res->reason = hv_buf_detach(&err);
		return res->exit_code;
	}
	if (begin(&r, res) == -1) {
		runner_release(&r);
		return res->exit_code;
	}
	run_store_start(&r);

	/* The pre-flight probes pass, every target answers, the alerts can
	 * be checked, then the steady state holds, or nothing is injected. */
	preflight(&r);
	if (!run_stopping(&r))
		connect_targets(&r);
	if (!run_stopping(&r))
		run_alerts_check(&r);
	if (!run_stopping(&r) && steady_state(&r, HV_PHASE_BEFORE) > 0)
		run_stop(&r, "steady state before the method did not hold");
	run_check_signal(&r);

	if (!run_stopping(&r))
		silence_alerts(&r);
	if (!run_stopping(&r)) {
		run_watch_start(&r);
		method(&r);
		run_windows_wait(&r);
		if (!run_stopping(&r) && steady_state(&r, HV_PHASE_AFTER) > 0)
			run_deviate(&r, "steady state after the method did "
			    "not hold");
		run_alerts_wait(&r);
	}
	run_alerts_finish(&r);
	rollbacks(&r);
	if (r.watching && x->watch_after_ms > 0) {
		run_note(&r, "watching for %lld ms more",
		    (long long)x->watch_after_ms);
		sleep_ms(&r, x->watch_after_ms, 0);
	}
	run_watch_stop(&r);
	run_watch_figures(&r);
	if (r.ctx.ssh != NULL) {
		struct hv_ssh_stats	ss;

		hv_ssh_stats(r.ctx.ssh, &ss);
		hv_debug("ssh: %d handshakes, %d commands, %d failed "
		    "connections", ss.handshakes, ss.commands, ss.failures);
	}
	/* What the store has not written yet is, before the verdict. */
	run_store_end(&r);
	run_store_start(&r);
	verdict(&r, res);
	run_store_end(&r);
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
