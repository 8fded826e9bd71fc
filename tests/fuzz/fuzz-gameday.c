/*
 * fuzz-gameday.c - the game-day loader (gameday.c): a game-day file,
 * its schedule (cron, zone, window, blackouts, jitter) and the
 * experiments it names, then the next starts of a valid one. Two small
 * experiments sit beside it (exp.yaml, exp2.yaml), so that a file that
 * names them loads them as a real one would.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gameday.h"
#include "node.h"
#include "schedule.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 exp[] = "title: one\nvars: {port: \"80\"}\n"
	    "method:\n  - pause: 1s\n";
	static const char	 exp2[] = "method:\n  - action: local.run\n"
	    "    with: {command: [echo, \"${port}\"]}\n";
	static int		 ready;
	struct hv_gameday	*g;
	struct hv_diag		 d;
	struct hv_buf		 err = HV_BUF_INIT;
	int64_t			 slots[5];
	const char		*path;

	hv_fuzz_init();
	if (!ready) {
		hv_fuzz_write(hv_fuzz_path("exp.yaml"),
		    (const uint8_t *)exp, sizeof exp - 1);
		hv_fuzz_write(hv_fuzz_path("exp2.yaml"),
		    (const uint8_t *)exp2, sizeof exp2 - 1);
		ready = 1;
	}
	path = hv_fuzz_path("gd.yaml");
	hv_fuzz_write(path, data, size);
	hv_diag_init(&d);
	if ((g = hv_gameday_load(path, 0, &d)) != NULL) {
		/* 1 December 2026, noon UTC: a fixed "now". */
		(void)hv_schedule_list(&g->sched, INT64_C(1796126400000),
		    slots, HV_ARRAY_LEN(slots), &err);
		hv_gameday_free(g);
	}
	hv_diag_release(&d);
	hv_buf_release(&err);
	hv_fuzz_done();
	return 0;
}
