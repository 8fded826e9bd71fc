/*
 * test-remote.c - the shell commands SSH actions send (remote.c and
 * actions/hostcmd.c), run for real by /bin/sh on this machine, without
 * SSH: the dead-man timer armed before a fault and fired when nobody
 * disarms it, the revert that disarms it (and does not when it fails),
 * background processes that outlive the session and end with their
 * process group, iptables rules whose removal is bounded, tc handles of
 * a tag's own, and quoting that keeps a hostile tag or value from ever
 * running anything.
 *
 * Commands are built through a driver's command hook (shell.run) and
 * hv_remote_command(), which gives the whole command start and revert
 * send. Pid files go to HV_REMOTE_DIR under tags of each test's own,
 * removed afterwards. iptables and tc are never run: stubs of them in a
 * folder put first in PATH log their arguments.
 *
 * This process is a child subreaper: detached timers and background
 * processes come back to it when their shell ends, so each test reaps
 * them and can see a process group gone. An alarm bounds every test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/prctl.h>
#include <sys/stat.h>
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

#include "actions/hostcmd.h"
#include "driver.h"
#include "experiment.h"
#include "node.h"
#include "remote.h"
#include "util.h"

#include "children.h"

#define MAX_TAGS	4

struct fixture {
	char		 dir[64];
	char		 state[96];	/* what inject and revert write */
	char		 bin[96];	/* stubs of iptables and tc */
	char		 log[96];	/* what the stubs were called with */
	char		 pwned[96];	/* must never exist (commands run in
					   dir, and tags hold no slash) */
	char		 tags[MAX_TAGS][128];
	int		 ntags;
	struct hv_ctx	 ctx;
	struct hv_node	*with;
	struct hv_call	 call;
	int		 has_call;
};

static int	 remote_dir_existed;

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* A file's content (new), or NULL when it is not there. */
static char *
read_text(const char *path)
{
	struct hv_buf	b = HV_BUF_INIT, err = HV_BUF_INIT;

	if (hv_read_file(path, &b, &err) == -1) {
		hv_buf_release(&b);
		hv_buf_release(&err);
		return NULL;
	}
	return hv_buf_detach(&b);
}

/*
 * Logs each call and each argument on a line; fails from call N on. A
 * check (-C) exits with STUB_CHECK when that is set.
 */
static const char stub[] =
	"#!/bin/sh\n"
	"if [ \"${0##*/} $1 $2\" = 'tc qdisc show' ]; then\n"
	"\tcat \"$TC_SHOW\" 2>/dev/null; exit 0\n"
	"fi\n"
	"{ printf 'call %s\\n' \"${0##*/}\"\n"
	"  for a; do printf 'arg %s\\n' \"$a\"; done; } >>\"$STUB_LOG\"\n"
	"n=$(grep -c '^call' \"$STUB_LOG\")\n"
	"if [ \"$2\" = -C ] && [ -n \"$STUB_CHECK\" ]; then\n"
	"\texit \"$STUB_CHECK\"\n"
	"fi\n"
	"if [ -n \"$STUB_FAIL_AT\" ] &&\n"
	"    [ \"$n\" -ge \"$STUB_FAIL_AT\" ]; then\n"
	"\texit 1\n"
	"fi\n";

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	char		 path[128];
	static const char *const tools[] = { "iptables", "ip6tables", "tc" };
	size_t		 i;

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-remote-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->bin, sizeof f->bin, "%s/bin", f->dir);
	snprintf(f->log, sizeof f->log, "%s/log", f->dir);
	snprintf(f->pwned, sizeof f->pwned, "%s/pwned", f->dir);
	assert_int_equal(mkdir(f->bin, 0700), 0);
	for (i = 0; i < HV_ARRAY_LEN(tools); i++) {
		snprintf(path, sizeof path, "%s/%s", f->bin, tools[i]);
		write_file(path, stub, 0755);
	}
	unlink(f->pwned);
	f->ctx.dead_man_ms = 1000;
	hv_log_level = HV_LOG_QUIET;
	alarm(30);
	*state = f;
	return 0;
}

static const char *const suffixes[] = { "deadman", "stress", "listener",
    "lock", "stopped" };

static void
pidfile_of(const char *tag, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", HV_REMOTE_DIR, tag, what);
}

/* The pid in a pid file, or 0 when there is none. */
static pid_t
pid_in(const char *path)
{
	char	*s = read_text(path);
	long	 pid = 0;

	if (s != NULL)
		pid = strtol(s, NULL, 10);
	free(s);
	return (pid_t)pid;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 path[256], cmd[160];
	int		 pwned = access(f->pwned, F_OK) == 0;
	pid_t		 pid;
	int		 i;
	size_t		 j;
	int64_t		 end = hv_mono_ms() + 3000;

	/* What a failed test left running goes first, then its files. */
	for (i = 0; i < f->ntags; i++) {
		for (j = 0; j < HV_ARRAY_LEN(suffixes); j++) {
			pidfile_of(f->tags[i], suffixes[j], path, sizeof path);
			if ((pid = pid_in(path)) > 1)
				kill(-pid, SIGKILL);
			unlink(path);
		}
	}
	while (reap_all()) {
		if (hv_mono_ms() > end) {
			kill_children();
			while (reap_all())
				usleep(10 * 1000);
			fail_msg("children left running");
		}
		usleep(10 * 1000);
	}
	if (f->has_call)
		hv_call_release(&f->call);
	hv_node_free(f->with);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	assert_false(pwned);
	alarm(0);
	return 0;
}

