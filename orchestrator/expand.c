/*
 * expand.c - ${...} expansion with real and shown spellings, and shell
 * commands that read their values from variables (see expand.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "experiment.h"
#include "node.h"

/*
 * The shown spelling is in the file's own syntax. A literal '$' is
 * written "$$" when what follows it could make it start something:
 * '$', '{', or (decided when it comes) a reference.
 */
static void
shown_join(struct hv_buf *b, char next)
{
	if (b->len > 0 && b->s[b->len - 1] == '$' && (next == '$' ||
	    next == '{'))
		hv_buf_putc(b, '$');
}

/* Appends literal text to a shown spelling. */
static void
shown_text(struct hv_buf *b, const char *s, size_t n)
{
	size_t	i, start = 0;

	if (b == NULL || n == 0)
		return;
	shown_join(b, s[0]);
	for (i = 0; i < n; i++) {
		if (s[i] != '$' || i + 1 == n || (s[i + 1] != '$' &&
		    s[i + 1] != '{'))
			continue;
		hv_buf_add(b, s + start, i + 1 - start);
		hv_buf_putc(b, '$');
		start = i + 1;
	}
	hv_buf_add(b, s + start, n - start);
}

/* Appends what is in the shown syntax already: a reference, a value. */
static void
shown_unit(struct hv_buf *b, const char *s)
{
	if (b == NULL || *s == '\0')
		return;
	shown_join(b, *s);
	hv_buf_puts(b, s);
}

static void
put_str(struct hv_buf *b, const char *s, size_t n)
{
	if (b != NULL)
		hv_buf_add(b, s, n);
}

/* Appends s to both spellings, quoted as one shell word if quote. */
static void
put_both(struct hv_buf *str, struct hv_buf *shown, const char *s, int quote)
{
	struct hv_buf	q = HV_BUF_INIT;

	if (quote) {
		hv_shell_quote(&q, s);
		s = q.s;
	}
	put_str(str, s, strlen(s));
	shown_text(shown, s, strlen(s));
	hv_buf_release(&q);
}

static const struct hv_var *
find_var(const struct hv_expand *x, const char *name)
{
	size_t	i;

	/* The last one wins: --var entries come after vars:. */
	for (i = x->nvars; i > 0; i--) {
		if (strcmp(x->vars[i - 1].name, name) == 0)
			return &x->vars[i - 1];
	}
	return NULL;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	}
	return 1;
}

/* Reads a secret file: its content without the final newline. */
static int
read_secret(const struct hv_expand *x, const char *path, struct hv_buf *out,
    struct hv_buf *err)
{
	struct hv_buf	full = HV_BUF_INIT, e = HV_BUF_INIT;
	int		rc;

	if (path[0] != '/' && x->dir != NULL)
		hv_buf_printf(&full, "%s/%s", x->dir, path);
	else
		hv_buf_puts(&full, path);
	/* The message names the path, never the content. */
	rc = hv_read_file_max(full.s, HV_EXPAND_MAX, out, &e);
	if (rc == -1)
		hv_error(err, "${file:%s}: %s", path, e.s);
	/* The final newline only, as $(cat file) would not keep it either. */
	if (rc == 0 && out->len > 0 && out->s[out->len - 1] == '\n') {
		out->s[--out->len] = '\0';
		if (out->len > 0 && out->s[out->len - 1] == '\r')
			out->s[--out->len] = '\0';
	}
	hv_buf_release(&full);
	hv_buf_release(&e);
	return rc;
}

/* One piece of a text: literal, or a reference (ref set, new). */
struct seg {
	const char	*lit;
	size_t		 litlen;
	char		*ref;
};

/*
 * The next piece of a text at *p in the shown syntax: "$$" is a literal
 * '$', ${env.*} and ${file:*} are references (and everything, with
 * secrets_only unset), anything else is literal. 0 at the end, -1 on an
 * unterminated "${" outside secrets_only.
 */
static int
next_seg(const char **p, int secrets_only, struct seg *sg)
{
	const char	*s = *p, *end;

	memset(sg, 0, sizeof *sg);
	if (*s == '\0')
		return 0;
	if (s[0] == '$' && s[1] == '$') {
		sg->lit = s;
		sg->litlen = 1;
		*p = s + 2;
		return 1;
	}
	if (s[0] == '$' && s[1] == '{' && (!secrets_only ||
	    strncmp(s, "${env.", 6) == 0 || strncmp(s, "${file:", 7) == 0)) {
		if ((end = strchr(s + 2, '}')) != NULL) {
			sg->ref = hv_xstrndup(s + 2, (size_t)(end - s - 2));
			*p = end + 1;
			return 1;
		}
		if (!secrets_only)
			return -1;
	}
	/* Literal up to the next '$' that may start something. */
	for (end = s + 1; *end != '\0' && *end != '$'; end++)
		;
	sg->lit = s;
	sg->litlen = (size_t)(end - s);
	*p = end;
	return 1;
}

/*
 * A secret variable as one shell word: in the real spelling its value
 * quoted; in the shown one each piece of its shown spelling quoted on
 * its own and its references as they are, so that expanded again (each
 * reference then one quoted word) the pieces join into that same word.
 */
static void
put_secret_word(const struct hv_var *v, struct hv_buf *str,
    struct hv_buf *shown)
{
	struct seg	 sg;
	const char	*p = v->shown;
	char		*lit;

