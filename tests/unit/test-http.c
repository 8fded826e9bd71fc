/*
 * test-http.c - the libcurl seam and the HTTP and TCP drivers, against a
 * real HTTP server on 127.0.0.1 that the test starts and stops itself.
 *
 * The server (httpd.h) is a child process that accepts on an ephemeral
 * port and forks one grandchild per connection (so slow answers overlap),
 * in its own process group; teardown kills the group and reaps the child.
 * Every loop run in here has a deadline.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "http.h"
#include "httpd.h"
#include "loop.h"
#include "node.h"
#include "util.h"

extern const struct hv_driver hv_probe_http;
extern const struct hv_driver hv_probe_tcp;
extern const struct hv_driver hv_action_http_request;

#define SLOW_MS		1500
#define BIG_SIZE	100000

static struct httpd	srv;

/* ---- the test server ---------------------------------------------- */

static const char json_body[] =
    "{\"data\": {\"status\": \"ok\", \"count\": 3, \"ratio\": 0.5, "
    "\"ok\": true, \"none\": null, \"items\": [{\"name\": \"a\"}, "
    "{\"name\": \"b\"}], \"tags\": [\"x\", \"y\"]}}";

/* A request header's value for /echo: "-" when there is none. */
static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* Answers one request by its path. */
static void
serve(int fd, const struct httpd_req *req, void *arg)
{
	char		 auth[256], ctype[256], custom[256], body[1024], *big;
	const char	*method = req->method, *path = req->target;
	int		 n;

	(void)arg;
	if (strcmp(path, "/ok") == 0) {
		httpd_respond(fd, 200, "Content-Type: text/html\r\n"
		    "X-Test: yes\r\nX-Multi: a\r\nX-Multi: b\r\n",
		    "<h1>Welcome to havoc</h1>\n", 26);
	} else if (strcmp(path, "/fail") == 0) {
		httpd_respond(fd, 503, "", "service unavailable\n", 20);
	} else if (strcmp(path, "/slow") == 0) {
		usleep(SLOW_MS * 1000);
		httpd_respond(fd, 200, "", "slow\n", 5);
	} else if (strcmp(path, "/json") == 0) {
		httpd_respond(fd, 200, "Content-Type: application/json\r\n",
		    json_body, strlen(json_body));
	} else if (strcmp(path, "/redirect") == 0) {
		httpd_respond(fd, 302, "Location: /ok\r\n", "", 0);
	} else if (strcmp(path, "/redirect-file") == 0) {
		httpd_respond(fd, 302, "Location: file:///etc/passwd\r\n", "",
		    0);
	} else if (strcmp(path, "/big") == 0) {
		big = malloc(BIG_SIZE);
		memset(big, 'x', BIG_SIZE);
		httpd_respond(fd, 200, "", big, BIG_SIZE);
		free(big);
	} else if (strcmp(path, "/echo") == 0) {
		n = snprintf(body, sizeof body, "%s %s\nauthorization: %s\n"
		    "content-type: %s\nx-custom: %s\n\n%s", method, path,
		    or_dash(httpd_header(req, "Authorization", auth,
		    sizeof auth)),
		    or_dash(httpd_header(req, "Content-Type", ctype,
		    sizeof ctype)),
		    or_dash(httpd_header(req, "X-Custom", custom,
		    sizeof custom)), req->body);
		httpd_respond(fd, 200, "", body, (size_t)n);
	} else if (strcmp(path, "/items") == 0) {
		if (strcmp(method, "POST") == 0)
			httpd_respond(fd, 201, "", "{\"id\": 1}", 9);
		else
			httpd_respond(fd, 405, "", "", 0);
	} else if (strcmp(path, "/items/1") == 0) {
		if (strcmp(method, "DELETE") == 0)
			httpd_respond(fd, 204, "", "", 0);
		else
			httpd_respond(fd, 405, "", "no", 2);
	} else
		httpd_respond(fd, 404, "", "not found\n", 10);
}

/* One process per connection, so that slow answers overlap. */
static int
server_start(void **state)
{
	(void)state;
	return httpd_start(&srv, HTTPD_FORKING, serve, NULL);
}

static int
server_stop(void **state)
{
	(void)state;
	httpd_stop(&srv);
	return 0;
}

static char *
url_of(const char *path)
{
	return httpd_url(&srv, path);
}

/* ---- the engine --------------------------------------------------- */

struct got {
	int		 n;		/* callbacks so far */
	int		 want;		/* run until this many */
	struct hv_http	*freed;		/* a transfer the callback freed */
	int		 free_in_cb;
};

static void
on_done(struct hv_http *h, void *arg)
{
	struct got	*g = arg;

	g->n++;
	if (g->free_in_cb) {
		hv_http_free(h);
		g->freed = h;
	}
}

static int
enough(void *arg)
{
	struct got	*g = arg;

	return g->n >= g->want;
}

/* Runs the loop until g has its callbacks, at most ms. */
static void
run_for(struct hv_loop *loop, struct got *g, int64_t ms)
{
	hv_loop_run(loop, g != NULL ? enough : NULL, g, hv_mono_ms() + ms);
}

/* One request to completion; the transfer is left for the caller. */
static struct hv_http *
fetch(struct hv_loop *loop, struct hv_http_req *req)
{
	struct hv_buf	 err = HV_BUF_INIT;
	struct got	 g = { 0, 1, NULL, 0 };
	struct hv_http	*h;

	h = hv_http_start(loop, req, on_done, &g, &err);
	assert_non_null(h);
	assert_int_equal(g.n, 0);	/* never from within start */
	run_for(loop, &g, 10000);
	assert_int_equal(g.n, 1);
	hv_buf_release(&err);
	return h;
}

