/*
 * test-runner.c - the run state machine with fake drivers.
 *
 * The fakes are found through the real registry seam: this binary is
 * linked with -Wl,--wrap=hv_driver_find, so experiments can name
 * fake.action and fake.probe, and reverts rebuilt from the journal find
 * them too. Everything else is real: the loader, the loop, the store (a
 * SQLite file), the journal and recover.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "driver.h"
#include "experiment.h"
#include "loop.h"
#include "node.h"
#include "runner.h"
#include "store.h"

/* What the fakes did, in order: "inject:a", "revert:a=VALUE", ... */
static char	 events[4096];
/* Per probe id: how many times it was called. */
static int	 probe_calls[8];
/* A loop the fakes schedule on. */
static struct hv_loop *cur_loop;
/* Options a test adds to its run: events, a stop handle, signals. */
static struct hv_run_opts extra;
/* When the last inject and revert of a fake action began (mono ms). */
static int64_t	 last_inject_ms, last_revert_ms;
/* How many reverts of revert_mode again were made. */
static int	 reverts_again;

static void
event(const char *fmt, ...)
{
	size_t	len = strlen(events);
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(events + len, sizeof events - len, fmt, ap);
	va_end(ap);
	len = strlen(events);
	if (len + 1 < sizeof events) {
		events[len] = ' ';
		events[len + 1] = '\0';
	}
}

static const struct hv_param fake_action_params[] = {
	{ "id", HV_T_STR, 1, NULL, NULL, "a label for the log" },
	{ "mode", HV_T_STR, 0, "ok", "ok|fail|nostart|hang", "how start ends" },
	{ "revert_mode", HV_T_STR, 0, NULL, "ok|fail|again",
	    "makes it a fault; again: not yet, the first time" },
	{ "value", HV_T_STR, 0, NULL, NULL, "logged by the revert" },
	{ "delay", HV_T_DURATION, 0, "10ms", NULL, "how long it takes" },
	{ "timeout", HV_T_DURATION, 0, "2s", NULL, "bounded" },
	{ NULL }
};

struct pending {
	struct hv_call	*call;
	int		 ok;
	struct hv_timer	*t;
};

static void
finish_later(void *arg)
{
	struct pending	*p = arg;

	if (!p->ok)
		hv_buf_puts(&p->call->err, "fake failure");
	p->call->priv = NULL;
	hv_call_done(p->call, p->ok);
	free(p);
}

static void
complete(struct hv_call *call, int ok)
{
	struct pending	*p = calloc(1, sizeof *p);

	p->call = call;
	p->ok = ok;
	call->priv = p;
	p->t = hv_loop_timer(call->ctx->loop, hv_arg_ms(call, "delay"),
	    finish_later, p);
}

static int
fake_start(struct hv_call *call)
{
	const char	*mode = hv_arg_str(call, "mode");

	last_inject_ms = hv_mono_ms();
	event("inject:%s%s%s", hv_arg_str(call, "id"), call->host ? "@" : "",
	    call->host ? call->host->name : "");
	if (strcmp(mode, "nostart") == 0) {
		hv_buf_puts(&call->err, "cannot start");
		return -1;
	}
	if (strcmp(mode, "hang") == 0)
		return 0;	/* only cancel ends it */
	complete(call, strcmp(mode, "ok") == 0);
	return 0;
}

static int
fake_revert(struct hv_call *call)
{
	const char	*value = hv_arg_str(call, "value");

	const char	*mode = hv_arg_str(call, "revert_mode");

	last_revert_ms = hv_mono_ms();
	event("revert:%s%s%s", hv_arg_str(call, "id"), value ? "=" : "",
	    value ? value : "");
	if (strcmp(mode, "again") == 0 && reverts_again++ == 0) {
		call->again = 1;
		complete(call, 0);
		return 0;
	}
	complete(call, strcmp(mode, "ok") == 0 || strcmp(mode, "again") == 0);
	return 0;
}

static int
fake_is_fault(const struct hv_call *call)
{
	return hv_arg_has(call, "revert_mode");
}

static void
fake_cancel(struct hv_call *call)
{
	struct pending	*p = call->priv;

	event("cancel:%s", hv_arg_str(call, "id"));
	if (p != NULL) {
		hv_loop_cancel(call->ctx->loop, p->t);
		free(p);
	}
	call->priv = NULL;
	hv_buf_puts(&call->err, "cancelled");
	hv_call_done(call, 0);
}

static const struct hv_driver fake_action = {
	.name = "fake.action",
	.kind = HV_ACTION,
	.target = HV_TARGET_NONE,
	.summary = "test action",
	.params = fake_action_params,
	.start = fake_start,
	.revert = fake_revert,
	.is_fault = fake_is_fault,
	.cancel = fake_cancel,
};

