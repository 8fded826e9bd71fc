/*
 * image.c - the image probe: each target runs the expected golden image
 * (name and version) and carries no drift from it.
 *
 * A host booted from a golden image carries its manifest in
 * /etc/havoc-image/ (manifest.json: name, version, the sha256 of each
 * file the image owns, the directories it owns whole, the packages it
 * lists and their versions; files, owned and packages: the same lists,
 * one item a line, for the host's shell). The probe's command only
 * prints the manifest and hashes what is there now; havoc compares, with
 * the manifest it read, so a host cannot vouch for itself by editing the
 * lists: a file left out of them is "removed".
 *
 * Drift: a manifest file whose content changed, a manifest file that is
 * gone, a file in an owned directory that the manifest lacks ("added"),
 * a listed package removed or at another version. Any drift, or another
 * name or version, fails the probe with every drifted file named (at
 * most HV_IMAGE_SHOWN of them in the message, the rest counted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver.h"
#include "remote.h"
#include "util.h"

#define HV_IMAGE_SHOWN	20
#define FILES_MARK	"\n#havoc-image files\n"
#define PKGS_MARK	"#havoc-image packages\n"

/*
 * The command: fixed text, nothing from the experiment in it. find stays
 * on the owned directories' file system; sha256sum gets NUL-separated
 * names, so no name is split or read as an option.
 */
static const char image_cmd[] =
    "d=/etc/havoc-image\n"
    "if [ ! -r $d/manifest.json ]; then\n"
    "  echo \"no golden-image manifest ($d/manifest.json)\" >&2; exit 3\n"
    "fi\n"
    "cat $d/manifest.json\n"
    "printf '\\n#havoc-image files\\n'\n"
    "{ cat $d/files; while IFS= read -r o; do\n"
    "    [ -d \"$o\" ] && find \"$o\" -xdev -type f; done <$d/owned; } "
    "2>/dev/null |\n"
    "  sort -u | tr '\\n' '\\0' | xargs -0r sha256sum -- 2>/dev/null\n"
    "printf '#havoc-image packages\\n'\n"
    "if [ -s $d/packages ]; then xargs -r dpkg-query -W "
    "-f='${Package} ${Version}\\n' <$d/packages 2>/dev/null; fi\n"
    "exit 0\n";

static const struct hv_param params[] = {
	{ "name", HV_T_STR, 1, NULL, NULL,
	    "the golden image's name (golden-web)" },
	{ "version", HV_T_STR, 1, NULL, NULL,
	    "the version the host must run (\"2\")" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the check" },
	{ NULL }
};

static const struct hv_param image_expect[] = {
	{ "drift", HV_T_BOOL, 0, "false", NULL,
	  "false: no file or package drifted; true: some did (a planted "
	  "change is seen); name and version must match either way" },
	{ NULL }
};

/* Appends s with control characters replaced: host data is untrusted. */
static void
put_safe(struct hv_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		hv_buf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' :
		    *s);
}

/* What is on the host: path -> sha256 from sha256sum's lines. */
static json_t *
read_hashes(const char *text)
{
	json_t		*h = json_object();
	const char	*line, *eol;
	struct hv_buf	 path = HV_BUF_INIT;
	char		 hash[65];
	int		 esc;

	for (line = text; *line != '\0'; line = *eol != '\0' ? eol + 1 :
	    eol) {
		eol = strchr(line, '\n');
		if (eol == NULL)
			eol = line + strlen(line);
		/* "HASH  PATH"; a leading \ says PATH has \\ and \n. */
		esc = *line == '\\';
		if (eol - line < 67 + esc || line[64 + esc] != ' ')
			continue;
		memcpy(hash, line + esc, 64);
		hash[64] = '\0';
		hv_buf_reset(&path);
		for (const char *p = line + 66 + esc; p < eol; p++) {
			if (esc && *p == '\\' && p + 1 < eol) {
				p++;
				hv_buf_putc(&path, *p == 'n' ? '\n' : *p);
			} else
				hv_buf_putc(&path, *p);
		}
		json_object_set_new(h, path.s, json_string(hash));
	}
	hv_buf_release(&path);
	return h;
}

