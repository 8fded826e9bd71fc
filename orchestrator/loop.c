/*
 * loop.c - poll(2), a timer heap and a self-pipe for signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

struct hv_timer {
	int64_t		 when;
	uint64_t	 seq;
	hv_timer_cb	 cb;
	void		*arg;
	int		 cancelled;
};

struct fdent {
	short		 events;
	hv_fd_cb	 cb;
	void		*arg;
};

struct atfree {
	void		(*fn)(void *);
	void		*arg;
};

struct hv_loop {
	struct fdent	*fds;		/* indexed by descriptor */
	int		 nfds;		/* size of fds */
	struct pollfd	*pfds;		/* scratch for poll() */

	struct hv_timer	**heap;
	size_t		 nheap;
	size_t		 capheap;
	uint64_t	 seq;

	int		 sigpipe[2];
	int		 sig;

	void		*slots[HV_SLOT_MAX];
	struct atfree	*atfree;
	size_t		 natfree;
};

/* The one loop that catches signals; a handler cannot take an argument. */
static int signal_fd = -1;

struct hv_loop *
hv_loop_new(void)
{
	struct hv_loop	*l;

	l = hv_xcalloc(1, sizeof *l);
	l->sigpipe[0] = l->sigpipe[1] = -1;
	return l;
}

void
hv_loop_free(struct hv_loop *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = l->natfree; i > 0; i--)
		l->atfree[i - 1].fn(l->atfree[i - 1].arg);
	free(l->atfree);
	for (i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->fds);
	free(l->pfds);
	if (l->sigpipe[0] != -1) {
		if (signal_fd == l->sigpipe[1]) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal_fd = -1;
		}
		close(l->sigpipe[0]);
		close(l->sigpipe[1]);
	}
	free(l);
}

void
hv_loop_fd(struct hv_loop *l, int fd, short events, hv_fd_cb cb, void *arg)
{
	int	n;

	if (fd < 0)
		return;
	if (fd >= l->nfds) {
		if (events == 0)
			return;
		n = fd + 16;
		l->fds = hv_xreallocarray(l->fds, (size_t)n, sizeof *l->fds);
		memset(l->fds + l->nfds, 0,
		    (size_t)(n - l->nfds) * sizeof *l->fds);
		l->nfds = n;
		l->pfds = hv_xreallocarray(l->pfds, (size_t)n, sizeof *l->pfds);
	}
	l->fds[fd].events = events;
	l->fds[fd].cb = events != 0 ? cb : NULL;
	l->fds[fd].arg = events != 0 ? arg : NULL;
}

static int
timer_before(const struct hv_timer *a, const struct hv_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->seq < b->seq;
}

