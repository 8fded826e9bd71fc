/*
 * prometheus.c - the prometheus probe: one instant query (GET
 * /api/v1/query) and a bound on the values it returns.
 *
 * A query that returns no series fails unless the experiment expects
 * none (empty: true), as a Prometheus alerting rule fires only when its
 * expression returns something. With several series one meeting the
 * bound is enough, unless all: true.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "driver.h"
#include "http.h"
#include "node.h"
#include "util.h"

#define API_PATH	"/api/v1/query"
#define OUT_SERIES	20	/* series listed in out */
#define ERR_SERIES	5	/* failing series named in err */

static const struct hv_param prom_params[] = {
	{ "url", HV_T_STR, 1, NULL, NULL,
	  "base URL of Prometheus, e.g. http://mon:9090 (a path prefix is "
	  "kept)" },
	{ "query", HV_T_STR, 1, NULL, NULL,
	  "PromQL expression, evaluated now (an instant query)" },
	{ "timeout", HV_T_DURATION, 0, "5s", NULL,
	  "for the whole request, connecting included" },
	HV_HTTP_CLIENT_PARAMS,
	{ NULL }
};

static const struct hv_param prom_expect[] = {
	{ "value", HV_T_STR, 0, NULL, NULL,
	  "bound on the value, quoted: \"< 0.5\", \"<= 3\", \"> 0\", "
	  "\">= 1\", \"== 1\", \"!= 0\", or a range \"0.1..0.9\" (ends "
	  "included)" },
	{ "empty", HV_T_BOOL, 0, "false", NULL,
	  "true: the query must return no series; false: at least one" },
	{ "all", HV_T_BOOL, 0, "false", NULL,
	  "every series must meet value (by default one is enough)" },
	{ NULL }
};

enum bound_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_RANGE };

/* A parsed value: expectation. */
struct bound {
	enum bound_op	 op;
	double		 lo;		/* the operand, or a range's ends */
	double		 hi;
	char		 text[64];	/* "< 0.5", "within 0.1..0.9" */
};

/* One sample of the result: a series (or the scalar) and its value. */
struct sample {
	json_t		*metric;	/* borrowed; NULL: no labels */
	char		 text[40];	/* the value as Prometheus wrote it */
	double		 v;
};

static const struct {
	const char	*word;
	enum bound_op	 op;
} bound_ops[] = {
	/* Two-character operators first: "<=" is not "<" then "=". */
	{ "<=", OP_LE }, { ">=", OP_GE }, { "==", OP_EQ }, { "!=", OP_NE },
	{ "<", OP_LT }, { ">", OP_GT },
};

/* A number of a bound, without the spaces around it. */
static int
bound_num(const char *s, size_t len, double *out)
{
	char	*copy;
	int	 rc;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	copy = hv_xstrndup(s, len);
	rc = hv_parse_num(copy, out);
	free(copy);
	return rc;
}

/*
 * Reads "< 0.5", "0.1..0.9" or a bare number (==) into b; messages name
 * the bound as shown (its spelling with secrets as references).
 */
static int
bound_parse(const char *s, const char *shown, struct bound *b,
    struct hv_buf *err)
{
	const char	*p = s, *dots;
	size_t		 i, n;

	memset(b, 0, sizeof *b);
	while (*p == ' ' || *p == '\t')
		p++;
	for (i = 0; i < HV_ARRAY_LEN(bound_ops); i++) {
		n = strlen(bound_ops[i].word);
		if (strncmp(p, bound_ops[i].word, n) != 0)
			continue;
		b->op = bound_ops[i].op;
		if (bound_num(p + n, strlen(p + n), &b->lo) == -1)
			break;
		snprintf(b->text, sizeof b->text, "%s %.15g",
		    bound_ops[i].word, b->lo);
		return 0;
	}
	if (i == HV_ARRAY_LEN(bound_ops)) {
		if ((dots = strstr(p, "..")) != NULL) {
			b->op = OP_RANGE;
			if (bound_num(p, (size_t)(dots - p), &b->lo) == 0 &&
			    bound_num(dots + 2, strlen(dots + 2), &b->hi) ==
			    0) {
				if (b->lo > b->hi)
					return hv_error(err, "value: range "
					    "\"%s\" runs backwards", shown);
				snprintf(b->text, sizeof b->text,
				    "within %.15g..%.15g", b->lo, b->hi);
				return 0;
			}
		} else if (bound_num(p, strlen(p), &b->lo) == 0) {
			b->op = OP_EQ;
			snprintf(b->text, sizeof b->text, "== %.15g", b->lo);
			return 0;
		}
	}
	return hv_error(err, "value: \"%s\" is not a bound like \"< 0.5\", "
	    "\">= 1\", \"!= 0\" or \"0.1..0.9\"", shown);
}

