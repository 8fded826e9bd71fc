/*
 * util.c - growable strings, errors, clocks, units, quoting, hashing.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

char hv_buf_empty[1];

enum hv_log_level hv_log_level = HV_LOG_INFO;
int hv_log_color;

void
hv_buf_init(struct hv_buf *b)
{
	b->s = hv_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void
hv_buf_release(struct hv_buf *b)
{
	if (b == NULL)
		return;
	if (b->cap != 0)
		free(b->s);
	hv_buf_init(b);
}

void
hv_buf_reset(struct hv_buf *b)
{
	b->len = 0;
	if (b->cap != 0)
		b->s[0] = '\0';
}

void
hv_buf_grow(struct hv_buf *b, size_t extra)
{
	size_t	need;

	if (extra > SIZE_MAX - b->len - 1) {
		fprintf(stderr, "havoc: string too long\n");
		abort();
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0) {
		b->cap = need < 64 ? 64 : need;
		b->s = hv_xmalloc(b->cap);
		b->s[0] = '\0';
		return;
	}
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->s = hv_xrealloc(b->s, b->cap);
}

void
hv_buf_add(struct hv_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	hv_buf_grow(b, n);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
hv_buf_puts(struct hv_buf *b, const char *s)
{
	hv_buf_add(b, s, strlen(s));
}

void
hv_buf_putc(struct hv_buf *b, int c)
{
	char	ch = (char)c;

	hv_buf_add(b, &ch, 1);
}

void
hv_buf_vprintf(struct hv_buf *b, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n <= 0)
		return;
	hv_buf_grow(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
hv_buf_printf(struct hv_buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	hv_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
hv_buf_rtrim(struct hv_buf *b)
{
	while (b->len > 0 && isspace((unsigned char)b->s[b->len - 1]))
		b->s[--b->len] = '\0';
}

char *
hv_buf_detach(struct hv_buf *b)
{
	char	*s;

	s = b->cap == 0 ? hv_xstrdup("") : b->s;
	hv_buf_init(b);
	return s;
}

int
hv_error(struct hv_buf *err, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return -1;
	if (err->len != 0)
		hv_buf_puts(err, "; ");
	va_start(ap, fmt);
	hv_buf_vprintf(err, fmt, ap);
	va_end(ap);
	return -1;
}

static void
oom(void)
{
	fprintf(stderr, "havoc: out of memory\n");
	abort();
}

void *
hv_xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		oom();
	return p;
}

void *
hv_xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		oom();
	return p;
}

void *
hv_xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		oom();
	return p;
}

void *
hv_xreallocarray(void *p, size_t n, size_t elem)
{
	if (elem != 0 && n > SIZE_MAX / elem)
		oom();
	return hv_xrealloc(p, n * elem);
}

char *
hv_xstrdup(const char *s)
{
	return hv_xstrndup(s, strlen(s));
}

char *
hv_xstrndup(const char *s, size_t n)
{
	char	*p;

	p = hv_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
hv_xasprintf(const char *fmt, ...)
{
	struct hv_buf	b = HV_BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	hv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return hv_buf_detach(&b);
}

static int64_t
clock_ms(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
hv_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t
hv_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

char *
hv_format_time(int64_t wall_ms, char *buf, size_t len)
{
	time_t		t = (time_t)(wall_ms / 1000);
	struct tm	tm;
	char		tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", tmp, (int)(wall_ms % 1000));
	return buf;
}

/* Reads one number-and-unit group of a duration; returns its length. */
static size_t
duration_part(const char *s, int64_t *ms)
{
	static const struct {
		const char	*unit;
		int64_t		 mult;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	const char	*p = s;
	int64_t		 v = 0;
	double		 f = 0, frac = 0.1;
	int		 digits = 0;
	size_t		 i, ulen;

	/* The whole part stays an integer, so that big values are exact. */
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		digits++;
		if (v > INT64_C(1000000000000))
			return 0;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			f += (*p++ - '0') * frac;
			frac /= 10;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	for (i = 0; i < HV_ARRAY_LEN(units); i++) {
		ulen = strlen(units[i].unit);
		if (strncmp(p, units[i].unit, ulen) != 0)
			continue;
		/* "m" must not swallow the "m" of "ms". */
		if (ulen == 1 && p[0] == 'm' && p[1] == 's')
			continue;
		/* Bounded like the sum in hv_parse_duration(). */
		if (v > INT64_MAX / 2 / units[i].mult)
			return 0;
		*ms = v * units[i].mult +
		    (int64_t)llround(f * (double)units[i].mult);
		return (size_t)(p - s) + ulen;
	}
	return 0;
}

int
hv_parse_duration(const char *s, int64_t *ms)
{
	int64_t	total = 0, part;
	size_t	n;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*s != '\0') {
		if ((n = duration_part(s, &part)) == 0)
			return -1;
		if (total > INT64_MAX / 2 - part)
			return -1;
		total += part;
		s += n;
	}
	*ms = total;
	return 0;
}

