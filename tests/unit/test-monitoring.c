/*
 * test-monitoring.c - the prometheus and alertmanager probes and the
 * alertmanager.silence action, against a fake Prometheus and Alertmanager
 * on 127.0.0.1 that speaks their HTTP APIs' wire formats.
 *
 * The server (httpd.h) is one child process that answers connections one
 * at a time and keeps its state (the silences, a log of the requests it
 * received) in memory; slow answers are forked off so that they do not
 * hold up the others. Tests read the log and reset the state through
 * control paths (/_test/log, /_test/clear-log, /_test/reset). A path
 * prefix before /api/ picks a misbehaving server: /bad (not JSON), /err
 * (500), /slow, /lag, /weird, /strict, /object. Every loop run in here has
 * a deadline.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "driver.h"
#include "http.h"
#include "httpd.h"
#include "loop.h"
#include "node.h"
#include "util.h"

extern const struct hv_driver hv_probe_prometheus;
extern const struct hv_driver hv_probe_alertmanager;
extern const struct hv_driver hv_action_alertmanager_silence;

#define SLOW_MS		1500	/* the /slow prefix */
#define LAG_MS		600	/* the /lag prefix: a slow silence list */
#define SLOWDEL_MS	800	/* expiring a slowdel-* silence */

static struct httpd	srv;

/* ---- the fake server ---------------------------------------------- */

static struct hv_buf	 srv_log = HV_BUF_INIT;
static json_t		*silences;	/* gettableSilence objects */
static int		 silence_seq;
/* How many more looks at the alerts see "Lingering" firing. */
static int		 lingering;

/* Answers with a JSON body, as the real servers do. */
static void
respond(int fd, int status, const char *body)
{
	httpd_respond(fd, status, "Content-Type: application/json\r\n",
	    body, strlen(body));
}

/* Answers with a JSON value and frees it. */
static void
respond_json(int fd, int status, json_t *j)
{
	char	*s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	respond(fd, status, s != NULL ? s : "null");
	free(s);
	json_decref(j);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a query value (%XX and +) of n bytes into out. */
static void
pct_decode(const char *s, size_t n, struct hv_buf *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			hv_buf_putc(out, ' ');
		else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			hv_buf_putc(out, hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2]));
			i += 2;
		} else
			hv_buf_putc(out, s[i]);
	}
}

/* The decoded value of the first query parameter called name. */
static void
query_param(const char *target, const char *name, struct hv_buf *out)
{
	const char	*q = strchr(target, '?'), *p;
	size_t		 nlen = strlen(name), n;

	for (p = q; p != NULL; p = strchr(p, '&')) {
		p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			n = strcspn(p, "&");
			pct_decode(p, n, out);
			return;
		}
	}
}

/* A series of the vector answers: name{instance=...} value. */
static json_t *
series(const char *name, const char *instance, const char *value)
{
	json_t	*m = json_object();

	if (name != NULL)
		json_object_set_new(m, "__name__", json_string(name));
	if (instance != NULL)
		json_object_set_new(m, "instance", json_string(instance));
	return json_pack("{s:o, s:[f, s]}", "metric", m, "value",
	    1714557723.781, value);
}

static json_t *
success(const char *type, json_t *result)
{
	return json_pack("{s:s, s:{s:s, s:o}}", "status", "success", "data",
	    "resultType", type, "result", result);
}

static json_t *
prom_error(const char *type, const char *msg)
{
	return json_pack("{s:s, s:s, s:s}", "status", "error", "errorType",
	    type, "error", msg);
}

/* GET /api/v1/query: answers by the (decoded) query. */
static void
serve_query(int fd, const char *target)
{
	struct hv_buf	 q = HV_BUF_INIT;
	json_t		*r;
	char		 name[32], v[32];
	int		 i;

	query_param(target, "query", &q);
	if (strcmp(q.s, "node_load1{job=\"node\"}") == 0) {
		r = json_array();
		json_array_append_new(r, series("node_load1", "web-1:9100",
		    "0.83"));
		json_array_append_new(r, series("node_load1", "web-2:9100",
		    "0.12"));
		json_array_append_new(r, series("node_load1", "web-3:9100",
		    "0.4"));
		respond_json(fd, 200, success("vector", r));
	} else if (strcmp(q.s, "scalar(sum(up))") == 0) {
		respond_json(fd, 200, success("scalar",
		    json_pack("[f, s]", 1714557723.781, "3")));
	} else if (strcmp(q.s, "count(up)") == 0) {
		r = json_array();
		json_array_append_new(r, series(NULL, NULL, "3"));
		respond_json(fd, 200, success("vector", r));
	} else if (strcmp(q.s, "odd_values") == 0) {
		r = json_array();
		json_array_append_new(r, series("odd", "a", "NaN"));
		json_array_append_new(r, series("odd", "b", "+Inf"));
		respond_json(fd, 200, success("vector", r));
	} else if (strcmp(q.s, "many") == 0) {
		r = json_array();
		for (i = 0; i < 30; i++) {
			snprintf(name, sizeof name, "host-%02d", i);
			snprintf(v, sizeof v, "%d", i);
			json_array_append_new(r, series("many", name, v));
		}
		respond_json(fd, 200, success("vector", r));
	} else if (strcmp(q.s, "sum(rate(x[5m])") == 0) {
		respond_json(fd, 400, prom_error("bad_data", "invalid "
		    "parameter \"query\": 1:16: parse error: unclosed left "
		    "parenthesis"));
	} else if (strcmp(q.s, "expensive") == 0) {
		respond_json(fd, 503, prom_error("timeout", "query timed out "
		    "in expression evaluation"));
	} else if (strcmp(q.s, "up[5m]") == 0) {
		r = json_array();
		json_array_append_new(r, json_pack("{s:{s:s}, s:[[f, s]]}",
		    "metric", "__name__", "up", "values", 1714557723.781,
		    "1"));
		respond_json(fd, 200, success("matrix", r));
	} else if (strcmp(q.s, "\"hello\"") == 0) {
		respond_json(fd, 200, success("string",
		    json_pack("[f, s]", 1714557723.781, "hello")));
	} else if (strcmp(q.s, "wrong_types") == 0) {
		respond_json(fd, 200, success("vector",
		    json_pack("[{s:{}, s:s}]", "metric", "value", "3")));
	} else if (strcmp(q.s, "not_a_number") == 0) {
		r = json_array();
		json_array_append_new(r, series("x", "a", "lots"));
		respond_json(fd, 200, success("vector", r));
	} else if (strcmp(q.s, "no_data") == 0) {
		respond_json(fd, 200, json_pack("{s:s}", "status",
		    "success"));
	} else if (strcmp(q.s, "warned") == 0) {
		r = json_pack("{s:s, s:{s:s, s:[o]}, s:[s]}", "status",
		    "success", "data", "resultType", "vector", "result",
		    series("w", "a", "1"), "warnings", "partial response");
		respond_json(fd, 200, r);
	} else
		respond_json(fd, 200, success("vector", json_array()));
	hv_buf_release(&q);
}

/* One gettableAlert as Alertmanager v2 writes it. */
static json_t *
alert(const char *name, const char *instance, const char *state,
    const char *silenced_by, const char *inhibited_by, const char *starts)
{
	json_t	*sil = json_array(), *inh = json_array();

	if (silenced_by != NULL)
		json_array_append_new(sil, json_string(silenced_by));
	if (inhibited_by != NULL)
		json_array_append_new(inh, json_string(inhibited_by));
	return json_pack("{s:{s:s}, s:s, s:s, s:[{s:s}], s:s, s:s, "
	    "s:{s:o, s:o, s:s}, s:s, s:{s:s, s:s, s:s, s:s}}",
	    "annotations", "summary", "a node is down",
	    "endsAt", "2099-01-01T00:00:00.000Z",
	    "fingerprint", instance,
	    "receivers", "name", "team-web",
	    "startsAt", starts,
	    "updatedAt", starts,
	    "status", "inhibitedBy", inh, "silencedBy", sil, "state", state,
	    "generatorURL", "http://prom:9090/graph?g0.expr=up",
	    "labels", "alertname", name, "instance", instance, "job", "node",
	    "severity", "critical");
}

/* GET /api/v2/alerts: every alert, whatever the filters say. */
static void
serve_alerts(int fd, const char *target)
{
	json_t	*a = json_array();

	/* What a silence's revert waits for: an alert that clears. */
	if (strstr(target, "Lingering") != NULL) {
		if (lingering > 0) {
			lingering--;
			json_array_append_new(a, alert("Lingering", "web-1",
			    "suppressed", "sil-x", NULL,
			    "2024-05-01T10:02:03Z"));
		}
		respond_json(fd, 200, a);
		return;
	}

	json_array_append_new(a, alert("NodeDown", "web-1", "active", NULL,
	    NULL, "2024-05-01T10:02:03.456Z"));
	json_array_append_new(a, alert("NodeDown", "web-2", "suppressed",
	    "5f2e8a51-1b6d-4c1e-9d8a-3c3a3f0e2b11", NULL,
	    "2024-05-01T10:05:00Z"));
	json_array_append_new(a, alert("NodeDown", "db-1", "suppressed",
	    NULL, "9a8b7c6d5e4f3a2b", "2024-05-01T11:00:00.1+02:00"));
	json_array_append_new(a, alert("DiskFull", "web-1", "active", NULL,
	    NULL, "2024-05-01T09:00:00Z"));
	json_array_append_new(a, alert("HighLoad", "web-3", "unprocessed",
	    NULL, NULL, "2024-05-01T12:00:00Z"));
	json_array_append_new(a, alert("NodeDown", "web-10", "active", NULL,
	    NULL, "2024-05-01T10:09:00Z"));
	respond_json(fd, 200, a);
}

