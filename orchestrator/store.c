/*
 * store.c - the SQLite history behind store.h; the only user of sqlite3.
 *
 * Choices store.h leaves to this file:
 *
 *   - The seed is a uint64_t. It is stored as its decimal TEXT (checked by
 *     the schema), which the sqlite3 shell shows as the user typed it, and
 *     it is returned in JSON as a string: a JSON number above 2^53 is not
 *     exact in most readers, and a type that changes with the value would
 *     trap every consumer.
 *   - The fault journal (hv_store_fault_add, hv_store_fault_set) refuses to
 *     write inside hv_store_begin()/hv_store_commit(): committing there
 *     would commit the caller's batch behind its back, and not committing
 *     would break the promise that a fault is on disk before it is
 *     injected. A refusal fails safe: the fault is not injected.
 *   - hv_store_fault_set() enforces the fault state machine in the UPDATE
 *     itself (pending -> active | inject_failed; anything not reverted ->
 *     reverted | revert_failed), so a late report cannot reopen a fault.
 *     An error, once recorded, stays unless a newer one replaces it.
 *   - Statements are cached, one per query, and every function resets its
 *     statements before it returns. hv_store_faults_open() copies its rows
 *     out before calling back, so the callback may use the store, even
 *     hv_store_faults_open() itself, without restarting the walk.
 *   - Reads of several tables run inside one read transaction (unless the
 *     caller holds one), so a report sees one snapshot of a live run.
 *   - In JSON, deviated and ok are booleans; vars, plan and revert_spec are
 *     embedded as JSON when they parse; text that is not UTF-8 has its bad
 *     bytes replaced with U+FFFD (the database keeps it verbatim).
 *   - Optional times and numbers given as 0 (or -1, or a negative latency)
 *     are stored as NULL.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store-int.h"
#include "util.h"

/*
 * Migration i brings user_version i to i + 1, in one transaction. They are
 * history: never edit one that has shipped, add the next. A migration that
 * rebuilds a table must turn foreign_keys off around it (outside the
 * transaction), as the SQLite documentation on ALTER TABLE describes.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE gamedays (\n"
	" id           INTEGER PRIMARY KEY,\n"
	" name         TEXT NOT NULL,\n"
	" file         TEXT NOT NULL,\n"
	" scheduled_at INTEGER,\n"
	" started_at   INTEGER NOT NULL,\n"
	" ended_at     INTEGER,\n"
	" status       TEXT NOT NULL DEFAULT 'running'\n"
	");\n"
	"CREATE INDEX gamedays_name ON gamedays (name, started_at);\n"

	"CREATE TABLE runs (\n"
	" id         INTEGER PRIMARY KEY,\n"
	" experiment TEXT NOT NULL,\n"
	" file       TEXT NOT NULL,\n"
	" file_hash  TEXT NOT NULL,\n"
	" seed       TEXT NOT NULL CONSTRAINT run_seed CHECK (seed <> ''\n"
	"             AND seed NOT GLOB '*[^0-9]*' AND length(seed) <= 20),\n"
	" gameday_id INTEGER REFERENCES gamedays (id),\n"
	" vars_json  TEXT,\n"
	" plan_json  TEXT,\n"
	" controller TEXT NOT NULL,\n"
	" pid        INTEGER NOT NULL,\n"
	" status     TEXT NOT NULL DEFAULT 'running' CONSTRAINT run_status\n"
	"             CHECK (status IN ('running', 'completed', 'deviated',\n"
	"             'aborted', 'rollback_failed', 'interrupted',\n"
	"             'planned')),\n"
	" deviated   INTEGER NOT NULL DEFAULT 0\n"
	"             CONSTRAINT run_deviated CHECK (deviated IN (0, 1)),\n"
	" exit_code  INTEGER,\n"
	" reason     TEXT,\n"
	" started_at INTEGER NOT NULL,\n"
	" ended_at   INTEGER\n"
	");\n"
	"CREATE INDEX runs_started ON runs (started_at);\n"
	"CREATE INDEX runs_status ON runs (status, started_at);\n"
	"CREATE INDEX runs_gameday ON runs (gameday_id);\n"

	"CREATE TABLE steps (\n"
	" id         INTEGER PRIMARY KEY,\n"
	" run_id     INTEGER NOT NULL\n"
	"             REFERENCES runs (id) ON DELETE CASCADE,\n"
	" seq        INTEGER NOT NULL,\n"
	" phase      TEXT NOT NULL CONSTRAINT step_phase CHECK (phase IN\n"
	"             ('preflight', 'steady_before', 'method', "
	    "'steady_after',\n"
	"             'rollback', 'revert')),\n"
	" kind       TEXT NOT NULL CONSTRAINT step_kind CHECK (kind IN\n"
	"             ('action', 'probe', 'pause', 'revert')),\n"
	" name       TEXT NOT NULL,\n"
	" driver     TEXT,\n"
	" target     TEXT,\n"
	" detail     TEXT,\n"
	" started_at INTEGER NOT NULL,\n"
	" ended_at   INTEGER,\n"
	" status     TEXT NOT NULL DEFAULT 'running' CONSTRAINT step_status\n"
	"             CHECK (status IN ('running', 'ok', 'failed', 'error',\n"
	"             'skipped', 'cancelled')),\n"
	" output     TEXT,\n"
	" error      TEXT,\n"
	" latency_ms REAL,\n"
	" UNIQUE (run_id, seq)\n"
	");\n"

	"CREATE TABLE samples (\n"
	" id         INTEGER PRIMARY KEY,\n"
	" run_id     INTEGER NOT NULL\n"
	"             REFERENCES runs (id) ON DELETE CASCADE,\n"
	" probe      TEXT NOT NULL,\n"
	" target     TEXT,\n"
	" at         INTEGER NOT NULL,\n"
	" ok         INTEGER NOT NULL\n"
	"             CONSTRAINT sample_ok CHECK (ok IN (0, 1)),\n"
	" latency_ms REAL,\n"
	" error      TEXT\n"
	");\n"
	"CREATE INDEX samples_run ON samples (run_id, at);\n"

	/* No cascade: a run cannot be deleted while its journal remains. */
	"CREATE TABLE faults (\n"
	" id          INTEGER PRIMARY KEY,\n"
	" run_id      INTEGER NOT NULL REFERENCES runs (id),\n"
	" step_id     INTEGER REFERENCES steps (id),\n"
	" target      TEXT,\n"
	" driver      TEXT NOT NULL,\n"
	" inject      TEXT NOT NULL,\n"
	" revert      TEXT NOT NULL,\n"
	" revert_spec TEXT,\n"
	" state       TEXT NOT NULL DEFAULT 'pending' CONSTRAINT fault_state\n"
	"              CHECK (state IN ('pending', 'active', 'inject_failed',\n"
	"              'reverted', 'revert_failed')),\n"
	" created_at  INTEGER NOT NULL,\n"
	" injected_at INTEGER,\n"
	" reverted_at INTEGER,\n"
	" dead_man_at INTEGER,\n"
	" error       TEXT\n"
	");\n"
	"CREATE INDEX faults_run ON faults (run_id);\n"
	"CREATE INDEX faults_step ON faults (step_id);\n"
	"CREATE INDEX faults_state ON faults (state, run_id);\n"

	/* Time to detect is derived, so it cannot disagree with its inputs. */
	"CREATE TABLE alerts (\n"
	" id          INTEGER PRIMARY KEY,\n"
	" run_id      INTEGER NOT NULL\n"
	"              REFERENCES runs (id) ON DELETE CASCADE,\n"
	" name        TEXT NOT NULL,\n"
	" probe       TEXT NOT NULL,\n"
	" within_ms   INTEGER NOT NULL,\n"
	" injected_at INTEGER,\n"
	" fired_at    INTEGER,\n"
	" ttd_ms      INTEGER GENERATED ALWAYS AS (fired_at - injected_at),\n"
	" state       TEXT NOT NULL CONSTRAINT alert_state CHECK (state IN\n"
	"              ('fired', 'silenced', 'inhibited', 'missed')),\n"
	" detail      TEXT\n"
	");\n"
	"CREATE INDEX alerts_run ON alerts (run_id);\n"

	"CREATE TABLE figures (\n"
	" run_id           INTEGER NOT NULL\n"
	"                   REFERENCES runs (id) ON DELETE CASCADE,\n"
	" probe            TEXT NOT NULL,\n"
	" samples          INTEGER NOT NULL CHECK (samples >= 0),\n"
	" failures         INTEGER NOT NULL CHECK (failures >= 0),\n"
	" first_failure_at INTEGER,\n"
	" recovered_at     INTEGER,\n"
	" ttr_ms           INTEGER,\n"
	" state            TEXT NOT NULL CONSTRAINT figure_state\n"
	"                   CHECK (state IN ('steady', 'recovered',\n"
	"                   'not_recovered')),\n"
	" PRIMARY KEY (run_id, probe)\n"
	");\n",

	/*
	 * 1 -> 2: an alert of a run that changed nothing is not evaluated;
	 * the phase a run is in, for `havoc status`; havoc's mark on the
	 * file. alerts is rebuilt for its CHECK (nothing refers to it).
	 */
	"CREATE TABLE alerts_v2 (\n"
	" id          INTEGER PRIMARY KEY,\n"
	" run_id      INTEGER NOT NULL\n"
	"              REFERENCES runs (id) ON DELETE CASCADE,\n"
	" name        TEXT NOT NULL,\n"
	" probe       TEXT NOT NULL,\n"
	" within_ms   INTEGER NOT NULL,\n"
	" injected_at INTEGER,\n"
	" fired_at    INTEGER,\n"
	" ttd_ms      INTEGER GENERATED ALWAYS AS (fired_at - injected_at),\n"
	" state       TEXT NOT NULL CONSTRAINT alert_state CHECK (state IN\n"
	"              ('fired', 'silenced', 'inhibited', 'missed',\n"
	"              'not_evaluated')),\n"
	" detail      TEXT\n"
	");\n"
	"INSERT INTO alerts_v2 (id, run_id, name, probe, within_ms,"
	" injected_at, fired_at, state, detail)"
	" SELECT id, run_id, name, probe, within_ms, injected_at, fired_at,"
	" state, detail FROM alerts;\n"
	"DROP TABLE alerts;\n"
	"ALTER TABLE alerts_v2 RENAME TO alerts;\n"
	"CREATE INDEX alerts_run ON alerts (run_id);\n"
	"ALTER TABLE runs ADD COLUMN phase TEXT;\n"
	/* HV_STORE_APP_ID, 0x48564f43: "HVOC". */
	"PRAGMA application_id = 1213615939;\n",

	/* 2 -> 3: the experiment's tags on its runs, for reports. */
	"ALTER TABLE runs ADD COLUMN tags_json TEXT;\n",

	/* 3 -> 4: game days as the daemon runs them (store-gameday.c). */
	"CREATE TABLE daemons (\n"
	" id           INTEGER PRIMARY KEY,\n"
	" controller   TEXT NOT NULL,\n"
	" pid          INTEGER NOT NULL,\n"
	" proc_start   TEXT,\n"
	" files        TEXT,\n"
	" started_at   INTEGER NOT NULL,\n"
	" heartbeat_at INTEGER,\n"
	" stopped_at   INTEGER,\n"
	" status       TEXT NOT NULL DEFAULT 'running' CONSTRAINT\n"
	"               daemon_status CHECK (status IN ('running', 'stopped',\n"
	"               'lost'))\n"
	");\n"
	"CREATE TABLE leases (\n"
	" name       TEXT PRIMARY KEY,\n"
	" daemon_id  INTEGER NOT NULL REFERENCES daemons (id),\n"
	" expires_at INTEGER NOT NULL\n"
	");\n"
	"ALTER TABLE gamedays ADD COLUMN file_hash TEXT;\n"
	"ALTER TABLE gamedays ADD COLUMN jitter_ms INTEGER;\n"
	"ALTER TABLE gamedays ADD COLUMN jitter_seed TEXT;\n"
	"ALTER TABLE gamedays ADD COLUMN daemon_id INTEGER\n"
	" REFERENCES daemons (id);\n"
	"ALTER TABLE gamedays ADD COLUMN controller TEXT;\n"
	"ALTER TABLE gamedays ADD COLUMN pid INTEGER;\n"
	"ALTER TABLE gamedays ADD COLUMN exit_code INTEGER;\n"
	"ALTER TABLE gamedays ADD COLUMN reason TEXT;\n"
	"ALTER TABLE gamedays ADD COLUMN summary TEXT;\n"
	"ALTER TABLE gamedays ADD COLUMN notify TEXT;\n"
	"CREATE INDEX gamedays_status ON gamedays (status);\n"
	"CREATE TABLE gameday_schedules (\n"
	" name            TEXT PRIMARY KEY,\n"
	" file            TEXT NOT NULL,\n"
	" schedule        TEXT NOT NULL,\n"
	" timezone        TEXT NOT NULL,\n"
	" daemon_id       INTEGER REFERENCES daemons (id),\n"
	" next_slot_at    INTEGER,\n"
	" next_start_at   INTEGER,\n"
	" accounted_until INTEGER,\n"
	" updated_at      INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE gameday_skips (\n"
	" id           INTEGER PRIMARY KEY,\n"
	" name         TEXT NOT NULL,\n"
	" file         TEXT,\n"
	" scheduled_at INTEGER NOT NULL,\n"
	" reason       TEXT NOT NULL CONSTRAINT skip_reason CHECK (reason\n"
	"               IN ('missed', 'concurrency', 'error')),\n"
	" detail       TEXT,\n"
	" daemon_id    INTEGER REFERENCES daemons (id),\n"
	" recorded_at  INTEGER NOT NULL,\n"
	" UNIQUE (name, scheduled_at)\n"
	");\n",

	/* 4 -> 5: the batch of a step that works in batches (a rotation). */
	"ALTER TABLE steps ADD COLUMN batch INTEGER;\n",
};

