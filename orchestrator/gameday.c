/*
 * gameday.c - from a game-day file to its model, checking everything on
 * the way: keys, the schedule field by field, the time zone, windows,
 * blackouts, durations, the webhook URL, and every experiment it names
 * (loaded and checked in full). Every problem is reported at its
 * FILE:LINE:COLUMN and checking goes on.
 */
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "experiment.h"
#include "gameday.h"
#include "http.h"
#include "node.h"
#include "plan.h"

static const char *const top_keys[] = {
	"gameday", "description", "schedule", "timezone", "window",
	"blackout", "jitter", "concurrency", "experiments", "on_deviation",
	"report", "catch_up", "notify", NULL
};
static const char *const window_keys[] = { "days", "hours", NULL };
static const char *const exp_keys[] = { "file", "vars", NULL };
static const char *const notify_keys[] = { "url", NULL };

struct gck {
	struct hv_gameday	*g;
	struct hv_diag		*d;
};

static void
check_keys(struct gck *c, const struct hv_node *map,
    const char *const *allowed, const char *what)
{
	const char *const	*a;
	const char		*best;
	size_t			 i, dist, bestd;

	for (i = 0; i < map->n; i++) {
		best = NULL;
		bestd = 3;
		for (a = allowed; *a != NULL; a++) {
			if (strcmp(*a, map->keys[i]->str) == 0)
				break;
			dist = hv_edit_distance(map->keys[i]->str, *a, 2);
			if (dist < bestd) {
				bestd = dist;
				best = *a;
			}
		}
		if (*a != NULL)
			continue;
		if (best != NULL)
			hv_diag_node(c->d, map->keys[i], "unknown key \"%s\" "
			    "in %s (did you mean \"%s\"?)",
			    map->keys[i]->str, what, best);
		else
			hv_diag_node(c->d, map->keys[i], "unknown key \"%s\" "
			    "in %s", map->keys[i]->str, what);
	}
}

/* A scalar's text, or NULL after reporting anything else. */
static const char *
scalar(struct gck *c, const struct hv_node *n, const char *what)
{
	if (n == NULL || hv_node_is_null(n))
		return NULL;
	if (n->kind != HV_NODE_SCALAR) {
		hv_diag_node(c->d, n, "%s must be a string, not %s", what,
		    hv_node_kind_name(n));
		return NULL;
	}
	return n->raw;
}

/*
 * Reports msg at byte pos of scalar n's text: its column, plus one for
 * the opening quote of a quoted scalar.
 */
static void
diag_at_pos(struct gck *c, const struct hv_node *n, size_t pos,
    const char *what, const char *msg)
{
	int	col = n->col + (int)pos + (n->quoted ? 1 : 0);

	if (strchr(n->raw, '\n') != NULL)
		col = n->col;
	hv_diag_at(c->d, n->file, n->line, col, "%s: %s", what, msg);
}

static char *
resolve(const char *dir, const char *file)
{
	if (*file == '/' || dir == NULL || strcmp(dir, ".") == 0)
		return hv_xstrdup(file);
	return hv_xasprintf("%s/%s", dir, file);
}

static void
load_name(struct gck *c, const struct hv_node *n)
{
	const char	*s = scalar(c, n, "gameday");
	const char	*p;

	if (n == NULL) {
		hv_diag_at(c->d, c->g->path, 1, 1, "gameday: a name is "
		    "required (gameday: weekly-web)");
		return;
	}
	if (s == NULL)
		return;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			break;
	if (*s == '\0' || *p != '\0' || strlen(s) > 64) {
		hv_diag_node(c->d, n, "gameday: \"%s\" is not a name: up to "
		    "64 letters, digits, \"-\", \"_\" or \".\"", s);
		return;
	}
	c->g->name = hv_xstrdup(s);
}

