/*
 * aws.c - the AWS Query API client: credentials, signed POSTs, pages and
 * retries on havoc's loop (http.c does the HTTP, xml.c the parsing).
 *
 * A call is a small state machine driven by loop callbacks: credentials
 * from instance metadata if the chain needs them, then one POST per page;
 * a failed request is either retried after a jittered backoff (throttling,
 * 5xx, transport errors) or ends the call. Nothing waits; nothing sleeps.
 */
#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aws.h"
#include "http.h"
#include "loop.h"
#include "util.h"
#include "xml.h"

#define MSG_MAX		1000	/* bytes of AWS's message kept */
#define IMDS_TIMEOUT	2000	/* ms, one metadata request */
#define IMDS_TTL	"21600"	/* s, the session token's life */
#define REFRESH_MS	(5 * 60 * 1000)	/* renew credentials this early */

struct creds {
	char	*akid;
	char	*secret;
	char	*token;
	int64_t	 expires;	/* wall ms; 0: never */
};

struct hv_aws {
	struct hv_loop	*loop;
	char		*region;
	char		*endpoint;	/* NULL: AWS's own */
	struct creds	 creds;
	int		 have_creds;
	int		 use_imds;
	char		*imds;		/* base URL of instance metadata */
	char		 source[160];
	int64_t		 deadline_ms;
	int64_t		 req_ms;
	int64_t		 backoff_ms;
	int64_t		 backoff_max_ms;
	int		 max_attempts;
	uint64_t	 rng;
};

enum step { STEP_IMDS_TOKEN, STEP_IMDS_ROLE, STEP_IMDS_CREDS, STEP_PAGE };

struct hv_aws_call {
	struct hv_aws		*aws;
	enum hv_aws_service	 svc;
	char			*action;
	char			*form;
	int			 flags;
	hv_aws_cb		 done;
	void			*arg;
	struct hv_aws_res	 res;
	struct hv_http		*http;
	struct hv_timer		*timer;
	enum step		 step;
	int64_t			 started;
	int64_t			 deadline;	/* monotonic ms */
	int			 attempt;	/* of the current page */
	char			*next_token;
	char			*imds_token;
	char			*imds_role;
};

static const char *const svc_name[] = { "ec2", "autoscaling" };
static const char *const svc_version[] = { "2016-11-15", "2011-01-01" };

/* Codes that mean "slow down" or "try again": AWS's SDKs retry these. */
static const char *const retry_codes[] = {
	"RequestLimitExceeded", "Throttling", "ThrottlingException",
	"ThrottledException", "RequestThrottled",
	"RequestThrottledException", "TooManyRequestsException",
	"EC2ThrottledException", "SlowDown", "PriorRequestNotComplete",
	"InternalError", "InternalFailure", "ServiceUnavailable",
	"Unavailable", "RequestTimeout", "RequestTimeoutException",
	"RequestExpired"
};

static void	call_next(struct hv_aws_call *);

/* Frees a secret after overwriting it. */
static void
wipe(char **p)
{
	if (*p == NULL)
		return;
	explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

static void
creds_release(struct creds *c)
{
	wipe(&c->akid);
	wipe(&c->secret);
	wipe(&c->token);
	c->expires = 0;
}

/* An environment variable that is set and not empty, or NULL. */
static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The settings of one profile that we read from the shared files. */
struct profile {
	char	*akid;
	char	*secret;
	char	*token;
	char	*region;
	char	*unsupported;	/* a key we cannot honour, or NULL */
	int	 found;
};

static void
profile_release(struct profile *p)
{
	wipe(&p->akid);
	wipe(&p->secret);
	wipe(&p->token);
	free(p->region);
	free(p->unsupported);
	memset(p, 0, sizeof *p);
}

/* Keeps s[0..n) without the blanks around it, as a new string. */
static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return hv_xstrndup(s, n);
}

/*
 * Reads section of an INI file (the AWS shared files) into p; a file that
 * does not exist is no error. Values already set in p are kept (the
 * credentials file is read first and wins). Messages name the file and
 * the line, never a value.
 */
