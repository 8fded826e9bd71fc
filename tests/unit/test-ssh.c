/*
 * test-ssh.c - the SSH engine against real OpenSSH servers on 127.0.0.1.
 *
 * The group setup makes a temporary directory with an ed25519 host key,
 * a second host key (for a known_hosts that does not match), a client key
 * and a wrong client key, and starts NSSHD sshd -D -e on free ports, each
 * logging to its own file (sshd 1 at DEBUG1, which also sends a few
 * debug lines to the commands' stderr). Teardown kills and reaps them.
 * Other tests run their own "servers" in the test's loop: a listening
 * socket that never answers (a handshake that hangs) and one that counts
 * connections. No traffic leaves the loopback interface; every wait is
 * bounded.
 *
 * The tests need root (sshd and PermitRootLogin); otherwise they skip.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "httpd.h"
#include "loop.h"
#include "ssh.h"
#include "util.h"

#define NSSHD		3
#define SSHD		"/usr/sbin/sshd"
#define WAIT_MS		15000	/* the longest any test waits for a result */

struct sshd {
	pid_t	 pid;
	int	 port;
	char	*log;
};

static struct sshd	 sshd[NSSHD];
static char		 dir[64];
static char		*client_key, *client_key2, *wrong_key;
static char		*kh_good, *kh_bad, *host_pub, *host_pub2;
static int		 fixture_ok;
static char		 skip_why[256];

/* ---- the fixture ---------------------------------------------------- */

static char *
path_of(const char *name)
{
	return hv_xasprintf("%s/%s", dir, name);
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int	fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	return close(fd) == 0 && ok ? 0 : -1;
}

static char *
read_text(const char *path)
{
	struct hv_buf	b = HV_BUF_INIT, err = HV_BUF_INIT;

	if (hv_read_file(path, &b, &err) == -1) {
		hv_buf_release(&err);
		hv_buf_release(&b);
		return NULL;
	}
	hv_buf_release(&err);
	return hv_buf_detach(&b);
}

