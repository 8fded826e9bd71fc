/*
 * security-add-user.c - security.add_user: a new account on the host
 * (uid 0 or an admin group make it the security incident that alerting
 * must notice). A user that exists already is never touched: the account
 * carries the step's tag as its comment (GECOS), and the revert removes
 * only an account that carries it (also when the inject was refused, and
 * when havoc's own inject never ran). userdel -f: a second root (uid 0)
 * always "is used by process 1", which plain userdel refuses.
 */
#include "hostcmd.h"
#include "node.h"
#include "remote.h"

#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789_-"

static const struct hv_param params[] = {
	{ "name", HV_T_STR, 1, NULL, NULL, "the login name" },
	{ "uid", HV_T_INT, 0, NULL, NULL, "its uid (0: a second root)" },
	{ "groups", HV_T_LIST, 0, NULL, NULL,
	    "supplementary groups (sudo, adm, ...)" },
	{ "shell", HV_T_STR, 0, "/bin/sh", NULL, "its login shell" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*g = hv_arg_node(call, "groups");
	const char		*name = hv_arg_str(call, "name");
	size_t			 i;

	if (name != NULL && (!hv_hc_only(name, NAME_CHARS) || name[0] == '-'
	    || name[0] == '_' || (name[0] >= '0' && name[0] <= '9')))
		return hv_error(err, "\"%s\" is not a user name", name);
	for (i = 0; g != NULL && i < g->n; i++) {
		if (!hv_hc_only(g->items[i]->str, NAME_CHARS))
			return hv_error(err, "\"%s\" is not a group name",
			    g->items[i]->str);
	}
	if (hv_arg_has(call, "uid") && (hv_arg_int(call, "uid") < 0 ||
	    hv_arg_int(call, "uid") > 4294967294LL))
		return hv_error(err, "uid is out of range");
	return 0;
}

static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const struct hv_node	*g = hv_arg_node(call, "groups");
	struct hv_buf		 name = HV_BUF_INIT;
	struct hv_buf		 groups = HV_BUF_INIT;
	struct hv_buf		 tag = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	hv_shell_quote(&name, hv_arg_str(call, "name"));
	hv_shell_quote(&tag, call->tag != NULL ? call->tag : "havoc");
	if (revert) {
		hv_buf_printf(b, "if [ \"$(getent passwd %s | cut -d: -f5)\" = "
		    "%s ]; then userdel -f %s; fi", name.s, tag.s, name.s);
		goto out;
	}
	hv_hc_need(b, call, "useradd");
	hv_buf_printf(b, "if id -u %s >/dev/null 2>&1; then echo 'user '%s' "
	    "exists already; havoc leaves it alone' >&2; exit 1; fi; "
	    "useradd -M -c %s -s ", name.s, name.s, tag.s);
	hv_shell_quote(b, hv_arg_str(call, "shell"));
	if (hv_arg_has(call, "uid"))
		hv_buf_printf(b, " -o -u %lld", hv_arg_int(call, "uid"));
	if (g != NULL && g->n > 0) {
		hv_hc_join(&groups, g, ",", call->shown);
		hv_buf_puts(b, " -G ");
		hv_shell_quote(b, groups.s);
	}
	hv_buf_printf(b, " %s", name.s);
out:
	hv_buf_release(&name);
	hv_buf_release(&groups);
	hv_buf_release(&tag);
	return 0;
}

const struct hv_driver hv_action_security_add_user = {
	.name = "security.add_user",
	.kind = HV_ACTION,
	.target = HV_TARGET_REQUIRED,
	.transport = &hv_transport_ssh,
	.summary = "add a user account (reverted by removing it)",
	.params = params,
	.check = check,
	.command = command,
	.revert = hv_remote_revert,
};
