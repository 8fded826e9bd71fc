/*
 * service.c - service.stop, service.start and service.restart. One file
 * for the three: they differ only in the verb and in what undoes them
 * (only stop is a fault; its revert starts the service again).
 *
 * systemd when the host runs it, else service(8), else /etc/init.d
 * (hv_service, hostlib.sh).
 *
 * service.stop refuses a service that is not running: its revert would
 * start it, and leave the host otherwise than it was. The revert starts
 * only what the inject stopped (a mark in HV_KEEP_DIR, on disk: a reboot
 * of the host in the meantime does not lose it), also when the inject
 * was refused or failed half-way.
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

/* systemd unit names, init scripts: no "/", no space, no quote. */
#define SERVICE_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789@._:-"

static const struct hv_param params[] = {
	{ "name", HV_T_STR, 1, NULL, NULL, "the service (nginx, ssh, ...)" },
	{ "timeout", HV_T_DURATION, 0, "60s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	return hv_hc_check_name("name", hv_arg_str(call, "name"),
	    "a service name", SERVICE_CHARS, 255, 1, err);
}

/*
 * service.start|restart: hv_service VERB NAME;
 * service.stop: hv_service_stop NAME, reverted by hv_service_restore NAME.
 */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*name = hv_arg_str(call, "name");
	const char	*verb = strrchr(call->driver->name, '.') + 1;

	if (check(call, err) == -1)
		return -1;
	if (strcmp(verb, "stop") != 0)
		hv_hc_words(b, "hv_service", verb, name, (char *)NULL);
	else
		hv_hc_words(b, revert ? "hv_service_restore" :
		    "hv_service_stop", name, (char *)NULL);
	return 0;
}

#define SERVICE_DRIVER(sym, verbname, summ, rev)			\
const struct hv_driver sym = {						\
	.name = "service." verbname,					\
	.kind = HV_ACTION,						\
	.target = HV_TARGET_REQUIRED,					\
	.transport = &hv_transport_ssh,					\
	.summary = summ,						\
	.params = params,						\
	.check = check,							\
	.command = command,						\
	.revert = rev,							\
}

SERVICE_DRIVER(hv_action_service_stop, "stop",
    "stop a service (reverted by starting it)", hv_remote_revert);
SERVICE_DRIVER(hv_action_service_start, "start", "start a service", NULL);
SERVICE_DRIVER(hv_action_service_restart, "restart", "restart a service",
    NULL);
