/*
 * gameday-run.c - one game day: its experiments in order, each run tied
 * to the game day's row; the game day's status and summary; its report;
 * the webhook. `havoc gameday --now` and each game day the daemon starts
 * come here.
 *
 * When the next experiment starts: after a run that held, always; after
 * one that deviated or aborted, unless on_deviation is stop; never after
 * a failed rollback (faults may still be active: injecting more would
 * widen the damage) or a run stopped by a signal or `havoc halt`.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "experiment.h"
#include "gameday.h"
#include "http.h"
#include "loop.h"
#include "report.h"
#include "runner.h"
#include "store.h"
#include "store-gameday.h"

#ifndef HAVOC_VERSION
#define HAVOC_VERSION "0.1.0"
#endif

/* The webhook: per attempt, and the pause before each retry. */
#define NOTIFY_TIMEOUT_MS	10000
static const int64_t notify_backoff_ms[HV_NOTIFY_TRIES - 1] = {
	1000, 2000, 4000
};

/* Whether a logfmt value must be quoted. */
static int
needs_quotes(const char *v)
{
	if (*v == '\0')
		return 1;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || *v == '"' || *v == '=' ||
		    *v == '\\' || (unsigned char)*v == 0x7f)
			return 1;
	return 0;
}

static void
put_value(struct hv_buf *b, const char *v)
{
	if (!needs_quotes(v)) {
		hv_buf_puts(b, v);
		return;
	}
	hv_buf_putc(b, '"');
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '"':
			hv_buf_puts(b, "\\\"");
			break;
		case '\\':
			hv_buf_puts(b, "\\\\");
			break;
		case '\n':
			hv_buf_puts(b, "\\n");
			break;
		case '\r':
			hv_buf_puts(b, "\\r");
			break;
		case '\t':
			hv_buf_puts(b, "\\t");
			break;
		default:
			if ((unsigned char)*v < ' ' ||
			    (unsigned char)*v == 0x7f)
				hv_buf_printf(b, "\\x%02x", (unsigned char)*v);
			else
				hv_buf_putc(b, *v);
		}
	}
	hv_buf_putc(b, '"');
}

void
hv_logfmt(const char *level, const char *event, ...)
{
	struct hv_buf	 b = HV_BUF_INIT;
	const char	*k, *v;
	va_list		 ap;
	char		 ts[40];
	int64_t		 now = hv_wall_ms();

	hv_format_time(now, ts, sizeof ts);
	hv_buf_printf(&b, "ts=%s level=%s event=", ts, level);
	put_value(&b, event);
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			continue;
		hv_buf_printf(&b, " %s=", k);
		put_value(&b, v);
	}
	va_end(ap);
	hv_buf_putc(&b, '\n');
	/* One write: lines from several processes do not interleave. */
	(void)!write(STDERR_FILENO, b.s, b.len);
	hv_buf_release(&b);
}

/* --- the webhook -------------------------------------------------------- */

struct post {
	int		 done;
	long		 status;
	int		 ok;
	char		 error[256];
};

static void
on_posted(struct hv_http *h, void *arg)
{
	struct post			*p = arg;
	const struct hv_http_res	*r = hv_http_result(h);

	p->done = 1;
	p->ok = r->ok;
	p->status = r->status;
	snprintf(p->error, sizeof p->error, "%s", r->error);
	hv_http_free(h);
}

static int
posted(void *arg)
{
	return ((struct post *)arg)->done;
}