static int
profile_read(const char *path, const char *section, struct profile *p,
    struct hv_buf *err)
{
	struct hv_buf	 text = HV_BUF_INIT;
	const char	*line, *eol, *eq;
	char		*key = NULL, *val = NULL, *name;
	char		**slot;
	int		 in = 0, lineno = 0, ret = -1;
	FILE		*f;

	/* AWS_CONFIG_FILE=/dev/null means none, as for the AWS CLI. */
	if (strcmp(path, "/dev/null") == 0)
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return hv_error(err, "aws: %s: %s", path, strerror(errno));
	}
	fclose(f);
	if (hv_read_file(path, &text, err) == -1)
		return -1;
	for (line = text.s; *line != '\0'; line = *eol != '\0' ? eol + 1 :
	    eol) {
		eol = strchr(line, '\n');
		if (eol == NULL)
			eol = line + strlen(line);
		lineno++;
		while (line < eol && isspace((unsigned char)*line))
			line++;
		if (line == eol || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			const char *close = memchr(line, ']', (size_t)(eol -
			    line));

			if (close == NULL) {
				hv_error(err, "aws: %s:%d: a section without "
				    "\"]\"", path, lineno);
				goto out;
			}
			name = trimmed(line + 1, (size_t)(close - line - 1));
			in = strcmp(name, section) == 0;
			free(name);
			if (in)
				p->found = 1;
			continue;
		}
		if (!in)
			continue;
		if ((eq = memchr(line, '=', (size_t)(eol - line))) == NULL) {
			/* Nested settings ("s3 =" then indented lines). */
			continue;
		}
		key = trimmed(line, (size_t)(eq - line));
		val = trimmed(eq + 1, (size_t)(eol - eq - 1));
		slot = NULL;
		if (strcmp(key, "aws_access_key_id") == 0)
			slot = &p->akid;
		else if (strcmp(key, "aws_secret_access_key") == 0)
			slot = &p->secret;
		else if (strcmp(key, "aws_session_token") == 0)
			slot = &p->token;
		else if (strcmp(key, "region") == 0)
			slot = &p->region;
		else if ((strcmp(key, "role_arn") == 0 ||
		    strcmp(key, "credential_process") == 0 ||
		    strcmp(key, "sso_session") == 0 ||
		    strcmp(key, "sso_start_url") == 0 ||
		    strcmp(key, "web_identity_token_file") == 0) &&
		    p->unsupported == NULL)
			p->unsupported = hv_xstrdup(key);
		if (slot != NULL && *slot == NULL && *val != '\0') {
			*slot = val;
			val = NULL;
		}
		wipe(&val);
		free(key);
		key = NULL;
	}
	ret = 0;
out:
	explicit_bzero(text.s, text.len);
	hv_buf_release(&text);
	return ret;
}

/* A path under $HOME, or the variable's value. New string. */
static char *
aws_file(const char *var, const char *leaf)
{
	const char	*v = env(var), *home = env("HOME");

	if (v != NULL)
		return hv_xstrdup(v);
	return hv_xasprintf("%s/.aws/%s", home != NULL ? home : "", leaf);
}

/* Reads one profile from both shared files. */
static int
profile_load(const char *name, struct profile *p, struct hv_buf *err)
{
	char	*cred = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char	*conf = aws_file("AWS_CONFIG_FILE", "config");
	char	*sect;
	int	 ret;

	sect = strcmp(name, "default") == 0 ? hv_xstrdup("default") :
	    hv_xasprintf("profile %s", name);
	ret = profile_read(cred, name, p, err);
	if (ret == 0)
		ret = profile_read(conf, sect, p, err);
	free(sect);
	free(cred);
	free(conf);
	return ret;
}

