/*
 * test-schedule.c - the next-slot computation against a table of cases
 * written from crontab(5) and SPEC.md's clock-change rules, before the
 * code: each expected time below was worked out by hand from the rule
 * named in its comment and the zone's published transitions for 2026:
 *
 *   Europe/Berlin       CET +01 / CEST +02; forward Sun 2026-03-29 02:00
 *                       -> 03:00 (01:00Z); back Sun 2026-10-25 03:00 ->
 *                       02:00 (01:00Z)
 *   America/New_York    EST -05 / EDT -04; forward Sun 2026-03-08 02:00
 *                       -> 03:00 (07:00Z); back Sun 2026-11-01 02:00 ->
 *                       01:00 (06:00Z)
 *   Australia/Lord_Howe LHST +10:30 / LHDT +11; back Sun 2026-04-05
 *                       02:00 -> 01:30 (15:00Z on the 4th); forward Sun
 *                       2026-10-04 02:00 -> 02:30 (15:30Z on the 3rd)
 *
 * Weekdays used: 2026-01-01 is a Thursday, 2026-02-01 a Sunday,
 * 2026-12-01 a Tuesday.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"
#include "util.h"

#define MAXW	4
#define MAXOUT	8

struct slot_case {
	const char	*what;
	const char	*cron;
	const char	*tz;
	const char	*days[MAXW];	/* windows: days and hours pairs */
	const char	*hours[MAXW];
	const char	*blackout[MAXW];
	const char	*from;
	const char	*want[MAXOUT];	/* the next slots, in order */
};

