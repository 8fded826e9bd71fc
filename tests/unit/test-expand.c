/*
 * test-expand.c - expand.c on shell commands, against real shells.
 *
 * The hostile corpus: every quoting context a command can put a ${x} in,
 * times every hostile value (command substitutions, quotes of each kind,
 * newlines, here-document ends, bash arithmetic, redirections ...). Each
 * command havoc accepts is run with /bin/sh, and with bash when there is
 * one, in a folder of its own: the canary file the payloads would create
 * must never appear, and the command must print the value intact. Each
 * command havoc refuses must be refused with a message naming ${x}.
 * Secrets go the same way, and expanding a command's shown spelling
 * again (as the fault journal does) must give a command that prints the
 * same thing, while the shown spelling never holds the secret.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expand.h"
#include "experiment.h"
#include "util.h"

/*
 * A context: a command with ${x} in it; want is what it prints, '@'
 * standing for the value (NULL: havoc must refuse it). strip: the value
 * went through $(...), which drops its final newlines.
 */
struct context {
	const char	*cmd;
	const char	*want;
	int		 strip;
};

static const struct context contexts[] = {
	/* A word of its own, or part of one, anywhere a word may be. */
	{ "printf %s ${x}", "@", 0 },
	{ "printf %s a${x}b", "a@b", 0 },
	{ "printf %s ${x}${x}", "@@", 0 },
	{ "printf '[%s]' ${x}", "[@]", 0 },
	{ "printf '%s|' ${x} ${x}", "@|@|", 0 },
	{ "printf %s \"a\" ${x} \"b\"", "a@b", 0 },
	{ "printf %s ${x} | cat", "@", 0 },
	{ "printf %s ${x} && printf %s ${x}", "@@", 0 },
	{ "v=${x}; printf %s \"$v\"", "@", 0 },
	{ "v=${x} sh -c 'printf %s \"$v\"'", "@", 0 },
	{ "case ${x} in *) printf %s ${x};; esac", "@", 0 },
	{ "if [ ${x} = ${x} ]; then printf ok; fi", "ok", 0 },
	{ "sh -c 'printf %s \"$1\"' sh ${x}", "@", 0 },
	{ "sh -c 'printf %s \"$2\"' sh -c ${x}", "@", 0 },
	{ "printf %s ${x} # it's a comment", "@", 0 },
	{ "# ${x} it's\nprintf done", "done", 0 },
	{ "cat <<'EOF'\nit's $${HOME\nEOF\nprintf %s ${x}", "it's ${HOME\n@",
	    0 },
	{ "cat <<-'EOF'\n\tfixed\n\tEOF\nprintf %s ${x}", "fixed\n@", 0 },
	{ "printf %s ${x} >out; cat out", "@", 0 },
	{ "printf %s ${x} 2>&1 >out && cat <out", "@", 0 },
	{ "for v in ${x}; do printf %s \"$v\"; done", "@", 0 },
	{ "f() { printf %s \"$1\"; }; f ${x}", "@", 0 },
	{ "(printf %s ${x})", "@", 0 },
	{ "{ printf %s ${x}; }", "@", 0 },
	{ "env printf %s ${x}", "@", 0 },
	{ "timeout 5 printf %s ${x}", "@", 0 },
	{ "printf %s \"$(printf %s ${x})\"", "@", 1 },
	{ "printf %s \"`printf %s ${x}`\"", "@", 1 },
	{ "v=$(printf %s ${x}); printf %s \"$v\"", "@", 1 },
	{ "printf '%s\\n' ${x} | sh -c 'cat'", "@\n", 0 },
	{ "printf %s ${x} | xargs -0 printf %s", "@", 0 },
	{ "x=1; printf %s \"$${x}\" ${x}", "1@", 0 },
	{ "test -n ${x} || test -z ${x}; printf ok", "ok", 0 },

	/* Quotes: a shell may read the string as code; refused. */
	{ "printf %s '${x}'", NULL, 0 },
	{ "printf %s \"${x}\"", NULL, 0 },
	{ "printf %s \"a ${x} b\"", NULL, 0 },
	{ "printf %s $'${x}'", NULL, 0 },
	{ "printf %s 'a'${x}'b'", NULL, 0 },
	{ "printf %s a'b'${x}", NULL, 0 },
	{ "printf %s ${x}\"\"", NULL, 0 },
	{ "printf %s \\${x}", NULL, 0 },
	{ "printf %s a\\ ${x}", NULL, 0 },
	{ "printf %s $$${x}", NULL, 0 },
	{ "awk 'BEGIN { print \"'${x}'\" }'", NULL, 0 },
	{ "printf %s \"$(printf %s \"${x}\")\"", NULL, 0 },
	{ "printf %s `printf %s '${x}'`", NULL, 0 },
	/* Here-documents, whatever their delimiter. */
	{ "cat <<EOF\n${x}\nEOF", NULL, 0 },
	{ "cat <<'EOF'\n${x}\nEOF", NULL, 0 },
	{ "cat <<-EOF\n\ta ${x}\n\tEOF", NULL, 0 },
	{ "sh <<EOF\nprintf %s ${x}\nEOF", NULL, 0 },
	{ "cat <<${x}\nfoo\n", NULL, 0 },
	/* Another shell's code, or a command that joins words into code. */
	{ "sh -c 'printf %s ${x}'", NULL, 0 },
	{ "sh -c \"printf %s ${x}\"", NULL, 0 },
	{ "sh -c printf\\ %s\\ ${x}", NULL, 0 },
	{ "sh -c ${x}", NULL, 0 },
	{ "sh -ec echo${x}", NULL, 0 },
	{ "/bin/bash -c ${x}", NULL, 0 },
	{ "sudo -u nobody sh -c ${x}", NULL, 0 },
	{ "sh -c \"$(printf %s ${x})\"", NULL, 0 },
	{ "eval printf %s ${x}", NULL, 0 },
	{ "eval \"printf %s ${x}\"", NULL, 0 },
	{ "eval $(printf %s ${x})", NULL, 0 },
	{ "timeout 5 eval printf ${x}", NULL, 0 },
	{ "ssh localhost printf %s ${x}", NULL, 0 },
	{ "watch printf %s ${x}", NULL, 0 },
	{ "su -c ${x} root", NULL, 0 },
	{ "flock /tmp/l -c ${x}", NULL, 0 },
	{ "printf %s ${x} | sh", NULL, 0 },
	{ "printf %s ${x} | bash -s", NULL, 0 },
	{ "printf %s ${x} | sudo sh", NULL, 0 },
	{ "printf %s $(printf %s ${x}) | sh", NULL, 0 },
	{ "printf %s ${x} | xargs sh -c", NULL, 0 },
	{ "printf %s ${x} | xargs -I{} sh -c 'echo {}'", NULL, 0 },
	{ "printf %s ${x} | su", NULL, 0 },
	/* Arithmetic and what bash evaluates as arithmetic. */
	{ "printf %s $((${x}))", NULL, 0 },
	{ "printf %s $((1 + $(printf %s ${x})))", NULL, 0 },
	{ "printf %s $[${x}]", NULL, 0 },
	{ "(( ${x} ))", NULL, 0 },
	{ "[[ ${x} -eq 1 ]]", NULL, 0 },
	{ "[[ $(printf %s ${x}) == a ]]", NULL, 0 },
	{ "let v=${x}", NULL, 0 },
	{ "a[${x}]=1", NULL, 0 },
	{ "printf %s $${HOME:-${x}}", NULL, 0 },
};

