/*
 * test-proc.c - local child processes on the loop (proc.c): exit status
 * and signals, captured and capped output, stdin, cwd, start errors,
 * timeouts that end the whole process group, daemons that keep the
 * pipes open, hv_proc_kill, hv_proc_free of a running child, and many
 * children at once.
 *
 * This process is a child subreaper: what the children leave behind
 * comes back to it, so each test can see that a process group is gone
 * and reap every process it caused. An alarm bounds every test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "loop.h"
#include "proc.h"
#include "util.h"

#include "children.h"

struct run {
	struct hv_proc	*p;
	int		 done;
	int		 calls;
	int64_t		 at;		/* when the callback ran */
};

static void
on_done(struct hv_proc *p, void *arg)
{
	struct run	*r = arg;

	assert_ptr_equal(p, r->p);
	r->done = 1;
	r->calls++;
	r->at = hv_mono_ms();
}

static int
is_done(void *arg)
{
	return ((struct run *)arg)->done;
}

/* Kills and reaps what a test left behind, so the next one starts clean. */
static void
end_group(pid_t pgid)
{
	kill(-pgid, SIGKILL);
	assert_false(group_alive(pgid, 3000));
}

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
	return n - 1;
}

static int	 fds_at_start;

static int
setup(void **state)
{
	(void)state;
	alarm(30);
	fds_at_start = count_fds();
	return 0;
}

static int
teardown(void **state)
{
	int64_t	end = hv_mono_ms() + 3000;

	(void)state;
	/* Every child the test caused is gone and reaped. */
	while (reap_all() != 0) {
		if (hv_mono_ms() > end) {
			kill_children();
			while (reap_all() != 0)
				usleep(10 * 1000);
			fail_msg("children left running");
		}
		usleep(10 * 1000);
	}
	assert_int_equal(count_fds(), fds_at_start);
	alarm(0);
	return 0;
}

/* Starts sh -c script; fails the test when it cannot start. */
static struct hv_proc *
start_sh(struct hv_loop *l, const char *script, const char *input,
    int64_t timeout_ms, struct run *r)
{
	char *const	 argv[] = { "sh", "-c", (char *)script, NULL };
	struct hv_buf	 err = HV_BUF_INIT;

	memset(r, 0, sizeof *r);
	r->p = hv_proc_start(l, argv, NULL, input, timeout_ms, on_done, r,
	    &err);
	if (r->p == NULL)
		fail_msg("cannot start: %s", err.s);
	hv_buf_release(&err);
	return r->p;
}

/* Runs the loop until r is done (10 s at most). */
static const struct hv_proc_res *
wait_for(struct hv_loop *l, struct run *r)
{
	assert_int_equal(hv_loop_run(l, is_done, r, hv_mono_ms() + 10000), 0);
	assert_int_equal(r->calls, 1);
	return hv_proc_result(r->p);
}

static void
test_exit_status(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;

	(void)state;
	start_sh(l, "exit 3", NULL, 0, &r);
	res = wait_for(l, &r);
	assert_int_equal(res->exited, 1);
	assert_int_equal(res->status, 3);
	assert_int_equal(res->signal, 0);
	assert_int_equal(res->timed_out, 0);
	assert_int_equal(res->out.len, 0);
	hv_proc_free(r.p);

	start_sh(l, "sleep 0.2", NULL, 0, &r);
	res = wait_for(l, &r);
	assert_int_equal(res->exited, 1);
	assert_int_equal(res->status, 0);
	/* Whole milliseconds at both ends: 199 is a 0.2 s sleep too. */
	assert_true(res->elapsed_ms >= 198);
	assert_true(res->elapsed_ms < 5000);
	/* Stays until freed; hv_proc_kill of an ended child is a no-op. */
	hv_proc_kill(r.p);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 20), 1);
	assert_int_equal(r.calls, 1);
	hv_proc_free(r.p);
	hv_proc_free(NULL);
	hv_loop_free(l);
}

