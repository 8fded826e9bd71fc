/*
 * alertmanager.c - the alertmanager probe: is an alert with this name and
 * these labels at Alertmanager (GET /api/v2/alerts)?
 *
 * Silenced, inhibited and not yet processed alerts are asked for too: an
 * alert that reached Alertmanager counts as present whatever its state,
 * and call->state says which it was. The server filters by the same
 * matchers, but the labels are matched again here, exactly: what the
 * verdict rests on does not depend on a server's matcher parser.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "driver.h"
#include "http.h"
#include "node.h"
#include "util.h"

#define API_PATH	"/api/v2/alerts"

static const struct hv_param am_params[] = {
	{ "url", HV_T_STR, 1, NULL, NULL,
	  "base URL of Alertmanager, e.g. http://mon:9093 (a path prefix "
	  "is kept)" },
	{ "alertname", HV_T_STR, 0, NULL, NULL,
	    "the alert's name (else any alert with the labels)" },
	{ "labels", HV_T_MAP, 0, NULL, NULL,
	  "labels the alert must carry, name: value; a value starting "
	  "with ~ is an extended regular expression that must match the "
	  "whole value (instance: \"~web-.*\")" },
	{ "timeout", HV_T_DURATION, 0, "5s", NULL,
	  "for the whole request, connecting included" },
	HV_HTTP_CLIENT_PARAMS,
	{ NULL }
};

static const struct hv_param am_expect[] = {
	{ "active", HV_T_BOOL, 0, "true", NULL,
	  "true: a matching alert is there (active, silenced, inhibited or "
	  "unprocessed); false: none is (no incident in progress)" },
	{ "count_at_least", HV_T_INT, 0, NULL, NULL,
	  "at least this many matching alerts (with active: true)" },
	{ NULL }
};

/* One label the experiment asks for. */
struct matcher {
	const char	*name;
	const char	*value;		/* without a regex's ~ */
	int		 regex;
	regex_t		 re;
};

/* What the alerts of a response come to. */
enum { ST_ACTIVE, ST_SILENCED, ST_INHIBITED, ST_SUPPRESSED,
    ST_UNPROCESSED, ST_MAX };

static const char *const state_words[ST_MAX] = {
	"active", "silenced", "inhibited", "suppressed", "unprocessed"
};

struct tally {
	size_t		 named;		/* alerts with the alertname */
	size_t		 n;		/* of those, matching the labels */
	size_t		 by_state[ST_MAX];
	json_t		*first;		/* the one reported (borrowed) */
	int		 first_state;
};

/* Appends one matcher: name="value" or, for "~re", name=~"re". */
static void
put_matcher(struct hv_buf *out, const char *name, const char *value)
{
	hv_buf_puts(out, name);
	if (value[0] == '~') {
		hv_buf_puts(out, "=~");
		value++;
	} else
		hv_buf_putc(out, '=');
	hv_api_put_quoted(out, value);
}

/* Appends what the probe looks for: NodeDown{instance=~"web-.*"}. */
static void
put_selection(const struct hv_call *call, struct hv_buf *out)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	const char		*name, *v;
	size_t			 i;

	name = hv_node_text(hv_arg_node(call, "alertname"), 1);
	hv_buf_puts(out, name != NULL ? name : "any alert");
	if (ls == NULL || ls->kind != HV_NODE_MAP || ls->n == 0)
		return;
	hv_buf_putc(out, '{');
	for (i = 0; i < ls->n; i++) {
		if ((v = hv_node_text(ls->items[i], 1)) == NULL)
			continue;
		if (i > 0)
			hv_buf_puts(out, ", ");
		put_matcher(out, ls->keys[i]->str, v);
	}
	hv_buf_putc(out, '}');
}

/* Compiles a label regex so that it must match the whole value. */
static int
compile(regex_t *re, const char *pattern, char *msg, size_t len)
{
	char	*full = hv_xasprintf("^(%s)$", pattern);
	int	 rc;

	rc = regcomp(re, full, REG_EXTENDED | REG_NOSUB);
	if (rc != 0 && msg != NULL)
		regerror(rc, re, msg, len);
	free(full);
	return rc == 0 ? 0 : -1;
}

static void
matchers_free(struct matcher *ms, size_t n)
{
	size_t	i;

	for (i = 0; ms != NULL && i < n; i++) {
		if (ms[i].regex)
			regfree(&ms[i].re);
	}
	free(ms);
}

/*
 * The labels parameter as matchers (a new array, *n of them; free with
 * matchers_free). Regexes were checked at load time; one that does not
 * compile now fails with a message in err.
 */
