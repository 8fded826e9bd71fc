/*
 * ssh.c - the SSH engine on havoc's loop; the only file that includes
 * <libssh2.h>.
 *
 * One engine per loop (HV_SLOT_SSH) holds one session per destination.
 * A session goes
 *
 *	WAITING -> CONNECTING -> HANDSHAKE -> AUTH -> READY
 *
 * WAITING is a FIFO for one of the engine's `parallel` setup slots. The
 * host key is checked when the handshake is done, before any credential
 * leaves, and connect_timeout_ms covers CONNECTING to READY. A session
 * that fails on the way, or breaks later, fails the commands it holds and
 * is forgotten at once, so that the next hv_ssh_run() starts afresh.
 * Commands queue on their session; each gets a channel of its own, at
 * most MAX_CHANNELS at a time.
 *
 * libssh2 1.10 in non-blocking mode sets the rules here:
 *   - a packet that was partly sent must be finished by calling the same
 *     function again, with the same arguments, before anything else is
 *     sent on the session (else LIBSSH2_ERROR_BAD_USE, for good). The
 *     session remembers the owner of such a packet and runs nothing else
 *     until it is through; while it waits, only POLLOUT is watched;
 *   - send_eof and keepalive_send build their packet on the stack, so a
 *     retry from another depth could never match it: they are only made
 *     when the socket is writable, where a packet that small goes whole;
 *   - only one channel can be opening at a time (the state is per session);
 *   - replies to keepalives are never consumed and would pile up in the
 *     session: keepalives go without want_reply, and a dead peer is found
 *     by TCP keepalives and TCP_USER_TIMEOUT instead;
 *   - nothing reads the socket while no channel is open, so an idle
 *     session watches for the peer's hang-up only (POLLRDHUP) and is
 *     dropped quietly when it comes.
 * A channel that is given up (cancel, timeout, a finished command) becomes
 * a zombie that its session closes and frees on its own time.
 *
 * Callbacks run from a zero-delay timer of the engine: never from inside
 * libssh2, hv_ssh_run(), hv_ssh_cancel() or another callback's call.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "driver.h"
#include "loop.h"
#include "ssh.h"
#include "util.h"

/*
 * Tail queues as in <sys/queue.h>, spelled out here so that cppcheck,
 * which does not read system headers, can follow the code.
 */
#define Q_HEAD(name, type)						\
	struct name { struct type *first; struct type **last; }
#define Q_ENTRY(type)							\
	struct { struct type *next; struct type **prev; }
#define Q_INIT(h) do {							\
	(h)->first = NULL;						\
	(h)->last = &(h)->first;					\
} while (0)
#define Q_FIRST(h)		((h)->first)
#define Q_EMPTY(h)		((h)->first == NULL)
#define Q_NEXT(e, f)		((e)->f.next)
#define Q_FOREACH(v, h, f)						\
	for ((v) = Q_FIRST(h); (v) != NULL; (v) = Q_NEXT(v, f))
#define Q_INSERT_TAIL(h, e, f) do {					\
	(e)->f.next = NULL;						\
	(e)->f.prev = (h)->last;					\
	*(h)->last = (e);						\
	(h)->last = &(e)->f.next;					\
} while (0)
#define Q_REMOVE(h, e, f) do {						\
	if ((e)->f.next != NULL)					\
		(e)->f.next->f.prev = (e)->f.prev;			\
	else								\
		(h)->last = (e)->f.prev;				\
	*(e)->f.prev = (e)->f.next;					\
} while (0)

#define DEFAULT_PARALLEL	64
#define CONNECT_TIMEOUT_MS	10000
#define KEEPALIVE_MS		15000
#define MAX_CHANNELS		8	/* OpenSSH's MaxSessions is 10 */
#define ZOMBIE_MS		5000	/* to close a channel given up */
#define WINDOW_SIZE		(256 * 1024)
#define PACKET_SIZE		(32 * 1024)
#define READ_BUDGET		(256 * 1024)	/* per stream and step */
#define MAX_PASSES		16	/* per pump, then the loop's turn */

enum sess_state {
	S_WAITING,		/* for a setup slot */
	S_CONNECTING,		/* TCP */
	S_HANDSHAKE,		/* then the host key check */
	S_AUTH,
	S_READY,
	S_DEAD			/* forgotten; freed by whoever ran it */
};

enum exec_state {
	X_QUEUED,		/* waiting for a channel */
	X_STARTING,		/* a channel; the exec request to send */
	X_RUNNING,		/* input out, output in */
	X_CLOSING,		/* output ended; waiting for the close */
	X_DONE
};

/* What the owner of a partly sent packet was doing. */
enum op {
	OP_OPEN,
	OP_START,
	OP_WRITE,
	OP_EOF,
	OP_READ,
	OP_CLOSED,
	OP_FREE
};

struct sess;

struct hv_ssh {
	struct hv_loop		*loop;
	Q_HEAD(, sess)		 sessions;	/* live ones, for lookups */
	Q_HEAD(, sess)		 waitq;		/* S_WAITING, in order */
	Q_HEAD(, hv_ssh_exec)	 execs;		/* every exec not yet freed */
	Q_HEAD(, hv_ssh_exec)	 done;		/* callbacks to run */
	struct hv_timer		*admit_timer;
	struct hv_timer		*done_timer;
	int			 parallel;
	int			 setting_up;
	struct hv_ssh_stats	 st;
};

struct zombie {
	Q_ENTRY(zombie)		 entry;
	struct sess		*sess;
	LIBSSH2_CHANNEL		*chan;
	char			*command;	/* an exec request to finish */
	char			*input;		/* a write of it to finish */
	const char		*wbuf;
	size_t			 wlen;
	int			 starting;
	int			 writing;
	int			 eof;		/* EOF sent */
	struct hv_timer		*timer;
};

struct sess {
	struct hv_ssh		*eng;
	Q_ENTRY(sess)		 entry;
	Q_ENTRY(sess)		 wait;
	enum sess_state		 state;
	int			 listed;	/* on eng->sessions */
	int			 waiting;	/* on eng->waitq */
	int			 was_ready;

	char			*key;
	char			*address;
	int			 port;
	char			*user;
	char			*identity;
	char			*passphrase_env;
	char			*known_hosts;
	char			*khname;	/* "host" or "[host]:port" */
	int			 agent;
	int			 tofu;
	int64_t			 connect_timeout_ms;
	int64_t			 keepalive_ms;

	struct addrinfo		*ai;
	struct addrinfo		*ai_next;
	int			 connect_errno;
	int			 fd;
	short			 events;
	LIBSSH2_SESSION		*ssh;
	LIBSSH2_KNOWNHOSTS	*kh;
	struct hv_buf		 khtext;	/* known_hosts, until checked */
	LIBSSH2_AGENT		*agent_h;
	struct libssh2_agent_publickey *ident;
	int			 agent_keys;
	int			 auth_file;	/* trying the identity file */
	struct hv_timer		*timer;		/* connect timeout, keepalive */
	struct hv_timer		*kick;

	Q_HEAD(, hv_ssh_exec)	 queue;
	Q_HEAD(, hv_ssh_exec)	 running;
	Q_HEAD(, zombie)	 zombies;
	int			 nchan;		/* libssh2 channels held */
	int			 opening;
	void			*owner;		/* of a partly sent packet */
	enum op			 owner_op;
	int			 want_out;
};

struct hv_ssh_exec {
	struct hv_ssh		*eng;		/* NULL once the loop is gone */
	struct sess		*sess;		/* while queued or running */
	Q_ENTRY(hv_ssh_exec)	 entry;		/* sess->queue or ->running */
	Q_ENTRY(hv_ssh_exec)	 all;		/* eng->execs */
	Q_ENTRY(hv_ssh_exec)	 cbq;		/* eng->done */
	enum exec_state		 state;
	int			 in_done;
	int			 retried;	/* moved to a new session */
	char			*label;		/* "web-2 (10.99.0.12:22)" */
	char			*command;
	char			*input;
	size_t			 inlen;
	size_t			 inoff;
	int			 eof_sent;
	int			 exec_begun;	/* exec request (partly) out */
	int			 eof[2];	/* stdout, stderr */
	int64_t			 timeout_ms;
	struct hv_timer		*timer;
	LIBSSH2_CHANNEL		*chan;
	hv_ssh_cb		 cb;
	void			*arg;
	int64_t			 started;
	struct hv_ssh_res	 res;
};

