/*
 * host-power.c - host.reboot and host.shutdown. The command returns at
 * once and the host goes down a moment later, so that the SSH session
 * ends cleanly. Neither can be reverted over SSH: a host that is down
 * does not answer (bring it back through its cloud, aws.ec2.*).
 */
#include <stdio.h>
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "delay", HV_T_DURATION, 0, "1s", NULL,
	    "how long after the command the host goes down" },
	{ "command", HV_T_SHELL, 0, NULL, NULL,
	    "what to run instead of reboot / poweroff" },
	{ "timeout", HV_T_DURATION, 0, "15s", NULL, "for the command" },
	{ NULL }
};

/*
 * hv_later SECONDS COMMAND: the command (reboot || shutdown -r now, or
 * the step's own) runs detached, a moment after the session ended.
 */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*own = hv_arg_str(call, "command");
	int64_t		 ms = hv_arg_ms(call, "delay");
	char		 secs[40];
	int		 reboot;

	(void)revert;
	(void)err;
	reboot = strcmp(call->driver->name, "host.reboot") == 0;
	snprintf(secs, sizeof secs, "%lld.%03lld", (long long)(ms / 1000),
	    (long long)(ms % 1000));
	if (own == NULL)
		own = reboot ? "reboot || shutdown -r now" :
		    "poweroff || shutdown -h now";
	hv_hc_words(b, "hv_later", secs, own, (char *)NULL);
	return 0;
}

const struct hv_driver hv_action_host_reboot = {
	.name = "host.reboot",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "reboot the host",
	.params = params,
	.command = command,
};

const struct hv_driver hv_action_host_shutdown = {
	.name = "host.shutdown",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "power the host off",
	.params = params,
	.command = command,
};
