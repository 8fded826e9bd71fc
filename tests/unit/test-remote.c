/*
 * test-remote.c - the shell commands SSH actions send (remote.c, the
 * shell function library hostlib.sh and actions/hostcmd.c), run for real
 * by /bin/sh on this machine, without SSH:
 *
 *   - the dead-man timer armed before a fault and fired when nobody
 *     disarms it; the revert that disarms it (and does not when it
 *     fails);
 *   - inject and revert taking turns: a revert waits for an inject that
 *     still runs (bounded), an inject that comes after its revert does
 *     nothing, a second revert does nothing, an inject goes on to its end
 *     when its channel closes;
 *   - background processes that outlive the session and end with their
 *     process group, iptables rules whose removal is bounded, tc handles
 *     of a tag's own;
 *   - every SSH action's inject and revert with hostile values (quotes,
 *     $(...), backticks, newlines, leading "-", spaces, globs, long
 *     values): the exact argv each tool got, and nothing else ran; the
 *     values that a driver's check refuses.
 *
 * Commands are built with hv_remote_command(), which gives the whole
 * command that start and revert send. Pid files, locks and marks go to
 * HV_REMOTE_DIR under tags of each test's own, removed afterwards;
 * HV_KEEP_DIR is replaced by a folder of the test's own. Tools that would
 * change this machine (iptables, tc, useradd, service, ...) are never
 * run: stubs of them in a folder put first in PATH log their arguments.
 * Signals go only to processes the tests start.
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
#include "actions/hostlib.h"
#include "driver.h"
#include "experiment.h"
#include "node.h"
#include "remote.h"
#include "util.h"

#include "children.h"

#define MAX_TAGS	12

struct fixture {
	char		 dir[64];
	char		 state[96];	/* what inject and revert write */
	char		 bin[96];	/* stubs of the tools */
	char		 log[96];	/* what the stubs were called with */
	char		 keep[96];	/* HV_KEEP_DIR, for these tests */
	char		 pwned[96];	/* must never exist (commands run in
					   dir, and tags hold no slash) */
	char		 tags[MAX_TAGS][128];
	int		 ntags;
	struct hv_ctx	 ctx;
	struct hv_node	*with;
	struct hv_call	 call;
	int		 has_call;
	pid_t		 victims[4];	/* processes of the tests' own */
	int		 nvictims;
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
 * The stub of every tool: logs the call and each argument on a line
 * (hv_signal's pgrep -g and hv_stop's go to the real pgrep, unlogged),
 * then acts as the tests need: iptables -C exits STUB_CHECK and -D fails
 * with STUB_DEL_FAIL; a status of a service exits STUB_STATUS (0: it
 * runs); id exits STUB_ID (1: no such user); getent prints an account
 * whose comment is STUB_GECOS; pgrep prints STUB_PIDS; stress-ng and
 * python3 stay running (as sleep); every call from the STUB_FAIL_AT-th
 * on fails. "tc qdisc show" prints the file TC_SHOW.
 */
static const char stub[] =
	"#!/bin/sh\n"
	"n=${0##*/}\n"
	"case \"$n $1 $2\" in\n"
	"'tc qdisc show') cat \"$TC_SHOW\" 2>/dev/null; exit 0 ;;\n"
	"'pgrep -g '*) exec /usr/bin/pgrep \"$@\" ;;\n"
	"esac\n"
	"{ printf 'call %s\\n' \"$n\"\n"
	"  for a; do printf 'arg %s\\n' \"$a\"; done; } >>\"$STUB_LOG\"\n"
	"c=$(grep -c '^call' \"$STUB_LOG\")\n"
	"case $n in\n"
	"iptables|ip6tables)\n"
	"\t[ \"$2\" = -C ] && [ -n \"$STUB_CHECK\" ] && exit \"$STUB_CHECK\"\n"
	"\t[ \"$2\" = -D ] && [ -n \"$STUB_DEL_FAIL\" ] && exit 1 ;;\n"
	"service) [ \"$2\" = status ] && exit \"${STUB_STATUS:-0}\" ;;\n"
	"systemctl) [ \"$1\" = status ] && exit \"${STUB_STATUS:-0}\" ;;\n"
	"id) exit \"${STUB_ID:-1}\" ;;\n"
	"getent) [ -n \"$STUB_GECOS\" ] &&\n"
	"\t    printf '%s:x:1001:1001:%s:/home/x:/bin/sh\\n' \"$3\" "
	"\"$STUB_GECOS\"\n"
	"\texit 0 ;;\n"
	"pgrep) for p in $STUB_PIDS; do echo \"$p\"; done; exit 0 ;;\n"
	"stress-ng|python3) exec sleep 30 ;;\n"
	"esac\n"
	"if [ -n \"$STUB_FAIL_AT\" ] &&\n"
	"    [ \"$c\" -ge \"$STUB_FAIL_AT\" ]; then\n"
	"\texit 1\n"
	"fi\n"
	"exit 0\n";

static const char *const stubbed[] = { "iptables", "ip6tables", "tc",
    "service", "systemctl", "id", "getent", "useradd", "userdel", "pgrep",
    "fallocate", "stress-ng", "python3", "touch", "reboot", "shutdown",
    "poweroff", "halt" };

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	char		 path[128];
	size_t		 i;

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-remote-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->bin, sizeof f->bin, "%s/bin", f->dir);
	snprintf(f->log, sizeof f->log, "%s/log", f->dir);
	snprintf(f->keep, sizeof f->keep, "%s/keep", f->dir);
	snprintf(f->pwned, sizeof f->pwned, "%s/pwned", f->dir);
	assert_int_equal(mkdir(f->bin, 0700), 0);
	for (i = 0; i < HV_ARRAY_LEN(stubbed); i++) {
		snprintf(path, sizeof path, "%s/%s", f->bin, stubbed[i]);
		write_file(path, stub, 0755);
	}
	unlink(f->pwned);
	f->ctx.dead_man_ms = 1000;
	hv_log_level = HV_LOG_QUIET;
	alarm(60);
	*state = f;
	return 0;
}

static const char *const suffixes[] = { "deadman", "stress", "listener",
    "lock", "stopped", "reverting", "reverted" };

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

/*
 * Kills what a pid file names, with its group, only when that process
 * bears the file's job mark (HAVOC_JOB=FILE): a pid file that outlived
 * its process may name anyone's by now.
 */
static void
kill_job(const char *pidfile)
{
	struct hv_buf	 env = HV_BUF_INIT, err = HV_BUF_INIT;
	char		 path[64];
	const char	*p;
	pid_t		 pid = pid_in(pidfile);
	size_t		 n = strlen(pidfile);
	int		 ours = 0;

	if (pid <= 1)
		return;
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if (hv_read_file(path, &env, &err) == 0) {
		for (p = env.s; p < env.s + env.len; p += strlen(p) + 1) {
			if (strncmp(p, "HAVOC_JOB=", 10) == 0 &&
			    strncmp(p + 10, pidfile, n) == 0 && p[10 + n] == '\0')
				ours = 1;
		}
	}
	hv_buf_release(&env);
	hv_buf_release(&err);
	if (ours)
		kill(-pid, SIGKILL);
}