static struct matcher *
matchers_new(const struct hv_call *call, size_t *n, struct hv_buf *err)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	struct matcher		*ms;
	const char		*v;
	size_t			 i;

	*n = 0;
	ms = hv_xcalloc(ls != NULL ? ls->n + 1 : 1, sizeof *ms);
	for (i = 0; ls != NULL && ls->kind == HV_NODE_MAP && i < ls->n; i++) {
		if ((v = hv_node_text(ls->items[i], 0)) == NULL)
			continue;
		ms[*n].name = ls->keys[i]->str;
		ms[*n].regex = v[0] == '~';
		ms[*n].value = ms[*n].regex ? v + 1 : v;
		if (ms[*n].regex && compile(&ms[*n].re, ms[*n].value, NULL,
		    0) == -1) {
			hv_error(err, "labels.%s: bad regular expression",
			    ms[*n].name);
			matchers_free(ms, *n);
			*n = 0;
			return NULL;
		}
		(*n)++;
	}
	return ms;
}

/*
 * Whether an alert's labels carry every matcher. A label the alert does
 * not have is the empty string, as Alertmanager's matchers see it.
 */
static int
labels_match(json_t *labels, const struct matcher *ms, size_t n)
{
	const char	*v;
	json_t		*j;
	size_t		 i;

	for (i = 0; i < n; i++) {
		j = json_object_get(labels, ms[i].name);
		if (j != NULL && !json_is_string(j))
			return 0;
		v = j != NULL ? json_string_value(j) : "";
		if (ms[i].regex ? regexec(&ms[i].re, v, 0, NULL, 0) != 0 :
		    strcmp(v, ms[i].value) != 0)
			return 0;
	}
	return 1;
}

/* An alert's state (ST_*), or -1 when its status is not the API's. */
static int
alert_state(json_t *alert)
{
	json_t		*status = json_object_get(alert, "status");
	const char	*state;

	state = json_string_value(json_object_get(status, "state"));
	if (state == NULL)
		return -1;
	if (strcmp(state, "active") == 0)
		return ST_ACTIVE;
	if (strcmp(state, "unprocessed") == 0)
		return ST_UNPROCESSED;
	if (strcmp(state, "suppressed") != 0)
		return -1;
	/* Suppressed says that it is; the lists say why. */
	if (json_array_size(json_object_get(status, "silencedBy")) > 0)
		return ST_SILENCED;
	if (json_array_size(json_object_get(status, "inhibitedBy")) > 0)
		return ST_INHIBITED;
	return ST_SUPPRESSED;
}

/*
 * Counts the alerts of a response that match; reports the first active
 * one, else the first of any state. -1 with a message in err when the
 * response is not a list of alerts.
 */
static int
tally(json_t *root, const char *alertname, const struct matcher *ms,
    size_t n, struct tally *t, struct hv_buf *err)
{
	json_t		*alert, *labels;
	const char	*name;
	size_t		 i;
	int		 st;

	memset(t, 0, sizeof *t);
	if (!json_is_array(root))
		return hv_error(err, "alertmanager: unexpected response: "
		    "not a list of alerts");
	json_array_foreach(root, i, alert) {
		labels = json_object_get(alert, "labels");
		if (!json_is_object(labels))
			return hv_error(err, "alertmanager: unexpected "
			    "response: alert %zu has no labels", i + 1);
		name = json_string_value(json_object_get(labels,
		    "alertname"));
		if (alertname != NULL &&
		    (name == NULL || strcmp(name, alertname) != 0))
			continue;
		t->named++;
		if (!labels_match(labels, ms, n))
			continue;
		if ((st = alert_state(alert)) == -1)
			return hv_error(err, "alertmanager: unexpected "
			    "response: alert %zu has no status.state of "
			    "active, suppressed or unprocessed", i + 1);
		t->n++;
		t->by_state[st]++;
		if (t->first == NULL || (st == ST_ACTIVE &&
		    t->first_state != ST_ACTIVE)) {
			t->first = alert;
			t->first_state = st;
		}
	}
	return 0;
}

/* Appends the time of an RFC 3339 stamp: "10:02:03 UTC"; -1 if bad. */
static int
put_clock(struct hv_buf *out, const char *ts)
{
	const char	*z;
	size_t		 n;

	if (ts == NULL || strlen(ts) < 20 || ts[10] != 'T' ||
	    ts[13] != ':' || ts[16] != ':')
		return -1;
	z = ts + 19;
	if (*z == '.')
		z += 1 + strspn(z + 1, "0123456789");
	hv_buf_add(out, ts + 11, 8);
	if (*z == 'Z' || *z == 'z')
		hv_buf_puts(out, " UTC");
	else if ((*z == '+' || *z == '-') && (n = strlen(z)) <= 6)
		hv_buf_printf(out, " %s", z);
	return 0;
}