static json_t *
seed(const char *id, const char *state, const char *comment)
{
	return json_pack("{s:s, s:{s:s}, s:s, s:[{s:s, s:s, s:b, s:b}], "
	    "s:s, s:s, s:s, s:s}", "id", id, "status", "state", state,
	    "updatedAt", "2024-05-01T09:00:00.000Z", "matchers", "name",
	    "alertname", "value", "NodeDown", "isRegex", 0, "isEqual", 1,
	    "startsAt", "2024-05-01T09:00:00.000Z", "endsAt",
	    "2099-01-01T00:00:00.000Z", "createdBy", "someone", "comment",
	    comment);
}

static void
silences_reset(void)
{
	json_decref(silences);
	silences = json_array();
	json_array_append_new(silences, seed("other-1", "active",
	    "maintenance window"));
	json_array_append_new(silences, seed("old-ours", "expired",
	    "havoc experiment [havoc-r7-s1]"));
	json_array_append_new(silences, seed("near-miss", "active",
	    "havoc experiment [havoc-r7-s12]"));
	json_array_append_new(silences, seed("vanishing", "active",
	    "havoc experiment [havoc-r8-s1]"));
	json_array_append_new(silences, seed("stuck", "active",
	    "havoc experiment [havoc-r9-s1]"));
	json_array_append_new(silences, seed("slowdel-a", "active",
	    "havoc [havoc-r10-s1]"));
	json_array_append_new(silences, seed("slowdel-b", "active",
	    "havoc [havoc-r10-s1]"));
	json_array_append_new(silences, seed("racing", "active",
	    "havoc [havoc-r14-s1]"));
	silence_seq = 0;
}

/* POST /api/v2/silences: checks the postableSilence, as Alertmanager. */
static void
serve_create(int fd, const char *body)
{
	json_t		*in, *m, *s;
	const char	*starts, *ends, *by, *comment;
	char		 id[32];
	size_t		 i;

	in = json_loads(body, 0, NULL);
	starts = json_string_value(json_object_get(in, "startsAt"));
	ends = json_string_value(json_object_get(in, "endsAt"));
	by = json_string_value(json_object_get(in, "createdBy"));
	comment = json_string_value(json_object_get(in, "comment"));
	m = json_object_get(in, "matchers");
	if (starts == NULL || ends == NULL || by == NULL || comment == NULL ||
	    json_array_size(m) == 0 || strcmp(starts, ends) >= 0) {
		respond_json(fd, 400, json_string("silence invalid: missing "
		    "or bad field"));
		json_decref(in);
		return;
	}
	for (i = 0; i < json_array_size(m); i++) {
		s = json_array_get(m, i);
		if (!json_is_string(json_object_get(s, "name")) ||
		    !json_is_string(json_object_get(s, "value")) ||
		    !json_is_boolean(json_object_get(s, "isRegex"))) {
			respond_json(fd, 400, json_string("bad matcher"));
			json_decref(in);
			return;
		}
	}
	snprintf(id, sizeof id, "sil-%d", ++silence_seq);
	s = json_pack("{s:s, s:{s:s}, s:s, s:O, s:s, s:s, s:s, s:s}", "id",
	    id, "status", "state", "active", "updatedAt", starts, "matchers",
	    m, "startsAt", starts, "endsAt", ends, "createdBy", by, "comment",
	    comment);
	json_array_append_new(silences, s);
	respond_json(fd, 200, json_pack("{s:s}", "silenceID", id));
	json_decref(in);
}

/* DELETE /api/v2/silence/{id}: expires it, with the special cases. */
static void
serve_expire(int fd, const char *id)
{
	json_t		*s, *st;
	const char	*sid;
	char		 msg[128];
	size_t		 i;

	if (strcmp(id, "vanishing") == 0) {
		respond(fd, 404, "");
		return;
	}
	if (strcmp(id, "stuck") == 0) {
		respond_json(fd, 500, json_string("internal: store locked"));
		return;
	}
	/* Expired by someone else between the list and the expiry. */
	if (strcmp(id, "racing") == 0) {
		respond_json(fd, 500, json_string("silence racing already "
		    "expired"));
		return;
	}
	json_array_foreach(silences, i, s) {
		sid = json_string_value(json_object_get(s, "id"));
		if (sid == NULL || strcmp(sid, id) != 0)
			continue;
		st = json_object_get(s, "status");
		if (strcmp(json_string_value(json_object_get(st, "state")),
		    "expired") == 0) {
			snprintf(msg, sizeof msg, "silence %s already expired",
			    id);
			respond_json(fd, 500, json_string(msg));
			return;
		}
		json_object_set_new(st, "state", json_string("expired"));
		if (strncmp(id, "slowdel-", 8) == 0 && fork() == 0) {
			usleep(SLOWDEL_MS * 1000);
			respond(fd, 200, "");
			_exit(0);
		}
		if (strncmp(id, "slowdel-", 8) != 0)
			respond(fd, 200, "");
		return;
	}
	respond(fd, 404, "");
}

/* Answers one request, in a child when it is to be slow. */
static void
route(int fd, const char *method, const char *target, const char *body)
{
	char		 path[1024], prefix[64];
	const char	*api;
	size_t		 n;

	n = strcspn(target, "?");
	snprintf(path, sizeof path, "%.*s", (int)n, target);
	if ((api = strstr(path, "/api/")) == NULL) {
		respond(fd, 404, "not found");
		return;
	}
	snprintf(prefix, sizeof prefix, "%.*s", (int)(api - path), path);
	if (strcmp(prefix, "/bad") == 0) {
		respond(fd, 200, "<html>502 Bad Gateway</html>");
		return;
	}
	if (strcmp(prefix, "/err") == 0) {
		respond(fd, 500, "internal error\nmore detail");
		return;
	}
	if (strcmp(prefix, "/slow") == 0 || (strcmp(prefix, "/lag") == 0 &&
	    strcmp(method, "GET") == 0 && strcmp(api, "/api/v2/silences") ==
	    0)) {
		if (fork() != 0)
			return;
		usleep((strcmp(prefix, "/slow") == 0 ? SLOW_MS : LAG_MS) *
		    1000);
		prefix[0] = '\0';
		if (strcmp(api, "/api/v2/silences") == 0)
			respond_json(fd, 200, json_deep_copy(silences));
		else
			respond(fd, 200, "[]");
		_exit(0);
	}
	if (strcmp(prefix, "/weird") == 0) {
		respond(fd, 200, "[{\"labels\": {\"alertname\": \"NodeDown\"}, "
		    "\"status\": {}}]");
		return;
	}
	if (strcmp(prefix, "/object") == 0) {
		respond(fd, 200, "{\"alerts\": []}");
		return;
	}
	if (strcmp(prefix, "/strict") == 0) {
		respond(fd, 400, "\"bad matcher format: instance=~\\\"(\\\"\"");
		return;
	}
	if (strcmp(api, "/api/v1/query") == 0)
		serve_query(fd, target);
	else if (strcmp(api, "/api/v2/alerts") == 0)
		serve_alerts(fd, target);
	else if (strcmp(api, "/api/v2/silences") == 0 &&
	    strcmp(method, "GET") == 0)
		respond_json(fd, 200, json_deep_copy(silences));
	else if (strcmp(api, "/api/v2/silences") == 0 &&
	    strcmp(method, "POST") == 0)
		serve_create(fd, body);
	else if (strncmp(api, "/api/v2/silence/", 16) == 0 &&
	    strcmp(method, "DELETE") == 0)
		serve_expire(fd, api + 16);
	else
		respond(fd, 404, "not found");
}

/*
 * The server's handler: logs a request unless it is a control request,
 * and answers it. The state lives in the server process, made there at
 * its first request.
 */
static void
serve(int fd, const struct httpd_req *req, void *arg)
{
	const char	*method = req->method, *target = req->target;
	char		 hv[512];

	(void)arg;
	if (silences == NULL)
		silences_reset();
	if (strcmp(target, "/_test/log") == 0) {
		respond(fd, 200, srv_log.s);
		return;
	}
	if (strcmp(target, "/_test/clear-log") == 0) {
		hv_buf_reset(&srv_log);
		respond(fd, 200, "");
		return;
	}
	if (strncmp(target, "/_test/linger?n=", 16) == 0) {
		lingering = (int)strtol(target + 16, NULL, 10);
		respond(fd, 200, "");
		return;
	}
	if (strcmp(target, "/_test/reset") == 0) {
		hv_buf_reset(&srv_log);
		silences_reset();
		respond(fd, 200, "");
		return;
	}
	hv_buf_printf(&srv_log, "%s %s\n", method, target);
	if (httpd_header(req, "Authorization", hv, sizeof hv) != NULL)
		hv_buf_printf(&srv_log, "AUTH %s\n", hv);
	if (*req->body != '\0')
		hv_buf_printf(&srv_log, "BODY %s\n", req->body);
	route(fd, method, target, req->body);
}

