/*
 * cmd.c - what the subcommands share: usage, the database, loading.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "experiment.h"
#include "node.h"
#include "runner.h"
#include "store.h"

void
hv_cmd_usage(const struct hv_cmd *c, FILE *f)
{
	fprintf(f, "usage: havoc %s %s\n\n%s\n", c->name, c->args, c->summary);
	if (c->help != NULL && *c->help != '\0')
		fprintf(f, "\n%s", c->help);
}

int
hv_cmd_usage_error(const struct hv_cmd *c, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "havoc %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: havoc %s %s\n", c->name, c->args);
	return HV_EXIT_USAGE;
}

const char *
hv_cmd_db_path(const char *opt)
{
	const char	*env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("HAVOC_DB")) != NULL && *env != '\0')
		return env;
	return "havoc.db";
}

struct hv_store *
hv_cmd_store(const char *opt, int mode, int *exit_code)
{
	struct hv_store	*st;
	struct hv_buf	 err = HV_BUF_INIT;
	int		 rc;

	if ((rc = hv_store_open_mode(hv_cmd_db_path(opt), mode, &st,
	    &err)) < 0) {
		fprintf(stderr, "havoc: %s\n", err.s);
		hv_buf_release(&err);
		*exit_code = rc == HV_STORE_NOFILE ? HV_EXIT_NOINPUT :
		    HV_EXIT_ABORTED;
		return NULL;
	}
	return st;
}

struct hv_store *
hv_cmd_open_store(const char *opt)
{
	int	rc;

	return hv_cmd_store(opt, HV_STORE_CREATE, &rc);
}

struct hv_experiment *
hv_cmd_load(const char *path, const struct hv_load_opts *o)
{
	struct hv_experiment	*x;
	struct hv_diag		 d;

	hv_diag_init(&d);
	x = hv_experiment_load(path, o, &d);
	if (d.count > 0) {
		fputs(d.text.s, stderr);
		fprintf(stderr, "havoc: %d problem%s in %s\n", d.count,
		    d.count == 1 ? "" : "s", path);
	}
	hv_diag_release(&d);
	return x;
}

void
hv_cmd_print_replay(FILE *f, const char *path, const char **vars,
    size_t nvars, unsigned long long seed)
{
	hv_cmd_print_replay_env(f, path, vars, NULL, nvars, seed);
}

void
hv_cmd_print_replay_env(FILE *f, const char *path, const char **vars,
    const unsigned char *env, size_t nvars, unsigned long long seed)
{
	struct hv_buf	b = HV_BUF_INIT;
	size_t		i;

	hv_buf_puts(&b, "havoc run ");
	hv_shell_quote(&b, path);
	hv_buf_printf(&b, " --seed %llu", seed);
	for (i = 0; i < nvars; i++) {
		hv_buf_puts(&b, env != NULL && env[i] ? " --var-env " :
		    " --var ");
		hv_shell_quote(&b, vars[i]);
	}
	fprintf(f, "to run exactly this plan: %s\n", b.s);
	hv_buf_release(&b);
}