static void
heap_up(struct hv_loop *l, size_t i)
{
	struct hv_timer	*t = l->heap[i];

	while (i > 0 && timer_before(t, l->heap[(i - 1) / 2])) {
		l->heap[i] = l->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	l->heap[i] = t;
}

static void
heap_down(struct hv_loop *l, size_t i)
{
	struct hv_timer	*t = l->heap[i];
	size_t		 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && timer_before(l->heap[c + 1],
		    l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		l->heap[i] = l->heap[c];
		i = c;
	}
	l->heap[i] = t;
}

static struct hv_timer *
heap_pop(struct hv_loop *l)
{
	struct hv_timer	*t = l->heap[0];

	l->heap[0] = l->heap[--l->nheap];
	if (l->nheap > 0)
		heap_down(l, 0);
	return t;
}

struct hv_timer *
hv_loop_timer(struct hv_loop *l, int64_t delay_ms, hv_timer_cb cb, void *arg)
{
	struct hv_timer	*t;

	t = hv_xcalloc(1, sizeof *t);
	t->when = hv_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->seq = l->seq++;
	t->cb = cb;
	t->arg = arg;
	if (l->nheap == l->capheap) {
		l->capheap = l->capheap == 0 ? 16 : l->capheap * 2;
		l->heap = hv_xreallocarray(l->heap, l->capheap,
		    sizeof *l->heap);
	}
	l->heap[l->nheap++] = t;
	heap_up(l, l->nheap - 1);
	return t;
}

void
hv_loop_cancel(struct hv_loop *l, struct hv_timer *t)
{
	(void)l;
	/* Lazy deletion: the heap frees it when its time comes. */
	if (t != NULL) {
		t->cancelled = 1;
		t->cb = NULL;
	}
}

/* Drops cancelled timers from the top and fires due ones; returns count. */
static int
fire_timers(struct hv_loop *l, int64_t now)
{
	struct hv_timer	*t;
	uint64_t	 limit = l->seq;
	int		 fired = 0;

	/* Timers added by these callbacks wait for the next turn. */
	while (l->nheap > 0 && (l->heap[0]->cancelled ||
	    (l->heap[0]->when <= now && l->heap[0]->seq < limit))) {
		t = heap_pop(l);
		if (!t->cancelled) {
			t->cancelled = 1;
			t->cb(t->arg);
			fired++;
		}
		free(t);
	}
	return fired;
}

static void
drain_signals(struct hv_loop *l)
{
	unsigned char	c;

	while (read(l->sigpipe[0], &c, 1) == 1)
		l->sig = c;
}

static int
poll_once(struct hv_loop *l, int timeout)
{
	struct fdent	*e;
	int		 fd, n = 0, i, r;

	for (fd = 0; fd < l->nfds; fd++) {
		if (l->fds[fd].events == 0)
			continue;
		l->pfds[n].fd = fd;
		l->pfds[n].events = l->fds[fd].events;
		l->pfds[n].revents = 0;
		n++;
	}
	if (n == 0 && timeout < 0)
		return -1;
	r = poll(l->pfds, (nfds_t)n, timeout);
	if (r <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (l->pfds[i].revents == 0)
			continue;
		fd = l->pfds[i].fd;
		if (fd >= l->nfds)
			continue;
		e = &l->fds[fd];
		/* An earlier callback may have dropped the descriptor. */
		if (e->events == 0 || e->cb == NULL)
			continue;
		e->cb(fd, l->pfds[i].revents, e->arg);
	}
	return 0;
}

int
hv_loop_run(struct hv_loop *l, hv_cond_cb cond, void *arg, int64_t deadline)
{
	int64_t	now, wait;
	int	timeout;

	for (;;) {
		if (cond != NULL && cond(arg))
			return 0;
		if (l->sig != 0)
			return 2;
		now = hv_mono_ms();
		/*
		 * Descriptors get their turn (a poll without waiting when a
		 * timer is due) between rounds of timers, so that timers
		 * that keep adding timers starve neither them nor the
		 * deadline. A callback may have met the condition first.
		 */
		if (fire_timers(l, now) > 0) {
			if ((cond != NULL && cond(arg)) || l->sig != 0)
				continue;
			now = hv_mono_ms();
		}
		if (deadline >= 0 && now >= deadline)
			return 1;
		wait = -1;
		if (l->nheap > 0)
			wait = l->heap[0]->when > now ?
			    l->heap[0]->when - now : 0;
		if (deadline >= 0 && (wait < 0 || deadline - now < wait))
			wait = deadline - now;
		if (wait < 0)
			timeout = -1;
		else
			timeout = wait > 60000 ? 60000 : (int)wait;
		if (poll_once(l, timeout) == -1)
			return 1;	/* nothing could ever happen */
	}
}

static void
on_signal(int sig)
{
	unsigned char	c = (unsigned char)sig;
	int		saved = errno;

	if (signal_fd != -1)
		(void)!write(signal_fd, &c, 1);
	errno = saved;
}

static void
on_sigpipe(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	drain_signals(arg);
}

int
hv_loop_catch_signals(struct hv_loop *l)
{
	struct sigaction	sa;

	if (l->sigpipe[0] == -1) {
		if (pipe2(l->sigpipe, O_CLOEXEC | O_NONBLOCK) == -1)
			return -1;
	}
	signal_fd = l->sigpipe[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	hv_loop_fd(l, l->sigpipe[0], POLLIN, on_sigpipe, l);
	return 0;
}

int
hv_loop_signal(struct hv_loop *l)
{
	if (l->sigpipe[0] != -1)
		drain_signals(l);
	return l->sig;
}

void
hv_loop_clear_signal(struct hv_loop *l)
{
	if (l->sigpipe[0] != -1)
		drain_signals(l);
	l->sig = 0;
}

void
hv_loop_raise(struct hv_loop *l, int sig)
{
	l->sig = sig;
}

void **
hv_loop_slot(struct hv_loop *l, enum hv_loop_slot which)
{
	return &l->slots[which];
}

void
hv_loop_atfree(struct hv_loop *l, void (*fn)(void *), void *arg)
{
	l->atfree = hv_xreallocarray(l->atfree, l->natfree + 1,
	    sizeof *l->atfree);
	l->atfree[l->natfree].fn = fn;
	l->atfree[l->natfree].arg = arg;
	l->natfree++;
}
