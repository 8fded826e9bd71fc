/*
 * test-util.c - util.c: durations, sizes, number parsing, shell quoting
 * (checked against a real /bin/sh), edit distance, SHA-256 against the
 * FIPS 180-4 vectors, and the hv_buf invariants util.h promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Durations. */

static void
check_duration(const char *s, int64_t want)
{
	int64_t	ms = -12345;

	if (hv_parse_duration(s, &ms) != 0)
		fail_msg("\"%s\" was refused, expected %lld ms", s,
		    (long long)want);
	if (ms != want)
		fail_msg("\"%s\" gave %lld ms, expected %lld", s,
		    (long long)ms, (long long)want);
}

static void
check_duration_bad(const char *s)
{
	int64_t	ms = -12345;

	if (hv_parse_duration(s, &ms) != -1)
		fail_msg("\"%s\" was accepted as %lld ms",
		    s != NULL ? s : "(null)", (long long)ms);
	/* A refused value leaves *out untouched. */
	assert_int_equal(ms, -12345);
}

static void
test_duration_units(void **state)
{
	(void)state;
	check_duration("250ms", 250);
	check_duration("5s", 5000);
	check_duration("2m", 120000);
	check_duration("1h", 3600000);
	check_duration("1d", 86400000);
	check_duration("0", 0);
	check_duration("0s", 0);
	check_duration("0ms", 0);
	check_duration("1ms", 1);
	check_duration("60s", 60000);
	check_duration("90m", 5400000);
	check_duration("7d", INT64_C(604800000));
}

static void
test_duration_combined_and_fractions(void **state)
{
	(void)state;
	check_duration("1m30s", 90000);
	check_duration("1h2m3s4ms", 3723004);
	check_duration("2h30m", 9000000);
	/* "m" must not swallow the "m" of "ms". */
	check_duration("1m5ms", 60005);
	check_duration("5ms1m", 60005);
	check_duration("1.5s", 1500);
	check_duration("0.25s", 250);
	check_duration("1.5h", 5400000);
	check_duration("0.5m", 30000);
	check_duration("2.5ms", 3);	/* rounded to the millisecond */
}

static void
test_duration_rejects(void **state)
{
	(void)state;
	check_duration_bad(NULL);
	check_duration_bad("");
	check_duration_bad("5");
	check_duration_bad("00");
	check_duration_bad("5x");
	check_duration_bad("5S");
	check_duration_bad("-1s");
	check_duration_bad("+1s");
	check_duration_bad("ms");
	check_duration_bad("s");
	check_duration_bad(".");
	check_duration_bad("1m30");
	check_duration_bad("5 s");
	check_duration_bad(" 5s");
	check_duration_bad("5s ");
	check_duration_bad("1..5s");
	check_duration_bad("1.5.5s");
	check_duration_bad("5sec");
	check_duration_bad("5mins");
	check_duration_bad("1w");
	check_duration_bad("1e3ms");
	check_duration_bad("0x10s");
	check_duration_bad("5s\n");
}

static void
test_duration_overflow(void **state)
{
	int64_t	ms = -1;

	(void)state;
	/* Too many digits for any unit. */
	check_duration_bad("9223372036854775807ms");
	check_duration_bad("99999999999999999999s");
	/* Few enough digits, but the product does not fit in 64 bits. */
	check_duration_bad("999999999999d");
	/* 213503982335 days wrap around 2^64 ms to about 9.5 hours. */
	check_duration_bad("213503982335d");
	check_duration_bad("1m213503982335d");
	check_duration_bad("9999999999999m");
	/* Each part fits, their sum does not. */
	check_duration_bad("99999999999d99999999999d99999999999d");
	/*
	 * Ten years at most: 1000000000000h fitted in 64 bits, and was
	 * then printed as a negative duration (issue 7, item 10).
	 */
	check_duration_bad("1000000000000h");
	check_duration_bad("999999999999h");
	check_duration_bad("10000000d");
	check_duration_bad("3650d1ms");
	check_duration_bad("3649d24h1ms");
	assert_true(hv_duration_too_long("1000000000000h"));
	assert_true(hv_duration_too_long("3650d1ms"));
	assert_true(hv_duration_too_long("9223372036854775807ms"));
	assert_false(hv_duration_too_long("3650d"));
	assert_false(hv_duration_too_long("5x"));
	assert_false(hv_duration_too_long("1000000000000x"));
	/* Large but allowed values stay exact. */
	assert_int_equal(hv_parse_duration("3650d", &ms), 0);
	assert_int_equal(ms, HV_DURATION_MAX_MS);
	assert_int_equal(hv_parse_duration("87599h59m59s999ms", &ms), 0);
	assert_int_equal(ms, HV_DURATION_MAX_MS - 1);
	assert_int_equal(hv_parse_duration("999999999ms", &ms), 0);
	assert_int_equal(ms, INT64_C(999999999));
}

