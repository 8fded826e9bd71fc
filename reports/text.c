/*
 * text.c - the report model for a terminal (`havoc show`, `havoc report`
 * with no file). Text from the outside world is made safe for a terminal:
 * control characters never reach it, so a probe's output cannot move the
 * cursor or retitle the window.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* Appends s with control characters shown as '?' and long text cut. */
static void
put_clean(struct hv_buf *b, const char *s, size_t max)
{
	size_t	n = 0, start = b->len;

	if (s == NULL || *s == '\0') {
		hv_buf_putc(b, '-');
		return;
	}
	for (; *s != '\0'; s++, n++) {
		if (max > 0 && n == max) {
			hv_buf_puts(b, "...");
			break;
		}
		if (*s == '\n' || *s == '\t' || *s == '\r')
			hv_buf_putc(b, ' ');
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			hv_buf_putc(b, '?');
		else
			hv_buf_putc(b, *s);
	}
	(void)start;
}

/* Appends s cleaned and padded to width columns (bytes, roughly). */
static void
put_col(struct hv_buf *b, const char *s, size_t width)
{
	size_t	start = b->len;

	put_clean(b, s, width > 3 ? 60 : 0);
	while (b->len - start < width)
		hv_buf_putc(b, ' ');
	hv_buf_putc(b, ' ');
}

/* The time of day of t, enough within one run. */
static const char *
clock(int64_t t, char *buf, size_t len)
{
	char	full[40];

	if (t == 0)
		return "-";
	hv_format_time(t, full, sizeof full);
	snprintf(buf, len, "%s", full + 11);
	buf[12 < len ? 12 : len - 1] = '\0';
	return buf;
}

static void
put_run(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i, j;
	char	t[40], d[32], d2[32];

	hv_buf_printf(b, "run %" PRId64 ": ", x->id);
	put_clean(b, x->experiment, 0);
	hv_buf_puts(b, "\n  outcome:  ");
	hv_buf_puts(b, hv_report_outcome_words(x->outcome));
	if (x->reason != NULL) {
		hv_buf_puts(b, ": ");
		put_clean(b, x->reason, 0);
	}
	hv_buf_puts(b, "\n  file:     ");
	put_clean(b, x->file, 0);
	hv_buf_puts(b, "\n  seed:     ");
	put_clean(b, x->seed, 0);
	hv_buf_printf(b, "\n  started:  %s", hv_report_time(x->started_at, t,
	    sizeof t));
	if (x->ended_at != 0)
		hv_buf_printf(b, " (took %s)", hv_report_ms(x->ended_at -
		    x->started_at, d, sizeof d));
	hv_buf_puts(b, "\n  status:   ");
	put_clean(b, x->status, 0);
	if (x->deviated)
		hv_buf_puts(b, " (deviated)");
	if (x->ntags > 0) {
		hv_buf_puts(b, "\n  tags:     ");
		for (i = 0; i < x->ntags; i++) {
			if (i > 0)
				hv_buf_puts(b, ", ");
			put_clean(b, x->tags[i], 0);
		}
	}
	hv_buf_putc(b, '\n');
	if (x->nsteps > 0)
		hv_buf_puts(b, "\nsteps:\n");
	for (i = 0; i < x->nsteps; i++) {
		const struct hv_report_step	*p = &x->steps[i];

		hv_buf_puts(b, "  ");
		put_col(b, clock(p->started_at, t, sizeof t), 12);
		put_col(b, p->phase, 13);
		put_col(b, p->status, 9);
		put_col(b, p->name, 24);
		put_col(b, p->target, 10);
		put_col(b, p->ended_at ? hv_report_ms(p->ended_at -
		    p->started_at, d, sizeof d) : "-", 8);
		if (p->batch > 0)
			hv_buf_printf(b, "batch %d: ", p->batch);
		put_clean(b, p->error != NULL ? p->error : p->output != NULL &&
		    p->batch > 0 ? p->output : p->detail, 120);
		hv_buf_putc(b, '\n');
	}
	for (i = 0; i < x->nseries; i++) {
		const struct hv_report_series	*s = &x->series[i];

		if (i == 0)
			hv_buf_puts(b, "\nsamples:\n");
		hv_buf_puts(b, "  ");
		put_clean(b, s->probe, 0);
		hv_buf_printf(b, ": %" PRId64 " samples (%" PRId64 " failed)",
		    s->samples, s->failed);
		if (s->hi >= 0)
			hv_buf_printf(b, ", latency %s to %s",
			    hv_report_ms((int64_t)s->lo, d, sizeof d),
			    hv_report_ms((int64_t)s->hi, d2, sizeof d2));
		hv_buf_putc(b, '\n');
		for (j = 0; j < s->nwindows; j++) {
			const struct hv_report_window	*w = &s->windows[j];

			hv_buf_printf(b, "    FAIL %s", clock(w->from, t,
			    sizeof t));
			hv_buf_printf(b, " to %s  %" PRId64 " sample%s  ",
			    clock(w->to, d, sizeof d), w->n,
			    w->n == 1 ? "" : "s");
			if (w->target != NULL) {
				put_clean(b, w->target, 40);
				hv_buf_puts(b, ": ");
			}
			put_clean(b, w->error, 120);
			hv_buf_putc(b, '\n');
		}
		if (s->more_windows > 0)
			hv_buf_printf(b, "    and %" PRId64 " more failing "
			    "stretches\n", s->more_windows);
	}
	if (x->nfigures > 0)
		hv_buf_puts(b, "\nfigures:\n");
	for (i = 0; i < x->nfigures; i++) {
		const struct hv_report_figure	*g = &x->figures[i];

		hv_buf_puts(b, "  ");
		put_col(b, g->probe, 16);
		put_col(b, g->state, 14);
		hv_buf_printf(b, "time to recover %-8s (%" PRId64 " of %"
		    PRId64 " failed)\n", hv_report_ms(g->ttr_ms, d, sizeof d),
		    g->failures, g->samples);
	}
	if (x->nfaults > 0)
		hv_buf_puts(b, "\nfaults and reverts:\n");
	for (i = 0; i < x->nfaults; i++) {
		const struct hv_report_fault	*f = &x->faults[i];

		hv_buf_printf(b, "  #%-4" PRId64 " ", f->id);
		put_col(b, f->state, 14);
		put_col(b, f->target, 10);
		put_clean(b, f->inject, 120);
		hv_buf_puts(b, "\n        revert: ");
		put_clean(b, f->revert, 120);
		if (f->reverted_at != 0)
			hv_buf_printf(b, " (at %s)", clock(f->reverted_at, t,
			    sizeof t));
		if (f->error != NULL) {
			hv_buf_puts(b, "\n        error: ");
			put_clean(b, f->error, 200);
		}
		hv_buf_putc(b, '\n');
	}
	if (x->nalerts > 0)
		hv_buf_puts(b, "\nalerts:\n");
	for (i = 0; i < x->nalerts; i++) {
		const struct hv_report_alert	*a = &x->alerts[i];

		hv_buf_puts(b, "  ");
		put_col(b, a->name, 24);
		put_col(b, a->state, 9);
		hv_buf_printf(b, "time to detect %-8s within %s\n",
		    hv_report_ms(a->ttd_ms, d, sizeof d),
		    hv_report_ms(a->within_ms, d2, sizeof d2));
	}
}

