/*
 * tcp.c - the tcp probe: whether a port accepts a connection, and how
 * fast; or, with connect: false, that it does not (a partition holds).
 *
 * The connect is non-blocking on the loop. Each address the name
 * resolves to is tried in turn within the one timeout. Names are
 * resolved with getaddrinfo(), which blocks; targets are mostly
 * addresses, for which it returns at once.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "loop.h"
#include "node.h"
#include "util.h"

static const struct hv_param tcp_params[] = {
	{ "host", HV_T_STR, 1, NULL, NULL, "address or name to connect to" },
	{ "port", HV_T_INT, 1, NULL, NULL, "TCP port, 1 to 65535" },
	{ "timeout", HV_T_DURATION, 0, "3s", NULL,
	  "for the connection, every address included" },
	{ NULL }
};

static const struct hv_param tcp_expect[] = {
	{ "connect", HV_T_BOOL, 0, "true", NULL,
	  "true: the port must accept; false: it must refuse or be "
	  "unreachable (a partition)" },
	{ "latency_below", HV_T_DURATION, 0, NULL, NULL,
	  "the connection must take less" },
	{ NULL }
};

struct tcp {
	struct addrinfo	*ai;		/* every address */
	struct addrinfo	*cur;		/* the one being tried */
	int		 fd;
	struct hv_timer	*timer;
	double		 t0;
	char		 why[128];	/* the last failure */
};

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* "host:port" for messages, host as shown, IPv6 in brackets. */
static void
put_dest(const struct hv_call *call, struct hv_buf *out)
{
	const struct hv_node	*n = hv_arg_node(call, "host");
	const char		*host;

	host = n != NULL && n->kind == HV_NODE_SCALAR ? n->shown :
	    hv_arg_str(call, "host");
	if (host == NULL)
		host = "?";
	if (strchr(host, ':') != NULL)
		hv_buf_printf(out, "[%s]:%lld", host, hv_arg_int(call, "port"));
	else
		hv_buf_printf(out, "%s:%lld", host, hv_arg_int(call, "port"));
}

/* Drops the socket, the timer and the addresses. */
static void
tcp_cleanup(struct hv_call *call)
{
	struct tcp	*t = call->priv;

	if (t == NULL)
		return;
	if (t->fd != -1) {
		hv_loop_fd(call->ctx->loop, t->fd, 0, NULL, NULL);
		close(t->fd);
	}
	hv_loop_cancel(call->ctx->loop, t->timer);
	if (t->ai != NULL)
		freeaddrinfo(t->ai);
	free(t);
	call->priv = NULL;
}

/* Ends the call: connected or not (why says why not), then the verdict. */
static void
tcp_finish(struct hv_call *call, int connected)
{
	struct tcp	*t = call->priv;
	int		 want, ok;
	int64_t		 bound;
	char		 why[sizeof t->why];

	call->latency_ms = now_ms() - t->t0;
	memcpy(why, t->why, sizeof why);
	tcp_cleanup(call);

	want = hv_exp_bool(call, "connect");
	if (connected) {
		hv_buf_printf(&call->out, "connected in %.0f ms",
		    call->latency_ms);
		ok = want;
		if (!want) {
			hv_buf_puts(&call->err, "connect to ");
			put_dest(call, &call->err);
			hv_buf_puts(&call->err, " succeeded, expected it to "
			    "fail");
		} else if (hv_exp_has(call, "latency_below")) {
			bound = hv_exp_ms(call, "latency_below");
			if (call->latency_ms >= (double)bound) {
				ok = 0;
				hv_error(&call->err, "latency %.0f ms above "
				    "%lld ms", call->latency_ms,
				    (long long)bound);
			}
		}
	} else {
		hv_buf_printf(&call->out, "not connected after %.0f ms: %s",
		    call->latency_ms, why);
		ok = !want;
		if (want) {
			hv_buf_puts(&call->err, "connect to ");
			put_dest(call, &call->err);
			hv_buf_printf(&call->err, ": %s", why);
		}
	}
	hv_call_done(call, ok);
}

