/*
 * store-gameday.c - game days, skips, daemons and the lease in the store
 * (store-gameday.h). Statements are prepared per call: a daemon writes a
 * few rows a minute at most, and nothing here is on a hot path.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store-gameday.h"
#include "store-int.h"

#define LEASE_NAME	"daemon"

/* Prepares sql; NULL with "store: what: message" in err. */
static sqlite3_stmt *
prep(struct hv_store *s, const char *what, const char *sql,
    struct hv_buf *err)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(hv_store_sqlite(s), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		hv_error(err, "store: %s: %s", what,
		    sqlite3_errmsg(hv_store_sqlite(s)));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static int
bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, v);
}

/* Steps a bound statement to its end and finalizes it. */
static int
run(struct hv_store *s, sqlite3_stmt *st, int bound, const char *what,
    struct hv_buf *err)
{
	int	ret = 0;

	if (bound != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		ret = hv_error(err, "store: %s: %s", what,
		    sqlite3_errmsg(hv_store_sqlite(s)));
	sqlite3_finalize(st);
	return ret;
}

/* Runs a statement without values (ROLLBACK). */
static void
plain(struct hv_store *s, const char *sql)
{
	sqlite3_exec(hv_store_sqlite(s), sql, NULL, NULL, NULL);
}

int64_t
hv_store_gd_begin(struct hv_store *s, const struct hv_gd_row *r,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	char		 seed[24];
	int		 rc;

	if ((st = prep(s, "begin game day", "INSERT INTO gamedays (name, "
	    "file, file_hash, scheduled_at, started_at, jitter_ms, "
	    "jitter_seed, daemon_id, controller, pid) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10)", err)) == NULL)
		return -1;
	snprintf(seed, sizeof seed, "%" PRIu64, r->jitter_seed);
	rc = bind_text(st, 1, r->name);
	rc |= bind_text(st, 2, r->file);
	rc |= bind_text(st, 3, r->file_hash);
	rc |= bind_opt(st, 4, r->scheduled_at);
	rc |= sqlite3_bind_int64(st, 5, r->started_at);
	rc |= sqlite3_bind_int64(st, 6, r->jitter_ms);
	rc |= bind_text(st, 7, r->scheduled_at != 0 ? seed : NULL);
	rc |= bind_opt(st, 8, r->daemon);
	rc |= bind_text(st, 9, r->controller);
	rc |= sqlite3_bind_int(st, 10, r->pid);
	if (run(s, st, rc, "begin game day", err) == -1)
		return -1;
	return sqlite3_last_insert_rowid(hv_store_sqlite(s));
}

int
hv_store_gd_set_pid(struct hv_store *s, int64_t id, int pid,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "game day pid", "UPDATE gamedays SET pid = ?2 "
	    "WHERE id = ?1", err)) == NULL)
		return -1;
	rc = sqlite3_bind_int64(st, 1, id);
	rc |= sqlite3_bind_int(st, 2, pid);
	return run(s, st, rc, "game day pid", err);
}

int
hv_store_gd_end(struct hv_store *s, int64_t id, const char *status,
    int exit_code, const char *reason, const char *summary,
    int64_t ended_at, struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "end game day", "UPDATE gamedays SET status = ?2, "
	    "exit_code = ?3, reason = ?4, summary = ?5, ended_at = ?6 "
	    "WHERE id = ?1", err)) == NULL)
		return -1;
	rc = sqlite3_bind_int64(st, 1, id);
	rc |= bind_text(st, 2, status);
	rc |= sqlite3_bind_int(st, 3, exit_code);
	rc |= bind_text(st, 4, reason);
	rc |= bind_text(st, 5, summary);
	rc |= sqlite3_bind_int64(st, 6, ended_at);
	return run(s, st, rc, "end game day", err);
}

int
hv_store_gd_notify(struct hv_store *s, int64_t id, const char *outcome,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "game day webhook", "UPDATE gamedays SET notify = "
	    "?2 WHERE id = ?1", err)) == NULL)
		return -1;
	rc = sqlite3_bind_int64(st, 1, id);
	rc |= bind_text(st, 2, outcome);
	return run(s, st, rc, "game day webhook", err);
}