static int	libssh2_users;
static int	libssh2_ok;

static void	sess_run(struct sess *);
static void	sess_kill(struct sess *, const char *, int);
static void	sess_free(struct sess *);
static void	sess_failf(struct sess *, const char *, ...) HV_PRINTF(2, 3);
static void	exec_finish(struct hv_ssh_exec *);

/* ---- small helpers ------------------------------------------------- */

/* Appends base64 (with or without padding) of n bytes. */
static void
b64(struct hv_buf *out, const unsigned char *p, size_t n, int pad)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t		 v;
	size_t			 i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		hv_buf_putc(out, tab[v >> 18 & 63]);
		hv_buf_putc(out, tab[v >> 12 & 63]);
		hv_buf_putc(out, tab[v >> 6 & 63]);
		hv_buf_putc(out, tab[v & 63]);
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		hv_buf_putc(out, tab[v >> 18 & 63]);
		hv_buf_putc(out, tab[v >> 12 & 63]);
		if (i + 1 < n)
			hv_buf_putc(out, tab[v >> 6 & 63]);
		else if (pad)
			hv_buf_putc(out, '=');
		if (pad)
			hv_buf_putc(out, '=');
	}
}

/* "~/x" under $HOME; anything else as it is (new). */
static char *
expand_home(const char *path)
{
	const char	*home;

	if (path[0] == '~' && path[1] == '/' &&
	    (home = getenv("HOME")) != NULL && *home != '\0')
		return hv_xasprintf("%s%s", home, path + 1);
	return hv_xstrdup(path);
}

/* Whether a send of a few bytes would go out whole now. */
static int
writable(int fd)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT) != 0;
}

/* Errors of one channel; anything else breaks the whole session. */
static int
chan_error(int rc)
{
	return rc <= LIBSSH2_ERROR_CHANNEL_OUTOFORDER &&
	    rc >= LIBSSH2_ERROR_CHANNEL_EOF_SENT;
}

/* The connection itself went away (the kind worth one more try). */
static int
sock_error(int rc)
{
	return rc == LIBSSH2_ERROR_SOCKET_SEND ||
	    rc == LIBSSH2_ERROR_SOCKET_RECV ||
	    rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
	    rc == LIBSSH2_ERROR_SOCKET_TIMEOUT;
}

/* libssh2's last message, lowercased where it starts a sentence. */
static void
ssh_msg(struct sess *s, struct hv_buf *out)
{
	char	*msg = NULL;
	int	 len = 0;
	size_t	 at = out->len;

	if (s->ssh != NULL)
		libssh2_session_last_error(s->ssh, &msg, &len, 0);
	if (msg == NULL || len <= 0) {
		hv_buf_puts(out, "unknown error");
		return;
	}
	hv_buf_add(out, msg, (size_t)len);
	if (out->len > at + 1 && out->s[at] >= 'A' && out->s[at] <= 'Z' &&
	    out->s[at + 1] >= 'a' && out->s[at + 1] <= 'z')
		out->s[at] = (char)(out->s[at] - 'A' + 'a');
}

/*
 * Why the connection broke: the socket's own error when it has one (it
 * says more than libssh2's "unable to send"), else libssh2's.
 */
static void
lost_msg(struct sess *s, int rc, struct hv_buf *out)
{
	socklen_t	len = sizeof(int);
	ssize_t		n;
	char		c;
	int		e = 0;

	if (rc == LIBSSH2_ERROR_SOCKET_DISCONNECT) {
		hv_buf_puts(out, "the server closed the connection");
		return;
	}
	if (s->fd != -1 && getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e,
	    &len) == 0 && e != 0) {
		hv_buf_puts(out, strerror(e));
		return;
	}
	/* libssh2 keeps no errno: ask the socket what it has to say. */
	if (s->fd != -1 && (rc == LIBSSH2_ERROR_SOCKET_RECV ||
	    rc == LIBSSH2_ERROR_SOCKET_SEND)) {
		n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0) {
			hv_buf_puts(out, "the server closed the connection");
			return;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			hv_buf_puts(out, strerror(errno));
			return;
		}
	}
	ssh_msg(s, out);
}

/* ---- the engine ---------------------------------------------------- */

/* Runs the callbacks of finished commands, one at a time. */
static void
on_done(void *arg)
{
	struct hv_ssh		*eng = arg;
	struct hv_ssh_exec	*x;

	eng->done_timer = NULL;
	while ((x = Q_FIRST(&eng->done)) != NULL) {
		Q_REMOVE(&eng->done, x, cbq);
		x->in_done = 0;
		/* The callback may free x, run or cancel others. */
		if (x->cb != NULL)
			x->cb(x, x->arg);
	}
}

static void
sess_start(struct sess *);

/* Starts waiting sessions while setup slots are free. */
static void
on_admit(void *arg)
{
	struct hv_ssh	*eng = arg;
	struct sess	*s;

	eng->admit_timer = NULL;
	while (eng->setting_up < eng->parallel &&
	    (s = Q_FIRST(&eng->waitq)) != NULL) {
		Q_REMOVE(&eng->waitq, s, wait);
		s->waiting = 0;
		sess_start(s);
		sess_run(s);
	}
}

static void
admit_later(struct hv_ssh *eng)
{
	if (eng->admit_timer == NULL && !Q_EMPTY(&eng->waitq))
		eng->admit_timer = hv_loop_timer(eng->loop, 0, on_admit, eng);
}

/*
 * Runs at hv_loop_free(): sessions are closed (a best-effort disconnect),
 * commands still allocated are detached with "cancelled" and no callback.
 */
static void
engine_free(void *arg)
{
	struct hv_ssh		*eng = arg;
	struct hv_ssh_exec	*x;
	struct sess		*s;

	while ((s = Q_FIRST(&eng->sessions)) != NULL) {
		sess_kill(s, NULL, 0);
		sess_free(s);
	}
	while ((x = Q_FIRST(&eng->execs)) != NULL) {
		Q_REMOVE(&eng->execs, x, all);
		if (x->in_done)
			Q_REMOVE(&eng->done, x, cbq);
		x->in_done = 0;
		hv_loop_cancel(eng->loop, x->timer);
		x->timer = NULL;
		x->eng = NULL;
	}
	hv_loop_cancel(eng->loop, eng->admit_timer);
	hv_loop_cancel(eng->loop, eng->done_timer);
	*hv_loop_slot(eng->loop, HV_SLOT_SSH) = NULL;
	free(eng);
	if (--libssh2_users == 0 && libssh2_ok) {
		libssh2_exit();
		libssh2_ok = 0;
	}
}

struct hv_ssh *
hv_ssh_get(struct hv_loop *loop)
{
	void		**slot = hv_loop_slot(loop, HV_SLOT_SSH);
	struct hv_ssh	 *eng;

	if (*slot != NULL)
		return *slot;
	if (libssh2_users++ == 0)
		libssh2_ok = libssh2_init(0) == 0;
	eng = hv_xcalloc(1, sizeof *eng);
	eng->loop = loop;
	eng->parallel = DEFAULT_PARALLEL;
	Q_INIT(&eng->sessions);
	Q_INIT(&eng->waitq);
	Q_INIT(&eng->execs);
	Q_INIT(&eng->done);
	*slot = eng;
	hv_loop_atfree(loop, engine_free, eng);
	return eng;
}

void
hv_ssh_set_parallel(struct hv_ssh *eng, int n)
{
	eng->parallel = n > 0 ? n : 1;
	admit_later(eng);
}

void
hv_ssh_stats(const struct hv_ssh *eng, struct hv_ssh_stats *st)
{
	*st = eng->st;
}

/* ---- commands ------------------------------------------------------ */

/* Takes x off its session's lists (it keeps its channel, if any). */
static void
exec_unlink(struct hv_ssh_exec *x)
{
	struct sess	*s = x->sess;

	if (s == NULL)
		return;
	if (x->state == X_QUEUED)
		Q_REMOVE(&s->queue, x, entry);
	else
		Q_REMOVE(&s->running, x, entry);
	x->sess = NULL;
}

