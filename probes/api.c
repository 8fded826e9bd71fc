/*
 * api.c - helpers of the drivers that speak JSON APIs over HTTP
 * (Prometheus, Alertmanager, the http probe's json: expectations).
 */
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "driver.h"
#include "http.h"
#include "node.h"
#include "util.h"

json_t *
hv_api_json(const struct hv_http_res *res, size_t flags, const char *what,
    struct hv_buf *err)
{
	json_t		*root;
	json_error_t	 jerr;

	root = json_loadb(res->body.s, res->body.len, flags, &jerr);
	if (root == NULL)
		hv_error(err, "%s is not JSON%s: %s", what,
		    res->truncated ? " (cut at the size limit)" : "",
		    jerr.text);
	return root;
}

void
hv_api_error_body(struct hv_buf *out, const struct hv_http_res *res)
{
	json_t		*j;
	const char	*s = NULL;

	j = json_loadb(res->body.s, res->body.len, JSON_DECODE_ANY, NULL);
	if (json_is_string(j))
		s = json_string_value(j);
	else if (json_is_object(j))
		s = json_string_value(json_object_get(j, "message"));
	hv_http_snippet(out, s != NULL ? s : res->body.s);
	json_decref(j);
}

void
hv_api_put_quoted(struct hv_buf *out, const char *s)
{
	hv_buf_putc(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			hv_buf_putc(out, '\\');
			hv_buf_putc(out, *s);
		} else if (*s == '\n')
			hv_buf_puts(out, "\\n");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			hv_buf_putc(out, '?');
		else
			hv_buf_putc(out, *s);
	}
	hv_buf_putc(out, '"');
}

void
hv_api_put_labels(struct hv_buf *out, json_t *labels, const char *skip)
{
	const char	*k;
	json_t		*v;
	int		 first = 1;

	json_object_foreach(labels, k, v) {
		if (strcmp(k, skip) == 0 || !json_is_string(v))
			continue;
		if (!first)
			hv_buf_puts(out, ", ");
		hv_buf_printf(out, "%s=", k);
		hv_api_put_quoted(out, json_string_value(v));
		first = 0;
	}
}

int
hv_api_check_alert(const struct hv_call *call,
    int (*value_check)(const char *, const struct hv_node *, struct hv_buf *),
    struct hv_buf *err)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	const char		*name;
	size_t			 i;
	int			 ret = 0;

	if (hv_http_api_check(call, "Alertmanager's", err) == -1)
		ret = -1;
	name = hv_node_text(hv_arg_node(call, "alertname"), 0);
	if (name != NULL && *name == '\0')
		ret = hv_error(err, "alertname: empty");
	if (name == NULL && (ls == NULL || ls->kind != HV_NODE_MAP ||
	    ls->n == 0))
		ret = hv_error(err, "give alertname, labels, or both");
	for (i = 0; ls != NULL && ls->kind == HV_NODE_MAP && i < ls->n; i++) {
		name = ls->keys[i]->str;
		if (name == NULL || *name == '\0')
			ret = hv_error(err, "labels: a label needs a name");
		else if (strcmp(name, "alertname") == 0)
			ret = hv_error(err, "labels: give the alert's name as "
			    "alertname, not as a label");
		else if (value_check(name, ls->items[i], err) == -1)
			ret = -1;
	}
	return ret;
}

void
hv_api_describe_alert(const struct hv_call *call, struct hv_buf *out)
{
	const struct hv_node	*ls = hv_arg_node(call, "labels");
	const char		*v;
	size_t			 i;

	v = hv_node_text(hv_arg_node(call, "alertname"), 1);
	if (v != NULL)
		hv_buf_printf(out, "alertname=%s", v);
	for (i = 0; ls != NULL && ls->kind == HV_NODE_MAP && i < ls->n; i++) {
		if ((v = hv_node_text(ls->items[i], 1)) != NULL)
			hv_buf_printf(out, "%s%s=%s", out->len > 0 &&
			    out->s[out->len - 1] != ' ' ? " " : "",
			    ls->keys[i]->str, v);
	}
}