static const struct hv_driver fake_host_action = {
	.name = "fake.host",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.summary = "test action on targets",
	.params = fake_action_params,
	.start = fake_start,
	.revert = fake_revert,
	.is_fault = fake_is_fault,
	.cancel = fake_cancel,
};

static const struct hv_param fake_probe_params[] = {
	{ "id", HV_T_INT, 1, NULL, NULL, "which counter" },
	{ "seq", HV_T_STR, 0, "1", NULL, "1 pass, 0 fail, x cannot look, per "
	    "call; the last repeats" },
	{ "delay", HV_T_DURATION, 0, "5ms", NULL, "how long it takes" },
	{ "timeout", HV_T_DURATION, 0, "2s", NULL, "bounded" },
	{ NULL }
};

static const struct hv_param fake_probe_expect[] = { { NULL } };

static int
fake_probe_start(struct hv_call *call)
{
	const char	*seq = hv_arg_str(call, "seq");
	int		 id = (int)hv_arg_int(call, "id");
	size_t		 n = (size_t)probe_calls[id]++, len = strlen(seq);
	char		 c = seq[n < len ? n : len - 1];

	call->broken = c == 'x';
	complete(call, c == '1');
	return 0;
}

static const struct hv_driver fake_probe = {
	.name = "fake.probe",
	.kind = HV_PROBE,
	.target = HV_TARGET_NONE,
	.summary = "test probe",
	.params = fake_probe_params,
	.expect = fake_probe_expect,
	.start = fake_probe_start,
	.cancel = fake_cancel,
};

const struct hv_driver *__real_hv_driver_find(const char *);
const struct hv_driver *__wrap_hv_driver_find(const char *);

const struct hv_driver *
__wrap_hv_driver_find(const char *name)
{
	if (name != NULL && strcmp(name, "fake.action") == 0)
		return &fake_action;
	if (name != NULL && strcmp(name, "fake.host") == 0)
		return &fake_host_action;
	if (name != NULL && strcmp(name, "fake.probe") == 0)
		return &fake_probe;
	return __real_hv_driver_find(name);
}

struct fixture {
	char		 dir[64];
	char		 db[96];
	char		 file[96];
	struct hv_store	*st;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	struct hv_buf	 err = HV_BUF_INIT;

	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-runner-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/h.db", f->dir);
	snprintf(f->file, sizeof f->file, "%s/x.yaml", f->dir);
	assert_int_equal(hv_store_open(f->db, &f->st, &err), 0);
	events[0] = '\0';
	memset(probe_calls, 0, sizeof probe_calls);
	memset(&extra, 0, sizeof extra);
	reverts_again = 0;
	hv_log_level = HV_LOG_QUIET;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[160];

	hv_store_close(f->st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Loads yaml and runs it; returns the exit code, the run JSON in *out. */
static int
run_yaml(struct fixture *f, const char *yaml, json_t **out,
    struct hv_loop *loop_in)
{
	struct hv_experiment	*x;
	struct hv_diag		 d;
	struct hv_run_opts	 o;
	struct hv_run_result	 res;
	struct hv_loop		*loop = loop_in ? loop_in : hv_loop_new();
	struct hv_buf		 err = HV_BUF_INIT;
	FILE			*fp;
	int			 rc;

	fp = fopen(f->file, "w");
	assert_non_null(fp);
	fputs(yaml, fp);
	fclose(fp);
	hv_diag_init(&d);
	x = hv_experiment_load(f->file, NULL, &d);
	if (x == NULL)
		fail_msg("%s", d.text.s);
	hv_diag_release(&d);
	o = extra;
	o.have_seed = 1;
	o.seed = 7;
	cur_loop = loop;
	rc = hv_run(x, f->st, loop, &o, &res);
	if (out != NULL) {
		*out = res.run > 0 ? hv_store_run_json(f->st, res.run, &err) :
		    NULL;
	}
	hv_run_result_release(&res);
	hv_experiment_free(x);
	if (loop_in == NULL)
		hv_loop_free(loop);
	hv_buf_release(&err);
	return rc;
}

static const char *
run_field(json_t *j, const char *key)
{
	return json_string_value(json_object_get(json_object_get(j, "run"),
	    key));
}

/* The state of fault number i (in order of id). */
static const char *
fault_state(json_t *j, size_t i)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "faults"), i), "state"));
}

static void
test_happy_path(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: up, probe: fake.probe, with: {id: 0}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - {action: fake.action, with: {id: b}}\n"
	    "rollbacks:\n"
	    "  - {action: fake.action, with: {id: rb}}\n", &j, NULL),
	    HV_EXIT_OK);
	assert_string_equal(events, "inject:a inject:b revert:a inject:rb ");
	assert_string_equal(run_field(j, "status"), "completed");
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 1);
	assert_string_equal(fault_state(j, 0), "reverted");
	/* steady before, a, b, steady after, revert of a, rb */
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 6);
	assert_int_equal(probe_calls[0], 2);
	json_decref(j);
}

