/*
 * http-call.c - HTTP requests as drivers make them: the parameters every
 * HTTP driver shares, expected statuses, labels and summaries. Transfers
 * themselves are http.c's (the libcurl engine, the only curl.h user).
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "driver.h"
#include "http.h"
#include "loop.h"
#include "node.h"
#include "util.h"

/*
 * A parameter's text whatever call->shown says: the real value (what is
 * sent) or, with shown, the spelling with secrets as references. The
 * table's default when it was not given; NULL for a list or a map.
 */
static const char *
arg_text(const struct hv_call *call, const char *name, int shown)
{
	const struct hv_node	*n = hv_arg_node(call, name);
	const struct hv_param	*p;

	if (n != NULL)
		return hv_node_text(n, shown);
	p = hv_param_find(call->driver->params, name);
	return p != NULL ? p->def : NULL;
}

static const char *
arg_real(const struct hv_call *call, const char *name)
{
	return arg_text(call, name, 0);
}

static const char *
arg_shown(const struct hv_call *call, const char *name)
{
	return arg_text(call, name, 1);
}

/* Appends s in upper case: methods are case-sensitive, users are not. */
static void
put_upper(struct hv_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		hv_buf_putc(b, toupper((unsigned char)*s));
}

int
hv_http_call_check(const struct hv_call *call, const char *method_p,
    const char *url_p, struct hv_buf *err)
{
	const struct hv_node	*hs, *k, *v;
	const char		*url, *method;
	struct hv_buf		 why = HV_BUF_INIT;
	size_t			 i;
	int			 ret = 0;

	url = arg_real(call, url_p);
	if (url != NULL && strstr(url, "${") == NULL &&
	    hv_http_check_url(url, &why) == -1)
		ret = hv_error(err, "%s: %s", url_p, why.s);
	method = arg_real(call, method_p);
	if (method != NULL && !hv_http_is_token(method, strlen(method)))
		ret = hv_error(err, "%s: \"%s\" is not an HTTP method",
		    method_p, method);
	hs = hv_arg_node(call, "headers");
	for (i = 0; hs != NULL && hs->kind == HV_NODE_MAP && i < hs->n; i++) {
		k = hs->keys[i];
		v = hs->items[i];
		if (k->str == NULL || !hv_http_is_token(k->str, strlen(k->str)))
			ret = hv_error(err, "headers: \"%s\" is not a header "
			    "name", k->shown != NULL ? k->shown : "");
		else if (v->kind == HV_NODE_SCALAR &&
		    strpbrk(v->str, "\r\n") != NULL)
			ret = hv_error(err, "headers: %s holds a line break",
			    k->str);
		else if (v->kind != HV_NODE_SCALAR && v->kind != HV_NODE_NULL)
			ret = hv_error(err, "headers: %s must be a string",
			    k->str);
	}
	if (hv_arg_has(call, "password") && !hv_arg_has(call, "user"))
		ret = hv_error(err, "password needs user");
	if (hv_arg_has(call, "bearer") && hv_arg_has(call, "user"))
		ret = hv_error(err, "give user and password or bearer, not "
		    "both");
	hv_buf_release(&why);
	return ret;
}

/* Whether the headers map sets a header, name without case. */
static int
has_header(const struct hv_node *hs, const char *name)
{
	size_t	i;

	for (i = 0; hs != NULL && hs->kind == HV_NODE_MAP && i < hs->n; i++) {
		if (hs->keys[i]->str != NULL &&
		    strcasecmp(hs->keys[i]->str, name) == 0)
			return 1;
	}
	return 0;
}