_Static_assert(HV_ARRAY_LEN(migrations) == HV_STORE_SCHEMA,
    "one migration per schema version");

enum stmt {
	S_BEGIN,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_RUN_BEGIN,
	S_RUN_END,
	S_RUN_PHASE,
	S_STEP_BEGIN,
	S_STEP_END,
	S_STEP_BATCH,
	S_SAMPLE,
	S_FAULT_ADD,
	S_FAULT_SET,
	S_FAULT_STATE,
	S_FAULTS_OPEN,
	S_ALERT,
	S_FIGURE,
	S_GAMEDAY_BEGIN,
	S_GAMEDAY_END,
	S_RUNS,
	S_RUNNING,
	S_RUN,
	S_RUN_STEPS,
	S_RUN_SAMPLES,
	S_RUN_FAULTS,
	S_RUN_ALERTS,
	S_RUN_FIGURES,
	S_COUNT
};

#define RUN_LIST_COLUMNS \
	"id, experiment, file, status, phase, deviated, exit_code, reason," \
	" seed, started_at, ended_at, gameday_id AS gameday"

/* Every statement, with the name of what it does for error messages. */
static const struct {
	const char	*what;
	const char	*sql;
} stmts[S_COUNT] = {
	[S_BEGIN] = { "begin", "BEGIN IMMEDIATE" },
	[S_BEGIN_READ] = { "begin read", "BEGIN" },
	[S_COMMIT] = { "commit", "COMMIT" },
	[S_ROLLBACK] = { "rollback", "ROLLBACK" },
	[S_RUN_BEGIN] = { "begin run",
	    "INSERT INTO runs (experiment, file, file_hash, seed, gameday_id,"
	    " vars_json, plan_json, controller, pid, started_at, tags_json)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)" },
	[S_RUN_END] = { "end run",
	    "UPDATE runs SET status = ?2, deviated = ?3, exit_code = ?4,"
	    " reason = ?5, ended_at = ?6 WHERE id = ?1" },
	[S_RUN_PHASE] = { "set phase",
	    "UPDATE runs SET phase = ?2 WHERE id = ?1" },
	[S_STEP_BEGIN] = { "begin step",
	    "INSERT INTO steps (run_id, seq, phase, kind, name, driver, target,"
	    " detail, started_at)"
	    " SELECT ?1, coalesce(max(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8"
	    " FROM steps WHERE run_id = ?1" },
	[S_STEP_END] = { "end step",
	    "UPDATE steps SET status = ?2, output = ?3, error = ?4,"
	    " latency_ms = ?5, ended_at = ?6 WHERE id = ?1" },
	[S_STEP_BATCH] = { "set step batch",
	    "UPDATE steps SET batch = ?2 WHERE id = ?1" },
	[S_SAMPLE] = { "insert sample",
	    "INSERT INTO samples (run_id, probe, target, at, ok, latency_ms,"
	    " error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" },
	[S_FAULT_ADD] = { "add fault",
	    "INSERT INTO faults (run_id, step_id, target, driver, inject,"
	    " revert, revert_spec, dead_man_at, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)" },
	[S_FAULT_SET] = { "set fault",
	    "UPDATE faults SET state = ?2, error = coalesce(?3, error),"
	    " injected_at = CASE WHEN ?2 IN ('active', 'inject_failed')"
	    "  THEN ?4 ELSE injected_at END,"
	    " reverted_at = CASE WHEN ?2 = 'reverted' THEN ?4"
	    "  ELSE reverted_at END"
	    " WHERE id = ?1 AND state IN (?5, ?6, ?7, ?8)" },
	[S_FAULT_STATE] = { "set fault",
	    "SELECT state FROM faults WHERE id = ?1" },
	[S_FAULTS_OPEN] = { "open faults",
	    "SELECT f.id, f.run_id, f.target, f.driver, f.state, f.revert,"
	    " f.revert_spec, r.status, r.pid, r.controller, f.dead_man_at,"
	    " f.step_id"
	    " FROM faults f JOIN runs r ON r.id = f.run_id"
	    " WHERE f.state IN ('pending', 'active', 'inject_failed',"
	    " 'revert_failed') AND (?1 = 0 OR f.run_id = ?1)"
	    " ORDER BY f.id DESC" },
	[S_ALERT] = { "insert alert",
	    "INSERT INTO alerts (run_id, name, probe, within_ms, injected_at,"
	    " fired_at, state, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" },
	[S_FIGURE] = { "insert figure",
	    "INSERT INTO figures (run_id, probe, samples, failures,"
	    " first_failure_at, recovered_at, ttr_ms, state)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (run_id, probe) DO UPDATE SET"
	    " samples = excluded.samples, failures = excluded.failures,"
	    " first_failure_at = excluded.first_failure_at,"
	    " recovered_at = excluded.recovered_at, ttr_ms = excluded.ttr_ms,"
	    " state = excluded.state" },
	[S_GAMEDAY_BEGIN] = { "begin game day",
	    "INSERT INTO gamedays (name, file, scheduled_at, started_at)"
	    " VALUES (?1, ?2, ?3, ?4)" },
	[S_GAMEDAY_END] = { "end game day",
	    "UPDATE gamedays SET status = ?2, ended_at = ?3 WHERE id = ?1" },
	[S_RUNS] = { "list runs",
	    "SELECT " RUN_LIST_COLUMNS " FROM runs"
	    " ORDER BY started_at DESC, id DESC LIMIT ?1" },
	[S_RUNNING] = { "list running runs",
	    "SELECT " RUN_LIST_COLUMNS ", pid, controller FROM runs"
	    " WHERE status = 'running' ORDER BY started_at DESC, id DESC" },
	[S_RUN] = { "read run",
	    "SELECT id, experiment, file, file_hash, seed,"
	    " gameday_id AS gameday, vars_json AS vars, plan_json AS plan,"
	    " controller, pid, status, phase, deviated, exit_code, reason,"
	    " started_at, ended_at"
	    " FROM runs WHERE id = ?1" },
	[S_RUN_STEPS] = { "read steps",
	    "SELECT id, seq, phase, kind, name, driver, target, detail,"
	    " started_at, ended_at, status, output, error, latency_ms, batch"
	    " FROM steps WHERE run_id = ?1 ORDER BY id" },
	[S_RUN_SAMPLES] = { "read samples",
	    "SELECT id, probe, target, at, ok, latency_ms, error"
	    " FROM samples WHERE run_id = ?1 ORDER BY at, id" },
	[S_RUN_FAULTS] = { "read faults",
	    "SELECT id, step_id AS step, target, driver, inject, revert,"
	    " revert_spec, state, created_at, injected_at, reverted_at,"
	    " dead_man_at, error FROM faults WHERE run_id = ?1 ORDER BY id" },
	[S_RUN_ALERTS] = { "read alerts",
	    "SELECT id, name, probe, within_ms, injected_at, fired_at, ttd_ms,"
	    " state, detail FROM alerts WHERE run_id = ?1 ORDER BY id" },
	[S_RUN_FIGURES] = { "read figures",
	    "SELECT probe, samples, failures, first_failure_at, recovered_at,"
	    " ttr_ms, state FROM figures WHERE run_id = ?1 ORDER BY probe" },
};