int
hv_notify_post(struct hv_loop *loop, const char *url, const char *body,
    int *tries, struct hv_buf *err)
{
	static const char *const headers[] = {
		"Content-Type: application/json",
		"User-Agent: havoc/" HAVOC_VERSION, NULL
	};
	struct hv_http_req	 req;
	struct post		 p;
	struct hv_buf		 last = HV_BUF_INIT;
	int			 i, retry, ret = -1;

	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.body = body;
	req.headers = headers;
	req.timeout_ms = NOTIFY_TIMEOUT_MS;
	for (i = 0; i < HV_NOTIFY_TRIES; i++) {
		*tries = i + 1;
		if (i > 0)
			hv_loop_run(loop, NULL, NULL, hv_mono_ms() +
			    notify_backoff_ms[i - 1]);
		memset(&p, 0, sizeof p);
		hv_buf_reset(&last);
		if (hv_http_start(loop, &req, on_posted, &p, &last) == NULL)
			break;	/* the request itself is unusable */
		/* Bounded by the transfer's own timeout; a signal on the
		 * way is left for the caller, who looks after this. */
		while (!p.done)
			if (hv_loop_run(loop, posted, &p, hv_mono_ms() +
			    NOTIFY_TIMEOUT_MS + 5000) == 1)
				break;
		if (!p.done) {
			hv_buf_puts(&last, "no answer");
			break;
		}
		if (p.ok && p.status >= 200 && p.status < 300) {
			ret = 0;
			break;
		}
		if (p.ok)
			hv_buf_printf(&last, "HTTP %ld", p.status);
		else
			hv_buf_puts(&last, p.error[0] != '\0' ? p.error :
			    "failed");
		/* A 4xx other than 408 and 429 will not change. */
		retry = !p.ok || p.status >= 500 || p.status == 408 ||
		    p.status == 429;
		if (!retry)
			break;
	}
	if (ret == -1)
		hv_error(err, "%s", last.len > 0 ? last.s : "failed");
	hv_buf_release(&last);
	return ret;
}

/* --- one game day ------------------------------------------------------- */

struct gdrun {
	struct hv_gameday		*g;
	const struct hv_gameday_opts	*o;
	int64_t				 id;
	char				 idstr[24];
	int				 interrupted;	/* by a signal */
	const char			*exp;		/* file running */
};

/* A signal stops the run in flight, and the game day with it. */
static int
on_signal(int sig, void *arg)
{
	struct gdrun	*r = arg;

	(void)sig;
	r->interrupted = 1;
	return 1;
}

/* The runner's events, as logfmt lines (the daemon's journal). */
static void
on_event(const struct hv_event *ev, void *arg)
{
	static const char *const names[] = {
		[HV_EV_RUN] = "run", [HV_EV_PHASE] = "phase",
		[HV_EV_STEP] = "step", [HV_EV_CALL] = "call",
		[HV_EV_SAMPLE] = "sample", [HV_EV_ALERT] = "alert",
		[HV_EV_FAULT] = "fault", [HV_EV_NOTE] = "note",
		[HV_EV_VERDICT] = "verdict",
	};
	struct gdrun	*r = arg;
	char		 run[24], ms[32], code[16];
	const char	*level = "info", *text;

	/* Samples are many: failures only, unless --verbose. */
	if (ev->kind == HV_EV_SAMPLE && ev->ok &&
	    hv_log_level < HV_LOG_VERBOSE)
		return;
	if ((ev->kind == HV_EV_CALL || ev->kind == HV_EV_SAMPLE) && !ev->ok)
		level = "warn";
	for (text = ev->text; *text == ' '; text++)
		;
	snprintf(run, sizeof run, "%" PRId64, ev->run);
	snprintf(ms, sizeof ms, "%.0f", ev->ms);
	snprintf(code, sizeof code, "%d", ev->exit_code);
	hv_logfmt(level, names[ev->kind], "gameday", r->g->name, "id",
	    r->idstr, "experiment", r->exp, "run", ev->run != 0 ? run : NULL,
	    "phase", ev->phase, "step", ev->step, "driver", ev->driver,
	    "target", ev->target, "state", ev->state, "ms", ev->ms >= 0 &&
	    (ev->kind == HV_EV_CALL || ev->kind == HV_EV_SAMPLE ||
	    ev->kind == HV_EV_ALERT) ? ms : NULL, "exit",
	    ev->kind == HV_EV_VERDICT ? code : NULL, "msg",
	    *text != '\0' ? text : NULL, HV_LOGEND);
}