static void
test_steady_before_fails(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: up, probe: fake.probe, with: {id: 0, seq: '0'}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "rollbacks:\n"
	    "  - {action: fake.action, with: {id: rb}}\n", &j, NULL),
	    HV_EXIT_ABORTED);
	/* Nothing injected; the rollbacks still ran. */
	assert_string_equal(events, "inject:rb ");
	assert_string_equal(run_field(j, "status"), "aborted");
	assert_non_null(strstr(run_field(j, "reason"), "steady state before"));
	json_decref(j);
}

static void
test_preflight_refuses(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: up, probe: fake.probe, with: {id: 0}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "safety:\n"
	    "  preflight:\n"
	    "    - {name: calm, probe: fake.probe, with: {id: 1, seq: '0'}}\n",
	    &j, NULL), HV_EXIT_ABORTED);
	/* Nothing ran: not even the steady state. */
	assert_string_equal(events, "");
	assert_int_equal(probe_calls[0], 0);
	assert_int_equal(probe_calls[1], 1);
	assert_string_equal(run_field(j, "reason"),
	    "pre-flight: calm did not pass");
	json_decref(j);
}

static void
test_action_fails(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - {action: fake.action, with: {id: b, mode: fail, "
	    "revert_mode: ok}}\n"
	    "  - {action: fake.action, with: {id: c, revert_mode: ok}}\n"
	    "rollbacks:\n"
	    "  - {action: fake.action, with: {id: rb}}\n", &j, NULL),
	    HV_EXIT_ABORTED);
	/* c never ran; b failed half-way, so it is reverted too, newest first. */
	assert_string_equal(events,
	    "inject:a inject:b revert:b revert:a inject:rb ");
	assert_string_equal(fault_state(j, 0), "reverted");
	assert_string_equal(fault_state(j, 1), "reverted");
	assert_non_null(strstr(run_field(j, "reason"), "action \"fake.action\" "
	    "failed"));
	json_decref(j);
}

static void
test_action_cannot_start(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, mode: nostart}}\n"
	    "  - {action: fake.action, with: {id: b}}\n", &j, NULL),
	    HV_EXIT_ABORTED);
	assert_string_equal(events, "inject:a ");
	json_decref(j);
}

static void
test_failing_rollback_does_not_stop_others(void **state)
{
	struct fixture	*f = *state;
	struct hv_loop	*loop;
	struct hv_buf	 err = HV_BUF_INIT;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - {action: fake.action, with: {id: b, revert_mode: fail}}\n"
	    "  - {action: fake.action, with: {id: c, revert_mode: ok}}\n"
	    "rollbacks:\n"
	    "  - {action: fake.action, with: {id: r1, mode: fail}}\n"
	    "  - {action: fake.action, with: {id: r2}}\n", &j, NULL),
	    HV_EXIT_ROLLBACK);
	/* The revert of b and rollback r1 fail; everything else still ran. */
	assert_non_null(strstr(events, "revert:c "));
	assert_non_null(strstr(events, "revert:b "));
	assert_non_null(strstr(events, "revert:a "));
	assert_non_null(strstr(events, "inject:r1 inject:r2 "));
	assert_string_equal(run_field(j, "status"), "rollback_failed");
	assert_string_equal(fault_state(j, 0), "reverted");
	assert_string_equal(fault_state(j, 1), "revert_failed");
	assert_string_equal(fault_state(j, 2), "reverted");
	json_decref(j);

	/* recover retries what is left: still failing, it says so. */
	events[0] = '\0';
	loop = hv_loop_new();
	assert_int_equal(hv_recover(f->st, loop, 0, 0, &err), 1);
	assert_string_equal(events, "revert:b ");
	hv_loop_free(loop);
	hv_buf_release(&err);
}

static void
raise_int(void *arg)
{
	hv_loop_raise(arg, SIGINT);
}

static void
test_signal_rolls_back(void **state)
{
	struct fixture	*f = *state;
	struct hv_loop	*loop = hv_loop_new();
	json_t		*j;
	int64_t		 t0 = hv_mono_ms();

	hv_loop_timer(loop, 150, raise_int, loop);
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - pause: 20s\n"
	    "  - {action: fake.action, with: {id: b}}\n"
	    "rollbacks:\n"
	    "  - {action: fake.action, with: {id: rb}}\n", &j, loop),
	    HV_EXIT_ABORTED);
	assert_true(hv_mono_ms() - t0 < 5000);
	assert_string_equal(events, "inject:a revert:a inject:rb ");
	assert_string_equal(run_field(j, "reason"), "interrupted by SIGINT");
	assert_string_equal(fault_state(j, 0), "reverted");
	json_decref(j);
	hv_loop_free(loop);
}