char *
hv_store_gd_status(struct hv_store *s, int64_t id, struct hv_buf *err)
{
	sqlite3_stmt		*st;
	const unsigned char	*t;
	char			*ret = NULL;

	if ((st = prep(s, "game day status", "SELECT status FROM gamedays "
	    "WHERE id = ?1", err)) == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (t = sqlite3_column_text(st, 0)) != NULL)
		ret = hv_xstrdup((const char *)t);
	sqlite3_finalize(st);
	return ret;
}

/* A JSON string of text; a byte that is not valid UTF-8 becomes "?". */
static json_t *
text_json(const char *t, size_t n)
{
	json_t	*j;
	char	*c;
	size_t	 i;

	if ((j = json_stringn(t, n)) != NULL)
		return j;
	c = hv_xstrndup(t, n);
	for (i = 0; i < n; i++)
		if ((unsigned char)c[i] >= 0x80 || c[i] == '\0')
			c[i] = '?';
	j = json_stringn(c, n);
	free(c);
	return j;
}

/* One column as JSON: integers, reals, text (NULL as null). */
static json_t *
col_json(sqlite3_stmt *st, int i)
{
	const char	*name = sqlite3_column_name(st, i);

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		if (strcmp(name, "deviated") == 0)
			return json_boolean(sqlite3_column_int(st, i));
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	default:
		return text_json((const char *)sqlite3_column_text(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
	}
}

/* Every row of a bound statement as an array of objects (new). */
static json_t *
rows(struct hv_store *s, sqlite3_stmt *st, const char *what,
    struct hv_buf *err)
{
	json_t	*a = json_array(), *o;
	int	 rc, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_object();
		for (i = 0; i < sqlite3_column_count(st); i++)
			json_object_set_new(o, sqlite3_column_name(st, i),
			    col_json(st, i));
		json_array_append_new(a, o);
	}
	if (rc != SQLITE_DONE) {
		hv_error(err, "store: %s: %s", what,
		    sqlite3_errmsg(hv_store_sqlite(s)));
		json_decref(a);
		a = NULL;
	}
	sqlite3_finalize(st);
	return a;
}

/* A query with up to one integer parameter, as rows (new). */
static json_t *
query(struct hv_store *s, const char *what, const char *sql, int64_t p1,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;

	if ((st = prep(s, what, sql, err)) == NULL)
		return NULL;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, p1);
	return rows(s, st, what, err);
}

json_t *
hv_store_gd_runs_json(struct hv_store *s, int64_t id, struct hv_buf *err)
{
	return query(s, "game day runs", "SELECT id, experiment, file, "
	    "status, deviated, exit_code, reason, started_at, ended_at "
	    "FROM runs WHERE gameday_id = ?1 ORDER BY id", id, err);
}

int
hv_store_gd_close_dead(struct hv_store *s, const char *controller,
    int (*alive)(int), struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	int		 rc, closed = 0;

	if ((st = prep(s, "running game days", "SELECT id, pid FROM "
	    "gamedays WHERE status = 'running' AND controller = ?1", err)) ==
	    NULL)
		return -1;
	bind_text(st, 1, controller);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (alive(sqlite3_column_int(st, 1)))
			continue;
		ids = hv_xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return hv_error(err, "store: running game days: %s",
		    sqlite3_errmsg(hv_store_sqlite(s)));
	}
	for (i = 0; i < n; i++) {
		if ((st = prep(s, "close game day", "UPDATE gamedays SET "
		    "status = 'interrupted', ended_at = ?2, reason = coalesce("
		    "reason, 'its process stopped before the end') WHERE "
		    "id = ?1 AND status = 'running'", err)) == NULL)
			break;
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, hv_wall_ms());
		if (run(s, st, SQLITE_OK, "close game day", err) == -1)
			break;
		closed++;
	}
	free(ids);
	return i < n ? -1 : closed;
}