/* Runs argv quietly; its exit status, or -1. */
static int
run_quiet(char *const argv[], const char *env_sock)
{
	pid_t	pid;
	int	st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (env_sock != NULL)
			setenv("SSH_AUTH_SOCK", env_sock, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
keygen(const char *name, const char *passphrase)
{
	char	*path = path_of(name);
	char	*argv[] = { "/usr/bin/ssh-keygen", "-q", "-t", "ed25519",
		    "-N", (char *)passphrase, "-C", "havoc-test", "-f", path,
		    NULL };
	int	 rc;

	rc = run_quiet(argv, NULL);
	free(path);
	return rc;
}

static int
sshd_start(struct sshd *d, int i)
{
	char	*cfg, *text, *name;
	int	 fd;
	char	*argv[] = { SSHD, "-D", "-e", "-f", NULL, NULL };

	d->port = httpd_unused_port();
	name = hv_xasprintf("sshd%d.conf", i);
	cfg = path_of(name);
	free(name);
	name = hv_xasprintf("sshd%d.log", i);
	d->log = path_of(name);
	free(name);
	text = hv_xasprintf(
	    "Port %d\n"
	    "ListenAddress 127.0.0.1\n"
	    "HostKey %s/host_key\n"
	    "AuthorizedKeysFile %s/authorized_keys\n"
	    "PubkeyAuthentication yes\n"
	    "PasswordAuthentication no\n"
	    "KbdInteractiveAuthentication no\n"
	    "UsePAM no\n"
	    "StrictModes no\n"
	    "PidFile none\n"
	    "PermitRootLogin yes\n"
	    "UseDNS no\n"
	    "PrintMotd no\n"
	    "MaxStartups 100\n"
	    "MaxSessions 20\n"
	    "LogLevel %s\n",
	    d->port, dir, dir, i == 1 ? "DEBUG1" : "VERBOSE");
	if (write_file(cfg, text, 0600) == -1)
		goto fail;
	argv[4] = cfg;
	if ((d->pid = fork()) == -1)
		goto fail;
	if (d->pid == 0) {
		setpgid(0, 0);
		fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(d->pid, d->pid);
	free(cfg);
	free(text);
	return httpd_wait_port(d->port, 5000);
fail:
	free(cfg);
	free(text);
	return -1;
}

/* "[127.0.0.1]:port type key" lines for every sshd, from a .pub file. */
static int
write_known_hosts(const char *path, const char *pub)
{
	struct hv_buf	 b = HV_BUF_INIT;
	char		*text;
	size_t		 n;
	int		 i, rc;

	if ((text = read_text(pub)) == NULL)
		return -1;
	/* "ssh-ed25519 AAAA... comment": keep the first two fields. */
	n = strcspn(text, " ");
	n += 1 + strcspn(text + n + 1, " \n");
	for (i = 0; i < NSSHD; i++)
		hv_buf_printf(&b, "[127.0.0.1]:%d %.*s\n", sshd[i].port,
		    (int)n, text);
	rc = write_file(path, b.s, 0600);
	hv_buf_release(&b);
	free(text);
	return rc;
}

static int
fixture_up(void **state)
{
	char	*ak = NULL, *pub = NULL, *key = NULL, *key2 = NULL;
	char	*both = NULL;
	int	 i;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() != 0) {
		snprintf(skip_why, sizeof skip_why, "not root: the sshd "
		    "fixture needs root (PermitRootLogin)");
		return 0;
	}
	if (access(SSHD, X_OK) == -1 ||
	    access("/usr/bin/ssh-keygen", X_OK) == -1) {
		snprintf(skip_why, sizeof skip_why, "openssh-server or "
		    "ssh-keygen is not installed");
		return 0;
	}
	/* sshd refuses to start without its privilege separation directory. */
	(void)mkdir("/run/sshd", 0755);
	snprintf(dir, sizeof dir, "/tmp/havoc-test-ssh.XXXXXX");
	if (mkdtemp(dir) == NULL)
		goto fail;
	if (keygen("host_key", "") != 0 || keygen("host_key2", "") != 0 ||
	    keygen("client", "") != 0 || keygen("wrong", "") != 0 ||
	    keygen("locked", "open sesame") != 0)
		goto fail;
	client_key = path_of("client");
	wrong_key = path_of("wrong");
	host_pub = path_of("host_key.pub");
	host_pub2 = path_of("host_key2.pub");
	/* The same key under another path: another session to one host. */
	client_key2 = path_of("client-copy");
	if ((key = read_text(client_key)) == NULL ||
	    write_file(client_key2, key, 0600) == -1)
		goto fail;
	pub = path_of("client.pub");
	ak = read_text(pub);
	free(pub);
	pub = path_of("locked.pub");
	key2 = read_text(pub);
	free(pub);
	pub = path_of("authorized_keys");
	if (ak == NULL || key2 == NULL)
		goto fail;
	both = hv_xasprintf("%s%s", ak, key2);
	if (write_file(pub, both, 0600) == -1)
		goto fail;
	for (i = 0; i < NSSHD; i++) {
		if (sshd_start(&sshd[i], i) == -1)
			goto fail;
	}
	kh_good = path_of("known_hosts");
	kh_bad = path_of("known_hosts.bad");
	if (write_known_hosts(kh_good, host_pub) == -1 ||
	    write_known_hosts(kh_bad, host_pub2) == -1)
		goto fail;
	fixture_ok = 1;
fail:
	if (!fixture_ok)
		snprintf(skip_why, sizeof skip_why, "the sshd fixture did "
		    "not come up in %s", dir);
	free(ak);
	free(pub);
	free(key);
	free(key2);
	free(both);
	return 0;
}

static int
fixture_down(void **state)
{
	char	*argv[] = { "/bin/rm", "-rf", dir, NULL };
	int	 i;

	(void)state;
	for (i = 0; i < NSSHD; i++) {
		if (sshd[i].pid > 0) {
			kill(-sshd[i].pid, SIGKILL);
			kill(sshd[i].pid, SIGKILL);
			while (waitpid(sshd[i].pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
			sshd[i].pid = 0;
		}
		free(sshd[i].log);
	}
	if (dir[0] != '\0' && getenv("HAVOC_KEEP_TEST_DIR") == NULL)
		run_quiet(argv, NULL);
	free(client_key);
	free(client_key2);
	free(wrong_key);
	free(kh_good);
	free(kh_bad);
	free(host_pub);
	free(host_pub2);
	return 0;
}

#define NEED_FIXTURE() do {						\
	if (!fixture_ok) {						\
		print_message("skipped: %s\n", skip_why);		\
		skip();							\
	}								\
} while (0)

/* ---- helpers -------------------------------------------------------- */

struct got {
	int			 n;
	int			 want;
	int			 free_in_cb;
	struct hv_ssh_exec	*last;
};

static void
on_cb(struct hv_ssh_exec *x, void *arg)
{
	struct got	*g = arg;

	g->n++;
	g->last = x;
	if (g->free_in_cb)
		hv_ssh_exec_free(x);
}

static int
enough(void *arg)
{
	struct got	*g = arg;

	return g->n >= g->want;
}

static void
run_until(struct hv_loop *loop, struct got *g, int64_t ms)
{
	hv_loop_run(loop, enough, g, hv_mono_ms() + ms);
}

/* Lets the loop run for ms, whatever happens. */
static void
idle(struct hv_loop *loop, int64_t ms)
{
	hv_loop_run(loop, NULL, NULL, hv_mono_ms() + ms);
}

static struct hv_ssh_target
target(int i)
{
	struct hv_ssh_target	t;

	memset(&t, 0, sizeof t);
	t.name = "web";
	t.address = "127.0.0.1";
	t.port = sshd[i].port;
	t.user = "root";
	t.identity = client_key;
	t.known_hosts = kh_good;
	t.connect_timeout_ms = 5000;
	return t;
}

/* Runs one command to its callback; the exec is the caller's to free. */
static struct hv_ssh_exec *
run1(struct hv_loop *loop, const struct hv_ssh_target *t, const char *cmd,
    const char *input, int64_t timeout_ms)
{
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 1, 0, NULL };
	struct hv_ssh_exec	*x;

	x = hv_ssh_run(hv_ssh_get(loop), t, cmd, input, timeout_ms, on_cb, &g,
	    &err);
	assert_non_null(x);
	assert_int_equal(g.n, 0);	/* never from inside hv_ssh_run */
	run_until(loop, &g, WAIT_MS);
	assert_int_equal(g.n, 1);
	hv_buf_release(&err);
	return x;
}

static void
assert_contains(const char *s, const char *part)
{
	if (strstr(s, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

static void
assert_ok(const struct hv_ssh_res *r)
{
	if (r->error.len != 0)
		fail_msg("unexpected error: %s", r->error.s);
	assert_int_equal(r->connected, 1);
	assert_int_equal(r->timed_out, 0);
}

static size_t
file_size(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

/* What an sshd logged from offset on. */
static char *
log_since(int i, size_t off)
{
	char	*text = read_text(sshd[i].log), *tail;

	if (text == NULL)
		return hv_xstrdup("");
	tail = hv_xstrdup(strlen(text) >= off ? text + off : "");
	free(text);
	return tail;
}

/* Waits (bounded) until sshd i logged part after off. */
static char *
wait_log(int i, size_t off, const char *part, int ms)
{
	int64_t	 end = hv_mono_ms() + ms;
	char	*tail;

	for (;;) {
		tail = log_since(i, off);
		if (strstr(tail, part) != NULL || hv_mono_ms() >= end)
			return tail;
		free(tail);
		usleep(20000);
	}
}

/* Whether a process is gone (or only a zombie waiting for its parent). */
static int
process_gone(long pid)
{
	char	 path[64], *stat;
	int	 gone;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((stat = read_text(path)) == NULL)
		return 1;
	gone = strstr(stat, ") Z ") != NULL;
	free(stat);
	return gone;
}

static int
wait_gone(long pid, int ms)
{
	int64_t	end = hv_mono_ms() + ms;

	while (!process_gone(pid)) {
		if (hv_mono_ms() >= end)
			return 0;
		usleep(20000);
	}
	return 1;
}

/* ---- servers in the test's loop ------------------------------------ */

/*
 * A server that accepts and never says a word, counting the connections
 * open at once: what the engine's setup limit looks like from outside.
 */
struct mute {
	struct hv_loop	*loop;
	int		 lfd;
	int		 port;
	int		 conns[64];
	int		 n;
	int		 max;
	int		 total;
};

/* Reads what a connection sent; 1 when the client closed it. */
static int
mute_drain(int fd)
{
	char	buf[512];
	ssize_t	r;

	for (;;) {
		r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r > 0)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return 1;
	}
}

static void
mute_prune(struct mute *m)
{
	int	i;

	for (i = 0; i < m->n;) {
		if (mute_drain(m->conns[i])) {
			hv_loop_fd(m->loop, m->conns[i], 0, NULL, NULL);
			close(m->conns[i]);
			m->conns[i] = m->conns[--m->n];
		} else
			i++;
	}
}

static void
on_mute_conn(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	mute_prune(arg);
}

static void
on_mute_accept(int fd, short revents, void *arg)
{
	struct mute	*m = arg;
	int		 c;

	(void)revents;
	while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		mute_prune(m);
		if (m->n == (int)HV_ARRAY_LEN(m->conns)) {
			close(c);
			continue;
		}
		m->conns[m->n++] = c;
		m->total++;
		if (m->n > m->max)
			m->max = m->n;
		hv_loop_fd(m->loop, c, POLLIN, on_mute_conn, m);
	}
}

static void
mute_start(struct mute *m, struct hv_loop *loop, int accepting)
{
	memset(m, 0, sizeof *m);
	m->loop = loop;
	m->lfd = httpd_listen(64, &m->port);
	assert_true(m->lfd != -1);
	fcntl(m->lfd, F_SETFL, O_NONBLOCK);
	if (accepting)
		hv_loop_fd(loop, m->lfd, POLLIN, on_mute_accept, m);
}

static void
mute_stop(struct mute *m)
{
	int	i;

	for (i = 0; i < m->n; i++) {
		hv_loop_fd(m->loop, m->conns[i], 0, NULL, NULL);
		close(m->conns[i]);
	}
	hv_loop_fd(m->loop, m->lfd, 0, NULL, NULL);
	close(m->lfd);
}

/* ---- the tests ------------------------------------------------------ */

static void
test_run(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	int64_t			 t0;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(0);
	t0 = hv_mono_ms();
	x = run1(loop, &t, "echo hello; echo err >&2; exit 3", NULL, 0);
	print_message("first command (connect included): %lld ms\n",
	    (long long)(hv_mono_ms() - t0));
	r = hv_ssh_result(x);
	assert_ok(r);
	assert_int_equal(r->exit_status, 3);
	assert_null(r->exit_signal);
	assert_string_equal(r->out.s, "hello\n");
	assert_string_equal(r->err.s, "err\n");
	assert_true(r->elapsed_ms >= 0 && r->elapsed_ms < 5000);
	hv_ssh_exec_free(x);

	/* Killed by a signal: the signal, and no exit status. */
	t0 = hv_mono_ms();
	x = run1(loop, &t, "echo before; kill -KILL $$", NULL, 0);
	print_message("second command (same session): %lld ms\n",
	    (long long)(hv_mono_ms() - t0));
	r = hv_ssh_result(x);
	assert_ok(r);
	assert_string_equal(r->out.s, "before\n");
	assert_non_null(r->exit_signal);
	assert_string_equal(r->exit_signal, "KILL");
	assert_int_equal(r->exit_status, -1);
	hv_ssh_exec_free(x);

	hv_ssh_stats(hv_ssh_get(loop), &st);
	assert_int_equal(st.handshakes, 1);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.commands, 2);
	assert_int_equal(st.failures, 0);
	hv_loop_free(loop);
}

static void
test_input(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	char			*big;
	size_t			 n = 300000;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(0);
	x = run1(loop, &t, "cat", "line one\nline two\n", 0);
	r = hv_ssh_result(x);
	assert_ok(r);
	assert_int_equal(r->exit_status, 0);
	assert_string_equal(r->out.s, "line one\nline two\n");
	hv_ssh_exec_free(x);

	/* More than a window and many packets: every byte arrives. */
	big = hv_xmalloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	x = run1(loop, &t, "wc -c", big, 0);
	r = hv_ssh_result(x);
	assert_ok(r);
	assert_int_equal(strtol(r->out.s, NULL, 10), (long)n);
	hv_ssh_exec_free(x);

	/* Echoed back: out is capped, the rest is read and dropped. */
	x = run1(loop, &t, "cat; echo done >&2", big, 0);
	r = hv_ssh_result(x);
	assert_ok(r);
	assert_int_equal(r->exit_status, 0);
	assert_int_equal(r->out.len, HV_OUTPUT_MAX);
	assert_int_equal(r->out.s[HV_OUTPUT_MAX - 1], 'a');
	assert_string_equal(r->err.s, "done\n");
	hv_ssh_exec_free(x);

	/* A command that reads none of its input still ends. */
	x = run1(loop, &t, "echo ignored", big, 0);
	r = hv_ssh_result(x);
	assert_ok(r);
	assert_string_equal(r->out.s, "ignored\n");
	hv_ssh_exec_free(x);
	free(big);
	hv_loop_free(loop);
}

static void
test_reuse(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh		*eng;
	struct hv_ssh_exec	*x[2];
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 2, 0, NULL };
	int			 i;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	eng = hv_ssh_get(loop);
	t = target(1);
	x[0] = run1(loop, &t, "echo one", NULL, 0);
	x[1] = run1(loop, &t, "echo two", NULL, 0);
	assert_string_equal(hv_ssh_result(x[0])->out.s, "one\n");
	assert_string_equal(hv_ssh_result(x[1])->out.s, "two\n");
	hv_ssh_stats(eng, &st);
	assert_int_equal(st.handshakes, 1);
	assert_int_equal(st.open, 1);
	for (i = 0; i < 2; i++)
		hv_ssh_exec_free(x[i]);

	/* Two at once on a new session: both wait for the same setup. */
	t.port = sshd[2].port;
	for (i = 0; i < 2; i++) {
		x[i] = hv_ssh_run(eng, &t, "echo both", NULL, 0, on_cb, &g,
		    &err);
		assert_non_null(x[i]);
	}
	run_until(loop, &g, WAIT_MS);
	assert_int_equal(g.n, 2);
	for (i = 0; i < 2; i++) {
		assert_ok(hv_ssh_result(x[i]));
		hv_ssh_exec_free(x[i]);
	}
	hv_ssh_stats(eng, &st);
	assert_int_equal(st.handshakes, 2);
	assert_int_equal(st.open, 2);
	assert_int_equal(st.commands, 4);
	hv_buf_release(&err);
	hv_loop_free(loop);
}

/* Reads "start\nend\n" (nanoseconds on the host) from a command. */
static void
span_of(const struct hv_ssh_res *r, long long *start, long long *end)
{
	char	*p;

	*start = strtoll(r->out.s, &p, 10);
	*end = strtoll(p, NULL, 10);
	assert_true(*start > 0 && *end > *start);
}

/* The most commands that ran at one time, from their spans. */
static int
most_at_once(struct hv_ssh_exec **x, int n)
{
	long long	s0, e0, s1, e1;
	int		i, j, k, most = 0;

	for (i = 0; i < n; i++) {
		span_of(hv_ssh_result(x[i]), &s0, &e0);
		for (k = 0, j = 0; j < n; j++) {
			span_of(hv_ssh_result(x[j]), &s1, &e1);
			if (s1 <= s0 && s0 < e1)
				k++;
		}
		if (k > most)
			most = k;
	}
	return most;
}

#define SPAN_CMD(s) "date +%s%N; sleep " s "; date +%s%N"

static void
test_concurrent(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh		*eng;
	struct hv_ssh_exec	*x[20];
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 20, 0, NULL };
	int64_t			 t0;
	int			 i, most;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	eng = hv_ssh_get(loop);

	/* Twenty on three hosts: all of them run at the same time. */
	t0 = hv_mono_ms();
	for (i = 0; i < 20; i++) {
		t = target(i % NSSHD);
		x[i] = hv_ssh_run(eng, &t, SPAN_CMD("3"), NULL, 0, on_cb, &g,
		    &err);
		assert_non_null(x[i]);
	}
	run_until(loop, &g, WAIT_MS);
	assert_int_equal(g.n, 20);
	for (i = 0; i < 20; i++)
		assert_ok(hv_ssh_result(x[i]));
	most = most_at_once(x, 20);
	print_message("20 commands of 3 s on 3 hosts: %lld ms, %d at once\n",
	    (long long)(hv_mono_ms() - t0), most);
	assert_int_equal(most, 20);
	for (i = 0; i < 20; i++)
		hv_ssh_exec_free(x[i]);
	hv_ssh_stats(eng, &st);
	assert_int_equal(st.handshakes, NSSHD);
	assert_int_equal(st.commands, 20);

	/* Twelve on one session: never more than eight channels. */
	g.n = 0;
	g.want = 12;
	t0 = hv_mono_ms();
	t = target(0);
	for (i = 0; i < 12; i++) {
		x[i] = hv_ssh_run(eng, &t, SPAN_CMD("1"), NULL, 0, on_cb, &g,
		    &err);
		assert_non_null(x[i]);
	}
	run_until(loop, &g, WAIT_MS);
	assert_int_equal(g.n, 12);
	for (i = 0; i < 12; i++)
		assert_ok(hv_ssh_result(x[i]));
	most = most_at_once(x, 12);
	print_message("12 commands of 1 s on one session: %lld ms, %d at "
	    "once\n", (long long)(hv_mono_ms() - t0), most);
	assert_true(most >= 2 && most <= 8);
	for (i = 0; i < 12; i++)
		hv_ssh_exec_free(x[i]);

	/* Callbacks that free their exec. */
	g.n = 0;
	g.want = 3;
	g.free_in_cb = 1;
	for (i = 0; i < 3; i++)
		assert_non_null(hv_ssh_run(eng, &t, "echo", NULL, 0, on_cb,
		    &g, &err));
	run_until(loop, &g, WAIT_MS);
	assert_int_equal(g.n, 3);
	hv_ssh_stats(eng, &st);
	assert_int_equal(st.handshakes, NSSHD);
	hv_buf_release(&err);
	hv_loop_free(loop);
}

static void
test_timeout(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	int64_t			 t0;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(0);
	x = run1(loop, &t, "true", NULL, 0);	/* the session is up */
	hv_ssh_exec_free(x);

	t0 = hv_mono_ms();
	x = run1(loop, &t, "sleep 10", NULL, 500);
	print_message("timeout of 500 ms reported after %lld ms\n",
	    (long long)(hv_mono_ms() - t0));
	r = hv_ssh_result(x);
	assert_int_equal(r->timed_out, 1);
	assert_int_equal(r->exit_status, -1);
	assert_contains(r->error.s, "web (127.0.0.1:");
	assert_contains(r->error.s, "command timed out after 500 ms");
	assert_true(r->elapsed_ms >= 450 && r->elapsed_ms < 2500);
	hv_ssh_exec_free(x);

	/* The session is still good. */
	x = run1(loop, &t, "echo after", NULL, 2000);
	assert_ok(hv_ssh_result(x));
	assert_string_equal(hv_ssh_result(x)->out.s, "after\n");
	hv_ssh_exec_free(x);
	hv_ssh_stats(hv_ssh_get(loop), &st);
	assert_int_equal(st.handshakes, 1);
	hv_loop_free(loop);
}

static void
test_cancel(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh		*eng;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 1, 0, NULL };

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	eng = hv_ssh_get(loop);
	t = target(1);

	/* Cancelled while running: the callback comes from the loop. */
	x = hv_ssh_run(eng, &t, "sleep 10", NULL, 0, on_cb, &g, &err);
	assert_non_null(x);
	idle(loop, 500);
	assert_int_equal(g.n, 0);
	hv_ssh_cancel(x);
	assert_int_equal(g.n, 0);
	run_until(loop, &g, 2000);
	assert_int_equal(g.n, 1);
	r = hv_ssh_result(x);
	assert_string_equal(r->error.s, "cancelled");
	assert_int_equal(r->exit_status, -1);
	hv_ssh_cancel(x);	/* a finished exec: nothing happens */
	hv_ssh_exec_free(x);

	/* Freed while running: no callback at all. */
	g.n = 0;
	x = hv_ssh_run(eng, &t, "sleep 10", NULL, 0, on_cb, &g, &err);
	idle(loop, 300);
	hv_ssh_exec_free(x);
	idle(loop, 500);
	assert_int_equal(g.n, 0);

	/* Cancelled before its session is even up. */
	t.port = sshd[2].port;
	x = hv_ssh_run(eng, &t, "echo never", NULL, 0, on_cb, &g, &err);
	hv_ssh_cancel(x);
	run_until(loop, &g, 2000);
	assert_int_equal(g.n, 1);
	assert_string_equal(hv_ssh_result(x)->error.s, "cancelled");
	assert_string_equal(hv_ssh_result(x)->out.s, "");
	hv_ssh_exec_free(x);

	/* The first session carries on. */
	t.port = sshd[1].port;
	x = run1(loop, &t, "echo still", NULL, 2000);
	assert_ok(hv_ssh_result(x));
	assert_string_equal(hv_ssh_result(x)->out.s, "still\n");
	hv_ssh_exec_free(x);
	hv_ssh_stats(eng, &st);
	assert_int_equal(st.failures, 0);
	hv_buf_release(&err);
	hv_loop_free(loop);
}

