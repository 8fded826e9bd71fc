/*
 * cmd.c - what the subcommands share: usage, the database, loading.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "cmd.h"
#include "experiment.h"
#include "loop.h"
#include "node.h"
#include "plan.h"
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

/* The command that runs exactly this plan: file, seed and the options. */
static void
print_replay(FILE *f, const char *path, const struct hv_load_opts *lo,
    unsigned long long seed)
{
	struct hv_buf	b = HV_BUF_INIT;
	size_t		i;

	hv_buf_puts(&b, "havoc run ");
	hv_shell_quote(&b, path);
	hv_buf_printf(&b, " --seed %llu", seed);
	for (i = 0; i < lo->nvars; i++) {
		hv_buf_puts(&b, lo->env != NULL && lo->env[i] ?
		    " --var-env " : " --var ");
		hv_shell_quote(&b, lo->vars[i]);
	}
	fprintf(f, "to run exactly this plan: %s\n", b.s);
	hv_buf_release(&b);
}

int
hv_cmd_show_plan(const char *path, struct hv_experiment *x,
    const struct hv_load_opts *lo, uint64_t seed, int have_seed)
{
	struct hv_loop	*loop = NULL;
	struct hv_plan	 plan;
	struct hv_buf	 err = HV_BUF_INIT;
	int		 rc = 0;

	if (!have_seed)
		seed = hv_plan_random_seed();
	/* Cloud targets are asked of AWS (read-only calls) first. */
	if (hv_cloud_used(x))
		loop = hv_loop_new();
	if ((loop != NULL && hv_cloud_resolve(x, loop, &err) == -1) ||
	    hv_plan_make(x, seed, &plan, &err) == -1) {
		fprintf(stderr, "havoc: %s\n", err.s);
		rc = HV_EXIT_ABORTED;
	} else {
		hv_plan_print(x, &plan, stdout);
		print_replay(stdout, path, lo, (unsigned long long)seed);
		hv_plan_release(&plan);
	}
	hv_loop_free(loop);
	hv_buf_release(&err);
	return rc;
}

int
hv_cmd_check_var(const struct hv_cmd *cmd, const char *arg, int env)
{
	const char	*opt = env ? "--var-env" : "--var";
	const char	*eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return hv_cmd_usage_error(cmd, "%s needs NAME=%s, not \"%s\"",
		    opt, env ? "VAR" : "VALUE", arg);
	if (!hv_utf8_valid(arg))
		return hv_cmd_usage_error(cmd, "%s: \"%.*s\" is not UTF-8 "
		    "text", opt, (int)(eq - arg), arg);
	if (env && getenv(eq + 1) == NULL)
		return hv_cmd_usage_error(cmd, "%s %.*s: environment variable "
		    "%s is not set", opt, (int)(eq - arg), arg, eq + 1);
	return 0;
}