/* Whether pid is a child of this process (not reaped, not reused). */
static int
my_child(pid_t pid)
{
	char	 path[64], *s, *p;
	long	 ppid = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((s = read_text(path)) == NULL)
		return 0;
	if ((p = strrchr(s, ')')) != NULL)
		(void)sscanf(p + 1, " %*c %ld", &ppid);
	free(s);
	return ppid == (long)getpid();
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 path[256], cmd[160];
	int		 pwned = access(f->pwned, F_OK) == 0;
	int		 i;
	size_t		 j;
	int64_t		 end = hv_mono_ms() + 3000;

	/* What a failed test left running goes first, then its files. */
	for (i = 0; i < f->ntags; i++) {
		for (j = 0; j < HV_ARRAY_LEN(suffixes); j++) {
			pidfile_of(f->tags[i], suffixes[j], path, sizeof path);
			if (j < 3)
				kill_job(path);
			unlink(path);
		}
	}
	for (i = 0; i < f->nvictims; i++) {
		if (!my_child(f->victims[i]))
			continue;
		kill(f->victims[i], SIGKILL);
		waitpid(f->victims[i], NULL, 0);
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
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", f->dir,
	    f->dir);
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

/* Stops what the last tag left and removes its files; forgets it. */
static void
forget_tag(struct fixture *f)
{
	char	path[256];
	size_t	j;

	assert_true(f->ntags > 0);
	f->ntags--;
	for (j = 0; j < HV_ARRAY_LEN(suffixes); j++) {
		pidfile_of(f->tags[f->ntags], suffixes[j], path, sizeof path);
		if (j < 3)
			kill_job(path);
		unlink(path);
	}
}

static struct hv_node *
map_new(void)
{
	return hv_node_new(HV_NODE_MAP, "test", 1, 1);
}

static void
put(struct hv_node *m, const char *k, const char *v)
{
	hv_node_append(m, hv_node_scalar(k, "test", 1, 1),
	    hv_node_scalar(v, "test", 1, 1));
}

/* A list value: the items, then NULL. */
static void
put_list(struct hv_node *m, const char *k, ...)
{
	struct hv_node	*l = hv_node_new(HV_NODE_SEQ, "test", 1, 1);
	const char	*v;
	va_list		 ap;

	va_start(ap, k);
	while ((v = va_arg(ap, const char *)) != NULL)
		hv_node_append(l, NULL, hv_node_scalar(v, "test", 1, 1));
	va_end(ap);
	hv_node_append(m, hv_node_scalar(k, "test", 1, 1), l);
}

/* A map of key, value, ..., NULL. */
static struct hv_node *
map_of(const char *key, ...)
{
	struct hv_node	*m = map_new();
	const char	*k, *v;
	va_list		 ap;

	va_start(ap, key);
	for (k = key; k != NULL; k = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		put(m, k, v);
	}
	va_end(ap);
	return m;
}

/* The fixture's call: driver with with, on no host, under tag. */
static struct hv_call *
action(struct fixture *f, const char *driver, struct hv_node *with,
    const char *tag)
{
	const struct hv_driver	*d = hv_driver_find(driver);

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

static struct hv_call *
shell_call(struct fixture *f, struct hv_node *with, const char *tag)
{
	return action(f, "shell.run", with, tag);
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
 * The whole command start (0) or revert (1) sends, with the fixture's
 * keep folder for HV_KEEP_DIR; fails the test on error.
 */
static char *
remote_command(struct fixture *f, struct hv_call *call, int revert)
{
	struct hv_buf	 b = HV_BUF_INIT;
	char		*s;

	call->reverting = revert;
	if (hv_remote_command(call, revert, &b) == -1)
		fail_msg("hv_remote_command: %s", call->err.s);
	s = replace_all(b.s, HV_KEEP_DIR, f->keep);
	hv_buf_release(&b);
	return s;
}

/* hv_hc_script() of text, for a building block on its own. */
static char *
script(struct fixture *f, const struct hv_call *call, const char *text)
{
	struct hv_buf	 b = HV_BUF_INIT;
	char		*s;

	hv_hc_script(&b, call, text);
	s = replace_all(b.s, HV_KEEP_DIR, f->keep);
	hv_buf_release(&b);
	return s;
}

/*
 * Children reaped while another was waited for (waitpid(-1), as init
 * would), with their status, for wait_sh() to find.
 */
static struct {
	pid_t	pid;
	int	status;
} reap_tab[32];

static void
note_reaped(pid_t pid, int status)
{
	size_t	i;

	for (i = 0; i < HV_ARRAY_LEN(reap_tab); i++) {
		if (reap_tab[i].pid == 0) {
			reap_tab[i].pid = pid;
			reap_tab[i].status = status;
			return;
		}
	}
}

/* Whether pid was reaped already; its status in *status. */
static int
was_reaped(pid_t pid, int *status)
{
	size_t	i;

	for (i = 0; i < HV_ARRAY_LEN(reap_tab); i++) {
		if (reap_tab[i].pid == pid) {
			*status = reap_tab[i].status;
			reap_tab[i].pid = 0;
			return 1;
		}
	}
	return 0;
}

/*
 * Starts cmd with /bin/sh in a process group of its own, in the
 * fixture's folder, the stubs first in PATH, env ("A=1 B=2", or NULL)
 * exported first. Its output and error output go to a pipe whose
 * reading end is returned in *fd.
 */
static pid_t
start_sh(struct fixture *f, const char *env, const char *cmd, int *fd)
{
	char	*path, *all;
	int	 p[2];
	pid_t	 pid;

	all = env != NULL ? hv_xasprintf("export %s; %s", env, cmd) :
	    hv_xstrdup(cmd);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		setpgid(0, 0);
		if (chdir(f->dir) == -1)
			_exit(126);
		dup2(p[1], 1);
		dup2(p[1], 2);
		signal(SIGPIPE, SIG_DFL);
		path = hv_xasprintf("%s:%s", f->bin, getenv("PATH"));
		setenv("PATH", path, 1);
		setenv("STUB_LOG", f->log, 1);
		execl("/bin/sh", "sh", "-c", all, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	free(all);
	close(p[1]);
	*fd = p[0];
	return pid;
}

/*
 * Waits for what start_sh() started, reading its output into out (if
 * not NULL and fd is still open, i.e. not -1). Returns the exit status
 * (128 + the signal if one ended it). Fails the test when it takes
 * longer than limit_ms (the group is killed).
 */
static int
wait_sh(pid_t pid, int fd, struct hv_buf *out, int64_t limit_ms,
    const char *what)
{
	struct pollfd	 pfd;
	char		 buf[4096];
	int		 status = 0, st, reaped = 0;
	int64_t		 end = hv_mono_ms() + limit_ms;
	ssize_t		 n;
	pid_t		 r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		/*
		 * As init would: what the command detached and then killed
		 * must not stay a zombie that kill -0 still finds.
		 */
		if (!reaped && was_reaped(pid, &st)) {
			reaped = 1;
			status = st;
		}
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r == pid) {
				reaped = 1;
				status = st;
			} else
				note_reaped(r, st);
		}
		if (fd == -1 && reaped)
			break;
		if (hv_mono_ms() >= end) {
			kill(-pid, SIGKILL);
			if (!reaped)
				waitpid(pid, NULL, 0);
			if (fd != -1)
				close(fd);
			fail_msg("the command ran for more than %lld ms:\n%s",
			    (long long)limit_ms, what);
		}
		if (fd == -1) {
			usleep(10 * 1000);
			continue;
		}
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		if (out != NULL)
			hv_buf_add(out, buf, (size_t)n);
	}
	if (fd != -1)
		close(fd);
	if (!reaped)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* start_sh() and wait_sh(): the command's exit status. */
static int
run_env(struct fixture *f, const char *env, const char *cmd,
    struct hv_buf *out, int64_t limit_ms)
{
	int	fd;
	pid_t	pid = start_sh(f, env, cmd, &fd);

	return wait_sh(pid, fd, out, limit_ms, cmd);
}

static int
run_sh(struct fixture *f, const char *cmd, struct hv_buf *out,
    int64_t limit_ms)
{
	return run_env(f, NULL, cmd, out, limit_ms);
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
	if (strcmp(s, want) != 0)
		fail_msg("%s holds \"%s\", not \"%s\"", path, s, want);
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

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Whether the fault of tag bears the mark what. */
static int
marked(const char *tag, const char *what)
{
	char	path[256];

	pidfile_of(tag, what, path, sizeof path);
	return exists(path);
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
	char		 pidfile[256], lock[256], *cmd;
	int64_t		 t0, t1, fired;
	pid_t		 timer;

	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	pidfile_of(tag, "lock", lock, sizeof lock);
	call = shell_call(f, logging_with(f, pidfile, ""), tag);
	cmd = remote_command(f, call, 0);
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	t1 = hv_mono_ms();
	free(cmd);
	/* Returned at once: the timer holds no output of the session. */
	assert_true(t1 - t0 < 800);
	assert_content(f->state, "injected\n");
	timer = assert_armed(pidfile);
	assert_false(marked(tag, "reverted"));

	fired = wait_content(f->state, "injected\nreverted\n", 5000);
	if (fired == -1)
		fail_msg("the dead man did not fire");
	assert_true(fired - t0 >= 1000);
	assert_int_equal(wait_gone(pidfile, 2000), 0);
	assert_false(group_alive(timer, 2000));
	assert_false(exists(lock));
	/* It leaves the mark: a revert after it does nothing. */
	assert_true(marked(tag, "reverted"));
	assert_false(marked(tag, "reverting"));
	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	assert_content(f->state, "injected\nreverted\n");
}

/*
 * The revert runs the revert and disarms: the timer never fires. A
 * second revert (a lost store update, the rollbacks after a duration)
 * does nothing and succeeds.
 */
static void
test_revert_disarms(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "disarm");
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT;
	char		 pidfile[256], lock[256], *cmd;
	int64_t		 t0 = hv_mono_ms();
	pid_t		 timer;

	f->ctx.dead_man_ms = 1500;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	pidfile_of(tag, "lock", lock, sizeof lock);
	call = shell_call(f, logging_with(f, pidfile, ""), tag);
	cmd = remote_command(f, call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	timer = assert_armed(pidfile);
	/* The inject held the lock while it ran, and let go of it. */
	assert_true(exists(lock));

	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, &out, 4000), 0);
	free(cmd);
	assert_string_equal(out.s, "");
	assert_true(hv_mono_ms() - t0 < 1500);
	assert_content(f->state, "injected\nreverted\n");
	assert_false(exists(pidfile));
	assert_false(exists(lock));
	assert_true(marked(tag, "reverted"));
	/* The timer's whole group (its sleep too) is gone. */
	assert_false(group_alive(timer, 2000));
	/* Past the dead man: it reverted once. */
	while (hv_mono_ms() - t0 < 2500)
		usleep(50 * 1000);
	assert_content(f->state, "injected\nreverted\n");

	/* A second revert finds the mark: nothing, and success. */
	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	assert_content(f->state, "injected\nreverted\n");
	hv_buf_release(&out);
}

/*
 * The timer fires while havoc reverts: the two take turns (the lock),
 * havoc does not stop the timer in the middle of its revert, and then
 * finds the fault reverted: the revert runs once.
 */
static void
test_timer_and_revert_take_turns(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "turns");
	struct hv_call	*call;
	char		 pidfile[256], lock[256], cmd[512], rev[512], *c;
	pid_t		 timer;

	f->ctx.dead_man_ms = 1000;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	pidfile_of(tag, "lock", lock, sizeof lock);
	snprintf(cmd, sizeof cmd, "echo injected >>'%s'", f->state);
	snprintf(rev, sizeof rev, "echo start >>'%s'; sleep 1; "
	    "echo end >>'%s'", f->state, f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, NULL),
	    tag);
	c = remote_command(f, call, 0);
	assert_int_equal(run_sh(f, c, NULL, 4000), 0);
	free(c);
	timer = assert_armed(pidfile);
	/* The timer's revert has begun. */
	assert_true(wait_content(f->state, "injected\nstart\n", 4000) >= 0);

	c = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, c, NULL, 8000), 0);
	free(c);
	assert_content(f->state, "injected\nstart\nend\n");
	assert_false(group_alive(timer, 2000));
	assert_false(exists(pidfile));
	assert_false(exists(lock));
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
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT;
	char		 pidfile[256], lock[256], cmd[256], rev[256], *c;
	const char	*const reverts[] = { "", "# nothing to undo" };
	const char	*tag;
	size_t		 i;

	f->ctx.dead_man_ms = 1000;
	snprintf(cmd, sizeof cmd, "echo injected >>'%s'", f->state);
	for (i = 0; i < HV_ARRAY_LEN(reverts); i++) {
		tag = new_tag(f, i == 0 ? "empty" : "comment");
		pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
		pidfile_of(tag, "lock", lock, sizeof lock);
		call = shell_call(f, map_of("command", cmd, "revert",
		    reverts[i], NULL), tag);
		c = remote_command(f, call, 0);
		assert_int_equal(run_sh(f, c, NULL, 4000), 0);
		free(c);
		(void)assert_armed(pidfile);
		c = remote_command(f, call, 1);
		assert_int_equal(run_sh(f, c, &out, 4000), 0);
		free(c);
		assert_string_equal(out.s, "");
		assert_false(exists(pidfile));
		/* The timer fires: its script is sound too. */
		tag = new_tag(f, i == 0 ? "empty2" : "comment2");
		pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
		pidfile_of(tag, "lock", lock, sizeof lock);
		call = shell_call(f, map_of("command", cmd, "revert",
		    reverts[i], NULL), tag);
		c = remote_command(f, call, 0);
		assert_int_equal(run_sh(f, c, NULL, 4000), 0);
		free(c);
		assert_int_equal(wait_gone(pidfile, 4000), 0);
		assert_false(exists(lock));
		assert_true(marked(tag, "reverted"));
	}

	/* The lock file is a folder: the revert runs, unlocked. */
	tag = new_tag(f, "lockdir");
	pidfile_of(tag, "lock", lock, sizeof lock);
	snprintf(rev, sizeof rev, "echo reverted >>'%s'", f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, NULL), tag);
	assert_int_equal(mkdir(lock, 0700), 0);
	c = remote_command(f, call, 1);
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
	cmd = remote_command(f, call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	timer = assert_armed(pidfile);
	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	assert_false(exists(pidfile));
	assert_false(group_alive(timer, 2000));
	assert_true(marked(tag, "reverted"));
	while (hv_mono_ms() - t0 < 2000)
		usleep(50 * 1000);
	assert_content(f->state, "injected\nreverted\n");
}