/* Another process's write lock on the database, taken and let go. */
struct locker {
	const char	*path;
	sqlite3		*db;
};

static void
lock_db(void *arg)
{
	struct locker	*l = arg;

	assert_int_equal(sqlite3_open(l->path, &l->db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
}

static void
unlock_db(void *arg)
{
	struct locker	*l = arg;

	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(l->db);
	l->db = NULL;
}

/*
 * The database locked by another process for 2 s during a fault window
 * of 300 ms: the revert is made at its time, and everything is on
 * record once the lock is let go.
 */
static void
test_locked_store_keeps_windows(void **state)
{
	struct fixture	*f = *state;
	struct hv_loop	*loop = hv_loop_new();
	struct locker	 l = { f->db, NULL };
	json_t		*j;

	hv_loop_timer(loop, 150, lock_db, &l);
	hv_loop_timer(loop, 2150, unlock_db, &l);
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}, "
	    "duration: 300ms}\n"
	    "  - pause: 2500ms\n", &j, loop), HV_EXIT_OK);
	assert_string_equal(events, "inject:a revert:a ");
	assert_true(last_revert_ms - last_inject_ms < 1000);
	assert_string_equal(fault_state(j, 0), "reverted");
	assert_string_equal(run_field(j, "status"), "completed");
	json_decref(j);
	hv_loop_free(loop);
}

/* An inject waits (on the loop) for its journal entry, then goes on. */
static void
test_locked_store_delays_inject(void **state)
{
	struct fixture	*f = *state;
	struct hv_loop	*loop = hv_loop_new();
	struct locker	 l = { f->db, NULL };
	json_t		*j;
	int64_t		 t0 = hv_mono_ms();

	hv_loop_timer(loop, 100, lock_db, &l);
	hv_loop_timer(loop, 1200, unlock_db, &l);
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - pause: 300ms\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n",
	    &j, loop), HV_EXIT_OK);
	assert_string_equal(events, "inject:a revert:a ");
	assert_true(last_inject_ms - t0 >= 1100);
	assert_string_equal(fault_state(j, 0), "reverted");
	json_decref(j);
	hv_loop_free(loop);
}

/* A stop while an inject waits for the journal: it is never made. */
static void
test_stop_while_journal_waits(void **state)
{
	struct fixture	*f = *state;
	struct hv_loop	*loop = hv_loop_new();
	struct locker	 l = { f->db, NULL };
	json_t		*j;

	hv_loop_timer(loop, 100, lock_db, &l);
	hv_loop_timer(loop, 600, raise_int, loop);
	hv_loop_timer(loop, 1500, unlock_db, &l);
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - pause: 300ms\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n",
	    &j, loop), HV_EXIT_ABORTED);
	assert_string_equal(events, "");
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);
	hv_loop_free(loop);
}

static void
stop_run(void *arg)
{
	hv_run_request_stop(arg, "halted by the scheduler");
}

/* A run is stopped through its handle, with no process signal. */
static void
test_request_stop(void **state)
{
	struct fixture		*f = *state;
	struct hv_loop		*loop = hv_loop_new();
	struct hv_run_ctl	 ctl;
	json_t			*j;

	memset(&ctl, 0, sizeof ctl);
	extra.ctl = &ctl;
	hv_loop_timer(loop, 150, stop_run, &ctl);
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - pause: 20s\n"
	    "rollbacks:\n"
	    "  - {action: fake.action, with: {id: rb}}\n", &j, loop),
	    HV_EXIT_ABORTED);
	assert_string_equal(events, "inject:a revert:a inject:rb ");
	assert_string_equal(run_field(j, "reason"), "halted by the scheduler");
	json_decref(j);
	hv_loop_free(loop);
}

static int	hups;

static int
on_hup(int sig, void *arg)
{
	(void)arg;
	if (sig != SIGHUP)
		return 1;
	hups++;
	return 0;
}

static void
raise_hup(void *arg)
{
	hv_loop_raise(arg, SIGHUP);
}

/* A caller that handles a signal itself (a reload) keeps the run going. */
static void
test_signal_handed_to_caller(void **state)
{
	struct fixture	*f = *state;
	struct hv_loop	*loop = hv_loop_new();
	json_t		*j;

	hups = 0;
	extra.on_signal = on_hup;
	hv_loop_timer(loop, 100, raise_hup, loop);
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - pause: 400ms\n"
	    "  - {action: fake.action, with: {id: b}}\n", &j, loop),
	    HV_EXIT_OK);
	assert_int_equal(hups, 1);
	assert_string_equal(events, "inject:a inject:b revert:a ");
	json_decref(j);
	hv_loop_free(loop);
}