static void
check_format(int64_t ms, const char *want)
{
	char	buf[32];

	memset(buf, 'X', sizeof buf);
	assert_ptr_equal(hv_format_duration(ms, buf, sizeof buf), buf);
	if (strcmp(buf, want) != 0)
		fail_msg("%lld ms formatted as \"%s\", expected \"%s\"",
		    (long long)ms, buf, want);
}

static void
test_format_duration(void **state)
{
	char	small[4];

	(void)state;
	check_format(0, "0ms");
	check_format(1, "1ms");
	check_format(850, "850ms");
	check_format(999, "999ms");
	check_format(1000, "1.0s");
	check_format(1500, "1.5s");
	check_format(12300, "12.3s");
	check_format(12345, "12.3s");
	/* Never "60.0s": that is a minute, and looks like one. */
	check_format(59999, "59.9s");
	check_format(60000, "1m00s");
	check_format(125000, "2m05s");
	check_format(3599999, "59m59s");
	check_format(3600000, "1h00m");
	check_format(86400000, "24h00m");
	check_format(HV_DURATION_MAX_MS, "87600h00m");
	/* Beyond an int of hours: still positive, still right. */
	check_format(INT64_C(3600000000000000), "1000000000h00m");
	check_format(-1, "-");
	/* A short buffer is truncated, never overrun. */
	memset(small, 'X', sizeof small);
	hv_format_duration(125000, small, sizeof small);
	assert_string_equal(small, "2m0");
}

/* Sizes. */

static void
check_size(const char *s, uint64_t want)
{
	uint64_t	b = 7;

	if (hv_parse_size(s, &b) != 0)
		fail_msg("size \"%s\" was refused", s);
	if (b != want)
		fail_msg("size \"%s\" gave %llu, expected %llu", s,
		    (unsigned long long)b, (unsigned long long)want);
}

static void
check_size_bad(const char *s)
{
	uint64_t	b = 7;

	if (hv_parse_size(s, &b) != -1)
		fail_msg("size \"%s\" was accepted as %llu",
		    s != NULL ? s : "(null)", (unsigned long long)b);
	assert_int_equal(b, 7);
}

static void
test_sizes(void **state)
{
	(void)state;
	check_size("0", 0);
	check_size("512", 512);
	check_size("512K", 512ULL << 10);
	check_size("512k", 512ULL << 10);
	check_size("512M", 512ULL << 20);
	check_size("2G", 2ULL << 30);
	check_size("1T", 1ULL << 40);
	/* Binary units spelled out are the same powers of 1024. */
	check_size("1KiB", 1ULL << 10);
	check_size("1MiB", 1ULL << 20);
	check_size("1GiB", 1ULL << 30);
	check_size("1TiB", 1ULL << 40);
	check_size("1GB", 1ULL << 30);
	check_size("16777215T", 16777215ULL << 40);
}

static void
test_sizes_reject(void **state)
{
	(void)state;
	check_size_bad(NULL);
	check_size_bad("");
	check_size_bad("M");
	check_size_bad("-1");
	check_size_bad("-1M");
	check_size_bad("+1M");
	check_size_bad("1.5G");
	check_size_bad("5X");
	check_size_bad("5 M");
	check_size_bad(" 5M");
	check_size_bad("5M ");
	check_size_bad("5MM");
	check_size_bad("5MBB");
	check_size_bad("5MiBB");
	check_size_bad("5iB");
	check_size_bad("5B");
	check_size_bad("1P");
	check_size_bad("0x10");
	/* 2^64 bytes, in several spellings, and more. */
	check_size_bad("16777216T");
	check_size_bad("17179869184G");
	check_size_bad("18446744073709551616");
	check_size_bad("99999999999999999999999");
}

/* Integers, numbers, booleans. */

