/*
 * hostcmd.c - host commands from the shell function library, and the
 * checks of the values that go into them.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcmd.h"
#include "hostlib.h"
#include "node.h"
#include "remote.h"

static const char *
tag_of(const struct hv_call *call)
{
	return call->tag != NULL ? call->tag : "havoc";
}

static size_t
lib_count(void)
{
	size_t	n = 0;

	while (hv_hostlib[n].name != NULL)
		n++;
	return n;
}

static int
ident_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/*
 * Marks in need[] the functions that text names (a word hv_...), and
 * those their own texts name. Each function is scanned once, so this
 * ends however the library calls itself.
 */
static void
lib_scan(const char *text, char *need, size_t n)
{
	const char	*p, *w;
	size_t		 len, i;

	for (p = text; (p = strstr(p, "hv_")) != NULL; p = w + len) {
		w = p;
		len = 0;
		if (w > text && ident_char((unsigned char)w[-1])) {
			len = 3;
			continue;
		}
		while (ident_char((unsigned char)w[len]))
			len++;
		for (i = 0; i < n; i++) {
			if (strlen(hv_hostlib[i].name) == len &&
			    strncmp(hv_hostlib[i].name, w, len) == 0)
				break;
		}
		if (i == n || need[i])
			continue;
		need[i] = 1;
		lib_scan(hv_hostlib[i].text, need, n);
	}
}

void
hv_hc_lib(struct hv_buf *out, const char *text)
{
	size_t	 n = lib_count(), i;
	char	*need = hv_xcalloc(n + 1, 1);

	lib_scan(text, need, n);
	for (i = 0; i < n; i++) {
		if (need[i])
			hv_buf_puts(out, hv_hostlib[i].text);
	}
	free(need);
}

void
hv_hc_script(struct hv_buf *out, const struct hv_call *call,
    const char *text)
{
	struct hv_buf	lib = HV_BUF_INIT;

	hv_hc_lib(&lib, text);
	if (lib.len > 0) {
		/*
		 * hv_lib='...'; eval "$hv_lib": a detached shell (the
		 * dead-man timer) is given the same functions.
		 */
		hv_buf_puts(out, "hv_lib=");
		hv_shell_quote(out, lib.s);
		hv_buf_puts(out, "\neval \"$hv_lib\"\nHV_DIR=" HV_REMOTE_DIR
		    " HV_KEEP=" HV_KEEP_DIR " HV_TAG=");
		hv_shell_quote(out, tag_of(call));
		hv_buf_putc(out, '\n');
	}
	hv_buf_puts(out, text);
	hv_buf_release(&lib);
}

void
hv_hc_words(struct hv_buf *b, const char *first, ...)
{
	const char	*w;
	va_list		 ap;

	va_start(ap, first);
	for (w = first; w != NULL; w = va_arg(ap, const char *)) {
		if (w != first)
			hv_buf_putc(b, ' ');
		hv_shell_quote(b, w);
	}
	va_end(ap);
}

void
hv_hc_tc_handles(const struct hv_call *call, char root[8], char child[8])
{
	const char	*t = tag_of(call);
	uint32_t	 h = 2166136261u;	/* FNV-1a */
	unsigned	 major;

	for (; *t != '\0'; t++)
		h = (h ^ (unsigned char)*t) * 16777619u;
	major = 0x4000 + (h % 0x1fff) * 2;
	snprintf(root, 8, "%x:", major);
	snprintf(child, 8, "%x:", major + 1);
}

void
hv_hc_tc_revert(struct hv_buf *b, const struct hv_call *call,
    const char *iface)
{
	char	root[8], child[8];

	hv_hc_tc_handles(call, root, child);
	hv_hc_words(b, "hv_tc_del", iface, root, (char *)NULL);
}

static void
rule(struct hv_buf *b, const char *fn, const char *chain, const char *spec,
    int ipv6)
{
	hv_buf_puts(b, fn);
	if (ipv6)
		hv_buf_puts(b, " -6");
	hv_buf_putc(b, ' ');
	hv_shell_quote(b, chain);
	if (*spec != '\0' && *spec != ' ')
		hv_buf_putc(b, ' ');
	hv_buf_puts(b, spec);
}

void
hv_hc_rule_add(struct hv_buf *b, const char *chain, const char *spec,
    int ipv6)
{
	rule(b, "hv_rule_add", chain, spec, ipv6);
}

void
hv_hc_rule_del(struct hv_buf *b, const char *chain, const char *spec,
    int ipv6)
{
	rule(b, "hv_rule_del", chain, spec, ipv6);
}

void
hv_hc_rules_end(struct hv_buf *b)
{
	hv_buf_puts(b, "hv_rules_gone");
}

void
hv_hc_bg_start(struct hv_buf *b, const char *what, const char *words)
{
	hv_hc_words(b, "hv_bg_start", what, (char *)NULL);
	hv_buf_printf(b, " %s", words);
}

void
hv_hc_bg_stop(struct hv_buf *b, const char *what)
{
	hv_hc_words(b, "hv_bg_stop", what, (char *)NULL);
}