/* Ends x with its result as it is; the callback runs from the loop. */
static void
exec_finish(struct hv_ssh_exec *x)
{
	struct hv_ssh	*eng = x->eng;

	exec_unlink(x);
	hv_loop_cancel(eng->loop, x->timer);
	x->timer = NULL;
	x->state = X_DONE;
	x->res.elapsed_ms = hv_mono_ms() - x->started;
	Q_INSERT_TAIL(&eng->done, x, cbq);
	x->in_done = 1;
	if (eng->done_timer == NULL)
		eng->done_timer = hv_loop_timer(eng->loop, 0, on_done, eng);
}

/* Ends x with "label: message". */
static void
exec_fail(struct hv_ssh_exec *x, const char *fmt, ...) HV_PRINTF(2, 3);

static void
exec_fail(struct hv_ssh_exec *x, const char *fmt, ...)
{
	va_list	ap;

	hv_buf_reset(&x->res.error);
	hv_buf_printf(&x->res.error, "%s: ", x->label);
	va_start(ap, fmt);
	hv_buf_vprintf(&x->res.error, fmt, ap);
	va_end(ap);
	x->res.exit_status = -1;
	exec_finish(x);
}

static void	on_zombie_timeout(void *);

/* A zombie for a channel nobody wants any more. */
static struct zombie *
zombie_new(struct sess *s, LIBSSH2_CHANNEL *chan)
{
	struct zombie	*z;

	z = hv_xcalloc(1, sizeof *z);
	z->sess = s;
	z->chan = chan;
	z->timer = hv_loop_timer(s->eng->loop, ZOMBIE_MS, on_zombie_timeout,
	    z);
	Q_INSERT_TAIL(&s->zombies, z, entry);
	return z;
}

/*
 * Gives x's channel to a zombie that closes it. A partly sent packet of x
 * becomes the zombie's to finish.
 *
 * The command itself is not stopped: libssh2 1.10 cannot send a "signal"
 * request (a channel takes one process_startup only, and there is no
 * other way to send a request). Closing the channel closes its pipes on
 * the host, so the command ends at its next write, or on its own.
 */
static void
zombify(struct sess *s, struct hv_ssh_exec *x)
{
	struct zombie	*z;

	z = zombie_new(s, x->chan);
	x->chan = NULL;
	z->eof = x->eof_sent;
	/*
	 * An exec request that was begun has to be finished (libssh2 keeps
	 * its half-sent packet); one not begun is never sent: a command
	 * cancelled before it left does not run.
	 */
	if (x->state == X_STARTING && x->exec_begun) {
		z->starting = 1;
		z->command = x->command;
		x->command = NULL;
	}
	if (s->owner == x) {
		if (s->owner_op == OP_WRITE) {
			z->writing = 1;
			z->input = x->input;
			z->wbuf = x->input + x->inoff;
			z->wlen = x->inlen - x->inoff;
			x->input = NULL;
		} else if (s->owner_op == OP_EOF)
			z->eof = 0;
		s->owner = z;
	}
}

/* Stops x where it is: off its session, its channel to a zombie. */
static void
exec_stop(struct hv_ssh_exec *x)
{
	struct sess	*s = x->sess;

	if (s == NULL)
		return;
	if (x->chan != NULL)
		zombify(s, x);
	exec_unlink(x);
}

static void
on_kick(void *arg)
{
	struct sess	*s = arg;

	s->kick = NULL;
	sess_run(s);
}

/* Runs the session from the loop soon (not from the caller's stack). */
static void
sess_kick(struct sess *s)
{
	if (s != NULL && s->kick == NULL && s->state != S_DEAD)
		s->kick = hv_loop_timer(s->eng->loop, 0, on_kick, s);
}

static void
on_exec_timeout(void *arg)
{
	struct hv_ssh_exec	*x = arg;
	struct sess		*s = x->sess;

	x->timer = NULL;
	x->res.timed_out = 1;
	exec_stop(x);
	exec_fail(x, "command timed out after %lld ms",
	    (long long)x->timeout_ms);
	if (s != NULL)
		sess_run(s);
}

/* The command's clock starts when its session is ready for it. */
static void
exec_arm(struct hv_ssh_exec *x)
{
	if (x->timeout_ms > 0 && x->timer == NULL)
		x->timer = hv_loop_timer(x->eng->loop, x->timeout_ms,
		    on_exec_timeout, x);
}

/* ---- sessions ------------------------------------------------------ */

static struct sess *
sess_new(struct hv_ssh *eng, const char *key)
{
	struct sess	*s;

	s = hv_xcalloc(1, sizeof *s);
	s->eng = eng;
	s->key = hv_xstrdup(key);
	s->fd = -1;
	hv_buf_init(&s->khtext);
	Q_INIT(&s->queue);
	Q_INIT(&s->running);
	Q_INIT(&s->zombies);
	s->state = S_WAITING;
	Q_INSERT_TAIL(&eng->sessions, s, entry);
	s->listed = 1;
	Q_INSERT_TAIL(&eng->waitq, s, wait);
	s->waiting = 1;
	admit_later(eng);
	return s;
}

/* A fresh session to the same place, for commands a stale one held. */
static struct sess *
sess_clone(struct sess *o)
{
	struct sess	*s;

	s = sess_new(o->eng, o->key);
	s->address = hv_xstrdup(o->address);
	s->port = o->port;
	s->user = hv_xstrdup(o->user);
	s->identity = o->identity != NULL ? hv_xstrdup(o->identity) : NULL;
	s->passphrase_env = o->passphrase_env != NULL ?
	    hv_xstrdup(o->passphrase_env) : NULL;
	s->known_hosts = hv_xstrdup(o->known_hosts);
	s->khname = hv_xstrdup(o->khname);
	s->agent = o->agent;
	s->tofu = o->tofu;
	s->connect_timeout_ms = o->connect_timeout_ms;
	s->keepalive_ms = o->keepalive_ms;
	return s;
}

static void
zombie_free(struct sess *s, struct zombie *z)
{
	Q_REMOVE(&s->zombies, z, entry);
	if (s->owner == z)
		s->owner = NULL;
	hv_loop_cancel(s->eng->loop, z->timer);
	free(z->command);
	free(z->input);
	free(z);
}

/*
 * Takes a session out of service: why (NULL for a quiet close) fails its
 * commands, except that with retry the ones that never reached the host
 * move once to a fresh session. The session is forgotten at once; its
 * owner frees it with sess_free() when its stack unwinds.
 */
static void
sess_kill(struct sess *s, const char *why, int retry)
{
	struct hv_ssh		*eng = s->eng;
	struct hv_ssh_exec	*x;
	struct zombie		*z;
	struct sess		*t = NULL;

	if (s->state == S_DEAD)
		return;
	if (s->state >= S_CONNECTING && s->state <= S_AUTH) {
		eng->setting_up--;
		admit_later(eng);
	}
	if (s->state == S_READY)
		eng->st.open--;
	if (why != NULL)
		eng->st.failures++;
	if (s->waiting) {
		Q_REMOVE(&eng->waitq, s, wait);
		s->waiting = 0;
	}
	if (s->listed) {
		Q_REMOVE(&eng->sessions, s, entry);
		s->listed = 0;
	}
	s->state = S_DEAD;

	while ((x = Q_FIRST(&s->queue)) != NULL) {
		exec_unlink(x);
		if (retry && why != NULL && !x->retried) {
			if (t == NULL)
				t = sess_clone(s);
			x->retried = 1;
			x->sess = t;
			Q_INSERT_TAIL(&t->queue, x, entry);
		} else if (why != NULL)
			exec_fail(x, "%s", why);
		else {
			hv_buf_puts(&x->res.error, "cancelled");
			exec_finish(x);
		}
	}
	while ((x = Q_FIRST(&s->running)) != NULL) {
		x->chan = NULL;		/* goes with the session */
		exec_unlink(x);
		if (why != NULL)
			exec_fail(x, "%s", why);
		else {
			hv_buf_puts(&x->res.error, "cancelled");
			x->res.exit_status = -1;
			exec_finish(x);
		}
	}
	while ((z = Q_FIRST(&s->zombies)) != NULL)
		zombie_free(s, z);
	s->owner = NULL;
	s->opening = 0;
	if (s->fd != -1) {
		hv_loop_fd(eng->loop, s->fd, 0, NULL, NULL);
		s->events = 0;
	}
	hv_loop_cancel(eng->loop, s->timer);
	s->timer = NULL;
	hv_loop_cancel(eng->loop, s->kick);
	s->kick = NULL;
}

