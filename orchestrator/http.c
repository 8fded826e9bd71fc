/*
 * http.c - libcurl's multi interface on havoc's loop; the only file that
 * includes <curl/curl.h>.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to call it back (CURLMOPT_TIMERFUNCTION); the loop does the waiting and
 * hands events back with curl_multi_socket_action(). Completions are read
 * with curl_multi_info_read() after each of those calls, so a transfer's
 * callback always runs from a loop callback, never from inside curl.
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "driver.h"
#include "http.h"
#include "loop.h"
#include "node.h"
#include "util.h"

#define HEADERS_MAX	(64 * 1024)	/* of one response's header lines */
#define MAX_REDIRS	10

/* The one multi handle of a loop, in its HV_SLOT_HTTP slot. */
struct engine {
	CURLM		*multi;
	struct hv_loop	*loop;
	struct hv_timer	*timer;		/* curl's timeout, or NULL */
	struct hv_http	*live;		/* every transfer not yet freed */
	int		 closing;
};

struct hv_http {
	struct engine	*eng;		/* NULL once the loop is freed */
	CURL		*easy;
	struct curl_slist *headers;
	hv_http_cb	 done;
	void		*arg;
	size_t		 max_body;
	int64_t		 timeout_ms;
	int64_t		 connect_timeout_ms;
	int		 active;	/* in the multi handle */
	int64_t		 started;	/* monotonic, for cancelled transfers */
	struct hv_http_res res;
	char		 errbuf[CURL_ERROR_SIZE];
	struct hv_http	*prev;
	struct hv_http	*next;
};

static int	curl_ready;

static void	engine_poll_done(struct engine *);

/* Copies a message into the fixed result buffer. */
static void
set_error(struct hv_http *h, const char *fmt, ...) HV_PRINTF(2, 3);

static void
set_error(struct hv_http *h, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(h->res.error, sizeof h->res.error, fmt, ap);
	va_end(ap);
}

static void
on_socket(int fd, short revents, void *arg)
{
	struct engine	*eng = arg;
	int		 flags = 0, running;

	if (revents & (POLLIN | POLLHUP))
		flags |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLNVAL))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(eng->multi, fd, flags, &running);
	engine_poll_done(eng);
}

static void
on_timeout(void *arg)
{
	struct engine	*eng = arg;
	int		 running;

	eng->timer = NULL;	/* it fired: it must not be cancelled now */
	curl_multi_socket_action(eng->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	engine_poll_done(eng);
}

/* CURLMOPT_SOCKETFUNCTION: what to watch on one of curl's sockets. */
static int
curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct engine	*eng = userp;
	short		 events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= POLLOUT;
	hv_loop_fd(eng->loop, s, events, on_socket, eng);
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: curl wants to be called after timeout_ms (-1:
 * never). curl must not be called from here, so the loop does it.
 */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct engine	*eng = userp;

	(void)multi;
	if (eng->timer != NULL) {
		hv_loop_cancel(eng->loop, eng->timer);
		eng->timer = NULL;
	}
	if (timeout_ms >= 0 && !eng->closing)
		eng->timer = hv_loop_timer(eng->loop, timeout_ms, on_timeout,
		    eng);
	return 0;
}

/*
 * Runs at hv_loop_free(): transfers still allocated are detached (their
 * owner may free them later) and the multi handle goes.
 */
static void
engine_free(void *arg)
{
	struct engine	*eng = arg;
	struct hv_http	*h;

	eng->closing = 1;
	for (h = eng->live; h != NULL; h = h->next) {
		if (h->active) {
			curl_multi_remove_handle(eng->multi, h->easy);
			h->active = 0;
			set_error(h, "cancelled");
		}
		h->eng = NULL;
	}
	curl_multi_cleanup(eng->multi);
	if (eng->timer != NULL)
		hv_loop_cancel(eng->loop, eng->timer);
	*hv_loop_slot(eng->loop, HV_SLOT_HTTP) = NULL;
	free(eng);
}