/* Values: @C@ is the canary's path. */
static const char *const values[] = {
	"plain", "", " ", "a b", "  two  spaces  ", "-n", "--help", "-e",
	"*", "~", "$HOME", "${HOME}", "$$", "\\", "\\\\", "'", "\"", "`",
	"$(touch @C@)", "`touch @C@`", ";touch @C@", "|touch @C@",
	"&touch @C@", "&&touch @C@", "||touch @C@", "\ntouch @C@\n",
	"a\ntouch @C@", "'$(touch @C@)'", "\"$(touch @C@)\"",
	"'; touch @C@; '", "\"; touch @C@; \"", "\\'; touch @C@; #",
	"\\\"; touch @C@; #", "\\\\$(touch @C@)", "EOF\ntouch @C@\nEOF",
	")$(touch @C@)(", "}; touch @C@; {", "a[$(touch @C@)]",
	"x[$(touch @C@)]", "$((1))$(touch @C@)", "'\"'\"'$(touch @C@)'\"'\"'",
	"$'\\x27'; touch @C@", "${IFS}touch${IFS}@C@", "%s%n%x", ">@C@",
	"<(touch @C@)", "!touch @C@", "#touch @C@", "x=1 touch @C@",
	"$(printf touch) @C@", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
	"\x01\x1b[31mred\x1b[0m", "\t", "a\r\nb", "1", "0", "-1",
};