/* A tag of this test's own, made of name. */
static const char *
new_tag(struct fixture *f, const char *name)
{
	assert_true(f->ntags < MAX_TAGS);
	snprintf(f->tags[f->ntags], sizeof f->tags[0], "havoc-t%d-%s",
	    (int)getpid(), name);
	return f->tags[f->ntags++];
}

/* A map of key, value, ..., NULL. */
static struct hv_node *
map_of(const char *key, ...)
{
	struct hv_node	*m = hv_node_new(HV_NODE_MAP, "test", 1, 1);
	const char	*k, *v;
	va_list		 ap;

	va_start(ap, key);
	for (k = key; k != NULL; k = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		hv_node_append(m, hv_node_scalar(k, "test", 1, 1),
		    hv_node_scalar(v, "test", 1, 1));
	}
	va_end(ap);
	return m;
}

/* The fixture's call: shell.run with with, on no host, under tag. */
static struct hv_call *
shell_call(struct fixture *f, struct hv_node *with, const char *tag)
{
	const struct hv_driver	*d = hv_driver_find("shell.run");

	assert_non_null(d);
	if (f->has_call)
		hv_call_release(&f->call);
	hv_node_free(f->with);
	f->with = with;
	hv_call_init(&f->call, d, &f->ctx);
	f->call.with = with;
	f->call.tag = tag != NULL ? hv_xstrdup(tag) : NULL;
	f->has_call = 1;
	return &f->call;
}

/* The whole command start (0) or revert (1) sends; fails on error. */
static char *
remote_command(struct hv_call *call, int revert)
{
	struct hv_buf	b = HV_BUF_INIT;

	if (hv_remote_command(call, revert, &b) == -1)
		fail_msg("hv_remote_command: %s", call->err.s);
	return hv_buf_detach(&b);
}

/*
 * Runs cmd with /bin/sh in a process group of its own, in the fixture's
 * folder, the stubs first in PATH; its output and error output go to out
 * (if not NULL). Returns the exit status (128 + the signal if one ended
 * it). Fails the test when it takes longer than limit_ms (the group is
 * killed).
 */
static int
run_sh(struct fixture *f, const char *cmd, struct hv_buf *out,
    int64_t limit_ms)
{
	struct pollfd	 pfd;
	char		 buf[4096], *path;
	int		 p[2], status = 0, st, reaped = 0;
	int64_t		 end = hv_mono_ms() + limit_ms;
	ssize_t		 n;
	pid_t		 pid, r;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		setpgid(0, 0);
		if (chdir(f->dir) == -1)
			_exit(126);
		dup2(p[1], 1);
		dup2(p[1], 2);
		path = hv_xasprintf("%s:%s", f->bin, getenv("PATH"));
		setenv("PATH", path, 1);
		setenv("STUB_LOG", f->log, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		/*
		 * As init would: what the command detached and then killed
		 * must not stay a zombie that kill -0 still finds.
		 */
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r == pid) {
				reaped = 1;
				status = st;
			}
		}
		if (hv_mono_ms() >= end) {
			kill(-pid, SIGKILL);
			if (!reaped)
				waitpid(pid, NULL, 0);
			close(p[0]);
			fail_msg("the command ran for more than %lld ms:\n%s",
			    (long long)limit_ms, cmd);
		}
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(p[0], buf, sizeof buf);
		if (n <= 0)
			break;
		if (out != NULL)
			hv_buf_add(out, buf, (size_t)n);
	}
	close(p[0]);
	if (!reaped)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* run_sh() of cmd with env ("A=1 B=2") exported first; 5 s at most. */
static int
run_sh_env(struct fixture *f, const char *env, const char *cmd,
    struct hv_buf *out)
{
	char	*all = hv_xasprintf("export %s; %s", env, cmd);
	int	 rc = run_sh(f, all, out, 5000);

	free(all);
	return rc;
}

/* Waits up to ms for path to hold want; returns when it did, or -1. */
static int64_t
wait_content(const char *path, const char *want, int64_t ms)
{
	int64_t	end = hv_mono_ms() + ms;
	char	*s;
	int	 same;

	for (;;) {
		s = read_text(path);
		same = s != NULL && strcmp(s, want) == 0;
		free(s);
		if (same)
			return hv_mono_ms();
		if (hv_mono_ms() >= end)
			return -1;
		reap_all();
		usleep(10 * 1000);
	}
}

static void
assert_content(const char *path, const char *want)
{
	char	*s = read_text(path);

	if (s == NULL)
		fail_msg("%s is not there (want \"%s\")", path, want);
	assert_string_equal(s, want);
	free(s);
}

/* Waits up to ms for path to go away; 0 when it did. */
static int
wait_gone(const char *path, int64_t ms)
{
	int64_t	end = hv_mono_ms() + ms;

	while (access(path, F_OK) == 0) {
		if (hv_mono_ms() >= end)
			return -1;
		reap_all();
		usleep(10 * 1000);
	}
	return 0;
}

/* inject and revert commands of shell.run that log to the state file. */
static struct hv_node *
logging_with(struct fixture *f, const char *pidfile, const char *revert_tail)
{
	char	cmd[512], rev[512];

	/* The inject checks that the timer was armed before it. */
	snprintf(cmd, sizeof cmd, "if [ -s '%s' ]; then echo injected; else "
	    "echo unarmed; fi >>'%s'", pidfile, f->state);
	snprintf(rev, sizeof rev, "echo reverted >>'%s'%s", f->state,
	    revert_tail);
	return map_of("command", cmd, "revert", rev, NULL);
}