/* The loop's engine, made on first use; NULL with a message in err. */
static struct engine *
engine_get(struct hv_loop *loop, struct hv_buf *err)
{
	void		**slot = hv_loop_slot(loop, HV_SLOT_HTTP);
	struct engine	 *eng;

	if (*slot != NULL)
		return *slot;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			hv_error(err, "http: cannot initialise libcurl");
			return NULL;
		}
		curl_ready = 1;
	}
	eng = hv_xcalloc(1, sizeof *eng);
	eng->loop = loop;
	if ((eng->multi = curl_multi_init()) == NULL) {
		free(eng);
		hv_error(err, "http: cannot initialise libcurl");
		return NULL;
	}
	curl_multi_setopt(eng->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(eng->multi, CURLMOPT_SOCKETDATA, eng);
	curl_multi_setopt(eng->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(eng->multi, CURLMOPT_TIMERDATA, eng);
	*slot = eng;
	hv_loop_atfree(loop, engine_free, eng);
	return eng;
}

/* The reason a transfer failed, as short as is still precise. */
static void
explain(struct hv_http *h, CURLcode code)
{
	curl_off_t	 connect = 0, first = 0;
	long		 oserr = 0;
	const char	*when;

	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		h->res.timed_out = 1;
		curl_easy_getinfo(h->easy, CURLINFO_CONNECT_TIME_T, &connect);
		curl_easy_getinfo(h->easy, CURLINFO_STARTTRANSFER_TIME_T,
		    &first);
		if (connect == 0)
			when = "connecting";
		else if (first == 0)
			when = "waiting for the response";
		else
			when = "reading the response";
		set_error(h, "timed out after %.0f ms %s", h->res.total_ms,
		    when);
		break;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &oserr);
		if (oserr != 0) {
			set_error(h, "%s", strerror((int)oserr));
			break;
		}
		/* FALLTHROUGH */
	default:
		if (h->errbuf[0] != '\0')
			set_error(h, "%s", h->errbuf);
		else
			set_error(h, "%s", curl_easy_strerror(code));
		break;
	}
}

/* Takes a finished transfer out of the multi handle and fills res. */
static void
finish(struct hv_http *h, CURLcode code)
{
	curl_off_t	us = 0;

	curl_multi_remove_handle(h->eng->multi, h->easy);
	h->active = 0;
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->res.status);
	curl_easy_getinfo(h->easy, CURLINFO_TOTAL_TIME_T, &us);
	h->res.total_ms = (double)us / 1000.0;
	h->res.truncated = h->res.body_size > h->res.body.len;
	if (code == CURLE_OK)
		h->res.ok = 1;
	else
		explain(h, code);
}

/* Reads curl's completion messages and runs the callbacks. */
static void
engine_poll_done(struct engine *eng)
{
	CURLMsg		*msg;
	CURLcode	 code;
	struct hv_http	*h;
	char		*p;
	int		 left;

	while ((msg = curl_multi_info_read(eng->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		code = msg->data.result;
		p = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
		h = (struct hv_http *)p;
		finish(h, code);
		/* The callback may free h or start and stop other transfers. */
		if (h->done != NULL)
			h->done(h, h->arg);
	}
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct hv_http	*h = arg;
	size_t		 n = size * nmemb, keep = 0;

	if (h->res.body.len < h->max_body)
		keep = h->max_body - h->res.body.len;
	if (keep > n)
		keep = n;
	hv_buf_add(&h->res.body, data, keep);
	h->res.body_size += n;
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct hv_http	*h = arg;
	size_t		 n = size * nmemb;

	/*
	 * A status line starts a new response (after a redirect or a 100):
	 * what we keep is the last response's.
	 */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		hv_buf_reset(&h->res.headers);
		hv_buf_reset(&h->res.body);
		h->res.body_size = 0;
	}
	if (h->res.headers.len + n <= HEADERS_MAX)
		hv_buf_add(&h->res.headers, data, n);
	return n;
}

int
hv_http_is_token(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return 0;
	}
	return 1;
}

/* A header line must be one line, "Name: value" or "Name;". */
static int
check_header(const char *line, struct hv_buf *err)
{
	size_t	n = strcspn(line, ":;");

	if (line[n] == '\0' || !hv_http_is_token(line, n))
		return hv_error(err, "http: bad header \"%.40s\"", line);
	if (strpbrk(line, "\r\n") != NULL)
		return hv_error(err, "http: header %.*s holds a line break",
		    (int)n, line);
	return 0;
}

