/*
 * schedule.c - cron, time zones, windows, blackouts and jitter; the rules
 * are in schedule.h.
 *
 * How local times are found without trusting mktime() on times that a
 * clock change skips or repeats: the only question put to the C library
 * is "what is the UTC offset at instant t" (localtime_r's tm_gmtoff under
 * TZ=:NAME). For one local day the offsets around it are gathered into
 * pieces (an instant where a piece starts, its offset), and a local wall
 * time w is reached at every instant t = w - off of a piece that contains
 * t: none (skipped), one, or two (repeated). Wall times are counted in
 * seconds as if local time were UTC, so calendar arithmetic is plain
 * integer arithmetic on days.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "schedule.h"

#define DAY	86400
/* More than any UTC offset there ever was (about 15:56). */
#define MARGIN	(17 * 3600)
/* Offsets are sampled this often; no two changes come closer. */
#define STEP	3600
#define MAXPIECES	64
#define MAXCAND		(2 * 24 * 60 + 8)

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL
};
static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

/* --- the calendar ------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0 Sunday to 6 Saturday; 1970-01-01 was a Thursday. */
static int
weekday(int64_t days)
{
	int64_t	w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* --- cron --------------------------------------------------------------- */

struct field {
	const char	*what;
	int		 lo, hi;
	const char *const *names;
	int		 name_lo;	/* the number of names[0] */
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL, 0 },
	{ "hour", 0, 23, NULL, 0 },
	{ "day of month", 1, 31, NULL, 0 },
	{ "month", 1, 12, month_names, 1 },
	{ "day of week", 0, 7, day_names, 0 },
};

/*
 * Reads a number or a name at *p; advances *p. named is set when it was
 * a name. -1 with a message otherwise.
 */
static int
get_value(const struct field *f, const char **p, int *v, int *named,
    struct hv_buf *err)
{
	const char	*s = *p;
	long long	 n = 0;
	size_t		 i, len;

	*named = 0;
	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s)) {
			if (n < 1000000)
				n = n * 10 + (*s - '0');
			s++;
		}
		if (n < f->lo || n > f->hi)
			return hv_error(err, "%s: %.*s is not in %d-%d",
			    f->what, (int)(s - *p), *p, f->lo, f->hi);
		*v = (int)n;
		*p = s;
		return 0;
	}
	for (len = 0; isalpha((unsigned char)s[len]); len++)
		;
	if (len == 0)
		return hv_error(err, "%s: a number is missing at \"%s\"",
		    f->what, s);
	if (f->names == NULL)
		return hv_error(err, "%s: \"%.*s\" is not a number", f->what,
		    (int)len, s);
	for (i = 0; len == 3 && f->names[i] != NULL; i++) {
		if (strncasecmp(s, f->names[i], 3) == 0) {
			*v = f->name_lo + (int)i;
			*named = 1;
			*p = s + 3;
			return 0;
		}
	}
	return hv_error(err, "%s: \"%.*s\" is not a name of %s (three "
	    "letters: %s)", f->what, (int)len, s,
	    f->names == month_names ? "a month" : "a day",
	    f->names == month_names ? "JAN-DEC" : "SUN-SAT");
}

/*
 * Parses one field (s to end) into a bit set. On error, *pos is the
 * offset from s of the item in fault.
 */