/* A game-day event: a logfmt line, or a line for a person. */
static void HV_PRINTF(4, 5)
note(struct gdrun *r, const char *level, const char *event,
    const char *fmt, ...)
{
	struct hv_buf	b = HV_BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	hv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r->o->logfmt)
		hv_logfmt(level, event, "gameday", r->g->name, "id", r->idstr,
		    "msg", b.s, HV_LOGEND);
	else if (strcmp(level, "info") == 0)
		hv_log("gameday %s: %s", r->g->name, b.s);
	else
		hv_warn("gameday %s: %s", r->g->name, b.s);
	hv_buf_release(&b);
}

static const char *
status_of(int exit_code)
{
	switch (exit_code) {
	case HV_EXIT_OK:
		return HV_GD_COMPLETED;
	case HV_EXIT_DEVIATED:
		return HV_GD_DEVIATED;
	case HV_EXIT_ABORTED:
		return HV_GD_ABORTED;
	default:
		return HV_GD_ROLLBACK_FAILED;
	}
}

/* The summary the store keeps and the webhook receives (new). */
static json_t *
summary(struct gdrun *r, struct hv_store *st, const char *status,
    int exit_code, const char *reason, int64_t started, int64_t ended,
    json_t *skipped)
{
	struct hv_buf	 err = HV_BUF_INIT;
	json_t		*s, *runs;
	char		 t[40], host[256];

	if (gethostname(host, sizeof host) == -1)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	if ((runs = hv_store_gd_runs_json(st, r->id, &err)) == NULL) {
		hv_warn("%s", err.s);
		runs = json_array();
	}
	s = json_object();
	json_object_set_new(s, "gameday", json_string(r->g->name));
	json_object_set_new(s, "id", json_integer(r->id));
	json_object_set_new(s, "file", json_string(r->g->path));
	json_object_set_new(s, "status", json_string(status));
	json_object_set_new(s, "exit_code", json_integer(exit_code));
	json_object_set_new(s, "reason", reason != NULL ?
	    json_string(reason) : json_null());
	if (r->o->scheduled_at != 0) {
		hv_schedule_format(&r->g->sched, r->o->scheduled_at, t,
		    sizeof t);
		json_object_set_new(s, "scheduled_at", json_string(t));
		json_object_set_new(s, "jitter_ms",
		    json_integer(r->o->jitter_ms));
	} else
		json_object_set_new(s, "scheduled_at", json_null());
	json_object_set_new(s, "started_at", json_string(hv_format_time(
	    started, t, sizeof t)));
	json_object_set_new(s, "ended_at", json_string(hv_format_time(
	    ended, t, sizeof t)));
	json_object_set_new(s, "controller", json_string(host));
	json_object_set_new(s, "runs", runs);
	json_object_set_new(s, "skipped", json_incref(skipped));
	if (r->g->report != NULL)
		json_object_set_new(s, "report", json_string(r->g->report));
	hv_buf_release(&err);
	return s;
}