static int
server_start(void **state)
{
	(void)state;
	return httpd_start(&srv, HTTPD_SERIAL, serve, NULL);
}

static int
server_stop(void **state)
{
	(void)state;
	httpd_stop(&srv);
	return 0;
}

/*
 * A blocking request to the control paths (the test's own, not havoc's):
 * the response body into out.
 */
static void
control(const char *method, const char *path, struct hv_buf *out)
{
	struct sockaddr_in	 sin;
	struct hv_buf		 all = HV_BUF_INIT;
	char			 buf[4096], *req;
	const char		*b;
	ssize_t			 n;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)srv.port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	req = hv_xasprintf("%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: 0"
	    "\r\nConnection: close\r\n\r\n", method, path);
	httpd_write_all(fd, req, strlen(req));
	free(req);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		hv_buf_add(&all, buf, (size_t)n);
	close(fd);
	if (out != NULL && (b = strstr(all.s, "\r\n\r\n")) != NULL)
		hv_buf_puts(out, b + 4);
	hv_buf_release(&all);
}

static void
server_reset(void)
{
	control("POST", "/_test/reset", NULL);
}

/* What the server received since the last reset (new, caller frees). */
static char *
server_log(void)
{
	struct hv_buf	out = HV_BUF_INIT;

	control("GET", "/_test/log", &out);
	return hv_buf_detach(&out);
}

/* How many lines of the log start with prefix. */
static int
log_count(const char *log, const char *prefix)
{
	const char	*p = log;
	size_t		 n = strlen(prefix);
	int		 count = 0;

	while (*p != '\0') {
		if (strncmp(p, prefix, n) == 0)
			count++;
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	return count;
}

static char *
url_of(const char *prefix)
{
	return httpd_url(&srv, prefix);
}

/* ---- calls -------------------------------------------------------- */

/* A map from key, value pairs (strings, or NULL-terminated). */
static struct hv_node *
map_of(const char *k, ...)
{
	struct hv_node	*m = hv_node_new(HV_NODE_MAP, "test.yaml", 1, 1);
	const char	*v;
	va_list		 ap;

	va_start(ap, k);
	for (; k != NULL; k = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		hv_node_append(m, hv_node_scalar(k, "test.yaml", 1, 1),
		    hv_node_scalar(v, "test.yaml", 1, 1));
	}
	va_end(ap);
	return m;
}

/* Adds key: node to a map. */
static void
put(struct hv_node *m, const char *k, struct hv_node *v)
{
	hv_node_append(m, hv_node_scalar(k, "test.yaml", 1, 1), v);
}

struct run {
	struct hv_loop	*loop;
	struct hv_ctx	 ctx;
	struct hv_call	 call;
	struct hv_node	*with;
	struct hv_node	*expect;
	int		 done_calls;
};

static void
call_done(struct hv_call *call)
{
	struct run	*r = call->arg;

	r->done_calls++;
}

static int
call_finished(void *arg)
{
	return ((struct hv_call *)arg)->finished;
}

/* Sets up a call of driver with with and expect (owned by r). */
static void
run_init(struct run *r, const struct hv_driver *d, struct hv_node *with,
    struct hv_node *expect)
{
	memset(r, 0, sizeof *r);
	r->loop = hv_loop_new();
	r->ctx.loop = r->loop;
	r->with = with;
	r->expect = expect;
	hv_call_init(&r->call, d, &r->ctx);
	r->call.with = with;
	r->call.expect = expect;
	r->call.done = call_done;
	r->call.arg = r;
}

/* Checks, starts (or reverts) the call and runs it to its end. */
static void
run_call(struct run *r, int revert)
{
	struct hv_buf	err = HV_BUF_INIT;
	int		rc;

	if (r->call.driver->check(&r->call, &err) != 0)
		fail_msg("check: %s", err.s);
	hv_call_reset(&r->call);
	r->call.reverting = revert;
	rc = revert ? r->call.driver->revert(&r->call) :
	    r->call.driver->start(&r->call);
	if (rc != 0)
		fail_msg("start: %s", r->call.err.s);
	hv_loop_run(r->loop, call_finished, &r->call, hv_mono_ms() + 10000);
	assert_true(r->call.finished);
	assert_int_equal(r->done_calls, 1);
	assert_null(r->call.priv);
	r->done_calls = 0;
	hv_buf_release(&err);
}

static void
run_release(struct run *r)
{
	hv_call_release(&r->call);
	hv_node_free(r->with);
	hv_node_free(r->expect);
	hv_loop_free(r->loop);
}

/* The driver's check hook on with and expect (both freed). */
static int
check(const struct hv_driver *d, struct hv_node *with,
    struct hv_node *expect, struct hv_buf *err)
{
	struct hv_call	call;
	int		rc;

	hv_call_init(&call, d, NULL);
	call.with = with;
	call.expect = expect;
	hv_buf_reset(err);
	rc = d->check(&call, err);
	hv_call_release(&call);
	hv_node_free(with);
	hv_node_free(expect);
	return rc;
}

/* Runs the prometheus probe: query at prefix, with expectations. */
static int
prom(struct run *r, const char *prefix, const char *query,
    struct hv_node *expect)
{
	char	*url = url_of(prefix);

	run_init(r, &hv_probe_prometheus, map_of("url", url, "query", query,
	    NULL), expect);
	free(url);
	run_call(r, 0);
	return r->call.ok;
}

/* Runs the alertmanager probe for alertname with labels (or NULL). */
static int
am(struct run *r, const char *prefix, const char *alertname,
    struct hv_node *labels, struct hv_node *expect)
{
	struct hv_node	*with;
	char		*url = url_of(prefix);

	with = map_of("url", url, "alertname", alertname, NULL);
	if (labels != NULL)
		put(with, "labels", labels);
	free(url);
	run_init(r, &hv_probe_alertmanager, with, expect);
	run_call(r, 0);
	return r->call.ok;
}

/* ---- the URL encoding --------------------------------------------- */

static void
test_urlencode(void **state)
{
	struct hv_buf	b = HV_BUF_INIT;

	(void)state;
	hv_http_urlencode(&b, "up{job=\"node\"} > 0.5 & x+y/z#~-._");
	assert_string_equal(b.s, "up%7Bjob%3D%22node%22%7D%20%3E%200.5%20%26"
	    "%20x%2By%2Fz%23~-._");
	hv_buf_reset(&b);
	hv_http_urlencode(&b, "");
	assert_string_equal(b.s, "");
	hv_http_urlencode(&b, "caf\xc3\xa9\n");
	assert_string_equal(b.s, "caf%C3%A9%0A");
	hv_buf_release(&b);
}

/* ---- prometheus --------------------------------------------------- */

static void
test_prom_vector(void **state)
{
	struct run	 r;
	char		*log;

	(void)state;
	server_reset();
	/* By default one series within the bound is enough. */
	assert_true(prom(&r, "", "node_load1{job=\"node\"}",
	    map_of("value", "< 0.5", NULL)));
	assert_int_equal(r.call.err.len, 0);
	assert_string_equal(r.call.out.s,
	    "node_load1{instance=\"web-1:9100\"} 0.83\n"
	    "node_load1{instance=\"web-2:9100\"} 0.12\n"
	    "node_load1{instance=\"web-3:9100\"} 0.4");
	assert_true(r.call.has_value);
	assert_true(r.call.value == 0.83);
	assert_string_equal(r.call.state, "");
	assert_true(r.call.latency_ms >= 0);
	run_release(&r);
	log = server_log();
	assert_string_equal(log, "GET /api/v1/query?query="
	    "node_load1%7Bjob%3D%22node%22%7D\n");
	free(log);

	/* With all, every series must. */
	assert_false(prom(&r, "", "node_load1{job=\"node\"}",
	    map_of("value", "< 0.5", "all", "true", NULL)));
	assert_string_equal(r.call.err.s,
	    "value 0.83 (instance=\"web-1:9100\") not < 0.5");
	run_release(&r);
	assert_true(prom(&r, "", "node_load1{job=\"node\"}",
	    map_of("value", "> 0.1", "all", "true", NULL)));
	run_release(&r);

	/* None within: each one is told. */
	assert_false(prom(&r, "", "node_load1{job=\"node\"}",
	    map_of("value", "> 1", NULL)));
	assert_string_equal(r.call.err.s,
	    "value 0.83 (instance=\"web-1:9100\") not > 1; "
	    "value 0.12 (instance=\"web-2:9100\") not > 1; "
	    "value 0.4 (instance=\"web-3:9100\") not > 1");
	run_release(&r);

	/* Nothing expected: some series is enough. */
	assert_true(prom(&r, "", "node_load1{job=\"node\"}", NULL));
	run_release(&r);
}

static void
test_prom_bounds(void **state)
{
	static const struct {
		const char	*bound;
		int		 any, all;
	} cases[] = {
		{ "<= 0.12", 1, 0 }, { "< 0.12", 0, 0 }, { ">= 0.83", 1, 0 },
		{ "> 0.83", 0, 0 }, { "== 0.4", 1, 0 }, { "0.4", 1, 0 },
		{ "!= 0.83", 1, 0 }, { "!=0.5", 1, 1 }, { "0.1..0.2", 1, 0 },
		{ "0.12..0.83", 1, 1 }, { "0.5..0.8", 0, 0 },
		{ " >=0.12 ", 1, 1 }, { "-1..1", 1, 1 }, { "> -1e3", 1, 1 },
	};
	struct run	r;
	size_t		i;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(cases); i++) {
		if (prom(&r, "", "node_load1{job=\"node\"}",
		    map_of("value", cases[i].bound, NULL)) != cases[i].any)
			fail_msg("\"%s\": expected %d (%s)", cases[i].bound,
			    cases[i].any, r.call.err.s);
		run_release(&r);
		if (prom(&r, "", "node_load1{job=\"node\"}",
		    map_of("value", cases[i].bound, "all", "true", NULL)) !=
		    cases[i].all)
			fail_msg("\"%s\" all: expected %d (%s)",
			    cases[i].bound, cases[i].all, r.call.err.s);
		run_release(&r);
	}
	assert_false(prom(&r, "", "node_load1{job=\"node\"}",
	    map_of("value", "0.5..0.8", NULL)));
	assert_non_null(strstr(r.call.err.s, "value 0.12 "
	    "(instance=\"web-2:9100\") not within 0.5..0.8"));
	run_release(&r);
}

