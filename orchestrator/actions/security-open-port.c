/*
 * security-open-port.c - security.open_port: an unexpected listener on
 * the host, the kind of change a backdoor makes. It answers every
 * connection with a line and closes it. A port in use is refused.
 */
#include "hostcmd.h"
#include "remote.h"

static const struct hv_param params[] = {
	{ "port", HV_T_INT, 1, NULL, NULL, "the TCP port to listen on" },
	{ "address", HV_T_STR, 0, "0.0.0.0", NULL, "the address to bind" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

/* A listener in Python: python3 is on almost every host. */
static const char listener[] =
"import socket, sys\n"
"s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else "
"socket.AF_INET)\n"
"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
"s.bind((sys.argv[1], int(sys.argv[2])))\n"
"s.listen(16)\n"
"while True:\n"
"    c, _ = s.accept()\n"
"    c.sendall(b'havoc open_port\\n')\n"
"    c.close()\n";

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*a = hv_arg_str(call, "address");

	if (hv_arg_has(call, "port") && (hv_arg_int(call, "port") < 1 ||
	    hv_arg_int(call, "port") > 65535))
		return hv_error(err, "port must be from 1 to 65535");
	if (a != NULL && !hv_hc_only(a, "0123456789abcdefABCDEF.:"))
		return hv_error(err, "\"%s\" is not an address", a);
	return 0;
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	struct hv_buf	cmd = HV_BUF_INIT;
	long long	port = hv_arg_int(call, "port");

	if (check(call, err) == -1)
		return -1;
	if (revert) {
		hv_hc_bg_stop(b, call, "listener");
		return 0;
	}
	hv_hc_need(b, call, "python3");
	/* ss shows listeners; a port taken already is refused. */
	hv_buf_printf(b, "if command -v ss >/dev/null 2>&1 && ss -Hltn "
	    "'sport = :%lld' | grep -q .; then echo 'port %lld is in use "
	    "already' >&2; exit 1; fi; ", port, port);
	hv_buf_puts(&cmd, "python3 -c ");
	hv_shell_quote(&cmd, listener);
	hv_buf_putc(&cmd, ' ');
	hv_shell_quote(&cmd, hv_arg_str(call, "address"));
	hv_buf_printf(&cmd, " %lld", port);
	hv_hc_bg_start(b, call, "listener", cmd.s);
	hv_buf_release(&cmd);
	return 0;
}

const struct hv_driver hv_action_security_open_port = {
	.name = "security.open_port",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "open an unexpected listening port (closed by the revert)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