static const struct slot_case cases[] = {
	/* --- Europe/Berlin, spring forward (02:00-02:59 do not exist) --- */
	{ "fixed time in the skipped hour runs at the first minute after "
	  "the jump", "30 2 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-03-28T12:00:00+01:00",
	  { "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00",
	    "2026-03-31T02:30:00+02:00" } },
	{ "fixed 02:00, the first skipped minute, also runs at 03:00",
	  "0 2 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-03-28T12:00:00+01:00",
	  { "2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00" } },
	{ "two fixed times that land on 03:00 are one slot",
	  "0 2,3 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-03-28T12:00:00+01:00",
	  { "2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00",
	    "2026-03-30T03:00:00+02:00" } },
	{ "fixed 01:59 is before the jump and unchanged",
	  "59 1 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-03-28T12:00:00+01:00",
	  { "2026-03-29T01:59:00+01:00", "2026-03-30T01:59:00+02:00" } },
	{ "* in the minute follows real time: no slot in the skipped hour",
	  "*/30 2 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-03-28T12:00:00+01:00",
	  { "2026-03-30T02:00:00+02:00", "2026-03-30T02:30:00+02:00",
	    "2026-03-31T02:00:00+02:00" } },
	{ "* in the hour follows real time across the jump",
	  "0 * * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-03-29T00:30:00+01:00",
	  { "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00",
	    "2026-03-29T04:00:00+02:00" } },
	{ "every 15 minutes across the jump", "*/15 * * * *",
	  "Europe/Berlin", {0}, {0}, {0}, "2026-03-29T01:40:00+01:00",
	  { "2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00",
	    "2026-03-29T03:15:00+02:00" } },

	/* --- Europe/Berlin, fall back (02:00-02:59 happen twice) --- */
	{ "fixed time in the repeated hour runs at its first occurrence",
	  "30 2 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-10-24T12:00:00+02:00",
	  { "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00" } },
	{ "fixed time: not again on the second pass",
	  "30 2 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-10-25T02:45:00+02:00",
	  { "2026-10-26T02:30:00+01:00" } },
	{ "* in the minute: both passes through the repeated hour",
	  "*/30 2 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-10-25T00:00:00+02:00",
	  { "2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00",
	    "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00",
	    "2026-10-26T02:00:00+01:00" } },
	{ "* in the hour: 02:00 twice", "0 * * * *", "Europe/Berlin",
	  {0}, {0}, {0}, "2026-10-25T01:30:00+02:00",
	  { "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00",
	    "2026-10-25T03:00:00+01:00" } },
	{ "--from between the two passes, * job: the second pass is next",
	  "*/30 2 * * *", "Europe/Berlin", {0}, {0}, {0},
	  "2026-10-25T02:45:00+02:00",
	  { "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00" } },

	/* --- America/New_York --- */
	{ "New York: fixed 02:30 on the spring-forward day runs at 03:00",
	  "30 2 * * *", "America/New_York", {0}, {0}, {0},
	  "2026-03-07T12:00:00-05:00",
	  { "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00" } },
	{ "New York: fixed 01:30 on the fall-back day runs once, EDT",
	  "30 1 * * *", "America/New_York", {0}, {0}, {0},
	  "2026-10-31T12:00:00-04:00",
	  { "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00" } },
	{ "New York: */20 in the repeated 01:00 hour runs on both passes",
	  "*/20 1 * * *", "America/New_York", {0}, {0}, {0},
	  "2026-11-01T00:00:00-04:00",
	  { "2026-11-01T01:00:00-04:00", "2026-11-01T01:20:00-04:00",
	    "2026-11-01T01:40:00-04:00", "2026-11-01T01:00:00-05:00",
	    "2026-11-01T01:20:00-05:00", "2026-11-01T01:40:00-05:00",
	    "2026-11-02T01:00:00-05:00" } },
	{ "--from in UTC", "0 9 * * *", "America/New_York", {0}, {0}, {0},
	  "2026-03-08T12:59:59Z",
	  { "2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00" } },

	/* --- Australia/Lord_Howe: a 30-minute shift --- */
	{ "Lord Howe: 02:15 skipped (02:00 -> 02:30) runs at 02:30",
	  "15 2 * * *", "Australia/Lord_Howe", {0}, {0}, {0},
	  "2026-10-03T12:00:00+10:30",
	  { "2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00" } },
	{ "Lord Howe: 02:45 exists on the spring-forward day",
	  "45 2 * * *", "Australia/Lord_Howe", {0}, {0}, {0},
	  "2026-10-03T12:00:00+10:30",
	  { "2026-10-04T02:45:00+11:00", "2026-10-05T02:45:00+11:00" } },
	{ "Lord Howe: */15 at 02:xx skips 02:00 and 02:15",
	  "*/15 2 * * *", "Australia/Lord_Howe", {0}, {0}, {0},
	  "2026-10-04T00:00:00+10:30",
	  { "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00",
	    "2026-10-05T02:00:00+11:00" } },
	{ "Lord Howe: fixed 01:40, repeated half hour, first occurrence",
	  "40 1 * * *", "Australia/Lord_Howe", {0}, {0}, {0},
	  "2026-04-04T12:00:00+11:00",
	  { "2026-04-05T01:40:00+11:00", "2026-04-06T01:40:00+10:30" } },
	{ "Lord Howe: */20 at 01:xx, only 01:30-01:59 repeats",
	  "*/20 1 * * *", "Australia/Lord_Howe", {0}, {0}, {0},
	  "2026-04-05T00:00:00+11:00",
	  { "2026-04-05T01:00:00+11:00", "2026-04-05T01:20:00+11:00",
	    "2026-04-05T01:40:00+11:00", "2026-04-05T01:40:00+10:30",
	    "2026-04-06T01:00:00+10:30" } },

	/* --- calendar: leap years, impossible days --- */
	{ "Feb 29 only in leap years", "0 12 29 2 *", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z",
	  { "2028-02-29T12:00:00+00:00", "2032-02-29T12:00:00+00:00",
	    "2036-02-29T12:00:00+00:00" } },
	{ "2100 is not a leap year; 2000 was", "0 12 29 2 *", "UTC",
	  {0}, {0}, {0}, "2097-01-01T00:00:00Z",
	  { "2104-02-29T12:00:00+00:00" } },
	{ "2000 was a leap year", "0 12 29 2 *", "UTC", {0}, {0}, {0},
	  "1999-01-01T00:00:00Z", { "2000-02-29T12:00:00+00:00" } },
	{ "31st: only the months that have one", "0 0 31 * *", "UTC",
	  {0}, {0}, {0}, "2026-01-31T00:00:00Z",
	  { "2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00",
	    "2026-07-31T00:00:00+00:00", "2026-08-31T00:00:00+00:00" } },
	{ "day 30 of February never, but MON: either matches",
	  "0 0 30 2 MON", "UTC", {0}, {0}, {0}, "2026-02-01T00:00:00Z",
	  { "2026-02-02T00:00:00+00:00", "2026-02-09T00:00:00+00:00",
	    "2026-02-16T00:00:00+00:00", "2026-02-23T00:00:00+00:00",
	    "2027-02-01T00:00:00+00:00" } },

	/* --- day of month with day of week --- */
	{ "1st or Monday: either matches", "0 9 1 * MON", "UTC",
	  {0}, {0}, {0}, "2026-01-01T00:00:00Z",
	  { "2026-01-01T09:00:00+00:00", "2026-01-05T09:00:00+00:00",
	    "2026-01-12T09:00:00+00:00", "2026-01-19T09:00:00+00:00",
	    "2026-01-26T09:00:00+00:00", "2026-02-01T09:00:00+00:00",
	    "2026-02-02T09:00:00+00:00" } },
	{ "*/10 in the day of month starts with *: both must match",
	  "0 9 */10 * MON", "UTC", {0}, {0}, {0}, "2026-01-01T00:00:00Z",
	  { "2026-05-11T09:00:00+00:00", "2026-06-01T09:00:00+00:00",
	    "2026-08-31T09:00:00+00:00" } },
	{ "* in the day of week: the day of month alone",
	  "0 9 15 * *", "UTC", {0}, {0}, {0}, "2026-01-01T00:00:00Z",
	  { "2026-01-15T09:00:00+00:00", "2026-02-15T09:00:00+00:00" } },

	/* --- steps, ranges, names, lists, Sunday --- */
	{ "*/15", "*/15 * * * *", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:07:00Z",
	  { "2026-01-01T00:15:00+00:00", "2026-01-01T00:30:00+00:00",
	    "2026-01-01T00:45:00+00:00", "2026-01-01T01:00:00+00:00" } },
	{ "1-5/2 is 1, 3, 5", "0 1-5/2 * * *", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z",
	  { "2026-01-01T01:00:00+00:00", "2026-01-01T03:00:00+00:00",
	    "2026-01-01T05:00:00+00:00", "2026-01-02T01:00:00+00:00" } },
	{ "names: JAN and MON-FRI", "0 10 * JAN MON-FRI", "UTC",
	  {0}, {0}, {0}, "2026-01-28T00:00:00Z",
	  { "2026-01-28T10:00:00+00:00", "2026-01-29T10:00:00+00:00",
	    "2026-01-30T10:00:00+00:00", "2027-01-01T10:00:00+00:00",
	    "2027-01-04T10:00:00+00:00" } },
	{ "names in any case", "0 10 * jan mon-fri", "UTC",
	  {0}, {0}, {0}, "2026-01-30T11:00:00Z",
	  { "2027-01-01T10:00:00+00:00" } },
	{ "lists", "0,30 9,17 * * *", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z",
	  { "2026-01-01T09:00:00+00:00", "2026-01-01T09:30:00+00:00",
	    "2026-01-01T17:00:00+00:00", "2026-01-01T17:30:00+00:00",
	    "2026-01-02T09:00:00+00:00" } },
	{ "7 is Sunday", "0 12 * * 7", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z",
	  { "2026-01-04T12:00:00+00:00", "2026-01-11T12:00:00+00:00" } },
	{ "0 is Sunday", "0 12 * * 0", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z",
	  { "2026-01-04T12:00:00+00:00", "2026-01-11T12:00:00+00:00" } },
	{ "5-7 is Friday to Sunday", "0 12 * * 5-7", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z",
	  { "2026-01-02T12:00:00+00:00", "2026-01-03T12:00:00+00:00",
	    "2026-01-04T12:00:00+00:00", "2026-01-09T12:00:00+00:00" } },
	{ "SAT-SUN: SUN closes a range as 7", "0 12 * * SAT-SUN", "UTC",
	  {0}, {0}, {0}, "2026-01-01T00:00:00Z",
	  { "2026-01-03T12:00:00+00:00", "2026-01-04T12:00:00+00:00",
	    "2026-01-10T12:00:00+00:00" } },
	{ "months with a step", "0 0 1 */3 *", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z",
	  { "2026-04-01T00:00:00+00:00", "2026-07-01T00:00:00+00:00",
	    "2026-10-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00" } },
	{ "@weekly is Sunday midnight", "@weekly", "UTC", {0}, {0}, {0},
	  "2026-01-01T00:00:00Z", { "2026-01-04T00:00:00+00:00" } },
	{ "strictly after: a slot at --from is not listed", "0 9 * * *",
	  "UTC", {0}, {0}, {0}, "2026-01-01T09:00:00Z",
	  { "2026-01-02T09:00:00+00:00" } },
	{ "strictly after, with a fraction of a second", "0 9 * * *",
	  "UTC", {0}, {0}, {0}, "2026-01-01T08:59:59.999Z",
	  { "2026-01-01T09:00:00+00:00" } },

	/* --- windows --- */
	{ "window: weekdays 09:00-16:00, end excluded", "0 * * * *", "UTC",
	  { "mon-fri" }, { "09:00-16:00" }, {0}, "2026-01-02T14:30:00Z",
	  { "2026-01-02T15:00:00+00:00", "2026-01-05T09:00:00+00:00",
	    "2026-01-05T10:00:00+00:00" } },
	{ "window across midnight belongs to the day it opens",
	  "0 * * * *", "UTC", { "fri" }, { "22:00-02:00" }, {0},
	  "2026-01-01T00:00:00Z",
	  { "2026-01-02T22:00:00+00:00", "2026-01-02T23:00:00+00:00",
	    "2026-01-03T00:00:00+00:00", "2026-01-03T01:00:00+00:00",
	    "2026-01-09T22:00:00+00:00" } },
	{ "two windows", "0 * * * *", "UTC", { "mon", "tue" },
	  { "09:00-10:00", "16:00-18:00" }, {0}, "2026-01-01T00:00:00Z",
	  { "2026-01-05T09:00:00+00:00", "2026-01-06T16:00:00+00:00",
	    "2026-01-06T17:00:00+00:00", "2026-01-12T09:00:00+00:00" } },
	{ "window in local time across the spring-forward day",
	  "0 * * * *", "Europe/Berlin", { "sun" }, { "01:00-04:00" }, {0},
	  "2026-03-29T00:00:00+01:00",
	  { "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00",
	    "2026-04-05T01:00:00+02:00" } },
	{ "a fixed time moved by the jump is checked where it lands",
	  "30 2 * * *", "Europe/Berlin", { "*" }, { "02:00-03:00" }, {0},
	  "2026-03-28T12:00:00+01:00",
	  { "2026-03-30T02:30:00+02:00" } },

	/* --- blackouts --- */
	{ "blackout: a date range over the new year",
	  "30 10 * * TUE", "Europe/Berlin", {0}, {0},
	  { "2026-12-20..2027-01-03" }, "2026-12-01T00:00:00+01:00",
	  { "2026-12-01T10:30:00+01:00", "2026-12-08T10:30:00+01:00",
	    "2026-12-15T10:30:00+01:00", "2027-01-05T10:30:00+01:00" } },
	{ "blackout: single dates", "0 12 * * *", "UTC", {0}, {0},
	  { "2026-01-02", "2026-01-04" }, "2026-01-01T00:00:00Z",
	  { "2026-01-01T12:00:00+00:00", "2026-01-03T12:00:00+00:00",
	    "2026-01-05T12:00:00+00:00" } },
	{ "blackout at midnight: 23:59 before, 00:00 of the day is out",
	  "59 23,0 * * *", "UTC", {0}, {0}, { "2026-01-02" },
	  "2026-01-01T12:00:00Z",
	  { "2026-01-01T23:59:00+00:00", "2026-01-03T00:59:00+00:00",
	    "2026-01-03T23:59:00+00:00" } },
	{ "blackout dates are local dates", "30 0 * * *",
	  "America/New_York", {0}, {0}, { "2026-01-02" },
	  "2026-01-01T12:00:00-05:00",
	  { "2026-01-03T00:30:00-05:00" } },
	{ "a whole year of blackout: the next slot after it",
	  "0 12 1 1 *", "UTC", {0}, {0}, { "2026-01-01..2026-12-31" },
	  "2025-06-01T00:00:00Z", { "2027-01-01T12:00:00+00:00" } },
};

