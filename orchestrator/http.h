/*
 * http.h - HTTP requests on the loop (libcurl's multi interface).
 *
 * Two layers: http.c is the engine, transfers on the loop (the only file
 * that includes <curl/curl.h>); http-call.c is the request and judging
 * layer that drivers share (their common parameters, labels, expected
 * statuses, summaries) and the HTTP transport. Every loop has at most one
 * multi handle, created by the first request and kept in the loop's
 * HV_SLOT_HTTP slot until hv_loop_free(). Transfers run concurrently on
 * the loop; none of them blocks.
 *
 * What a transfer does, whoever starts it:
 *   - only http and https, also after a redirect (no file://, gopher://);
 *   - TLS peers are verified unless insecure is set (ca_file: a PEM file
 *     of the CAs to trust instead of the system bundle, for a private CA);
 *   - the proxy comes from curl's usual variables (http_proxy,
 *     https_proxy, NO_PROXY), as users of curl expect;
 *   - every transfer opens a new connection and resolves the name again,
 *     so that a probe sees what a new client sees: a fault that breaks
 *     new connections or DNS is not hidden by a pooled connection;
 *   - compressed bodies are decoded; the body is kept up to max_body
 *     bytes and the rest is read and dropped, so the transfer completes;
 *   - every transfer has a timeout (HV_HTTP_TIMEOUT when none is given).
 *
 * Ownership: a struct hv_http is new from hv_http_start() and freed by
 * hv_http_free(); the request and every string in it are only read
 * during hv_http_start() (they are copied); hv_http_result() is borrowed.
 */
#ifndef HV_HTTP_H
#define HV_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct hv_loop;
struct hv_http;
struct hv_call;
struct hv_node;

#define HV_HTTP_TIMEOUT		30000		/* ms, when timeout_ms is 0 */
#define HV_HTTP_BODY_MAX	(1024 * 1024)	/* when max_body is 0 */

struct hv_http_req {
	const char	*method;	/* NULL: GET; a token, sent as is */
	const char	*url;		/* http:// or https:// */
	const char	*body;		/* NULL: none */
	size_t		 body_len;	/* 0: strlen(body) */
	/* "Name: value" lines, NULL-terminated; "Name;" sends it empty. */
	const char *const *headers;
	int64_t		 timeout_ms;	/* whole transfer; 0: HV_HTTP_TIMEOUT */
	int64_t		 connect_timeout_ms;	/* 0: timeout_ms */
	int		 insecure;	/* skip TLS peer and host checks */
	const char	*ca_file;	/* a PEM bundle to trust, or NULL */
	const char	*user;		/* basic authentication, or NULL */
	const char	*password;
	const char	*bearer;	/* Authorization: Bearer, or NULL */
	/*
	 * AWS Signature Version 4 by libcurl, or NULL: "aws:amz:REGION:
	 * SERVICE"; user is the access key id and password the secret key
	 * (never sent). Headers given in headers are signed too (a session
	 * token's X-Amz-Security-Token). Sign POST bodies only: libcurl
	 * 7.88 signs a GET's query string wrongly.
	 */
	const char	*aws_sigv4;
	size_t		 max_body;	/* to keep; 0: HV_HTTP_BODY_MAX */
	int		 follow_redirects;	/* at most 10 */
};

struct hv_http_res {
	int		 ok;		/* a complete response came back */
	int		 timed_out;
	long		 status;	/* of the last response; 0 if none */
	struct hv_buf	 body;		/* the last response's, <= max_body */
	size_t		 body_size;	/* bytes received, kept or not */
	int		 truncated;	/* body_size > body.len */
	struct hv_buf	 headers;	/* raw lines of the last response */
	double		 total_ms;	/* start to end (or failure) */
	char		 error[256];	/* when !ok: "Connection refused" */
};

typedef void (*hv_http_cb)(struct hv_http *, void *);

/*
 * Starts a request. done(http, arg) runs once from a loop callback when
 * the transfer is over, whatever the outcome (never from within
 * hv_http_start()); it may free the transfer. Returns NULL with a message
 * in err only when the request itself is unusable (no URL, a method or
 * header that is not one line); network errors arrive through done.
 */
struct hv_http	*hv_http_start(struct hv_loop *, const struct hv_http_req *,
		    hv_http_cb done, void *arg, struct hv_buf *err);

/* The result (borrowed); complete once done has run. */
const struct hv_http_res *hv_http_result(const struct hv_http *);

/*
 * Stops a transfer in flight; done will not run. The result says
 * "cancelled". Does nothing on a finished transfer.
 */
void		 hv_http_cancel(struct hv_http *);

/* Cancels if needed and frees. Accepts NULL. */
void		 hv_http_free(struct hv_http *);

/*
 * Appends the value of a response header (name without case) to out:
 * the values of a repeated header are joined with ", ". Returns -1 when
 * the last response did not have it.
 */
int		 hv_http_header(const struct hv_http_res *, const char *name,
		    struct hv_buf *out);

/*
 * Whether url is an http or https URL that curl can parse; -1 with a
 * message otherwise. The message does not repeat the URL, which may hold
 * a secret: the caller says which parameter it was.
 */
int		 hv_http_check_url(const char *url, struct hv_buf *err);

/* Whether s (len bytes) is an HTTP token (RFC 9110): a method, a name. */
int		 hv_http_is_token(const char *s, size_t len);

/*
 * Helpers shared by the HTTP drivers (probes/http.c and
 * actions/http-request.c), so that both read the same parameters the same
 * way. The common parameters go into each driver's table with
 * HV_HTTP_CLIENT_PARAMS; method, url, body and timeout are the driver's
 * own (their defaults differ), and a driver may have a second set of
 * them (revert_url, revert_method, revert_body).
 */