static void
test_get(void **state)
{
	struct hv_loop			*loop = hv_loop_new();
	struct hv_http_req		 req = { 0 };
	struct hv_buf			 v = HV_BUF_INIT;
	const struct hv_http_res	*res;
	struct hv_http			*h;
	char				*url = url_of("/ok");

	(void)state;
	req.url = url;
	h = fetch(loop, &req);
	res = hv_http_result(h);
	assert_true(res->ok);
	assert_int_equal(res->status, 200);
	assert_non_null(strstr(res->body.s, "Welcome"));
	assert_int_equal(res->body_size, 26);
	assert_false(res->truncated);
	assert_true(res->total_ms >= 0);
	assert_int_equal(hv_http_header(res, "x-test", &v), 0);
	assert_string_equal(v.s, "yes");
	hv_buf_reset(&v);
	assert_int_equal(hv_http_header(res, "X-Multi", &v), 0);
	assert_string_equal(v.s, "a, b");
	hv_buf_reset(&v);
	assert_int_equal(hv_http_header(res, "X-None", &v), -1);
	assert_int_equal(hv_http_header(res, "X-Tes", &v), -1);
	assert_int_equal(v.len, 0);

	hv_buf_release(&v);
	hv_http_free(h);
	free(url);
	hv_loop_free(loop);
}

static void
test_status_is_not_failure(void **state)
{
	struct hv_loop		*loop = hv_loop_new();
	struct hv_http_req	 req = { 0 };
	struct hv_http		*h;
	char			*url = url_of("/fail");

	(void)state;
	req.url = url;
	h = fetch(loop, &req);
	assert_true(hv_http_result(h)->ok);
	assert_int_equal(hv_http_result(h)->status, 503);
	hv_http_free(h);
	free(url);
	hv_loop_free(loop);
}

static void
test_concurrent(void **state)
{
	struct hv_loop		*loop = hv_loop_new();
	struct hv_http_req	 req = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 20, NULL, 0 };
	struct hv_http		*hs[20];
	char			*url = url_of("/slow");
	int64_t			 t0, took;
	size_t			 i;

	(void)state;
	req.url = url;
	req.timeout_ms = 10000;
	t0 = hv_mono_ms();
	for (i = 0; i < HV_ARRAY_LEN(hs); i++) {
		hs[i] = hv_http_start(loop, &req, on_done, &g, &err);
		assert_non_null(hs[i]);
	}
	run_for(loop, &g, 15000);
	took = hv_mono_ms() - t0;
	assert_int_equal(g.n, 20);
	for (i = 0; i < HV_ARRAY_LEN(hs); i++) {
		assert_true(hv_http_result(hs[i])->ok);
		assert_int_equal(hv_http_result(hs[i])->status, 200);
		assert_true(hv_http_result(hs[i])->total_ms >= SLOW_MS - 50);
		hv_http_free(hs[i]);
	}
	/* One after the other would take 30 s. */
	assert_true(took >= SLOW_MS - 50);
	assert_true(took < 3 * SLOW_MS);
	hv_buf_release(&err);
	free(url);
	hv_loop_free(loop);
}

static void
test_timeout(void **state)
{
	struct hv_loop			*loop = hv_loop_new();
	struct hv_http_req		 req = { 0 };
	const struct hv_http_res	*res;
	struct hv_http			*h;
	char				*url = url_of("/slow");
	int64_t				 t0;

	(void)state;
	req.url = url;
	req.timeout_ms = 300;
	t0 = hv_mono_ms();
	h = fetch(loop, &req);
	assert_true(hv_mono_ms() - t0 < SLOW_MS);
	res = hv_http_result(h);
	assert_false(res->ok);
	assert_true(res->timed_out);
	assert_non_null(strstr(res->error, "timed out after"));
	assert_non_null(strstr(res->error, "waiting for the response"));
	hv_http_free(h);
	free(url);
	hv_loop_free(loop);
}

static void
test_refused(void **state)
{
	struct hv_loop			*loop = hv_loop_new();
	struct hv_http_req		 req = { 0 };
	const struct hv_http_res	*res;
	struct hv_http			*h;
	char				*url;

	(void)state;
	url = hv_xasprintf("http://127.0.0.1:%d/", httpd_unused_port());
	req.url = url;
	h = fetch(loop, &req);
	res = hv_http_result(h);
	assert_false(res->ok);
	assert_false(res->timed_out);
	assert_int_equal(res->status, 0);
	assert_string_equal(res->error, "Connection refused");
	hv_http_free(h);
	free(url);
	hv_loop_free(loop);
}

static void
test_body_cap(void **state)
{
	struct hv_loop			*loop = hv_loop_new();
	struct hv_http_req		 req = { 0 };
	const struct hv_http_res	*res;
	struct hv_http			*h;
	char				*url = url_of("/big");

	(void)state;
	req.url = url;
	req.max_body = 1000;
	h = fetch(loop, &req);
	res = hv_http_result(h);
	assert_true(res->ok);
	assert_int_equal(res->body.len, 1000);
	assert_int_equal(strlen(res->body.s), 1000);
	assert_int_equal(res->body_size, BIG_SIZE);
	assert_true(res->truncated);
	hv_http_free(h);
	free(url);
	hv_loop_free(loop);
}

static void
test_redirect(void **state)
{
	struct hv_loop			*loop = hv_loop_new();
	struct hv_http_req		 req = { 0 };
	struct hv_buf			 v = HV_BUF_INIT;
	const struct hv_http_res	*res;
	struct hv_http			*h;
	char				*url = url_of("/redirect");

	(void)state;
	req.url = url;
	h = fetch(loop, &req);
	assert_int_equal(hv_http_result(h)->status, 302);
	hv_http_free(h);

	req.follow_redirects = 1;
	h = fetch(loop, &req);
	res = hv_http_result(h);
	assert_true(res->ok);
	assert_int_equal(res->status, 200);
	assert_non_null(strstr(res->body.s, "Welcome"));
	/* The headers are the last response's. */
	assert_int_equal(hv_http_header(res, "Location", &v), -1);
	assert_int_equal(hv_http_header(res, "X-Test", &v), 0);
	hv_http_free(h);
	hv_buf_release(&v);
	free(url);
	hv_loop_free(loop);
}