/* Builds a schedule from a case; fails the test on a bad spelling. */
static void
make(struct hv_schedule *s, const struct slot_case *c)
{
	struct hv_buf	 err = HV_BUF_INIT;
	size_t		 pos, i;

	memset(s, 0, sizeof *s);
	if (hv_cron_parse(&s->cron, c->cron, &pos, &err) == -1)
		fail_msg("%s: cron %s: %s", c->what, c->cron, err.s);
	s->tz = hv_xstrdup(c->tz);
	for (i = 0; i < MAXW && c->days[i] != NULL; i++) {
		s->windows = hv_xreallocarray(s->windows, i + 1,
		    sizeof *s->windows);
		if (hv_window_days(c->days[i], &s->windows[i].days, &pos,
		    &err) == -1 || hv_window_hours(c->hours[i],
		    &s->windows[i].start, &s->windows[i].end, &pos,
		    &err) == -1)
			fail_msg("%s: window: %s", c->what, err.s);
		s->nwindows++;
	}
	for (i = 0; i < MAXW && c->blackout[i] != NULL; i++) {
		s->blackouts = hv_xreallocarray(s->blackouts, i + 1,
		    sizeof *s->blackouts);
		if (hv_blackout_parse(c->blackout[i], &s->blackouts[i], &pos,
		    &err) == -1)
			fail_msg("%s: blackout: %s", c->what, err.s);
		s->nblackouts++;
	}
	hv_buf_release(&err);
}