/* A detached timer: its own session and process group, alive. */
static pid_t
assert_armed(const char *pidfile)
{
	pid_t	pid = pid_in(pidfile);

	if (pid <= 1)
		fail_msg("no pid in %s", pidfile);
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(getsid(pid), pid);
	assert_int_equal(getpgid(pid), pid);
	return pid;
}

/* Nobody disarms: the timer reverts after the dead man and cleans up. */
static void
test_dead_man_fires(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "fires");
	struct hv_call	*call;
	char		 pidfile[256], *cmd;
	int64_t		 t0, t1, fired;
	pid_t		 timer;

	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	call = shell_call(f, logging_with(f, pidfile, ""), tag);
	cmd = remote_command(call, 0);
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	t1 = hv_mono_ms();
	free(cmd);
	/* Returned at once: the timer holds no output of the session. */
	assert_true(t1 - t0 < 800);
	assert_content(f->state, "injected\n");
	timer = assert_armed(pidfile);

	fired = wait_content(f->state, "injected\nreverted\n", 5000);
	if (fired == -1)
		fail_msg("the dead man did not fire");
	assert_true(fired - t0 >= 1000);
	assert_int_equal(wait_gone(pidfile, 2000), 0);
	assert_false(group_alive(timer, 2000));
}

/* The revert runs the revert and disarms: the timer never fires. */
static void
test_revert_disarms(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "disarm");
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT;
	char		 pidfile[256], *cmd;
	int64_t		 t0 = hv_mono_ms();
	pid_t		 timer;

	f->ctx.dead_man_ms = 1500;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	call = shell_call(f, logging_with(f, pidfile, ""), tag);
	cmd = remote_command(call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	timer = assert_armed(pidfile);

	call->reverting = 1;
	cmd = remote_command(call, 1);
	assert_int_equal(run_sh(f, cmd, &out, 4000), 0);
	free(cmd);
	assert_string_equal(out.s, "");
	assert_true(hv_mono_ms() - t0 < 1500);
	assert_content(f->state, "injected\nreverted\n");
	assert_int_equal(access(pidfile, F_OK), -1);
	/* The timer's whole group (its sleep too) is gone. */
	assert_false(group_alive(timer, 2000));
	/* Past the dead man: it reverted once. */
	while (hv_mono_ms() - t0 < 2500)
		usleep(50 * 1000);
	assert_content(f->state, "injected\nreverted\n");

	/* A second revert finds nothing armed and still succeeds. */
	cmd = remote_command(call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	assert_content(f->state, "injected\nreverted\nreverted\n");
	hv_buf_release(&out);
}

/*
 * The timer fires while havoc reverts: the two reverts take turns (the
 * lock), and havoc does not stop the timer in the middle of its revert.
 */
static void
test_timer_and_revert_take_turns(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "turns");
	struct hv_call	*call;
	char		 pidfile[256], lock[256], cmd[512], rev[512], *c;
	pid_t		 timer;

	if (system("command -v flock >/dev/null 2>&1") != 0)
		skip();
	f->ctx.dead_man_ms = 1000;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	pidfile_of(tag, "lock", lock, sizeof lock);
	snprintf(cmd, sizeof cmd, "echo injected >>'%s'", f->state);
	snprintf(rev, sizeof rev, "echo start >>'%s'; sleep 1; "
	    "echo end >>'%s'", f->state, f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, NULL),
	    tag);
	c = remote_command(call, 0);
	assert_int_equal(run_sh(f, c, NULL, 4000), 0);
	free(c);
	timer = assert_armed(pidfile);
	/* The timer's revert has begun. */
	assert_true(wait_content(f->state, "injected\nstart\n", 4000) >= 0);

	call->reverting = 1;
	c = remote_command(call, 1);
	assert_int_equal(run_sh(f, c, NULL, 8000), 0);
	free(c);
	assert_content(f->state, "injected\nstart\nend\nstart\nend\n");
	assert_false(group_alive(timer, 2000));
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_int_equal(access(lock, F_OK), -1);
}

/*
 * A revert that is empty, or all comment, is no syntax error, for havoc
 * or for the timer; a lock that cannot be taken (its file a folder) does
 * not keep the revert from running.
 */
static void
test_odd_reverts(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "odd");
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT;
	char		 pidfile[256], lock[256], cmd[256], rev[256], *c;
	const char	*const reverts[] = { "", "# nothing to undo" };
	size_t		 i;

	f->ctx.dead_man_ms = 1000;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	pidfile_of(tag, "lock", lock, sizeof lock);
	snprintf(cmd, sizeof cmd, "echo injected >>'%s'", f->state);
	for (i = 0; i < HV_ARRAY_LEN(reverts); i++) {
		call = shell_call(f, map_of("command", cmd, "revert",
		    reverts[i], NULL), tag);
		c = remote_command(call, 0);
		assert_int_equal(run_sh(f, c, NULL, 4000), 0);
		free(c);
		(void)assert_armed(pidfile);
		call->reverting = 1;
		c = remote_command(call, 1);
		assert_int_equal(run_sh(f, c, &out, 4000), 0);
		free(c);
		assert_string_equal(out.s, "");
		assert_int_equal(access(pidfile, F_OK), -1);
		/* The timer fires: its script is sound too. */
		c = remote_command(call, 0);
		assert_int_equal(run_sh(f, c, NULL, 4000), 0);
		free(c);
		assert_int_equal(wait_gone(pidfile, 4000), 0);
		assert_int_equal(access(lock, F_OK), -1);
	}

	/* The lock file is a folder: the revert runs, with a message. */
	snprintf(rev, sizeof rev, "echo reverted >>'%s'", f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, NULL), tag);
	assert_int_equal(mkdir(lock, 0700), 0);
	call->reverting = 1;
	c = remote_command(call, 1);
	assert_int_equal(run_sh(f, c, NULL, 4000), 0);
	free(c);
	assert_int_equal(rmdir(lock), 0);
	assert_content(f->state, "injected\ninjected\ninjected\ninjected\n"
	    "reverted\n");
	hv_buf_release(&out);
}

