/*
 * test-loop.c - the event loop (loop.c): timers in order and FIFO at one
 * deadline, cancellation (also from inside another timer), fairness
 * between timers and descriptors, fd watches changed from their own
 * callbacks, hv_loop_run's condition, deadline and return codes,
 * signals through the self-pipe, atfree hooks and slots.
 *
 * Every test is bounded: an alarm ends the binary if the loop hangs, and
 * the chains of timers that could run forever stop by themselves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

/* What the callbacks did, in order, separated by spaces. */
static char	 events[8192];

static void
event(const char *fmt, ...)
{
	size_t	len = strlen(events);
	va_list	ap;

	if (len > 0 && len + 1 < sizeof events) {
		events[len++] = ' ';
		events[len] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(events + len, sizeof events - len, fmt, ap);
	va_end(ap);
}

static int
setup(void **state)
{
	(void)state;
	events[0] = '\0';
	alarm(20);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	alarm(0);
	return 0;
}

/* Open descriptors of this process, to see that nothing leaks. */
static int
count_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n - 1;	/* the directory's own */
}

static int
flag_set(void *arg)
{
	return *(int *)arg != 0;
}

static int
always(void *arg)
{
	(void)arg;
	return 1;
}

static void
on_named(void *arg)
{
	event("%s", (const char *)arg);
}

static void
test_timers_in_order(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	char		 names[20][8], want[512] = "zero";
	size_t		 len;
	int		 i;

	(void)state;
	hv_loop_timer(l, 30, on_named, "t30");
	hv_loop_timer(l, 10, on_named, "t10");
	hv_loop_timer(l, 20, on_named, "t20");
	for (i = 0; i < 20; i++) {
		snprintf(names[i], sizeof names[i], "f%d", i);
		hv_loop_timer(l, 5, on_named, names[i]);
	}
	/* A negative delay is a zero one. */
	hv_loop_timer(l, -5, on_named, "zero");
	for (i = 0; i < 20; i++) {
		len = strlen(want);
		snprintf(want + len, sizeof want - len, " %s", names[i]);
	}
	len = strlen(want);
	snprintf(want + len, sizeof want - len, " t10 t20 t30");
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 200), 1);
	assert_string_equal(events, want);
	hv_loop_free(l);
}

struct ftimer {
	struct hv_loop	*l;
	struct hv_timer	*t;
	int		 delay;
	int		 idx;
	int		 cancelled;
	int		 fired;
	int64_t		 before;	/* the clock around its creation */
	int64_t		 after;
	int64_t		 at;		/* when it fired */
};

static struct ftimer	 ft[3000];
static int		 ft_order[3000];
static int		 ft_nfired;

static void
on_ftimer(void *arg)
{
	struct ftimer	*f = arg;

	f->fired++;
	f->at = hv_mono_ms();
	ft_order[ft_nfired++] = f->idx;
}

/*
 * Many timers with few distinct delays, so that many share a deadline:
 * the heap must keep each delay's timers in the order they were made
 * (FIFO), never fire one before its time, never fire a cancelled one.
 */
static void
test_timers_fifo_many(void **state)
{
	static const int	 delays[] = { 0, 3, 7, 7, 12 };
	struct hv_loop		*l = hv_loop_new();
	unsigned		 seed = 42;
	int			 i, n = (int)HV_ARRAY_LEN(ft), last[20];
	int			 ncancelled = 0;
	struct ftimer		*a, *b;

	(void)state;
	memset(ft, 0, sizeof ft);
	ft_nfired = 0;
	for (i = 0; i < n; i++) {
		ft[i].idx = i;
		ft[i].delay = delays[rand_r(&seed) % HV_ARRAY_LEN(delays)];
		ft[i].before = hv_mono_ms();
		ft[i].t = hv_loop_timer(l, ft[i].delay, on_ftimer, &ft[i]);
		ft[i].after = hv_mono_ms();
	}
	for (i = 0; i < n; i += 7) {
		hv_loop_cancel(l, ft[i].t);
		ft[i].cancelled = 1;
		ncancelled++;
	}
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 100), 1);
	assert_int_equal(ft_nfired, n - ncancelled);
	for (i = 0; i < n; i++) {
		assert_int_equal(ft[i].fired, ft[i].cancelled ? 0 : 1);
		if (!ft[i].cancelled)
			assert_true(ft[i].at >= ft[i].before + ft[i].delay);
	}
	for (i = 0; i < 20; i++)
		last[i] = -1;
	for (i = 0; i < ft_nfired; i++) {
		a = &ft[ft_order[i]];
		if (a->idx <= last[a->delay])
			fail_msg("timer %d (%d ms) fired after timer %d of the "
			    "same delay made later", a->idx, a->delay,
			    last[a->delay]);
		last[a->delay] = a->idx;
		if (i == 0)
			continue;
		/* The one before must not have been due after this one. */
		b = &ft[ft_order[i - 1]];
		if (b->before + b->delay > a->after + a->delay)
			fail_msg("timer %d (due >= %lld) fired before timer %d "
			    "(due <= %lld)", b->idx,
			    (long long)(b->before + b->delay), a->idx,
			    (long long)(a->after + a->delay));
	}
	hv_loop_free(l);
}

