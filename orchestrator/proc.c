/*
 * proc.c - child processes watched through pidfds on the loop.
 */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "loop.h"
#include "proc.h"

/* How long to wait for output after the child exited (daemons it left). */
#define DRAIN_MS	200
#define KILL_GRACE_MS	2000

struct hv_proc {
	struct hv_loop	*loop;
	pid_t		 pid;
	int		 pidfd;
	int		 outfd;
	int		 errfd;
	int		 infd;
	char		*input;
	size_t		 inlen;
	size_t		 inoff;

	int		 reaped;
	int		 called;
	int64_t		 started;
	struct hv_timer	*timeout;
	struct hv_timer	*kill_timer;
	struct hv_timer	*drain_timer;
	hv_proc_cb	 cb;
	void		*arg;
	struct hv_proc_res res;
};

static void	proc_finish(struct hv_proc *);

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void
close_fd(struct hv_proc *p, int *fd)
{
	if (*fd == -1)
		return;
	hv_loop_fd(p->loop, *fd, 0, NULL, NULL);
	close(*fd);
	*fd = -1;
}

/* Reads what is there; keeps at most HV_OUTPUT_MAX, drops the rest. */
static void
on_output(int fd, short revents, void *arg)
{
	struct hv_proc	*p = arg;
	struct hv_buf	*b = fd == p->outfd ? &p->res.out : &p->res.err;
	char		 buf[4096];
	ssize_t		 n;
	size_t		 room;

	(void)revents;
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		room = b->len < HV_OUTPUT_MAX ? HV_OUTPUT_MAX - b->len : 0;
		hv_buf_add(b, buf, (size_t)n < room ? (size_t)n : room);
	}
	if (fd == p->outfd)
		close_fd(p, &p->outfd);
	else
		close_fd(p, &p->errfd);
	proc_finish(p);
}