static int
bound_holds(const struct bound *b, double v)
{
	switch (b->op) {
	case OP_LT:
		return v < b->lo;
	case OP_LE:
		return v <= b->lo;
	case OP_GT:
		return v > b->lo;
	case OP_GE:
		return v >= b->lo;
	case OP_EQ:
		return v == b->lo;
	case OP_NE:
		return v != b->lo;
	case OP_RANGE:
		return v >= b->lo && v <= b->hi;
	}
	return 0;
}

/* "query up at http://mon:9090": what the probe asks, for messages. */
static void
label(const struct hv_call *call, struct hv_buf *out)
{
	const char	*q = hv_node_text(hv_arg_node(call, "query"), 1);

	hv_buf_printf(out, "query %s at ", q != NULL ? q : "?");
	hv_http_base_url(call, 1, out);
}

/* Appends a series as Prometheus shows it: up{job="node"} 1. */
static void
put_sample(struct hv_buf *out, const struct sample *s)
{
	const char	*name;

	name = json_string_value(json_object_get(s->metric, "__name__"));
	hv_buf_printf(out, "%s{", name != NULL ? name : "");
	hv_api_put_labels(out, s->metric, "__name__");
	hv_buf_printf(out, "} %s", s->text);
}

/*
 * Reads a [time, "value"] pair. Values are strings in the API ("0.5",
 * "NaN", "+Inf"); a number is taken too. -1 when it is neither.
 */
static int
read_pair(json_t *pair, struct sample *s)
{
	json_t		*v = json_array_get(pair, 1);
	const char	*t;
	char		*end;

	if (!json_is_array(pair) || json_array_size(pair) != 2 ||
	    !json_is_number(json_array_get(pair, 0)))
		return -1;
	if (json_is_number(v)) {
		s->v = json_number_value(v);
		snprintf(s->text, sizeof s->text, "%.15g", s->v);
		return 0;
	}
	if (!json_is_string(v) || *(t = json_string_value(v)) == '\0')
		return -1;
	errno = 0;
	s->v = strtod(t, &end);
	/* Overflow is +Inf as Prometheus means it; garbage is not. */
	if (*end != '\0' || (errno != 0 && isfinite(s->v)))
		return -1;
	snprintf(s->text, sizeof s->text, "%s", t);
	return 0;
}

/*
 * The samples of a successful response's data: a new array in *out
 * (caller frees) of *n samples, *scalar set for a scalar result. -1 with
 * a message in err when data is not what the API returns.
 */
static int
read_result(json_t *data, struct sample **out, size_t *n, int *scalar,
    struct hv_buf *err)
{
	json_t		*result, *item, *metric;
	const char	*type;
	struct sample	*ss;
	size_t		 i;

	*out = NULL;
	*n = 0;
	*scalar = 0;
	type = json_string_value(json_object_get(data, "resultType"));
	result = json_object_get(data, "result");
	if (type == NULL)
		return hv_error(err, "prometheus: unexpected response: no "
		    "data.resultType");
	if (strcmp(type, "scalar") == 0) {
		ss = hv_xcalloc(1, sizeof *ss);
		if (read_pair(result, ss) == -1) {
			free(ss);
			return hv_error(err, "prometheus: unexpected response: "
			    "the scalar is not [time, \"value\"]");
		}
		*scalar = 1;
		*out = ss;
		*n = 1;
		return 0;
	}
	if (strcmp(type, "matrix") == 0)
		return hv_error(err, "prometheus: the query returned a range "
		    "vector; give an instant vector (e.g. "
		    "last_over_time(...))");
	if (strcmp(type, "string") == 0)
		return hv_error(err, "prometheus: the query returned a string, "
		    "not a number");
	if (strcmp(type, "vector") != 0)
		return hv_error(err, "prometheus: unexpected result type "
		    "\"%.40s\"", type);
	if (!json_is_array(result))
		return hv_error(err, "prometheus: unexpected response: the "
		    "vector's result is not a list");