struct canceller {
	struct hv_loop	*l;
	const char	*name;
	struct hv_timer	*victim;
};

static void
on_cancel_other(void *arg)
{
	struct canceller	*c = arg;

	event("%s", c->name);
	hv_loop_cancel(c->l, c->victim);
}

static void
test_cancel(void **state)
{
	struct hv_loop		*l = hv_loop_new();
	struct canceller	 a = { l, "a", NULL }, d = { l, "d", NULL };
	struct hv_timer		*gone;

	(void)state;
	/* Cancelled before the loop runs, and NULL, which is allowed. */
	gone = hv_loop_timer(l, 0, on_named, "never-0");
	hv_loop_cancel(l, gone);
	hv_loop_cancel(l, NULL);
	/* d (5 ms) cancels c (20 ms): a later one. */
	hv_loop_timer(l, 5, on_cancel_other, &d);
	/* a cancels b: the same deadline, due in the very same turn. */
	hv_loop_timer(l, 10, on_cancel_other, &a);
	a.victim = hv_loop_timer(l, 10, on_named, "never-b");
	d.victim = hv_loop_timer(l, 20, on_named, "never-c");
	hv_loop_timer(l, 25, on_named, "e");
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 60), 1);
	assert_string_equal(events, "d a e");
	hv_loop_free(l);
}

struct rearm {
	struct hv_loop	*l;
	int		 count;
	int		 max;
	int64_t		 stop_at;	/* the chain ends by itself then */
	int		 raise_at;	/* raise SIGTERM at this count, or 0 */
	int		 seen_fd_at;	/* count when the fd callback ran */
	int		 done;
};

/* A zero-delay timer that makes the next one: a busy stream of work. */
static void
on_rearm(void *arg)
{
	struct rearm	*r = arg;

	r->count++;
	if (r->raise_at != 0 && r->count == r->raise_at)
		hv_loop_raise(r->l, SIGTERM);
	if (r->count < r->max && hv_mono_ms() < r->stop_at)
		hv_loop_timer(r->l, 0, on_rearm, r);
}

static void
on_rearm_fd(int fd, short revents, void *arg)
{
	struct rearm	*r = arg;
	char		 c;

	(void)revents;
	assert_int_equal(read(fd, &c, 1), 1);
	r->seen_fd_at = r->count;
	r->done = 1;
	hv_loop_fd(r->l, fd, 0, NULL, NULL);
}

static void
on_add_zero(void *arg)
{
	struct hv_loop	*l = arg;

	event("first");
	hv_loop_timer(l, 0, on_named, "second");
}

static void
on_fd_event(int fd, short revents, void *arg)
{
	struct hv_loop	*l = arg;
	char		 c;

	(void)revents;
	assert_int_equal(read(fd, &c, 1), 1);
	event("fd");
	hv_loop_fd(l, fd, 0, NULL, NULL);
}

/*
 * A zero-delay timer added by a callback waits for the next turn, and a
 * turn polls the descriptors: a stream of such timers never starves a
 * descriptor that is ready.
 */