int
hv_store_skip(struct hv_store *s, const char *name, const char *file,
    int64_t at, const char *reason, const char *detail, int64_t daemon,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "record skip", "INSERT INTO gameday_skips (name, "
	    "file, scheduled_at, reason, detail, daemon_id, recorded_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name, "
	    "scheduled_at) DO NOTHING", err)) == NULL)
		return -1;
	rc = bind_text(st, 1, name);
	rc |= bind_text(st, 2, file);
	rc |= sqlite3_bind_int64(st, 3, at);
	rc |= bind_text(st, 4, reason);
	rc |= bind_text(st, 5, detail);
	rc |= bind_opt(st, 6, daemon);
	rc |= sqlite3_bind_int64(st, 7, hv_wall_ms());
	return run(s, st, rc, "record skip", err);
}

int64_t
hv_store_daemon_add(struct hv_store *s, const char *controller, int pid,
    const char *proc_start, const char *files, struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "add daemon", "INSERT INTO daemons (controller, "
	    "pid, proc_start, files, started_at, heartbeat_at) VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?5)", err)) == NULL)
		return -1;
	rc = bind_text(st, 1, controller);
	rc |= sqlite3_bind_int(st, 2, pid);
	rc |= bind_text(st, 3, proc_start);
	rc |= bind_text(st, 4, files);
	rc |= sqlite3_bind_int64(st, 5, hv_wall_ms());
	if (run(s, st, rc, "add daemon", err) == -1)
		return -1;
	return sqlite3_last_insert_rowid(hv_store_sqlite(s));
}

int
hv_store_daemon_end(struct hv_store *s, int64_t daemon, const char *status,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "end daemon", "UPDATE daemons SET status = ?2, "
	    "stopped_at = ?3 WHERE id = ?1 AND status = 'running'", err)) ==
	    NULL)
		return -1;
	rc = sqlite3_bind_int64(st, 1, daemon);
	rc |= bind_text(st, 2, status);
	rc |= sqlite3_bind_int64(st, 3, hv_wall_ms());
	return run(s, st, rc, "end daemon", err);
}

int
hv_store_lease_take(struct hv_store *s, int64_t daemon, int64_t ttl,
    struct hv_lease_holder *h, struct hv_buf *err)
{
	sqlite3_stmt		*st;
	const unsigned char	*t;
	int64_t			 now, prev = 0;
	int			 rc, ret = -1;

	memset(h, 0, sizeof *h);
	if (hv_store_begin(s, err) == -1)
		return -1;
	now = hv_wall_ms();
	if ((st = prep(s, "read lease", "SELECT l.daemon_id, l.expires_at, "
	    "d.controller, d.pid FROM leases l LEFT JOIN daemons d ON "
	    "d.id = l.daemon_id WHERE l.name = ?1", err)) == NULL)
		goto done;
	bind_text(st, 1, LEASE_NAME);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		h->daemon = sqlite3_column_int64(st, 0);
		h->expires_at = sqlite3_column_int64(st, 1);
		if ((t = sqlite3_column_text(st, 2)) != NULL)
			snprintf(h->controller, sizeof h->controller, "%s",
			    (const char *)t);
		h->pid = sqlite3_column_int(st, 3);
	} else if (rc != SQLITE_DONE)
		hv_error(err, "store: read lease: %s",
		    sqlite3_errmsg(hv_store_sqlite(s)));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto done;
	if (rc == SQLITE_ROW && h->daemon != daemon && h->expires_at > now) {
		ret = 1;
		goto done;
	}
	if (rc == SQLITE_ROW && h->daemon != daemon)
		prev = h->daemon;
	if ((st = prep(s, "take lease", "INSERT INTO leases (name, "
	    "daemon_id, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) "
	    "DO UPDATE SET daemon_id = excluded.daemon_id, expires_at = "
	    "excluded.expires_at", err)) == NULL)
		goto done;
	rc = bind_text(st, 1, LEASE_NAME);
	rc |= sqlite3_bind_int64(st, 2, daemon);
	rc |= sqlite3_bind_int64(st, 3, now + ttl);
	if (run(s, st, rc, "take lease", err) == -1)
		goto done;
	if (prev != 0 && hv_store_daemon_end(s, prev, "lost", err) == -1)
		goto done;
	if (hv_store_commit(s, err) == -1)
		goto done;
	return 0;