static void
test_prom_scalar_and_empty(void **state)
{
	struct run	r;

	(void)state;
	assert_true(prom(&r, "", "scalar(sum(up))",
	    map_of("value", "== 3", NULL)));
	assert_string_equal(r.call.out.s, "scalar 3");
	assert_true(r.call.has_value && r.call.value == 3);
	run_release(&r);
	assert_false(prom(&r, "", "scalar(sum(up))",
	    map_of("value", "< 3", NULL)));
	assert_string_equal(r.call.err.s, "value 3 not < 3");
	run_release(&r);
	assert_false(prom(&r, "", "scalar(sum(up))",
	    map_of("empty", "true", NULL)));
	assert_string_equal(r.call.err.s, "query returned a scalar, "
	    "expected no series");
	run_release(&r);

	/* A series without labels. */
	assert_false(prom(&r, "", "count(up)", map_of("value", "> 5", NULL)));
	assert_string_equal(r.call.err.s, "value 3 not > 5");
	assert_string_equal(r.call.out.s, "{} 3");
	run_release(&r);

	/* No series: a failure unless none is expected. */
	assert_false(prom(&r, "", "up{job=\"none\"}", NULL));
	assert_string_equal(r.call.err.s, "query returned no series");
	assert_string_equal(r.call.out.s, "no series");
	assert_false(r.call.has_value);
	run_release(&r);
	assert_false(prom(&r, "", "up{job=\"none\"}",
	    map_of("value", "> 0", NULL)));
	assert_string_equal(r.call.err.s, "query returned no series");
	run_release(&r);
	assert_false(prom(&r, "", "up{job=\"none\"}",
	    map_of("empty", "false", NULL)));
	run_release(&r);
	assert_true(prom(&r, "", "up{job=\"none\"}",
	    map_of("empty", "true", NULL)));
	run_release(&r);
	assert_false(prom(&r, "", "node_load1{job=\"node\"}",
	    map_of("empty", "true", NULL)));
	assert_string_equal(r.call.err.s, "query returned 3 series, "
	    "expected none");
	run_release(&r);
}

static void
test_prom_odd_values(void **state)
{
	struct run	r;

	(void)state;
	/* +Inf is above anything; NaN meets no bound but != . */
	assert_true(prom(&r, "", "odd_values", map_of("value", "> 1e300",
	    NULL)));
	run_release(&r);
	assert_false(prom(&r, "", "odd_values", map_of("value", "> 1e300",
	    "all", "true", NULL)));
	assert_string_equal(r.call.err.s, "value NaN (instance=\"a\") not > "
	    "1e+300");
	run_release(&r);
	assert_true(prom(&r, "", "odd_values", map_of("value", "!= 0",
	    "all", "true", NULL)));
	run_release(&r);

	/* Many series: out and err stay bounded. */
	assert_false(prom(&r, "", "many", map_of("value", "> 100", "all",
	    "true", NULL)));
	assert_non_null(strstr(r.call.out.s, "many{instance=\"host-19\"} "
	    "19\n... and 10 more series"));
	assert_null(strstr(r.call.out.s, "host-20"));
	assert_non_null(strstr(r.call.err.s, "value 4 (instance=\"host-04\") "
	    "not > 100; and 25 more series"));
	run_release(&r);

	/* Warnings are kept with the output. */
	assert_true(prom(&r, "", "warned", NULL));
	assert_string_equal(r.call.out.s, "w{instance=\"a\"} 1\n"
	    "warning: partial response");
	run_release(&r);
}

static void
test_prom_errors(void **state)
{
	struct run	 r;
	char		*log, *want;

	(void)state;
	server_reset();
	assert_false(prom(&r, "", "sum(rate(x[5m])", NULL));
	assert_string_equal(r.call.err.s, "prometheus: bad_data: invalid "
	    "parameter \"query\": 1:16: parse error: unclosed left "
	    "parenthesis");
	run_release(&r);
	log = server_log();
	assert_string_equal(log, "GET /api/v1/query?query="
	    "sum%28rate%28x%5B5m%5D%29\n");
	free(log);

	assert_false(prom(&r, "", "expensive", NULL));
	assert_string_equal(r.call.err.s, "prometheus: timeout: query timed "
	    "out in expression evaluation");
	run_release(&r);

	assert_false(prom(&r, "/bad", "up", NULL));
	assert_true(strncmp(r.call.err.s, "prometheus: response is not JSON: ",
	    34) == 0);
	run_release(&r);

	assert_false(prom(&r, "/err", "up", NULL));
	assert_string_equal(r.call.err.s, "prometheus: status 500: internal "
	    "error");
	run_release(&r);

	assert_false(prom(&r, "", "up[5m]", NULL));
	assert_non_null(strstr(r.call.err.s, "returned a range vector"));
	run_release(&r);
	assert_false(prom(&r, "", "\"hello\"", map_of("value", "> 1", NULL)));
	assert_string_equal(r.call.err.s, "prometheus: the query returned a "
	    "string, not a number");
	run_release(&r);
	assert_false(prom(&r, "", "wrong_types", NULL));
	assert_string_equal(r.call.err.s, "prometheus: unexpected response: "
	    "series 1 has no [time, \"value\"]");
	run_release(&r);
	assert_false(prom(&r, "", "not_a_number", NULL));
	assert_string_equal(r.call.err.s, "prometheus: unexpected response: "
	    "series 1 has no [time, \"value\"]");
	run_release(&r);
	assert_false(prom(&r, "", "no_data", NULL));
	assert_string_equal(r.call.err.s, "prometheus: unexpected response: "
	    "no data");
	run_release(&r);
	/* An Alertmanager answer is not a Prometheus one. */
	assert_false(prom(&r, "/object", "up", NULL));
	assert_string_equal(r.call.err.s, "prometheus: unexpected response: "
	    "status is not \"success\"");
	run_release(&r);

	/* The transport: a timeout and a refused connection. */
	run_init(&r, &hv_probe_prometheus, map_of("url", log = url_of("/slow"),
	    "query", "up", "timeout", "300ms", NULL), NULL);
	free(log);
	run_call(&r, 0);
	assert_false(r.call.ok);
	want = hv_xasprintf("query up at http://127.0.0.1:%d/slow: timed out "
	    "after ", srv.port);
	assert_true(strncmp(r.call.err.s, want, strlen(want)) == 0);
	assert_true(r.call.latency_ms < SLOW_MS);
	free(want);
	run_release(&r);

	log = hv_xasprintf("http://127.0.0.1:%d/", httpd_unused_port());
	run_init(&r, &hv_probe_prometheus, map_of("url", log, "query", "up",
	    NULL), NULL);
	run_call(&r, 0);
	want = hv_xasprintf("query up at %.*s: Connection refused",
	    (int)strlen(log) - 1, log);
	assert_string_equal(r.call.err.s, want);
	free(want);
	free(log);
	run_release(&r);
}