	hv_shell_quote(str, v->str);
	while (shown != NULL && next_seg(&p, 1, &sg) == 1) {
		if (sg.ref != NULL) {
			shown_unit(shown, "${");
			hv_buf_puts(shown, sg.ref);
			hv_buf_putc(shown, '}');
		} else {
			lit = hv_xstrndup(sg.lit, sg.litlen);
			put_both(NULL, shown, lit, 1);
			free(lit);
		}
		free(sg.ref);
	}
}

/*
 * Expands one ${ref} (ref without the braces) into str and shown, each
 * quoted as one shell word when quote is set.
 */
static int
put_ref(const struct hv_expand *x, const char *ref, int quote,
    struct hv_buf *str, struct hv_buf *shown, unsigned *flags,
    struct hv_buf *err)
{
	const struct hv_var	*v;
	const char		*val = NULL;
	struct hv_buf		 tmp = HV_BUF_INIT, q = HV_BUF_INIT;
	size_t			 i;

	if (strncmp(ref, "env.", 4) == 0 || strncmp(ref, "file:", 5) == 0) {
		if (ref[0] == 'e' && !valid_name(ref + 4))
			return hv_error(err, "bad variable name \"%s\"", ref);
		if (ref[0] == 'e' && (val = getenv(ref + 4)) == NULL)
			return hv_error(err, "environment variable %s is not "
			    "set", ref + 4);
		if (ref[0] == 'f' && ref[5] == '\0')
			return hv_error(err, "${file:} needs a path");
		if (ref[0] == 'f') {
			if (read_secret(x, ref + 5, &tmp, err) == -1) {
				hv_buf_release(&tmp);
				return -1;
			}
			val = tmp.s;
		}
		hv_buf_printf(&q, "${%s}", ref);
		hv_secret_add(val, q.s);
		/* str is never NULL here: hv_expand() sees to it. */
		if (quote)
			hv_shell_quote(str, val);
		else
			hv_buf_puts(str, val);
		shown_unit(shown, q.s);
		*flags |= HV_EXP_SECRET;
		hv_buf_release(&tmp);
		hv_buf_release(&q);
		return 0;
	}
	if (strncmp(ref, "target.", 7) == 0) {
		if (strcmp(ref + 7, "name") != 0 &&
		    strcmp(ref + 7, "address") != 0 &&
		    strcmp(ref + 7, "tags") != 0)
			return hv_error(err, "unknown ${%s} (a target has "
			    "name, address and tags)", ref);
		if (x->target == NULL) {
			/* Expanded again from the raw text for each target. */
			hv_buf_printf(&q, "${%s}", ref);
			put_str(str, q.s, q.len);
			shown_unit(shown, q.s);
			*flags |= HV_EXP_DEFERRED;
			hv_buf_release(&q);
			return 0;
		}
		if (strcmp(ref + 7, "name") == 0)
			hv_buf_puts(&tmp, x->target->name);
		else if (strcmp(ref + 7, "address") == 0)
			hv_buf_puts(&tmp, x->target->address);
		else {
			for (i = 0; i < x->target->ntags; i++) {
				if (i > 0)
					hv_buf_putc(&tmp, ',');
				hv_buf_puts(&tmp, x->target->tags[i]);
			}
		}
		put_both(str, shown, tmp.s, quote);
		hv_buf_release(&tmp);
		return 0;
	}
	if (!valid_name(ref))
		return hv_error(err, "bad variable name \"%s\"", ref);
	if ((v = find_var(x, ref)) == NULL)
		return hv_error(err, "unknown variable ${%s}", ref);
	/* Its own error was reported where it is defined; once is enough. */
	if (v->broken)
		return 0;
	if (v->depth >= HV_EXPAND_DEPTH)
		return hv_error(err, "${%s} is variables within variables "
		    "%d deep (at most %d)", ref, v->depth + 1,
		    HV_EXPAND_DEPTH);
	if (!quote) {
		put_str(str, v->str, strlen(v->str));
		shown_unit(shown, v->shown);
	} else if (!v->secret)
		put_both(str, shown, v->str, 1);
	else
		put_secret_word(v, str, shown);
	if (v->secret)
		*flags |= HV_EXP_SECRET;
	return 0;
}

/* The pieces of a value: its literal text, and where references stand. */
struct ref {
	size_t	 at;		/* offset in the text */
	char	*name;		/* without ${ } */
	size_t	 var;		/* index of its shell variable */
};

struct pieces {
	struct hv_buf	 text;
	struct ref	*refs;
	size_t		 n;
};

static void
pieces_release(struct pieces *pc)
{
	size_t	i;

	hv_buf_release(&pc->text);
	for (i = 0; i < pc->n; i++)
		free(pc->refs[i].name);
	free(pc->refs);
}

static int
split(const char *in, int secrets_only, struct pieces *pc, struct hv_buf *err)
{
	struct seg	 sg;
	const char	*p = in;
	int		 rc;

	memset(pc, 0, sizeof *pc);
	hv_buf_init(&pc->text);
	while ((rc = next_seg(&p, secrets_only, &sg)) == 1) {
		if (sg.ref == NULL) {
			hv_buf_add(&pc->text, sg.lit, sg.litlen);
			continue;
		}
		pc->refs = hv_xreallocarray(pc->refs, pc->n + 1,
		    sizeof *pc->refs);
		pc->refs[pc->n].at = pc->text.len;
		pc->refs[pc->n].name = sg.ref;
		pc->refs[pc->n].var = 0;
		pc->n++;
	}
	if (rc == -1)
		return hv_error(err, "unterminated ${ in \"%.80s%s\"", in,
		    strlen(in) > 80 ? "..." : "");
	return 0;
}

