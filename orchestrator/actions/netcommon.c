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
		if (!hv_hc_only(n->items[i]->str, HV_NET_ADDR_CHARS))
			return hv_error(err, "%s: \"%s\" is not an address",
			    name, n->items[i]->str);
	}
	return 0;
}

int
hv_net_check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*ports = hv_arg_node(call, "ports");
	const char		*iface = hv_arg_str(call, "interface");
	long long		 p;
	size_t			 i;

	if (iface != NULL && (strlen(iface) > 15 ||
	    !hv_hc_only(iface, HV_NET_IFACE_CHARS)))
		return hv_error(err, "\"%s\" is not an interface name", iface);
	if (check_addrs(call, "destination", err) == -1 ||
	    check_addrs(call, "peers", err) == -1)
		return -1;
	for (i = 0; ports != NULL && i < ports->n; i++) {
		if (hv_parse_int(ports->items[i]->str, &p) == -1 || p < 1 ||
		    p > 65535)
			return hv_error(err, "ports: \"%s\" is not a port",
			    ports->items[i]->str);
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
	} else if (proto != NULL && strcmp(proto, "all") != 0)
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

	hv_hc_tc_handles(call, h, c);
	hv_shell_quote(&dev, hv_arg_str(call, "interface"));
	hv_hc_need(b, call, "tc");
	hv_buf_printf(b, "if tc qdisc show dev %s | grep -q ' root' && ! tc "
	    "qdisc show dev %s | grep -q '^qdisc [a-z_]* 0: root'; then echo "
	    "'%s has a root qdisc of its own; havoc leaves it alone' >&2; "
	    "exit 1; fi\nset -e\n", dev.s, dev.s, hv_arg_str(call,
	    "interface"));
	if (dest == NULL || dest->kind != HV_NODE_SEQ) {
		hv_buf_printf(b, "tc qdisc add dev %s root handle %s %s\n",
		    dev.s, h, leaf);
		goto out;
	}
	hv_buf_printf(b, "tc qdisc add dev %s root handle %s htb default 1\n",
	    dev.s, h);
	hv_buf_printf(b, "tc class add dev %s parent %s classid %s1 htb rate "
	    "100gbit\n", dev.s, h, h);
	hv_buf_printf(b, "tc class add dev %s parent %s classid %s2 htb rate "
	    "%s ceil %s\n", dev.s, h, h, class_rate, class_rate);
	if (leaf != NULL)
		hv_buf_printf(b, "tc qdisc add dev %s parent %s2 handle %s "
		    "%s\n",
		    dev.s, h, c, leaf);
	for (i = 0; i < dest->n; i++) {
		a = hv_node_text(dest->items[i], call->shown);
		hv_buf_printf(b, "tc filter add dev %s parent %s protocol %s "
		    "prio 1 u32 match %s dst ", dev.s, h,
		    hv_net_is_v6(a) ? "ipv6" : "ip", hv_net_is_v6(a) ? "ip6" :
		    "ip");
		hv_shell_quote(b, a);
		hv_buf_printf(b, " flowid %s2\n", h);
	}
out:
	hv_buf_rtrim(b);
	hv_buf_release(&dev);
}

void
hv_net_tc_del(struct hv_buf *b, const struct hv_call *call)
{
	hv_hc_tc_revert(b, call, hv_arg_str(call, "interface"));
}