/* Kills s with "label: message" for each of its commands. */
static void
sess_vfail(struct sess *s, int retry, const char *fmt, va_list ap)
{
	struct hv_buf	why = HV_BUF_INIT;

	hv_buf_vprintf(&why, fmt, ap);
	sess_kill(s, why.s, retry);
	hv_buf_release(&why);
}

static void
sess_failf(struct sess *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sess_vfail(s, 0, fmt, ap);
	va_end(ap);
}

/* The connection broke under a ready session. */
static void
sess_lost(struct sess *s, int rc)
{
	struct hv_buf	why = HV_BUF_INIT;

	hv_buf_puts(&why, "connection lost: ");
	lost_msg(s, rc, &why);
	sess_kill(s, why.s, sock_error(rc));
	hv_buf_release(&why);
}

/* Frees a dead session and whatever libssh2 still holds for it. */
static void
sess_free(struct sess *s)
{
	int	i;

	if (s->agent_h != NULL) {
		libssh2_agent_disconnect(s->agent_h);
		libssh2_agent_free(s->agent_h);
	}
	if (s->kh != NULL)
		libssh2_knownhost_free(s->kh);
	if (s->ssh != NULL) {
		if (s->was_ready && s->fd != -1 && writable(s->fd))
			libssh2_session_disconnect(s->ssh, "havoc is done");
		/*
		 * With the socket shut down, closing the channels that are
		 * left fails at once instead of waiting for the server.
		 */
		if (s->fd != -1)
			shutdown(s->fd, SHUT_RDWR);
		for (i = 0; i < 3; i++) {
			if (libssh2_session_free(s->ssh) !=
			    LIBSSH2_ERROR_EAGAIN)
				break;
		}
	}
	if (s->fd != -1) {
		hv_loop_fd(s->eng->loop, s->fd, 0, NULL, NULL);
		close(s->fd);
	}
	if (s->ai != NULL)
		freeaddrinfo(s->ai);
	hv_buf_release(&s->khtext);
	free(s->key);
	free(s->address);
	free(s->user);
	free(s->identity);
	free(s->passphrase_env);
	free(s->known_hosts);
	free(s->khname);
	free(s);
}

static int
sess_idle(const struct sess *s)
{
	return Q_EMPTY(&s->queue) && Q_EMPTY(&s->running) &&
	    Q_EMPTY(&s->zombies) && !s->opening;
}

/*
 * Notes what an operation left behind: a partly sent packet makes its
 * maker the owner until it is through. Returns rc.
 */
static int
note(struct sess *s, void *who, enum op op, int rc)
{
	if (rc == LIBSSH2_ERROR_EAGAIN && (libssh2_session_block_directions(
	    s->ssh) & LIBSSH2_SESSION_BLOCK_OUTBOUND)) {
		s->owner = who;
		s->owner_op = op;
	} else if (s->owner == who)
		s->owner = NULL;
	return rc;
}

/* ---- connecting ---------------------------------------------------- */

static void	on_sock(int, short, void *);

static void
on_connect_timeout(void *arg)
{
	struct sess	*s = arg;
	const char	*phase = "";

	s->timer = NULL;
	if (s->state == S_HANDSHAKE)
		phase = " (ssh handshake)";
	else if (s->state == S_AUTH)
		phase = " (authentication)";
	sess_failf(s, "connect timed out after %lld ms%s",
	    (long long)s->connect_timeout_ms, phase);
	sess_free(s);
}

static void	begin_handshake(struct sess *);

/* Tries the next address; fails the session when none is left. */
static void
connect_next(struct sess *s)
{
	struct addrinfo	*ai;
	int		 fd, one = 1, secs, idle, e;
	unsigned int	 user_ms;

	while ((ai = s->ai_next) != NULL) {
		s->ai_next = ai->ai_next;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			s->connect_errno = errno;
			continue;
		}
		/*
		 * A peer that vanished (a partition, a host powered off) is
		 * found by TCP: keepalive probes when idle, a user timeout
		 * when sent data stays unacknowledged.
		 */
		secs = (int)((s->keepalive_ms + 999) / 1000);
		idle = secs > 0 ? secs : 1;
		user_ms = (unsigned int)(s->keepalive_ms * 4 > 30000 ?
		    s->keepalive_ms * 4 : 30000);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle);
		e = 4;
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &e, sizeof e);
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms,
		    sizeof user_ms);
		s->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			begin_handshake(s);
			return;
		}
		if (errno == EINPROGRESS) {
			s->state = S_CONNECTING;
			return;
		}
		s->connect_errno = errno;
		close(fd);
		s->fd = -1;
	}
	sess_failf(s, "connect: %s", strerror(s->connect_errno != 0 ?
	    s->connect_errno : ECONNREFUSED));
}

/* Takes a setup slot: resolves the address and starts connecting. */
static void
sess_start(struct sess *s)
{
	struct hv_ssh	*eng = s->eng;
	struct addrinfo	 hints;
	char		 port[16];
	int		 rc;

	s->state = S_CONNECTING;
	eng->setting_up++;
	s->timer = hv_loop_timer(eng->loop, s->connect_timeout_ms,
	    on_connect_timeout, s);
	if (!libssh2_ok) {
		sess_failf(s, "cannot initialise libssh2");
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(port, sizeof port, "%d", s->port);
	rc = getaddrinfo(s->address, port, &hints, &s->ai);
	if (rc == EAI_NONAME) {
		/* A name, not an address: this lookup may block. */
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		rc = getaddrinfo(s->address, port, &hints, &s->ai);
	}
	if (rc != 0) {
		s->ai = NULL;
		sess_failf(s, "cannot resolve %s: %s", s->address,
		    gai_strerror(rc));
		return;
	}
	s->ai_next = s->ai;
	connect_next(s);
}

/* POLLOUT on a connecting socket: connected, or on to the next address. */
static void
connect_step(struct sess *s)
{
	socklen_t	len = sizeof(int);
	int		e = 0;

	/* SO_ERROR is 0 while connecting too: only POLLOUT says it ended. */
	if (s->fd == -1 || !writable(s->fd))
		return;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e == 0) {
		begin_handshake(s);
		return;
	}
	s->connect_errno = e;
	hv_loop_fd(s->eng->loop, s->fd, 0, NULL, NULL);
	s->events = 0;
	close(s->fd);
	s->fd = -1;
	connect_next(s);
}

/* ---- host keys ----------------------------------------------------- */

struct keytype {
	int		 hostkey;	/* LIBSSH2_HOSTKEY_TYPE_* */
	int		 known;		/* LIBSSH2_KNOWNHOST_KEY_* */
	const char	*name;
};