/*
 * --- Where a reference stands in a shell command ---
 *
 * A small reader of POSIX shell (and of what bash adds) that follows
 * quotes, nesting, words, simple commands and here-documents over the
 * command's text, and says for each reference whether "$hv_NAME" there
 * gives the command the value as one word of data. It errs on the side
 * of refusing: a refusal names the reference and what to write instead.
 */

#define LEX_DEPTH	64

enum { SINK_NONE, SINK_SHELL, SINK_NEXT, SINK_ALL };

struct lex {
	const char	*s;
	size_t		 n;
	size_t		 pos;
	struct ref	*refs;
	size_t		 nrefs;
	size_t		 next;		/* the next reference to meet */
	char		*docs[8];	/* here-documents to read: delimiters */
	int		 strip[8];	/* <<-: leading tabs go */
	size_t		 ndocs;
	int		 depth;
	int		 arith;		/* inside arithmetic: refuse */
	const char	*code;		/* inside code for this: refuse */
	int		 failed;
	struct hv_buf	*err;
};

static const char *const shells[] = {
	"sh", "bash", "dash", "ash", "ksh", "mksh", "pdksh", "zsh", "yash",
	"busybox", "fish", "csh", "tcsh", "su", "runuser", "flock", "script",
	NULL
};
/* Commands that join their words into code, where they are the command. */
static const char *const evaluators[] = {
	"eval", "ssh", "watch", "let", NULL
};
/* Commands that run the command their words name. */
static const char *const wrappers[] = {
	"sudo", "doas", "env", "exec", "command", "builtin", "nohup", "nice",
	"ionice", "chrt", "taskset", "timeout", "time", "setsid", "stdbuf",
	"unbuffer", "xargs", "sshpass", NULL
};
static const char *const keywords[] = {
	"if", "then", "else", "elif", "fi", "do", "done", "while", "until",
	"for", "in", "case", "esac", "!", "{", "}", "function", NULL
};

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return 1;
	}
	return 0;
}

static void HV_PRINTF(3, 4)
refuse(struct lex *lx, size_t k, const char *fmt, ...)
{
	struct hv_buf	msg = HV_BUF_INIT;
	va_list		ap;

	if (lx->failed)
		return;
	lx->failed = 1;
	va_start(ap, fmt);
	hv_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	hv_error(lx->err, "${%s} %s", lx->refs[k].name, msg.s);
	hv_buf_release(&msg);
}

#define MSG_SQ	"is inside single quotes, where the shell would not " \
	"expand it and a command such as sh -c would read it as code: write " \
	"it outside quotes (havoc passes it as one word), or pass it to " \
	"another shell as an argument: sh -c '... \"$1\"' sh ${...}"
#define MSG_DQ	"is inside double quotes, where a command such as sh -c " \
	"would read it as code: write it outside quotes; havoc passes it as " \
	"one word"
#define MSG_ARITH "is inside arithmetic, which bash reads as code: set a " \
	"shell variable from it and check that it is a number"
#define MSG_PARAM "is inside the shell's own $${...}: write it as a word " \
	"of its own"
#define MSG_DOC	"is inside a here-document, which its command may read " \
	"as code: pipe it in as a word instead (printf '%s\\n' ${...} | ...)"

/* Refuses every reference met at or before the current position. */
static void
refuse_here(struct lex *lx, const char *why)
{
	while (lx->next < lx->nrefs && lx->refs[lx->next].at <= lx->pos)
		refuse(lx, lx->next++, "%s", why);
}

/* Whether a reference stands just before offset at. */
static int
ref_at(const struct lex *lx, size_t at)
{
	return lx->next < lx->nrefs && lx->refs[lx->next].at == at;
}

static void	lex_cmd(struct lex *, char);
static void	lex_dq(struct lex *);
static void	lex_sq(struct lex *, int);
static void	lex_param(struct lex *, int);
static void	lex_arith(struct lex *, char);

/*
 * At a '$' (in a command, or in double quotes): a nested expansion, read
 * to its end; 0 when the '$' starts none.
 */
static int
lex_dollar(struct lex *lx, int in_dq)
{
	const char	*s = lx->s;
	size_t		 p = lx->pos;

	if (p + 1 >= lx->n || ref_at(lx, p + 1))
		return 0;
	if (s[p + 1] == '(' && p + 2 < lx->n && s[p + 2] == '(' &&
	    !ref_at(lx, p + 2)) {
		lx->pos += 3;
		lex_arith(lx, ')');
	} else if (s[p + 1] == '(') {
		lx->pos += 2;
		lex_cmd(lx, ')');
	} else if (s[p + 1] == '{') {
		lx->pos += 2;
		lex_param(lx, in_dq);
	} else if (s[p + 1] == '[') {
		lx->pos += 2;
		lex_arith(lx, ']');
	} else if (s[p + 1] == '\'' && !in_dq) {
		lx->pos += 2;
		lex_sq(lx, 1);
	} else
		return 0;
	return 1;
}

static void
lex_sq(struct lex *lx, int ansi)
{
	const char	*why = ansi ? "is inside $'...': write it outside "
			    "quotes; havoc passes it as one word" : MSG_SQ;

	while (!lx->failed && lx->pos < lx->n) {
		refuse_here(lx, why);
		if (lx->s[lx->pos] == '\'') {
			lx->pos++;
			return;
		}
		if (ansi && lx->s[lx->pos] == '\\')
			lx->pos++;
		if (lx->pos < lx->n)
			lx->pos++;
	}
	refuse_here(lx, why);
}