static void
test_hostkey_mismatch(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	char			*log;
	size_t			 off;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(2);
	t.known_hosts = kh_bad;
	t.tofu = 1;		/* a changed key is refused even so */
	off = file_size(sshd[2].log);
	x = run1(loop, &t, "echo no", NULL, 0);
	r = hv_ssh_result(x);
	print_message("%s\n", r->error.s);
	assert_int_equal(r->connected, 0);
	assert_int_equal(r->exit_status, -1);
	assert_contains(r->error.s, "web (127.0.0.1:");
	assert_contains(r->error.s, "host key does not match known_hosts");
	assert_contains(r->error.s, "SHA256:");
	hv_ssh_exec_free(x);
	hv_ssh_stats(hv_ssh_get(loop), &st);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.open, 0);

	/* The server saw the connection end before any authentication. */
	log = wait_log(2, off, "[preauth]", 3000);
	assert_contains(log, "[preauth]");
	if (strstr(log, "publickey") != NULL || strstr(log, "Accepted") !=
	    NULL || strstr(log, "Failed") != NULL ||
	    strstr(log, "Postponed") != NULL)
		fail_msg("the server saw an authentication attempt:\n%s", log);
	free(log);
	hv_loop_free(loop);
}

static void
test_hostkey_unknown(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	char			*kh, *kh2, *text, *pub, *want, *other;
	size_t			 n;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(0);

	/* Not there (only other hosts, a comment, a line libssh2 rejects). */
	kh = path_of("known_hosts.other");
	pub = read_text(host_pub);
	n = strcspn(pub, " ");
	n += 1 + strcspn(pub + n + 1, " \n");
	other = hv_xasprintf("# other hosts\n@cert-authority *.example.com "
	    "%.*s\n[10.1.2.3]:22 %.*s\n", (int)n, pub, (int)n, pub);
	assert_int_equal(write_file(kh, other, 0600), 0);
	t.known_hosts = kh;
	x = run1(loop, &t, "echo no", NULL, 0);
	r = hv_ssh_result(x);
	print_message("%s\n", r->error.s);
	assert_int_equal(r->connected, 0);
	assert_contains(r->error.s, "host is not in known_hosts");
	assert_contains(r->error.s, kh);
	hv_ssh_exec_free(x);

	/* A missing file is empty too. */
	kh2 = path_of("no-such-known_hosts");
	t.known_hosts = kh2;
	x = run1(loop, &t, "echo no", NULL, 0);
	assert_contains(hv_ssh_result(x)->error.s,
	    "host is not in known_hosts");
	hv_ssh_exec_free(x);
	hv_loop_free(loop);

	/* With tofu the key is recorded, in a new file... */
	loop = hv_loop_new();
	t.tofu = 1;
	x = run1(loop, &t, "echo yes", NULL, 0);
	assert_ok(hv_ssh_result(x));
	hv_ssh_exec_free(x);
	want = hv_xasprintf("[127.0.0.1]:%d %.*s\n", sshd[0].port, (int)n,
	    pub);
	text = read_text(kh2);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);

	/* ...or after what a file holds, even without a last newline. */
	other[strlen(other) - 1] = '\0';
	assert_int_equal(write_file(kh, other, 0600), 0);
	t.known_hosts = kh;
	t.port = sshd[1].port;
	x = run1(loop, &t, "echo yes", NULL, 0);
	assert_ok(hv_ssh_result(x));
	hv_ssh_exec_free(x);
	text = read_text(kh);
	free(want);
	want = hv_xasprintf("%s\n[127.0.0.1]:%d %.*s\n", other, sshd[1].port,
	    (int)n, pub);
	assert_string_equal(text, want);
	free(text);
	hv_loop_free(loop);

	/* Hashed names (ssh-keygen -H) work the same. */
	loop = hv_loop_new();
	{
		char	*argv[] = { "/usr/bin/ssh-keygen", "-q", "-H", "-f",
			    kh, NULL };

		assert_int_equal(run_quiet(argv, NULL), 0);
	}
	text = read_text(kh);
	assert_null(strstr(text, "127.0.0.1"));
	free(text);
	x = run1(loop, &t, "echo hashed", NULL, 0);
	assert_ok(hv_ssh_result(x));
	hv_ssh_exec_free(x);
	hv_loop_free(loop);

	/* A key marked @revoked is refused, whatever else the file says. */
	loop = hv_loop_new();
	text = read_text(kh_good);
	free(other);
	other = hv_xasprintf("@revoked * %.*s\n%s", (int)n, pub, text);
	free(text);
	assert_int_equal(write_file(kh, other, 0600), 0);
	x = run1(loop, &t, "echo no", NULL, 0);
	print_message("%s\n", hv_ssh_result(x)->error.s);
	assert_contains(hv_ssh_result(x)->error.s, "host key is marked "
	    "@revoked in known_hosts");
	hv_ssh_exec_free(x);
	hv_loop_free(loop);

	/* And then it is known, tofu or not. */
	loop = hv_loop_new();
	t.tofu = 0;
	t.known_hosts = kh2;
	t.port = sshd[0].port;
	x = run1(loop, &t, "echo known", NULL, 0);
	assert_ok(hv_ssh_result(x));
	hv_ssh_exec_free(x);
	hv_loop_free(loop);
	free(kh);
	free(kh2);
	free(pub);
	free(want);
	free(other);
}

