/*
 * disk-fill.c - disk.fill: a file of the given size in a folder, removed
 * by the revert.
 */
#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "path", HV_T_STR, 0, "/tmp", NULL, "the folder to fill" },
	{ "size", HV_T_SIZE, 1, NULL, NULL, "how much: 512M, 2G" },
	{ "timeout", HV_T_DURATION, 0, "120s", NULL, "for the command" },
	{ NULL }
};

/* PATH/havoc-fill-TAG, quoted. */
static void
fill_file(struct hv_buf *b, const struct hv_call *call)
{
	struct hv_buf	f = HV_BUF_INIT;

	hv_buf_printf(&f, "%s/havoc-fill-%s", hv_arg_str(call, "path"),
	    call->tag != NULL ? call->tag : "havoc");
	hv_shell_quote(b, f.s);
	hv_buf_release(&f);
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	uint64_t	size = hv_arg_size(call, "size");

	(void)err;
	if (revert) {
		hv_buf_puts(b, "rm -f ");
		fill_file(b, call);
		return 0;
	}
	hv_buf_puts(b, "f=");
	fill_file(b, call);
	hv_buf_printf(b, "; fallocate -l %llu \"$f\" 2>/dev/null || dd "
	    "if=/dev/zero of=\"$f\" bs=1048576 count=%llu status=none || "
	    "{ rm -f \"$f\"; exit 1; }", (unsigned long long)size,
	    (unsigned long long)((size + 1048575) / 1048576));
	return 0;
}

const struct hv_driver hv_action_disk_fill = {
	.name = "disk.fill",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "fill a filesystem with a file (removed by the revert)",
	.params = params,
	.command = command,
	.revert = hv_remote_revert,
};
