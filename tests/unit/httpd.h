/*
 * httpd.h - a small HTTP/1.1 server for the unit tests, and the TCP
 * helpers on 127.0.0.1 it is made of.
 *
 * httpd_start() forks a server process that listens on 127.0.0.1 at an
 * ephemeral port. It reads each request (line, headers, body; it answers
 * "Expect: 100-continue" itself) and hands it to the test's handler, which
 * writes the response, usually with httpd_respond(); the connection is
 * closed after it. The server runs in a process group of its own and
 * ends by itself after HTTPD_LIFE_SEC even if the test never stops it;
 * httpd_stop() kills the group and reaps the server. The socket listens
 * before the fork, so connections queue from the moment httpd_start()
 * returns: there is nothing to wait for.
 *
 * Nothing here is global: a test keeps its own struct httpd, and servers
 * may run side by side. This file is linked into every unit-test binary.
 *
 * Ownership: httpd_url() is new (caller frees); everything else is the
 * caller's.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <sys/types.h>

#include <stddef.h>

#define HTTPD_REQ_MAX	65536	/* request line, headers and body */
#define HTTPD_LIFE_SEC	300	/* a server ends by itself after this */
#define HTTPD_CONN_SEC	10	/* HTTPD_FORKING: one connection's bound */

/* How the server process answers connections. */
enum httpd_mode {
	/*
	 * One at a time, in the server process: what the handler keeps in
	 * memory lasts from one request to the next. A handler that must
	 * answer slowly forks, answers in the child and _exit()s.
	 */
	HTTPD_SERIAL,
	/* Each in a child of its own: slow answers overlap. */
	HTTPD_FORKING
};

struct httpd {
	pid_t		 pid;		/* the server; 0 or -1 when none */
	int		 port;
};

/* One request, as read from the connection. */
struct httpd_req {
	char		 method[16];
	char		 target[2048];	/* path and query, as sent */
	const char	*body;		/* in raw, NUL-terminated */
	size_t		 body_len;
	/* Request line and headers, each line ending in "\r\n"; then body. */
	char		 raw[HTTPD_REQ_MAX];
};

/*
 * Answers one request: runs in the server (HTTPD_SERIAL) or in a child of
 * it (HTTPD_FORKING), writes the response to fd and does not close it.
 */
typedef void	(*httpd_handler)(int fd, const struct httpd_req *, void *arg);

/*
 * Starts a server with handler (arg is its argument). Ignores SIGPIPE in
 * the test process too, as a client that writes to a closed connection
 * must fail, not die. -1 when there is no socket or no process.
 */
int		 httpd_start(struct httpd *, enum httpd_mode,
		    httpd_handler handler, void *arg);

/* Kills the server and what it forked, and reaps it. Idempotent. */
void		 httpd_stop(struct httpd *);

/* "http://127.0.0.1:port" followed by path (new, caller frees). */
char		*httpd_url(const struct httpd *, const char *path);

/*
 * Reads a request from fd until its body (Content-Length) is complete.
 * -1 when the client closed early, or sent more than HTTPD_REQ_MAX or not
 * a request line.
 */
int		 httpd_read(int fd, struct httpd_req *);

/*
 * Copies the value of a request header (name without case) into out,
 * cut to len, and returns out; NULL when the request has none.
 */
const char	*httpd_header(const struct httpd_req *, const char *name,
		    char *out, size_t len);

/*
 * Writes a response: the status line, Content-Length and "Connection:
 * close", then headers (NULL or lines that each end in "\r\n"), then the
 * len bytes of body.
 */
void		 httpd_respond(int fd, int status, const char *headers,
		    const char *body, size_t len);

/* Writes all of p, through short writes and EINTR; stops on errors. */
void		 httpd_write_all(int fd, const void *p, size_t n);

/*
 * A listening socket on 127.0.0.1 at an ephemeral port (close-on-exec),
 * its port in *port; -1 on failure.
 */
int		 httpd_listen(int backlog, int *port);

/* A port on 127.0.0.1 where nothing listens (bound once, then closed). */
int		 httpd_unused_port(void);

/* Waits until 127.0.0.1:port accepts, at most ms; -1 if it never did. */
int		 httpd_wait_port(int port, int ms);

#endif