static void
test_protocols(void **state)
{
	struct hv_loop		*loop = hv_loop_new();
	struct hv_http_req	 req = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_http		*h;
	char			*url = url_of("/redirect-file");

	(void)state;
	req.url = "file:///etc/passwd";
	h = fetch(loop, &req);
	assert_false(hv_http_result(h)->ok);
	assert_int_equal(hv_http_result(h)->body.len, 0);
	hv_http_free(h);

	req.url = url;
	req.follow_redirects = 1;
	h = fetch(loop, &req);
	assert_false(hv_http_result(h)->ok);
	assert_null(strstr(hv_http_result(h)->body.s, "root:"));
	hv_http_free(h);

	assert_int_equal(hv_http_check_url("http://127.0.0.1:1/x", &err), 0);
	assert_int_equal(hv_http_check_url("HTTPS://example.com", &err), 0);
	assert_int_equal(err.len, 0);
	assert_int_equal(hv_http_check_url("ftp://example.com/", &err), -1);
	assert_non_null(strstr(err.s, "not http or https"));
	hv_buf_reset(&err);
	assert_int_equal(hv_http_check_url("http://a b/", &err), -1);
	assert_int_equal(hv_http_check_url("", &err), -1);
	hv_buf_release(&err);
	free(url);
	hv_loop_free(loop);
}

static void
test_bad_request(void **state)
{
	struct hv_loop		*loop = hv_loop_new();
	struct hv_http_req	 req = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*bad_header[] = { "X-A: 1\r\nX-B: 2", NULL };
	const char		*no_colon[] = { "X-A 1", NULL };
	struct got		 g = { 0, 1, NULL, 0 };

	(void)state;
	assert_null(hv_http_start(loop, &req, on_done, &g, &err));
	assert_non_null(strstr(err.s, "no url"));
	hv_buf_reset(&err);
	req.url = "http://127.0.0.1/";
	req.method = "GET /x HTTP/1.1\r\n";
	assert_null(hv_http_start(loop, &req, on_done, &g, &err));
	assert_non_null(strstr(err.s, "bad method"));
	hv_buf_reset(&err);
	req.method = NULL;
	req.headers = bad_header;
	assert_null(hv_http_start(loop, &req, on_done, &g, &err));
	assert_non_null(strstr(err.s, "line break"));
	hv_buf_reset(&err);
	req.headers = no_colon;
	assert_null(hv_http_start(loop, &req, on_done, &g, &err));
	assert_int_equal(g.n, 0);
	hv_buf_release(&err);
	hv_loop_free(loop);
}

static void
test_request_options(void **state)
{
	struct hv_loop			*loop = hv_loop_new();
	struct hv_http_req		 req = { 0 };
	const char			*hdrs[] = { "X-Custom: 42",
					    "Content-Type: text/plain", NULL };
	const struct hv_http_res	*res;
	struct hv_http			*h;
	char				*url = url_of("/echo");

	(void)state;
	req.url = url;
	req.method = "PUT";
	req.body = "hello";
	req.headers = hdrs;
	req.user = "user";
	req.password = "pass";
	h = fetch(loop, &req);
	res = hv_http_result(h);
	assert_true(res->ok);
	assert_non_null(strstr(res->body.s, "PUT /echo\n"));
	assert_non_null(strstr(res->body.s, "authorization: Basic "
	    "dXNlcjpwYXNz\n"));
	assert_non_null(strstr(res->body.s, "content-type: text/plain\n"));
	assert_non_null(strstr(res->body.s, "x-custom: 42\n"));
	assert_non_null(strstr(res->body.s, "\n\nhello"));
	hv_http_free(h);

	memset(&req, 0, sizeof req);
	req.url = url;
	req.method = "DELETE";
	req.bearer = "tok";
	h = fetch(loop, &req);
	res = hv_http_result(h);
	assert_non_null(strstr(res->body.s, "DELETE /echo\n"));
	assert_non_null(strstr(res->body.s, "authorization: Bearer tok\n"));
	hv_http_free(h);

	memset(&req, 0, sizeof req);
	req.url = url;
	req.method = "HEAD";
	h = fetch(loop, &req);
	assert_int_equal(hv_http_result(h)->status, 200);
	assert_int_equal(hv_http_result(h)->body.len, 0);
	hv_http_free(h);

	free(url);
	hv_loop_free(loop);
}

static void
test_cancel(void **state)
{
	struct hv_loop		*loop = hv_loop_new();
	struct hv_http_req	 req = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 1, NULL, 0 };
	struct hv_http		*h;
	char			*url = url_of("/slow");

	(void)state;
	req.url = url;
	h = hv_http_start(loop, &req, on_done, &g, &err);
	assert_non_null(h);
	run_for(loop, NULL, 100);
	hv_http_cancel(h);
	assert_false(hv_http_result(h)->ok);
	assert_string_equal(hv_http_result(h)->error, "cancelled");
	run_for(loop, NULL, SLOW_MS + 300);
	assert_int_equal(g.n, 0);
	hv_http_cancel(h);	/* twice is harmless */
	hv_http_free(h);
	hv_http_free(NULL);
	hv_buf_release(&err);
	free(url);
	hv_loop_free(loop);
}

static void
test_free_in_callback(void **state)
{
	struct hv_loop		*loop = hv_loop_new();
	struct hv_http_req	 req = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 3, NULL, 0 };
	char			*url = url_of("/ok");
	int			 i;

	(void)state;
	g.free_in_cb = 1;
	req.url = url;
	for (i = 0; i < 3; i++)
		assert_non_null(hv_http_start(loop, &req, on_done, &g, &err));
	run_for(loop, &g, 10000);
	assert_int_equal(g.n, 3);
	assert_non_null(g.freed);
	hv_buf_release(&err);
	free(url);
	hv_loop_free(loop);
}

