/*
 * test-store.c - the SQLite store: schema and migrations, the life of a
 * run read back exactly, the fault journal's states and durability, and
 * every error path. Each test works in its own directory under /tmp.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store.h"
#include "util.h"

#define T0	INT64_C(1700000000000)

struct fixture {
	char	dir[64];
	char	path[128];
	char	msg[256];
};

static int
setup(void **state)
{
	struct fixture	*f;

	f = hv_xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/havoc.db", f->dir);
	*state = f;
	return 0;
}

/* Removes the directory and whatever the test left in it (-wal, -shm). */
static int
teardown(void **state)
{
	struct fixture	*f = *state;
	struct dirent	*de;
	DIR		*d;
	char		 p[512];

	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Opens path, failing the test (with the message) if it cannot. */
static struct hv_store *
open_ok(const char *path)
{
	struct hv_store	*s = NULL;
	struct hv_buf	 err = HV_BUF_INIT;

	if (hv_store_open(path, &s, &err) != 0)
		fail_msg("open %s: %s", path, err.s);
	assert_non_null(s);
	assert_int_equal(err.len, 0);
	hv_buf_release(&err);
	return s;
}

/* Reads the 100-byte SQLite header of a closed database file. */
static void
read_header(const char *path, unsigned char h[100])
{
	int	fd;

	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(pread(fd, h, 100, 0), 100);
	close(fd);
}

/* PRAGMA user_version, read from the header (big-endian at offset 60). */
static int
header_version(const char *path)
{
	unsigned char	h[100];

	read_header(path, h);
	return (int)((uint32_t)h[60] << 24 | (uint32_t)h[61] << 16 |
	    (uint32_t)h[62] << 8 | h[63]);
}

/* Writes user_version into a closed database, as another havoc would. */
static void
set_header_version(const char *path, int v)
{
	unsigned char	b[4];
	int		fd;

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
	assert_true((fd = open(path, O_WRONLY)) != -1);
	assert_int_equal(pwrite(fd, b, 4, 60), 4);
	close(fd);
}

static int
file_exists(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0;
}

/*
 * Compares a JSON value with the expected text, written with ' for " so
 * that it reads in C; prints both on a difference.
 */
static void
expect_json(json_t *got, const char *want, const char *file, int line)
{
	json_error_t	 je;
	json_t		*w;
	char		*text, *g, *p;
	int		 same;

	text = hv_xstrdup(want);
	for (p = text; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	w = json_loads(text, JSON_DECODE_ANY, &je);
	same = w != NULL && json_equal(got, w);
	if (w == NULL)
		print_error("%s:%d: bad expected JSON: %s\n", file, line,
		    je.text);
	else if (!same) {
		g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		print_error("got:  %s\nwant: %s\n", g ? g : "(null)", text);
		free(g);
	}
	free(text);
	json_decref(w);
	if (!same)
		_fail(file, line);
}
#define EXPECT_JSON(got, want) expect_json((got), (want), __FILE__, __LINE__)

static const struct hv_run_info run_info = {
	.experiment = "Web tier survives losing one node",
	.file = "experiments/web.yaml",
	.file_hash = "5e3c",
	.seed = 42,
	.gameday = 0,
	.vars_json = "{\"site\": \"http://10.99.0.10\"}",
	.plan_json = "[\"web-1\"]",
	.controller = "ctl-1",
	.pid = 4242,
	.started_at = T0,
};

/* Begins a run like run_info, at a given time; fails the test on error. */
static int64_t
run_at(struct hv_store *s, int64_t at)
{
	struct hv_run_info	ri = run_info;
	struct hv_buf		err = HV_BUF_INIT;
	int64_t			id;

	ri.started_at = at;
	if ((id = hv_store_run_begin(s, &ri, &err)) == -1)
		fail_msg("run begin: %s", err.s);
	hv_buf_release(&err);
	return id;
}

/* Records a pending fault on a target of a run; fails the test on error. */
static int64_t
fault_at(struct hv_store *s, int64_t run, const char *target, int64_t at)
{
	struct hv_fault_rec	fr = {
		.run = run,
		.target = target,
		.driver = "process.kill",
		.inject = "kill -KILL nginx",
		.revert = "systemctl start nginx",
		.created_at = at,
	};
	struct hv_buf		err = HV_BUF_INIT;
	int64_t			id;

	if ((id = hv_store_fault_add(s, &fr, &err)) == -1)
		fail_msg("fault add: %s", err.s);
	hv_buf_release(&err);
	return id;
}

static void
set_ok(struct hv_store *s, int64_t fault, const char *state,
    const char *error, int64_t at)
{
	struct hv_buf	err = HV_BUF_INIT;

	if (hv_store_fault_set(s, fault, state, error, at, &err) != 0)
		fail_msg("fault %lld -> %s: %s", (long long)fault, state,
		    err.s);
	hv_buf_release(&err);
}

static json_t *
run_json_ok(struct hv_store *s, int64_t run)
{
	struct hv_buf	 err = HV_BUF_INIT;
	json_t		*j;

	if ((j = hv_store_run_json(s, run, &err)) == NULL)
		fail_msg("run json %lld: %s", (long long)run, err.s);
	hv_buf_release(&err);
	return j;
}

/* What a faults_open callback saw, row by row. */
struct seen {
	int	n;
	int	stop_after;
	int64_t	id[16];
	int64_t	run[16];
	char	state[16][32];
	char	line[16][256];
};

static int
collect(const struct hv_fault_row *r, void *arg)
{
	struct seen	*sn = arg;

	assert_true(sn->n < 16);
	sn->id[sn->n] = r->id;
	sn->run[sn->n] = r->run;
	snprintf(sn->state[sn->n], sizeof sn->state[0], "%s", r->state);
	snprintf(sn->line[sn->n], sizeof sn->line[0],
	    "%lld %s %s %s %s %s %d %s %lld", (long long)r->id,
	    r->target ? r->target : "-", r->driver, r->revert,
	    r->revert_spec ? r->revert_spec : "-", r->run_status, r->run_pid,
	    r->run_controller, (long long)r->dead_man_at);
	sn->n++;
	return sn->stop_after != 0 && sn->n == sn->stop_after;
}

static void
test_open_fresh(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	unsigned char	 h[100];

	s = open_ok(f->path);
	assert_int_equal(hv_store_schema(s), HV_STORE_SCHEMA);
	snprintf(f->msg, sizeof f->msg, "%s-wal", f->path);
	assert_true(file_exists(f->msg));
	hv_store_close(s);

	/* Bytes 18 and 19 are 2 in a WAL database. */
	read_header(f->path, h);
	assert_int_equal(h[18], 2);
	assert_int_equal(h[19], 2);
	assert_int_equal(header_version(f->path), HV_STORE_SCHEMA);
	hv_store_close(NULL);
}

static void
test_reopen(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	json_t		*j;

	s = open_ok(f->path);
	assert_int_equal(run_at(s, T0), 1);
	hv_store_close(s);

	s = open_ok(f->path);
	assert_int_equal(hv_store_schema(s), HV_STORE_SCHEMA);
	j = run_json_ok(s, 1);
	EXPECT_JSON(json_object_get(json_object_get(j, "run"), "experiment"),
	    "'Web tier survives losing one node'");
	json_decref(j);
	assert_int_equal(run_at(s, T0 + 1), 2);
	hv_store_close(s);
	assert_int_equal(header_version(f->path), HV_STORE_SCHEMA);
}

static void
test_migrate_from_v0(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	int		 fd;

	/* An empty file is a database at user_version 0 with no tables. */
	assert_true((fd = open(f->path, O_CREAT | O_WRONLY, 0600)) != -1);
	close(fd);
	s = open_ok(f->path);
	assert_int_equal(hv_store_schema(s), HV_STORE_SCHEMA);
	assert_int_equal(run_at(s, T0), 1);
	hv_store_close(s);
	assert_int_equal(header_version(f->path), HV_STORE_SCHEMA);
}

static void
test_migrate_failure_rolls_back(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT;

	/* Claims version 0 but has the tables: migration 1 must fail whole. */
	hv_store_close(open_ok(f->path));
	set_header_version(f->path, 0);
	assert_int_equal(hv_store_open(f->path, &s, &err), -1);
	assert_null(s);
	snprintf(f->msg, sizeof f->msg, "%s: migrate to schema version 1: "
	    "table gamedays already exists", f->path);
	assert_string_equal(err.s, f->msg);
	assert_int_equal(header_version(f->path), 0);
	hv_buf_release(&err);
}

static void
test_refuse_newer(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s = (struct hv_store *)&s;
	struct hv_buf	 err = HV_BUF_INIT;

	hv_store_close(open_ok(f->path));
	set_header_version(f->path, 7);
	assert_int_equal(hv_store_open(f->path, &s, &err), -1);
	assert_null(s);
	snprintf(f->msg, sizeof f->msg, "%s: schema version 7 is newer than "
	    "this havoc (%d)", f->path, HV_STORE_SCHEMA);
	assert_string_equal(err.s, f->msg);
	assert_int_equal(header_version(f->path), 7);
	hv_buf_release(&err);
}

/* Runs SQL on a closed database file with plain sqlite3, as a user would. */
static void
raw_sql(const char *path, const char *sql)
{
	sqlite3	*db;
	char	*msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* Commands that only read or repair never create a database. */
static void
test_open_modes(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s = NULL;
	struct hv_buf	 err = HV_BUF_INIT;
	struct hv_run_info info;
	struct stat	 sb;

	assert_int_equal(hv_store_open_mode(f->path, HV_STORE_READONLY, &s,
	    &err), HV_STORE_NOFILE);
	assert_null(s);
	snprintf(f->msg, sizeof f->msg, "no database at %s", f->path);
	assert_string_equal(err.s, f->msg);
	assert_int_equal(stat(f->path, &sb), -1);
	hv_buf_reset(&err);
	assert_int_equal(hv_store_open_mode(f->path, 0, &s, &err),
	    HV_STORE_NOFILE);
	assert_int_equal(stat(f->path, &sb), -1);
	hv_buf_reset(&err);

	hv_store_close(open_ok(f->path));
	assert_int_equal(hv_store_open_mode(f->path, HV_STORE_READONLY, &s,
	    &err), 0);
	/* A read-only store refuses to write. */
	memset(&info, 0, sizeof info);
	info.experiment = "x";
	info.file = "x.yaml";
	info.file_hash = "00";
	info.seed = 1;
	info.controller = "h";
	info.pid = 1;
	info.started_at = T0;
	assert_int_equal(hv_store_run_begin(s, &info, &err), -1);
	assert_non_null(strstr(err.s, "readonly"));
	hv_store_close(s);
	hv_buf_release(&err);
}

/* havoc marks its files, and leaves other SQLite files alone. */
static void
test_application_id(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s = (struct hv_store *)&s;
	struct hv_buf	 err = HV_BUF_INIT;
	unsigned char	 h[100];

	hv_store_close(open_ok(f->path));
	read_header(f->path, h);
	assert_memory_equal(h + 68, "HVOC", 4);
	unlink(f->path);

	raw_sql(f->path, "CREATE TABLE notes (x TEXT);"
	    "INSERT INTO notes VALUES ('mine')");
	assert_int_equal(hv_store_open(f->path, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err.s, "not a havoc database"));
	assert_int_equal(header_version(f->path), 0);
	read_header(f->path, h);
	assert_memory_equal(h + 68, "\0\0\0\0", 4);
	unlink(f->path);
	hv_buf_reset(&err);

	raw_sql(f->path, "PRAGMA application_id = 42");
	assert_int_equal(hv_store_open(f->path, &s, &err), -1);
	assert_non_null(strstr(err.s, "not a havoc database"));
	assert_int_equal(header_version(f->path), 0);
	hv_buf_release(&err);
}

/* Schema 4 (game days) taken back out: gamedays as schema 1 had it. */
#define SCHEMA_GAMEDAYS_UNDONE							\
	"DROP TABLE gameday_skips; DROP TABLE gameday_schedules;"	\
	"DROP TABLE leases; DROP TABLE gamedays; DROP TABLE daemons;"	\
	"CREATE TABLE gamedays (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"\
	" file TEXT NOT NULL, scheduled_at INTEGER, started_at INTEGER NOT"\
	" NULL, ended_at INTEGER, status TEXT NOT NULL DEFAULT 'running');"\
	"CREATE INDEX gamedays_name ON gamedays (name, started_at);"

/* A store of schema 1 (an older havoc's) migrates and keeps its rows. */
static void
test_migrate_from_1(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_alert_rec	 a;
	json_t			*j, *al;
	unsigned char		 h[100];

	hv_store_close(open_ok(f->path));
	/*
	 * Back to schema 1 as it shipped: no mark, no phase, no tags, old
	 * alerts, no batches.
	 */
	raw_sql(f->path, "PRAGMA application_id = 0; PRAGMA user_version = 1;"
	    SCHEMA_GAMEDAYS_UNDONE
	    "ALTER TABLE runs DROP COLUMN phase;"
	    "ALTER TABLE runs DROP COLUMN tags_json; DROP TABLE alerts;"
	    "ALTER TABLE steps DROP COLUMN batch;"
	    "CREATE TABLE alerts (id INTEGER PRIMARY KEY, run_id INTEGER NOT"
	    " NULL REFERENCES runs (id) ON DELETE CASCADE, name TEXT NOT NULL,"
	    " probe TEXT NOT NULL, within_ms INTEGER NOT NULL, injected_at"
	    " INTEGER, fired_at INTEGER, ttd_ms INTEGER GENERATED ALWAYS AS"
	    " (fired_at - injected_at), state TEXT NOT NULL CONSTRAINT"
	    " alert_state CHECK (state IN ('fired', 'silenced', 'inhibited',"
	    " 'missed')), detail TEXT);"
	    "INSERT INTO runs (id, experiment, file, file_hash, seed,"
	    " controller, pid, started_at) VALUES (1, 'e', 'e.yaml', '00',"
	    " '7', 'h', 1, 1700000000000);"
	    "INSERT INTO alerts (run_id, name, probe, within_ms, injected_at,"
	    " fired_at, state) VALUES (1, 'NodeDown', 'alertmanager', 60000,"
	    " 1700000000000, 1700000004000, 'fired')");
	s = open_ok(f->path);
	assert_int_equal(hv_store_schema(s), HV_STORE_SCHEMA);
	memset(&a, 0, sizeof a);
	a.run = 1;
	a.name = "Quiet";
	a.probe = "alertmanager";
	a.within_ms = 1000;
	a.state = HV_ALERT_NOT_EVALUATED;
	a.detail = "not evaluated: the run changed nothing";
	assert_int_equal(hv_store_alert(s, &a, &err), 0);
	assert_non_null(j = hv_store_run_json(s, 1, &err));
	al = json_object_get(j, "alerts");
	assert_int_equal(json_array_size(al), 2);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(al, 0), "ttd_ms")), 4000);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(al, 1), "state")), "not_evaluated");
	json_decref(j);
	hv_store_close(s);
	read_header(f->path, h);
	assert_memory_equal(h + 68, "HVOC", 4);
	hv_buf_release(&err);
}

