/*
 * http-request.c - the http.request action: one call to any REST API,
 * and optionally the call that undoes it (which makes it a fault).
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "http.h"
#include "node.h"
#include "util.h"

#define BODY_KEEP	4096	/* of the response, kept in out */

static const struct hv_param request_params[] = {
	{ "url", HV_T_STR, 1, NULL, NULL, "http:// or https:// URL" },
	{ "method", HV_T_STR, 0, "POST", NULL, "request method" },
	{ "body", HV_T_STR, 0, NULL, NULL,
	  "request body; a body starting with { or [ is sent as "
	  "application/json unless headers say otherwise" },
	{ "timeout", HV_T_DURATION, 0, "10s", NULL,
	  "for each request, connecting included" },
	{ "expect_status", HV_T_ANY, 0, NULL, NULL,
	  "200, \"2xx\" or a list of them; by default any status below 400" },
	{ "revert_url", HV_T_STR, 0, NULL, NULL,
	  "URL of the request that undoes this one; makes it a fault" },
	{ "revert_method", HV_T_STR, 0, "DELETE", NULL,
	  "method of the revert request" },
	{ "revert_body", HV_T_STR, 0, NULL, NULL,
	  "body of the revert request" },
	{ "revert_expect_status", HV_T_ANY, 0, NULL, NULL,
	  "statuses that count as reverted (e.g. [200, 204, 404]); by "
	  "default any below 400" },
	HV_HTTP_CLIENT_PARAMS,
	{ NULL }
};

static void
request_done(struct hv_http *h, void *arg)
{
	struct hv_call			*call = arg;
	const struct hv_http_res	*res = hv_http_result(h);
	const struct hv_node		*want;
	struct hv_buf			 label = HV_BUF_INIT, exp = HV_BUF_INIT;
	int				 ok = 0;

	if (call->reverting) {
		want = hv_arg_node(call, "revert_expect_status");
		hv_http_call_label(call, "revert_method", "revert_url", &label);
	} else {
		want = hv_arg_node(call, "expect_status");
		hv_http_call_label(call, "method", "url", &label);
	}
	if (!res->ok)
		hv_error(&call->err, "%s: %s", label.s, res->error);
	else if (!hv_http_status_match(want, res->status, &exp))
		hv_error(&call->err, "%s: status %ld, expected %s", label.s,
		    res->status, exp.s);
	else
		ok = 1;
	hv_http_summary(res, BODY_KEEP, &call->out);
	hv_buf_release(&label);
	hv_buf_release(&exp);
	hv_http_call_done(call, h, ok);
}

static int
request_start(struct hv_call *call)
{
	call->priv = hv_http_call_start(call, "method", "url", "body",
	    request_done, call, &call->err);
	return call->priv != NULL ? 0 : -1;
}

static int
request_revert(struct hv_call *call)
{
	if (!hv_arg_has(call, "revert_url")) {
		hv_buf_puts(&call->out, "nothing to revert");
		hv_call_done(call, 1);
		return 0;
	}
	call->priv = hv_http_call_start(call, "revert_method", "revert_url",
	    "revert_body", request_done, call, &call->err);
	return call->priv != NULL ? 0 : -1;
}

static int
request_is_fault(const struct hv_call *call)
{
	return hv_arg_has(call, "revert_url");
}

static int
request_check(const struct hv_call *call, struct hv_buf *err)
{
	static const char *const revert_only[] = {
		"revert_method", "revert_body", "revert_expect_status"
	};
	struct hv_buf	why = HV_BUF_INIT;
	size_t		i;
	int		ret = 0;

	if (hv_http_call_check(call, "method", "url", err) == -1)
		ret = -1;
	if (hv_arg_has(call, "revert_url")) {
		if (hv_http_call_check(call, "revert_method", "revert_url",
		    err) == -1)
			ret = -1;
	} else {
		for (i = 0; i < HV_ARRAY_LEN(revert_only); i++) {
			if (hv_arg_has(call, revert_only[i]))
				ret = hv_error(err, "%s needs revert_url",
				    revert_only[i]);
		}
	}
	if (hv_http_status_check(hv_arg_node(call, "expect_status"),
	    &why) == -1)
		ret = hv_error(err, "expect_status: %s", why.s);
	hv_buf_reset(&why);
	if (hv_http_status_check(hv_arg_node(call, "revert_expect_status"),
	    &why) == -1)
		ret = hv_error(err, "revert_expect_status: %s", why.s);
	hv_buf_release(&why);
	return ret;
}

static void
request_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	if (!revert)
		hv_http_call_label(call, "method", "url", out);
	else if (hv_arg_has(call, "revert_url"))
		hv_http_call_label(call, "revert_method", "revert_url", out);
	else
		hv_buf_puts(out, "nothing to revert");
}

const struct hv_driver hv_action_http_request = {
	.name = "http.request",
	.kind = HV_ACTION,
	.transport = &hv_transport_http,
	.target = HV_TARGET_NONE,
	.summary = "call a REST API, and optionally the call that undoes it",
	.params = request_params,
	.start = request_start,
	.revert = request_revert,
	.is_fault = request_is_fault,
	.check = request_check,
	.describe = request_describe,
	.cancel = hv_http_call_cancel,
};