static void	tcp_try(struct hv_call *);

static void
tcp_ready(int fd, short revents, void *arg)
{
	struct hv_call	*call = arg;
	struct tcp	*t = call->priv;
	socklen_t	 len = sizeof(int);
	int		 soerr = 0;

	(void)revents;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr == 0) {
		tcp_finish(call, 1);
		return;
	}
	snprintf(t->why, sizeof t->why, "%s", strerror(soerr));
	hv_loop_fd(call->ctx->loop, fd, 0, NULL, NULL);
	close(fd);
	t->fd = -1;
	t->cur = t->cur->ai_next;
	tcp_try(call);
}

/* Starts connecting to the current address, or the next that can. */
static void
tcp_try(struct hv_call *call)
{
	struct tcp	*t = call->priv;
	struct addrinfo	*a;

	for (; (a = t->cur) != NULL; t->cur = a->ai_next) {
		t->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (t->fd == -1) {
			snprintf(t->why, sizeof t->why, "%s", strerror(errno));
			continue;
		}
		if (connect(t->fd, a->ai_addr, a->ai_addrlen) == 0) {
			tcp_finish(call, 1);
			return;
		}
		if (errno == EINPROGRESS) {
			hv_loop_fd(call->ctx->loop, t->fd, POLLOUT, tcp_ready,
			    call);
			return;
		}
		snprintf(t->why, sizeof t->why, "%s", strerror(errno));
		close(t->fd);
		t->fd = -1;
	}
	tcp_finish(call, 0);
}

static void
tcp_timeout(void *arg)
{
	struct hv_call	*call = arg;
	struct tcp	*t = call->priv;

	t->timer = NULL;
	snprintf(t->why, sizeof t->why, "timed out after %lld ms",
	    (long long)hv_arg_ms(call, "timeout"));
	tcp_finish(call, 0);
}

static int
tcp_start(struct hv_call *call)
{
	struct addrinfo	 hints;
	struct tcp	*t;
	char		 port[16];
	int		 rc;

	t = hv_xcalloc(1, sizeof *t);
	t->fd = -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof port, "%lld", hv_arg_int(call, "port"));
	rc = getaddrinfo(hv_arg_str(call, "host"), port, &hints, &t->ai);
	if (rc != 0) {
		free(t);
		hv_buf_puts(&call->err, "resolve ");
		put_dest(call, &call->err);
		hv_buf_printf(&call->err, ": %s", gai_strerror(rc));
		hv_call_done(call, 0);
		return 0;
	}
	call->priv = t;
	t->cur = t->ai;
	t->t0 = now_ms();
	t->timer = hv_loop_timer(call->ctx->loop, hv_arg_ms(call, "timeout"),
	    tcp_timeout, call);
	snprintf(t->why, sizeof t->why, "no address");
	tcp_try(call);
	return 0;
}

static void
tcp_cancel(struct hv_call *call)
{
	if (call->priv == NULL)
		return;
	tcp_cleanup(call);
	hv_call_fail(call, "cancelled");
}

static int
tcp_check(const struct hv_call *call, struct hv_buf *err)
{
	long long	port = hv_arg_int(call, "port");

	if (hv_arg_has(call, "port") && (port < 1 || port > 65535))
		return hv_error(err, "port: %lld is not between 1 and 65535",
		    port);
	return 0;
}

static void
tcp_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	(void)revert;
	hv_buf_puts(out, "connect to ");
	put_dest(call, out);
	if (!hv_exp_bool(call, "connect"))
		hv_buf_puts(out, " (must fail)");
}

const struct hv_driver hv_probe_tcp = {
	.name = "tcp",
	.kind = HV_PROBE,
	.target = HV_TARGET_NONE,
	.summary = "a TCP connection: accepted (and how fast) or refused",
	.params = tcp_params,
	.expect = tcp_expect,
	.start = tcp_start,
	.check = tcp_check,
	.describe = tcp_describe,
	.cancel = tcp_cancel,
};