static void
load_schedule(struct gck *c, const struct hv_node *top)
{
	struct hv_gameday	*g = c->g;
	const struct hv_node	*n = hv_node_get(top, "schedule");
	const struct hv_node	*tz = hv_node_get(top, "timezone");
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*s;
	size_t			 pos;

	g->where_schedule = n;
	if (n == NULL)
		hv_diag_at(c->d, g->path, top->line, top->col, "schedule: "
		    "required (5-field cron, such as \"30 10 * * TUE\")");
	else if ((s = scalar(c, n, "schedule")) != NULL) {
		g->schedule_text = hv_xstrdup(s);
		if (hv_cron_parse(&g->sched.cron, s, &pos, &err) == -1)
			diag_at_pos(c, n, pos, "schedule", err.s);
		else if (hv_cron_possible(&g->sched.cron, &err) == -1)
			hv_diag_node(c->d, n, "schedule: %s", err.s);
		hv_buf_reset(&err);
	}
	g->sched.tz = hv_xstrdup("UTC");
	if ((s = scalar(c, tz, "timezone")) != NULL) {
		if (hv_tz_check(s, &err) == -1)
			hv_diag_node(c->d, tz, "timezone: %s", err.s);
		else {
			free(g->sched.tz);
			g->sched.tz = hv_xstrdup(s);
		}
	}
	hv_buf_release(&err);
}

static void
load_window(struct gck *c, const struct hv_node *n)
{
	struct hv_schedule	*s = &c->g->sched;
	const struct hv_node	*w, *days, *hours;
	struct hv_window	*win;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*t;
	size_t			 i, pos, count;

	if (n == NULL || hv_node_is_null(n))
		return;
	if (n->kind != HV_NODE_MAP && n->kind != HV_NODE_SEQ) {
		hv_diag_node(c->d, n, "window must be a map {days, hours} or "
		    "a list of them, not %s", hv_node_kind_name(n));
		return;
	}
	count = n->kind == HV_NODE_MAP ? 1 : n->n;
	if (count == 0) {
		hv_diag_node(c->d, n, "window: an empty list (leave window "
		    "out for any time)");
		return;
	}
	s->windows = hv_xcalloc(count, sizeof *s->windows);
	for (i = 0; i < count; i++) {
		w = n->kind == HV_NODE_MAP ? n : n->items[i];
		if (w->kind != HV_NODE_MAP) {
			hv_diag_node(c->d, w, "window must be a map {days, "
			    "hours}, not %s", hv_node_kind_name(w));
			continue;
		}
		check_keys(c, w, window_keys, "window");
		win = &s->windows[s->nwindows++];
		win->days = 0x7f;
		win->start = 0;
		win->end = 1440;
		days = hv_node_get(w, "days");
		hours = hv_node_get(w, "hours");
		if (days == NULL && hours == NULL)
			hv_diag_node(c->d, w, "window: give days, hours or "
			    "both");
		if (days != NULL && days->kind == HV_NODE_SEQ) {
			/* days: [mon, tue] */
			struct hv_buf	 list = HV_BUF_INIT;
			size_t		 j;

			for (j = 0; j < days->n; j++) {
				if ((t = scalar(c, days->items[j],
				    "window.days")) == NULL)
					continue;
				hv_buf_printf(&list, "%s%s", j > 0 ? "," : "",
				    t);
			}
			if (days->n == 0 || hv_window_days(list.s,
			    &win->days, &pos, &err) == -1)
				hv_diag_node(c->d, days, "window.days: %s",
				    days->n == 0 ? "an empty list" : err.s);
			hv_buf_release(&list);
			hv_buf_reset(&err);
		} else if ((t = scalar(c, days, "window.days")) != NULL &&
		    hv_window_days(t, &win->days, &pos, &err) == -1) {
			diag_at_pos(c, days, pos, "window.days", err.s);
			hv_buf_reset(&err);
		}
		if ((t = scalar(c, hours, "window.hours")) != NULL &&
		    hv_window_hours(t, &win->start, &win->end, &pos,
		    &err) == -1) {
			diag_at_pos(c, hours, pos, "window.hours", err.s);
			hv_buf_reset(&err);
		}
	}
	hv_buf_release(&err);
}

