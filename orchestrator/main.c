/*
 * main.c - havoc's entry point and its table of subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "runner.h"
#include "util.h"

#ifndef HAVOC_VERSION
#define HAVOC_VERSION "0.1.0"
#endif

static const struct hv_cmd *const commands[] = {
	&hv_cmd_run,
	&hv_cmd_validate,
	&hv_cmd_plan,
	&hv_cmd_gameday,
	&hv_cmd_daemon,
	&hv_cmd_status,
	&hv_cmd_runs,
	&hv_cmd_show,
	&hv_cmd_report,
	&hv_cmd_recover,
	&hv_cmd_halt,
	&hv_cmd_drivers,
	NULL
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: havoc COMMAND [ARGS]\n\n"
	    "havoc is a chaos testing orchestrator: it injects faults, "
	    "checks that the\nservice stays healthy and that alerts fire, "
	    "and always reverts what it did.\n\ncommands:\n");
	for (i = 0; commands[i] != NULL; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name,
		    commands[i]->summary);
	fprintf(f, "\n'havoc COMMAND --help' describes a command. "
	    "The database is --db PATH,\nelse $HAVOC_DB, else ./havoc.db.\n");
}

int
main(int argc, char **argv)
{
	const char	*nc = getenv("NO_COLOR");
	size_t		 i;

	hv_log_color = isatty(STDERR_FILENO) && (nc == NULL || *nc == '\0');
	if (argc < 2) {
		usage(stderr);
		return HV_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("havoc %s\n", HAVOC_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	/* Exact names only: no prefix ever selects a command. */
	for (i = 0; commands[i] != NULL; i++) {
		if (strcmp(commands[i]->name, argv[1]) == 0)
			return commands[i]->exec(commands[i], argc - 1,
			    argv + 1);
	}
	fprintf(stderr, "havoc: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return HV_EXIT_USAGE;
}