#define HV_HTTP_CLIENT_PARAMS						\
	{ "headers", HV_T_MAP, 0, NULL, NULL,				\
	  "request headers, name: value" },				\
	{ "insecure", HV_T_BOOL, 0, "false", NULL,			\
	  "do not verify the TLS certificate (verified by default)" },	\
	{ "ca_file", HV_T_STR, 0, NULL, NULL,				\
	  "PEM file of the CAs to trust (a private CA)" },		\
	{ "user", HV_T_STR, 0, NULL, NULL,				\
	  "basic authentication user (with password)" },		\
	{ "password", HV_T_STR, 0, NULL, NULL,				\
	  "basic authentication password; use ${env.NAME}" },		\
	{ "bearer", HV_T_STR, 0, NULL, NULL,				\
	  "bearer token for Authorization; use ${env.NAME}" },		\
	{ "follow_redirects", HV_T_BOOL, 0, "false", NULL,		\
	  "follow up to 10 redirects (http and https only)" }

/*
 * Checks the request a call would make with the parameters named
 * method_p, url_p (the common ones too): the URL, the method, the header
 * names and values, user with password. Skips values that still hold
 * ${...}. Returns -1 with every problem in err.
 */
int		 hv_http_call_check(const struct hv_call *,
		    const char *method_p, const char *url_p,
		    struct hv_buf *err);

/*
 * Starts the request a call describes, on call->ctx->loop, with arg as
 * done's argument. Method, URL and body come from the parameters named
 * method_p, url_p and body_p (body_p may be NULL), the rest from the
 * common parameters and "timeout". NULL with a message in err.
 */
struct hv_http	*hv_http_call_start(struct hv_call *, const char *method_p,
		    const char *url_p, const char *body_p, hv_http_cb done,
		    void *arg, struct hv_buf *err);

/*
 * The same with the method, URL and body given (real values, read during
 * the call only); timeout_ms 0 takes the "timeout" parameter. Headers,
 * TLS and authentication still come from the common parameters.
 */
struct hv_http	*hv_http_call_request(struct hv_call *, const char *method,
		    const char *url, const char *body, int64_t timeout_ms,
		    hv_http_cb done, void *arg, struct hv_buf *err);

/* Appends the "url" parameter without its trailing slashes. */
void		 hv_http_base_url(const struct hv_call *, int shown,
		    struct hv_buf *);

/*
 * A request to an API under the "url" parameter: method on url + path
 * (Prometheus, Alertmanager).
 */
struct hv_http	*hv_http_call_api(struct hv_call *, const char *method,
		    const char *path, const char *body, int64_t timeout_ms,
		    hv_http_cb done, void *arg, struct hv_buf *err);

/*
 * Appends "METHOD URL" for messages and plans, with secrets shown as
 * their references whatever call->shown says.
 */
void		 hv_http_call_label(const struct hv_call *,
		    const char *method_p, const char *url_p,
		    struct hv_buf *out);

/*
 * Checks a call of hv_http_call_api(): what hv_http_call_check() checks,
 * and that "url" is a base URL, without a query or a fragment. whose
 * names the server in the message ("Prometheus'"). Returns -1 with every
 * problem in err.
 */
int		 hv_http_api_check(const struct hv_call *, const char *whose,
		    struct hv_buf *err);

/*
 * Appends "METHOD URL" of a request hv_http_call_api() makes: the "url"
 * parameter with secrets as references, then path.
 */
void		 hv_http_api_label(const struct hv_call *, const char *method,
		    const char *path, struct hv_buf *out);

/*
 * Ends a call whose one transfer, h, is over and was in call->priv:
 * records the transfer's latency, frees h (the result with it), clears
 * call->priv and calls hv_call_done(call, ok).
 */
void		 hv_http_call_done(struct hv_call *, struct hv_http *h,
		    int ok);

/*
 * A driver's cancel hook when call->priv is its one transfer in flight
 * (NULL when there is none): frees it and fails the call, "cancelled".
 */
void		 hv_http_call_cancel(struct hv_call *);

/*
 * Expected statuses (the http probe's status, http.request's
 * expect_status): 200, "2xx", or a list of those. NULL means any status
 * below 400. hv_http_status_check() validates the form (-1 with a message
 * in err); hv_http_status_match() returns 1 when status is expected and
 * else appends what was expected ("200", "2xx", "one of 200, 204",
 * "below 400") to want.
 */
int		 hv_http_status_check(const struct hv_node *,
		    struct hv_buf *err);
int		 hv_http_status_match(const struct hv_node *, long status,
		    struct hv_buf *want);

/*
 * Appends a summary of a finished transfer for call->out: "200 in 12 ms,
 * 612 bytes", and when body_max > 0 a newline and at most body_max bytes
 * of the body with control characters replaced.
 */
void		 hv_http_summary(const struct hv_http_res *, size_t body_max,
		    struct hv_buf *out);

/* Whether a complete response came back with a 2xx status. */
int		 hv_http_success(const struct hv_http_res *);

#define HV_HTTP_SNIPPET	200	/* of a line, kept by hv_http_snippet() */

/*
 * Appends ": " and the first line of text: at most HV_HTTP_SNIPPET bytes
 * with control characters replaced, and "..." when it was cut; nothing
 * when that line is empty. For messages, what a server or a proxy said
 * besides its status (text is usually the body).
 */
void		 hv_http_snippet(struct hv_buf *out, const char *text);

/*
 * Appends s percent-encoded for a URL's query value or path segment:
 * every byte but the unreserved ones of RFC 3986 (letters, digits and
 * "-._~") becomes %XX, so "&", "=", "+", "/", "#" and spaces are data.
 */
void		 hv_http_urlencode(struct hv_buf *out, const char *s);

#endif
