/*
 * cmd-daemon.c - havoc daemon: runs game days on their schedules until
 * stopped, in the foreground, for systemd.
 *
 * The shape:
 *   - One process schedules; each game day runs in a child of its own
 *     (fork, no exec: the child runs the files as the daemon loaded
 *     them, so an edit takes effect at SIGHUP, never half-way). A
 *     child's crash cannot take the scheduler with it, and SIGHUP
 *     reloads the files while runs go on.
 *   - Idle, the daemon sleeps in poll(2) until the next start (a
 *     CLOCK_REALTIME timerfd set to that wall time, which also wakes when
 *     the clock is set) or the next lease renewal (a third of the lease,
 *     20 s by default). Nothing wakes it every second.
 *   - A lease row in the database lets one daemon at a time schedule; a
 *     second one refuses to start (exit 75). A daemon that dies leaves
 *     its lease to expire (--lease, 60 s by default); the next daemon
 *     takes it over then. A daemon that finds its lease taken stops its
 *     game days and exits 1.
 *   - Slots are accounted for in the store (gameday_schedules): a slot
 *     that came while no daemon ran, or while this one could not act on
 *     it within GRACE_MS, is recorded as skipped ("missed"), unless
 *     catch_up is set: then the latest such slot runs late, once.
 *   - Every event is one logfmt line on stderr; a child's other output
 *     (the runner's progress, warnings) becomes one logfmt line a line.
 *   - SIGTERM and SIGINT go on to the children, whose runs stop and roll
 *     back; the daemon exits when they are done. `havoc halt` sends
 *     SIGTERM.
 */
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "gameday.h"
#include "loop.h"
#include "node.h"
#include "runner.h"
#include "store.h"
#include "store-gameday.h"

#define EXIT_LEASE	75		/* EX_TEMPFAIL: another daemon runs */
#define GRACE_MS	60000		/* a start this late is still on time */
#define MAX_SKIPS	1000		/* recorded at once, per game day */
#define LINE_MAX_	4096		/* of a child's output line */
#define RECOVER		"(recover)"	/* the child that reverts */

struct entry {
	struct hv_gameday	*g;		/* owned */
	int64_t			 slot;		/* next slot, 0: none */
	int64_t			 start;		/* slot plus jitter */
	int64_t			 jitter;
	uint64_t		 seed;
	int64_t			 accounted;	/* slots up to it handled */
};

struct daemon;

struct child {
	struct daemon	*d;
	pid_t		 pid;
	int		 pidfd;
	int		 errfd;
	struct hv_buf	 line;
	char		*name;
	int		 forbid;
	int64_t		 gameday;
};

struct daemon {
	struct hv_loop	*loop;
	struct hv_store	*st;
	const char	*db;
	char		**files;
	size_t		 nfiles;
	struct entry	*e;		/* one per file */
	struct child	**kids;
	size_t		 nkids;
	int64_t		 id;
	char		 idstr[24];
	int64_t		 ttl;
	int		 tfd;
	struct hv_timer	*renew;
	int64_t		 startup_at;	/* slots up to it: missed while down */
	int		 stopping;
	int		 done;
	int		 exit_code;
	char		 host[256];
};

static const char help[] =
"  --db PATH        the database (else $HAVOC_DB, else ./havoc.db)\n"
"  --lease DUR      how long the daemon's lease lasts unrenewed (60s):\n"
"                   after a crash, another daemon may start once it ran\n"
"                   out; it is renewed every third of it\n"
"\nRuns each game day at its slots (plus its jitter) in the foreground;\n"
"one logfmt line per event on stderr. SIGHUP reloads the files (a file\n"
"with errors keeps its old version); SIGTERM and SIGINT stop the runs in\n"
"flight, wait for their rollbacks, then exit. Exit: 0 stopped, 1 lease\n"
"lost or error, 64 usage, 65 invalid file, 75 another daemon holds the\n"
"lease on this database.\n";

static void
fmt_time(struct entry *e, int64_t t, char *buf, size_t len)
{
	if (t == 0)
		snprintf(buf, len, "none");
	else
		hv_schedule_format(&e->g->sched, t, buf, len);
}