static void
lex_dq(struct lex *lx)
{
	char	c;

	while (!lx->failed && lx->pos < lx->n) {
		refuse_here(lx, MSG_DQ);
		c = lx->s[lx->pos];
		if (c == '"') {
			lx->pos++;
			return;
		}
		if (c == '\\') {
			lx->pos++;
			refuse_here(lx, MSG_DQ);
			if (lx->pos < lx->n)
				lx->pos++;
		} else if (c == '`') {
			lx->pos++;
			lex_cmd(lx, '`');
		} else if (c != '$' || !lex_dollar(lx, 1))
			lx->pos++;
	}
	refuse_here(lx, MSG_DQ);
}

/* The shell's own ${...}, after its "${". */
static void
lex_param(struct lex *lx, int in_dq)
{
	char	c;

	while (!lx->failed && lx->pos < lx->n) {
		refuse_here(lx, MSG_PARAM);
		c = lx->s[lx->pos];
		if (c == '}') {
			lx->pos++;
			return;
		}
		if (c == '\\') {
			lx->pos++;
			refuse_here(lx, MSG_PARAM);
			if (lx->pos < lx->n)
				lx->pos++;
		} else if (c == '\'' && !in_dq) {
			lx->pos++;
			lex_sq(lx, 0);
		} else if (c == '"') {
			lx->pos++;
			lex_dq(lx);
		} else if (c == '`') {
			lx->pos++;
			lex_cmd(lx, '`');
		} else if (c != '$' || !lex_dollar(lx, in_dq))
			lx->pos++;
	}
	refuse_here(lx, MSG_PARAM);
}

/*
 * Arithmetic, after its opening: ends at "))" (close ')') or ']'. Even
 * a command nested in it gives its output to arithmetic, so references
 * are refused at any depth within.
 */
static void
lex_arith(struct lex *lx, char close)
{
	int	parens = 0;
	char	c;

	lx->arith++;
	while (!lx->failed && lx->pos < lx->n) {
		refuse_here(lx, MSG_ARITH);
		c = lx->s[lx->pos];
		if (close == ']' && c == ']') {
			lx->pos++;
			break;
		}
		if (close == ')' && c == ')' && parens == 0) {
			lx->pos++;
			if (lx->pos < lx->n && lx->s[lx->pos] == ')')
				lx->pos++;
			break;
		}
		if (c == '(')
			parens++;
		else if (c == ')')
			parens--;
		if (c == '\'') {
			lx->pos++;
			lex_sq(lx, 0);
		} else if (c == '"') {
			lx->pos++;
			lex_dq(lx);
		} else if (c == '`') {
			lx->pos++;
			lex_cmd(lx, '`');
		} else if (c != '$' || !lex_dollar(lx, 0))
			lx->pos++;
	}
	refuse_here(lx, MSG_ARITH);
	lx->arith--;
}

/* Reads the bodies of the here-documents after a newline. */
static void
lex_docs(struct lex *lx)
{
	const char	*line, *eol;
	size_t		 i, len;

	for (i = 0; i < lx->ndocs; i++) {
		while (!lx->failed && lx->pos < lx->n) {
			line = lx->s + lx->pos;
			eol = memchr(line, '\n', lx->n - lx->pos);
			len = eol != NULL ? (size_t)(eol - line) :
			    lx->n - lx->pos;
			lx->pos += len;
			/* A reference anywhere in the line, its end too. */
			refuse_here(lx, MSG_DOC);
			if (eol != NULL)
				lx->pos++;
			while (lx->strip[i] && len > 0 && *line == '\t') {
				line++;
				len--;
			}
			if (len == strlen(lx->docs[i]) &&
			    memcmp(line, lx->docs[i], len) == 0)
				break;
		}
		free(lx->docs[i]);
	}
	lx->ndocs = 0;
}

/* A word of a command as it is read. */
struct word {
	int		 active;
	size_t		 start;		/* where it began in the text */
	int		 quoted;	/* has quoted or escaped parts */
	int		 complex;	/* has expansions: text is not all */
	long		 ref;		/* its first reference, or -1 */
	struct hv_buf	 text;		/* its characters, quotes removed */
};

/* The simple command being read, and the pipeline it is part of. */
struct simple {
	int		 cmdpos;	/* its command word is still to come */
	int		 wrapped;	/* after sudo, env, timeout ... */
	int		 sink;
	const char	*sink_name;
	int		 dbracket;	/* inside [[ ]] */
	int		 doc;		/* a here-doc's word next: 1, 2 <<- */
	int		 stdin_shell;	/* a shell reading its stdin */
	int		 xargs;		/* xargs: its input goes to a shell */
	int		 after_pipe;
	long		 pipe_ref;	/* a reference in the pipeline */
	int		 code_seen;	/* a shell's code went by */
	char		 sink_buf[32];
	char		 shell[16];	/* the shell named, for messages */
};

static void
simple_reset(struct lex *lx, struct simple *sc, int pipe)
{
	if (sc->dbracket)
		lx->arith--;
	/* sh reading stdin; xargs [-I{}] sh -c: the input becomes code. */
	if (sc->after_pipe && sc->pipe_ref >= 0 && (sc->stdin_shell ||
	    (sc->xargs && sc->shell[0] != '\0')))
		refuse(lx, (size_t)sc->pipe_ref, "is piped into %s%s, which "
		    "reads it as code", sc->xargs ? "xargs " : "", sc->shell);
	sc->cmdpos = 1;
	sc->wrapped = 0;
	sc->sink = SINK_NONE;
	sc->sink_name = NULL;
	sc->dbracket = 0;
	sc->doc = 0;
	sc->stdin_shell = 0;
	sc->xargs = 0;
	sc->shell[0] = '\0';
	sc->code_seen = 0;
	sc->after_pipe = pipe;
	if (!pipe)
		sc->pipe_ref = -1;
}