/* Writes that wait for another process's lock: see "Writes that wait". */
#define PROVISIONAL	(INT64_C(1) << 62)
#define QUEUE_MAX	200000		/* writes kept while locked out */
#define QARGS		10

enum qkind { Q_NULL, Q_INT, Q_REAL, Q_TEXT, Q_STEP };

struct qval {
	enum qkind	 k;
	int64_t		 i;
	double		 d;
	char		*s;
};

struct qent {
	enum stmt	 id;
	int		 n;
	struct qval	 v[QARGS];
	int64_t		 key;		/* the row an UPDATE is about */
	int64_t		 handle;	/* a waiting step's provisional id */
	const char	*to;		/* set fault: the new state */
	size_t		 move;		/* set fault: index in fault_moves */
};

/* A write's result: done, failed for good, or locked out for now. */
enum { Q_DONE = 0, Q_FAILED = -1, Q_BUSY = 1 };

struct handle {
	int64_t		 handle;	/* provisional step id */
	int64_t		 row;		/* steps.id */
};

struct hv_store {
	sqlite3		*db;
	int		 schema;
	int		 readonly;
	/* Writes waiting for another process's lock (non-blocking mode). */
	int		 nonblock;
	void		(*on_busy)(void *);
	void		*busy_arg;
	struct qent	*q;
	size_t		 nq;
	struct hv_buf	 qerr;		/* what failed while flushing */
	struct hv_buf	 why_busy;	/* locked, or disk full */
	struct handle	*handles;
	size_t		 nhandles;
	uint64_t	 next_handle;
	sqlite3_stmt	*st[S_COUNT];	/* prepared on first use */
};

