/*
 * security-tamper-file.c - security.tamper_file: change a file the way an
 * intruder would (append, replace, chmod, delete), keeping an exact copy
 * (content, mode, owner, times) that the revert puts back (hv_tamper and
 * hv_untamper, hostlib.sh).
 *
 * The copy is kept on disk, in HV_KEEP_DIR, not with havoc's other state
 * in /tmp: /tmp is often a tmpfs, and after a reboot of the host (a
 * host.reboot step, a crash) the revert would find no copy and leave the
 * file changed, reporting success. The revert removes HV_KEEP_DIR when
 * it is empty again.
 *
 * cp -a keeps extended attributes too (file capabilities, SELinux
 * labels). Only a regular file (or none) is changed: a link would be
 * restored as a file. One path is changed by one fault at a time: each
 * fault records its path in HV_KEEP_DIR/TAG.path, and a second fault on a
 * path that one still holds is refused, as the dead-man timers of both
 * would fire in the order they were armed, the older first, and the
 * newer would put the older's change back.
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "path", HV_T_STR, 1, NULL, NULL,
	    "the file to change (an absolute path): a regular one, or none "
	    "(then made)" },
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
	const char	*m = hv_arg_str(call, "chmod");

	if (hv_hc_check_path("path", hv_arg_str(call, "path"), err) == -1)
		return -1;
	if (m != NULL && (!hv_hc_only(m, "01234567") || strlen(m) > 4))
		return hv_hc_bad(err, "chmod", m, "is not an octal mode");
	return 0;
}

/*
 * hv_tamper append|replace PATH CONTENT, chmod PATH MODE, delete PATH
 * (a copy kept first), reverted by hv_untamper PATH (the copy put back).
 */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*mode = hv_arg_str(call, "mode");
	const char	*path = hv_arg_str(call, "path");

	if (check(call, err) == -1)
		return -1;
	if (revert)
		hv_hc_words(b, "hv_untamper", path, (char *)NULL);
	else if (strcmp(mode, "append") == 0 || strcmp(mode, "replace") == 0)
		hv_hc_words(b, "hv_tamper", mode, path, hv_arg_str(call,
		    "content"), (char *)NULL);
	else if (strcmp(mode, "chmod") == 0)
		hv_hc_words(b, "hv_tamper", mode, path, hv_arg_str(call,
		    "chmod"), (char *)NULL);
	else
		hv_hc_words(b, "hv_tamper", mode, path, (char *)NULL);
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
