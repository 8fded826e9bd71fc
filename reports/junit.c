/*
 * junit.c - the report as JUnit XML, so that a CI pipeline can gate a
 * release on an experiment.
 *
 * The Ant/Jenkins layout every CI reads: <testsuites>, one <testsuite>
 * per game day (runs outside a game day share one suite), one <testcase>
 * per experiment run. A deviation is a <failure> (the hypothesis was
 * tested and did not hold); an aborted, interrupted or failed-rollback
 * run is an <error> (the test could not conclude, or left faults behind);
 * a run still going is <skipped>. The message is the run's reason, the
 * body lists what the report says to fix. tests/junit/junit.xsd checks
 * the shape in the tests.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

static void
attr(struct hv_buf *b, const char *name, const char *value)
{
	hv_buf_printf(b, " %s=\"", name);
	hv_report_put_xml(b, value);
	hv_buf_putc(b, '"');
}

static void
attr_num(struct hv_buf *b, const char *name, size_t v)
{
	hv_buf_printf(b, " %s=\"%zu\"", name, v);
}

/* Seconds with milliseconds, as the format wants them. */
static void
attr_secs(struct hv_buf *b, const char *name, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	hv_buf_printf(b, " %s=\"%" PRId64 ".%03d\"", name, ms / 1000,
	    (int)(ms % 1000));
}

/* A local-less ISO 8601 time (UTC), as Ant writes it. */
static void
attr_stamp(struct hv_buf *b, const char *name, int64_t t)
{
	time_t		s = (time_t)(t / 1000);
	struct tm	tm;
	char		buf[32];

	if (t == 0 || gmtime_r(&s, &tm) == NULL)
		return;
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	attr(b, name, buf);
}

static const char *
element_of(const char *outcome)
{
	if (strcmp(outcome, "held") == 0)
		return NULL;
	if (strcmp(outcome, "deviated") == 0)
		return "failure";
	if (strcmp(outcome, "running") == 0)
		return "skipped";
	return "error";
}

/* The run's part of what to fix, for the body of a failure. */
static void
why(struct hv_buf *b, const struct hv_report *r,
    const struct hv_report_run *x)
{
	size_t	i;

	if (x->reason != NULL) {
		hv_report_put_xml(b, x->reason);
		hv_buf_putc(b, '\n');
	}
	for (i = 0; i < r->nfindings; i++) {
		if (r->findings[i].last_run != x->id)
			continue;
		hv_report_put_xml(b, r->findings[i].text);
		hv_buf_putc(b, '\n');
	}
	for (i = 0; i < x->nalerts; i++) {
		if (strcmp(x->alerts[i].state, "missed") != 0)
			continue;
		hv_buf_puts(b, "missed alert: ");
		hv_report_put_xml(b, x->alerts[i].name);
		hv_buf_putc(b, '\n');
	}
	for (i = 0; i < x->nfigures; i++) {
		if (strcmp(x->figures[i].state, "not_recovered") != 0)
			continue;
		hv_buf_puts(b, "not recovered: ");
		hv_report_put_xml(b, x->figures[i].probe);
		hv_buf_putc(b, '\n');
	}
}

/* The last path component of a file, without its .yaml or .yml. */
static void
put_class(struct hv_buf *b, const char *file)
{
	const char	*base, *dot;
	char		*s;

	if (file == NULL) {
		hv_buf_puts(b, "havoc");
		return;
	}
	base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
	dot = strrchr(base, '.');
	s = dot != NULL && dot != base ? hv_xstrndup(base,
	    (size_t)(dot - base)) : hv_xstrdup(base);
	hv_buf_puts(b, "havoc.");
	hv_report_put_xml(b, s);
	free(s);
}

static void
testcase(struct hv_buf *b, const struct hv_report *r,
    const struct hv_report_run *x)
{
	const char	*el = element_of(x->outcome);
	char		*name;

	name = hv_xasprintf("%s (run %" PRId64 ")", x->experiment, x->id);
	hv_buf_puts(b, "    <testcase");
	attr(b, "name", name);
	hv_buf_puts(b, " classname=\"");
	put_class(b, x->file);
	hv_buf_putc(b, '"');
	attr_secs(b, "time", x->ended_at ? x->ended_at - x->started_at : 0);
	free(name);
	if (el == NULL) {
		hv_buf_puts(b, "/>\n");
		return;
	}
	hv_buf_printf(b, ">\n      <%s", el);
	attr(b, "message", x->reason != NULL ? x->reason :
	    hv_report_outcome_words(x->outcome));
	attr(b, "type", x->outcome);
	hv_buf_puts(b, ">");
	why(b, r, x);
	hv_buf_printf(b, "</%s>\n    </testcase>\n", el);
}