	ss = hv_xcalloc(json_array_size(result) + 1, sizeof *ss);
	json_array_foreach(result, i, item) {
		metric = json_object_get(item, "metric");
		if (!json_is_object(item) || (metric != NULL &&
		    !json_is_object(metric))) {
			free(ss);
			return hv_error(err, "prometheus: unexpected response: "
			    "series %zu is not {metric, value}", i + 1);
		}
		if (json_object_get(item, "value") == NULL &&
		    json_object_get(item, "histogram") != NULL) {
			free(ss);
			return hv_error(err, "prometheus: series %zu is a "
			    "native histogram, not a number", i + 1);
		}
		if (read_pair(json_object_get(item, "value"), &ss[i]) == -1) {
			free(ss);
			return hv_error(err, "prometheus: unexpected response: "
			    "series %zu has no [time, \"value\"]", i + 1);
		}
		ss[i].metric = metric;
	}
	*out = ss;
	*n = json_array_size(result);
	return 0;
}

/* The series' labels as " (instance="web-1")", or nothing. */
static void
put_where(struct hv_buf *out, const struct sample *s)
{
	size_t	before;

	hv_buf_puts(out, " (");
	before = out->len;
	hv_api_put_labels(out, s->metric, "__name__");
	if (out->len == before) {
		out->len -= 2;
		out->s[out->len] = '\0';
	} else
		hv_buf_putc(out, ')');
}

/* The samples against value, all and empty; 1 when they hold. */
static int
judge(struct hv_call *call, const struct sample *ss, size_t n, int scalar)
{
	struct bound	 b;
	struct hv_buf	 where = HV_BUF_INIT;
	size_t		 i, met = 0, told = 0, failing;
	int		 all;

	if (hv_exp_bool(call, "empty")) {
		if (scalar)
			hv_error(&call->err, "query returned a scalar, "
			    "expected no series");
		else if (n > 0)
			hv_error(&call->err, "query returned %zu series, "
			    "expected none", n);
		return n == 0;
	}
	if (n == 0) {
		hv_error(&call->err, "query returned no series");
		return 0;
	}
	if (!hv_exp_has(call, "value"))
		return 1;
	if (bound_parse(hv_exp_str(call, "value"),
	    hv_node_text(hv_exp_node(call, "value"), 1), &b, &call->err) == -1)
		return 0;
	all = hv_exp_bool(call, "all");
	for (i = 0; i < n; i++)
		met += bound_holds(&b, ss[i].v);
	if (all ? met == n : met > 0)
		return 1;
	failing = n - met;
	for (i = 0; i < n && told < ERR_SERIES; i++) {
		if (bound_holds(&b, ss[i].v))
			continue;
		hv_buf_reset(&where);
		if (!scalar)
			put_where(&where, &ss[i]);
		hv_error(&call->err, "value %s%s not %s", ss[i].text, where.s,
		    b.text);
		told++;
	}
	if (failing > told)
		hv_error(&call->err, "and %zu more series", failing - told);
	hv_buf_release(&where);
	return 0;
}

/* Writes what the query returned into out: one line per series. */
static void
summarize(struct hv_call *call, const struct sample *ss, size_t n,
    int scalar, json_t *warnings)
{
	json_t	*w;
	size_t	 i;

	if (scalar)
		hv_buf_printf(&call->out, "scalar %s", ss[0].text);
	else if (n == 0)
		hv_buf_puts(&call->out, "no series");
	for (i = 0; !scalar && i < n && i < OUT_SERIES; i++) {
		if (i > 0)
			hv_buf_putc(&call->out, '\n');
		put_sample(&call->out, &ss[i]);
	}
	if (!scalar && n > OUT_SERIES)
		hv_buf_printf(&call->out, "\n... and %zu more series",
		    n - OUT_SERIES);
	json_array_foreach(warnings, i, w) {
		if (json_is_string(w) && i < 3)
			hv_buf_printf(&call->out, "\nwarning: %.200s",
			    json_string_value(w));
	}
}