static void
on_input(int fd, short revents, void *arg)
{
	struct hv_proc	*p = arg;
	ssize_t		 n;

	(void)fd;
	(void)revents;
	while (p->inoff < p->inlen) {
		n = write(p->infd, p->input + p->inoff, p->inlen - p->inoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		p->inoff += (size_t)n;
	}
	close_fd(p, &p->infd);
}

static void
on_drained(void *arg)
{
	struct hv_proc	*p = arg;

	p->drain_timer = NULL;
	close_fd(p, &p->outfd);
	close_fd(p, &p->errfd);
	proc_finish(p);
}

static void
reap(struct hv_proc *p)
{
	int	status;

	if (p->reaped)
		return;
	if (waitpid(p->pid, &status, WNOHANG) != p->pid)
		return;
	p->reaped = 1;
	/*
	 * Told to end (timeout, hv_proc_kill): what is left of its group
	 * goes now, as the group's id is not ours once the last of it ends.
	 */
	if (p->kill_timer != NULL)
		kill(-p->pid, SIGKILL);
	p->res.elapsed_ms = hv_mono_ms() - p->started;
	if (WIFEXITED(status)) {
		p->res.exited = 1;
		p->res.status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		p->res.signal = WTERMSIG(status);
	close_fd(p, &p->pidfd);
	close_fd(p, &p->infd);
	hv_loop_cancel(p->loop, p->timeout);
	p->timeout = NULL;
	hv_loop_cancel(p->loop, p->kill_timer);
	p->kill_timer = NULL;
	/* Only a daemon the child left behind can still hold the pipes. */
	if (p->outfd != -1 || p->errfd != -1)
		p->drain_timer = hv_loop_timer(p->loop, DRAIN_MS, on_drained,
		    p);
}

static void
on_exit_fd(int fd, short revents, void *arg)
{
	struct hv_proc	*p = arg;

	(void)fd;
	(void)revents;
	reap(p);
	proc_finish(p);
}

/* Calls back once the child is reaped and both pipes are closed. */
static void
proc_finish(struct hv_proc *p)
{
	if (p->called || !p->reaped || p->outfd != -1 || p->errfd != -1)
		return;
	hv_loop_cancel(p->loop, p->drain_timer);
	p->drain_timer = NULL;
	p->called = 1;
	p->cb(p, p->arg);
}

static void
on_kill(void *arg)
{
	struct hv_proc	*p = arg;

	p->kill_timer = NULL;
	if (!p->reaped)
		kill(-p->pid, SIGKILL);
}

void
hv_proc_kill(struct hv_proc *p)
{
	if (p == NULL || p->reaped)
		return;
	kill(-p->pid, SIGTERM);
	if (p->kill_timer == NULL)
		p->kill_timer = hv_loop_timer(p->loop, KILL_GRACE_MS, on_kill,
		    p);
}

static void
on_timeout(void *arg)
{
	struct hv_proc	*p = arg;

	p->timeout = NULL;
	p->res.timed_out = 1;
	hv_proc_kill(p);
}

static int
nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* In the child: wires up stdio and runs argv; never returns. */
static void
child(char *const argv[], const char *cwd, int in, int out, int errfd,
    int report)
{
	int	e;

	setpgid(0, 0);
	if (cwd != NULL && chdir(cwd) == -1) {
		e = -errno;	/* negative: the folder, not the program */
		(void)!write(report, &e, sizeof e);
		_exit(127);
	}
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(errfd, 2) == -1)
		_exit(127);
	execvp(argv[0], argv);
	e = errno;
	(void)!write(report, &e, sizeof e);
	_exit(127);
}

struct hv_proc *
hv_proc_start(struct hv_loop *loop, char *const argv[], const char *cwd,
    const char *input, int64_t timeout_ms, hv_proc_cb cb, void *arg,
    struct hv_buf *err)
{
	struct hv_proc	*p = NULL;
	int		 o[2] = { -1, -1 }, e[2] = { -1, -1 }, r[2] = { -1,
	    -1 };
	int		 in[2] = { -1, -1 }, errnum = 0, devnull = -1;
	ssize_t		 n;
	pid_t		 pid;

	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		hv_error(err, "empty command");
		return NULL;
	}
	if (pipe2(o, O_CLOEXEC) == -1 || pipe2(e, O_CLOEXEC) == -1 ||
	    pipe2(r, O_CLOEXEC) == -1) {
		hv_error(err, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (input != NULL) {
		/* A child may close stdin unread: EPIPE, not SIGPIPE. */
		signal(SIGPIPE, SIG_IGN);
		if (pipe2(in, O_CLOEXEC) == -1) {
			hv_error(err, "pipe: %s", strerror(errno));
			goto fail;
		}
	} else if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		hv_error(err, "/dev/null: %s", strerror(errno));
		goto fail;
	}
	if ((pid = fork()) == -1) {
		hv_error(err, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(argv, cwd, input != NULL ? in[0] : devnull, o[1], e[1],
		    r[1]);

	close(r[1]);
	r[1] = -1;
	do
		n = read(r[0], &errnum, sizeof errnum);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof errnum) {
		waitpid(pid, NULL, 0);
		if (errnum < 0)
			hv_error(err, "cwd %s: %s", cwd, strerror(-errnum));
		else
			hv_error(err, "%s: %s", argv[0], strerror(errnum));
		goto fail;
	}

	p = hv_xcalloc(1, sizeof *p);
	p->loop = loop;
	p->pid = pid;
	p->started = hv_mono_ms();
	p->cb = cb;
	p->arg = arg;
	hv_buf_init(&p->res.out);
	hv_buf_init(&p->res.err);
	p->outfd = o[0];
	p->errfd = e[0];
	p->infd = -1;
	close(o[1]);
	close(e[1]);
	close(r[0]);
	if (devnull != -1)
		close(devnull);
	nonblock(p->outfd);
	nonblock(p->errfd);
	hv_loop_fd(loop, p->outfd, POLLIN, on_output, p);
	hv_loop_fd(loop, p->errfd, POLLIN, on_output, p);
	if (input != NULL) {
		close(in[0]);
		p->infd = in[1];
		p->input = hv_xstrdup(input);
		p->inlen = strlen(input);
		nonblock(p->infd);
		hv_loop_fd(loop, p->infd, POLLOUT, on_input, p);
	}
	/* Linux 5.3 and later; havoc needs it to notice exits. */
	if ((p->pidfd = pidfd_open_(pid)) == -1) {
		hv_error(err, "pidfd_open: %s", strerror(errno));
		hv_proc_free(p);
		return NULL;
	}
	hv_loop_fd(loop, p->pidfd, POLLIN, on_exit_fd, p);
	if (timeout_ms > 0)
		p->timeout = hv_loop_timer(loop, timeout_ms, on_timeout, p);
	return p;

fail:
	if (o[0] != -1) { close(o[0]); close(o[1]); }
	if (e[0] != -1) { close(e[0]); close(e[1]); }
	if (r[0] != -1) close(r[0]);
	if (r[1] != -1) close(r[1]);
	if (in[0] != -1) { close(in[0]); close(in[1]); }
	if (devnull != -1)
		close(devnull);
	return NULL;
}

const struct hv_proc_res *
hv_proc_result(const struct hv_proc *p)
{
	return &p->res;
}

void
hv_proc_free(struct hv_proc *p)
{
	if (p == NULL)
		return;
	if (!p->reaped) {
		kill(-p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	close_fd(p, &p->pidfd);
	close_fd(p, &p->outfd);
	close_fd(p, &p->errfd);
	close_fd(p, &p->infd);
	hv_loop_cancel(p->loop, p->timeout);
	hv_loop_cancel(p->loop, p->kill_timer);
	hv_loop_cancel(p->loop, p->drain_timer);
	hv_buf_release(&p->res.out);
	hv_buf_release(&p->res.err);
	free(p->input);
	free(p);
}

int
hv_proc_spawn_detached(char *const argv[], struct hv_buf *err)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) == -1)
		return hv_error(err, "fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_DFL);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return (int)pid;
}