done:
	plain(s, "ROLLBACK");
	return ret;
}

int
hv_store_lease_renew(struct hv_store *s, int64_t daemon, int64_t ttl,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int64_t		 now = hv_wall_ms();
	int		 rc;

	if ((st = prep(s, "renew lease", "UPDATE leases SET expires_at = ?3 "
	    "WHERE name = ?1 AND daemon_id = ?2", err)) == NULL)
		return -1;
	rc = bind_text(st, 1, LEASE_NAME);
	rc |= sqlite3_bind_int64(st, 2, daemon);
	rc |= sqlite3_bind_int64(st, 3, now + ttl);
	if (run(s, st, rc, "renew lease", err) == -1)
		return -1;
	if (sqlite3_changes(hv_store_sqlite(s)) == 0)
		return 1;
	if ((st = prep(s, "daemon heartbeat", "UPDATE daemons SET "
	    "heartbeat_at = ?2 WHERE id = ?1", err)) == NULL)
		return -1;
	rc = sqlite3_bind_int64(st, 1, daemon);
	rc |= sqlite3_bind_int64(st, 2, now);
	return run(s, st, rc, "daemon heartbeat", err);
}

int
hv_store_lease_release(struct hv_store *s, int64_t daemon,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "release lease", "DELETE FROM leases WHERE name = "
	    "?1 AND daemon_id = ?2", err)) == NULL)
		return -1;
	rc = bind_text(st, 1, LEASE_NAME);
	rc |= sqlite3_bind_int64(st, 2, daemon);
	return run(s, st, rc, "release lease", err);
}

int
hv_store_sched_put(struct hv_store *s, const char *name, const char *file,
    const char *schedule, const char *tz, int64_t daemon, int64_t next_slot,
    int64_t next_start, int64_t accounted, struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, "save schedule", "INSERT INTO gameday_schedules "
	    "(name, file, schedule, timezone, daemon_id, next_slot_at, "
	    "next_start_at, accounted_until, updated_at) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (name) DO UPDATE SET "
	    "file = excluded.file, schedule = excluded.schedule, timezone = "
	    "excluded.timezone, daemon_id = excluded.daemon_id, "
	    "next_slot_at = excluded.next_slot_at, next_start_at = "
	    "excluded.next_start_at, accounted_until = "
	    "excluded.accounted_until, updated_at = excluded.updated_at",
	    err)) == NULL)
		return -1;
	rc = bind_text(st, 1, name);
	rc |= bind_text(st, 2, file);
	rc |= bind_text(st, 3, schedule);
	rc |= bind_text(st, 4, tz);
	rc |= bind_opt(st, 5, daemon);
	rc |= bind_opt(st, 6, next_slot);
	rc |= bind_opt(st, 7, next_start);
	rc |= bind_opt(st, 8, accounted);
	rc |= sqlite3_bind_int64(st, 9, hv_wall_ms());
	return run(s, st, rc, "save schedule", err);
}

int
hv_store_sched_accounted(struct hv_store *s, const char *name, int64_t *at,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;
	int		 rc, ret = 1;

	if ((st = prep(s, "read schedule", "SELECT accounted_until FROM "
	    "gameday_schedules WHERE name = ?1", err)) == NULL)
		return -1;
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*at = sqlite3_column_int64(st, 0);
		ret = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = hv_error(err, "store: read schedule: %s",
		    sqlite3_errmsg(hv_store_sqlite(s)));
	sqlite3_finalize(st);
	return ret;
}

int
hv_store_sched_drop(struct hv_store *s, const char *name,
    struct hv_buf *err)
{
	sqlite3_stmt	*st;

	if ((st = prep(s, "drop schedule", "DELETE FROM gameday_schedules "
	    "WHERE name = ?1", err)) == NULL)
		return -1;
	return run(s, st, bind_text(st, 1, name), "drop schedule", err);
}