static void
test_signal(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;

	(void)state;
	start_sh(l, "kill -USR1 $$; sleep 5", NULL, 0, &r);
	res = wait_for(l, &r);
	assert_int_equal(res->exited, 0);
	assert_int_equal(res->signal, SIGUSR1);
	assert_int_equal(res->timed_out, 0);
	hv_proc_free(r.p);
	hv_loop_free(l);
}

static void
test_output(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;

	(void)state;
	start_sh(l, "echo out; echo err >&2; printf 'two\\nlines'", NULL, 0,
	    &r);
	res = wait_for(l, &r);
	assert_string_equal(res->out.s, "out\ntwo\nlines");
	assert_string_equal(res->err.s, "err\n");
	assert_int_equal(res->status, 0);
	hv_proc_free(r.p);
	hv_loop_free(l);
}

/* More than HV_OUTPUT_MAX on both: kept up to the cap, the child ends. */
static void
test_output_capped(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;
	size_t				 i;

	(void)state;
	start_sh(l, "head -c 1000000 /dev/zero | tr '\\0' a; "
	    "head -c 300000 /dev/zero | tr '\\0' b >&2; echo end >&2; exit 4",
	    NULL, 0, &r);
	res = wait_for(l, &r);
	assert_int_equal(res->exited, 1);
	assert_int_equal(res->status, 4);
	assert_int_equal(res->out.len, HV_OUTPUT_MAX);
	assert_int_equal(res->err.len, HV_OUTPUT_MAX);
	assert_int_equal(strlen(res->out.s), HV_OUTPUT_MAX);
	for (i = 0; i < res->out.len; i++) {
		if (res->out.s[i] != 'a')
			fail_msg("byte %zu is %d", i, res->out.s[i]);
	}
	assert_int_equal(res->err.s[HV_OUTPUT_MAX - 1], 'b');
	hv_proc_free(r.p);
	hv_loop_free(l);
}

static void
test_input(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;
	char				*big;
	size_t				 n = 3 * 1024 * 1024;
	int				 p[2], saved;

	(void)state;
	start_sh(l, "cat", "hello\nworld", 0, &r);
	res = wait_for(l, &r);
	assert_string_equal(res->out.s, "hello\nworld");
	hv_proc_free(r.p);

	/* Larger than any pipe: written as the child reads. */
	big = hv_xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	start_sh(l, "wc -c", big, 0, &r);
	res = wait_for(l, &r);
	assert_int_equal(strtol(res->out.s, NULL, 10), (long)n);
	hv_proc_free(r.p);

	/* Without input, stdin is at its end at once: not havoc's own. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "ours", 4), 4);
	close(p[1]);
	saved = dup(0);
	assert_int_equal(dup2(p[0], 0), 0);
	close(p[0]);
	start_sh(l, "cat; echo eof", NULL, 0, &r);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	res = wait_for(l, &r);
	assert_string_equal(res->out.s, "eof\n");
	hv_proc_free(r.p);

	/*
	 * A child that never reads it and exits: the write fails, and it
	 * must not take havoc down with SIGPIPE.
	 */
	start_sh(l, "exit 0", big, 0, &r);
	res = wait_for(l, &r);
	assert_int_equal(res->exited, 1);
	assert_int_equal(res->status, 0);
	hv_proc_free(r.p);
	start_sh(l, "exec 0<&-; sleep 0.2; echo alive", big, 0, &r);
	res = wait_for(l, &r);
	assert_string_equal(res->out.s, "alive\n");
	hv_proc_free(r.p);
	free(big);
	hv_loop_free(l);
}

static void
test_cwd(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	char				 dir[] = "/tmp/havoc-proc-XXXXXX";
	char				 want[64];
	char *const			 argv[] = { "pwd", NULL };
	struct hv_buf			 err = HV_BUF_INIT;
	struct run			 r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&r, 0, sizeof r);
	r.p = hv_proc_start(l, argv, dir, NULL, 0, on_done, &r, &err);
	assert_non_null(r.p);
	res = wait_for(l, &r);
	snprintf(want, sizeof want, "%s\n", dir);
	assert_string_equal(res->out.s, want);
	hv_proc_free(r.p);

	/* A folder that is not there: an error that names it. */
	assert_int_equal(rmdir(dir), 0);
	memset(&r, 0, sizeof r);
	assert_null(hv_proc_start(l, argv, dir, NULL, 0, on_done, &r, &err));
	if (strstr(err.s, dir) == NULL)
		fail_msg("\"%s\" does not name %s", err.s, dir);
	assert_non_null(strstr(err.s, "No such file or directory"));
	hv_buf_release(&err);
	hv_loop_free(l);
}