static const char *
base_name(const char *s)
{
	const char	*p = strrchr(s, '/');

	return p != NULL ? p + 1 : s;
}

static int
is_assignment(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	return *s == '=' || (*s == '+' && s[1] == '=');
}

/* Whether a word that is NAME[... (no ']' yet) is open: a subscript. */
static int
in_subscript(const struct hv_buf *text)
{
	const char	*s = text->s;

	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	return *s == '[' && strchr(s, ']') == NULL;
}

/* A here-document's delimiter: the word's text without its quoting. */
static char *
doc_delim(const struct lex *lx, size_t start)
{
	struct hv_buf	b = HV_BUF_INIT;
	size_t		i;

	for (i = start; i < lx->pos && i < lx->n; i++) {
		if (lx->s[i] == '\\' && i + 1 < lx->pos)
			hv_buf_putc(&b, lx->s[++i]);
		else if (lx->s[i] != '\'' && lx->s[i] != '"')
			hv_buf_putc(&b, lx->s[i]);
	}
	return hv_buf_detach(&b);
}

/* What a finished word means for the references in it and after it. */
static void
word_end(struct lex *lx, struct word *w, struct simple *sc)
{
	const char	*text = w->text.s, *base;

	if (!w->active)
		return;
	if (w->ref >= 0) {
		if (w->quoted)
			refuse(lx, (size_t)w->ref, "is joined to quoted text "
			    "in one word, which a command such as sh -c or awk "
			    "would read as code: give the whole text a "
			    "variable of its own, or write the word without "
			    "quotes");
		else if (sc->doc)
			refuse(lx, (size_t)w->ref, "cannot end a "
			    "here-document");
		else if (sc->sink == SINK_ALL || sc->sink == SINK_NEXT)
			refuse(lx, (size_t)w->ref, "would be read as code by "
			    "%s: pass it to a shell as an argument (sh -c "
			    "'... \"$1\"' sh ${...})", sc->sink_name);
		else if (sc->sink == SINK_SHELL &&
		    strncmp(text, "--command=", 10) == 0)
			refuse(lx, (size_t)w->ref, "would be read as code by "
			    "%s", sc->sink_name);
		if (sc->pipe_ref < 0)
			sc->pipe_ref = w->ref;
	}
	if (sc->doc) {
		if (lx->ndocs < HV_ARRAY_LEN(lx->docs)) {
			lx->strip[lx->ndocs] = sc->doc == 2;
			lx->docs[lx->ndocs++] = doc_delim(lx, w->start);
		}
		sc->doc = 0;
		goto out;
	}
	if (sc->dbracket) {
		if (!w->complex && strcmp(text, "]]") == 0) {
			sc->dbracket = 0;
			lx->arith--;
		}
		goto out;
	}
	if (sc->sink == SINK_NEXT) {
		/* That was the code; what follows are its arguments. */
		sc->sink = SINK_NONE;
		sc->code_seen = 1;
		goto out;
	}
	if (w->complex) {
		sc->cmdpos = 0;
		goto out;
	}
	base = base_name(text);
	if (in_list(shells, base) && !sc->code_seen) {
		sc->sink = SINK_SHELL;
		snprintf(sc->sink_buf, sizeof sc->sink_buf, "%s -c", base);
		snprintf(sc->shell, sizeof sc->shell, "%s", base);
		sc->sink_name = sc->sink_buf;
	} else if (sc->sink == SINK_SHELL && ((text[0] == '-' &&
	    text[1] != '-' && strchr(text, 'c') != NULL) ||
	    strcmp(text, "--command") == 0)) {
		sc->sink = SINK_NEXT;
		sc->stdin_shell = 0;
	}
	else if (sc->stdin_shell && text[0] != '-')
		sc->stdin_shell = 0;	/* a script file: not stdin */
	if (!sc->cmdpos)
		goto out;
	if (is_assignment(text) || in_list(keywords, text))
		;
	else if (in_list(wrappers, base)) {
		sc->wrapped = 1;
		if (strcmp(base, "xargs") == 0)
			sc->xargs = 1;
	}
	else if (sc->wrapped && (text[0] == '-' ||
	    isdigit((unsigned char)text[0])))
		;
	else {
		sc->cmdpos = 0;
		if (in_list(evaluators, base)) {
			sc->sink = SINK_ALL;
			snprintf(sc->sink_buf, sizeof sc->sink_buf, "%s",
			    base);
			sc->sink_name = sc->sink_buf;
		} else if (strcmp(text, "[[") == 0) {
			sc->dbracket = 1;
			lx->arith++;
		} else if (sc->sink == SINK_SHELL &&
		    strcmp(base, "flock") != 0 && strcmp(base, "script") != 0)
			sc->stdin_shell = 1;
	}
out:
	w->active = 0;
	w->quoted = 0;
	w->complex = 0;
	w->ref = -1;
	hv_buf_reset(&w->text);
}

/* The word goes on, or starts here. */
static void
word_on(const struct lex *lx, struct word *w)
{
	if (!w->active)
		w->start = lx->pos;
	w->active = 1;
}