static void
test_zero_timer_waits_next_turn(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	struct rearm	 r;
	int		 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "xy", 2), 2);

	/* first, then the ready descriptor, then second. */
	hv_loop_timer(l, 0, on_add_zero, l);
	hv_loop_fd(l, p[0], POLLIN, on_fd_event, l);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 50), 1);
	assert_string_equal(events, "first fd second");

	/* A chain of 100000 zero-delay timers, or 3 s of them. */
	memset(&r, 0, sizeof r);
	r.l = l;
	r.max = 100000;
	r.stop_at = hv_mono_ms() + 3000;
	hv_loop_timer(l, 0, on_rearm, &r);
	hv_loop_fd(l, p[0], POLLIN, on_rearm_fd, &r);
	assert_int_equal(hv_loop_run(l, flag_set, &r.done, hv_mono_ms() +
	    5000), 0);
	if (r.seen_fd_at > 3)
		fail_msg("the descriptor waited for %d timer turns",
		    r.seen_fd_at);
	/* The chain goes on after the descriptor had its turn. */
	r.max = r.count + 5;
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 50), 1);
	assert_int_equal(r.count, r.max);
	close(p[0]);
	close(p[1]);
	hv_loop_free(l);
}

/* Busy timers do not keep hv_loop_run from its deadline or a signal. */
static void
test_busy_timers_deadline_and_signal(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	struct rearm	 r;
	int64_t		 t0;

	(void)state;
	memset(&r, 0, sizeof r);
	r.l = l;
	r.max = 100000000;
	r.stop_at = hv_mono_ms() + 3000;
	hv_loop_timer(l, 0, on_rearm, &r);
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 100), 1);
	assert_true(hv_mono_ms() - t0 >= 100);
	if (hv_mono_ms() - t0 > 1000)
		fail_msg("deadline of 100 ms missed by %lld ms",
		    (long long)(hv_mono_ms() - t0 - 100));
	assert_true(r.count > 0);

	/* A callback that raises: the run returns 2 right after. */
	r.raise_at = r.count + 10;
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 2500), 2);
	assert_true(hv_mono_ms() - t0 < 1000);
	assert_int_equal(r.count, r.raise_at);
	assert_int_equal(hv_loop_signal(l), SIGTERM);
	/* Let the chain end, so that nothing is pending at free. */
	r.max = 0;
	hv_loop_clear_signal(l);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 20), 1);
	hv_loop_free(l);
}

/* Adds a zero-delay timer, then takes its time: it is overdue after. */
static void
on_slow(void *arg)
{
	int64_t	t0 = hv_mono_ms();

	hv_loop_timer(arg, 0, on_named, "next");
	while (hv_mono_ms() - t0 < 3)
		;
}

static int
events_done(void *arg)
{
	return strcmp(events, arg) == 0;
}

/* A timer already overdue when the loop looks at it runs at once. */
static void
test_slow_callback(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	int		 p[2];
	int64_t		 t0;

	(void)state;
	hv_loop_timer(l, 0, on_slow, l);
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, events_done, "next", t0 + 2000), 0);
	assert_true(hv_mono_ms() - t0 < 500);
	/* No deadline, a descriptor that stays quiet: the same. */
	assert_int_equal(pipe(p), 0);
	hv_loop_fd(l, p[0], POLLIN, on_fd_event, l);
	events[0] = '\0';
	hv_loop_timer(l, 0, on_slow, l);
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, events_done, "next", -1), 0);
	assert_true(hv_mono_ms() - t0 < 500);
	close(p[0]);
	close(p[1]);
	hv_loop_free(l);
}

struct fdwatch {
	struct hv_loop	*l;
	int		 fd;
	int		 calls;
	short		 revents;
	struct fdwatch	*other;
	int		 extra;		/* a descriptor added from a callback */
};

static void
on_readable(int fd, short revents, void *arg)
{
	struct fdwatch	*w = arg;
	char		 buf[16];

	w->calls++;
	w->revents = revents;
	assert_int_equal(fd, w->fd);
	if (revents & POLLIN)
		assert_true(read(fd, buf, sizeof buf) > 0);
}

