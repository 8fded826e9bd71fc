/*
 * store-report.c - the reads of reports (store-report.h), with statements
 * of their own on the store's connection.
 *
 * A scope becomes a WHERE clause made only of the conditions it sets, so
 * that SQLite picks the index that fits (runs by id, by game day or by
 * start time); every value is bound, none is ever part of the SQL text.
 * Statements are prepared per call: a report makes a few dozen reads, and
 * a read of samples steps one statement for as long as it takes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store-int.h"
#include "store-report.h"

/* A prepared read and the callback its rows go to. */
struct read {
	struct hv_store	*s;
	sqlite3_stmt	*st;
	const char	*what;
	void		*arg;
	union {
		int	(*run)(const struct hv_rrun_row *, void *);
		int	(*alert)(const struct hv_ralert_row *, void *);
		int	(*figure)(const struct hv_rfigure_row *, void *);
		int	(*step)(const struct hv_rstep_row *, void *);
		int	(*fault)(const struct hv_rfault_row *, void *);
		int	(*sample)(const struct hv_rsample_row *, void *);
		int	(*gameday)(const struct hv_rgameday_row *, void *);
		int	(*experiment)(const struct hv_rexperiment_row *,
			    void *);
		int	(*skip)(const struct hv_rskip_row *, void *);
	} fn;
};

/* Prepares sql; NULL with a message on failure. */
static int
prepare(struct read *rd, struct hv_store *s, const char *what,
    const char *sql, struct hv_buf *err)
{
	sqlite3	*db = hv_store_sqlite(s);

	rd->s = s;
	rd->what = what;
	rd->st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &rd->st, NULL) != SQLITE_OK) {
		hv_error(err, "store: %s: %s", what, sqlite3_errmsg(db));
		sqlite3_finalize(rd->st);
		rd->st = NULL;
		return -1;
	}
	return 0;
}

/* Text of a column, or NULL for SQL NULL (borrowed until the next step). */
static const char *
text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* An optional integer column: 0 (or def) for SQL NULL. */
static int64_t
num(sqlite3_stmt *st, int i, int64_t def)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return def;
	return sqlite3_column_int64(st, i);
}

static double
real(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return -1;
	return sqlite3_column_double(st, i);
}

/*
 * Steps a read to its end, calling row() for each row, then finalizes
 * it. row returns what the caller's callback returned.
 */
static int
run_read(struct read *rd, int (*row)(struct read *), struct hv_buf *err)
{
	int	rc, ret = -1;

	while ((rc = sqlite3_step(rd->st)) == SQLITE_ROW) {
		if (row(rd) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		hv_error(err, "store: %s: %s", rd->what,
		    sqlite3_errmsg(hv_store_sqlite(rd->s)));
	else
		ret = 0;
	sqlite3_finalize(rd->st);
	rd->st = NULL;
	return ret;
}

/*
 * Appends the scope's conditions on the runs table (aliased r) and
 * remembers which parameters they use; bind_scope() binds them.
 */
static void
scope_sql(struct hv_buf *sql, const struct hv_store_scope *sc)
{
	hv_buf_puts(sql, " WHERE 1");
	if (sc->run > 0)
		hv_buf_puts(sql, " AND r.id = :run");
	if (sc->gameday > 0)
		hv_buf_puts(sql, " AND r.gameday_id = :gameday");
	if (sc->experiment != NULL)
		hv_buf_puts(sql, " AND r.experiment = :experiment");
	if (sc->from > 0)
		hv_buf_puts(sql, " AND r.started_at >= :from");
	if (sc->to > 0)
		hv_buf_puts(sql, " AND r.started_at < :to");
}

static int
bind_scope(struct read *rd, const struct hv_store_scope *sc,
    struct hv_buf *err)
{
	sqlite3_stmt	*st = rd->st;
	int		 rc = SQLITE_OK;

	if (sc->run > 0)
		rc |= sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st,
		    ":run"), sc->run);
	if (sc->gameday > 0)
		rc |= sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st,
		    ":gameday"), sc->gameday);
	if (sc->experiment != NULL)
		rc |= sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
		    ":experiment"), sc->experiment, -1, SQLITE_TRANSIENT);
	if (sc->from > 0)
		rc |= sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st,
		    ":from"), sc->from);
	if (sc->to > 0)
		rc |= sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st,
		    ":to"), sc->to);
	if (rc != SQLITE_OK) {
		hv_error(err, "store: %s: cannot bind values", rd->what);
		sqlite3_finalize(rd->st);
		rd->st = NULL;
		return -1;
	}
	return 0;
}

/*
 * Prepares "SELECT cols FROM from_sql WHERE <scope> [and] ORDER BY
 * order" and binds the scope.
 */