static void
test_auth_failure(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	char			*missing, *locked;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(0);
	t.identity = wrong_key;
	x = run1(loop, &t, "echo no", NULL, 0);
	r = hv_ssh_result(x);
	print_message("%s\n", r->error.s);
	assert_int_equal(r->connected, 0);
	assert_contains(r->error.s, "authentication failed for root "
	    "(publickey)");
	hv_ssh_exec_free(x);

	missing = path_of("no-such-key");
	t.identity = missing;
	x = run1(loop, &t, "echo no", NULL, 0);
	r = hv_ssh_result(x);
	print_message("%s\n", r->error.s);
	assert_contains(r->error.s, "No such file or directory");
	assert_contains(r->error.s, missing);
	hv_ssh_exec_free(x);

	/* A key with a passphrase, from the variable passphrase_env names. */
	locked = path_of("locked");
	t.identity = locked;
	t.passphrase_env = "HAVOC_TEST_PASSPHRASE";
	unsetenv("HAVOC_TEST_PASSPHRASE");
	x = run1(loop, &t, "echo no", NULL, 0);
	print_message("%s\n", hv_ssh_result(x)->error.s);
	assert_contains(hv_ssh_result(x)->error.s, "$HAVOC_TEST_PASSPHRASE, "
	    "its passphrase, is not set");
	hv_ssh_exec_free(x);
	setenv("HAVOC_TEST_PASSPHRASE", "open says me", 1);
	x = run1(loop, &t, "echo no", NULL, 0);
	print_message("%s\n", hv_ssh_result(x)->error.s);
	assert_contains(hv_ssh_result(x)->error.s, "wrong passphrase");
	hv_ssh_exec_free(x);
	setenv("HAVOC_TEST_PASSPHRASE", "open sesame", 1);
	x = run1(loop, &t, "echo unlocked", NULL, 0);
	assert_ok(hv_ssh_result(x));
	assert_string_equal(hv_ssh_result(x)->out.s, "unlocked\n");
	hv_ssh_exec_free(x);
	unsetenv("HAVOC_TEST_PASSPHRASE");
	t.passphrase_env = NULL;

	/* A user the server does not have. */
	t.identity = client_key;
	t.user = "havoc-nobody";
	x = run1(loop, &t, "echo no", NULL, 0);
	assert_contains(hv_ssh_result(x)->error.s,
	    "authentication failed for havoc-nobody");
	hv_ssh_exec_free(x);
	free(missing);
	free(locked);
	hv_loop_free(loop);
}