static void
test_start_errors(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	char *const	 missing[] = { "havoc-no-such-program", "x", NULL };
	char *const	 path[] = { "/nonexistent/prog", NULL };
	char *const	 empty[] = { "", NULL };
	char *const	 none[] = { NULL };
	struct hv_buf	 err = HV_BUF_INIT;
	struct run	 r;

	(void)state;
	memset(&r, 0, sizeof r);
	assert_null(hv_proc_start(l, missing, NULL, NULL, 0, on_done, &r,
	    &err));
	assert_string_equal(err.s, "havoc-no-such-program: No such file or "
	    "directory");
	hv_buf_reset(&err);
	assert_null(hv_proc_start(l, path, NULL, "input", 0, on_done, &r,
	    &err));
	assert_string_equal(err.s, "/nonexistent/prog: No such file or "
	    "directory");
	hv_buf_reset(&err);
	assert_null(hv_proc_start(l, empty, NULL, NULL, 0, on_done, &r,
	    &err));
	assert_string_equal(err.s, "empty command");
	hv_buf_reset(&err);
	assert_null(hv_proc_start(l, none, NULL, NULL, 0, on_done, &r, &err));
	assert_null(hv_proc_start(l, NULL, NULL, NULL, 0, on_done, &r, &err));
	/* Nothing ran, nothing is pending. */
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 20), 1);
	assert_int_equal(r.calls, 0);
	hv_buf_release(&err);
	hv_loop_free(l);
}

/* The n-th number (from 0) the script printed. */
static pid_t
pid_in(const struct hv_proc_res *res, int n)
{
	const char	*s = res->out.s;
	char		*end;
	long		 pid = 0;

	for (; n >= 0; n--) {
		pid = strtol(s, &end, 10);
		assert_true(end != s);
		s = end;
	}
	assert_true(pid > 1);
	return (pid_t)pid;
}

/* Whether pid still runs (or is a zombie nobody reaped yet). */
static int
alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

static void
test_timeout_kills_group(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;
	pid_t				 pgid, grandchild;
	int64_t				 t0 = hv_mono_ms();

	(void)state;
	/* The grandchild stays in the child's process group. */
	start_sh(l, "sleep 100 & echo $$ $!; wait", NULL, 300, &r);
	res = wait_for(l, &r);
	assert_true(r.at - t0 >= 300);
	assert_true(r.at - t0 < 2000);
	assert_int_equal(res->timed_out, 1);
	assert_int_equal(res->exited, 0);
	assert_int_equal(res->signal, SIGTERM);
	pgid = pid_in(res, 0);
	grandchild = pid_in(res, 1);
	assert_int_equal(getpgid(grandchild) == pgid || !alive(grandchild),
	    1);
	if (group_alive(pgid, 2000)) {
		end_group(pgid);
		fail_msg("sleep 100 (%d) outlived the timeout",
		    (int)grandchild);
	}
	assert_false(alive(grandchild));
	hv_proc_free(r.p);
	hv_loop_free(l);
}

/*
 * A group that ignores SIGTERM: SIGKILL follows after the grace period.
 * And when the child dies at SIGTERM but leaves one that ignores it,
 * that one goes too: a timeout ends the whole group.
 */