/* The moves hv_store_fault_set() allows: the states a fault may leave. */
static const struct {
	const char	*to;
	const char	*from[4];
} fault_moves[] = {
	{ HV_FAULT_ACTIVE, { HV_FAULT_PENDING } },
	{ HV_FAULT_INJECT_FAILED, { HV_FAULT_PENDING } },
	{ HV_FAULT_REVERTED, { HV_FAULT_PENDING, HV_FAULT_ACTIVE,
	    HV_FAULT_INJECT_FAILED, HV_FAULT_REVERT_FAILED } },
	{ HV_FAULT_REVERT_FAILED, { HV_FAULT_PENDING, HV_FAULT_ACTIVE,
	    HV_FAULT_INJECT_FAILED, HV_FAULT_REVERT_FAILED } },
};

/* The cached statement id, prepared on first use; NULL with a message. */
static sqlite3_stmt *
stmt(struct hv_store *s, enum stmt id, struct hv_buf *err)
{
	if (s->st[id] == NULL && sqlite3_prepare_v2(s->db, stmts[id].sql, -1,
	    &s->st[id], NULL) != SQLITE_OK) {
		hv_error(err, "store: %s: %s", stmts[id].what,
		    sqlite3_errmsg(s->db));
		s->st[id] = NULL;
	}
	return s->st[id];
}

/* Readies a statement for its next use and lets go of its locks. */
static void
finish(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Binds text, or NULL when v is NULL. */
static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Binds an optional integer: a time or id of 0 means none. */
static int
bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, v);
}

/*
 * Runs statement id (already bound; bound is the OR of the bind results)
 * to its end, then resets it whatever happened.
 */
static int
exec_stmt(struct hv_store *s, enum stmt id, int bound, struct hv_buf *err)
{
	sqlite3_stmt	*st = s->st[id];
	int		 ret = -1;

	if (bound != SQLITE_OK) {
		hv_error(err, "store: %s: cannot bind values: %s",
		    stmts[id].what, sqlite3_errmsg(s->db));
		goto done;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		hv_error(err, "store: %s: %s", stmts[id].what,
		    sqlite3_errmsg(s->db));
		goto done;
	}
	ret = 0;
done:
	finish(st);
	return ret;
}

/* Runs a statement that takes no values, such as BEGIN or COMMIT. */
static int
exec_plain(struct hv_store *s, enum stmt id, struct hv_buf *err)
{
	if (stmt(s, id, err) == NULL)
		return -1;
	return exec_stmt(s, id, SQLITE_OK, err);
}

/* Reads PRAGMA user_version; -1 with "PATH: message" on error. */
static int
user_version(struct hv_store *s, const char *path, int *out,
    struct hv_buf *err)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		hv_error(err, "%s: %s", path, sqlite3_errmsg(s->db));
		goto done;
	}
	*out = sqlite3_column_int(st, 0);
	ret = 0;
done:
	sqlite3_finalize(st);
	return ret;
}

/* How long a blocking write waits for another process's lock. */
#define BUSY_TIMEOUT_MS		5000

/* PRAGMA application_id of havoc's stores: "HVOC". */
#define HV_STORE_APP_ID		0x48564f43

/* Reads a one-integer PRAGMA; -1 with "PATH: message" on error. */
static int
pragma_int(struct hv_store *s, const char *sql, const char *path, int *out,
    struct hv_buf *err)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		hv_error(err, "%s: %s", path, sqlite3_errmsg(s->db));
		goto done;
	}
	*out = sqlite3_column_int(st, 0);
	ret = 0;
done:
	sqlite3_finalize(st);
	return ret;
}

/*
 * Refuses a SQLite file that is someone else's: one marked by another
 * application, or one with tables of its own and no havoc schema. A file
 * of an older havoc (schema 1, not yet marked) is ours.
 */
static int
check_ours(struct hv_store *s, const char *path, int version,
    struct hv_buf *err)
{
	int	app, tables;

	if (pragma_int(s, "PRAGMA application_id", path, &app, err) == -1)
		return -1;
	if (app == HV_STORE_APP_ID)
		return 0;
	if (app != 0)
		return hv_error(err, "%s: not a havoc database (application id "
		    "%#x); havoc leaves it alone", path, (unsigned)app);
	if (version > 0)
		return 0;
	if (pragma_int(s, "SELECT count(*) FROM sqlite_master", path,
	    &tables, err) == -1)
		return -1;
	if (tables > 0)
		return hv_error(err, "%s: not a havoc database (it has tables "
		    "of its own); havoc leaves it alone", path);
	return 0;
}

/* Refuses a schema this havoc does not know. */
static int
check_version(const char *path, int v, struct hv_buf *err)
{
	if (v > HV_STORE_SCHEMA)
		return hv_error(err, "%s: schema version %d is newer than "
		    "this havoc (%d)", path, v, HV_STORE_SCHEMA);
	if (v < 0)
		return hv_error(err, "%s: bad schema version %d", path, v);
	return 0;
}

/* Sets the connection up: WAL, full sync, foreign keys. */
static int
configure(struct hv_store *s, const char *path, struct hv_buf *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*mode;
	char		*msg = NULL;
	int		 ret = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		hv_error(err, "%s: %s", path, sqlite3_errmsg(s->db));
		goto done;
	}
	/* An in-memory database has no WAL; any file must. */
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || (strcmp(mode, "wal") != 0 &&
	    strcmp(mode, "memory") != 0)) {
		hv_error(err, "%s: cannot use WAL mode (journal mode is %s)",
		    path, mode == NULL ? "unknown" : mode);
		goto done;
	}
	if (sqlite3_exec(s->db, "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON", NULL, NULL, &msg) != SQLITE_OK) {
		hv_error(err, "%s: %s", path, msg != NULL ? msg :
		    sqlite3_errmsg(s->db));
		goto done;
	}
	ret = 0;
done:
	sqlite3_free(msg);
	sqlite3_finalize(st);
	return ret;
}

/*
 * Applies migrations up to HV_STORE_SCHEMA, one transaction each. The
 * version is read again under the write lock, so two processes opening a
 * new file at once migrate it once.
 */
static int
migrate(struct hv_store *s, const char *path, struct hv_buf *err)
{
	struct hv_buf	 sql = HV_BUF_INIT;
	char		*msg = NULL;
	int		 v, ret = -1;

	for (;;) {
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL,
		    &msg) != SQLITE_OK) {
			hv_error(err, "%s: %s", path, msg != NULL ? msg :
			    sqlite3_errmsg(s->db));
			goto done;
		}
		if (user_version(s, path, &v, err) == -1 ||
		    check_version(path, v, err) == -1)
			goto done;
		if (v == HV_STORE_SCHEMA)
			break;
		/* A PRAGMA takes no parameters; v is our own integer. */
		hv_buf_reset(&sql);
		hv_buf_printf(&sql, "%s; PRAGMA user_version = %d; COMMIT",
		    migrations[v], v + 1);
		if (sqlite3_exec(s->db, sql.s, NULL, NULL, &msg) != SQLITE_OK) {
			hv_error(err, "%s: migrate to schema version %d: %s",
			    path, v + 1, msg != NULL ? msg :
			    sqlite3_errmsg(s->db));
			goto done;
		}
	}
	s->schema = v;
	ret = 0;