static void
test_loop_freed_first(void **state)
{
	struct hv_loop		*loop = hv_loop_new();
	struct hv_http_req	 req = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 1, NULL, 0 };
	struct hv_http		*h;
	char			*url = url_of("/slow");

	(void)state;
	req.url = url;
	h = hv_http_start(loop, &req, on_done, &g, &err);
	assert_non_null(h);
	run_for(loop, NULL, 50);
	hv_loop_free(loop);
	/* The transfer outlives its loop, detached; freeing it is safe. */
	assert_false(hv_http_result(h)->ok);
	hv_http_free(h);
	assert_int_equal(g.n, 0);

	/* A new loop gets a new engine. */
	loop = hv_loop_new();
	free(url);
	url = url_of("/ok");
	req.url = url;
	h = fetch(loop, &req);
	assert_int_equal(hv_http_result(h)->status, 200);
	hv_http_free(h);
	hv_buf_release(&err);
	free(url);
	hv_loop_free(loop);
}

/* ---- TLS ---------------------------------------------------------- */

static const char tls_server_py[] =
    "import http.server, signal, ssl, sys\n"
    "signal.alarm(60)\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        b = b'tls ok\\n'\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Length', str(len(b)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(b)\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
    "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "c.load_cert_chain(sys.argv[1], sys.argv[2])\n"
    "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
    "print(s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

/* Runs argv quietly; its exit status, or -1. */
static int
run_quiet(char *const argv[])
{
	pid_t	pid;
	int	status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		alarm(30);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts the TLS server; its pid, and its port in *port, or -1. */
static pid_t
tls_server(const char *cert, const char *key, int *port)
{
	char	 buf[32];
	char	*argv[] = { "python3", "-c", (char *)tls_server_py,
		    (char *)cert, (char *)key, NULL };
	struct pollfd pfd;
	pid_t	 pid;
	ssize_t	 n;
	size_t	 have = 0;
	int	 p[2];
	int64_t	 deadline = hv_mono_ms() + 10000;
	long long v;

	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (have < sizeof buf - 1 && memchr(buf, '\n', have) == NULL &&
	    hv_mono_ms() < deadline) {
		if (poll(&pfd, 1, (int)(deadline - hv_mono_ms())) <= 0)
			continue;
		if ((n = read(p[0], buf + have, sizeof buf - 1 - have)) <= 0)
			break;
		have += (size_t)n;
	}
	close(p[0]);
	buf[have] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (hv_parse_int(buf, &v) == -1 || v <= 0 || v > 65535) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	*port = (int)v;
	return pid;
}

static void
test_tls(void **state)
{
	char		 dir[] = "/tmp/havoc-tls-XXXXXX";
	char		*cert, *key, *url;
	struct hv_loop	*loop;
	struct hv_http_req req = { 0 };
	struct hv_http	*h;
	pid_t		 pid;
	int		 port = 0;

	(void)state;
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	cert = hv_xasprintf("%s/cert.pem", dir);
	key = hv_xasprintf("%s/key.pem", dir);
	{
		char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
		    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
		    "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out",
		    cert, NULL };

		if (run_quiet(argv) != 0 ||
		    (pid = tls_server(cert, key, &port)) == -1) {
			unlink(cert);
			unlink(key);
			rmdir(dir);
			free(cert);
			free(key);
			skip();	/* no openssl or python3 here */
		}
	}
	loop = hv_loop_new();
	url = hv_xasprintf("https://127.0.0.1:%d/", port);
	req.url = url;
	req.timeout_ms = 5000;

	/* Verified by default: a self-signed certificate is refused. */
	h = fetch(loop, &req);
	assert_false(hv_http_result(h)->ok);
	assert_non_null(strstr(hv_http_result(h)->error, "certificate"));
	hv_http_free(h);

	req.insecure = 1;
	h = fetch(loop, &req);
	assert_true(hv_http_result(h)->ok);
	assert_string_equal(hv_http_result(h)->body.s, "tls ok\n");
	hv_http_free(h);

	req.insecure = 0;
	req.ca_file = cert;
	h = fetch(loop, &req);
	assert_true(hv_http_result(h)->ok);
	assert_int_equal(hv_http_result(h)->status, 200);
	hv_http_free(h);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	free(cert);
	free(key);
	free(url);
	hv_loop_free(loop);
}

/* ---- the drivers -------------------------------------------------- */

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

/* A list of scalars, NULL-terminated. */
static struct hv_node *
list_of(const char *s, ...)
{
	struct hv_node	*l = hv_node_new(HV_NODE_SEQ, "test.yaml", 1, 1);
	va_list		 ap;

	va_start(ap, s);
	for (; s != NULL; s = va_arg(ap, const char *))
		hv_node_append(l, NULL, hv_node_scalar(s, "test.yaml", 1, 1));
	va_end(ap);
	return l;
}

struct run {
	struct hv_loop	*loop;
	struct hv_ctx	 ctx;
	struct hv_call	 call;
	struct hv_node	*with;
	struct hv_node	*expect;
	char		*url;
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

/* Starts (or reverts) the call and runs the loop until it finished. */
static void
run_call(struct run *r, int revert)
{
	struct hv_buf	err = HV_BUF_INIT;
	int		rc;

	if (r->call.driver->check != NULL) {
		rc = r->call.driver->check(&r->call, &err);
		if (rc != 0)
			fail_msg("check: %s", err.s);
	}
	hv_call_reset(&r->call);
	r->call.reverting = revert;
	rc = revert ? r->call.driver->revert(&r->call) :
	    r->call.driver->start(&r->call);
	assert_int_equal(rc, 0);
	hv_loop_run(r->loop, call_finished, &r->call, hv_mono_ms() + 10000);
	assert_true(r->call.finished);
	assert_int_equal(r->done_calls, 1);
	r->done_calls = 0;
	hv_buf_release(&err);
}

static void
run_release(struct run *r)
{
	hv_call_release(&r->call);
	hv_node_free(r->with);
	hv_node_free(r->expect);
	free(r->url);
	hv_loop_free(r->loop);
}

/* Runs the http probe on path with expectations; returns its verdict. */
static int
probe(struct run *r, const char *path, struct hv_node *with_extra,
    struct hv_node *expect)
{
	struct hv_node	*with;
	char		*url = url_of(path);
	size_t		 i;