/* A revert that ends with exit 0 worked: it disarms all the same. */
static void
test_revert_that_exits(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "exit0");
	struct hv_call	*call;
	char		 pidfile[256], *cmd;
	int64_t		 t0 = hv_mono_ms();
	pid_t		 timer;

	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	call = shell_call(f, logging_with(f, pidfile, "; exit 0"), tag);
	cmd = remote_command(call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	timer = assert_armed(pidfile);
	cmd = remote_command(call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_false(group_alive(timer, 2000));
	while (hv_mono_ms() - t0 < 2000)
		usleep(50 * 1000);
	assert_content(f->state, "injected\nreverted\n");
}

/* A revert that fails leaves the timer armed, as a second chance. */
static void
test_failing_revert_keeps_timer(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "failrev");
	struct hv_call	*call;
	char		 pidfile[256], *cmd;
	pid_t		 timer;

	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	call = shell_call(f, logging_with(f, pidfile, "; exit 3"), tag);
	cmd = remote_command(call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	timer = assert_armed(pidfile);

	cmd = remote_command(call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 3);
	free(cmd);
	assert_content(f->state, "injected\nreverted\n");
	assert_int_equal(pid_in(pidfile), timer);
	assert_int_equal(kill(timer, 0), 0);

	/* Then it fires: the revert is tried once more, the file goes. */
	if (wait_content(f->state, "injected\nreverted\nreverted\n", 5000) ==
	    -1)
		fail_msg("the timer did not fire after a failed revert");
	assert_int_equal(wait_gone(pidfile, 2000), 0);
	assert_false(group_alive(timer, 2000));
}

/* No wrapper where none is due; errors of the driver come through. */
static void
test_commands_without_timer(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "plain");
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT;
	char		*cmd;

	/* Not a fault (no revert): the command as it is, both ways. */
	call = shell_call(f, map_of("command", "echo hi", NULL), tag);
	assert_false(hv_call_is_fault(call));
	cmd = remote_command(call, 0);
	assert_string_equal(cmd, "echo hi");
	free(cmd);
	assert_int_equal(hv_remote_command(call, 1, &b), -1);
	assert_string_equal(call->err.s, "no revert command");

	/* A fault without a dead man: the inject alone. */
	f->ctx.dead_man_ms = 0;
	call = shell_call(f, map_of("command", "echo in", "revert", "echo out",
	    NULL), tag);
	cmd = remote_command(call, 0);
	assert_string_equal(cmd, "echo in");
	free(cmd);
	/* With one: the inject comes last, after the timer. */
	f->ctx.dead_man_ms = 61001;
	cmd = remote_command(call, 0);
	assert_non_null(strstr(cmd, "sleep 62\n"));
	assert_int_equal(strcmp(cmd + strlen(cmd) - 7, "echo in"), 0);
	free(cmd);
	hv_buf_release(&b);
}

/*
 * A background process: detached, in a session of its own, still there
 * after the command returned; stop ends its whole group.
 */
static void
test_bg_start_stop(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "bg");
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT, out = HV_BUF_INIT;
	char		 pidfile[256], comm[64], *s;
	int64_t		 t0;
	pid_t		 pid;

	call = shell_call(f, map_of("command", "true", NULL), tag);
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	hv_hc_bg_start(&b, call, "stress", "sh -c 'sleep 100 & wait'");
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, b.s, NULL, 6000), 0);
	assert_true(hv_mono_ms() - t0 < 3000);
	pid = assert_armed(pidfile);
	/* exec: the pid in the file is the command itself. */
	snprintf(comm, sizeof comm, "/proc/%d/comm", (int)pid);
	s = read_text(comm);
	assert_non_null(s);
	assert_string_equal(s, "sh\n");
	free(s);

	hv_buf_reset(&b);
	hv_hc_bg_stop(&b, call, "stress");
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, b.s, NULL, 8000), 0);
	assert_true(hv_mono_ms() - t0 < 3000);
	assert_int_equal(access(pidfile, F_OK), -1);
	/* Gone when stop returned (reaping is ours, not its). */
	assert_false(group_alive(pid, 500));
	/* Again: nothing to stop, not an error. */
	assert_int_equal(run_sh(f, b.s, NULL, 8000), 0);

	/* A command that ends at once is an error, and leaves no file. */
	hv_buf_reset(&b);
	hv_hc_bg_start(&b, call, "stress", "true");
	assert_int_equal(run_sh(f, b.s, &out, 6000), 1);
	assert_non_null(strstr(out.s, "it exited at once"));
	assert_int_equal(access(pidfile, F_OK), -1);
	hv_buf_release(&b);
	hv_buf_release(&out);
}