/* What the events callback saw, one letter a kind, and the phases. */
static char	ev_kinds[256];
static char	ev_phases[512];
static int	ev_exit = -1;

static void
on_event(const struct hv_event *ev, void *arg)
{
	static const char	 letters[] = "RPSCsAFNV";
	size_t			 n = strlen(ev_kinds);

	(void)arg;
	assert_non_null(ev->text);
	if (n + 1 < sizeof ev_kinds) {
		ev_kinds[n] = letters[ev->kind];
		ev_kinds[n + 1] = '\0';
	}
	if (ev->kind == HV_EV_PHASE) {
		strncat(ev_phases, ev->phase, sizeof ev_phases -
		    strlen(ev_phases) - 2);
		strcat(ev_phases, " ");
	}
	if (ev->kind == HV_EV_VERDICT)
		ev_exit = ev->exit_code;
}

static void
test_events(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	ev_kinds[0] = ev_phases[0] = '\0';
	ev_exit = -1;
	extra.on_event = on_event;
	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: up, probe: fake.probe, with: {id: 0}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - pause: 300ms\n"
	    "watch: {every: 100ms, probes: [up]}\n", &j, NULL), HV_EXIT_OK);
	assert_int_equal(ev_kinds[0], 'R');
	assert_int_equal(ev_kinds[strlen(ev_kinds) - 1], 'V');
	assert_int_equal(ev_exit, HV_EXIT_OK);
	assert_non_null(strchr(ev_kinds, 'S'));
	assert_non_null(strchr(ev_kinds, 'C'));
	assert_non_null(strchr(ev_kinds, 's'));
	assert_non_null(strchr(ev_kinds, 'F'));
	assert_string_equal(ev_phases, "steady_before method steady_after "
	    "rollback ");
	/* The store knows the last phase the run was in. */
	assert_string_equal(run_field(j, "phase"), "rollback");
	json_decref(j);
}

/*
 * A revert that says "not yet" (its inject still runs on the host) is
 * tried again a few seconds later, and the run ends clean.
 */
static void
test_revert_again(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;
	int64_t		 t0 = hv_mono_ms();

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: again}}\n",
	    &j, NULL), HV_EXIT_OK);
	assert_string_equal(events, "inject:a revert:a revert:a ");
	assert_true(hv_mono_ms() - t0 >= 4900);
	assert_string_equal(fault_state(j, 0), "reverted");
	json_decref(j);
}

static void
test_signal_cancels_action_in_flight(void **state)
{
	struct fixture	*f = *state;
	struct hv_loop	*loop = hv_loop_new();
	json_t		*j;

	hv_loop_timer(loop, 100, raise_int, loop);
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: h, mode: hang, "
	    "revert_mode: ok}}\n", &j, loop), HV_EXIT_ABORTED);
	/* Cancelled, and the fault it may have half made is reverted. */
	assert_string_equal(events, "inject:h cancel:h revert:h ");
	assert_string_equal(fault_state(j, 0), "reverted");
	json_decref(j);
	hv_loop_free(loop);
}

static void
test_hanging_action_watchdog(void **state)
{
	struct fixture	*f = *state;
	int64_t		 t0 = hv_mono_ms();

	/* timeout 100ms + the runner's grace: cancelled, run aborted. */
	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: h, mode: hang, "
	    "timeout: 100ms}}\n", NULL, NULL), HV_EXIT_ABORTED);
	assert_string_equal(events, "inject:h cancel:h ");
	assert_true(hv_mono_ms() - t0 < 8000);
}

static void
test_duration_reverts_in_time(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *steps, *s;
	size_t		 i;
	int		 saw = 0;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}, "
	    "duration: 200ms}\n"
	    "  - {action: fake.action, with: {id: b}}\n", &j, NULL),
	    HV_EXIT_OK);
	/* Reverted after its duration, before the next step. */
	assert_string_equal(events, "inject:a revert:a inject:b ");
	steps = json_object_get(j, "steps");
	json_array_foreach(steps, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "phase")),
		    "revert") == 0)
			saw = 1;
	}
	assert_true(saw);
	assert_string_equal(fault_state(j, 0), "reverted");
	json_decref(j);
}

static void
test_background_duration(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: up, probe: fake.probe, with: {id: 0}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}, "
	    "duration: 300ms, background: true}\n"
	    "  - {action: fake.action, with: {id: b}}\n", &j, NULL),
	    HV_EXIT_OK);
	/* b does not wait; a is reverted before the steady state after. */
	assert_string_equal(events, "inject:a inject:b revert:a ");
	assert_int_equal(probe_calls[0], 2);
	json_decref(j);
}

