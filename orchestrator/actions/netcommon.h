/*
 * netcommon.h - what the network actions share: the interface, the
 * destinations a fault applies to, and the port match.
 */
#ifndef HV_NETCOMMON_H
#define HV_NETCOMMON_H

#include "driver.h"

/*
 * Checks the interface (a name, not an option), destination and peers
 * (addresses or CIDRs; a target group's name becomes addresses when the
 * step runs) and ports (1-65535, 15 at most) parameters.
 */
int	 hv_net_check(const struct hv_call *, struct hv_buf *err);
/* Whether an address or CIDR is IPv6. */
int	 hv_net_is_v6(const char *);
/*
 * "-p tcp -m multiport --ports 80,443" for the ports and protocol
 * parameters, or "" (or "-p tcp" alone when only a protocol is given).
 */
void	 hv_net_port_match(struct hv_buf *, const struct hv_call *);

#define HV_NET_IFACE_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-"

/*
 * Adds havoc's root qdisc on the interface parameter: leaf (a netem or
 * tbf qdisc spec, or NULL) for all traffic; with a destination parameter,
 * an htb tree whose class 2 takes the traffic to those addresses, with
 * class_rate ("100gbit", or a bandwidth) and leaf under it. Refuses when
 * the interface has a root qdisc of its own (hv_tc_free).
 */
void	 hv_net_tc_add(struct hv_buf *, const struct hv_call *,
	    const char *leaf, const char *class_rate);
/* Removes it (idempotent): hv_tc_del. */
void	 hv_net_tc_del(struct hv_buf *, const struct hv_call *);

#endif