/*
 * A revert that fails leaves the timer armed, as a second chance, and no
 * "reverted" mark: the timer (and any later revert) tries again.
 */
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
	cmd = remote_command(f, call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	timer = assert_armed(pidfile);

	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 3);
	free(cmd);
	assert_content(f->state, "injected\nreverted\n");
	assert_int_equal(pid_in(pidfile), timer);
	assert_int_equal(kill(timer, 0), 0);
	assert_true(marked(tag, "reverting"));
	assert_false(marked(tag, "reverted"));

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
	struct hv_buf	 b = HV_BUF_INIT, out = HV_BUF_INIT;
	char		*cmd, *p;

	/* Not a fault (no revert): the command as it is, both ways. */
	call = shell_call(f, map_of("command", "echo hi", NULL), tag);
	assert_false(hv_call_is_fault(call));
	cmd = remote_command(f, call, 0);
	assert_string_equal(cmd, "echo hi");
	free(cmd);
	assert_int_equal(hv_remote_command(call, 1, &b), -1);
	assert_string_equal(call->err.s, "no revert command");

	/*
	 * A fault without a dead man: still in turn with its revert (the
	 * lock, the marks), with no timer.
	 */
	f->ctx.dead_man_ms = 0;
	call = shell_call(f, map_of("command", "echo in", "revert", "echo out",
	    "timeout", "9s", NULL), tag);
	cmd = remote_command(f, call, 0);
	p = strstr(cmd, "\nhv_inject ");
	assert_non_null(p);
	assert_string_equal(p, "\nhv_inject 4 0 600 'echo out' 'echo in'");
	assert_int_equal(run_sh(f, cmd, &out, 4000), 0);
	assert_string_equal(out.s, "in\n");
	assert_false(marked(tag, "deadman"));
	free(cmd);
	/* With one: armed for it, rounded up. */
	f->ctx.dead_man_ms = 61001;
	cmd = remote_command(f, call, 0);
	assert_non_null(strstr(cmd, "\nhv_inject 4 62 600 'echo out' "
	    "'echo in'"));
	free(cmd);
	cmd = remote_command(f, call, 1);
	p = strstr(cmd, "\nhv_undo ");
	assert_non_null(p);
	assert_string_equal(p, "\nhv_undo 4 'echo out'");
	hv_buf_reset(&out);
	assert_int_equal(run_sh(f, cmd, &out, 4000), 0);
	assert_string_equal(out.s, "out\n");
	free(cmd);
	hv_buf_release(&b);
	hv_buf_release(&out);
}

/*
 * The revert comes first (the inject's channel was cancelled before its
 * command ran): it marks the fault, and the inject that comes after does
 * nothing at all: no timer, no fault.
 */
static void
test_inject_after_its_revert(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "late");
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT;
	char		 pidfile[256], *cmd;

	f->ctx.dead_man_ms = 1000;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	call = shell_call(f, logging_with(f, pidfile, ""), tag);
	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 0);
	free(cmd);
	assert_content(f->state, "reverted\n");
	assert_true(marked(tag, "reverted"));

	cmd = remote_command(f, call, 0);
	assert_int_equal(run_sh(f, cmd, &out, 4000), 75);
	free(cmd);
	assert_non_null(strstr(out.s, "its revert has begun; not injected"));
	assert_false(exists(pidfile));
	usleep(1300 * 1000);
	assert_content(f->state, "reverted\n");

	/* Likewise after a revert that failed (it began). */
	tag = new_tag(f, "late2");
	unlink(f->state);
	call = shell_call(f, logging_with(f, pidfile, "; exit 4"), tag);
	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 4);
	free(cmd);
	assert_true(marked(tag, "reverting"));
	cmd = remote_command(f, call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 4000), 75);
	free(cmd);
	assert_content(f->state, "reverted\n");
	hv_buf_release(&out);
}

/*
 * A revert that starts while the inject still runs (a slow service stop,
 * a cancelled step whose command goes on on the host) waits for it, then
 * undoes it: the revert comes after the inject, whatever the order they
 * were sent in.
 */
static void
test_revert_waits_for_inject(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "wait");
	struct hv_call	*call;
	char		 cmd[512], rev[512], *inj, *undo;
	int		 fd, fd2;
	pid_t		 pi, pr;
	int64_t		 t0;

	f->ctx.dead_man_ms = 30000;
	snprintf(cmd, sizeof cmd, "echo begin >>'%s'; sleep 1; "
	    "echo end >>'%s'", f->state, f->state);
	snprintf(rev, sizeof rev, "echo reverted >>'%s'", f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, "timeout",
	    "10s", NULL), tag);
	inj = remote_command(f, call, 0);
	undo = remote_command(f, call, 1);
	t0 = hv_mono_ms();
	pi = start_sh(f, NULL, inj, &fd);
	assert_true(wait_content(f->state, "begin\n", 3000) >= 0);
	pr = start_sh(f, NULL, undo, &fd2);
	assert_int_equal(wait_sh(pr, fd2, NULL, 8000, undo), 0);
	/* It came back after the inject's second of work, not before. */
	assert_true(hv_mono_ms() - t0 >= 950);
	assert_int_equal(wait_sh(pi, fd, NULL, 3000, inj), 0);
	assert_content(f->state, "begin\nend\nreverted\n");
	assert_true(marked(tag, "reverted"));
	assert_false(marked(tag, "deadman"));
	free(inj);
	free(undo);
}

/*
 * An inject that runs longer than the revert may wait (half its
 * timeout): the revert fails (75) without doing anything, and the timer
 * stays armed; a revert after the inject ended works.
 */
static void
test_revert_gives_up(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "stuck");
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT;
	char		 cmd[512], rev[512], pidfile[256], *inj, *undo;
	int		 fd;
	pid_t		 pi, timer;

	f->ctx.dead_man_ms = 30000;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	snprintf(cmd, sizeof cmd, "echo begin >>'%s'; sleep 3; "
	    "echo end >>'%s'", f->state, f->state);
	snprintf(rev, sizeof rev, "echo reverted >>'%s'", f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, "timeout",
	    "2s", NULL), tag);
	inj = remote_command(f, call, 0);
	undo = remote_command(f, call, 1);
	pi = start_sh(f, NULL, inj, &fd);
	assert_true(wait_content(f->state, "begin\n", 3000) >= 0);
	timer = assert_armed(pidfile);
	assert_int_equal(run_sh(f, undo, &out, 5000), 75);
	assert_non_null(strstr(out.s, "still runs after 1 s; not reverted "
	    "yet"));
	assert_content(f->state, "begin\n");
	assert_int_equal(kill(timer, 0), 0);
	assert_false(marked(tag, "reverting"));
	assert_int_equal(wait_sh(pi, fd, NULL, 5000, inj), 0);
	assert_content(f->state, "begin\nend\n");
	assert_int_equal(run_sh(f, undo, NULL, 5000), 0);
	assert_content(f->state, "begin\nend\nreverted\n");
	assert_false(group_alive(timer, 2000));
	free(inj);
	free(undo);
	hv_buf_release(&out);
}

/*
 * The SSH channel closes while the inject runs (a cancelled step, havoc
 * killed): the inject goes on to its end, writes included, holding its
 * lock, so that the revert that follows undoes all of it. Without that,
 * the first write to the closed channel would kill it half-way.
 */
static void
test_inject_outlives_its_channel(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "chan");
	struct hv_call	*call;
	char		 cmd[512], rev[512], *inj, *undo;
	int		 fd, fd2;
	pid_t		 pi, pr;

	f->ctx.dead_man_ms = 30000;
	snprintf(cmd, sizeof cmd, "sleep 0.5; echo noise; echo noise >&2; "
	    "echo done >>'%s'", f->state);
	snprintf(rev, sizeof rev, "echo reverted >>'%s'", f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, "timeout",
	    "10s", NULL), tag);
	inj = remote_command(f, call, 0);
	undo = remote_command(f, call, 1);
	pi = start_sh(f, NULL, inj, &fd);
	usleep(150 * 1000);
	close(fd);
	pr = start_sh(f, NULL, undo, &fd2);
	assert_int_equal(wait_sh(pi, -1, NULL, 5000, inj), 0);
	assert_int_equal(wait_sh(pr, fd2, NULL, 8000, undo), 0);
	assert_content(f->state, "done\nreverted\n");
	free(inj);
	free(undo);
}

/*
 * The shell that runs the inject is killed half-way (a host's OOM
 * killer, an admin): the timer was armed before the inject began, so it
 * still reverts, and the lock dies with that shell.
 */
static void
test_killed_inject_keeps_timer(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "killed");
	struct hv_call	*call;
	char		 cmd[512], rev[512], pidfile[256], *inj;
	int		 fd;
	pid_t		 pi, timer;

	f->ctx.dead_man_ms = 1000;
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	snprintf(cmd, sizeof cmd, "echo begin >>'%s'; sleep 3; "
	    "echo end >>'%s'", f->state, f->state);
	snprintf(rev, sizeof rev, "echo reverted >>'%s'", f->state);
	call = shell_call(f, map_of("command", cmd, "revert", rev, "timeout",
	    "4s", NULL), tag);
	inj = remote_command(f, call, 0);
	pi = start_sh(f, NULL, inj, &fd);
	assert_true(wait_content(f->state, "begin\n", 3000) >= 0);
	timer = assert_armed(pidfile);
	assert_int_equal(kill(-pi, SIGKILL), 0);
	assert_int_equal(wait_sh(pi, fd, NULL, 3000, inj), 128 + SIGKILL);
	if (wait_content(f->state, "begin\nreverted\n", 4000) == -1)
		fail_msg("the timer did not revert after the inject was killed");
	assert_int_equal(wait_gone(pidfile, 2000), 0);
	assert_false(group_alive(timer, 2000));
	assert_true(marked(tag, "reverted"));
	free(inj);
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
	char		 pidfile[256], comm[64], *s, *cmd;
	int64_t		 t0;
	pid_t		 pid;

	call = shell_call(f, map_of("command", "true", NULL), tag);
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	hv_hc_bg_start(&b, "stress", "sh -c 'sleep 100 & wait'");
	assert_string_equal(b.s, "hv_bg_start stress sh -c 'sleep 100 & "
	    "wait'");
	cmd = script(f, call, b.s);
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
	free(cmd);
	assert_true(hv_mono_ms() - t0 < 3000);
	pid = assert_armed(pidfile);
	/* exec: the pid in the file is the command itself. */
	snprintf(comm, sizeof comm, "/proc/%d/comm", (int)pid);
	s = read_text(comm);
	assert_non_null(s);
	assert_string_equal(s, "sh\n");
	free(s);

	hv_buf_reset(&b);
	hv_hc_bg_stop(&b, "stress");
	cmd = script(f, call, b.s);
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, cmd, NULL, 8000), 0);
	assert_true(hv_mono_ms() - t0 < 3000);
	assert_false(exists(pidfile));
	/* Gone when stop returned (reaping is ours, not its). */
	assert_false(group_alive(pid, 500));
	/* Again: nothing to stop, not an error. */
	assert_int_equal(run_sh(f, cmd, NULL, 8000), 0);
	free(cmd);

	/* A command that ends at once is an error, and leaves no file. */
	hv_buf_reset(&b);
	hv_hc_bg_start(&b, "stress", "true");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, &out, 6000), 1);
	free(cmd);
	assert_non_null(strstr(out.s, "it exited at once"));
	assert_false(exists(pidfile));
	/* A program that is not there: said so, nothing started. */
	hv_buf_reset(&b);
	hv_buf_reset(&out);
	hv_hc_bg_start(&b, "stress", "no-such-tool-here --cpu 1");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, &out, 6000), 127);
	free(cmd);
	assert_string_equal(out.s, "no-such-tool-here is not installed on "
	    "this host\n");
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
	char		 pidfile[256], *cmd;
	int64_t		 t0;
	pid_t		 pid;

	call = shell_call(f, map_of("command", "true", NULL), tag);
	pidfile_of(tag, "listener", pidfile, sizeof pidfile);
	hv_hc_bg_start(&b, "listener", "sh -c \"trap '' TERM; "
	    "sleep 100 & wait\"");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
	free(cmd);
	pid = assert_armed(pidfile);
	hv_buf_reset(&b);
	hv_hc_bg_stop(&b, "listener");
	cmd = script(f, call, b.s);
	t0 = hv_mono_ms();
	assert_int_equal(run_sh(f, cmd, NULL, 10000), 0);
	free(cmd);
	assert_true(hv_mono_ms() - t0 >= 4500);
	assert_false(group_alive(pid, 1000));
	assert_false(exists(pidfile));
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