/* Background windows end on time, during a pause, each when it is due. */
static void
test_background_windows_on_time(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}, "
	    "duration: 600ms, background: true}\n"
	    "  - {action: fake.action, with: {id: b, revert_mode: ok}, "
	    "duration: 200ms, background: true}\n"
	    "  - pause: 2s\n"
	    "  - {action: fake.action, with: {id: c}}\n", &j, NULL),
	    HV_EXIT_OK);
	/* Both reverted within the pause, not at its end or later. */
	assert_string_equal(events,
	    "inject:a inject:b revert:b revert:a inject:c ");
	json_decref(j);
}

/*
 * A window is reverted at its time, even while another step is still
 * under way (a step stuck on a host that went away must not hold the
 * reverts of the others).
 */
static void
test_windows_revert_during_a_step(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *fa, *fb, *st;
	json_int_t	 c_end = 0;
	size_t		 i;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}, "
	    "duration: 100ms, background: true}\n"
	    "  - {action: fake.action, with: {id: b, revert_mode: ok}, "
	    "duration: 150ms, background: true}\n"
	    "  - {action: fake.action, with: {id: c, delay: 1500ms}}\n",
	    &j, NULL), HV_EXIT_OK);
	assert_string_equal(events,
	    "inject:a inject:b inject:c revert:a revert:b ");
	json_array_foreach(json_object_get(j, "steps"), i, st) {
		if (strcmp(json_string_value(json_object_get(st, "name")),
		    "fake.action") == 0 && json_integer_value(
		    json_object_get(st, "ended_at")) > c_end)
			c_end = json_integer_value(json_object_get(st,
			    "ended_at"));
	}
	fa = json_array_get(json_object_get(j, "faults"), 0);
	fb = json_array_get(json_object_get(j, "faults"), 1);
	assert_string_equal(json_string_value(json_object_get(fa, "state")),
	    "reverted");
	/* Both reverted long before c ended. */
	assert_true(json_integer_value(json_object_get(fa, "reverted_at")) <
	    c_end - 800);
	assert_true(json_integer_value(json_object_get(fb, "reverted_at")) <
	    c_end - 800);
	json_decref(j);
}

static void
test_abort_when(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;
	int64_t		 t0 = hv_mono_ms();

	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: site, probe: fake.probe, with: {id: 1, seq: '10'}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - pause: 30s\n"
	    "  - {action: fake.action, with: {id: b}}\n"
	    "rollbacks:\n"
	    "  - {action: fake.action, with: {id: rb}}\n"
	    "watch: {every: 100ms, probes: [site]}\n"
	    "safety: {abort_when: {probe: site, failing_for: 300ms}}\n",
	    &j, NULL), HV_EXIT_ABORTED);
	assert_true(hv_mono_ms() - t0 < 5000);
	assert_string_equal(events, "inject:a revert:a inject:rb ");
	assert_non_null(strstr(run_field(j, "reason"), "safety: site failing"));
	json_decref(j);
}

static void
test_time_to_recover(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *fig, *samples;
	int64_t		 ttr, first, rec;

	/* before: 1; watch rounds: 1 1 0 0 1 0 1 1 1 ...; after: 1 */
	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: site, probe: fake.probe, with: {id: 2, "
	    "seq: '1110010111111111111'}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "  - pause: 1500ms\n"
	    "watch: {every: 100ms, probes: [site]}\n", &j, NULL), HV_EXIT_OK);
	fig = json_array_get(json_object_get(j, "figures"), 0);
	assert_non_null(fig);
	assert_string_equal(json_string_value(json_object_get(fig, "state")),
	    "recovered");
	assert_int_equal(json_integer_value(json_object_get(fig, "failures")),
	    3);
	/* From the first failure to the pass after the last failure. */
	samples = json_object_get(j, "samples");
	first = json_integer_value(json_object_get(json_array_get(samples, 2),
	    "at"));
	rec = json_integer_value(json_object_get(json_array_get(samples, 6),
	    "at"));
	ttr = json_integer_value(json_object_get(fig, "ttr_ms"));
	assert_int_equal(ttr, rec - first);
	assert_true(ttr >= 350 && ttr <= 1000);
	assert_false(json_is_true(json_object_get(json_array_get(samples, 5),
	    "ok")));
	json_decref(j);
}