/* A reference met in a word of a command. */
static void
word_ref(struct lex *lx, struct word *w, struct simple *sc)
{
	size_t	k = lx->next++;

	word_on(lx, w);
	w->complex = 1;
	if (w->ref < 0)
		w->ref = (long)k;
	if (lx->arith > 0 || sc->dbracket)
		refuse(lx, k, "%s", MSG_ARITH);
	else if (lx->code != NULL)
		refuse(lx, k, "would be read as code by %s: pass it to a "
		    "shell as an argument (sh -c '... \"$1\"' sh ${...})",
		    lx->code);
	else if (in_subscript(&w->text))
		refuse(lx, k, "is inside an array subscript, which bash "
		    "reads as code");
	else if (w->text.len > 0 && w->text.s[w->text.len - 1] == '$' &&
	    !w->quoted)
		refuse(lx, k, "follows a '$': write $$ for a '$' of the "
		    "shell's own");
}

/*
 * The text of a quoted part of a word, from at to its closing quote, if
 * it is plain: so that "sh" is sh. A part that expands is not plain.
 */
static void
quoted_text(const struct lex *lx, struct word *w, size_t at)
{
	size_t	end = lx->pos > at ? lx->pos - 1 : at;

	if (memchr(lx->s + at, '$', end - at) != NULL ||
	    memchr(lx->s + at, '`', end - at) != NULL ||
	    memchr(lx->s + at, '\\', end - at) != NULL)
		w->complex = 1;
	else
		hv_buf_add(&w->text, lx->s + at, end - at);
}

/*
 * Starts a nested expansion in a word: what is nested in the code of a
 * command that runs code is code too.
 */
static void
nested(struct lex *lx, struct word *w, struct simple *sc, int dollar,
    char end)
{
	const char	*saved = lx->code;
	size_t		 before = lx->next;

	word_on(lx, w);
	w->complex = 1;
	if (sc->sink == SINK_ALL || sc->sink == SINK_NEXT)
		lx->code = sc->sink_name;
	if (dollar)
		(void)lex_dollar(lx, 0);
	else if (end == '"')
		lex_dq(lx);
	else
		lex_cmd(lx, end);
	lx->code = saved;
	if (lx->next > before && sc->pipe_ref < 0)
		sc->pipe_ref = (long)before;
}

/*
 * A command (the whole text, or one nested in $(...) or `...`), up to its
 * end character (0: the end of the text).
 */
static void
lex_cmd(struct lex *lx, char end)
{
	struct word	w;
	struct simple	sc;
	const char	*s = lx->s;
	size_t		at;
	int		parens = 0;
	char		c;

	memset(&w, 0, sizeof w);
	memset(&sc, 0, sizeof sc);
	hv_buf_init(&w.text);
	w.ref = -1;
	sc.pipe_ref = -1;
	simple_reset(lx, &sc, 0);
	if (++lx->depth > LEX_DEPTH) {
		lx->failed = 1;
		hv_error(lx->err, "the command nests more than %d levels deep",
		    LEX_DEPTH);
	}
	while (!lx->failed) {
		while (ref_at(lx, lx->pos) && !lx->failed)
			word_ref(lx, &w, &sc);
		if (lx->pos >= lx->n || lx->failed)
			break;
		c = s[lx->pos];
		if (end != 0 && c == end && (end != ')' || parens == 0)) {
			lx->pos++;
			break;
		}
		switch (c) {
		case ' ':
		case '\t':
			word_end(lx, &w, &sc);
			lx->pos++;
			break;
		case '\n':
			word_end(lx, &w, &sc);
			simple_reset(lx, &sc, 0);
			lx->pos++;
			if (lx->ndocs > 0)
				lex_docs(lx);
			break;
		case ';':
		case '&':
		case '|':
			word_end(lx, &w, &sc);
			lx->pos++;
			if (c == '|' && (lx->pos >= lx->n ||
			    s[lx->pos] != '|' || ref_at(lx, lx->pos)))
				simple_reset(lx, &sc, 1);
			else {
				if (lx->pos < lx->n && s[lx->pos] == c &&
				    !ref_at(lx, lx->pos))
					lx->pos++;
				simple_reset(lx, &sc, 0);
			}
			break;
		case '(':
			word_end(lx, &w, &sc);
			if (sc.cmdpos && lx->pos + 1 < lx->n &&
			    s[lx->pos + 1] == '(' && !ref_at(lx, lx->pos + 1)) {
				/* (( ... )): arithmetic as a command. */
				lx->pos += 2;
				lex_arith(lx, ')');
				break;
			}
			parens++;
			lx->pos++;
			simple_reset(lx, &sc, 0);
			break;
		case ')':
			word_end(lx, &w, &sc);
			parens--;
			lx->pos++;
			simple_reset(lx, &sc, 0);
			break;
		case '<':
		case '>':
			word_end(lx, &w, &sc);
			lx->pos++;
			if (c == '<' && lx->pos < lx->n && s[lx->pos] == '<' &&
			    !ref_at(lx, lx->pos)) {
				lx->pos++;
				if (lx->pos < lx->n && s[lx->pos] == '<')
					lx->pos++;	/* <<<: a word */
				else if (lx->pos < lx->n && s[lx->pos] == '-' &&
				    !ref_at(lx, lx->pos)) {
					lx->pos++;
					sc.doc = 2;
				} else
					sc.doc = 1;
			} else if (lx->pos < lx->n && !ref_at(lx, lx->pos) &&
			    strchr("<>&|", s[lx->pos]) != NULL)
				lx->pos++;
			break;
		case '#':
			if (w.active) {
				hv_buf_putc(&w.text, c);
				lx->pos++;
				break;
			}
			/* A comment: what is in it is never run. */
			while (lx->pos < lx->n && s[lx->pos] != '\n') {
				lx->pos++;
				while (ref_at(lx, lx->pos))
					lx->next++;
			}
			break;
		case '\\':
			word_on(lx, &w);
			lx->pos++;
			if (ref_at(lx, lx->pos)) {
				refuse(lx, lx->next, "follows a backslash, "
				    "which would escape a quote of the word "
				    "havoc makes of it");
				break;
			}
			if (lx->pos < lx->n && s[lx->pos] == '\n') {
				lx->pos++;	/* a line goes on */
				break;
			}
			w.quoted = 1;
			if (lx->pos < lx->n)
				hv_buf_putc(&w.text, s[lx->pos++]);
			break;
		case '\'':
			word_on(lx, &w);
			w.quoted = 1;
			at = ++lx->pos;
			lex_sq(lx, 0);
			quoted_text(lx, &w, at);
			break;
		case '"':
			word_on(lx, &w);
			w.quoted = 1;
			at = ++lx->pos;
			nested(lx, &w, &sc, 0, '"');
			quoted_text(lx, &w, at);
			break;
		case '`':
			lx->pos++;
			nested(lx, &w, &sc, 0, '`');
			break;
		case '$':
			if (lx->pos + 1 < lx->n && s[lx->pos + 1] == '\'' &&
			    !ref_at(lx, lx->pos + 1))
				w.quoted = 1;
			if (lx->pos + 1 < lx->n && !ref_at(lx, lx->pos + 1) &&
			    strchr("({['", s[lx->pos + 1]) != NULL) {
				nested(lx, &w, &sc, 1, 0);
				break;
			}
			word_on(lx, &w);
			hv_buf_putc(&w.text, c);
			lx->pos++;
			break;
		default:
			word_on(lx, &w);
			hv_buf_putc(&w.text, c);
			lx->pos++;
			break;
		}
	}
	word_end(lx, &w, &sc);
	simple_reset(lx, &sc, 0);
	hv_buf_release(&w.text);
	lx->depth--;
}

