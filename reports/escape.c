/*
 * escape.c - what the formats share: valid UTF-8, escaping for HTML and
 * XML, and the words and units a report shows people.
 *
 * Escaping is the one defence of the HTML report against what the outside
 * world wrote (probe output, host names, errors, titles, tags): every
 * such string goes through hv_report_put_html(), which leaves no byte that
 * can open a tag, an entity or an attribute, so it can never become markup.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"

char *
hv_report_strdup(const char *s)
{
	struct hv_buf	 b = HV_BUF_INIT;
	size_t		 n, i, len;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	for (i = 0; i < n; i += len == 0 ? 1 : len) {
		len = hv_utf8_len((const unsigned char *)s + i, n - i);
		if (len == 0)
			hv_buf_puts(&b, "\xef\xbf\xbd");
		else
			hv_buf_add(&b, s + i, len);
	}
	if (b.cap == 0)
		return hv_xstrdup("");
	return hv_buf_detach(&b);
}

/*
 * Escapes the five characters that mean something in markup, and drops
 * the control characters that XML 1.0 cannot carry (HTML shows them as
 * nothing useful either). Tabs and newlines stay.
 */
static void
put_markup(struct hv_buf *b, const char *s)
{
	const unsigned char	*p;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			hv_buf_puts(b, "&amp;");
			break;
		case '<':
			hv_buf_puts(b, "&lt;");
			break;
		case '>':
			hv_buf_puts(b, "&gt;");
			break;
		case '"':
			hv_buf_puts(b, "&quot;");
			break;
		case '\'':
			hv_buf_puts(b, "&#39;");
			break;
		case '\t':
		case '\n':
			hv_buf_putc(b, *p);
			break;
		case '\r':
			hv_buf_puts(b, "&#13;");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				hv_buf_putc(b, '?');
			else
				hv_buf_putc(b, *p);
		}
	}
}

void
hv_report_put_html(struct hv_buf *b, const char *s)
{
	put_markup(b, s);
}

void
hv_report_put_xml(struct hv_buf *b, const char *s)
{
	put_markup(b, s);
}

const char *
hv_report_outcome_words(const char *outcome)
{
	static const struct {
		const char	*outcome, *words;
	} words[] = {
		{ "held", "Held" },
		{ "deviated", "Deviated" },
		{ "aborted", "Aborted" },
		{ "rollback_failed", "Rollback failed" },
		{ "interrupted", "Interrupted" },
		{ "running", "Running" },
	};
	size_t	i;

	for (i = 0; outcome != NULL && i < HV_ARRAY_LEN(words); i++)
		if (strcmp(words[i].outcome, outcome) == 0)
			return words[i].words;
	return outcome != NULL ? outcome : "-";
}

const char *
hv_report_kind_words(const char *kind)
{
	static const struct {
		const char	*kind, *words;
	} words[] = {
		{ "monitoring_gap", "Monitoring gap" },
		{ "alert_not_paged", "Alert not paged" },
		{ "not_recovered", "Did not recover" },
		{ "rollback_failed", "Rollback failed" },
		{ "deviation", "Deviation" },
		{ "aborted", "Aborted" },
		{ "interrupted", "Interrupted" },
		{ "drift", "Drift" },
		{ "skipped", "Game day skipped" },
	};
	size_t	i;

	for (i = 0; i < HV_ARRAY_LEN(words); i++)
		if (strcmp(words[i].kind, kind) == 0)
			return words[i].words;
	return kind;
}

const char *
hv_report_level_name(enum hv_report_level l)
{
	switch (l) {
	case HV_LEVEL_OK:
		return "ok";
	case HV_LEVEL_WARN:
		return "warn";
	case HV_LEVEL_BAD:
		return "bad";
	default:
		return "none";
	}
}

const char *
hv_report_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		return "-";
	return hv_format_duration(ms, buf, len);
}

const char *
hv_report_span(int64_t ms, char *buf, size_t len)
{
	int64_t	day = 86400000, hour = 3600000;

	if (ms >= day && ms % day == 0)
		snprintf(buf, len, "%lld day%s", (long long)(ms / day),
		    ms == day ? "" : "s");
	else if (ms >= hour && ms % hour == 0)
		snprintf(buf, len, "%lld hour%s", (long long)(ms / hour),
		    ms == hour ? "" : "s");
	else
		hv_format_duration(ms, buf, len);
	return buf;
}

const char *
hv_report_time(int64_t t, char *buf, size_t len)
{
	time_t		s = (time_t)(t / 1000);
	struct tm	tm;

	if (t == 0 || gmtime_r(&s, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

const char *
hv_report_date(int64_t t, char *buf, size_t len)
{
	time_t		s = (time_t)(t / 1000);
	struct tm	tm;

	if (t == 0 || gmtime_r(&s, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%d", &tm);
	return buf;
}
