/*
 * service.c - service.stop, service.start and service.restart. One file
 * for the three: they differ only in the verb and in what undoes them
 * (only stop is a fault; its revert starts the service again).
 *
 * systemd when the host runs it, else service(8), else /etc/init.d.
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "name", HV_T_STR, 1, NULL, NULL, "the service (nginx, ssh, ...)" },
	{ "timeout", HV_T_DURATION, 0, "60s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*name = hv_arg_str(call, "name");

	if (name != NULL && !hv_hc_only(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-") ) {
		return hv_error(err, "\"%s\" is not a service name", name);
	}
	return 0;
}

/* The verb of the driver, or the opposite one for a revert. */
static const char *
verb(const struct hv_call *call, int revert)
{
	const char	*v = strrchr(call->driver->name, '.') + 1;

	if (revert)
		return strcmp(v, "stop") == 0 ? "start" : "stop";
	return v;
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*name = hv_arg_str(call, "name");
	const char	*v = verb(call, revert);
	struct hv_buf	 q = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	hv_shell_quote(&q, name);
	hv_buf_printf(b, "if [ -d /run/systemd/system ] && command -v "
	    "systemctl >/dev/null 2>&1; then systemctl %s %s; "
	    "elif command -v service >/dev/null 2>&1; then service %s %s; "
	    "elif [ -x /etc/init.d/%s ]; then /etc/init.d/%s %s; "
	    "else echo 'no service manager found' >&2; exit 127; fi",
	    v, q.s, q.s, v, q.s, q.s, v);
	hv_buf_release(&q);
	return 0;
}

#define SERVICE_DRIVER(sym, verbname, summ, rev)			\
const struct hv_driver sym = {						\
	.name = "service." verbname,					\
	.kind = HV_ACTION,						\
	.target = HV_TARGET_REQUIRED,					\
	.ssh = 1,							\
	.summary = summ,						\
	.params = params,						\
	.check = check,							\
	.command = command,						\
	.start = hv_remote_start,					\
	.revert = rev,							\
	.describe = hv_remote_describe,					\
	.cancel = hv_remote_cancel,					\
}

SERVICE_DRIVER(hv_action_service_stop, "stop",
    "stop a service (reverted by starting it)", hv_remote_revert);
SERVICE_DRIVER(hv_action_service_start, "start", "start a service", NULL);
SERVICE_DRIVER(hv_action_service_restart, "restart", "restart a service",
    NULL);