/* In OpenSSH's order of preference; no DSA. */
static const struct keytype keytypes[] = {
	{ LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519,
	  "ssh-ed25519" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
	  "ecdsa-sha2-nistp256" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384,
	  "ecdsa-sha2-nistp384" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521,
	  "ecdsa-sha2-nistp521" },
	{ LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa" },
};

/* Whether known_hosts holds a key of this type for the host. */
static int
kh_has_type(struct sess *s, int known)
{
	/* A base64 key never equals "-": a match of name and type says so. */
	return libssh2_knownhost_checkp(s->kh, s->khname, -1, "-", 1,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_BASE64 |
	    known, NULL) == LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
}

/*
 * Reads known_hosts into s->kh, line by line so that one line libssh2
 * cannot parse (a certificate authority, a new key type) does not hide
 * the lines after it. A missing file is an empty one.
 */
static int
kh_load(struct sess *s, struct hv_buf *why)
{
	struct hv_buf	 err = HV_BUF_INIT;
	const char	*p, *eol;
	size_t		 n;
	int		 ret = -1;

	if ((s->kh = libssh2_knownhost_init(s->ssh)) == NULL) {
		hv_buf_puts(why, "cannot initialise known hosts");
		goto out;
	}
	if (access(s->known_hosts, F_OK) == -1 && errno == ENOENT) {
		ret = 0;
		goto out;
	}
	if (hv_read_file(s->known_hosts, &s->khtext, &err) == -1) {
		hv_buf_puts(why, err.s);
		goto out;
	}
	for (p = s->khtext.s; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		n = (size_t)(eol - p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n == 0 || *p == '#' || *p == '@')
			continue;
		/*
		 * With the newline: libssh2 1.10 looks at the byte after the
		 * line and, when it is one, takes a byte off the key.
		 */
		if (*eol == '\n')
			n++;
		(void)libssh2_knownhost_readline(s->kh, p, n,
		    LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	}
	ret = 0;
out:
	hv_buf_release(&err);
	return ret;
}

/* Whether an "@revoked" line of known_hosts names this key (base64). */
static int
kh_revoked(struct sess *s, const char *key)
{
	const char	*p, *eol, *f;
	size_t		 klen = strlen(key), n;
	int		 field;

	for (p = s->khtext.s; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(eol - p) < 9 || strncmp(p, "@revoked", 8) != 0 ||
		    (p[8] != ' ' && p[8] != '\t'))
			continue;
		/* @revoked hosts type key: the key is the fourth field. */
		for (field = 0, f = p; f < eol && field < 4; field++) {
			while (f < eol && (*f == ' ' || *f == '\t'))
				f++;
			n = 0;
			while (f + n < eol && f[n] != ' ' && f[n] != '\t' &&
			    f[n] != '\r')
				n++;
			if (field == 3 && n == klen &&
			    memcmp(f, key, klen) == 0)
				return 1;
			f += n;
		}
	}
	return 0;
}

/*
 * Asks for the host key types known_hosts holds for this host first, as
 * OpenSSH does: libssh2 would pick ECDSA before ed25519 and then miss a
 * host that known_hosts has under ed25519.
 */
static void
kh_prefer(struct sess *s)
{
	struct hv_buf	pref = HV_BUF_INIT;
	size_t		i;
	int		pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < HV_ARRAY_LEN(keytypes); i++) {
			if (kh_has_type(s, keytypes[i].known) != (pass == 0))
				continue;
			if (pref.len > 0)
				hv_buf_putc(&pref, ',');
			hv_buf_puts(&pref, keytypes[i].name);
		}
	}
	(void)libssh2_session_method_pref(s->ssh, LIBSSH2_METHOD_HOSTKEY,
	    pref.s);
	hv_buf_release(&pref);
}

/* Appends the new key's line to known_hosts, after what is there. */
static int
kh_record(struct sess *s, const char *key, size_t len, int known,
    struct hv_buf *why)
{
	struct libssh2_knownhost	*entry = NULL;
	struct hv_buf			 line = HV_BUF_INIT;
	struct stat			 sb;
	char				*buf = NULL, *dir = NULL, *slash, c;
	size_t				 outlen = 0, off;
	ssize_t				 w;
	int				 fd = -1, ret = -1;

	if (libssh2_knownhost_addc(s->kh, s->khname, NULL, key, len, NULL, 0,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    known, &entry) != 0) {
		hv_buf_puts(why, "cannot add the key");
		goto out;
	}
	buf = hv_xmalloc(16384);
	if (libssh2_knownhost_writeline(s->kh, entry, buf, 16384, &outlen,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
		hv_buf_puts(why, "cannot format the key");
		goto out;
	}
	fd = open(s->known_hosts, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd == -1 && errno == ENOENT) {
		/* ~/.ssh may not exist yet; make the one missing level. */
		dir = hv_xstrdup(s->known_hosts);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			(void)mkdir(dir, 0700);
		}
		fd = open(s->known_hosts, O_RDWR | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0600);
	}
	if (fd == -1) {
		hv_buf_printf(why, "%s: %s", s->known_hosts, strerror(errno));
		goto out;
	}
	/* One write with O_APPEND: after a last line without a newline. */
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 &&
	    pread(fd, &c, 1, sb.st_size - 1) == 1 && c != '\n')
		hv_buf_putc(&line, '\n');
	hv_buf_add(&line, buf, outlen);
	for (off = 0; off < line.len; off += (size_t)w) {
		w = write(fd, line.s + off, line.len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			hv_buf_printf(why, "%s: %s", s->known_hosts,
			    w == -1 ? strerror(errno) : "short write");
			goto out;
		}
	}
	ret = 0;
out:
	if (fd != -1 && close(fd) == -1 && ret == 0) {
		hv_buf_printf(why, "%s: %s", s->known_hosts, strerror(errno));
		ret = -1;
	}
	hv_buf_release(&line);
	free(buf);
	free(dir);
	return ret;
}

/*
 * Checks the server's host key against known_hosts; -1 with the session
 * failed. Nothing about the user has been sent yet.
 */
static int
hostkey_check(struct sess *s)
{
	const struct keytype	*kt = NULL;
	const unsigned char	*hash;
	const char		*key;
	struct hv_buf		 b = HV_BUF_INIT, fp = HV_BUF_INIT;
	struct hv_buf		 why = HV_BUF_INIT;
	size_t			 len, i;
	int			 type, rc, ret = -1;

	key = libssh2_session_hostkey(s->ssh, &len, &type);
	if (key == NULL) {
		sess_failf(s, "the server sent no host key");
		goto out;
	}
	for (i = 0; i < HV_ARRAY_LEN(keytypes); i++) {
		if (keytypes[i].hostkey == type)
			kt = &keytypes[i];
	}
	if (kt == NULL) {
		sess_failf(s, "unsupported host key type %d", type);
		goto out;
	}
	hv_buf_printf(&fp, "%s SHA256:", kt->name);
	hash = (const unsigned char *)libssh2_hostkey_hash(s->ssh,
	    LIBSSH2_HOSTKEY_HASH_SHA256);
	if (hash != NULL)
		b64(&fp, hash, 32, 0);
	b64(&b, (const unsigned char *)key, len, 1);
	if (kh_revoked(s, b.s)) {
		sess_failf(s, "host key is marked @revoked in known_hosts "
		    "(%s; the server offered %s)", s->known_hosts, fp.s);
		goto out;
	}
	rc = libssh2_knownhost_checkp(s->kh, s->khname, -1, key, len,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    kt->known, NULL);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		ret = 0;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		sess_failf(s, "host key does not match known_hosts (%s has "
		    "another %s key for %s; the server offered %s)",
		    s->known_hosts, kt->name, s->khname, fp.s);
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		/*
		 * A host known under other key types that now shows a new
		 * one is refused even with tofu, as OpenSSH would.
		 */
		for (i = 0; i < HV_ARRAY_LEN(keytypes); i++) {
			if (kh_has_type(s, keytypes[i].known))
				break;
		}
		if (i < HV_ARRAY_LEN(keytypes)) {
			sess_failf(s, "host key does not match known_hosts "
			    "(%s has a %s key for %s; the server offered %s)",
			    s->known_hosts, keytypes[i].name, s->khname, fp.s);
			break;
		}
		if (!s->tofu) {
			sess_failf(s, "host is not in known_hosts (%s has no "
			    "key for %s; the server offered %s)",
			    s->known_hosts, s->khname, fp.s);
			break;
		}
		if (kh_record(s, key, len, kt->known, &why) == -1) {
			sess_failf(s, "cannot record the host key in "
			    "known_hosts: %s", why.s);
			break;
		}
		ret = 0;
		break;
	default:
		ssh_msg(s, &why);
		sess_failf(s, "cannot check the host key: %s", why.s);
		break;
	}
out:
	hv_buf_release(&b);
	hv_buf_release(&fp);
	hv_buf_release(&why);
	return ret;
}

/* ---- handshake and authentication ---------------------------------- */

static void
begin_handshake(struct sess *s)
{
	struct hv_buf	why = HV_BUF_INIT;

	s->state = S_HANDSHAKE;
	freeaddrinfo(s->ai);
	s->ai = s->ai_next = NULL;
	s->ssh = libssh2_session_init_ex(NULL, NULL, NULL, s);
	if (s->ssh == NULL) {
		sess_failf(s, "cannot initialise an ssh session");
		goto out;
	}
	libssh2_session_set_blocking(s->ssh, 0);
	if (kh_load(s, &why) == -1) {
		sess_failf(s, "known_hosts: %s", why.s);
		goto out;
	}
	kh_prefer(s);
out:
	hv_buf_release(&why);
}

static void
handshake_step(struct sess *s)
{
	struct hv_buf	why = HV_BUF_INIT;
	int		rc;

	rc = libssh2_session_handshake(s->ssh, s->fd);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		goto out;
	if (rc != 0) {
		if (rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
		    rc == LIBSSH2_ERROR_SOCKET_RECV)
			lost_msg(s, rc, &why);
		else
			ssh_msg(s, &why);
		sess_failf(s, "ssh handshake failed: %s", why.s);
		goto out;
	}
	if (hostkey_check(s) == -1)
		goto out;
	libssh2_knownhost_free(s->kh);
	s->kh = NULL;
	hv_buf_release(&s->khtext);
	s->state = S_AUTH;
	s->auth_file = !s->agent;
out:
	hv_buf_release(&why);
}