struct hv_http *
hv_http_call_request(struct hv_call *call, const char *method,
    const char *url, const char *body, int64_t timeout_ms, hv_http_cb done,
    void *arg, struct hv_buf *err)
{
	struct hv_http_req	 req;
	struct hv_http		*h;
	const struct hv_node	*hs, *v;
	struct hv_buf		 m = HV_BUF_INIT;
	char			**lines;
	const char		*s;
	size_t			 i, n = 0;

	memset(&req, 0, sizeof req);
	hs = hv_arg_node(call, "headers");
	lines = hv_xcalloc((hs != NULL ? hs->n : 0) + 2, sizeof *lines);
	for (i = 0; hs != NULL && hs->kind == HV_NODE_MAP && i < hs->n; i++) {
		v = hs->items[i];
		s = v->kind == HV_NODE_SCALAR ? v->str : "";
		if (*s == '\0')
			lines[n++] = hv_xasprintf("%s;", hs->keys[i]->str);
		else
			lines[n++] = hv_xasprintf("%s: %s", hs->keys[i]->str,
			    s);
	}
	req.body = body;
	/* curl would say form-urlencoded; a JSON body wants its own type. */
	if (req.body != NULL && (req.body[0] == '{' || req.body[0] == '[') &&
	    !has_header(hs, "Content-Type"))
		lines[n++] = hv_xstrdup("Content-Type: application/json");
	if (method != NULL)
		put_upper(&m, method);
	req.method = m.len != 0 ? m.s : "GET";
	req.url = url;
	req.headers = (const char *const *)lines;
	req.timeout_ms = timeout_ms > 0 ? timeout_ms : hv_arg_ms(call,
	    "timeout");
	req.insecure = hv_arg_bool(call, "insecure");
	req.ca_file = arg_real(call, "ca_file");
	req.user = arg_real(call, "user");
	req.password = arg_real(call, "password");
	req.bearer = arg_real(call, "bearer");
	req.follow_redirects = hv_arg_bool(call, "follow_redirects");
	h = hv_http_start(call->ctx->loop, &req, done, arg, err);

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	hv_buf_release(&m);
	return h;
}

struct hv_http *
hv_http_call_start(struct hv_call *call, const char *method_p,
    const char *url_p, const char *body_p, hv_http_cb done, void *arg,
    struct hv_buf *err)
{
	return hv_http_call_request(call, arg_real(call, method_p),
	    arg_real(call, url_p), body_p != NULL ? arg_real(call, body_p) :
	    NULL, 0, done, arg, err);
}

void
hv_http_base_url(const struct hv_call *call, int shown, struct hv_buf *out)
{
	const char	*u = hv_node_text(hv_arg_node(call, "url"), shown);
	size_t		 n;

	if (u == NULL)
		return;
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		n--;
	hv_buf_add(out, u, n);
}

struct hv_http *
hv_http_call_api(struct hv_call *call, const char *method, const char *path,
    const char *body, int64_t timeout_ms, hv_http_cb done, void *arg,
    struct hv_buf *err)
{
	struct hv_buf	 url = HV_BUF_INIT;
	struct hv_http	*h;

	hv_http_base_url(call, 0, &url);
	hv_buf_puts(&url, path);
	h = hv_http_call_request(call, method, url.s, body, timeout_ms, done,
	    arg, err);
	hv_buf_release(&url);
	return h;
}

void
hv_http_call_label(const struct hv_call *call, const char *method_p,
    const char *url_p, struct hv_buf *out)
{
	const char	*method, *url;

	method = arg_shown(call, method_p);
	url = arg_shown(call, url_p);
	put_upper(out, method != NULL ? method : "GET");
	hv_buf_putc(out, ' ');
	hv_buf_puts(out, url != NULL ? url : "?");
}

int
hv_http_api_check(const struct hv_call *call, const char *whose,
    struct hv_buf *err)
{
	const char	*url;
	int		 ret = 0;

	if (hv_http_call_check(call, "method", "url", err) == -1)
		ret = -1;
	url = hv_node_text(hv_arg_node(call, "url"), 0);
	if (url != NULL && strstr(url, "${") == NULL &&
	    strpbrk(url, "?#") != NULL)
		ret = hv_error(err, "url: give %s base URL, without a query or "
		    "a fragment", whose);
	return ret;
}

void
hv_http_api_label(const struct hv_call *call, const char *method,
    const char *path, struct hv_buf *out)
{
	hv_buf_printf(out, "%s ", method);
	hv_http_base_url(call, 1, out);
	hv_buf_puts(out, path);
}

void
hv_http_call_done(struct hv_call *call, struct hv_http *h, int ok)
{
	call->latency_ms = hv_http_result(h)->total_ms;
	call->priv = NULL;
	hv_http_free(h);
	hv_call_done(call, ok);
}

void
hv_http_call_cancel(struct hv_call *call)
{
	if (call->priv == NULL)
		return;
	hv_http_free(call->priv);
	call->priv = NULL;
	hv_call_fail(call, "cancelled");
}

