/*
 * svg.c - the charts of the HTML report, as inline SVG: no script, no
 * external file, scaled by their viewBox so they fit a phone and print.
 *
 * A timeline draws one watched probe of one run: per bucket a bar from
 * the lowest to the highest latency seen in it (the extremes survive any
 * number of samples), a red strip under the buckets that had failures,
 * the fault windows shaded, and the alerts marked where they fired (or
 * where they should have, when they did not).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* The timeline's geometry, in viewBox units. */
#define W	960
#define H	210
#define X0	56
#define X1	944
#define Y0	24	/* top of the latency plot */
#define Y1	150	/* its bottom: latency 0 */
#define FY	158	/* the failure strip */
#define FH	12
#define AXIS	190

/* x of time t. */
static double
xt(const struct hv_report_run *x, int64_t t)
{
	double	span = (double)(x->chart_to - x->chart_from);

	if (t < x->chart_from)
		t = x->chart_from;
	if (t > x->chart_to)
		t = x->chart_to;
	return X0 + (X1 - X0) * (double)(t - x->chart_from) / span;
}

/* A round upper bound for a latency axis: 1, 2 or 5 times a power of 10. */
static double
nice_max(double v)
{
	double	p, m;

	if (v <= 0)
		return 1;
	p = pow(10, floor(log10(v)));
	m = v / p;
	if (m <= 1)
		return p;
	if (m <= 2)
		return 2 * p;
	if (m <= 5)
		return 5 * p;
	return 10 * p;
}

static void
put_ms_label(struct hv_buf *b, double ms)
{
	char	d[32];

	hv_buf_puts(b, hv_report_ms((int64_t)ms, d, sizeof d));
}

/* Shades the fault windows of the run; every fault, on every target. */
static void
faults(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i;
	int64_t	from, to;
	char	d[32];

	for (i = 0; i < x->nfaults; i++) {
		const struct hv_report_fault	*f = &x->faults[i];

		from = f->injected_at ? f->injected_at : f->created_at;
		to = f->reverted_at ? f->reverted_at : x->chart_to;
		hv_buf_printf(b, "<rect class=\"fault\" x=\"%.1f\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%d\"><title>fault: ",
		    xt(x, from), Y0, fmax(xt(x, to) - xt(x, from), 1.5),
		    FY + FH - Y0);
		hv_report_put_html(b, f->inject);
		if (f->target != NULL) {
			hv_buf_puts(b, " on ");
			hv_report_put_html(b, f->target);
		}
		hv_buf_printf(b, " (%s, %s)</title></rect>\n", f->state,
		    f->reverted_at ? hv_report_ms(to - from, d, sizeof d) :
		    "not reverted");
	}
}

/* Marks when each alert fired, or the deadline it missed. */
static void
alerts(struct hv_buf *b, const struct hv_report_run *x)
{
	size_t	i;
	double	px;
	int64_t	at;
	char	d[32];
	int	missed;

	for (i = 0; i < x->nalerts; i++) {
		const struct hv_report_alert	*a = &x->alerts[i];

		/* An alert not evaluated (nothing changed) has no mark. */
		if (a->fired_at == 0 && strcmp(a->state, "missed") != 0)
			continue;
		missed = a->fired_at == 0;
		at = missed ? (a->injected_at ? a->injected_at +
		    a->within_ms : 0) : a->fired_at;
		if (at == 0)
			continue;
		px = xt(x, at);
		hv_buf_printf(b, "<g class=\"%s\"><line x1=\"%.1f\" y1=\"%d\" "
		    "x2=\"%.1f\" y2=\"%d\"/><text x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"%s\">", missed ? "alert missed" : "alert",
		    px, Y0 - 6, px, FY + FH, px, Y0 - 10,
		    px > (X0 + X1) / 2 ? "end" : "start");
		hv_buf_puts(b, missed ? "\xe2\x9c\x97 " : "\xe2\x97\x86 ");
		hv_report_put_html(b, a->name);
		if (missed)
			hv_buf_puts(b, ": not fired by its deadline");
		else
			hv_buf_printf(b, " (%s)", hv_report_ms(a->ttd_ms, d,
			    sizeof d));
		hv_buf_puts(b, "</text></g>\n");
	}
}

