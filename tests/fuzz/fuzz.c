/*
 * fuzz.c - the fuzz targets' shared helpers (fuzz.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "util.h"

static char	dir[64];

static void
remove_dir(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

void
hv_fuzz_init(void)
{
	static int	done;

	if (done)
		return;
	done = 1;
	hv_log_level = HV_LOG_QUIET;
	hv_log_color = 0;
}

const char *
hv_fuzz_path(const char *name)
{
	static char	path[128];
	const char	*tmp = getenv("TMPDIR");

	if (dir[0] == '\0') {
		/* tmpfs when there is one: a target writes per input. */
		if (tmp == NULL || *tmp == '\0')
			tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			    "/tmp";
		snprintf(dir, sizeof dir, "%s/havoc-fuzz-XXXXXX", tmp);
		if (mkdtemp(dir) == NULL) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(remove_dir);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

void
hv_fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

void
hv_fuzz_done(void)
{
	hv_secrets_clear();
}