static void
test_parse_int(void **state)
{
	long long	v = 99;

	(void)state;
	assert_int_equal(hv_parse_int("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(hv_parse_int("-7", &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(hv_parse_int("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hv_parse_int("9223372036854775807", &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(hv_parse_int("-9223372036854775808", &v), 0);
	assert_true(v == LLONG_MIN);
	v = 99;
	assert_int_equal(hv_parse_int(NULL, &v), -1);
	assert_int_equal(hv_parse_int("", &v), -1);
	assert_int_equal(hv_parse_int(" 1", &v), -1);
	assert_int_equal(hv_parse_int("1 ", &v), -1);
	assert_int_equal(hv_parse_int("1.0", &v), -1);
	assert_int_equal(hv_parse_int("1e3", &v), -1);
	assert_int_equal(hv_parse_int("0x10", &v), -1);
	assert_int_equal(hv_parse_int("abc", &v), -1);
	assert_int_equal(hv_parse_int("-", &v), -1);
	assert_int_equal(hv_parse_int("9223372036854775808", &v), -1);
	assert_int_equal(hv_parse_int("-9223372036854775809", &v), -1);
	assert_int_equal(v, 99);
}

/* Seeds: 64 bits, digits only; an overflow is refused, not clamped. */
static void
test_parse_u64(void **state)
{
	uint64_t	v = 7;

	(void)state;
	assert_int_equal(hv_parse_u64("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(hv_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_int_equal(hv_parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(hv_parse_u64("99999999999999999999", &v), -1);
	assert_int_equal(hv_parse_u64("-1", &v), -1);
	assert_int_equal(hv_parse_u64("+1", &v), -1);
	assert_int_equal(hv_parse_u64(" 1", &v), -1);
	assert_int_equal(hv_parse_u64("1 ", &v), -1);
	assert_int_equal(hv_parse_u64("", &v), -1);
	assert_int_equal(hv_parse_u64("0x10", &v), -1);
	assert_true(v == 7);
	assert_true(hv_utf8_valid("caf\xc3\xa9"));
	assert_false(hv_utf8_valid("x\xff"));
	assert_false(hv_utf8_valid("\xc3"));
}

static void
test_parse_num(void **state)
{
	double	d = 99;

	(void)state;
	assert_int_equal(hv_parse_num("1.5", &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(hv_parse_num("-2", &d), 0);
	assert_true(d == -2);
	assert_int_equal(hv_parse_num("1e3", &d), 0);
	assert_true(d == 1000);
	assert_int_equal(hv_parse_num("0.001", &d), 0);
	assert_true(d == 0.001);
	d = 99;
	assert_int_equal(hv_parse_num(NULL, &d), -1);
	assert_int_equal(hv_parse_num("", &d), -1);
	assert_int_equal(hv_parse_num(" 1", &d), -1);
	assert_int_equal(hv_parse_num("1 ", &d), -1);
	assert_int_equal(hv_parse_num("1,5", &d), -1);
	assert_int_equal(hv_parse_num("nan", &d), -1);
	assert_int_equal(hv_parse_num("NaN", &d), -1);
	assert_int_equal(hv_parse_num("inf", &d), -1);
	assert_int_equal(hv_parse_num("-infinity", &d), -1);
	assert_int_equal(hv_parse_num("1e999", &d), -1);
	assert_int_equal(hv_parse_num("5ms", &d), -1);
	assert_true(d == 99);
}

static void
test_parse_bool(void **state)
{
	static const char *const yes[] = { "true", "yes", "on", "True",
	    "TRUE", "Yes", "YES", "On", "ON" };
	static const char *const no[] = { "false", "no", "off", "False",
	    "FALSE", "No", "NO", "Off", "OFF" };
	static const char *const bad[] = { "", "1", "0", "y", "n", "tRUE",
	    "truee", " true", "true ", "enabled", "nope" };
	size_t	i;
	int	b;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(yes); i++) {
		b = 0;
		assert_int_equal(hv_parse_bool(yes[i], &b), 0);
		assert_int_equal(b, 1);
	}
	for (i = 0; i < HV_ARRAY_LEN(no); i++) {
		b = 1;
		assert_int_equal(hv_parse_bool(no[i], &b), 0);
		assert_int_equal(b, 0);
	}
	for (i = 0; i < HV_ARRAY_LEN(bad); i++) {
		b = 7;
		if (hv_parse_bool(bad[i], &b) != -1)
			fail_msg("\"%s\" was taken as a boolean", bad[i]);
		assert_int_equal(b, 7);
	}
	assert_int_equal(hv_parse_bool(NULL, &b), -1);
}

/* A scratch folder for one test, removed even when the test fails. */
static int
setup_dir(void **state)
{
	char	*dir = hv_xstrdup("/tmp/havoc-util-XXXXXX");

	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int
teardown_dir(void **state)
{
	char	*dir = *state, path[64];

	/* The tests leave at most these behind. */
	snprintf(path, sizeof path, "%s/pwned", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/f", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
	return 0;
}

/* Shell quoting, checked by a real shell. */

/*
 * Runs /bin/sh -c "printf '[%s]' WORD" where WORD is s quoted by
 * hv_shell_quote, in dir, and returns what it printed (new). "[s]" back
 * means the shell saw exactly one word with exactly s in it.
 */
static char *
sh_echo(const char *s, const char *dir)
{
	struct hv_buf	 cmd = HV_BUF_INIT, out = HV_BUF_INIT;
	char		 buf[4096];
	ssize_t		 n;
	pid_t		 pid;
	int		 fds[2], status;

	hv_buf_puts(&cmd, "printf '[%s]' ");
	hv_shell_quote(&cmd, s);
	if (pipe(fds) == -1)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (dir != NULL && chdir(dir) == -1)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd.s, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		hv_buf_add(&out, buf, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("sh -c \"%s\" failed (status %d)", cmd.s, status);
	hv_buf_release(&cmd);
	return hv_buf_detach(&out);
}

static void
check_roundtrip(const char *s, const char *dir)
{
	char	*got, *want;

	got = sh_echo(s, dir);
	want = hv_xasprintf("[%s]", s);
	if (strcmp(got, want) != 0) {
		struct hv_buf	q = HV_BUF_INIT;

		hv_shell_quote(&q, s);
		fail_msg("quoted as <%s>, the shell printed <%s>", q.s, got);
	}
	free(got);
	free(want);
}

static void
test_shell_quote_every_byte(void **state)
{
	char	s[8];
	int	c;

	(void)state;
	for (c = 1; c < 256; c++) {
		/* Alone, and inside a word. */
		s[0] = (char)c;
		s[1] = '\0';
		check_roundtrip(s, NULL);
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'b';
		s[3] = (char)c;
		s[4] = '\0';
		check_roundtrip(s, NULL);
	}
}

static void
test_shell_quote_hostile(void **state)
{
	static const char *const words[] = {
		"", " ", "two words", "'", "''", "it's", "\"", "\"quoted\"",
		"a\nb", "\n", "trailing\n\n", "\t", "$HOME", "${HOME}",
		"$(touch pwned)", "`touch pwned`", "; touch pwned",
		"&& touch pwned", "|| touch pwned", "| touch pwned",
		"> pwned", "< /etc/passwd", "&", "*", "?", "[a-z]", "~",
		"~root", "-n", "--help", "-e \\n", "\\", "\\'", "'\\''",
		"#comment", "a#b", "!", "!!", "{a,b}", "a=b", "x'$(touch "
		"pwned)'y", "'; touch pwned; '", "\x7f", "\xff\xfe",
		"caf\xc3\xa9", "%s%s%n", "ok-plain_word.1:2,3@4+5=6/7",
	};
	const char	*dir = *state;
	char		 path[64];
	struct stat	 st;
	size_t		 i;

	for (i = 0; i < HV_ARRAY_LEN(words); i++)
		check_roundtrip(words[i], dir);
	/* Nothing ran: no file appeared where the commands would put it. */
	snprintf(path, sizeof path, "%s/pwned", dir);
	assert_int_equal(stat(path, &st), -1);
}

static void
test_shell_quote_spelling(void **state)
{
	struct hv_buf	b = HV_BUF_INIT;

	(void)state;
	/* Plain words stay as they are; others are single-quoted. */
	hv_shell_quote(&b, "eth0");
	assert_string_equal(b.s, "eth0");
	hv_buf_reset(&b);
	hv_shell_quote(&b, "/var/log/app.log");
	assert_string_equal(b.s, "/var/log/app.log");
	hv_buf_reset(&b);
	hv_shell_quote(&b, "");
	assert_string_equal(b.s, "''");
	hv_buf_reset(&b);
	hv_shell_quote(&b, "a b");
	assert_string_equal(b.s, "'a b'");
	hv_buf_reset(&b);
	hv_shell_quote(&b, "it's");
	assert_string_equal(b.s, "'it'\\''s'");
	hv_buf_reset(&b);
	/* Appends: quoting goes after what the buffer held. */
	hv_buf_puts(&b, "kill ");
	hv_shell_quote(&b, "$(x)");
	assert_string_equal(b.s, "kill '$(x)'");
	hv_buf_release(&b);
}

/* Edit distance. */

static void
test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(hv_edit_distance("", "", 2), 0);
	assert_int_equal(hv_edit_distance("abc", "abc", 2), 0);
	assert_int_equal(hv_edit_distance("", "abc", 5), 3);
	assert_int_equal(hv_edit_distance("abc", "", 5), 3);
	assert_int_equal(hv_edit_distance("kitten", "sitting", 5), 3);
	assert_int_equal(hv_edit_distance("sitting", "kitten", 5), 3);
	assert_int_equal(hv_edit_distance("flaw", "lawn", 5), 2);
	assert_int_equal(hv_edit_distance("stedy_state", "steady_state", 2),
	    1);
	assert_int_equal(hv_edit_distance("urll", "url", 2), 1);
	assert_int_equal(hv_edit_distance("local.rnu", "local.run", 3), 2);
	assert_int_equal(hv_edit_distance("ab", "ba", 3), 2);
	/* Bounded: anything beyond max is max + 1. */
	assert_int_equal(hv_edit_distance("kitten", "sitting", 2), 3);
	assert_int_equal(hv_edit_distance("kitten", "sitting", 3), 3);
	assert_int_equal(hv_edit_distance("a", "abcdef", 2), 3);
	assert_int_equal(hv_edit_distance("abcdef", "uvwxyz", 0), 1);
	assert_int_equal(hv_edit_distance("abcdef", "abcdef", 0), 0);
	assert_int_equal(hv_edit_distance("xbcdefgh", "abcdefgh", 0), 1);
}

/* SHA-256. */

static void
check_sha(const void *data, size_t len, const char *want)
{
	char	hex[65];

	memset(hex, 'X', sizeof hex);
	hv_sha256_hex(data, len, hex);
	assert_int_equal(strlen(hex), 64);
	if (strcmp(hex, want) != 0)
		fail_msg("sha256 of %zu bytes: %s, expected %s", len, hex,
		    want);
}

static void
test_sha256_fips(void **state)
{
	static const char m448[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char m896[] =
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char	*million;

	(void)state;
	check_sha("", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha(m448, strlen(m448),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_sha(m896, strlen(m896),
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	million = hv_xmalloc(1000000);
	memset(million, 'a', 1000000);
	check_sha(million, 1000000,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/* Lengths around the padding boundaries (55/56 and 63/64 bytes). */
static void
test_sha256_boundaries(void **state)
{
	static const struct {
		size_t		 len;
		const char	*hex;
	} v[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9a"
		    "e9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f"
		    "590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98"
		    "e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209"
		    "f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a"
		    "41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cf"
		    "dfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c"
		    "020d683aa5f73aaaedfdc55af904c21c" },
		{ 127, "c57e9278af78fa3cab38667bef4ce29d"
		    "783787a2f731d4e12200270f0c32320a" },
		{ 128, "6836cf13bac400e9105071cd6af47084"
		    "dfacad4e5e302c94bfed24e013afb73e" },
	};
	char	a[128];
	size_t	i;

	(void)state;
	memset(a, 'a', sizeof a);
	for (i = 0; i < HV_ARRAY_LEN(v); i++)
		check_sha(a, v[i].len, v[i].hex);
}

/* hv_buf. */

static void
check_invariants(const struct hv_buf *b)
{
	assert_non_null(b->s);
	assert_int_equal(b->s[b->len], '\0');
	if (b->cap == 0) {
		assert_ptr_equal(b->s, hv_buf_empty);
		assert_int_equal(b->len, 0);
	} else
		assert_true(b->len < b->cap);
	/* The shared empty string is never written to. */
	assert_int_equal(hv_buf_empty[0], '\0');
}

static void
test_buf_empty(void **state)
{
	struct hv_buf	 a = HV_BUF_INIT, b;
	char		*s;

	(void)state;
	hv_buf_init(&b);
	check_invariants(&a);
	check_invariants(&b);
	/* Nothing added: still the shared empty string, no storage. */
	hv_buf_add(&b, "x", 0);
	hv_buf_puts(&b, "");
	hv_buf_printf(&b, "%s", "");
	hv_buf_reset(&b);
	hv_buf_rtrim(&b);
	check_invariants(&b);
	assert_int_equal(b.cap, 0);
	/* Detaching an empty buffer gives a new string all the same. */
	s = hv_buf_detach(&b);
	assert_non_null(s);
	assert_ptr_not_equal(s, hv_buf_empty);
	assert_string_equal(s, "");
	free(s);
	check_invariants(&b);
	hv_buf_release(&b);
	hv_buf_release(NULL);
	check_invariants(&b);
}

static void
test_buf_growth(void **state)
{
	struct hv_buf	 b = HV_BUF_INIT;
	char		*s, want[8192];
	size_t		 i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		hv_buf_putc(&b, 'a' + (int)(i % 26));
		want[i] = (char)('a' + i % 26);
		check_invariants(&b);
		assert_int_equal(b.len, i + 1);
	}
	want[5000] = '\0';
	assert_string_equal(b.s, want);
	/* Embedded NULs are kept by length. */
	hv_buf_reset(&b);
	check_invariants(&b);
	assert_int_equal(b.len, 0);
	assert_true(b.cap > 5000);	/* reset keeps the storage */
	hv_buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.s, "a\0b", 4);
	hv_buf_reset(&b);
	/* printf longer than the first allocation. */
	memset(want, 'z', 300);
	want[300] = '\0';
	hv_buf_printf(&b, "<%s>%d", want, 42);
	check_invariants(&b);
	assert_int_equal(b.len, 304);
	assert_int_equal(b.s[0], '<');
	assert_string_equal(b.s + 301, ">42");
	/* Trailing white space only. */
	hv_buf_reset(&b);
	hv_buf_puts(&b, "  keep  \t\r\n \n");
	hv_buf_rtrim(&b);
	check_invariants(&b);
	assert_string_equal(b.s, "  keep");
	hv_buf_reset(&b);
	hv_buf_puts(&b, " \n\t");
	hv_buf_rtrim(&b);
	check_invariants(&b);
	assert_int_equal(b.len, 0);
	/* Detach hands over the storage and leaves the buffer empty. */
	hv_buf_puts(&b, "mine");
	s = hv_buf_detach(&b);
	assert_string_equal(s, "mine");
	check_invariants(&b);
	assert_int_equal(b.cap, 0);
	free(s);
	/* Release makes it ready for reuse. */
	hv_buf_puts(&b, "again");
	hv_buf_release(&b);
	check_invariants(&b);
	hv_buf_puts(&b, "and again");
	assert_string_equal(b.s, "and again");
	hv_buf_release(&b);
}

static void
test_buf_grow_reserves(void **state)
{
	struct hv_buf	b = HV_BUF_INIT;
	char		*before;

	(void)state;
	hv_buf_grow(&b, 1000);
	assert_true(b.cap >= 1001);
	check_invariants(&b);
	assert_int_equal(b.len, 0);
	before = b.s;
	/* Within the reserve: no reallocation. */
	memset(b.s, 'q', 1000);
	b.len = 1000;
	b.s[1000] = '\0';
	hv_buf_grow(&b, 0);
	assert_ptr_equal(b.s, before);
	check_invariants(&b);
	hv_buf_release(&b);
}

static void
test_error_chaining(void **state)
{
	struct hv_buf	err = HV_BUF_INIT;

	(void)state;
	assert_int_equal(hv_error(NULL, "ignored %d", 1), -1);
	assert_int_equal(hv_error(&err, "first %s", "problem"), -1);
	assert_string_equal(err.s, "first problem");
	assert_int_equal(hv_error(&err, "second"), -1);
	assert_string_equal(err.s, "first problem; second");
	hv_buf_release(&err);
}

static void
test_xasprintf_and_strndup(void **state)
{
	char	*s;

	(void)state;
	s = hv_xasprintf("%s-%d", "web", 3);
	assert_string_equal(s, "web-3");
	free(s);
	s = hv_xasprintf("%s", "");
	assert_string_equal(s, "");
	free(s);
	s = hv_xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
}

static void
test_read_file(void **state)
{
	const char	*dir = *state;
	char		 path[64];
	struct hv_buf	 out = HV_BUF_INIT, err = HV_BUF_INIT;
	FILE		*f;

	snprintf(path, sizeof path, "%s/f", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("line\n", f);
	fclose(f);
	hv_buf_puts(&out, ">");
	assert_int_equal(hv_read_file(path, &out, &err), 0);
	assert_string_equal(out.s, ">line\n");	/* appended */
	assert_int_equal(err.len, 0);
	unlink(path);
	assert_int_equal(hv_read_file(path, &out, &err), -1);
	assert_non_null(strstr(err.s, path));
	assert_non_null(strstr(err.s, "No such file"));
	hv_buf_release(&out);
	hv_buf_release(&err);
}

/* Reads path expecting a refusal that says want; out stays as it was. */
static void
read_refused(const char *path, size_t max, const char *want)
{
	struct hv_buf	out = HV_BUF_INIT, err = HV_BUF_INIT;

	hv_buf_puts(&out, ">");
	if (hv_read_file_max(path, max, &out, &err) != -1)
		fail_msg("%s was read (%zu bytes)", path, out.len);
	if (strstr(err.s, want) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", path, err.s, want);
	assert_string_equal(out.s, ">");
	hv_buf_release(&out);
	hv_buf_release(&err);
}

/*
 * Only regular files, and at most so many bytes: /dev/zero, a FIFO
 * without a writer and a huge file were read without bound, or for ever
 * (issue 7, item 10). A FIFO is refused at once, not waited on.
 */
static void
test_read_file_bounded(void **state)
{
	const char	*dir = *state;
	char		 path[64], fifo[64];
	struct hv_buf	 out = HV_BUF_INIT, err = HV_BUF_INIT;
	FILE		*f;
	int64_t		 t0;

	read_refused("/dev/zero", HV_READ_MAX, "not a regular file");
	read_refused("/dev/null", HV_READ_MAX, "not a regular file");
	read_refused(dir, HV_READ_MAX, "Is a directory");
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	t0 = hv_mono_ms();
	read_refused(fifo, HV_READ_MAX, "not a regular file");
	assert_true(hv_mono_ms() - t0 < 1000);
	unlink(fifo);

	snprintf(path, sizeof path, "%s/big", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0123456789", f);
	fclose(f);
	read_refused(path, 9, "larger than 9 bytes");
	assert_int_equal(hv_read_file_max(path, 10, &out, &err), 0);
	assert_string_equal(out.s, "0123456789");
	/* A sparse file of 65 MiB is refused without being read. */
	assert_int_equal(truncate(path, HV_READ_MAX + 1), 0);
	t0 = hv_mono_ms();
	read_refused(path, HV_READ_MAX, "larger than 64 MiB");
	assert_true(hv_mono_ms() - t0 < 1000);
	unlink(path);
	hv_buf_release(&out);
	hv_buf_release(&err);
}

/* Secrets: every value registered is shown as its reference. */
static void
check_redact(const char *in, const char *want)
{
	struct hv_buf	b = HV_BUF_INIT;

	hv_buf_puts(&b, in);
	hv_redact(&b);
	assert_string_equal(b.s, want);
	hv_buf_release(&b);
}

static void
test_redact(void **state)
{
	struct hv_buf	err = HV_BUF_INIT;

	(void)state;
	hv_secrets_clear();
	check_redact("nothing to hide", "nothing to hide");
	hv_secret_add("s3cr3t-token", "${env.TOKEN}");
	hv_secret_add("s3cr3t", "${env.SHORT}");
	hv_secret_add("it's", "${env.Q}");
	hv_secret_add("line one\nline two\n", "${file:key}");
	hv_secret_add("ab", "${env.TINY}");	/* too short to hide */
	check_redact("token s3cr3t-token and s3cr3t.",
	    "token ${env.TOKEN} and ${env.SHORT}.");
	/* Quoted for a shell, as a command or its error would say it. */
	check_redact("echo 'it'\\''s'", "echo ${env.Q}");
	check_redact("bad line: line two", "bad line: ${file:key}");
	check_redact("ab ab", "ab ab");
	check_redact("s3cr3ts3cr3t", "${env.SHORT}${env.SHORT}");
	/* A reference is never redacted again, whatever it holds. */
	hv_secret_add("TOKEN", "${env.T2}");
	check_redact("s3cr3t-token TOKEN", "${env.TOKEN} ${env.T2}");
	/* Errors made by hv_error() carry no secret. */
	hv_error(&err, "cannot run %s: %s", "s3cr3t", "No such file");
	assert_string_equal(err.s, "cannot run ${env.SHORT}: No such file");
	assert_true(hv_secret_count() > 4);
	hv_secrets_clear();
	assert_int_equal(hv_secret_count(), 0);
	check_redact("s3cr3t", "s3cr3t");
	hv_buf_release(&err);
}

static void
check_safe(const char *in, size_t n, int keep, const char *want)
{
	struct hv_buf	b = HV_BUF_INIT;

	hv_buf_put_safe(&b, in, n == 0 ? strlen(in) : n, keep);
	assert_string_equal(b.s, want);
	hv_buf_release(&b);
}

/* Terminal escapes never pass raw; UTF-8 text does. */
static void
test_put_safe(void **state)
{
	(void)state;
	check_safe("plain text", 0, 0, "plain text");
	check_safe("\033[31mred\033]0;title\007", 0, 0,
	    "\\u001b[31mred\\u001b]0;title\\u0007");
	check_safe("a\nb\tc\r", 0, 1, "a\nb\tc\\u000d");
	check_safe("a\nb\tc", 0, 0, "a\\u000ab\\u0009c");
	check_safe("del\177", 0, 0, "del\\u007f");
	/* C1 controls as UTF-8 (CSI is U+009B), and as raw bytes. */
	check_safe("\xc2\x9b" "2J", 0, 0, "\\u009b2J");
	check_safe("\x9b" "2J", 0, 0, "\\x9b2J");
	check_safe("\xc2\x85", 0, 0, "\\u0085");
	/* Text in other scripts stays as it is. */
	check_safe("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", 0, 0,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
	/* Broken, overlong and surrogate sequences are bytes. */
	check_safe("\xc3", 0, 0, "\\xc3");
	check_safe("\xc0\xaf", 0, 0, "\\xc0\\xaf");
	check_safe("\xed\xa0\x80", 0, 0, "\\xed\\xa0\\x80");
	check_safe("nul\0after", 9, 0, "nul\\u0000after");
}

/*
 * stdout and stderr as havoc sets them up: what a child writes through
 * them reaches the pipe escaped, a UTF-8 sequence split between two
 * writes included.
 */
static void
test_stdio_escape(void **state)
{
	char	buf[256];
	ssize_t	n;
	size_t	len = 0;
	int	out[2], err[2], st;
	pid_t	pid;

	(void)state;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	if ((pid = fork()) == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (hv_stdio_escape() == -1)
			_exit(2);
		printf("title \033[2J");
		fflush(stdout);
		printf("\xc3");
		fflush(stdout);
		printf("\xa9 ok\n");
		fprintf(stderr, "bell\a\n");
		hv_log_level = HV_LOG_INFO;
		hv_log("log \033]0;x\007 line\nnext");
		fflush(stdout);
		_exit(0);
	}
	close(out[1]);
	close(err[1]);
	while ((n = read(out[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	assert_string_equal(buf, "title \\u001b[2J\xc3\xa9 ok\n");
	len = 0;
	while ((n = read(err[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	assert_string_equal(buf, "bell\\u0007\n"
	    "log \\u001b]0;x\\u0007 line\\u000anext\n");
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(out[0]);
	close(err[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_combined_and_fractions),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_overflow),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_sizes_reject),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_num),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_shell_quote_every_byte),
		cmocka_unit_test_setup_teardown(test_shell_quote_hostile,
		    setup_dir, teardown_dir),
		cmocka_unit_test(test_shell_quote_spelling),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_sha256_fips),
		cmocka_unit_test(test_sha256_boundaries),
		cmocka_unit_test(test_buf_empty),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_buf_grow_reserves),
		cmocka_unit_test(test_error_chaining),
		cmocka_unit_test(test_xasprintf_and_strndup),
		cmocka_unit_test_setup_teardown(test_read_file, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_file_bounded,
		    setup_dir, teardown_dir),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_put_safe),
		cmocka_unit_test(test_stdio_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