	with = map_of("url", url, NULL);
	for (i = 0; with_extra != NULL && i < with_extra->n; i++) {
		put(with, with_extra->keys[i]->str, with_extra->items[i]);
		with_extra->items[i] = NULL;
	}
	hv_node_free(with_extra);
	free(url);
	run_init(r, &hv_probe_http, with, expect);
	run_call(r, 0);
	return r->call.ok;
}

static void
test_probe_ok(void **state)
{
	struct run	 r;
	struct hv_node	*e;

	(void)state;
	e = map_of("status", "200", "latency_below", "2s",
	    "body_matches", "Welcome", "body_not_matches", "[Ee]rror", NULL);
	put(e, "header", map_of("X-Test", "^yes$", "content-type", "html",
	    NULL));
	assert_true(probe(&r, "/ok", NULL, e));
	assert_int_equal(r.call.err.len, 0);
	assert_true(strncmp(r.call.out.s, "200 in ", 7) == 0);
	assert_non_null(strstr(r.call.out.s, "ms, 26 bytes"));
	assert_true(r.call.latency_ms >= 0);
	assert_null(r.call.priv);
	run_release(&r);

	/* Nothing expected: any status below 400. */
	assert_true(probe(&r, "/ok", NULL, NULL));
	run_release(&r);
}

static void
test_probe_status(void **state)
{
	struct run	 r;
	struct hv_node	*e;

	(void)state;
	assert_false(probe(&r, "/fail", NULL, map_of("status", "200", NULL)));
	assert_string_equal(r.call.err.s, "status 503, expected 200");
	/* A failing response keeps the start of its body. */
	assert_non_null(strstr(r.call.out.s, "\nservice unavailable"));
	run_release(&r);

	assert_false(probe(&r, "/fail", NULL, NULL));
	assert_string_equal(r.call.err.s, "status 503, expected below 400");
	run_release(&r);

	assert_true(probe(&r, "/fail", NULL, map_of("status", "5xx", NULL)));
	run_release(&r);

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "status", list_of("200", "503", NULL));
	assert_true(probe(&r, "/fail", NULL, e));
	run_release(&r);

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "status", list_of("200", "204", NULL));
	assert_false(probe(&r, "/fail", NULL, e));
	assert_string_equal(r.call.err.s,
	    "status 503, expected one of 200, 204");
	run_release(&r);

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "status", list_of("2xx", "404", NULL));
	assert_true(probe(&r, "/nothing-here", NULL, e));
	run_release(&r);
}

static void
test_probe_latency(void **state)
{
	struct run	r;
	long		got;

	(void)state;
	assert_false(probe(&r, "/slow", NULL,
	    map_of("latency_below", "500ms", NULL)));
	assert_int_equal(sscanf(r.call.err.s, "latency %ld ms above 500 ms",
	    &got), 1);
	assert_true(got >= SLOW_MS - 50);
	assert_true(r.call.latency_ms >= SLOW_MS - 50);
	run_release(&r);
}

static void
test_probe_body(void **state)
{
	struct run	r;

	(void)state;
	assert_false(probe(&r, "/ok", NULL,
	    map_of("body_matches", "Nope", NULL)));
	assert_string_equal(r.call.err.s, "body does not match \"Nope\"");
	run_release(&r);

	assert_false(probe(&r, "/ok", NULL,
	    map_of("body_not_matches", "W(el|ol)come", NULL)));
	assert_string_equal(r.call.err.s, "body matches \"W(el|ol)come\"");
	run_release(&r);

	/* Every failure is told, not only the first. */
	assert_false(probe(&r, "/fail", NULL,
	    map_of("status", "2xx", "body_matches", "^ok", NULL)));
	assert_string_equal(r.call.err.s, "status 503, expected 2xx; "
	    "body does not match \"^ok\"");
	run_release(&r);
}

static void
test_probe_json(void **state)
{
	struct run	 r;
	struct hv_node	*e, *js;

	(void)state;
	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	js = map_of("data.status", "ok",
	    "$.data.items.0.name", "a", "data.items[1].name", "b",
	    "$.data.count", "3", "data.count", "3.0", "data.ratio", "0.5",
	    "data.ok", "true", "data.none", "null",
	    "data.tags", "[\"x\", \"y\"]", NULL);
	put(js, "$.data.none", hv_node_new(HV_NODE_NULL, "t", 1, 1));
	put(e, "json", js);
	assert_true(probe(&r, "/json", NULL, e));
	assert_int_equal(r.call.err.len, 0);
	run_release(&r);

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	js = map_of("data.status", "degraded", "data.nope", "1",
	    "data.items.5.name", "x", "data.count", "4", NULL);
	put(js, "data.ok", hv_node_new(HV_NODE_NULL, "t", 1, 1));
	put(e, "json", js);
	assert_false(probe(&r, "/json", NULL, e));
	assert_string_equal(r.call.err.s,
	    "json data.status is \"ok\", expected \"degraded\"; "
	    "json data.nope: missing; json data.items.5.name: missing; "
	    "json data.count is \"3\", expected \"4\"; "
	    "json data.ok is \"true\", expected null");
	run_release(&r);

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "json", map_of("status", "ok", NULL));
	assert_false(probe(&r, "/ok", NULL, e));
	assert_true(strncmp(r.call.err.s, "body is not JSON: ", 18) == 0);
	run_release(&r);
}

