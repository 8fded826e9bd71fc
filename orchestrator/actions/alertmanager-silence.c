/*
 * alertmanager-silence.c - the alertmanager.silence action: a silence
 * for an alert (POST /api/v2/silences), expired again by the revert.
 *
 * The silence's comment carries the call's tag. The revert does not rely
 * on the id the POST returned (a crash, a lost response or `havoc
 * recover` in another process would lose it): it lists the silences and
 * expires every one still in force whose comment holds the tag, so it is
 * idempotent and also cleans up after an inject that half happened. The
 * list and the expiries are chained on the loop; the expiries run
 * concurrently, and the whole revert keeps within one timeout.
 *
 * Before it expires a silence, the revert lingers: it waits (at most
 * `linger`) until no alert that the silence matches fires any more. The
 * faults that made the alert fire were reverted just before; the alert
 * needs a few scrapes to clear, and a silence expired at once would page
 * on-call for what is already over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "driver.h"
#include "http.h"
#include "loop.h"
#include "node.h"
#include "util.h"

#define CREATE_PATH	"/api/v2/silences"
#define LIST_PATH	"/api/v2/silences"
#define EXPIRE_PATH	"/api/v2/silence/"
#define ALERTS_PATH	"/api/v2/alerts"
#define LINGER_POLL_MS	1000

static const struct hv_param silence_params[] = {
	{ "url", HV_T_STR, 1, NULL, NULL,
	  "base URL of Alertmanager, e.g. http://mon:9093 (a path prefix "
	  "is kept)" },
	{ "alertname", HV_T_STR, 1, NULL, NULL, "the alert to silence" },
	{ "labels", HV_T_MAP, 0, NULL, NULL,
	  "more matchers, name: value; a value starting with ~ is a "
	  "regular expression (instance: \"~web-.*\")" },
	{ "duration", HV_T_DURATION, 0, "10m", NULL,
	  "how long the silence lasts if it is not expired before" },
	{ "comment", HV_T_STR, 0, "havoc experiment", NULL,
	  "the silence's comment; havoc adds the step's tag" },
	{ "linger", HV_T_DURATION, 0, "1m", NULL,
	  "at the revert, keep the silence until the alerts it matches "
	  "have cleared, this long at most (0: expire at once)" },
	{ "timeout", HV_T_DURATION, 0, "10s", NULL,
	  "for creating, and for the revert's requests (list, then "
	  "expire), besides the linger" },
	HV_HTTP_CLIENT_PARAMS,
	{ NULL }
};

struct op;

/* One silence being expired. */
struct expiry {
	struct op	*op;
	struct hv_http	*h;
	char		*id;
	int		 ok;
	struct hv_buf	 why;
};

/* A call's work in flight, in call->priv. */
struct op {
	struct hv_call	*call;
	struct hv_http	*h;		/* the POST, or the list */
	struct expiry	*ex;
	size_t		 nex;
	size_t		 pending;
	int64_t		 deadline;	/* monotonic: the revert's budget */
	int64_t		 linger_until;	/* monotonic */
	int64_t		 linger_from;
	struct hv_timer	*timer;		/* the next look at the alerts */
	int		 firing;	/* alerts it matches, last look */
	char		 ends[32];	/* the silence's endsAt */
};

static void
op_free(struct op *op)
{
	size_t	i;

	if (op == NULL)
		return;
	if (op->timer != NULL)
		hv_loop_cancel(op->call->ctx->loop, op->timer);
	hv_http_free(op->h);
	for (i = 0; i < op->nex; i++) {
		hv_http_free(op->ex[i].h);
		free(op->ex[i].id);
		hv_buf_release(&op->ex[i].why);
	}
	free(op->ex);
	free(op);
}

/*
 * Starts op's first request and gives op to the call; -1 with op freed
 * when the request cannot start.
 */
