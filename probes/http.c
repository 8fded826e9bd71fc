/*
 * http.c - the http probe: one request, then its status, latency, body,
 * JSON fields and headers against what the experiment expects.
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

#define FAIL_BODY_MAX	1024	/* of a failing response, kept in out */

static const struct hv_param http_params[] = {
	{ "url", HV_T_STR, 1, NULL, NULL, "http:// or https:// URL" },
	{ "method", HV_T_STR, 0, "GET", NULL, "request method" },
	{ "body", HV_T_STR, 0, NULL, NULL,
	  "request body; a body starting with { or [ is sent as "
	  "application/json unless headers say otherwise" },
	{ "timeout", HV_T_DURATION, 0, "5s", NULL,
	  "for the whole request, connecting included" },
	HV_HTTP_CLIENT_PARAMS,
	{ NULL }
};

static const struct hv_param http_expect[] = {
	{ "status", HV_T_ANY, 0, NULL, NULL,
	  "200, \"2xx\" or a list of them; by default any status below 400" },
	{ "latency_below", HV_T_DURATION, 0, NULL, NULL,
	  "the whole request must take less" },
	{ "body_matches", HV_T_STR, 0, NULL, NULL,
	  "extended regular expression the body must match" },
	{ "body_not_matches", HV_T_STR, 0, NULL, NULL,
	  "extended regular expression the body must not match" },
	{ "json", HV_T_ANY, 0, NULL, NULL,
	  "map of path: value the JSON body must hold, e.g. "
	  "data.items.0.name: web, $.status: ok, data.error: null" },
	{ "header", HV_T_MAP, 0, NULL, NULL,
	  "response header: regular expression its value must match" },
	{ NULL }
};

/* The expectation's spelling for messages: secrets stay references. */
static const char *
shown(const struct hv_node *n)
{
	if (n == NULL || n->kind != HV_NODE_SCALAR)
		return "";
	return n->shown != NULL ? n->shown : n->str;
}

/* Compiles pattern; -1 with a message naming what when it is invalid. */
static int
compile(regex_t *re, const struct hv_node *n, const char *what,
    struct hv_buf *err)
{
	char	msg[128];
	int	rc;