static void
test_connect_refused(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	char			*want;
	int			 i;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(0);
	t.name = "web-2";
	t.port = httpd_unused_port();
	want = hv_xasprintf("web-2 (127.0.0.1:%d): connect: Connection "
	    "refused", t.port);
	for (i = 0; i < 2; i++) {
		/* The second run tries again: failures are not kept. */
		x = run1(loop, &t, "echo no", NULL, 0);
		r = hv_ssh_result(x);
		assert_string_equal(r->error.s, want);
		assert_int_equal(r->connected, 0);
		assert_true(r->elapsed_ms < 1000);
		hv_ssh_exec_free(x);
		hv_ssh_stats(hv_ssh_get(loop), &st);
		assert_int_equal(st.failures, i + 1);
	}
	print_message("%s\n", want);
	free(want);
	hv_loop_free(loop);
}

static void
test_connect_timeout(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh		*eng;
	struct hv_ssh_exec	*hang, *good;
	struct hv_ssh_target	 t, tg;
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 2, 0, NULL };
	struct mute		 m;
	int64_t			 t0, good_ms = -1;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	eng = hv_ssh_get(loop);
	mute_start(&m, loop, 0);	/* the kernel accepts; nobody talks */
	t = target(0);
	t.name = "mute";
	t.port = m.port;
	t.connect_timeout_ms = 3000;
	tg = target(1);
	t0 = hv_mono_ms();
	hang = hv_ssh_run(eng, &t, "echo no", NULL, 0, on_cb, &g, &err);
	good = hv_ssh_run(eng, &tg, "echo yes", NULL, 0, on_cb, &g, &err);
	g.want = 1;
	run_until(loop, &g, 5000);
	good_ms = hv_mono_ms() - t0;
	assert_int_equal(g.n, 1);
	assert_ptr_equal(g.last, good);
	g.want = 2;
	run_until(loop, &g, 5000);
	print_message("hanging host failed after %lld ms, the other was done "
	    "after %lld ms\n", (long long)(hv_mono_ms() - t0),
	    (long long)good_ms);
	assert_int_equal(g.n, 2);
	assert_ok(hv_ssh_result(good));
	/* The good host did not wait for the one that hangs. */
	assert_true(good_ms < 2500);
	assert_int_equal(hv_ssh_result(hang)->connected, 0);
	assert_contains(hv_ssh_result(hang)->error.s, "mute (127.0.0.1:");
	assert_contains(hv_ssh_result(hang)->error.s,
	    "connect timed out after 3000 ms (ssh handshake)");
	assert_true(hv_ssh_result(hang)->elapsed_ms >= 2950 &&
	    hv_ssh_result(hang)->elapsed_ms < 4500);
	print_message("%s\n", hv_ssh_result(hang)->error.s);
	hv_ssh_exec_free(hang);
	hv_ssh_exec_free(good);
	mute_stop(&m);
	hv_buf_release(&err);
	hv_loop_free(loop);
}