static void	on_keepalive(void *);

/* Authenticated: the session takes commands and leaves its setup slot. */
static void
become_ready(struct sess *s)
{
	struct hv_ssh		*eng = s->eng;
	struct hv_ssh_exec	*x;

	s->state = S_READY;
	s->was_ready = 1;
	eng->setting_up--;
	admit_later(eng);
	eng->st.handshakes++;
	eng->st.open++;
	if (s->agent_h != NULL) {
		libssh2_agent_disconnect(s->agent_h);
		libssh2_agent_free(s->agent_h);
		s->agent_h = NULL;
		s->ident = NULL;
	}
	hv_loop_cancel(eng->loop, s->timer);
	/*
	 * Our timer sets the pace: libssh2 counts whole seconds and would
	 * skip a keepalive that comes a moment before its own due time
	 * (so below two seconds it sends one every two seconds or so).
	 */
	libssh2_keepalive_config(s->ssh, 0, 1);
	s->timer = hv_loop_timer(eng->loop, s->keepalive_ms, on_keepalive, s);
	Q_FOREACH(x, &s->queue, entry)
		exec_arm(x);
}

/* What an authentication step asks for next. */
enum auth_next {
	AUTH_WAIT,		/* for the socket */
	AUTH_AGAIN,		/* another step now */
	AUTH_DONE		/* ready, or failed */
};

/*
 * One step of ssh-agent authentication. libssh2 talks to the agent over
 * its local socket with blocking calls (connect, the key list, each
 * signature): the agent answers at once, and only the traffic with the
 * server is non-blocking.
 */
static enum auth_next
auth_agent(struct sess *s)
{
	struct hv_buf	why = HV_BUF_INIT;
	int		rc;

	if (s->agent_h == NULL) {
		if (getenv("SSH_AUTH_SOCK") == NULL) {
			if (s->identity != NULL)
				goto file;
			sess_failf(s, "authentication failed for %s "
			    "(ssh-agent: SSH_AUTH_SOCK is not set)", s->user);
			return AUTH_DONE;
		}
		if ((s->agent_h = libssh2_agent_init(s->ssh)) == NULL ||
		    libssh2_agent_connect(s->agent_h) != 0 ||
		    libssh2_agent_list_identities(s->agent_h) != 0) {
			if (s->identity != NULL)
				goto file;
			sess_failf(s, "authentication failed for %s "
			    "(ssh-agent: cannot reach the agent)", s->user);
			return AUTH_DONE;
		}
		s->ident = NULL;
		if (libssh2_agent_get_identity(s->agent_h, &s->ident,
		    NULL) != 0)
			goto none;
		s->agent_keys++;
	}
	rc = libssh2_agent_userauth(s->agent_h, s->user, s->ident);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return AUTH_WAIT;
	if (rc == 0) {
		become_ready(s);
		return AUTH_DONE;
	}
	if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED &&
	    rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED &&
	    rc != LIBSSH2_ERROR_AGENT_PROTOCOL) {
		lost_msg(s, rc, &why);
		sess_failf(s, "authentication failed for %s (ssh-agent: %s)",
		    s->user, why.s);
		hv_buf_release(&why);
		return AUTH_DONE;
	}
	if (libssh2_agent_get_identity(s->agent_h, &s->ident,
	    s->ident) == 0) {
		s->agent_keys++;
		return AUTH_AGAIN;
	}
none:
	if (s->identity != NULL)
		goto file;
	sess_failf(s, "authentication failed for %s (publickey; ssh-agent "
	    "offered %d key%s)", s->user, s->agent_keys,
	    s->agent_keys == 1 ? "" : "s");
	return AUTH_DONE;
file:
	s->auth_file = 1;
	return AUTH_AGAIN;
}

/* One step of authentication with the identity file. */
static enum auth_next
auth_file(struct sess *s)
{
	struct hv_buf	 why = HV_BUF_INIT;
	const char	*pass = NULL;
	int		 rc;

	if (s->passphrase_env != NULL)
		pass = getenv(s->passphrase_env);
	rc = libssh2_userauth_publickey_fromfile_ex(s->ssh, s->user,
	    (unsigned int)strlen(s->user), NULL, s->identity, pass);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return AUTH_WAIT;
	if (rc == 0) {
		become_ready(s);
		return AUTH_DONE;
	}
	if (rc == LIBSSH2_ERROR_FILE) {
		if (access(s->identity, R_OK) == -1)
			sess_failf(s, "identity %s: %s", s->identity,
			    strerror(errno));
		else if (s->passphrase_env != NULL && pass == NULL)
			sess_failf(s, "identity %s: cannot read the key "
			    "($%s, its passphrase, is not set)", s->identity,
			    s->passphrase_env);
		else
			sess_failf(s, "identity %s: cannot read the key "
			    "(wrong passphrase or unsupported format)",
			    s->identity);
	} else if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
	    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
		sess_failf(s, "authentication failed for %s (publickey)",
		    s->user);
	else {
		lost_msg(s, rc, &why);
		sess_failf(s, "authentication failed for %s: %s", s->user,
		    why.s);
	}
	hv_buf_release(&why);
	return AUTH_DONE;
}

/* Agent keys first when asked for (or when there is no identity file). */
static void
auth_step(struct sess *s)
{
	enum auth_next	next = AUTH_AGAIN;

	while (next == AUTH_AGAIN && s->state == S_AUTH)
		next = s->auth_file ? auth_file(s) : auth_agent(s);
}

/* ---- channels ------------------------------------------------------ */

/* Keeps what fits under HV_OUTPUT_MAX; the rest was read and is dropped. */
static void
keep(struct hv_buf *b, const char *p, size_t n)
{
	size_t	room = b->len < HV_OUTPUT_MAX ? HV_OUTPUT_MAX - b->len : 0;

	hv_buf_add(b, p, n < room ? n : room);
}

/* Opens a channel for the first queued command. */
static int
op_open(struct sess *s)
{
	LIBSSH2_CHANNEL		*chan;
	struct hv_ssh_exec	*x;
	struct hv_buf		 why = HV_BUF_INIT;
	int			 rc;

	if (!s->opening && (Q_EMPTY(&s->queue) ||
	    s->nchan >= MAX_CHANNELS))
		return 0;
	chan = libssh2_channel_open_ex(s->ssh, "session", sizeof "session" - 1,
	    WINDOW_SIZE, PACKET_SIZE, NULL, 0);
	if (chan == NULL) {
		rc = note(s, s, OP_OPEN, libssh2_session_last_errno(s->ssh));
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			s->opening = 1;
			return 0;
		}
		s->opening = 0;
		if (!chan_error(rc)) {
			sess_lost(s, rc);
			return 1;
		}
		ssh_msg(s, &why);
		if ((x = Q_FIRST(&s->queue)) != NULL)
			exec_fail(x, "cannot open a channel: %s", why.s);
		hv_buf_release(&why);
		return 1;
	}
	note(s, s, OP_OPEN, 0);
	s->opening = 0;
	s->nchan++;
	if ((x = Q_FIRST(&s->queue)) == NULL) {
		/* Its command was cancelled while it opened. */
		(void)zombie_new(s, chan);
		return 1;
	}
	Q_REMOVE(&s->queue, x, entry);
	x->chan = chan;
	x->state = X_STARTING;
	Q_INSERT_TAIL(&s->running, x, entry);
	return 1;
}

/* Fails x for a channel-level error and lets its channel go. */
static void
exec_chan_fail(struct sess *s, struct hv_ssh_exec *x, const char *what)
{
	struct hv_buf	why = HV_BUF_INIT;

	ssh_msg(s, &why);
	exec_stop(x);
	exec_fail(x, "%s: %s", what, why.s);
	hv_buf_release(&why);
}