static int
scoped(struct read *rd, struct hv_store *s, const char *what,
    const char *cols, const char *from_sql, const struct hv_store_scope *sc,
    const char *and, const char *order, struct hv_buf *err)
{
	struct hv_buf	 sql = HV_BUF_INIT;
	int		 ret;

	hv_buf_printf(&sql, "SELECT %s FROM %s", cols, from_sql);
	scope_sql(&sql, sc);
	if (and != NULL)
		hv_buf_printf(&sql, " AND %s", and);
	hv_buf_printf(&sql, " ORDER BY %s", order);
	ret = prepare(rd, s, what, sql.s, err);
	hv_buf_release(&sql);
	if (ret == -1)
		return -1;
	return bind_scope(rd, sc, err);
}

/* Runs. */

static int
run_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_rrun_row	r;

	memset(&r, 0, sizeof r);
	r.id = sqlite3_column_int64(st, 0);
	r.experiment = text(st, 1);
	r.file = text(st, 2);
	r.status = text(st, 3);
	r.reason = text(st, 4);
	r.seed = text(st, 5);
	r.tags_json = text(st, 6);
	r.controller = text(st, 7);
	r.deviated = sqlite3_column_int(st, 8) != 0;
	r.exit_code = (int)num(st, 9, -1);
	r.gameday = num(st, 10, 0);
	r.started_at = num(st, 11, 0);
	r.ended_at = num(st, 12, 0);
	return rd->fn.run(&r, rd->arg);
}

int
hv_store_report_runs(struct hv_store *s, const struct hv_store_scope *sc,
    int (*fn)(const struct hv_rrun_row *, void *), void *arg,
    struct hv_buf *err)
{
	struct read	rd;

	if (scoped(&rd, s, "read runs", "r.id, r.experiment, r.file,"
	    " r.status, r.reason, r.seed, r.tags_json, r.controller,"
	    " r.deviated, r.exit_code, r.gameday_id, r.started_at, r.ended_at",
	    "runs r", sc, NULL, "r.started_at, r.id", err) == -1)
		return -1;
	rd.fn.run = fn;
	rd.arg = arg;
	return run_read(&rd, run_row, err);
}

/* Alerts. */

static int
alert_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_ralert_row	a;

	memset(&a, 0, sizeof a);
	a.run = sqlite3_column_int64(st, 0);
	a.name = text(st, 1);
	a.probe = text(st, 2);
	a.state = text(st, 3);
	a.detail = text(st, 4);
	a.within_ms = num(st, 5, 0);
	a.injected_at = num(st, 6, 0);
	a.fired_at = num(st, 7, 0);
	a.ttd_ms = num(st, 8, -1);
	return rd->fn.alert(&a, rd->arg);
}

int
hv_store_report_alerts(struct hv_store *s, const struct hv_store_scope *sc,
    int (*fn)(const struct hv_ralert_row *, void *), void *arg,
    struct hv_buf *err)
{
	struct read	rd;

	if (scoped(&rd, s, "read alerts", "a.run_id, a.name, a.probe,"
	    " a.state, a.detail, a.within_ms, a.injected_at, a.fired_at,"
	    " a.ttd_ms", "alerts a JOIN runs r ON r.id = a.run_id", sc, NULL,
	    "a.run_id, a.id", err) == -1)
		return -1;
	rd.fn.alert = fn;
	rd.arg = arg;
	return run_read(&rd, alert_row, err);
}

/* Figures. */

static int
figure_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_rfigure_row	g;

	memset(&g, 0, sizeof g);
	g.run = sqlite3_column_int64(st, 0);
	g.probe = text(st, 1);
	g.state = text(st, 2);
	g.samples = num(st, 3, 0);
	g.failures = num(st, 4, 0);
	g.first_failure_at = num(st, 5, 0);
	g.recovered_at = num(st, 6, 0);
	g.ttr_ms = num(st, 7, -1);
	return rd->fn.figure(&g, rd->arg);
}

int
hv_store_report_figures(struct hv_store *s,
    const struct hv_store_scope *sc,
    int (*fn)(const struct hv_rfigure_row *, void *), void *arg,
    struct hv_buf *err)
{
	struct read	rd;

	if (scoped(&rd, s, "read figures", "g.run_id, g.probe, g.state,"
	    " g.samples, g.failures, g.first_failure_at, g.recovered_at,"
	    " g.ttr_ms", "figures g JOIN runs r ON r.id = g.run_id", sc, NULL,
	    "g.run_id, g.probe", err) == -1)
		return -1;
	rd.fn.figure = fn;
	rd.arg = arg;
	return run_read(&rd, figure_row, err);
}

/* Steps. */