/* A game-day slot that did not run, as a skipped test case. */
static void
skipped_slot(struct hv_buf *b, const struct hv_report_skip *k)
{
	char	t[40], *name;

	name = hv_xasprintf("%s at %s", k->name, hv_report_time(
	    k->scheduled_at, t, sizeof t));
	hv_buf_puts(b, "    <testcase");
	attr(b, "name", name);
	attr(b, "classname", "havoc.gameday");
	hv_buf_puts(b, " time=\"0.000\">\n      <skipped");
	attr(b, "message", k->detail != NULL ? k->detail : k->reason);
	attr(b, "type", k->reason);
	hv_buf_puts(b, "/>\n    </testcase>\n");
	free(name);
}

/* One suite: the runs with game day id gd (0: runs outside one). */
static void
suite(struct hv_buf *b, const struct hv_report *r, int64_t gd)
{
	size_t	i, tests = 0, failures = 0, errors = 0, skipped = 0;
	int64_t	first = 0, last = 0;
	char	*name;

	for (i = 0; i < r->nruns; i++) {
		const struct hv_report_run	*x = &r->runs[i];
		const char			*el;

		if (x->gameday != gd)
			continue;
		tests++;
		if ((el = element_of(x->outcome)) != NULL) {
			failures += strcmp(el, "failure") == 0;
			errors += strcmp(el, "error") == 0;
			skipped += strcmp(el, "skipped") == 0;
		}
		if (first == 0)
			first = x->started_at;
		if (x->ended_at > last)
			last = x->ended_at;
	}
	if (r->gameday != NULL && r->gameday->id == gd) {
		tests += r->nskips;
		skipped += r->nskips;
	}
	if (r->gameday != NULL && r->gameday->id == gd)
		name = hv_xasprintf("game day %s", r->gameday->name);
	else if (gd != 0)
		name = hv_xasprintf("game day %" PRId64, gd);
	else
		name = hv_xstrdup(r->title);
	hv_buf_puts(b, "  <testsuite");
	attr(b, "name", name);
	attr_num(b, "tests", tests);
	attr_num(b, "failures", failures);
	attr_num(b, "errors", errors);
	attr_num(b, "skipped", skipped);
	attr_secs(b, "time", last > first ? last - first : 0);
	attr_stamp(b, "timestamp", first);
	hv_buf_puts(b, ">\n");
	free(name);
	for (i = 0; i < r->nruns; i++)
		if (r->runs[i].gameday == gd)
			testcase(b, r, &r->runs[i]);
	for (i = 0; r->gameday != NULL && r->gameday->id == gd &&
	    i < r->nskips; i++)
		skipped_slot(b, &r->skips[i]);
	hv_buf_puts(b, "  </testsuite>\n");
}

static int
seen_before(const struct hv_report *r, size_t i)
{
	size_t	j;

	for (j = 0; j < i; j++)
		if (r->runs[j].gameday == r->runs[i].gameday)
			return 1;
	return 0;
}

static int
junit_write(const struct hv_report *r, struct hv_buf *out,
    struct hv_buf *err)
{
	size_t	i, failures = 0, errors = 0, skipped = 0;
	int64_t	span = 0;

	(void)err;
	for (i = 0; i < r->nruns; i++) {
		const char	*el = element_of(r->runs[i].outcome);

		if (el == NULL)
			continue;
		failures += strcmp(el, "failure") == 0;
		errors += strcmp(el, "error") == 0;
		skipped += strcmp(el, "skipped") == 0;
	}
	if (r->nruns > 0 && r->runs[r->nruns - 1].ended_at > 0)
		span = r->runs[r->nruns - 1].ended_at - r->runs[0].started_at;
	hv_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites");
	attr(out, "name", r->title);
	attr_num(out, "tests", r->nruns + (r->gameday != NULL ? r->nskips :
	    0));
	attr_num(out, "failures", failures);
	attr_num(out, "errors", errors);
	attr_secs(out, "time", span);
	hv_buf_puts(out, ">\n");
	/* Suites in the order of their first run. */
	for (i = 0; i < r->nruns; i++)
		if (!seen_before(r, i))
			suite(out, r, r->runs[i].gameday);
	if (r->nruns == 0) {
		hv_buf_puts(out, "  <testsuite");
		attr(out, "name", r->title);
		hv_buf_puts(out, " tests=\"0\" failures=\"0\" errors=\"0\" "
		    "skipped=\"0\"/>\n");
	}
	hv_buf_puts(out, "</testsuites>\n");
	(void)skipped;
	return 0;
}

const struct hv_report_format hv_report_junit = {
	.name = "junit",
	.exts = ".xml .junit",
	.summary = "JUnit XML for CI: a test case per run, a suite per game "
	    "day",
	.write = junit_write,
};