static void
test_probe_header(void **state)
{
	struct run	 r;
	struct hv_node	*e;

	(void)state;
	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "header", map_of("X-Test", "^no$", "X-Missing", ".", NULL));
	assert_false(probe(&r, "/ok", NULL, e));
	assert_string_equal(r.call.err.s, "header X-Test \"yes\" does not "
	    "match \"^no$\"; header X-Missing missing");
	run_release(&r);
}

static void
test_probe_transport(void **state)
{
	struct run	 r;
	struct hv_node	*with, *url;
	char		*real, *want;
	int		 port = httpd_unused_port();

	(void)state;
	/* The message names the URL as shown: the secret stays hidden. */
	real = hv_xasprintf("http://127.0.0.1:%d/?token=s3cret", port);
	url = hv_node_scalar(real, "t", 1, 1);
	free(url->shown);
	url->shown = hv_xasprintf("http://127.0.0.1:%d/?token=${env.TOKEN}",
	    port);
	url->secret = 1;
	with = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(with, "url", url);
	run_init(&r, &hv_probe_http, with, NULL);
	run_call(&r, 0);
	assert_false(r.call.ok);
	want = hv_xasprintf("GET http://127.0.0.1:%d/?token=${env.TOKEN}: "
	    "Connection refused", port);
	assert_string_equal(r.call.err.s, want);
	assert_null(strstr(r.call.out.s, "s3cret"));
	free(want);
	hv_buf_reset(&r.call.out);
	hv_call_describe(&r.call, 0, &r.call.out);
	want = hv_xasprintf("GET http://127.0.0.1:%d/?token=${env.TOKEN}",
	    port);
	assert_string_equal(r.call.out.s, want);
	free(want);
	free(real);
	run_release(&r);

	assert_false(probe(&r, "/slow", map_of("timeout", "300ms", NULL),
	    NULL));
	assert_non_null(strstr(r.call.err.s, "/slow: timed out after "));
	assert_true(r.call.latency_ms < SLOW_MS);
	run_release(&r);

	assert_true(probe(&r, "/redirect", map_of("follow_redirects", "true",
	    NULL), map_of("status", "200", "body_matches", "Welcome", NULL)));
	run_release(&r);
}

static void
test_probe_cancel(void **state)
{
	struct run	 r;
	char		*url = url_of("/slow");

	(void)state;
	run_init(&r, &hv_probe_http, map_of("url", url, NULL), NULL);
	free(url);
	assert_int_equal(r.call.driver->start(&r.call), 0);
	hv_loop_run(r.loop, NULL, NULL, hv_mono_ms() + 100);
	assert_false(r.call.finished);
	r.call.driver->cancel(&r.call);
	assert_true(r.call.finished);
	assert_false(r.call.ok);
	assert_string_equal(r.call.err.s, "cancelled");
	assert_int_equal(r.done_calls, 1);
	hv_loop_run(r.loop, NULL, NULL, hv_mono_ms() + SLOW_MS + 300);
	assert_int_equal(r.done_calls, 1);
	run_release(&r);
}

/* The driver's check hook on with and expect; returns its result. */
static int
check(const struct hv_driver *d, struct hv_node *with,
    struct hv_node *expect, struct hv_buf *err)
{
	struct hv_ctx	ctx = { 0 };
	struct hv_call	call;
	int		rc;

	hv_call_init(&call, d, &ctx);
	call.with = with;
	call.expect = expect;
	hv_buf_reset(err);
	rc = d->check(&call, err);
	hv_call_release(&call);
	hv_node_free(with);
	hv_node_free(expect);
	return rc;
}

static void
test_probe_check(void **state)
{
	struct hv_buf	 err = HV_BUF_INIT;
	struct hv_node	*e;

	(void)state;
	assert_int_equal(check(&hv_probe_http,
	    map_of("url", "http://x/", NULL), map_of("status", "2xx",
	    "body_matches", "a|b", NULL), &err), 0);
	assert_int_equal(err.len, 0);

	assert_int_equal(check(&hv_probe_http,
	    map_of("url", "http://x/", NULL), map_of("body_matches", "(",
	    NULL), &err), -1);
	assert_true(strncmp(err.s, "body_matches: bad regular expression "
	    "\"(\": ", strlen("body_matches: bad regular expression \"(\": "))
	    == 0);

	assert_int_equal(check(&hv_probe_http,
	    map_of("url", "http://x/", NULL), map_of("status", "abc", NULL),
	    &err), -1);
	assert_non_null(strstr(err.s, "status: expected a status"));

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "status", list_of("200", "7xx", NULL));
	assert_int_equal(check(&hv_probe_http,
	    map_of("url", "http://x/", NULL), e, &err), -1);

	e = hv_node_new(HV_NODE_MAP, "t", 1, 1);
	put(e, "json", map_of("a..b", "1", "ok.path[0]", "1", NULL));
	put(e, "header", map_of("X-A", "[", NULL));
	assert_int_equal(check(&hv_probe_http,
	    map_of("url", "ftp://x/", "method", "GE T", "password", "p",
	    NULL), e, &err), -1);
	assert_non_null(strstr(err.s, "url: scheme ftp is not http or "
	    "https"));
	assert_non_null(strstr(err.s, "method: \"GE T\" is not an HTTP "
	    "method"));
	assert_non_null(strstr(err.s, "password needs user"));
	assert_non_null(strstr(err.s, "json: bad path \"a..b\""));
	assert_null(strstr(err.s, "ok.path"));
	assert_non_null(strstr(err.s, "header X-A: bad regular expression"));
	assert_int_equal(check(&hv_probe_http,
	    map_of("url", "http://x/", NULL), map_of("json", "a", NULL),
	    &err), -1);
	assert_string_equal(err.s, "json: expected a map of path: value");

	/* Values still to be expanded are checked later. */
	assert_int_equal(check(&hv_probe_http,
	    map_of("url", "${target.address}/x", NULL), NULL, &err), 0);
	hv_buf_release(&err);
}