static void
test_table(void **state)
{
	struct hv_schedule	 s;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, j;
	int64_t			 t, slot;
	char			 buf[64];
	int			 bad = 0;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(cases); i++) {
		make(&s, &cases[i]);
		if (hv_schedule_parse_time(&s, cases[i].from, &t, &err) == -1)
			fail_msg("%s: --from %s: %s", cases[i].what,
			    cases[i].from, err.s);
		for (j = 0; j < MAXOUT && cases[i].want[j] != NULL; j++) {
			if (hv_schedule_next(&s, t, &slot, &err) == -1) {
				print_error("%s: slot %zu: %s\n",
				    cases[i].what, j + 1, err.s);
				hv_buf_reset(&err);
				bad++;
				break;
			}
			hv_schedule_format(&s, slot, buf, sizeof buf);
			if (strcmp(buf, cases[i].want[j]) != 0) {
				print_error("%s (%s from %s): slot %zu is %s, "
				    "want %s\n", cases[i].what, cases[i].cron,
				    cases[i].from, j + 1, buf,
				    cases[i].want[j]);
				bad++;
				break;
			}
			t = slot;
		}
		hv_schedule_release(&s);
	}
	hv_buf_release(&err);
	assert_int_equal(bad, 0);
}

/* Each bad expression fails, and points at the part that is wrong. */
static void
test_cron_errors(void **state)
{
	static const struct {
		const char	*expr;
		size_t		 pos;
		const char	*msg;	/* a part of the message */
	} bad[] = {
		{ "", 0, "5 fields" },
		{ "* * * *", 0, "5 fields" },
		{ "* * * * * *", 10, "5 fields" },
		{ "60 * * * *", 0, "0-59" },
		{ "* 24 * * *", 2, "0-23" },
		{ "* * 0 * *", 4, "1-31" },
		{ "* * 32 * *", 4, "1-31" },
		{ "* * * 13 *", 6, "1-12" },
		{ "* * * * 8", 8, "0-7" },
		{ "*/0 * * * *", 2, "step" },
		{ "5-1 * * * *", 0, "backwards" },
		{ "5/10 * * * *", 0, "step" },
		{ "* * * FOO *", 6, "name" },
		{ "* * * * MONDAY", 8, "name" },
		{ "* * * MON *", 6, "name" },
		{ "1,,2 * * * *", 2, "empty" },
		{ "a * * * *", 0, "number" },
		{ "-1 * * * *", 0, "number" },
		{ "1- * * * *", 2, "number" },
		{ "*/ * * * *", 2, "number" },
		{ "@reboot", 0, "@reboot" },
		{ "@fortnightly", 0, "@" },
		{ "* * * * 1-0", 8, "backwards" },
		{ "99999999999999999999 * * * *", 0, "0-59" },
	};
	struct hv_cron	 c;
	struct hv_buf	 err = HV_BUF_INIT;
	size_t		 i, pos;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(bad); i++) {
		pos = 999;
		if (hv_cron_parse(&c, bad[i].expr, &pos, &err) != -1)
			fail_msg("\"%s\" was accepted", bad[i].expr);
		if (strstr(err.s, bad[i].msg) == NULL)
			fail_msg("\"%s\": %s (want \"%s\")", bad[i].expr,
			    err.s, bad[i].msg);
		if (pos != bad[i].pos)
			fail_msg("\"%s\": at %zu, want %zu (%s)", bad[i].expr,
			    pos, bad[i].pos, err.s);
		hv_buf_reset(&err);
	}
	hv_buf_release(&err);
}