/* Adds key: query(sql) to o; -1 on error. */
static int
add_rows(struct hv_store *s, json_t *o, const char *key, const char *sql,
    int64_t p1, struct hv_buf *err)
{
	json_t	*a;

	if ((a = query(s, key, sql, p1, err)) == NULL)
		return -1;
	json_object_set_new(o, key, a);
	return 0;
}

json_t *
hv_store_status_json(struct hv_store *s, struct hv_buf *err)
{
	json_t	*o, *running, *g, *runs, *r;
	size_t	 i, j;
	int	 own, ok = 0;

	own = sqlite3_get_autocommit(hv_store_sqlite(s));
	if (own)
		plain(s, "BEGIN");
	o = json_object();
	if (add_rows(s, o, "daemons", "SELECT id, controller, pid, "
	    "proc_start, files, started_at, heartbeat_at, stopped_at, status, "
	    "(SELECT expires_at FROM leases WHERE daemon_id = daemons.id) AS "
	    "lease_until FROM daemons WHERE status = 'running' OR "
	    "stopped_at > ?1 ORDER BY id", hv_wall_ms() - 24 * 3600 * 1000,
	    err) == -1 ||
	    add_rows(s, o, "running", "SELECT id, name, file, scheduled_at, "
	    "started_at, jitter_ms, daemon_id, controller, pid FROM gamedays "
	    "WHERE status = 'running' ORDER BY id", 0, err) == -1 ||
	    add_rows(s, o, "runs", "SELECT r.id, r.experiment, r.file, "
	    "r.gameday_id AS gameday, r.started_at, r.pid, r.controller, "
	    "coalesce(r.phase, (SELECT phase FROM steps WHERE run_id = r.id "
	    "ORDER BY id DESC LIMIT 1)) AS phase FROM runs r WHERE "
	    "r.status = 'running' "
	    "ORDER BY r.id", 0, err) == -1 ||
	    add_rows(s, o, "schedules", "SELECT name, file, schedule, "
	    "timezone, daemon_id, next_slot_at, next_start_at, "
	    "accounted_until, updated_at FROM gameday_schedules ORDER BY "
	    "name", 0, err) == -1 ||
	    add_rows(s, o, "last", "SELECT g.id, g.name, g.file, g.status, "
	    "g.exit_code, g.reason, g.scheduled_at, g.started_at, g.ended_at, "
	    "g.notify, (SELECT count(*) FROM runs WHERE gameday_id = g.id) "
	    "AS runs FROM gamedays g WHERE g.id = (SELECT max(id) FROM "
	    "gamedays h WHERE h.name = g.name AND h.status <> 'running') "
	    "ORDER BY g.name", 0, err) == -1 ||
	    add_rows(s, o, "skips", "SELECT name, scheduled_at, reason, "
	    "detail, recorded_at FROM gameday_skips ORDER BY id DESC LIMIT 10",
	    0, err) == -1)
		goto done;
	/* Each running run with its open faults. */
	runs = json_object_get(o, "runs");
	json_array_foreach(runs, i, r) {
		json_t	*f = query(s, "open faults", "SELECT id, target, "
		    "driver, state, injected_at FROM faults WHERE run_id = ?1 "
		    "AND state IN ('pending', 'active', 'inject_failed', "
		    "'revert_failed') ORDER BY id",
		    json_integer_value(json_object_get(r, "id")), err);

		if (f == NULL)
			goto done;
		json_object_set_new(r, "faults", f);
	}
	running = json_object_get(o, "running");
	json_array_foreach(running, i, g) {
		json_t	*mine = json_array();

		json_array_foreach(runs, j, r)
			if (json_integer_value(json_object_get(r, "gameday")) ==
			    json_integer_value(json_object_get(g, "id")))
				json_array_append(mine, r);
		json_object_set_new(g, "runs", mine);
	}
	ok = 1;
done:
	if (own)
		plain(s, "ROLLBACK");
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}
