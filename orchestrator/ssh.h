/*
 * ssh.h - the SSH engine: agentless commands on many hosts at once.
 * ssh.c is the only user of libssh2.
 *
 * Everything is non-blocking and driven by havoc's loop: TCP connect,
 * handshake, host-key check, authentication and channels all advance from
 * socket readiness and timers, so an unreachable or hanging host fails on
 * its own and never stalls the others.
 *
 * One engine per loop (hv_ssh_get). It keeps one session per destination
 * (user@address:port with its identity) and reuses it for every command
 * of a run, so a second step on the same hosts costs no new handshake.
 * Sessions close when the engine is freed with its loop, or when they
 * fail. New connections are limited to max_parallel at a time (commands
 * on sessions already open are not limited).
 *
 * Host keys are always checked, before any credential is sent, against
 * known_hosts (OpenSSH format, hashed or plain; looked up by the target's
 * address, as [address]:port for other ports than 22). A host that is
 * not there is refused unless tofu is set, in which case its key is
 * appended to the file (unhashed); a host whose key differs is always
 * refused, tofu or not.
 *
 * libssh2 1.10 cannot send a signal on a channel: a command that timed
 * out or was cancelled has its channel closed, and may go on running on
 * the host until it next writes (as with ssh(1) without -t). Keys: ed25519 and
 * ECDSA work with Debian 12's libssh2 1.10 against current OpenSSH; RSA
 * keys do not (libssh2 1.10 signs only with SHA-1 ssh-rsa, which OpenSSH
 * 8.8 and later refuse).
 */
#ifndef HV_SSH_H
#define HV_SSH_H

#include <stdint.h>

#include "util.h"

struct hv_loop;
struct hv_ssh;
struct hv_ssh_exec;

/* Where and how to connect; strings are borrowed for the call only. */
struct hv_ssh_target {
	const char	*name;		/* for messages: "web-2" */
	const char	*address;
	int		 port;		/* 0: 22 */
	const char	*user;		/* NULL: root */
	const char	*identity;	/* private key file; NULL: agent */
	const char	*passphrase_env; /* variable holding its passphrase */
	const char	*known_hosts;	/* NULL: ~/.ssh/known_hosts */
	int		 agent;		/* use ssh-agent ($SSH_AUTH_SOCK) */
	int		 tofu;		/* trust (and record) unknown hosts */
	int64_t		 connect_timeout_ms;	/* 0: 10 s, handshake and
						   authentication included */
	int64_t		 keepalive_ms;	/* 0: 15 s */
};

struct hv_ssh_res {
	int		 connected;	/* the session was up (auth included) */
	int		 exit_status;	/* -1 when none was received */
	char		*exit_signal;	/* "KILL" when the command was killed */
	int		 timed_out;
	struct hv_buf	 out;		/* at most HV_OUTPUT_MAX */
	struct hv_buf	 err;		/* at most HV_OUTPUT_MAX */
	struct hv_buf	 error;		/* why it failed, when it did */
	int64_t		 elapsed_ms;	/* queueing and connecting included */
};

typedef void (*hv_ssh_cb)(struct hv_ssh_exec *, void *);

/* The engine of a loop, made on first use (borrowed; freed with the loop). */
struct hv_ssh	*hv_ssh_get(struct hv_loop *);
/* How many connections may be set up at once (default 64). */
void		 hv_ssh_set_parallel(struct hv_ssh *, int);

/*
 * Runs command on target (through the remote user's shell, as ssh(1)
 * does) with optional stdin input. cb runs from the loop when the command
 * ended, failed or timed out (timeout_ms covers the command, not the
 * connection). NULL with a message in err only on bad arguments.
 */
struct hv_ssh_exec *hv_ssh_run(struct hv_ssh *, const struct hv_ssh_target *,
		    const char *command, const char *input,
		    int64_t timeout_ms, hv_ssh_cb, void *, struct hv_buf *err);
/* Borrowed; valid until hv_ssh_exec_free(). */
const struct hv_ssh_res *hv_ssh_result(const struct hv_ssh_exec *);
/* Stops waiting for the command (its channel is closed); cb still runs. */
void		 hv_ssh_cancel(struct hv_ssh_exec *);
/* Frees a finished exec (or cancels and frees one in flight, no cb). */
void		 hv_ssh_exec_free(struct hv_ssh_exec *);

struct hv_ssh_stats {
	int		 handshakes;	/* sessions set up so far */
	int		 open;		/* sessions open now */
	int		 commands;	/* commands run */
	int		 failures;	/* connections that failed */
};

void		 hv_ssh_stats(const struct hv_ssh *, struct hv_ssh_stats *);

#endif
