/*
 * replay.c - runs a fuzz target over files, without libFuzzer: each
 * argument is a file, or a folder whose files (not those starting with
 * '.') are run in name order. Built with cc and the sanitizers, so that
 * `make test` replays the corpus and the crash files on every change.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static int	count;

static void
run_file(const char *path)
{
	struct hv_buf	data = HV_BUF_INIT, err = HV_BUF_INIT;

	if (hv_read_file(path, &data, &err) == -1) {
		fprintf(stderr, "replay: %s\n", err.s);
		exit(1);
	}
	(void)LLVMFuzzerTestOneInput((const uint8_t *)data.s, data.len);
	count++;
	hv_buf_release(&data);
	hv_buf_release(&err);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_dir(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		**names = NULL, path[4096];
	size_t		 n = 0, i;

	if ((d = opendir(dir)) == NULL)
		return;		/* a target without crash files */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = hv_xreallocarray(names, n + 1, sizeof *names);
		names[n++] = hv_xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, by_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		run_file(path);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	struct stat	st;
	int		i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else if (stat(argv[i], &st) == 0)
			run_file(argv[i]);
	}
	printf("%d inputs\n", count);
	return 0;
}