static int
step_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_rstep_row	p;

	memset(&p, 0, sizeof p);
	p.run = sqlite3_column_int64(st, 0);
	p.id = sqlite3_column_int64(st, 1);
	p.seq = sqlite3_column_int64(st, 2);
	p.phase = text(st, 3);
	p.kind = text(st, 4);
	p.name = text(st, 5);
	p.driver = text(st, 6);
	p.target = text(st, 7);
	p.detail = text(st, 8);
	p.status = text(st, 9);
	p.output = text(st, 10);
	p.error = text(st, 11);
	p.started_at = num(st, 12, 0);
	p.ended_at = num(st, 13, 0);
	p.latency_ms = real(st, 14);
	p.batch = (int)num(st, 15, 0);
	return rd->fn.step(&p, rd->arg);
}

int
hv_store_report_steps(struct hv_store *s, const struct hv_store_scope *sc,
    int failed_probes, int (*fn)(const struct hv_rstep_row *, void *),
    void *arg, struct hv_buf *err)
{
	struct read	rd;

	if (scoped(&rd, s, "read steps", "p.run_id, p.id, p.seq, p.phase,"
	    " p.kind, p.name, p.driver, p.target, p.detail, p.status,"
	    " p.output, p.error, p.started_at, p.ended_at, p.latency_ms,"
	    " p.batch",
	    "steps p JOIN runs r ON r.id = p.run_id", sc, failed_probes ?
	    "p.kind = 'probe' AND p.status IN ('failed', 'error')" : NULL,
	    "p.run_id, p.seq", err) == -1)
		return -1;
	rd.fn.step = fn;
	rd.arg = arg;
	return run_read(&rd, step_row, err);
}

/* Faults. */

static int
fault_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_rfault_row	q;

	memset(&q, 0, sizeof q);
	q.run = sqlite3_column_int64(st, 0);
	q.id = sqlite3_column_int64(st, 1);
	q.step = num(st, 2, 0);
	q.target = text(st, 3);
	q.driver = text(st, 4);
	q.inject = text(st, 5);
	q.revert = text(st, 6);
	q.state = text(st, 7);
	q.error = text(st, 8);
	q.created_at = num(st, 9, 0);
	q.injected_at = num(st, 10, 0);
	q.reverted_at = num(st, 11, 0);
	return rd->fn.fault(&q, rd->arg);
}

int
hv_store_report_faults(struct hv_store *s, const struct hv_store_scope *sc,
    int (*fn)(const struct hv_rfault_row *, void *), void *arg,
    struct hv_buf *err)
{
	struct read	rd;

	if (scoped(&rd, s, "read faults", "f.run_id, f.id, f.step_id,"
	    " f.target, f.driver, f.inject, f.revert, f.state, f.error,"
	    " f.created_at, f.injected_at, f.reverted_at",
	    "faults f JOIN runs r ON r.id = f.run_id", sc, NULL,
	    "f.run_id, f.id", err) == -1)
		return -1;
	rd.fn.fault = fn;
	rd.arg = arg;
	return run_read(&rd, fault_row, err);
}

/* Samples. */

int
hv_store_report_sample_span(struct hv_store *s, int64_t run,
    int64_t *first, int64_t *last, struct hv_buf *err)
{
	struct read	rd;
	int		rc;

	*first = *last = 0;
	if (prepare(&rd, s, "read samples", "SELECT min(at), max(at)"
	    " FROM samples WHERE run_id = ?1", err) == -1)
		return -1;
	sqlite3_bind_int64(rd.st, 1, run);
	if ((rc = sqlite3_step(rd.st)) == SQLITE_ROW) {
		*first = num(rd.st, 0, 0);
		*last = num(rd.st, 1, 0);
	} else
		hv_error(err, "store: read samples: %s",
		    sqlite3_errmsg(hv_store_sqlite(s)));
	sqlite3_finalize(rd.st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
sample_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_rsample_row	m;

	m.probe = text(st, 0);
	m.target = text(st, 1);
	m.at = sqlite3_column_int64(st, 2);
	m.ok = sqlite3_column_int(st, 3) != 0;
	m.latency_ms = real(st, 4);
	m.error = text(st, 5);
	return rd->fn.sample(&m, rd->arg);
}

int
hv_store_report_samples(struct hv_store *s, int64_t run,
    int (*fn)(const struct hv_rsample_row *, void *), void *arg,
    struct hv_buf *err)
{
	struct read	rd;

	if (prepare(&rd, s, "read samples", "SELECT probe, target, at, ok,"
	    " latency_ms, error FROM samples WHERE run_id = ?1"
	    " ORDER BY at, id", err) == -1)
		return -1;
	sqlite3_bind_int64(rd.st, 1, run);
	rd.fn.sample = fn;
	rd.arg = arg;
	return run_read(&rd, sample_row, err);
}

/* Game days and experiments. */

static int
gameday_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_rgameday_row	g;

	g.id = sqlite3_column_int64(st, 0);
	g.name = text(st, 1);
	g.file = text(st, 2);
	g.status = text(st, 3);
	g.scheduled_at = num(st, 4, 0);
	g.started_at = num(st, 5, 0);
	g.ended_at = num(st, 6, 0);
	return rd->fn.gameday(&g, rd->arg);
}

