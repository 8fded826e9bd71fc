/*
 * util.h - growable strings, errors, time and units shared by all of havoc.
 *
 * struct hv_buf invariants (after hv_buf_init):
 *   - s is never NULL and is always NUL-terminated at s[len];
 *   - cap == 0 means s points at a shared empty string, never written to;
 *   - functions that fail take a struct hv_buf *err, append one complete
 *     lowercase message without a full stop, and return -1; on success
 *     they leave err untouched, so calls chain (git's convention).
 *
 * Allocation failure is not recoverable in a command-line tool that must
 * still revert its faults; the hv_x* allocators abort with a message.
 */
#ifndef HV_UTIL_H
#define HV_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define HV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define HV_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct hv_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

#define HV_BUF_INIT { hv_buf_empty, 0, 0 }
extern char hv_buf_empty[];

void	 hv_buf_init(struct hv_buf *);
/* Frees the storage; the buffer is ready for reuse. Accepts NULL. */
void	 hv_buf_release(struct hv_buf *);
/* Empties the buffer, keeping its storage. */
void	 hv_buf_reset(struct hv_buf *);
void	 hv_buf_grow(struct hv_buf *, size_t extra);
void	 hv_buf_add(struct hv_buf *, const void *, size_t);
void	 hv_buf_puts(struct hv_buf *, const char *);
void	 hv_buf_putc(struct hv_buf *, int);
void	 hv_buf_printf(struct hv_buf *, const char *, ...) HV_PRINTF(2, 3);
void	 hv_buf_vprintf(struct hv_buf *, const char *, va_list);
/* Drops trailing white space. */
void	 hv_buf_rtrim(struct hv_buf *);
/* Returns the string (new, caller frees) and leaves the buffer empty. */
char	*hv_buf_detach(struct hv_buf *);

/*
 * Appends a message to err (if err is not NULL) and returns -1. When err
 * already holds a message the new one is added after "; ".
 */
int	 hv_error(struct hv_buf *err, const char *, ...) HV_PRINTF(2, 3);

void	*hv_xmalloc(size_t);
void	*hv_xcalloc(size_t, size_t);
void	*hv_xrealloc(void *, size_t);
/* Grows *p (an array of elem-sized items) so it can hold at least n. */
void	*hv_xreallocarray(void *, size_t n, size_t elem);
char	*hv_xstrdup(const char *);
char	*hv_xstrndup(const char *, size_t);
/* A new string from a format. */
char	*hv_xasprintf(const char *, ...) HV_PRINTF(1, 2);

/* Monotonic and wall clocks in milliseconds. */
int64_t	 hv_mono_ms(void);
int64_t	 hv_wall_ms(void);
/* Formats a wall time as an RFC 3339 UTC string into buf (>= 32 bytes). */
char	*hv_format_time(int64_t wall_ms, char *buf, size_t len);

/*
 * Durations are written 250ms, 5s, 2m, 1h, 1d, or combined (1m30s); a
 * bare 0 is allowed. Sizes are 512, 512K, 512M, 2G, 1T (powers of 1024).
 * Both return -1 and leave *out untouched on a malformed value.
 */
int	 hv_parse_duration(const char *, int64_t *ms);
int	 hv_parse_size(const char *, uint64_t *bytes);
/* Writes a duration for humans: "850ms", "12.3s", "2m05s". */
char	*hv_format_duration(int64_t ms, char *buf, size_t len);

/* Strict integer and number parsing; -1 on garbage or overflow. */
int	 hv_parse_int(const char *, long long *);
int	 hv_parse_num(const char *, double *);
/* Accepts true/false/yes/no/on/off; -1 otherwise. */
int	 hv_parse_bool(const char *, int *);

/*
 * Appends s as one shell word: single-quoted unless it is made only of
 * characters that are safe unquoted. The result is safe for sh, bash and
 * dash; it cannot start a command or expand anything.
 */
void	 hv_shell_quote(struct hv_buf *, const char *);

/* Levenshtein distance, bounded: returns max + 1 once it exceeds max. */
size_t	 hv_edit_distance(const char *, const char *, size_t max);

/* Reads a whole file into out (appended). -1 with a message on error. */
int	 hv_read_file(const char *path, struct hv_buf *out, struct hv_buf *err);
/* SHA-256 of data as 64 lowercase hex characters into hex[65]. */
void	 hv_sha256_hex(const void *, size_t, char hex[65]);

/*
 * The length of the valid UTF-8 sequence at p (n bytes left): 1 to 4, or
 * 0 when it is not one (overlong, a surrogate, past U+10FFFF, cut).
 */
size_t	 hv_utf8_len(const unsigned char *p, size_t n);

/* Logging to stderr; only the command layer decides the level. */
enum hv_log_level { HV_LOG_QUIET, HV_LOG_INFO, HV_LOG_VERBOSE };
extern enum hv_log_level hv_log_level;
extern int hv_log_color;
void	 hv_log(const char *, ...) HV_PRINTF(1, 2);
void	 hv_debug(const char *, ...) HV_PRINTF(1, 2);
void	 hv_warn(const char *, ...) HV_PRINTF(1, 2);

#endif