static void
load_blackout(struct gck *c, const struct hv_node *n)
{
	struct hv_schedule	*s = &c->g->sched;
	const struct hv_node	*b;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*t;
	size_t			 i, pos, count;

	if (n == NULL || hv_node_is_null(n))
		return;
	if (n->kind != HV_NODE_SCALAR && n->kind != HV_NODE_SEQ) {
		hv_diag_node(c->d, n, "blackout must be a list of dates and "
		    "date ranges, not %s", hv_node_kind_name(n));
		return;
	}
	count = n->kind == HV_NODE_SCALAR ? 1 : n->n;
	s->blackouts = hv_xcalloc(count + 1, sizeof *s->blackouts);
	for (i = 0; i < count; i++) {
		b = n->kind == HV_NODE_SCALAR ? n : n->items[i];
		if ((t = scalar(c, b, "blackout")) == NULL)
			continue;
		if (hv_blackout_parse(t, &s->blackouts[s->nblackouts],
		    &pos, &err) == -1) {
			diag_at_pos(c, b, pos, "blackout", err.s);
			hv_buf_reset(&err);
			continue;
		}
		s->nblackouts++;
	}
	hv_buf_release(&err);
}

/* A boolean field; def when absent, after reporting a bad one. */
static int
get_bool(struct gck *c, const struct hv_node *top, const char *key, int def)
{
	const struct hv_node	*n = hv_node_get(top, key);
	const char		*s = scalar(c, n, key);
	int			 v;

	if (s == NULL)
		return def;
	if (hv_parse_bool(s, &v) == -1) {
		hv_diag_node(c->d, n, "%s: \"%s\" is not true or false", key,
		    s);
		return def;
	}
	return v;
}

static void
load_options(struct gck *c, const struct hv_node *top)
{
	struct hv_gameday	*g = c->g;
	const struct hv_node	*n;
	const char		*s;

	n = hv_node_get(top, "jitter");
	if ((s = scalar(c, n, "jitter")) != NULL) {
		if (hv_parse_duration(s, &g->jitter_ms) == -1 ||
		    g->jitter_ms < 0)
			hv_diag_node(c->d, n, "jitter: \"%s\" is not a "
			    "duration (like 15m)", s);
		else if (g->jitter_ms > 24 * 3600 * 1000)
			hv_diag_node(c->d, n, "jitter: %s is more than a day",
			    s);
	}
	n = hv_node_get(top, "concurrency");
	if ((s = scalar(c, n, "concurrency")) != NULL) {
		if (strcmp(s, "forbid") == 0)
			g->concurrency = HV_CONC_FORBID;
		else if (strcmp(s, "allow") == 0)
			g->concurrency = HV_CONC_ALLOW;
		else
			hv_diag_node(c->d, n, "concurrency: \"%s\" is not "
			    "forbid or allow", s);
	}
	n = hv_node_get(top, "on_deviation");
	if ((s = scalar(c, n, "on_deviation")) != NULL) {
		if (strcmp(s, "continue") == 0)
			g->stop_on_deviation = 0;
		else if (strcmp(s, "stop") == 0)
			g->stop_on_deviation = 1;
		else
			hv_diag_node(c->d, n, "on_deviation: \"%s\" is not "
			    "continue or stop", s);
	}
	n = hv_node_get(top, "report");
	if ((s = scalar(c, n, "report")) != NULL) {
		if (*s == '\0')
			hv_diag_node(c->d, n, "report: an empty path");
		else
			g->report = resolve(g->dir, s);
	}
	g->catch_up = get_bool(c, top, "catch_up", 0);
	n = hv_node_get(top, "description");
	(void)scalar(c, n, "description");
}