/* Logs every line of a diagnostic text as an error event. */
static void
log_diag(const char *file, const char *text)
{
	const char	*p = text, *nl;
	char		*line;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		line = hv_xstrndup(p, nl != NULL ? (size_t)(nl - p) :
		    strlen(p));
		hv_logfmt("error", "invalid_file", "file", file, "msg", line,
		    HV_LOGEND);
		free(line);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static struct hv_gameday *
load(const char *file)
{
	struct hv_gameday	*g;
	struct hv_diag		 d;

	hv_diag_init(&d);
	g = hv_gameday_load(file, 0, &d);
	if (d.count > 0)
		log_diag(file, d.text.s);
	hv_diag_release(&d);
	return g;
}

/* Draws the jitter of e's slot; a slot already past gets none. */
static void
draw(struct entry *e, int64_t now)
{
	uint64_t	seed;

	e->jitter = 0;
	e->start = e->slot;
	if (e->slot == 0 || e->slot <= now || e->g->jitter_ms == 0)
		return;
	if (getentropy(&seed, sizeof seed) == -1)
		seed = (uint64_t)hv_wall_ms() ^ (uint64_t)getpid() << 32;
	e->seed = seed;
	e->jitter = hv_schedule_jitter(seed, e->g->jitter_ms,
	    hv_schedule_room(&e->g->sched, e->slot));
	e->start = e->slot + e->jitter;
}

/* The slot after t, or 0 after logging why there is none. */
static int64_t
next_after(struct entry *e, int64_t t)
{
	struct hv_buf	 err = HV_BUF_INIT;
	int64_t		 slot;

	if (hv_schedule_next(&e->g->sched, t, &slot, &err) == -1) {
		hv_logfmt("error", "no_slot", "gameday", e->g->name, "msg",
		    err.s, HV_LOGEND);
		slot = 0;
	}
	hv_buf_release(&err);
	return slot;
}

static void
save(struct daemon *d, struct entry *e)
{
	struct hv_buf	 err = HV_BUF_INIT;
	int64_t		 acc = e->accounted;

	if (hv_store_sched_put(d->st, e->g->name, e->g->path,
	    e->g->schedule_text, e->g->sched.tz, d->id, e->slot, e->start,
	    acc, &err) == -1)
		hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
	hv_buf_release(&err);
}

/* --- children ----------------------------------------------------------- */

static void
child_line(struct child *k, const char *s, size_t n)
{
	char	*line = hv_xstrndup(s, n), pid[24];

	if (strncmp(line, "ts=", 3) == 0) {
		/* Already an event of the child's: as it is, in one write. */
		line = hv_xrealloc(line, n + 1);
		line[n] = '\n';
		(void)!write(STDERR_FILENO, line, n + 1);
	} else {
		snprintf(pid, sizeof pid, "%d", (int)k->pid);
		hv_logfmt(strncmp(line, "havoc: warning: ", 16) == 0 ?
		    "warn" : "info", "output", "gameday", k->name, "pid", pid,
		    "msg", line, HV_LOGEND);
	}
	free(line);
}

static void
drain(struct child *k)
{
	char	 buf[4096], *nl;
	ssize_t	 n;
	size_t	 off;

	while ((n = read(k->errfd, buf, sizeof buf)) > 0) {
		hv_buf_add(&k->line, buf, (size_t)n);
		off = 0;
		while ((nl = memchr(k->line.s + off, '\n', k->line.len -
		    off)) != NULL) {
			child_line(k, k->line.s + off,
			    (size_t)(nl - (k->line.s + off)));
			off = (size_t)(nl - k->line.s) + 1;
		}
		if (off > 0) {
			memmove(k->line.s, k->line.s + off, k->line.len - off);
			k->line.len -= off;
			k->line.s[k->line.len] = '\0';
		}
		if (k->line.len > LINE_MAX_) {
			child_line(k, k->line.s, k->line.len);
			hv_buf_reset(&k->line);
		}
	}
}

static void
on_child_output(int fd, short revents, void *arg)
{
	struct child	*k = arg;

	(void)revents;
	drain(k);
	if (revents & (POLLHUP | POLLERR)) {
		hv_loop_fd(k->d->loop, fd, 0, NULL, NULL);
	}
}

static void	arm(struct daemon *);
static void	recover(struct daemon *);
static void	startup(struct daemon *);

static void
on_child_exit(int fd, short revents, void *arg)
{
	struct child	*k = arg;
	struct daemon	*d = k->d;
	struct hv_buf	 err = HV_BUF_INIT;
	char		*status, code[16], id[24];
	int		 ws = 0, crashed = 0, was_recover;
	size_t		 i;

	(void)revents;
	if (waitpid(k->pid, &ws, WNOHANG) == 0)
		return;
	hv_loop_fd(d->loop, fd, 0, NULL, NULL);
	close(fd);
	drain(k);
	if (k->line.len > 0)
		child_line(k, k->line.s, k->line.len);
	hv_loop_fd(d->loop, k->errfd, 0, NULL, NULL);
	close(k->errfd);
	snprintf(id, sizeof id, "%" PRId64, k->gameday);
	if (WIFEXITED(ws))
		snprintf(code, sizeof code, "%d", WEXITSTATUS(ws));
	else
		snprintf(code, sizeof code, "signal %d", WTERMSIG(ws));
	status = k->gameday != 0 ? hv_store_gd_status(d->st, k->gameday,
	    &err) : NULL;
	if (status != NULL && strcmp(status, HV_GD_RUNNING) == 0) {
		/* It died in the middle: revert what its runs left. */
		hv_logfmt("error", "gameday_crashed", "gameday", k->name,
		    "id", id, "exit", code, HV_LOGEND);
		crashed = 1;
	} else if (k->gameday != 0)
		hv_logfmt("info", "gameday_exit", "gameday", k->name, "id", id,
		    "status", status, "exit", code, HV_LOGEND);
	free(status);
	for (i = 0; i < d->nkids && d->kids[i] != k; i++)
		;
	if (i < d->nkids)
		d->kids[i] = d->kids[--d->nkids];
	was_recover = strcmp(k->name, RECOVER) == 0;
	hv_buf_release(&k->line);
	hv_buf_release(&err);
	free(k->name);
	free(k);
	if (crashed && !d->stopping)
		recover(d);
	if (was_recover && d->startup_at != 0)
		startup(d);
	if (d->stopping && d->nkids == 0)
		d->done = 1;
}

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* What a child runs, in its own process and loop; returns its exit. */
typedef int (*child_fn)(struct daemon *, struct hv_loop *, void *arg);

struct gd_job {
	struct entry	*e;
	int64_t		 gameday;
};

/* In a child: one game day. */
static int
run_gameday(struct daemon *d, struct hv_loop *loop, void *arg)
{
	struct gd_job		*j = arg;
	struct hv_gameday_opts	 o;
	struct hv_gameday_result res;
	struct hv_store		*st;
	struct hv_buf		 err = HV_BUF_INIT;
	int			 rc;

	if (hv_store_open(d->db, &st, &err) == -1) {
		hv_logfmt("error", "store", "gameday", j->e->g->name, "msg",
		    err.s, HV_LOGEND);
		return HV_EXIT_ABORTED;
	}
	memset(&o, 0, sizeof o);
	o.scheduled_at = j->e->slot;
	o.jitter_ms = j->e->jitter;
	o.jitter_seed = j->e->seed;
	o.daemon = d->id;
	o.gameday = j->gameday;
	o.logfmt = 1;
	rc = hv_gameday_run(j->e->g, st, loop, &o, &res);
	hv_store_close(st);
	return rc;
}

/* In a child: what runs that died left behind, as havoc recover. */
static int
run_recover(struct daemon *d, struct hv_loop *loop, void *arg)
{
	struct hv_store	*st;
	struct hv_buf	 err = HV_BUF_INIT;
	int		 left;

	(void)arg;
	if (hv_store_open(d->db, &st, &err) == -1) {
		hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
		return HV_EXIT_ABORTED;
	}
	if (hv_store_gd_close_dead(st, d->host, hv_run_alive, &err) == -1) {
		hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
		hv_buf_reset(&err);
	}
	left = hv_recover(st, loop, 0, 0, &err);
	hv_logfmt(left == 0 ? "info" : "error", "recover", "msg", left == 0 ?
	    "no fault of an earlier run is active" : left < 0 ? err.s :
	    "some faults could not be reverted; see havoc recover",
	    HV_LOGEND);
	hv_store_close(st);
	hv_buf_release(&err);
	return left == 0 ? 0 : HV_EXIT_ROLLBACK;
}

/*
 * Forks a child that runs fn with a loop of its own (its signals its
 * own, SIGHUP ignored), its stderr a pipe the daemon reads. NULL when
 * there is no pipe or no process.
 */
static struct child *
spawn(struct daemon *d, const char *name, int forbid, int64_t gameday,
    child_fn fn, void *arg)
{
	struct child	*k;
	struct hv_loop	*loop;
	sigset_t	 block, old;
	int		 p[2];
	pid_t		 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return NULL;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		close(p[1]);
		close(d->tfd);
		loop = hv_loop_new();
		hv_loop_catch_signals(loop);
		signal(SIGHUP, SIG_IGN);
		sigemptyset(&block);
		sigprocmask(SIG_SETMASK, &block, NULL);
		_exit(fn(d, loop, arg));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	if (pid == -1) {
		close(p[0]);
		return NULL;
	}
	k = hv_xcalloc(1, sizeof *k);
	k->d = d;
	k->pid = pid;
	k->errfd = p[0];
	k->name = hv_xstrdup(name);
	k->forbid = forbid;
	k->gameday = gameday;
	fcntl(k->errfd, F_SETFL, O_NONBLOCK);
	hv_loop_fd(d->loop, k->errfd, POLLIN, on_child_output, k);
	if ((k->pidfd = pidfd_open_(pid)) != -1)
		hv_loop_fd(d->loop, k->pidfd, POLLIN, on_child_exit, k);
	d->kids = hv_xreallocarray(d->kids, d->nkids + 1, sizeof *d->kids);
	d->kids[d->nkids++] = k;
	return k;
}

/*
 * Reverts, in a child, what runs that died left; no game day starts
 * meanwhile. At start, the slots are looked at once it is done.
 */
static void
recover(struct daemon *d)
{
	if (spawn(d, RECOVER, 1, 0, run_recover, NULL) != NULL)
		return;
	hv_logfmt("error", "recover", "msg", "cannot start a process to "
	    "revert what earlier runs left: run havoc recover", HV_LOGEND);
	if (d->startup_at != 0)
		startup(d);
}

/*
 * Whether e may start now, as concurrency says: NULL, or why not (new).
 * The same game day never overlaps itself; "forbid" on either side
 * keeps two game days apart.
 */
static char *
blocked_by(struct daemon *d, struct entry *e)
{
	struct child	*k;
	size_t		 i;

	for (i = 0; i < d->nkids; i++) {
		k = d->kids[i];
		if (strcmp(k->name, RECOVER) == 0)
			return hv_xstrdup("the faults of earlier runs are "
			    "being reverted");
		if (strcmp(k->name, e->g->name) == 0)
			return hv_xstrdup("its previous game day is still "
			    "running");
		if (k->forbid)
			return hv_xasprintf("game day %s is running "
			    "(concurrency: forbid)", k->name);
		if (e->g->concurrency == HV_CONC_FORBID)
			return hv_xasprintf("game day %s is running, and this "
			    "one has concurrency: forbid", k->name);
	}
	return NULL;
}

static void
skip(struct daemon *d, struct entry *e, const char *reason,
    const char *detail)
{
	struct hv_buf	 err = HV_BUF_INIT;
	char		 t[40];

	fmt_time(e, e->slot, t, sizeof t);
	if (hv_store_skip(d->st, e->g->name, e->g->path, e->slot, reason,
	    detail, d->id, &err) == -1)
		hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
	hv_logfmt("warn", "skip", "gameday", e->g->name, "slot", t, "reason",
	    reason, "msg", detail, HV_LOGEND);
	hv_buf_release(&err);
}

/* Starts e's current slot in a child. */
static void
start(struct daemon *d, struct entry *e, int64_t now)
{
	struct hv_gd_row	 row;
	struct hv_buf		 err = HV_BUF_INIT;
	struct child		*k;
	struct gd_job		 job;
	char			*why;
	char			 t[40], late[24], id[24], pid[16], jit[24];
	pid_t			 child;
	int64_t			 gd;

	if ((why = blocked_by(d, e)) != NULL) {
		skip(d, e, HV_SKIP_CONCURRENCY, why);
		free(why);
		return;
	}
	memset(&row, 0, sizeof row);
	row.name = e->g->name;
	row.file = e->g->path;
	row.file_hash = e->g->sha256;
	row.scheduled_at = e->slot;
	row.jitter_ms = e->jitter;
	row.jitter_seed = e->seed;
	row.daemon = d->id;
	row.controller = d->host;
	row.pid = (int)getpid();
	row.started_at = now = hv_wall_ms();
	if ((gd = hv_store_gd_begin(d->st, &row, &err)) == -1) {
		skip(d, e, HV_SKIP_ERROR, err.s);
		hv_buf_release(&err);
		return;
	}
	job.e = e;
	job.gameday = gd;
	if ((k = spawn(d, e->g->name, e->g->concurrency == HV_CONC_FORBID, gd,
	    run_gameday, &job)) == NULL) {
		hv_store_gd_end(d->st, gd, HV_GD_ABORTED, HV_EXIT_ABORTED,
		    "cannot start its process", NULL, hv_wall_ms(), &err);
		skip(d, e, HV_SKIP_ERROR, "cannot start a process");
		hv_buf_release(&err);
		return;
	}
	child = k->pid;
	if (hv_store_gd_set_pid(d->st, gd, (int)child, &err) == -1)
		hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
	fmt_time(e, e->slot, t, sizeof t);
	snprintf(late, sizeof late, "%" PRId64, now - e->start);
	snprintf(id, sizeof id, "%" PRId64, gd);
	snprintf(pid, sizeof pid, "%d", (int)child);
	snprintf(jit, sizeof jit, "%" PRId64, e->jitter);
	hv_logfmt("info", "gameday_started", "gameday", e->g->name, "id", id,
	    "slot", t, "jitter_ms", jit, "late_ms", late, "pid", pid,
	    HV_LOGEND);
	hv_buf_release(&err);
}

/*
 * Handles e's slots up to now: starts the one whose start has come (on
 * time, or the latest missed one with catch_up), records the others as
 * missed. startup: the slots came while no daemon was running.
 */
static void
consider(struct daemon *d, struct entry *e, int64_t now, int startup)
{
	int64_t		 nxt;
	int		 skipped = 0, last, ontime;
	char		*msg;

	while (e->slot != 0 && e->slot <= now && e->start <= now) {
		nxt = next_after(e, e->slot);
		last = nxt == 0 || nxt > now;
		ontime = !startup && now - e->start <= GRACE_MS;
		if (!d->stopping && last && (ontime || e->g->catch_up))
			start(d, e, now);
		else if (skipped++ < MAX_SKIPS) {
			msg = startup ? hv_xstrdup("no daemon was running at "
			    "its time") : d->stopping ? hv_xstrdup("the "
			    "daemon was stopping") : hv_xasprintf("the daemon "
			    "acted on it %" PRId64 " s late", (now - e->start)
			    / 1000);
			skip(d, e, HV_SKIP_MISSED, msg);
			free(msg);
		}
		e->accounted = e->slot;
		e->slot = nxt;
		draw(e, now);
	}
	if (skipped > MAX_SKIPS)
		hv_logfmt("warn", "skip", "gameday", e->g->name, "msg",
		    "more missed slots than were recorded", HV_LOGEND);
	save(d, e);
}

/* Sets the timerfd to the earliest start. */
static void
arm(struct daemon *d)
{
	struct itimerspec	its;
	int64_t			 when = 0;
	size_t			 i;

	for (i = 0; i < d->nfiles; i++)
		if (d->e[i].start != 0 && (when == 0 || d->e[i].start < when))
			when = d->e[i].start;
	memset(&its, 0, sizeof its);
	if (when != 0 && !d->stopping) {
		its.it_value.tv_sec = when / 1000;
		its.it_value.tv_nsec = (long)(when % 1000) * 1000000L;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(d->tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
	    &its, NULL);
}

static void
on_timer(int fd, short revents, void *arg)
{
	struct daemon	*d = arg;
	uint64_t	 n;
	int64_t		 now;
	size_t		 i;

	(void)revents;
	if (read(fd, &n, sizeof n) == -1 && errno == ECANCELED)
		hv_logfmt("info", "clock_set", "msg", "the wall clock was set; "
		    "times are checked again", HV_LOGEND);
	now = hv_wall_ms();
	for (i = 0; i < d->nfiles; i++)
		if (d->e[i].start != 0 && d->e[i].start <= now)
			consider(d, &d->e[i], now, 0);
	arm(d);
}

/* Slots before now and before the next slot have all been handled. */
static void
account(struct entry *e, int64_t now)
{
	int64_t	acc = now;

	if (e->slot != 0 && e->slot - 1 < acc)
		acc = e->slot - 1;
	if (acc > e->accounted)
		e->accounted = acc;
}

static void
on_renew(void *arg)
{
	struct daemon	*d = arg;
	struct hv_buf	 err = HV_BUF_INIT;
	int64_t		 now = hv_wall_ms();
	size_t		 i;
	int		 rc;

	d->renew = NULL;
	rc = hv_store_lease_renew(d->st, d->id, d->ttl, &err);
	if (rc == 1) {
		hv_logfmt("error", "lease_lost", "daemon", d->idstr, "msg",
		    "another daemon took the lease: stopping", HV_LOGEND);
		d->exit_code = 1;
		hv_loop_raise(d->loop, SIGTERM);
	} else if (rc == -1)
		hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
	/* Everything before the next slot has been seen to (at start,
	 * only once the slots that came while down are recorded). */
	for (i = 0; i < d->nfiles && d->startup_at == 0; i++) {
		account(&d->e[i], now);
		save(d, &d->e[i]);
	}
	d->renew = hv_loop_timer(d->loop, d->ttl / 3, on_renew, d);
	hv_buf_release(&err);
}

/* Sets a new entry up: its first slot after what the store accounted. */
static void
entry_init(struct daemon *d, struct entry *e, int64_t now)
{
	struct hv_buf	 err = HV_BUF_INIT;
	int64_t		 acc;

	if (hv_store_sched_accounted(d->st, e->g->name, &acc, &err) != 0) {
		if (err.len > 0)
			hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
		acc = now;
	}
	if (acc > now)
		acc = now;
	e->accounted = acc;
	e->slot = next_after(e, acc);
	draw(e, now);
	hv_buf_release(&err);
}

static void
log_next(struct entry *e, const char *event)
{
	char	slot[40], st[40], jit[24];

	fmt_time(e, e->slot, slot, sizeof slot);
	fmt_time(e, e->start, st, sizeof st);
	snprintf(jit, sizeof jit, "%" PRId64, e->jitter);
	hv_logfmt("info", event, "gameday", e->g->name, "file", e->g->path,
	    "next_slot", slot, "next_start", st, "jitter_ms", jit, HV_LOGEND);
}

/* Whether name is taken by another file's game day. */
static int
name_taken(struct daemon *d, size_t self, const char *name,
    struct hv_gameday **fresh)
{
	size_t	i;

	for (i = 0; i < d->nfiles; i++) {
		const struct hv_gameday	*o = fresh != NULL && fresh[i] != NULL ?
					    fresh[i] : d->e[i].g;

		if (i != self && o != NULL && strcmp(o->name, name) == 0)
			return 1;
	}
	return 0;
}

/* SIGHUP: each file again; a file with errors keeps its old version. */
static void
reload(struct daemon *d)
{
	struct hv_gameday	**fresh;
	struct entry		*e;
	int64_t			 now = hv_wall_ms(), old_slot, old_start;
	int64_t			 old_jitter;
	uint64_t		 old_seed;
	size_t			 i, kept = 0;

	hv_logfmt("info", "reload", "msg", "SIGHUP: reading the files again",
	    HV_LOGEND);
	fresh = hv_xcalloc(d->nfiles, sizeof *fresh);
	for (i = 0; i < d->nfiles; i++)
		fresh[i] = load(d->files[i]);
	for (i = 0; i < d->nfiles; i++) {
		if (fresh[i] != NULL && name_taken(d, i, fresh[i]->name,
		    fresh)) {
			hv_logfmt("error", "invalid_file", "file", d->files[i],
			    "msg", "another file has a game day of this name",
			    HV_LOGEND);
			hv_gameday_free(fresh[i]);
			fresh[i] = NULL;
		}
	}
	for (i = 0; i < d->nfiles; i++) {
		e = &d->e[i];
		if (fresh[i] == NULL) {
			hv_logfmt("warn", "reload_kept", "file", d->files[i],
			    "msg", "errors: the old version stays", HV_LOGEND);
			kept++;
			continue;
		}
		old_slot = e->slot;
		old_start = e->start;
		old_jitter = e->jitter;
		old_seed = e->seed;
		if (strcmp(fresh[i]->name, e->g->name) != 0) {
			struct hv_buf	err = HV_BUF_INIT;

			if (hv_store_sched_drop(d->st, e->g->name, &err) == -1)
				hv_logfmt("error", "store", "msg", err.s,
				    HV_LOGEND);
			hv_buf_release(&err);
			hv_gameday_free(e->g);
			e->g = fresh[i];
			entry_init(d, e, now);
		} else {
			int	same_jitter = fresh[i]->jitter_ms ==
				    e->g->jitter_ms;

			hv_gameday_free(e->g);
			e->g = fresh[i];
			/* The pending slot stays if the schedule still has
			 * it, with the delay already drawn. */
			e->slot = next_after(e, old_slot != 0 &&
			    old_slot - 1 < now ? old_slot - 1 : now);
			if (e->slot == old_slot && same_jitter) {
				e->start = old_start;
				e->jitter = old_jitter;
				e->seed = old_seed;
			} else
				draw(e, now);
		}
		save(d, e);
		log_next(e, "scheduled");
	}
	free(fresh);
	hv_logfmt(kept == 0 ? "info" : "warn", "reloaded", "msg", kept == 0 ?
	    "every file reloaded" : "some files kept their "
	    "old version", HV_LOGEND);
	if (d->startup_at == 0)
		arm(d);		/* else startup() will */
}

/* SIGTERM, SIGINT: no new game day; runs in flight stop and roll back. */
static void
stop(struct daemon *d, int sig)
{
	size_t	i;
	char	n[16];

	if (!d->stopping) {
		snprintf(n, sizeof n, "%zu", d->nkids);
		hv_logfmt("info", "stopping", "signal", sig == SIGINT ?
		    "SIGINT" : "SIGTERM", "running", n, "msg", d->nkids == 0 ?
		    "no game day is running" : "waiting for the runs in "
		    "flight to roll back", HV_LOGEND);
	}
	d->stopping = 1;
	arm(d);
	for (i = 0; i < d->nkids; i++)
		kill(d->kids[i]->pid, SIGTERM);
	if (d->nkids == 0)
		d->done = 1;
}

static int
is_done(void *arg)
{
	return ((struct daemon *)arg)->done;
}

/* The process's start time (field 22 of /proc/self/stat), or "". */
static void
proc_start(char *buf, size_t len)
{
	struct hv_buf	 b = HV_BUF_INIT, err = HV_BUF_INIT;
	const char	*p;
	int		 f;

	buf[0] = '\0';
	if (hv_read_file("/proc/self/stat", &b, &err) == 0 &&
	    (p = strrchr(b.s, ')')) != NULL) {
		for (f = 2; *p != '\0' && f < 22; p++)
			if (*p == ' ')
				f++;
		snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
	}
	hv_buf_release(&b);
	hv_buf_release(&err);
}

/* The slots that came while no daemon ran, then the timer. */
static void
startup(struct daemon *d)
{
	size_t	i;

	for (i = 0; i < d->nfiles; i++) {
		consider(d, &d->e[i], d->startup_at, 1);
		log_next(&d->e[i], "scheduled");
	}
	d->startup_at = 0;
	arm(d);
}

static int
take_lease(struct daemon *d)
{
	struct hv_lease_holder	 h;
	struct hv_buf		 err = HV_BUF_INIT;
	char			 until[40];
	int			 rc;

	rc = hv_store_lease_take(d->st, d->id, d->ttl, &h, &err);
	if (rc == 1) {
		hv_format_time(h.expires_at, until, sizeof until);
		fprintf(stderr, "havoc daemon: another daemon runs on %s: "
		    "daemon %" PRId64 " on %s (pid %d) holds its lease until "
		    "%s; if it is dead, its lease runs out then\n", d->db,
		    h.daemon, h.controller, h.pid, until);
		hv_logfmt("error", "lease_held", "db", d->db, "holder_host",
		    h.controller, "msg", "another daemon holds the lease",
		    HV_LOGEND);
	} else if (rc == -1)
		fprintf(stderr, "havoc daemon: %s\n", err.s);
	hv_buf_release(&err);
	return rc;
}

static int
cmd_daemon(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "lease", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon	 d;
	struct hv_buf	 err = HV_BUF_INIT;
	json_t		*files;
	char		*fj, ps[32], pid[16];
	int64_t		 now;
	size_t		 i;
	int		 c, bad = 0, rc, sig;

	memset(&d, 0, sizeof d);
	d.ttl = 60000;
	d.tfd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			d.db = optarg;
			break;
		case 'l':
			if (hv_parse_duration(optarg, &d.ttl) == -1 ||
			    d.ttl < 3000)
				return hv_cmd_usage_error(cmd, "--lease needs "
				    "a duration of 3s or more, not \"%s\"",
				    optarg);
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			return 0;
		default:
			return hv_cmd_usage_error(cmd, "unknown option");
		}
	}
	if (optind >= argc)
		return hv_cmd_usage_error(cmd, "no game-day file given");
	d.db = hv_cmd_db_path(d.db);
	d.files = argv + optind;
	d.nfiles = (size_t)(argc - optind);
	d.e = hv_xcalloc(d.nfiles, sizeof *d.e);
	for (i = 0; i < d.nfiles; i++) {
		if ((d.e[i].g = load(d.files[i])) == NULL)
			bad++;
		else if (name_taken(&d, i, d.e[i].g->name, NULL)) {
			hv_logfmt("error", "invalid_file", "file", d.files[i],
			    "msg", "another file has a game day of this name",
			    HV_LOGEND);
			bad++;
		}
	}
	if (bad > 0) {
		rc = HV_EXIT_DATAERR;
		goto out;
	}
	if ((d.st = hv_cmd_open_store(d.db)) == NULL) {
		rc = 1;
		goto out;
	}
	if (gethostname(d.host, sizeof d.host) == -1)
		d.host[0] = '\0';
	d.host[sizeof d.host - 1] = '\0';
	files = json_array();
	for (i = 0; i < d.nfiles; i++)
		json_array_append_new(files, json_string(d.files[i]));
	fj = json_dumps(files, JSON_COMPACT);
	json_decref(files);
	proc_start(ps, sizeof ps);
	d.id = hv_store_daemon_add(d.st, d.host, (int)getpid(), ps, fj, &err);
	free(fj);
	if (d.id == -1) {
		fprintf(stderr, "havoc daemon: %s\n", err.s);
		rc = 1;
		goto out;
	}
	snprintf(d.idstr, sizeof d.idstr, "%" PRId64, d.id);
	if ((rc = take_lease(&d)) != 0) {
		hv_store_daemon_end(d.st, d.id, "stopped", &err);
		rc = rc == 1 ? EXIT_LEASE : 1;
		goto out;
	}
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	hv_logfmt("info", "daemon_start", "daemon", d.idstr, "pid", pid,
	    "db", d.db, "host", d.host, HV_LOGEND);
	d.loop = hv_loop_new();
	hv_loop_catch_signals(d.loop);

	if ((d.tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1) {
		fprintf(stderr, "havoc daemon: timerfd: %s\n",
		    strerror(errno));
		rc = 1;
		goto out;
	}
	hv_loop_fd(d.loop, d.tfd, POLLIN, on_timer, &d);
	now = hv_wall_ms();
	for (i = 0; i < d.nfiles; i++)
		entry_init(&d, &d.e[i], now);
	/* What a daemon that died left behind, its runs' faults, first;
	 * then the slots. */
	d.startup_at = now;
	recover(&d);
	d.renew = hv_loop_timer(d.loop, d.ttl / 3, on_renew, &d);
	while (!d.done) {
		if (hv_loop_run(d.loop, is_done, &d, -1) != 2)
			continue;
		sig = hv_loop_signal(d.loop);
		hv_loop_clear_signal(d.loop);
		if (sig == SIGHUP && !d.stopping)
			reload(&d);
		else if (sig == SIGINT || sig == SIGTERM)
			stop(&d, sig);
	}
	now = hv_wall_ms();
	for (i = 0; i < d.nfiles && d.startup_at == 0; i++) {
		account(&d.e[i], now);
		save(&d, &d.e[i]);
	}
	hv_loop_cancel(d.loop, d.renew);
	if (hv_store_lease_release(d.st, d.id, &err) == -1 ||
	    hv_store_daemon_end(d.st, d.id, d.exit_code == 0 ? "stopped" :
	    "lost", &err) == -1)
		hv_logfmt("error", "store", "msg", err.s, HV_LOGEND);
	hv_logfmt("info", "daemon_exit", "daemon", d.idstr, HV_LOGEND);
	rc = d.exit_code;
out:
	if (d.tfd != -1)
		close(d.tfd);
	hv_loop_free(d.loop);
	hv_store_close(d.st);
	for (i = 0; i < d.nfiles; i++)
		hv_gameday_free(d.e[i].g);
	free(d.e);
	free(d.kids);
	hv_buf_release(&err);
	return rc;
}

const struct hv_cmd hv_cmd_daemon = {
	.name = "daemon",
	.args = "FILE... [--db PATH] [--lease DURATION]",
	.summary = "run game days on their schedules until stopped",
	.help = help,
	.exec = cmd_daemon,
};