/* The stubs were called exactly so (and nothing else was); log reset. */
static void
assert_calls(struct fixture *f, const char *want)
{
	char	*calls = stub_calls(f);

	if (strcmp(calls, want) != 0)
		fail_msg("the tools were called with:\n%s\n-- not:\n%s",
		    calls, want);
	free(calls);
	unlink(f->log);
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
	char		*calls, *cmd;

	call = shell_call(f, map_of("command", "true", NULL),
	    "havoc-r3-0a1b2c-s4");
	hv_hc_rule_add(&b, "INPUT", "-s 10.0.0.1 -j DROP", 0);
	assert_string_equal(b.s, "hv_rule_add INPUT -s 10.0.0.1 -j DROP");
	hv_buf_reset(&b);
	hv_hc_rule_add(&b, "OUTPUT", "-d ::1 -j DROP", 1);
	assert_string_equal(b.s, "hv_rule_add -6 OUTPUT -d ::1 -j DROP");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
	free(cmd);
	assert_calls(f, "ip6tables -w|-I|OUTPUT|-d|::1|-j|DROP|-m|comment|"
	    "--comment|havoc-r3-0a1b2c-s4");

	hv_buf_reset(&b);
	hv_hc_rule_del(&b, "INPUT", "-s 10.0.0.1 -j DROP", 0);
	hv_buf_puts(&b, "; ");
	hv_hc_rules_end(&b);
	assert_string_equal(b.s, "hv_rule_del INPUT -s 10.0.0.1 -j DROP; "
	    "hv_rules_gone");
	cmd = script(f, call, b.s);

	/*
	 * A stub that always finds the rule: the loop still ends, and the
	 * revert fails, as the rule is still there.
	 */
	assert_int_equal(run_sh(f, cmd, &out, 5000), 1);
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
	assert_int_equal(run_env(f, "STUB_FAIL_AT=3", cmd, NULL, 5000), 0);
	calls = stub_calls(f);
	assert_int_equal(count_lines(calls, "iptables -w|-D|INPUT|-s|10.0.0.1|"
	    "-j|DROP|-m|comment|--comment|havoc-r3-0a1b2c-s4"), 3);
	free(calls);
	/* The delete fails for another cause: -C cannot tell either. */
	unlink(f->log);
	hv_buf_reset(&out);
	assert_int_equal(run_env(f, "STUB_FAIL_AT=1 STUB_CHECK=4", cmd, &out,
	    5000), 1);
	assert_non_null(strstr(out.s, "cannot tell whether a rule in INPUT"));
	/* iptables cannot parse the rule here (2): it cannot be there. */
	unlink(f->log);
	assert_int_equal(run_env(f, "STUB_FAIL_AT=1 STUB_CHECK=2", cmd, NULL,
	    5000), 0);
	free(cmd);
	/* Two rules, the first stuck: the second is removed all the same. */
	unlink(f->log);
	hv_buf_reset(&b);
	hv_hc_rule_del(&b, "INPUT", "-s 10.0.0.1 -j DROP", 0);
	hv_buf_puts(&b, "; ");
	hv_hc_rule_del(&b, "OUTPUT", "-d 10.0.0.1 -j DROP", 0);
	hv_buf_puts(&b, "; ");
	hv_hc_rules_end(&b);
	cmd = script(f, call, b.s);
	assert_int_equal(run_env(f, "STUB_FAIL_AT=1 STUB_CHECK=0", cmd, NULL,
	    5000), 1);
	free(cmd);
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
	char		 line[128], env[160], *cmd;
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
	snprintf(line, sizeof line, "hv_tc_del eth0 %s", root);
	assert_string_equal(b.s, line);
	hv_buf_printf(&show, "%s/show", f->dir);
	snprintf(line, sizeof line, "qdisc netem %s root refcnt 2 limit 1000 "
	    "delay 100ms\n", root);
	write_file(show.s, line, 0644);
	snprintf(env, sizeof env, "TC_SHOW='%s'", show.s);
	cmd = script(f, call, b.s);
	assert_int_equal(run_env(f, env, cmd, NULL, 5000), 0);
	calls = stub_calls(f);
	snprintf(line, sizeof line, "tc qdisc|del|dev|eth0|root|handle|%s",
	    root);
	assert_string_equal(calls, line);
	free(calls);
	/* Someone else's root qdisc: left alone. */
	unlink(f->log);
	write_file(show.s, "qdisc netem 8001: root refcnt 2\n"
	    "qdisc fq_codel 0: root\n", 0644);
	assert_int_equal(run_env(f, env, cmd, NULL, 5000), 0);
	assert_false(exists(f->log));
	free(cmd);
	hv_buf_release(&b);
	hv_buf_release(&show);
}

/* Every command of remote.c and the library under a hostile tag. */
static void
hostile_tag(struct fixture *f, const char *hostile)
{
	char		 name[64];
	const char	*tag;
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT, out = HV_BUF_INIT, want = HV_BUF_INIT;
	char		 pidfile[256], *cmd;
	pid_t		 pid;

	snprintf(name, sizeof name, "again %s", hostile);
	tag = new_tag(f, name);
	/* The dead man's whole cycle. */
	unlink(f->state);
	unlink(f->log);
	pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
	f->ctx.dead_man_ms = 30000;
	call = shell_call(f, logging_with(f, "/dev/null", ""), tag);
	cmd = remote_command(f, call, 0);
	assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
	free(cmd);
	pid = assert_armed(pidfile);
	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
	free(cmd);
	assert_content(f->state, "unarmed\nreverted\n");
	assert_false(exists(pidfile));
	assert_false(group_alive(pid, 2000));
	assert_true(marked(tag, "reverted"));

	/* A background process. */
	hv_hc_bg_start(&b, "stress", "sleep 100");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 6000), 0);
	free(cmd);
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	pid = assert_armed(pidfile);
	hv_buf_reset(&b);
	hv_hc_bg_stop(&b, "stress");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 8000), 0);
	free(cmd);
	assert_false(group_alive(pid, 2000));
	assert_false(exists(pidfile));

	/* Rules: the tag is the comment, one argument. */
	hv_buf_reset(&b);
	hv_hc_rule_add(&b, "INPUT", "-j DROP", 0);
	hv_buf_puts(&b, "; export STUB_FAIL_AT=2; ");
	hv_hc_rule_del(&b, "INPUT", "-j DROP", 0);
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
	free(cmd);
	hv_buf_printf(&want, "iptables -w|-I|INPUT|-j|DROP|-m|comment|"
	    "--comment|%s\niptables -w|-D|INPUT|-j|DROP|-m|comment|"
	    "--comment|%s\niptables -w|-C|INPUT|-j|DROP|-m|comment|"
	    "--comment|%s", tag, tag, tag);
	assert_calls(f, want.s);

	/* A missing tool of that name: a message, and nothing runs. */
	hv_buf_reset(&b);
	hv_hc_words(&b, "hv_need", hostile, (char *)NULL);
	hv_buf_puts(&b, " || exit; echo reached");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, &out, 5000), 127);
	free(cmd);
	assert_non_null(strstr(out.s, "is not installed on this host"));
	assert_null(strstr(out.s, "reached"));

	/* An interface of that name in a tc revert. */
	hv_buf_reset(&b);
	hv_hc_tc_revert(&b, call, hostile);
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
	free(cmd);

	if (exists(f->pwned))
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
test_hostile_tags(void **state)
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
		cmd = remote_command(f, call, 0);
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
		assert_true(marked(f->tags[i], "reverted"));
	}
	assert_false(exists(f->pwned));
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
 * A sleep of the test's own, named name (its comm: the name of the link
 * to sleep it was started through), tracked for teardown.
 */