static void
test_not_recovered_deviates(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *fig;

	assert_int_equal(run_yaml(f,
	    "steady_state:\n"
	    "  - {name: site, probe: fake.probe, with: {id: 3, seq: '110'}}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a}}\n"
	    "  - pause: 400ms\n"
	    "watch: {every: 100ms, probes: [site]}\n", &j, NULL),
	    HV_EXIT_DEVIATED);
	fig = json_array_get(json_object_get(j, "figures"), 0);
	assert_string_equal(json_string_value(json_object_get(fig, "state")),
	    "not_recovered");
	assert_true(json_is_null(json_object_get(fig, "ttr_ms")));
	assert_string_equal(run_field(j, "status"), "deviated");
	json_decref(j);
}

static void
test_alerts(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *a0, *a1;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "alerts:\n"
	    "  - {name: seen, probe: fake.probe, with: {id: 4, seq: '00001'},"
	    " within: 2s, every: 100ms}\n"
	    "  - {name: gap, probe: fake.probe, with: {id: 5, seq: '0'},"
	    " within: 400ms, every: 100ms}\n", &j, NULL), HV_EXIT_DEVIATED);
	a0 = json_array_get(json_object_get(j, "alerts"), 0);
	a1 = json_array_get(json_object_get(j, "alerts"), 1);
	assert_string_equal(json_string_value(json_object_get(a0, "state")),
	    "fired");
	assert_true(json_integer_value(json_object_get(a0, "ttd_ms")) >= 250);
	assert_true(json_integer_value(json_object_get(a0, "ttd_ms")) < 1500);
	assert_string_equal(json_string_value(json_object_get(a1, "state")),
	    "missed");
	assert_non_null(strstr(run_field(j, "reason"), "monitoring gap"));
	/* Alerts were waited for before the fault was reverted. */
	assert_string_equal(events, "inject:a revert:a ");
	json_decref(j);
}

/*
 * An action that cannot be reverted (a kill) changes a target all the
 * same: the expected alert is awaited, and its absence is a deviation.
 */
static void
test_alert_after_unrevertible_change(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *a;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: kill}}\n"
	    "  - pause: 100ms\n"
	    "alerts:\n"
	    "  - {name: NodeDown, probe: fake.probe, with: {id: 4, seq: '0'},"
	    " within: 600ms, every: 100ms}\n", &j, NULL), HV_EXIT_DEVIATED);
	a = json_array_get(json_object_get(j, "alerts"), 0);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "state")),
	    "missed");
	assert_non_null(strstr(run_field(j, "reason"), "monitoring gap"));
	/* It was awaited for its whole within: polled about 6 times. */
	assert_true(probe_calls[4] >= 5);
	json_decref(j);
}

/* Time to detect counts from the first change, not from a later fault. */
static void
test_ttd_from_first_change(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *a;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: kill}}\n"
	    "  - pause: 600ms\n"
	    "  - {action: fake.action, with: {id: f, revert_mode: ok}}\n"
	    "alerts:\n"
	    "  - {name: seen, probe: fake.probe, with: {id: 4, "
	    "seq: '000000001'}, within: 3s, every: 100ms}\n", &j, NULL),
	    HV_EXIT_OK);
	a = json_array_get(json_object_get(j, "alerts"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "state")),
	    "fired");
	assert_true(json_integer_value(json_object_get(a, "ttd_ms")) >= 600);
	json_decref(j);
}

/* A run that changed nothing cannot tell whether alerting works. */
static void
test_alerts_not_evaluated(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *a;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - pause: 50ms\n"
	    "alerts:\n"
	    "  - {name: quiet, probe: fake.probe, with: {id: 4, seq: '0'},"
	    " within: 200ms}\n", &j, NULL), HV_EXIT_OK);
	a = json_array_get(json_object_get(j, "alerts"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "state")),
	    "not_evaluated");
	assert_non_null(strstr(json_string_value(json_object_get(a,
	    "detail")), "changed nothing"));
	assert_true(json_is_null(json_object_get(a, "ttd_ms")));
	json_decref(j);
}

/* An alert probe that cannot look stops the run before any change. */
static void
test_alert_probe_broken(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "alerts:\n"
	    "  - {name: am, probe: fake.probe, with: {id: 4, seq: 'x'},"
	    " within: 1s}\n", &j, NULL), HV_EXIT_ABORTED);
	assert_string_equal(events, "");
	assert_non_null(strstr(run_field(j, "reason"), "cannot be checked"));
	json_decref(j);
}

/* An alert that fires before anything changed proves nothing. */
static void
test_alert_already_firing(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}}\n"
	    "alerts:\n"
	    "  - {name: am, probe: fake.probe, with: {id: 4, seq: '1'},"
	    " within: 1s}\n", &j, NULL), HV_EXIT_ABORTED);
	assert_string_equal(events, "");
	assert_non_null(strstr(run_field(j, "reason"), "already fires"));
	json_decref(j);
}