int
hv_parse_size(const char *s, uint64_t *bytes)
{
	const char	*p = s;
	uint64_t	 v = 0, mult = 1;
	int		 digits = 0;

	if (s == NULL)
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (v > UINT64_MAX / 10 - 9)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	case 'T':
		mult = 1ULL << 40;
		break;
	default:
		return -1;
	}
	if (*p != '\0') {
		p++;
		if (*p == 'B' || *p == 'i')
			p++;
		if (p[-1] == 'i' && *p == 'B')
			p++;
		if (*p != '\0')
			return -1;
	}
	if (v != 0 && mult > UINT64_MAX / v)
		return -1;
	*bytes = v * mult;
	return 0;
}

char *
hv_format_duration(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%dms", (int)ms);
	else if (ms < 60000)
		/* Truncated: 59999 ms is "59.9s", not "60.0s". */
		snprintf(buf, len, "%d.%ds", (int)(ms / 1000),
		    (int)(ms % 1000 / 100));
	else if (ms < 3600000)
		snprintf(buf, len, "%dm%02ds", (int)(ms / 60000),
		    (int)(ms % 60000 / 1000));
	else
		snprintf(buf, len, "%dh%02dm", (int)(ms / 3600000),
		    (int)(ms % 3600000 / 60000));
	return buf;
}

int
hv_parse_int(const char *s, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
hv_parse_num(const char *s, double *out)
{
	char	*end;
	double	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int
hv_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "True",
	    "TRUE", "Yes", "YES", "On", "ON" };
	static const char *const no[] = { "false", "no", "off", "False",
	    "FALSE", "No", "NO", "Off", "OFF" };
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < HV_ARRAY_LEN(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

void
hv_shell_quote(struct hv_buf *b, const char *s)
{
	const char	*p;
	int		 safe = *s != '\0';

	for (p = s; *p != '\0' && safe; p++) {
		if (!isalnum((unsigned char)*p) &&
		    strchr("@%+=:,./_-", *p) == NULL)
			safe = 0;
	}
	/* A word starting with '-' is safe for the shell, not for tools. */
	if (safe) {
		hv_buf_puts(b, s);
		return;
	}
	hv_buf_putc(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			hv_buf_puts(b, "'\\''");
		else
			hv_buf_putc(b, *p);
	}
	hv_buf_putc(b, '\'');
}

size_t
hv_edit_distance(const char *a, const char *b, size_t max)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, best;
	size_t	*prev, *cur, *tmp, d;

	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	prev = hv_xcalloc(lb + 1, sizeof *prev);
	cur = hv_xcalloc(lb + 1, sizeof *cur);
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		best = cur[0];
		for (j = 1; j <= lb; j++) {
			d = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
			if (d < best)
				best = d;
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
		if (best > max)
			break;
	}
	d = i > la ? prev[lb] : max + 1;
	free(prev);
	free(cur);
	return d > max ? max + 1 : d;
}

int
hv_read_file(const char *path, struct hv_buf *out, struct hv_buf *err)
{
	char	buf[8192];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return hv_error(err, "%s: %s", path, strerror(errno));
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			hv_error(err, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		hv_buf_add(out, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

/* SHA-256 (FIPS 180-4), small and only for file fingerprints. */
static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void
sha_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t	w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int		i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[i * 4] << 24 | (uint32_t)p[i * 4 + 1] << 16 |
		    (uint32_t)p[i * 4 + 2] << 8 | p[i * 4 + 3];
	for (i = 16; i < 64; i++)
		w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
		    (w[i - 2] >> 10)) + w[i - 7] + (ROR(w[i - 15], 7) ^
		    ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		    ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void
hv_sha256_hex(const void *data, size_t len, char hex[65])
{
	uint32_t		 h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
	    0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const unsigned char	*p = data;
	unsigned char		 tail[128];
	size_t			 rest, tlen, i;
	uint64_t		 bits = (uint64_t)len * 8;

	for (i = 0; i + 64 <= len; i += 64)
		sha_block(h, p + i);
	rest = len - i;
	memset(tail, 0, sizeof tail);
	if (rest > 0)
		memcpy(tail, p + i, rest);
	tail[rest] = 0x80;
	tlen = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha_block(h, tail);
	if (tlen == 128)
		sha_block(h, tail + 64);
	for (i = 0; i < 8; i++)
		snprintf(hex + i * 8, 9, "%08x", h[i]);
}

static void
vlog(const char *prefix, const char *color, const char *fmt, va_list ap)
{
	struct hv_buf	b = HV_BUF_INIT;

	if (hv_log_color && color != NULL)
		hv_buf_printf(&b, "\033[%sm%s\033[0m", color, prefix);
	else
		hv_buf_puts(&b, prefix);
	hv_buf_vprintf(&b, fmt, ap);
	hv_buf_putc(&b, '\n');
	fwrite(b.s, 1, b.len, stderr);
	fflush(stderr);
	hv_buf_release(&b);
}

void
hv_log(const char *fmt, ...)
{
	va_list	ap;

	if (hv_log_level < HV_LOG_INFO)
		return;
	va_start(ap, fmt);
	vlog("", NULL, fmt, ap);
	va_end(ap);
}

void
hv_debug(const char *fmt, ...)
{
	va_list	ap;

	if (hv_log_level < HV_LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog("debug: ", "2", fmt, ap);
	va_end(ap);
}

void
hv_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog("havoc: warning: ", "33", fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
size_t
hv_utf8_len(const unsigned char *p, size_t n)
{
	uint32_t	cp;
	size_t		len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}