static void
test_prom_client(void **state)
{
	struct run	 r;
	struct hv_node	*with;
	char		*url = url_of("//"), *log;

	(void)state;
	server_reset();
	/* Client parameters reach the request; the slashes go. */
	with = map_of("url", url, "query", "up == 1", "bearer", "tok", NULL);
	put(with, "headers", map_of("X-Scope-OrgID", "tenant-1", NULL));
	run_init(&r, &hv_probe_prometheus, with, map_of("empty", "true",
	    NULL));
	run_call(&r, 0);
	assert_true(r.call.ok);
	run_release(&r);
	log = server_log();
	assert_string_equal(log, "GET /api/v1/query?query=up%20%3D%3D%201\n"
	    "AUTH Bearer tok\n");
	free(log);
	free(url);
}

static void
test_prom_check(void **state)
{
	static const char *const bad[] = {
		"<< 1", "abc", "1..", "..1", "=> 1", "= 1", "< ", "<1x",
		"0.9..0.1", "< nan", "", "1..2..3",
	};
	struct hv_buf	 err = HV_BUF_INIT;
	struct hv_node	*e;
	size_t		 i;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(bad); i++) {
		if (check(&hv_probe_prometheus, map_of("url", "http://m/",
		    "query", "up", NULL), map_of("value", bad[i], NULL),
		    &err) != -1)
			fail_msg("\"%s\" passed the check", bad[i]);
		assert_true(strncmp(err.s, "value: ", 7) == 0);
	}
	assert_int_equal(check(&hv_probe_prometheus, map_of("url",
	    "http://m/", "query", "up", NULL), map_of("value", "abc", NULL),
	    &err), -1);
	assert_string_equal(err.s, "value: \"abc\" is not a bound like "
	    "\"< 0.5\", \">= 1\", \"!= 0\" or \"0.1..0.9\"");
	assert_int_equal(check(&hv_probe_prometheus, map_of("url",
	    "http://m/", "query", "up", NULL), map_of("value", "0.9..0.1",
	    NULL), &err), -1);
	assert_string_equal(err.s, "value: range \"0.9..0.1\" runs "
	    "backwards");

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "value", map_of("lt", "1", NULL));
	assert_int_equal(check(&hv_probe_prometheus, map_of("url",
	    "http://m/", "query", "up", NULL), e, &err), -1);
	assert_string_equal(err.s, "value: expected a bound like \"< 0.5\", "
	    "not a map");

	assert_int_equal(check(&hv_probe_prometheus, map_of("url",
	    "ftp://m/?x=1", "query", " ", NULL), map_of("value", "> 1",
	    "empty", "true", "all", "true", NULL), &err), -1);
	assert_non_null(strstr(err.s, "url: scheme ftp is not http"));
	assert_non_null(strstr(err.s, "url: give Prometheus' base URL, "
	    "without a query or a fragment"));
	assert_non_null(strstr(err.s, "query: empty"));
	assert_non_null(strstr(err.s, "value and empty: true cannot both "
	    "hold"));
	assert_non_null(strstr(err.s, "all and empty: true cannot both "
	    "hold"));
	assert_int_equal(check(&hv_probe_prometheus, map_of("url",
	    "http://m/", "query", "up", NULL), map_of("all", "true", NULL),
	    &err), -1);
	assert_string_equal(err.s, "all: true needs value");

	/* The forms that are fine. */
	assert_int_equal(check(&hv_probe_prometheus, map_of("url",
	    "https://m:9090/prom/", "query", "up", "bearer", "t", NULL),
	    map_of("value", "0.1..0.9", "all", "true", NULL), &err), 0);
	assert_int_equal(check(&hv_probe_prometheus, map_of("url",
	    "${env.PROM}", "query", "up", NULL), map_of("empty", "true",
	    NULL), &err), 0);
	assert_int_equal(err.len, 0);
	hv_buf_release(&err);
}

static void
test_prom_describe(void **state)
{
	struct run	 r;
	struct hv_node	*with, *url;
	struct hv_buf	 d = HV_BUF_INIT;

	(void)state;
	run_init(&r, &hv_probe_prometheus, map_of("url", "http://mon:9090/",
	    "query", "up{job=\"node\"}", NULL), NULL);
	hv_call_describe(&r.call, 0, &d);
	assert_string_equal(d.s, "query up{job=\"node\"} at http://mon:9090");
	run_release(&r);

	/* A secret in the URL stays a reference, in describe and errors. */
	url = hv_node_scalar("http://u:s3cret@127.0.0.1:1/", "t", 1, 1);
	free(url->shown);
	url->shown = hv_xstrdup("http://u:${env.PW}@127.0.0.1:1/");
	url->secret = 1;
	with = map_of("query", "up", NULL);
	put(with, "url", url);
	run_init(&r, &hv_probe_prometheus, with, NULL);
	hv_buf_reset(&d);
	hv_call_describe(&r.call, 0, &d);
	assert_string_equal(d.s, "query up at http://u:${env.PW}@127.0.0.1:1");
	run_call(&r, 0);
	assert_false(r.call.ok);
	assert_null(strstr(r.call.err.s, "s3cret"));
	assert_non_null(strstr(r.call.err.s, "${env.PW}"));
	run_release(&r);
	hv_buf_release(&d);
}

static void
test_prom_cancel(void **state)
{
	struct run	 r;
	char		*url = url_of("/slow");

	(void)state;
	run_init(&r, &hv_probe_prometheus, map_of("url", url, "query", "up",
	    NULL), NULL);
	free(url);
	assert_int_equal(r.call.driver->start(&r.call), 0);
	hv_loop_run(r.loop, NULL, NULL, hv_mono_ms() + 100);
	assert_false(r.call.finished);
	r.call.driver->cancel(&r.call);
	assert_true(r.call.finished);
	assert_string_equal(r.call.err.s, "cancelled");
	assert_null(r.call.priv);
	hv_loop_run(r.loop, NULL, NULL, hv_mono_ms() + SLOW_MS + 300);
	assert_int_equal(r.done_calls, 1);
	run_release(&r);
}

/* ---- alertmanager ------------------------------------------------- */

static void
test_am_active(void **state)
{
	struct run	 r;
	char		*log;

	(void)state;
	server_reset();
	assert_true(am(&r, "", "NodeDown", map_of("instance", "web-1", NULL),
	    NULL));
	assert_int_equal(r.call.err.len, 0);
	assert_string_equal(r.call.state, "active");
	assert_string_equal(r.call.out.s, "NodeDown{instance=\"web-1\"} "
	    "active since 10:02:03 UTC");
	assert_true(r.call.has_value && r.call.value == 1);
	run_release(&r);
	log = server_log();
	assert_string_equal(log, "GET /api/v2/alerts?active=true"
	    "&silenced=true&inhibited=true&unprocessed=true"
	    "&filter=alertname%3D%22NodeDown%22"
	    "&filter=instance%3D%22web-1%22\n");
	free(log);

	/* Without labels: every label of the alert is shown. */
	assert_true(am(&r, "", "DiskFull", NULL, map_of("active", "true",
	    NULL)));
	assert_string_equal(r.call.out.s, "DiskFull{instance=\"web-1\", "
	    "job=\"node\", severity=\"critical\"} active since 09:00:00 UTC");
	run_release(&r);
}

static void
test_am_regex(void **state)
{
	struct run	 r;
	char		*log;

	(void)state;
	server_reset();
	/* An active match is reported before a silenced one. */
	assert_true(am(&r, "", "NodeDown", map_of("instance", "~web-.*",
	    NULL), NULL));
	assert_string_equal(r.call.state, "active");
	assert_string_equal(r.call.out.s, "NodeDown{instance=\"web-1\"} "
	    "active since 10:02:03 UTC (3 match: 2 active, 1 silenced)");
	assert_true(r.call.value == 3);
	run_release(&r);
	log = server_log();
	assert_non_null(strstr(log, "&filter=instance%3D~%22web-.%2A%22\n"));
	free(log);

	/* The whole value must match: web-1 is not web-10. */
	assert_true(am(&r, "", "NodeDown", map_of("instance", "~web-1",
	    NULL), NULL));
	assert_true(r.call.value == 1);
	run_release(&r);
	assert_true(am(&r, "", "NodeDown", map_of("instance", "~web-1[0-9]*",
	    "job", "node", NULL), map_of("count_at_least", "2", NULL)));
	run_release(&r);
	assert_false(am(&r, "", "NodeDown", map_of("instance", "~web",
	    NULL), NULL));
	assert_string_equal(r.call.err.s, "no alert matches "
	    "NodeDown{instance=~\"web\"} (4 NodeDown alerts with other "
	    "labels)");
	assert_string_equal(r.call.out.s, "no matching alert");
	assert_string_equal(r.call.state, "");
	run_release(&r);

	/* A label the alert lacks is the empty string. */
	assert_true(am(&r, "", "NodeDown", map_of("team", "", NULL),
	    map_of("count_at_least", "4", NULL)));
	run_release(&r);
	assert_false(am(&r, "", "NodeDown", map_of("team", "~.+", NULL),
	    NULL));
	run_release(&r);
}