/* notify: URL, or {url: URL}; ${env.NAME} and ${file:PATH} allowed. */
static void
load_notify(struct gck *c, const struct hv_node *n)
{
	struct hv_gameday	*g = c->g;
	struct hv_expand	 ex;
	struct hv_buf		 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*s;
	unsigned		 flags = 0;

	if (n == NULL || hv_node_is_null(n))
		return;
	if (n->kind == HV_NODE_MAP) {
		check_keys(c, n, notify_keys, "notify");
		if (hv_node_get(n, "url") == NULL) {
			hv_diag_node(c->d, n, "notify: url is required");
			return;
		}
		n = hv_node_get(n, "url");
	}
	if ((s = scalar(c, n, "notify")) == NULL)
		return;
	memset(&ex, 0, sizeof ex);
	ex.dir = g->dir;
	if (hv_expand(&ex, s, &str, &shown, &flags, &err) == -1)
		hv_diag_node(c->d, n, "notify: %s", err.s);
	else if (hv_http_check_url(str.s, &err) == -1)
		hv_diag_node(c->d, n, "notify: %s", err.s);
	else {
		g->notify = hv_buf_detach(&str);
		g->notify_shown = hv_buf_detach(&shown);
	}
	hv_buf_release(&str);
	hv_buf_release(&shown);
	hv_buf_release(&err);
}

/* One entry of experiments: a path, or {file, vars}. */
static void
load_experiment(struct gck *c, const struct hv_node *n)
{
	struct hv_gameday	*g = c->g;
	struct hv_gd_exp	*e;
	struct hv_load_opts	 lo;
	const struct hv_node	*f = n, *vars = NULL, *v;
	const char		*s;
	size_t			 i;
	int			 before;

	if (n->kind == HV_NODE_MAP) {
		check_keys(c, n, exp_keys, "an experiment");
		f = hv_node_get(n, "file");
		vars = hv_node_get(n, "vars");
		if (f == NULL) {
			hv_diag_node(c->d, n, "experiments: file is required");
			return;
		}
	} else if (n->kind != HV_NODE_SCALAR) {
		hv_diag_node(c->d, n, "experiments: an entry is a path or "
		    "{file, vars}, not %s", hv_node_kind_name(n));
		return;
	}
	if ((s = scalar(c, f, "experiments.file")) == NULL || *s == '\0') {
		if (s != NULL)
			hv_diag_node(c->d, f, "experiments: an empty path");
		return;
	}
	e = &g->exps[g->nexps++];
	e->file = hv_xstrdup(s);
	e->path = resolve(g->dir, s);
	e->where = n;
	if (vars != NULL && !hv_node_is_null(vars)) {
		if (vars->kind != HV_NODE_MAP)
			hv_diag_node(c->d, vars, "vars must be a map, not %s",
			    hv_node_kind_name(vars));
		else {
			e->vars = hv_xcalloc(vars->n + 1, sizeof *e->vars);
			for (i = 0; i < vars->n; i++) {
				v = vars->items[i];
				if ((s = scalar(c, v, "vars")) == NULL) {
					if (hv_node_is_null(v))
						hv_diag_node(c->d, v, "vars.%s "
						    "has no value",
						    vars->keys[i]->str);
					continue;
				}
				e->vars[e->nvars++] = hv_xasprintf("%s=%s",
				    vars->keys[i]->str, s);
			}
		}
	}
	memset(&lo, 0, sizeof lo);
	lo.vars = (const char **)e->vars;
	lo.nvars = e->nvars;
	before = c->d->count;
	e->x = hv_experiment_load(e->path, &lo, c->d);
	/* What plan would refuse is a problem of the file too. */
	if (e->x != NULL && hv_plan_check(e->x, c->d) > 0) {
		hv_experiment_free(e->x);
		e->x = NULL;
	}
	if (e->x == NULL && c->d->count == before)
		hv_diag_node(c->d, f, "experiment %s could not be loaded", s);
	else if (e->x == NULL)
		hv_diag_node(c->d, f, "experiment %s has %d problem%s (above)",
		    e->file, c->d->count - before,
		    c->d->count - before == 1 ? "" : "s");
}