struct fixture {
	char	dir[64];
	char	canary[96];
	char	bash[32];
};

static int
setup(void **state)
{
	struct fixture	*f = hv_xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-expand-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->canary, sizeof f->canary, "%s/canary", f->dir);
	if (access("/bin/bash", X_OK) == 0)
		snprintf(f->bash, sizeof f->bash, "/bin/bash");
	hv_log_level = HV_LOG_QUIET;
	alarm(300);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 path[128];

	snprintf(path, sizeof path, "%s/out", f->dir);
	unlink(path);
	unlink(f->canary);
	rmdir(f->dir);
	free(f);
	unsetenv("HV_EXPAND_SECRET");
	hv_secrets_clear();
	alarm(0);
	return 0;
}

/* s with every @C@ replaced by the canary's path (new). */
static char *
with_canary(const struct fixture *f, const char *s)
{
	struct hv_buf	 b = HV_BUF_INIT;
	const char	*p;

	while ((p = strstr(s, "@C@")) != NULL) {
		hv_buf_add(&b, s, (size_t)(p - s));
		hv_buf_puts(&b, f->canary);
		s = p + 3;
	}
	hv_buf_puts(&b, s);
	return hv_buf_detach(&b);
}

/* What cmd prints when shell runs it in the fixture's folder (new). */
static char *
run_shell(const struct fixture *f, const char *shell, const char *cmd)
{
	struct hv_buf	out = HV_BUF_INIT;
	char		buf[4096];
	ssize_t		n;
	int		fd[2], st, devnull;
	pid_t		pid;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(fd[1], 1);
		dup2(devnull, 2);
		close(fd[0]);
		if (chdir(f->dir) == -1)
			_exit(126);
		execl(shell, shell, "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf, sizeof buf)) > 0)
		hv_buf_add(&out, buf, (size_t)n);
	close(fd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return hv_buf_detach(&out);
}

/* want with each '@' replaced by the value (new). */
static char *
expected(const struct context *c, const char *value)
{
	struct hv_buf	 b = HV_BUF_INIT, v = HV_BUF_INIT;
	const char	*p;

	hv_buf_puts(&v, value);
	if (c->strip) {
		while (v.len > 0 && v.s[v.len - 1] == '\n')
			v.s[--v.len] = '\0';
	}
	for (p = c->want; *p != '\0'; p++) {
		if (*p == '@')
			hv_buf_add(&b, v.s, v.len);
		else
			hv_buf_putc(&b, *p);
	}
	hv_buf_release(&v);
	return hv_buf_detach(&b);
}

/* Runs cmd with every shell: it prints want, and no canary appears. */
static void
check_runs(const struct fixture *f, const char *cmd, const char *want,
    const char *what)
{
	const char	*shells[2];
	char		*out;
	size_t		 i;

	shells[0] = "/bin/sh";
	shells[1] = f->bash[0] != '\0' ? f->bash : NULL;
	for (i = 0; i < 2 && shells[i] != NULL; i++) {
		out = run_shell(f, shells[i], cmd);
		if (access(f->canary, F_OK) == 0)
			fail_msg("%s: %s ran the payload of %s", what,
			    shells[i], cmd);
		if (strcmp(out, want) != 0)
			fail_msg("%s: %s printed \"%s\", not \"%s\" (the "
			    "command: %s)", what, shells[i], out, want, cmd);
		free(out);
	}
}

static void
test_hostile_corpus(void **state)
{
	struct fixture		*f = *state;
	struct hv_var		 var = { "x", NULL, NULL, 0, 0, 0 };
	struct hv_expand	 x = { &var, 1, NULL, NULL, 1, 0, NULL };
	struct hv_expand	 again = { NULL, 0, NULL, NULL, 1, 1, NULL };
	struct hv_buf		 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	struct hv_buf		 err = HV_BUF_INIT, str2 = HV_BUF_INIT;
	char			*value, *want, what[64];
	size_t			 i, j, ran = 0, refused = 0;
	int			 rc;

	for (j = 0; j < HV_ARRAY_LEN(values); j++) {
		value = with_canary(f, values[j]);
		var.str = value;
		var.shown = hv_expand_literal(value);
		for (i = 0; i < HV_ARRAY_LEN(contexts); i++) {
			snprintf(what, sizeof what, "context %zu, value %zu",
			    i, j);
			hv_buf_reset(&str);
			hv_buf_reset(&shown);
			hv_buf_reset(&err);
			rc = hv_expand(&x, contexts[i].cmd, &str, &shown, NULL,
			    &err);
			if (contexts[i].want == NULL) {
				if (rc != -1)
					fail_msg("%s: %s was accepted as %s",
					    what, contexts[i].cmd, str.s);
				if (strstr(err.s, "${x}") == NULL)
					fail_msg("%s: \"%s\" does not name "
					    "${x}", what, err.s);
				refused++;
				continue;
			}
			if (rc != 0)
				fail_msg("%s: %s was refused: %s", what,
				    contexts[i].cmd, err.s);
			/*
			 * The shown spelling, expanded again as a revert
			 * from the journal is, is the same command.
			 */
			hv_buf_reset(&str2);
			assert_int_equal(hv_expand(&again, shown.s, &str2,
			    NULL, NULL, &err), 0);
			assert_string_equal(str2.s, str.s);
			want = expected(&contexts[i], value);
			check_runs(f, str.s, want, what);
			free(want);
			ran++;
		}
		free(var.shown);
		free(value);
	}
	/* Hundreds of cases each way: the corpus is what it says. */
	print_message("%zu contexts x %zu values: %zu commands run with "
	    "/bin/sh%s, %zu refused\n", HV_ARRAY_LEN(contexts),
	    HV_ARRAY_LEN(values), ran, f->bash[0] != '\0' ? " and bash" : "",
	    refused);
	assert_true(ran > 1000);
	assert_true(refused > 1000);
	hv_buf_release(&str);
	hv_buf_release(&str2);
	hv_buf_release(&shown);
	hv_buf_release(&err);
}

/*
 * A secret in a shell command: the prefix sets it from the environment;
 * the shown spelling holds its reference only, and expanded again in
 * secrets_only mode (as a revert from the journal is) runs the same.
 */
static void
test_secret_round_trip(void **state)
{
	struct fixture		*f = *state;
	struct hv_var		 vars[] = {
		{ "greet", NULL, NULL, 1, 0, 0 },
		{ "plain", "x y", "x y", 0, 0, 0 },
	};
	struct hv_expand	 x = { vars, 2, f->dir, NULL, 1, 0, NULL };
	struct hv_expand	 again = { NULL, 0, f->dir, NULL, 1, 1, NULL };
	struct hv_buf		 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	struct hv_buf		 str2 = HV_BUF_INIT, err = HV_BUF_INIT;
	char			*secret, *want, path[128];
	FILE			*fp;
	size_t			 j;

	snprintf(path, sizeof path, "%s/out", f->dir);
	for (j = 0; j < HV_ARRAY_LEN(values); j++) {
		/* Those with the canary cannot be in the command's text. */
		if (strstr(values[j], "@C@") == NULL ||
		    strchr(values[j], '\n') != NULL)
			continue;
		secret = with_canary(f, values[j]);
		setenv("HV_EXPAND_SECRET", secret, 1);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, "%s\n", secret);
		fclose(fp);
		vars[0].str = hv_xasprintf("<%s>", secret);
		vars[0].shown = hv_xstrdup("<${env.HV_EXPAND_SECRET}>");
		hv_buf_reset(&str);
		hv_buf_reset(&shown);
		hv_buf_reset(&str2);
		if (hv_expand(&x, "printf %s ${env.HV_EXPAND_SECRET} "
		    "${greet} ${file:out} ${plain}; printf '$${HOME}'",
		    &str, &shown, NULL, &err) == -1)
			fail_msg("%s", err.s);
		if (strstr(shown.s, f->canary) != NULL)
			fail_msg("the shown spelling holds the secret: %s",
			    shown.s);
		assert_non_null(strstr(shown.s,
		    "hv_env_HV_EXPAND_SECRET=${env.HV_EXPAND_SECRET}"));
		assert_non_null(strstr(shown.s, "${file:out}"));
		want = hv_xasprintf("%s<%s>%sx y${HOME}", secret, secret,
		    secret);
		check_runs(f, str.s, want, values[j]);
		if (hv_expand(&again, shown.s, &str2, NULL, NULL, &err) == -1)
			fail_msg("%s", err.s);
		check_runs(f, str2.s, want, values[j]);
		free(want);
		free(vars[0].str);
		free(vars[0].shown);
		free(secret);
	}
	hv_buf_release(&str);
	hv_buf_release(&str2);
	hv_buf_release(&shown);
	hv_buf_release(&err);
}

/* Expands in for the shell; returns the error, or "" (new). */
static char *
shell_error(const struct hv_var *vars, size_t n, const char *in)
{
	struct hv_expand	 x = { vars, n, NULL, NULL, 1, 0, NULL };
	struct hv_buf		 str = HV_BUF_INIT, err = HV_BUF_INIT;

	(void)hv_expand(&x, in, &str, NULL, NULL, &err);
	hv_buf_release(&str);
	return hv_buf_detach(&err);
}

/* Messages say what is wrong and what to write. */
static void
test_messages(void **state)
{
	struct hv_var	 vars[] = { { "x", "v", "v", 0, 0, 0 } };
	static const struct {
		const char	*in;
		const char	*says;
	} cases[] = {
		{ "echo '${x}'", "${x} is inside single quotes" },
		{ "echo \"${x}\"", "${x} is inside double quotes" },
		{ "cat <<E\n${x}\nE", "${x} is inside a here-document" },
		{ "sh -c ${x}", "${x} would be read as code by sh -c: pass it "
		    "to a shell as an argument (sh -c '... \"$1\"' sh ${...})" },
		{ "eval ${x}", "would be read as code by eval" },
		{ "echo $((${x}))", "${x} is inside arithmetic" },
		{ "echo ${x} | bash", "${x} is piped into bash, which" },
		{ "echo a\\ ${x}", "is joined to quoted text in one word" },
		{ "echo \\${x}", "follows a backslash" },
		{ "a[${x}]=1", "array subscript" },
		{ "echo ${y}", "unknown variable ${y}" },
	};
	char	*e;
	size_t	 i;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(cases); i++) {
		e = shell_error(vars, 1, cases[i].in);
		if (strstr(e, cases[i].says) == NULL)
			fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].in,
			    e, cases[i].says);
		free(e);
	}
}

