/*
 * output.c - exit status and output expectations of command probes.
 */
#include <regex.h>

#include "output.h"

const struct hv_param hv_output_expect[] = {
	{ "exit_code", HV_T_INT, 0, "0", NULL, "the expected exit status" },
	{ "output_matches", HV_T_STR, 0, NULL, NULL,
	    "an extended regex stdout must match (^ and $ at each line)" },
	{ "output_not_matches", HV_T_STR, 0, NULL, NULL,
	    "an extended regex stdout must not match" },
	{ "stderr_matches", HV_T_STR, 0, NULL, NULL,
	    "an extended regex stderr must match" },
	{ "latency_below", HV_T_DURATION, 0, NULL, NULL,
	    "the command must finish sooner than this" },
	{ NULL }
};

/*
 * Whether text matches re: 1 or 0; -1 when re does not compile. As with
 * grep, ^ and $ also match at the start and end of each line, so that
 * "^web-1$" matches the output "web-1\n".
 */
static int
matches(const char *re, const char *text, struct hv_buf *err)
{
	regex_t	rx;
	int	rc;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0)
		return hv_error(err, "bad regular expression \"%s\"", re);
	rc = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return rc;
}

int
hv_output_judge(struct hv_call *call, const struct hv_output *o)
{
	const char	*re;
	long long	 want = hv_exp_int(call, "exit_code");
	int64_t		 bound;

	if (o->timed_out)
		return hv_error(&call->err, "timed out after %lld ms",
		    (long long)o->elapsed_ms);
	if (!o->exited)
		return hv_error(&call->err, "killed by SIG%s",
		    o->signal != NULL ? o->signal : "?");
	if (o->status != want)
		return hv_error(&call->err, "exit status %d, expected %lld",
		    o->status, want);
	if ((re = hv_exp_str(call, "output_matches")) != NULL &&
	    matches(re, o->out, &call->err) != 1)
		return hv_error(&call->err, "output does not match \"%s\"", re);
	if ((re = hv_exp_str(call, "output_not_matches")) != NULL &&
	    matches(re, o->out, &call->err) != 0)
		return hv_error(&call->err, "output matches \"%s\"", re);
	if ((re = hv_exp_str(call, "stderr_matches")) != NULL &&
	    matches(re, o->err, &call->err) != 1)
		return hv_error(&call->err, "stderr does not match \"%s\"", re);
	bound = hv_exp_ms(call, "latency_below");
	if (bound > 0 && o->elapsed_ms >= bound)
		return hv_error(&call->err, "took %lld ms, more than %lld ms",
		    (long long)o->elapsed_ms, (long long)bound);
	return 0;
}

int
hv_output_check(const struct hv_call *call, struct hv_buf *err)
{
	static const char *const res[] = { "output_matches",
	    "output_not_matches", "stderr_matches" };
	const char	*re;
	size_t		 i;

	for (i = 0; i < HV_ARRAY_LEN(res); i++) {
		if ((re = hv_exp_str(call, res[i])) != NULL &&
		    matches(re, "", err) == -1)
			return -1;
	}
	return 0;
}