/* The parsed sets, and which fields count as "starting with *". */
static void
test_cron_fields(void **state)
{
	struct hv_cron	 c;
	struct hv_buf	 err = HV_BUF_INIT;
	size_t		 pos;

	(void)state;
	assert_int_equal(hv_cron_parse(&c, "*/15 1-5/2 */10 JAN,jul 0,7",
	    &pos, &err), 0);
	assert_true(c.minutes == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) |
	    (1ULL << 45)));
	assert_int_equal(c.hours, (1 << 1) | (1 << 3) | (1 << 5));
	assert_int_equal(c.mdays, (1 << 1) | (1 << 11) | (1 << 21) |
	    (1U << 31));
	assert_int_equal(c.months, (1 << 1) | (1 << 7));
	assert_int_equal(c.wdays, 1);
	assert_true(c.dom_star);
	assert_false(c.dow_star);
	assert_true(c.wildcard);

	assert_int_equal(hv_cron_parse(&c, "0-59/20 9 1 * *", &pos, &err), 0);
	assert_false(c.wildcard);	/* a range is not a "*" */
	assert_false(c.dom_star);
	assert_true(c.dow_star);
	assert_int_equal(hv_cron_parse(&c, "  0\t9  * * 1-7 ", &pos, &err), 0);
	assert_int_equal(c.wdays, 0x7f);
	assert_int_equal(hv_cron_parse(&c, "@hourly", &pos, &err), 0);
	assert_true(c.wildcard);
	assert_int_equal(c.minutes, 1);
	hv_buf_release(&err);
}