/* Alerts are polled from the first injection, not after its window. */
static void
test_alerts_during_window(void **state)
{
	struct fixture	*f = *state;
	json_t		*j, *a;

	assert_int_equal(run_yaml(f,
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok}, "
	    "duration: 1500ms}\n"
	    "alerts:\n"
	    "  - {name: seen, probe: fake.probe, with: {id: 6, seq: '01'},"
	    " within: 5s, every: 200ms}\n", &j, NULL), HV_EXIT_OK);
	a = json_array_get(json_object_get(j, "alerts"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "state")),
	    "fired");
	/* The second poll, 200 ms in: well inside the 1.5 s window. */
	assert_true(json_integer_value(json_object_get(a, "ttd_ms")) < 1000);
	json_decref(j);
}

/* The secret is used by the revert but never stored. */
static void
test_secret_not_stored(void **state)
{
	struct fixture	*f = *state;
	struct hv_buf	 db = HV_BUF_INIT, err = HV_BUF_INIT;
	char		 path[128];
	json_t		*j;
	char		*dump;

	setenv("HV_TEST_SECRET", "s3cr3t-t0ken", 1);
	assert_int_equal(run_yaml(f,
	    "vars: {token: '${env.HV_TEST_SECRET}'}\n"
	    "method:\n"
	    "  - {action: fake.action, with: {id: a, revert_mode: ok, "
	    "value: 'Bearer ${token}'}}\n", &j, NULL), HV_EXIT_OK);
	/* The revert, rebuilt from the journal, saw the real value. */
	assert_string_equal(events, "inject:a revert:a=Bearer s3cr3t-t0ken ");
	dump = json_dumps(j, 0);
	assert_null(strstr(dump, "s3cr3t"));
	assert_non_null(strstr(dump, "${env.HV_TEST_SECRET}"));
	free(dump);
	json_decref(j);
	/* Nor anywhere in the database files. */
	hv_store_close(f->st);
	f->st = NULL;
	snprintf(path, sizeof path, "%s", f->db);
	assert_int_equal(hv_read_file(path, &db, &err), 0);
	snprintf(path, sizeof path, "%s-wal", f->db);
	(void)hv_read_file(path, &db, &err);
	assert_null(memmem(db.s, db.len, "s3cr3t", 6));
	assert_int_equal(hv_store_open(f->db, &f->st, &err), 0);
	hv_buf_release(&db);
	hv_buf_release(&err);
	unsetenv("HV_TEST_SECRET");
}

/* Targets: one call per host, the group resolved once for the run. */
static void
test_targets_resolved_once(void **state)
{
	struct fixture	*f = *state;
	char		*inject, *rb;
	json_t		*j;

	assert_int_equal(run_yaml(f,
	    "hosts:\n"
	    "  w1: {address: 10.0.0.1, tags: [web]}\n"
	    "  w2: {address: 10.0.0.2, tags: [web]}\n"
	    "  w3: {address: 10.0.0.3, tags: [web]}\n"
	    "targets: {one: {tags: [web], pick: 1}}\n"
	    "method:\n"
	    "  - {action: fake.host, on: one, with: {id: k}}\n"
	    "rollbacks:\n"
	    "  - {action: fake.host, on: one, with: {id: s}}\n", &j, NULL),
	    HV_EXIT_OK);
	/* The rollback hits the host the fault hit. */
	inject = strstr(events, "inject:k@");
	rb = strstr(events, "inject:s@");
	assert_non_null(inject);
	assert_non_null(rb);
	assert_memory_equal(inject + 9, rb + 9, 2);
	json_decref(j);
}

static void
test_blast_radius_refused(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(run_yaml(f,
	    "hosts:\n"
	    "  w1: {address: 10.0.0.1, tags: [web]}\n"
	    "  w2: {address: 10.0.0.2, tags: [web]}\n"
	    "targets: {all: {tags: [web]}}\n"
	    "method:\n"
	    "  - {action: fake.host, on: all, with: {id: k}}\n"
	    "safety: {max_targets: 1}\n", NULL, NULL), HV_EXIT_ABORTED);
	assert_string_equal(events, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_happy_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_steady_before_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_preflight_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_action_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_action_cannot_start, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_failing_rollback_does_not_stop_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_rolls_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_signal_cancels_action_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_revert_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_signal_handed_to_caller,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_store_keeps_windows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_store_delays_inject,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_journal_waits,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hanging_action_watchdog,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_duration_reverts_in_time,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_background_duration, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_background_windows_on_time,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows_revert_during_a_step,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_when, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_time_to_recover, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_recovered_deviates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_alert_after_unrevertible_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttd_from_first_change,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_not_evaluated,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_probe_broken, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alert_already_firing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_during_window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_not_stored, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_targets_resolved_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_blast_radius_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