/*
 * The variables' names: from the reference, one per distinct reference,
 * and distinct when two references make the same name.
 */
static void
test_variable_names(void **state)
{
	struct hv_var		 vars[] = {
		{ "my-var", "1", "1", 0, 0, 0 },
		{ "my.var", "2", "2", 0, 0, 0 },
		{ "my_var", "3", "3", 0, 0, 0 },
	};
	struct hv_expand	 x = { vars, 3, NULL, NULL, 1, 0, NULL };
	struct hv_buf		 str = HV_BUF_INIT, err = HV_BUF_INIT;

	(void)state;
	assert_int_equal(hv_expand(&x, "echo ${my-var} ${my.var} ${my_var} "
	    "${my-var}", &str, NULL, NULL, &err), 0);
	assert_string_equal(str.s, "hv_my_var=1 hv_my_var_2=2 hv_my_var_3=3; "
	    "echo \"$hv_my_var\" \"$hv_my_var_2\" \"$hv_my_var_3\" "
	    "\"$hv_my_var\"");
	/* No reference, no prefix: the command is what was written. */
	hv_buf_reset(&str);
	assert_int_equal(hv_expand(&x, "echo '$$HOME' \"$${a:-b}\"", &str,
	    NULL, NULL, &err), 0);
	assert_string_equal(str.s, "echo '$HOME' \"${a:-b}\"");
	hv_buf_release(&str);
	hv_buf_release(&err);
}