static void
test_impossible(void **state)
{
	static const char *const never[] = {
		"0 0 30 2 *", "0 0 31 2,4,6,9,11 *", "0 0 30,31 2 *",
	};
	static const char *const ok[] = {
		"0 0 29 2 *", "0 0 31 2,3 *", "0 0 30 2 MON", "0 0 */30 2 *",
	};
	struct hv_cron	 c;
	struct hv_buf	 err = HV_BUF_INIT;
	size_t		 i, pos;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(never); i++) {
		assert_int_equal(hv_cron_parse(&c, never[i], &pos, &err), 0);
		if (hv_cron_possible(&c, &err) != -1)
			fail_msg("%s is possible?", never[i]);
		assert_non_null(strstr(err.s, "never"));
		hv_buf_reset(&err);
	}
	for (i = 0; i < HV_ARRAY_LEN(ok); i++) {
		assert_int_equal(hv_cron_parse(&c, ok[i], &pos, &err), 0);
		if (hv_cron_possible(&c, &err) != 0)
			fail_msg("%s: %s", ok[i], err.s);
	}
	hv_buf_release(&err);
}

/* No slot for many years: a bounded search and a clear error. */
static void
test_no_slot(void **state)
{
	static const struct slot_case c = {
		"weekday jobs in a Saturday window", "0 10 * * MON-FRI",
		"UTC", { "sat" }, { "09:00-16:00" }, {0}, "now", {0}
	};
	struct hv_schedule	 s;
	struct hv_buf		 err = HV_BUF_INIT;
	int64_t			 slot, t0;
	size_t			 pos;

	(void)state;
	make(&s, &c);
	t0 = hv_mono_ms();
	assert_int_equal(hv_schedule_next(&s, hv_wall_ms(), &slot, &err), -1);
	assert_non_null(strstr(err.s, "no slot"));
	/* Bounded in time, too: well under the unit test's patience. */
	assert_true(hv_mono_ms() - t0 < 10000);
	hv_buf_reset(&err);
	hv_schedule_release(&s);

	/* Near the end of the calendar there is nothing after. */
	memset(&s, 0, sizeof s);
	s.tz = hv_xstrdup("UTC");
	assert_int_equal(hv_cron_parse(&s.cron, "0 0 1 1 *", &pos, &err), 0);
	assert_int_equal(hv_schedule_parse_time(&s, "9999-06-01T00:00:00Z",
	    &t0, &err), 0);
	assert_int_equal(hv_schedule_next(&s, t0, &slot, &err), -1);
	hv_schedule_release(&s);
	hv_buf_release(&err);
}

static void
test_windows_parse(void **state)
{
	static const struct {
		const char	*days;
		uint8_t		 want;
	} d[] = {
		{ "mon-fri", 0x3e }, { "MON-FRI", 0x3e }, { "sat,sun", 0x41 },
		{ "fri-mon", 0x63 }, { "*", 0x7f }, { "sun", 0x01 },
		{ "mon,wed-thu", 0x1a }, { "0-6", 0x7f }, { "7", 0x01 },
	};
	static const char *const bad_days[] = {
		"", "funday", "mon-", "-fri", "mon,,fri", "8", "mon-fri/2",
	};
	static const struct {
		const char	*h;
		int		 start, end;
	} h[] = {
		{ "09:00-16:00", 540, 960 }, { "22:00-02:00", 1320, 120 },
		{ "00:00-24:00", 0, 1440 }, { "9:30-10:15", 570, 615 },
	};
	static const char *const bad_hours[] = {
		"", "09:00", "09:00-", "25:00-26:00", "09:60-10:00",
		"10:00-10:00", "09-16", "09:00-24:01", "24:00-01:00",
		"09:00-16:00x",
	};
	struct hv_buf	 err = HV_BUF_INIT;
	uint8_t		 days;
	size_t		 i, pos;
	int		 s, e;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(d); i++) {
		if (hv_window_days(d[i].days, &days, &pos, &err) == -1)
			fail_msg("%s: %s", d[i].days, err.s);
		if (days != d[i].want)
			fail_msg("%s: %#x, want %#x", d[i].days, days,
			    d[i].want);
	}
	for (i = 0; i < HV_ARRAY_LEN(bad_days); i++) {
		if (hv_window_days(bad_days[i], &days, &pos, &err) != -1)
			fail_msg("days \"%s\" accepted", bad_days[i]);
		hv_buf_reset(&err);
	}
	for (i = 0; i < HV_ARRAY_LEN(h); i++) {
		if (hv_window_hours(h[i].h, &s, &e, &pos, &err) == -1)
			fail_msg("%s: %s", h[i].h, err.s);
		assert_int_equal(s, h[i].start);
		assert_int_equal(e, h[i].end);
	}
	for (i = 0; i < HV_ARRAY_LEN(bad_hours); i++) {
		if (hv_window_hours(bad_hours[i], &s, &e, &pos, &err) != -1)
			fail_msg("hours \"%s\" accepted", bad_hours[i]);
		hv_buf_reset(&err);
	}
	hv_buf_release(&err);
}

