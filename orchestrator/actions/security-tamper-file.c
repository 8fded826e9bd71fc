/*
 * security-tamper-file.c - security.tamper_file: change a file the way an
 * intruder would (append, replace, chmod, delete), keeping an exact copy
 * (content, mode, owner, times) that the revert puts back.
 *
 * The copy is kept on disk, in KEEP_DIR, not with havoc's other state in
 * /tmp: /tmp is often a tmpfs, and after a reboot of the host (a
 * host.reboot step, a crash) the revert would find no copy and leave the
 * file changed, reporting success. The revert removes KEEP_DIR when it is
 * empty again.
 *
 * cp -a keeps extended attributes too (file capabilities, SELinux
 * labels). Only a regular file (or none) is changed: a link would be
 * restored as a file. One path is changed by one fault at a time: each
 * fault records its path in KEEP_DIR/TAG.path, and a second fault on a
 * path that one still holds is refused, as the dead-man timers of both
 * would fire in the order they were armed, the older first, and the
 * newer would put the older's change back.
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

#define KEEP_DIR	"/var/tmp/havoc"

static const struct hv_param params[] = {
	{ "path", HV_T_STR, 1, NULL, NULL,
	    "the file to change: a regular one, or none (then made)" },
	{ "mode", HV_T_STR, 0, "append", "append|replace|chmod|delete",
	    "how to change it" },
	{ "content", HV_T_STR, 0, "# changed by havoc\n", NULL,
	    "what to append or write" },
	{ "chmod", HV_T_STR, 0, "0777", NULL, "the mode, for chmod" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*path = hv_arg_str(call, "path");
	const char	*m = hv_arg_str(call, "chmod");

	if (path != NULL && path[0] != '/')
		return hv_error(err, "path must be absolute");
	if (m != NULL && (!hv_hc_only(m, "01234567") || strlen(m) > 4))
		return hv_error(err, "chmod: \"%s\" is not an octal mode", m);
	return 0;
}

/* KEEP_DIR/TAG.what, shell-quoted, appended to b. */
static void
keep_path(struct hv_buf *b, const struct hv_call *call, const char *what)
{
	struct hv_buf	p = HV_BUF_INIT;

	hv_buf_printf(&p, KEEP_DIR "/%s.%s", call->tag != NULL ? call->tag :
	    "havoc", what);
	hv_shell_quote(b, p.s);
	hv_buf_release(&p);
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*mode = hv_arg_str(call, "mode");
	struct hv_buf	 copy = HV_BUF_INIT, none = HV_BUF_INIT;
	struct hv_buf	 mark = HV_BUF_INIT, path = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	keep_path(&copy, call, "orig");
	keep_path(&none, call, "absent");
	keep_path(&mark, call, "path");
	hv_shell_quote(&path, hv_arg_str(call, "path"));
	if (revert) {
		/*
		 * Only from a keep folder of ours (the inject made sure of
		 * it; /var/tmp is sticky, so nobody else can swap it):
		 * if [ -d KEEP ] && [ ! -h KEEP ] && [ -O KEEP ]; then
		 *   if [ -f COPY ]; then cp -a COPY PATH && rm -f COPY;
		 *   elif [ -f NONE ]; then rm -f PATH NONE; fi &&
		 *   { rm -f MARK; rmdir KEEP || :; }; fi
		 */
		hv_buf_printf(b, "if [ -d " KEEP_DIR " ] && [ ! -h " KEEP_DIR
		    " ] && [ -O " KEEP_DIR " ]; then if [ -f %s ]; then "
		    "cp -a %s %s && rm -f %s; elif [ -f %s ]; then rm -f %s "
		    "%s; fi && { rm -f %s; rmdir " KEEP_DIR " 2>/dev/null || "
		    ":; }; fi", copy.s, copy.s, path.s, copy.s, none.s, path.s,
		    none.s, mark.s);
		goto out;
	}
	/*
	 * KEEP_DIR of ours (hv_hc_own_dir) &&
	 * for m in KEEP_DIR/(*).path; do
	 *   [ -f "$m" ] && [ "$m" != MARK ] && [ "$(cat "$m")" = PATH ] &&
	 *   { echo "PATH: changed by another havoc fault (...)"; exit 1; }
	 * done
	 * if [ -h PATH ] || { [ -e PATH ] && [ ! -f PATH ]; }; then
	 *   echo "PATH: not a regular file"; exit 1; fi
	 * printf %s PATH >MARK &&
	 * if [ -e PATH ]; then cp -a PATH COPY.tmp && mv COPY.tmp COPY ||
	 *   { rm -f COPY.tmp; echo ...; exit 1; }
	 * else : >NONE; fi && CHANGE
	 *
	 * The copy is made whole (a full disk) before it is named COPY,
	 * which the revert trusts.
	 */
	hv_hc_own_dir(b, KEEP_DIR);
	hv_buf_printf(b, " && for m in "
	    KEEP_DIR "/*.path; do [ -f \"$m\" ] && [ \"$m\" != %s ] && "
	    "[ \"$(cat \"$m\")\" = %s ] && { echo %s\": changed by another "
	    "havoc fault (${m##*/}), not reverted yet\" >&2; exit 1; }; "
	    "done; if [ -h %s ] || { [ -e %s ] && [ ! -f %s ]; }; then "
	    "echo %s\": not a regular file\" >&2; exit 1; fi; "
	    "printf %%s %s >%s && if [ -e %s ]; then cp -a %s %s.tmp && "
	    "mv %s.tmp %s || { rm -f %s.tmp; echo %s\": cannot keep a copy\" "
	    ">&2; exit 1; }; else : >%s; fi && ", mark.s, path.s, path.s,
	    path.s, path.s, path.s, path.s, path.s, mark.s, path.s, path.s,
	    copy.s, copy.s, copy.s, copy.s, path.s, none.s);
	if (strcmp(mode, "append") == 0) {
		hv_buf_puts(b, "printf %s ");
		hv_shell_quote(b, hv_arg_str(call, "content"));
		hv_buf_printf(b, " >>%s", path.s);
	} else if (strcmp(mode, "replace") == 0) {
		hv_buf_puts(b, "printf %s ");
		hv_shell_quote(b, hv_arg_str(call, "content"));
		hv_buf_printf(b, " >%s", path.s);
	} else if (strcmp(mode, "chmod") == 0)
		hv_buf_printf(b, "chmod %s %s", hv_arg_str(call, "chmod"),
		    path.s);
	else
		hv_buf_printf(b, "rm -f %s", path.s);
out:
	hv_buf_release(&copy);
	hv_buf_release(&none);
	hv_buf_release(&mark);
	hv_buf_release(&path);
	return 0;
}

const struct hv_driver hv_action_security_tamper_file = {
	.name = "security.tamper_file",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "change a file as an intruder would (restored exactly)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