/* A group that ignores SIGTERM gets SIGKILL after 5 s; stop waits. */
static void
test_bg_stop_escalates(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "bgkill");
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT;
	char		 pidfile[256];
	int64_t		 t0;
	pid_t		 pid;

	call = shell_call(f, map_of("command", "true", NULL), tag);
	pidfile_of(tag, "listener", pidfile, sizeof pidfile);
	hv_hc_bg_start(&b, call, "listener", "sh -c \"trap '' TERM; "
	    "sleep 100 & wait\"");
	assert_int_equal(run_sh(f, b.s, NULL, 6000), 0);
	pid = assert_armed(pidfile);
	hv_buf_reset(&b);
	hv_hc_bg_stop(&b, call, "listener");
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, b.s, NULL, 10000), 0);
	assert_true(hv_mono_ms() - t0 >= 4500);
	assert_false(group_alive(pid, 1000));
	assert_int_equal(access(pidfile, F_OK), -1);
	hv_buf_release(&b);
}

/*
 * Each stub call as "name arg|arg|...", one per line. A line that is
 * neither a call nor an argument continues an argument with a newline.
 */
static char *
stub_calls(struct fixture *f)
{
	struct hv_buf	 b = HV_BUF_INIT;
	char		*log = read_text(f->log), *line, *next;
	int		 first = 1;

	for (line = log; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (strncmp(line, "call ", 5) == 0) {
			if (b.len > 0)
				hv_buf_putc(&b, '\n');
			hv_buf_puts(&b, line + 5);
			first = 1;
		} else if (strncmp(line, "arg ", 4) == 0) {
			hv_buf_puts(&b, first ? " " : "|");
			hv_buf_puts(&b, line + 4);
			first = 0;
		} else {
			hv_buf_putc(&b, '\n');
			hv_buf_puts(&b, line);
		}
	}
	free(log);
	return hv_buf_detach(&b);
}

/* A count of lines of s that equal line. */
static int
count_lines(const char *s, const char *line)
{
	size_t		 n = strlen(line);
	const char	*p;
	int		 count = 0;

	for (p = s; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			count++;
	}
	return count;
}

static void
test_iptables_rules(void **state)
{
	struct fixture	*f = *state;
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT, out = HV_BUF_INIT;
	char		*calls;

	call = shell_call(f, map_of("command", "true", NULL),
	    "havoc-r3-0a1b2c-s4");
	hv_hc_rule_add(&b, call, "INPUT", "-s 10.0.0.1 -j DROP", 0);
	assert_string_equal(b.s, "iptables -w -I INPUT -s 10.0.0.1 -j DROP "
	    "-m comment --comment havoc-r3-0a1b2c-s4; ");
	hv_buf_reset(&b);
	hv_hc_rule_add(&b, call, "OUTPUT", "-d ::1 -j DROP", 1);
	assert_string_equal(b.s, "ip6tables -w -I OUTPUT -d ::1 -j DROP "
	    "-m comment --comment havoc-r3-0a1b2c-s4; ");
	hv_buf_reset(&b);
	hv_hc_rule_del(&b, call, "INPUT", "-s 10.0.0.1 -j DROP", 0);
	assert_non_null(strstr(b.s, "for i in 1 2 3 4 5 6 7 8 9 10 11 12 "
	    "13 14 15 16; do iptables -w -D INPUT -s 10.0.0.1 -j DROP -m "
	    "comment --comment havoc-r3-0a1b2c-s4 2>/dev/null || break; "
	    "done; "));
	hv_buf_reset(&b);
	hv_hc_rules_begin(&b);
	hv_hc_rule_del(&b, call, "INPUT", "-s 10.0.0.1 -j DROP", 0);
	hv_hc_rules_end(&b);

	/*
	 * A stub that always finds the rule: the loop still ends, and the
	 * revert fails, as the rule is still there.
	 */
	assert_int_equal(run_sh(f, b.s, &out, 5000), 1);
	assert_non_null(strstr(out.s, "iptables: a rule in INPUT is still "
	    "there"));
	calls = stub_calls(f);
	assert_int_equal(count_lines(calls, "iptables -w|-D|INPUT|-s|10.0.0.1|"
	    "-j|DROP|-m|comment|--comment|havoc-r3-0a1b2c-s4"), 16);
	assert_int_equal(count_lines(calls, "iptables -w|-C|INPUT|-s|10.0.0.1|"
	    "-j|DROP|-m|comment|--comment|havoc-r3-0a1b2c-s4"), 1);
	free(calls);
	/* Once the rule is gone (the third call fails) it stops: done. */
	unlink(f->log);
	assert_int_equal(run_sh_env(f, "STUB_FAIL_AT=3", b.s, NULL), 0);
	calls = stub_calls(f);
	assert_int_equal(count_lines(calls, "iptables -w|-D|INPUT|-s|10.0.0.1|"
	    "-j|DROP|-m|comment|--comment|havoc-r3-0a1b2c-s4"), 3);
	free(calls);
	/* The delete fails for another cause: -C cannot tell either. */
	unlink(f->log);
	hv_buf_reset(&out);
	assert_int_equal(run_sh_env(f, "STUB_FAIL_AT=1 STUB_CHECK=4", b.s,
	    &out), 1);
	assert_non_null(strstr(out.s, "still there"));
	/* iptables cannot parse the rule here (2): it cannot be there. */
	unlink(f->log);
	assert_int_equal(run_sh_env(f, "STUB_FAIL_AT=1 STUB_CHECK=2", b.s,
	    NULL), 0);
	/* Two rules, the first stuck: the second is removed all the same. */
	unlink(f->log);
	hv_buf_reset(&b);
	hv_hc_rules_begin(&b);
	hv_hc_rule_del(&b, call, "INPUT", "-s 10.0.0.1 -j DROP", 0);
	hv_hc_rule_del(&b, call, "OUTPUT", "-d 10.0.0.1 -j DROP", 0);
	hv_hc_rules_end(&b);
	assert_int_equal(run_sh_env(f, "STUB_FAIL_AT=1 STUB_CHECK=0", b.s,
	    NULL), 1);
	calls = stub_calls(f);
	assert_int_equal(count_lines(calls, "iptables -w|-D|OUTPUT|-d|"
	    "10.0.0.1|-j|DROP|-m|comment|--comment|havoc-r3-0a1b2c-s4"), 1);
	free(calls);
	hv_buf_release(&b);
	hv_buf_release(&out);
}