/*
 * The shell variable of a reference: hv_ and its name made a name, and a
 * number when another reference made the same (my-var, my.var).
 */
static void
var_name(const char *ref, const struct hv_buf *names, size_t nnames,
    struct hv_buf *out)
{
	size_t	i, len, n = 1;

	hv_buf_puts(out, "hv_");
	for (i = 0; i < 40 && ref[i] != '\0'; i++)
		hv_buf_putc(out, isalnum((unsigned char)ref[i]) ? ref[i] :
		    '_');
	len = out->len;
	for (i = 0; i < nnames; i++) {
		if (strcmp(names[i].s, out->s) != 0)
			continue;
		out->len = len;
		out->s[len] = '\0';
		hv_buf_printf(out, "_%zu", ++n);
		i = (size_t)-1;		/* and look again */
	}
}

/*
 * A shell command: checks where each reference stands, then writes the
 * variables' prefix and the command reading them.
 */
static int
expand_shell(const struct hv_expand *x, struct pieces *pc,
    struct hv_buf *str, struct hv_buf *shown, unsigned *flags,
    struct hv_buf *err)
{
	struct lex	 lx;
	struct hv_buf	*names = NULL, ref = HV_BUF_INIT;
	size_t		 i, j, nnames = 0, at = 0, start = str->len;
	int		 rc = 0;

	memset(&lx, 0, sizeof lx);
	lx.s = pc->text.s;
	lx.n = pc->text.len;
	lx.refs = pc->refs;
	lx.nrefs = pc->n;
	lx.err = err;
	lex_cmd(&lx, 0);
	for (i = 0; i < lx.ndocs; i++)
		free(lx.docs[i]);
	if (lx.failed)
		return -1;
	/* One variable per distinct reference, named after it. */
	names = hv_xcalloc(pc->n + 1, sizeof *names);
	for (i = 0; i < pc->n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(pc->refs[j].name, pc->refs[i].name) == 0)
				break;
		}
		if (j < i) {
			pc->refs[i].var = pc->refs[j].var;
			continue;
		}
		hv_buf_init(&names[nnames]);
		var_name(pc->refs[i].name, names, nnames, &names[nnames]);
		pc->refs[i].var = nnames++;
		if (nnames > 1) {
			put_str(str, " ", 1);
			shown_text(shown, " ", 1);
		}
		put_str(str, names[nnames - 1].s, names[nnames - 1].len);
		shown_text(shown, names[nnames - 1].s, names[nnames - 1].len);
		put_str(str, "=", 1);
		shown_text(shown, "=", 1);
		if ((rc = put_ref(x, pc->refs[i].name, 1, str, shown, flags,
		    err)) == -1)
			goto out;
		if (str->len - start > HV_EXPAND_MAX) {
			rc = hv_error(err, "the value expands to more than %d "
			    "MiB", HV_EXPAND_MAX / (1024 * 1024));
			goto out;
		}
	}
	if (nnames > 0) {
		put_str(str, "; ", 2);
		shown_text(shown, "; ", 2);
	}
	for (i = 0; i < pc->n; i++) {
		put_str(str, pc->text.s + at, pc->refs[i].at - at);
		shown_text(shown, pc->text.s + at, pc->refs[i].at - at);
		at = pc->refs[i].at;
		hv_buf_reset(&ref);
		hv_buf_printf(&ref, "\"$%s\"", names[pc->refs[i].var].s);
		put_str(str, ref.s, ref.len);
		shown_text(shown, ref.s, ref.len);
	}
	put_str(str, pc->text.s + at, pc->text.len - at);
	shown_text(shown, pc->text.s + at, pc->text.len - at);