static int	busy_calls;

static void
count_busy(void *arg)
{
	(void)arg;
	busy_calls++;
}

static int64_t
now_ms(void)
{
	return hv_mono_ms();
}

/*
 * Another process holds the write lock: in non-blocking mode no write
 * waits for it (they wait in memory, in order), the fault journal says
 * busy, and everything is written, with its ids right, once it is free.
 */
static void
test_locked_nonblocking(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_run_info	 info;
	struct hv_step_rec	 sr;
	struct hv_fault_rec	 fr;
	sqlite3			*other;
	int64_t			 run, step, fault, t0, step2, fault2;
	json_t			*j, *st;

	s = open_ok(f->path);
	memset(&info, 0, sizeof info);
	info.experiment = "locked";
	info.file = "x.yaml";
	info.file_hash = "00";
	info.seed = 1;
	info.controller = "h";
	info.pid = 1;
	info.started_at = T0;
	assert_true((run = hv_store_run_begin(s, &info, &err)) > 0);
	memset(&sr, 0, sizeof sr);
	sr.run = run;
	sr.phase = HV_PHASE_METHOD;
	sr.kind = "action";
	sr.name = "first";
	sr.started_at = T0 + 1;
	assert_true((step = hv_store_step_begin(s, &sr, &err)) > 0);
	memset(&fr, 0, sizeof fr);
	fr.run = run;
	fr.step = step;
	fr.driver = "shell.run";
	fr.inject = "i";
	fr.revert = "r";
	fr.created_at = T0 + 2;
	assert_true((fault = hv_store_fault_add(s, &fr, &err)) > 0);

	hv_store_nonblocking(s, count_busy, NULL);
	busy_calls = 0;
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);

	t0 = now_ms();
	assert_int_equal(hv_store_fault_set(s, fault, HV_FAULT_ACTIVE, NULL,
	    T0 + 3, &err), 0);
	assert_int_equal(hv_store_sample(s, run, "site", NULL, T0 + 4, 0, 12,
	    "down", &err), 0);
	sr.name = "second";
	sr.started_at = T0 + 5;
	step2 = hv_store_step_begin(s, &sr, &err);
	assert_true(step2 > 0);
	assert_int_equal(hv_store_step_end(s, step2, "ok", "out", NULL, 7,
	    T0 + 6, &err), 0);
	fr.step = step2;
	/* The journal does not wait in memory: the inject waits instead. */
	assert_int_equal(hv_store_fault_add(s, &fr, &err), HV_STORE_BUSY);
	assert_int_equal(hv_store_fault_set(s, fault, HV_FAULT_REVERTED, NULL,
	    T0 + 7, &err), 0);
	/* None of it waited for the lock. */
	assert_true(now_ms() - t0 < 1000);
	assert_int_equal(err.len, 0);
	assert_true(busy_calls > 0);
	assert_int_equal(hv_store_waiting(s), 5);
	assert_int_equal(hv_store_flush(s, &err), 5);

	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(hv_store_flush(s, &err), 0);
	assert_true((fault2 = hv_store_fault_add(s, &fr, &err)) > 0);
	assert_non_null(j = hv_store_run_json(s, run, &err));
	st = json_array_get(json_object_get(j, "steps"), 1);
	assert_string_equal(json_string_value(json_object_get(st, "name")),
	    "second");
	assert_string_equal(json_string_value(json_object_get(st, "status")),
	    "ok");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "faults"), 0), "state")),
	    "reverted");
	/* The second fault's step is the second step's real id. */
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(json_object_get(j, "faults"), 1), "step")),
	    json_integer_value(json_object_get(st, "id")));
	assert_int_equal(json_array_size(json_object_get(j, "samples")), 1);
	json_decref(j);
	sqlite3_close(other);
	hv_store_close(s);
	hv_buf_release(&err);
}

