/*
 * disk-fill.c - disk.fill: a file of the given size in a folder, removed
 * by the revert (hv_fill and hv_unfill, hostlib.sh).
 */
#include <stdio.h>

#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "path", HV_T_STR, 0, "/tmp", NULL,
	    "the folder to fill (an absolute path)" },
	{ "size", HV_T_SIZE, 1, NULL, NULL, "how much: 512M, 2G" },
	{ "timeout", HV_T_DURATION, 0, "120s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	return hv_hc_check_path("path", hv_arg_str(call, "path"), err);
}

/* hv_fill PATH BYTES, reverted by hv_unfill PATH. */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	char	size[32];

	if (check(call, err) == -1)
		return -1;
	if (revert) {
		hv_hc_words(b, "hv_unfill", hv_arg_str(call, "path"),
		    (char *)NULL);
		return 0;
	}
	snprintf(size, sizeof size, "%llu",
	    (unsigned long long)hv_arg_size(call, "size"));
	hv_hc_words(b, "hv_fill", hv_arg_str(call, "path"), size,
	    (char *)NULL);
	return 0;
}

const struct hv_driver hv_action_disk_fill = {
	.name = "disk.fill",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "fill a filesystem with a file (removed by the revert)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