out:
	for (i = 0; i < nnames; i++)
		hv_buf_release(&names[i]);
	free(names);
	hv_buf_release(&ref);
	return rc;
}

int
hv_expand(const struct hv_expand *x, const char *in, struct hv_buf *str,
    struct hv_buf *shown, unsigned *flags, struct hv_buf *err)
{
	struct hv_buf	 tmp = HV_BUF_INIT;
	struct pieces	 pc;
	size_t		 start, i, at = 0;
	unsigned	 dummy = 0;
	int		 rc = 0;

	if (flags == NULL)
		flags = &dummy;
	/* The size is checked on the real spelling; it is never NULL. */
	if (str == NULL)
		str = &tmp;
	start = str->len;
	if (split(in, x->secrets_only, &pc, err) == -1) {
		pieces_release(&pc);
		hv_buf_release(&tmp);
		return -1;
	}
	if (x->shell && !x->secrets_only && pc.n > 0)
		rc = expand_shell(x, &pc, str, shown, flags, err);
	else {
		/* Secrets_only: its references are quoted, the rest is. */
		for (i = 0; i < pc.n && rc == 0; i++) {
			put_str(str, pc.text.s + at, pc.refs[i].at - at);
			shown_text(shown, pc.text.s + at,
			    pc.refs[i].at - at);
			at = pc.refs[i].at;
			rc = put_ref(x, pc.refs[i].name, x->shell, str, shown,
			    flags, err);
			if (rc == 0 && str->len - start > HV_EXPAND_MAX)
				break;
		}
		if (rc == 0) {
			put_str(str, pc.text.s + at, pc.text.len - at);
			shown_text(shown, pc.text.s + at, pc.text.len - at);
		}
	}
	if (rc == 0 && str->len - start > HV_EXPAND_MAX)
		rc = hv_error(err, "the value expands to more than %d MiB",
		    HV_EXPAND_MAX / (1024 * 1024));
	if (rc == 0 && x->budget != NULL) {
		if (str->len - start > *x->budget)
			rc = hv_error(err, "the file's values expand to more "
			    "than %d MiB in all", HV_EXPAND_BUDGET /
			    (1024 * 1024));
		else
			*x->budget -= str->len - start;
	}
	pieces_release(&pc);
	hv_buf_release(&tmp);
	return rc;
}

char *
hv_expand_literal(const char *s)
{
	struct hv_buf	b = HV_BUF_INIT;

	shown_text(&b, s, strlen(s));
	return hv_buf_detach(&b);
}

int
hv_expand_depth(const struct hv_expand *x, const char *in)
{
	const struct hv_var	*v;
	struct seg		 sg;
	const char		*p = in;
	int			 depth = 0;

	while (next_seg(&p, 0, &sg) == 1) {
		if (sg.ref != NULL && (v = find_var(x, sg.ref)) != NULL &&
		    v->depth + 1 > depth)
			depth = v->depth + 1;
		free(sg.ref);
	}
	return depth;
}

/* Expands one scalar from its raw text into str and shown. */
static int
expand_scalar(const struct hv_expand *x, struct hv_node *n, struct hv_buf *err)
{
	struct hv_expand	 xs = *x;
	struct hv_buf		 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	unsigned		 flags = 0;

	xs.shell = n->shell;
	if (hv_expand(&xs, n->raw, &str, &shown, &flags, err) == -1) {
		hv_buf_release(&str);
		hv_buf_release(&shown);
		return -1;
	}
	free(n->str);
	free(n->shown);
	n->str = hv_buf_detach(&str);
	n->shown = hv_buf_detach(&shown);
	n->secret = (flags & HV_EXP_SECRET) != 0;
	n->deferred = (flags & HV_EXP_DEFERRED) != 0;
	return 0;
}

int
hv_expand_tree(const struct hv_expand *x, struct hv_node *n,
    struct hv_diag *diag)
{
	struct hv_buf	err = HV_BUF_INIT;
	size_t		i;
	int		count = 0;

	if (n == NULL)
		return 0;
	if (n->kind == HV_NODE_SCALAR && n->raw != NULL) {
		n->failed = 0;
		if (expand_scalar(x, n, &err) == -1) {
			hv_diag_node(diag, n, "%s", err.s);
			n->failed = 1;
			count++;
		}
		hv_buf_release(&err);
		return count;
	}
	for (i = 0; i < n->n; i++)
		count += hv_expand_tree(x, n->items[i], diag);
	return count;
}

/* Re-expands deferred scalars of a copy for the target. */
static int
resolve(const struct hv_expand *x, struct hv_node *n, struct hv_buf *err)
{
	size_t	i;

	if (n->kind == HV_NODE_SCALAR && n->deferred)
		return expand_scalar(x, n, err);
	for (i = 0; i < n->n; i++) {
		if (resolve(x, n->items[i], err) == -1)
			return -1;
	}
	return 0;
}

struct hv_node *
hv_node_for_target(const struct hv_expand *x, const struct hv_node *n,
    struct hv_buf *err)
{
	struct hv_node	*copy;

	copy = hv_node_dup(n);
	if (copy != NULL && resolve(x, copy, err) == -1) {
		hv_node_free(copy);
		return NULL;
	}
	return copy;
}