static pid_t
named_victim(struct fixture *f, const char *name)
{
	char	link[160];
	pid_t	pid;

	snprintf(link, sizeof link, "%s/%s", f->dir, name);
	if (access(link, F_OK) != 0)
		assert_int_equal(symlink("/bin/sleep", link), 0);
	assert_true(f->nvictims < (int)HV_ARRAY_LEN(f->victims));
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		setpgid(0, 0);
		execl(link, name, "100", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	f->victims[f->nvictims++] = pid;
	return pid;
}

/* The state letter of a process (R, S, T...), or 0. */
static char
proc_state(pid_t pid)
{
	char	path[64], *s, *p, c = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((s = read_text(path)) == NULL)
		return 0;
	if ((p = strrchr(s, ')')) != NULL && p[1] == ' ')
		c = p[2];
	free(s);
	return c;
}

/* Waits up to ms for pid to be in state c (or not, with not set). */
static int
wait_state(pid_t pid, char c, int not, int64_t ms)
{
	int64_t	end = hv_mono_ms() + ms;

	for (;;) {
		if ((proc_state(pid) == c) != not)
			return 1;
		if (hv_mono_ms() >= end)
			return 0;
		usleep(10 * 1000);
	}
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
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT;
	char		 pidfile[256], num[32], mark[300], *cmd;
	const char	*tag;
	pid_t		 v[2];
	int		 i;

	mkdir(HV_REMOTE_DIR, 0700);
	tag = new_tag(f, "stale");
	snprintf(mark, sizeof mark, "HAVOC_JOB=%s/%s-other.stress",
	    HV_REMOTE_DIR, tag);
	v[0] = marked_victim(NULL);
	v[1] = marked_victim(mark);
	for (i = 0; i < 2; i++) {
		tag = new_tag(f, i == 0 ? "stale0" : "stale1");
		call = shell_call(f, logging_with(f, "/dev/null", ""), tag);
		snprintf(num, sizeof num, "%d\n", (int)v[i]);
		pidfile_of(tag, "deadman", pidfile, sizeof pidfile);
		write_file(pidfile, num, 0600);
		cmd = remote_command(f, call, 1);
		assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
		free(cmd);
		assert_false(exists(pidfile));
		assert_true(group_alive(v[i], 0));

		pidfile_of(tag, "stress", pidfile, sizeof pidfile);
		write_file(pidfile, num, 0600);
		hv_buf_reset(&b);
		hv_hc_bg_stop(&b, "stress");
		cmd = script(f, call, b.s);
		assert_int_equal(run_sh(f, cmd, NULL, 10000), 0);
		free(cmd);
		assert_false(exists(pidfile));
		assert_true(group_alive(v[i], 0));
	}
	for (i = 0; i < 2; i++) {
		kill(v[i], SIGKILL);
		assert_int_equal(waitpid(v[i], NULL, 0), v[i]);
	}
	hv_buf_release(&b);
}

/*
 * A job of ours that is in execve when it is stopped: its environment
 * reads empty for that moment, and a stop that took it for someone
 * else's left it running (a background fault that outlives its revert).
 * The job here does nothing but exec itself (20,000 times at most, then
 * it ends), the worst case; each of 30 stops must end it. Before the
 * fix, two stops in three missed it (the file was opened by a
 * redirection, a fork and an exec before it was read).
 */
static void
test_stop_during_exec(void **state)
{
	static const char loop[] = "n=$1; [ \"$n\" -lt 20000 ] || exit 0; "
	    "exec /bin/sh -c \"$0\" \"$0\" $((n + 1))";
	struct fixture	*f = *state;
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT;
	char		 pidfile[256], num[32], mark[300], *cmd;
	const char	*tag;
	pid_t		 v;
	int		 i, missed = 0;

	mkdir(HV_REMOTE_DIR, 0700);
	tag = new_tag(f, "execing");
	call = shell_call(f, logging_with(f, "/dev/null", ""), tag);
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	snprintf(mark, sizeof mark, "HAVOC_JOB=%s", pidfile);
	hv_hc_bg_stop(&b, "stress");
	cmd = script(f, call, b.s);
	for (i = 0; i < 30; i++) {
		v = fork();
		assert_true(v != -1);
		if (v == 0) {
			setpgid(0, 0);
			putenv(mark);
			execl("/bin/sh", "sh", "-c", loop, loop, "0",
			    (char *)NULL);
			_exit(127);
		}
		setpgid(v, v);
		usleep(20 * 1000);	/* well into its loop */
		snprintf(num, sizeof num, "%d\n", (int)v);
		write_file(pidfile, num, 0600);
		assert_int_equal(run_sh(f, cmd, NULL, 10000), 0);
		assert_false(exists(pidfile));
		if (group_alive(v, 500)) {
			missed++;
			kill(-v, SIGKILL);
			assert_false(group_alive(v, 2000));
		}
	}
	free(cmd);
	hv_buf_release(&b);
	assert_int_equal(missed, 0);
}

/*
 * HV_REMOTE_DIR is a fixed name in a folder everyone may write to. Pid
 * files that another user put there name process groups of their
 * choosing (as root, kill -TERM -1 is all processes): the revert and
 * stop must not trust them. A folder of that name that is not ours is
 * not used at all: no inject, no marks trusted (a revert runs all the
 * same). Needs root, to act as another user (nobody).
 */
static void
test_foreign_files(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "foreign");
	struct hv_call	*call;
	struct hv_buf	 b = HV_BUF_INIT, out = HV_BUF_INIT;
	char		 pidfile[256], other[128], num[32], mark[256];
	char		 dirset[160], *cmd, *mine;
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
	cmd = remote_command(f, call, 1);
	assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
	free(cmd);
	assert_int_equal(kill(v, 0), 0);
	unlink(pidfile);

	/* A stop too. */
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	write_file(pidfile, num, 0644);
	assert_int_equal(chown(pidfile, 65534, 65534), 0);
	hv_hc_bg_stop(&b, "stress");
	cmd = script(f, call, b.s);
	assert_int_equal(run_sh(f, cmd, NULL, 10000), 0);
	free(cmd);
	assert_int_equal(kill(v, 0), 0);
	unlink(pidfile);

	/* The folder itself is someone else's: not used. */
	snprintf(other, sizeof other, "%s/other", f->dir);
	snprintf(dirset, sizeof dirset, "HV_DIR=%s ", other);
	assert_int_equal(mkdir(other, 0777), 0);
	assert_int_equal(chmod(other, 0777), 0);
	assert_int_equal(chown(other, 65534, 65534), 0);
	hv_buf_reset(&b);
	hv_hc_bg_start(&b, "stress", "sleep 100");
	cmd = script(f, call, b.s);
	mine = replace_all(cmd, "HV_DIR=" HV_REMOTE_DIR " ", dirset);
	free(cmd);
	assert_int_equal(run_sh(f, mine, &out, 10000), 1);
	free(mine);
	assert_non_null(strstr(out.s, ": a link, or a folder of another user"));
	snprintf(pidfile, sizeof pidfile, "%s/%s.stress", other, tag);
	assert_false(exists(pidfile));
	/* No fault injected there either... */
	unlink(f->state);
	cmd = remote_command(f, call, 0);
	mine = replace_all(cmd, "HV_DIR=" HV_REMOTE_DIR " ", dirset);
	free(cmd);
	assert_int_equal(run_sh(f, mine, NULL, 10000), 1);
	free(mine);
	assert_false(exists(f->state));
	/* ... and its "reverted" mark is not believed: the revert runs. */
	snprintf(mark, sizeof mark, "%s/%s.reverted", other, tag);
	write_file(mark, "", 0644);
	assert_int_equal(chown(mark, 65534, 65534), 0);
	cmd = remote_command(f, call, 1);
	mine = replace_all(cmd, "HV_DIR=" HV_REMOTE_DIR " ", dirset);
	free(cmd);
	hv_buf_reset(&out);
	if (run_sh(f, mine, &out, 10000) != 0)
		fail_msg("the revert failed: %s", out.s);
	free(mine);
	assert_content(f->state, "reverted\n");
	unlink(mark);
	/* Nor a symbolic link to a folder of ours. */
	assert_int_equal(rmdir(other), 0);
	assert_int_equal(symlink(f->bin, other), 0);
	cmd = script(f, call, b.s);
	mine = replace_all(cmd, "HV_DIR=" HV_REMOTE_DIR " ", dirset);
	free(cmd);
	hv_buf_reset(&out);
	assert_int_equal(run_sh(f, mine, &out, 10000), 1);
	free(mine);
	snprintf(pidfile, sizeof pidfile, "%s/%s.stress", f->bin, tag);
	assert_false(exists(pidfile));

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

/*
 * The library: each function once, each entry its own definition, and
 * the functions a command gets are exactly those it calls with those
 * they call, in the library's order, and parse (sh -n) on their own.
 */
static void
test_library(void **state)
{
	struct fixture	*f = *state;
	struct hv_buf	 b = HV_BUF_INIT, head = HV_BUF_INIT;
	size_t		 i, j, n;
	char		*cmd;

	for (n = 0; hv_hostlib[n].name != NULL; n++) {
		hv_buf_reset(&head);
		hv_buf_printf(&head, "%s() {\n", hv_hostlib[n].name);
		assert_int_equal(strncmp(hv_hostlib[n].text, head.s,
		    head.len), 0);
		assert_int_equal(strncmp(hv_hostlib[n].name, "hv_", 3), 0);
		for (j = 0; j < n; j++)
			assert_string_not_equal(hv_hostlib[j].name,
			    hv_hostlib[n].name);
	}
	assert_true(n > 20);

	/* Nothing for a text that calls none (hv_lib is a variable). */
	hv_hc_lib(&b, "echo hv_lib $hv_x hv_nothing");
	assert_string_equal(b.s, "");
	/* A function and what it calls; a name inside a word is not one. */
	hv_hc_lib(&b, "xhv_need; hv_rules_gone");
	assert_string_equal(b.s, "hv_rules_gone() {\n"
	    "\t[ \"${hv_left:-0}\" = 0 ]\n}\n");
	hv_buf_reset(&b);
	hv_hc_lib(&b, "hv_bg_stop x");
	assert_non_null(strstr(b.s, "hv_stop() {"));
	assert_non_null(strstr(b.s, "hv_file_ok() {"));
	assert_null(strstr(b.s, "hv_detach() {"));
	assert_true(strstr(b.s, "hv_file_ok() {") < strstr(b.s,
	    "hv_stop() {"));
	/* The inject takes the timer's functions along. */
	hv_buf_reset(&b);
	hv_hc_lib(&b, "hv_inject 1 2 3 'hv_cont' 'hv_signal STOP name x'");
	for (i = 0; i < n; i++) {
		const char	*name = hv_hostlib[i].name;
		int		 want = strcmp(name, "hv_inject") == 0 ||
		    strcmp(name, "hv_deadman") == 0 ||
		    strcmp(name, "hv_detach") == 0 ||
		    strcmp(name, "hv_revert_once") == 0 ||
		    strcmp(name, "hv_lock") == 0 ||
		    strcmp(name, "hv_cont") == 0 ||
		    strcmp(name, "hv_signal") == 0 ||
		    strcmp(name, "hv_procs") == 0;

		if (want && strstr(b.s, hv_hostlib[i].text) == NULL)
			fail_msg("%s is not sent with hv_inject", name);
	}
	assert_null(strstr(b.s, "hv_tamper() {"));
	/* Each function with what it calls parses on its own. */
	for (i = 0; i < n; i++) {
		hv_buf_reset(&b);
		hv_hc_lib(&b, hv_hostlib[i].name);
		hv_buf_reset(&head);
		hv_buf_puts(&head, "sh -n -c ");
		hv_shell_quote(&head, b.s);
		cmd = hv_xstrdup(head.s);
		assert_int_equal(run_sh(f, cmd, NULL, 5000), 0);
		free(cmd);
	}
	hv_buf_release(&b);
	hv_buf_release(&head);
}

/* --- every action, with hostile values ------------------------------ */

/* Values as an attacker would write them. */
static const char *const evil[] = {
	"'; touch pwned #",
	"$(touch pwned)",
	"`touch pwned`",
	"\"; touch pwned; \"",
	"a b  c",
	"*",
	"-x",
	"--help",
	"x\ntouch pwned",
	"\\$HOME",
};

/* A call's check: -1 with a message that holds want. */
static void
assert_refused(struct hv_call *call, const char *want)
{
	struct hv_buf	err = HV_BUF_INIT;

	if (call->driver->check(call, &err) != -1)
		fail_msg("%s accepted a value it should refuse (want \"%s\")",
		    call->driver->name, want);
	if (strstr(err.s, want) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", call->driver->name,
		    err.s, want);
	hv_buf_release(&err);
}

static void
assert_accepted(struct hv_call *call)
{
	struct hv_buf	err = HV_BUF_INIT;

	if (call->driver->check(call, &err) == -1)
		fail_msg("%s refused: %s", call->driver->name, err.s);
	hv_buf_release(&err);
}

/* Runs start (0) or revert (1) of call with env; its status, output. */
static int
run_call(struct fixture *f, struct hv_call *call, int revert,
    const char *env, struct hv_buf *out)
{
	char	*cmd = remote_command(f, call, revert);
	int	 rc;

	if (out != NULL)
		hv_buf_reset(out);
	rc = run_env(f, env, cmd, out, 10000);
	free(cmd);
	return rc;
}

/* The shown spelling of call (plans, the journal). */
static void
assert_shown(struct hv_call *call, int revert, const char *want)
{
	struct hv_buf	b = HV_BUF_INIT;

	call->shown = 1;
	hv_call_describe(call, revert, &b);
	call->shown = 0;
	if (strcmp(b.s, want) != 0)
		fail_msg("%s shows \"%s\", not \"%s\"", call->driver->name,
		    b.s, want);
	hv_buf_release(&b);
}

/*
 * The values that checks refuse, on today's code a way for a value to
 * become an option or to reach another file: process.kill's name "-u0"
 * (pgrep -x -u0 matched every root process), service.stop's "--help",
 * disk.fill's "-x" and relative paths, and the like for every action.
 */
static void
test_checks_refuse(void **state)
{
	struct fixture	*f = *state;
	struct hv_call	*call;
	struct hv_node	*m;
	size_t		 i;

	call = action(f, "process.kill", map_of("name", "-u0", NULL), NULL);
	assert_refused(call, "name: \"-u0\" is not a process name: it begins "
	    "with \"-\"");
	call = action(f, "process.kill", map_of("name", "nginx; touch "
	    "/tmp/pwned8", NULL), NULL);
	assert_refused(call, "is not a process name (at most 15 characters)");
	call = action(f, "process.kill", map_of("name", "a\nb", NULL), NULL);
	assert_refused(call, "\"a\\nb\" is not a process name");
	call = action(f, "process.kill", map_of("pattern", "(", NULL), NULL);
	assert_refused(call, "is not an extended regular expression");
	call = action(f, "process.kill", map_of("pattern", "a\nb", NULL),
	    NULL);
	assert_refused(call, "is not a pattern");
	call = action(f, "process.kill", map_of("name", "nginx", "signal",
	    "-9", NULL), NULL);
	assert_refused(call, "signal: \"-9\" is not one of KILL|");
	call = action(f, "process.kill", map_of("name", "kworker/0:1",
	    NULL), NULL);
	assert_accepted(call);
	call = action(f, "process.kill", map_of("pattern", "-u0 x", NULL),
	    NULL);
	assert_accepted(call);

	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		call = action(f, "service.stop", map_of("name", evil[i], NULL),
		    NULL);
		assert_refused(call, "is not a service name");
	}
	call = action(f, "service.stop", map_of("name", "..", NULL), NULL);
	assert_refused(call, "it begins with \".\"");
	call = action(f, "service.restart", map_of("name",
	    "getty@tty1.service", NULL), NULL);
	assert_accepted(call);

	call = action(f, "disk.fill", map_of("path", "-x", "size", "1M",
	    NULL), NULL);
	assert_refused(call, "path: \"-x\" is not an absolute path");
	call = action(f, "disk.fill", map_of("path", "var/tmp", "size", "1M",
	    NULL), NULL);
	assert_refused(call, "is not an absolute path");
	call = action(f, "disk.fill", map_of("path", "/tmp/../etc", "size",
	    "1M", NULL), NULL);
	assert_refused(call, "no \".\" or \"..\" in it");
	call = action(f, "disk.fill", map_of("path", "/tmp/x\n", "size", "1M",
	    NULL), NULL);
	assert_refused(call, "is not a path");
	call = action(f, "disk.fill", map_of("path", "/srv/a b/$(c)", "size",
	    "1M", NULL), NULL);
	assert_accepted(call);
	call = action(f, "stress.io", map_of("path", "tmp", NULL), NULL);
	assert_refused(call, "is not an absolute path");
	call = action(f, "security.tamper_file", map_of("path", "etc/motd",
	    NULL), NULL);
	assert_refused(call, "is not an absolute path");
	call = action(f, "security.tamper_file", map_of("path", "/etc/./motd",
	    NULL), NULL);
	assert_refused(call, "no \".\" or \"..\"");
	call = action(f, "security.tamper_file", map_of("path", "/etc/motd",
	    "mode", "chmod", "chmod", "-x", NULL), NULL);
	assert_refused(call, "chmod: \"-x\" is not an octal mode");

	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		call = action(f, "security.add_user", map_of("name", evil[i],
		    NULL), NULL);
		assert_refused(call, "is not a user name");
		m = map_of("name", "hvuser", NULL);
		put_list(m, "groups", "sudo", evil[i], NULL);
		call = action(f, "security.add_user", m, NULL);
		assert_refused(call, "is not a group name");
	}
	call = action(f, "security.add_user", map_of("name", "hvuser",
	    "shell", "sh", NULL), NULL);
	assert_refused(call, "shell: \"sh\" is not an absolute path");
	call = action(f, "security.add_user", map_of("name", "hvuser",
	    "shell", "/bin/sh:x", NULL), NULL);
	assert_refused(call, "is not a login shell");

	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		call = action(f, "network.delay", map_of("delay", "10ms",
		    "interface", evil[i], NULL), NULL);
		assert_refused(call, "is not an interface name");
		m = map_of("percent", "10", NULL);
		put_list(m, "destination", "10.0.0.1", evil[i], NULL);
		call = action(f, "network.loss", m, NULL);
		assert_refused(call, "is not an address or a CIDR");
		m = map_of("direction", "in", NULL);
		put_list(m, "peers", evil[i], NULL);
		call = action(f, "network.partition", m, NULL);
		assert_refused(call, "is not an address or a CIDR");
		m = map_of("direction", "in", NULL);
		put_list(m, "peers", "10.0.0.0/8", NULL);
		put_list(m, "ports", "80", evil[i], NULL);
		call = action(f, "network.partition", m, NULL);
		assert_refused(call, "is not a port");
		call = action(f, "security.open_port", map_of("port", "4444",
		    "address", evil[i], NULL), NULL);
		assert_refused(call, "is not an address");
	}
	m = map_of("direction", "in", NULL);
	put_list(m, "peers", "10.0.0.0/33", NULL);
	call = action(f, "network.partition", m, NULL);
	assert_refused(call, "the prefix is out of range");
	m = map_of("direction", "in", NULL);
	put_list(m, "peers", "10.0.0.0/8", "fd00::/64", "::1", NULL);
	put_list(m, "ports", "+80", NULL);
	call = action(f, "network.partition", m, NULL);
	assert_refused(call, "ports: \"+80\" is not a port");
	m = map_of("direction", "in", NULL);
	put_list(m, "peers", "10.0.0.0/8", "fd00::/64", "::1", NULL);
	call = action(f, "network.partition", m, NULL);
	assert_accepted(call);
	call = action(f, "network.bandwidth", map_of("rate", "1mbit",
	    "interface", "-eth0", NULL), NULL);
	assert_refused(call, "interface: \"-eth0\" is not an interface name");
	/* Long values are cut in messages. */
	call = action(f, "service.stop", map_of("name", "xxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "!", NULL), NULL);
	assert_refused(call, "xxxx...\" is not a service name");
}

/* network.partition and network.loss: the rules, argv for argv. */
static void
test_action_rules(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "rules");
	struct hv_call	*call;
	struct hv_buf	 want = HV_BUF_INIT;
	struct hv_node	*m;
	int		 i;

	f->ctx.dead_man_ms = 30000;
	m = map_of("protocol", "tcp", NULL);
	put_list(m, "peers", "10.0.0.1", "fd00::/64", NULL);
	put_list(m, "ports", "80", "443", NULL);
	call = action(f, "network.partition", m, tag);
	assert_shown(call, 1, "hv_rule_del INPUT -s 10.0.0.1 -p tcp -m "
	    "multiport --ports 80,443 -j DROP; hv_rule_del -6 INPUT -s "
	    "fd00::/64 -p tcp -m multiport --ports 80,443 -j DROP; "
	    "hv_rule_del OUTPUT -d 10.0.0.1 -p tcp -m multiport --ports "
	    "80,443 -j DROP; hv_rule_del -6 OUTPUT -d fd00::/64 -p tcp -m "
	    "multiport --ports 80,443 -j DROP; hv_rules_gone");
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	for (i = 0; i < 4; i++)
		hv_buf_printf(&want, "%s%s -w|-I|%s|%s|%s|-p|tcp|-m|multiport|"
		    "--ports|80,443|-j|DROP|-m|comment|--comment|%s",
		    i > 0 ? "\n" : "", i % 2 ? "ip6tables" : "iptables",
		    i < 2 ? "INPUT" : "OUTPUT", i < 2 ? "-s" : "-d",
		    i % 2 ? "fd00::/64" : "10.0.0.1", tag);
	assert_calls(f, want.s);
	assert_int_equal(run_call(f, call, 1, "STUB_DEL_FAIL=1 STUB_CHECK=1",
	    NULL), 0);
	hv_buf_reset(&want);
	for (i = 0; i < 8; i++)
		hv_buf_printf(&want, "%s%s -w|%s|%s|%s|%s|-p|tcp|-m|multiport|"
		    "--ports|80,443|-j|DROP|-m|comment|--comment|%s",
		    i > 0 ? "\n" : "", (i / 2) % 2 ? "ip6tables" : "iptables",
		    i % 2 ? "-C" : "-D", i < 4 ? "INPUT" : "OUTPUT",
		    i < 4 ? "-s" : "-d", (i / 2) % 2 ? "fd00::/64" :
		    "10.0.0.1", tag);
	assert_calls(f, want.s);
	assert_true(marked(tag, "reverted"));

	tag = new_tag(f, "loss");
	m = map_of("percent", "12.5", "direction", "in", NULL);
	put_list(m, "destination", "10.0.0.2", NULL);
	call = action(f, "network.loss", m, tag);
	assert_shown(call, 0, "hv_rule_add INPUT -s 10.0.0.2 -m statistic "
	    "--mode random --probability 0.1250 -j DROP");
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	hv_buf_reset(&want);
	hv_buf_printf(&want, "iptables -w|-I|INPUT|-s|10.0.0.2|-m|statistic|"
	    "--mode|random|--probability|0.1250|-j|DROP|-m|comment|--comment|"
	    "%s", tag);
	assert_calls(f, want.s);
	assert_int_equal(run_call(f, call, 1, "STUB_DEL_FAIL=1 STUB_CHECK=1",
	    NULL), 0);
	unlink(f->log);
	hv_buf_release(&want);
}

