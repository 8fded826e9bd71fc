/*
 * recover.c - `havoc recover`: revert what runs that did not finish left
 * in the journal. The reverts are rebuilt from the journal's specs, by
 * the same code as a run's own reverts (run-faults.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "loop.h"
#include "run-int.h"
#include "store.h"

/* Whether pid is a havoc that is still running on this machine. */
int
hv_run_alive(int pid)
{
	char	path[64], exe[4096], *base;
	ssize_t	n;

	if (pid <= 0 || (kill(pid, 0) == -1 && errno != EPERM))
		return 0;
	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	if ((n = readlink(path, exe, sizeof exe - 1)) == -1)
		return 1;	/* cannot tell: assume it is */
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base != NULL ? base + 1 : exe;
	return strncmp(base, "havoc", 5) == 0;
}

/* Open faults that recover may revert, with the runs they belong to. */
struct recover_scan {
	struct run_faults faults;
	int64_t		*runs;		/* runs still marked running */
	size_t		 nruns;
	int		 skipped;
	int		 force;
	char		 host[256];
};

static int
scan_row(const struct hv_fault_row *row, void *arg)
{
	struct recover_scan	*sc = arg;
	size_t			 i;
	int			 mine, running;

	running = row->run_status != NULL &&
	    strcmp(row->run_status, HV_RUN_RUNNING) == 0;
	mine = row->run_controller != NULL &&
	    strcmp(row->run_controller, sc->host) == 0;
	if (running && !sc->force) {
		if (!mine) {
			hv_warn("fault %lld: run %lld is running on %s; not "
			    "touched (use --force)", (long long)row->id,
			    (long long)row->run, row->run_controller);
			sc->skipped++;
			return 0;
		}
		if (hv_run_alive(row->run_pid)) {
			hv_warn("fault %lld: run %lld is still running (pid "
			    "%d); not touched (use --force, or havoc halt)",
			    (long long)row->id, (long long)row->run,
			    row->run_pid);
			sc->skipped++;
			return 0;
		}
	}
	if (running) {
		for (i = 0; i < sc->nruns && sc->runs[i] != row->run; i++)
			;
		if (i == sc->nruns) {
			sc->runs = hv_xreallocarray(sc->runs, sc->nruns + 1,
			    sizeof *sc->runs);
			sc->runs[sc->nruns++] = row->run;
		}
	}
	run_faults_add(&sc->faults, run_fault_from_row(row));
	return 0;
}

/*
 * Runs of this controller still marked running whose havoc is gone, and
 * that left no fault open, are over too: marked interrupted, so that
 * halt never signals a process that merely took over their pid.
 */
static void
close_dead_runs(struct hv_store *st, int64_t only, const char *host)
{
	struct hv_buf	 e = HV_BUF_INIT;
	json_t		*runs, *r;
	const char	*ctl;
	int64_t		 id;
	size_t		 i;

	if ((runs = hv_store_running_json(st, &e)) == NULL) {
		hv_warn("%s", e.s);
		hv_buf_release(&e);
		return;
	}
	json_array_foreach(runs, i, r) {
		id = json_integer_value(json_object_get(r, "id"));
		ctl = json_string_value(json_object_get(r, "controller"));
		if ((only > 0 && id != only) || ctl == NULL ||
		    strcmp(ctl, host) != 0 || hv_run_alive((int)
		    json_integer_value(json_object_get(r, "pid"))))
			continue;
		if (hv_store_run_end(st, id, HV_RUN_INTERRUPTED, 0,
		    HV_EXIT_ABORTED, "havoc stopped before the end of the run; "
		    "no fault was left active", hv_wall_ms(), &e) == -1)
			hv_warn("%s", e.s);
		hv_buf_reset(&e);
	}
	json_decref(runs);
	hv_buf_release(&e);
}

static int
count_row(const struct hv_fault_row *row, void *arg)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

int
hv_recover(struct hv_store *st, struct hv_loop *loop, int64_t run,
    int force, struct hv_buf *err)
{
	struct recover_scan	 sc;
	struct hv_run_opts	 o;
	struct runner		 r;
	struct hv_buf		 e = HV_BUF_INIT;
	struct run_fault	**v;
	size_t			 i, j;
	int			 left = 0, n;
	char			*reason;

	memset(&sc, 0, sizeof sc);
	sc.force = force;
	if (gethostname(sc.host, sizeof sc.host) == -1)
		sc.host[0] = '\0';
	sc.host[sizeof sc.host - 1] = '\0';
	if (hv_store_faults_open(st, run, scan_row, &sc, err) == -1) {
		run_faults_release(&sc.faults, 1);
		free(sc.runs);
		return -1;
	}
	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	r.o = &o;
	r.st = st;
	r.loop = loop;
	r.t0 = hv_mono_ms();
	r.ctx.loop = loop;
	r.in_rollback = 1;
	run_store_start(&r);
	v = sc.faults.v;
	if (sc.faults.n > 0)
		run_note(&r, "reverting %zu fault%s", sc.faults.n,
		    sc.faults.n == 1 ? "" : "s");
	/* Newest first, as the journal gives them; one step at a time. */
	for (i = 0; i < sc.faults.n; i = j) {
		for (j = i + 1; j < sc.faults.n && v[j]->run == v[i]->run &&
		    v[i]->tag != NULL && v[j]->tag != NULL &&
		    strcmp(v[i]->tag, v[j]->tag) == 0; j++)
			;
		r.run = v[i]->run;
		r.ctx.run_id = r.run;
		run_revert_faults(&r, v + i, j - i, HV_PHASE_REVERT);
	}
	run_store_end(&r);
	/* A run that died is over now: say so, and how it ended. */
	for (i = 0; i < sc.nruns; i++) {
		n = 0;
		if (hv_store_faults_open(st, sc.runs[i], count_row, &n,
		    &e) == -1)
			n = 1;
		reason = hv_xasprintf("havoc stopped before the end of the "
		    "run; havoc recover %s", n == 0 ? "reverted its faults" :
		    "could not revert all of its faults");
		if (hv_store_run_end(st, sc.runs[i], HV_RUN_INTERRUPTED, 0,
		    n == 0 ? HV_EXIT_ABORTED : HV_EXIT_ROLLBACK, reason,
		    hv_wall_ms(), &e) == -1)
			hv_warn("%s", e.s);
		hv_buf_reset(&e);
		free(reason);
	}
	close_dead_runs(st, run, sc.host);
	/* What is left: faults that failed to revert, and skipped runs. */
	n = 0;
	if (hv_store_faults_open(st, run, count_row, &n, err) == -1)
		left = -1;
	else
		left = n;
	run_faults_release(&sc.faults, 1);
	free(sc.runs);
	free(r.stop_reason);
	hv_buf_release(&e);
	return left;
}