static void
test_am_suppressed(void **state)
{
	struct run	r;

	(void)state;
	assert_true(am(&r, "", "NodeDown", map_of("instance", "web-2", NULL),
	    NULL));
	assert_string_equal(r.call.state, "silenced");
	assert_string_equal(r.call.out.s, "NodeDown{instance=\"web-2\"} "
	    "silenced since 10:05:00 UTC");
	run_release(&r);

	assert_true(am(&r, "", "NodeDown", map_of("instance", "db-1", NULL),
	    NULL));
	assert_string_equal(r.call.state, "inhibited");
	assert_string_equal(r.call.out.s, "NodeDown{instance=\"db-1\"} "
	    "inhibited since 11:00:00 +02:00");
	run_release(&r);

	assert_true(am(&r, "", "HighLoad", NULL, NULL));
	assert_string_equal(r.call.state, "unprocessed");
	run_release(&r);

	/* Only suppressed ones: the first is reported, counts follow. */
	assert_true(am(&r, "", "NodeDown", map_of("instance", "~(web-2|db-1)",
	    NULL), NULL));
	assert_string_equal(r.call.state, "silenced");
	assert_non_null(strstr(r.call.out.s, "(2 match: 1 silenced, 1 "
	    "inhibited)"));
	run_release(&r);
}

static void
test_am_absent_and_count(void **state)
{
	struct run	r;

	(void)state;
	/* Pre-flight: no incident in progress. */
	assert_true(am(&r, "", "NoSuchAlert", NULL, map_of("active", "false",
	    NULL)));
	assert_string_equal(r.call.out.s, "no matching alert");
	assert_true(r.call.has_value && r.call.value == 0);
	run_release(&r);
	assert_false(am(&r, "", "NodeDown", map_of("instance", "web-2", NULL),
	    map_of("active", "false", NULL)));
	assert_string_equal(r.call.err.s, "NodeDown{instance=\"web-2\"} "
	    "silenced since 10:05:00 UTC, expected none");
	run_release(&r);

	assert_true(am(&r, "", "NodeDown", NULL, map_of("count_at_least", "4",
	    NULL)));
	run_release(&r);
	assert_false(am(&r, "", "NodeDown", NULL, map_of("count_at_least",
	    "5", NULL)));
	assert_string_equal(r.call.err.s, "4 alerts match NodeDown, expected "
	    "at least 5");
	run_release(&r);

	assert_false(am(&r, "", "DiskFull", map_of("instance", "db-1", NULL),
	    NULL));
	assert_string_equal(r.call.err.s, "no alert matches "
	    "DiskFull{instance=\"db-1\"} (1 DiskFull alert with other "
	    "labels)");
	run_release(&r);
	assert_false(am(&r, "", "NoSuchAlert", NULL, NULL));
	assert_string_equal(r.call.err.s, "no alert matches NoSuchAlert");
	run_release(&r);
}

static void
test_am_errors(void **state)
{
	struct run	 r;
	struct hv_node	*with;
	char		*url, *want;

	(void)state;
	assert_false(am(&r, "/bad", "NodeDown", NULL, NULL));
	assert_true(strncmp(r.call.err.s, "alertmanager: response is not "
	    "JSON: ", 36) == 0);
	run_release(&r);
	assert_false(am(&r, "/err", "NodeDown", NULL, NULL));
	assert_string_equal(r.call.err.s, "alertmanager: status 500: "
	    "internal error");
	run_release(&r);
	assert_false(am(&r, "/strict", "NodeDown", NULL, NULL));
	assert_string_equal(r.call.err.s, "alertmanager: status 400: bad "
	    "matcher format: instance=~\"(\"");
	run_release(&r);
	assert_false(am(&r, "/weird", "NodeDown", NULL, NULL));
	assert_string_equal(r.call.err.s, "alertmanager: unexpected "
	    "response: alert 1 has no status.state of active, suppressed or "
	    "unprocessed");
	run_release(&r);
	assert_false(am(&r, "/object", "NodeDown", NULL, NULL));
	assert_string_equal(r.call.err.s, "alertmanager: unexpected "
	    "response: not a list of alerts");
	run_release(&r);

	url = url_of("/slow");
	with = map_of("url", url, "alertname", "NodeDown", "timeout", "300ms",
	    NULL);
	run_init(&r, &hv_probe_alertmanager, with, NULL);
	run_call(&r, 0);
	assert_false(r.call.ok);
	want = hv_xasprintf("GET %s/api/v2/alerts: timed out after ", url);
	assert_true(strncmp(r.call.err.s, want, strlen(want)) == 0);
	free(want);
	free(url);
	run_release(&r);
}

static void
test_am_check(void **state)
{
	struct hv_buf	 err = HV_BUF_INIT;
	struct hv_node	*with;

	(void)state;
	with = map_of("url", "http://m:9093#x", "alertname", "", NULL);
	put(with, "labels", map_of("instance", "~(", "alertname", "X",
	    "job", "~a|b", NULL));
	assert_int_equal(check(&hv_probe_alertmanager, with,
	    map_of("active", "false", "count_at_least", "2", NULL), &err),
	    -1);
	assert_non_null(strstr(err.s, "url: give Alertmanager's base URL"));
	assert_non_null(strstr(err.s, "alertname: empty"));
	assert_non_null(strstr(err.s, "labels.instance: bad regular "
	    "expression \"~(\": "));
	assert_non_null(strstr(err.s, "labels: give the alert's name as "
	    "alertname, not as a label"));
	assert_null(strstr(err.s, "labels.job"));
	assert_non_null(strstr(err.s, "count_at_least needs active: true"));
	assert_int_equal(check(&hv_probe_alertmanager, map_of("url",
	    "http://m:9093", "alertname", "A", NULL), map_of("count_at_least",
	    "0", NULL), &err), -1);
	assert_string_equal(err.s, "count_at_least: must be 1 or more");
	assert_int_equal(check(&hv_probe_alertmanager, map_of("url",
	    "http://m:9093/am/", "alertname", "A", NULL), NULL, &err), 0);
	hv_buf_release(&err);
}

static void
test_am_describe(void **state)
{
	struct run	 r;
	struct hv_node	*with;
	struct hv_buf	 d = HV_BUF_INIT;

	(void)state;
	with = map_of("url", "http://mon:9093", "alertname", "NodeDown", NULL);
	put(with, "labels", map_of("instance", "web-1", NULL));
	run_init(&r, &hv_probe_alertmanager, with, NULL);
	hv_call_describe(&r.call, 0, &d);
	assert_string_equal(d.s, "GET http://mon:9093/api/v2/alerts "
	    "alertname=NodeDown instance=web-1");
	run_release(&r);
	hv_buf_release(&d);
}

/* call->state is the last run's: a run that finds nothing clears it. */
static void
test_am_state_per_run(void **state)
{
	struct run	 r;
	struct hv_node	*with;
	char		*url = url_of("");

	(void)state;
	with = map_of("url", url, "alertname", "NodeDown", NULL);
	put(with, "labels", map_of("instance", "web-2", NULL));
	run_init(&r, &hv_probe_alertmanager, with, NULL);
	run_call(&r, 0);
	assert_string_equal(r.call.state, "silenced");
	free(r.with->items[0]->str);
	r.with->items[0]->str = url_of("/object");
	run_call(&r, 0);
	assert_false(r.call.ok);
	assert_string_equal(r.call.state, "");
	run_release(&r);
	free(url);
}

/* ---- alertmanager.silence ----------------------------------------- */

/* Sets up the silence action at prefix with tag; extra with: pairs. */
static void
silence_init(struct run *r, const char *prefix, const char *tag,
    struct hv_node *labels, const char *k, ...)
{
	struct hv_node	*with;
	const char	*v;
	char		*url = url_of(prefix);
	va_list		 ap;

	with = map_of("url", url, "alertname", "NodeDown", NULL);
	free(url);
	if (labels != NULL)
		put(with, "labels", labels);
	/* The revert's linger has tests of its own. */
	if (k == NULL || strcmp(k, "linger") != 0)
		put(with, "linger", hv_node_scalar("0", "test.yaml", 1, 1));
	va_start(ap, k);
	for (; k != NULL; k = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		put(with, k, hv_node_scalar(v, "test.yaml", 1, 1));
	}
	va_end(ap);
	run_init(r, &hv_action_alertmanager_silence, with, NULL);
	r->call.tag = tag != NULL ? hv_xstrdup(tag) : NULL;
}

/* An RFC 3339 UTC time with milliseconds, as wall milliseconds. */
static int64_t
parse_time(const char *s)
{
	struct tm	tm;
	const char	*p;
	int		ms = 0;

	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	assert_non_null(p);
	if (*p == '.')
		assert_int_equal(sscanf(p, ".%3dZ", &ms), 1);
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* The state of silence id on the server, or NULL. */
static const char *
silence_state(json_t *list, const char *id)
{
	json_t	*s;
	size_t	 i;

	json_array_foreach(list, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "id")), id) ==
		    0)
			return json_string_value(json_object_get(
			    json_object_get(s, "status"), "state"));
	}
	return NULL;
}

