/*
 * schedule.h - when a game day may start: a 5-field cron expression read
 * the way Debian cron reads it (crontab(5)), in an IANA time zone from the
 * system's zoneinfo, less the slots outside its windows or inside its
 * blackouts; and the jitter that delays a start.
 *
 * The rules, as SPEC.md states them (experiments/README.md has the
 * table of cases):
 *
 *   - Fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or
 *     JAN-DEC, day of week 0-7 or SUN-SAT (0 and 7 are both Sunday).
 *     Each is a list of items: "*", N, N-M, "*" or N-M followed by /STEP.
 *     Names are three letters, in any case, also in ranges (MON-FRI).
 *     @yearly @annually @monthly @weekly @daily @midnight @hourly stand
 *     for their 5-field forms.
 *   - Day of month and day of week: when either field starts with "*"
 *     a day must match both; otherwise it matches when either does.
 *   - A job with a "*" in its minute or hour field follows real time: no
 *     slot in a skipped hour, one slot on each pass through a repeated
 *     hour. Any other job runs once per local day at each of its times:
 *     a time skipped by a forward jump runs at the first instant after
 *     the jump; a repeated time runs at its first occurrence. Slots that
 *     fall on the same instant are one slot.
 *   - A slot is kept when its local time lies in one of the windows (if
 *     any) and its local date in no blackout. Dropped slots are not
 *     moved.
 *
 * Times given to and returned by this module are wall-clock milliseconds
 * since the epoch. Local times come from the C library (TZ=:NAME,
 * tzset, localtime_r); the functions set TZ for their call and put it
 * back before they return. Nothing here is thread-safe, like TZ itself.
 */
#ifndef HV_SCHEDULE_H
#define HV_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct hv_cron {
	uint64_t	 minutes;	/* bit m: minute m */
	uint32_t	 hours;		/* bit h: hour h */
	uint32_t	 mdays;		/* bit d: day d of the month, 1-31 */
	uint16_t	 months;	/* bit m: month m, 1-12 */
	uint8_t		 wdays;		/* bit w: 0 Sunday to 6 Saturday */
	unsigned	 dom_star:1;	/* day of month starts with "*" */
	unsigned	 dow_star:1;	/* day of week starts with "*" */
	unsigned	 wildcard:1;	/* "*" in the minute or the hour */
};

/* A window: days of the week and a span of the day, [start, end). */
struct hv_window {
	uint8_t		 days;		/* bit w, as in struct hv_cron */
	int		 start;		/* minutes since midnight */
	int		 end;		/* 1-1440; <= start: past midnight */
};

/* A blackout: local dates first to last, both included (days since
 * 1970-01-01 in the proleptic Gregorian calendar). */
struct hv_blackout {
	int64_t		 first;
	int64_t		 last;
};

struct hv_schedule {
	struct hv_cron	 cron;
	char		*tz;		/* an IANA name; "UTC" when unset */
	struct hv_window *windows;	/* none: any time */
	size_t		 nwindows;
	struct hv_blackout *blackouts;
	size_t		 nblackouts;
};

/* How far ahead hv_schedule_next() looks before it gives up. */
#define HV_SCHEDULE_HORIZON_YEARS	50

/*
 * Parses a cron expression into c. On error returns -1 with a message in
 * err and the byte offset of the offending part of s in *pos.
 */
int	 hv_cron_parse(struct hv_cron *c, const char *s, size_t *pos,
	    struct hv_buf *err);

/*
 * Checks that name is a time zone of the system's zoneinfo (a TZif file
 * under $TZDIR, else /usr/share/zoneinfo). -1 with a message otherwise.
 */
int	 hv_tz_check(const char *name, struct hv_buf *err);

/*
 * Window parts: days ("mon-fri", "sat,sun", "fri-mon" wraps, "*"), hours
 * ("09:00-16:00", "22:00-02:00" runs past midnight, "00:00-24:00" the
 * whole day). -1 with a message and the offset of the bad part.
 */
int	 hv_window_days(const char *s, uint8_t *days, size_t *pos,
	    struct hv_buf *err);
int	 hv_window_hours(const char *s, int *start, int *end, size_t *pos,
	    struct hv_buf *err);

/* A blackout: "2026-12-24" or "2026-12-20..2027-01-03". */
int	 hv_blackout_parse(const char *s, struct hv_blackout *b, size_t *pos,
	    struct hv_buf *err);

/* Frees what a schedule owns (tz, windows, blackouts); accepts NULL. */
void	 hv_schedule_release(struct hv_schedule *);

/*
 * The first slot strictly after `after`, into *slot. Returns 0, or -1
 * with a message when there is none within HV_SCHEDULE_HORIZON_YEARS
 * (or before the year 9999).
 */
int	 hv_schedule_next(const struct hv_schedule *, int64_t after,
	    int64_t *slot, struct hv_buf *err);

/*
 * The next n slots after `after` into out, in order: the count found
 * (less than n, with a message in err, when the schedule has no more).
 */
int	 hv_schedule_list(const struct hv_schedule *, int64_t after,
	    int64_t *out, size_t n, struct hv_buf *err);

/*
 * Whether the cron date fields can ever match a day (February 30 never
 * does); -1 with a message when they cannot.
 */
int	 hv_cron_possible(const struct hv_cron *, struct hv_buf *err);

/*
 * How long a start may be delayed after slot t and still start inside
 * its window and outside any blackout: milliseconds, or INT64_MAX when
 * nothing limits it.
 */
int64_t	 hv_schedule_room(const struct hv_schedule *, int64_t t);

/*
 * The jitter of a start: uniform in [0, min(jitter, room)), drawn from
 * seed alone, so a recorded seed gives the same delay again. 0 when the
 * bound is 0.
 */
int64_t	 hv_schedule_jitter(uint64_t seed, int64_t jitter, int64_t room);

/*
 * Writes t as RFC 3339 local time in the schedule's zone, with the
 * zone's offset: 2026-03-29T03:00:00+02:00. (An offset that is not a
 * whole number of minutes, found only in old local mean times, cannot
 * be written so: such times are written in UTC with "Z".) buf must hold
 * 32 bytes.
 */
char	*hv_schedule_format(const struct hv_schedule *, int64_t t, char *buf,
	    size_t len);

/*
 * Reads a time for --from: RFC 3339 (2026-03-29T03:00:00+02:00, a "Z",
 * a space for the "T", fractions of a second); the same without an
 * offset, or a date alone, as local time in the schedule's zone (a
 * repeated local time is its first occurrence, a skipped one the instant
 * after the jump); "@SECONDS" since the epoch; "now". -1 with a message.
 */
int	 hv_schedule_parse_time(const struct hv_schedule *, const char *in,
	    int64_t *out, struct hv_buf *err);

#endif
