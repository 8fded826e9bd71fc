/*
 * network-loss.c - network.loss: drop a share of packets, with iptables'
 * statistic match (in, out or both ways) or with tc netem (out only).
 */
#include <string.h>

#include "hostcmd.h"
#include "netcommon.h"
#include "node.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "percent", HV_T_NUM, 1, NULL, NULL, "the share of packets dropped" },
	{ "method", HV_T_STR, 0, "iptables", "iptables|netem",
	    "how packets are dropped" },
	{ "direction", HV_T_STR, 0, NULL, "in|out|both",
	    "which way (default both; netem: out)" },
	{ "destination", HV_T_TARGETS, 0, NULL, NULL,
	    "only traffic with these addresses or this target group" },
	{ "ports", HV_T_LIST, 0, NULL, NULL, "only these ports (iptables)" },
	{ "protocol", HV_T_STR, 0, "all", "tcp|udp|all", "(iptables)" },
	{ "correlation", HV_T_NUM, 0, NULL, NULL, "percent (netem)" },
	{ "interface", HV_T_STR, 0, "eth0", NULL, "(netem)" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static int
netem(const struct hv_call *call)
{
	return strcmp(hv_arg_str(call, "method"), "netem") == 0;
}

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*dir = hv_arg_str(call, "direction");
	double		 p = hv_arg_num(call, "percent");

	if (hv_arg_has(call, "percent") && (p <= 0 || p > 100))
		return hv_error(err, "percent must be above 0 and at most 100");
	if (netem(call) && dir != NULL && strcmp(dir, "out") != 0)
		return hv_error(err, "netem drops outgoing packets only: use "
		    "direction: out, or method: iptables");
	if (netem(call) && (hv_arg_has(call, "ports") ||
	    hv_arg_has(call, "protocol")))
		return hv_error(err, "ports and protocol need method: "
		    "iptables");
	return hv_net_check(call, err);
}

/*
 * One rule per chain (and per destination) with the statistic match,
 * joined with && (the inject) or ; (the revert: each del is tried).
 */
static void
rules(struct hv_buf *b, const struct hv_call *call, int revert)
{
	const struct hv_node	*dest = hv_arg_node(call, "destination");
	const char		*dir = hv_arg_str(call, "direction");
	struct hv_buf		 spec = HV_BUF_INIT;
	size_t			 i, start = b->len, n = dest != NULL &&
				    dest->kind == HV_NODE_SEQ ? dest->n : 1;
	int			 c;
	static const char *const chains[] = { "INPUT", "OUTPUT" };

	if (dir == NULL)
		dir = "both";
	for (c = 0; c < 2; c++) {
		if (strcmp(dir, "both") != 0 &&
		    strcmp(dir, c == 0 ? "in" : "out") != 0)
			continue;
		for (i = 0; i < n; i++) {
			const char	*a = dest != NULL && dest->kind ==
			    HV_NODE_SEQ ? hv_node_text(dest->items[i],
			    call->shown) : NULL;

			hv_buf_reset(&spec);
			if (a != NULL) {
				hv_buf_puts(&spec, c == 0 ? "-s " : "-d ");
				hv_shell_quote(&spec, a);
			}
			hv_net_port_match(&spec, call);
			hv_buf_printf(&spec, " -m statistic --mode random "
			    "--probability %.4f -j DROP",
			    hv_arg_num(call, "percent") / 100);
			if (b->len > start)
				hv_buf_puts(b, revert ? "; " : " && ");
			if (revert)
				hv_hc_rule_del(b, chains[c], spec.s,
				    a != NULL && hv_net_is_v6(a));
			else
				hv_hc_rule_add(b, chains[c], spec.s,
				    a != NULL && hv_net_is_v6(a));
		}
	}
	if (revert) {
		if (b->len > start)
			hv_buf_puts(b, "; ");
		hv_hc_rules_end(b);
	}
	hv_buf_release(&spec);
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	struct hv_buf	leaf = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	if (netem(call)) {
		if (revert) {
			hv_net_tc_del(b, call);
			return 0;
		}
		hv_buf_printf(&leaf, "netem loss %g%%",
		    hv_arg_num(call, "percent"));
		if (hv_arg_has(call, "correlation"))
			hv_buf_printf(&leaf, " %g%%",
			    hv_arg_num(call, "correlation"));
		hv_net_tc_add(b, call, leaf.s, "100gbit");
		hv_buf_release(&leaf);
		return 0;
	}
	/* hv_rule_add INPUT ... -m statistic ... -j DROP && ...; the
	 * revert: hv_rule_del ...; ...; hv_rules_gone */
	rules(b, call, revert);
	return 0;
}

const struct hv_driver hv_action_network_loss = {
	.name = "network.loss",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "drop a share of packets (iptables statistic, or netem)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