/*
 * Appends the reported alert: NodeDown{instance="web-1"} active since
 * 10:02:03 UTC, with the labels asked for (all of them when none was).
 */
static void
put_alert(const struct hv_call *call, const struct tally *t,
    struct hv_buf *out)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	json_t			*labels = json_object_get(t->first, "labels");
	json_t			*v;
	const char		*s;
	size_t			 i, before;
	int			 any = 0;

	s = json_string_value(json_object_get(labels, "alertname"));
	hv_buf_puts(out, s != NULL ? s : "?");
	hv_buf_putc(out, '{');
	before = out->len;
	for (i = 0; ls != NULL && ls->kind == HV_NODE_MAP && i < ls->n; i++) {
		v = json_object_get(labels, ls->keys[i]->str);
		hv_buf_printf(out, "%s%s=", any ? ", " : "",
		    ls->keys[i]->str);
		hv_api_put_quoted(out, json_is_string(v) ?
		    json_string_value(v) : "");
		any = 1;
	}
	if (!any)
		hv_api_put_labels(out, labels, "alertname");
	if (out->len == before) {
		out->len--;
		out->s[out->len] = '\0';
	} else
		hv_buf_putc(out, '}');
	hv_buf_printf(out, " %s", state_words[t->first_state]);
	before = out->len;
	hv_buf_puts(out, " since ");
	if (put_clock(out, json_string_value(json_object_get(t->first,
	    "startsAt"))) == -1) {
		out->len = before;
		out->s[out->len] = '\0';
	}
}

/* Appends "(3 match: 2 active, 1 silenced)" when more than one does. */
static void
put_counts(const struct tally *t, struct hv_buf *out)
{
	size_t	i;
	int	first = 1;

	if (t->n < 2)
		return;
	hv_buf_printf(out, " (%zu match: ", t->n);
	for (i = 0; i < ST_MAX; i++) {
		if (t->by_state[i] == 0)
			continue;
		hv_buf_printf(out, "%s%zu %s", first ? "" : ", ",
		    t->by_state[i], state_words[i]);
		first = 0;
	}
	hv_buf_putc(out, ')');
}

/* A complete response against the expectations; 1 when they hold. */
static int
verdict(struct hv_call *call, const struct hv_http_res *res)
{
	struct matcher	*ms = NULL;
	struct tally	 t;
	struct hv_buf	 sel = HV_BUF_INIT;
	json_t		*root = NULL;
	const char	*alertname;
	long long	 need = 1;
	size_t		 n = 0;
	int		 ok = 0;

	/* Until the answer is read, a failure is a look that failed. */
	call->broken = 1;
	if (!hv_http_success(res)) {
		hv_error(&call->err, "alertmanager: status %ld", res->status);
		hv_api_error_body(&call->err, res);
		goto out;
	}
	root = hv_api_json(res, 0, "alertmanager: response", &call->err);
	if (root == NULL)
		goto out;
	alertname = hv_node_text(hv_arg_node(call, "alertname"), 0);
	if ((ms = matchers_new(call, &n, &call->err)) == NULL ||
	    tally(root, alertname, ms, n, &t,
	    &call->err) == -1)
		goto out;
	call->broken = 0;
	call->value = (double)t.n;
	call->has_value = 1;
	if (t.first != NULL) {
		snprintf(call->state, sizeof call->state, "%s",
		    state_words[t.first_state]);
		put_alert(call, &t, &call->out);
		put_counts(&t, &call->out);
	} else
		hv_buf_puts(&call->out, "no matching alert");

	put_selection(call, &sel);
	if (!hv_exp_bool(call, "active")) {
		if (t.n == 0)
			ok = 1;
		else
			hv_error(&call->err, "%s, expected none", call->out.s);
		goto out;
	}
	if (hv_exp_has(call, "count_at_least"))
		need = hv_exp_int(call, "count_at_least");
	if (t.n == 0 && t.named > 0 && alertname != NULL)
		hv_error(&call->err, "no alert matches %s (%zu %s alert%s "
		    "with other labels)", sel.s, t.named,
		    hv_node_text(hv_arg_node(call, "alertname"), 1),
		    t.named == 1 ? "" : "s");
	else if (t.n == 0)
		hv_error(&call->err, "no alert matches %s", sel.s);
	else if ((long long)t.n < need)
		hv_error(&call->err, "%zu alert%s match %s, expected at least "
		    "%lld", t.n, t.n == 1 ? "" : "s", sel.s, need);
	else
		ok = 1;
out:
	matchers_free(ms, n);
	json_decref(root);
	hv_buf_release(&sel);
	return ok;
}

