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
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

#define KEEP_DIR	"/var/tmp/havoc"

static const struct hv_param params[] = {
	{ "path", HV_T_STR, 1, NULL, NULL, "the file to change" },
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

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*mode = hv_arg_str(call, "mode");
	struct hv_buf	 copy = HV_BUF_INIT, none = HV_BUF_INIT;
	struct hv_buf	 path = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	hv_buf_printf(&copy, KEEP_DIR "/%s.orig", call->tag != NULL ?
	    call->tag : "havoc");
	hv_buf_printf(&none, KEEP_DIR "/%s.absent", call->tag != NULL ?
	    call->tag : "havoc");
	hv_shell_quote(&path, hv_arg_str(call, "path"));
	if (revert) {
		hv_buf_puts(b, "if [ -f ");
		hv_shell_quote(b, copy.s);
		hv_buf_printf(b, " ]; then cp -p ");
		hv_shell_quote(b, copy.s);
		hv_buf_printf(b, " %s && rm -f ", path.s);
		hv_shell_quote(b, copy.s);
		hv_buf_puts(b, "; elif [ -f ");
		hv_shell_quote(b, none.s);
		hv_buf_printf(b, " ]; then rm -f %s ", path.s);
		hv_shell_quote(b, none.s);
		hv_buf_puts(b, "; fi && { rmdir " KEEP_DIR " 2>/dev/null || "
		    ":; }");
		goto out;
	}
	hv_buf_puts(b, "mkdir -p -m 700 " KEEP_DIR " && if [ -e ");
	hv_buf_printf(b, "%s ]; then cp -p %s ", path.s, path.s);
	hv_shell_quote(b, copy.s);
	hv_buf_puts(b, "; else : >");
	hv_shell_quote(b, none.s);
	hv_buf_puts(b, "; fi && ");
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
	hv_buf_release(&path);
	return 0;
}

const struct hv_driver hv_action_security_tamper_file = {
	.name = "security.tamper_file",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.ssh = 1,
	.summary = "change a file as an intruder would (restored exactly)",
	.params = params,
	.check = check,
	.command = command,
	.start = hv_remote_start,
	.revert = hv_remote_revert,
	.describe = hv_remote_describe,
	.cancel = hv_remote_cancel,
};