struct hv_http *
hv_http_start(struct hv_loop *loop, const struct hv_http_req *req,
    hv_http_cb done, void *arg, struct hv_buf *err)
{
	struct engine		*eng;
	struct hv_http		*h = NULL;
	struct curl_slist	*l;
	const char		*method;
	size_t			 i, blen = 0;
	CURLcode		 rc = CURLE_OK;
	int			 get, post;

	method = req->method != NULL ? req->method : "GET";
	if (req->url == NULL || *req->url == '\0') {
		hv_error(err, "http: no url");
		goto fail;
	}
	if (!hv_http_is_token(method, strlen(method))) {
		hv_error(err, "http: bad method \"%.40s\"", method);
		goto fail;
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if (check_header(req->headers[i], err) == -1)
			goto fail;
	}
	if ((eng = engine_get(loop, err)) == NULL)
		goto fail;

	h = hv_xcalloc(1, sizeof *h);
	hv_buf_init(&h->res.body);
	hv_buf_init(&h->res.headers);
	h->done = done;
	h->arg = arg;
	h->max_body = req->max_body != 0 ? req->max_body : HV_HTTP_BODY_MAX;
	h->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms :
	    HV_HTTP_TIMEOUT;
	h->connect_timeout_ms = req->connect_timeout_ms > 0 &&
	    req->connect_timeout_ms < h->timeout_ms ?
	    req->connect_timeout_ms : h->timeout_ms;
	if ((h->easy = curl_easy_init()) == NULL) {
		hv_error(err, "http: cannot initialise libcurl");
		goto fail;
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if ((l = curl_slist_append(h->headers, req->headers[i])) ==
		    NULL) {
			hv_error(err, "http: out of memory");
			goto fail;
		}
		h->headers = l;
	}

/* Keeps the first failure of a run of curl_easy_setopt() calls. */
#define SET(opt, val) do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(h->easy, opt, val);		\
} while (0)
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_PRIVATE, (char *)h);
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, (long)MAX_REDIRS);
	SET(CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)h->connect_timeout_ms);
	SET(CURLOPT_SSL_VERIFYPEER, req->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, req->insecure ? 0L : 2L);
	if (req->ca_file != NULL)
		SET(CURLOPT_CAINFO, req->ca_file);
	if (req->aws_sigv4 != NULL) {
		SET(CURLOPT_AWS_SIGV4, req->aws_sigv4);
		SET(CURLOPT_USERNAME, req->user != NULL ? req->user : "");
		SET(CURLOPT_PASSWORD, req->password != NULL ?
		    req->password : "");
	} else if (req->user != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, req->user);
		SET(CURLOPT_PASSWORD, req->password != NULL ?
		    req->password : "");
	} else if (req->bearer != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		SET(CURLOPT_XOAUTH2_BEARER, req->bearer);
	}
	SET(CURLOPT_USERAGENT, "havoc");
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	SET(CURLOPT_HTTPHEADER, h->headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, h);

	get = strcmp(method, "GET") == 0;
	post = strcmp(method, "POST") == 0;
	if (req->body != NULL)
		blen = req->body_len != 0 ? req->body_len : strlen(req->body);
	if (req->body != NULL || post) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
		SET(CURLOPT_COPYPOSTFIELDS, req->body != NULL ? req->body : "");
		if (!post)
			SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else if (get)
		SET(CURLOPT_HTTPGET, 1L);
	else
		SET(CURLOPT_CUSTOMREQUEST, method);
#undef SET
	if (rc != CURLE_OK) {
		hv_error(err, "http: %s", curl_easy_strerror(rc));
		goto fail;
	}

	if (curl_multi_add_handle(eng->multi, h->easy) != CURLM_OK) {
		hv_error(err, "http: cannot add the transfer");
		goto fail;
	}
	h->eng = eng;
	h->active = 1;
	h->started = hv_mono_ms();
	h->next = eng->live;
	if (eng->live != NULL)
		eng->live->prev = h;
	eng->live = h;
	return h;

fail:
	hv_http_free(h);
	return NULL;
}

const struct hv_http_res *
hv_http_result(const struct hv_http *h)
{
	return &h->res;
}

void
hv_http_cancel(struct hv_http *h)
{
	if (h == NULL || !h->active)
		return;
	curl_multi_remove_handle(h->eng->multi, h->easy);
	h->active = 0;
	h->res.ok = 0;
	h->res.total_ms = (double)(hv_mono_ms() - h->started);
	set_error(h, "cancelled");
}

void
hv_http_free(struct hv_http *h)
{
	if (h == NULL)
		return;
	hv_http_cancel(h);
	if (h->eng != NULL) {
		if (h->prev != NULL)
			h->prev->next = h->next;
		else
			h->eng->live = h->next;
		if (h->next != NULL)
			h->next->prev = h->prev;
	}
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	curl_slist_free_all(h->headers);
	hv_buf_release(&h->res.body);
	hv_buf_release(&h->res.headers);
	free(h);
}

int
hv_http_header(const struct hv_http_res *res, const char *name,
    struct hv_buf *out)
{
	const char	*p = res->headers.s, *eol, *colon, *v, *e;
	size_t		 nlen = strlen(name);
	int		 found = 0;

	for (; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || (size_t)(colon - p) != nlen ||
		    strncasecmp(p, name, nlen) != 0)
			continue;
		v = colon + 1;
		e = eol;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && isspace((unsigned char)e[-1]))
			e--;
		if (found)
			hv_buf_puts(out, ", ");
		hv_buf_add(out, v, (size_t)(e - v));
		found = 1;
	}
	return found ? 0 : -1;
}

int
hv_http_check_url(const char *url, struct hv_buf *err)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*scheme = NULL;
	int		 ret = -1;

	if (strstr(url, "://") == NULL)
		return hv_error(err, "no scheme: start it with http:// or "
		    "https://");
	if ((u = curl_url()) == NULL)
		return hv_error(err, "out of memory");
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		hv_error(err, "not a URL: %s", curl_url_strerror(rc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)) {
		hv_error(err, "scheme %s is not http or https",
		    scheme != NULL ? scheme : "missing");
		goto out;
	}
	ret = 0;
out:
	curl_free(scheme);
	curl_url_cleanup(u);
	return ret;
}