/*
 * Bounds: a value of more than HV_EXPAND_MAX, variables nested deeper
 * than HV_EXPAND_DEPTH, a file's budget, and a command nested deeper
 * than the reader follows are errors, not gigabytes or a crash.
 */
static void
test_bounds(void **state)
{
	struct hv_var		 vars[HV_EXPAND_DEPTH + 2];
	struct hv_expand	 x = { vars, 0, NULL, NULL, 0, 0, NULL };
	struct hv_buf		 str = HV_BUF_INIT, err = HV_BUF_INIT;
	struct hv_buf		 in = HV_BUF_INIT, hundred = HV_BUF_INIT;
	char			*big, names[HV_EXPAND_DEPTH + 2][8];
	size_t			 i, budget = 1000;

	(void)state;
	big = hv_xcalloc(HV_EXPAND_MAX / 2 + 2, 1);
	memset(big, 'a', HV_EXPAND_MAX / 2 + 1);
	memset(vars, 0, sizeof vars);
	vars[0].name = "big";
	vars[0].str = big;
	vars[0].shown = big;
	vars[1].name = "big2";
	vars[1].str = big;
	vars[1].shown = big;
	x.nvars = 2;
	assert_int_equal(hv_expand(&x, "${big}", &str, NULL, NULL, &err), 0);
	assert_int_equal(hv_expand(&x, "${big}${big}", &str, NULL, NULL,
	    &err), -1);
	assert_string_equal(err.s, "the value expands to more than 1 MiB");
	/* In a shell command, the prefix is bounded the same. */
	hv_buf_reset(&err);
	x.shell = 1;
	assert_int_equal(hv_expand(&x, "echo ${big} ${big} ${big}", &str,
	    NULL, NULL, &err), 0);
	assert_int_equal(hv_expand(&x, "echo ${big} ${big2}", &str, NULL,
	    NULL, &err), -1);
	assert_string_equal(err.s, "the value expands to more than 1 MiB");
	x.shell = 0;
	free(big);

	/* Depth. */
	for (i = 0; i < HV_EXPAND_DEPTH + 2; i++) {
		snprintf(names[i], sizeof names[i], "v%zu", i);
		vars[i].name = names[i];
		vars[i].str = "x";
		vars[i].shown = "x";
		vars[i].depth = (int)i;
	}
	x.nvars = HV_EXPAND_DEPTH + 2;
	hv_buf_reset(&err);
	hv_buf_printf(&in, "${v%d}", HV_EXPAND_DEPTH - 1);
	assert_int_equal(hv_expand_depth(&x, in.s), HV_EXPAND_DEPTH);
	assert_int_equal(hv_expand(&x, in.s, &str, NULL, NULL, &err), 0);
	hv_buf_reset(&in);
	hv_buf_printf(&in, "a ${v%d} b ${v3}", HV_EXPAND_DEPTH);
	assert_int_equal(hv_expand_depth(&x, in.s), HV_EXPAND_DEPTH + 1);
	assert_int_equal(hv_expand(&x, in.s, &str, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.s, "variables within variables"));
	assert_int_equal(hv_expand_depth(&x, "no ${such} ${v2}"), 3);

	/* A budget for a whole file. */
	hv_buf_reset(&err);
	for (i = 0; i < 10; i++)
		hv_buf_puts(&hundred, "0123456789");
	x.budget = &budget;
	for (i = 0; i < 9; i++)
		assert_int_equal(hv_expand(&x, hundred.s, NULL, NULL, NULL,
		    &err), 0);
	assert_int_equal(budget, 100);
	hv_buf_putc(&hundred, 'x');
	assert_int_equal(hv_expand(&x, hundred.s, NULL, NULL, NULL, &err),
	    -1);
	assert_non_null(strstr(err.s, "in all"));
	x.budget = NULL;
	hv_buf_release(&hundred);

	/* Nesting the reader follows. */
	hv_buf_reset(&in);
	hv_buf_reset(&err);
	for (i = 0; i < 100; i++)
		hv_buf_puts(&in, "$(");
	hv_buf_puts(&in, "echo ${v1}");
	for (i = 0; i < 100; i++)
		hv_buf_puts(&in, ")");
	x.shell = 1;
	assert_int_equal(hv_expand(&x, in.s, &str, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.s, "nests more than"));
	hv_buf_release(&in);
	hv_buf_release(&str);
	hv_buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_corpus, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_round_trip, setup,
		    teardown),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_variable_names),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