static void
test_tcp(void **state)
{
	struct run	 r;
	char		 port[16], dead[16], want[64];

	(void)state;
	snprintf(port, sizeof port, "%d", srv.port);
	snprintf(dead, sizeof dead, "%d", httpd_unused_port());

	run_init(&r, &hv_probe_tcp, map_of("host", "127.0.0.1", "port", port,
	    NULL), map_of("latency_below", "1s", NULL));
	run_call(&r, 0);
	assert_true(r.call.ok);
	assert_true(strncmp(r.call.out.s, "connected in ", 13) == 0);
	assert_true(r.call.latency_ms >= 0 && r.call.latency_ms < 1000);
	run_release(&r);

	run_init(&r, &hv_probe_tcp, map_of("host", "127.0.0.1", "port", dead,
	    NULL), NULL);
	run_call(&r, 0);
	assert_false(r.call.ok);
	assert_true(strncmp(r.call.err.s, "connect to 127.0.0.1:", 21) == 0);
	assert_non_null(strstr(r.call.err.s, ": Connection refused"));
	run_release(&r);

	/* A partition check: the port must not accept. */
	run_init(&r, &hv_probe_tcp, map_of("host", "127.0.0.1", "port", dead,
	    NULL), map_of("connect", "false", NULL));
	run_call(&r, 0);
	assert_true(r.call.ok);
	assert_non_null(strstr(r.call.out.s, "Connection refused"));
	run_release(&r);

	run_init(&r, &hv_probe_tcp, map_of("host", "127.0.0.1", "port", port,
	    NULL), map_of("connect", "false", NULL));
	hv_call_describe(&r.call, 0, &r.call.out);
	snprintf(want, sizeof want, "connect to 127.0.0.1:%s (must fail)",
	    port);
	assert_string_equal(r.call.out.s, want);
	run_call(&r, 0);
	assert_false(r.call.ok);
	assert_non_null(strstr(r.call.err.s, "succeeded, expected it to "
	    "fail"));
	run_release(&r);
}

