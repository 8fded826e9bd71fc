/*
 * network-delay.c - network.delay: latency on an interface with tc netem,
 * for all traffic or only towards some destinations.
 */
#include "hostcmd.h"
#include "netcommon.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "interface", HV_T_STR, 0, "eth0", NULL, "the interface to slow" },
	{ "delay", HV_T_DURATION, 1, NULL, NULL, "the added latency" },
	{ "jitter", HV_T_DURATION, 0, NULL, NULL, "random variation" },
	{ "correlation", HV_T_NUM, 0, NULL, NULL,
	    "percent of correlation between delays" },
	{ "distribution", HV_T_STR, 0, NULL, "normal|pareto|paretonormal",
	    "the jitter's distribution" },
	{ "destination", HV_T_TARGETS, 0, NULL, NULL,
	    "only traffic to these addresses or this target group" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	struct hv_buf	leaf = HV_BUF_INIT;
	const char	*dist = hv_arg_str(call, "distribution");

	if (hv_net_check(call, err) == -1)
		return -1;
	if (revert) {
		hv_net_tc_del(b, call);
		return 0;
	}
	hv_buf_printf(&leaf, "netem delay %lldms",
	    (long long)hv_arg_ms(call, "delay"));
	if (hv_arg_has(call, "jitter")) {
		hv_buf_printf(&leaf, " %lldms",
		    (long long)hv_arg_ms(call, "jitter"));
		if (hv_arg_has(call, "correlation"))
			hv_buf_printf(&leaf, " %g%%",
			    hv_arg_num(call, "correlation"));
		if (dist != NULL)
			hv_buf_printf(&leaf, " distribution %s", dist);
	}
	hv_net_tc_add(b, call, leaf.s, "100gbit");
	hv_buf_release(&leaf);
	return 0;
}

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	if (hv_arg_has(call, "distribution") && !hv_arg_has(call, "jitter"))
		return hv_error(err, "distribution needs jitter");
	return hv_net_check(call, err);
}

const struct hv_driver hv_action_network_delay = {
	.name = "network.delay",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "add latency on an interface (tc netem)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