static void
test_blackout_parse(void **state)
{
	static const char *const bad[] = {
		"", "2026-02-30", "2026-13-01", "2026-12-20..", "..2026-01-01",
		"2027-01-03..2026-12-20", "2026-1-1", "2026-12-20...2027-01-03",
		"2025-02-29", "20261220", "2026-12-20..2027-01-03x",
	};
	struct hv_blackout	 b;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i, pos;

	(void)state;
	assert_int_equal(hv_blackout_parse("2026-12-20..2027-01-03", &b, &pos,
	    &err), 0);
	assert_int_equal(b.last - b.first, 14);
	assert_int_equal(hv_blackout_parse("2024-02-29", &b, &pos, &err), 0);
	assert_int_equal(b.first, b.last);
	assert_int_equal(b.first, 19782);	/* days since 1970-01-01 */
	for (i = 0; i < HV_ARRAY_LEN(bad); i++) {
		if (hv_blackout_parse(bad[i], &b, &pos, &err) != -1)
			fail_msg("blackout \"%s\" accepted", bad[i]);
		hv_buf_reset(&err);
	}
	hv_buf_release(&err);
}

static void
test_tz(void **state)
{
	static const char *const good[] = {
		"UTC", "Europe/Berlin", "America/New_York",
		"Australia/Lord_Howe", "America/Argentina/Buenos_Aires",
	};
	static const char *const bad[] = {
		"", "Europe/Berln", "Mars/Olympus", "../../etc/passwd",
		"/etc/localtime", "Europe/../Europe/Berlin", "CET-1CEST",
		"Europe", "Europe/Berlin ", "europe/berlin\n",
	};
	struct hv_buf	 err = HV_BUF_INIT;
	size_t		 i;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(good); i++)
		if (hv_tz_check(good[i], &err) == -1)
			fail_msg("%s: %s", good[i], err.s);
	for (i = 0; i < HV_ARRAY_LEN(bad); i++) {
		if (hv_tz_check(bad[i], &err) != -1)
			fail_msg("time zone \"%s\" accepted", bad[i]);
		hv_buf_reset(&err);
	}
	hv_buf_release(&err);
}

/* --from: the spellings it takes, and what it refuses. */
static void
test_parse_time(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 want;	/* seconds */
	} ok[] = {
		{ "2026-03-29T03:00:00+02:00", 1774746000 },
		{ "2026-03-29T01:00:00Z", 1774746000 },
		{ "2026-03-29t01:00:00z", 1774746000 },
		{ "2026-03-29 01:00:00Z", 1774746000 },
		{ "2026-03-29T01:00Z", 1774746000 },
		{ "@1774746000", 1774746000 },
		/* Local time in the schedule's zone (Berlin). */
		{ "2026-03-29T03:00:00", 1774746000 },
		{ "2026-03-29T03:00", 1774746000 },
		/* Skipped: the instant after the jump. */
		{ "2026-03-29T02:30", 1774746000 },
		/* Repeated: its first occurrence (CEST). */
		{ "2026-10-25T02:30", 1792888200 },
		{ "2026-03-29", 1774738800 },
	};
	static const char *const bad[] = {
		"", "yesterday", "2026-03-29T25:00:00Z", "2026-02-30T00:00Z",
		"2026-03-29T01:00:00+2", "2026-03-29T01:00:00+25:00",
		"2026-03-29T01:00:00Zjunk", "@", "@12x", "2026-3-29",
		"2026-03-29T", "2026-03-29T01:00:00.Z",
	};
	struct hv_schedule	 s;
	struct hv_buf		 err = HV_BUF_INIT;
	size_t			 i;
	int64_t			 t;

	(void)state;
	memset(&s, 0, sizeof s);
	s.tz = hv_xstrdup("Europe/Berlin");
	for (i = 0; i < HV_ARRAY_LEN(ok); i++) {
		if (hv_schedule_parse_time(&s, ok[i].in, &t, &err) == -1)
			fail_msg("%s: %s", ok[i].in, err.s);
		if (t != ok[i].want * 1000)
			fail_msg("%s: %lld, want %lld", ok[i].in,
			    (long long)t, (long long)ok[i].want * 1000);
	}
	assert_int_equal(hv_schedule_parse_time(&s, "2026-03-29T01:00:00.5Z",
	    &t, &err), 0);
	assert_int_equal(t, INT64_C(1774746000500));
	for (i = 0; i < HV_ARRAY_LEN(bad); i++) {
		if (hv_schedule_parse_time(&s, bad[i], &t, &err) != -1)
			fail_msg("time \"%s\" accepted", bad[i]);
		hv_buf_reset(&err);
	}
	/* now is now. */
	assert_int_equal(hv_schedule_parse_time(&s, "now", &t, &err), 0);
	assert_true(llabs(t - hv_wall_ms()) < 5000);
	hv_schedule_release(&s);
	hv_buf_release(&err);
}

