/*
 * httpd.c - the unit tests' HTTP server: a forked process on 127.0.0.1
 * that reads requests and hands them to the test's handler.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "httpd.h"
#include "util.h"

/* Reads one request on fd and lets the handler answer it. */
static void
serve_one(int fd, httpd_handler handler, void *arg)
{
	struct httpd_req	*req = hv_xcalloc(1, sizeof *req);

	if (httpd_read(fd, req) == 0)
		handler(fd, req, arg);
	free(req);
}

/* The server process: accepts until it is killed or its time is up. */
static void
server_main(int lfd, enum httpd_mode mode, httpd_handler handler,
    void *arg)
{
	int	fd;

	setpgid(0, 0);
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	alarm(HTTPD_LIFE_SEC);		/* even if the test never kills us */
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (mode == HTTPD_SERIAL)
			serve_one(fd, handler, arg);
		else if (fork() == 0) {
			close(lfd);
			alarm(HTTPD_CONN_SEC);
			serve_one(fd, handler, arg);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}

int
httpd_start(struct httpd *d, enum httpd_mode mode, httpd_handler handler,
    void *arg)
{
	int	lfd;

	d->pid = -1;
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = httpd_listen(64, &d->port)) == -1)
		return -1;
	if ((d->pid = fork()) == -1) {
		close(lfd);
		return -1;
	}
	if (d->pid == 0)
		server_main(lfd, mode, handler, arg);
	/* Both sides set the group: kill(-pid) works whoever runs first. */
	setpgid(d->pid, d->pid);
	close(lfd);
	return 0;
}

void
httpd_stop(struct httpd *d)
{
	if (d->pid <= 0)
		return;
	kill(-d->pid, SIGKILL);
	kill(d->pid, SIGKILL);
	while (waitpid(d->pid, NULL, 0) == -1 && errno == EINTR)
		;
	d->pid = -1;
}

char *
httpd_url(const struct httpd *d, const char *path)
{
	return hv_xasprintf("http://127.0.0.1:%d%s", d->port, path);
}

/*
 * The headers are in, up to hend: ends them after their last "\r\n",
 * points the body after the blank line, and does what they ask.
 */
static void
head_done(int fd, struct httpd_req *req, char *hend, long long *clen)
{
	static const char	 cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char			 v[64];

	hend[2] = '\0';
	req->body = hend + 4;
	if (httpd_header(req, "Content-Length", v, sizeof v) != NULL)
		(void)hv_parse_int(v, clen);
	if (httpd_header(req, "Expect", v, sizeof v) != NULL)
		httpd_write_all(fd, cont, sizeof cont - 1);
}

int
httpd_read(int fd, struct httpd_req *req)
{
	char		*hend;
	size_t		 have = 0;
	ssize_t		 r;
	long long	 clen = 0;

	req->body = NULL;
	for (;;) {
		r = read(fd, req->raw + have, sizeof req->raw - 1 - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		req->raw[have] = '\0';
		if (req->body == NULL) {
			if ((hend = strstr(req->raw, "\r\n\r\n")) == NULL)
				continue;
			head_done(fd, req, hend, &clen);
		}
		if ((long long)(have - (size_t)(req->body - req->raw)) >= clen)
			break;
	}
	req->body_len = have - (size_t)(req->body - req->raw);
	if (sscanf(req->raw, "%15s %2047s", req->method, req->target) != 2)
		return -1;
	return 0;
}

const char *
httpd_header(const struct httpd_req *req, const char *name, char *out,
    size_t len)
{
	const char	*p = req->raw;
	size_t		 nlen = strlen(name), n;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			while (*p == ' ')
				p++;
			n = strcspn(p, "\r\n");
			snprintf(out, len, "%.*s", (int)n, p);
			return out;
		}
	}
	return NULL;
}

void
httpd_respond(int fd, int status, const char *headers, const char *body,
    size_t len)
{
	char	*head;

	head = hv_xasprintf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n", status, len,
	    headers != NULL ? headers : "");
	httpd_write_all(fd, head, strlen(head));
	free(head);
	httpd_write_all(fd, body, len);
}

void
httpd_write_all(int fd, const void *buf, size_t n)
{
	const char	*p = buf;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

int
httpd_listen(int backlog, int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, backlog) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

int
httpd_unused_port(void)
{
	int	fd, port = 0;

	fd = httpd_listen(1, &port);
	if (fd != -1)
		close(fd);
	return port;
}

int
httpd_wait_port(int port, int ms)
{
	struct sockaddr_in	sin;
	int64_t			end = hv_mono_ms() + ms;
	int			fd, ok;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	do {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ok = fd != -1 && connect(fd, (struct sockaddr *)&sin,
		    sizeof sin) == 0;
		if (fd != -1)
			close(fd);
		if (ok)
			return 0;
		usleep(20000);
	} while (hv_mono_ms() < end);
	return -1;
}