/* Time labels along the bottom, from the start of the run. */
static void
axis(struct hv_buf *b, const struct hv_report_run *x, double ymax)
{
	int64_t	span = x->chart_to - x->chart_from;
	char	d[32];
	int	i;

	hv_buf_printf(b, "<g class=\"axis\"><line x1=\"%d\" y1=\"%d\" "
	    "x2=\"%d\" y2=\"%d\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\"/>", X0, Y1, X1, Y1, X0, Y0, X0, Y1);
	hv_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
	    X0 - 6, Y0 + 4);
	put_ms_label(b, ymax);
	hv_buf_printf(b, "</text><text x=\"%d\" y=\"%d\" "
	    "text-anchor=\"end\">0</text>", X0 - 6, Y1 + 4);
	hv_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
	    "failed</text>", X0 - 6, FY + FH - 2);
	for (i = 0; i <= 4; i++) {
		int64_t	t = x->chart_from + span * i / 4;

		hv_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"%s\">+%s</text>", xt(x, t), AXIS,
		    i == 0 ? "start" : i == 4 ? "end" : "middle",
		    hv_format_duration(t - x->chart_from, d, sizeof d));
	}
	hv_buf_puts(b, "</g>\n");
}

void
hv_report_svg_timeline(struct hv_buf *b, const struct hv_report_run *x,
    const struct hv_report_series *s)
{
	double	ymax, bw, px, ylo, yhi;
	size_t	i;
	int	any = 0;

	ymax = nice_max(s->hi);
	bw = (double)(X1 - X0) / HV_REPORT_BUCKETS;
	hv_buf_printf(b, "<svg class=\"timeline\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>", W, H);
	hv_report_put_html(b, s->probe);
	hv_buf_printf(b, ": %" PRId64 " samples, %" PRId64 " failed; latency "
	    "low to high per %s bucket, faults shaded, alerts marked</title>\n",
	    s->samples, s->failed, HV_REPORT_BUCKETS > 0 ? "time" : "");
	faults(b, x);
	axis(b, x, ymax);
	/* Latency: one bar per bucket from its lowest to its highest. */
	for (i = 0; i < HV_REPORT_BUCKETS; i++) {
		const struct hv_report_bucket	*k = &s->b[i];

		if (k->n == 0 || k->hi < 0)
			continue;
		if (!any)
			hv_buf_printf(b, "<path class=\"lat\" "
			    "stroke-width=\"%.2f\" d=\"", fmax(bw, 1.2));
		any = 1;
		px = X0 + bw * ((double)i + 0.5);
		ylo = Y1 - (Y1 - Y0) * fmin(k->lo / ymax, 1);
		yhi = Y1 - (Y1 - Y0) * fmin(k->hi / ymax, 1);
		/* A bar at least a pixel tall, so that a point shows. */
		if (ylo - yhi < 1.5)
			ylo = yhi + 1.5;
		hv_buf_printf(b, "M%.1f %.1fV%.1f", px, ylo, yhi);
	}
	if (any)
		hv_buf_puts(b, "\"/>\n");
	/* Failures: the strip, darker as more of a bucket failed. */
	for (i = 0; i < HV_REPORT_BUCKETS; i++) {
		const struct hv_report_bucket	*k = &s->b[i];

		if (k->failed == 0)
			continue;
		hv_buf_printf(b, "<rect class=\"fail\" x=\"%.1f\" y=\"%d\" "
		    "width=\"%.2f\" height=\"%d\" fill-opacity=\"%.2f\">"
		    "<title>%d of %d failed</title></rect>",
		    X0 + bw * (double)i, FY, fmax(bw, 1.2), FH,
		    0.35 + 0.65 * k->failed / k->n, (int)k->failed,
		    (int)k->n);
	}
	alerts(b, x);
	hv_buf_puts(b, "</svg>\n");
}

void
hv_report_svg_spark(struct hv_buf *b, const double *v, size_t n,
    double max, const char *label)
{
	double	px, py, w = 200, h = 44, pad = 4;
	size_t	i;
	int	pen = 0;

	hv_buf_printf(b, "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>", w, h);
	hv_report_put_html(b, label);
	hv_buf_puts(b, "</title>");
	if (max <= 0)
		max = 1;
	hv_buf_printf(b, "<line class=\"base\" x1=\"0\" y1=\"%.1f\" "
	    "x2=\"%.0f\" y2=\"%.1f\"/>", h - pad, w, h - pad);
	hv_buf_puts(b, "<path d=\"");
	for (i = 0; i < n; i++) {
		if (v[i] < 0) {
			pen = 0;
			continue;
		}
		px = n > 1 ? pad + (w - 2 * pad) * (double)i / (double)(n - 1) :
		    w / 2;
		py = h - pad - (h - 2 * pad) * fmin(v[i] / max, 1);
		hv_buf_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', px, py);
		pen = 1;
	}
	hv_buf_puts(b, "\"/>");
	for (i = 0; i < n; i++) {
		if (v[i] < 0)
			continue;
		px = n > 1 ? pad + (w - 2 * pad) * (double)i / (double)(n - 1) :
		    w / 2;
		py = h - pad - (h - 2 * pad) * fmin(v[i] / max, 1);
		hv_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"/>",
		    px, py, i + 1 == n ? "3" : "1.8");
	}
	hv_buf_puts(b, "</svg>");
}
