/*
 * fault.h - the revert of a fault, as the fault journal keeps it.
 *
 * Before a fault is injected, what undoes it is written to the store as a
 * spec: the driver, its parameters in their shown spelling (secrets stay
 * references such as ${env.TOKEN}), the target host with its effective
 * SSH settings (and, for a cloud instance, its id and the region,
 * profile and endpoint it lives at: never credentials, which come from
 * the chain again), and the run's tag. Every revert havoc makes, in a normal
 * run and in `havoc recover` after a crash, is rebuilt from that spec:
 * there is one revert path, and every run exercises it.
 */
#ifndef HV_FAULT_H
#define HV_FAULT_H

#include <stdint.h>

#include "driver.h"
#include "experiment.h"

struct hv_revert {
	struct hv_call	 call;
	struct hv_node	*with;		/* owned */
	struct hv_host	 host;		/* owned strings */
	int		 has_host;
	struct hv_cloud_aws aws;	/* owned: host.instance's cloud */
	char		*dir;		/* for relative ${file:...} */
	int64_t		 fault;		/* faults.id, set by the caller */
	char		*target;	/* host name, or NULL */
};

/*
 * The spec of call (a fault about to be injected) as a new JSON string.
 * host is the call's target and x gives its effective SSH settings.
 */
char	*hv_fault_spec(const struct hv_experiment *, const struct hv_call *);

/*
 * Rebuilds a revert from a spec: a new hv_revert whose call is ready for
 * driver->revert (call.done and call.arg still to be set). Secrets are
 * read again from the environment and files. NULL with a message in err.
 */
struct hv_revert *hv_revert_new(struct hv_ctx *, const char *spec,
		    struct hv_buf *err);
void		 hv_revert_free(struct hv_revert *);

#endif
