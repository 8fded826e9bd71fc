/*
 * security-open-port.c - security.open_port: an unexpected listener on
 * the host, the kind of change a backdoor makes. It answers every
 * connection with a line and closes it. A port in use is refused.
 */
#include <stdio.h>

#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "port", HV_T_INT, 1, NULL, NULL, "the TCP port to listen on" },
	{ "address", HV_T_STR, 0, "0.0.0.0", NULL, "the address to bind" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	if (hv_arg_has(call, "port") && (hv_arg_int(call, "port") < 1 ||
	    hv_arg_int(call, "port") > 65535))
		return hv_error(err, "port must be from 1 to 65535");
	return hv_hc_check_addr("address", hv_arg_str(call, "address"), 0,
	    err);
}

/*
 * hv_listen ADDRESS PORT (a python3 listener, in the background; a port
 * in use is refused), reverted by hv_bg_stop listener.
 */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	char	port[24];

	if (check(call, err) == -1)
		return -1;
	if (revert) {
		hv_hc_bg_stop(b, "listener");
		return 0;
	}
	snprintf(port, sizeof port, "%lld", hv_arg_int(call, "port"));
	hv_hc_words(b, "hv_listen", hv_arg_str(call, "address"), port,
	    (char *)NULL);
	return 0;
}

const struct hv_driver hv_action_security_open_port = {
	.name = "security.open_port",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "open an unexpected listening port (closed by the revert)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