/* TZ is the caller's again after every call. */
static void
test_tz_restored(void **state)
{
	struct hv_schedule	 s;
	struct hv_buf		 err = HV_BUF_INIT;
	int64_t			 slot;
	size_t			 pos;
	const char		*tz;

	(void)state;
	memset(&s, 0, sizeof s);
	s.tz = hv_xstrdup("Australia/Lord_Howe");
	assert_int_equal(hv_cron_parse(&s.cron, "0 9 * * *", &pos, &err), 0);
	setenv("TZ", "America/New_York", 1);
	assert_int_equal(hv_schedule_next(&s, 0, &slot, &err), 0);
	tz = getenv("TZ");
	assert_non_null(tz);
	assert_string_equal(tz, "America/New_York");
	unsetenv("TZ");
	assert_int_equal(hv_schedule_next(&s, 0, &slot, &err), 0);
	assert_null(getenv("TZ"));
	hv_schedule_release(&s);
	hv_buf_release(&err);
}

/* Jitter: in [0, jitter), capped by the room, the same for one seed. */
static void
test_jitter(void **state)
{
	int64_t		 j, min = INT64_MAX, max = -1, sum = 0;
	uint64_t	 seed;
	int		 i, n = 20000;

	(void)state;
	for (i = 0; i < n; i++) {
		seed = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
		j = hv_schedule_jitter(seed, 900000, INT64_MAX);
		assert_true(j >= 0 && j < 900000);
		assert_int_equal(j, hv_schedule_jitter(seed, 900000,
		    INT64_MAX));
		if (j < min)
			min = j;
		if (j > max)
			max = j;
		sum += j;
		j = hv_schedule_jitter(seed, 900000, 60000);
		assert_true(j >= 0 && j < 60000);
		assert_int_equal(hv_schedule_jitter(seed, 1, INT64_MAX), 0);
	}
	/* Spread over the whole range: not stuck near one end. */
	assert_true(min < 900000 / 100);
	assert_true(max > 900000 - 900000 / 100);
	assert_true(llabs(sum / n - 450000) < 20000);
	assert_int_equal(hv_schedule_jitter(42, 0, INT64_MAX), 0);
	assert_int_equal(hv_schedule_jitter(42, 900000, 0), 0);
}

/* Room: until the window closes, or a blackout day begins. */
static void
test_room(void **state)
{
	static const struct slot_case c = {
		"room", "55 15 * * *", "Europe/Berlin", { "mon-fri" },
		{ "09:00-16:00" }, { "2026-12-19" }, "now", {0}
	};
	static const struct slot_case night = {
		"room past midnight", "0 23 * * *", "UTC", { "*" },
		{ "22:00-02:00" }, { "2026-01-03" }, "now", {0}
	};
	struct hv_schedule	 s;
	struct hv_buf		 err = HV_BUF_INIT;
	int64_t			 t;

	(void)state;
	make(&s, &c);
	assert_int_equal(hv_schedule_parse_time(&s, "2026-12-01T15:55:00",
	    &t, &err), 0);
	assert_int_equal(hv_schedule_room(&s, t), 5 * 60 * 1000);
	hv_schedule_release(&s);

	make(&s, &night);
	assert_int_equal(hv_schedule_parse_time(&s, "2026-01-01T23:00:00Z",
	    &t, &err), 0);
	assert_int_equal(hv_schedule_room(&s, t), 3 * 3600 * 1000);
	/* The next day is a blackout: its midnight is the limit. */
	assert_int_equal(hv_schedule_parse_time(&s, "2026-01-02T23:00:00Z",
	    &t, &err), 0);
	assert_int_equal(hv_schedule_room(&s, t), 3600 * 1000);
	hv_schedule_release(&s);

	memset(&s, 0, sizeof s);
	s.tz = hv_xstrdup("UTC");
	assert_true(hv_schedule_room(&s, 0) == INT64_MAX);
	hv_schedule_release(&s);
	hv_buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_cron_errors),
		cmocka_unit_test(test_cron_fields),
		cmocka_unit_test(test_impossible),
		cmocka_unit_test(test_no_slot),
		cmocka_unit_test(test_windows_parse),
		cmocka_unit_test(test_blackout_parse),
		cmocka_unit_test(test_tz),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