static void
load_experiments(struct gck *c, const struct hv_node *n)
{
	size_t	i;

	if (n == NULL || hv_node_is_null(n)) {
		hv_diag_at(c->d, c->g->path, n != NULL ? n->line : 1,
		    n != NULL ? n->col : 1, "experiments: a list of at least "
		    "one experiment file is required");
		return;
	}
	if (n->kind != HV_NODE_SEQ || n->n == 0) {
		hv_diag_node(c->d, n, "experiments must be a list of "
		    "experiment files%s", n->kind == HV_NODE_SEQ ?
		    ", not an empty one" : "");
		return;
	}
	c->g->exps = hv_xcalloc(n->n, sizeof *c->g->exps);
	for (i = 0; i < n->n; i++)
		load_experiment(c, n->items[i]);
}

int
hv_gameday_is(const struct hv_node *doc)
{
	return doc != NULL && doc->kind == HV_NODE_MAP &&
	    hv_node_get(doc, "gameday") != NULL;
}

struct hv_gameday *
hv_gameday_load(const char *path, int flags, struct hv_diag *d)
{
	struct hv_gameday	*g;
	struct hv_node		*doc;
	struct hv_buf		 data = HV_BUF_INIT, err = HV_BUF_INIT;
	struct gck		 c;
	char			*tmp;
	int			 before = d->count;

	if (hv_read_file(path, &data, &err) == -1) {
		hv_diag_at(d, path, 1, 1, "cannot read the file (%s)", err.s);
		hv_buf_release(&err);
		return NULL;
	}
	g = hv_xcalloc(1, sizeof *g);
	g->path = hv_xstrdup(path);
	tmp = hv_xstrdup(path);
	g->dir = hv_xstrdup(dirname(tmp));
	free(tmp);
	hv_sha256_hex(data.s, data.len, g->sha256);
	doc = hv_yaml_parse(path, data.s, data.len, d);
	hv_buf_release(&data);
	if (doc == NULL) {
		hv_gameday_free(g);
		return NULL;
	}
	g->doc = doc;
	c.g = g;
	c.d = d;
	if (doc->kind != HV_NODE_MAP) {
		hv_diag_node(d, doc, "a game-day file is a map (gameday:, "
		    "schedule:, experiments:, ...), not %s",
		    hv_node_kind_name(doc));
		hv_gameday_free(g);
		return NULL;
	}
	check_keys(&c, doc, top_keys, "a game-day file");
	/* --next needs no name, only the schedule. */
	if (!(flags & HV_GD_SCHEDULE_ONLY) || hv_node_get(doc, "gameday"))
		load_name(&c, hv_node_get(doc, "gameday"));
	if (g->name == NULL)
		g->name = hv_xstrdup("");
	load_schedule(&c, doc);
	load_window(&c, hv_node_get(doc, "window"));
	load_blackout(&c, hv_node_get(doc, "blackout"));
	load_options(&c, doc);
	load_notify(&c, hv_node_get(doc, "notify"));
	if (!(flags & HV_GD_SCHEDULE_ONLY))
		load_experiments(&c, hv_node_get(doc, "experiments"));
	if (d->count > before) {
		hv_gameday_free(g);
		return NULL;
	}
	return g;
}

void
hv_gameday_free(struct hv_gameday *g)
{
	size_t	i, j;

	if (g == NULL)
		return;
	for (i = 0; i < g->nexps; i++) {
		free(g->exps[i].file);
		free(g->exps[i].path);
		for (j = 0; j < g->exps[i].nvars; j++)
			free(g->exps[i].vars[j]);
		free(g->exps[i].vars);
		hv_experiment_free(g->exps[i].x);
	}
	free(g->exps);
	hv_schedule_release(&g->sched);
	free(g->schedule_text);
	free(g->name);
	free(g->report);
	free(g->notify);
	free(g->notify_shown);
	hv_node_free(g->doc);
	free(g->path);
	free(g->dir);
	free(g);
}