static void
am_done(struct hv_http *h, void *arg)
{
	struct hv_call			*call = arg;
	const struct hv_http_res	*res = hv_http_result(h);
	struct hv_buf			 what = HV_BUF_INIT;
	int				 ok = 0;

	if (!res->ok) {
		call->broken = 1;
		hv_http_api_label(call, "GET", API_PATH, &what);
		hv_error(&call->err, "%s: %s", what.s, res->error);
		hv_buf_release(&what);
	} else
		ok = verdict(call, res);
	hv_http_call_done(call, h, ok);
}

/*
 * The query: every state, and the matchers as filters. Each value is
 * percent-encoded, so a matcher's quotes, braces and ~ reach the server
 * as written.
 */
static void
put_query(const struct hv_call *call, struct hv_buf *out)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	struct hv_buf		 m = HV_BUF_INIT;
	const char		*name, *v;
	size_t			 i;

	hv_buf_puts(out, "?active=true&silenced=true&inhibited=true"
	    "&unprocessed=true");
	name = hv_node_text(hv_arg_node(call, "alertname"), 0);
	if (name != NULL) {
		put_matcher(&m, "alertname", name);
		hv_buf_puts(out, "&filter=");
		hv_http_urlencode(out, m.s);
	}
	for (i = 0; ls != NULL && ls->kind == HV_NODE_MAP && i < ls->n; i++) {
		if ((v = hv_node_text(ls->items[i], 0)) == NULL)
			continue;
		hv_buf_reset(&m);
		put_matcher(&m, ls->keys[i]->str, v);
		hv_buf_puts(out, "&filter=");
		hv_http_urlencode(out, m.s);
	}
	hv_buf_release(&m);
}

static int
am_start(struct hv_call *call)
{
	struct hv_buf	path = HV_BUF_INIT;

	call->state[0] = '\0';
	hv_buf_puts(&path, API_PATH);
	put_query(call, &path);
	call->priv = hv_http_call_api(call, "GET", path.s, NULL, 0, am_done,
	    call, &call->err);
	hv_buf_release(&path);
	return call->priv != NULL ? 0 : -1;
}

/* A label's value at load time: a regex (~re) must compile. */
static int
check_value(const char *name, const struct hv_node *value,
    struct hv_buf *err)
{
	const char	*v = hv_node_text(value, 0);
	char		 msg[128];
	regex_t		 re;

	if (v == NULL || v[0] != '~' || strstr(v, "${") != NULL)
		return 0;
	if (compile(&re, v + 1, msg, sizeof msg) == -1)
		return hv_error(err, "labels.%s: bad regular expression "
		    "\"%s\": %s", name, hv_node_text(value, 1), msg);
	regfree(&re);
	return 0;
}

/* Load time: the URL, the name, the labels and their regexes. */
static int
am_check(const struct hv_call *call, struct hv_buf *err)
{
	int	ret = 0;

	if (hv_api_check_alert(call, check_value, err) == -1)
		ret = -1;
	if (hv_exp_has(call, "count_at_least")) {
		if (!hv_exp_bool(call, "active"))
			ret = hv_error(err, "count_at_least needs active: "
			    "true");
		else if (hv_exp_int(call, "count_at_least") < 1)
			ret = hv_error(err, "count_at_least: must be 1 or "
			    "more");
	}
	return ret;
}

/* GET http://mon:9093/api/v2/alerts alertname=NodeDown instance=web-1 */
static void
am_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	(void)revert;
	hv_http_api_label(call, "GET", API_PATH, out);
	hv_buf_putc(out, ' ');
	hv_api_describe_alert(call, out);
}

const struct hv_driver hv_probe_alertmanager = {
	.name = "alertmanager",
	.kind = HV_PROBE,
	.transport = &hv_transport_http,
	.target = HV_TARGET_NONE,
	.summary = "an alert with these labels is at Alertmanager (or is not)",
	.params = am_params,
	.expect = am_expect,
	.start = am_start,
	.check = am_check,
	.describe = am_describe,
	.cancel = hv_http_call_cancel,
};