static int
op_start(struct op *op, const char *method, const char *path,
    const char *body, hv_http_cb done)
{
	struct hv_call	*call = op->call;

	op->h = hv_http_call_api(call, method, path, body, 0, done, op,
	    &call->err);
	if (op->h == NULL) {
		op_free(op);
		return -1;
	}
	call->priv = op;
	return 0;
}

/* Frees the work and ends the call; nothing of op is touched after. */
static void
op_done(struct op *op, int ok)
{
	struct hv_call	*call = op->call;

	call->priv = NULL;
	op_free(op);
	hv_call_done(call, ok);
}

/*
 * Appends why a response is not a success: the transport's error, or the
 * status and what the body said.
 */
static void
put_failure(struct hv_buf *out, const struct hv_http_res *res)
{
	if (!res->ok) {
		hv_buf_puts(out, res->error);
		return;
	}
	hv_buf_printf(out, "status %ld", res->status);
	hv_api_error_body(out, res);
}

/* The comment as sent: the experiment's, then the tag in brackets. */
static char *
comment_of(const struct hv_call *call)
{
	const char	*c = hv_arg_str(call, "comment");

	return hv_xasprintf("%s [%s]", c != NULL ? c : "", call->tag);
}

static int
is_tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Whether a comment holds tag as a word of its own: havoc-r3-s2 is not
 * in a comment that says havoc-r3-s23.
 */
static int
has_tag(const char *comment, const char *tag)
{
	const char	*p = comment;
	size_t		 n = strlen(tag);

	if (n == 0)
		return 0;
	while ((p = strstr(p, tag)) != NULL) {
		if ((p == comment || !is_tag_char(p[-1])) &&
		    !is_tag_char(p[n]))
			return 1;
		p++;
	}
	return 0;
}

/* The matchers: alertname, then each label; "~re" is a regex. */
static json_t *
matchers_json(const struct hv_call *call)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	json_t			*a = json_array();
	const char		*v;
	size_t			 i;

	v = hv_node_text(hv_arg_node(call, "alertname"), 0);
	json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}", "name",
	    "alertname", "value", v != NULL ? v : "", "isRegex", 0,
	    "isEqual", 1));
	for (i = 0; ls != NULL && ls->kind == HV_NODE_MAP && i < ls->n; i++) {
		if ((v = hv_node_text(ls->items[i], 0)) == NULL)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}",
		    "name", ls->keys[i]->str, "value", v[0] == '~' ? v + 1 : v,
		    "isRegex", v[0] == '~', "isEqual", 1));
	}
	return a;
}

static void
create_done(struct hv_http *h, void *arg)
{
	struct op			*op = arg;
	struct hv_call			*call = op->call;
	const struct hv_http_res	*res = hv_http_result(h);
	json_t				*root;
	const char			*id;
	int				 ok = 0;

	call->latency_ms = res->total_ms;
	if (!hv_http_success(res)) {
		hv_http_api_label(call, "POST", CREATE_PATH, &call->err);
		hv_buf_puts(&call->err, ": ");
		put_failure(&call->err, res);
		op_done(op, 0);
		return;
	}
	root = json_loadb(res->body.s, res->body.len, 0, NULL);
	id = json_string_value(json_object_get(root, "silenceID"));
	if (id == NULL || *id == '\0')
		hv_error(&call->err, "alertmanager: unexpected response: no "
		    "silenceID (the revert finds the silence by its tag)");
	else {
		hv_buf_printf(&call->out, "silence %.64s until %s", id,
		    op->ends);
		ok = 1;
	}
	json_decref(root);
	op_done(op, ok);
}

