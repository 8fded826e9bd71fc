/*
 * run-store.c - the store of a run never holds up its loop.
 *
 * Another process may hold the database's write lock for a while (a
 * report, a second run, someone's sqlite3 shell). The store is then put
 * in non-blocking mode (store.h): writes wait in memory and are written
 * from here, with a backoff, while the loop goes on sampling, polling
 * and reverting at the right times. Only an inject waits for the lock,
 * as its journal entry must be on disk first; it waits on the loop too,
 * and is given up (not injected, the run stops) after a bound.
 */
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "run-int.h"
#include "store.h"

#define BACKOFF_MIN_MS		20
#define BACKOFF_MAX_MS		500
/* How long an inject waits for its journal entry before it is given up. */
#define JOURNAL_WAIT_MS		30000
/* How long the end of a run waits for what the store has not written. */
#define DRAIN_MS		60000

static void	pump(void *);

static void
arm(struct runner *r)
{
	if (r->store_timer != NULL)
		return;
	if (r->store_backoff < BACKOFF_MIN_MS)
		r->store_backoff = BACKOFF_MIN_MS;
	r->store_timer = hv_loop_timer(r->loop, r->store_backoff, pump, r);
	if (r->store_backoff < BACKOFF_MAX_MS)
		r->store_backoff *= 2;
}

static void
on_busy(void *arg)
{
	arm(arg);
}

static void
journal_drop(struct runner *r, size_t i)
{
	memmove(r->journal_wait + i, r->journal_wait + i + 1,
	    (r->njournal_wait - i - 1) * sizeof *r->journal_wait);
	r->njournal_wait--;
}

/* Tries the journal entries of waiting injects again, in order. */
static void
journal_retry(struct runner *r)
{
	struct hv_buf	 err = HV_BUF_INIT;
	struct slot	*s;
	size_t		 i = 0;
	int		 rc;

	while (i < r->njournal_wait) {
		s = r->journal_wait[i];
		rc = run_fault_record(r, s, &err);
		/* Later ones wait behind it: the journal is in order. */
		if (rc == 1 && hv_mono_ms() - s->journal_since <
		    JOURNAL_WAIT_MS)
			break;
		journal_drop(r, i);
		if (rc == 0) {
			run_slot_launch(r, s);
			continue;
		}
		if (rc == 1)
			hv_buf_printf(&err, "the database stayed locked for "
			    "%d s", JOURNAL_WAIT_MS / 1000);
		run_stop(r, "the fault journal cannot be written: %s", err.s);
		run_slot_abandon(s, "cannot journal the fault; not injected");
		hv_buf_reset(&err);
	}
	hv_buf_release(&err);
}

static void
pump(void *arg)
{
	struct runner	*r = arg;
	struct hv_buf	 err = HV_BUF_INIT;
	int		 left;

	r->store_timer = NULL;
	left = hv_store_flush(r->st, &err);
	if (left == -1) {
		run_store_check(r, -1, &err);
		left = (int)hv_store_waiting(r->st);
	}
	if (left == 0)
		r->store_backoff = BACKOFF_MIN_MS;
	if (r->njournal_wait > 0)
		journal_retry(r);
	if (hv_store_waiting(r->st) > 0 || r->njournal_wait > 0)
		arm(r);
	hv_buf_release(&err);
}

void
run_store_start(struct runner *r)
{
	hv_store_nonblocking(r->st, on_busy, r);
}

void
run_journal_wait(struct runner *r, struct slot *s)
{
	if (r->njournal_wait == 0)
		run_note(r, "  the database is locked by another process; "
		    "the inject waits for its journal entry");
	s->journal_since = hv_mono_ms();
	r->journal_wait = hv_xreallocarray(r->journal_wait,
	    r->njournal_wait + 1, sizeof *r->journal_wait);
	r->journal_wait[r->njournal_wait++] = s;
	arm(r);
}

void
run_journal_cancel(struct runner *r, const char *why)
{
	struct slot	*s;

	while (r->njournal_wait > 0) {
		s = r->journal_wait[0];
		journal_drop(r, 0);
		run_slot_abandon(s, why);
	}
}

static int
drained(void *arg)
{
	struct runner	*r = arg;

	return hv_store_waiting(r->st) == 0;
}

void
run_store_end(struct runner *r)
{
	struct hv_buf	err = HV_BUF_INIT;
	int64_t		deadline = hv_mono_ms() + DRAIN_MS;
	int		noted = 0;

	for (;;) {
		if (hv_store_flush(r->st, &err) == -1)
			run_store_check(r, -1, &err);
		if (hv_store_waiting(r->st) == 0 || hv_mono_ms() >= deadline)
			break;
		if (!noted++)
			run_note(r, "waiting for the database (locked by "
			    "another process) to record %zu writes",
			    hv_store_waiting(r->st));
		if (r->store_timer == NULL)
			arm(r);
		/* Signals wait: nothing is left to stop but this wait. */
		if (hv_loop_run(r->loop, drained, r, deadline) == 2)
			hv_loop_clear_signal(r->loop);
	}
	if (hv_store_waiting(r->st) > 0) {
		r->store_failed = 1;
		hv_warn("store: the database stayed locked; %zu writes of "
		    "run %lld are lost", hv_store_waiting(r->st),
		    (long long)r->run);
	}
	if (r->store_timer != NULL)
		hv_loop_cancel(r->loop, r->store_timer);
	r->store_timer = NULL;
	hv_store_nonblocking(r->st, NULL, NULL);
	free(r->journal_wait);
	r->journal_wait = NULL;
	hv_buf_release(&err);
}