/* network.delay, network.bandwidth, network.loss netem: tc's argv. */
static void
test_action_tc(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "tc");
	struct hv_call	*call;
	struct hv_buf	 want = HV_BUF_INIT, out = HV_BUF_INIT;
	struct hv_node	*m;
	char		 h[8], c[8], env[200], show[128], line[128];

	f->ctx.dead_man_ms = 30000;
	snprintf(show, sizeof show, "%s/show", f->dir);
	snprintf(env, sizeof env, "TC_SHOW='%s'", show);
	write_file(show, "qdisc noqueue 0: root refcnt 2\n", 0644);
	m = map_of("delay", "200ms", "jitter", "10ms", "interface", "eth1",
	    NULL);
	put_list(m, "destination", "10.0.0.5", NULL);
	call = action(f, "network.delay", m, tag);
	hv_hc_tc_handles(call, h, c);
	assert_int_equal(run_call(f, call, 0, env, NULL), 0);
	hv_buf_printf(&want, "tc qdisc|add|dev|eth1|root|handle|%s|htb|"
	    "default|1\n"
	    "tc class|add|dev|eth1|parent|%s|classid|%s1|htb|rate|100gbit\n"
	    "tc class|add|dev|eth1|parent|%s|classid|%s2|htb|rate|100gbit|"
	    "ceil|100gbit\n"
	    "tc qdisc|add|dev|eth1|parent|%s2|handle|%s|netem|delay|200ms|"
	    "10ms\n"
	    "tc filter|add|dev|eth1|parent|%s|protocol|ip|prio|1|u32|match|"
	    "ip|dst|10.0.0.5|flowid|%s2", h, h, h, h, h, h, c, h, h);
	assert_calls(f, want.s);
	snprintf(line, sizeof line, "qdisc htb %s root refcnt 2\n", h);
	write_file(show, line, 0644);
	assert_int_equal(run_call(f, call, 1, env, NULL), 0);
	hv_buf_reset(&want);
	hv_buf_printf(&want, "tc qdisc|del|dev|eth1|root|handle|%s", h);
	assert_calls(f, want.s);

	/* A root qdisc of the host's own: refused, nothing added. */
	tag = new_tag(f, "tcown");
	write_file(show, "qdisc tbf 8001: root refcnt 2\n", 0644);
	call = action(f, "network.bandwidth", map_of("rate", "1mbit", NULL),
	    tag);
	assert_int_equal(run_call(f, call, 0, env, &out), 1);
	assert_non_null(strstr(out.s, "eth0 has a root qdisc of its own"));
	assert_false(exists(f->log));
	assert_int_equal(run_call(f, call, 1, env, NULL), 0);
	assert_false(exists(f->log));

	tag = new_tag(f, "tcloss");
	write_file(show, "", 0644);
	call = action(f, "network.loss", map_of("percent", "5", "method",
	    "netem", "direction", "out", NULL), tag);
	hv_hc_tc_handles(call, h, c);
	assert_int_equal(run_call(f, call, 0, env, NULL), 0);
	hv_buf_reset(&want);
	hv_buf_printf(&want, "tc qdisc|add|dev|eth0|root|handle|%s|netem|"
	    "loss|5%%", h);
	assert_calls(f, want.s);
	assert_int_equal(run_call(f, call, 1, env, NULL), 0);
	assert_false(exists(f->log));
	hv_buf_release(&want);
	hv_buf_release(&out);
}