/* Reads 200 or "2xx" into the range of statuses it allows. */
static int
status_range(const struct hv_node *n, long *lo, long *hi)
{
	const char	*s;
	long long	 v;

	if (n == NULL || n->kind != HV_NODE_SCALAR || (s = n->str) == NULL)
		return -1;
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' &&
	    (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
		*lo = (s[0] - '0') * 100;
		*hi = *lo + 99;
		return 0;
	}
	if (hv_parse_int(s, &v) == -1 || v < 100 || v > 599)
		return -1;
	*lo = *hi = (long)v;
	return 0;
}

int
hv_http_status_check(const struct hv_node *n, struct hv_buf *err)
{
	long	lo, hi;
	size_t	i;

	if (n == NULL)
		return 0;
	if (n->kind == HV_NODE_SCALAR && status_range(n, &lo, &hi) == 0)
		return 0;
	if (n->kind == HV_NODE_SEQ && n->n > 0) {
		for (i = 0; i < n->n; i++) {
			if (status_range(n->items[i], &lo, &hi) == -1)
				break;
		}
		if (i == n->n)
			return 0;
	}
	return hv_error(err, "expected a status (200), a class (\"2xx\") "
	    "or a list of them");
}

int
hv_http_status_match(const struct hv_node *n, long status,
    struct hv_buf *want)
{
	long	lo, hi;
	size_t	i;

	if (n == NULL) {
		if (status > 0 && status < 400)
			return 1;
		hv_buf_puts(want, "below 400");
		return 0;
	}
	if (n->kind == HV_NODE_SCALAR) {
		if (status_range(n, &lo, &hi) == 0 && status >= lo &&
		    status <= hi)
			return 1;
		hv_buf_puts(want, n->str);
		return 0;
	}
	for (i = 0; n->kind == HV_NODE_SEQ && i < n->n; i++) {
		if (status_range(n->items[i], &lo, &hi) == 0 && status >= lo &&
		    status <= hi)
			return 1;
	}
	hv_buf_puts(want, "one of ");
	for (i = 0; n->kind == HV_NODE_SEQ && i < n->n; i++) {
		if (n->items[i]->kind == HV_NODE_SCALAR)
			hv_buf_printf(want, "%s%s", i > 0 ? ", " : "",
			    n->items[i]->str);
	}
	return 0;
}

void
hv_http_summary(const struct hv_http_res *res, size_t body_max,
    struct hv_buf *out)
{
	size_t		 i, n;
	unsigned char	 c;

	if (res->ok)
		hv_buf_printf(out, "%ld in %.0f ms, %zu bytes", res->status,
		    res->total_ms, res->body_size);
	else
		hv_buf_printf(out, "failed after %.0f ms: %s", res->total_ms,
		    res->error);
	if (body_max == 0 || res->body.len == 0)
		return;
	n = res->body.len < body_max ? res->body.len : body_max;
	hv_buf_putc(out, '\n');
	hv_buf_grow(out, n);
	for (i = 0; i < n; i++) {
		c = (unsigned char)res->body.s[i];
		/* Keep text and UTF-8; a NUL or an escape does not get out. */
		if (c < 0x20 && c != '\n' && c != '\t')
			c = '?';
		else if (c == 0x7f)
			c = '?';
		hv_buf_putc(out, c);
	}
	if (n < res->body_size)
		hv_buf_puts(out, "...");
}

int
hv_http_success(const struct hv_http_res *res)
{
	return res->ok && res->status >= 200 && res->status <= 299;
}

void
hv_http_snippet(struct hv_buf *out, const char *text)
{
	size_t		 i, n = strcspn(text, "\r\n");
	unsigned char	 c;

	if (n == 0)
		return;
	hv_buf_puts(out, ": ");
	for (i = 0; i < n && i < HV_HTTP_SNIPPET; i++) {
		c = (unsigned char)text[i];
		hv_buf_putc(out, c < 0x20 || c == 0x7f ? '?' : c);
	}
	if (n > HV_HTTP_SNIPPET)
		hv_buf_puts(out, "...");
}

void
hv_http_urlencode(struct hv_buf *out, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		/* Not isalnum(): a locale must not change what is sent. */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			hv_buf_putc(out, c);
			continue;
		}
		hv_buf_putc(out, '%');
		hv_buf_putc(out, hex[c >> 4]);
		hv_buf_putc(out, hex[c & 0x0f]);
	}
}

const struct hv_transport hv_transport_http = {
	.name = "http",
	.cancel = hv_http_call_cancel,
};