static void
test_fd_pipe(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	struct fdwatch	 r = { 0 }, w = { 0 };
	int		 p[2], fds = count_fds();

	(void)state;
	assert_int_equal(pipe(p), 0);
	r.fd = p[0];
	r.l = l;
	hv_loop_fd(l, p[0], POLLIN, on_readable, &r);
	/* Nothing to read: no call, and the deadline is kept. */
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 30), 1);
	assert_int_equal(r.calls, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(hv_loop_run(l, flag_set, &r.calls, hv_mono_ms() +
	    1000), 0);
	assert_int_equal(r.calls, 1);
	assert_true(r.revents & POLLIN);

	/* The write end is ready for writing at once. */
	w.fd = p[1];
	w.l = l;
	hv_loop_fd(l, p[1], POLLOUT, on_readable, &w);
	assert_int_equal(hv_loop_run(l, flag_set, &w.calls, hv_mono_ms() +
	    1000), 0);
	assert_true(w.revents & POLLOUT);
	hv_loop_fd(l, p[1], 0, NULL, NULL);

	/* The writer goes: the reader hears the hang-up. */
	close(p[1]);
	r.calls = 0;
	assert_int_equal(hv_loop_run(l, flag_set, &r.calls, hv_mono_ms() +
	    1000), 0);
	assert_true(r.revents & POLLHUP);
	hv_loop_fd(l, p[0], 0, NULL, NULL);
	/* Unwatched: no more calls though it still hangs up. */
	r.calls = 0;
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 20), 1);
	assert_int_equal(r.calls, 0);
	close(p[0]);
	/* Out of range and negative descriptors are ignored. */
	hv_loop_fd(l, -1, POLLIN, on_readable, &r);
	hv_loop_fd(l, 100000, 0, NULL, NULL);
	hv_loop_free(l);
	assert_int_equal(count_fds(), fds);
}

static void
on_second(int fd, short revents, void *arg)
{
	struct fdwatch	*w = arg;

	(void)revents;
	event("second");
	w->calls++;
	/* Removes itself; the pipe stays readable. */
	hv_loop_fd(w->l, fd, 0, NULL, NULL);
}

static void
on_first(int fd, short revents, void *arg)
{
	struct fdwatch	*w = arg;

	(void)revents;
	event("first");
	/* Replaces itself; the byte stays unread. */
	hv_loop_fd(w->l, fd, POLLIN, on_second, w->other);
}

static void
test_fd_replace_and_remove_in_callback(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	struct fdwatch	 a = { 0 }, b = { 0 };
	int		 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	a.l = b.l = l;
	a.other = &b;
	hv_loop_fd(l, p[0], POLLIN, on_first, &a);
	assert_int_equal(hv_loop_run(l, flag_set, &b.calls, hv_mono_ms() +
	    1000), 0);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 30), 1);
	assert_string_equal(events, "first second");
	assert_int_equal(b.calls, 1);
	close(p[0]);
	close(p[1]);
	hv_loop_free(l);
}

static void
on_drop_both(int fd, short revents, void *arg)
{
	struct fdwatch	*w = arg;

	(void)revents;
	w->calls++;
	hv_loop_fd(w->l, w->other->fd, 0, NULL, NULL);
	hv_loop_fd(w->l, fd, 0, NULL, NULL);
}

static void
on_writable_once(int fd, short revents, void *arg)
{
	struct fdwatch	*w = arg;

	(void)revents;
	w->calls++;
	hv_loop_fd(w->l, fd, 0, NULL, NULL);
}

static void
on_grow(int fd, short revents, void *arg)
{
	struct fdwatch	*w = arg;

	(void)revents;
	w->calls++;
	hv_loop_fd(w->l, fd, 0, NULL, NULL);
	/* A descriptor far above the others: the tables grow right now. */
	w->other->fd = w->extra;
	hv_loop_fd(w->l, w->extra, POLLOUT, on_writable_once, w->other);
}