int
hv_store_report_gamedays(struct hv_store *s, const char *name, int64_t id,
    int64_t before, int (*fn)(const struct hv_rgameday_row *, void *),
    void *arg, struct hv_buf *err)
{
	struct read	rd;

	if (prepare(&rd, s, "read game days", "SELECT id, name, file, status,"
	    " scheduled_at, started_at, ended_at FROM gamedays"
	    " WHERE (?1 IS NULL OR name = ?1) AND (?2 = 0 OR id = ?2)"
	    " AND (?3 = 0 OR started_at <= ?3)"
	    " ORDER BY started_at DESC, id DESC", err) == -1)
		return -1;
	if (name != NULL)
		sqlite3_bind_text(rd.st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(rd.st, 2, id);
	sqlite3_bind_int64(rd.st, 3, before);
	rd.fn.gameday = fn;
	rd.arg = arg;
	return run_read(&rd, gameday_row, err);
}

static int
skip_row(struct read *rd)
{
	sqlite3_stmt		*st = rd->st;
	struct hv_rskip_row	 k;

	k.name = text(st, 0);
	k.file = text(st, 1);
	k.reason = text(st, 2);
	k.detail = text(st, 3);
	k.scheduled_at = num(st, 4, 0);
	return rd->fn.skip(&k, rd->arg);
}

int
hv_store_report_skips(struct hv_store *s, const char *name, int64_t from,
    int64_t to, int (*fn)(const struct hv_rskip_row *, void *), void *arg,
    struct hv_buf *err)
{
	struct read	rd;
	int		rc;

	/* The table comes with the scheduler's migration. */
	if (prepare(&rd, s, "read skips", "SELECT 1 FROM sqlite_master"
	    " WHERE type = 'table' AND name = 'gameday_skips'", err) == -1)
		return -1;
	rc = sqlite3_step(rd.st);
	sqlite3_finalize(rd.st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return hv_error(err, "store: read skips: %s",
		    sqlite3_errmsg(hv_store_sqlite(s)));
	if (prepare(&rd, s, "read skips", "SELECT name, file, reason, detail,"
	    " scheduled_at FROM gameday_skips WHERE (?1 IS NULL OR name = ?1)"
	    " AND scheduled_at >= ?2 AND (?3 = 0 OR scheduled_at < ?3)"
	    " ORDER BY scheduled_at, id", err) == -1)
		return -1;
	if (name != NULL)
		sqlite3_bind_text(rd.st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(rd.st, 2, from);
	sqlite3_bind_int64(rd.st, 3, to);
	rd.fn.skip = fn;
	rd.arg = arg;
	return run_read(&rd, skip_row, err);
}

static int
experiment_row(struct read *rd)
{
	sqlite3_stmt	*st = rd->st;
	struct hv_rexperiment_row	e;

	e.experiment = text(st, 0);
	e.file = text(st, 1);
	e.tags_json = text(st, 2);
	e.last_at = num(st, 3, 0);
	e.runs = num(st, 4, 0);
	return rd->fn.experiment(&e, rd->arg);
}

/* SQLite takes the bare columns of a max() group from the max row. */
int
hv_store_report_experiments(struct hv_store *s,
    int (*fn)(const struct hv_rexperiment_row *, void *), void *arg,
    struct hv_buf *err)
{
	struct read	rd;

	if (prepare(&rd, s, "read experiments", "SELECT experiment, file,"
	    " tags_json, max(started_at) AS last, count(*) FROM runs"
	    " WHERE status <> 'planned' GROUP BY experiment ORDER BY last",
	    err) == -1)
		return -1;
	rd.fn.experiment = fn;
	rd.arg = arg;
	return run_read(&rd, experiment_row, err);
}

int
hv_store_report_begin(struct hv_store *s, int *own, struct hv_buf *err)
{
	sqlite3	*db = hv_store_sqlite(s);

	*own = sqlite3_get_autocommit(db);
	if (*own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return hv_error(err, "store: begin read: %s",
		    sqlite3_errmsg(db));
	return 0;
}

void
hv_store_report_end(struct hv_store *s, int own)
{
	sqlite3	*db = hv_store_sqlite(s);

	if (own && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}