/*
 * process.kill: STOP on processes of the test's own, found by their exact
 * name (never another's, never one stopped already), CONT to exactly
 * those; a hostile name matches nothing and runs nothing; a pattern
 * reaches pgrep byte for byte after "--".
 */
static void
test_action_signal(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "stop");
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT, want = HV_BUF_INIT;
	char		 name[16], env[64], stopped[256], *s;
	pid_t		 a, b, other;
	size_t		 i;

	f->ctx.dead_man_ms = 30000;
	snprintf(name, sizeof name, "hvv%d", (int)getpid() % 100000);
	a = named_victim(f, name);
	b = named_victim(f, name);
	other = named_victim(f, "hvother");
	usleep(100 * 1000);
	kill(b, SIGSTOP);
	assert_true(wait_state(b, 'T', 0, 2000));
	call = action(f, "process.kill", map_of("name", name, "signal", "STOP",
	    NULL), tag);
	assert_int_equal(run_call(f, call, 0, NULL, &out), 0);
	assert_true(wait_state(a, 'T', 0, 2000));
	assert_true(proc_state(other) == 'S');
	pidfile_of(tag, "stopped", stopped, sizeof stopped);
	s = read_text(stopped);
	hv_buf_printf(&want, "%d\n", (int)a);
	assert_string_equal(s, want.s);
	free(s);
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	assert_true(wait_state(a, 'T', 1, 2000));
	/* The one stopped by someone else stays stopped. */
	assert_true(proc_state(b) == 'T');
	assert_false(exists(stopped));
	assert_false(exists(f->log));

	/* Hostile names: no process has them; nothing runs. */
	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		call = action(f, "process.kill", map_of("name", evil[i],
		    "signal", "STOP", NULL), new_tag(f, "evil"));
		if (call->driver->check(call, &call->err) == -1) {
			forget_tag(f);
			continue;
		}
		assert_int_equal(run_call(f, call, 0, NULL, &out), 1);
		assert_string_equal(out.s, "no running process matched\n");
		assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
		forget_tag(f);
	}
	assert_false(exists(f->log));

	/* A pattern: to pgrep as it is, after --; the pids it gives. */
	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		call = action(f, "process.kill", map_of("pattern", evil[i],
		    "signal", "STOP", NULL), new_tag(f, "pat"));
		if (call->driver->check(call, &call->err) == -1) {
			forget_tag(f);
			continue;
		}
		snprintf(env, sizeof env, "STUB_PIDS=%d", (int)a);
		assert_int_equal(run_call(f, call, 0, env, NULL), 0);
		assert_true(wait_state(a, 'T', 0, 2000));
		hv_buf_reset(&want);
		hv_buf_printf(&want, "pgrep -f|--|%s", evil[i]);
		assert_calls(f, want.s);
		assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
		assert_true(wait_state(a, 'T', 1, 2000));
		forget_tag(f);
	}
	/* A long pattern (1 KiB) reaches pgrep whole. */
	hv_buf_reset(&want);
	hv_buf_puts(&want, "pgrep -f|--|");
	for (i = 0; i < 1024; i++)
		hv_buf_putc(&want, "a'$`\" ]["[i % 7]);
	call = action(f, "process.kill", map_of("pattern", want.s + 12,
	    "signal", "STOP", NULL), new_tag(f, "long"));
	assert_accepted(call);
	assert_int_equal(run_call(f, call, 0, NULL, &out), 1);
	assert_string_equal(out.s, "no running process matched\n");
	assert_calls(f, want.s);
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	forget_tag(f);
	/*
	 * Not this shell, nor the dead-man timer armed just before (a job):
	 * the tag, unique to this test, is on both their command lines; the
	 * real pgrep finds them.
	 */
	tag = new_tag(f, "self");
	call = action(f, "process.kill", map_of("pattern", tag, "signal",
	    "STOP", NULL), tag);
	hv_buf_reset(&want);
	hv_buf_printf(&want, "hv_signal STOP pattern %s", tag);
	assert_shown(call, 0, want.s);
	hv_buf_reset(&out);
	assert_int_equal(run_call(f, call, 0, "PATH=/usr/bin:/bin", &out), 1);
	assert_string_equal(out.s, "no running process matched\n");
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	kill(b, SIGCONT);
	hv_buf_release(&out);
	hv_buf_release(&want);
}

/* service.stop, .start, .restart: service(8) or systemctl's argv. */
static void
test_action_service(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "svc");
	struct hv_call	*call;
	struct hv_buf	 out = HV_BUF_INIT;
	char		 mark[256];

	f->ctx.dead_man_ms = 30000;
	snprintf(mark, sizeof mark, "%s/%s.stopped", f->keep, tag);
	call = action(f, "service.stop", map_of("name", "nginx", NULL), tag);
	assert_shown(call, 0, "hv_service_stop nginx");
	assert_shown(call, 1, "hv_service_restore nginx");
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	if (access("/run/systemd/system", F_OK) == 0)
		assert_calls(f, "systemctl status|--|nginx\n"
		    "systemctl stop|--|nginx");
	else
		assert_calls(f, "service nginx|status\nservice nginx|stop");
	assert_true(exists(mark));
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	if (access("/run/systemd/system", F_OK) == 0)
		assert_calls(f, "systemctl start|--|nginx");
	else
		assert_calls(f, "service nginx|start");
	assert_false(exists(mark));
	assert_false(exists(f->keep));

	/* Not running: refused; its revert starts nothing. */
	tag = new_tag(f, "svc2");
	call = action(f, "service.stop", map_of("name", "nginx", NULL), tag);
	assert_int_equal(run_call(f, call, 0, "STUB_STATUS=3", &out), 1);
	assert_non_null(strstr(out.s, "nginx is not running; havoc leaves it "
	    "alone"));
	unlink(f->log);
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	assert_false(exists(f->log));

	call = action(f, "service.restart", map_of("name", "ssh", NULL), tag);
	assert_shown(call, 0, "hv_service restart ssh");
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	if (access("/run/systemd/system", F_OK) != 0)
		assert_calls(f, "service ssh|restart");
	hv_buf_release(&out);
}

/* disk.fill: in a folder with a hostile name, and gone after. */
static void
test_action_fill(void **state)
{
	struct fixture	*f = *state;
	struct hv_call	*call;
	struct hv_buf	 dir = HV_BUF_INIT, file = HV_BUF_INIT;
	struct hv_buf	 want = HV_BUF_INIT;
	struct stat	 st;
	const char	*tag;
	size_t		 i;

	f->ctx.dead_man_ms = 30000;
	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		if (strchr(evil[i], '\n') != NULL)
			continue;
		tag = new_tag(f, "fill");
		hv_buf_reset(&dir);
		hv_buf_printf(&dir, "%s/%s", f->dir, evil[i]);
		assert_int_equal(mkdir(dir.s, 0700), 0);
		call = action(f, "disk.fill", map_of("path", dir.s, "size",
		    "1M", NULL), tag);
		assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
		hv_buf_reset(&want);
		hv_buf_printf(&want, "fallocate -l|1048576|--|%s/havoc-fill-%s",
		    dir.s, tag);
		assert_calls(f, want.s);
		/* fallocate fails: dd writes it instead. */
		hv_buf_reset(&file);
		hv_buf_printf(&file, "%s/havoc-fill-%s", dir.s, tag);
		assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
		call = action(f, "disk.fill", map_of("path", dir.s, "size",
		    "1M", NULL), new_tag(f, "fill2"));
		hv_buf_reset(&file);
		hv_buf_printf(&file, "%s/havoc-fill-%s", dir.s, call->tag);
		assert_int_equal(run_call(f, call, 0, "STUB_FAIL_AT=1", NULL),
		    0);
		assert_int_equal(stat(file.s, &st), 0);
		assert_int_equal(st.st_size, 1048576);
		assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
		assert_false(exists(file.s));
		assert_int_equal(rmdir(dir.s), 0);
		unlink(f->log);
		forget_tag(f);
		forget_tag(f);
	}
	hv_buf_release(&dir);
	hv_buf_release(&file);
	hv_buf_release(&want);
}

