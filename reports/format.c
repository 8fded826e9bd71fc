/*
 * format.c - the table of report formats, and writing a report to a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

const struct hv_report_format *const hv_report_formats[] = {
	&hv_report_text,
	&hv_report_json,
	&hv_report_junit,
	&hv_report_html,
	NULL
};

/* Exact names only, like commands and drivers. */
const struct hv_report_format *
hv_report_format_named(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && hv_report_formats[i] != NULL; i++)
		if (strcmp(hv_report_formats[i]->name, name) == 0)
			return hv_report_formats[i];
	return NULL;
}

/* Whether path ends in ext, ignoring case. */
static int
ends_with(const char *path, const char *ext, size_t n)
{
	size_t	len = strlen(path);

	return len > n && strncasecmp(path + len - n, ext, n) == 0;
}

const struct hv_report_format *
hv_report_format_for(const char *path)
{
	const char	*e, *end;
	size_t		 i;

	for (i = 0; path != NULL && hv_report_formats[i] != NULL; i++) {
		for (e = hv_report_formats[i]->exts; *e != '\0'; e = end) {
			end = strchr(e, ' ');
			if (end == NULL)
				end = e + strlen(e);
			if (ends_with(path, e, (size_t)(end - e)))
				return hv_report_formats[i];
			while (*end == ' ')
				end++;
		}
	}
	return NULL;
}

/* Writes all of b to f. */
static int
put_all(FILE *f, const struct hv_buf *b)
{
	return fwrite(b->s, 1, b->len, f) == b->len ? 0 : -1;
}

int
hv_report_write(const struct hv_report *r, const struct hv_report_format *f,
    const char *path, struct hv_buf *err)
{
	struct hv_buf	 out = HV_BUF_INIT;
	char		*tmp = NULL;
	FILE		*fp = NULL;
	int		 fd, ret = -1;

	if (f->write(r, &out, err) == -1)
		goto done;
	if (strcmp(path, "-") == 0) {
		if (put_all(stdout, &out) == -1 || fflush(stdout) == EOF) {
			hv_error(err, "cannot write the report: %s",
			    strerror(errno));
			goto done;
		}
		ret = 0;
		goto done;
	}
	tmp = hv_xasprintf("%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		hv_error(err, "%s: cannot write: %s", path, strerror(errno));
		goto done;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		hv_error(err, "%s: cannot write: %s", path, strerror(errno));
		goto cleanup;
	}
	/* mkstemp makes the file 0600; a report is for reading. */
	if (fchmod(fd, 0644) == -1 || put_all(fp, &out) == -1 ||
	    fflush(fp) == EOF || fsync(fd) == -1) {
		hv_error(err, "%s: cannot write: %s", path, strerror(errno));
		goto cleanup;
	}
	if (fclose(fp) == EOF) {
		fp = NULL;
		hv_error(err, "%s: cannot write: %s", path, strerror(errno));
		goto cleanup;
	}
	fp = NULL;
	if (rename(tmp, path) == -1) {
		hv_error(err, "%s: cannot write: %s", path, strerror(errno));
		goto cleanup;
	}
	ret = 0;
	goto done;
cleanup:
	if (fp != NULL)
		fclose(fp);
	unlink(tmp);
done:
	free(tmp);
	hv_buf_release(&out);
	return ret;
}