static void
put_summary(struct hv_buf *b, const struct hv_report *r)
{
	size_t	i;
	char	t[40], d[32], d2[32];

	put_clean(b, r->title, 0);
	hv_buf_puts(b, "\n\n");
	put_clean(b, r->verdict, 0);
	hv_buf_putc(b, '\n');
	if (r->score >= 0)
		hv_buf_printf(b, "resilience score: %.0f%% (%zu of %zu "
		    "finished runs held)", r->score, r->held, r->nfinished);
	else
		hv_buf_puts(b, "resilience score: - (no finished run)");
	if (r->score_before >= 0 && r->before_label != NULL)
		hv_buf_printf(b, "; %.0f%% in %s", r->score_before,
		    r->before_label);
	hv_buf_printf(b, "\n  %s\n", HV_REPORT_SCORE_FORMULA);
	hv_buf_printf(b, "time to detect: median %s, worst %s (%zu alert%s)\n",
	    hv_report_ms(r->ttd.median, d, sizeof d), hv_report_ms(
	    r->ttd.worst, d2, sizeof d2), r->ttd.n, r->ttd.n == 1 ? "" : "s");
	hv_buf_printf(b, "time to recover: median %s, worst %s (%zu "
	    "probe%s)", hv_report_ms(r->ttr.median, d, sizeof d),
	    hv_report_ms(r->ttr.worst, d2, sizeof d2), r->ttr.n,
	    r->ttr.n == 1 ? "" : "s");
	if (r->not_recovered > 0)
		hv_buf_printf(b, "; %zu did not recover", r->not_recovered);
	hv_buf_putc(b, '\n');
	if (r->nfindings > 0)
		hv_buf_puts(b, "\nto fix (newest first):\n");
	for (i = 0; i < r->nfindings; i++) {
		const struct hv_report_finding	*f = &r->findings[i];

		hv_buf_printf(b, "  - %s: ", hv_report_kind_words(f->kind));
		put_clean(b, f->text, 200);
		hv_buf_puts(b, " [");
		put_clean(b, f->experiment, 60);
		if (f->count > 1)
			hv_buf_printf(b, "; %zu times", f->count);
		if (f->last_run > 0)
			hv_buf_printf(b, "; %srun %" PRId64, f->count > 1 ?
			    "last in " : "", f->last_run);
		hv_buf_puts(b, "]\n");
	}
	if (r->nstale > 0)
		hv_buf_printf(b, "\nnot run in the last %s:\n",
		    hv_report_span(r->stale_ms, d, sizeof d));
	for (i = 0; i < r->nstale; i++) {
		hv_buf_puts(b, "  - ");
		put_clean(b, r->stale[i].experiment, 80);
		hv_buf_printf(b, " (last run %s)\n", hv_report_date(
		    r->stale[i].last_at, t, sizeof t));
	}
	hv_buf_printf(b, "\nruns (%zu):\n", r->nruns);
	for (i = 0; i < r->nruns; i++) {
		const struct hv_report_run	*x = &r->runs[i];

		hv_buf_printf(b, "  %-6" PRId64 " %-20.20s ", x->id,
		    hv_report_time(x->started_at, t, sizeof t));
		put_col(b, hv_report_outcome_words(x->outcome), 15);
		put_clean(b, x->experiment, 60);
		hv_buf_putc(b, '\n');
	}
}

static int
text_write(const struct hv_report *r, struct hv_buf *out,
    struct hv_buf *err)
{
	size_t	i;
	int	first = 1;

	(void)err;
	if (r->kind != HV_REPORT_RUN)
		put_summary(out, r);
	for (i = 0; i < r->nruns; i++) {
		if (!r->runs[i].detailed)
			continue;
		if (r->kind != HV_REPORT_RUN || !first)
			hv_buf_putc(out, '\n');
		first = 0;
		put_run(out, &r->runs[i]);
	}
	return 0;
}

const struct hv_report_format hv_report_text = {
	.name = "text",
	.exts = ".txt .text",
	.summary = "for a terminal (havoc show)",
	.write = text_write,
};
