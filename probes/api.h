/*
 * api.h - what the drivers of JSON APIs over HTTP share: the http probe's
 * json: expectations, the prometheus and alertmanager probes and the
 * alertmanager.silence action. A response body as JSON, what an error
 * body said, and the labels and matchers of Prometheus and Alertmanager.
 *
 * Ownership: hv_api_json() returns a new reference (json_decref() it);
 * every other argument is only read during the call.
 */
#ifndef HV_API_H
#define HV_API_H

#include <stddef.h>

#include <jansson.h>

#include "util.h"

struct hv_call;
struct hv_http_res;
struct hv_node;

/*
 * A response's body as JSON (json_loadb() flags, e.g. JSON_DECODE_ANY),
 * new. NULL with "<what> is not JSON: <why>" in err, which says when the
 * body was cut at the size limit; what is "body" or "prometheus:
 * response".
 */
json_t	*hv_api_json(const struct hv_http_res *, size_t flags,
	    const char *what, struct hv_buf *err);

/*
 * Appends what an error response said, as hv_http_snippet() does: a
 * JSON string or an object's "message" (go-swagger's errors, as
 * Alertmanager sends them), else the body's first line.
 */
void	 hv_api_error_body(struct hv_buf *out, const struct hv_http_res *);

/*
 * Appends s in double quotes, as a label's value is written: quotes and
 * backslashes escaped, a newline as \n, other control characters as ?.
 */
void	 hv_api_put_quoted(struct hv_buf *out, const char *s);

/*
 * Appends a JSON object's string members as labels, name="value"
 * separated by ", ", in the object's order; skip (e.g. "__name__") is
 * left out.
 */
void	 hv_api_put_labels(struct hv_buf *out, json_t *labels,
	    const char *skip);

/*
 * Checks a call to Alertmanager's API about one alert: its base URL (as
 * hv_http_api_check() does), an alertname that is not empty, labels with
 * names other than alertname, and each label's value with the driver's
 * value_check (which appends its messages and returns -1). Returns -1
 * with every problem in err.
 */
int	 hv_api_check_alert(const struct hv_call *,
	    int (*value_check)(const char *name, const struct hv_node *value,
	    struct hv_buf *err), struct hv_buf *err);

/*
 * Appends the alert the alertname and labels parameters select, for
 * plans: "alertname=NodeDown instance=~web-.*", secrets as references.
 */
void	 hv_api_describe_alert(const struct hv_call *, struct hv_buf *out);

#endif