static void
test_silence_lifecycle(void **state)
{
	struct run	 r;
	struct hv_buf	 list = HV_BUF_INIT;
	json_t		*body, *m, *l;
	char		*log, *line;
	int64_t		 t0 = hv_wall_ms(), starts, ends;

	(void)state;
	server_reset();
	silence_init(&r, "", "havoc-r7-s1", map_of("instance", "~web-.*",
	    NULL), NULL);
	assert_true(hv_call_is_fault(&r.call));
	run_call(&r, 0);
	assert_true(r.call.ok);
	assert_true(strncmp(r.call.out.s, "silence sil-1 until ", 20) == 0);
	/* A second silence with the same tag: the revert takes both. */
	run_call(&r, 0);
	assert_true(r.call.ok);
	assert_true(strncmp(r.call.out.s, "silence sil-2 until ", 20) == 0);

	log = server_log();
	assert_int_equal(log_count(log, "POST /api/v2/silences"), 2);
	line = strstr(log, "BODY ");
	assert_non_null(line);
	line[strcspn(line, "\n")] = '\0';
	body = json_loads(line + 5, 0, NULL);
	assert_non_null(body);
	m = json_object_get(body, "matchers");
	assert_int_equal(json_array_size(m), 2);
	l = json_pack("[{s:s, s:s, s:b, s:b}, {s:s, s:s, s:b, s:b}]",
	    "name", "alertname", "value", "NodeDown", "isRegex", 0,
	    "isEqual", 1, "name", "instance", "value", "web-.*", "isRegex", 1,
	    "isEqual", 1);
	assert_true(json_equal(m, l));
	json_decref(l);
	assert_string_equal(json_string_value(json_object_get(body,
	    "createdBy")), "havoc");
	assert_string_equal(json_string_value(json_object_get(body,
	    "comment")), "havoc experiment [havoc-r7-s1]");
	starts = parse_time(json_string_value(json_object_get(body,
	    "startsAt")));
	ends = parse_time(json_string_value(json_object_get(body, "endsAt")));
	assert_int_equal(ends - starts, 600000);
	assert_true(starts >= t0 - 1000 && starts <= hv_wall_ms() + 1000);
	json_decref(body);
	free(log);

	/* The revert expires ours only: not another's, not -s12's. */
	control("POST", "/_test/clear-log", NULL);
	run_call(&r, 1);
	assert_true(r.call.ok);
	assert_int_equal(r.call.err.len, 0);
	log = server_log();
	assert_int_equal(log_count(log, "GET /api/v2/silences"), 1);
	assert_int_equal(log_count(log, "DELETE "), 2);
	assert_int_equal(log_count(log, "DELETE /api/v2/silence/sil-1"), 1);
	assert_int_equal(log_count(log, "DELETE /api/v2/silence/sil-2"), 1);
	assert_true(strstr(log, "GET /api/v2/silences") <
	    strstr(log, "DELETE"));
	free(log);
	assert_true(strcmp(r.call.out.s, "expired silence sil-1, sil-2") ==
	    0 || strcmp(r.call.out.s, "expired silence sil-2, sil-1") == 0);

	control("GET", "/api/v2/silences", &list);
	l = json_loads(list.s, 0, NULL);
	assert_string_equal(silence_state(l, "sil-1"), "expired");
	assert_string_equal(silence_state(l, "sil-2"), "expired");
	assert_string_equal(silence_state(l, "other-1"), "active");
	assert_string_equal(silence_state(l, "near-miss"), "active");
	json_decref(l);
	hv_buf_release(&list);

	/* Again: nothing in force, nothing deleted, still a success. */
	run_call(&r, 1);
	assert_true(r.call.ok);
	assert_string_equal(r.call.out.s, "no silence of havoc-r7-s1 in "
	    "force");
	log = server_log();
	assert_int_equal(log_count(log, "DELETE "), 2);
	free(log);
	run_release(&r);
}

/*
 * The revert keeps the silence while what it hides still fires (the
 * fault was reverted a moment ago), then expires it; and expires it
 * anyway once linger is over.
 */
static void
test_silence_linger(void **state)
{
	struct run	 r;
	char		*log, *look, *del;
	int64_t		 t0;

	(void)state;
	server_reset();
	silence_init(&r, "", "havoc-r90-s1", NULL, "linger", "10s", NULL);
	free(r.with->items[1]->str);
	r.with->items[1]->str = hv_xstrdup("Lingering");
	run_call(&r, 0);
	assert_true(r.call.ok);
	control("POST", "/_test/linger?n=2", NULL);
	control("POST", "/_test/clear-log", NULL);
	t0 = hv_mono_ms();
	run_call(&r, 1);
	if (!r.call.ok)
		fail_msg("revert: %s", r.call.err.s);
	/* Two looks saw it firing, a second apart; the third did not. */
	assert_true(hv_mono_ms() - t0 >= 1900);
	assert_non_null(strstr(r.call.out.s, "until the alerts cleared"));
	log = server_log();
	assert_int_equal(log_count(log, "GET /api/v2/alerts"), 3);
	look = strstr(log, "GET /api/v2/alerts?");
	del = strstr(log, "DELETE /api/v2/silence/sil-1");
	assert_non_null(look);
	assert_non_null(del);
	assert_true(look < del);
	assert_non_null(strstr(look, "silenced=true"));
	assert_non_null(strstr(look, "filter=alertname%3D%22Lingering%22"));
	free(log);
	run_release(&r);

	/* Still firing when linger is over: expired all the same. */
	silence_init(&r, "", "havoc-r90-s2", NULL, "linger", "2s", NULL);
	free(r.with->items[1]->str);
	r.with->items[1]->str = hv_xstrdup("Lingering");
	run_call(&r, 0);
	control("POST", "/_test/linger?n=100", NULL);
	t0 = hv_mono_ms();
	run_call(&r, 1);
	assert_true(r.call.ok);
	assert_true(hv_mono_ms() - t0 < 4000);
	assert_non_null(strstr(r.call.out.s, "still firing"));
	assert_non_null(strstr(r.call.out.s, "expired silence"));
	run_release(&r);
}

static void
test_silence_revert_edges(void **state)
{
	struct run	 r;
	char		*log, *want;
	int64_t		 t0;

	(void)state;
	server_reset();
	/* Gone already (404) is what the revert wants. */
	silence_init(&r, "", "havoc-r8-s1", NULL, NULL);
	run_call(&r, 1);
	assert_true(r.call.ok);
	assert_string_equal(r.call.out.s, "expired silence vanishing");
	run_release(&r);

	/* A refused expiry fails the revert and names the silence. */
	silence_init(&r, "", "havoc-r9-s1", NULL, NULL);
	run_call(&r, 1);
	assert_false(r.call.ok);
	want = hv_xasprintf("DELETE http://127.0.0.1:%d/api/v2/silence/"
	    "stuck: status 500: internal: store locked", srv.port);
	assert_string_equal(r.call.err.s, want);
	free(want);
	run_release(&r);

	/* The expiries run concurrently. */
	control("POST", "/_test/clear-log", NULL);
	silence_init(&r, "", "havoc-r10-s1", NULL, NULL);
	t0 = hv_mono_ms();
	run_call(&r, 1);
	assert_true(r.call.ok);
	assert_true(hv_mono_ms() - t0 >= SLOWDEL_MS - 50);
	assert_true(hv_mono_ms() - t0 < 2 * SLOWDEL_MS - 100);
	log = server_log();
	assert_int_equal(log_count(log, "DELETE /api/v2/silence/slowdel-"),
	    2);
	free(log);
	run_release(&r);

	/* Expired meanwhile ("already expired") is done too. */
	silence_init(&r, "", "havoc-r14-s1", NULL, NULL);
	run_call(&r, 1);
	assert_true(r.call.ok);
	assert_string_equal(r.call.out.s, "expired silence racing");
	run_release(&r);

	/* The whole revert keeps within one timeout: list, then expiries. */
	server_reset();
	silence_init(&r, "/lag", "havoc-r10-s1", NULL, "timeout", "1s",
	    NULL);
	t0 = hv_mono_ms();
	run_call(&r, 1);
	assert_false(r.call.ok);
	assert_true(hv_mono_ms() - t0 < 1500);
	assert_non_null(strstr(r.call.err.s, "/api/v2/silence/slowdel-"));
	assert_non_null(strstr(r.call.err.s, "timed out after"));
	run_release(&r);
}

