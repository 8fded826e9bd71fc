/*
 * output.h - judging a command's outcome against a probe's expect:, the
 * same for a local command and one run over SSH.
 */
#ifndef HV_OUTPUT_H
#define HV_OUTPUT_H

#include <stdint.h>

#include "driver.h"

/* The expect: table of command probes. */
extern const struct hv_param hv_output_expect[];

struct hv_output {
	int		 exited;	/* ended on its own */
	int		 status;
	const char	*signal;	/* what ended it, or NULL */
	int		 timed_out;
	const char	*out;
	const char	*err;
	int64_t		 elapsed_ms;
};

/* 0 when the outcome meets expect:, else -1 with the reason in call->err. */
int	 hv_output_judge(struct hv_call *, const struct hv_output *);
/* Checks the regexes of expect: (the check hook of command probes). */
int	 hv_output_check(const struct hv_call *, struct hv_buf *err);

#endif
