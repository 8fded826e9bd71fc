/*
 * security-add-user.c - security.add_user: a new account on the host
 * (uid 0 or an admin group make it the security incident that alerting
 * must notice). A user that exists already is never touched: the account
 * carries the step's tag as its comment (GECOS), and the revert removes
 * only an account that carries it (also when the inject was refused, and
 * when havoc's own inject never ran). userdel -f: a second root (uid 0)
 * always "is used by process 1", which plain userdel refuses.
 */
#include <string.h>

#include "hostcmd.h"
#include "node.h"
#include "remote.h"

#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789_-"

static const struct hv_param params[] = {
	{ "name", HV_T_STR, 1, NULL, NULL, "the login name" },
	{ "uid", HV_T_INT, 0, NULL, NULL, "its uid (0: a second root)" },
	{ "groups", HV_T_LIST, 0, NULL, NULL,
	    "supplementary groups (sudo, adm, ...)" },
	{ "shell", HV_T_STR, 0, "/bin/sh", NULL,
	    "its login shell (an absolute path)" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

/* A name as useradd takes it: [a-z_][a-z0-9_-]*, 32 bytes at most. */
static int
check_user(const char *param, const char *name, const char *what,
    struct hv_buf *err)
{
	if (name == NULL)
		return 0;
	if (hv_hc_check_name(param, name, what, NAME_CHARS, 32, 1, err) == -1)
		return -1;
	if (name[0] >= '0' && name[0] <= '9')
		return hv_hc_bad(err, param, name, "is not %s: it begins "
		    "with a digit", what);
	return 0;
}

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const struct hv_node	*g = hv_arg_node(call, "groups");
	const char		*shell = hv_arg_str(call, "shell");
	size_t			 i;

	if (check_user("name", hv_arg_str(call, "name"), "a user name",
	    err) == -1)
		return -1;
	for (i = 0; g != NULL && i < g->n; i++) {
		if (check_user("groups", g->items[i]->str, "a group name",
		    err) == -1)
			return -1;
	}
	if (hv_hc_check_path("shell", shell, err) == -1)
		return -1;
	/* It goes into /etc/passwd: no field separator in it. */
	if (shell != NULL && strchr(shell, ':') != NULL)
		return hv_hc_bad(err, "shell", shell, "is not a login shell");
	if (hv_arg_has(call, "uid") && (hv_arg_int(call, "uid") < 0 ||
	    hv_arg_int(call, "uid") > 4294967294LL))
		return hv_error(err, "uid is out of range");
	return 0;
}

/*
 * hv_user_add NAME -s SHELL [-o -u UID] [-G GROUPS] (useradd -M, the tag
 * as its comment), reverted by hv_user_del NAME (only an account that
 * bears the tag).
 */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const struct hv_node	*g = hv_arg_node(call, "groups");
	struct hv_buf		 groups = HV_BUF_INIT;

	if (check(call, err) == -1)
		return -1;
	if (revert) {
		hv_hc_words(b, "hv_user_del", hv_arg_str(call, "name"),
		    (char *)NULL);
		return 0;
	}
	hv_hc_words(b, "hv_user_add", hv_arg_str(call, "name"), "-s",
	    hv_arg_str(call, "shell"), (char *)NULL);
	if (hv_arg_has(call, "uid"))
		hv_buf_printf(b, " -o -u %lld", hv_arg_int(call, "uid"));
	if (g != NULL && g->n > 0) {
		hv_hc_join(&groups, g, ",", call->shown);
		hv_buf_puts(b, " -G ");
		hv_shell_quote(b, groups.s);
	}
	hv_buf_release(&groups);
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