static void
test_tcp_timeout(void **state)
{
	struct run	 r;
	char		 port[16];
	int		 lfd, fill[4], p = 0, i;
	struct sockaddr_in sin;

	(void)state;
	/*
	 * A listener that never accepts, its queue full: the kernel drops
	 * further SYNs, as a partition does.
	 */
	lfd = httpd_listen(0, &p);
	assert_true(lfd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)p);
	for (i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&sin, sizeof sin);
	}
	usleep(100000);
	snprintf(port, sizeof port, "%d", p);

	run_init(&r, &hv_probe_tcp, map_of("host", "127.0.0.1", "port", port,
	    "timeout", "300ms", NULL), NULL);
	run_call(&r, 0);
	assert_false(r.call.ok);
	assert_non_null(strstr(r.call.err.s, ": timed out after 300 ms"));
	assert_true(r.call.latency_ms >= 290 && r.call.latency_ms < 1000);
	run_release(&r);

	run_init(&r, &hv_probe_tcp, map_of("host", "127.0.0.1", "port", port,
	    "timeout", "300ms", NULL), map_of("connect", "false", NULL));
	run_call(&r, 0);
	assert_true(r.call.ok);
	run_release(&r);

	for (i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

static void
test_tcp_check(void **state)
{
	struct hv_buf	err = HV_BUF_INIT;

	(void)state;
	assert_int_equal(check(&hv_probe_tcp, map_of("host", "h", "port",
	    "70000", NULL), NULL, &err), -1);
	assert_string_equal(err.s, "port: 70000 is not between 1 and 65535");
	assert_int_equal(check(&hv_probe_tcp, map_of("host", "h", "port",
	    "22", NULL), NULL, &err), 0);
	hv_buf_release(&err);
}

static void
test_request_revert(void **state)
{
	struct run	 r;
	struct hv_buf	 d = HV_BUF_INIT;
	char		*url = url_of("/items"), *rurl = url_of("/items/1");
	char		*want;

	(void)state;
	run_init(&r, &hv_action_http_request, map_of("url", url,
	    "body", "{\"name\": \"x\"}", "expect_status", "201",
	    "revert_url", rurl, NULL), NULL);
	assert_true(hv_call_is_fault(&r.call));

	hv_call_describe(&r.call, 0, &d);
	want = hv_xasprintf("POST %s", url);
	assert_string_equal(d.s, want);
	free(want);
	hv_buf_reset(&d);
	hv_call_describe(&r.call, 1, &d);
	want = hv_xasprintf("DELETE %s", rurl);
	assert_string_equal(d.s, want);
	free(want);

	run_call(&r, 0);
	assert_true(r.call.ok);
	assert_int_equal(r.call.err.len, 0);
	assert_true(strncmp(r.call.out.s, "201 in ", 7) == 0);
	assert_non_null(strstr(r.call.out.s, "\n{\"id\": 1}"));

	run_call(&r, 1);
	assert_true(r.call.ok);
	assert_true(strncmp(r.call.out.s, "204 in ", 7) == 0);
	run_release(&r);

	/* Without revert_url it is no fault. */
	run_init(&r, &hv_action_http_request, map_of("url", url, NULL), NULL);
	assert_false(hv_call_is_fault(&r.call));
	hv_buf_reset(&d);
	hv_call_describe(&r.call, 1, &d);
	assert_string_equal(d.s, "nothing to revert");
	run_release(&r);

	hv_buf_release(&d);
	free(url);
	free(rurl);
}

static void
test_request_failures(void **state)
{
	struct run	 r;
	struct hv_node	*with;
	char		*url = url_of("/items/1"), *rurl, *want;

	(void)state;
	run_init(&r, &hv_action_http_request, map_of("url", url, NULL), NULL);
	run_call(&r, 0);
	assert_false(r.call.ok);
	want = hv_xasprintf("POST %s: status 405, expected below 400", url);
	assert_string_equal(r.call.err.s, want);
	free(want);
	assert_non_null(strstr(r.call.out.s, "405 in "));
	run_release(&r);

	free(url);
	url = url_of("/items");
	rurl = url_of("/items/1");
	run_init(&r, &hv_action_http_request, map_of("url", url,
	    "expect_status", "200", "revert_url", rurl, "revert_method",
	    "delete", "revert_expect_status", "404", NULL), NULL);
	run_call(&r, 0);
	assert_false(r.call.ok);
	want = hv_xasprintf("POST %s: status 201, expected 200", url);
	assert_string_equal(r.call.err.s, want);
	free(want);
	run_call(&r, 1);
	assert_false(r.call.ok);
	want = hv_xasprintf("DELETE %s: status 204, expected 404", rurl);
	assert_string_equal(r.call.err.s, want);
	free(want);
	run_release(&r);

	/* An idempotent revert: already gone counts as reverted. */
	with = map_of("url", url, "revert_url", rurl, NULL);
	put(with, "revert_expect_status", list_of("204", "404", NULL));
	run_init(&r, &hv_action_http_request, with, NULL);
	run_call(&r, 1);
	assert_true(r.call.ok);
	run_release(&r);

	/* Connection failures name the request. */
	free(url);
	url = hv_xasprintf("http://127.0.0.1:%d/x", httpd_unused_port());
	run_init(&r, &hv_action_http_request, map_of("url", url, "method",
	    "put", NULL), NULL);
	run_call(&r, 0);
	want = hv_xasprintf("PUT %s: Connection refused", url);
	assert_string_equal(r.call.err.s, want);
	free(want);
	run_release(&r);
	free(url);
	free(rurl);
}

static void
test_request_body_and_auth(void **state)
{
	struct run	 r;
	struct hv_node	*with;
	char		*url = url_of("/echo");

	(void)state;
	with = map_of("url", url, "body", "{\"a\": 1}", "bearer", "tok",
	    "method", "patch", NULL);
	put(with, "headers", map_of("X-Custom", "7", NULL));
	run_init(&r, &hv_action_http_request, with, NULL);
	run_call(&r, 0);
	assert_true(r.call.ok);
	assert_non_null(strstr(r.call.out.s, "\nPATCH /echo\n"));
	assert_non_null(strstr(r.call.out.s, "authorization: Bearer tok\n"));
	assert_non_null(strstr(r.call.out.s,
	    "content-type: application/json\n"));
	assert_non_null(strstr(r.call.out.s, "x-custom: 7\n"));
	assert_non_null(strstr(r.call.out.s, "\n\n{\"a\": 1}"));
	run_release(&r);

	with = map_of("url", url, "body", "{}", "user", "user", "password",
	    "pass", NULL);
	put(with, "headers", map_of("Content-Type", "text/x-yaml", NULL));
	run_init(&r, &hv_action_http_request, with, NULL);
	run_call(&r, 0);
	assert_non_null(strstr(r.call.out.s, "\nPOST /echo\n"));
	assert_non_null(strstr(r.call.out.s, "authorization: Basic "
	    "dXNlcjpwYXNz\n"));
	assert_non_null(strstr(r.call.out.s, "content-type: text/x-yaml\n"));
	run_release(&r);
	free(url);
}

static void
test_request_check(void **state)
{
	struct hv_buf	err = HV_BUF_INIT;

	(void)state;
	assert_int_equal(check(&hv_action_http_request, map_of("url",
	    "http://x/", "revert_method", "PUT", "revert_body", "{}", NULL),
	    NULL, &err), -1);
	assert_string_equal(err.s, "revert_method needs revert_url; "
	    "revert_body needs revert_url");
	assert_int_equal(check(&hv_action_http_request, map_of("url",
	    "http://x/", "revert_url", "gopher://x/", "expect_status", "hi",
	    "user", "u", "bearer", "b", NULL), NULL, &err), -1);
	assert_non_null(strstr(err.s, "revert_url: scheme gopher"));
	assert_non_null(strstr(err.s, "expect_status: expected a status"));
	assert_non_null(strstr(err.s, "not both"));
	hv_buf_release(&err);
}

static void
test_tables(void **state)
{
	const struct hv_driver	*ds[] = { &hv_probe_http, &hv_probe_tcp,
				    &hv_action_http_request };
	const struct hv_param	*p, *q;
	size_t			 i;

	(void)state;
	assert_ptr_equal(hv_driver_find("http"), &hv_probe_http);
	assert_ptr_equal(hv_driver_find("tcp"), &hv_probe_tcp);
	assert_ptr_equal(hv_driver_find("http.request"),
	    &hv_action_http_request);
	for (i = 0; i < HV_ARRAY_LEN(ds); i++) {
		assert_non_null(ds[i]->start);
		assert_non_null(ds[i]->check);
		assert_non_null(ds[i]->cancel);
		/* The runner bounds every call by its timeout. */
		p = hv_param_find(ds[i]->params, "timeout");
		assert_non_null(p);
		assert_int_equal(p->type, HV_T_DURATION);
		assert_non_null(p->def);
		for (p = ds[i]->params; p->name != NULL; p++) {
			assert_non_null(p->help);
			for (q = p + 1; q->name != NULL; q++)
				assert_string_not_equal(p->name, q->name);
		}
	}
	assert_non_null(hv_action_http_request.revert);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_status_is_not_failure),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_request_options),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_free_in_callback),
		cmocka_unit_test(test_loop_freed_first),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_probe_ok),
		cmocka_unit_test(test_probe_status),
		cmocka_unit_test(test_probe_latency),
		cmocka_unit_test(test_probe_body),
		cmocka_unit_test(test_probe_json),
		cmocka_unit_test(test_probe_header),
		cmocka_unit_test(test_probe_transport),
		cmocka_unit_test(test_probe_cancel),
		cmocka_unit_test(test_probe_check),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_timeout),
		cmocka_unit_test(test_tcp_check),
		cmocka_unit_test(test_request_revert),
		cmocka_unit_test(test_request_failures),
		cmocka_unit_test(test_request_body_and_auth),
		cmocka_unit_test(test_request_check),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
