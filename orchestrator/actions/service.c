/*
 * service.c - service.stop, service.start and service.restart. One file
 * for the three: they differ only in the verb and in what undoes them
 * (only stop is a fault; its revert starts the service again).
 *
 * systemd when the host runs it, else service(8), else /etc/init.d.
 *
 * service.stop refuses a service that is not running: its revert would
 * start it, and leave the host otherwise than it was. The revert starts
 * only what the inject stopped (a mark in KEEP_DIR, on disk: a reboot of
 * the host in the meantime does not lose it), also when the inject was
 * refused or failed half-way.
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

#define KEEP_DIR	"/var/tmp/havoc"

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

/* The service manager's command for verb v on the quoted name q. */
static void
manage(struct hv_buf *b, const char *v, const char *q)
{
	hv_buf_printf(b, "if [ -d /run/systemd/system ] && command -v "
	    "systemctl >/dev/null 2>&1; then systemctl %s %s; "
	    "elif command -v service >/dev/null 2>&1; then service %s %s; "
	    "elif [ -x /etc/init.d/%s ]; then /etc/init.d/%s %s; "
	    "else echo 'no service manager found' >&2; exit 127; fi",
	    v, q, q, v, q, q, v);
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*name = hv_arg_str(call, "name");
	const char	*v = verb(call, revert);
	const char	*tag = call->tag != NULL ? call->tag : "havoc";
	struct hv_buf	 q = HV_BUF_INIT, mark = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	hv_shell_quote(&q, name);
	if (strcmp(call->driver->name, "service.stop") != 0) {
		manage(b, v, q.s);
		goto out;
	}
	hv_buf_printf(&mark, KEEP_DIR "/%s.stopped", tag);
	if (revert) {
		/* { start } && rm -f MARK, only if MARK */
		hv_buf_printf(b, "if [ -f %s ]; then { ", mark.s);
		manage(b, v, q.s);
		hv_buf_printf(b, "; } && rm -f %s; fi && { rmdir " KEEP_DIR
		    " 2>/dev/null || :; }", mark.s);
		goto out;
	}
	hv_buf_puts(b, "if ! { ");
	manage(b, "status >/dev/null 2>&1", q.s);
	hv_buf_printf(b, "; }; then echo %s' is not running; "
	    "havoc leaves it alone' >&2; exit 1; fi; mkdir -p -m 700 "
	    KEEP_DIR " && : >%s && ", q.s, mark.s);
	manage(b, v, q.s);
out:
	hv_buf_release(&q);
	hv_buf_release(&mark);
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