/* Without non-blocking mode a locked database is an error, not a hang. */
static void
test_locked_blocking(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_buf		 err = HV_BUF_INIT;
	sqlite3			*other;

	s = open_ok(f->path);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	hv_store_nonblocking(s, count_busy, NULL);
	hv_store_nonblocking(s, NULL, NULL);
	assert_int_equal(hv_store_run_phase(s, 1, "method", &err), -1);
	assert_non_null(strstr(err.s, "locked"));
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_refuse_not_database(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT, back = HV_BUF_INIT;
	FILE		*fp;
	int		 i;

	assert_non_null(fp = fopen(f->path, "w"));
	for (i = 0; i < 100; i++)
		fputs("version: 1\ntitle: not a database\n", fp);
	fclose(fp);
	assert_int_equal(hv_store_open(f->path, &s, &err), -1);
	assert_null(s);
	snprintf(f->msg, sizeof f->msg, "%s: file is not a database",
	    f->path);
	assert_string_equal(err.s, f->msg);

	/* Left exactly as it was. */
	assert_int_equal(hv_read_file(f->path, &back, NULL), 0);
	assert_int_equal(back.len, 100 * strlen("version: 1\ntitle: not a "
	    "database\n"));
	assert_memory_equal(back.s, "version: 1\ntitle", 16);
	hv_buf_release(&back);
	hv_buf_release(&err);
}

static void
test_missing_directory(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT;

	snprintf(f->msg, sizeof f->msg, "%s/no/such/dir/havoc.db", f->dir);
	assert_int_equal(hv_store_open(f->msg, &s, &err), -1);
	assert_null(s);
	assert_int_equal(strncmp(err.s, f->msg, strlen(f->msg)), 0);
	assert_non_null(strstr(err.s, "cannot open"));
	snprintf(f->msg, sizeof f->msg, "%s/no", f->dir);
	assert_false(file_exists(f->msg));
	hv_buf_release(&err);
}

static void
test_run_life(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_step_rec	 sr;
	struct hv_fault_rec	 fr;
	struct hv_alert_rec	 ar;
	struct hv_figure_rec	 fg;
	int64_t			 run, other, st1, st2, st3, f1, f2;
	json_t			*j;

	s = open_ok(f->path);
	run = run_at(s, T0);
	other = run_at(s, T0 + 5);

	sr = (struct hv_step_rec){ run, HV_PHASE_BEFORE, "probe", "homepage",
	    "http", NULL, "GET http://10.99.0.10/", T0 + 100 };
	assert_int_equal(st1 = hv_store_step_begin(s, &sr, &err), 1);
	sr = (struct hv_step_rec){ other, HV_PHASE_BEFORE, "probe",
	    "homepage", "http", NULL, NULL, T0 + 110 };
	assert_int_equal(hv_store_step_begin(s, &sr, &err), 2);
	sr = (struct hv_step_rec){ run, HV_PHASE_METHOD, "action",
	    "kill nginx", "process.kill", "web-1", "kill -KILL nginx",
	    T0 + 200 };
	assert_int_equal(st2 = hv_store_step_begin(s, &sr, &err), 3);
	sr = (struct hv_step_rec){ run, HV_PHASE_ROLLBACK, "action",
	    "start nginx", "service.start", "web-1", NULL, T0 + 1000 };
	assert_int_equal(st3 = hv_store_step_begin(s, &sr, &err), 4);
	assert_int_equal(hv_store_step_end(s, st1, "ok", "200 OK", NULL,
	    12.5, T0 + 150, &err), 0);
	assert_int_equal(hv_store_step_end(s, st2, "ok", "", NULL, -1,
	    T0 + 300, &err), 0);
	/* A rotation's step says its batch; the others have none. */
	assert_int_equal(hv_store_step_batch(s, st2, 2, &err), 0);
	assert_int_equal(hv_store_step_end(s, st3, "failed", NULL, "exit 1",
	    40, T0 + 1100, &err), 0);

	/* Out of order: read back by time. */
	assert_int_equal(hv_store_sample(s, run, "homepage", NULL, T0 + 500,
	    1, 8.25, NULL, &err), 0);
	assert_int_equal(hv_store_sample(s, run, "homepage", NULL, T0 + 400,
	    0, -1, "timeout after 2s", &err), 0);
	assert_int_equal(hv_store_sample(s, run, "ssh", "web-1", T0 + 600,
	    2, 20, NULL, &err), 0);
	assert_int_equal(hv_store_sample(s, other, "homepage", NULL, T0 + 450,
	    1, 1, NULL, &err), 0);

	fr = (struct hv_fault_rec){ run, st2, "web-1", "process.kill",
	    "kill -KILL nginx", "systemctl start nginx",
	    "{\"action\": \"service.start\", \"with\": {\"name\": \"nginx\"}}",
	    T0 + 600000, T0 + 250 };
	assert_int_equal(f1 = hv_store_fault_add(s, &fr, &err), 1);
	fr = (struct hv_fault_rec){ run, 0, NULL, "aws.ec2.stop",
	    "stop i-0abc", "start i-0abc", NULL, 0, T0 + 255 };
	assert_int_equal(f2 = hv_store_fault_add(s, &fr, &err), 2);
	set_ok(s, f1, HV_FAULT_ACTIVE, NULL, T0 + 260);
	set_ok(s, f1, HV_FAULT_REVERTED, NULL, T0 + 900);
	set_ok(s, f2, HV_FAULT_INJECT_FAILED, "boom", T0 + 270);
	set_ok(s, f2, HV_FAULT_REVERT_FAILED, "still boom", T0 + 950);
	set_ok(s, f2, HV_FAULT_REVERTED, NULL, T0 + 990);

	ar = (struct hv_alert_rec){ run, "NodeDown", "alertmanager", 60000,
	    T0 + 260, T0 + 30260, "fired", NULL };
	assert_int_equal(hv_store_alert(s, &ar, &err), 0);
	ar = (struct hv_alert_rec){ run, "HighLatency", "prometheus", 30000,
	    T0 + 260, 0, "missed", "not active after 30s" };
	assert_int_equal(hv_store_alert(s, &ar, &err), 0);

	/* A figure recorded twice keeps the last. */
	fg = (struct hv_figure_rec){ run, "homepage", 1, 1, T0, 0, -1,
	    "not_recovered" };
	assert_int_equal(hv_store_figure(s, &fg, &err), 0);
	fg = (struct hv_figure_rec){ run, "homepage", 2, 1, T0 + 400,
	    T0 + 500, 100, "recovered" };
	assert_int_equal(hv_store_figure(s, &fg, &err), 0);
	fg = (struct hv_figure_rec){ run, "ssh", 1, 0, 0, 0, -1, "steady" };
	assert_int_equal(hv_store_figure(s, &fg, &err), 0);

	assert_int_equal(hv_store_run_end(s, run, HV_RUN_DEVIATED, 1, 1,
	    "HighLatency did not fire within 30s", T0 + 2000, &err), 0);
	assert_int_equal(err.len, 0);

	j = run_json_ok(s, run);
	assert_int_equal(json_object_size(j), 6);
	EXPECT_JSON(json_object_get(j, "run"), "{'id': 1,"
	    " 'experiment': 'Web tier survives losing one node',"
	    " 'file': 'experiments/web.yaml', 'file_hash': '5e3c',"
	    " 'seed': '42', 'gameday': null,"
	    " 'vars': {'site': 'http://10.99.0.10'}, 'plan': ['web-1'],"
	    " 'controller': 'ctl-1', 'pid': 4242, 'status': 'deviated',"
	    " 'phase': null, 'deviated': true, 'exit_code': 1,"
	    " 'reason': 'HighLatency did not fire within 30s',"
	    " 'started_at': 1700000000000, 'ended_at': 1700000002000}");
	EXPECT_JSON(json_object_get(j, "steps"), "["
	    "{'id': 1, 'seq': 1, 'phase': 'steady_before', 'kind': 'probe',"
	    " 'name': 'homepage', 'driver': 'http', 'target': null,"
	    " 'detail': 'GET http://10.99.0.10/',"
	    " 'started_at': 1700000000100, 'ended_at': 1700000000150,"
	    " 'status': 'ok', 'output': '200 OK', 'error': null,"
	    " 'latency_ms': 12.5, 'batch': null},"
	    "{'id': 3, 'seq': 2, 'phase': 'method', 'kind': 'action',"
	    " 'name': 'kill nginx', 'driver': 'process.kill',"
	    " 'target': 'web-1', 'detail': 'kill -KILL nginx',"
	    " 'started_at': 1700000000200, 'ended_at': 1700000000300,"
	    " 'status': 'ok', 'output': '', 'error': null,"
	    " 'latency_ms': null, 'batch': 2},"
	    "{'id': 4, 'seq': 3, 'phase': 'rollback', 'kind': 'action',"
	    " 'name': 'start nginx', 'driver': 'service.start',"
	    " 'target': 'web-1', 'detail': null,"
	    " 'started_at': 1700000001000, 'ended_at': 1700000001100,"
	    " 'status': 'failed', 'output': null, 'error': 'exit 1',"
	    " 'latency_ms': 40.0, 'batch': null}]");
	EXPECT_JSON(json_object_get(j, "samples"), "["
	    "{'id': 2, 'probe': 'homepage', 'target': null,"
	    " 'at': 1700000000400, 'ok': false, 'latency_ms': null,"
	    " 'error': 'timeout after 2s'},"
	    "{'id': 1, 'probe': 'homepage', 'target': null,"
	    " 'at': 1700000000500, 'ok': true, 'latency_ms': 8.25,"
	    " 'error': null},"
	    "{'id': 3, 'probe': 'ssh', 'target': 'web-1',"
	    " 'at': 1700000000600, 'ok': true, 'latency_ms': 20.0,"
	    " 'error': null}]");
	EXPECT_JSON(json_object_get(j, "faults"), "["
	    "{'id': 1, 'step': 3, 'target': 'web-1',"
	    " 'driver': 'process.kill', 'inject': 'kill -KILL nginx',"
	    " 'revert': 'systemctl start nginx',"
	    " 'revert_spec': {'action': 'service.start',"
	    "  'with': {'name': 'nginx'}},"
	    " 'state': 'reverted', 'created_at': 1700000000250,"
	    " 'injected_at': 1700000000260, 'reverted_at': 1700000000900,"
	    " 'dead_man_at': 1700000600000, 'error': null},"
	    "{'id': 2, 'step': null, 'target': null,"
	    " 'driver': 'aws.ec2.stop', 'inject': 'stop i-0abc',"
	    " 'revert': 'start i-0abc', 'revert_spec': null,"
	    " 'state': 'reverted', 'created_at': 1700000000255,"
	    " 'injected_at': 1700000000270, 'reverted_at': 1700000000990,"
	    " 'dead_man_at': null, 'error': 'still boom'}]");
	EXPECT_JSON(json_object_get(j, "alerts"), "["
	    "{'id': 1, 'name': 'NodeDown', 'probe': 'alertmanager',"
	    " 'within_ms': 60000, 'injected_at': 1700000000260,"
	    " 'fired_at': 1700000030260, 'ttd_ms': 30000, 'state': 'fired',"
	    " 'detail': null},"
	    "{'id': 2, 'name': 'HighLatency', 'probe': 'prometheus',"
	    " 'within_ms': 30000, 'injected_at': 1700000000260,"
	    " 'fired_at': null, 'ttd_ms': null, 'state': 'missed',"
	    " 'detail': 'not active after 30s'}]");
	EXPECT_JSON(json_object_get(j, "figures"), "["
	    "{'probe': 'homepage', 'samples': 2, 'failures': 1,"
	    " 'first_failure_at': 1700000000400,"
	    " 'recovered_at': 1700000000500, 'ttr_ms': 100,"
	    " 'state': 'recovered'},"
	    "{'probe': 'ssh', 'samples': 1, 'failures': 0,"
	    " 'first_failure_at': null, 'recovered_at': null,"
	    " 'ttr_ms': null, 'state': 'steady'}]");
	json_decref(j);

	/* The other run holds only its own records. */
	j = run_json_ok(s, other);
	EXPECT_JSON(json_object_get(j, "steps"), "[{'id': 2, 'seq': 1,"
	    " 'phase': 'steady_before', 'kind': 'probe', 'name': 'homepage',"
	    " 'driver': 'http', 'target': null, 'detail': null,"
	    " 'started_at': 1700000000110, 'ended_at': null,"
	    " 'status': 'running', 'output': null, 'error': null,"
	    " 'latency_ms': null, 'batch': null}]");
	EXPECT_JSON(json_object_get(j, "samples"), "[{'id': 4,"
	    " 'probe': 'homepage', 'target': null, 'at': 1700000000450,"
	    " 'ok': true, 'latency_ms': 1.0, 'error': null}]");
	EXPECT_JSON(json_object_get(j, "faults"), "[]");
	EXPECT_JSON(json_object_get(j, "alerts"), "[]");
	EXPECT_JSON(json_object_get(j, "figures"), "[]");
	json_decref(j);
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_fault_states(void **state)
{
	static const struct {
		const char	*from;
		const char	*to;
		int		 ok;
	} moves[] = {
		{ HV_FAULT_PENDING, HV_FAULT_ACTIVE, 1 },
		{ HV_FAULT_PENDING, HV_FAULT_INJECT_FAILED, 1 },
		{ HV_FAULT_PENDING, HV_FAULT_REVERTED, 1 },
		{ HV_FAULT_PENDING, HV_FAULT_REVERT_FAILED, 1 },
		{ HV_FAULT_ACTIVE, HV_FAULT_REVERTED, 1 },
		{ HV_FAULT_ACTIVE, HV_FAULT_REVERT_FAILED, 1 },
		{ HV_FAULT_ACTIVE, HV_FAULT_ACTIVE, 0 },
		{ HV_FAULT_ACTIVE, HV_FAULT_INJECT_FAILED, 0 },
		{ HV_FAULT_INJECT_FAILED, HV_FAULT_REVERTED, 1 },
		{ HV_FAULT_INJECT_FAILED, HV_FAULT_REVERT_FAILED, 1 },
		{ HV_FAULT_INJECT_FAILED, HV_FAULT_ACTIVE, 0 },
		{ HV_FAULT_REVERT_FAILED, HV_FAULT_REVERT_FAILED, 1 },
		{ HV_FAULT_REVERT_FAILED, HV_FAULT_REVERTED, 1 },
		{ HV_FAULT_REVERT_FAILED, HV_FAULT_ACTIVE, 0 },
		{ HV_FAULT_REVERTED, HV_FAULT_ACTIVE, 0 },
		{ HV_FAULT_REVERTED, HV_FAULT_REVERT_FAILED, 0 },
		{ HV_FAULT_REVERTED, HV_FAULT_REVERTED, 0 },
	};
	struct fixture	*f = *state;
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT;
	int64_t		 run, id;
	size_t		 i;
	json_t		*j, *fj;

	s = open_ok(f->path);
	run = run_at(s, T0);
	for (i = 0; i < HV_ARRAY_LEN(moves); i++) {
		id = fault_at(s, run, "web-1", T0 + (int64_t)i);
		/* Reach the starting state by an allowed path. */
		if (strcmp(moves[i].from, HV_FAULT_ACTIVE) == 0 ||
		    strcmp(moves[i].from, HV_FAULT_INJECT_FAILED) == 0 ||
		    strcmp(moves[i].from, HV_FAULT_REVERTED) == 0 ||
		    strcmp(moves[i].from, HV_FAULT_REVERT_FAILED) == 0)
			set_ok(s, id, strcmp(moves[i].from,
			    HV_FAULT_INJECT_FAILED) == 0 ?
			    HV_FAULT_INJECT_FAILED : HV_FAULT_ACTIVE, NULL, 10);
		if (strcmp(moves[i].from, HV_FAULT_REVERTED) == 0 ||
		    strcmp(moves[i].from, HV_FAULT_REVERT_FAILED) == 0)
			set_ok(s, id, moves[i].from, "first", 20);

		hv_buf_reset(&err);
		if (moves[i].ok) {
			if (hv_store_fault_set(s, id, moves[i].to, NULL, 30,
			    &err) != 0)
				fail_msg("%s -> %s: %s", moves[i].from,
				    moves[i].to, err.s);
			assert_int_equal(err.len, 0);
		} else {
			assert_int_equal(hv_store_fault_set(s, id,
			    moves[i].to, "late", 30, &err), -1);
			snprintf(f->msg, sizeof f->msg, "store: set fault "
			    "%lld: cannot go from %s to %s", (long long)id,
			    moves[i].from, moves[i].to);
			assert_string_equal(err.s, f->msg);
		}

		/* The state, and the times each state sets. */
		j = run_json_ok(s, run);
		fj = json_array_get(json_object_get(j, "faults"), i);
		assert_string_equal(json_string_value(json_object_get(fj,
		    "state")), moves[i].ok ? moves[i].to : moves[i].from);
		if (moves[i].ok && (strcmp(moves[i].to, HV_FAULT_ACTIVE) == 0 ||
		    strcmp(moves[i].to, HV_FAULT_INJECT_FAILED) == 0))
			assert_int_equal(json_integer_value(json_object_get(fj,
			    "injected_at")), 30);
		if (moves[i].ok && strcmp(moves[i].to, HV_FAULT_REVERTED) == 0)
			assert_int_equal(json_integer_value(json_object_get(fj,
			    "reverted_at")), 30);
		else if (strcmp(moves[i].from, HV_FAULT_REVERTED) == 0)
			assert_int_equal(json_integer_value(json_object_get(fj,
			    "reverted_at")), 20);
		else
			assert_true(json_is_null(json_object_get(fj,
			    "reverted_at")));
		json_decref(j);
	}

	/* Pending is where a fault starts, never where it goes. */
	hv_buf_reset(&err);
	id = fault_at(s, run, "web-2", T0);
	assert_int_equal(hv_store_fault_set(s, id, HV_FAULT_PENDING, NULL, 1,
	    &err), -1);
	snprintf(f->msg, sizeof f->msg, "store: set fault %lld: cannot move "
	    "to state pending", (long long)id);
	assert_string_equal(err.s, f->msg);
	hv_buf_reset(&err);
	assert_int_equal(hv_store_fault_set(s, 999, HV_FAULT_ACTIVE, NULL, 1,
	    &err), -1);
	assert_string_equal(err.s, "store: set fault: no fault 999");
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_faults_open(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_fault_rec	 fr;
	struct seen		 sn;
	int64_t			 r1, r2, a, b, c, d, e;

	s = open_ok(f->path);
	r1 = run_at(s, T0);
	r2 = run_at(s, T0 + 1);
	assert_int_equal(hv_store_run_end(s, r2, HV_RUN_INTERRUPTED, 0, 2,
	    "died", T0 + 9, &err), 0);
	a = fault_at(s, r1, "web-1", T0 + 10);	/* stays pending */
	b = fault_at(s, r1, "web-2", T0 + 11);	/* active */
	c = fault_at(s, r2, "web-3", T0 + 12);	/* reverted: not open */
	fr = (struct hv_fault_rec){ r2, 0, NULL, "aws.ec2.stop", "stop i-1",
	    "start i-1", "{\"instance\":\"i-1\"}", T0 + 600000, T0 + 13 };
	d = hv_store_fault_add(s, &fr, &err);	/* revert_failed */
	e = fault_at(s, r1, "web-5", T0 + 14);	/* inject_failed */
	set_ok(s, b, HV_FAULT_ACTIVE, NULL, T0 + 20);
	set_ok(s, c, HV_FAULT_ACTIVE, NULL, T0 + 21);
	set_ok(s, c, HV_FAULT_REVERTED, NULL, T0 + 22);
	set_ok(s, d, HV_FAULT_REVERT_FAILED, "timeout", T0 + 23);
	set_ok(s, e, HV_FAULT_INJECT_FAILED, "exit 1", T0 + 24);

	/* All runs, newest first, joined with their run. */
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s, 0, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 4);
	assert_int_equal(sn.id[0], e);
	assert_int_equal(sn.id[1], d);
	assert_int_equal(sn.id[2], b);
	assert_int_equal(sn.id[3], a);
	assert_string_equal(sn.state[0], HV_FAULT_INJECT_FAILED);
	assert_string_equal(sn.state[1], HV_FAULT_REVERT_FAILED);
	assert_string_equal(sn.state[2], HV_FAULT_ACTIVE);
	assert_string_equal(sn.state[3], HV_FAULT_PENDING);
	assert_string_equal(sn.line[0], "5 web-5 process.kill systemctl start "
	    "nginx - running 4242 ctl-1 0");
	assert_string_equal(sn.line[1], "4 - aws.ec2.stop start i-1 "
	    "{\"instance\":\"i-1\"} interrupted 4242 ctl-1 1700000600000");
	assert_int_equal(sn.run[1], r2);

	/* One run only. */
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s, r2, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 1);
	assert_int_equal(sn.id[0], d);

	/* The callback stops the walk. */
	memset(&sn, 0, sizeof sn);
	sn.stop_after = 2;
	assert_int_equal(hv_store_faults_open(s, 0, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 2);

	/* Nothing open for an unknown run is not an error. */
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s, 99, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 0);
	assert_int_equal(err.len, 0);
	hv_store_close(s);
	hv_buf_release(&err);
}

struct reverter {
	struct hv_store	*s;
	const char	*path;
	int		 n;
};

/*
 * What recover does: revert each open fault from inside the walk, and look
 * again. This connection and another must see each revert at once.
 */
static int
revert_each(const struct hv_fault_row *r, void *arg)
{
	struct reverter	*rv = arg;
	struct hv_store	*s2;
	struct hv_buf	 err = HV_BUF_INIT;
	struct seen	 sn;

	if (hv_store_fault_set(rv->s, r->id, HV_FAULT_REVERTED, NULL, T0 + 99,
	    &err) != 0)
		fail_msg("revert %lld: %s", (long long)r->id, err.s);
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(rv->s, 0, collect, &sn, &err),
	    0);
	assert_int_equal(sn.n, 1 - rv->n);
	s2 = open_ok(rv->path);
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s2, 0, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 1 - rv->n);
	hv_store_close(s2);
	hv_buf_release(&err);
	rv->n++;
	return 0;
}