static void
test_keepalive(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	char			*log;
	size_t			 off;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(1);
	t.keepalive_ms = 500;
	x = run1(loop, &t, "echo a", NULL, 0);
	assert_ok(hv_ssh_result(x));
	hv_ssh_exec_free(x);
	off = file_size(sshd[1].log);
	idle(loop, 2000);
	x = run1(loop, &t, "echo b", NULL, 0);
	assert_ok(hv_ssh_result(x));
	assert_string_equal(hv_ssh_result(x)->out.s, "b\n");
	hv_ssh_exec_free(x);
	hv_ssh_stats(hv_ssh_get(loop), &st);
	assert_int_equal(st.handshakes, 1);
	/* The server saw keepalives while the session was idle. */
	log = wait_log(1, off, "keepalive@libssh2.org", 1000);
	assert_contains(log, "keepalive@libssh2.org");
	free(log);
	hv_loop_free(loop);
}

static void
test_parallel(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh		*eng;
	struct hv_ssh_exec	*x[6];
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 6, 0, NULL };
	struct mute		 m;
	char			 user[16];
	int64_t			 t0, ms;
	int			 i;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	eng = hv_ssh_get(loop);
	hv_ssh_set_parallel(eng, 2);

	/* Six sessions (six users) to a server that never answers. */
	mute_start(&m, loop, 1);
	t = target(0);
	t.port = m.port;
	t.connect_timeout_ms = 400;
	t0 = hv_mono_ms();
	for (i = 0; i < 6; i++) {
		snprintf(user, sizeof user, "u%d", i);
		t.user = user;
		x[i] = hv_ssh_run(eng, &t, "echo no", NULL, 0, on_cb, &g,
		    &err);
		assert_non_null(x[i]);
	}
	run_until(loop, &g, 5000);
	ms = hv_mono_ms() - t0;
	print_message("6 hanging hosts, 2 at a time: %lld ms, at most %d "
	    "connections at once, %d in all\n", (long long)ms, m.max,
	    m.total);
	assert_int_equal(g.n, 6);
	assert_int_equal(m.max, 2);
	assert_int_equal(m.total, 6);
	assert_true(ms >= 1150);	/* three rounds of 400 ms */
	for (i = 0; i < 6; i++) {
		assert_contains(hv_ssh_result(x[i])->error.s,
		    "connect timed out after 400 ms");
		hv_ssh_exec_free(x[i]);
	}
	mute_stop(&m);

	/* Six real sessions through two slots all get there. */
	g.n = 0;
	g.free_in_cb = 1;
	for (i = 0; i < 6; i++) {
		t = target(i % NSSHD);
		t.identity = i < NSSHD ? client_key : client_key2;
		assert_non_null(hv_ssh_run(eng, &t, "echo ok", NULL, 0, on_cb,
		    &g, &err));
	}
	run_until(loop, &g, WAIT_MS);
	assert_int_equal(g.n, 6);
	hv_ssh_stats(eng, &st);
	assert_int_equal(st.handshakes, 6);
	assert_int_equal(st.open, 6);
	assert_int_equal(st.failures, 6);
	hv_buf_release(&err);
	hv_loop_free(loop);
}