/* security.add_user: useradd's argv, userdel only of the tagged one. */
static void
test_action_user(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "user");
	struct hv_call	*call;
	struct hv_buf	 want = HV_BUF_INIT, env = HV_BUF_INIT;
	struct hv_buf	 out = HV_BUF_INIT;
	struct hv_node	*m;
	size_t		 i;

	f->ctx.dead_man_ms = 30000;
	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		if (strchr(evil[i], '\n') != NULL)
			continue;
		m = map_of("name", "hvuser", "uid", "0", NULL);
		hv_buf_reset(&want);
		hv_buf_printf(&want, "/bin/%s", evil[i]);
		put(m, "shell", want.s);
		put_list(m, "groups", "sudo", "adm", NULL);
		call = action(f, "security.add_user", m, tag);
		assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
		hv_buf_reset(&want);
		hv_buf_printf(&want, "id -u|--|hvuser\nuseradd -M|-c|%s|-s|"
		    "/bin/%s|-o|-u|0|-G|sudo,adm|--|hvuser", tag, evil[i]);
		assert_calls(f, want.s);
		/* Reverted only when the account bears the tag. */
		hv_buf_reset(&env);
		hv_buf_printf(&env, "STUB_GECOS='%s'", tag);
		assert_int_equal(run_call(f, call, 1, env.s, NULL), 0);
		assert_calls(f, "getent passwd|--|hvuser\n"
		    "userdel -f|--|hvuser");
		/* It is marked reverted: a tag of its own for the next. */
		forget_tag(f);
		tag = new_tag(f, "user");
	}
	call = action(f, "security.add_user", map_of("name", "hvuser", NULL),
	    tag);
	assert_int_equal(run_call(f, call, 1, "STUB_GECOS=someone", NULL), 0);
	assert_calls(f, "getent passwd|--|hvuser");
	/* An account that exists: refused, untouched. */
	call = action(f, "security.add_user", map_of("name", "hvuser", NULL),
	    new_tag(f, "user2"));
	assert_int_equal(run_call(f, call, 0, "STUB_ID=0", &out), 1);
	assert_non_null(strstr(out.s, "user hvuser exists already"));
	assert_calls(f, "id -u|--|hvuser");
	hv_buf_release(&want);
	hv_buf_release(&env);
	hv_buf_release(&out);
}

/* security.open_port and stress.*: the background program's argv. */
static void
test_action_background(void **state)
{
	struct fixture	*f = *state;
	const char	*tag = new_tag(f, "port");
	struct hv_call	*call;
	struct hv_buf	 want = HV_BUF_INIT, dir = HV_BUF_INIT;
	char		 pidfile[256], *log;
	pid_t		 pid;

	f->ctx.dead_man_ms = 30000;
	call = action(f, "security.open_port", map_of("port", "1", "address",
	    "127.0.0.1", NULL), tag);
	assert_shown(call, 0, "hv_listen 127.0.0.1 1");
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	pidfile_of(tag, "listener", pidfile, sizeof pidfile);
	pid = assert_armed(pidfile);
	log = stub_calls(f);
	assert_int_equal(strncmp(log, "python3 -c|import socket, sys\n", 30),
	    0);
	assert_non_null(strstr(log, "c.close()|127.0.0.1|1"));
	free(log);
	unlink(f->log);
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	assert_false(group_alive(pid, 2000));

	tag = new_tag(f, "io");
	hv_buf_printf(&dir, "%s/%s", f->dir, evil[1]);
	call = action(f, "stress.io", map_of("path", dir.s, "size", "1M",
	    NULL), tag);
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	pidfile_of(tag, "stress", pidfile, sizeof pidfile);
	pid = assert_armed(pidfile);
	hv_buf_printf(&want, "stress-ng --hdd|1|--hdd-bytes|1M|--temp-path|"
	    "%s|--timeout|30s|--quiet", dir.s);
	assert_calls(f, want.s);
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	assert_false(group_alive(pid, 2000));
	assert_false(exists(pidfile));
	hv_buf_release(&want);
	hv_buf_release(&dir);
}

/*
 * security.tamper_file: every change with hostile content on a file with
 * a hostile name, written byte for byte and restored exactly (content
 * and mode); a file that was not there is made, then removed.
 */
static void
test_action_tamper(void **state)
{
	struct fixture	*f = *state;
	static const char *const modes[] = { "append", "replace", "chmod",
	    "delete" };
	struct hv_call	*call;
	struct hv_buf	 path = HV_BUF_INIT, want = HV_BUF_INIT;
	struct hv_buf	 dir = HV_BUF_INIT;
	struct stat	 st;
	const char	*tag;
	char		*s;
	size_t		 i, j;

	f->ctx.dead_man_ms = 30000;
	for (i = 0; i < HV_ARRAY_LEN(evil); i++) {
		hv_buf_reset(&path);
		hv_buf_printf(&path, "%s/t %s", f->dir, evil[i]);
		if (strchr(evil[i], '\n') != NULL)
			continue;
		for (j = 0; j < HV_ARRAY_LEN(modes); j++) {
			tag = new_tag(f, "tamper");
			write_file(path.s, "orig\n", 0640);
			assert_int_equal(chmod(path.s, 0640), 0);
			call = action(f, "security.tamper_file", map_of("path",
			    path.s, "mode", modes[j], "content", evil[i],
			    "chmod", "0604", NULL), tag);
			assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
			s = read_text(path.s);
			hv_buf_reset(&want);
			if (j == 0)
				hv_buf_printf(&want, "orig\n%s", evil[i]);
			else if (j == 1)
				hv_buf_puts(&want, evil[i]);
			else if (j == 2)
				hv_buf_puts(&want, "orig\n");
			if (j == 3)
				assert_null(s);
			else
				assert_string_equal(s, want.s);
			free(s);
			if (j == 2) {
				assert_int_equal(stat(path.s, &st), 0);
				assert_int_equal(st.st_mode & 0777, 0604);
			}
			assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
			assert_content(path.s, "orig\n");
			assert_int_equal(stat(path.s, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0640);
			assert_false(exists(f->keep));
			forget_tag(f);
		}
		assert_int_equal(unlink(path.s), 0);
	}
	/*
	 * Long values: 16 KiB of content (an eighth of it quotes), a file
	 * name of 200 bytes, each written and put back byte for byte; a
	 * command too long for a host's shell is refused, with the reason.
	 */
	tag = new_tag(f, "tamperlong");
	hv_buf_reset(&path);
	hv_buf_printf(&path, "%s/", f->dir);
	for (i = 0; i < 200; i++)
		hv_buf_putc(&path, "a'$`\" \\*"[i % 8]);
	hv_buf_reset(&want);
	for (i = 0; i < 100000; i++)
		hv_buf_putc(&want, "x'$(`\n\"\\"[i % 8]);
	call = action(f, "security.tamper_file", map_of("path", path.s,
	    "mode", "replace", "content", want.s, NULL), tag);
	hv_buf_reset(&dir);
	assert_int_equal(hv_remote_command(call, 0, &dir), -1);
	assert_non_null(strstr(call->err.s, "more than a host's shell takes "
	    "(122880): shorten the values"));
	assert_string_equal(dir.s, "");
	hv_buf_reset(&want);
	for (i = 0; i < 16384; i++)
		hv_buf_putc(&want, "x'$(`\n\"\\"[i % 8]);
	write_file(path.s, "orig\n", 0640);
	call = action(f, "security.tamper_file", map_of("path", path.s,
	    "mode", "replace", "content", want.s, NULL), tag);
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	assert_content(path.s, want.s);
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	assert_content(path.s, "orig\n");
	assert_int_equal(unlink(path.s), 0);
	forget_tag(f);
	/* None there: made, then removed. */
	tag = new_tag(f, "tampernew");
	hv_buf_reset(&path);
	hv_buf_printf(&path, "%s/new $(touch pwned)", f->dir);
	call = action(f, "security.tamper_file", map_of("path", path.s,
	    "mode", "replace", "content", evil[8], NULL), tag);
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	assert_content(path.s, evil[8]);
	assert_int_equal(run_call(f, call, 1, NULL, NULL), 0);
	assert_false(exists(path.s));
	assert_false(exists(f->keep));
	assert_false(exists(f->log));
	hv_buf_release(&path);
	hv_buf_release(&want);
	hv_buf_release(&dir);
}

/*
 * host.reboot's command runs detached, later (only a command of the
 * test's own is run: never a reboot of this machine).
 */
static void
test_action_later(void **state)
{
	struct fixture	*f = *state;
	struct hv_call	*call;
	struct hv_buf	 cmd = HV_BUF_INIT;
	int64_t		 t0;

	call = action(f, "host.reboot", map_of("delay", "200ms", NULL), NULL);
	assert_shown(call, 0, "hv_later 0.200 'reboot || shutdown -r now'");
	call = action(f, "host.shutdown", map_of("delay", "2s", NULL), NULL);
	assert_shown(call, 0, "hv_later 2.000 'poweroff || shutdown -h now'");
	hv_buf_printf(&cmd, "echo rebooted >>'%s'", f->state);
	call = action(f, "host.reboot", map_of("delay", "300ms", "command",
	    cmd.s, NULL), NULL);
	t0 = hv_mono_ms();
	assert_int_equal(run_call(f, call, 0, NULL, NULL), 0);
	assert_true(hv_mono_ms() - t0 < 300);
	assert_false(exists(f->state));
	assert_true(wait_content(f->state, "rebooted\n", 3000) - t0 >= 300);
	hv_buf_release(&cmd);
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
		T(test_inject_after_its_revert),
		T(test_revert_waits_for_inject),
		T(test_revert_gives_up),
		T(test_inject_outlives_its_channel),
		T(test_killed_inject_keeps_timer),
		T(test_bg_start_stop),
		T(test_bg_stop_escalates),
		T(test_iptables_rules),
		T(test_tc_handles),
		T(test_hostile_tags),
		T(test_foreign_files),
		T(test_stale_pidfile),
		T(test_stop_during_exec),
		T(test_command_timeout),
		T(test_library),
		T(test_checks_refuse),
		T(test_action_rules),
		T(test_action_tc),
		T(test_action_signal),
		T(test_action_service),
		T(test_action_fill),
		T(test_action_user),
		T(test_action_background),
		T(test_action_tamper),
		T(test_action_later),
	};

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("prctl");
		return 1;
	}
	remote_dir_existed = access(HV_REMOTE_DIR, F_OK) == 0;
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