static void
test_faults_open_callback_writes(void **state)
{
	struct fixture	*f = *state;
	struct reverter	 rv = { NULL, f->path, 0 };
	struct hv_buf	 err = HV_BUF_INIT;
	int64_t		 run;

	rv.s = open_ok(f->path);
	run = run_at(rv.s, T0);
	fault_at(rv.s, run, "web-1", T0 + 1);
	fault_at(rv.s, run, "web-2", T0 + 2);
	assert_int_equal(hv_store_faults_open(rv.s, 0, revert_each, &rv,
	    &err), 0);
	assert_int_equal(rv.n, 2);
	assert_int_equal(err.len, 0);
	hv_store_close(rv.s);
	hv_buf_release(&err);
}

static void
test_fault_durable(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s, *s2;
	struct hv_buf	 err = HV_BUF_INIT;
	struct seen	 sn;
	int64_t		 run, id;

	s = open_ok(f->path);
	run = run_at(s, T0);
	id = fault_at(s, run, "web-1", T0 + 1);

	/* Still open in s; a second connection already sees it. */
	s2 = open_ok(f->path);
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s2, run, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 1);
	assert_int_equal(sn.id[0], id);
	assert_string_equal(sn.state[0], HV_FAULT_PENDING);

	set_ok(s, id, HV_FAULT_ACTIVE, NULL, T0 + 2);
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s2, run, collect, &sn, &err), 0);
	assert_string_equal(sn.state[0], HV_FAULT_ACTIVE);
	hv_store_close(s2);
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_fault_survives_crash(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT;
	struct seen	 sn;
	pid_t		 pid;
	int		 status;

	/* The child records a fault and dies without closing anything. */
	if ((pid = fork()) == 0) {
		if (hv_store_open(f->path, &s, &err) != 0)
			_exit(1);
		run_at(s, T0);
		fault_at(s, 1, "web-1", T0 + 1);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	s = open_ok(f->path);
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s, 0, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.line[0], "1 web-1 process.kill systemctl "
	    "start nginx - running 4242 ctl-1 0");
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_journal_refused_in_transaction(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s, *s2;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_fault_rec	 fr = { .driver = "process.kill",
	    .inject = "kill", .revert = "start", .created_at = T0 };
	struct seen		 sn;
	int64_t			 id;

	s = open_ok(f->path);
	fr.run = run_at(s, T0);
	id = fault_at(s, fr.run, "web-1", T0);
	assert_int_equal(hv_store_begin(s, &err), 0);
	assert_int_equal(hv_store_fault_add(s, &fr, &err), -1);
	assert_string_equal(err.s, "store: add fault: refused inside a "
	    "transaction (the fault journal commits on its own)");
	hv_buf_reset(&err);
	assert_int_equal(hv_store_fault_set(s, id, HV_FAULT_ACTIVE, NULL, 1,
	    &err), -1);
	assert_string_equal(err.s, "store: set fault: refused inside a "
	    "transaction (the fault journal commits on its own)");
	hv_buf_reset(&err);
	assert_int_equal(hv_store_commit(s, &err), 0);

	/* After the commit the journal works again; nothing was half done. */
	assert_int_equal(hv_store_fault_add(s, &fr, &err), id + 1);
	s2 = open_ok(f->path);
	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s2, 0, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.state[1], HV_FAULT_PENDING);
	assert_int_equal(err.len, 0);
	hv_store_close(s2);
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_transaction(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s, *s2;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_step_rec	 sr = { 0, HV_PHASE_METHOD, "pause", "pause",
	    NULL, NULL, NULL, T0 };
	json_t			*j;
	int			 i;

	s = open_ok(f->path);
	s2 = open_ok(f->path);
	assert_int_equal(hv_store_begin(s, &err), 0);
	sr.run = run_at(s, T0);
	for (i = 0; i < 3; i++)
		assert_true(hv_store_step_begin(s, &sr, &err) > 0);

	/* Not visible to others before the commit. */
	j = hv_store_runs_json(s2, 10, &err);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	/* Our own snapshot reads inside our transaction. */
	j = run_json_ok(s, sr.run);
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 3);
	json_decref(j);
	assert_int_equal(hv_store_commit(s, &err), 0);

	j = run_json_ok(s2, sr.run);
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 3);
	json_decref(j);
	assert_int_equal(err.len, 0);

	assert_int_equal(hv_store_commit(s, &err), -1);
	assert_string_equal(err.s, "store: commit: no transaction is open");
	hv_buf_reset(&err);
	assert_int_equal(hv_store_begin(s, &err), 0);
	assert_int_equal(hv_store_begin(s, &err), -1);
	assert_string_equal(err.s, "store: begin: a transaction is already "
	    "open");
	assert_int_equal(hv_store_commit(s, &err), 0);

	/* A close with a transaction open rolls it back. */
	assert_int_equal(hv_store_begin(s, &err), 0);
	run_at(s, T0 + 1);
	hv_store_close(s);
	j = hv_store_runs_json(s2, 0, &err);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	hv_store_close(s2);
	hv_buf_release(&err);
}