done:
	/* Ends the read of a current file, or undoes a failed step. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_free(msg);
	hv_buf_release(&sql);
	return ret;
}

int
hv_store_open(const char *path, struct hv_store **out, struct hv_buf *err)
{
	return hv_store_open_mode(path, HV_STORE_CREATE, out, err);
}

int
hv_store_open_mode(const char *path, int mode, struct hv_store **out,
    struct hv_buf *err)
{
	struct hv_store	*s;
	struct stat	 sb;
	int		 rc, v, flags, ret = -1;

	*out = NULL;
	/* Nothing is created by a command that only reads or repairs. */
	if (!(mode & HV_STORE_CREATE) && strcmp(path, ":memory:") != 0 &&
	    stat(path, &sb) == -1 && errno == ENOENT) {
		hv_error(err, "no database at %s", path);
		return HV_STORE_NOFILE;
	}
	if (mode & HV_STORE_READONLY)
		flags = SQLITE_OPEN_READONLY;
	else if (mode & HV_STORE_CREATE)
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	else
		flags = SQLITE_OPEN_READWRITE;
	s = hv_xcalloc(1, sizeof *s);
	hv_buf_init(&s->qerr);
	hv_buf_init(&s->why_busy);
	s->readonly = (mode & HV_STORE_READONLY) != 0;
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (s->db != NULL && sqlite3_system_errno(s->db) != 0)
			hv_error(err, "%s: cannot open: %s", path,
			    strerror(sqlite3_system_errno(s->db)));
		else
			hv_error(err, "%s: cannot open: %s", path,
			    s->db != NULL ? sqlite3_errmsg(s->db) :
			    sqlite3_errstr(rc));
		goto done;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);

	/*
	 * Look before changing anything: a file that is not ours, or too
	 * new, stays as it is. A current one needs no write lock to open.
	 */
	if (user_version(s, path, &v, err) == -1 ||
	    check_version(path, v, err) == -1 ||
	    check_ours(s, path, v, err) == -1)
		goto done;
	s->schema = v;
	if (s->readonly) {
		/* A reader of an older file asks a writer to migrate it. */
		if (v < HV_STORE_SCHEMA) {
			hv_store_close(s);
			return hv_store_open_mode(path, mode &
			    ~HV_STORE_READONLY, out, err);
		}
		*out = s;
		return 0;
	}
	if (configure(s, path, err) == -1)
		goto done;
	if (v < HV_STORE_SCHEMA && migrate(s, path, err) == -1)
		goto done;
	*out = s;
	ret = 0;
done:
	if (ret == -1)
		hv_store_close(s);
	return ret;
}

static void	q_flush(struct hv_store *);
static void	q_release(struct qent *);