static void
test_timeout_escalates(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;
	pid_t				 pgid;
	int64_t				 t0 = hv_mono_ms();

	(void)state;
	/* The first of the group hears SIGTERM and may end cleanly. */
	start_sh(l, "echo $$; (trap 'echo term >&2; exit 0' TERM; sleep 100 & "
	    "wait) & trap '' TERM; sleep 100 & while :; do sleep 1; done",
	    NULL, 200, &r);
	res = wait_for(l, &r);
	assert_true(r.at - t0 >= 2200);
	assert_true(r.at - t0 < 6000);
	assert_int_equal(res->timed_out, 1);
	assert_int_equal(res->signal, SIGKILL);
	assert_string_equal(res->err.s, "term\n");
	pgid = pid_in(res, 0);
	if (group_alive(pgid, 1000)) {
		end_group(pgid);
		fail_msg("the group outlived SIGKILL");
	}
	hv_proc_free(r.p);

	start_sh(l, "echo $$; (trap '' TERM; exec sleep 100) & sleep 100",
	    NULL, 200, &r);
	res = wait_for(l, &r);
	assert_int_equal(res->timed_out, 1);
	assert_int_equal(res->signal, SIGTERM);
	pgid = pid_in(res, 0);
	if (group_alive(pgid, 4000)) {
		end_group(pgid);
		fail_msg("a member of the group that ignored SIGTERM outlived "
		    "the timeout");
	}
	hv_proc_free(r.p);
	hv_loop_free(l);
}

/* A daemon keeps the pipes: the call still completes, soon. */
static void
test_daemon_keeps_pipe(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;
	pid_t				 pgid, daemon;
	int64_t				 t0 = hv_mono_ms();

	(void)state;
	start_sh(l, "sleep 100 & echo $$ $!; echo bye >&2; exit 5", NULL, 0,
	    &r);
	res = wait_for(l, &r);
	assert_true(r.at - t0 < 3000);
	assert_int_equal(res->exited, 1);
	assert_int_equal(res->status, 5);
	assert_int_equal(res->timed_out, 0);
	assert_string_equal(res->err.s, "bye\n");
	pgid = pid_in(res, 0);
	daemon = pid_in(res, 1);
	/* Left alone: no timeout, no kill. */
	assert_true(alive(daemon));
	hv_proc_free(r.p);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 50), 1);
	end_group(pgid);

	/* What it left writes a little later: that is kept too. */
	start_sh(l, "(sleep 0.05; echo late) & exit 0", NULL, 0, &r);
	res = wait_for(l, &r);
	assert_string_equal(res->out.s, "late\n");
	hv_proc_free(r.p);
	hv_loop_free(l);
}

static void
test_kill(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	struct run			 r;
	int64_t				 t0 = hv_mono_ms();

	(void)state;
	start_sh(l, "echo started; exec sleep 100", NULL, 60000, &r);
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 100), 1);
	assert_int_equal(r.calls, 0);
	hv_proc_kill(r.p);
	hv_proc_kill(r.p);
	res = wait_for(l, &r);
	assert_true(r.at - t0 < 2000);
	assert_int_equal(res->exited, 0);
	assert_int_equal(res->signal, SIGTERM);
	assert_int_equal(res->timed_out, 0);
	assert_string_equal(res->out.s, "started\n");
	hv_proc_free(r.p);
	hv_loop_free(l);
}