static void
test_seed_roundtrip(void **state)
{
	static const struct {
		uint64_t	 seed;
		const char	*text;
	} seeds[] = {
		{ UINT64_MAX, "18446744073709551615" },
		{ UINT64_C(9223372036854775808), "9223372036854775808" },
		{ 0, "0" },
		{ 42, "42" },
	};
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_run_info	 ri = run_info;
	struct hv_buf		 err = HV_BUF_INIT;
	json_t			*j, *seed;
	size_t			 i;
	int64_t			 id;

	s = open_ok(f->path);
	for (i = 0; i < HV_ARRAY_LEN(seeds); i++) {
		ri.seed = seeds[i].seed;
		assert_true((id = hv_store_run_begin(s, &ri, &err)) > 0);
		j = run_json_ok(s, id);
		seed = json_object_get(json_object_get(j, "run"), "seed");
		assert_true(json_is_string(seed));
		assert_string_equal(json_string_value(seed), seeds[i].text);
		json_decref(j);
	}
	j = hv_store_runs_json(s, 1, &err);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "seed")), "42");
	json_decref(j);
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_verbatim_strings(void **state)
{
	static const char	*const nasty = "'; DROP TABLE runs; --";
	static const char	*const quoted = "a \"b\" \\c\td\ne $(rm -rf /) "
	    "%s %n ?1 :x";
	static const char	*const unicode = "caf\xc3\xa9 \xe2\x9c\x93 "
	    "\xf0\x9f\x99\x82";
	static const char	*const bad = "\xff\xfe half \xc3";
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_run_info	 ri = run_info;
	struct hv_step_rec	 sr;
	struct hv_buf		 err = HV_BUF_INIT;
	struct seen		 sn;
	struct hv_fault_rec	 fr;
	json_t			*j, *run;
	int64_t			 id, step;

	s = open_ok(f->path);
	ri.experiment = nasty;
	ri.file = quoted;
	ri.controller = unicode;
	ri.vars_json = "not json {";
	assert_true((id = hv_store_run_begin(s, &ri, &err)) > 0);
	sr = (struct hv_step_rec){ id, HV_PHASE_METHOD, "action", nasty,
	    "shell.run", quoted, bad, T0 };
	assert_true((step = hv_store_step_begin(s, &sr, &err)) > 0);
	assert_int_equal(hv_store_step_end(s, step, "ok", quoted, nasty, 1,
	    T0 + 1, &err), 0);
	fr = (struct hv_fault_rec){ id, step, nasty, "shell.run", quoted, bad,
	    NULL, 0, T0 };
	assert_true(hv_store_fault_add(s, &fr, &err) > 0);

	j = run_json_ok(s, id);
	run = json_object_get(j, "run");
	assert_string_equal(json_string_value(json_object_get(run,
	    "experiment")), nasty);
	assert_string_equal(json_string_value(json_object_get(run, "file")),
	    quoted);
	assert_string_equal(json_string_value(json_object_get(run,
	    "controller")), unicode);
	/* Text that does not parse as JSON is kept as text. */
	assert_string_equal(json_string_value(json_object_get(run, "vars")),
	    "not json {");
	run = json_array_get(json_object_get(j, "steps"), 0);
	assert_string_equal(json_string_value(json_object_get(run, "name")),
	    nasty);
	assert_string_equal(json_string_value(json_object_get(run, "output")),
	    quoted);
	/* JSON must be UTF-8: bad bytes are replaced there, and only there. */
	assert_string_equal(json_string_value(json_object_get(run, "detail")),
	    "\xef\xbf\xbd\xef\xbf\xbd half \xef\xbf\xbd");
	json_decref(j);

	memset(&sn, 0, sizeof sn);
	assert_int_equal(hv_store_faults_open(s, id, collect, &sn, &err), 0);
	snprintf(f->msg, sizeof f->msg, "1 %s shell.run %s - running 4242 %s "
	    "0", nasty, bad, unicode);
	assert_string_equal(sn.line[0], f->msg);

	/* The table is still there. */
	j = hv_store_runs_json(s, 10, &err);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	assert_int_equal(err.len, 0);
	hv_store_close(s);
	hv_buf_release(&err);
}