static int
parse_field(const struct field *f, const char *s, const char *end,
    uint64_t *bits, size_t *pos, struct hv_buf *err)
{
	const char	*p = s, *item;
	long long	 step;
	int		 a, b, named, i;

	*bits = 0;
	for (;;) {
		item = p;
		*pos = (size_t)(p - s);
		if (p == end || *p == ',')
			return hv_error(err, "%s: empty item in the list",
			    f->what);
		if (*p == '*') {
			a = f->lo;
			b = f->hi == 7 ? 6 : f->hi;
			p++;
		} else {
			if (get_value(f, &p, &a, &named, err) == -1)
				return -1;
			b = a;
			if (p < end && *p == '-') {
				p++;
				*pos = (size_t)(p - s);
				if (get_value(f, &p, &b, &named, err) == -1)
					return -1;
				/* SAT-SUN: a Sunday that closes a range. */
				if (f->hi == 7 && named && b == 0 && a > 0)
					b = 7;
				if (b < a) {
					*pos = (size_t)(item - s);
					return hv_error(err, "%s: the range "
					    "%.*s goes backwards", f->what,
					    (int)(p - item), item);
				}
			} else if (p < end && *p == '/') {
				*pos = (size_t)(item - s);
				return hv_error(err, "%s: a step follows a "
				    "range or *, as in %d-%d/N or */N",
				    f->what, a, f->hi == 7 ? 6 : f->hi);
			}
		}
		step = 1;
		if (p < end && *p == '/') {
			p++;
			*pos = (size_t)(p - s);
			if (!isdigit((unsigned char)*p) || p >= end)
				return hv_error(err, "%s: a number is missing "
				    "after /", f->what);
			for (step = 0; p < end && isdigit((unsigned char)*p);
			    p++)
				if (step < 1000000)
					step = step * 10 + (*p - '0');
			if (step == 0)
				return hv_error(err, "%s: a step of 0",
				    f->what);
		}
		for (i = a; i <= b; i += (int)step)
			*bits |= 1ULL << (f->hi == 7 && i == 7 ? 0 : i);
		if (p == end)
			return 0;
		if (*p != ',') {
			*pos = (size_t)(p - s);
			return hv_error(err, "%s: unexpected \"%c\"", f->what,
			    *p);
		}
		p++;
	}
}