static void
test_fd_callbacks_change_others(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	struct fdwatch	 a = { 0 }, b = { 0 }, g = { 0 }, h = { 0 };
	int		 p[2], q[2], big;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "x", 1), 1);
	/* Both are ready in one poll; whichever runs first drops both. */
	a.l = b.l = l;
	a.fd = p[0];
	b.fd = q[0];
	a.other = &b;
	b.other = &a;
	hv_loop_fd(l, p[0], POLLIN, on_drop_both, &a);
	hv_loop_fd(l, q[0], POLLIN, on_drop_both, &b);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 30), 1);
	assert_int_equal(a.calls + b.calls, 1);

	/* A callback that makes the tables grow during the poll round. */
	big = dup2(p[1], 900);
	assert_int_equal(big, 900);
	g.l = h.l = l;
	g.fd = q[0];
	g.other = &h;
	g.extra = big;
	hv_loop_fd(l, q[0], POLLIN, on_grow, &g);
	hv_loop_fd(l, p[0], POLLIN, on_readable, &a);
	a.calls = 0;
	a.fd = p[0];
	assert_int_equal(hv_loop_run(l, flag_set, &h.calls, hv_mono_ms() +
	    1000), 0);
	assert_int_equal(g.calls, 1);
	assert_int_equal(h.fd, big);
	assert_int_equal(a.calls, 1);
	close(big);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	hv_loop_free(l);
}

static void
on_set_flag(void *arg)
{
	*(int *)arg = 1;
}

static void
test_run_condition_and_deadline(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	struct hv_timer	*t;
	int		 flag = 0;
	int64_t		 t0;

	(void)state;
	/* Checked before anything runs: the due timer waits. */
	t = hv_loop_timer(l, 0, on_named, "due");
	assert_int_equal(hv_loop_run(l, always, NULL, -1), 0);
	assert_string_equal(events, "");
	hv_loop_cancel(l, t);

	/* Met by a timer: returns at once, long before the deadline. */
	t0 = hv_mono_ms();
	hv_loop_timer(l, 20, on_set_flag, &flag);
	assert_int_equal(hv_loop_run(l, flag_set, &flag, t0 + 5000), 0);
	assert_true(hv_mono_ms() - t0 >= 20);
	assert_true(hv_mono_ms() - t0 < 1000);

	/* Not met: the deadline, neither early nor much late. */
	flag = 0;
	t0 = hv_mono_ms();
	t = hv_loop_timer(l, 5000, on_named, "late");
	assert_int_equal(hv_loop_run(l, flag_set, &flag, t0 + 60), 1);
	assert_true(hv_mono_ms() - t0 >= 60);
	assert_true(hv_mono_ms() - t0 < 1000);
	assert_string_equal(events, "");
	/* A deadline in the past. */
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, flag_set, &flag, t0 - 10), 1);
	assert_true(hv_mono_ms() - t0 < 100);
	hv_loop_cancel(l, t);

	/* No deadline: the condition alone ends it. */
	hv_loop_timer(l, 10, on_set_flag, &flag);
	assert_int_equal(hv_loop_run(l, flag_set, &flag, -1), 0);

	/* Nothing could ever happen: no descriptor, timer or deadline. */
	flag = 0;
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, flag_set, &flag, -1), 1);
	assert_true(hv_mono_ms() - t0 < 100);
	/* The pending timer is freed with the loop (ASan sees a leak). */
	hv_loop_timer(l, 10000, on_named, "never");
	hv_loop_free(l);
	assert_string_equal(events, "");
}

static void
on_raise(void *arg)
{
	hv_loop_raise(arg, SIGHUP);
}

static void
test_raise(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	int64_t		 t0;

	(void)state;
	assert_int_equal(hv_loop_signal(l), 0);
	hv_loop_raise(l, SIGTERM);
	assert_int_equal(hv_loop_signal(l), SIGTERM);
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 5000), 2);
	/* It stays until cleared; a met condition still comes first. */
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 5000), 2);
	assert_int_equal(hv_loop_run(l, always, NULL, t0 + 5000), 0);
	assert_true(hv_mono_ms() - t0 < 1000);
	hv_loop_clear_signal(l);
	assert_int_equal(hv_loop_signal(l), 0);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 20), 1);

	/* From a callback: the run returns right after it. */
	t0 = hv_mono_ms();
	hv_loop_timer(l, 10, on_raise, l);
	hv_loop_timer(l, 3000, on_named, "never");
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 5000), 2);
	assert_true(hv_mono_ms() - t0 < 1000);
	assert_int_equal(hv_loop_signal(l), SIGHUP);
	hv_loop_free(l);
	assert_string_equal(events, "");
}