static void
test_runs_lists(void **state)
{
	struct fixture	*f = *state;
	struct hv_store	*s;
	struct hv_buf	 err = HV_BUF_INIT;
	json_t		*j;
	int64_t		 gd;

	s = open_ok(f->path);
	gd = hv_store_gameday_begin(s, "weekly-web", "gamedays/weekly.yaml",
	    T0 - 60000, T0, &err);
	assert_int_equal(gd, 1);
	run_at(s, T0 + 100);
	run_at(s, T0 + 300);
	run_at(s, T0 + 200);
	assert_int_equal(hv_store_run_end(s, 2, HV_RUN_COMPLETED, 0, 0, NULL,
	    T0 + 400, &err), 0);
	assert_int_equal(hv_store_gameday_end(s, gd, "completed", T0 + 500,
	    &err), 0);

	/* A run of the game day. */
	{
		struct hv_run_info	ri = run_info;

		ri.gameday = gd;
		ri.started_at = T0 + 50;
		assert_int_equal(hv_store_run_begin(s, &ri, &err), 4);
	}

	j = hv_store_runs_json(s, 2, &err);
	EXPECT_JSON(j, "["
	    "{'id': 2, 'experiment': 'Web tier survives losing one node',"
	    " 'file': 'experiments/web.yaml', 'status': 'completed',"
	    " 'phase': null, 'deviated': false, 'exit_code': 0, 'reason': null,"
	    " 'seed': '42', 'started_at': 1700000000300,"
	    " 'ended_at': 1700000000400, 'gameday': null},"
	    "{'id': 3, 'experiment': 'Web tier survives losing one node',"
	    " 'file': 'experiments/web.yaml', 'status': 'running',"
	    " 'phase': null, 'deviated': false, 'exit_code': null, 'reason': null,"
	    " 'seed': '42', 'started_at': 1700000000200,"
	    " 'ended_at': null, 'gameday': null}]");
	json_decref(j);

	/* No limit: all of them, newest first. */
	j = hv_store_runs_json(s, 0, &err);
	assert_int_equal(json_array_size(j), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j,
	    3), "id")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j,
	    3), "gameday")), gd);
	json_decref(j);

	j = hv_store_running_json(s, &err);
	assert_int_equal(json_array_size(j), 3);
	EXPECT_JSON(json_array_get(j, 0), "{'id': 3,"
	    " 'experiment': 'Web tier survives losing one node',"
	    " 'file': 'experiments/web.yaml', 'status': 'running',"
	    " 'phase': null, 'deviated': false, 'exit_code': null, 'reason': null,"
	    " 'seed': '42', 'started_at': 1700000000200, 'ended_at': null,"
	    " 'gameday': null, 'pid': 4242, 'controller': 'ctl-1'}");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j,
	    1), "id")), 1);
	json_decref(j);
	assert_int_equal(err.len, 0);
	hv_store_close(s);
	hv_buf_release(&err);
}