/* Whether a variable says true (AWS_EC2_METADATA_DISABLED). */
static int
env_true(const char *name)
{
	const char	*v = env(name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

struct hv_aws *
hv_aws_new(struct hv_loop *loop, const struct hv_aws_config *cfg,
    struct hv_buf *err)
{
	struct hv_aws	*a;
	struct profile	 p;
	const char	*pname, *region;
	struct hv_buf	 why = HV_BUF_INIT;

	memset(&p, 0, sizeof p);
	a = hv_xcalloc(1, sizeof *a);
	a->loop = loop;
	if (cfg->endpoint != NULL) {
		if (hv_http_check_url(cfg->endpoint, &why) == -1) {
			hv_error(err, "aws: endpoint: %s", why.s);
			goto fail;
		}
		a->endpoint = hv_xstrdup(cfg->endpoint);
	}
	if (cfg->profile != NULL && strpbrk(cfg->profile, "[]\n") != NULL) {
		hv_error(err, "aws: profile: not a profile name");
		goto fail;
	}
	pname = cfg->profile != NULL ? cfg->profile : env("AWS_PROFILE");
	if (profile_load(pname != NULL ? pname : "default", &p, err) == -1)
		goto fail;

	if (cfg->profile != NULL) {
		/* A named profile: its credentials and nothing else. */
		if (!p.found) {
			hv_error(err, "aws: no profile %s in the shared "
			    "credentials or config file", cfg->profile);
			goto fail;
		}
	} else if (env("AWS_ACCESS_KEY_ID") != NULL &&
	    env("AWS_SECRET_ACCESS_KEY") != NULL) {
		a->creds.akid = hv_xstrdup(env("AWS_ACCESS_KEY_ID"));
		a->creds.secret = hv_xstrdup(env("AWS_SECRET_ACCESS_KEY"));
		if (env("AWS_SESSION_TOKEN") != NULL)
			a->creds.token = hv_xstrdup(env("AWS_SESSION_TOKEN"));
		a->have_creds = 1;
		snprintf(a->source, sizeof a->source, "environment");
	} else if (pname != NULL && !p.found) {
		hv_error(err, "aws: no profile %s (AWS_PROFILE) in the shared "
		    "credentials or config file", pname);
		goto fail;
	}
	if (!a->have_creds && p.akid != NULL && p.secret != NULL) {
		a->creds.akid = p.akid;
		a->creds.secret = p.secret;
		a->creds.token = p.token;
		p.akid = p.secret = p.token = NULL;
		a->have_creds = 1;
		snprintf(a->source, sizeof a->source, "profile %.100s",
		    pname != NULL ? pname : "default");
	} else if (!a->have_creds && p.found && p.unsupported != NULL) {
		hv_error(err, "aws: profile %s: %s is not supported; give "
		    "keys or use the environment", pname != NULL ? pname :
		    "default", p.unsupported);
		goto fail;
	} else if (!a->have_creds && cfg->profile != NULL) {
		hv_error(err, "aws: profile %s has no aws_access_key_id and "
		    "aws_secret_access_key", cfg->profile);
		goto fail;
	}
	if (!a->have_creds) {
		if (env_true("AWS_EC2_METADATA_DISABLED")) {
			hv_error(err, "aws: no credentials: none in the "
			    "environment or the shared files, and instance "
			    "metadata is disabled (AWS_EC2_METADATA_DISABLED)");
			goto fail;
		}
		a->use_imds = 1;
		a->imds = hv_xstrdup(env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
		    != NULL ? env("AWS_EC2_METADATA_SERVICE_ENDPOINT") :
		    HV_AWS_IMDS);
		if (hv_http_check_url(a->imds, &why) == -1) {
			hv_error(err, "aws: AWS_EC2_METADATA_SERVICE_ENDPOINT: "
			    "%s", why.s);
			goto fail;
		}
		snprintf(a->source, sizeof a->source, "none yet");
	}

	region = cfg->region;
	if (region == NULL)
		region = env("AWS_REGION");
	if (region == NULL)
		region = env("AWS_DEFAULT_REGION");
	if (region == NULL)
		region = p.region;
	if (region == NULL) {
		hv_error(err, "aws: no region: set cloud.aws.region, "
		    "AWS_REGION or the profile's region");
		goto fail;
	}
	if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(region) || *region == '\0') {
		hv_error(err, "aws: region: \"%.40s\" is not a region name",
		    region);
		goto fail;
	}
	a->region = hv_xstrdup(region);
	a->deadline_ms = cfg->deadline_ms > 0 ? cfg->deadline_ms :
	    HV_AWS_DEADLINE;
	a->req_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms :
	    HV_AWS_REQ_TIMEOUT;
	a->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms :
	    HV_AWS_BACKOFF;
	a->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms :
	    HV_AWS_BACKOFF_MAX;
	a->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts :
	    HV_AWS_ATTEMPTS;
	if (getrandom(&a->rng, sizeof a->rng, 0) != (ssize_t)sizeof a->rng)
		a->rng = (uint64_t)hv_mono_ms() ^ (uint64_t)getpid() << 32;
	a->rng |= 1;
	profile_release(&p);
	hv_buf_release(&why);
	return a;

fail:
	profile_release(&p);
	hv_buf_release(&why);
	hv_aws_free(a);
	return NULL;
}

void
hv_aws_free(struct hv_aws *a)
{
	if (a == NULL)
		return;
	creds_release(&a->creds);
	free(a->region);
	free(a->endpoint);
	free(a->imds);
	free(a);
}

const char *
hv_aws_region(const struct hv_aws *a)
{
	return a->region;
}

const char *
hv_aws_source(const struct hv_aws *a)
{
	return a->source;
}

void
hv_aws_param(struct hv_buf *form, const char *name, const char *value)
{
	hv_buf_putc(form, '&');
	hv_http_urlencode(form, name);
	hv_buf_putc(form, '=');
	hv_http_urlencode(form, value);
}

void
hv_aws_paramf(struct hv_buf *form, const char *value, const char *fmt, ...)
{
	struct hv_buf	name = HV_BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	hv_buf_vprintf(&name, fmt, ap);
	va_end(ap);
	hv_aws_param(form, name.s, value);
	hv_buf_release(&name);
}

/* xorshift64*: jitter needs no more. */
static uint64_t
next_rand(struct hv_aws *a)
{
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return a->rng * 2685821657736338717ULL;
}

/*
 * The wait before retry number n (1, 2, ...): half of min(max, base *
 * 2^(n-1)) plus a random part up to the other half ("equal jitter"), so
 * that clients throttled together spread out, yet never hammer at once.
 */
static int64_t
backoff(struct hv_aws *a, int n)
{
	int64_t	cap = a->backoff_ms;
	int	i;

	for (i = 1; i < n && cap < a->backoff_max_ms; i++)
		cap *= 2;
	if (cap > a->backoff_max_ms)
		cap = a->backoff_max_ms;
	return cap / 2 + (int64_t)(next_rand(a) % (uint64_t)(cap / 2 + 1));
}

/* Appends text with control characters replaced, cut at MSG_MAX bytes. */
static void
put_clean(struct hv_buf *b, const char *s)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < MSG_MAX && s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		hv_buf_putc(b, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	if (s[i] != '\0')
		hv_buf_puts(b, "...");
}

/* "aws ec2 TerminateInstances: " */
static void
put_prefix(struct hv_aws_call *c)
{
	hv_buf_reset(&c->res.error);
	hv_buf_printf(&c->res.error, "aws %s %s: ", svc_name[c->svc],
	    c->action);
}

/* Ends the call: runs done (which may free the call). */
static void
finish(struct hv_aws_call *c, int ok)
{
	c->res.ok = ok;
	c->res.elapsed_ms = (double)(hv_mono_ms() - c->started);
	if (ok)
		hv_buf_reset(&c->res.error);
	if (c->done != NULL)
		c->done(c, c->arg);
}

static void
on_timer(void *arg)
{
	struct hv_aws_call	*c = arg;

	c->timer = NULL;
	call_next(c);
}

/*
 * Retries the current request after a backoff when the deadline and the
 * attempts allow it; returns 0 when a retry is scheduled, -1 when the
 * call must end with the error already in res.error.
 */
static int
retry(struct hv_aws_call *c)
{
	int64_t	wait, now = hv_mono_ms();

	if (c->attempt >= c->aws->max_attempts) {
		hv_buf_printf(&c->res.error, " (gave up after %d attempts)",
		    c->attempt);
		return -1;
	}
	wait = backoff(c->aws, c->attempt);
	/* A retry must have time to get an answer before the deadline. */
	if (now + wait + 100 >= c->deadline) {
		hv_buf_printf(&c->res.error, " (gave up after %d attempts: "
		    "deadline of %lld ms)", c->attempt,
		    (long long)c->aws->deadline_ms);
		return -1;
	}
	c->res.retries++;
	hv_debug("%s; retrying in %lld ms", c->res.error.s, (long long)wait);
	c->timer = hv_loop_timer(c->aws->loop, wait, on_timer, c);
	return 0;
}

static int
is_retry_code(const char *code)
{
	size_t	i;

	for (i = 0; i < HV_ARRAY_LEN(retry_codes); i++) {
		if (strcmp(code, retry_codes[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Reads an error document of either shape: EC2's
 * <Response><Errors><Error><Code/><Message/></Error></Errors>
 * <RequestID/></Response> or Auto Scaling's <ErrorResponse><Error>
 * <Type/><Code/><Message/></Error><RequestId/></ErrorResponse>, and the
 * mix of both that moto's signature and IAM checks send.
 */
static int
parse_error(struct hv_aws_call *c, const struct hv_xml_node *root)
{
	const struct hv_xml_node	*e;
	const char			*code, *msg, *rid;

	if (strcmp(root->name, "Response") != 0 &&
	    strcmp(root->name, "ErrorResponse") != 0)
		return -1;
	/* moto's own checks answer <ErrorResponse><Errors><Error>. */
	if ((e = hv_xml_child(root, "Errors/Error")) == NULL)
		e = hv_xml_child(root, "Error");
	if (e == NULL || (code = hv_xml_get(e, "Code")) == NULL)
		return -1;
	msg = hv_xml_get(e, "Message");
	snprintf(c->res.code, sizeof c->res.code, "%s", code);
	put_clean(&c->res.error, code);
	if (msg != NULL) {
		hv_buf_puts(&c->res.error, ": ");
		put_clean(&c->res.error, msg);
	}
	rid = hv_xml_get(root, "RequestID");
	if (rid == NULL)
		rid = hv_xml_get(root, "RequestId");
	if (rid != NULL)
		snprintf(c->res.request_id, sizeof c->res.request_id, "%s",
		    rid);
	return 0;
}

/* NextToken of a page: EC2's <nextToken>, Auto Scaling's in *Result. */
static const char *
next_token(const struct hv_xml_node *root)
{
	const char	*t = hv_xml_get(root, "nextToken");
	size_t		 i, n;

	if (t != NULL)
		return t;
	for (i = 0; i < root->n; i++) {
		n = strlen(root->kids[i]->name);
		if (n > 6 && strcmp(root->kids[i]->name + n - 6, "Result") ==
		    0)
			return hv_xml_get(root->kids[i], "NextToken");
	}
	return NULL;
}

/* A page came back 2xx: keep it, then the next page or the end. */
static void
page_done(struct hv_aws_call *c, const struct hv_http_res *r)
{
	struct hv_buf	 why = HV_BUF_INIT;
	struct hv_xml	*x;
	const char	*tok, *rid;

	x = hv_xml_parse(r->body.s, r->body.len, &why);
	if (x == NULL || r->truncated) {
		put_prefix(c);
		hv_buf_printf(&c->res.error, "HTTP %ld with a body that is "
		    "not AWS's XML (%s)", r->status, r->truncated ?
		    "too large" : why.s);
		hv_xml_free(x);
		hv_buf_release(&why);
		finish(c, 0);
		return;
	}
	hv_buf_release(&why);
	c->res.pages = hv_xreallocarray(c->res.pages, c->res.npages + 1,
	    sizeof *c->res.pages);
	c->res.pages[c->res.npages++] = x;
	rid = hv_xml_get(hv_xml_root(x), "requestId");
	if (rid == NULL)
		rid = hv_xml_get(hv_xml_root(x), "ResponseMetadata/RequestId");
	if (rid != NULL)
		snprintf(c->res.request_id, sizeof c->res.request_id, "%s",
		    rid);
	tok = next_token(hv_xml_root(x));
	if (!(c->flags & HV_AWS_ALL_PAGES) || tok == NULL || *tok == '\0') {
		finish(c, 1);
		return;
	}
	if (c->next_token != NULL && strcmp(c->next_token, tok) == 0) {
		put_prefix(c);
		hv_buf_puts(&c->res.error, "the same NextToken twice");
		finish(c, 0);
		return;
	}
	if (c->res.npages >= HV_AWS_PAGES_MAX) {
		put_prefix(c);
		hv_buf_printf(&c->res.error, "more than %d pages",
		    HV_AWS_PAGES_MAX);
		finish(c, 0);
		return;
	}
	free(c->next_token);
	c->next_token = hv_xstrdup(tok);
	c->attempt = 0;
	call_next(c);
}

/* A page request is over, for better or worse. */
static void
on_page(struct hv_http *h, void *arg)
{
	struct hv_aws_call		*c = arg;
	const struct hv_http_res	*r = hv_http_result(h);
	struct hv_xml			*x = NULL;
	int				 again;

	c->http = NULL;
	c->res.status = r->status;
	if (r->ok && r->status >= 200 && r->status <= 299) {
		page_done(c, r);
		hv_http_free(h);
		return;
	}
	put_prefix(c);
	c->res.code[0] = '\0';
	if (!r->ok) {
		/* The error names the failure, never the request. */
		hv_buf_puts(&c->res.error, r->error);
		again = 1;
	} else {
		if (!r->truncated)
			x = hv_xml_parse(r->body.s, r->body.len, NULL);
		if (x == NULL || parse_error(c, hv_xml_root(x)) == -1)
			hv_buf_printf(&c->res.error, "HTTP %ld", r->status);
		again = r->status >= 500 || r->status == 429 ||
		    is_retry_code(c->res.code);
		hv_xml_free(x);
	}
	hv_http_free(h);
	if (again && retry(c) == 0)
		return;
	finish(c, 0);
}

/* The URL of a service. New string. */
static char *
service_url(struct hv_aws_call *c)
{
	if (c->aws->endpoint != NULL)
		return hv_xstrdup(c->aws->endpoint);
	return hv_xasprintf("https://%s.%s.amazonaws.com/", svc_name[c->svc],
	    c->aws->region);
}

/* Sends the current page's request. */
static void
send_page(struct hv_aws_call *c)
{
	struct hv_http_req	 req;
	struct hv_buf		 body = HV_BUF_INIT, err = HV_BUF_INIT;
	char			*url, *sig, *tokhdr = NULL;
	const char		*hdrs[3];
	int64_t			 left = c->deadline - hv_mono_ms();
	size_t			 n = 0;

	hv_buf_printf(&body, "Action=%s&Version=%s", c->action,
	    svc_version[c->svc]);
	if (c->form != NULL) {
		if (c->form[0] != '&')
			hv_buf_putc(&body, '&');
		hv_buf_puts(&body, c->form);
	}
	if (c->next_token != NULL)
		hv_aws_param(&body, "NextToken", c->next_token);
	url = service_url(c);
	sig = hv_xasprintf("aws:amz:%s:%s", c->aws->region,
	    svc_name[c->svc]);
	if (c->aws->creds.token != NULL) {
		tokhdr = hv_xasprintf("X-Amz-Security-Token: %s",
		    c->aws->creds.token);
		hdrs[n++] = tokhdr;
	}
	hdrs[n++] = "Content-Type: application/x-www-form-urlencoded; "
	    "charset=utf-8";
	hdrs[n] = NULL;
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.body = body.s;
	req.body_len = body.len;
	req.headers = hdrs;
	req.timeout_ms = left < c->aws->req_ms ? left : c->aws->req_ms;
	req.aws_sigv4 = sig;
	req.user = c->aws->creds.akid;
	req.password = c->aws->creds.secret;
	req.max_body = 64 * 1024 * 1024;
	c->attempt++;
	c->res.requests++;
	if (req.timeout_ms <= 0) {
		put_prefix(c);
		hv_buf_printf(&c->res.error, "deadline of %lld ms passed",
		    (long long)c->aws->deadline_ms);
		finish(c, 0);
	} else if ((c->http = hv_http_start(c->aws->loop, &req, on_page, c,
	    &err)) == NULL) {
		put_prefix(c);
		hv_buf_puts(&c->res.error, err.s);
		finish(c, 0);
	}
	wipe(&tokhdr);
	free(url);
	free(sig);
	hv_buf_release(&body);
	hv_buf_release(&err);
}

/*
 * Instance metadata (IMDSv2): PUT a session token, GET the role's name,
 * GET its credentials. Each answer moves the call one step on.
 */
static void
imds_fail(struct hv_aws_call *c, const char *why)
{
	put_prefix(c);
	hv_buf_printf(&c->res.error, "no credentials: none in the "
	    "environment or the shared files, and instance metadata: %s", why);
	finish(c, 0);
}

/* "2026-12-02T10:00:00Z" to wall ms; 0 when unreadable. */
static int64_t
parse_time(const char *s)
{
	struct tm	tm;
	const char	*e;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || (e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* Takes the credentials out of the role's JSON document. */
static int
imds_creds(struct hv_aws_call *c, const char *text)
{
	json_t		*j;
	const char	*code, *ak, *sk, *tok, *exp;
	struct hv_aws	*a = c->aws;
	int		 ret = -1;

	if ((j = json_loads(text, 0, NULL)) == NULL)
		return -1;
	code = json_string_value(json_object_get(j, "Code"));
	ak = json_string_value(json_object_get(j, "AccessKeyId"));
	sk = json_string_value(json_object_get(j, "SecretAccessKey"));
	tok = json_string_value(json_object_get(j, "Token"));
	exp = json_string_value(json_object_get(j, "Expiration"));
	if ((code == NULL || strcmp(code, "Success") == 0) && ak != NULL &&
	    sk != NULL) {
		creds_release(&a->creds);
		a->creds.akid = hv_xstrdup(ak);
		a->creds.secret = hv_xstrdup(sk);
		a->creds.token = tok != NULL ? hv_xstrdup(tok) : NULL;
		a->creds.expires = parse_time(exp);
		a->have_creds = 1;
		snprintf(a->source, sizeof a->source, "instance metadata");
		ret = 0;
	}
	json_decref(j);
	return ret;
}

static void
on_imds(struct hv_http *h, void *arg)
{
	struct hv_aws_call		*c = arg;
	const struct hv_http_res	*r = hv_http_result(h);
	struct hv_buf			 why = HV_BUF_INIT;
	size_t				 n;

	c->http = NULL;
	if (!r->ok || r->status != 200) {
		if (!r->ok)
			hv_buf_puts(&why, r->error);
		else
			hv_buf_printf(&why, "HTTP %ld", r->status);
		hv_http_free(h);
		imds_fail(c, why.s);
		hv_buf_release(&why);
		return;
	}
	switch (c->step) {
	case STEP_IMDS_TOKEN:
		wipe(&c->imds_token);
		c->imds_token = hv_xstrndup(r->body.s, strcspn(r->body.s,
		    "\r\n"));
		c->step = STEP_IMDS_ROLE;
		break;
	case STEP_IMDS_ROLE:
		n = strcspn(r->body.s, "\r\n");
		free(c->imds_role);
		c->imds_role = hv_xstrndup(r->body.s, n);
		if (n == 0 || strpbrk(c->imds_role, "/?#% ") != NULL) {
			hv_http_free(h);
			imds_fail(c, "no IAM role on this instance");
			return;
		}
		c->step = STEP_IMDS_CREDS;
		break;
	default:
		if (imds_creds(c, r->body.s) == -1) {
			explicit_bzero(((struct hv_http_res *)r)->body.s,
			    r->body.len);
			hv_http_free(h);
			imds_fail(c, "the role's credentials are unreadable");
			return;
		}
		explicit_bzero(((struct hv_http_res *)r)->body.s, r->body.len);
		c->step = STEP_PAGE;
		break;
	}
	hv_http_free(h);
	call_next(c);
}

/* Sends the request of the current metadata step. */
static void
send_imds(struct hv_aws_call *c)
{
	struct hv_http_req	 req;
	struct hv_buf		 url = HV_BUF_INIT, err = HV_BUF_INIT;
	char			*tokhdr = NULL;
	const char		*hdrs[2] = { NULL, NULL };
	const char		*base = c->aws->imds;
	size_t			 blen = strlen(base);
	int64_t			 left = c->deadline - hv_mono_ms();

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	hv_buf_add(&url, base, blen);
	memset(&req, 0, sizeof req);
	if (c->step == STEP_IMDS_TOKEN) {
		hv_buf_puts(&url, "/latest/api/token");
		req.method = "PUT";
		req.body = "";
		hdrs[0] = "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TTL;
	} else {
		hv_buf_puts(&url,
		    "/latest/meta-data/iam/security-credentials/");
		if (c->step == STEP_IMDS_CREDS)
			hv_buf_puts(&url, c->imds_role);
		req.method = "GET";
		tokhdr = hv_xasprintf("X-aws-ec2-metadata-token: %s",
		    c->imds_token);
		hdrs[0] = tokhdr;
	}
	req.url = url.s;
	req.headers = hdrs;
	req.timeout_ms = left < IMDS_TIMEOUT ? left : IMDS_TIMEOUT;
	req.max_body = 64 * 1024;
	if (req.timeout_ms <= 0)
		imds_fail(c, "the call's deadline passed");
	else if ((c->http = hv_http_start(c->aws->loop, &req, on_imds, c,
	    &err)) == NULL)
		imds_fail(c, err.s);
	wipe(&tokhdr);
	hv_buf_release(&url);
	hv_buf_release(&err);
}

/* Whether the credentials in hand will still do for a while. */
static int
creds_fresh(const struct hv_aws *a)
{
	return a->have_creds && (a->creds.expires == 0 ||
	    a->creds.expires - hv_wall_ms() > REFRESH_MS);
}

/* Takes the call one step on: metadata first if needed, then pages. */
static void
call_next(struct hv_aws_call *c)
{
	if (c->step == STEP_PAGE && !creds_fresh(c->aws) && c->aws->use_imds)
		c->step = STEP_IMDS_TOKEN;
	if (c->step == STEP_PAGE)
		send_page(c);
	else
		send_imds(c);
}

struct hv_aws_call *
hv_aws_call(struct hv_aws *a, enum hv_aws_service svc, const char *action,
    const char *form, int flags, hv_aws_cb done, void *arg,
    struct hv_buf *err)
{
	struct hv_aws_call	*c;
	size_t			 i;

	if (action == NULL || *action == '\0')
		goto bad;
	for (i = 0; action[i] != '\0'; i++) {
		if (!isalnum((unsigned char)action[i]))
			goto bad;
	}
	/* Nothing is sent whose answer could not be read. */
	if (hv_xml_ready(err) == -1)
		return NULL;
	c = hv_xcalloc(1, sizeof *c);
	c->aws = a;
	c->svc = svc;
	c->action = hv_xstrdup(action);
	c->form = form != NULL ? hv_xstrdup(form) : NULL;
	c->flags = flags;
	c->done = done;
	c->arg = arg;
	c->step = STEP_PAGE;
	hv_buf_init(&c->res.error);
	c->started = hv_mono_ms();
	c->deadline = c->started + a->deadline_ms;
	c->timer = hv_loop_timer(a->loop, 0, on_timer, c);
	return c;
bad:
	hv_error(err, "aws: \"%.40s\" is not an action name",
	    action != NULL ? action : "");
	return NULL;
}

const struct hv_aws_res *
hv_aws_result(const struct hv_aws_call *c)
{
	return &c->res;
}

void
hv_aws_call_free(struct hv_aws_call *c)
{
	size_t	i;

	if (c == NULL)
		return;
	if (c->timer != NULL)
		hv_loop_cancel(c->aws->loop, c->timer);
	hv_http_free(c->http);
	for (i = 0; i < c->res.npages; i++)
		hv_xml_free(c->res.pages[i]);
	free(c->res.pages);
	hv_buf_release(&c->res.error);
	free(c->action);
	free(c->form);
	free(c->next_token);
	wipe(&c->imds_token);
	free(c->imds_role);
	free(c);
}

void
hv_aws_param_list(struct hv_buf *form, const char *prefix,
    const char *const *values, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		hv_aws_paramf(form, values[i], "%s.%zu", prefix, i + 1);
}

void
hv_aws_param_terminate_in_asg(struct hv_buf *form, const char *id,
    int decrement)
{
	hv_aws_param(form, "InstanceId", id);
	hv_aws_param(form, "ShouldDecrementDesiredCapacity",
	    decrement ? "true" : "false");
}
