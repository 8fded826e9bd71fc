/*
 * network-bandwidth.c - network.bandwidth: a rate limit on an interface
 * (tc tbf), or towards some destinations (an htb class).
 */
#include <string.h>

#include "hostcmd.h"
#include "netcommon.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "interface", HV_T_STR, 0, "eth0", NULL, "the interface to limit" },
	{ "rate", HV_T_STR, 1, NULL, NULL, "the rate: 512kbit, 1mbit, 10mbit" },
	{ "burst", HV_T_STR, 0, "32kbit", NULL, "the bucket size (tbf)" },
	{ "latency", HV_T_DURATION, 0, "400ms", NULL,
	    "how long a packet may wait (tbf)" },
	{ "destination", HV_T_TARGETS, 0, NULL, NULL,
	    "only traffic to these addresses or this target group" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

/* A tc rate: digits and a unit. */
static int
is_rate(const char *s)
{
	static const char *const units[] = { "bit", "kbit", "mbit", "gbit",
	    "bps", "kbps", "mbps", "gbps" };
	size_t	n = strspn(s, "0123456789"), i;

	if (n == 0)
		return 0;
	for (i = 0; i < HV_ARRAY_LEN(units); i++) {
		if (strcmp(s + n, units[i]) == 0)
			return 1;
	}
	return 0;
}

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*rate = hv_arg_str(call, "rate");
	const char	*burst = hv_arg_str(call, "burst");

	if (rate != NULL && !is_rate(rate))
		return hv_error(err, "rate: \"%s\" is not like 1mbit", rate);
	if (burst != NULL && !is_rate(burst) &&
	    !hv_hc_only(burst, "0123456789"))
		return hv_error(err, "burst: \"%s\" is not like 32kbit", burst);
	return hv_net_check(call, err);
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	struct hv_buf	leaf = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	if (revert) {
		hv_net_tc_del(b, call);
		return 0;
	}
	if (hv_arg_node(call, "destination") == NULL) {
		hv_buf_printf(&leaf, "tbf rate %s burst %s latency %lldms",
		    hv_arg_str(call, "rate"), hv_arg_str(call, "burst"),
		    (long long)hv_arg_ms(call, "latency"));
		hv_net_tc_add(b, call, leaf.s, NULL);
	} else
		hv_net_tc_add(b, call, NULL, hv_arg_str(call, "rate"));
	hv_buf_release(&leaf);
	return 0;
}

const struct hv_driver hv_action_network_bandwidth = {
	.name = "network.bandwidth",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "limit the bandwidth of an interface (tc tbf)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