static int
silence_start(struct hv_call *call)
{
	struct op	*op;
	json_t		*body;
	char		*comment, *text, starts[32];
	int64_t		 now = hv_wall_ms();
	int		 rc;

	if (call->tag == NULL || *call->tag == '\0')
		return hv_error(&call->err, "no tag to find the silence by "
		    "again");
	op = hv_xcalloc(1, sizeof *op);
	op->call = call;
	hv_format_time(now, starts, sizeof starts);
	hv_format_time(now + hv_arg_ms(call, "duration"), op->ends,
	    sizeof op->ends);
	comment = comment_of(call);
	body = json_pack("{s:o, s:s, s:s, s:s, s:s}", "matchers",
	    matchers_json(call), "startsAt", starts, "endsAt", op->ends,
	    "createdBy", "havoc", "comment", comment);
	text = json_dumps(body, JSON_COMPACT);
	rc = op_start(op, "POST", CREATE_PATH, text != NULL ? text : "{}",
	    create_done);
	free(text);
	free(comment);
	json_decref(body);
	return rc;
}

/* Ends the revert once every expiry has answered. */
static void
revert_finish(struct op *op)
{
	struct hv_call	*call = op->call;
	size_t		 i, done = 0;
	int		 ok = 1;

	for (i = 0; i < op->nex; i++) {
		if (!op->ex[i].ok) {
			hv_error(&call->err, "%s", op->ex[i].why.s);
			ok = 0;
			continue;
		}
		hv_buf_printf(&call->out, "%s%.64s", done == 0 ?
		    "expired silence " : ", ", op->ex[i].id);
		done++;
	}
	op_done(op, ok);
}

static void
expire_done(struct hv_http *h, void *arg)
{
	struct expiry			*ex = arg;
	struct op			*op = ex->op;
	const struct hv_http_res	*res = hv_http_result(h);

	/*
	 * Gone (404) or expired meanwhile is what the revert wants: the
	 * silence is no longer in force.
	 */
	if (hv_http_success(res) || (res->ok && res->status == 404) ||
	    (res->ok && res->status == 500 &&
	    strstr(res->body.s, "already expired") != NULL))
		ex->ok = 1;
	else {
		hv_http_api_label(op->call, "DELETE", EXPIRE_PATH, &ex->why);
		hv_buf_printf(&ex->why, "%.64s: ", ex->id);
		put_failure(&ex->why, res);
	}
	ex->h = NULL;
	hv_http_free(h);
	if (--op->pending == 0)
		revert_finish(op);
}

/*
 * The ids of the silences in force whose comment holds tag, into op->ex.
 * -1 with a message in err when the list is not the API's.
 */
static int
collect(struct op *op, json_t *root, const char *tag, struct hv_buf *err)
{
	json_t		*s;
	const char	*comment, *id, *state;
	size_t		 i;

	if (!json_is_array(root))
		return hv_error(err, "alertmanager: unexpected response: not "
		    "a list of silences");
	op->ex = hv_xcalloc(json_array_size(root) + 1, sizeof *op->ex);
	json_array_foreach(root, i, s) {
		comment = json_string_value(json_object_get(s, "comment"));
		if (comment == NULL || !has_tag(comment, tag))
			continue;
		id = json_string_value(json_object_get(s, "id"));
		if (id == NULL || *id == '\0')
			return hv_error(err, "alertmanager: unexpected "
			    "response: silence %zu has no id", i + 1);
		state = json_string_value(json_object_get(json_object_get(s,
		    "status"), "state"));
		if (state != NULL && strcmp(state, "expired") == 0)
			continue;
		op->ex[op->nex].op = op;
		op->ex[op->nex].id = hv_xstrdup(id);
		hv_buf_init(&op->ex[op->nex].why);
		op->nex++;
	}
	return 0;
}

/* Expires every silence collected; they share the revert's timeout. */
static void
expire_all(struct op *op)
{
	struct hv_call	*call = op->call;
	struct hv_buf	 path = HV_BUF_INIT;
	struct expiry	*ex;
	int64_t		 left;
	size_t		 i;

	left = op->deadline - hv_mono_ms();
	if (left <= 0) {
		hv_error(&call->err, "timed out before expiring %zu silence%s",
		    op->nex, op->nex == 1 ? "" : "s");
		op_done(op, 0);
		return;
	}
	for (i = 0; i < op->nex; i++) {
		ex = &op->ex[i];
		hv_buf_reset(&path);
		hv_buf_puts(&path, EXPIRE_PATH);
		hv_http_urlencode(&path, ex->id);
		ex->h = hv_http_call_api(call, "DELETE", path.s, NULL, left,
		    expire_done, ex, &ex->why);
		if (ex->h != NULL)
			op->pending++;
	}
	hv_buf_release(&path);
	if (op->pending == 0)
		revert_finish(op);
}