int
hv_cron_parse(struct hv_cron *c, const char *s, size_t *pos,
    struct hv_buf *err)
{
	static const struct {
		const char	*name;
		const char	*expr;
	} macros[] = {
		{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
	};
	const char	*start[6], *end[6], *p = s;
	uint64_t	 bits[5];
	size_t		 n = 0, i, len, sub;

	memset(c, 0, sizeof *c);
	*pos = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '@') {
		for (len = 0; p[len] != '\0' && !isspace((unsigned char)p[len]);
		    len++)
			;
		for (i = 0; i < HV_ARRAY_LEN(macros); i++)
			if (strlen(macros[i].name) == len &&
			    strncasecmp(p, macros[i].name, len) == 0)
				break;
		*pos = (size_t)(p - s);
		if (i == HV_ARRAY_LEN(macros))
			return hv_error(err, "\"%.*s\" is not a schedule "
			    "(@yearly, @monthly, @weekly, @daily, @hourly; "
			    "@reboot has no time)", (int)len, p);
		for (p += len; isspace((unsigned char)*p); p++)
			;
		if (*p != '\0') {
			*pos = (size_t)(p - s);
			return hv_error(err, "unexpected text after %s",
			    macros[i].name);
		}
		return hv_cron_parse(c, macros[i].expr, &sub, err);
	}
	while (*p != '\0') {
		if (n == 6)
			break;
		start[n] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		end[n++] = p;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (n != 5) {
		*pos = n > 5 ? (size_t)(start[5] - s) : 0;
		return hv_error(err, "a schedule has 5 fields (minute hour "
		    "day-of-month month day-of-week), not %s%zu",
		    n > 5 ? "at least " : "", n);
	}
	for (i = 0; i < 5; i++) {
		if (parse_field(&fields[i], start[i], end[i], &bits[i], &sub,
		    err) == -1) {
			*pos = (size_t)(start[i] - s) + sub;
			return -1;
		}
	}
	c->minutes = bits[0];
	c->hours = (uint32_t)bits[1];
	c->mdays = (uint32_t)bits[2];
	c->months = (uint16_t)bits[3];
	c->wdays = (uint8_t)bits[4];
	c->dom_star = *start[2] == '*';
	c->dow_star = *start[4] == '*';
	c->wildcard = memchr(start[0], '*', (size_t)(end[0] - start[0])) !=
	    NULL || memchr(start[1], '*', (size_t)(end[1] - start[1])) !=
	    NULL;
	return 0;
}

int
hv_cron_possible(const struct hv_cron *c, struct hv_buf *err)
{
	int	m, d;

	/* Only "day of month AND month" can be empty: a day-of-month
	 * field that starts with "*" holds day 1, and the day of week
	 * alone always matches some day. */
	if (c->dom_star || !c->dow_star)
		return 0;
	for (m = 1; m <= 12; m++) {
		if (!(c->months & (1 << m)))
			continue;
		for (d = 1; d <= (m == 2 ? 29 : month_days(2001, m)); d++)
			if (c->mdays & (1U << d))
				return 0;
	}
	return hv_error(err, "the schedule never runs: none of its months "
	    "has the days of the month it names");
}

/* Whether the cron's date fields match a day. */
static int
date_matches(const struct hv_cron *c, int64_t days)
{
	int64_t	y;
	int	m, d, dom, dow;

	civil_from_days(days, &y, &m, &d);
	if (!(c->months & (1 << m)))
		return 0;
	dom = (c->mdays & (1U << d)) != 0;
	dow = (c->wdays & (1 << weekday(days))) != 0;
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* --- time zones --------------------------------------------------------- */

static const char *
tzdir(void)
{
	const char	*d = getenv("TZDIR");

	return d != NULL && *d == '/' ? d : "/usr/share/zoneinfo";
}

int
hv_tz_check(const char *name, struct hv_buf *err)
{
	const char	*p, *seg;
	char		 path[PATH_MAX], magic[4];
	int		 fd, n;

	if (*name == '\0')
		return hv_error(err, "an empty time zone");
	/* Names only: no absolute path, no "..", no spaces. */
	for (p = seg = name; ; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == seg || *seg == '.')
				return hv_error(err, "\"%s\" is not an IANA "
				    "time zone name (like Europe/Berlin)",
				    name);
			if (*p == '\0')
				break;
			seg = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '_' &&
		    *p != '-' && *p != '+' && *p != '.')
			return hv_error(err, "\"%s\" is not an IANA time zone "
			    "name (like Europe/Berlin)", name);
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s", tzdir(), name) >=
	    sizeof path)
		return hv_error(err, "time zone \"%s\": name too long", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return hv_error(err, "unknown time zone \"%s\" (not in %s)",
		    name, tzdir());
	n = (int)read(fd, magic, sizeof magic);
	close(fd);
	if (n != 4 || memcmp(magic, "TZif", 4) != 0)
		return hv_error(err, "unknown time zone \"%s\" (%s is not a "
		    "zone file)", name, path);
	return 0;
}

/* The caller's TZ, put back by tz_leave(). */
struct tzsave {
	char	*old;
	int	 had;
};

static void
tz_enter(const char *name, struct tzsave *sv)
{
	const char	*o = getenv("TZ");
	char		*v;

	sv->had = o != NULL;
	sv->old = o != NULL ? hv_xstrdup(o) : NULL;
	v = hv_xasprintf(":%s", name != NULL ? name : "UTC");
	setenv("TZ", v, 1);
	free(v);
	tzset();
}

static void
tz_leave(struct tzsave *sv)
{
	if (sv->had)
		setenv("TZ", sv->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(sv->old);
}

/* The UTC offset in seconds at instant t (TZ already set). */
static int32_t
offset_at(int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

/* The offsets over [from, to): piece i from start[i] to start[i + 1]. */
struct span {
	int64_t		 from, to;
	int64_t		 start[MAXPIECES];
	int32_t		 off[MAXPIECES];
	size_t		 n;
};

static void
span_build(struct span *sp, int64_t from, int64_t to)
{
	int64_t	prev, t, lo, hi, mid;
	int32_t	cur, o;

	sp->from = from;
	sp->to = to;
	sp->n = 1;
	sp->start[0] = from;
	sp->off[0] = cur = offset_at(from);
	for (prev = from; prev < to; prev = t) {
		t = prev + STEP < to ? prev + STEP : to;
		o = offset_at(t);
		/* Find each change between prev and t, one at a time. */
		while (o != cur && sp->n < MAXPIECES) {
			lo = prev;
			hi = t;
			while (hi - lo > 1) {
				mid = lo + (hi - lo) / 2;
				if (offset_at(mid) == cur)
					lo = mid;
				else
					hi = mid;
			}
			cur = offset_at(hi);
			sp->start[sp->n] = hi;
			sp->off[sp->n++] = cur;
			prev = hi;
		}
	}
}

static int64_t
piece_end(const struct span *sp, size_t i)
{
	return i + 1 < sp->n ? sp->start[i + 1] : sp->to;
}

/* The offset at t, which must lie in the span. */
static int32_t
span_offset(const struct span *sp, int64_t t)
{
	size_t	i;

	for (i = sp->n; i > 1 && sp->start[i - 1] > t; i--)
		;
	return sp->off[i - 1];
}

/*
 * The instants at which local wall time w occurs, in order, into out[2]:
 * returns 0 (skipped by a jump), 1, or 2 (repeated).
 */
static int
span_resolve(const struct span *sp, int64_t w, int64_t out[2])
{
	size_t	i;
	int64_t	t;
	int	n = 0;

	for (i = 0; i < sp->n && n < 2; i++) {
		t = w - sp->off[i];
		if (t >= sp->start[i] && t < piece_end(sp, i))
			out[n++] = t;
	}
	return n;
}

/* For a skipped wall time: the instant of the jump over it, or -1. */
static int64_t
span_jump(const struct span *sp, int64_t w)
{
	size_t	i;

	for (i = 1; i < sp->n; i++)
		if (sp->start[i] + sp->off[i - 1] <= w &&
		    w < sp->start[i] + sp->off[i])
			return sp->start[i];
	return -1;
}

/* The local time of t: days since the epoch and seconds into the day. */
static void
local_of(int64_t t, int32_t off, int64_t *days, int64_t *sec)
{
	int64_t	w = t + off;

	*days = floor_div(w, DAY);
	*sec = w - *days * DAY;
}

/* Resolves a local wall time as a fixed cron time is: first occurrence,
 * or the instant after the jump. -1 when it cannot be placed. */
static int64_t
wall_first(const struct span *sp, int64_t w)
{
	int64_t	t[2];

	if (span_resolve(sp, w, t) > 0)
		return t[0];
	return span_jump(sp, w);
}

/* --- windows and blackouts ---------------------------------------------- */

/* Reads a day name or number 0-7 at *p. */
static int
day_value(const char **p, int *v)
{
	int	i;

	if (isdigit((unsigned char)**p)) {
		if (**p > '7' || isdigit((unsigned char)(*p)[1]))
			return -1;
		*v = **p - '0';
		if (*v == 7)
			*v = 0;
		(*p)++;
		return 0;
	}
	for (i = 0; day_names[i] != NULL; i++) {
		if (strncasecmp(*p, day_names[i], 3) == 0 &&
		    !isalpha((unsigned char)(*p)[3])) {
			*v = i;
			*p += 3;
			return 0;
		}
	}
	return -1;
}

int
hv_window_days(const char *s, uint8_t *days, size_t *pos,
    struct hv_buf *err)
{
	const char	*p = s;
	int		 a, b, i;

	*days = 0;
	*pos = 0;
	if (strcmp(s, "*") == 0) {
		*days = 0x7f;
		return 0;
	}
	for (;;) {
		*pos = (size_t)(p - s);
		if (day_value(&p, &a) == -1)
			return hv_error(err, "expected a day (sun, mon, "
			    "..., sat), a range such as mon-fri, or *");
		b = a;
		if (*p == '-') {
			p++;
			*pos = (size_t)(p - s);
			if (day_value(&p, &b) == -1)
				return hv_error(err, "expected a day "
				    "after \"-\"");
		}
		/* A range may wrap: fri-mon is Friday to Monday. */
		for (i = a; ; i = (i + 1) % 7) {
			*days |= (uint8_t)(1 << i);
			if (i == b)
				break;
		}
		if (*p == '\0')
			return 0;
		if (*p != ',') {
			*pos = (size_t)(p - s);
			return hv_error(err, "unexpected \"%c\"", *p);
		}
		p++;
	}
}

/* Reads H:MM or HH:MM (hour up to max_h) at *p into minutes. */
static int
clock_value(const char **p, int max_h, int *min)
{
	const char	*s = *p;
	int		 h = 0, m;

	if (!isdigit((unsigned char)*s))
		return -1;
	h = *s++ - '0';
	if (isdigit((unsigned char)*s))
		h = h * 10 + (*s++ - '0');
	if (*s++ != ':' || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (h > max_h || m > 59 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	*p = s + 2;
	return 0;
}

int
hv_window_hours(const char *s, int *start, int *end, size_t *pos,
    struct hv_buf *err)
{
	const char	*p = s;

	*pos = 0;
	if (clock_value(&p, 23, start) == -1)
		return hv_error(err, "expected HH:MM-HH:MM, such as "
		    "09:00-16:00");
	*pos = (size_t)(p - s);
	if (*p++ != '-')
		return hv_error(err, "expected \"-\" and the end, "
		    "such as 09:00-16:00");
	*pos = (size_t)(p - s);
	if (clock_value(&p, 24, end) == -1 || *p != '\0')
		return hv_error(err, "the end must be HH:MM, up to "
		    "24:00");
	if (*end == *start) {
		*pos = 0;
		return hv_error(err, "the window is empty (for the "
		    "whole day write 00:00-24:00)");
	}
	/* Up to midnight is the end of the day, not a window past it. */
	if (*end == 0)
		*end = 1440;
	return 0;
}

/* Reads YYYY-MM-DD at *p into days since the epoch. */
static int
date_value(const char **p, int64_t *days)
{
	const char	*s = *p;
	int		 i, y = 0, m, d;

	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		y = y * 10 + (s[i] - '0');
	}
	if (s[4] != '-' || !isdigit((unsigned char)s[5]) ||
	    !isdigit((unsigned char)s[6]) || s[7] != '-' ||
	    !isdigit((unsigned char)s[8]) || !isdigit((unsigned char)s[9]))
		return -1;
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return -1;
	*days = days_from_civil(y, m, d);
	*p = s + 10;
	return 0;
}

int
hv_blackout_parse(const char *s, struct hv_blackout *b, size_t *pos,
    struct hv_buf *err)
{
	const char	*p = s;

	*pos = 0;
	if (date_value(&p, &b->first) == -1)
		return hv_error(err, "expected a date (2026-12-24) "
		    "or a range of dates (2026-12-20..2027-01-03)");
	b->last = b->first;
	if (*p == '\0')
		return 0;
	*pos = (size_t)(p - s);
	if (strncmp(p, "..", 2) != 0)
		return hv_error(err, "expected \"..\" and the last "
		    "date");
	p += 2;
	*pos = (size_t)(p - s);
	if (date_value(&p, &b->last) == -1 || *p != '\0')
		return hv_error(err, "the last date must be "
		    "YYYY-MM-DD");
	if (b->last < b->first) {
		*pos = 0;
		return hv_error(err, "the range ends before it "
		    "begins");
	}
	return 0;
}

static int
blacked_out(const struct hv_schedule *s, int64_t days)
{
	size_t	i;

	for (i = 0; i < s->nblackouts; i++)
		if (days >= s->blackouts[i].first &&
		    days <= s->blackouts[i].last)
			return 1;
	return 0;
}

/* Whether window w holds local day `days` at `sec` seconds into it. */
static int
in_window(const struct hv_window *w, int64_t days, int64_t sec)
{
	int64_t	a = (int64_t)w->start * 60, b = (int64_t)w->end * 60;

	if (w->start < w->end)
		return (w->days & (1 << weekday(days))) && sec >= a && sec < b;
	/* Past midnight: the early hours belong to the day before. */
	if (sec >= a)
		return (w->days & (1 << weekday(days))) != 0;
	return sec < b && (w->days & (1 << weekday(days - 1)));
}

static int
allowed(const struct hv_schedule *s, int64_t days, int64_t sec)
{
	size_t	i;

	if (blacked_out(s, days))
		return 0;
	if (s->nwindows == 0)
		return 1;
	for (i = 0; i < s->nwindows; i++)
		if (in_window(&s->windows[i], days, sec))
			return 1;
	return 0;
}

/* Whether any time of local day `days` could pass allowed(). */
static int
day_possible(const struct hv_schedule *s, int64_t days)
{
	const struct hv_window	*w;
	size_t			 i;

	if (blacked_out(s, days))
		return 0;
	if (s->nwindows == 0)
		return 1;
	for (i = 0; i < s->nwindows; i++) {
		w = &s->windows[i];
		if (w->days & (1 << weekday(days)))
			return 1;
		if (w->end <= w->start && (w->days & (1 << weekday(days - 1))))
			return 1;
	}
	return 0;
}

void
hv_schedule_release(struct hv_schedule *s)
{
	if (s == NULL)
		return;
	free(s->tz);
	free(s->windows);
	free(s->blackouts);
	memset(s, 0, sizeof *s);
}

/* --- the next slot ------------------------------------------------------ */

/* The last day that RFC 3339 can write: 9999-12-31. */
#define LAST_DAY	INT64_C(2932896)

/* The spans of the last few days looked at, so that listing many slots
 * does not ask the C library about the same hours again. */
#define NSPANS	4
struct spans {
	struct span	 sp[NSPANS];
	size_t		 next;
};

static void
spans_init(struct spans *c)
{
	size_t	i;

	for (i = 0; i < NSPANS; i++)
		c->sp[i].from = INT64_MIN;
	c->next = 0;
}

/* The span around local day `days`. */
static const struct span *
day_span(struct spans *c, int64_t days)
{
	int64_t		 from = days * DAY - MARGIN;
	struct span	*sp;
	size_t		 i;

	for (i = 0; i < NSPANS; i++)
		if (c->sp[i].from == from)
			return &c->sp[i];
	sp = &c->sp[c->next];
	c->next = (c->next + 1) % NSPANS;
	span_build(sp, from, from + DAY + 2 * MARGIN);
	return sp;
}

/*
 * The earliest slot of local day `days` strictly after `after` (seconds,
 * with the fraction in after_ms), or -1.
 */
static int64_t
day_first(const struct hv_schedule *s, struct spans *c, int64_t days,
    int64_t after_ms)
{
	const struct hv_cron	*cr = &s->cron;
	const struct span	*sp = day_span(c, days);
	int64_t			 w0 = days * DAY, w, t[2], ld, lsec;
	int64_t			 best = -1;
	int			 h, m, n, k;

	for (h = 0; h < 24; h++) {
		if (!(cr->hours & (1U << h)))
			continue;
		for (m = 0; m < 60; m++) {
			if (!(cr->minutes & (1ULL << m)))
				continue;
			w = w0 + h * 3600 + m * 60;
			/* Slots come in order within a piece: a wall time
			 * well before `after` cannot be a slot after it. */
			if ((w + 2 * MARGIN) * 1000 <= after_ms)
				continue;
			if (cr->wildcard)
				n = span_resolve(sp, w, t);
			else if ((t[0] = wall_first(sp, w)) == -1)
				n = 0;
			else
				n = 1;
			for (k = 0; k < n; k++) {
				if (t[k] * 1000 <= after_ms ||
				    (best != -1 && t[k] >= best))
					continue;
				local_of(t[k], span_offset(sp, t[k]), &ld,
				    &lsec);
				if (allowed(s, ld, lsec))
					best = t[k];
			}
		}
	}
	return best;
}

/* hv_schedule_next() with TZ set and the spans given. */
static int
next_in(const struct hv_schedule *s, struct spans *c, int64_t after,
    int64_t *slot, struct hv_buf *err)
{
	int64_t		 start, d, last, best = -1, t, found_day = 0;
	int64_t		 after_s = floor_div(after, 1000);

	/* The local day of `after`, less one: a fixed time of the day
	 * before may be carried past midnight by a jump. */
	start = floor_div(after_s + offset_at(after_s), DAY) - 1;
	last = start + (int64_t)HV_SCHEDULE_HORIZON_YEARS * 366;
	if (last > LAST_DAY)
		last = LAST_DAY;
	for (d = start; d <= last; d++) {
		if (best != -1 && d > found_day + 1)
			break;
		if (!date_matches(&s->cron, d) || (!day_possible(s, d) &&
		    !day_possible(s, d + 1)))
			continue;
		if ((t = day_first(s, c, d, after)) == -1)
			continue;
		if (best == -1 || t < best) {
			if (best == -1)
				found_day = d;
			best = t;
		}
	}
	if (best == -1)
		return hv_error(err, "no slot in the %d years after the "
		    "given time: the schedule, window and blackouts leave "
		    "none", HV_SCHEDULE_HORIZON_YEARS);
	*slot = best * 1000;
	return 0;
}

int
hv_schedule_next(const struct hv_schedule *s, int64_t after, int64_t *slot,
    struct hv_buf *err)
{
	struct tzsave	 sv;
	struct spans	*c;
	int		 rc;

	c = hv_xmalloc(sizeof *c);
	spans_init(c);
	tz_enter(s->tz, &sv);
	rc = next_in(s, c, after, slot, err);
	tz_leave(&sv);
	free(c);
	return rc;
}

int
hv_schedule_list(const struct hv_schedule *s, int64_t after, int64_t *out,
    size_t n, struct hv_buf *err)
{
	struct tzsave	 sv;
	struct spans	*c;
	size_t		 i;

	c = hv_xmalloc(sizeof *c);
	spans_init(c);
	tz_enter(s->tz, &sv);
	for (i = 0; i < n; i++) {
		if (next_in(s, c, after, &out[i], err) == -1)
			break;
		after = out[i];
	}
	tz_leave(&sv);
	free(c);
	return (int)i;
}

int64_t
hv_schedule_room(const struct hv_schedule *s, int64_t t_ms)
{
	const struct hv_window	*w;
	struct tzsave		 sv;
	struct span		 sp;
	int64_t			 t = floor_div(t_ms, 1000), days, sec, end;
	int64_t			 room = INT64_MAX, lim, close_day;
	size_t			 i;

	tz_enter(s->tz, &sv);
	span_build(&sp, t - DAY - MARGIN, t + 2 * DAY + MARGIN);
	local_of(t, span_offset(&sp, t), &days, &sec);
	/* A blackout that begins at the next local midnight. */
	if (blacked_out(s, days + 1) &&
	    (end = wall_first(&sp, (days + 1) * DAY)) != -1)
		room = end * 1000 - t_ms;
	/* The latest end among the windows that hold t. */
	lim = -1;
	for (i = 0; i < s->nwindows; i++) {
		w = &s->windows[i];
		if (!in_window(w, days, sec))
			continue;
		/* The evening part of a window past midnight closes on
		 * the next day. */
		close_day = days;
		if (w->end <= w->start && sec >= (int64_t)w->start * 60)
			close_day = days + 1;
		end = wall_first(&sp, close_day * DAY + (int64_t)w->end * 60);
		if (end != -1 && end * 1000 - t_ms > lim)
			lim = end * 1000 - t_ms;
	}
	tz_leave(&sv);
	if (lim >= 0 && lim < room)
		room = lim;
	return room < 0 ? 0 : room;
}

/* SplitMix64: a small, well-known mixer; one seed, one number. */
static uint64_t
mix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t
hv_schedule_jitter(uint64_t seed, int64_t jitter, int64_t room)
{
	uint64_t	bound, r, limit, x = seed;

	bound = (uint64_t)(jitter < room ? jitter : room);
	if (jitter <= 0 || room <= 0 || bound <= 1)
		return 0;
	/* Rejection keeps the draw uniform: no bias towards small values. */
	limit = UINT64_MAX - UINT64_MAX % bound;
	do
		r = mix64(&x);
	while (r >= limit);
	return (int64_t)(r % bound);
}

char *
hv_schedule_format(const struct hv_schedule *s, int64_t t_ms, char *buf,
    size_t len)
{
	struct tzsave	 sv;
	struct tm	 tm;
	time_t		 tt = (time_t)floor_div(t_ms, 1000);
	long		 off;

	tz_enter(s->tz, &sv);
	if (localtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	tz_leave(&sv);
	off = tm.tm_gmtoff;
	if (off % 60 != 0) {
		gmtime_r(&tt, &tm);
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 3600,
	    labs(off) % 3600 / 60);
	return buf;
}

/* Reads exactly n digits at *p. */
static int
digits(const char **p, int n, int *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

int
hv_schedule_parse_time(const struct hv_schedule *s, const char *in,
    int64_t *out, struct hv_buf *err)
{
	struct tzsave	 sv;
	struct span	 sp;
	const char	*p = in;
	int64_t		 days, w, t, ms = 0, scale;
	int		 h = 0, m = 0, sec = 0, oh = 0, om = 0, local = 1;
	int		 sign = 1;
	long long	 n;

	if (strcmp(in, "now") == 0) {
		*out = hv_wall_ms();
		return 0;
	}
	if (*in == '@') {
		if (hv_parse_int(in + 1, &n) == -1 || in[1] == '-' ||
		    in[1] == '+' || n > INT64_MAX / 1000)
			return hv_error(err, "\"%s\": expected @ and seconds "
			    "since 1970", in);
		*out = (int64_t)n * 1000;
		return 0;
	}
	if (date_value(&p, &days) == -1)
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) == -1 || *p++ != ':' ||
		    digits(&p, 2, &m) == -1 || h > 23 || m > 59)
			goto bad;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) == -1 || sec > 60)
				goto bad;
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p))
					goto bad;
				for (scale = 100; isdigit((unsigned char)*p);
				    p++, scale /= 10)
					ms += (*p - '0') * scale;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			local = 0;
			p++;
			oh = om = 0;
			sign = 1;
		} else if (*p == '+' || *p == '-') {
			local = 0;
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh) == -1 || *p++ != ':' ||
			    digits(&p, 2, &om) == -1 || oh > 23 || om > 59)
				goto bad;
		}
		if (*p != '\0')
			goto bad;
		w = days * DAY + h * 3600 + m * 60 + sec;
		if (!local) {
			*out = (w - sign * (oh * 3600 + om * 60)) * 1000 + ms;
			return 0;
		}
	} else if (*p != '\0')
		goto bad;
	else
		w = days * DAY;
	tz_enter(s->tz, &sv);
	span_build(&sp, w - MARGIN, w + MARGIN);
	t = wall_first(&sp, w);
	tz_leave(&sv);
	if (t == -1)
		return hv_error(err, "\"%s\" cannot be placed in %s", in,
		    s->tz != NULL ? s->tz : "UTC");
	*out = t * 1000 + ms;
	return 0;
bad:
	return hv_error(err, "\"%s\" is not a time: expected RFC 3339 "
	    "(2026-03-29T03:00:00+02:00 or ...Z), a local "
	    "YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD, @SECONDS or now", in);
}