/* One finding: counted, and kept for the message while there is room. */
static void
finding(struct hv_buf *out, int *n, const char *what, const char *path,
    const char *extra)
{
	if (*n < HV_IMAGE_SHOWN) {
		hv_buf_printf(out, "%s%s ", *n > 0 ? ", " : "", what);
		put_safe(out, path);
		if (extra != NULL) {
			hv_buf_putc(out, ' ');
			put_safe(out, extra);
		}
	}
	(*n)++;
}

static void
judge(struct hv_call *call, const struct hv_ssh_res *res)
{
	json_t		*m = NULL, *files, *pkgs, *now = NULL, *v;
	json_error_t	 jerr;
	const char	*out = res->out.s, *fm, *pm, *name, *version, *path;
	const char	*want_name = hv_arg_str(call, "name");
	const char	*want_version = hv_arg_str(call, "version");
	struct hv_buf	 drift = HV_BUF_INIT, pkgtext = HV_BUF_INIT;
	struct hv_buf	 line = HV_BUF_INIT;
	char		*js = NULL;
	int		 n = 0, ok = 0;
	size_t		 nfiles = 0, npkgs = 0;

	call->priv = NULL;
	if (res->error.len > 0) {
		hv_buf_add(&call->err, res->error.s, res->error.len);
		goto out;
	}
	if (res->exit_status == 3) {
		hv_buf_puts(&call->err, "no golden-image manifest on the host "
		    "(/etc/havoc-image/manifest.json)");
		goto out;
	}
	if (res->exit_status != 0 || res->out.len >= HV_OUTPUT_MAX ||
	    (fm = strstr(out, FILES_MARK)) == NULL ||
	    (pm = strstr(fm, PKGS_MARK)) == NULL) {
		hv_buf_printf(&call->err, "the image check did not complete "
		    "(exit %d%s)", res->exit_status, res->out.len >=
		    HV_OUTPUT_MAX ? ", output too large" : "");
		goto out;
	}
	js = hv_xstrndup(out, (size_t)(fm - out));
	if ((m = json_loads(js, 0, &jerr)) == NULL || !json_is_object(m)) {
		hv_buf_puts(&call->err, "the image manifest is not valid JSON");
		goto out;
	}
	name = json_string_value(json_object_get(m, "name"));
	version = json_string_value(json_object_get(m, "version"));
	files = json_object_get(m, "files");
	pkgs = json_object_get(m, "packages");
	if (name == NULL || version == NULL || !json_is_object(files)) {
		hv_buf_puts(&call->err, "the image manifest lacks name, "
		    "version or files");
		goto out;
	}
	hv_buf_add(&line, fm + strlen(FILES_MARK), (size_t)(pm - fm -
	    strlen(FILES_MARK)));
	now = read_hashes(line.s);
	nfiles = json_object_size(files);

	json_object_foreach(files, path, v) {
		json_t	*h = json_object_get(now, path);

		if (h == NULL)
			finding(&drift, &n, "removed", path, NULL);
		else if (!json_is_string(v) || strcmp(json_string_value(h),
		    json_string_value(v)) != 0)
			finding(&drift, &n, "changed", path, NULL);
	}
	json_object_foreach(now, path, v) {
		if (json_object_get(files, path) == NULL)
			finding(&drift, &n, "added", path, NULL);
	}
	if (json_is_object(pkgs)) {
		const char	*p = pm + strlen(PKGS_MARK), *eol, *sp;
		json_t		*have = json_object();

		for (; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
			eol = strchr(p, '\n');
			if (eol == NULL)
				eol = p + strlen(p);
			sp = memchr(p, ' ', (size_t)(eol - p));
			if (sp == NULL)
				continue;
			hv_buf_reset(&pkgtext);
			hv_buf_add(&pkgtext, p, (size_t)(sp - p));
			json_object_set_new(have, pkgtext.s,
			    json_stringn(sp + 1, (size_t)(eol - sp - 1)));
		}
		npkgs = json_object_size(pkgs);
		json_object_foreach(pkgs, path, v) {
			json_t	*h = json_object_get(have, path);

			hv_buf_reset(&pkgtext);
			if (h == NULL) {
				finding(&drift, &n, "removed package", path,
				    NULL);
			} else if (!json_is_string(v) ||
			    strcmp(json_string_value(h),
			    json_string_value(v)) != 0) {
				hv_buf_printf(&pkgtext, "%s -> %s",
				    json_is_string(v) ? json_string_value(v) :
				    "?", json_string_value(h));
				finding(&drift, &n, "changed package", path,
				    pkgtext.s);
			}
		}
		json_decref(have);
	}

	hv_buf_puts(&call->out, "runs ");
	put_safe(&call->out, name);
	hv_buf_putc(&call->out, ' ');
	put_safe(&call->out, version);
	if (json_string_value(json_object_get(m, "image")) != NULL) {
		hv_buf_puts(&call->out, " (");
		put_safe(&call->out, json_string_value(json_object_get(m,
		    "image")));
		hv_buf_putc(&call->out, ')');
	}
	if (n == 0)
		hv_buf_printf(&call->out, ", no drift in %zu files and %zu "
		    "packages", nfiles, npkgs);
	else {
		hv_buf_printf(&call->out, ", drift in %d: %s", n, drift.s);
		if (n > HV_IMAGE_SHOWN)
			hv_buf_printf(&call->out, " and %d more",
			    n - HV_IMAGE_SHOWN);
	}
	ok = (n > 0) == hv_exp_bool(call, "drift") &&
	    strcmp(name, want_name) == 0 &&
	    strcmp(version, want_version) == 0;
	if (strcmp(name, want_name) != 0 ||
	    strcmp(version, want_version) != 0) {
		hv_buf_puts(&call->err, "runs ");
		put_safe(&call->err, name);
		hv_buf_putc(&call->err, ' ');
		put_safe(&call->err, version);
		hv_buf_printf(&call->err, ", expected %s %s", want_name,
		    want_version);
	}
	if (n == 0 && hv_exp_bool(call, "drift")) {
		if (call->err.len > 0)
			hv_buf_puts(&call->err, "; ");
		hv_buf_puts(&call->err, "no drift, and drift was expected");
	} else if (n > 0 && !hv_exp_bool(call, "drift")) {
		if (call->err.len > 0)
			hv_buf_puts(&call->err, "; ");
		hv_buf_printf(&call->err, "drift in %d: %s", n, drift.s);
		if (n > HV_IMAGE_SHOWN)
			hv_buf_printf(&call->err, " and %d more",
			    n - HV_IMAGE_SHOWN);
	}
out:
	json_decref(m);
	json_decref(now);
	free(js);
	hv_buf_release(&drift);
	hv_buf_release(&pkgtext);
	hv_buf_release(&line);
	hv_call_done(call, ok);
}

static int
image_start(struct hv_call *call)
{
	return hv_remote_exec(call, image_cmd, judge);
}

static void
image_describe(const struct hv_call *call, int revert, struct hv_buf *out)
{
	(void)revert;
	hv_buf_printf(out, "golden image %s version %s, no drift from "
	    "/etc/havoc-image/manifest.json", hv_arg_str(call, "name"),
	    hv_arg_str(call, "version"));
}

const struct hv_driver hv_probe_image = {
	.name = "image",
	.kind = HV_PROBE,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "each target runs the expected golden image, no drift",
	.params = params,
	.expect = image_expect,
	.start = image_start,
	.describe = image_describe,
};