static void
test_agent(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	struct hv_ssh_target	 t;
	char			*sock, *old = NULL;
	char			*argv[] = { "/usr/bin/ssh-agent", "-D", "-a",
				    NULL, NULL };
	char			*add[] = { "/usr/bin/ssh-add", NULL, NULL };
	pid_t			 pid;
	int			 fd;

	(void)state;
	NEED_FIXTURE();
	if (access(argv[0], X_OK) == -1 || access(add[0], X_OK) == -1)
		skip();
	sock = path_of("agent.sock");
	argv[3] = sock;
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	for (fd = 0; fd < 250 && access(sock, F_OK) == -1; fd++)
		usleep(20000);
	add[1] = client_key;
	assert_int_equal(run_quiet(add, sock), 0);
	if (getenv("SSH_AUTH_SOCK") != NULL)
		old = hv_xstrdup(getenv("SSH_AUTH_SOCK"));
	setenv("SSH_AUTH_SOCK", sock, 1);

	loop = hv_loop_new();
	t = target(2);
	t.identity = NULL;		/* the agent's keys */
	x = run1(loop, &t, "echo agent", NULL, 0);
	assert_ok(hv_ssh_result(x));
	assert_string_equal(hv_ssh_result(x)->out.s, "agent\n");
	hv_ssh_exec_free(x);

	/* agent with a (wrong) identity: the agent's key gets in first. */
	t.identity = wrong_key;
	t.agent = 1;
	x = run1(loop, &t, "echo both", NULL, 0);
	assert_ok(hv_ssh_result(x));
	hv_ssh_exec_free(x);
	hv_loop_free(loop);

	/* No agent to ask. */
	unsetenv("SSH_AUTH_SOCK");
	loop = hv_loop_new();
	t.identity = NULL;
	t.agent = 0;
	x = run1(loop, &t, "echo no", NULL, 0);
	assert_contains(hv_ssh_result(x)->error.s, "SSH_AUTH_SOCK");
	hv_ssh_exec_free(x);
	hv_loop_free(loop);

	if (old != NULL)
		setenv("SSH_AUTH_SOCK", old, 1);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(old);
	free(sock);
}