void
hv_hc_state_path(struct hv_buf *b, const struct hv_call *call,
    const char *what)
{
	hv_buf_printf(b, "%s/%s.%s", HV_REMOTE_DIR, tag_of(call), what);
}

void
hv_hc_join(struct hv_buf *b, const struct hv_node *list, const char *sep,
    int shown)
{
	size_t	i;

	for (i = 0; list != NULL && i < list->n; i++) {
		if (i > 0)
			hv_buf_puts(b, sep);
		hv_buf_puts(b, hv_node_text(list->items[i], shown));
	}
}

int
hv_hc_only(const char *s, const char *set)
{
	return s != NULL && *s != '\0' && s[strspn(s, set)] == '\0';
}

void
hv_hc_show(struct hv_buf *b, const char *v)
{
	const unsigned char	*p;
	size_t			 n = 0;

	hv_buf_putc(b, '"');
	for (p = (const unsigned char *)v; *p != '\0'; p++, n++) {
		if (n == 64) {
			hv_buf_puts(b, "...");
			break;
		}
		if (*p == '"' || *p == '\\')
			hv_buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			hv_buf_puts(b, "\\n");
		else if (*p == '\t')
			hv_buf_puts(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			hv_buf_printf(b, "\\x%02x", *p);
		else
			hv_buf_putc(b, *p);
	}
	hv_buf_putc(b, '"');
}

int
hv_hc_bad(struct hv_buf *err, const char *param, const char *value,
    const char *fmt, ...)
{
	struct hv_buf	m = HV_BUF_INIT;
	va_list		ap;

	if (param != NULL)
		hv_buf_printf(&m, "%s: ", param);
	hv_hc_show(&m, value);
	hv_buf_putc(&m, ' ');
	va_start(ap, fmt);
	hv_buf_vprintf(&m, fmt, ap);
	va_end(ap);
	hv_error(err, "%s", m.s);
	hv_buf_release(&m);
	return -1;
}

/* "param: "value" is not WHAT[: WHY]" and -1. */
static int
not_a(const char *param, const char *value, const char *what,
    const char *why, struct hv_buf *err)
{
	return hv_hc_bad(err, param, value, "is not %s%s%s", what,
	    why != NULL ? ": " : "", why != NULL ? why : "");
}

static int
has_control(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	}
	return 0;
}

int
hv_hc_check_name(const char *param, const char *v, const char *what,
    const char *set, size_t max, int nodot, struct hv_buf *err)
{
	struct hv_buf	a = HV_BUF_INIT;
	int		rc = 0;

	if (v == NULL)
		return 0;
	hv_buf_puts(&a, what);
	if (*v == '\0')
		rc = not_a(param, v, a.s, "it is empty", err);
	else if (*v == '-')
		rc = not_a(param, v, a.s, "it begins with \"-\", as an "
		    "option does", err);
	else if (nodot && *v == '.')
		rc = not_a(param, v, a.s, "it begins with \".\"", err);
	else if (strlen(v) > max) {
		hv_buf_printf(&a, " (at most %zu characters)", max);
		rc = not_a(param, v, a.s, NULL, err);
	} else if (has_control(v) || (set != NULL && !hv_hc_only(v, set)))
		rc = not_a(param, v, a.s, NULL, err);
	hv_buf_release(&a);
	return rc;
}

int
hv_hc_check_path(const char *param, const char *v, struct hv_buf *err)
{
	const char	*p, *end;
	size_t		 n;

	if (v == NULL)
		return 0;
	if (*v != '/')
		return not_a(param, v, "an absolute path", NULL, err);
	if (strlen(v) > 4095 || has_control(v))
		return not_a(param, v, "a path", NULL, err);
	for (p = v; *p != '\0'; p = end) {
		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		n = (size_t)(end - p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.'))
			return not_a(param, v, "a path", "no \".\" or \"..\" "
			    "in it, please", err);
	}
	return 0;
}

int
hv_hc_check_addr(const char *param, const char *v, int cidr,
    struct hv_buf *err)
{
	unsigned char	 bin[16];
	char		 a[64];
	const char	*slash;
	size_t		 n;
	long long	 prefix;
	int		 v6;

	if (v == NULL)
		return 0;
	slash = cidr ? strchr(v, '/') : NULL;
	n = slash != NULL ? (size_t)(slash - v) : strlen(v);
	if (n == 0 || n >= sizeof a)
		return not_a(param, v, cidr ? "an address or a CIDR" :
		    "an address", NULL, err);
	memcpy(a, v, n);
	a[n] = '\0';
	v6 = strchr(a, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, a, bin) != 1)
		return not_a(param, v, cidr ? "an address or a CIDR" :
		    "an address", NULL, err);
	if (slash != NULL && (!hv_hc_only(slash + 1, "0123456789") ||
	    strlen(slash + 1) > 3 || hv_parse_int(slash + 1, &prefix) == -1 ||
	    prefix > (v6 ? 128 : 32)))
		return not_a(param, v, "a CIDR", "the prefix is out of range",
		    err);
	return 0;
}