/* Finalizes every cached statement, then closes (rolling back). */
void
hv_store_close(struct hv_store *s)
{
	size_t	i;

	if (s == NULL)
		return;
	/* A last try, waiting as a blocking write would, for what waits. */
	if (s->nq > 0) {
		sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
		q_flush(s);
	}
	if (s->nq > 0)
		hv_warn("store: %zu writes lost: the database stayed locked",
		    s->nq);
	if (s->qerr.len > 0)
		hv_warn("%s", s->qerr.s);
	for (i = 0; i < s->nq; i++)
		q_release(&s->q[i]);
	free(s->q);
	free(s->handles);
	hv_buf_release(&s->qerr);
	hv_buf_release(&s->why_busy);
	for (i = 0; i < HV_ARRAY_LEN(s->st); i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close_v2(s->db);
	free(s);
}

int
hv_store_schema(struct hv_store *s)
{
	return s->schema;
}

sqlite3 *
hv_store_sqlite(struct hv_store *s)
{
	return s->db;
}

/* Opens a write transaction; taking the write lock now avoids deadlock. */
int
hv_store_begin(struct hv_store *s, struct hv_buf *err)
{
	if (!sqlite3_get_autocommit(s->db))
		return hv_error(err, "store: begin: a transaction is "
		    "already open");
	return exec_plain(s, S_BEGIN, err);
}

/* Commits; a failed commit is rolled back so the connection stays usable. */
int
hv_store_commit(struct hv_store *s, struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 ret = -1;

	if (sqlite3_get_autocommit(s->db))
		return hv_error(err, "store: commit: no transaction is open");
	if ((st = stmt(s, S_COMMIT, err)) == NULL)
		goto done;
	if (sqlite3_step(st) != SQLITE_DONE) {
		hv_error(err, "store: commit: %s (rolled back)",
		    sqlite3_errmsg(s->db));
		goto done;
	}
	ret = 0;
done:
	if (st != NULL)
		finish(st);
	if (ret == -1 && !sqlite3_get_autocommit(s->db))
		exec_plain(s, S_ROLLBACK, NULL);
	return ret;
}

/* Fails with "what: no such thing" when an UPDATE touched no row. */
static int
changed(struct hv_store *s, const char *what, const char *thing,
    int64_t id, struct hv_buf *err)
{
	if (sqlite3_changes(s->db) != 0)
		return 0;
	return hv_error(err, "store: %s: no %s %" PRId64, what, thing, id);
}

int64_t
hv_store_run_begin(struct hv_store *s, const struct hv_run_info *ri,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	char		 seed[24];
	int		 rc;

	if ((st = stmt(s, S_RUN_BEGIN, err)) == NULL)
		return -1;
	snprintf(seed, sizeof seed, "%" PRIu64, ri->seed);
	rc = bind_text(st, 1, ri->experiment);
	rc |= bind_text(st, 2, ri->file);
	rc |= bind_text(st, 3, ri->file_hash);
	rc |= bind_text(st, 4, seed);
	rc |= bind_opt(st, 5, ri->gameday);
	rc |= bind_text(st, 6, ri->vars_json);
	rc |= bind_text(st, 7, ri->plan_json);
	rc |= bind_text(st, 8, ri->controller);
	rc |= sqlite3_bind_int(st, 9, ri->pid);
	rc |= sqlite3_bind_int64(st, 10, ri->started_at);
	rc |= bind_text(st, 11, ri->tags_json);
	if (exec_stmt(s, S_RUN_BEGIN, rc, err) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/*
 * Writes that wait. In non-blocking mode (a run, recover) a write that
 * finds the database locked by another process is kept in memory, in
 * order, and written later by hv_store_flush(), so that no lock held
 * elsewhere ever holds up havoc's loop: a fault window, a revert, a
 * sample. A step's id is then a provisional handle (at or above
 * PROVISIONAL) that the store maps to the row's id once it is written.
 * The fault journal never waits in memory: hv_store_fault_add() is
 * written now or answers HV_STORE_BUSY, and the fault waits instead.
 */

static void
q_int(struct qent *q, int64_t v)
{
	q->v[q->n].k = Q_INT;
	q->v[q->n++].i = v;
}

/* An optional time or id: 0 is none. */
static void
q_opt(struct qent *q, int64_t v)
{
	q->v[q->n].k = v == 0 ? Q_NULL : Q_INT;
	q->v[q->n++].i = v;
}

static void
q_text(struct qent *q, const char *v)
{
	q->v[q->n].k = v == NULL ? Q_NULL : Q_TEXT;
	q->v[q->n++].s = v == NULL ? NULL : hv_xstrdup(v);
}

/* A measured duration; a negative or non-finite one is none. */
static void
q_ms(struct qent *q, double v)
{
	q->v[q->n].k = !isfinite(v) || v < 0 ? Q_NULL : Q_REAL;
	q->v[q->n++].d = v;
}

/* A step id, real or provisional; 0 is none. */
static void
q_step(struct qent *q, int64_t v)
{
	q->v[q->n].k = v == 0 ? Q_NULL : Q_STEP;
	q->v[q->n++].i = v;
}

static void
q_release(struct qent *q)
{
	int	i;

	for (i = 0; i < q->n; i++)
		free(q->v[i].s);
	q->n = 0;
}

/* The row id of a step handle; 0 when a provisional one never was. */
static int64_t
step_row(struct hv_store *s, int64_t h)
{
	size_t	i;

	if (h < PROVISIONAL)
		return h;
	for (i = 0; i < s->nhandles; i++) {
		if (s->handles[i].handle == h)
			return s->handles[i].row;
	}
	return 0;
}

/*
 * Whether a write may work later: the database locked by another
 * process, or the disk full (space comes back, and a journal state that
 * is written late is better than one that says a reverted fault is
 * active).
 */
static int
is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ||
	    (rc & 0xff) == SQLITE_FULL;
}

/* Says why an UPDATE of fault id moved nothing: no fault, or a bad move. */
static int
fault_refused(struct hv_store *s, int64_t id, const char *to,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = stmt(s, S_FAULT_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		hv_error(err, "store: set fault %" PRId64 ": cannot go from "
		    "%s to %s", id, sqlite3_column_text(st, 0), to);
	else if (rc == SQLITE_DONE)
		hv_error(err, "store: set fault: no fault %" PRId64, id);
	else
		hv_error(err, "store: set fault %" PRId64 ": %s", id,
		    sqlite3_errmsg(s->db));
	finish(st);
	return -1;
}

/* Runs one write now: Q_DONE, Q_FAILED (err says why) or Q_BUSY. */
static int
q_exec(struct hv_store *s, struct qent *q, struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 i, rc = SQLITE_OK, ret = Q_FAILED;
	int64_t		 row;

	if ((st = stmt(s, q->id, err)) == NULL)
		return Q_FAILED;
	for (i = 0; i < q->n; i++) {
		switch (q->v[i].k) {
		case Q_NULL:
			rc |= sqlite3_bind_null(st, i + 1);
			break;
		case Q_INT:
			rc |= sqlite3_bind_int64(st, i + 1, q->v[i].i);
			break;
		case Q_REAL:
			rc |= sqlite3_bind_double(st, i + 1, q->v[i].d);
			break;
		case Q_TEXT:
			rc |= sqlite3_bind_text(st, i + 1, q->v[i].s, -1,
			    SQLITE_STATIC);
			break;
		case Q_STEP:
			row = step_row(s, q->v[i].i);
			rc |= row == 0 ? sqlite3_bind_null(st, i + 1) :
			    sqlite3_bind_int64(st, i + 1, row);
			break;
		}
	}
	if (rc != SQLITE_OK) {
		hv_error(err, "store: %s: cannot bind values: %s",
		    stmts[q->id].what, sqlite3_errmsg(s->db));
		goto done;
	}
	rc = sqlite3_step(st);
	if (is_busy(rc)) {
		hv_buf_reset(&s->why_busy);
		hv_buf_puts(&s->why_busy, sqlite3_errmsg(s->db));
		ret = Q_BUSY;
		goto done;
	}
	if (rc != SQLITE_DONE) {
		hv_error(err, "store: %s: %s", stmts[q->id].what,
		    sqlite3_errmsg(s->db));
		goto done;
	}
	ret = Q_DONE;
done:
	finish(st);
	if (ret != Q_DONE)
		return ret;
	switch (q->id) {
	case S_STEP_BEGIN:
		if (q->handle != 0) {
			s->handles = hv_xreallocarray(s->handles,
			    s->nhandles + 1, sizeof *s->handles);
			s->handles[s->nhandles].handle = q->handle;
			s->handles[s->nhandles++].row =
			    sqlite3_last_insert_rowid(s->db);
		}
		break;
	case S_RUN_END:
		return changed(s, stmts[q->id].what, "run", q->key, err);
	case S_STEP_END:
		return changed(s, stmts[q->id].what, "step", q->key, err);
	case S_GAMEDAY_END:
		return changed(s, stmts[q->id].what, "game day", q->key, err);
	case S_FAULT_SET:
		if (sqlite3_changes(s->db) == 0)
			return fault_refused(s, q->key, q->to, err);
		break;
	default:
		break;
	}
	return Q_DONE;
}

/* Writes what waits, in order, until it is done or locked out again. */
static void
q_flush(struct hv_store *s)
{
	size_t	i, done = 0;
	int	rc;

	for (i = 0; i < s->nq; i++) {
		rc = q_exec(s, &s->q[i], &s->qerr);
		if (rc == Q_BUSY)
			break;
		q_release(&s->q[i]);
		done++;
	}
	if (done > 0) {
		memmove(s->q, s->q + done, (s->nq - done) * sizeof *s->q);
		s->nq -= done;
	}
}

/*
 * Writes q now, or (non-blocking, locked out) keeps it for later. Takes
 * q's values. Returns Q_DONE, Q_FAILED with err, or Q_BUSY when kept.
 */
static int
submit(struct hv_store *s, struct qent *q, struct hv_buf *err)
{
	int	rc = Q_BUSY;

	if (s->readonly) {
		hv_error(err, "store: %s: the database is open read-only",
		    stmts[q->id].what);
		q_release(q);
		return Q_FAILED;
	}
	if (s->nq > 0)
		q_flush(s);
	if (s->nq == 0) {
		rc = q_exec(s, q, err);
		if (rc != Q_BUSY || !s->nonblock) {
			if (rc == Q_BUSY)
				hv_error(err, "store: %s: %s",
				    stmts[q->id].what, s->why_busy.s);
			q_release(q);
			return rc == Q_DONE ? Q_DONE : Q_FAILED;
		}
	}
	if (s->nq >= QUEUE_MAX) {
		hv_error(err, "store: %s: the database has been locked too "
		    "long (%zu writes wait)", stmts[q->id].what, s->nq);
		q_release(q);
		return Q_FAILED;
	}
	if (q->id == S_STEP_BEGIN)
		q->handle = PROVISIONAL + (int64_t)s->next_handle++;
	s->q = hv_xreallocarray(s->q, s->nq + 1, sizeof *s->q);
	s->q[s->nq++] = *q;
	if (s->on_busy != NULL)
		s->on_busy(s->busy_arg);
	return Q_BUSY;
}

void
hv_store_nonblocking(struct hv_store *s, void (*on_busy)(void *), void *arg)
{
	s->nonblock = on_busy != NULL;
	s->on_busy = on_busy;
	s->busy_arg = arg;
	sqlite3_busy_timeout(s->db, s->nonblock ? 0 : BUSY_TIMEOUT_MS);
}

int
hv_store_flush(struct hv_store *s, struct hv_buf *err)
{
	if (s->nq > 0)
		q_flush(s);
	if (s->qerr.len > 0) {
		hv_error(err, "%s", s->qerr.s);
		hv_buf_reset(&s->qerr);
		return -1;
	}
	return (int)(s->nq < INT32_MAX ? s->nq : INT32_MAX);
}

size_t
hv_store_waiting(const struct hv_store *s)
{
	return s->nq;
}

int
hv_store_run_end(struct hv_store *s, int64_t run, const char *status,
    int deviated, int exit_code, const char *reason, int64_t ended_at,
    struct hv_buf *err)
{
	struct qent	q = { .id = S_RUN_END, .key = run };

	q_int(&q, run);
	q_text(&q, status);
	q_int(&q, deviated != 0);
	q_int(&q, exit_code);
	q_text(&q, reason);
	q_opt(&q, ended_at);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

int
hv_store_run_phase(struct hv_store *s, int64_t run, const char *phase,
    struct hv_buf *err)
{
	struct qent	q = { .id = S_RUN_PHASE, .key = run };

	q_int(&q, run);
	q_text(&q, phase);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

/* Numbers steps 1, 2, ... within their run, in the order they began. */
int64_t
hv_store_step_begin(struct hv_store *s, const struct hv_step_rec *sr,
    struct hv_buf *err)
{
	struct qent	q = { .id = S_STEP_BEGIN };
	int		rc;

	q_int(&q, sr->run);
	q_text(&q, sr->phase);
	q_text(&q, sr->kind);
	q_text(&q, sr->name);
	q_text(&q, sr->driver);
	q_text(&q, sr->target);
	q_text(&q, sr->detail);
	q_int(&q, sr->started_at);
	rc = submit(s, &q, err);
	if (rc == Q_FAILED)
		return -1;
	if (rc == Q_BUSY)
		return s->q[s->nq - 1].handle;
	return sqlite3_last_insert_rowid(s->db);
}

int
hv_store_step_end(struct hv_store *s, int64_t step, const char *status,
    const char *output, const char *error, double latency_ms,
    int64_t ended_at, struct hv_buf *err)
{
	struct qent	q = { .id = S_STEP_END, .key = step };

	q_step(&q, step);
	q_text(&q, status);
	q_text(&q, output);
	q_text(&q, error);
	q_ms(&q, latency_ms);
	q_opt(&q, ended_at);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

int
hv_store_step_batch(struct hv_store *s, int64_t step, int batch,
    struct hv_buf *err)
{
	struct qent	q = { .id = S_STEP_BATCH, .key = step };

	q_step(&q, step);
	q_int(&q, batch);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

int
hv_store_sample(struct hv_store *s, int64_t run, const char *probe,
    const char *target, int64_t at, int ok, double latency_ms,
    const char *error, struct hv_buf *err)
{
	struct qent	q = { .id = S_SAMPLE };

	q_int(&q, run);
	q_text(&q, probe);
	q_text(&q, target);
	q_int(&q, at);
	q_int(&q, ok != 0);
	q_ms(&q, latency_ms);
	q_text(&q, error);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

/* The journal must reach the disk on its own commit; see the top. */
static int
journal_ready(struct hv_store *s, const char *what, struct hv_buf *err)
{
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return hv_error(err, "store: %s: refused inside a transaction (the "
	    "fault journal commits on its own)", what);
}

int64_t
hv_store_fault_add(struct hv_store *s, const struct hv_fault_rec *fr,
    struct hv_buf *err)
{
	struct qent	q = { .id = S_FAULT_ADD };
	int		rc;

	if (journal_ready(s, stmts[S_FAULT_ADD].what, err) == -1)
		return -1;
	if (s->readonly)
		return hv_error(err, "store: %s: the database is open "
		    "read-only", stmts[S_FAULT_ADD].what);
	/* What came before goes first: the fault's step among it. */
	if (s->nq > 0)
		q_flush(s);
	if (s->nq > 0)
		return HV_STORE_BUSY;
	q_int(&q, fr->run);
	q_step(&q, fr->step);
	q_text(&q, fr->target);
	q_text(&q, fr->driver);
	q_text(&q, fr->inject);
	q_text(&q, fr->revert);
	q_text(&q, fr->revert_spec);
	q_opt(&q, fr->dead_man_at);
	q_int(&q, fr->created_at);
	rc = q_exec(s, &q, err);
	q_release(&q);
	if (rc == Q_BUSY && s->nonblock)
		return HV_STORE_BUSY;
	if (rc == Q_BUSY)
		return hv_error(err, "store: %s: %s", stmts[S_FAULT_ADD].what,
		    s->why_busy.s);
	if (rc == Q_FAILED)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

int
hv_store_fault_set(struct hv_store *s, int64_t fault, const char *state,
    const char *error, int64_t at, struct hv_buf *err)
{
	struct qent	q = { .id = S_FAULT_SET, .key = fault };
	size_t		i, j;

	for (i = 0; i < HV_ARRAY_LEN(fault_moves); i++)
		if (state != NULL && strcmp(fault_moves[i].to, state) == 0)
			break;
	if (i == HV_ARRAY_LEN(fault_moves))
		return hv_error(err, "store: set fault %" PRId64 ": cannot "
		    "move to state %s", fault,
		    state == NULL ? "(null)" : state);
	if (journal_ready(s, stmts[S_FAULT_SET].what, err) == -1)
		return -1;
	q.to = fault_moves[i].to;
	q_int(&q, fault);
	q_text(&q, state);
	q_text(&q, error);
	q_opt(&q, at);
	for (j = 0; j < HV_ARRAY_LEN(fault_moves[i].from); j++)
		q_text(&q, fault_moves[i].from[j]);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

/* A copy of a column's text (new), or NULL for SQL NULL. */
static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char	*t;

	if ((t = sqlite3_column_text(st, i)) == NULL)
		return NULL;
	return hv_xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st,
	    i));
}

/* An open fault, owned, so no statement is active while fn runs. */
struct fault_copy {
	struct hv_fault_row	 row;
	char			*str[7];
};

int
hv_store_faults_open(struct hv_store *s, int64_t run,
    int (*fn)(const struct hv_fault_row *, void *), void *arg,
    struct hv_buf *err)
{
	static const int	 text_cols[] = { 2, 3, 4, 5, 6, 7, 9 };
	struct fault_copy	*rows = NULL, *c;
	struct hv_fault_row	*r;
	sqlite3_stmt		*st;
	size_t			 n = 0, i, j;
	int			 rc, ret = -1;

	if ((st = stmt(s, S_FAULTS_OPEN, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = hv_xreallocarray(rows, n + 1, sizeof *rows);
		c = &rows[n++];
		for (j = 0; j < HV_ARRAY_LEN(text_cols); j++)
			c->str[j] = column_dup(st, text_cols[j]);
		r = &c->row;
		r->id = sqlite3_column_int64(st, 0);
		r->run = sqlite3_column_int64(st, 1);
		r->target = c->str[0];
		r->driver = c->str[1];
		r->state = c->str[2];
		r->revert = c->str[3];
		r->revert_spec = c->str[4];
		r->run_status = c->str[5];
		r->run_pid = sqlite3_column_int(st, 8);
		r->run_controller = c->str[6];
		r->dead_man_at = sqlite3_column_int64(st, 10);
		r->step = sqlite3_column_int64(st, 11);
	}
	if (rc != SQLITE_DONE)
		hv_error(err, "store: open faults: %s", sqlite3_errmsg(s->db));
	finish(st);
	if (rc != SQLITE_DONE)
		goto done;
	for (i = 0; i < n; i++)
		if (fn(&rows[i].row, arg) != 0)
			break;
	ret = 0;
done:
	for (i = 0; i < n; i++)
		for (j = 0; j < HV_ARRAY_LEN(rows[i].str); j++)
			free(rows[i].str[j]);
	free(rows);
	return ret;
}

int
hv_store_alert(struct hv_store *s, const struct hv_alert_rec *ar,
    struct hv_buf *err)
{
	struct qent	q = { .id = S_ALERT };

	q_int(&q, ar->run);
	q_text(&q, ar->name);
	q_text(&q, ar->probe);
	q_int(&q, ar->within_ms);
	q_opt(&q, ar->injected_at);
	q_opt(&q, ar->fired_at);
	q_text(&q, ar->state);
	q_text(&q, ar->detail);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

/* Records, or replaces, the figures of one probe of one run. */
int
hv_store_figure(struct hv_store *s, const struct hv_figure_rec *fr,
    struct hv_buf *err)
{
	struct qent	q = { .id = S_FIGURE };

	q_int(&q, fr->run);
	q_text(&q, fr->probe);
	q_int(&q, fr->samples);
	q_int(&q, fr->failures);
	q_opt(&q, fr->first_failure_at);
	q_opt(&q, fr->recovered_at);
	if (fr->ttr_ms < 0) {
		q.v[q.n].k = Q_NULL;
		q.n++;
	} else
		q_int(&q, fr->ttr_ms);
	q_text(&q, fr->state);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

int64_t
hv_store_gameday_begin(struct hv_store *s, const char *name,
    const char *file, int64_t scheduled_at, int64_t started_at,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = stmt(s, S_GAMEDAY_BEGIN, err)) == NULL)
		return -1;
	rc = bind_text(st, 1, name);
	rc |= bind_text(st, 2, file);
	rc |= bind_opt(st, 3, scheduled_at);
	rc |= sqlite3_bind_int64(st, 4, started_at);
	if (exec_stmt(s, S_GAMEDAY_BEGIN, rc, err) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

int
hv_store_gameday_end(struct hv_store *s, int64_t gameday,
    const char *status, int64_t ended_at, struct hv_buf *err)
{
	struct qent	q = { .id = S_GAMEDAY_END, .key = gameday };

	q_int(&q, gameday);
	q_text(&q, status);
	q_opt(&q, ended_at);
	return submit(s, &q, err) == Q_FAILED ? -1 : 0;
}

/* A JSON string of text; bytes that are not UTF-8 become U+FFFD. */
static json_t *
text_json(const char *t, size_t n)
{
	struct hv_buf	 b = HV_BUF_INIT;
	json_t		*j;
	size_t		 i, len;

	if ((j = json_stringn(t, n)) != NULL)
		return j;
	for (i = 0; i < n; i += len == 0 ? 1 : len) {
		len = hv_utf8_len((const unsigned char *)t + i, n - i);
		if (len == 0)
			hv_buf_puts(&b, "\xef\xbf\xbd");
		else
			hv_buf_add(&b, t + i, len);
	}
	j = json_stringn(b.s, b.len);
	hv_buf_release(&b);
	return j;
}

/* Whether a column holds 0/1 (shown as a boolean) or JSON (embedded). */
static int
column_is(const char *name, const char *const *list)
{
	for (; name != NULL && *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

/* One column of the current row as a JSON value (new). */
static json_t *
column_json(sqlite3_stmt *st, int i)
{
	static const char *const bools[] = { "deviated", "ok", NULL };
	static const char *const jsons[] = { "vars", "plan", "revert_spec",
	    NULL };
	const char	*name = sqlite3_column_name(st, i);
	const char	*t;
	json_t		*j;
	size_t		 n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		if (column_is(name, bools))
			return json_boolean(sqlite3_column_int64(st, i) != 0);
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	default:
		t = (const char *)sqlite3_column_text(st, i);
		n = (size_t)sqlite3_column_bytes(st, i);
		if (column_is(name, jsons) &&
		    (j = json_loadb(t, n, JSON_DECODE_ANY, NULL)) != NULL)
			return j;
		return text_json(t, n);
	}
}

/* The current row as an object keyed by column name (new). */
static json_t *
row_json(sqlite3_stmt *st)
{
	json_t	*o;
	int	 i;

	o = json_object();
	for (i = 0; i < sqlite3_column_count(st); i++)
		json_object_set_new(o, sqlite3_column_name(st, i),
		    column_json(st, i));
	return o;
}

/* Every row of a bound statement as an array (new), then resets it. */
static json_t *
rows_json(struct hv_store *s, enum stmt id, struct hv_buf *err)
{
	sqlite3_stmt	*st = s->st[id];
	json_t		*a;
	int		 rc;

	a = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, row_json(st));
	if (rc != SQLITE_DONE) {
		hv_error(err, "store: %s: %s", stmts[id].what,
		    sqlite3_errmsg(s->db));
		json_decref(a);
		a = NULL;
	}
	finish(st);
	return a;
}

/* Starts a read snapshot unless the caller holds a transaction. */
static int
read_begin(struct hv_store *s, int *own, struct hv_buf *err)
{
	*own = sqlite3_get_autocommit(s->db);
	if (!*own)
		return 0;
	return exec_plain(s, S_BEGIN_READ, err);
}

/* Ends the snapshot read_begin() started, if it started one. */
static void
read_end(struct hv_store *s, int own)
{
	if (own && !sqlite3_get_autocommit(s->db))
		exec_plain(s, S_ROLLBACK, NULL);
}

json_t *
hv_store_runs_json(struct hv_store *s, int limit, struct hv_buf *err)
{
	sqlite3_stmt	*st;

	if ((st = stmt(s, S_RUNS, err)) == NULL)
		return NULL;
	/* SQLite reads a negative LIMIT as none. */
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	return rows_json(s, S_RUNS, err);
}

/* The runs still in state running, with their pid and controller. */
json_t *
hv_store_running_json(struct hv_store *s, struct hv_buf *err)
{
	if (stmt(s, S_RUNNING, err) == NULL)
		return NULL;
	return rows_json(s, S_RUNNING, err);
}

/* One run and all of its records, from one snapshot. */
json_t *
hv_store_run_json(struct hv_store *s, int64_t run, struct hv_buf *err)
{
	static const struct {
		const char	*key;
		enum stmt	 id;
	} parts[] = {
		{ "steps", S_RUN_STEPS },
		{ "samples", S_RUN_SAMPLES },
		{ "faults", S_RUN_FAULTS },
		{ "alerts", S_RUN_ALERTS },
		{ "figures", S_RUN_FIGURES },
	};
	sqlite3_stmt	*st;
	json_t		*o = NULL, *a, *ret = NULL;
	size_t		 i;
	int		 own, rc;

	if (read_begin(s, &own, err) == -1)
		return NULL;
	if ((st = stmt(s, S_RUN, err)) == NULL)
		goto done;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "run", row_json(st));
	} else if (rc == SQLITE_DONE)
		hv_error(err, "no run %" PRId64, run);
	else
		hv_error(err, "store: read run: %s", sqlite3_errmsg(s->db));
	finish(st);
	if (o == NULL)
		goto done;
	for (i = 0; i < HV_ARRAY_LEN(parts); i++) {
		if ((st = stmt(s, parts[i].id, err)) == NULL)
			goto done;
		sqlite3_bind_int64(st, 1, run);
		if ((a = rows_json(s, parts[i].id, err)) == NULL)
			goto done;
		json_object_set_new(o, parts[i].key, a);
	}
	ret = o;
	o = NULL;
done:
	read_end(s, own);
	json_decref(o);
	return ret;
}
