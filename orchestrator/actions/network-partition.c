/*
 * network-partition.c - network.partition: cut targets off from a target
 * group or from addresses, both ways (or one), optionally on some ports
 * only, with iptables rules marked with the step's tag.
 */
#include <string.h>

#include "hostcmd.h"
#include "netcommon.h"
#include "node.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "peers", HV_T_TARGETS, 1, NULL, NULL,
	    "the target group or addresses (CIDRs) to cut off" },
	{ "ports", HV_T_LIST, 0, NULL, NULL,
	    "only these ports (either end of a connection)" },
	{ "protocol", HV_T_STR, 0, "all", "tcp|udp|all", "which protocol" },
	{ "direction", HV_T_STR, 0, "both", "in|out|both", "which way" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*peers = hv_arg_node(call, "peers");

	if (peers != NULL && peers->kind == HV_NODE_SEQ && peers->n == 0)
		return hv_error(err, "peers is empty");
	return hv_net_check(call, err);
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const struct hv_node	*peers = hv_arg_node(call, "peers");
	const char		*dir = hv_arg_str(call, "direction");
	struct hv_buf		 spec = HV_BUF_INIT;
	const char		*a;
	size_t			 i, start = b->len;
	int			 c;

	if (check(call, err) == -1)
		return -1;
	if (peers->kind != HV_NODE_SEQ) {
		/* Before the plan: the group's name, for messages. */
		hv_buf_printf(b, "(cut off from target group %s)",
		    hv_node_text(peers, call->shown));
		return 0;
	}
	/*
	 * hv_rule_add INPUT -s PEER [PORTS] -j DROP && hv_rule_add OUTPUT
	 * -d PEER ... (one pair per peer); the revert: hv_rule_del ...; ...;
	 * hv_rules_gone (every del is tried).
	 */
	for (c = 0; c < 2; c++) {
		if (strcmp(dir, "both") != 0 &&
		    strcmp(dir, c == 0 ? "in" : "out") != 0)
			continue;
		for (i = 0; i < peers->n; i++) {
			a = hv_node_text(peers->items[i], call->shown);
			hv_buf_reset(&spec);
			hv_buf_puts(&spec, c == 0 ? "-s " : "-d ");
			hv_shell_quote(&spec, a);
			hv_net_port_match(&spec, call);
			hv_buf_puts(&spec, " -j DROP");
			if (b->len > start)
				hv_buf_puts(b, revert ? "; " : " && ");
			if (revert)
				hv_hc_rule_del(b, c == 0 ? "INPUT" : "OUTPUT",
				    spec.s, hv_net_is_v6(a));
			else
				hv_hc_rule_add(b, c == 0 ? "INPUT" : "OUTPUT",
				    spec.s, hv_net_is_v6(a));
		}
	}
	if (revert) {
		if (b->len > start)
			hv_buf_puts(b, "; ");
		hv_hc_rules_end(b);
	}
	hv_buf_release(&spec);
	return 0;
}

const struct hv_driver hv_action_network_partition = {
	.name = "network.partition",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "cut targets off from a group or addresses (iptables)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