static void
test_tc_handles(void **state)
{
	struct fixture	*f = *state;
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT, show = HV_BUF_INIT;
	char		 root[8], child[8], r2[8], c2[8], tag[32], *calls;
	char		 cmd[512], line[128];
	unsigned	 major, minor;
	int		 i, j, n = 0;
	char		 seen[4][8];
	static const char *const tags[] = {
		"havoc-r1-abcdef-s1", "havoc-r1-abcdef-s2",
		"havoc-r2-abcdef-s1", "havoc-r1-fedcba-s1",
	};

	/* Per tag, and stable. */
	call = shell_call(f, map_of("command", "true", NULL), NULL);
	for (i = 0; i < (int)HV_ARRAY_LEN(tags); i++) {
		free(call->tag);
		call->tag = hv_xstrdup(tags[i]);
		hv_hc_tc_handles(call, root, child);
		hv_hc_tc_handles(call, r2, c2);
		assert_string_equal(root, r2);
		assert_string_equal(child, c2);
		for (j = 0; j < n; j++) {
			if (strcmp(seen[j], root) == 0)
				fail_msg("%s and %s share %s", tags[i],
				    tags[j], root);
		}
		memcpy(seen[n++], root, sizeof root);
	}
	/* In range for every tag: 4000-7ffe even, the child next to it. */
	for (i = 0; i < 5000; i++) {
		snprintf(tag, sizeof tag, "havoc-r%d-%06x-s%d", i / 50,
		    (unsigned)i * 2654435761u % 0xffffff, i % 50);
		free(call->tag);
		call->tag = hv_xstrdup(tag);
		hv_hc_tc_handles(call, root, child);
		assert_int_equal(sscanf(root, "%x:", &major), 1);
		assert_int_equal(sscanf(child, "%x:", &minor), 1);
		assert_true(major >= 0x4000 && major <= 0x7ffe);
		assert_int_equal(major % 2, 0);
		assert_int_equal(minor, major + 1);
		snprintf(r2, sizeof r2, "%x:", major);
		assert_string_equal(root, r2);
	}

	/* The revert removes the tag's own root qdisc, only that one. */
	free(call->tag);
	call->tag = hv_xstrdup("havoc-r1-abcdef-s1");
	hv_hc_tc_handles(call, root, child);
	hv_hc_tc_revert(&b, call, "eth0");
	hv_buf_printf(&show, "%s/show", f->dir);
	snprintf(line, sizeof line, "qdisc netem %s root refcnt 2 limit 1000 "
	    "delay 100ms\n", root);
	write_file(show.s, line, 0644);
	snprintf(cmd, sizeof cmd, "export TC_SHOW='%s'; %s", show.s, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
	calls = stub_calls(f);
	snprintf(line, sizeof line, "tc qdisc|del|dev|eth0|root|handle|%s",
	    root);
	assert_string_equal(calls, line);
	free(calls);
	/* Someone else's root qdisc: left alone. */
	unlink(f->log);
	write_file(show.s, "qdisc netem 8001: root refcnt 2\n"
	    "qdisc fq_codel 0: root\n", 0644);
	assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
	assert_int_equal(access(f->log, F_OK), -1);
	hv_buf_release(&b);
	hv_buf_release(&show);
}

/* Every command of remote.c and hostcmd.c under a hostile tag. */
static void
hostile_tag(struct fixture *f, const char *hostile)
{
	const char	*tag = new_tag(f, hostile);
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT, out = HV_BUF_INIT, want = HV_BUF_INIT;
	char		 pidfile[256], *cmd, *calls;
	pid_t		 pid;

	/* The dead man's whole cycle. */
	unlink(f->state);
	unlink(f->log);
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	f->ctx.dead_man_ms = 30000;
	call = shell_call(f, logging_with(f, "/dev/null", ""), tag);
	cmd = remote_command(call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
	free(cmd);
	pid = assert_armed(pidfile);
	cmd = remote_command(call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
	free(cmd);
	assert_content(f->state, "unarmed\nreverted\n");
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_false(group_alive(pid, 2000));

	/* A background process. */
	hv_hc_bg_start(&b, call, "stress", "sleep 100");
	assert_int_equal(run_sh(f, b.s, NULL, 6000), 0);
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	pid = assert_armed(pidfile);
	hv_buf_reset(&b);
	hv_hc_bg_stop(&b, call, "stress");
	assert_int_equal(run_sh(f, b.s, NULL, 8000), 0);
	assert_false(group_alive(pid, 2000));
	assert_int_equal(access(pidfile, F_OK), -1);

	/* Rules: the tag is the comment, one argument. */
	hv_buf_reset(&b);
	hv_hc_rule_add(&b, call, "INPUT", "-j DROP", 0);
	hv_buf_puts(&b, "export STUB_FAIL_AT=2; ");
	hv_hc_rule_del(&b, call, "INPUT", "-j DROP", 0);
	assert_int_equal(run_sh(f, b.s, NULL, 5000), 0);
	calls = stub_calls(f);
	hv_buf_printf(&want, "iptables -w|-I|INPUT|-j|DROP|-m|comment|"
	    "--comment|%s\niptables -w|-D|INPUT|-j|DROP|-m|comment|"
	    "--comment|%s\niptables -w|-C|INPUT|-j|DROP|-m|comment|"
	    "--comment|%s", tag, tag, tag);
	assert_string_equal(calls, want.s);
	free(calls);

	/* A missing tool of that name: a message, and nothing else runs. */
	hv_buf_reset(&b);
	hv_hc_need(&b, call, hostile);
	hv_buf_puts(&b, "echo reached");
	assert_int_equal(run_sh(f, b.s, &out, 5000), 127);
	assert_non_null(strstr(out.s, "is not installed on this host"));
	assert_null(strstr(out.s, "reached"));

	/* An interface of that name in a tc revert. */
	hv_buf_reset(&b);
	hv_hc_tc_revert(&b, call, hostile);
	assert_int_equal(run_sh(f, b.s, NULL, 5000), 0);

	if (access(f->pwned, F_OK) == 0)
		fail_msg("a tag ran a command: %s", hostile);
	hv_buf_release(&b);
	hv_buf_release(&out);
	hv_buf_release(&want);
}

/*
 * Tags and values with quotes and shell metacharacters: the commands do
 * their work with them as plain text and never run any part of them.
 */
static void
test_hostile_text(void **state)
{
	struct fixture		*f = *state;
	static const char *const hostile[] = {
		"'; touch pwned #",
		"$(touch pwned)",
		"`touch pwned`\"'\\",
		"x\ntouch pwned\n",
	};
	char			 pidfile[256], *cmd, *text;
	struct hv_call		*call;
	const char		*tag;
	size_t			 i;
	int64_t			 end;
	int			 n;

	/* Timers that fire (nobody disarms them) under each tag. */
	for (i = 0; i < HV_ARRAY_LEN(hostile); i++) {
		tag = new_tag(f, hostile[i]);
		call = shell_call(f, logging_with(f, "/dev/null", ""), tag);
		cmd = remote_command(call, 0);
		assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
		free(cmd);
	}
	end = hv_mono_ms() + 6000;
	for (;;) {
		text = read_text(f->state);
		n = count_lines(text, "reverted");
		free(text);
		if (n == (int)HV_ARRAY_LEN(hostile))
			break;
		if (hv_mono_ms() > end)
			fail_msg("%d of the timers fired", n);
		reap_all();
		usleep(20 * 1000);
	}
	for (i = 0; i < HV_ARRAY_LEN(hostile); i++) {
		pidfile_of(f->tags[i], "deadman", pidfile, sizeof pidfile);
		assert_int_equal(wait_gone(pidfile, 2000), 0);
	}
	assert_int_equal(access(f->pwned, F_OK), -1);
	f->ntags = 0;

	for (i = 0; i < HV_ARRAY_LEN(hostile); i++)
		hostile_tag(f, hostile[i]);
}

/* A process group of its own, asleep: what an attacker points at. */
static pid_t
victim(void)
{
	pid_t	pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		setpgid(0, 0);
		execlp("sleep", "sleep", "100", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* victim() bearing mark in its environment (NULL: none). */
static pid_t
marked_victim(const char *mark)
{
	pid_t	pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		setpgid(0, 0);
		if (mark != NULL)
			putenv((char *)mark);
		else
			unsetenv("HAVOC_JOB");
		execlp("sleep", "sleep", "100", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/*
 * A pid file of ours that outlived its process (a reboot, a kill -9 of
 * the timer) names a pid that is now another process's: neither the
 * revert's disarm nor a stop kills it, whether it bears no mark or the
 * mark of another fault. The stale file goes all the same.
 */
static void
test_stale_pidfile(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "stale");
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT;
	char		 pidfile[256], num[32], mark[300], *cmd;
	pid_t		 v[2];
	int		 i;

	call = shell_call(f, logging_with(f, "/dev/null", ""), tag);
	mkdir(HV_REMOTE_DIR, 0700);
	snprintf(mark, sizeof mark, "HAVOC_JOB=%s/%s-other.stress",
	    HV_REMOTE_DIR, tag);
	v[0] = marked_victim(NULL);
	v[1] = marked_victim(mark);
	for (i = 0; i < 2; i++) {
		snprintf(num, sizeof num, "%d\n", (int)v[i]);
		pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
		write_file(pidfile, num, 0600);
		call->reverting = 1;
		cmd = remote_command(call, 1);
		assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
		free(cmd);
		assert_int_equal(access(pidfile, F_OK), -1);
		assert_true(group_alive(v[i], 0));

		pidfile_of(tag, "stress", pidfile, sizeof pidfile);
		write_file(pidfile, num, 0600);
		hv_buf_reset(&b);
		hv_hc_bg_stop(&b, call, "stress");
		assert_int_equal(run_sh(f, b.s, NULL, 10000), 0);
		assert_int_equal(access(pidfile, F_OK), -1);
		assert_true(group_alive(v[i], 0));
	}
	for (i = 0; i < 2; i++) {
		kill(v[i], SIGKILL);
		assert_int_equal(waitpid(v[i], NULL, 0), v[i]);
	}
	hv_buf_release(&b);
}

/* Replaces every from in s by to (new). */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	struct hv_buf	 b = HV_BUF_INIT;
	const char	*p;

	while ((p = strstr(s, from)) != NULL) {
		hv_buf_add(&b, s, (size_t)(p - s));
		hv_buf_puts(&b, to);
		s = p + strlen(from);
	}
	hv_buf_puts(&b, s);
	return hv_buf_detach(&b);
}

/*
 * HV_REMOTE_DIR is a fixed name in a folder everyone may write to. Pid
 * files that another user put there name process groups of their
 * choosing (as root, kill -TERM -1 is all processes): the revert and
 * stop must not trust them. A folder of that name that is not ours must
 * not be used at all. Needs root, to act as another user (nobody).
 */
static void
test_foreign_files(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "foreign");
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT, out = HV_BUF_INIT;
	char		 pidfile[256], other[128], num[32], *cmd, *mine;
	pid_t		 v;

	if (geteuid() != 0)
		skip();
	call = shell_call(f, logging_with(f, "/dev/null", ""), tag);
	mkdir(HV_REMOTE_DIR, 0700);
	v = victim();
	snprintf(num, sizeof num, "%d\n", (int)v);

	/* A revert (the arm may have failed) finds a planted file. */
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	write_file(pidfile, num, 0644);
	assert_int_equal(chown(pidfile, 65534, 65534), 0);
	cmd = remote_command(call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
	free(cmd);
	assert_int_equal(kill(v, 0), 0);

	/* A stop too. */
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	write_file(pidfile, num, 0644);
	assert_int_equal(chown(pidfile, 65534, 65534), 0);
	hv_hc_bg_stop(&b, call, "stress");
	assert_int_equal(run_sh(f, b.s, NULL, 10000), 0);
	assert_int_equal(kill(v, 0), 0);
	unlink(pidfile);

	/* The folder itself is someone else's: not used. */
	snprintf(other, sizeof other, "%s/other", f->dir);
	assert_int_equal(mkdir(other, 0777), 0);
	assert_int_equal(chmod(other, 0777), 0);
	assert_int_equal(chown(other, 65534, 65534), 0);
	hv_buf_reset(&b);
	hv_hc_bg_start(&b, call, "stress", "sleep 100");
	mine = replace_all(b.s, HV_REMOTE_DIR, other);
	assert_int_equal(run_sh(f, mine, &out, 10000), 1);
	free(mine);
	assert_non_null(strstr(out.s, ": a link, or a folder of another user"));
	snprintf(pidfile, sizeof pidfile, "%s/%s.stress", other, tag);
	assert_int_equal(access(pidfile, F_OK), -1);
	/* Nor a symbolic link to a folder of ours. */
	assert_int_equal(rmdir(other), 0);
	assert_int_equal(symlink(f->bin, other), 0);
	mine = replace_all(b.s, HV_REMOTE_DIR, other);
	assert_int_equal(run_sh(f, mine, &out, 10000), 1);
	free(mine);
	snprintf(pidfile, sizeof pidfile, "%s/%s.stress", f->bin, tag);
	assert_int_equal(access(pidfile, F_OK), -1);

	kill(v, SIGKILL);
	assert_int_equal(waitpid(v, NULL, 0), v);
	hv_buf_release(&b);
	hv_buf_release(&out);
}

/*
 * A command's timeout: the step's own, else ssh: command_timeout (here
 * the host's, as a fault journal gives it), else the driver's default.
 */
static void
test_command_timeout(void **state)
{
	struct fixture	*f = *state;
	struct hv_call	*call;
	struct hv_host	 h;

	memset(&h, 0, sizeof h);
	h.name = "web-1";
	h.address = "127.0.0.1";
	call = shell_call(f, map_of("command", "true", NULL), NULL);
	call->host = &h;
	assert_int_equal(hv_remote_timeout(call), 60000);
	h.ssh.command_timeout_ms = 7000;
	assert_int_equal(hv_remote_timeout(call), 7000);
	call = shell_call(f, map_of("command", "true", "timeout", "2s", NULL),
	    NULL);
	call->host = &h;
	assert_int_equal(hv_remote_timeout(call), 2000);
	call->host = NULL;
}

static int
group_teardown(void **state)
{
	(void)state;
	/* Ours only: a folder that was there before stays. */
	if (!remote_dir_existed)
		rmdir(HV_REMOTE_DIR);
	return 0;
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dead_man_fires),
		T(test_revert_disarms),
		T(test_revert_that_exits),
		T(test_timer_and_revert_take_turns),
		T(test_odd_reverts),
		T(test_failing_revert_keeps_timer),
		T(test_commands_without_timer),
		T(test_bg_start_stop),
		T(test_bg_stop_escalates),
		T(test_iptables_rules),
		T(test_tc_handles),
		T(test_hostile_text),
		T(test_foreign_files),
		T(test_stale_pidfile),
		T(test_command_timeout),
	};

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("prctl");
		return 1;
	}
	remote_dir_existed = access(HV_REMOTE_DIR, F_OK) == 0;
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