static void
test_silence_errors(void **state)
{
	struct run	 r;
	struct hv_buf	 list = HV_BUF_INIT;
	char		*want;
	json_t		*l;

	(void)state;
	server_reset();
	silence_init(&r, "/err", "havoc-r11-s1", NULL, NULL);
	run_call(&r, 0);
	assert_false(r.call.ok);
	want = hv_xasprintf("POST http://127.0.0.1:%d/err/api/v2/silences: "
	    "status 500: internal error", srv.port);
	assert_string_equal(r.call.err.s, want);
	free(want);
	run_call(&r, 1);
	assert_false(r.call.ok);
	want = hv_xasprintf("GET http://127.0.0.1:%d/err/api/v2/silences: "
	    "status 500: internal error", srv.port);
	assert_string_equal(r.call.err.s, want);
	free(want);
	run_release(&r);

	silence_init(&r, "/bad", "havoc-r11-s1", NULL, NULL);
	run_call(&r, 1);
	assert_false(r.call.ok);
	assert_true(strncmp(r.call.err.s, "alertmanager: response is not "
	    "JSON: ", 36) == 0);
	run_release(&r);
	silence_init(&r, "/object", "havoc-r11-s1", NULL, NULL);
	run_call(&r, 1);
	assert_string_equal(r.call.err.s, "alertmanager: unexpected "
	    "response: not a list of silences");
	run_call(&r, 0);
	assert_string_equal(r.call.err.s, "alertmanager: unexpected "
	    "response: no silenceID (the revert finds the silence by its "
	    "tag)");
	run_release(&r);

	silence_init(&r, "/slow", "havoc-r11-s1", NULL, "timeout", "300ms",
	    NULL);
	run_call(&r, 1);
	assert_false(r.call.ok);
	assert_non_null(strstr(r.call.err.s, "/slow/api/v2/silences: timed "
	    "out after "));
	run_release(&r);

	/* No tag, no silence: it could not be found again. */
	silence_init(&r, "", NULL, NULL, NULL);
	hv_call_reset(&r.call);
	assert_int_equal(r.call.driver->start(&r.call), -1);
	assert_string_equal(r.call.err.s, "no tag to find the silence by "
	    "again");
	assert_false(r.call.finished);
	hv_buf_reset(&r.call.err);
	assert_int_equal(r.call.driver->revert(&r.call), -1);
	assert_string_equal(r.call.err.s, "no tag to find the silence by");
	run_release(&r);

	/* A comment and a duration of the experiment's own. */
	control("POST", "/_test/clear-log", NULL);
	silence_init(&r, "", "havoc-r12-s3", NULL, "comment", "game day: "
	    "\"web\" drill", "duration", "90s", NULL);
	run_call(&r, 0);
	assert_true(r.call.ok);
	control("GET", "/api/v2/silences", &list);
	l = json_loads(list.s, 0, NULL);
	assert_string_equal(silence_state(l, "sil-1"), "active");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(l, json_array_size(l) - 1), "comment")),
	    "game day: \"web\" drill [havoc-r12-s3]");
	assert_int_equal(parse_time(json_string_value(json_object_get(
	    json_array_get(l, json_array_size(l) - 1), "endsAt"))) -
	    parse_time(json_string_value(json_object_get(json_array_get(l,
	    json_array_size(l) - 1), "startsAt"))), 90000);
	json_decref(l);
	hv_buf_release(&list);
	run_release(&r);
}

static void
test_silence_cancel(void **state)
{
	struct run	 r;

	(void)state;
	silence_init(&r, "/slow", "havoc-r13-s1", NULL, NULL);
	assert_int_equal(r.call.driver->revert(&r.call), 0);
	hv_loop_run(r.loop, NULL, NULL, hv_mono_ms() + 100);
	assert_false(r.call.finished);
	r.call.driver->cancel(&r.call);
	assert_true(r.call.finished);
	assert_string_equal(r.call.err.s, "cancelled");
	assert_null(r.call.priv);
	hv_loop_run(r.loop, NULL, NULL, hv_mono_ms() + SLOW_MS + 300);
	assert_int_equal(r.done_calls, 1);
	run_release(&r);

	/* Cancelled while the expiries are in flight. */
	server_reset();
	silence_init(&r, "", "havoc-r10-s1", NULL, NULL);
	assert_int_equal(r.call.driver->revert(&r.call), 0);
	hv_loop_run(r.loop, NULL, NULL, hv_mono_ms() + SLOWDEL_MS / 2);
	assert_false(r.call.finished);
	r.call.driver->cancel(&r.call);
	assert_true(r.call.finished);
	assert_int_equal(r.done_calls, 1);
	run_release(&r);
}

static void
test_silence_check_describe(void **state)
{
	struct hv_buf	 err = HV_BUF_INIT, d = HV_BUF_INIT;
	struct hv_node	*with;
	struct run	 r;

	(void)state;
	with = map_of("url", "http://m:9093/?a", "alertname", "",
	    "duration", "0s", NULL);
	put(with, "labels", map_of("alertname", "X", "instance", "~", "job",
	    "~(", NULL));
	assert_int_equal(check(&hv_action_alertmanager_silence, with, NULL,
	    &err), -1);
	assert_non_null(strstr(err.s, "url: give Alertmanager's base URL"));
	assert_non_null(strstr(err.s, "alertname: empty"));
	assert_non_null(strstr(err.s, "labels: give the alert's name as "
	    "alertname"));
	assert_non_null(strstr(err.s, "labels.instance: empty regular "
	    "expression"));
	/* Alertmanager's regexes are RE2: it judges them itself. */
	assert_null(strstr(err.s, "labels.job"));
	assert_non_null(strstr(err.s, "duration: must be more than 0"));
	assert_int_equal(check(&hv_action_alertmanager_silence, map_of("url",
	    "http://m:9093", "alertname", "A", NULL), NULL, &err), 0);

	silence_init(&r, "", "havoc-r3-s2", NULL, NULL);
	hv_call_describe(&r.call, 0, &d);
	assert_string_equal(d.s, "silence alertname=NodeDown for 10m");
	hv_buf_reset(&d);
	hv_call_describe(&r.call, 1, &d);
	assert_string_equal(d.s, "expire havoc's silence havoc-r3-s2");
	run_release(&r);
	silence_init(&r, "", "havoc-r3-s2", map_of("instance", "~web-.*",
	    NULL), "duration", "2m", NULL);
	hv_buf_reset(&d);
	hv_call_describe(&r.call, 0, &d);
	assert_string_equal(d.s, "silence alertname=NodeDown "
	    "instance=~web-.* for 2m");
	run_release(&r);
	hv_buf_release(&d);
	hv_buf_release(&err);
}

/* ---- the tables --------------------------------------------------- */

static void
test_tables(void **state)
{
	const struct hv_driver	*ds[] = { &hv_probe_prometheus,
				    &hv_probe_alertmanager,
				    &hv_action_alertmanager_silence };
	const struct hv_param	*p, *q;
	size_t			 i;

	(void)state;
	assert_ptr_equal(hv_driver_find("prometheus"), &hv_probe_prometheus);
	assert_ptr_equal(hv_driver_find("alertmanager"),
	    &hv_probe_alertmanager);
	assert_ptr_equal(hv_driver_find("alertmanager.silence"),
	    &hv_action_alertmanager_silence);
	for (i = 0; i < HV_ARRAY_LEN(ds); i++) {
		assert_int_equal(ds[i]->target, HV_TARGET_NONE);
		assert_non_null(ds[i]->start);
		assert_non_null(ds[i]->check);
		assert_non_null(ds[i]->cancel);
		assert_non_null(ds[i]->describe);
		p = hv_param_find(ds[i]->params, "timeout");
		assert_non_null(p);
		assert_int_equal(p->type, HV_T_DURATION);
		assert_non_null(p->def);
		assert_non_null(hv_param_find(ds[i]->params, "bearer"));
		assert_true(hv_param_find(ds[i]->params, "url")->required);
		for (p = ds[i]->params; p->name != NULL; p++) {
			assert_non_null(p->help);
			for (q = p + 1; q->name != NULL; q++)
				assert_string_not_equal(p->name, q->name);
		}
	}
	assert_int_equal(hv_probe_prometheus.kind, HV_PROBE);
	assert_int_equal(hv_probe_alertmanager.kind, HV_PROBE);
	assert_int_equal(hv_action_alertmanager_silence.kind, HV_ACTION);
	assert_non_null(hv_action_alertmanager_silence.revert);
	assert_null(hv_action_alertmanager_silence.is_fault);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlencode),
		cmocka_unit_test(test_prom_vector),
		cmocka_unit_test(test_prom_bounds),
		cmocka_unit_test(test_prom_scalar_and_empty),
		cmocka_unit_test(test_prom_odd_values),
		cmocka_unit_test(test_prom_errors),
		cmocka_unit_test(test_prom_client),
		cmocka_unit_test(test_prom_check),
		cmocka_unit_test(test_prom_describe),
		cmocka_unit_test(test_prom_cancel),
		cmocka_unit_test(test_am_active),
		cmocka_unit_test(test_am_regex),
		cmocka_unit_test(test_am_suppressed),
		cmocka_unit_test(test_am_absent_and_count),
		cmocka_unit_test(test_am_errors),
		cmocka_unit_test(test_am_check),
		cmocka_unit_test(test_am_describe),
		cmocka_unit_test(test_am_state_per_run),
		cmocka_unit_test(test_silence_lifecycle),
		cmocka_unit_test(test_silence_revert_edges),
		cmocka_unit_test(test_silence_linger),
		cmocka_unit_test(test_silence_errors),
		cmocka_unit_test(test_silence_cancel),
		cmocka_unit_test(test_silence_check_describe),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