/* The alerts API's query for what the silence matches, in any state. */
static void
alerts_query(const struct hv_call *call, struct hv_buf *path)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	struct hv_buf		 f = HV_BUF_INIT;
	const char		*v;
	size_t			 i;

	hv_buf_puts(path, ALERTS_PATH "?active=true&silenced=true"
	    "&inhibited=true&unprocessed=true&filter=");
	v = hv_node_text(hv_arg_node(call, "alertname"), 0);
	hv_buf_puts(&f, "alertname=");
	hv_api_put_quoted(&f, v != NULL ? v : "");
	hv_http_urlencode(path, f.s);
	for (i = 0; ls != NULL && ls->kind == HV_NODE_MAP && i < ls->n; i++) {
		if ((v = hv_node_text(ls->items[i], 0)) == NULL)
			continue;
		hv_buf_reset(&f);
		hv_buf_printf(&f, "%s%s", ls->keys[i]->str, v[0] == '~' ?
		    "=~" : "=");
		hv_api_put_quoted(&f, v[0] == '~' ? v + 1 : v);
		hv_buf_puts(path, "&filter=");
		hv_http_urlencode(path, f.s);
	}
	hv_buf_release(&f);
}

static void	linger_look(struct op *);

static void
on_linger(void *arg)
{
	struct op	*op = arg;

	op->timer = NULL;
	linger_look(op);
}

static void
linger_done(struct hv_http *h, void *arg)
{
	struct op			*op = arg;
	struct hv_call			*call = op->call;
	const struct hv_http_res	*res = hv_http_result(h);
	json_t				*root;
	char				 d[32];

	op->h = NULL;
	root = hv_http_success(res) ? json_loadb(res->body.s, res->body.len,
	    0, NULL) : NULL;
	/* A look that failed counts as firing: wait on, within linger. */
	op->firing = json_is_array(root) ? (int)json_array_size(root) : -1;
	json_decref(root);
	hv_http_free(h);
	if (op->firing == 0) {
		if (hv_mono_ms() - op->linger_from >= LINGER_POLL_MS)
			hv_buf_printf(&call->out, "kept %s until the alerts "
			    "cleared; ", hv_format_duration(hv_mono_ms() -
			    op->linger_from, d, sizeof d));
		expire_all(op);
		return;
	}
	if (hv_mono_ms() + LINGER_POLL_MS >= op->linger_until) {
		hv_buf_printf(&call->out, "alerts still firing after %s; ",
		    hv_format_duration(hv_mono_ms() - op->linger_from, d,
		    sizeof d));
		expire_all(op);
		return;
	}
	op->timer = hv_loop_timer(call->ctx->loop, LINGER_POLL_MS, on_linger,
	    op);
}

/* Looks whether an alert the silence matches still fires. */
static void
linger_look(struct op *op)
{
	struct hv_call	*call = op->call;
	struct hv_buf	 path = HV_BUF_INIT, err = HV_BUF_INIT;

	alerts_query(call, &path);
	op->h = hv_http_call_api(call, "GET", path.s, NULL,
	    hv_arg_ms(call, "timeout"), linger_done, op, &err);
	hv_buf_release(&path);
	hv_buf_release(&err);
	if (op->h == NULL)
		expire_all(op);
}