static int
op_start(struct sess *s, struct hv_ssh_exec *x)
{
	int	rc;

	x->exec_begun = 1;
	rc = note(s, x, OP_START, libssh2_channel_process_startup(x->chan,
	    "exec", sizeof "exec" - 1, x->command,
	    (unsigned int)strlen(x->command)));
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (rc == 0) {
		x->state = X_RUNNING;
		x->res.connected = 1;
		s->eng->st.commands++;
	} else if (chan_error(rc))
		exec_chan_fail(s, x, "exec refused");
	else
		sess_lost(s, rc);
	return 1;
}

static int
op_write(struct sess *s, struct hv_ssh_exec *x)
{
	ssize_t	n;

	n = libssh2_channel_write(x->chan, x->input + x->inoff,
	    x->inlen - x->inoff);
	note(s, x, OP_WRITE, n < 0 ? (int)n : 0);
	if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
		return 0;
	if (n > 0)
		x->inoff += (size_t)n;
	else if (chan_error((int)n))
		x->inoff = x->inlen;	/* the command took no more */
	else
		sess_lost(s, (int)n);
	return 1;
}

/* Sends EOF once the input is out; only on a writable socket (above). */
static int
op_eof(struct sess *s, struct hv_ssh_exec *x)
{
	int	rc;

	if (s->owner != x && !writable(s->fd)) {
		s->want_out = 1;
		return 0;
	}
	rc = note(s, x, OP_EOF, libssh2_channel_send_eof(x->chan));
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (rc == 0 || chan_error(rc))
		x->eof_sent = 1;
	else
		sess_lost(s, rc);
	return 1;
}

static int
op_read(struct sess *s, struct hv_ssh_exec *x)
{
	char		 buf[16384];
	struct hv_buf	*b;
	ssize_t		 n;
	size_t		 total;
	int		 i, progress = 0;

	for (i = 0; i < 2; i++) {
		b = i == 0 ? &x->res.out : &x->res.err;
		for (total = 0; !x->eof[i] && total < READ_BUDGET;) {
			n = libssh2_channel_read_ex(x->chan, i, buf,
			    sizeof buf);
			note(s, x, OP_READ, n < 0 ? (int)n : 0);
			if (n > 0) {
				keep(b, buf, (size_t)n);
				total += (size_t)n;
				progress = 1;
				continue;
			}
			if (n == 0) {
				x->eof[i] = 1;
				progress = 1;
			} else if (n == LIBSSH2_ERROR_EAGAIN) {
				if (s->owner == x)
					return progress;
			} else if (chan_error((int)n)) {
				x->eof[i] = 1;
				progress = 1;
			} else {
				sess_lost(s, (int)n);
				return 1;
			}
			break;
		}
	}
	return progress;
}

/* Output has ended: waits for the close, then takes the exit status. */
static int
op_closed(struct sess *s, struct hv_ssh_exec *x)
{
	char	*sig = NULL;
	size_t	 siglen = 0;
	int	 rc;

	rc = note(s, x, OP_CLOSED, libssh2_channel_wait_closed(x->chan));
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (rc != 0 && rc != LIBSSH2_ERROR_INVAL && !chan_error(rc)) {
		sess_lost(s, rc);
		return 1;
	}
	x->res.exit_status = libssh2_channel_get_exit_status(x->chan);
	if (libssh2_channel_get_exit_signal(x->chan, &sig, &siglen, NULL, NULL,
	    NULL, NULL) == 0 && sig != NULL) {
		if (siglen > 0) {
			x->res.exit_signal = hv_xstrndup(sig, siglen);
			x->res.exit_status = -1;
		}
		libssh2_free(s->ssh, sig);
	}
	exec_stop(x);
	exec_finish(x);
	return 1;
}

/* Whether x must not be stepped further now. */
static int
exec_halt(struct sess *s, struct hv_ssh_exec *x)
{
	return s->state != S_READY || s->owner != NULL || x->state == X_DONE;
}

/* Runs the operation x left a packet half sent in. */
static int
exec_resume(struct sess *s, struct hv_ssh_exec *x)
{
	switch (s->owner_op) {
	case OP_START:
		return op_start(s, x);
	case OP_WRITE:
		return op_write(s, x);
	case OP_EOF:
		return op_eof(s, x);
	case OP_CLOSED:
		return op_closed(s, x);
	default:
		return op_read(s, x);
	}
}

/* Advances one command as far as it goes; 1 when something moved. */
static int
exec_step(struct sess *s, struct hv_ssh_exec *x)
{
	int	progress = 0;

	if (s->owner == x) {
		progress |= exec_resume(s, x);
		if (exec_halt(s, x))
			return progress;
	}
	if (x->state == X_STARTING) {
		progress |= op_start(s, x);
		if (exec_halt(s, x) || x->state == X_STARTING)
			return progress;
	}
	if (x->state == X_RUNNING) {
		if (x->inoff < x->inlen) {
			progress |= op_write(s, x);
			if (exec_halt(s, x))
				return progress;
		}
		if (x->inoff >= x->inlen && !x->eof_sent) {
			progress |= op_eof(s, x);
			if (exec_halt(s, x))
				return progress;
		}
		progress |= op_read(s, x);
		if (exec_halt(s, x))
			return progress;
		if (!x->eof[0] || !x->eof[1])
			return progress;
		x->state = X_CLOSING;
		progress = 1;
	}
	if (x->state == X_CLOSING)
		progress |= op_closed(s, x);
	return progress;
}

/*
 * Closes a channel given up: finishes what it left half sent, drains it,
 * sends EOF and frees it.
 */
static int
zombie_step(struct sess *s, struct zombie *z)
{
	char	buf[4096];
	ssize_t	n = 0;
	size_t	total;
	int	rc, i, progress = 0;

	if (z->starting) {
		rc = note(s, z, OP_START, libssh2_channel_process_startup(
		    z->chan, "exec", sizeof "exec" - 1, z->command,
		    (unsigned int)strlen(z->command)));
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (rc != 0 && !chan_error(rc))
			goto lost;
		z->starting = 0;
		progress = 1;
	}
	if (z->writing) {
		n = libssh2_channel_write(z->chan, z->wbuf, z->wlen);
		rc = note(s, z, OP_WRITE, n < 0 ? (int)n : 0);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return progress;
		if (rc != 0 && !chan_error(rc))
			goto lost;
		z->writing = 0;
		progress = 1;
	}
	for (i = 0; i < 2; i++) {
		total = 0;
		while (total < READ_BUDGET && (n = libssh2_channel_read_ex(
		    z->chan, i, buf, sizeof buf)) > 0) {
			total += (size_t)n;
			progress = 1;
		}
		if (total >= READ_BUDGET)
			continue;
		rc = note(s, z, OP_READ, n < 0 ? (int)n : 0);
		if (rc == LIBSSH2_ERROR_EAGAIN && s->owner == z)
			return progress;
		if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN && !chan_error(rc))
			goto lost;
	}
	if (!z->eof) {
		if (s->owner != z && !writable(s->fd)) {
			s->want_out = 1;
			return progress;
		}
		rc = note(s, z, OP_EOF, libssh2_channel_send_eof(z->chan));
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return progress;
		if (rc != 0 && !chan_error(rc))
			goto lost;
		z->eof = 1;
		progress = 1;
	}
	rc = note(s, z, OP_FREE, libssh2_channel_free(z->chan));
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return progress;
	if (rc != 0 && !chan_error(rc))
		goto lost;
	s->nchan--;
	zombie_free(s, z);
	return 1;

lost:
	sess_lost(s, rc);
	return 1;
}

static void
on_zombie_timeout(void *arg)
{
	struct zombie	*z = arg;
	struct sess	*s = z->sess;

	z->timer = NULL;
	sess_failf(s, "connection stalled: a channel did not close within "
	    "%d ms", ZOMBIE_MS);
	sess_free(s);
}

/* Moves every channel of a ready session as far as it goes. */
static void
ready_pump(struct sess *s)
{
	struct hv_ssh_exec	*x, *xn;
	struct zombie		*z, *zn;
	int			 progress, passes = 0;

	do {
		progress = 0;
		s->want_out = 0;
		for (z = Q_FIRST(&s->zombies); z != NULL &&
		    s->state == S_READY; z = zn) {
			zn = Q_NEXT(z, entry);
			if (s->owner == NULL || s->owner == z)
				progress |= zombie_step(s, z);
		}
		for (x = Q_FIRST(&s->running); x != NULL &&
		    s->state == S_READY; x = xn) {
			xn = Q_NEXT(x, entry);
			if (s->owner == NULL || s->owner == x)
				progress |= exec_step(s, x);
		}
		if (s->state == S_READY && (s->owner == NULL ||
		    s->owner == s))
			progress |= op_open(s);
	} while (progress && s->state == S_READY && ++passes < MAX_PASSES);
	/* A stream that keeps coming gets the rest on the loop's next turn. */
	if (progress && s->state == S_READY)
		sess_kick(s);
}