static void
test_server_gone(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh_exec	*x;
	const struct hv_ssh_res	*r;
	struct hv_ssh_target	 t;
	struct hv_ssh_stats	 st;
	long			 pid;

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	t = target(0);

	/*
	 * The server's process for the session dies while it is idle and
	 * havoc has not noticed yet: the next command goes to a new session.
	 */
	x = run1(loop, &t, "echo $PPID", NULL, 0);
	pid = strtol(hv_ssh_result(x)->out.s, NULL, 10);
	hv_ssh_exec_free(x);
	assert_true(pid > 1);
	kill((pid_t)pid, SIGKILL);
	assert_true(wait_gone(pid, 3000));
	x = run1(loop, &t, "echo again", NULL, 5000);
	assert_ok(hv_ssh_result(x));
	assert_string_equal(hv_ssh_result(x)->out.s, "again\n");
	hv_ssh_exec_free(x);
	hv_ssh_stats(hv_ssh_get(loop), &st);
	assert_int_equal(st.handshakes, 2);
	assert_int_equal(st.open, 1);

	/* Noticed while idle: the session is dropped at once. */
	x = run1(loop, &t, "echo $PPID", NULL, 0);
	pid = strtol(hv_ssh_result(x)->out.s, NULL, 10);
	hv_ssh_exec_free(x);
	kill((pid_t)pid, SIGKILL);
	assert_true(wait_gone(pid, 3000));
	idle(loop, 300);
	hv_ssh_stats(hv_ssh_get(loop), &st);
	assert_int_equal(st.open, 0);

	/* Dies under a running command: that command fails, not retried. */
	x = run1(loop, &t, "echo start; kill -KILL $PPID; sleep 5", NULL,
	    5000);
	r = hv_ssh_result(x);
	print_message("%s\n", r->error.s);
	assert_int_equal(r->connected, 1);
	assert_int_equal(r->timed_out, 0);
	assert_contains(r->error.s, "connection lost");
	assert_int_equal(r->exit_status, -1);
	hv_ssh_exec_free(x);
	hv_ssh_stats(hv_ssh_get(loop), &st);
	assert_int_equal(st.handshakes, 3);
	assert_int_equal(st.open, 0);
	hv_loop_free(loop);
}

static void
test_loop_freed_first(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh		*eng;
	struct hv_ssh_exec	*done, *running, *queued;
	struct hv_ssh_target	 t;
	struct hv_buf		 err = HV_BUF_INIT;
	struct got		 g = { 0, 1, 0, NULL };

	(void)state;
	NEED_FIXTURE();
	loop = hv_loop_new();
	eng = hv_ssh_get(loop);
	t = target(0);
	done = run1(loop, &t, "echo done", NULL, 0);
	running = hv_ssh_run(eng, &t, "sleep 5", NULL, 0, on_cb, &g, &err);
	idle(loop, 300);
	t.port = sshd[1].port;
	queued = hv_ssh_run(eng, &t, "echo never", NULL, 0, on_cb, &g, &err);
	hv_loop_free(loop);
	assert_int_equal(g.n, 0);
	assert_string_equal(hv_ssh_result(done)->out.s, "done\n");
	assert_string_equal(hv_ssh_result(running)->error.s, "cancelled");
	assert_string_equal(hv_ssh_result(queued)->error.s, "cancelled");
	hv_ssh_cancel(running);		/* harmless now */
	hv_ssh_exec_free(done);
	hv_ssh_exec_free(running);
	hv_ssh_exec_free(queued);
	hv_buf_release(&err);
}

static void
test_bad_args(void **state)
{
	struct hv_loop		*loop;
	struct hv_ssh		*eng;
	struct hv_ssh_target	 t;
	struct hv_buf		 err = HV_BUF_INIT;

	(void)state;
	loop = hv_loop_new();
	eng = hv_ssh_get(loop);
	assert_ptr_equal(eng, hv_ssh_get(loop));
	memset(&t, 0, sizeof t);
	assert_null(hv_ssh_run(eng, &t, "true", NULL, 0, NULL, NULL, &err));
	assert_string_equal(err.s, "ssh: no address");
	hv_buf_reset(&err);
	t.address = "127.0.0.1";
	assert_null(hv_ssh_run(eng, &t, NULL, NULL, 0, NULL, NULL, &err));
	assert_string_equal(err.s, "ssh: no command");
	hv_buf_reset(&err);
	t.port = 70000;
	assert_null(hv_ssh_run(eng, &t, "true", NULL, 0, NULL, NULL, &err));
	assert_string_equal(err.s, "ssh: bad port 70000");
	hv_buf_release(&err);
	hv_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_hostkey_mismatch),
		cmocka_unit_test(test_hostkey_unknown),
		cmocka_unit_test(test_auth_failure),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_server_gone),
		cmocka_unit_test(test_loop_freed_first),
	};

	return cmocka_run_group_tests(tests, fixture_up, fixture_down);
}