/* Fails unless err holds exactly one message containing want. */
static void
expect_error(struct hv_buf *err, const char *want, const char *file,
    int line)
{
	if (err->len == 0 || strstr(err->s, want) == NULL ||
	    strstr(err->s, "; ") != NULL) {
		print_error("error: %s\nwant:  %s\n", err->s, want);
		_fail(file, line);
	}
	hv_buf_reset(err);
}
#define EXPECT_ERROR(err, want) expect_error((err), (want), __FILE__, \
	__LINE__)

static void
test_errors(void **state)
{
	struct fixture		*f = *state;
	struct hv_store		*s;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_run_info	 ri = run_info;
	struct hv_step_rec	 sr = { 999, HV_PHASE_METHOD, "action", "x",
	    NULL, NULL, NULL, T0 };
	struct hv_fault_rec	 fr = { .run = 999, .driver = "d",
	    .inject = "i", .revert = "r", .created_at = T0 };
	struct hv_alert_rec	 ar = { 1, "a", "alertmanager", 1000, T0, 0,
	    "late", NULL };
	struct hv_figure_rec	 fg = { 1, "p", 1, 0, 0, 0, -1, "fine" };
	json_t			*j;

	s = open_ok(f->path);
	run_at(s, T0);

	/* Success leaves err untouched; failures append after "; ". */
	hv_buf_puts(&err, "earlier");
	assert_int_equal(hv_store_sample(s, 1, "p", NULL, T0, 1, 1, NULL,
	    &err), 0);
	assert_string_equal(err.s, "earlier");
	assert_int_equal(hv_store_run_end(s, 999, HV_RUN_COMPLETED, 0, 0,
	    NULL, T0, &err), -1);
	assert_string_equal(err.s, "earlier; store: end run: no run 999");
	hv_buf_reset(&err);

	assert_int_equal(hv_store_step_end(s, 999, "ok", NULL, NULL, 1, T0,
	    &err), -1);
	assert_string_equal(err.s, "store: end step: no step 999");
	hv_buf_reset(&err);
	assert_int_equal(hv_store_gameday_end(s, 999, "completed", T0, &err),
	    -1);
	assert_string_equal(err.s, "store: end game day: no game day 999");
	hv_buf_reset(&err);
	assert_null(hv_store_run_json(s, 999, &err));
	assert_string_equal(err.s, "no run 999");
	hv_buf_reset(&err);

	/* Foreign keys are on. */
	assert_int_equal(hv_store_step_begin(s, &sr, &err), -1);
	EXPECT_ERROR(&err, "store: begin step: FOREIGN KEY constraint failed");
	assert_int_equal(hv_store_fault_add(s, &fr, &err), -1);
	EXPECT_ERROR(&err, "store: add fault: FOREIGN KEY constraint failed");
	ri.gameday = 999;
	assert_int_equal(hv_store_run_begin(s, &ri, &err), -1);
	EXPECT_ERROR(&err, "store: begin run: FOREIGN KEY constraint failed");
	assert_int_equal(hv_store_sample(s, 999, "p", NULL, T0, 1, 1, NULL,
	    &err), -1);
	EXPECT_ERROR(&err, "store: insert sample: FOREIGN KEY");

	/* The enums are checked. */
	assert_int_equal(hv_store_run_end(s, 1, "bogus", 0, 0, NULL, T0,
	    &err), -1);
	EXPECT_ERROR(&err, "store: end run: CHECK constraint failed: "
	    "run_status");
	sr.run = 1;
	sr.phase = "during";
	assert_int_equal(hv_store_step_begin(s, &sr, &err), -1);
	EXPECT_ERROR(&err, "CHECK constraint failed: step_phase");
	sr.phase = HV_PHASE_METHOD;
	sr.kind = "dance";
	assert_int_equal(hv_store_step_begin(s, &sr, &err), -1);
	EXPECT_ERROR(&err, "CHECK constraint failed: step_kind");
	assert_int_equal(hv_store_alert(s, &ar, &err), -1);
	EXPECT_ERROR(&err, "store: insert alert: CHECK constraint failed: "
	    "alert_state");
	assert_int_equal(hv_store_figure(s, &fg, &err), -1);
	EXPECT_ERROR(&err, "store: insert figure: CHECK constraint failed: "
	    "figure_state");

	/* Required fields. */
	ri = run_info;
	ri.controller = NULL;
	assert_int_equal(hv_store_run_begin(s, &ri, &err), -1);
	EXPECT_ERROR(&err, "store: begin run: NOT NULL constraint failed: "
	    "runs.controller");
	assert_int_equal(hv_store_sample(s, 1, NULL, NULL, T0, 1, 1, NULL,
	    &err), -1);
	EXPECT_ERROR(&err, "NOT NULL constraint failed: samples.probe");
	assert_int_equal(hv_store_fault_set(s, 1, NULL, NULL, T0, &err), -1);
	EXPECT_ERROR(&err, "store: set fault 1: cannot move to state (null)");

	/* After all that, the store still works and holds only good rows. */
	j = run_json_ok(s, 1);
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "samples")), 1);
	json_decref(j);
	j = hv_store_runs_json(s, 0, &err);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	assert_int_equal(err.len, 0);
	hv_store_close(s);
	hv_buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_open_fresh),
		T(test_reopen),
		T(test_migrate_from_v0),
		T(test_migrate_failure_rolls_back),
		T(test_refuse_newer),
		T(test_refuse_not_database),
		T(test_open_modes),
		T(test_locked_nonblocking),
		T(test_locked_blocking),
		T(test_application_id),
		T(test_migrate_from_1),
		T(test_missing_directory),
		T(test_run_life),
		T(test_fault_states),
		T(test_faults_open),
		T(test_faults_open_callback_writes),
		T(test_fault_durable),
		T(test_fault_survives_crash),
		T(test_journal_refused_in_transaction),
		T(test_transaction),
		T(test_seed_roundtrip),
		T(test_verbatim_strings),
		T(test_runs_lists),
		T(test_errors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
