/*
 * netcommon.c - shared checks and matches of the network actions.
 */
#include <string.h>

#include "hostcmd.h"
#include "netcommon.h"
#include "node.h"

int
hv_net_is_v6(const char *a)
{
	return strchr(a, ':') != NULL;
}

/* Checks a list (or one) of addresses in parameter name. */
static int
check_addrs(const struct hv_call *call, const char *name, struct hv_buf *err)
{
	const struct hv_node	*n = hv_arg_node(call, name);
	size_t			 i;

	if (n == NULL)
		return 0;
	/* A group name is turned into addresses only when the step runs. */
	if (n->kind == HV_NODE_SCALAR)
		return 0;
	for (i = 0; i < n->n; i++) {
		if (hv_hc_check_addr(name, n->items[i]->str, 1, err) == -1)
			return -1;
	}
	return 0;
}

int
hv_net_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*ports = hv_arg_node(call, "ports");
	const char		*s;
	long long		 p;
	size_t			 i;

	if (hv_hc_check_name("interface", hv_arg_str(call, "interface"),
	    "an interface name", HV_NET_IFACE_CHARS, 15, 1, err) == -1)
		return -1;
	if (check_addrs(call, "destination", err) == -1 ||
	    check_addrs(call, "peers", err) == -1)
		return -1;
	for (i = 0; ports != NULL && i < ports->n; i++) {
		s = ports->items[i]->str;
		if (!hv_hc_only(s, "0123456789") || strlen(s) > 5 ||
		    hv_parse_int(s, &p) == -1 || p < 1 || p > 65535)
			return hv_hc_bad(err, "ports", s, "is not a port");
	}
	if (ports != NULL && ports->n > 15)
		return hv_error(err, "ports: at most 15 (iptables multiport)");
	return 0;
}

void
hv_net_port_match(struct hv_buf *b, const struct hv_call *call)
{
	const struct hv_node	*ports = hv_arg_node(call, "ports");
	const char		*proto = hv_arg_str(call, "protocol");

	if (ports != NULL && ports->n > 0) {
		hv_buf_printf(b, " -p %s -m multiport --ports ",
		    proto != NULL && strcmp(proto, "udp") == 0 ? "udp" : "tcp");
		hv_hc_join(b, ports, ",", 0);
	} else if (proto != NULL && (strcmp(proto, "tcp") == 0 ||
	    strcmp(proto, "udp") == 0))
		hv_buf_printf(b, " -p %s", proto);
}

void
hv_net_tc_add(struct hv_buf *b, const struct hv_call *call, const char *leaf,
    const char *class_rate)
{
	const struct hv_node	*dest = hv_arg_node(call, "destination");
	struct hv_buf		 dev = HV_BUF_INIT;
	const char		*a;
	char			 h[8], c[8];
	size_t			 i;

	/*
	 * hv_tc_free IFACE && tc qdisc add dev IFACE root handle H: LEAF
	 * or, towards destinations, an htb tree:
	 *   ... root handle H: htb default 1 && tc class add ... H:1 (all
	 *   else) && ... H:2 (RATE) [&& LEAF under H:2] && a filter per
	 *   destination into H:2
	 */
	hv_hc_tc_handles(call, h, c);
	hv_shell_quote(&dev, hv_arg_str(call, "interface"));
	hv_buf_printf(b, "hv_tc_free %s && ", dev.s);
	if (dest == NULL || dest->kind != HV_NODE_SEQ) {
		hv_buf_printf(b, "tc qdisc add dev %s root handle %s %s",
		    dev.s, h, leaf);
		goto out;
	}
	hv_buf_printf(b, "tc qdisc add dev %s root handle %s htb default 1",
	    dev.s, h);
	hv_buf_printf(b, " && tc class add dev %s parent %s classid %s1 htb "
	    "rate 100gbit", dev.s, h, h);
	hv_buf_printf(b, " && tc class add dev %s parent %s classid %s2 htb "
	    "rate %s ceil %s", dev.s, h, h, class_rate, class_rate);
	if (leaf != NULL)
		hv_buf_printf(b, " && tc qdisc add dev %s parent %s2 handle %s "
		    "%s", dev.s, h, c, leaf);
	for (i = 0; i < dest->n; i++) {
		a = hv_node_text(dest->items[i], call->shown);
		hv_buf_printf(b, " && tc filter add dev %s parent %s protocol "
		    "%s prio 1 u32 match %s dst ", dev.s, h,
		    hv_net_is_v6(a) ? "ipv6" : "ip", hv_net_is_v6(a) ? "ip6" :
		    "ip");
		hv_shell_quote(b, a);
		hv_buf_printf(b, " flowid %s2", h);
	}
out:
	hv_buf_release(&dev);
}

void
hv_net_tc_del(struct hv_buf *b, const struct hv_call *call)
{
	hv_hc_tc_revert(b, call, hv_arg_str(call, "interface"));
}