static void
list_done(struct hv_http *h, void *arg)
{
	struct op			*op = arg;
	struct hv_call			*call = op->call;
	const struct hv_http_res	*res = hv_http_result(h);
	json_t				*root = NULL;

	call->latency_ms = res->total_ms;
	if (!hv_http_success(res)) {
		hv_http_api_label(call, "GET", LIST_PATH, &call->err);
		hv_buf_puts(&call->err, ": ");
		put_failure(&call->err, res);
		goto fail;
	}
	root = hv_api_json(res, 0, "alertmanager: response", &call->err);
	if (root == NULL)
		goto fail;
	if (collect(op, root, call->tag, &call->err) == -1)
		goto fail;
	json_decref(root);
	root = NULL;
	op->h = NULL;
	hv_http_free(h);
	if (op->nex == 0) {
		hv_buf_printf(&call->out, "no silence of %s in force",
		    call->tag);
		op_done(op, 1);
		return;
	}

	/* Lingers first, while what the silence hides still fires. */
	if (hv_arg_ms(call, "linger") > 0) {
		op->linger_from = hv_mono_ms();
		op->linger_until = op->linger_from + hv_arg_ms(call,
		    "linger");
		linger_look(op);
		return;
	}
	expire_all(op);
	return;
fail:
	json_decref(root);
	op_done(op, 0);
}

static int
silence_revert(struct hv_call *call)
{
	struct op	*op;

	if (call->tag == NULL || *call->tag == '\0')
		return hv_error(&call->err, "no tag to find the silence by");
	op = hv_xcalloc(1, sizeof *op);
	op->call = call;
	op->deadline = hv_mono_ms() + hv_arg_ms(call, "timeout") +
	    hv_arg_ms(call, "linger");
	return op_start(op, "GET", LIST_PATH, NULL, list_done);
}

static void
silence_cancel(struct hv_call *call)
{
	if (call->priv == NULL)
		return;
	op_free(call->priv);
	call->priv = NULL;
	hv_call_fail(call, "cancelled");
}

/*
 * A label's value at load time. Alertmanager's regexes are RE2: it checks
 * them itself, all but an empty one.
 */
static int
check_value(const char *name, const struct hv_node *value,
    struct hv_buf *err)
{
	const char	*v = hv_node_text(value, 0);

	if (v != NULL && strcmp(v, "~") == 0)
		return hv_error(err, "labels.%s: empty regular expression",
		    name);
	return 0;
}

/* Load time: the URL, the name, the labels and the duration. */
static int
silence_check(const struct hv_call *call, struct hv_buf *err)
{
	int	ret = 0;

	if (hv_api_check_alert(call, check_value, err) == -1)
		ret = -1;
	if (hv_arg_has(call, "duration") && hv_arg_ms(call, "duration") <= 0)
		ret = hv_error(err, "duration: must be more than 0");
	return ret;
}

/*
 * "silence alertname=NodeDown instance=web-1 for 10m", and for the
 * revert "expire havoc's silence havoc-r3-s2".
 */
static void
silence_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	const char	*v;

	if (revert) {
		hv_buf_printf(out, "expire havoc's silence %s",
		    call->tag != NULL ? call->tag : "(no tag)");
		return;
	}
	hv_buf_puts(out, "silence ");
	hv_api_describe_alert(call, out);
	v = hv_arg_str(call, "duration");
	hv_buf_printf(out, " for %s", v != NULL ? v : "?");
}

/* Creating takes its timeout; a revert may linger besides. */
static int64_t
silence_budget(const struct hv_call *call)
{
	return hv_arg_ms(call, "timeout") + (call->reverting ?
	    hv_arg_ms(call, "linger") : 0);
}

const struct hv_driver hv_action_alertmanager_silence = {
	.name = "alertmanager.silence",
	.kind = HV_ACTION,
	.transport = &hv_transport_http,
	.target = HV_TARGET_NONE,
	.summary = "silence an alert at Alertmanager; reverted by expiring "
	    "it",
	.params = silence_params,
	.start = silence_start,
	.revert = silence_revert,
	.check = silence_check,
	.describe = silence_describe,
	.cancel = silence_cancel,
	.budget = silence_budget,
};