/* A complete response against the expectations; 1 when they hold. */
static int
verdict(struct hv_call *call, const struct hv_http_res *res)
{
	json_t		*root, *data;
	struct hv_buf	 why = HV_BUF_INIT;
	struct sample	*ss = NULL;
	const char	*status, *etype, *emsg;
	size_t		 n = 0;
	int		 ok = 0, scalar = 0;

	/* Until the answer is read, a failure is a look that failed. */
	call->broken = 1;
	/* Told after the status: a proxy's error page is not JSON either. */
	root = hv_api_json(res, 0, "prometheus: response", &why);
	status = json_string_value(json_object_get(root, "status"));
	/* Prometheus' own errors come as JSON with a 4xx or 5xx status. */
	if (status != NULL && strcmp(status, "error") == 0) {
		etype = json_string_value(json_object_get(root, "errorType"));
		emsg = json_string_value(json_object_get(root, "error"));
		hv_error(&call->err, "prometheus: %s: %s",
		    etype != NULL ? etype : "error",
		    emsg != NULL ? emsg : "no message");
		goto out;
	}
	if (!hv_http_success(res)) {
		hv_error(&call->err, "prometheus: status %ld", res->status);
		hv_http_snippet(&call->err, res->body.s);
		goto out;
	}
	if (root == NULL) {
		hv_error(&call->err, "%s", why.s);
		goto out;
	}
	if (status == NULL || strcmp(status, "success") != 0) {
		hv_error(&call->err, "prometheus: unexpected response: "
		    "status is not \"success\"");
		goto out;
	}
	data = json_object_get(root, "data");
	if (!json_is_object(data)) {
		hv_error(&call->err, "prometheus: unexpected response: no "
		    "data");
		goto out;
	}
	if (read_result(data, &ss, &n, &scalar, &call->err) == -1)
		goto out;
	call->broken = 0;
	if (n > 0) {
		call->value = ss[0].v;
		call->has_value = 1;
	}
	summarize(call, ss, n, scalar, json_object_get(root, "warnings"));
	ok = judge(call, ss, n, scalar);
out:
	free(ss);
	json_decref(root);
	hv_buf_release(&why);
	return ok;
}

static void
prom_done(struct hv_http *h, void *arg)
{
	struct hv_call			*call = arg;
	const struct hv_http_res	*res = hv_http_result(h);
	struct hv_buf			 what = HV_BUF_INIT;
	int				 ok = 0;

	if (!res->ok) {
		call->broken = 1;
		label(call, &what);
		hv_error(&call->err, "%s: %s", what.s, res->error);
		hv_buf_release(&what);
	} else
		ok = verdict(call, res);
	hv_http_call_done(call, h, ok);
}

static int
prom_start(struct hv_call *call)
{
	struct hv_buf	path = HV_BUF_INIT;
	const char	*q = hv_node_text(hv_arg_node(call, "query"), 0);

	hv_buf_puts(&path, API_PATH "?query=");
	hv_http_urlencode(&path, q != NULL ? q : "");
	call->priv = hv_http_call_api(call, "GET", path.s, NULL, 0, prom_done,
	    call, &call->err);
	hv_buf_release(&path);
	return call->priv != NULL ? 0 : -1;
}

/* Load time: the URL, the query, and the form of every expectation. */
static int
prom_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*v;
	const char		*q;
	struct bound		 b;
	int			 ret = 0;

	if (hv_http_api_check(call, "Prometheus'", err) == -1)
		ret = -1;
	q = hv_node_text(hv_arg_node(call, "query"), 0);
	if (q != NULL && q[strspn(q, " \t\r\n")] == '\0')
		ret = hv_error(err, "query: empty");
	if ((v = hv_exp_node(call, "value")) != NULL) {
		if (v->kind != HV_NODE_SCALAR)
			ret = hv_error(err, "value: expected a bound like "
			    "\"< 0.5\", not %s", hv_node_kind_name(v));
		else if (bound_parse(v->str, hv_node_text(v, 1), &b, err) ==
		    -1)
			ret = -1;
	}
	if (hv_exp_bool(call, "empty")) {
		if (v != NULL)
			ret = hv_error(err, "value and empty: true cannot "
			    "both hold");
		if (hv_exp_bool(call, "all"))
			ret = hv_error(err, "all and empty: true cannot both "
			    "hold");
	} else if (hv_exp_bool(call, "all") && v == NULL)
		ret = hv_error(err, "all: true needs value");
	return ret;
}

static void
prom_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	(void)revert;
	label(call, out);
}

const struct hv_driver hv_probe_prometheus = {
	.name = "prometheus",
	.kind = HV_PROBE,
	.transport = &hv_transport_http,
	.target = HV_TARGET_NONE,
	.summary = "a PromQL instant query and a bound on its value",
	.params = prom_params,
	.expect = prom_expect,
	.start = prom_start,
	.check = prom_check,
	.describe = prom_describe,
	.cancel = hv_http_call_cancel,
};
