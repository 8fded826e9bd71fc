/*
 * cmd-halt.c - havoc halt: stop every run on this machine and make sure
 * that everything it injected is reverted.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "loop.h"
#include "runner.h"
#include "store.h"
#include "store-gameday.h"

/* How long running havocs get to finish their rollbacks. */
#define HALT_WAIT_MS	(120 * 1000)

static int
cmd_halt(const struct hv_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hv_store	*st;
	struct hv_loop	*loop;
	struct hv_buf	 err = HV_BUF_INIT;
	const char	*db = NULL;
	json_t		*running, *r, *status;
	pid_t		 pids[256];
	size_t		 i, n = 0, alive;
	int64_t		 deadline;
	int		 c, rc, left;
	char		 host[256];

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'h':
			hv_cmd_usage(cmd, stdout);
			return 0;
		default:
			return hv_cmd_usage_error(cmd, "unknown option");
		}
	}
	if ((st = hv_cmd_store(db, 0, &rc)) == NULL)
		return rc;
	if (gethostname(host, sizeof host) == -1)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	/* Daemons first, so that they start no game day meanwhile; each
	 * passes SIGTERM to its game days and exits after their rollbacks. */
	if ((status = hv_store_status_json(st, &err)) == NULL) {
		fprintf(stderr, "havoc: %s\n", err.s);
		hv_buf_reset(&err);
	}
	json_array_foreach(json_object_get(status, "daemons"), i, r) {
		pid_t	pid = (pid_t)json_integer_value(json_object_get(r,
			    "pid"));
		const char *ctl = json_string_value(json_object_get(r,
			    "controller"));
		const char *state = json_string_value(json_object_get(r,
			    "status"));

		if (pid <= 0 || ctl == NULL || strcmp(ctl, host) != 0 ||
		    state == NULL || strcmp(state, "running") != 0 ||
		    n == sizeof pids / sizeof pids[0] || !hv_run_alive(pid))
			continue;
		if (kill(pid, SIGTERM) == 0) {
			printf("daemon %lld: sent SIGTERM to havoc (pid %d)\n",
			    json_integer_value(json_object_get(r, "id")),
			    (int)pid);
			pids[n++] = pid;
		}
	}
	json_decref(status);
	if ((running = hv_store_running_json(st, &err)) == NULL) {
		fprintf(stderr, "havoc: %s\n", err.s);
		hv_buf_release(&err);
		hv_store_close(st);
		return HV_EXIT_ABORTED;
	}
	json_array_foreach(running, i, r) {
		pid_t	pid = (pid_t)json_integer_value(json_object_get(r,
			    "pid"));
		const char *ctl = json_string_value(json_object_get(r,
			    "controller"));

		/* Only a havoc: a dead run's pid may belong to anything. */
		if (pid <= 0 || ctl == NULL || strcmp(ctl, host) != 0 ||
		    n == sizeof pids / sizeof pids[0] || !hv_run_alive(pid))
			continue;
		if (kill(pid, SIGTERM) == 0) {
			printf("run %lld: sent SIGTERM to havoc (pid %d)\n",
			    json_integer_value(json_object_get(r, "id")),
			    (int)pid);
			pids[n++] = pid;
		}
	}
	json_decref(running);
	/* Each stops its method and rolls back; wait for them, bounded. */
	deadline = hv_mono_ms() + HALT_WAIT_MS;
	do {
		for (i = 0, alive = 0; i < n; i++)
			alive += kill(pids[i], 0) == 0 || errno == EPERM;
		if (alive > 0)
			usleep(100 * 1000);
	} while (alive > 0 && hv_mono_ms() < deadline);
	if (alive > 0)
		fprintf(stderr, "havoc: %zu run%s still rolling back after "
		    "%d s\n", alive, alive == 1 ? "" : "s",
		    HALT_WAIT_MS / 1000);
	loop = hv_loop_new();
	hv_loop_catch_signals(loop);
	left = hv_recover(st, loop, 0, 0, &err);
	if (left == -1)
		fprintf(stderr, "havoc: recover: %s\n", err.s);
	else
		printf("%s\n", left == 0 ? "no fault is active" :
		    "some faults could not be reverted; see havoc recover");
	hv_buf_release(&err);
	hv_loop_free(loop);
	hv_store_close(st);
	return left == 0 && alive == 0 ? 0 : HV_EXIT_ROLLBACK;
}

const struct hv_cmd hv_cmd_halt = {
	.name = "halt",
	.args = "[--db PATH]",
	.summary = "stop running daemons and runs; revert everything",
	.help = "  --db PATH   the database\n",
	.exec = cmd_halt,
};
