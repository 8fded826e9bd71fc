/*
 * stress.c - stress.cpu, stress.memory and stress.io with stress-ng, in
 * the background on the host for as long as the fault lasts. One file
 * for the three: they differ only in stress-ng's options.
 *
 * stress-ng also gets a timeout of its own (the dead-man time), so a
 * stress outlives nothing even without its revert.
 */
#include <string.h>

#include "hostcmd.h"
#include "remote.h"

static const struct hv_param cpu_params[] = {
	{ "workers", HV_T_INT, 0, "0", NULL, "stressors; 0: one per CPU" },
	{ "load", HV_T_INT, 0, "100", NULL, "percent of each CPU" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static const struct hv_param memory_params[] = {
	{ "size", HV_T_STR, 1, NULL, NULL,
	    "memory to take: 512M, 2G, or 80% of it" },
	{ "workers", HV_T_INT, 0, "1", NULL, "stressors" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static const struct hv_param io_params[] = {
	{ "workers", HV_T_INT, 0, "1", NULL, "stressors writing files" },
	{ "size", HV_T_STR, 0, "256M", NULL, "bytes each worker writes" },
	{ "path", HV_T_STR, 0, "/tmp", NULL,
	    "the folder they write in (absolute)" },
	{ "timeout", HV_T_DURATION, 0, "30s", NULL, "for the command" },
	{ NULL }
};

static int
size_ok(const char *s)
{
	uint64_t	v;
	size_t		n;

	if (s == NULL)
		return 1;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '%')
		return n <= 4 && hv_hc_only(s, "0123456789%");
	return hv_parse_size(s, &v) == 0;
}

static int
check(const struct hv_call *call, struct hv_buf *err)
{
	const char	*size = hv_arg_str(call, "size");

	if (hv_arg_int(call, "workers") < 0 || hv_arg_int(call, "workers") >
	    1024)
		return hv_error(err, "workers must be from 0 to 1024");
	if (hv_arg_has(call, "load") && (hv_arg_int(call, "load") < 1 ||
	    hv_arg_int(call, "load") > 100))
		return hv_error(err, "load must be from 1 to 100");
	if (!size_ok(size))
		return hv_hc_bad(err, "size", size, "is not like 512M or 80%%");
	return hv_hc_check_path("path", hv_arg_str(call, "path"), err);
}

/*
 * hv_bg_start stress stress-ng --cpu N --cpu-load L ... --timeout S
 * --quiet, reverted by hv_bg_stop stress.
 */
static int
command(const struct hv_call *call, int revert, struct hv_buf *b,
    struct hv_buf *err)
{
	const char	*what = call->driver->name + strlen("stress.");
	struct hv_buf	 cmd = HV_BUF_INIT;
	int64_t		 secs = (call->ctx != NULL ? call->ctx->dead_man_ms :
			    0) / 1000;

	if (check(call, err) == -1)
		return -1;
	if (revert) {
		hv_hc_bg_stop(b, "stress");
		return 0;
	}
	hv_buf_puts(&cmd, "stress-ng");
	if (strcmp(what, "cpu") == 0)
		hv_buf_printf(&cmd, " --cpu %lld --cpu-load %lld",
		    hv_arg_int(call, "workers"), hv_arg_int(call, "load"));
	else if (strcmp(what, "memory") == 0) {
		hv_buf_printf(&cmd, " --vm %lld --vm-keep --vm-bytes ",
		    hv_arg_int(call, "workers"));
		hv_shell_quote(&cmd, hv_arg_str(call, "size"));
	} else {
		hv_buf_printf(&cmd, " --hdd %lld --hdd-bytes ",
		    hv_arg_int(call, "workers"));
		hv_shell_quote(&cmd, hv_arg_str(call, "size"));
		hv_buf_puts(&cmd, " --temp-path ");
		hv_shell_quote(&cmd, hv_arg_str(call, "path"));
	}
	hv_buf_printf(&cmd, " --timeout %llds --quiet",
	    (long long)(secs > 0 ? secs : 600));
	hv_hc_bg_start(b, "stress", cmd.s);
	hv_buf_release(&cmd);
	return 0;
}

#define STRESS_DRIVER(sym, what, p, summ)				\
const struct hv_driver sym = {						\
	.name = "stress." what,						\
	.kind = HV_ACTION,						\
	.target = HV_TARGET_REQUIRED,					\
	.transport = &hv_transport_ssh,					\
	.summary = summ,						\
	.params = p,							\
	.check = check,							\
	.command = command,						\
	.revert = hv_remote_revert,					\
}

STRESS_DRIVER(hv_action_stress_cpu, "cpu", cpu_params,
    "load the CPUs (stress-ng)");
STRESS_DRIVER(hv_action_stress_memory, "memory", memory_params,
    "take memory (stress-ng)");
STRESS_DRIVER(hv_action_stress_io, "io", io_params,
    "write to disk hard (stress-ng)");