/* Makes the folders above path, as mkdir -p; errors show at the write. */
static void
make_parents(const char *path)
{
	char	*p = hv_xstrdup(path), *slash;

	for (slash = strchr(p + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(p, 0755);
		*slash = '/';
	}
	free(p);
}

/*
 * The game day's report, through the report module: HTML, or the format
 * the file name's ending selects (.json, .xml for JUnit). A failure is
 * logged, never fatal.
 */
static void
write_report(struct gdrun *r, struct hv_store *st)
{
	const struct hv_report_format	*fmt;
	struct hv_report_query		 q;
	struct hv_report		*rep = NULL;
	struct hv_buf			 err = HV_BUF_INIT;

	if (r->g->report == NULL)
		return;
	if ((fmt = hv_report_format_for(r->g->report)) == NULL ||
	    fmt == &hv_report_text)
		fmt = &hv_report_html;
	memset(&q, 0, sizeof q);
	q.gameday_id = r->id;
	make_parents(r->g->report);
	if (hv_report_build(st, &q, &rep, &err) == -1 ||
	    hv_report_write(rep, fmt, r->g->report, &err) == -1)
		note(r, "warn", "report", "report %s not written: %s",
		    r->g->report, err.s);
	else if (r->o->logfmt)
		hv_logfmt("info", "report", "gameday", r->g->name, "id",
		    r->idstr, "file", r->g->report, "format", fmt->name,
		    HV_LOGEND);
	else
		hv_log("gameday %s: report written to %s", r->g->name,
		    r->g->report);
	hv_report_free(rep);
	hv_buf_release(&err);
}

static void
notify(struct gdrun *r, struct hv_store *st, struct hv_loop *loop,
    const char *body)
{
	struct hv_buf	 err = HV_BUF_INIT;
	char		*outcome, n[16];
	int		 tries = 0, sig;

	if (r->g->notify == NULL)
		return;
	/* A signal during the webhook does not cut it short: it is
	 * bounded, and the caller sees the signal afterwards. */
	sig = hv_loop_signal(loop);
	hv_loop_clear_signal(loop);
	if (hv_notify_post(loop, r->g->notify, body, &tries, &err) == 0) {
		outcome = hv_xasprintf("sent (%d attempt%s)", tries,
		    tries == 1 ? "" : "s");
		snprintf(n, sizeof n, "%d", tries);
		if (r->o->logfmt)
			hv_logfmt("info", "notify", "gameday", r->g->name,
			    "id", r->idstr, "outcome", "sent", "attempts", n,
			    HV_LOGEND);
		else
			hv_log("gameday %s: webhook sent", r->g->name);
	} else {
		outcome = hv_xasprintf("failed after %d attempt%s: %s", tries,
		    tries == 1 ? "" : "s", err.s);
		note(r, "warn", "notify", "webhook %s", outcome);
	}
	if (hv_store_gd_notify(st, r->id, outcome, &err) == -1)
		hv_warn("%s", err.s);
	if (sig != 0 && hv_loop_signal(loop) == 0)
		hv_loop_raise(loop, sig);
	free(outcome);
	hv_buf_release(&err);
}

int
hv_gameday_run(struct hv_gameday *g, struct hv_store *st,
    struct hv_loop *loop, const struct hv_gameday_opts *o,
    struct hv_gameday_result *res)
{
	struct gdrun		 r;
	struct hv_gd_row	 row;
	struct hv_run_opts	 ro;
	struct hv_run_result	 rr;
	struct hv_buf		 err = HV_BUF_INIT;
	json_t			*skipped, *sum;
	char			 host[256], *body, *reason = NULL;
	char			 idbuf[24], code[16];
	const char		*status;
	int64_t			 started = hv_wall_ms();
	size_t			 i;
	int			 worst = HV_EXIT_OK, stop = 0;

	memset(res, 0, sizeof *res);
	memset(&r, 0, sizeof r);
	r.g = g;
	r.o = o;
	if (gethostname(host, sizeof host) == -1)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	r.id = o->gameday;
	if (r.id == 0) {
		memset(&row, 0, sizeof row);
		row.name = g->name;
		row.file = g->path;
		row.file_hash = g->sha256;
		row.scheduled_at = o->scheduled_at;
		row.jitter_ms = o->jitter_ms;
		row.jitter_seed = o->jitter_seed;
		row.daemon = o->daemon;
		row.controller = host;
		row.pid = (int)getpid();
		row.started_at = started;
		if ((r.id = hv_store_gd_begin(st, &row, &err)) == -1) {
			fprintf(stderr, "havoc: %s\n", err.s);
			hv_buf_release(&err);
			res->exit_code = HV_EXIT_ABORTED;
			res->status = HV_GD_ABORTED;
			return res->exit_code;
		}
	}
	res->gameday = r.id;
	snprintf(r.idstr, sizeof r.idstr, "%" PRId64, r.id);
	note(&r, "info", "gameday_start", "%zu experiment%s (game day %s)",
	    g->nexps, g->nexps == 1 ? "" : "s", r.idstr);
	skipped = json_array();
	for (i = 0; i < g->nexps; i++) {
		if (!stop && hv_loop_signal(loop) != 0) {
			stop = 1;
			worst = worst > HV_EXIT_ABORTED ? worst :
			    HV_EXIT_ABORTED;
			free(reason);
			reason = hv_xstrdup("interrupted before the next "
			    "experiment");
		}
		if (stop) {
			json_array_append_new(skipped,
			    json_string(g->exps[i].file));
			res->skipped++;
			note(&r, "info", "experiment_skipped", "%s not run",
			    g->exps[i].file);
			continue;
		}
		note(&r, "info", "experiment_start", "%zu/%zu %s: %s", i + 1,
		    g->nexps, g->exps[i].file, g->exps[i].x->title);
		memset(&ro, 0, sizeof ro);
		ro.gameday = r.id;
		ro.on_signal = on_signal;
		ro.signal_arg = &r;
		if (o->logfmt) {
			ro.on_event = on_event;
			ro.event_arg = &r;
		}
		r.exp = g->exps[i].file;
		hv_run(g->exps[i].x, st, loop, &ro, &rr);
		res->runs++;
		if (rr.exit_code > worst)
			worst = rr.exit_code;
		snprintf(idbuf, sizeof idbuf, "%" PRId64, rr.run);
		snprintf(code, sizeof code, "%d", rr.exit_code);
		if (o->logfmt)
			hv_logfmt(rr.exit_code == HV_EXIT_OK ? "info" : "warn",
			    "experiment_end", "gameday", g->name, "id",
			    r.idstr, "run", idbuf, "experiment",
			    g->exps[i].file, "status", rr.status, "exit",
			    code, "reason", rr.reason, HV_LOGEND);
		else
			hv_log("gameday %s: %s: %s (run %s)", g->name,
			    g->exps[i].file, rr.status, idbuf);
		if (rr.exit_code == HV_EXIT_ROLLBACK || r.interrupted) {
			stop = 1;
			free(reason);
			reason = hv_xasprintf("%s: %s", g->exps[i].file,
			    rr.reason != NULL ? rr.reason : rr.status);
		} else if (rr.exit_code != HV_EXIT_OK) {
			if (reason == NULL)
				reason = hv_xasprintf("%s: %s",
				    g->exps[i].file, rr.reason != NULL ?
				    rr.reason : rr.status);
			if (g->stop_on_deviation)
				stop = 1;
		}
		hv_run_result_release(&rr);
	}
	status = status_of(worst);
	sum = summary(&r, st, status, worst, reason, started, hv_wall_ms(),
	    skipped);
	body = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);
	if (hv_store_gd_end(st, r.id, status, worst, reason, body,
	    hv_wall_ms(), &err) == -1) {
		hv_warn("%s", err.s);
		hv_buf_reset(&err);
	}
	note(&r, worst == HV_EXIT_OK ? "info" : "warn", "gameday_end",
	    "%s: %d run%s, %d skipped, exit %d%s%s", status, res->runs,
	    res->runs == 1 ? "" : "s", res->skipped, worst,
	    reason != NULL ? "; " : "", reason != NULL ? reason : "");
	write_report(&r, st);
	if (body != NULL)
		notify(&r, st, loop, body);
	free(body);
	json_decref(sum);
	json_decref(skipped);
	free(reason);
	hv_buf_release(&err);
	res->exit_code = worst;
	res->status = status;
	return worst;
}