/* ---- driving a session --------------------------------------------- */

/* Watches the socket for what the session waits for. */
static void
sess_watch(struct sess *s)
{
	short	ev = 0;
	int	dir;

	switch (s->state) {
	case S_CONNECTING:
		ev = POLLOUT;
		break;
	case S_HANDSHAKE:
	case S_AUTH:
		dir = libssh2_session_block_directions(s->ssh);
		if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
			ev |= POLLIN;
		if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			ev |= POLLOUT;
		if (ev == 0)
			ev = POLLIN;
		break;
	case S_READY:
		if (s->owner != NULL)
			ev = POLLOUT;
		else if (!sess_idle(s))
			ev = POLLIN | (s->want_out ? POLLOUT : 0);
		else
			ev = POLLRDHUP;
		break;
	default:
		break;
	}
	if (s->fd != -1 && ev != s->events) {
		hv_loop_fd(s->eng->loop, s->fd, ev, on_sock, s);
		s->events = ev;
	}
}

/* Runs a session as far as it goes, then frees it if it died. */
static void
sess_run(struct sess *s)
{
	enum sess_state	prev;

	do {
		prev = s->state;
		switch (s->state) {
		case S_CONNECTING:
			connect_step(s);
			break;
		case S_HANDSHAKE:
			handshake_step(s);
			break;
		case S_AUTH:
			auth_step(s);
			break;
		case S_READY:
			ready_pump(s);
			break;
		default:
			break;
		}
	} while (s->state != prev && s->state != S_DEAD);
	if (s->state == S_DEAD) {
		sess_free(s);
		return;
	}
	sess_watch(s);
}

static void
on_sock(int fd, short revents, void *arg)
{
	struct sess	*s = arg;

	(void)fd;
	if (s->state == S_READY && sess_idle(s) &&
	    (revents & (POLLRDHUP | POLLHUP | POLLERR))) {
		/* The server let an idle session go: forget it quietly. */
		sess_kill(s, NULL, 0);
		sess_free(s);
		return;
	}
	sess_run(s);
}

static void
on_keepalive(void *arg)
{
	struct sess	*s = arg;
	int		 next = 0, rc;

	s->timer = NULL;
	if (s->state != S_READY)
		return;
	/* Built on the stack: only sent when it goes out whole. */
	if (s->owner == NULL && writable(s->fd)) {
		rc = libssh2_keepalive_send(s->ssh, &next);
		if (rc != 0 && rc != LIBSSH2_ERROR_EAGAIN) {
			sess_lost(s, rc);
			sess_free(s);
			return;
		}
	}
	s->timer = hv_loop_timer(s->eng->loop, s->keepalive_ms, on_keepalive,
	    s);
}

/* ---- the interface ------------------------------------------------- */

struct hv_ssh_exec *
hv_ssh_run(struct hv_ssh *eng, const struct hv_ssh_target *t,
    const char *command, const char *input, int64_t timeout_ms, hv_ssh_cb cb,
    void *arg, struct hv_buf *err)
{
	struct hv_ssh_exec	*x;
	struct sess		*s;
	struct hv_buf		 key = HV_BUF_INIT;
	char			*kh = NULL, *id = NULL;
	const char		*user;
	int			 port, agent;

	if (eng == NULL || t == NULL || t->address == NULL ||
	    *t->address == '\0') {
		hv_error(err, "ssh: no address");
		return NULL;
	}
	if (command == NULL) {
		hv_error(err, "ssh: no command");
		return NULL;
	}
	if (t->port < 0 || t->port > 65535) {
		hv_error(err, "ssh: bad port %d", t->port);
		return NULL;
	}
	port = t->port != 0 ? t->port : 22;
	user = t->user != NULL && *t->user != '\0' ? t->user : "root";
	agent = t->agent || t->identity == NULL || *t->identity == '\0';
	if (t->identity != NULL && *t->identity != '\0')
		id = expand_home(t->identity);
	kh = expand_home(t->known_hosts != NULL && *t->known_hosts != '\0' ?
	    t->known_hosts : "~/.ssh/known_hosts");

	hv_buf_printf(&key, "%s@%s:%d %s%s %s", user, t->address, port,
	    agent ? "agent " : "", id != NULL ? id : "-", kh);
	Q_FOREACH(s, &eng->sessions, entry) {
		if (strcmp(s->key, key.s) == 0)
			break;
	}
	if (s == NULL) {
		s = sess_new(eng, key.s);
		s->address = hv_xstrdup(t->address);
		s->port = port;
		s->user = hv_xstrdup(user);
		s->identity = id;
		id = NULL;
		s->passphrase_env = t->passphrase_env != NULL ?
		    hv_xstrdup(t->passphrase_env) : NULL;
		s->known_hosts = kh;
		kh = NULL;
		/* As OpenSSH writes them: "[host]:port" but for port 22. */
		if (port != 22)
			s->khname = hv_xasprintf("[%s]:%d", t->address, port);
		else
			s->khname = hv_xstrdup(t->address);
		s->agent = agent;
		s->tofu = t->tofu;
		s->connect_timeout_ms = t->connect_timeout_ms > 0 ?
		    t->connect_timeout_ms : CONNECT_TIMEOUT_MS;
		s->keepalive_ms = t->keepalive_ms > 0 ? t->keepalive_ms :
		    KEEPALIVE_MS;
	}

	x = hv_xcalloc(1, sizeof *x);
	x->eng = eng;
	x->command = hv_xstrdup(command);
	if (input != NULL) {
		x->input = hv_xstrdup(input);
		x->inlen = strlen(input);
	}
	x->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	x->cb = cb;
	x->arg = arg;
	x->started = hv_mono_ms();
	hv_buf_init(&x->res.out);
	hv_buf_init(&x->res.err);
	hv_buf_init(&x->res.error);
	x->res.exit_status = -1;
	if (t->name != NULL && *t->name != '\0' &&
	    strcmp(t->name, t->address) != 0)
		x->label = hv_xasprintf(strchr(t->address, ':') != NULL ?
		    "%s ([%s]:%d)" : "%s (%s:%d)", t->name, t->address, port);
	else
		x->label = hv_xasprintf(strchr(t->address, ':') != NULL ?
		    "[%s]:%d" : "%s:%d", t->address, port);
	Q_INSERT_TAIL(&eng->execs, x, all);
	x->state = X_QUEUED;
	x->sess = s;
	Q_INSERT_TAIL(&s->queue, x, entry);
	if (s->state == S_READY) {
		exec_arm(x);
		sess_kick(s);
	}
	hv_buf_release(&key);
	free(kh);
	free(id);
	return x;
}

const struct hv_ssh_res *
hv_ssh_result(const struct hv_ssh_exec *x)
{
	return &x->res;
}

void
hv_ssh_cancel(struct hv_ssh_exec *x)
{
	struct sess	*s;

	if (x == NULL || x->eng == NULL || x->state == X_DONE)
		return;
	s = x->sess;
	exec_stop(x);
	hv_buf_reset(&x->res.error);
	hv_buf_puts(&x->res.error, "cancelled");
	x->res.exit_status = -1;
	exec_finish(x);
	sess_kick(s);
}

void
hv_ssh_exec_free(struct hv_ssh_exec *x)
{
	struct hv_ssh	*eng;
	struct sess	*s;

	if (x == NULL)
		return;
	if ((eng = x->eng) != NULL) {
		if (x->state != X_DONE) {
			s = x->sess;
			exec_stop(x);
			sess_kick(s);
		}
		hv_loop_cancel(eng->loop, x->timer);
		if (x->in_done)
			Q_REMOVE(&eng->done, x, cbq);
		Q_REMOVE(&eng->execs, x, all);
	}
	free(x->label);
	free(x->command);
	free(x->input);
	free(x->res.exit_signal);
	hv_buf_release(&x->res.out);
	hv_buf_release(&x->res.err);
	hv_buf_release(&x->res.error);
	free(x);
}