	if (n == NULL || n->kind != HV_NODE_SCALAR || n->str == NULL)
		return hv_error(err, "%s: expected a regular expression", what);
	if ((rc = regcomp(re, n->str, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, re, msg, sizeof msg);
		return hv_error(err, "%s: bad regular expression \"%s\": %s",
		    what, shown(n), msg);
	}
	return 0;
}

/* Whether a regular expression (already checked) matches s. */
static int
matches(const struct hv_node *n, const char *s)
{
	regex_t	re;
	int	m;

	if (n->kind != HV_NODE_SCALAR || n->str == NULL)
		return 0;
	if (regcomp(&re, n->str, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/*
 * Reads the next segment of a path like data.items.0.name, $.data.status
 * or items[0].name into seg. Returns 1 for a segment, 0 at the end and -1
 * when the path is malformed.
 */
static int
next_segment(const char **pp, struct hv_buf *seg)
{
	const char	*p = *pp;
	size_t		 n;

	hv_buf_reset(seg);
	if (*p == '\0')
		return 0;
	if (*p == '[') {
		n = strcspn(p + 1, "]");
		if (n == 0 || p[1 + n] != ']')
			return -1;
		hv_buf_add(seg, p + 1, n);
		p += n + 2;
	} else {
		if ((n = strcspn(p, ".[")) == 0)
			return -1;
		hv_buf_add(seg, p, n);
		p += n;
	}
	if (*p == '.') {
		p++;
		if (*p == '\0' || *p == '.' || *p == '[')
			return -1;
	} else if (*p != '\0' && *p != '[')
		return -1;
	*pp = p;
	return 1;
}

/* Skips the optional "$" or "$." that starts a JSONPath-like path. */
static const char *
path_start(const char *path)
{
	if (path[0] == '$')
		path++;
	if (path[0] == '.')
		path++;
	return path;
}

/* Whether a path is well formed. */
static int
path_ok(const char *path)
{
	struct hv_buf	 seg = HV_BUF_INIT;
	const char	*p = path_start(path);
	int		 r, n = 0;

	while ((r = next_segment(&p, &seg)) == 1)
		n++;
	hv_buf_release(&seg);
	return r == 0 && n > 0;
}

/* Follows path from root: the value (borrowed), or NULL. */
static json_t *
json_path(json_t *root, const char *path)
{
	json_t		*cur = root;
	struct hv_buf	 seg = HV_BUF_INIT;
	const char	*p = path_start(path);
	long long	 idx;

	while (cur != NULL && next_segment(&p, &seg) == 1) {
		if (json_is_object(cur))
			cur = json_object_get(cur, seg.s);
		else if (json_is_array(cur) && hv_parse_int(seg.s, &idx) == 0 &&
		    idx >= 0)
			cur = json_array_get(cur, (size_t)idx);
		else
			cur = NULL;
	}
	hv_buf_release(&seg);
	return cur;
}

/* Writes a JSON value as the experiment would spell it. */
static void
json_text(const json_t *v, struct hv_buf *out)
{
	char	*s;

	if (json_is_string(v))
		hv_buf_puts(out, json_string_value(v));
	else if (json_is_integer(v))
		hv_buf_printf(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		hv_buf_printf(out, "%.15g", json_real_value(v));
	else if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
	    JSON_SORT_KEYS)) != NULL) {
		hv_buf_puts(out, s);
		free(s);
	}
}

/* Whether a JSON value equals the expected text from the experiment. */
static int
json_equals(const json_t *v, const char *want, struct hv_buf *scratch)
{
	json_t	*w;
	double	 d;
	int	 eq;

	if (json_is_number(v) && hv_parse_num(want, &d) == 0)
		return json_number_value(v) == d;
	if (json_is_object(v) || json_is_array(v)) {
		if ((w = json_loads(want, JSON_DECODE_ANY, NULL)) == NULL)
			return 0;
		eq = json_equal(v, w);
		json_decref(w);
		return eq;
	}
	hv_buf_reset(scratch);
	json_text(v, scratch);
	return strcmp(scratch->s, want) == 0;
}

/* Checks the json: expectations against the body; appends failures. */
static void
check_json(struct hv_call *call, const struct hv_node *js,
    const struct hv_http_res *res)
{
	json_t		*root, *v;
	struct hv_buf	 got = HV_BUF_INIT;
	const char	*path;
	size_t		 i;

	root = hv_api_json(res, JSON_DECODE_ANY, "body", &call->err);
	if (root == NULL)
		return;
	for (i = 0; i < js->n; i++) {
		path = js->keys[i]->str;
		v = json_path(root, path);
		if (v == NULL) {
			hv_error(&call->err, "json %s: missing", path);
			continue;
		}
		if (js->items[i]->kind != HV_NODE_SCALAR) {
			/* YAML null (~, null, nothing) expects JSON null. */
			if (!json_is_null(v)) {
				hv_buf_reset(&got);
				json_text(v, &got);
				hv_error(&call->err, "json %s is \"%.80s\", "
				    "expected null", path, got.s);
			}
			continue;
		}
		if (json_equals(v, js->items[i]->str, &got))
			continue;
		hv_buf_reset(&got);
		json_text(v, &got);
		hv_error(&call->err, "json %s is \"%.80s\", expected \"%s\"",
		    path, got.s, shown(js->items[i]));
	}
	hv_buf_release(&got);
	json_decref(root);
}

/* Checks the header: expectations; appends failures. */
static void
check_headers(struct hv_call *call, const struct hv_node *hs,
    const struct hv_http_res *res)
{
	struct hv_buf	 val = HV_BUF_INIT;
	const char	*name;
	size_t		 i;

	for (i = 0; i < hs->n; i++) {
		name = hs->keys[i]->str;
		hv_buf_reset(&val);
		if (hv_http_header(res, name, &val) == -1)
			hv_error(&call->err, "header %s missing", name);
		else if (!matches(hs->items[i], val.s))
			hv_error(&call->err, "header %s \"%.80s\" does not "
			    "match \"%s\"", name, val.s, shown(hs->items[i]));
	}
	hv_buf_release(&val);
}

/* Every expectation against a complete response; 1 when all hold. */
static int
verdict(struct hv_call *call, const struct hv_http_res *res)
{
	const struct hv_node	*n;
	struct hv_buf		 want = HV_BUF_INIT;
	int64_t			 bound;
	size_t			 before = call->err.len;

	if (!hv_http_status_match(hv_exp_node(call, "status"), res->status,
	    &want))
		hv_error(&call->err, "status %ld, expected %s", res->status,
		    want.s);
	if (hv_exp_has(call, "latency_below")) {
		bound = hv_exp_ms(call, "latency_below");
		if (res->total_ms >= (double)bound)
			hv_error(&call->err, "latency %.0f ms above %lld ms",
			    res->total_ms, (long long)bound);
	}
	if ((n = hv_exp_node(call, "body_matches")) != NULL &&
	    !matches(n, res->body.s))
		hv_error(&call->err, "body does not match \"%s\"", shown(n));
	if ((n = hv_exp_node(call, "body_not_matches")) != NULL &&
	    matches(n, res->body.s))
		hv_error(&call->err, "body matches \"%s\"", shown(n));
	if ((n = hv_exp_node(call, "json")) != NULL && n->kind == HV_NODE_MAP)
		check_json(call, n, res);
	if ((n = hv_exp_node(call, "header")) != NULL &&
	    n->kind == HV_NODE_MAP)
		check_headers(call, n, res);
	hv_buf_release(&want);
	return call->err.len == before;
}

static void
http_done(struct hv_http *h, void *arg)
{
	struct hv_call			*call = arg;
	const struct hv_http_res	*res = hv_http_result(h);
	struct hv_buf			 label = HV_BUF_INIT;
	int				 ok = 0;

	if (!res->ok) {
		hv_http_call_label(call, "method", "url", &label);
		hv_error(&call->err, "%s: %s", label.s, res->error);
		hv_buf_release(&label);
		hv_http_summary(res, 0, &call->out);
	} else {
		ok = verdict(call, res);
		hv_http_summary(res, ok ? 0 : FAIL_BODY_MAX, &call->out);
	}
	hv_http_call_done(call, h, ok);
}

static int
http_start(struct hv_call *call)
{
	call->priv = hv_http_call_start(call, "method", "url", "body",
	    http_done, call, &call->err);
	return call->priv != NULL ? 0 : -1;
}

/* Load time: URL, method, headers, and every expectation's form. */
static int
http_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*n;
	struct hv_buf		 why = HV_BUF_INIT;
	regex_t			 re;
	size_t			 i;
	int			 ret = 0;

	if (hv_http_call_check(call, "method", "url", err) == -1)
		ret = -1;
	if (hv_http_status_check(hv_exp_node(call, "status"), &why) == -1)
		ret = hv_error(err, "status: %s", why.s);
	if ((n = hv_exp_node(call, "body_matches")) != NULL) {
		if (compile(&re, n, "body_matches", err) == -1)
			ret = -1;
		else
			regfree(&re);
	}
	if ((n = hv_exp_node(call, "body_not_matches")) != NULL) {
		if (compile(&re, n, "body_not_matches", err) == -1)
			ret = -1;
		else
			regfree(&re);
	}
	n = hv_exp_node(call, "header");
	for (i = 0; n != NULL && n->kind == HV_NODE_MAP && i < n->n; i++) {
		hv_buf_reset(&why);
		hv_buf_printf(&why, "header %s", n->keys[i]->str);
		if (compile(&re, n->items[i], why.s, err) == -1)
			ret = -1;
		else
			regfree(&re);
	}
	n = hv_exp_node(call, "json");
	if (n != NULL && n->kind != HV_NODE_MAP)
		ret = hv_error(err, "json: expected a map of path: value");
	for (i = 0; n != NULL && n->kind == HV_NODE_MAP && i < n->n; i++) {
		if (!path_ok(n->keys[i]->str))
			ret = hv_error(err, "json: bad path \"%s\"",
			    n->keys[i]->str);
		else if (n->items[i]->kind != HV_NODE_SCALAR &&
		    n->items[i]->kind != HV_NODE_NULL)
			ret = hv_error(err, "json %s: expected a value, not %s",
			    n->keys[i]->str, hv_node_kind_name(n->items[i]));
	}
	hv_buf_release(&why);
	return ret;
}

static void
http_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	(void)revert;
	hv_http_call_label(call, "method", "url", out);
}

const struct hv_driver hv_probe_http = {
	.name = "http",
	.kind = HV_PROBE,
	.transport = &hv_transport_http,
	.target = HV_TARGET_NONE,
	.summary = "an HTTP request: status, latency, body, JSON, headers",
	.params = http_params,
	.expect = http_expect,
	.start = http_start,
	.check = http_check,
	.describe = http_describe,
	.cancel = hv_http_call_cancel,
};