static void
test_signals(void **state)
{
	struct hv_loop		*l = hv_loop_new();
	struct sigaction	 sa;
	int64_t			 t0;
	pid_t			 pid, parent = getpid();
	int			 status, fds = count_fds();

	(void)state;
	assert_int_equal(hv_loop_catch_signals(l), 0);
	/* A second call reuses its pipe. */
	assert_int_equal(hv_loop_catch_signals(l), 0);
	assert_int_equal(count_fds(), fds + 2);

	/* Raised before the run: the run returns 2 at once. */
	assert_int_equal(raise(SIGINT), 0);
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 5000), 2);
	assert_true(hv_mono_ms() - t0 < 1000);
	assert_int_equal(hv_loop_signal(l), SIGINT);
	assert_int_equal(hv_loop_signal(l), SIGINT);
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 5000), 2);
	hv_loop_clear_signal(l);
	assert_int_equal(hv_loop_signal(l), 0);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 30), 1);

	/* Seen without a run too: hv_loop_signal reads the pipe. */
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(hv_loop_signal(l), SIGTERM);
	/* Clearing also drops one that came and was not read yet. */
	assert_int_equal(raise(SIGINT), 0);
	hv_loop_clear_signal(l);
	assert_int_equal(hv_loop_signal(l), 0);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 20), 1);

	/* One that arrives while the loop sleeps in poll wakes it. */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		usleep(100 * 1000);
		kill(parent, SIGHUP);
		_exit(0);
	}
	t0 = hv_mono_ms();
	assert_int_equal(hv_loop_run(l, NULL, NULL, t0 + 10000), 2);
	assert_true(hv_mono_ms() - t0 < 5000);
	assert_int_equal(hv_loop_signal(l), SIGHUP);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Freed: the default dispositions are back, the pipe closed. */
	hv_loop_free(l);
	assert_int_equal(sigaction(SIGINT, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
	assert_int_equal(sigaction(SIGTERM, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
	assert_int_equal(count_fds(), fds);
}

static void
on_atfree(void *arg)
{
	event("%s", (const char *)arg);
}

static void
test_atfree_reverse(void **state)
{
	struct hv_loop	*l = hv_loop_new();

	(void)state;
	hv_loop_free(NULL);
	hv_loop_atfree(l, on_atfree, "1");
	hv_loop_atfree(l, on_atfree, "2");
	hv_loop_atfree(l, on_atfree, "3");
	assert_string_equal(events, "");
	hv_loop_free(l);
	assert_string_equal(events, "3 2 1");
}

static void
test_slots(void **state)
{
	struct hv_loop	*a = hv_loop_new(), *b = hv_loop_new();
	int		 x, y;

	(void)state;
	assert_null(*hv_loop_slot(a, HV_SLOT_HTTP));
	assert_null(*hv_loop_slot(a, HV_SLOT_SSH));
	assert_ptr_not_equal(hv_loop_slot(a, HV_SLOT_HTTP),
	    hv_loop_slot(a, HV_SLOT_SSH));
	assert_ptr_equal(hv_loop_slot(a, HV_SLOT_SSH),
	    hv_loop_slot(a, HV_SLOT_SSH));
	*hv_loop_slot(a, HV_SLOT_HTTP) = &x;
	*hv_loop_slot(a, HV_SLOT_SSH) = &y;
	assert_ptr_equal(*hv_loop_slot(a, HV_SLOT_HTTP), &x);
	assert_ptr_equal(*hv_loop_slot(a, HV_SLOT_SSH), &y);
	/* Per loop. */
	assert_null(*hv_loop_slot(b, HV_SLOT_HTTP));
	hv_loop_free(a);
	hv_loop_free(b);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_timers_in_order),
		T(test_timers_fifo_many),
		T(test_cancel),
		T(test_zero_timer_waits_next_turn),
		T(test_busy_timers_deadline_and_signal),
		T(test_slow_callback),
		T(test_fd_pipe),
		T(test_fd_replace_and_remove_in_callback),
		T(test_fd_callbacks_change_others),
		T(test_run_condition_and_deadline),
		T(test_raise),
		T(test_signals),
		T(test_atfree_reverse),
		T(test_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