static void
test_free_running(void **state)
{
	struct hv_loop	*l = hv_loop_new();
	struct run	 r;
	pid_t		 pgid;
	char		 buf[64];
	int		 fd[2];
	ssize_t		 n;

	(void)state;
	/* The child says its pid through a pipe of our own. */
	assert_int_equal(pipe(fd), 0);
	snprintf(buf, sizeof buf, "sleep 100 & echo $$ >&%d; wait", fd[1]);
	start_sh(l, buf, NULL, 1000, &r);
	close(fd[1]);
	n = read(fd[0], buf, sizeof buf - 1);
	close(fd[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	pgid = (pid_t)strtol(buf, NULL, 10);
	assert_true(pgid > 1);
	hv_proc_free(r.p);
	/* The free reaped the child itself. */
	assert_int_equal(waitpid(pgid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	if (group_alive(pgid, 2000)) {
		end_group(pgid);
		fail_msg("the group outlived hv_proc_free");
	}
	/* Its timers and watches are gone: the loop has nothing to do. */
	assert_int_equal(hv_loop_run(l, NULL, NULL, hv_mono_ms() + 1200), 1);
	assert_int_equal(r.calls, 0);
	hv_loop_free(l);
}

struct chain {
	struct hv_loop	*l;
	struct run	 r[3];
	int		 i;
	char		 out[64];
};

/* Frees its child from the callback and starts the next one. */
static void
on_chain(struct hv_proc *p, void *arg)
{
	struct chain	*c = arg;
	char		 script[32];
	char *const	 argv[] = { "sh", "-c", script, NULL };
	size_t		 len = strlen(c->out);

	snprintf(c->out + len, sizeof c->out - len, "%s",
	    hv_proc_result(p)->out.s);
	c->r[c->i].done = 1;
	hv_proc_free(p);
	if (++c->i == 3)
		return;
	snprintf(script, sizeof script, "echo %d", c->i);
	c->r[c->i].p = hv_proc_start(c->l, argv, NULL, NULL, 0, on_chain, c,
	    NULL);
	assert_non_null(c->r[c->i].p);
}

static int
chain_done(void *arg)
{
	return ((struct chain *)arg)->i == 3;
}

static void
test_free_from_callback(void **state)
{
	struct chain	 c;
	char *const	 argv[] = { "sh", "-c", "echo 0", NULL };

	(void)state;
	memset(&c, 0, sizeof c);
	c.l = hv_loop_new();
	c.r[0].p = hv_proc_start(c.l, argv, NULL, NULL, 0, on_chain, &c, NULL);
	assert_non_null(c.r[0].p);
	assert_int_equal(hv_loop_run(c.l, chain_done, &c, hv_mono_ms() +
	    10000), 0);
	assert_string_equal(c.out, "0\n1\n2\n");
	hv_loop_free(c.l);
}

#define NKIDS	60

static void
test_many_children(void **state)
{
	struct hv_loop			*l = hv_loop_new();
	const struct hv_proc_res	*res;
	static struct run		 r[NKIDS];
	char				 script[NKIDS][96], want[32];
	int				 i, n;
	int64_t				 t0 = hv_mono_ms();

	(void)state;
	for (i = 0; i < NKIDS; i++) {
		snprintf(script[i], sizeof script[i], "sleep 0.%d; echo %d; "
		    "echo e%d >&2; exit %d", i % 3, i, i, i % 7);
		start_sh(l, script[i], i % 2 ? "in" : NULL, 10000, &r[i]);
	}
	for (;;) {
		for (n = 0, i = 0; i < NKIDS; i++)
			n += r[i].done;
		if (n == NKIDS)
			break;
		assert_true(hv_mono_ms() - t0 < 15000);
		hv_loop_run(l, NULL, NULL, hv_mono_ms() + 100);
	}
	for (i = 0; i < NKIDS; i++) {
		res = hv_proc_result(r[i].p);
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(res->exited, 1);
		assert_int_equal(res->status, i % 7);
		snprintf(want, sizeof want, "%d\n", i);
		assert_string_equal(res->out.s, want);
		snprintf(want, sizeof want, "e%d\n", i);
		assert_string_equal(res->err.s, want);
		hv_proc_free(r[i].p);
	}
	/* Concurrent: 60 children of up to 0.2 s took far less than 12 s. */
	assert_true(hv_mono_ms() - t0 < 6000);
	hv_loop_free(l);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exit_status),
		T(test_signal),
		T(test_output),
		T(test_output_capped),
		T(test_input),
		T(test_cwd),
		T(test_start_errors),
		T(test_timeout_kills_group),
		T(test_timeout_escalates),
		T(test_daemon_keeps_pipe),
		T(test_kill),
		T(test_free_running),
		T(test_free_from_callback),
		T(test_many_children),
	};

	/*
	 * havoc's own disposition (a shell may have passed SIG_IGN down):
	 * a write to a pipe nobody reads must not end the process.
	 */
	signal(SIGPIPE, SIG_DFL);
	/* What the children leave behind comes back here to be reaped. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("prctl");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
